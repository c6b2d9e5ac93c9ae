/* runtime.c - OpenCL devices, the context and queue, the kernel program, buffers, kernel launches, GEMM.
 *
 * Nothing here prints or exits: a failure is one line in the last error (and, for work on the device, in
 * the context until its next status check; see runtime_impl.h). */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <time.h>
#include "runtime_impl.h"
#include <CL/cl_ext.h>
#include <clblast_c.h>

/* The kernel sources, one file per layer kind; common.cl comes first because the others use it. */
static const char *const kernel_files[] = {
    "common.cl", "conv.cl", "pool.cl", "dropout.cl", "gap.cl", "batchnorm.cl", "softmax.cl", "sgd.cl", "gemm.cl",
};
#define KERNEL_FILE_COUNT (sizeof kernel_files / sizeof kernel_files[0])

struct nin_profile {
    int count, capacity;
    /* a kernel's time comes from its event; a GEMM's is measured around it (CLBlast may enqueue several
     * kernels and reports the event of the last one only) */
    struct profiled { char label[64]; double flop, seconds; cl_event event; } *entries;
};

struct nin_kernel_cache {
    int count, capacity;
    struct { char name[64]; cl_kernel kernel; cl_uint args; } *entries;
};

const char *nin_device_type_name(cl_device_type type)
{
    if (type & CL_DEVICE_TYPE_GPU) return "GPU";
    if (type & CL_DEVICE_TYPE_CPU) return "CPU";
    if (type & CL_DEVICE_TYPE_ACCELERATOR) return "ACCEL";
    return "OTHER";
}

/* The table row of one device: 0, or -1 with the failing query in the last error. */
static int query_device(cl_platform_id platform, cl_device_id id, nin_device_info *info)
{
    memset(info, 0, sizeof *info);
    info->platform = platform;
    info->device = id;
    return CL_CHECK(NULL, clGetPlatformInfo(platform, CL_PLATFORM_NAME, sizeof info->platform_name - 1,
                                            info->platform_name, NULL)) ||
           CL_CHECK(NULL, clGetDeviceInfo(id, CL_DEVICE_NAME, sizeof info->name - 1, info->name, NULL)) ||
           CL_CHECK(NULL, clGetDeviceInfo(id, CL_DEVICE_TYPE, sizeof info->type, &info->type, NULL)) ||
           CL_CHECK(NULL, clGetDeviceInfo(id, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof info->compute_units,
                                          &info->compute_units, NULL)) ||
           CL_CHECK(NULL, clGetDeviceInfo(id, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof info->global_mem_bytes,
                                          &info->global_mem_bytes, NULL)) ||
           CL_CHECK(NULL, clGetDeviceInfo(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof info->max_alloc_bytes,
                                          &info->max_alloc_bytes, NULL)) ||
           CL_CHECK(NULL, clGetDeviceInfo(id, CL_DEVICE_VERSION, sizeof info->version - 1, info->version, NULL)) ||
           CL_CHECK(NULL, clGetDeviceInfo(id, CL_DRIVER_VERSION, sizeof info->driver - 1, info->driver, NULL))
               ? -1 : 0;
}

/* Append platform p's devices to *devices (count so far in *count): 0, or -1 with the error. */
static int list_platform_devices(cl_platform_id platform, nin_device_info **devices, int *count)
{
    cl_uint ndev = 0;
    cl_int err = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, NULL, &ndev);
    if (err == CL_DEVICE_NOT_FOUND || ndev == 0)
        return 0;
    cl_device_id *ids = NULL;
    nin_device_info *grown = NULL;
    int status = CL_CHECK_ERR(NULL, err, "clGetDeviceIDs");
    if (status == 0 && (!(ids = nin_malloc(ndev * sizeof *ids)) ||
                        !(grown = realloc(*devices, (*count + ndev) * sizeof **devices))))
        status = nin_fail("out of host memory listing OpenCL devices");
    if (grown)
        *devices = grown;
    if (status == 0)
        status = CL_CHECK(NULL, clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, ndev, ids, NULL));
    for (cl_uint d = 0; status == 0 && d < ndev; d++) {
        status = query_device(platform, ids[d], &(*devices)[*count]);
        (*devices)[*count].index = *count;
        *count += status == 0;
    }
    free(ids);
    return status;
}

int nin_list_devices(nin_device_info **devices)
{
    cl_uint nplatforms = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &nplatforms);
    *devices = NULL;
    if (err == CL_PLATFORM_NOT_FOUND_KHR || nplatforms == 0)
        return 0;
    if (CL_CHECK_ERR(NULL, err, "clGetPlatformIDs"))
        return -1;
    cl_platform_id *platforms = nin_malloc(nplatforms * sizeof *platforms);
    int count = 0, status = platforms ? CL_CHECK(NULL, clGetPlatformIDs(nplatforms, platforms, NULL)) : -1;
    for (cl_uint p = 0; status == 0 && p < nplatforms; p++)
        status = list_platform_devices(platforms[p], devices, &count);
    free(platforms);
    if (status == 0)
        return count;
    free(*devices);
    *devices = NULL;
    return -1;
}

void nin_print_devices(FILE *out, const nin_device_info *devices, int count)
{
    if (count == 0) {
        fprintf(out, "no OpenCL device found: install an OpenCL driver (e.g. the Debian package pocl-opencl-icd)\n");
        return;
    }
    /* the platform and device columns as wide as their longest entries: no name is cut, so that scripts and the
     * Python binding find the names they read elsewhere */
    size_t pw = strlen("platform"), dw = strlen("device");
    for (int i = 0; i < count; i++) {
        size_t p = strlen(devices[i].platform_name), d = strlen(devices[i].name);
        pw = p > pw ? p : pw;
        dw = d > dw ? d : dw;
    }
    fprintf(out, "%-5s %-*s %-*s %-5s %5s %10s  %s\n", "index", (int)pw, "platform", (int)dw, "device", "type", "CUs",
            "memory", "OpenCL");
    for (int i = 0; i < count; i++) {
        const nin_device_info *d = &devices[i];
        fprintf(out, "%-5d %-*s %-*s %-5s %5u %7.1f GiB  %s\n", d->index, (int)pw, d->platform_name, (int)dw, d->name,
                nin_device_type_name(d->type), d->compute_units, d->global_mem_bytes / 1073741824.0,
                d->version);
    }
}

