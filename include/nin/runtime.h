/* nin/runtime.h - OpenCL devices, the compute context, kernels and GEMM. */
#ifndef NIN_RUNTIME_H
#define NIN_RUNTIME_H

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

/* All devices of all platforms, numbered in platform order. Returns the count; *devices is malloc'ed. */
int nin_list_devices(nin_device_info **devices);
void nin_print_devices(FILE *out, const nin_device_info *devices, int count);
/* First GPU, else the first device. */
int nin_default_device(const nin_device_info *devices, int count);
/* "GPU", "CPU", "ACCEL" or "OTHER". */
const char *nin_device_type_name(cl_device_type type);

typedef struct nin_kernel_cache nin_kernel_cache;
typedef struct nin_profile nin_profile;

/* Who computes GEMMs: CLBlast (the portable default), or nin-cl's own tiled kernel (cl/gemm.cl), which
 * `nin-cl tune` selects on devices where it is faster (CPUs under PoCL). */
typedef enum nin_gemm_backend { NIN_GEMM_CLBLAST, NIN_GEMM_TILED } nin_gemm_backend;
#define NIN_GEMM_ROW_TILES_DEFAULT 32
#define NIN_GEMM_K_BLOCK_DEFAULT 256
#define NIN_GEMM_BLOCK_N_DEFAULT 4096

typedef struct nin_context {
    nin_device_info info;
    cl_context context;
    cl_command_queue queue;   /* the one in-order compute queue */
    cl_program program;       /* every file of cl/, built once at start-up */
    char kernel_dir[1024];    /* where the .cl sources were found */
    nin_kernel_cache *kernels;
    nin_profile *profile;     /* non-NULL while profiling: every enqueued command's event */
    int programs_compiled;    /* 1 when the kernels were compiled from source, 0 when loaded from the cache */
    char program_cache[1400]; /* the compiled-program cache entry of these kernels on this device */
    nin_gemm_backend gemm;
    int gemm_row_tiles;       /* tiled GEMM: 8-row tiles of C per work-item (tuning data) */
    int gemm_k_block;         /* tiled GEMM: k per block, so a block of a B panel stays in L1 (tuning data) */
    int gemm_block_n;         /* tiled GEMM: columns of a transposed B packed at a time (tuning data) */
    cl_mem gemm_scratch;      /* packed operands and partial sums of the tiled GEMM */
    size_t gemm_scratch_bytes;
    char alloc_hint[256];     /* what a failed allocation reports: the network's budget (nin_budget_check) */
} nin_context;

/* Open device `index` (as numbered by nin_list_devices; -1 = default) and build the kernels.
 * A bad index prints the device table and exits with status 2. */
nin_context *nin_context_create(int index);
void nin_context_free(nin_context *ctx);

/* Directory holding the .cl sources: $NIN_KERNEL_DIR, else the source tree, else the installed copy. */
const char *nin_find_kernel_dir(char *buf, size_t size);

/* Profiling: from nin_profile_start on, every kernel and GEMM is timed by its OpenCL event;
 * nin_profile_report waits for the queue and prints the time per kernel (and GFLOPS per GEMM shape). */
void nin_profile_start(nin_context *ctx);
void nin_profile_report(nin_context *ctx, FILE *out, int repeats);

cl_mem nin_buffer(nin_context *ctx, size_t bytes);
void nin_write(nin_context *ctx, cl_mem dst, size_t offset_bytes, size_t bytes, const void *src);
void nin_read(nin_context *ctx, cl_mem src, size_t offset_bytes, size_t bytes, void *dst);
void nin_fill_zero(nin_context *ctx, cl_mem buf, size_t bytes);

/* One kernel argument: its size and address. */
typedef struct nin_karg { size_t size; const void *value; } nin_karg;
#define KARG(x) ((nin_karg){ sizeof(x), &(x) })

/* Enqueue kernel `name` over `global` work-items (work-groups of `local`, or the driver's choice when 0). */
void nin_run_kernel(nin_context *ctx, const char *name, size_t global, size_t local,
                    int nargs, const nin_karg *args);
/* The same over a 2-D range (local may be NULL). */
void nin_run_kernel_2d(nin_context *ctx, const char *name, const size_t global[2], const size_t *local,
                       int nargs, const nin_karg *args);
#define NIN_RUN_2D(ctx, name, global, local, ...)                                                \
    nin_run_kernel_2d((ctx), (name), (global), (local),                                          \
                      (int)(sizeof((nin_karg[]){ __VA_ARGS__ }) / sizeof(nin_karg)),             \
                      (nin_karg[]){ __VA_ARGS__ })
#define NIN_RUN(ctx, name, global, local, ...)                                                   \
    nin_run_kernel((ctx), (name), (global), (local),                                             \
                   (int)(sizeof((nin_karg[]){ __VA_ARGS__ }) / sizeof(nin_karg)),                \
                   (nin_karg[]){ __VA_ARGS__ })

/* Row-major C[m x n] = alpha * op(A) * op(B) + beta * C, buffers addressed by float offsets. */
void nin_gemm(nin_context *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
              cl_mem a, size_t a_off, size_t lda, cl_mem b, size_t b_off, size_t ldb, float beta,
              cl_mem c, size_t c_off, size_t ldc);
/* C = act(A * B + bias) with A, B untransposed and the bias added to each row of C, act = ReLU or identity:
 * the convolution's forward with its bias and ReLU applied as the GEMM writes C. Only the tiled GEMM has it
 * (nin_gemm_has_epilogue); with CLBlast the caller runs nin_gemm and a separate pass. */
typedef struct nin_gemm_epilogue {
    cl_mem bias;
    size_t bias_off;
    int relu;
} nin_gemm_epilogue;
int nin_gemm_has_epilogue(const nin_context *ctx);
void nin_gemm_bias_act(nin_context *ctx, size_t m, size_t n, size_t k, cl_mem a, size_t a_off, size_t lda,
                           cl_mem b, size_t b_off, size_t ldb, cl_mem c, size_t c_off, size_t ldc,
                           const nin_gemm_epilogue *epi);

/* Floats of scratch the tiled GEMM needs for one call of these dimensions with packing blocks of block_n
 * columns (ctx->gemm_block_n): what the memory budget counts. */
size_t nin_gemm_scratch_floats(int block_n, int trans_a, int trans_b, size_t m, size_t n, size_t k);
/* The binary of a compiled-program cache entry (magic, size, binary, CRC32), checked before anything is
 * allocated from it; NULL when the entry is missing or fails a check (the caller then rebuilds it). */
unsigned char *nin_program_cache_read(const char *path, size_t *size);
/* The same on host memory, plain loops: the reference the device GEMM is tested against. */
void nin_gemm_ref(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                  const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);

#endif
