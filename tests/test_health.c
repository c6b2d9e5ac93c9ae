/* test_health.c - the training health monitor and its statistics on the C reference network (host only):
 * layer statistics of known activations, the stall made on purpose by a negative bias on the class layer,
 * the loss at chance and its recovery, a rising loss, the warm-up, NaN, a vanishing signal, --no-final-relu. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

/* A host network for `batch` random 1x8x8 images; loss and labels set. */
static nin_net *make_net(const char *netdef, int batch)
{
    nin_net *net = test_net(NULL, netdef, (nin_shape){ 1, 8, 8 }, batch);
    float *x = malloc((size_t)batch * 64 * sizeof *x);
    int *labels = malloc(batch * sizeof *labels);
    random_fill(x, (size_t)batch * 64, 7);
    for (int n = 0; n < batch; n++)
        labels[n] = n % nin_net_output_shape(net).c;
    nin_net_set_input(net, x, labels);
    free(x);
    free(labels);
    return net;
}

/* Set layer i's weights to `w` (times their init when scale is set) and its biases to `b`. */
static void set_layer(nin_net *net, int i, float w, int scale, float b)
{
    float *p = malloc(nin_net_param_count(net) * sizeof *p);
    nin_layer *l = &net->layers[i];
    nin_net_get_params(net, p);
    for (size_t j = 0; j < l->weights; j++)
        p[l->weight_off + j] = scale ? p[l->weight_off + j] * w : w;
    for (size_t j = 0; j < l->biases; j++)
        p[l->bias_off + j] = b;
    nin_net_set_params(net, p);
    free(p);
}

/* Feed `steps` steps of loss `loss` from step `first`; returns the first event other than OK (and its step). */
static nin_health_event feed(nin_health *h, nin_net *net, uint64_t first, int steps, float loss, uint64_t *at)
{
    for (int k = 0; k < steps; k++) {
        nin_health_event e = nin_health_step(h, net, first + k, loss, 0.07f);
        if (e != NIN_HEALTH_OK) {
            *at = first + k;
            return e;
        }
    }
    return NIN_HEALTH_OK;
}

/* A network whose class scores depend on the input, after one forward, and a monitor for it that needs a
 * symptom to last 10 steps after `warmup`. */
static nin_net *watched_net(nin_health *h, uint64_t warmup)
{
    nin_net *net = make_net("8c3p1-mp2-10c1l-gap", 8);
    nin_net_forward(net, 1);
    nin_health_init(h, 10, warmup, 10, NULL);
    return net;
}

START_TEST(test_layer_stats)
{
    /* class layer: zero weights, biases 0.5 and -1: map 0 is 0.5 everywhere, map 1 is dead */
    nin_net *net = make_net("4c3p1-2c1-gap", 3);
    set_layer(net, 1, 0.0f, 0, 0.0f);
    float *p = malloc(nin_net_param_count(net) * sizeof *p);
    nin_net_get_params(net, p);
    p[net->layers[1].bias_off] = 0.5f;
    p[net->layers[1].bias_off + 1] = -1.0f;
    nin_net_set_params(net, p);
    nin_net_forward(net, 0);
    nin_layer_stats s;
    ck_assert_int_eq(nin_net_layer_stats(net, 1, &s), 0);
    ck_assert(s.shape.c == 2 && s.shape.h == 8 && s.shape.w == 8 && s.maps == 2);
    ck_assert_int_eq(s.dead_maps, 1);
    ck_assert(fabs(s.mean - 0.25) < 1e-9 && fabs(s.std - 0.25) < 1e-9);
    ck_assert(s.min == 0.0 && s.max == 0.5 && s.zero_fraction == 0.5 && s.input_spread == 0.0);
    ck_assert(s.nonfinite == 0);
    /* the first layer depends on the input */
    ck_assert_int_eq(nin_net_layer_stats(net, 0, &s), 0);
    ck_assert(s.input_spread > 0.0 && s.dead_maps < 4);
    /* norms: layer 1's weights are 0, its biases (0.5, -1) */
    nin_layer_norms n;
    nin_net_layer_norms(net, 1, p, NULL, &n);
    ck_assert(n.weights == 0.0 && fabs(n.biases - sqrt(1.25)) < 1e-9 && n.weight_grads == 0.0);
    ck_assert_int_eq(nin_net_class_layer(net), 1);
    ck_assert_int_eq(nin_net_last_block_start(net), 0);
    free(p);
    nin_net_free(net);
}
END_TEST