int nin_default_device(const nin_device_info *devices, int count)
{
    for (int i = 0; i < count; i++)
        if (devices[i].type & CL_DEVICE_TYPE_GPU)
            return i;
    return 0;
}

static int is_dir_with_kernels(const char *dir)
{
    char path[1200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, kernel_files[0]);
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

const char *nin_find_kernel_dir(char *buf, size_t size)
{
    const char *env = getenv("NIN_KERNEL_DIR");
    const char *candidates[] = { NIN_SOURCE_KERNEL_DIR, NIN_INSTALL_KERNEL_DIR };
    if (env && *env) {
        if (!is_dir_with_kernels(env)) {
            nin_fail("NIN_KERNEL_DIR=%s holds no %s", env, kernel_files[0]);
            return NULL;
        }
        snprintf(buf, size, "%s", env);
        return buf;
    }
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (is_dir_with_kernels(candidates[i])) {
            snprintf(buf, size, "%s", candidates[i]);
            return buf;
        }
    nin_fail("OpenCL kernel sources not found in %s or %s: set NIN_KERNEL_DIR to nin-cl's cl/ directory",
             NIN_SOURCE_KERNEL_DIR, NIN_INSTALL_KERNEL_DIR);
    return NULL;
}

/* A whole text file, or NULL with the error. */
static char *read_text_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        nin_fail("cannot open kernel source %s", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = size >= 0 ? nin_malloc((size_t)size + 1) : NULL;
    if (text && fread(text, 1, (size_t)size, f) == (size_t)size)
        text[size] = '\0';
    else if (text || size < 0) {
        free(text);
        text = NULL;
        nin_fail("cannot read kernel source %s", path);
    }
    fclose(f);
    return text;
}

#define STRINGIFY(x) #x
#define BUILD_OPTIONS_OF(group) "-cl-std=CL1.2 -DNIN_GROUP=" STRINGIFY(group)
#define BUILD_OPTIONS BUILD_OPTIONS_OF(NIN_GROUP)
#define CACHE_MAGIC "NINPROG1"

/* The compiled-program cache: $NIN_CACHE_DIR (default ~/.cache/nin-cl/programs)/<key>.bin, where key is the
 * SHA-256 of the kernel sources, the build options, the device name and the driver version. A file holds
 * the magic, the binary's size, the binary and a CRC32; an entry that fails any check, or that the driver
 * rejects, is rebuilt from source and rewritten, never trusted. */
static void cache_path(const nin_context *ctx, char *const *sources, char *buf, size_t size)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    for (size_t i = 0; i < KERNEL_FILE_COUNT; i++)
        EVP_DigestUpdate(md, sources[i], strlen(sources[i]) + 1);
    const char *parts[] = { BUILD_OPTIONS, ctx->info.name, ctx->info.driver, ctx->info.version };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        EVP_DigestUpdate(md, parts[i], strlen(parts[i]) + 1);
    EVP_DigestFinal_ex(md, digest, &length);
    EVP_MD_CTX_free(md);
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned int i = 0; i < length; i++)
        sprintf(hex + 2 * i, "%02x", digest[i]);
    const char *dir = getenv("NIN_CACHE_DIR"), *home = getenv("HOME");
    if (dir && *dir)
        snprintf(buf, size, "%s/%s.bin", dir, hex);
    else
        snprintf(buf, size, "%s/.cache/nin-cl/programs/%s.bin", home && *home ? home : ".", hex);
}

unsigned char *nin_program_cache_read(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char magic[8];
    uint64_t stored = 0;
    uint32_t crc = 0;
    unsigned char *binary = NULL;
    struct stat st;
    /* the stored size must account for the whole file before anything is allocated from it (compared without
     * adding to it: a size near 2^64 plus the 20 bytes of header and CRC wraps around to a small file's size) */
    int ok = fstat(fileno(f), &st) == 0 && fread(magic, 8, 1, f) == 1 && memcmp(magic, CACHE_MAGIC, 8) == 0 &&
             fread(&stored, 8, 1, f) == 1 && st.st_size > 20 && stored == (uint64_t)st.st_size - 20 &&
             (binary = malloc(stored)) && fread(binary, 1, stored, f) == stored && fread(&crc, 4, 1, f) == 1 &&
             crc == (uint32_t)crc32(0L, binary, (uInt)stored);
    fclose(f);
    if (!ok) {
        free(binary);
        return NULL;
    }
    *size = (size_t)stored;
    return binary;
}

/* A program from a cache entry, or NULL when there is none or it does not check out. */
static cl_program load_cached_program(nin_context *ctx, const char *path)
{
    size_t size = 0;
    unsigned char *binary = nin_program_cache_read(path, &size);
    cl_program program = NULL;
    if (binary) {
        cl_int status, err;
        program = clCreateProgramWithBinary(ctx->context, 1, &ctx->info.device, &size,
                                            (const unsigned char **)&binary, &status, &err);
        if (err != CL_SUCCESS || status != CL_SUCCESS ||
            clBuildProgram(program, 1, &ctx->info.device, BUILD_OPTIONS, NULL, NULL) != CL_SUCCESS) {
            if (program)
                clReleaseProgram(program);
            program = NULL;
        }
    }
    free(binary);
    return program;
}

/* Best effort: a cache that cannot be written only costs the next start a compilation. */
static void save_cached_program(nin_context *ctx, const char *path)
{
    size_t size = 0;
    if (clGetProgramInfo(ctx->program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS || !size)
        return;
    unsigned char *binary = nin_malloc(size);
    char dir[1400], tmp[1500];
    if (clGetProgramInfo(ctx->program, CL_PROGRAM_BINARIES, sizeof binary, &binary, NULL) == CL_SUCCESS) {
        char err[256];
        snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(path, '/') - path), path);
        nin_make_dirs(dir, err, sizeof err);   /* on failure the fopen below fails and nothing is cached */
        snprintf(tmp, sizeof tmp, "%s.%ld", path, (long)getpid());
        FILE *f = fopen(tmp, "wb");
        uint64_t size64 = size;
        uint32_t crc = (uint32_t)crc32(0L, binary, (uInt)size);
        if (f) {
            int ok = fwrite(CACHE_MAGIC, 8, 1, f) == 1 && fwrite(&size64, 8, 1, f) == 1 &&
                     fwrite(binary, 1, size, f) == size && fwrite(&crc, 4, 1, f) == 1;
            if (fclose(f) == 0 && ok)
                rename(tmp, path);
            else
                unlink(tmp);
        }
    }
    free(binary);
}

