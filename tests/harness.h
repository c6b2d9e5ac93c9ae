/* harness.h - what the Check suites share: one OpenCL context per test program, random data, and
 * running the same netdef on the device and on the C reference. */
#ifndef NIN_TEST_HARNESS_H
#define NIN_TEST_HARNESS_H

#include <check.h>
#include <nin/nin.h>
#include "layer.h"

/* The device the tests run on ($NIN_DEVICE, else the default): created once, shared by every test. */
nin_context *test_context(void);

void random_fill(float *x, size_t n, uint64_t key);
nin_net *test_net(nin_context *ctx, const char *netdef, nin_shape input, int batch);

/* Assert nin_rel_error(got, want, n) <= tol, naming what was compared. */
void assert_close(const char *what, const float *got, const float *want, size_t n, double tol);

/* Run a Check suite without forking (an OpenCL context does not survive fork) and return the exit code. */
int run_suite(Suite *suite);

#endif
