/* tuning.c - the per-device tuning file, read when a context is created and written by `nin-cl tune`.
 *
 * The file is $NIN_TUNING_DIR/<device>--<driver>.tune (default ~/.cache/nin-cl/tuning), keyed by the device
 * name and driver version so that a driver update re-tunes. Format: '#' comments and "key value" lines:
 * `gemm clblast|tiled` (which GEMM), and the tiled GEMM's parameters `gemm_row_tiles N` (8-row tiles of C per
 * work-item), `gemm_k_block N` (k per cache block), `gemm_block_n N` (columns of a transposed B packed at a
 * time); and CLBlast's kernel parameters, `clblast Xgemm|XgemmDirect|GemmRoutine NAME=VALUE ...` (clblast_params.c,
 * applied to the device when a context is created). It lives in the runtime, below the networks: reading it needs no network and no OpenCL call. */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime_impl.h"

static const char *const backend_names[] = { "clblast", "tiled" };

const char *nin_gemm_backend_name(nin_gemm_backend b) { return backend_names[b]; }

const nin_tiled_param nin_tiled_params[NIN_TILED_PARAMS] = {
    { "gemm_row_tiles", offsetof(nin_gemm_tuning, row_tiles), { 1, 4, 16, 32, 256, 0 } },
    { "gemm_k_block", offsetof(nin_gemm_tuning, k_block), { 64, 128, 256, 512, 4096, 0 } },
    { "gemm_block_n", offsetof(nin_gemm_tuning, block_n), { 512, 1024, 4096, 16384, 0 } },
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
    for (int p = 0; p < NIN_TILED_PARAMS; p++) {
        long v = strtol(value, &end, 10);
        if (strcmp(key, nin_tiled_params[p].name) == 0 && *end == '\0' && v >= 1 && v <= NIN_GEMM_TUNING_MAX) {
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
        status = nin_set_error(err, err_size, "%s:%d: expected 'gemm clblast|tiled' or 'gemm_row_tiles|"
                               "gemm_k_block|gemm_block_n N' (N in 1..%d), found '%.*s' (delete the file or run "
                               "nin-cl tune)", path, lineno, NIN_GEMM_TUNING_MAX, (int)strcspn(line, "\r\n"), line);
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
    nin_clblast_write(f, &t->clblast);
    if (fclose(f) != 0)
        return nin_fail("cannot write the tuning file %s: %s", path, strerror(errno));
    return 0;
}
