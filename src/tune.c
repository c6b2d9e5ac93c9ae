/* tune.c - find the faster kernels for a device by measurement (`nin-cl tune`): CLBlast, with a random search
 * over its kernels' parameters, against nin-cl's own tiled GEMM with a coordinate search over its blocking,
 * timed on the GEMM shapes of one training step of
 * the caller's network, then written to the device's tuning file (tuning.c), which every later context
 * reads; and, for the other kernels, the plane shape against the element shape of each family (cl/common.cl),
 * timed by their profiling events over training steps of the network itself. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nin/netdef.h>
#include <nin/tune.h>
#include "runtime_impl.h"

/* B's leading dimension: the shape's own, else tight. */
static size_t b_ld(const nin_gemm_shape *g) { return g->ldb ? g->ldb : g->trans_b ? g->k : g->n; }

/* Seconds for the GEMMs with the context's current settings, the best of `repeats` passes after a warm-up
 * pass (first-use compilation, scratch allocation); a negative value when the device failed (its error is
 * then reported and cleared: the context goes on). With `each`, every GEMM is waited for and timed alone:
 * each[i] is the best time of shape i, and the result their sum. */
static double time_gemms(nin_context *ctx, const nin_gemm_shape *shapes, int count, int repeats, const cl_mem io[2],
                         double *each)
{
    double best = 0.0;
    for (int pass = 0; pass <= repeats; pass++) {
        if (nin_context_finish(ctx) != 0)
            return -1.0;
        double start = nin_now(), sum = 0.0;
        for (int i = 0; i < count; i++) {
            const nin_gemm_shape *g = &shapes[i];
            size_t lda = g->trans_a ? g->m : g->k, ldb = b_ld(g);
            double t0 = nin_now();
            nin_gemm(ctx, g->trans_a, g->trans_b, g->m, g->n, g->k, 1.0f, io[0], 0, lda, io[0], 0, ldb, 0.0f, io[1], 0,
                     g->n);
            if (each && nin_context_finish(ctx) != 0)
                return -1.0;
            if (each && (pass == 1 || (pass > 1 && nin_now() - t0 < each[i])))
                each[i] = nin_now() - t0;
            sum += each ? each[i] : 0.0;
        }
        if (nin_context_finish(ctx) != 0)
            return -1.0;
        double seconds = each ? sum : nin_now() - start;
        if (pass == 1 || (pass > 1 && seconds < best))
            best = seconds;
    }
    return best;
}

/* Coordinate search over the tiled GEMM's parameters, from the context's current values: each parameter in
 * turn takes the candidate with the fastest GEMMs while the others stay put. Returns the best time. */
static double tune_tiled(nin_context *ctx, const nin_gemm_shape *shapes, int count, const cl_mem io[2], FILE *log)
{
    ctx->tuning.backend = NIN_GEMM_TILED;
    double best = time_gemms(ctx, shapes, count, 2, io, NULL);
    for (int p = 0; p < NIN_TILED_PARAMS && best >= 0.0; p++) {
        int *field = nin_tiled_param_field(&ctx->tuning, p), chosen = *field;
        for (const int *c = nin_tiled_params[p].candidates; *c != NIN_TILED_END && best >= 0.0; c++) {
            if (*c == chosen)
                continue;
            *field = *c;
            double seconds = time_gemms(ctx, shapes, count, 2, io, NULL);
            if (seconds < 0.0)
                best = seconds;
            else if (seconds < best)
                best = seconds, chosen = *c;
        }
        *field = chosen;
        fprintf(log, "  %-15s %5d  (%.1f ms)\n", nin_tiled_params[p].name, chosen, best * 1e3);
    }
    return best;
}

/* --- CLBlast's kernel parameters: a seeded random search ----------------------------------------------------
 * The values each parameter is drawn from are those of CLBlast 1.5.3's own tuners (src/tuning/kernels/xgemm.hpp,
 * variation 2 for the Xgemm kernel GEMMK=0 and 12 for GEMMK=1; xgemm_direct.hpp, variation 2), in the order of
 * nin_clblast_param_name; a draw is kept when nin_clblast_valid accepts it on this device. Each kernel is
 * searched with every GEMM sent to it (GemmRoutine's XGEMM_MIN_INDIRECT_SIZE forced), from CLBlast's defaults
 * (the rows its database gives a device it does not know), then XGEMM_MIN_INDIRECT_SIZE is chosen from the
 * per-shape times of the two best, and the whole is measured against the parameters the context started with. */
