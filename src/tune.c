/* tune.c - per-device tuning data: which GEMM implementation is faster on this device for the network's
 * actual GEMM shapes, found by measurement (`nin-cl tune`) and loaded when a context is created.
 *
 * The file is $NIN_TUNING_DIR/<device>--<driver>.tune (default ~/.cache/nin-cl/tuning), keyed by the device
 * name and driver version so that a driver update re-tunes. Format: '#' comments and "key value" lines:
 * `gemm clblast|tiled` (which GEMM), and the tiled GEMM's parameters `gemm_row_tiles N` (8-row tiles of C per
 * work-item), `gemm_k_block N` (k per cache block), `gemm_block_n N` (columns of a transposed B packed at a
 * time), each found by measuring the network's GEMMs. */
#include <cblas.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <nin/net.h>
#include <nin/runtime.h>
#include "layer.h"

static const char *const backend_names[] = { "clblast", "tiled" };

const char *nin_gemm_backend_name(nin_gemm_backend b) { return backend_names[b]; }

const char *nin_tuning_path(const nin_context *ctx, char *buf, size_t size)
{
    const char *dir = getenv("NIN_TUNING_DIR"), *home = getenv("HOME");
    char key[200];
    snprintf(key, sizeof key, "%s--%s", ctx->info.name, ctx->info.driver);
    for (char *p = key; *p; p++)   /* a file name: letters, digits, '.', '-', '_' */
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
            *p = '_';
    if (dir && *dir)
        snprintf(buf, size, "%s/%s.tune", dir, key);
    else
        snprintf(buf, size, "%s/.cache/nin-cl/tuning/%s.tune", home && *home ? home : ".", key);
    return buf;
}

/* The tiled GEMM's tunable parameters: name in the tuning file, field of the context, candidates the tuner tries. */
static const struct tiled_param {
    const char *name;
    size_t offset;
    int candidates[6];
} tiled_params[] = {
    { "gemm_row_tiles", offsetof(nin_context, gemm_row_tiles), { 1, 4, 16, 32, 256, 0 } },
    { "gemm_k_block", offsetof(nin_context, gemm_k_block), { 64, 128, 256, 512, 4096, 0 } },
    { "gemm_block_n", offsetof(nin_context, gemm_block_n), { 512, 1024, 4096, 16384, 0 } },
};
#define TILED_PARAMS (int)(sizeof tiled_params / sizeof tiled_params[0])
#define TILED_PARAM_MAX 65536

static int *param_field(nin_context *ctx, int p) { return (int *)((char *)ctx + tiled_params[p].offset); }

int nin_tuning_read(const char *path, nin_context *ctx, char *err, size_t err_size)
{
    char line[1024];
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int lineno = 0, status = 1;
    while (status == 1 && fgets(line, sizeof line, f)) {
        lineno++;
        char key[64], value[64], extra[2], *end;
        if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
            continue;
        int fields = sscanf(line, "%63s %63s %1s", key, value, extra), known = 0;
        if (fields == 2 && strcmp(key, "gemm") == 0 && strcmp(value, "clblast") == 0)
            ctx->gemm = NIN_GEMM_CLBLAST, known = 1;
        else if (fields == 2 && strcmp(key, "gemm") == 0 && strcmp(value, "tiled") == 0)
            ctx->gemm = NIN_GEMM_TILED, known = 1;
        for (int p = 0; p < TILED_PARAMS && fields == 2 && !known; p++) {
            long v = strtol(value, &end, 10);
            if (strcmp(key, tiled_params[p].name) == 0 && *end == '\0' && v >= 1 && v <= TILED_PARAM_MAX)
                *param_field(ctx, p) = (int)v, known = 1;
        }
        if (!known)
            status = nin_set_error(err, err_size, "%s:%d: expected 'gemm clblast|tiled' or 'gemm_row_tiles|"
                                   "gemm_k_block|gemm_block_n N' (N in 1..%d), found '%.*s' (delete the file or run "
                                   "nin-cl tune)", path, lineno, TILED_PARAM_MAX, (int)strcspn(line, "\r\n"), line);
    }
    fclose(f);
    return status;
}

int nin_tuning_load(nin_context *ctx)
{
    char path[1200], err[1600];
    int status = nin_tuning_read(nin_tuning_path(ctx, path, sizeof path), ctx, err, sizeof err);
    if (status < 0)
        nin_fatal("%s", err);
    return status;
}

/* Seconds for one training step's GEMMs of `net` with the context's current GEMM settings, the best of
 * `repeats` passes after a warm-up pass (first-use compilation, scratch allocation). */
static double time_gemms(nin_context *ctx, const nin_net_gemm *shapes, int count, int repeats, cl_mem buf)
{
    double best = 0.0;
    for (int pass = 0; pass <= repeats; pass++) {
        CL_CHECK(clFinish(ctx->queue));
        double start = nin_now();
        for (int i = 0; i < count; i++) {
            const nin_net_gemm *g = &shapes[i];
            size_t lda = g->trans_a ? g->m : g->k, ldb = g->trans_b ? g->k : g->n;
            nin_gemm(ctx, g->trans_a, g->trans_b, g->m, g->n, g->k, 1.0f, buf, 0, lda, buf, 0, ldb, 0.0f, buf, 0, g->n);
        }
        CL_CHECK(clFinish(ctx->queue));
        double seconds = nin_now() - start;
        if (pass == 1 || (pass > 1 && seconds < best))
            best = seconds;
    }
    return best;
}

/* Coordinate search over the tiled GEMM's parameters, from the context's current values: each parameter in
 * turn takes the candidate with the fastest GEMMs while the others stay put. Returns the best time. */