/* The kernels' build log, folded into the last error after the failed call. */
static int build_failure(nin_context *ctx, cl_int err)
{
    size_t log_size = 0;
    clGetProgramBuildInfo(ctx->program, ctx->info.device, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_size);
    char *log = nin_malloc(log_size + 1);
    if (log) {
        log[0] = '\0';
        clGetProgramBuildInfo(ctx->program, ctx->info.device, CL_PROGRAM_BUILD_LOG, log_size, log, NULL);
        log[log_size] = '\0';
    }
    CL_CHECK_ERR(NULL, err, "clBuildProgram");
    char call[512];
    snprintf(call, sizeof call, "%s", nin_last_error());
    nin_fail("%s; the kernels in %s for %s: %s", call, ctx->kernel_dir, ctx->info.name,
             log ? log : "(no build log)");
    free(log);
    return -1;
}

/* Compile the kernel sources, or load them from the program cache: 0, or -1 with the error. */
static int build_program(nin_context *ctx)
{
    char *sources[KERNEL_FILE_COUNT] = { NULL };
    char path[1200], cache[1400];
    cl_int err;
    int status = 0;
    for (size_t i = 0; i < KERNEL_FILE_COUNT && status == 0; i++) {
        snprintf(path, sizeof path, "%s/%s", ctx->kernel_dir, kernel_files[i]);
        status = (sources[i] = read_text_file(path)) ? 0 : -1;
    }
    if (status == 0) {
        cache_path(ctx, sources, cache, sizeof cache);
        snprintf(ctx->program_cache, sizeof ctx->program_cache, "%s", cache);
        ctx->program = load_cached_program(ctx, cache);
    }
    if (status == 0 && !ctx->program) {
        ctx->program = clCreateProgramWithSource(ctx->context, KERNEL_FILE_COUNT, (const char **)sources, NULL, &err);
        status = CL_CHECK_ERR(NULL, err, "clCreateProgramWithSource");
        ctx->programs_compiled = 1;
        if (status == 0 && (err = clBuildProgram(ctx->program, 1, &ctx->info.device, BUILD_OPTIONS, NULL, NULL)))
            status = build_failure(ctx, err);
        if (status == 0)
            save_cached_program(ctx, cache);
    }
    for (size_t i = 0; i < KERNEL_FILE_COUNT; i++)
        free(sources[i]);
    return status;
}

nin_gemm_tuning nin_gemm_tuning_default(void)
{
    return (nin_gemm_tuning){ .backend = NIN_GEMM_CLBLAST, .tile_rows = NIN_GEMM_TILE_ROWS_DEFAULT,
                              .row_tiles = NIN_GEMM_ROW_TILES_DEFAULT,
                              .k_block = NIN_GEMM_K_BLOCK_DEFAULT, .block_n = NIN_GEMM_BLOCK_N_DEFAULT,
                              .pack_b_rows = NIN_GEMM_PACK_B_ROWS_DEFAULT };
}

/* The device `index` (-1: the default) of the table: 0, or -1 with the error. */
static int pick_device(int index, nin_device_info *info)
{
    nin_device_info *devices;
    int count = nin_list_devices(&devices);
    if (count < 0)
        return -1;
    if (count == 0)
        return nin_fail("no OpenCL device found: install an OpenCL driver (e.g. the Debian package pocl-opencl-icd)");
    if (index < 0)
        index = nin_default_device(devices, count);
    if (index < count)
        *info = devices[index];
    free(devices);
    if (index >= count)
        return nin_fail("no OpenCL device %d (nin-cl --devices lists them)", index);
    return 0;
}

/* Without a tuning file: element-shaped kernels on a GPU that takes work-groups of NIN_GROUP, else plane. */
static void set_kernel_shapes(nin_context *ctx)
{
    size_t largest = 0;
    clGetDeviceInfo(ctx->info.device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof largest, &largest, NULL);
    ctx->element_ok = largest >= NIN_GROUP;
    for (int f = 0; f < NIN_KERNEL_FAMILIES; f++)
        ctx->tuning.shape[f] = ctx->element_ok && (ctx->info.type & CL_DEVICE_TYPE_GPU) ? NIN_SHAPE_ELEMENT
                                                                                         : NIN_SHAPE_PLANE;
}

/* CLBlast's kernel parameters of the tuning file `path`, checked against the device's limits and handed to
 * CLBlast for the context's device: 0, or -1 with the error naming the file. */
static int apply_clblast_params(nin_context *ctx, const char *path)
{
    nin_clblast_limits limits;
    char why[256];
    const nin_clblast_params *p = &ctx->tuning.clblast;
    int any = 0;
    for (int k = 0; k < NIN_CLBLAST_KERNELS; k++)
        any |= p->set[k];
    if (!any)
        return 0;
    if (nin_clblast_device_limits(ctx->info.device, &limits) != 0)
        return -1;
    for (int k = 0; k < NIN_CLBLAST_KERNELS; k++) {
        const size_t *values = p->values[k];
        if (!p->set[k])
            continue;
        if (nin_clblast_valid(k, values, &limits, why, sizeof why) != 0)
            return nin_fail("%s: clblast %s does not fit %s: the rule '%s' is broken (delete the file or run nin-cl "
                            "tune)", path, nin_clblast_kernel_name(k), ctx->info.name, why);
        int status = nin_clblast_apply(ctx->info.device, k, values);
        if (status != 0)
            return nin_fail("%s: CLBlast refused the clblast %s parameters: %s (%d) (delete the file or run nin-cl "
                            "tune)", path, nin_clblast_kernel_name(k), nin_cl_error_name(status), status);
    }
    return 0;
}

/* The device's tuning file, when it has one, into ctx: 0, or -1 with the error (a malformed file). */
static int load_tuning(nin_context *ctx)
{
    char path[1200], err[1600];
    if (nin_tuning_read(nin_tuning_path(&ctx->info, path, sizeof path), &ctx->tuning, err, sizeof err) < 0)
        return nin_fail("%s", err);
    return apply_clblast_params(ctx, path);
}