typedef struct choice { int count; size_t v[5]; } choice;
static const choice xgemm_space[2][16] = {
    { {1, {0}}, {1, {1}}, {2, {16, 32}}, {1, {2}}, {3, {8, 16, 32}}, {3, {8, 16, 32}}, {4, {16, 32, 64, 128}},
      {3, {8, 16, 32}}, {3, {8, 16, 32}}, {4, {16, 32, 64, 128}}, {2, {0, 1}}, {2, {0, 1}}, {2, {0, 1}}, {2, {0, 1}},
      {4, {1, 2, 4, 8}}, {4, {1, 2, 4, 8}} },
    { {1, {1}}, {5, {1, 2, 4, 8, 16}}, {1, {1}}, {1, {1}}, {5, {2, 4, 8, 16, 32}}, {5, {2, 4, 8, 16, 32}},
      {5, {8, 16, 32, 64, 128}}, {5, {2, 4, 8, 16, 32}}, {5, {2, 4, 8, 16, 32}}, {5, {8, 16, 32, 64, 128}}, {1, {0}},
      {1, {0}}, {1, {0}}, {1, {0}}, {4, {1, 2, 4, 8}}, {4, {1, 2, 4, 8}} },
};
static const choice direct_space[10] = {
    {3, {2, 8, 16}}, {3, {8, 16, 32}}, {3, {8, 16, 32}}, {3, {8, 16, 32}}, {3, {8, 16, 32}}, {2, {0, 1}}, {2, {0, 1}},
    {4, {1, 2, 4, 8}}, {4, {1, 2, 4, 8}}, {4, {8, 16, 32, 64}},
};
/* CLBlast 1.5.3's defaults (src/database/kernels/xgemm/xgemm_32.hpp, xgemm_direct/xgemm_direct_32.hpp) */
static const size_t clblast_defaults[2][NIN_CLBLAST_PARAMS_MAX] = {
    { 0, 1, 32, 2, 8, 8, 32, 16, 16, 32, 1, 1, 0, 0, 4, 2 },
    { 2, 8, 8, 8, 8, 1, 1, 1, 1, 16 },
};
#define CLBLAST_SEED 20261130u
#define CLBLAST_DRAWS 100000   /* draws for one valid candidate at most */

typedef struct clblast_search {
    nin_context *ctx;
    const nin_gemm_shape *shapes;
    int count;
    const cl_mem *io;
    double flop;
    nin_clblast_limits limits;
    uint64_t draws;
    int tried, failed;
    FILE *log;
} clblast_search;

/* A random valid candidate of kernel k into v: 0, or -1 when none was found in CLBLAST_DRAWS draws. */
static int draw_candidate(clblast_search *s, int k, size_t *v)
{
    char why[160];
    for (int attempt = 0; attempt < CLBLAST_DRAWS; attempt++) {
        const choice *space = k == NIN_CLBLAST_DIRECT ? direct_space
                              : xgemm_space[nin_random_u32(CLBLAST_SEED, s->draws++) % 3 == 0];
        for (int p = 0; p < nin_clblast_param_count(k); p++)
            v[p] = space[p].v[nin_random_u32(CLBLAST_SEED, s->draws++) % space[p].count];
        if (nin_clblast_valid(k, v, &s->limits, why, sizeof why) == 0)
            return 0;
    }
    return -1;
}

/* Kernel k of CLBlast set to v: 0, or -1 with CLBlast's refusal in the last error. */
static int override_kernel(int k, cl_device_id device, const size_t *v)
{
    int status = nin_clblast_apply(device, k, v);
    return status ? nin_fail("CLBlastOverrideParameters(%s) failed: %s (%d)", nin_clblast_kernel_name(k),
                             nin_cl_error_name(status), status) : 0;
}

