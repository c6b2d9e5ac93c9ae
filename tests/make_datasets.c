/* make_datasets.c - write a small learnable dataset in a dataset's official file layout, for tests/formats.sh.
 *
 *     make_datasets [--bad-x-shape] [--tiled] [--labels=N] DATASET DIR TRAIN_COUNT TEST_COUNT
 *
 * DATASET is mnist or fashion-mnist (gzipped IDX files), cifar10 (cifar-10-batches-bin/, the training records
 * spread over data_batch_1..5.bin), cifar100 (cifar-100-binary/) or svhn (train_32x32.mat and test_32x32.mat,
 * MATLAB v5 with zlib compression). --bad-x-shape, svhn only: X is written N x 32 x 32 x 3 (numpy's order)
 * instead of 32 x 32 x 3 x N, which the loader must refuse. --tiled: the glyph covers the whole image (below). --labels=N: only classes 0..N-1 occur.
 *
 * As in make_synthetic.py, class k is a fixed random 7x7 binary glyph (bright on dark) pasted at a random
 * place on a noisy dark canvas, in every channel: the class is in the shape, not the place. Labels are random
 * in [0, classes). The output depends on the arguments only. Every failure prints one line and exits 1. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <matio.h>

#define GLYPH 7
#define MAX_CLASSES 100
#define MAX_COUNT 1000000L

static const char *prog = "make_datasets";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: error: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* --- a seeded generator: xorshift64* ------------------------------------------------------------------ */

typedef struct rng {
    uint64_t s;
} rng;

static void rng_seed(rng *r, uint64_t seed)
{
    r->s = seed * 0x9E3779B97F4A7C15ull ^ 0xD1B54A32D192ED03ull;
    if (!r->s)
        r->s = 1;
}

static uint32_t rng_next(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (uint32_t)((r->s * 0x2545F4914F6CDD1Dull) >> 32);
}

/* Uniform in [lo, hi). */
static int rng_range(rng *r, int lo, int hi)
{
    return lo + (int)((uint64_t)rng_next(r) * (uint64_t)(hi - lo) >> 32);
}

/* FNV-1a of a string, so each dataset and split gets its own images. */
static uint64_t hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

/* --- the images --------------------------------------------------------------------------------------- */

typedef struct format {
    const char *name;
    int channels, height, width, classes;
} format;

static const format formats[] = {
    { "mnist", 1, 28, 28, 10 },     { "fashion-mnist", 1, 28, 28, 10 }, { "cifar10", 3, 32, 32, 10 },
    { "cifar100", 3, 32, 32, 100 }, { "svhn", 3, 32, 32, 10 },
};

static uint8_t glyphs[MAX_CLASSES][GLYPH * GLYPH];

/* One glyph per class, all distinct and none nearly empty or full; the same for every dataset. */
static void make_glyphs(int classes)
{
    rng r;
    rng_seed(&r, 2014);
    for (int k = 0; k < classes; k++) {
        int on, same;
        do {
            on = 0;
            for (int i = 0; i < GLYPH * GLYPH; i++)
                on += glyphs[k][i] = rng_next(&r) >> 31;
            same = 0;
            for (int j = 0; j < k && !same; j++)
                same = memcmp(glyphs[j], glyphs[k], sizeof glyphs[k]) == 0;
        } while (same || on < 12 || on > GLYPH * GLYPH - 12);
    }
}

/* Image of class k as channel planes of row-major rows (NCHW, as the loaders hand them over). tiled: the glyph
 * repeats over the whole canvas from a random offset, so every part of the image shows the class (an easy
 * set that a healthy network learns in a few dozen steps). */
