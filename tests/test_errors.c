/* test_errors.c - the library reports device errors instead of ending the process: an impossible buffer, a
 * kernel build failure, a kernel launched with the wrong argument count and a failure deep inside a step each
 * come back to the caller as -1 or NULL with one line in nin_last_error(), and the caller goes on with the
 * same context (or a new one) as if nothing had happened. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"

static void assert_error_contains(const char *want)
{
    const char *got = nin_last_error();
    ck_assert_msg(strstr(got, want) != NULL, "last error '%s' does not contain '%s'", got, want);
    ck_assert_msg(strchr(got, '\n') == NULL, "last error is more than one line: '%s'", got);
}

/* A network of `netdef` for a batch of 2 on ctx, with a random batch and labels loaded. */
static nin_net *loaded_net(nin_context *ctx, const char *netdef, nin_shape input)
{
    nin_netdef def;
    char err[256];
    ck_assert_int_eq(nin_netdef_parse(netdef, &def, err, sizeof err), 0);
    nin_net *net = nin_net_create(ctx, &def, input, 2, 1, 0.0f);
    ck_assert_msg(net != NULL, "%s", nin_last_error());
    size_t n = 2 * (size_t)input.c * input.h * input.w;
    float *x = malloc(n * sizeof *x);
    random_fill(x, n, 5);
    const int labels[2] = { 0, 2 };
    ck_assert_int_eq(nin_net_set_input(net, x, labels), 0);
    free(x);
    return net;
}

static const nin_sgd sgd = { 0.01f, 0.9f, 0.0f };

/* A small network still trains on ctx: the context survived whatever happened before. */
static void assert_context_usable(nin_context *ctx)
{
    nin_net *net = loaded_net(ctx, "4c3p1-mp2s2-3c1l-gap", (nin_shape){ 2, 6, 6 });
    nin_metrics m;
    ck_assert_int_eq(nin_net_train_step(net, &sgd, &m), 0);
    ck_assert(m.loss > 0.0f && m.loss < 10.0f);
    nin_net_free(net);
}

/* One buffer larger than the device's largest allocation: nin_net_create returns NULL naming the size and
 * the device; the memory budget refuses the same network beforehand with the batch that would fit. */
START_TEST(test_impossible_buffer)
{
    nin_context *ctx = test_context();
    const nin_device_info *dev = nin_context_device(ctx);
    nin_netdef def;
    char err[256];
    ck_assert_int_eq(nin_netdef_parse("64c1-10c1l-gap", &def, err, sizeof err), 0);
    /* 64 maps of 256x256 per image: a batch whose activation passes the largest single buffer */
    size_t per_image = (size_t)64 * 256 * 256 * sizeof(float);
    int batch = (int)(dev->max_alloc_bytes / per_image) + 1;
    ck_assert_int_lt(batch, 4096);
    nin_shape input = { 1, 256, 256 };
    ck_assert_int_eq(nin_budget_check(ctx, &def, input, batch), -1);
    assert_error_contains("the largest batch that fits is");
    nin_net *net = nin_net_create(ctx, &def, input, batch, 1, 0.0f);
    ck_assert_ptr_null(net);
    assert_error_contains("cannot allocate");
    assert_error_contains(dev->name);
    assert_context_usable(ctx);
}
END_TEST