/* The GEMMs' seconds (per shape in each) with kernel k set to v; negative when CLBlast refused v or the GEMMs
 * failed (a kernel that does not build or run): the candidate is counted and skipped. */
static double try_candidate(clblast_search *s, int k, const size_t *v, double *each)
{
    s->tried++;
    double seconds = override_kernel(k, s->ctx->info.device, v) == 0
                     ? time_gemms(s->ctx, s->shapes, s->count, 1, s->io, each) : -1.0;
    s->failed += seconds < 0.0;
    return seconds;
}

static void log_params(FILE *log, int k, const size_t *v)
{
    for (int p = 0; p < nin_clblast_param_count(k); p++)
        fprintf(log, " %s=%zu", nin_clblast_param_name(k, p), v[p]);
    fputc('\n', log);
}

/* Kernel k searched until `until` (its first candidate, CLBlast's defaults, is always tried), with every GEMM
 * sent to it: the best values in best, their per-shape seconds in each; the best total, negative when every
 * candidate failed. */
static double search_kernel(clblast_search *s, int k, double until, size_t *best, double *each)
{
    size_t v[NIN_CLBLAST_PARAMS_MAX], route = k == NIN_CLBLAST_XGEMM ? 0 : NIN_CLBLAST_PARAM_MAX;
    double *times = nin_calloc(s->count, sizeof *times), fastest = -1.0;
    if (!times || override_kernel(NIN_CLBLAST_ROUTINE, s->ctx->info.device, &route) != 0) {
        free(times);
        return -1.0;
    }
    memcpy(v, clblast_defaults[k], sizeof v);
    for (int n = 0; n == 0 || (nin_now() < until && draw_candidate(s, k, v) == 0); n++) {
        double seconds = try_candidate(s, k, v, times);
        if (seconds < 0.0 || (fastest >= 0.0 && seconds >= fastest))
            continue;
        fastest = seconds;
        memcpy(best, v, sizeof v);
        memcpy(each, times, s->count * sizeof *each);
        fprintf(s->log, "  %-11s %7.1f GFLOPS%s", nin_clblast_kernel_name(k), s->flop / seconds * 1e-9,
                n == 0 ? " (CLBlast's defaults)" : "");
        log_params(s->log, k, v);
    }
    free(times);
    return fastest;
}

/* XGEMM_MIN_INDIRECT_SIZE: the GEMMs with m n k below its cube run XgemmDirect, the others Xgemm. Of every
 * value that splits the shapes differently, the one with the least time by the per-shape times of the two
 * kernels (negative totals: a kernel that always failed, never chosen). */
static size_t choose_route(const clblast_search *s, const double *indirect, double indirect_total,
                           const double *direct, double direct_total)
{
    size_t chosen = indirect_total >= 0.0 ? 0 : NIN_CLBLAST_PARAM_MAX;
    double least = indirect_total >= 0.0 ? indirect_total : direct_total;
    for (int c = 0; c < s->count && indirect_total >= 0.0 && direct_total >= 0.0; c++) {
        const nin_gemm_shape *g = &s->shapes[c];
        double size = (double)g->m * g->n * g->k, seconds = 0.0;
        size_t route = (size_t)cbrt(size) + 1;   /* the least value that sends shape c to XgemmDirect */
        while (route > 1 && (double)(route - 1) * (route - 1) * (route - 1) > size)
            route--;
        if (route > NIN_CLBLAST_PARAM_MAX)
            continue;
        for (int i = 0; i < s->count; i++) {
            const nin_gemm_shape *h = &s->shapes[i];
            seconds += (double)h->m * h->n * h->k < (double)route * route * route ? direct[i] : indirect[i];
        }
        if (seconds < least)
            least = seconds, chosen = route;
    }
    return chosen;
}

/* Every kernel of p that is set, handed to CLBlast: 0, or -1 with the error. */
static int apply_params(cl_device_id device, const nin_clblast_params *p)
{
    for (int k = 0; k < NIN_CLBLAST_KERNELS; k++)
        if (p->set[k] && override_kernel(k, device, p->values[k]) != 0)
            return -1;
    return 0;
}

