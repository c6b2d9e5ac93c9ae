/* test_gradcheck.c - finite-difference gradient checks of every layer and of whole small networks.
 *
 * The analytic gradients come from the device (which test_layers ties to the C reference); the numerical
 * ones from central differences of the C reference's loss. Single layers use the loss L = sum(y * r) for a
 * fixed random r (so dL/dy = r); whole networks use softmax cross-entropy. Dropout keeps one mask: the
 * step counter is reset before every forward. */
#include <math.h>
#include <stdlib.h>
#include "harness.h"

#define EPS 1e-3f

static const struct {
    const char *netdef;
    nin_shape input;
    int whole;   /* 1: a whole network with the softmax loss */
} cases[] = {
    { "4c3p1", { 2, 5, 5 }, 0 },
    { "3c3p1s2", { 2, 6, 6 }, 0 },
    { "4c1", { 3, 4, 4 }, 0 },
    { "5fc", { 2, 3, 4 }, 0 },
    { "mp3s2", { 2, 6, 6 }, 0 },
    { "ap3s2", { 2, 6, 6 }, 0 },
    { "d0.4", { 2, 4, 4 }, 0 },
    { "gap", { 3, 3, 3 }, 0 },
    { "4c3p1b", { 2, 5, 5 }, 0 },   /* convolution, batch norm (the batch's statistics), ReLU */
    { "bnl", { 3, 4, 4 }, 0 },
    { "6c3p1-5c1-4c1-mp3s2-d0.3-6c3p1-5c1-4c1-gap", { 2, 8, 8 }, 1 },   /* a small NIN */
    { "5c3p1-mp2s2-8fc-d0.2-4fcl", { 2, 6, 6 }, 1 },                     /* an FC head */
    { "6c3p1b-5c1b-mp3s2-d0.3-6c3p1b-4c1l-gap", { 2, 8, 8 }, 1 },         /* a small NIN with batch norm */
};

/* The loss in double precision: sum(y * r), or the mean softmax cross-entropy of the logits y. */
static double loss_of(nin_net *ref, const float *r, float *y, size_t n_out, int whole)
{
    ref->step = 0;   /* the same dropout mask on every evaluation */
    nin_net_forward(ref, 1);
    nin_net_get_output(ref, y);
    double sum = 0.0;
    if (!whole) {
        for (size_t i = 0; i < n_out; i++)
            sum += (double)y[i] * r[i];
        return sum;
    }
    int classes = (int)(n_out / ref->batch);
    for (int n = 0; n < ref->batch; n++) {
        double total = 0.0;
        for (int c = 0; c < classes; c++)
            total += exp((double)y[n * classes + c]);
        sum += log(total) - y[n * classes + ref->labels[n]];
    }
    return sum / ref->batch;
}

/* Central difference of the loss in one coordinate of v (parameters or input), restored afterwards. */
static float numeric(nin_net *ref, float *v, size_t j, int is_input, const float *x, const float *r, float *y,
                     size_t n_out, int whole)
{
    double loss[2];
    float keep = v[j];
    for (int side = 0; side < 2; side++) {
        v[j] = keep + (side ? -EPS : EPS);
        if (is_input)
            nin_net_set_input(ref, v, NULL);
        else
            nin_net_set_params(ref, v);
        loss[side] = loss_of(ref, r, y, n_out, whole);
    }
    v[j] = keep;
    if (is_input)
        nin_net_set_input(ref, x, NULL);
    else
        nin_net_set_params(ref, v);
    return (float)((loss[0] - loss[1]) / (2.0 * EPS));
}

START_TEST(test_gradient_matches_finite_differences)
{
    const int batch = 2;
    int whole = cases[_i].whole;
    nin_net *dev = test_net(test_context(), cases[_i].netdef, cases[_i].input, batch);
    nin_net *ref = test_net(NULL, cases[_i].netdef, cases[_i].input, batch);
    nin_net_want_input_grad(dev, 1);
    size_t n_in = nin_volume(cases[_i].input, batch), n_out = nin_volume(nin_net_output_shape(dev), batch);
    size_t n_params = nin_net_param_count(dev);
    float *x = malloc(n_in * sizeof *x), *r = malloc(n_out * sizeof *r), *y = malloc(n_out * sizeof *y);
    float *params = malloc((n_params + 1) * sizeof *params);
    float *analytic = malloc((n_params + n_in) * sizeof *analytic), *fd = malloc((n_params + n_in) * sizeof *fd);
    int labels[2] = { 0, 1 };
    random_fill(x, n_in, 21);
    random_fill(r, n_out, 22);
    nin_net_get_params(ref, params);
    for (size_t i = nin_net_weight_count(ref); i < n_params; i++)
        params[i] = 0.1f * nin_random_normal(23, i);
    nin_net_set_params(dev, params);
    nin_net_set_params(ref, params);
    nin_net_set_input(dev, x, whole ? labels : NULL);
    nin_net_set_input(ref, x, whole ? labels : NULL);

    dev->step = 0;
    nin_net_forward(dev, 1);
    if (whole)
        nin_net_loss(dev, &(nin_metrics){ 0 });
    else
        nin_net_set_output_grad(dev, r);
    nin_net_backward(dev);
    nin_net_get_grads(dev, analytic);
    nin_net_get_input_grad(dev, analytic + n_params);

    for (size_t j = 0; j < n_params; j++)
        fd[j] = numeric(ref, params, j, 0, x, r, y, n_out, whole);
    for (size_t j = 0; j < n_in; j++)
        fd[n_params + j] = numeric(ref, x, j, 1, x, r, y, n_out, whole);
    if (n_params)
        assert_close("parameter gradient vs finite differences", analytic, fd, n_params, 2e-2);
    assert_close("input gradient vs finite differences", analytic + n_params, fd + n_params, n_in, 2e-2);
    free(x);
    free(r);
    free(y);
    free(params);
    free(analytic);
    free(fd);
    nin_net_free(dev);
    nin_net_free(ref);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gradcheck");
    TCase *tc = tcase_create("finite-differences");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_gradient_matches_finite_differences, 0, (int)(sizeof cases / sizeof cases[0]));
    suite_add_tcase(s, tc);
    return run_suite(s);
}