/* Context, queue, kernels and tuning of the device in ctx->info: 0, or -1 with the error. */
static int open_context(nin_context *ctx, const char *kernel_dir)
{
    cl_int err;
    cl_context_properties props[] = { CL_CONTEXT_PLATFORM, (cl_context_properties)ctx->info.platform, 0 };
    ctx->context = clCreateContext(props, 1, &ctx->info.device, NULL, NULL, &err);
    if (CL_CHECK_ERR(NULL, err, "clCreateContext"))
        return -1;
    ctx->queue = clCreateCommandQueue(ctx->context, ctx->info.device, 0, &err);
    if (CL_CHECK_ERR(NULL, err, "clCreateCommandQueue"))
        return -1;
    if (kernel_dir)
        snprintf(ctx->kernel_dir, sizeof ctx->kernel_dir, "%s", kernel_dir);
    else if (!nin_find_kernel_dir(ctx->kernel_dir, sizeof ctx->kernel_dir))
        return -1;
    if (!(ctx->kernels = nin_calloc(1, sizeof *ctx->kernels)))
        return -1;
    ctx->tuning = nin_gemm_tuning_default();
    set_kernel_shapes(ctx);
    return build_program(ctx) == 0 && load_tuning(ctx) == 0 ? 0 : -1;
}

nin_context *nin_context_create_from(int index, const char *kernel_dir)
{
    nin_device_info info;
    if (pick_device(index, &info) != 0)
        return NULL;
    nin_context *ctx = nin_calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->info = info;
    if (open_context(ctx, kernel_dir) == 0)
        return ctx;
    nin_context_free(ctx);
    return NULL;
}

nin_context *nin_context_create(int index) { return nin_context_create_from(index, NULL); }

void nin_context_free(nin_context *ctx)
{
    if (!ctx)
        return;
    for (int i = 0; ctx->kernels && i < ctx->kernels->count; i++)
        clReleaseKernel(ctx->kernels->entries[i].kernel);
    if (ctx->kernels)
        free(ctx->kernels->entries);
    free(ctx->kernels);
    if (ctx->gemm_scratch)
        clReleaseMemObject(ctx->gemm_scratch);
    if (ctx->profile)
        free(ctx->profile->entries);
    free(ctx->profile);
    if (ctx->program)
        clReleaseProgram(ctx->program);
    if (ctx->queue)
        clReleaseCommandQueue(ctx->queue);
    if (ctx->context)
        clReleaseContext(ctx->context);
    free(ctx);
}

const nin_device_info *nin_context_device(const nin_context *ctx) { return &ctx->info; }
nin_gemm_tuning nin_context_tuning(const nin_context *ctx) { return ctx->tuning; }
void nin_context_set_tuning(nin_context *ctx, const nin_gemm_tuning *t) { ctx->tuning = *t; }
int nin_context_programs_compiled(const nin_context *ctx) { return ctx->programs_compiled; }
const char *nin_context_program_cache(const nin_context *ctx) { return ctx->program_cache; }

void nin_context_set_alloc_hint(nin_context *ctx, const char *hint)
{
    snprintf(ctx->alloc_hint, sizeof ctx->alloc_hint, "%s", hint);
}

/* Keep the last error in ctx until its next status check, unless an earlier one waits there: -1. */
static int keep_error(nin_context *ctx)
{
    if (ctx && !ctx->failed) {
        ctx->failed = 1;
        snprintf(ctx->error, sizeof ctx->error, "%s", nin_last_error());
    }
    return -1;
}

int nin_cl_status(nin_context *ctx, int code, const char *call, const char *file, int line)
{
    if (code == CL_SUCCESS)
        return 0;
    nin_fail("%s failed: %s (%d) at %s:%d", call, nin_cl_error_name(code), code, file, line);
    return keep_error(ctx);
}

int nin_context_fail(nin_context *ctx, const char *fmt, ...)
{
    va_list ap;
    char line[1024];
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    nin_fail("%s", line);
    return keep_error(ctx);
}

int nin_context_status(nin_context *ctx)
{
    if (!ctx->failed)
        return 0;
    ctx->failed = 0;
    return nin_fail("%s", ctx->error);
}

int nin_context_finish(nin_context *ctx)
{
    if (!ctx->failed)
        CL_CHECK(ctx, clFinish(ctx->queue));
    return nin_context_status(ctx);
}

/* Where a command's event goes: NULL when not profiling. */
static struct profiled *profile_entry(nin_context *ctx, const char *label, double flop)
{
    nin_profile *p = ctx->profile;
    if (!p)
        return NULL;
    if (p->count == p->capacity) {
        void *grown = realloc(p->entries, (p->capacity ? 2 * p->capacity : 256) * sizeof *p->entries);
        if (!grown)
            return NULL;   /* the command runs untimed */
        p->entries = grown;
        p->capacity = p->capacity ? 2 * p->capacity : 256;
    }
    struct profiled *e = &p->entries[p->count++];
    snprintf(e->label, sizeof e->label, "%s", label);
    e->flop = flop;
    e->seconds = 0.0;
    e->event = NULL;
    return e;
}

static cl_event *profile_slot(nin_context *ctx, const char *label)
{
    struct profiled *e = profile_entry(ctx, label, 0.0);
    return e ? &e->event : NULL;
}

int nin_profile_start(nin_context *ctx)
{
    cl_int err;
    if (nin_context_finish(ctx) != 0)
        return -1;
    cl_command_queue queue = clCreateCommandQueue(ctx->context, ctx->info.device, CL_QUEUE_PROFILING_ENABLE, &err);
    if (CL_CHECK_ERR(NULL, err, "clCreateCommandQueue"))
        return -1;
    if (!ctx->profile && !(ctx->profile = nin_calloc(1, sizeof *ctx->profile))) {
        clReleaseCommandQueue(queue);
        return -1;
    }
    clReleaseCommandQueue(ctx->queue);
    ctx->queue = queue;
    ctx->profile->count = 0;
    return 0;
}

int nin_profile_stop(nin_context *ctx)
{
    nin_profile *p = ctx->profile;
    cl_int err;
    if (!p)
        return 0;
    if (nin_context_finish(ctx) != 0)
        return -1;
    cl_command_queue queue = clCreateCommandQueue(ctx->context, ctx->info.device, 0, &err);
    if (CL_CHECK_ERR(NULL, err, "clCreateCommandQueue"))
        return -1;
    clReleaseCommandQueue(ctx->queue);
    ctx->queue = queue;
    for (int i = 0; i < p->count; i++)
        if (p->entries[i].event)
            clReleaseEvent(p->entries[i].event);
    free(p->entries);
    free(p);
    ctx->profile = NULL;
    return 0;
}