/* The search, `budget` seconds (60 % Xgemm, the rest XgemmDirect) after the context's current parameters are
 * timed; keeps in ctx the faster of the two (CLBlast 1.5's C interface cannot read its own parameters back: when
 * the context had none from the tuning file and they stay faster, this process goes on with those found).
 * Returns the seconds of the GEMMs with what it kept, negative when the device failed. */
static double tune_clblast(clblast_search *s, double budget)
{
    nin_context *ctx = s->ctx;
    nin_clblast_params found = { { 1, 1, 1 }, { { 0 } } };
    double *indirect = nin_calloc(2 * (size_t)s->count, sizeof *indirect);   /* per shape, then direct's */
    double start = nin_now(), current = time_gemms(ctx, s->shapes, s->count, 1, s->io, NULL);
    if (!indirect || current < 0.0 || nin_clblast_device_limits(ctx->info.device, &s->limits) != 0) {
        free(indirect);
        return -1.0;
    }
    double *direct = indirect + s->count;
    fprintf(s->log, "CLBlast's kernel parameters, a random search of %.0f s:\n  current parameters %7.1f GFLOPS\n",
            budget, s->flop / current * 1e-9);
    double xgemm = search_kernel(s, NIN_CLBLAST_XGEMM, start + 0.6 * budget, found.values[NIN_CLBLAST_XGEMM], indirect);
    double xdirect = search_kernel(s, NIN_CLBLAST_DIRECT, start + budget, found.values[NIN_CLBLAST_DIRECT], direct);
    found.values[NIN_CLBLAST_ROUTINE][0] = choose_route(s, indirect, xgemm, direct, xdirect);
    found.set[NIN_CLBLAST_XGEMM] = xgemm >= 0.0, found.set[NIN_CLBLAST_DIRECT] = xdirect >= 0.0;
    double seconds = (xgemm >= 0.0 || xdirect >= 0.0) && apply_params(ctx->info.device, &found) == 0
                     ? time_gemms(ctx, s->shapes, s->count, 1, s->io, NULL) : -1.0;
    free(indirect);
    fprintf(s->log, "  GemmRoutine XGEMM_MIN_INDIRECT_SIZE=%zu\n  %d candidates in %.0f s, %d failed and skipped\n",
            found.values[NIN_CLBLAST_ROUTINE][0], s->tried, nin_now() - start, s->failed);
    if (seconds >= 0.0 && seconds < current) {
        ctx->tuning.clblast = found;
        fprintf(s->log, "  chose the parameters found: %.1f GFLOPS\n", s->flop / seconds * 1e-9);
        return seconds;
    }
    fprintf(s->log, "  kept the current parameters: those found reach %.1f GFLOPS\n",
            seconds >= 0.0 ? s->flop / seconds * 1e-9 : 0.0);
    return apply_params(ctx->info.device, &ctx->tuning.clblast) == 0 ? current : -1.0;
}

/* Seconds for the same GEMMs with OpenBLAS on the host: the yardstick of what the CPU can do. */
static double time_host_gemms(const nin_gemm_shape *shapes, int count, size_t floats)
{
    float *buf = nin_calloc(floats, sizeof *buf), *out = nin_calloc(floats, sizeof *out);
    double start = 0.0;
    for (int pass = 0; pass < 2 && buf && out; pass++) {
        if (pass == 1)
            start = nin_now();
        for (int i = 0; i < count; i++) {
            const nin_gemm_shape *g = &shapes[i];
            cblas_sgemm(CblasRowMajor, g->trans_a ? CblasTrans : CblasNoTrans, g->trans_b ? CblasTrans : CblasNoTrans,
                        (int)g->m, (int)g->n, (int)g->k, 1.0f, buf, (int)(g->trans_a ? g->m : g->k), buf,
                        (int)b_ld(g), 0.0f, out, (int)g->n);
        }
    }
    double seconds = buf && out ? nin_now() - start : 0.0;
    free(buf);
    free(out);
    return seconds;
}

