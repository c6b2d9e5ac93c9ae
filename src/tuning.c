/* tuning.c - the per-device tuning file, read when a context is created and written by `nin-cl tune`.
 *
 * The file is $NIN_TUNING_DIR/<device>--<driver>.tune (default ~/.cache/nin-cl/tuning), keyed by the device
 * name and driver version so that a driver update re-tunes. Format: '#' comments and "key value" lines:
 * `gemm clblast|tiled` (which GEMM), and the tiled GEMM's parameters `gemm_tile_rows 4|6|8` (rows of a tile
 * of C), `gemm_row_tiles N` (tiles of C per work-item), `gemm_k_block N` (k per cache block), `gemm_block_n N`
 * (columns of B packed at a time), `gemm_pack_b_rows N` (the rows of C from which an untransposed B is packed
 * too); `kernels_FAMILY plane|element`, the shape of each family of the other kernels (runtime.h; a file
 * without these lines keeps the device's default shapes); and CLBlast's kernel parameters, `clblast
 * Xgemm|XgemmDirect|GemmRoutine NAME=VALUE ...` (clblast_params.c, applied to the device when a context is
 * created). It lives in the runtime, below the networks: reading it needs no network and no OpenCL call. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime_impl.h"

static const char *const backend_names[] = { "clblast", "tiled" };
static const char *const shape_names[] = { "plane", "element" };

/* Each family's name and its plane-shaped kernels (the element-shaped ones add the suffix _el). */
static const struct { const char *name, *kernels; } families[NIN_KERNEL_FAMILIES] = {
    [NIN_KF_IM2COL] = { "im2col", "im2col" },
    [NIN_KF_COL2IM] = { "col2im", "col2im" },
    [NIN_KF_POOL] = { "pool", "maxpool_forward maxpool_backward avgpool_forward avgpool_backward" },
    [NIN_KF_BIAS_RELU] = { "bias_relu", "bias_relu_forward bias_relu_backward bias_grad_sum" },
    [NIN_KF_BATCHNORM] = { "batchnorm", "bn_moments bn_finish_moments bn_forward bn_backward_sums bn_param_grads "
                                        "bn_backward_input" },
    [NIN_KF_GAP] = { "gap", "gap_forward gap_backward" },
    [NIN_KF_DROPOUT] = { "dropout", "dropout_apply" },
    [NIN_KF_SOFTMAX] = { "softmax", "softmax_xent metrics_sum" },
    [NIN_KF_SGD] = { "sgd", "sgd_update" },
};

const char *nin_gemm_backend_name(nin_gemm_backend b) { return backend_names[b]; }
const char *nin_kernel_family_name(nin_kernel_family f) { return families[f].name; }
const char *nin_kernel_shape_name(nin_kernel_shape s) { return shape_names[s]; }

int nin_kernel_family_of(const char *kernel)
{
    size_t length = strlen(kernel);
    if (length > 3 && strcmp(kernel + length - 3, "_el") == 0)
        length -= 3;
    for (int f = 0; f < NIN_KERNEL_FAMILIES; f++)
        for (const char *k = families[f].kernels; *k; k += strspn(k, " ")) {
            size_t word = strcspn(k, " ");
            if (word == length && strncmp(k, kernel, length) == 0)
                return f;
            k += word;
        }
    return -1;
}

const nin_tiled_param nin_tiled_params[NIN_TILED_PARAMS] = {
    { "gemm_tile_rows", offsetof(nin_gemm_tuning, tile_rows), { 8, 6, 4, NIN_TILED_END }, 1 },
    { "gemm_row_tiles", offsetof(nin_gemm_tuning, row_tiles), { 1, 4, 16, 32, 256, NIN_TILED_END }, 0 },
    { "gemm_k_block", offsetof(nin_gemm_tuning, k_block), { 64, 128, 256, 512, 4096, NIN_TILED_END }, 0 },
    { "gemm_block_n", offsetof(nin_gemm_tuning, block_n), { 512, 1024, 4096, 16384, NIN_TILED_END }, 0 },
    { "gemm_pack_b_rows", offsetof(nin_gemm_tuning, pack_b_rows), { 65536, 2048, 512, 128, 1, NIN_TILED_END }, 0 },
};

int *nin_tiled_param_field(nin_gemm_tuning *t, int p) { return (int *)((char *)t + nin_tiled_params[p].offset); }