/* Seconds of a profiled command: measured around it (GEMMs), or from its event, which is then released. */
static double profiled_seconds(struct profiled *e)
{
    cl_ulong start = 0, end = 0;
    if (!e->event)
        return e->seconds;
    clGetEventProfilingInfo(e->event, CL_PROFILING_COMMAND_START, sizeof start, &start, NULL);
    clGetEventProfilingInfo(e->event, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL);
    clReleaseEvent(e->event);
    e->event = NULL;
    return end > start ? (end - start) * 1e-9 : 0.0;
}

int nin_profile_report(nin_context *ctx, FILE *out, int repeats)
{
    nin_profile *p = ctx->profile;
    if (!p)
        return nin_fail("nin_profile_report: profiling was not started (nin_profile_start)");
    if (nin_context_finish(ctx) != 0)
        return -1;
    /* sum time and flop per label */
    struct row { char label[64]; double seconds, flop; int calls; } *rows = nin_calloc(p->count + 1, sizeof *rows);
    if (!rows)
        return -1;
    int nrows = 0;
    double total = 0.0;
    for (int i = 0; i < p->count; i++) {
        double seconds = profiled_seconds(&p->entries[i]);
        int r = 0;
        while (r < nrows && strcmp(rows[r].label, p->entries[i].label) != 0)
            r++;
        if (r == nrows)
            snprintf(rows[nrows++].label, sizeof rows[0].label, "%s", p->entries[i].label);
        rows[r].seconds += seconds;
        rows[r].flop += p->entries[i].flop;
        rows[r].calls++;
        total += seconds;
    }
    for (int r = 0; r < nrows; r++) {   /* by time, longest first; a few dozen rows */
        for (int q = r + 1; q < nrows; q++)
            if (rows[q].seconds > rows[r].seconds) {
                struct row t = rows[r];
                rows[r] = rows[q];
                rows[q] = t;
            }
    }
    fprintf(out, "%-44s %6s %10s %6s %8s\n", "kernel", "calls", "ms/step", "%", "GFLOPS");
    for (int r = 0; r < nrows; r++) {
        fprintf(out, "%-44s %6d %10.2f %5.1f%%", rows[r].label, rows[r].calls / repeats,
                rows[r].seconds * 1e3 / repeats, 100.0 * rows[r].seconds / total);
        if (rows[r].flop > 0)
            fprintf(out, " %8.1f", rows[r].flop / rows[r].seconds * 1e-9);
        fputc('\n', out);
    }
    fprintf(out, "%-44s %6s %10.2f\n", "total device time", "", total * 1e3 / repeats);
    free(rows);
    p->count = 0;
    return 0;
}

int nin_profile_family_seconds(nin_context *ctx, double seconds[NIN_KERNEL_FAMILIES])
{
    nin_profile *p = ctx->profile;
    if (!p)
        return nin_fail("nin_profile_family_seconds: profiling was not started (nin_profile_start)");
    if (nin_context_finish(ctx) != 0)
        return -1;
    for (int f = 0; f < NIN_KERNEL_FAMILIES; f++)
        seconds[f] = 0.0;
    for (int i = 0; i < p->count; i++) {
        double s = profiled_seconds(&p->entries[i]);
        int f = nin_kernel_family_of(p->entries[i].label);
        if (f >= 0)
            seconds[f] += s;
    }
    p->count = 0;
    return 0;
}

/* The kernel `name` with its argument count (CL_KERNEL_NUM_ARGS, asked once), created on first use; NULL
 * with the error recorded in ctx. */
static cl_kernel get_kernel(nin_context *ctx, const char *name, cl_uint *args)
{
    nin_kernel_cache *cache = ctx->kernels;
    for (int i = 0; i < cache->count; i++)
        if (strcmp(cache->entries[i].name, name) == 0) {
            *args = cache->entries[i].args;
            return cache->entries[i].kernel;
        }
    if (cache->count == cache->capacity) {
        void *grown = realloc(cache->entries, (cache->capacity ? 2 * cache->capacity : 32) * sizeof *cache->entries);
        if (!grown) {
            nin_context_fail(ctx, "out of host memory caching the kernel %s", name);
            return NULL;
        }
        cache->entries = grown;
        cache->capacity = cache->capacity ? 2 * cache->capacity : 32;
    }
    cl_int err;
    cl_kernel kernel = clCreateKernel(ctx->program, name, &err);
    if (CL_CHECK_ERR(ctx, err, name))
        return NULL;
    if (CL_CHECK(ctx, clGetKernelInfo(kernel, CL_KERNEL_NUM_ARGS, sizeof *args, args, NULL))) {
        clReleaseKernel(kernel);
        return NULL;
    }
    snprintf(cache->entries[cache->count].name, sizeof cache->entries[0].name, "%s", name);
    cache->entries[cache->count].kernel = kernel;
    cache->entries[cache->count].args = *args;
    cache->count++;
    return kernel;
}

/* --- the fault hook, for the tests only (HACKING.md) ---------------------------------------------------
 * NIN_FAULT_LAUNCH=N in the environment makes the N-th kernel launch of the process (counted from 1, read at
 * the first launch) fail with CL_OUT_OF_RESOURCES as if the driver had refused it: what a device that fails
 * in the middle of a run does, provoked on purpose (tests/rundir.sh). */
static long fault_launch;
static pthread_once_t fault_once = PTHREAD_ONCE_INIT;

static void read_fault_hook(void)
{
    const char *env = getenv("NIN_FAULT_LAUNCH");
    fault_launch = env ? strtol(env, NULL, 10) : 0;
}

static int injected_launch_fault(void)
{
    static long launches;
    pthread_once(&fault_once, read_fault_hook);
    return fault_launch > 0 && __atomic_add_fetch(&launches, 1, __ATOMIC_RELAXED) == fault_launch;
}

