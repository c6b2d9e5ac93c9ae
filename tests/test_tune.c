/* test_tune.c - `nin-cl tune`'s search of CLBlast's kernel parameters (src/tune.c) and their lines in the tuning
 * file (src/clblast_params.c): a short search from a known starting point writes every kernel's line, a fresh
 * context applies them and CLBlast's GEMMs with them equal the plain loops, and parameters the device cannot run
 * are refused with the tuning file's name. A program of its own: CLBlast keeps parameters per device for the
 * whole process, so the other suites never see these. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "harness.h"
#include "runtime_impl.h"
#include <nin/tune.h>

static char dir[256];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "%s/nin-tune-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert(mkdtemp(dir) != NULL);
    setenv("NIN_TUNING_DIR", dir, 1);
}

static void remove_dir(void)
{
    char command[300];
    snprintf(command, sizeof command, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(command), 0);
}

/* The device's tuning file (in dir) holding `text`. */
static void write_tuning(const char *text)
{
    nin_device_info *devices;
    int count = nin_list_devices(&devices);
    ck_assert_int_gt(count, 0);
    const char *env = getenv("NIN_DEVICE");
    char path[1200];
    nin_tuning_path(&devices[env && *env ? atoi(env) : nin_default_device(devices, count)], path, sizeof path);
    free(devices);
    FILE *f = fopen(path, "w");
    ck_assert_msg(f && fputs(text, f) >= 0 && fclose(f) == 0, "cannot write %s", path);
}

static nin_context *open_context(void)
{
    const char *env = getenv("NIN_DEVICE");
    nin_context *ctx = nin_context_create(env && *env ? atoi(env) : -1);
    ck_assert_msg(ctx != NULL, "%s", nin_last_error());
    return ctx;
}

/* Non-default parameters that follow CLBlast's rules; XGEMM_MIN_INDIRECT_SIZE=64 sends the GEMMs with m n k below
 * 262144 to XgemmDirect, the others to Xgemm. */
#define HAND_XGEMM "clblast Xgemm GEMMK=0 KREG=1 KWG=16 KWI=2 MDIMA=16 MDIMC=16 MWG=64 NDIMB=8 NDIMC=8 NWG=32 SA=0 " \
                   "SB=1 STRM=1 STRN=0 VWM=2 VWN=4\n"
#define HAND_DIRECT "clblast XgemmDirect KWID=8 MDIMAD=16 MDIMCD=8 NDIMBD=8 NDIMCD=16 PADA=0 PADB=1 VWMD=2 VWND=1 " \
                    "WGD=32\n"
#define HAND_ROUTINE "clblast GemmRoutine XGEMM_MIN_INDIRECT_SIZE=64\n"
#define HAND_PARAMS "gemm clblast\n" HAND_XGEMM HAND_DIRECT HAND_ROUTINE

/* Odd sizes on both sides of XGEMM_MIN_INDIRECT_SIZE=64 (m n k = 29799 ... 851400). */
static const size_t sizes[][3] = { { 7, 33, 129 }, { 33, 200, 7 }, { 129, 7, 200 }, { 200, 33, 129 } };

/* CLBlast's GEMM with the context's parameters against nin_gemm_ref: every transpose combination on every size,
 * with alpha and beta. */
static void check_clblast_gemms(nin_context *ctx)
{
    ctx->tuning.backend = NIN_GEMM_CLBLAST;
    for (int s = 0; s < 4; s++)
        for (int t = 0; t < 4; t++) {
            int ta = t & 1, tb = t >> 1;
            size_t m = sizes[s][0], n = sizes[s][1], k = sizes[s][2], lda = ta ? m : k, ldb = tb ? k : n;
            float *a = malloc(m * k * sizeof *a), *b = malloc(k * n * sizeof *b), *c = malloc(m * n * sizeof *c);
            float *want = malloc(m * n * sizeof *want);
            random_fill(a, m * k, 20 + s), random_fill(b, k * n, 30 + s), random_fill(c, m * n, 40 + s);
            memcpy(want, c, m * n * sizeof *c);
            cl_mem da = nin_buffer(ctx, m * k * 4), db = nin_buffer(ctx, k * n * 4), dc = nin_buffer(ctx, m * n * 4);
            nin_write(ctx, da, 0, m * k * 4, a);
            nin_write(ctx, db, 0, k * n * 4, b);
            nin_write(ctx, dc, 0, m * n * 4, c);
            nin_gemm(ctx, ta, tb, m, n, k, 0.5f, da, 0, lda, db, 0, ldb, 0.25f, dc, 0, n);
            ck_assert_msg(nin_read(ctx, dc, 0, m * n * 4, c) == 0, "%s", nin_last_error());
            nin_gemm_ref(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 0.25f, want, n);
            char what[64];
            snprintf(what, sizeof what, "clblast %zux%zux%zu%s%s", m, n, k, ta ? " At" : "", tb ? " Bt" : "");
            assert_close(what, c, want, m * n, 1e-5);
            clReleaseMemObject(da), clReleaseMemObject(db), clReleaseMemObject(dc);
            free(a), free(b), free(c), free(want);
        }
}

