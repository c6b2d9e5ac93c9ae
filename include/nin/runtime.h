/* nin/runtime.h - OpenCL devices, the compute context and its GEMM tuning data.
 *
 * A context owns one device, its in-order queue and the compiled kernels of cl/. Errors are reported, never
 * acted on: a function that fails returns -1 or NULL with one line in nin_last_error(). Work enqueued on the
 * device fails asynchronously: the first failure is kept by the context, everything enqueued after it is
 * skipped, and the next call that returns a status reports it (nin_context_status, nin_net_*). */
#ifndef NIN_RUNTIME_H
#define NIN_RUNTIME_H

#include <stddef.h>
#include <stdio.h>
#include <nin/error.h>

typedef struct nin_device_info {
    int index;                /* position in the table printed by nin_print_devices */
    cl_platform_id platform;
    cl_device_id device;
    char platform_name[128];
    char name[128];
    cl_device_type type;
    cl_uint compute_units;
    cl_ulong global_mem_bytes;
    cl_ulong max_alloc_bytes; /* CL_DEVICE_MAX_MEM_ALLOC_SIZE: the largest single buffer */
    char version[128];        /* CL_DEVICE_VERSION */
    char driver[64];          /* CL_DRIVER_VERSION */
} nin_device_info;

/* All devices of all platforms, numbered in platform order: the count (0 when there is no OpenCL platform),
 * *devices malloc'ed; -1 when an OpenCL query fails. */
int nin_list_devices(nin_device_info **devices);
void nin_print_devices(FILE *out, const nin_device_info *devices, int count);
/* First GPU, else the first device. */
int nin_default_device(const nin_device_info *devices, int count);
/* "GPU", "CPU", "ACCEL" or "OTHER". */
const char *nin_device_type_name(cl_device_type type);

/* --- tuning data ---------------------------------------------------------------------------------------
 * Who computes GEMMs: CLBlast (the portable default), or nin-cl's own tiled kernel (cl/gemm.cl), which
 * `nin-cl tune` selects on devices where it is faster (CPUs under PoCL), with the tiled kernel's blocking.
 *
 * The other kernels come in two shapes (cl/common.cl): "plane", one work-item per image plane or long run of a
 * row with the loops inside (what a CPU runs fastest), and "element", one work-item per output value along the
 * contiguous dimension in work-groups with local-memory reductions (what a GPU needs). Each family of kernels
 * has its shape: without a tuning file a GPU gets "element" and any other device "plane"; `nin-cl tune` times
 * both on the network and keeps the faster. */
typedef enum nin_gemm_backend { NIN_GEMM_CLBLAST, NIN_GEMM_TILED } nin_gemm_backend;
typedef enum nin_kernel_family {
    NIN_KF_IM2COL, NIN_KF_COL2IM, NIN_KF_POOL, NIN_KF_BIAS_RELU, NIN_KF_BATCHNORM, NIN_KF_GAP, NIN_KF_DROPOUT,
    NIN_KF_SOFTMAX, NIN_KF_SGD, NIN_KERNEL_FAMILIES
} nin_kernel_family;
typedef enum nin_kernel_shape { NIN_SHAPE_PLANE, NIN_SHAPE_ELEMENT } nin_kernel_shape;

/* CLBlast's own GEMM parameters, as `nin-cl tune` found them (CLBlastOverrideParameters): for each of its kernels
 * (nin_clblast_kernel_name: Xgemm, XgemmDirect, and GemmRoutine, whose XGEMM_MIN_INDIRECT_SIZE sends the GEMMs
 * with m n k below its cube to XgemmDirect), set[k] = 0 keeps CLBlast's own (its database, else its defaults), 1
 * uses values[k], in the order of nin_clblast_param_name. */
#define NIN_CLBLAST_KERNELS 3
#define NIN_CLBLAST_PARAMS_MAX 16
typedef struct nin_clblast_params {
    int set[NIN_CLBLAST_KERNELS];
    size_t values[NIN_CLBLAST_KERNELS][NIN_CLBLAST_PARAMS_MAX];
} nin_clblast_params;
const char *nin_clblast_kernel_name(int kernel);
int nin_clblast_param_count(int kernel);
const char *nin_clblast_param_name(int kernel, int param);

