/* tune.c - find the faster kernels for a device by measurement (`nin-cl tune`): CLBlast against nin-cl's own
 * tiled GEMM with a coordinate search over its blocking, timed on the GEMM shapes of one training step of
 * the caller's network, then written to the device's tuning file (tuning.c), which every later context
 * reads; and, for the other kernels, the plane shape against the element shape of each family (cl/common.cl),
 * timed by their profiling events over training steps of the network itself. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nin/tune.h>
#include "runtime_impl.h"

/* Seconds for the GEMMs with the context's current settings, the best of `repeats` passes after a warm-up
 * pass (first-use compilation, scratch allocation); a negative value when the device failed. */
static double time_gemms(nin_context *ctx, const nin_gemm_shape *shapes, int count, int repeats, cl_mem buf)
{
    double best = 0.0;
    for (int pass = 0; pass <= repeats; pass++) {
        if (nin_context_finish(ctx) != 0)
            return -1.0;
        double start = nin_now();
        for (int i = 0; i < count; i++) {
            const nin_gemm_shape *g = &shapes[i];
            size_t lda = g->trans_a ? g->m : g->k, ldb = g->trans_b ? g->k : g->n;
            nin_gemm(ctx, g->trans_a, g->trans_b, g->m, g->n, g->k, 1.0f, buf, 0, lda, buf, 0, ldb, 0.0f, buf, 0, g->n);
        }
        if (nin_context_finish(ctx) != 0)
            return -1.0;
        double seconds = nin_now() - start;
        if (pass == 1 || (pass > 1 && seconds < best))
            best = seconds;
    }
    return best;
}

/* Coordinate search over the tiled GEMM's parameters, from the context's current values: each parameter in
 * turn takes the candidate with the fastest GEMMs while the others stay put. Returns the best time. */
static double tune_tiled(nin_context *ctx, const nin_gemm_shape *shapes, int count, cl_mem buf, FILE *log)
{
    ctx->tuning.backend = NIN_GEMM_TILED;
    double best = time_gemms(ctx, shapes, count, 2, buf);
    for (int p = 0; p < NIN_TILED_PARAMS && best >= 0.0; p++) {
        int *field = nin_tiled_param_field(&ctx->tuning, p), chosen = *field;
        for (const int *c = nin_tiled_params[p].candidates; *c && best >= 0.0; c++) {
            if (*c == chosen)
                continue;
            *field = *c;
            double seconds = time_gemms(ctx, shapes, count, 2, buf);
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
                        (int)(g->trans_b ? g->k : g->n), 0.0f, out, (int)g->n);
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
        size_t sizes[3] = { g->m * g->k, g->k * g->n, g->m * g->n };
        for (int s = 0; s < 3; s++)
            floats = floats > sizes[s] ? floats : sizes[s];
        *flop += 2.0 * g->m * g->n * g->k;
    }
    return floats;
}

/* Both GEMMs timed (seconds[backend]), the faster chosen in ctx: 0, or -1 with the device error. */
static int measure_backends(nin_context *ctx, const nin_gemm_shape *shapes, int count, size_t floats,
                            double seconds[2], FILE *log)
{
    cl_mem buf = nin_buffer(ctx, floats * sizeof(float));   /* A, B and C at once: values do not matter */
    if (!buf)
        return -1;
    nin_fill_zero(ctx, buf, floats * sizeof(float));
    ctx->tuning.backend = NIN_GEMM_CLBLAST;
    seconds[NIN_GEMM_CLBLAST] = time_gemms(ctx, shapes, count, 1, buf);
    if (seconds[NIN_GEMM_CLBLAST] >= 0.0) {
        fprintf(log, "tiled GEMM parameters, one at a time:\n");
        seconds[NIN_GEMM_TILED] = tune_tiled(ctx, shapes, count, buf, log);
    }
    clReleaseMemObject(buf);
    if (seconds[NIN_GEMM_CLBLAST] < 0.0 || seconds[NIN_GEMM_TILED] < 0.0)
        return -1;
    ctx->tuning.backend = seconds[NIN_GEMM_TILED] < seconds[NIN_GEMM_CLBLAST] ? NIN_GEMM_TILED : NIN_GEMM_CLBLAST;
    return 0;
}

int nin_tune(nin_context *ctx, const nin_gemm_shape *shapes, int count, const char *what, FILE *log)
{
    double flop, seconds[2] = { 0.0, 0.0 };
    if (count <= 0)
        return nin_fail("nin_tune: no GEMM to measure");
    size_t floats = largest_operand(shapes, count, &flop);
    if (measure_backends(ctx, shapes, count, floats, seconds, log) != 0)
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