static void run_kernel(nin_context *ctx, const char *name, cl_uint dims, const size_t *global,
                       const size_t *local, int nargs, const nin_karg *args)
{
    cl_uint expected = 0;
    for (cl_uint d = 0; d < dims; d++)
        if (global[d] == 0)
            return;
    cl_kernel kernel = ctx->failed ? NULL : get_kernel(ctx, name, &expected);
    if (!kernel)
        return;
    if ((cl_uint)nargs != expected) {
        nin_context_fail(ctx, "kernel %s takes %u arguments, but %d were given", name, expected, nargs);
        return;
    }
    for (int i = 0; i < nargs; i++)
        if (CL_CHECK(ctx, clSetKernelArg(kernel, (cl_uint)i, args[i].size, args[i].value)))
            return;
    char call[128];   /* the call as the error names it, with the kernel */
    snprintf(call, sizeof call, "clEnqueueNDRangeKernel(%s)", name);
    CL_CHECK_ERR(ctx, injected_launch_fault() ? CL_OUT_OF_RESOURCES
                                              : clEnqueueNDRangeKernel(ctx->queue, kernel, dims, NULL, global, local, 0,
                                                                       NULL, profile_slot(ctx, name)),
                 call);
}

void nin_run_kernel(nin_context *ctx, const char *name, size_t global, size_t local, int nargs,
                    const nin_karg *args)
{
    run_kernel(ctx, name, 1, &global, local ? &local : NULL, nargs, args);
}

void nin_run_kernel_2d(nin_context *ctx, const char *name, const size_t global[2], const size_t *local, int nargs,
                       const nin_karg *args)
{
    run_kernel(ctx, name, 2, global, local, nargs, args);
}

int nin_element_shaped(const nin_context *ctx, nin_kernel_family f)
{
    return ctx->element_ok && ctx->tuning.shape[f] == NIN_SHAPE_ELEMENT;
}

void nin_run_elements(nin_context *ctx, const char *name, size_t count0, size_t count1, int nargs,
                      const nin_karg *args)
{
    const size_t global[2] = { (count0 + NIN_GROUP - 1) / NIN_GROUP * NIN_GROUP, count1 }, local[2] = { NIN_GROUP, 1 };
    run_kernel(ctx, name, 2, global, local, nargs, args);
}

void nin_run_rows(nin_context *ctx, nin_kernel_family f, const char *name, size_t rows, size_t chunks, int nargs,
                  const nin_karg *args)
{
    if (!nin_element_shaped(ctx, f)) {
        const size_t global[2] = { rows, chunks };
        run_kernel(ctx, name, 2, global, NULL, nargs, args);
        return;
    }
    char el[64];
    snprintf(el, sizeof el, "%s_el", name);
    nin_run_elements(ctx, el, chunks * NIN_GROUP, rows, nargs, args);
}

/* An allocation is not a sticky device error: the caller gets NULL and the context stays usable. */
cl_mem nin_buffer(nin_context *ctx, size_t bytes)
{
    cl_int err;
    cl_mem mem = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, bytes ? bytes : 4, NULL, &err);
    if (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES || err == CL_INVALID_BUFFER_SIZE)
        nin_fail("cannot allocate %.1f MiB on %s (%s): %s", bytes / 1048576.0, ctx->info.name,
                 nin_cl_error_name(err), ctx->alloc_hint[0] ? ctx->alloc_hint : "use a smaller batch");
    else
        CL_CHECK_ERR(NULL, err, "clCreateBuffer");
    return err == CL_SUCCESS ? mem : NULL;
}

int nin_write(nin_context *ctx, cl_mem dst, size_t offset_bytes, size_t bytes, const void *src)
{
    if (bytes && !ctx->failed)
        CL_CHECK(ctx, clEnqueueWriteBuffer(ctx->queue, dst, CL_TRUE, offset_bytes, bytes, src, 0, NULL, NULL));
    return ctx->failed ? -1 : 0;
}

int nin_read(nin_context *ctx, cl_mem src, size_t offset_bytes, size_t bytes, void *dst)
{
    if (bytes && !ctx->failed)
        CL_CHECK(ctx, clEnqueueReadBuffer(ctx->queue, src, CL_TRUE, offset_bytes, bytes, dst, 0, NULL, NULL));
    return ctx->failed ? -1 : 0;
}

int nin_fill_zero(nin_context *ctx, cl_mem buf, size_t bytes)
{
    const float zero = 0.0f;
    if (bytes && !ctx->failed)
        CL_CHECK(ctx, clEnqueueFillBuffer(ctx->queue, buf, &zero, sizeof zero, 0, bytes, 0, NULL, NULL));
    return ctx->failed ? -1 : 0;
}

int nin_copy(nin_context *ctx, cl_mem src, cl_mem dst, size_t bytes)
{
    if (bytes && !ctx->failed)
        CL_CHECK(ctx, clEnqueueCopyBuffer(ctx->queue, src, dst, 0, 0, bytes, 0, NULL, NULL));
    return ctx->failed ? -1 : 0;
}

/* scratch of at least `floats` floats for packed GEMM operands and split-K partial sums */
static cl_mem gemm_scratch(nin_context *ctx, size_t floats)
{
    floats = floats ? floats : 1;   /* a GEMM that packs nothing still passes a buffer to its kernels */
    if (ctx->gemm_scratch_bytes < floats * sizeof(float)) {
        if (ctx->gemm_scratch)
            clReleaseMemObject(ctx->gemm_scratch);   /* queued commands keep it alive until they finish */
        ctx->gemm_scratch_bytes = floats * sizeof(float);
        ctx->gemm_scratch = nin_buffer(ctx, ctx->gemm_scratch_bytes);
        if (!ctx->gemm_scratch) {   /* the GEMM is skipped and the allocation's message reported */
            ctx->gemm_scratch_bytes = 0;
            nin_context_fail(ctx, "%s", nin_last_error());
        }
    }
    return ctx->gemm_scratch;
}

#define NT_CHUNK 512                    /* k per chunk of the split-K A * B^T */
#define NT_PARTIAL_MAX ((size_t)1 << 24)  /* floats of partial sums at most */

/* How gemm_nt splits k: the number of chunks, each `*chunk` long. */
static size_t nt_chunks(size_t m, size_t n, size_t k, size_t *chunk)
{
    size_t chunks = (k + NT_CHUNK - 1) / NT_CHUNK;
    if (chunks * m * n > NT_PARTIAL_MAX)
        chunks = NT_PARTIAL_MAX / (m * n) ? NT_PARTIAL_MAX / (m * n) : 1;
    *chunk = ((k + chunks - 1) / chunks + 15) / 16 * 16;
    return (k + *chunk - 1) / *chunk;
}