static void make_image(const format *f, int k, rng *r, int tiled, uint8_t *img)
{
    const int top = rng_range(r, 0, f->height - GLYPH + 1), left = rng_range(r, 0, f->width - GLYPH + 1);
    for (int c = 0; c < f->channels; c++) {
        uint8_t *plane = img + (size_t)c * f->height * f->width;
        for (int i = 0; i < f->height * f->width; i++)
            plane[i] = (uint8_t)rng_range(r, 0, 60);
        for (int y = 0; y < f->height; y++)
            for (int x = 0; x < f->width; x++) {
                int gy = y - top, gx = x - left;
                if (tiled)
                    gy = (gy + GLYPH * f->height) % GLYPH, gx = (gx + GLYPH * f->width) % GLYPH;
                if (gy >= 0 && gy < GLYPH && gx >= 0 && gx < GLYPH && glyphs[k][gy * GLYPH + gx])
                    plane[y * f->width + x] = (uint8_t)rng_range(r, 190, 256);
            }
    }
}

typedef struct split {
    const char *name;   /* "train" or "test" */
    long count;
    uint8_t *images;    /* count NCHW images */
    int *labels;
} split;

static void make_split(const format *f, int tiled, int labels, split *s)
{
    const size_t pixels = (size_t)f->channels * f->height * f->width;
    char key[64];
    rng r;
    snprintf(key, sizeof key, "%s/%s", f->name, s->name);
    rng_seed(&r, hash(key));
    s->images = malloc((size_t)s->count * pixels);
    s->labels = malloc((size_t)s->count * sizeof *s->labels);
    if (!s->images || !s->labels)
        die("out of memory for %ld %s images", s->count, s->name);
    for (long i = 0; i < s->count; i++) {
        s->labels[i] = rng_range(&r, 0, labels);
        make_image(f, s->labels[i], &r, tiled, s->images + (size_t)i * pixels);
    }
}

/* --- writing ------------------------------------------------------------------------------------------ */

/* mkdir -p */
static void make_dir(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        die("%s: path too long", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char end = *p;
            *p = '\0';
            struct stat st;
            if (mkdir(buf, 0777) != 0 && !(errno == EEXIST && stat(buf, &st) == 0 && S_ISDIR(st.st_mode)))
                die("%s: cannot create directory: %s", buf, strerror(errno));
            *p = end;
            if (!end)
                break;
        }
    }
}

static void path_join(char *buf, size_t size, const char *dir, const char *name)
{
    if ((size_t)snprintf(buf, size, "%s/%s", dir, name) >= size)
        die("%s/%s: path too long", dir, name);
}

static void put_be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
}

static void gz_put(gzFile gz, const char *path, const void *data, size_t n)
{
    const uint8_t *p = data;
    while (n > 0) {
        unsigned chunk = n > (1u << 30) ? 1u << 30 : (unsigned)n;
        if (gzwrite(gz, p, chunk) != (int)chunk) {
            int code;
            die("%s: write failed: %s", path, gzerror(gz, &code));
        }
        p += chunk;
        n -= chunk;
    }
}

/* One gzipped IDX file: magic, the dimensions, then the bytes. */
static void write_idx(const char *dir, const char *name, uint32_t magic, const uint32_t *dims, int ndims,
                      const uint8_t *data, size_t n)
{
    char path[4096];
    uint8_t head[16];
    path_join(path, sizeof path, dir, name);
    errno = 0;
    gzFile gz = gzopen(path, "wb9");
    if (!gz)
        die("%s: cannot create: %s", path, errno ? strerror(errno) : "out of memory");
    put_be32(head, magic);
    for (int i = 0; i < ndims; i++)
        put_be32(head + 4 + 4 * i, dims[i]);
    gz_put(gz, path, head, 4 + 4 * (size_t)ndims);
    gz_put(gz, path, data, n);
    int rc = gzclose(gz);
    if (rc != Z_OK)
        die("%s: closing failed (zlib error %d)", path, rc);
}

