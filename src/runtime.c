/* runtime.c - OpenCL devices, the context and queue, the kernel program, buffers, kernel launches, GEMM. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <time.h>
#include <nin/runtime.h>
#include <nin/net.h>
#include <CL/cl_ext.h>
#include <clblast_c.h>

/* The kernel sources, one file per layer kind; common.cl comes first because the others use it. */
static const char *const kernel_files[] = {
    "common.cl", "conv.cl", "pool.cl", "dropout.cl", "gap.cl", "softmax.cl", "sgd.cl", "gemm.cl",
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
    struct { char name[64]; cl_kernel kernel; } *entries;
};

const char *nin_device_type_name(cl_device_type type)
{
    if (type & CL_DEVICE_TYPE_GPU) return "GPU";
    if (type & CL_DEVICE_TYPE_CPU) return "CPU";
    if (type & CL_DEVICE_TYPE_ACCELERATOR) return "ACCEL";
    return "OTHER";
}

int nin_list_devices(nin_device_info **devices)
{
    cl_uint nplatforms = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &nplatforms);
    *devices = NULL;
    if (err == CL_PLATFORM_NOT_FOUND_KHR || nplatforms == 0)
        return 0;
    CL_CHECK_ERR(err, "clGetPlatformIDs");
    cl_platform_id *platforms = nin_malloc(nplatforms * sizeof *platforms);
    CL_CHECK(clGetPlatformIDs(nplatforms, platforms, NULL));

    int count = 0;
    for (cl_uint p = 0; p < nplatforms; p++) {
        cl_uint ndev = 0;
        err = clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 0, NULL, &ndev);
        if (err == CL_DEVICE_NOT_FOUND || ndev == 0)
            continue;
        CL_CHECK_ERR(err, "clGetDeviceIDs");
        cl_device_id *ids = nin_malloc(ndev * sizeof *ids);
        CL_CHECK(clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, ndev, ids, NULL));
        *devices = realloc(*devices, (count + ndev) * sizeof **devices);
        if (!*devices)
            nin_fatal("out of host memory listing OpenCL devices");
        for (cl_uint d = 0; d < ndev; d++) {
            nin_device_info *info = &(*devices)[count];
            memset(info, 0, sizeof *info);
            info->index = count++;
            info->platform = platforms[p];
            info->device = ids[d];
            CL_CHECK(clGetPlatformInfo(platforms[p], CL_PLATFORM_NAME, sizeof info->platform_name - 1,
                                       info->platform_name, NULL));
            CL_CHECK(clGetDeviceInfo(ids[d], CL_DEVICE_NAME, sizeof info->name - 1, info->name, NULL));
            CL_CHECK(clGetDeviceInfo(ids[d], CL_DEVICE_TYPE, sizeof info->type, &info->type, NULL));
            CL_CHECK(clGetDeviceInfo(ids[d], CL_DEVICE_MAX_COMPUTE_UNITS, sizeof info->compute_units,
                                     &info->compute_units, NULL));
            CL_CHECK(clGetDeviceInfo(ids[d], CL_DEVICE_GLOBAL_MEM_SIZE, sizeof info->global_mem_bytes,
                                     &info->global_mem_bytes, NULL));
            CL_CHECK(clGetDeviceInfo(ids[d], CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof info->max_alloc_bytes,
                                     &info->max_alloc_bytes, NULL));
            CL_CHECK(clGetDeviceInfo(ids[d], CL_DEVICE_VERSION, sizeof info->version - 1, info->version, NULL));
            CL_CHECK(clGetDeviceInfo(ids[d], CL_DRIVER_VERSION, sizeof info->driver - 1, info->driver, NULL));
        }
        free(ids);
    }
    free(platforms);
    return count;
}