typedef struct nin_gemm_tuning {
    nin_gemm_backend backend;
    int tile_rows;            /* tiled GEMM: rows of a tile of C (4, 6 or 8: what the vector registers hold) */
    int row_tiles;            /* tiled GEMM: tiles of C per work-item */
    int k_block;              /* tiled GEMM: k per block, so a block of a B panel stays in L1 */
    int block_n;              /* tiled GEMM: columns of a packed B packed at a time */
    int pack_b_rows;          /* tiled GEMM: an untransposed B is packed too when C has at least this many rows
                               * (the packing pass pays off over many rows); otherwise its whole 16-column strips
                               * are read in place */
    nin_kernel_shape shape[NIN_KERNEL_FAMILIES];   /* each family's kernels */
    nin_clblast_params clblast;   /* CLBlast's kernel parameters, applied when a context is created */
} nin_gemm_tuning;
#define NIN_GEMM_TILE_ROWS_DEFAULT 8
#define NIN_GEMM_ROW_TILES_DEFAULT 32
#define NIN_GEMM_K_BLOCK_DEFAULT 256
#define NIN_GEMM_BLOCK_N_DEFAULT 4096
#define NIN_GEMM_PACK_B_ROWS_DEFAULT 65536   /* never, in practice: what the tiled GEMM did before it was tuned */
#define NIN_GEMM_TUNING_MAX 65536   /* the largest value of a tiled parameter */

/* One GEMM's shape: row-major C[m x n] = op(A)[m x k] op(B)[k x n]; ldb, B's leading dimension where the caller's B
 * is part of a wider matrix (0: tight, n or k), since rows far apart in memory cost more to read in place. */
typedef struct nin_gemm_shape { int trans_a, trans_b; size_t m, n, k, ldb; } nin_gemm_shape;

/* CLBlast, with the tiled GEMM's defaults, and plane kernels: what a CPU without a tuning file gets. */
nin_gemm_tuning nin_gemm_tuning_default(void);
const char *nin_gemm_backend_name(nin_gemm_backend b);
/* "im2col", "col2im", "pool", "bias_relu", "batchnorm", "gap", "dropout", "softmax", "sgd"; "plane", "element". */
const char *nin_kernel_family_name(nin_kernel_family f);
const char *nin_kernel_shape_name(nin_kernel_shape s);
/* The tuning file of a device and driver: $NIN_TUNING_DIR/<device>--<driver>.tune (default
 * ~/.cache/nin-cl/tuning), so that a driver update re-tunes. */
const char *nin_tuning_path(const nin_device_info *dev, char *buf, size_t size);
/* Read a tuning file into t (no OpenCL call): 1 when read, 0 when there is none, -1 with one line in err
 * naming the file and line when malformed. */
int nin_tuning_read(const char *path, nin_gemm_tuning *t, char *err, size_t err_size);
/* Write t to path (creating its directory), with '#' comment lines from `comment`: 0, or -1 with the error. */
int nin_tuning_write(const char *path, const nin_gemm_tuning *t, const char *comment);

/* --- the context --------------------------------------------------------------------------------------- */
typedef struct nin_context nin_context;

/* Open device `index` (as numbered by nin_list_devices; -1 = the default), build (or load from the program
 * cache) the kernels and read the device's tuning file. NULL with the reason in nin_last_error(): no device,
 * no device `index`, kernel sources missing, a kernel build failure (with its build log), a bad tuning file. */
nin_context *nin_context_create(int index);
/* The same with the kernel sources of `kernel_dir` (NULL: $NIN_KERNEL_DIR, the source tree, the installed
 * copy). */
nin_context *nin_context_create_from(int index, const char *kernel_dir);
void nin_context_free(nin_context *ctx);

const nin_device_info *nin_context_device(const nin_context *ctx);
nin_gemm_tuning nin_context_tuning(const nin_context *ctx);
void nin_context_set_tuning(nin_context *ctx, const nin_gemm_tuning *t);
/* 1 when the kernels were compiled from source, 0 when they came from the program cache; the cache entry. */
int nin_context_programs_compiled(const nin_context *ctx);
const char *nin_context_program_cache(const nin_context *ctx);
/* What a failed device allocation adds to its message (the memory budget of the network being built). */
void nin_context_set_alloc_hint(nin_context *ctx, const char *hint);
/* Wait for everything enqueued; 0, or -1 with the first device error since the last report (then cleared). */
int nin_context_finish(nin_context *ctx);
/* The first device error since the last report, without waiting: 0, or -1 (then cleared). */
int nin_context_status(nin_context *ctx);

/* Directory holding the .cl sources: $NIN_KERNEL_DIR, else the source tree, else the installed copy;
 * NULL with the error when none holds them. */
const char *nin_find_kernel_dir(char *buf, size_t size);

/* Profiling: from nin_profile_start on, every kernel and GEMM is timed by its OpenCL event;
 * nin_profile_report waits for the queue and prints the time per kernel (and GFLOPS per GEMM shape). */
int nin_profile_start(nin_context *ctx);
int nin_profile_report(nin_context *ctx, FILE *out, int repeats);
/* Back to the unprofiled queue (what was not reported is dropped): 0, or -1 with the device error. */
int nin_profile_stop(nin_context *ctx);

#endif