static void write_mnist(const format *f, const char *dir, const split *s)
{
    const char *set = strcmp(s->name, "train") == 0 ? "train" : "t10k";
    char name[64];
    uint8_t *bytes = malloc((size_t)s->count);
    if (!bytes)
        die("out of memory for %ld labels", s->count);
    for (long i = 0; i < s->count; i++)
        bytes[i] = (uint8_t)s->labels[i];
    uint32_t dims[3] = { (uint32_t)s->count, (uint32_t)f->height, (uint32_t)f->width };
    snprintf(name, sizeof name, "%s-images-idx3-ubyte.gz", set);
    write_idx(dir, name, 0x00000803, dims, 3, s->images, (size_t)s->count * f->height * f->width);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte.gz", set);
    write_idx(dir, name, 0x00000801, dims, 1, bytes, (size_t)s->count);
    free(bytes);
}

/* Records [first, first + n) of a split as one CIFAR batch file: label byte(s), then the R, G, B planes. */
static void write_cifar_file(const format *f, const char *dir, const char *name, const split *s, long first,
                             long n)
{
    const size_t pixels = (size_t)f->channels * f->height * f->width;
    char path[4096];
    path_join(path, sizeof path, dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        die("%s: cannot create: %s", path, strerror(errno));
    for (long i = first; i < first + n; i++) {
        uint8_t label[2];
        size_t label_bytes = 0;
        if (f->classes == 100)
            label[label_bytes++] = (uint8_t)(s->labels[i] / 5);   /* a coarse label in 0..19 */
        label[label_bytes++] = (uint8_t)s->labels[i];
        if (fwrite(label, 1, label_bytes, fp) != label_bytes ||
            fwrite(s->images + (size_t)i * pixels, 1, pixels, fp) != pixels) {
            int e = errno;
            fclose(fp);
            die("%s: write failed: %s", path, strerror(e));
        }
    }
    if (fclose(fp) != 0)
        die("%s: write failed: %s", path, strerror(errno));
}

static void write_cifar10(const format *f, const char *dir, const split *s)
{
    char base[4096], name[64];
    path_join(base, sizeof base, dir, "cifar-10-batches-bin");
    make_dir(base);
    if (strcmp(s->name, "test") == 0) {
        write_cifar_file(f, base, "test_batch.bin", s, 0, s->count);
        return;
    }
    for (long b = 0; b < 5; b++) {   /* the official five training batches, as even as the count allows */
        long first = s->count * b / 5, last = s->count * (b + 1) / 5;
        snprintf(name, sizeof name, "data_batch_%ld.bin", b + 1);
        write_cifar_file(f, base, name, s, first, last - first);
    }
}

static void write_cifar100(const format *f, const char *dir, const split *s)
{
    char base[4096], name[64];
    path_join(base, sizeof base, dir, "cifar-100-binary");
    make_dir(base);
    snprintf(name, sizeof name, "%s.bin", s->name);
    write_cifar_file(f, base, name, s, 0, s->count);
}

static void mat_write(mat_t *mat, const char *path, const char *name, enum matio_classes cls,
                      enum matio_types type, int rank, size_t *dims, void *data)
{
    matvar_t *v = Mat_VarCreate(name, cls, type, rank, dims, data, MAT_F_DONT_COPY_DATA);
    if (!v)
        die("%s: cannot create variable %s", path, name);
    int rc = Mat_VarWrite(mat, v, MAT_COMPRESSION_ZLIB);
    v->data = NULL;   /* ours, not matio's */
    Mat_VarFree(v);
    if (rc != 0)
        die("%s: cannot write variable %s", path, name);
}

/* X: uint8 32x32x3xN in MATLAB's column-major order, X(row, col, ch, n); y: Nx1 double, 1..10, 10 for 0.
 * bad_shape writes X as N x 32 x 32 x 3 instead. */
static void write_svhn(const format *f, const char *dir, const split *s, int bad_shape)
{
    const size_t h = (size_t)f->height, w = (size_t)f->width, c = (size_t)f->channels, pixels = h * w * c;
    const size_t n = (size_t)s->count;
    char path[4096], name[64];
    snprintf(name, sizeof name, "%s_32x32.mat", s->name);
    path_join(path, sizeof path, dir, name);
    uint8_t *X = malloc(n * pixels);
    double *y = malloc(n * sizeof *y);
    if (!X || !y)
        die("out of memory for %zu images", n);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *img = s->images + i * pixels;
        for (size_t ch = 0; ch < c; ch++)
            for (size_t row = 0; row < h; row++)
                for (size_t col = 0; col < w; col++) {
                    uint8_t v = img[(ch * h + row) * w + col];
                    if (bad_shape)   /* numpy's X[n, row, col, ch] seen column-major */
                        X[i + n * (row + h * (col + w * ch))] = v;
                    else
                        X[row + h * col + h * w * ch + pixels * i] = v;
                }
        y[i] = s->labels[i] ? s->labels[i] : 10;
    }
    /* A fixed header text: matio's default one holds the time, and the output is to depend on the
     * arguments only. */
    mat_t *mat = Mat_CreateVer(path, "MATLAB 5.0 MAT-file, written by nin-cl tests/make_datasets", MAT_FT_MAT5);
    if (!mat)
        die("%s: cannot create the MATLAB file", path);
    size_t xdims[4] = { h, w, c, n }, xbad[4] = { n, h, w, c }, ydims[2] = { n, 1 };
    mat_write(mat, path, "X", MAT_C_UINT8, MAT_T_UINT8, 4, bad_shape ? xbad : xdims, X);
    mat_write(mat, path, "y", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, ydims, y);
    if (Mat_Close(mat) != 0)
        die("%s: closing failed", path);
    free(X);
    free(y);
}