void nin_print_devices(FILE *out, const nin_device_info *devices, int count)
{
    if (count == 0) {
        fprintf(out, "no OpenCL device found: install an OpenCL driver (e.g. the Debian package pocl-opencl-icd)\n");
        return;
    }
    fprintf(out, "%-5s %-28s %-36s %-5s %5s %10s  %s\n", "index", "platform", "device", "type", "CUs",
            "memory", "OpenCL");
    for (int i = 0; i < count; i++) {
        const nin_device_info *d = &devices[i];
        fprintf(out, "%-5d %-28.28s %-36.36s %-5s %5u %7.1f GiB  %s\n", d->index, d->platform_name, d->name,
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
        if (!is_dir_with_kernels(env))
            nin_fatal("NIN_KERNEL_DIR=%s holds no %s", env, kernel_files[0]);
        snprintf(buf, size, "%s", env);
        return buf;
    }
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (is_dir_with_kernels(candidates[i])) {
            snprintf(buf, size, "%s", candidates[i]);
            return buf;
        }
    nin_fatal("OpenCL kernel sources not found in %s or %s: set NIN_KERNEL_DIR to nin-cl's cl/ directory",
              NIN_SOURCE_KERNEL_DIR, NIN_INSTALL_KERNEL_DIR);
}

static char *read_text_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        nin_fatal("cannot open kernel source %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = nin_malloc((size_t)size + 1);
    if (size < 0 || fread(text, 1, (size_t)size, f) != (size_t)size)
        nin_fatal("cannot read kernel source %s", path);
    text[size] = '\0';
    fclose(f);
    return text;
}

#define BUILD_OPTIONS "-cl-std=CL1.2"
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

static void build_program(nin_context *ctx)
{
    char *sources[KERNEL_FILE_COUNT];
    char path[1200], cache[1400];
    cl_int err;
    for (size_t i = 0; i < KERNEL_FILE_COUNT; i++) {
        snprintf(path, sizeof path, "%s/%s", ctx->kernel_dir, kernel_files[i]);
        sources[i] = read_text_file(path);
    }
    cache_path(ctx, sources, cache, sizeof cache);
    snprintf(ctx->program_cache, sizeof ctx->program_cache, "%s", cache);
    ctx->program = load_cached_program(ctx, cache);
    if (ctx->program) {
        ctx->programs_compiled = 0;
        for (size_t i = 0; i < KERNEL_FILE_COUNT; i++)
            free(sources[i]);
        return;
    }
    ctx->program = clCreateProgramWithSource(ctx->context, KERNEL_FILE_COUNT, (const char **)sources, NULL, &err);
    CL_CHECK_ERR(err, "clCreateProgramWithSource");
    for (size_t i = 0; i < KERNEL_FILE_COUNT; i++)
        free(sources[i]);

    err = clBuildProgram(ctx->program, 1, &ctx->info.device, BUILD_OPTIONS, NULL, NULL);
    if (err != CL_SUCCESS) {
        size_t log_size = 0;
        clGetProgramBuildInfo(ctx->program, ctx->info.device, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_size);
        char *log = nin_malloc(log_size + 1);
        clGetProgramBuildInfo(ctx->program, ctx->info.device, CL_PROGRAM_BUILD_LOG, log_size, log, NULL);
        log[log_size] = '\0';
        fprintf(stderr, "build log of the kernels in %s for %s:\n%s\n", ctx->kernel_dir, ctx->info.name, log);
        free(log);
        CL_CHECK_ERR(err, "clBuildProgram");
    }
    ctx->programs_compiled = 1;
    save_cached_program(ctx, cache);
}

nin_context *nin_context_create(int index)
{
    nin_device_info *devices;
    int count = nin_list_devices(&devices);
    if (count == 0)
        nin_fatal("no OpenCL device found: install an OpenCL driver (e.g. the Debian package pocl-opencl-icd)");
    if (index < 0)
        index = nin_default_device(devices, count);
    if (index >= count) {
        fprintf(stderr, "nin-cl: error: no OpenCL device %d; the devices are:\n", index);
        nin_print_devices(stderr, devices, count);
        exit(2);
    }

    nin_context *ctx = nin_calloc(1, sizeof *ctx);
    ctx->info = devices[index];
    free(devices);
    cl_int err;
    cl_context_properties props[] = { CL_CONTEXT_PLATFORM, (cl_context_properties)ctx->info.platform, 0 };
    ctx->context = clCreateContext(props, 1, &ctx->info.device, NULL, NULL, &err);
    CL_CHECK_ERR(err, "clCreateContext");
    ctx->queue = clCreateCommandQueue(ctx->context, ctx->info.device, 0, &err);
    CL_CHECK_ERR(err, "clCreateCommandQueue");
    nin_find_kernel_dir(ctx->kernel_dir, sizeof ctx->kernel_dir);
    build_program(ctx);
    ctx->kernels = nin_calloc(1, sizeof *ctx->kernels);
    ctx->gemm_row_tiles = NIN_GEMM_ROW_TILES_DEFAULT;
    ctx->gemm_k_block = NIN_GEMM_K_BLOCK_DEFAULT;
    ctx->gemm_block_n = NIN_GEMM_BLOCK_N_DEFAULT;
    nin_tuning_load(ctx);
    return ctx;
}

void nin_context_free(nin_context *ctx)
{
    if (!ctx)
        return;
    for (int i = 0; i < ctx->kernels->count; i++)
        clReleaseKernel(ctx->kernels->entries[i].kernel);
    free(ctx->kernels->entries);
    free(ctx->kernels);
    if (ctx->gemm_scratch)
        clReleaseMemObject(ctx->gemm_scratch);
    if (ctx->profile)
        free(ctx->profile->entries);
    free(ctx->profile);
    clReleaseProgram(ctx->program);
    clReleaseCommandQueue(ctx->queue);
    clReleaseContext(ctx->context);
    free(ctx);
}

/* Where a command's event goes: NULL when not profiling. */
static struct profiled *profile_entry(nin_context *ctx, const char *label, double flop)
{
    nin_profile *p = ctx->profile;
    if (!p)
        return NULL;
    if (p->count == p->capacity) {
        p->capacity = p->capacity ? 2 * p->capacity : 256;
        p->entries = realloc(p->entries, p->capacity * sizeof *p->entries);
        if (!p->entries)
            nin_fatal("out of host memory profiling");
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

void nin_profile_start(nin_context *ctx)
{
    cl_int err;
    CL_CHECK(clFinish(ctx->queue));
    CL_CHECK(clReleaseCommandQueue(ctx->queue));
    ctx->queue = clCreateCommandQueue(ctx->context, ctx->info.device, CL_QUEUE_PROFILING_ENABLE, &err);
    CL_CHECK_ERR(err, "clCreateCommandQueue");
    if (!ctx->profile)
        ctx->profile = nin_calloc(1, sizeof *ctx->profile);
    ctx->profile->count = 0;
}

void nin_profile_report(nin_context *ctx, FILE *out, int repeats)
{
    nin_profile *p = ctx->profile;
    CL_CHECK(clFinish(ctx->queue));
    /* sum time and flop per label */
    struct row { char label[64]; double seconds, flop; int calls; } *rows = nin_calloc(p->count + 1, sizeof *rows);
    int nrows = 0;
    double total = 0.0;
    for (int i = 0; i < p->count; i++) {
        double seconds = p->entries[i].seconds;
        if (p->entries[i].event) {
            cl_ulong start, end;
            CL_CHECK(clGetEventProfilingInfo(p->entries[i].event, CL_PROFILING_COMMAND_START, sizeof start, &start,
                                             NULL));
            CL_CHECK(clGetEventProfilingInfo(p->entries[i].event, CL_PROFILING_COMMAND_END, sizeof end, &end, NULL));
            clReleaseEvent(p->entries[i].event);
            seconds = (end - start) * 1e-9;
        }
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
}

static cl_kernel get_kernel(nin_context *ctx, const char *name)
{
    nin_kernel_cache *cache = ctx->kernels;
    for (int i = 0; i < cache->count; i++)
        if (strcmp(cache->entries[i].name, name) == 0)
            return cache->entries[i].kernel;
    if (cache->count == cache->capacity) {
        cache->capacity = cache->capacity ? 2 * cache->capacity : 32;
        cache->entries = realloc(cache->entries, cache->capacity * sizeof *cache->entries);
        if (!cache->entries)
            nin_fatal("out of host memory caching kernels");
    }
    cl_int err;
    cl_kernel kernel = clCreateKernel(ctx->program, name, &err);
    CL_CHECK_ERR(err, name);
    snprintf(cache->entries[cache->count].name, sizeof cache->entries[0].name, "%s", name);
    cache->entries[cache->count].kernel = kernel;
    cache->count++;
    return kernel;
}

static void run_kernel(nin_context *ctx, const char *name, cl_uint dims, const size_t *global,
                       const size_t *local, int nargs, const nin_karg *args)
{
    for (cl_uint d = 0; d < dims; d++)
        if (global[d] == 0)
            return;
    cl_kernel kernel = get_kernel(ctx, name);
    for (int i = 0; i < nargs; i++)
        CL_CHECK(clSetKernelArg(kernel, (cl_uint)i, args[i].size, args[i].value));
    CL_CHECK(clEnqueueNDRangeKernel(ctx->queue, kernel, dims, NULL, global, local, 0, NULL, profile_slot(ctx, name)));
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

cl_mem nin_buffer(nin_context *ctx, size_t bytes)
{
    cl_int err;
    cl_mem mem = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, bytes ? bytes : 4, NULL, &err);
    if (err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES || err == CL_INVALID_BUFFER_SIZE)
        nin_fatal("cannot allocate %.1f MiB on %s (%s): %s", bytes / 1048576.0, ctx->info.name,
                  nin_cl_error_name(err), ctx->alloc_hint[0] ? ctx->alloc_hint : "use a smaller batch");
    CL_CHECK_ERR(err, "clCreateBuffer");
    return mem;
}

void nin_write(nin_context *ctx, cl_mem dst, size_t offset_bytes, size_t bytes, const void *src)
{
    if (bytes)
        CL_CHECK(clEnqueueWriteBuffer(ctx->queue, dst, CL_TRUE, offset_bytes, bytes, src, 0, NULL, NULL));
}

void nin_read(nin_context *ctx, cl_mem src, size_t offset_bytes, size_t bytes, void *dst)
{
    if (bytes)
        CL_CHECK(clEnqueueReadBuffer(ctx->queue, src, CL_TRUE, offset_bytes, bytes, dst, 0, NULL, NULL));
}

void nin_fill_zero(nin_context *ctx, cl_mem buf, size_t bytes)
{
    const float zero = 0.0f;
    if (bytes)
        CL_CHECK(clEnqueueFillBuffer(ctx->queue, buf, &zero, sizeof zero, 0, bytes, 0, NULL, NULL));
}

/* scratch of at least `floats` floats for packed GEMM operands and split-K partial sums */
static cl_mem gemm_scratch(nin_context *ctx, size_t floats)
{
    if (ctx->gemm_scratch_bytes < floats * sizeof(float)) {
        if (ctx->gemm_scratch)
            clReleaseMemObject(ctx->gemm_scratch);   /* queued commands keep it alive until they finish */
        ctx->gemm_scratch_bytes = floats * sizeof(float);
        ctx->gemm_scratch = nin_buffer(ctx, ctx->gemm_scratch_bytes);
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
 * micro-panels (a_packed), and B in place when it is not transposed and the 16-column strips are whole, else
 * op(B) packed into panels in blocks of packing_block columns. */
static void gemm_columns(nin_context *ctx, int in_place, size_t m, size_t n, size_t k, float alpha, cl_mem a,
                         size_t a_off, size_t lda, int a_packed, int trans_b, cl_mem b, size_t b_off, size_t ldb,
                         float beta, cl_mem c, size_t c_off, size_t ldc, cl_mem scratch, size_t panel_off,
                         const nin_gemm_epilogue *epi)
{
    cl_mem bias = epi ? epi->bias : a;   /* without an epilogue the kernel ignores its bias argument */
    int bias_off = epi ? (int)epi->bias_off : -1, relu = epi ? epi->relu : 0;
    int M = (int)m, K = (int)k, ao = (int)a_off, la = (int)lda, ap = a_packed, lb = (int)ldb, tb = trans_b;
    int lc = (int)ldc, po = (int)panel_off, tiles = ctx->gemm_row_tiles, k_block = ctx->gemm_k_block;
    size_t block = in_place ? n : packing_block(ctx->gemm_block_n, k), row_tiles = (m + 7) / 8;
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
        NIN_RUN_2D(ctx, "gemm_packed", global, local, KARG(M), KARG(N), KARG(K), KARG(alpha), KARG(a), KARG(ao),
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

size_t nin_gemm_scratch_floats(int block_n, int trans_a, int trans_b, size_t m, size_t n, size_t k)
{
    size_t chunk;
    if (uses_split_k(trans_a, trans_b, m, n))
        return nt_chunks(m, n, k, &chunk) * m * n;
    /* a transposed A packed into micro-panels; op(B) packed in blocks of block_n columns, except the whole
     * 16-column strips of an untransposed B, which are read in place */
    size_t row_tiles = (m + 7) / 8, a_floats = trans_a ? row_tiles * 8 * k : 0, whole = trans_b ? 0 : n / 16 * 16;
    size_t block = n - whole < packing_block(block_n, k) ? n - whole : packing_block(block_n, k);
    return a_floats + k * ((block + 15) / 16 * 16);
}

/* nin-cl's own GEMM: the split-k kernel where uses_split_k, else gemm_packed (cl/gemm.cl) over A in place or
 * a transposed A packed into micro-panels, and B in place or packed. The tuning data in ctx sets the work per
 * work-item, the k block and the packing block. */
static void gemm_tiled(nin_context *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                       cl_mem a, size_t a_off, size_t lda, cl_mem b, size_t b_off, size_t ldb, float beta,
                       cl_mem c, size_t c_off, size_t ldc, const nin_gemm_epilogue *epi)
{
    if (uses_split_k(trans_a, trans_b, m, n)) {
        gemm_nt(ctx, m, n, k, alpha, a, a_off, lda, b, b_off, ldb, beta, c, c_off, ldc);
        return;
    }
    /* a transposed A is packed into micro-panels first; an untransposed one is read in place */
    size_t row_tiles = (m + 7) / 8, a_floats = trans_a ? row_tiles * 8 * k : 0, whole = trans_b ? 0 : n / 16 * 16;
    cl_mem scratch = gemm_scratch(ctx, nin_gemm_scratch_floats(ctx->gemm_block_n, trans_a, trans_b, m, n, k));
    if (trans_a) {
        int M = (int)m, K = (int)k, ao = (int)a_off, la = (int)lda, ta = trans_a, zero = 0;
        const size_t pack_a[2] = { k, row_tiles };
        NIN_RUN_2D(ctx, "pack_a", pack_a, NULL, KARG(a), KARG(ao), KARG(la), KARG(ta), KARG(M), KARG(K),
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
    if (epi && ctx->gemm != NIN_GEMM_TILED)
        nin_fatal("internal error: a GEMM epilogue needs the tiled GEMM (nin_gemm_has_epilogue)");
    struct profiled *e = profile_entry(ctx, label, 2.0 * m * n * k);
    nin_profile *profile = ctx->profile;
    double start = 0.0;
    if (e) {   /* the GEMM is timed as a whole: its own kernels are not listed separately */
        CL_CHECK(clFinish(ctx->queue));
        start = nin_now();
        ctx->profile = NULL;
    }
    if (ctx->gemm == NIN_GEMM_TILED)
        gemm_tiled(ctx, trans_a, trans_b, m, n, k, alpha, a, a_off, lda, b, b_off, ldb, beta, c, c_off, ldc, epi);
    else
        CL_CHECK(CLBlastSgemm(CLBlastLayoutRowMajor, trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
                              trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, m, n, k, alpha, a, a_off, lda,
                              b, b_off, ldb, beta, c, c_off, ldc, &ctx->queue, NULL));
    if (e) {
        CL_CHECK(clFinish(ctx->queue));
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

int nin_gemm_has_epilogue(const nin_context *ctx) { return ctx->gemm == NIN_GEMM_TILED; }

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