static double tune_tiled(nin_context *ctx, const nin_net_gemm *shapes, int count, cl_mem buf, FILE *log)
{
    ctx->gemm = NIN_GEMM_TILED;
    double best = time_gemms(ctx, shapes, count, 2, buf);
    for (int p = 0; p < TILED_PARAMS; p++) {
        int *field = param_field(ctx, p), chosen = *field;
        for (const int *c = tiled_params[p].candidates; *c; c++) {
            if (*c == chosen)
                continue;
            *field = *c;
            double seconds = time_gemms(ctx, shapes, count, 2, buf);
            if (seconds < best)
                best = seconds, chosen = *c;
        }
        *field = chosen;
        fprintf(log, "  %-15s %5d  (%.1f ms)\n", tiled_params[p].name, chosen, best * 1e3);
    }
    return best;
}

/* Seconds for the same GEMMs with OpenBLAS on the host: the yardstick of what the CPU can do. */
static double time_host_gemms(const nin_net_gemm *shapes, int count, size_t floats)
{
    float *buf = nin_calloc(floats, sizeof *buf), *out = nin_calloc(floats, sizeof *out);
    double start = 0.0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            start = nin_now();
        for (int i = 0; i < count; i++) {
            const nin_net_gemm *g = &shapes[i];
            cblas_sgemm(CblasRowMajor, g->trans_a ? CblasTrans : CblasNoTrans, g->trans_b ? CblasTrans : CblasNoTrans,
                        (int)g->m, (int)g->n, (int)g->k, 1.0f, buf, (int)(g->trans_a ? g->m : g->k), buf,
                        (int)(g->trans_b ? g->k : g->n), 0.0f, out, (int)g->n);
        }
    }
    double seconds = nin_now() - start;
    free(buf);
    free(out);
    return seconds;
}

int nin_tune(nin_context *ctx, const nin_netdef *def, nin_shape input, int batch, FILE *log)
{
    char err[1400];
    nin_net *net = nin_net_plan(def, input, batch, err, sizeof err);   /* only for its GEMM shapes */
    if (!net)
        nin_fatal("%s", err);
    nin_net_gemm shapes[3 * NIN_MAX_LAYERS];
    int count = nin_net_gemm_shapes(net, shapes, 3 * NIN_MAX_LAYERS);
    free(net);
    size_t floats = 0;
    double flop = 0.0;
    for (int i = 0; i < count; i++) {
        size_t biggest = shapes[i].m * shapes[i].k;
        if (shapes[i].k * shapes[i].n > biggest) biggest = shapes[i].k * shapes[i].n;
        if (shapes[i].m * shapes[i].n > biggest) biggest = shapes[i].m * shapes[i].n;
        floats = floats > biggest ? floats : biggest;
        flop += 2.0 * shapes[i].m * shapes[i].n * shapes[i].k;
    }
    /* one buffer serves as A, B and C: the values do not matter for timing */
    cl_mem buf = nin_buffer(ctx, floats * sizeof(float));
    nin_fill_zero(ctx, buf, floats * sizeof(float));
    double seconds[2];
    ctx->gemm = NIN_GEMM_CLBLAST;
    seconds[NIN_GEMM_CLBLAST] = time_gemms(ctx, shapes, count, 1, buf);
    fprintf(log, "tiled GEMM parameters, one at a time:\n");
    seconds[NIN_GEMM_TILED] = tune_tiled(ctx, shapes, count, buf, log);
    for (int b = 0; b < 2; b++)
        fprintf(log, "gemm %-8s %3d GEMMs of a training step: %8.1f ms, %6.1f GFLOPS\n", backend_names[b], count,
                seconds[b] * 1e3, flop / seconds[b] * 1e-9);
    clReleaseMemObject(buf);
    ctx->gemm = seconds[NIN_GEMM_TILED] < seconds[NIN_GEMM_CLBLAST] ? NIN_GEMM_TILED : NIN_GEMM_CLBLAST;
    double host = time_host_gemms(shapes, count, floats);
    fprintf(log, "OpenBLAS on the host, the same GEMMs: %8.1f ms, %6.1f GFLOPS; %s reaches %.0f %% of it\n",
            host * 1e3, flop / host * 1e-9, backend_names[ctx->gemm], 100.0 * host / seconds[ctx->gemm]);

    char path[1200], dir[1200];
    nin_tuning_path(ctx, path, sizeof path);
    snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(path, '/') - path), path);
    if (nin_make_dirs(dir, err, sizeof err) != 0)
        nin_fatal("tuning file: %s", err);
    FILE *f = fopen(path, "w");
    if (!f)
        nin_fatal("cannot write the tuning file %s: %s", path, strerror(errno));
    fprintf(f, "# nin-cl tuning for %s, driver %s (%s)\n", ctx->info.name, ctx->info.driver, ctx->info.platform_name);
    fprintf(f, "# measured on the GEMMs of one training step, batch %d: clblast %.1f GFLOPS, tiled %.1f GFLOPS\n",
            batch, flop / seconds[0] * 1e-9, flop / seconds[1] * 1e-9);
    fprintf(f, "gemm %s\n", backend_names[ctx->gemm]);
    for (int p = 0; p < TILED_PARAMS; p++)
        fprintf(f, "%s %d\n", tiled_params[p].name, *param_field(ctx, p));
    if (fclose(f) != 0)
        nin_fatal("cannot write the tuning file %s: %s", path, strerror(errno));
    fprintf(log, "chose gemm %s; wrote %s\n", backend_names[ctx->gemm], path);
    return 0;
}
