/* dataset_formats.c - reading the datasets from their official files (IDX for MNIST and Fashion-MNIST,
 * the CIFAR binary batches, SVHN's MATLAB files) into uint8 NCHW images and int labels.
 *
 * Every failure ends in one error line that names the file, what was expected and what was found, and
 * says how to get the data. Nothing is allocated from a header field before it has been checked, and
 * nothing is half loaded: on error all buffers are freed and `out` stays empty. */
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <matio.h>
#include <nin/data.h>

/* More images than any official split holds (SVHN extra has 531131): a header claiming more is corrupt. */
#define MAX_IMAGES 4000000
/* deflate never compresses better than about 1032:1, which bounds what a compressed file can hold. */
#define MAX_DEFLATE_RATIO 1032

/* What a failure is reported against. */
typedef struct loader {
    const nin_dataset_spec *spec;
    char *err;
    size_t err_size;
} loader;

/* Write the error line, always ending in how to get the data, and return -1. */
static int fail(const loader *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const loader *L, const char *fmt, ...)
{
    if (!L->err || L->err_size == 0)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(L->err, L->err_size, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < L->err_size)
        snprintf(L->err + n, L->err_size - (size_t)n, ": run `nin-cl download %s` or pass --data DIR",
                 L->spec->name);
    /* Library messages (zlib, strerror) are pasted in; keep the line one line whatever they say. */
    for (char *p = L->err; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return -1;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Labels come as bytes or as doubles; anything but an integer in [lo, hi] means a corrupt file. */
static int check_label(const loader *L, const char *path, const char *what, double value, size_t index,
                       int lo, int hi)
{
    if (value >= lo && value <= hi && value == (double)(int)value)
        return 0;
    return fail(L, "%s: %s %g of image %zu is out of range, expected an integer in %d..%d", path, what, value,
                index, lo, hi);
}

static int check_count(const loader *L, const char *path, unsigned long long count, const char *what)
{
    if (count == 0)
        return fail(L, "%s: holds no %s, expected at least one", path, what);
    if (count > MAX_IMAGES)
        return fail(L, "%s: claims %llu %s, more than the %d any official split has (corrupt header?)", path,
                    count, what, MAX_IMAGES);
    return 0;
}

/* Hand the buffers over; the images are already NCHW, the labels already in [0, classes). */
static void finish(const loader *L, nin_dataset *out, size_t count, uint8_t *images, int *labels)
{
    out->spec = L->spec;
    out->count = (int)count;
    out->images = images;
    out->labels = labels;
}

/* --- reading files ---------------------------------------------------------------------------------- */

/* A file read through zlib, which reads gzipped and plain files alike. */
typedef struct input {
    gzFile gz;
    char path[4096];
    unsigned long long pos;   /* bytes consumed so far, for messages */
    char expect[160];         /* what the whole file should hold, for messages */
} input;

static int input_open(const loader *L, input *in, const char *path)
{
    memset(in, 0, sizeof *in);
    snprintf(in->path, sizeof in->path, "%s", path);
    snprintf(in->expect, sizeof in->expect, "a header");
    errno = 0;
    in->gz = gzopen(path, "rb");
    if (!in->gz)
        return fail(L, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
    gzbuffer(in->gz, 1 << 17);
    return 0;
}

static void input_close(input *in)
{
    if (in->gz)
        gzclose(in->gz);
    in->gz = NULL;
}

/* Read exactly n bytes, or fail naming the file, where it ended and what it should have held. */
static int input_read(const loader *L, input *in, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        unsigned chunk = n > (1u << 30) ? 1u << 30 : (unsigned)n;
        int got = gzread(in->gz, p, chunk);
        if (got < 0) {
            int code;
            const char *msg = gzerror(in->gz, &code);
            return fail(L, "%s: %s after %llu bytes, expected %s", in->path,
                        code == Z_BUF_ERROR ? "truncated (the gzip stream ends early)" : msg, in->pos,
                        in->expect);
        }
        if (got == 0)
            return fail(L, "%s: truncated: the file ends after %llu bytes, expected %s", in->path, in->pos,
                        in->expect);
        in->pos += (unsigned)got;
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

/* After the data the file must end: extra bytes mean it is not what its header says. */
static int input_end(const loader *L, input *in)
{
    uint8_t byte;
    int got = gzread(in->gz, &byte, 1);
    if (got == 0)
        return 0;
    if (got < 0)
        return input_read(L, in, &byte, 1);   /* reports the read error */
    return fail(L, "%s: trailing bytes after %llu bytes, expected %s and nothing more", in->path, in->pos,
                in->expect);
}

/* Read count records of size bytes into a new buffer. The buffer grows with the data actually read, so a
 * header that overstates the count (a .gz file's size tells nothing) ends in a truncation error, not in
 * a huge allocation. */
static uint8_t *read_records(const loader *L, input *in, size_t count, size_t size)
{
    uint8_t *buf = NULL;
    size_t have = 0, cap = 0;
    while (have < count) {
        cap = cap ? 2 * cap : 4096;
        if (cap > count)
            cap = count;
        uint8_t *grown = realloc(buf, cap * size);
        if (!grown) {
            free(buf);
            fail(L, "%s: out of memory for %zu records of %zu bytes", in->path, cap, size);
            return NULL;
        }
        buf = grown;
        if (input_read(L, in, buf + have * size, (cap - have) * size) < 0) {
            free(buf);
            return NULL;
        }
        have = cap;
    }
    return buf;
}

/* --- MNIST and Fashion-MNIST: IDX files ------------------------------------------------------------- */

enum { IDX_IMAGES = 0x00000803, IDX_LABELS = 0x00000801 };

static uint32_t be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Open an IDX file by its official name, plain or else gzipped, check its magic and read its ndims
 * dimensions. */
static int idx_open(const loader *L, input *in, const char *dir, const char *name, uint32_t magic, int ndims,
                    uint32_t *dims)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!is_file(path)) {
        snprintf(path, sizeof path, "%s/%s.gz", dir, name);
        if (!is_file(path))
            return fail(L, "%s/%s: missing (neither it nor %s.gz exists)", dir, name, name);
    }
    if (input_open(L, in, path) < 0)
        return -1;
    uint8_t head[16];
    snprintf(in->expect, sizeof in->expect, "the %d-byte IDX header", 4 + 4 * ndims);
    if (input_read(L, in, head, 4 + 4 * (size_t)ndims) < 0)
        return -1;
    if (be32(head) != magic)
        return fail(L, "%s: wrong magic 0x%08x, expected 0x%08x (IDX %s)", path, be32(head), magic,
                    magic == IDX_IMAGES ? "images, 3 dimensions" : "labels, 1 dimension");
    for (int i = 0; i < ndims; i++)
        dims[i] = be32(head + 4 + 4 * i);
    return 0;
}

static int load_idx(const loader *L, const char *dir, nin_split split, nin_dataset *out)
{
    const char *set = split == NIN_SPLIT_TRAIN ? "train" : "t10k";
    const uint32_t rows = (uint32_t)L->spec->height, cols = (uint32_t)L->spec->width;
    char name[64];
    uint32_t dims[3];
    input in = { 0 };
    uint8_t *images = NULL, *bytes = NULL;
    int *labels = NULL;

    snprintf(name, sizeof name, "%s-images-idx3-ubyte", set);
    if (idx_open(L, &in, dir, name, IDX_IMAGES, 3, dims) < 0)
        goto fail;
    size_t count = dims[0];
    if (dims[1] != rows || dims[2] != cols) {
        fail(L, "%s: images are %ux%u, expected %ux%u", in.path, dims[1], dims[2], rows, cols);
        goto fail;
    }
    if (check_count(L, in.path, count, "images") < 0)
        goto fail;
    snprintf(in.expect, sizeof in.expect, "%zu images of %ux%u bytes after the 16-byte header", count, rows,
             cols);
    if (!(images = read_records(L, &in, count, (size_t)rows * cols)) || input_end(L, &in) < 0)
        goto fail;
    input_close(&in);

    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", set);
    if (idx_open(L, &in, dir, name, IDX_LABELS, 1, dims) < 0)
        goto fail;
    if (dims[0] != count) {
        fail(L, "%s: holds %u labels, expected %zu, one for each image", in.path, dims[0], count);
        goto fail;
    }
    snprintf(in.expect, sizeof in.expect, "%zu one-byte labels after the 8-byte header", count);
    if (!(bytes = read_records(L, &in, count, 1)) || input_end(L, &in) < 0)
        goto fail;
    if (!(labels = malloc(count * sizeof *labels))) {
        fail(L, "%s: out of memory for %zu labels", in.path, count);
        goto fail;
    }
    for (size_t i = 0; i < count; i++) {
        if (check_label(L, in.path, "label", bytes[i], i, 0, L->spec->classes - 1) < 0)
            goto fail;
        labels[i] = bytes[i];
    }
    input_close(&in);
    free(bytes);
    finish(L, out, count, images, labels);
    return 0;
fail:
    input_close(&in);
    free(images);
    free(bytes);
    free(labels);
    return -1;
}

/* --- CIFAR-10 and CIFAR-100: binary batches --------------------------------------------------------- */

typedef struct cifar_format {
    const char *folder;                  /* what the official archive unpacks to */
    const char *const *train, *const *test;
    int label_bytes;                     /* CIFAR-100 has a coarse then a fine label; the last is the class */
    int label_classes[2];
    const char *label_names[2];
} cifar_format;

static const char *const cifar10_train[] = { "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                             "data_batch_4.bin", "data_batch_5.bin", NULL };
static const char *const cifar10_test[] = { "test_batch.bin", NULL };
static const char *const cifar100_train[] = { "train.bin", NULL };
static const char *const cifar100_test[] = { "test.bin", NULL };

static const cifar_format cifar10_format = { "cifar-10-batches-bin", cifar10_train, cifar10_test, 1,
                                             { 10 }, { "label" } };
static const cifar_format cifar100_format = { "cifar-100-binary", cifar100_train, cifar100_test, 2,
                                              { 20, 100 }, { "coarse label", "fine label" } };

/* One batch file's records, appended at image `first`. */
static int cifar_read_file(const loader *L, const cifar_format *fmt, const char *path, size_t first,
                           size_t records, uint8_t *images, int *labels)
{
    const size_t pixels = (size_t)L->spec->channels * L->spec->height * L->spec->width;
    input in;
    if (input_open(L, &in, path) < 0)
        return -1;
    snprintf(in.expect, sizeof in.expect, "%zu records of %zu bytes", records, fmt->label_bytes + pixels);
    for (size_t i = first; i < first + records; i++) {
        uint8_t label[2];
        if (input_read(L, &in, label, (size_t)fmt->label_bytes) < 0)
            goto fail;
        for (int b = 0; b < fmt->label_bytes; b++)
            if (check_label(L, path, fmt->label_names[b], label[b], i - first, 0, fmt->label_classes[b] - 1) < 0)
                goto fail;
        labels[i] = label[fmt->label_bytes - 1];
        /* The record's pixels are already R, G, B planes of row-major 32x32: NCHW as it stands. */
        if (input_read(L, &in, images + i * pixels, pixels) < 0)
            goto fail;
    }
    if (input_end(L, &in) < 0)
        goto fail;
    input_close(&in);
    return 0;
fail:
    input_close(&in);
    return -1;
}

static int load_cifar(const loader *L, const cifar_format *fmt, const char *dir, nin_split split,
                      nin_dataset *out)
{
    const char *const *files = split == NIN_SPLIT_TRAIN ? fmt->train : fmt->test;
    const size_t pixels = (size_t)L->spec->channels * L->spec->height * L->spec->width;
    const size_t record = (size_t)fmt->label_bytes + pixels;
    char base[4096], path[4096 + 64];
    size_t records[8], total = 0;
    struct stat st;

    /* `dir` may be the folder the archive unpacks to or its parent. */
    snprintf(base, sizeof base, "%s/%s", dir, fmt->folder);
    if (!is_dir(base))
        snprintf(base, sizeof base, "%s", dir);

    /* The record count comes from the file sizes, so the buffers are sized by data that exists. */
    for (int f = 0; files[f]; f++) {
        snprintf(path, sizeof path, "%s/%s", base, files[f]);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            return fail(L, "%s: missing (expected the official binary version, %s/)", path, fmt->folder);
        if (st.st_size <= 0 || (size_t)st.st_size % record != 0)
            return fail(L, "%s: truncated or not a CIFAR batch: %lld bytes, expected a positive multiple of the "
                        "%zu-byte record", path, (long long)st.st_size, record);
        records[f] = (size_t)st.st_size / record;
        total += records[f];
    }
    if (check_count(L, base, total, "images") < 0)
        return -1;

    uint8_t *images = malloc(total * pixels);
    int *labels = malloc(total * sizeof *labels);
    if (!images || !labels) {
        fail(L, "%s: out of memory for %zu images", base, total);
        goto fail;
    }
    size_t first = 0;
    for (int f = 0; files[f]; first += records[f], f++) {
        snprintf(path, sizeof path, "%s/%s", base, files[f]);
        if (cifar_read_file(L, fmt, path, first, records[f], images, labels) < 0)
            goto fail;
    }
    finish(L, out, total, images, labels);
    return 0;
fail:
    free(images);
    free(labels);
    return -1;
}

/* --- SVHN: MATLAB files --------------------------------------------------------------------------- */

static uint32_t le32(const uint8_t *b)
{
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

/* A compressed variable must inflate to the end of its zlib stream, whose checksum zlib then checks:
 * matio does not report a stream that is corrupt, and would hand over garbage. */
static int mat5_check_inflates(const loader *L, input *in, unsigned long long n)
{
    enum { CHUNK = 1 << 16 };
    const unsigned long long start = in->pos - 8;
    z_stream z;
    memset(&z, 0, sizeof z);
    uint8_t *src = malloc(2 * CHUNK), *dst = src + CHUNK;
    if (!src || inflateInit(&z) != Z_OK) {
        free(src);
        return fail(L, "%s: out of memory to check the compressed variable at byte %llu", in->path, start);
    }
    int zrc = Z_OK, rc = 0;
    while (zrc != Z_STREAM_END && n > 0) {
        size_t chunk = n < CHUNK ? (size_t)n : CHUNK;
        if ((rc = input_read(L, in, src, chunk)) < 0)
            break;
        n -= chunk;
        z.next_in = src;
        z.avail_in = (uInt)chunk;
        do {   /* all of this input, and all the output it makes */
            z.next_out = dst;
            z.avail_out = CHUNK;
            zrc = inflate(&z, Z_NO_FLUSH);
        } while (zrc == Z_OK && (z.avail_in > 0 || z.avail_out == 0));
        if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR)
            break;
    }
    if (rc == 0 && zrc != Z_STREAM_END)
        rc = fail(L, "%s: the compressed variable at byte %llu is corrupt (%s), expected a complete zlib stream",
                  in->path, start, z.msg ? z.msg : "its data ends early");
    if (rc == 0 && n > 0 && gzseek(in->gz, (z_off_t)n, SEEK_CUR) < 0)   /* bytes after the stream */
        rc = fail(L, "%s: cannot seek past the variable at byte %llu", in->path, start);
    in->pos += n;
    inflateEnd(&z);
    free(src);
    return rc;
}

/* matio reads a variable cut off by the end of the file, or a corrupt compressed one, without complaint
 * (what is missing stays zero), so first walk a v5 file's top-level data elements: each must end within
 * the file, and each compressed one must inflate cleanly. */
static int mat5_check_intact(const loader *L, const char *path, off_t size)
{
    enum { MI_COMPRESSED = 15 };
    uint8_t head[128], tag[8];
    input in;
    if (input_open(L, &in, path) < 0)
        return -1;
    snprintf(in.expect, sizeof in.expect, "the 128-byte MAT-file header");
    int rc = input_read(L, &in, head, sizeof head);
    const int big_endian = head[126] == 'M';   /* the 16-bit 'MI' reads "IM" in a little-endian file */
    while (rc == 0 && in.pos < (unsigned long long)size) {
        snprintf(in.expect, sizeof in.expect, "a variable's 8-byte tag at byte %llu", in.pos);
        if ((rc = input_read(L, &in, tag, sizeof tag)) < 0)
            break;
        uint32_t type = big_endian ? be32(tag) : le32(tag), n = big_endian ? be32(tag + 4) : le32(tag + 4);
        if (type >> 16)
            continue;   /* a small element, its data inside the tag */
        if (in.pos + n > (unsigned long long)size) {
            rc = fail(L, "%s: truncated: a variable runs to byte %llu but the file ends after %lld bytes", path,
                      in.pos + n, (long long)size);
            break;
        }
        if (type == MI_COMPRESSED) {
            rc = mat5_check_inflates(L, &in, n);
            continue;
        }
        unsigned long long skip = (n + 7ull) / 8 * 8;   /* uncompressed elements are padded to 8 bytes */
        if (gzseek(in.gz, (z_off_t)skip, SEEK_CUR) < 0) {
            rc = fail(L, "%s: cannot seek past the variable at byte %llu", path, in.pos - 8);
            break;
        }
        in.pos += skip;
    }
    input_close(&in);
    return rc;
}

/* A MAT-file v5 or v7.3 header: 116 bytes of text, the subsystem offset, a version of 0x0100 (v5) or 0x0200
 * (v7.3) and the endian indicator "IM" (little-endian) or "MI". Only such a file is handed to libmatio: for
 * any other it falls back to MATLAB v4, which allocates a variable's name length straight from the first
 * bytes (the text "file" there made it ask for 1.7 GB), and SVHN was never a v4 file. */
static int mat_header_ok(const char *path)
{
    uint8_t head[128];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(head, 1, sizeof head, f) : 0;
    if (f)
        fclose(f);
    if (n != sizeof head)
        return 0;
    const int little = head[126] == 'I' && head[127] == 'M', big = head[126] == 'M' && head[127] == 'I';
    const unsigned version = little ? (unsigned)head[125] << 8 | head[124] : (unsigned)head[124] << 8 | head[125];
    return (little || big) && (version == 0x0100 || version == 0x0200);
}

static const char *class_name(const matvar_t *v)
{
    static const char *const names[] = { [MAT_C_CELL] = "cell", [MAT_C_STRUCT] = "struct",
        [MAT_C_OBJECT] = "object", [MAT_C_CHAR] = "char", [MAT_C_SPARSE] = "sparse", [MAT_C_DOUBLE] = "double",
        [MAT_C_SINGLE] = "single", [MAT_C_INT8] = "int8", [MAT_C_UINT8] = "uint8", [MAT_C_INT16] = "int16",
        [MAT_C_UINT16] = "uint16", [MAT_C_INT32] = "int32", [MAT_C_UINT32] = "uint32", [MAT_C_INT64] = "int64",
        [MAT_C_UINT64] = "uint64", [MAT_C_FUNCTION] = "function handle" };
    if (v->isComplex)
        return "complex";
    if (v->isLogical)
        return "logical";
    if ((unsigned)v->class_type < sizeof names / sizeof names[0] && names[v->class_type])
        return names[v->class_type];
    return "unknown";
}

/* "32x32x3x73257", for messages. */
static const char *dims_text(const matvar_t *v, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < v->rank && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%zu", i ? "x" : "", v->dims[i]);
    return buf;
}

/* X must be uint8 32x32x3xN (rank 3 when N is 1: MATLAB drops trailing singleton dimensions) and y must
 * be N x 1 double or uint8. Checked on the variables' headers, before matio allocates anything. */
static int svhn_check(const loader *L, const char *path, off_t file_size, const matvar_t *X, const matvar_t *y,
                      size_t *count)
{
    const size_t h = (size_t)L->spec->height, w = (size_t)L->spec->width, c = (size_t)L->spec->channels;
    char dims[128];
    if (!X || !y)
        return fail(L, "%s: has no variable '%s' (or the file is truncated), expected X (%zux%zux%zuxN uint8) "
                    "and y (Nx1 labels)", path, X ? "y" : "X", h, w, c);
    if (X->class_type != MAT_C_UINT8 || X->isComplex || X->isLogical)
        return fail(L, "%s: X is a %s array, expected %zux%zux%zuxN uint8", path, class_name(X), h, w, c);
    if (!(X->rank == 4 || X->rank == 3) || X->dims[0] != h || X->dims[1] != w || X->dims[2] != c)
        return fail(L, "%s: X is %s, expected %zux%zux%zuxN", path, dims_text(X, dims, sizeof dims), h, w, c);
    *count = X->rank == 4 ? X->dims[3] : 1;
    if (check_count(L, path, *count, "images in X") < 0)
        return -1;
    if ((unsigned long long)*count * h * w * c > (unsigned long long)file_size * MAX_DEFLATE_RATIO)
        return fail(L, "%s: X claims %zu images, more than a file of %lld bytes can hold", path, *count,
                    (long long)file_size);
    if ((y->class_type != MAT_C_DOUBLE && y->class_type != MAT_C_UINT8) || y->isComplex || y->isLogical)
        return fail(L, "%s: y is a %s array, expected Nx1 double or uint8 labels 1..10", path, class_name(y));
    if (y->rank != 2 || y->dims[0] != *count || y->dims[1] != 1)
        return fail(L, "%s: y is %s, expected %zux1, one label for each image in X", path,
                    dims_text(y, dims, sizeof dims), *count);
    return 0;
}

/* Read one variable after svhn_check has passed its header; NULL with a message if its data is bad. */
static matvar_t *svhn_read(const loader *L, mat_t *mat, const char *path, const char *name,
                           const matvar_t *info)
{
    matvar_t *v = Mat_VarRead(mat, name);
    if (!v || !v->data || v->class_type != info->class_type || v->rank != info->rank ||
        memcmp(v->dims, info->dims, (size_t)info->rank * sizeof *info->dims) != 0) {
        if (v)
            Mat_VarFree(v);
        fail(L, "%s: cannot read the data of %s (truncated or corrupt file)", path, name);
        return NULL;
    }
    return v;
}

/* y's labels 1..10 (SVHN labels digit 0 as 10) as classes 0..9. */
static int svhn_labels(const loader *L, const char *path, const matvar_t *y, size_t count, int *labels)
{
    for (size_t n = 0; n < count; n++) {
        double v = y->class_type == MAT_C_DOUBLE ? ((const double *)y->data)[n] : ((const uint8_t *)y->data)[n];
        if (check_label(L, path, "label", v, n, 1, 10) < 0)
            return -1;
        labels[n] = (int)v % 10;
    }
    return 0;
}

/* X(row, col, channel, n) sits at row + h*col + h*w*channel + pixels*n (MATLAB is column-major): reorder each
 * image in place into channel planes of row-major rows, through tmp (one image). */
static void svhn_to_nchw(const nin_dataset_spec *spec, uint8_t *images, size_t count, uint8_t *tmp)
{
    const size_t h = (size_t)spec->height, w = (size_t)spec->width, c = (size_t)spec->channels;
    const size_t pixels = h * w * c;
    for (size_t n = 0; n < count; n++) {
        uint8_t *img = images + n * pixels;
        memcpy(tmp, img, pixels);
        for (size_t ch = 0; ch < c; ch++)
            for (size_t row = 0; row < h; row++)
                for (size_t col = 0; col < w; col++)
                    img[(ch * h + row) * w + col] = tmp[row + h * col + h * w * ch];
    }
}

static int load_svhn(const loader *L, const char *dir, nin_split split, nin_dataset *out)
{
    const char *name = split == NIN_SPLIT_TRAIN ? "train_32x32.mat"
                       : split == NIN_SPLIT_TEST ? "test_32x32.mat" : "extra_32x32.mat";
    const size_t pixels = (size_t)L->spec->height * L->spec->width * L->spec->channels;
    char path[4096];
    struct stat st;
    mat_t *mat = NULL;
    matvar_t *Xinfo = NULL, *yinfo = NULL, *X = NULL, *y = NULL;
    uint8_t *images = NULL, *tmp = NULL;
    int *labels = NULL;
    size_t count = 0;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return fail(L, "%s: missing (expected the official cropped-digits file %s)", path, name);
    if (!mat_header_ok(path) || !(mat = Mat_Open(path, MAT_ACC_RDONLY)))
        return fail(L, "%s: not a MATLAB file libmatio can read, expected a v5 or v7.3 .mat file", path);
    if (Mat_GetVersion(mat) == MAT_FT_MAT5 && mat5_check_intact(L, path, st.st_size) < 0)
        goto fail;
    Xinfo = Mat_VarReadInfo(mat, "X");
    yinfo = Mat_VarReadInfo(mat, "y");
    if (svhn_check(L, path, st.st_size, Xinfo, yinfo, &count) < 0)
        goto fail;
    if (!(X = svhn_read(L, mat, path, "X", Xinfo)) || !(y = svhn_read(L, mat, path, "y", yinfo)))
        goto fail;
    if (X->nbytes != count * pixels ||
        y->nbytes != count * (y->class_type == MAT_C_DOUBLE ? sizeof(double) : 1)) {
        fail(L, "%s: X or y holds the wrong number of bytes for %zu images (corrupt file)", path, count);
        goto fail;
    }

    if (!(labels = malloc(count * sizeof *labels)) || !(tmp = malloc(pixels))) {
        fail(L, "%s: out of memory for %zu labels", path, count);
        goto fail;
    }
    if (svhn_labels(L, path, y, count, labels) < 0)
        goto fail;
    /* Take matio's buffer (malloc'd, so free() releases it) instead of copying: the extra split is 1.6 GB. */
    images = X->data;
    X->data = NULL;
    svhn_to_nchw(L->spec, images, count, tmp);
    free(tmp);
    Mat_VarFree(X);
    Mat_VarFree(y);
    Mat_VarFree(Xinfo);
    Mat_VarFree(yinfo);
    Mat_Close(mat);
    finish(L, out, count, images, labels);
    return 0;
fail:
    free(images);
    free(tmp);
    free(labels);
    if (X)
        Mat_VarFree(X);
    if (y)
        Mat_VarFree(y);
    if (Xinfo)
        Mat_VarFree(Xinfo);
    if (yinfo)
        Mat_VarFree(yinfo);
    Mat_Close(mat);
    return -1;
}

/* --- the interface ------------------------------------------------------------------------------------ */

int nin_dataset_load(const nin_dataset_spec *spec, const char *dir, nin_split split, nin_dataset *out,
                     char *err, size_t err_size)
{
    const loader L = { spec, err, err_size };
    char buf[4096];
    memset(out, 0, sizeof *out);
    if (err && err_size)
        err[0] = '\0';
    if (!spec) {
        snprintf(err, err_size, "no dataset given; known: %s", nin_dataset_names());
        return -1;
    }
    if (!dir)   /* where nin_dataset_dir looks by default */
        dir = nin_dataset_dir(spec, NULL, buf, sizeof buf);
    if (split == NIN_SPLIT_EXTRA && strcmp(spec->name, "svhn") != 0) {
        snprintf(err, err_size, "%s has no extra split; only svhn has one", spec->name);
        return -1;
    }
    if (strcmp(spec->name, "mnist") == 0 || strcmp(spec->name, "fashion-mnist") == 0 ||
        strcmp(spec->name, "mnist-clutter") == 0)
        return load_idx(&L, dir, split, out);
    if (strcmp(spec->name, "cifar10") == 0)
        return load_cifar(&L, &cifar10_format, dir, split, out);
    if (strcmp(spec->name, "cifar100") == 0)
        return load_cifar(&L, &cifar100_format, dir, split, out);
    if (strcmp(spec->name, "svhn") == 0)
        return load_svhn(&L, dir, split, out);
    if (strcmp(spec->name, "images") == 0) {
        nin_images_options o;
        nin_images_options_default(&o);
        return nin_images_load(dir, split, &o, out, err, err_size);
    }
    snprintf(err, err_size, "no loader for dataset '%s'; known: %s", spec->name, nin_dataset_names());
    return -1;
}

void nin_dataset_free(nin_dataset *d)
{
    if (!d)
        return;
    free(d->images);
    free(d->labels);
    free(d->first_skipped);
    free(d->owned);
    memset(d, 0, sizeof *d);
}