/* C = A * B^T, split over k (gemm_nt_chunk, gemm_reduce_chunks in cl/gemm.cl). */
static void gemm_nt(nin_context *ctx, size_t m, size_t n, size_t k, float alpha, cl_mem a, size_t a_off, size_t lda,
                    cl_mem b, size_t b_off, size_t ldb, float beta, cl_mem c, size_t c_off, size_t ldc)
{
    size_t chunk, chunks = nt_chunks(m, n, k, &chunk);
    cl_mem partial = gemm_scratch(ctx, chunks * m * n);
    if (!partial)
        return;
    int M = (int)m, N = (int)n, K = (int)k, C = (int)chunk, P = (int)chunks, ao = (int)a_off, bo = (int)b_off;
    int la = (int)lda, lb = (int)ldb, co = (int)c_off, lc = (int)ldc;
    const size_t global[2] = { ((m + 3) / 4) * ((n + 3) / 4), chunks }, local[2] = { 1, 1 };
    NIN_RUN_2D(ctx, "gemm_nt_chunk", global, local, KARG(M), KARG(N), KARG(K), KARG(C), KARG(a), KARG(ao), KARG(la),
               KARG(b), KARG(bo), KARG(lb), KARG(partial));
    NIN_RUN(ctx, "gemm_reduce_chunks", m * n, 0, KARG(M), KARG(N), KARG(P), KARG(alpha), KARG(partial), KARG(beta),
            KARG(c), KARG(co), KARG(lc));
}

#define NT_SPLIT_MAX_OUTPUT 65536           /* A * B^T with a larger C: packed panels are faster */

#define GEMM_PANELS_MAX_BYTES ((size_t)64 << 20)   /* packed B panels at most: bounds the scratch memory */

/* Columns of op(B) packed at a time: the tuned block, fewer where k is so long that the panels would
 * exceed GEMM_PANELS_MAX_BYTES (the weight gradients, k = every pixel of an im2col chunk). */
static size_t packing_block(int block_n, size_t k)
{
    size_t fit = GEMM_PANELS_MAX_BYTES / (k * sizeof(float)) / 16 * 16;
    fit = fit < 16 ? 16 : fit;
    return (size_t)block_n < fit ? (size_t)block_n : fit;
}

/* C[:, j .. j + n) = alpha op(A) op(B)[:, j .. j + n) + beta C, with A untransposed (lda) or packed into
 * micro-panels (a_packed), and B in place (whole 16-column strips of an untransposed B: columns_in_place) or
 * op(B) packed into panels in blocks of packing_block columns. */
static void gemm_columns(nin_context *ctx, int in_place, size_t m, size_t n, size_t k, float alpha, cl_mem a,
                         size_t a_off, size_t lda, int a_packed, int trans_b, cl_mem b, size_t b_off, size_t ldb,
                         float beta, cl_mem c, size_t c_off, size_t ldc, cl_mem scratch, size_t panel_off,
                         const nin_gemm_epilogue *epi)
{
    cl_mem bias = epi ? epi->bias : a;   /* without an epilogue the kernel ignores its bias argument */
    int bias_off = epi ? (int)epi->bias_off : -1, relu = epi ? epi->relu : 0;
    int M = (int)m, K = (int)k, ao = (int)a_off, la = (int)lda, ap = a_packed, lb = (int)ldb, tb = trans_b;
    int lc = (int)ldc, po = (int)panel_off, tiles = ctx->tuning.row_tiles, k_block = ctx->tuning.k_block;
    int tm = ctx->tuning.tile_rows;
    size_t block = in_place ? n : packing_block(ctx->tuning.block_n, k), row_tiles = (m + tm - 1) / tm;
    char kernel[32];
    snprintf(kernel, sizeof kernel, "gemm_packed_%d", tm);
    for (size_t j = 0; j < n; j += block) {
        int N = (int)(n - j < block ? n - j : block), co = (int)(c_off + j);
        int bo = (int)(b_off + (trans_b ? j * ldb : j)), jt_stride = in_place ? 16 : 16 * K;
        int k_stride = in_place ? lb : 16;
        const size_t strips = ((size_t)N + 15) / 16, pack[2] = { k, strips };
        if (!in_place)
            NIN_RUN_2D(ctx, "pack_b", pack, NULL, KARG(b), KARG(bo), KARG(lb), KARG(tb), KARG(K), KARG(N),
                       KARG(scratch), KARG(po));
        cl_mem src = in_place ? b : scratch;
        int src_off = in_place ? bo : po;
        const size_t global[2] = { (row_tiles + tiles - 1) / tiles, strips }, local[2] = { 1, 1 };
        NIN_RUN_2D(ctx, kernel, global, local, KARG(M), KARG(N), KARG(K), KARG(alpha), KARG(a), KARG(ao),
                   KARG(la), KARG(ap), KARG(src), KARG(src_off), KARG(jt_stride), KARG(k_stride), KARG(beta),
                   KARG(c), KARG(co), KARG(lc), KARG(tiles), KARG(k_block), KARG(bias), KARG(bias_off),
                   KARG(relu));
    }
}

/* C = A * B^T with a small C: the weight gradients, k = every pixel of the batch, split over k. */
static int uses_split_k(int trans_a, int trans_b, size_t m, size_t n)
{
    return !trans_a && trans_b && m * n <= NT_SPLIT_MAX_OUTPUT;
}

/* Rows of m padded to whole tiles of tm rows (a transposed A packs into micro-panels of that height). */
static size_t padded_rows(size_t m, int tm) { return (m + (size_t)tm - 1) / (size_t)tm * (size_t)tm; }

/* The most rows m pads to under any tile height the tuning may choose (the candidates of gemm_tile_rows), so that
 * the scratch a shape needs does not depend on the height. */
static size_t padded_rows_any_height(size_t m)
{
    size_t most = m;
    for (const int *tm = nin_tiled_params[NIN_TILED_TILE_ROWS].candidates; *tm != NIN_TILED_END; tm++)
        most = padded_rows(m, *tm) > most ? padded_rows(m, *tm) : most;
    return most;
}

/* The whole 16-column strips of op(B) that the tiled GEMM reads in place: those of an untransposed B, unless C
 * has so many rows that packing B pays off (the tuning's pack_b_rows). */
static size_t columns_in_place(const nin_gemm_tuning *t, int trans_b, size_t m, size_t n)
{
    return trans_b || m >= (size_t)t->pack_b_rows ? 0 : n / 16 * 16;
}

