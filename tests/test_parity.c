/* test_parity.c - PyTorch parity: a small NIN (two mlpconv blocks, ceil-mode max-pool, GAP, softmax) with
 * the fixed weights and input of tests/ref/nin_fixture.bin, and the same with batch norm in
 * tests/ref/nin_fixture_bn.bin (written by tests/ref/make_fixture.py with PyTorch in float64). The device
 * must reproduce the logits, the loss, every gradient, and the weights (with the running statistics) after
 * two SGD-momentum steps with weight decay, and then the evaluation-mode logits, each within a relative error
 * of 1e-4; so must the C reference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

#define MAX_RECORDS 16

typedef struct fixture {
    char netdef[129];
    int count;
    struct { char name[33]; uint32_t n; float *v; } rec[MAX_RECORDS];
} fixture;

static const char *const fixture_files[] = { "nin_fixture.bin", "nin_fixture_bn.bin" };
static fixture fx;

static void load_fixture(const char *name)
{
    char path[1024];
    const char *dir = getenv("NIN_FIXTURE_DIR");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/ref", name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char magic[8];
    uint32_t count;
    ck_assert(fread(magic, 8, 1, f) == 1 && memcmp(magic, "NINFIX01", 8) == 0);
    ck_assert(fread(fx.netdef, 128, 1, f) == 1);
    ck_assert(fread(&count, 4, 1, f) == 1 && count <= MAX_RECORDS);
    for (fx.count = 0; fx.count < (int)count; fx.count++) {
        ck_assert(fread(fx.rec[fx.count].name, 32, 1, f) == 1);
        ck_assert(fread(&fx.rec[fx.count].n, 4, 1, f) == 1 && fx.rec[fx.count].n < (1u << 24));
        fx.rec[fx.count].v = malloc(fx.rec[fx.count].n * sizeof(float));
        ck_assert(fread(fx.rec[fx.count].v, sizeof(float), fx.rec[fx.count].n, f) == fx.rec[fx.count].n);
    }
    fclose(f);
}

/* The fixture's record `name` of `expect` values (0: any); NULL when it has none. */
static const float *find_record(const char *name, size_t expect)
{
    for (int i = 0; i < fx.count; i++)
        if (strcmp(fx.rec[i].name, name) == 0) {
            ck_assert_msg(expect == 0 || fx.rec[i].n == expect, "%s has %u values, expected %zu", name,
                          fx.rec[i].n, expect);
            return fx.rec[i].v;
        }
    return NULL;
}

static const float *record(const char *name, size_t expect)
{
    const float *v = find_record(name, expect);
    ck_assert_msg(v != NULL, "fixture has no record %s", name);
    return v;
}

/* Run fixture `name`'s two training steps on `ctx` (NULL: the C reference) and compare every tensor. */
static void check_parity(nin_context *ctx, const char *name)
{
    load_fixture(name);
    const float *meta = record("meta", 8);
    int batch = (int)meta[0], classes = (int)meta[4];
    nin_shape input = { (int)meta[1], (int)meta[2], (int)meta[3] };
    nin_sgd sgd = { meta[5], meta[6], meta[7] };
    nin_net *net = test_net(ctx, fx.netdef, input, batch);
    size_t n = nin_net_param_count(net);
    ck_assert_int_eq(nin_net_output_shape(net).c, classes);
    int labels[64];
    const float *label_values = record("labels", batch);
    for (int i = 0; i < batch; i++)
        labels[i] = (int)label_values[i];
    float *got = malloc(n * sizeof *got);

    nin_net_set_params(net, record("params0", n));
    nin_net_set_input(net, record("input", nin_volume(input, batch)), labels);
    nin_net_forward(net, 1);
    nin_net_get_output(net, got);
    assert_close("logits", got, record("logits", (size_t)batch * classes), (size_t)batch * classes, 1e-4);
    nin_metrics m;
    ck_assert_int_eq(nin_net_loss(net, &m), 0);
    assert_close("loss", &m.loss, record("loss", 1), 1, 1e-4);
    nin_net_backward(net);
    nin_net_get_grads(net, got);
    assert_close("gradients", got, record("grads", n), n, 1e-4);
    nin_net_update(net, &sgd);
    nin_net_get_params(net, got);
    assert_close("parameters after step 1", got, record("params1", n), n, 1e-4);
    ck_assert_int_eq(nin_net_train_step(net, &sgd, &m), 0);
    nin_net_get_params(net, got);
    assert_close("parameters after step 2", got, record("params2", n), n, 1e-4);
    const float *eval_logits = find_record("eval_logits", (size_t)batch * classes);
    if (eval_logits) {
        nin_net_forward(net, 0);
        nin_net_get_output(net, got);
        assert_close("evaluation-mode logits", got, eval_logits, (size_t)batch * classes, 1e-4);
    }
    free(got);
    nin_net_free(net);
    for (int i = 0; i < fx.count; i++)
        free(fx.rec[i].v);
    fx.count = 0;
}

/* On the device with each kernel shape (cl/common.cl): plane for even _i, element for odd. */
START_TEST(test_device_matches_pytorch)
{
    nin_context *ctx = test_context();
    nin_gemm_tuning saved = nin_context_tuning(ctx), t = saved;
    for (int f = 0; f < NIN_KERNEL_FAMILIES; f++)
        t.shape[f] = _i % 2 ? NIN_SHAPE_ELEMENT : NIN_SHAPE_PLANE;
    nin_context_set_tuning(ctx, &t);
    check_parity(ctx, fixture_files[_i / 2]);
    nin_context_set_tuning(ctx, &saved);
}
END_TEST

START_TEST(test_reference_matches_pytorch) { check_parity(NULL, fixture_files[_i]); }
END_TEST

int main(void)
{
    Suite *s = suite_create("pytorch-parity");
    TCase *tc = tcase_create("parity");
    tcase_set_timeout(tc, 300);
    const int fixtures = (int)(sizeof fixture_files / sizeof fixture_files[0]);
    tcase_add_loop_test(tc, test_reference_matches_pytorch, 0, fixtures);
    tcase_add_loop_test(tc, test_device_matches_pytorch, 0, 2 * fixtures);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
