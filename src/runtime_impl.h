/* runtime_impl.h - the runtime's insides (internal): the context, device buffers, kernel launches, GEMM.
 *
 * Device errors are sticky in the context: the first failing OpenCL/CLBlast call records one line (the call,
 * the error's name, file:line) in ctx->error, later enqueues are skipped, and the next status check
 * (nin_context_status, or any public function that returns a status) hands it to the caller and clears it. */
#ifndef NIN_RUNTIME_IMPL_H
#define NIN_RUNTIME_IMPL_H

#include <nin/runtime.h>

typedef struct nin_kernel_cache nin_kernel_cache;
typedef struct nin_profile nin_profile;

struct nin_context {
    nin_device_info info;
    cl_context context;
    cl_command_queue queue;   /* the one in-order compute queue */
    cl_program program;       /* every file of cl/, built once at start-up */
    char kernel_dir[1024];    /* where the .cl sources were found */
    nin_kernel_cache *kernels;
    nin_profile *profile;     /* non-NULL while profiling: every enqueued command's event */
    int programs_compiled;    /* 1 when the kernels were compiled from source, 0 when loaded from the cache */
    char program_cache[1400]; /* the compiled-program cache entry of these kernels on this device */
    nin_gemm_tuning tuning;
    int element_ok;           /* the device takes work-groups of NIN_GROUP: element-shaped kernels can run */
    cl_mem gemm_scratch;      /* packed operands and partial sums of the tiled GEMM */
    size_t gemm_scratch_bytes;
    char alloc_hint[256];     /* what a failed allocation reports: the network's budget (nin_budget_check) */
    int failed;               /* a device error is waiting to be reported */
    char error[1024];         /* its one line */
};

