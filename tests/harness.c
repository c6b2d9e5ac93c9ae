/* harness.c - shared test helpers. */
#include <stdlib.h>
#include "harness.h"

nin_context *test_context(void)
{
    static nin_context *ctx;
    if (!ctx) {
        const char *env = getenv("NIN_DEVICE");
        ctx = nin_context_create(env && *env ? atoi(env) : -1);
    }
    return ctx;
}

void random_fill(float *x, size_t n, uint64_t key)
{
    for (size_t i = 0; i < n; i++)
        x[i] = nin_random_normal(key, i);
}

nin_net *test_net(nin_context *ctx, const char *netdef, nin_shape input, int batch)
{
    nin_netdef def;
    char err[256];
    ck_assert_msg(nin_netdef_parse(netdef, &def, err, sizeof err) == 0, "%s", err);
    return nin_net_create(ctx, &def, input, batch, 1234, 0.0f);
}

void assert_close(const char *what, const float *got, const float *want, size_t n, double tol)
{
    double err = nin_rel_error(got, want, n);
    ck_assert_msg(err <= tol, "%s: relative error %.3g > %.1g over %zu values", what, err, tol, n);
}

int run_suite(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    srunner_set_fork_status(runner, CK_NOFORK);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