/* Floats of the largest operand and the flop of all the GEMMs. */
static size_t largest_operand(const nin_gemm_shape *shapes, int count, double *flop)
{
    size_t floats = 0;
    *flop = 0.0;
    for (int i = 0; i < count; i++) {
        const nin_gemm_shape *g = &shapes[i];
        size_t sizes[3] = { g->m * g->k, (g->trans_b ? g->n : g->k) * b_ld(g), g->m * g->n };
        for (int s = 0; s < 3; s++)
            floats = floats > sizes[s] ? floats : sizes[s];
        *flop += 2.0 * g->m * g->n * g->k;
    }
    return floats;
}

/* Both GEMMs timed (seconds[backend]), CLBlast's parameters searched for `budget` seconds (none: 0), the faster
 * chosen in ctx: 0, or -1 with the device error. */
static int measure_backends(nin_context *ctx, const nin_gemm_shape *shapes, int count, size_t floats, double flop,
                            double budget, double seconds[2], FILE *log)
{
    /* A and B in one buffer (values do not matter), C in another, as the host's yardstick has them: a C written
     * over the B being read would time cache-line traffic that no training step has */
    cl_mem io[2] = { nin_buffer(ctx, floats * sizeof(float)), NULL };
    if (io[0])
        io[1] = nin_buffer(ctx, floats * sizeof(float));
    if (!io[1]) {
        if (io[0])
            clReleaseMemObject(io[0]);
        return -1;
    }
    nin_fill_zero(ctx, io[0], floats * sizeof(float));
    ctx->tuning.backend = NIN_GEMM_CLBLAST;
    clblast_search search = { ctx, shapes, count, io, flop, { 0, 0 }, 0, 0, 0, log };
    seconds[NIN_GEMM_CLBLAST] = budget > 0.0 ? tune_clblast(&search, budget)
                                             : time_gemms(ctx, shapes, count, 1, io, NULL);
    if (seconds[NIN_GEMM_CLBLAST] >= 0.0) {
        fprintf(log, "tiled GEMM parameters, one at a time:\n");
        seconds[NIN_GEMM_TILED] = tune_tiled(ctx, shapes, count, io, log);
    }
    clReleaseMemObject(io[0]);
    clReleaseMemObject(io[1]);
    if (seconds[NIN_GEMM_CLBLAST] < 0.0 || seconds[NIN_GEMM_TILED] < 0.0)
        return -1;
    ctx->tuning.backend = seconds[NIN_GEMM_TILED] < seconds[NIN_GEMM_CLBLAST] ? NIN_GEMM_TILED : NIN_GEMM_CLBLAST;
    return 0;
}

int nin_tune(nin_context *ctx, const nin_gemm_shape *shapes, int count, const char *what, double clblast_budget,
             FILE *log)
{
    double flop, seconds[2] = { 0.0, 0.0 };
    if (count <= 0)
        return nin_fail("nin_tune: no GEMM to measure");
    size_t floats = largest_operand(shapes, count, &flop);
    if (measure_backends(ctx, shapes, count, floats, flop, clblast_budget, seconds, log) != 0)
        return -1;
    const char *names[2] = { nin_gemm_backend_name(NIN_GEMM_CLBLAST), nin_gemm_backend_name(NIN_GEMM_TILED) };
    for (int b = 0; b < 2; b++)
        fprintf(log, "gemm %-8s %3d GEMMs of a training step: %8.1f ms, %6.1f GFLOPS\n", names[b], count,
                seconds[b] * 1e3, flop / seconds[b] * 1e-9);
    double host = time_host_gemms(shapes, count, floats);
    fprintf(log, "OpenBLAS on the host, the same GEMMs: %8.1f ms, %6.1f GFLOPS; %s reaches %.0f %% of it\n",
            host * 1e3, flop / host * 1e-9, names[ctx->tuning.backend], 100.0 * host / seconds[ctx->tuning.backend]);

    char path[1200], comment[1024];
    snprintf(comment, sizeof comment, "nin-cl tuning for %s, driver %s (%s)\nmeasured on the GEMMs of %s: clblast "
             "%.1f GFLOPS, tiled %.1f GFLOPS", ctx->info.name, ctx->info.driver, ctx->info.platform_name, what,
             flop / seconds[0] * 1e-9, flop / seconds[1] * 1e-9);
    if (nin_tuning_write(nin_tuning_path(&ctx->info, path, sizeof path), &ctx->tuning, comment) != 0)
        return -1;
    fprintf(log, "chose gemm %s; wrote %s\n", names[ctx->tuning.backend], path);
    return 0;
}