/* The stall on purpose: a ReLU class layer with a large negative bias. Every class map is 0, the loss is exactly
 * ln(10), and the first check of the class maps (step 10) names the dead ReLU and the remedy. */
START_TEST(test_negative_bias_stall)
{
    nin_net *net = make_net("8c3p1-mp2-10c1-gap", 8);
    set_layer(net, 2, 1.0f, 1, -100.0f);
    nin_health h;
    nin_health_init(&h, 10, 0, 10, NULL);
    uint64_t at = 0;
    nin_health_event e = NIN_HEALTH_OK;
    for (uint64_t step = 1; step <= 30 && e == NIN_HEALTH_OK; step++) {
        nin_net_forward(net, 1);
        nin_metrics m;
        ck_assert_int_eq(nin_net_loss(net, &m), 0);
        ck_assert(fabsf(m.loss - logf(10.0f)) < 1e-6f);
        e = nin_health_step(&h, net, step, m.loss, 0.07f);
        at = step;
    }
    ck_assert_int_eq(e, NIN_HEALTH_DEAD);
    ck_assert_int_eq(at, 10);
    ck_assert_msg(strstr(h.message, "step 10: the class scores ignore the input") &&
                  strstr(h.message, "all 10 class maps are 0 on every image") &&
                  strstr(h.message, "--no-final-relu"), "%s", h.message);
    char diagnosis[1024];
    ck_assert_int_eq(nin_health_diagnose(net, logf(10.0f), 0.07f, diagnosis, sizeof diagnosis), 0);
    ck_assert_msg(strstr(diagnosis, "all 10 class maps are 0"), "%s", diagnosis);
    nin_net_free(net);
}
END_TEST

/* A healthy network at a loss of ln(10): the warning after stall_steps steps; it lifts when the loss moves. */
START_TEST(test_chance_and_recovery)
{
    nin_health h;
    nin_net *net = watched_net(&h, 0);
    uint64_t at = 0;
    ck_assert_int_eq(feed(&h, net, 1, 30, logf(10.0f) + 5e-4f, &at), NIN_HEALTH_CHANCE);
    ck_assert_int_eq(at, 10);
    ck_assert_msg(strstr(h.message, "step 10: the loss has stayed within 1e-3 of ln(10) = 2.3026 for 10 steps"),
                  "%s", h.message);
    ck_assert_int_eq(feed(&h, net, 11, 20, logf(10.0f) + 5e-4f, &at), NIN_HEALTH_OK);   /* once */
    ck_assert_int_eq(feed(&h, net, 31, 5, 1.5f, &at), NIN_HEALTH_RECOVERED);
    ck_assert_int_eq(at, 31);
    ck_assert_int_eq(feed(&h, net, 32, 50, 1.4f, &at), NIN_HEALTH_OK);
    nin_net_free(net);
}
END_TEST

/* A loss that jumps from 2 to 8 and stays: RISING once the average has been far above its best for
 * stall_steps steps: the average (over about 10 steps) passes 2 + max(1, 2) = 4 on the third step after the
 * jump, step 23, and has stayed above it for 10 steps at step 32. */
START_TEST(test_rising)
{
    nin_health h;
    nin_net *net = watched_net(&h, 0);
    uint64_t at = 0;
    ck_assert_int_eq(feed(&h, net, 1, 20, 2.0f, &at), NIN_HEALTH_OK);
    ck_assert_int_eq(feed(&h, net, 21, 40, 8.0f, &at), NIN_HEALTH_RISING);
    ck_assert_msg(at == 32, "warned at step %llu", (unsigned long long)at);
    ck_assert_msg(strstr(h.message, "the loss is rising") && strstr(h.message, "against a best of 2.0000") &&
                  strstr(h.message, "--lr"), "%s", h.message);
    nin_net_free(net);
}
END_TEST

/* Nothing before the end of the warm-up; NaN and Inf always. */
START_TEST(test_warmup_and_nonfinite)
{
    nin_health h;
    nin_net *net = watched_net(&h, 100);
    uint64_t at = 0;
    ck_assert_int_eq(feed(&h, net, 1, 99, logf(10.0f), &at), NIN_HEALTH_OK);
    ck_assert_int_eq(feed(&h, net, 100, 1, logf(10.0f), &at), NIN_HEALTH_CHANCE);
    ck_assert_int_eq(nin_health_step(&h, net, 101, NAN, 0.5f), NIN_HEALTH_NONFINITE);
    ck_assert_msg(strstr(h.message, "the loss became NaN at step 101: the learning rate 0.5 is too high"), "%s",
                  h.message);
    ck_assert_int_eq(nin_health_step(&h, net, 102, INFINITY, 0.5f), NIN_HEALTH_NONFINITE);
    ck_assert_msg(strstr(h.message, "became Inf"), "%s", h.message);
    float v[4] = { 1.0f, NAN, INFINITY, -2.0f };
    ck_assert_int_eq(nin_count_nonfinite(v, 4), 2);
    nin_net_free(net);
}
END_TEST