/* A search of a second or so from the hand-written parameters: the file then holds a line for every kernel,
 * either those found (when faster, as the log says) or the hand-written ones; a fresh context applies them and
 * computes what the loops compute. */
START_TEST(test_search_and_apply)
{
    write_tuning(HAND_PARAMS);
    nin_context *ctx = open_context();
    ck_assert_int_eq(ctx->tuning.clblast.set[NIN_CLBLAST_XGEMM] + ctx->tuning.clblast.set[NIN_CLBLAST_DIRECT] +
                     ctx->tuning.clblast.set[NIN_CLBLAST_ROUTINE], 3);
    nin_clblast_params hand = ctx->tuning.clblast;
    const nin_gemm_shape shapes[] = { { 0, 0, 33, 40, 129 }, { 1, 1, 7, 33, 20 }, { 0, 1, 64, 64, 64 } };
    char *log = NULL;
    size_t log_size = 0;
    FILE *f = open_memstream(&log, &log_size);
    int status = nin_tune(ctx, shapes, 3, "the test's shapes", 1.0, f);
    fclose(f);
    ck_assert_msg(status == 0, "%s", nin_last_error());
    int chose_found = strstr(log, "  chose the parameters found: ") != NULL;
    ck_assert_msg(chose_found || strstr(log, "  kept the current parameters: "), "%s", log);
    ck_assert_msg(strstr(log, "  Xgemm ") && strstr(log, "  XgemmDirect "), "no kernel measured: %s", log);
    nin_clblast_params tuned = ctx->tuning.clblast;
    nin_context_free(ctx);
    free(log);

    nin_gemm_tuning read = nin_gemm_tuning_default();
    char path[1200], err[1600], text[4096];
    ctx = open_context();   /* a fresh context: it applies the file's parameters */
    nin_tuning_path(nin_context_device(ctx), path, sizeof path);
    ck_assert_int_eq(nin_tuning_read(path, &read, err, sizeof err), 1);
    FILE *file = fopen(path, "r");
    size_t length = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[length] = '\0';
    for (int k = 0; k < NIN_CLBLAST_KERNELS; k++) {
        char line[64];
        snprintf(line, sizeof line, "\nclblast %s ", nin_clblast_kernel_name(k));
        ck_assert_msg(strstr(text, line) != NULL, "no %s line in the tuning file:\n%s", line + 1, text);
        ck_assert_int_eq(read.clblast.set[k], 1);
        ck_assert_int_eq(ctx->tuning.clblast.set[k], 1);
        ck_assert(memcmp(read.clblast.values[k], tuned.values[k], sizeof tuned.values[k]) == 0);
        ck_assert(memcmp(ctx->tuning.clblast.values[k], tuned.values[k], sizeof tuned.values[k]) == 0);
    }
    if (!chose_found)
        ck_assert(memcmp(&tuned, &hand, sizeof hand) == 0);
    check_clblast_gemms(ctx);
    nin_context_free(ctx);
}
END_TEST

/* Parameters that follow CLBlast's rules but not this device's limits: the context is refused, naming the file. */
START_TEST(test_device_limits)
{
    nin_clblast_limits limits;
    nin_device_info *devices;
    int count = nin_list_devices(&devices);
    ck_assert_int_gt(count, 0);
    ck_assert_int_eq(nin_clblast_device_limits(devices[nin_default_device(devices, count)].device, &limits), 0);
    free(devices);
    char text[512];
    size_t side = 1;
    while (side * side <= limits.work_group)   /* a work-group of side x side, larger than the device's */
        side *= 2;
    snprintf(text, sizeof text, "clblast Xgemm GEMMK=0 KREG=1 KWG=%zu KWI=2 MDIMA=%zu MDIMC=%zu MWG=%zu NDIMB=%zu "
             "NDIMC=%zu NWG=%zu SA=0 SB=0 STRM=0 STRN=0 VWM=1 VWN=1\n", side, side, side, side, side, side, side);
    write_tuning(text);
    const char *env = getenv("NIN_DEVICE");
    ck_assert_ptr_null(nin_context_create(env && *env ? atoi(env) : -1));
    ck_assert_msg(strstr(nin_last_error(), ".tune: clblast Xgemm does not fit ") &&
                  strstr(nin_last_error(), ": the rule 'the work-group MDIMC*NDIMC fits the device's largest' is "
                                           "broken (delete the file or run nin-cl tune)"), "%s", nin_last_error());
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tune");
    TCase *tc = tcase_create("clblast");
    tcase_set_timeout(tc, 600);
    tcase_add_checked_fixture(tc, make_dir, remove_dir);
    tcase_add_test(tc, test_device_limits);
    tcase_add_test(tc, test_search_and_apply);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