/* --- kernel shapes ------------------------------------------------------------------------------------- */

#define SHAPE_STEPS 3   /* profiled training steps per shape, after one unprofiled */

static void set_all_shapes(nin_context *ctx, nin_kernel_shape shape)
{
    for (int f = 0; f < NIN_KERNEL_FAMILIES; f++)
        ctx->tuning.shape[f] = shape;
}

/* seconds[f]: the device time of family f's kernels over SHAPE_STEPS training steps in one shape. */
static int time_shape(nin_context *ctx, nin_net *net, nin_kernel_shape shape, double seconds[NIN_KERNEL_FAMILIES])
{
    const nin_sgd sgd = { 1e-4f, 0.9f, 0.0f };
    nin_metrics m;
    set_all_shapes(ctx, shape);
    if (nin_net_train_step(net, &sgd, &m) != 0 || nin_profile_start(ctx) != 0)
        return -1;
    int status = 0;
    for (int s = 0; s < SHAPE_STEPS && status == 0; s++)
        status = nin_net_train_step(net, &sgd, &m);
    if (status == 0)
        status = nin_profile_family_seconds(ctx, seconds);
    return nin_profile_stop(ctx) == 0 ? status : -1;
}

/* A network with random images and labels set. */
static nin_net *random_net(nin_context *ctx, const nin_netdef *def, nin_shape input, int batch)
{
    nin_net *net = nin_net_create(ctx, def, input, batch, 1, 0.0f);
    size_t n_in = (size_t)batch * input.c * input.h * input.w;
    float *x = net ? nin_calloc(n_in, sizeof *x) : NULL;
    int *labels = x ? nin_calloc((size_t)batch, sizeof *labels) : NULL, status = labels ? 0 : -1;
    for (size_t i = 0; labels && i < n_in; i++)
        x[i] = nin_random_normal(5, i);
    for (int i = 0; labels && i < batch; i++)
        labels[i] = i % nin_net_output_shape(net).c;
    if (status == 0)
        status = nin_net_set_input(net, x, labels);
    free(x);
    free(labels);
    if (status != 0 && net) {
        nin_net_free(net);
        net = NULL;
    }
    return net;
}

int nin_tune_kernels(nin_context *ctx, const nin_netdef *def, nin_shape input, int batch, FILE *log)
{
    nin_gemm_tuning before = ctx->tuning;
    double seconds[2][NIN_KERNEL_FAMILIES];
    nin_net *net = random_net(ctx, def, input, batch);
    int shapes = ctx->element_ok ? 2 : 1, status = net ? 0 : -1;
    for (int shape = 0; shape < shapes && status == 0; shape++)
        status = time_shape(ctx, net, (nin_kernel_shape)shape, seconds[shape]);
    nin_net_free(net);
    ctx->tuning = before;
    if (status != 0)
        return -1;
    if (!ctx->element_ok)
        fprintf(log, "the device takes no work-groups of %d work-items: plane-shaped kernels only\n", NIN_GROUP);
    fprintf(log, "kernel shapes, ms per training step:  %8s %8s  chosen\n", "plane", "element");
    for (int f = 0; f < NIN_KERNEL_FAMILIES; f++) {
        double plane = seconds[0][f] * 1e3 / SHAPE_STEPS, element = shapes > 1 ? seconds[1][f] * 1e3 / SHAPE_STEPS : 0.0;
        if (plane == 0.0 && element == 0.0)   /* not in this network */
            continue;
        if (shapes > 1)
            ctx->tuning.shape[f] = element < plane ? NIN_SHAPE_ELEMENT : NIN_SHAPE_PLANE;
        fprintf(log, "  %-36s %8.2f %8.2f  %s\n", nin_kernel_family_name((nin_kernel_family)f), plane, element,
                nin_kernel_shape_name(ctx->tuning.shape[f]));
    }
    return 0;
}