/* Weights a thousandth of the init in every layer: the class scores hardly depend on the input, and the
 * diagnosis says the signal vanishes (the init std is too small), not that units died. */
START_TEST(test_vanishing_signal)
{
    nin_net *net = make_net("8c3p1-8c1-8c1-10c1l-gap", 8);
    for (int i = 0; i < 4; i++)
        set_layer(net, i, 1e-3f, 1, 0.0f);
    nin_net_forward(net, 1);
    nin_metrics m;
    ck_assert_int_eq(nin_net_loss(net, &m), 0);
    char diagnosis[1024];
    ck_assert_int_eq(nin_health_diagnose(net, m.loss, 0.07f, diagnosis, sizeof diagnosis), 0);
    ck_assert_msg(strstr(diagnosis, "the signal vanishes through the layers") && strstr(diagnosis, "--init data"),
                  "%s", diagnosis);
    nin_net_free(net);
}
END_TEST

/* An inference network keeps only its last two layers' outputs: the statistics, the diagnosis and the
 * monitor refuse it with one line the caller gets back, and the caller goes on. */
START_TEST(test_refuses_inference_network)
{
    nin_netdef def;
    char err[256], diagnosis[1024];
    ck_assert(nin_netdef_parse("8c3p1-mp2-10c1l-gap", &def, err, sizeof err) == 0);
    nin_net *net = nin_net_create_inference(NULL, &def, (nin_shape){ 1, 8, 8 }, 2);
    ck_assert(net != NULL);
    nin_layer_stats s;
    ck_assert_int_eq(nin_net_layer_stats(net, 0, &s), -1);
    ck_assert_str_eq(nin_last_error(), "internal error: layer statistics of an inference network");
    ck_assert_int_eq(nin_net_layer_stats(net, 7, &s), -1);
    ck_assert_str_eq(nin_last_error(), "layer statistics: layer index 7 is out of range 0..3");
    ck_assert_int_eq(nin_health_diagnose(net, 1.0, 0.07f, diagnosis, sizeof diagnosis), -1);
    ck_assert_str_eq(diagnosis, "internal error: layer statistics of an inference network");
    nin_health h;
    nin_health_init(&h, 10, 0, 10, NULL);
    ck_assert_int_eq(nin_health_step(&h, net, 10, 1.0f, 0.07f), NIN_HEALTH_ERROR);
    ck_assert_str_eq(h.message, "internal error: layer statistics of an inference network");
    nin_net_free(net);
    nin_health h2;
    net = watched_net(&h2, 0);
    uint64_t at = 0;
    ck_assert_int_eq(feed(&h2, net, 1, 30, logf(10.0f), &at), NIN_HEALTH_CHANCE);
    nin_net_free(net);
}
END_TEST

START_TEST(test_no_final_relu)
{
    nin_netdef def;
    char err[256], out[256];
    ck_assert(nin_netdef_parse("8c3p1-mp2-10c1-gap", &def, err, sizeof err) == 0);
    ck_assert_int_eq(nin_netdef_no_final_relu(&def), 0);
    nin_netdef_format(&def, out, sizeof out);
    ck_assert_str_eq(out, "8c3p1-mp2s2-10c1l-gap");
    ck_assert(nin_netdef_parse("8c3p1-d0.5-10fc", &def, err, sizeof err) == 0);
    ck_assert_int_eq(nin_netdef_no_final_relu(&def), 0);
    nin_netdef_format(&def, out, sizeof out);
    ck_assert_str_eq(out, "8c3p1-d0.5-10fcl");
    ck_assert(nin_netdef_parse("mp2-gap", &def, err, sizeof err) == 0);
    ck_assert_int_eq(nin_netdef_no_final_relu(&def), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("health");
    TCase *tc = tcase_create("health");
    tcase_add_test(tc, test_layer_stats);
    tcase_add_test(tc, test_refuses_inference_network);
    tcase_add_test(tc, test_negative_bias_stall);
    tcase_add_test(tc, test_chance_and_recovery);
    tcase_add_test(tc, test_rising);
    tcase_add_test(tc, test_warmup_and_nonfinite);
    tcase_add_test(tc, test_vanishing_signal);
    tcase_add_test(tc, test_no_final_relu);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