size_t nin_gemm_scratch_floats(const nin_gemm_tuning *t, const nin_gemm_shape *g)
{
    int trans_a = g->trans_a, trans_b = g->trans_b;
    size_t m = g->m, n = g->n, k = g->k;
    size_t chunk;
    if (uses_split_k(trans_a, trans_b, m, n))
        return nt_chunks(m, n, k, &chunk) * m * n;
    /* a transposed A packed into micro-panels; op(B) packed in blocks of block_n columns, except the strips
     * read in place */
    size_t a_floats = trans_a ? padded_rows_any_height(m) * k : 0, whole = columns_in_place(t, trans_b, m, n);
    size_t block = n - whole < packing_block(t->block_n, k) ? n - whole : packing_block(t->block_n, k);
    return a_floats + k * ((block + 15) / 16 * 16);
}

/* nin-cl's own GEMM: the split-k kernel where uses_split_k, else gemm_packed_TM (cl/gemm.cl) over A in place
 * or a transposed A packed into micro-panels, and B in place or packed. The tuning data in ctx sets the tile
 * height TM, the work per work-item, the k block and the packing block. */
static void gemm_tiled(nin_context *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                       cl_mem a, size_t a_off, size_t lda, cl_mem b, size_t b_off, size_t ldb, float beta,
                       cl_mem c, size_t c_off, size_t ldc, const nin_gemm_epilogue *epi)
{
    if (uses_split_k(trans_a, trans_b, m, n)) {
        gemm_nt(ctx, m, n, k, alpha, a, a_off, lda, b, b_off, ldb, beta, c, c_off, ldc);
        return;
    }
    /* a transposed A is packed into micro-panels first; an untransposed one is read in place */
    int tm = ctx->tuning.tile_rows;
    size_t a_floats = trans_a ? padded_rows(m, tm) * k : 0, whole = columns_in_place(&ctx->tuning, trans_b, m, n);
    cl_mem scratch = gemm_scratch(ctx, nin_gemm_scratch_floats(&ctx->tuning,
                                                               &(nin_gemm_shape){ trans_a, trans_b, m, n, k, ldb }));
    if (!scratch)
        return;
    if (trans_a) {
        int M = (int)m, K = (int)k, ao = (int)a_off, la = (int)lda, ta = trans_a, zero = 0;
        const size_t pack_a[2] = { k, padded_rows(m, tm) / (size_t)tm };
        NIN_RUN_2D(ctx, "pack_a", pack_a, NULL, KARG(a), KARG(ao), KARG(la), KARG(ta), KARG(M), KARG(K), KARG(tm),
                   KARG(scratch), KARG(zero));
        a = scratch, a_off = 0;
    }
    if (whole)
        gemm_columns(ctx, 1, m, whole, k, alpha, a, a_off, lda, trans_a, trans_b, b, b_off, ldb, beta, c, c_off,
                     ldc, scratch, 0, epi);
    if (whole < n)
        gemm_columns(ctx, 0, m, n - whole, k, alpha, a, a_off, lda, trans_a, trans_b, b, b_off + whole, ldb, beta,
                     c, c_off + whole, ldc, scratch, a_floats, epi);
}

/* Any GEMM, with or without an epilogue (tiled backend only), timed as one entry when profiling. */
static void gemm(nin_context *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha, cl_mem a,
                 size_t a_off, size_t lda, cl_mem b, size_t b_off, size_t ldb, float beta, cl_mem c, size_t c_off,
                 size_t ldc, const nin_gemm_epilogue *epi)
{
    char label[64];
    snprintf(label, sizeof label, "gemm%s%s%s %zux%zux%zu", trans_a ? " At" : "", trans_b ? " Bt" : "",
             epi ? " +bias" : "", m, n, k);
    if (ctx->failed)
        return;
    if (epi && ctx->tuning.backend != NIN_GEMM_TILED) {
        nin_context_fail(ctx, "internal error: a GEMM epilogue needs the tiled GEMM (nin_gemm_has_epilogue)");
        return;
    }
    struct profiled *e = profile_entry(ctx, label, 2.0 * m * n * k);
    nin_profile *profile = ctx->profile;
    double start = 0.0;
    if (e) {   /* the GEMM is timed as a whole: its own kernels are not listed separately */
        CL_CHECK(ctx, clFinish(ctx->queue));
        start = nin_now();
        ctx->profile = NULL;
    }
    if (ctx->tuning.backend == NIN_GEMM_TILED)
        gemm_tiled(ctx, trans_a, trans_b, m, n, k, alpha, a, a_off, lda, b, b_off, ldb, beta, c, c_off, ldc, epi);
    else
        CL_CHECK(ctx, CLBlastSgemm(CLBlastLayoutRowMajor, trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
                                   trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, m, n, k, alpha, a, a_off, lda,
                                   b, b_off, ldb, beta, c, c_off, ldc, &ctx->queue, NULL));
    if (e) {
        CL_CHECK(ctx, clFinish(ctx->queue));
        e->seconds = nin_now() - start;
        ctx->profile = profile;
    }
}

void nin_gemm(nin_context *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
              cl_mem a, size_t a_off, size_t lda, cl_mem b, size_t b_off, size_t ldb, float beta,
              cl_mem c, size_t c_off, size_t ldc)
{
    gemm(ctx, trans_a, trans_b, m, n, k, alpha, a, a_off, lda, b, b_off, ldb, beta, c, c_off, ldc, NULL);
}

int nin_gemm_has_epilogue(const nin_context *ctx) { return ctx->tuning.backend == NIN_GEMM_TILED; }

void nin_gemm_bias_act(nin_context *ctx, size_t m, size_t n, size_t k, cl_mem a, size_t a_off, size_t lda,
                           cl_mem b, size_t b_off, size_t ldb, cl_mem c, size_t c_off, size_t ldc,
                           const nin_gemm_epilogue *epi)
{
    gemm(ctx, 0, 0, m, n, k, 1.0f, a, a_off, lda, b, b_off, ldb, 0.0f, c, c_off, ldc, epi);
}

void nin_gemm_ref(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                  const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double sum = 0.0;
            for (size_t p = 0; p < k; p++) {
                float av = trans_a ? a[p * lda + i] : a[i * lda + p];
                float bv = trans_b ? b[j * ldb + p] : b[p * ldb + j];
                sum += (double)av * bv;
            }
            c[i * ldc + j] = (float)(alpha * sum + (beta != 0.0f ? beta * c[i * ldc + j] : 0.0));
        }
}