/* A copy of the kernel sources with a syntax error in one file. */
static void write_broken_kernels(const char *dir)
{
    char src[1200], cmd[3000];
    ck_assert_ptr_nonnull(nin_find_kernel_dir(src, sizeof src));
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s'/*.cl '%s' && echo 'this is not OpenCL C;' >> '%s/gap.cl'",
             dir, src, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_kernel_build_failure)
{
    char dir[] = "/tmp/nin-errors-XXXXXX", cmd[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    write_broken_kernels(dir);
    nin_context *broken = nin_context_create_from(-1, dir);
    ck_assert_ptr_null(broken);
    assert_error_contains("clBuildProgram failed: CL_BUILD_PROGRAM_FAILURE");
    assert_error_contains(dir);
    /* the caller goes on: a context from the good sources works */
    nin_context *ctx = nin_context_create_from(-1, NULL);
    ck_assert_msg(ctx != NULL, "%s", nin_last_error());
    assert_context_usable(ctx);
    nin_context_free(ctx);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_missing_kernels)
{
    ck_assert_ptr_null(nin_context_create_from(-1, "/nonexistent/kernels"));
    assert_error_contains("cannot open kernel source /nonexistent/kernels/common.cl");
}
END_TEST

/* A launch with one argument too few is refused with the kernel's name and both counts, at the next status;
 * the context then runs the same kernel correctly. */
START_TEST(test_kernel_argument_count)
{
    nin_context *ctx = test_context();
    cl_mem buf = nin_buffer(ctx, 16 * sizeof(float));
    ck_assert_ptr_nonnull(buf);
    int first = 0, weights = 0;
    float lr = 0.1f, momentum = 0.9f, decay = 0.0f;
    NIN_RUN(ctx, "sgd_update", 16, 0, KARG(buf), KARG(buf), KARG(buf), KARG(first), KARG(weights), KARG(lr),
            KARG(momentum));
    ck_assert_int_eq(nin_context_finish(ctx), -1);
    assert_error_contains("kernel sgd_update takes 8 arguments, but 7 were given");
    ck_assert_int_eq(nin_context_status(ctx), 0);   /* reported once */
    NIN_RUN(ctx, "sgd_update", 16, 0, KARG(buf), KARG(buf), KARG(buf), KARG(first), KARG(weights), KARG(lr),
            KARG(momentum), KARG(decay));
    ck_assert_int_eq(nin_context_finish(ctx), 0);
    clReleaseMemObject(buf);
    assert_context_usable(ctx);
}
END_TEST

/* A device error in the middle of a step (here: a launch that fails inside a layer) ends that step with -1 and
 * the error's line; the network's next step runs. */
START_TEST(test_error_inside_a_step)
{
    nin_context *ctx = test_context();
    nin_net *net = loaded_net(ctx, "4c3p1-3c1l-gap", (nin_shape){ 2, 5, 5 });
    nin_metrics m;
    /* an invalid launch as a layer would enqueue it: a kernel that does not exist */
    int n = 1;
    NIN_RUN(ctx, "no_such_kernel", 1, 0, KARG(n));
    ck_assert_int_eq(nin_net_train_step(net, &sgd, &m), -1);
    assert_error_contains("no_such_kernel failed: CL_INVALID_KERNEL_NAME");
    ck_assert_int_eq(nin_net_train_step(net, &sgd, &m), 0);
    nin_net_free(net);
}
END_TEST

/* Misuse is an error too, not an exit. */
START_TEST(test_misuse)
{
    nin_context *ctx = test_context();
    nin_netdef def;
    char err[256];
    ck_assert_int_eq(nin_netdef_parse("3c1l-gap", &def, err, sizeof err), 0);
    nin_net *net = nin_net_create_inference(ctx, &def, (nin_shape){ 2, 3, 3 }, 1);
    ck_assert_ptr_nonnull(net);
    ck_assert_int_eq(nin_net_backward(net), -1);
    assert_error_contains("an inference network has no backward pass");
    float x[2 * 3 * 3] = { 0 };
    ck_assert_int_eq(nin_net_set_input(net, x, (const int[]){ 7 }), -1);
    assert_error_contains("label 7 of sample 0 is outside [0, 3)");
    ck_assert_int_eq(nin_net_get_layer_output(net, 9, x), -1);
    assert_error_contains("layer 9 is outside the network's 2 layers");
    ck_assert_int_eq(nin_net_layer_kind(net, 9), -1);
    nin_net_free(net);

    /* batch norm over one value per map (a batch of 1, a 1x1 map) trains nothing: refused; evaluated, it runs */
    ck_assert_int_eq(nin_netdef_parse("3c3b-3c1l-gap", &def, err, sizeof err), 0);
    net = nin_net_create(ctx, &def, (nin_shape){ 2, 3, 3 }, 1, 1, 0.0f);
    ck_assert_ptr_nonnull(net);
    ck_assert_int_eq(nin_net_set_input(net, x, (const int[]){ 1 }), 0);
    ck_assert_int_eq(nin_net_forward(net, 1), -1);
    assert_error_contains("layer 2 (batch norm) would normalise one value per map");
    ck_assert_int_eq(nin_net_forward(net, 0), 0);
    float scores[3];   /* reading them waits for the forward: no work is left in flight when the program ends */
    ck_assert_int_eq(nin_net_get_output(net, scores), 0);
    ck_assert(isfinite(scores[0]) && isfinite(scores[1]) && isfinite(scores[2]));
    nin_net_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("errors");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_impossible_buffer);
    tcase_add_test(tc, test_kernel_build_failure);
    tcase_add_test(tc, test_missing_kernels);
    tcase_add_test(tc, test_kernel_argument_count);
    tcase_add_test(tc, test_error_inside_a_step);
    tcase_add_test(tc, test_misuse);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