const char *nin_tuning_path(const nin_device_info *dev, char *buf, size_t size)
{
    const char *dir = getenv("NIN_TUNING_DIR"), *home = getenv("HOME");
    char key[200];
    snprintf(key, sizeof key, "%s--%s", dev->name, dev->driver);
    for (char *p = key; *p; p++)   /* a file name: letters, digits, '.', '-', '_' */
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' && *p != '_')
            *p = '_';
    if (dir && *dir)
        snprintf(buf, size, "%s/%s.tune", dir, key);
    else
        snprintf(buf, size, "%s/.cache/nin-cl/tuning/%s.tune", home && *home ? home : ".", key);
    return buf;
}

int nin_tiled_param_valid(int p, long v)
{
    if (!nin_tiled_params[p].only_candidates)
        return v >= 1 && v <= NIN_GEMM_TUNING_MAX;
    for (const int *c = nin_tiled_params[p].candidates; *c != NIN_TILED_END; c++)
        if (*c == v)
            return 1;
    return 0;
}

/* One "key value" line into t: 1 when it is a known key with a valid value. */
static int read_tuning_line(const char *line, nin_gemm_tuning *t)
{
    char key[64], value[64], extra[2], *end;
    int fields = sscanf(line, "%63s %63s %1s", key, value, extra);
    if (fields != 2)
        return 0;
    for (int b = 0; b < 2; b++)
        if (strcmp(key, "gemm") == 0 && strcmp(value, backend_names[b]) == 0) {
            t->backend = (nin_gemm_backend)b;
            return 1;
        }
    for (int f = 0; f < NIN_KERNEL_FAMILIES; f++)
        for (int shape = 0; shape < 2; shape++)
            if (strncmp(key, "kernels_", 8) == 0 && strcmp(key + 8, families[f].name) == 0 &&
                strcmp(value, shape_names[shape]) == 0) {
                t->shape[f] = (nin_kernel_shape)shape;
                return 1;
            }
    for (int p = 0; p < NIN_TILED_PARAMS; p++) {
        long v = strtol(value, &end, 10);
        if (strcmp(key, nin_tiled_params[p].name) == 0 && *end == '\0' && nin_tiled_param_valid(p, v)) {
            *nin_tiled_param_field(t, p) = (int)v;
            return 1;
        }
    }
    return 0;
}

int nin_tuning_read(const char *path, nin_gemm_tuning *t, char *err, size_t err_size)
{
    char line[1024], why[256];
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int lineno = 0, status = 1;
    while (status == 1 && fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
            continue;
        int clblast = nin_clblast_read_line(line, &t->clblast, why, sizeof why);
        if (clblast < 0)
            status = nin_set_error(err, err_size, "%s:%d: %s, found '%.*s' (delete the file or run nin-cl tune)", path,
                                   lineno, why, (int)strcspn(line, "\r\n"), line);
        if (clblast != 0 || read_tuning_line(line, t))
            continue;
        status = nin_set_error(err, err_size, "%s:%d: expected 'gemm clblast|tiled', 'gemm_tile_rows 4|6|8', "
                               "'gemm_row_tiles|gemm_k_block|gemm_block_n|gemm_pack_b_rows N' (N in 1..%d) or 'kernels_FAMILY plane|element', found "
                               "'%.*s' (delete the file or run nin-cl tune)", path, lineno, NIN_GEMM_TUNING_MAX,
                               (int)strcspn(line, "\r\n"), line);
    }
    fclose(f);
    return status;
}

int nin_tuning_write(const char *path, const nin_gemm_tuning *t, const char *comment)
{
    char dir[1200], err[1400];
    snprintf(dir, sizeof dir, "%.*s", strrchr(path, '/') ? (int)(strrchr(path, '/') - path) : 1,
             strrchr(path, '/') ? path : ".");
    if (nin_make_dirs(dir, err, sizeof err) != 0)
        return nin_fail("tuning file: %s", err);
    FILE *f = fopen(path, "w");
    if (!f)
        return nin_fail("cannot write the tuning file %s: %s", path, strerror(errno));
    for (const char *line = comment; line && *line;) {
        size_t length = strcspn(line, "\n");
        fprintf(f, "# %.*s\n", (int)length, line);
        line += length + (line[length] == '\n');
    }
    fprintf(f, "gemm %s\n", backend_names[t->backend]);
    for (int p = 0; p < NIN_TILED_PARAMS; p++)
        fprintf(f, "%s %d\n", nin_tiled_params[p].name, *nin_tiled_param_field((nin_gemm_tuning *)t, p));
    for (int k = 0; k < NIN_KERNEL_FAMILIES; k++)
        fprintf(f, "kernels_%s %s\n", families[k].name, shape_names[t->shape[k]]);
    nin_clblast_write(f, &t->clblast);
    if (fclose(f) != 0)
        return nin_fail("cannot write the tuning file %s: %s", path, strerror(errno));
    return 0;
}