/* Record a failed OpenCL/CLBlast call in ctx (the first one wins) and in the last error: -1; 0 on success. */
int nin_cl_status(nin_context *ctx, int code, const char *call, const char *file, int line);
#define CL_CHECK(ctx, call) nin_cl_status((ctx), (int)(call), #call, __FILE__, __LINE__)
#define CL_CHECK_ERR(ctx, err, name) nin_cl_status((ctx), (int)(err), (name), __FILE__, __LINE__)
/* Record any other device-side failure in ctx the same way: -1. */
int nin_context_fail(nin_context *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A device buffer, or NULL with the error (the size, the device, the budget hint) in the last error. */
cl_mem nin_buffer(nin_context *ctx, size_t bytes);
/* Blocking copies and a zero fill; each returns the context's status (skipped after an earlier error). */
int nin_write(nin_context *ctx, cl_mem dst, size_t offset_bytes, size_t bytes, const void *src);
int nin_read(nin_context *ctx, cl_mem src, size_t offset_bytes, size_t bytes, void *dst);
int nin_fill_zero(nin_context *ctx, cl_mem buf, size_t bytes);
int nin_copy(nin_context *ctx, cl_mem src, cl_mem dst, size_t bytes);

/* One kernel argument: its size and address. */
typedef struct nin_karg { size_t size; const void *value; } nin_karg;
#define KARG(x) ((nin_karg){ sizeof(x), &(x) })

/* Enqueue kernel `name` over `global` work-items (work-groups of `local`, or the driver's choice when 0).
 * nargs is checked against the kernel's CL_KERNEL_NUM_ARGS (queried once per kernel). */
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

/* Work-items per work-group of the element-shaped kernels (cl/common.cl gets it as -DNIN_GROUP). */
#define NIN_GROUP 256
/* 1 when family f runs its element-shaped kernels (named <plane kernel>_el) on ctx: its tuning says so and the
 * device takes work-groups of NIN_GROUP. */
int nin_element_shaped(const nin_context *ctx, nin_kernel_family f);
/* Enqueue an element-shaped kernel over count0 x count1 work-items in work-groups of NIN_GROUP x 1, count0
 * rounded up to whole work-groups (the kernel skips the work-items past its count). */
void nin_run_elements(nin_context *ctx, const char *name, size_t count0, size_t count1, int nargs,
                      const nin_karg *args);
#define NIN_RUN_EL(ctx, name, count0, count1, ...)                                               \
    nin_run_elements((ctx), (name), (count0), (count1),                                          \
                     (int)(sizeof((nin_karg[]){ __VA_ARGS__ }) / sizeof(nin_karg)),              \
                     (nin_karg[]){ __VA_ARGS__ })
/* A kernel of family f over `chunks` chunks of each of `rows` rows, the same arguments in both shapes: `name`
 * as work-item (row, chunk), or name_el as work-group (chunk, row). */
void nin_run_rows(nin_context *ctx, nin_kernel_family f, const char *name, size_t rows, size_t chunks, int nargs,
                  const nin_karg *args);
#define NIN_RUN_ROWS(ctx, family, name, rows, chunks, ...)                                       \
    nin_run_rows((ctx), (family), (name), (rows), (chunks),                                      \
                 (int)(sizeof((nin_karg[]){ __VA_ARGS__ }) / sizeof(nin_karg)),                  \
                 (nin_karg[]){ __VA_ARGS__ })
/* The family a kernel (of either shape) belongs to, or -1 (the GEMMs). */
int nin_kernel_family_of(const char *kernel);
/* Profiling: the seconds of the kernels profiled since nin_profile_start (or the last report), summed per
 * family; the entries are then cleared. 0, or -1 with the device error. */
int nin_profile_family_seconds(nin_context *ctx, double seconds[NIN_KERNEL_FAMILIES]);

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

/* Floats of scratch the tiled GEMM needs for one call of this shape under tuning t (its packing block, whether it
 * packs an untransposed B): what the memory budget counts. */
size_t nin_gemm_scratch_floats(const nin_gemm_tuning *t, const nin_gemm_shape *g);
/* The tiled GEMM's tunable parameters: name in the tuning file, field of nin_gemm_tuning, the candidates
 * `nin-cl tune` tries (ending with NIN_TILED_END), and whether only the candidates are valid (the tile heights,
 * one kernel each in cl/gemm.cl; a switch); in tuning.c. */
#define NIN_TILED_END (-1)
typedef struct nin_tiled_param {
    const char *name;
    size_t offset;
    int candidates[6];
    int only_candidates;
} nin_tiled_param;
#define NIN_TILED_PARAMS 5
#define NIN_TILED_TILE_ROWS 0   /* the row of gemm_tile_rows */
extern const nin_tiled_param nin_tiled_params[NIN_TILED_PARAMS];
int *nin_tiled_param_field(nin_gemm_tuning *t, int p);
/* Whether v is a valid value of tiled parameter p: one of its candidates, or 1..NIN_GEMM_TUNING_MAX. */
int nin_tiled_param_valid(int p, long v);

/* CLBlast's GEMM parameters (clblast_params.c): the device limits a kernel's parameters must respect (0: not
 * checked), whether values v of kernel k make a kernel CLBlast can build and run (0, or -1 with the reason in
 * why), a tuning-file line "clblast KERNEL NAME=VALUE ..." (every parameter of the kernel once) into p (1; 0 when
 * the line is no clblast line; -1 with the reason), the lines of the set kernels, and their application to a
 * device (CLBlast's status, CLBlastSuccess = 0). */
#define NIN_CLBLAST_XGEMM 0
#define NIN_CLBLAST_DIRECT 1
#define NIN_CLBLAST_ROUTINE 2
#define NIN_CLBLAST_PARAM_MAX 65536   /* the largest value of any parameter */
typedef struct nin_clblast_limits { size_t work_group, local_bytes; } nin_clblast_limits;
int nin_clblast_device_limits(cl_device_id device, nin_clblast_limits *limits);
int nin_clblast_valid(int kernel, const size_t *v, const nin_clblast_limits *limits, char *why, size_t why_size);
int nin_clblast_read_line(const char *line, nin_clblast_params *p, char *why, size_t why_size);
void nin_clblast_write(FILE *f, const nin_clblast_params *p);
int nin_clblast_apply(cl_device_id device, int kernel, const size_t *values);

/* The binary of a compiled-program cache entry (magic, size, binary, CRC32), checked before anything is
 * allocated from it; NULL when the entry is missing or fails a check (the caller then rebuilds it). */
unsigned char *nin_program_cache_read(const char *path, size_t *size);

/* The same GEMM on host memory, plain loops: the reference the device GEMM is tested against. */
void nin_gemm_ref(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                  const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc);

#endif