static long parse_count(const char *what, const char *text, long min)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > MAX_COUNT)
        die("%s must be a whole number from %ld to %ld, not '%s'", what, min, MAX_COUNT, text);
    return v;
}

int main(int argc, char **argv)
{
    int bad_shape = 0, tiled = 0, labels = 0;
    for (; argc > 1 && strncmp(argv[1], "--", 2) == 0; argv++, argc--) {
        if (strcmp(argv[1], "--bad-x-shape") == 0)
            bad_shape = 1;
        else if (strcmp(argv[1], "--tiled") == 0)
            tiled = 1;
        else if (strncmp(argv[1], "--labels=", 9) == 0)
            labels = (int)parse_count("--labels", argv[1] + 9, 1);
        else
            die("unknown option '%s'", argv[1]);
    }
    if (argc != 5)
        die("usage: make_datasets [--bad-x-shape] [--tiled] [--labels=N] mnist|fashion-mnist|cifar10|cifar100|svhn DIR TRAIN_COUNT "
            "TEST_COUNT");
    const format *f = NULL;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(argv[1], formats[i].name) == 0)
            f = &formats[i];
    if (!f)
        die("unknown dataset '%s' (known: mnist, fashion-mnist, cifar10, cifar100, svhn)", argv[1]);
    if (bad_shape && strcmp(f->name, "svhn") != 0)
        die("--bad-x-shape is for svhn only");
    const char *dir = argv[2];
    /* every CIFAR-10 training batch file must hold at least one record */
    split train = { "train", parse_count("TRAIN_COUNT", argv[3], strcmp(f->name, "cifar10") == 0 ? 5 : 1), NULL, NULL };
    split test = { "test", parse_count("TEST_COUNT", argv[4], 1), NULL, NULL };

    if (labels == 0 || labels > f->classes)
        labels = f->classes;
    make_glyphs(f->classes);
    make_dir(dir);
    split *splits[] = { &train, &test };
    for (int i = 0; i < 2; i++) {
        split *s = splits[i];
        make_split(f, tiled, labels, s);
        if (f->channels == 1)
            write_mnist(f, dir, s);
        else if (strcmp(f->name, "cifar10") == 0)
            write_cifar10(f, dir, s);
        else if (strcmp(f->name, "cifar100") == 0)
            write_cifar100(f, dir, s);
        else
            write_svhn(f, dir, s, bad_shape);
        free(s->images);
        free(s->labels);
    }
    return 0;
}
