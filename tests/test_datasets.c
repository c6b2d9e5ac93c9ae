/* test_datasets.c - the dataset loaders on small files written in exactly the official formats: pixel
 * order, label mapping, every kind of broken file, and where the data directory is looked for. */
#define _GNU_SOURCE   /* mkdtemp, setenv, nftw */
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <matio.h>
#include <nin/data.h>
#include "harness.h"

static char tmp[4096];   /* a fresh directory for each test */

static void make_tmp(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp, sizeof tmp, "%s/nin-datasets-XXXXXX", base && *base ? base : "/tmp");
    ck_assert_msg(mkdtemp(tmp) != NULL, "mkdtemp %s failed", tmp);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_tmp(void)
{
    nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* tmp/<printf path>, for building file names. */
static const char *at(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *at(const char *fmt, ...)
{
    static char paths[4][4096 + 256];
    static int next;
    char *p = paths[next++ % 4];
    int n = snprintf(p, sizeof paths[0], "%s/", tmp);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p + n, sizeof paths[0] - (size_t)n, fmt, ap);
    va_end(ap);
    return p;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f && fwrite(data, 1, n, f) == n && fclose(f) == 0, "cannot write %s", path);
}

static void write_gz(const char *path, const void *data, size_t n)
{
    gzFile f = gzopen(path, "wb");
    ck_assert_msg(f && gzwrite(f, data, (unsigned)n) == (int)n && gzclose(f) == Z_OK, "cannot write %s", path);
}

static void make_dir(const char *path)
{
    ck_assert_msg(mkdir(path, 0755) == 0, "mkdir %s failed", path);
}

/* Load must fail with one line that names the file and the problem and says how to get the data, and
 * leave `out` empty. */
static void expect_error(const char *name, nin_split split, const char *file, const char *problem)
{
    const nin_dataset_spec *spec = nin_dataset_find(name);
    nin_dataset d;
    char err[1024];
    err[0] = '\0';
    ck_assert_msg(nin_dataset_load(spec, tmp, split, &d, err, sizeof err) == -1, "%s: a broken %s loaded", name,
                  file);
    ck_assert_msg(d.count == 0 && !d.images && !d.labels && !d.spec, "a failed load left data behind");
    ck_assert_msg(!strchr(err, '\n'), "error is not one line: %s", err);
    if (getenv("NIN_TEST_SHOW_ERRORS"))   /* to read every message the tests provoke */
        printf("%s\n", err);
    ck_assert_msg(strstr(err, file), "error does not name %s: %s", file, err);
    ck_assert_msg(strstr(err, problem), "error does not say '%s': %s", problem, err);
    ck_assert_msg(strstr(err, "nin-cl download") && strstr(err, name), "error does not say how to get %s: %s",
                  name, err);
}

static void load_ok(const char *name, const char *dir, nin_split split, nin_dataset *d)
{
    char err[1024];
    ck_assert_msg(nin_dataset_load(nin_dataset_find(name), dir, split, d, err, sizeof err) == 0, "%s", err);
    ck_assert_ptr_eq(d->spec, nin_dataset_find(name));
}

/* --- IDX (MNIST, Fashion-MNIST) -------------------------------------------------------------------- */

/* Not symmetric in row and column, so a transposed or shifted image shows. */
static uint8_t idx_pixel(int n, int row, int col)
{
    return (uint8_t)((n * 97 + row * 28 + col * 3) % 251);
}

static void put_be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
}

/* An IDX images file: the header says `claimed` images of rows x cols, the body holds `actual`. */
static size_t idx_images(uint8_t **out, uint32_t magic, uint32_t claimed, uint32_t rows, uint32_t cols, int actual)
{
    size_t n = 16 + (size_t)actual * rows * cols;
    uint8_t *b = malloc(n);
    put_be32(b, magic), put_be32(b + 4, claimed), put_be32(b + 8, rows), put_be32(b + 12, cols);
    for (int i = 0; i < actual; i++)
        for (uint32_t r = 0; r < rows; r++)
            for (uint32_t c = 0; c < cols; c++)
                b[16 + ((size_t)i * rows + r) * cols + c] = idx_pixel(i, (int)r, (int)c);
    *out = b;
    return n;
}

static size_t idx_labels(uint8_t **out, uint32_t magic, uint32_t claimed, const uint8_t *labels, int actual)
{
    uint8_t *b = malloc(8 + (size_t)actual);
    put_be32(b, magic), put_be32(b + 4, claimed);
    memcpy(b + 8, labels, (size_t)actual);
    *out = b;
    return 8 + (size_t)actual;
}

static const uint8_t mnist_labels[3] = { 3, 0, 9 };

/* A good 3-image split `set` ("train"/"t10k"), gzipped or plain. */
static void write_idx_split(const char *set, int gz)
{
    uint8_t *b;
    size_t n = idx_images(&b, 0x803, 3, 28, 28, 3);
    (gz ? write_gz : write_file)(at("%s-images-idx3-ubyte%s", set, gz ? ".gz" : ""), b, n);
    free(b);
    n = idx_labels(&b, 0x801, 3, mnist_labels, 3);
    (gz ? write_gz : write_file)(at("%s-labels-idx1-ubyte%s", set, gz ? ".gz" : ""), b, n);
    free(b);
}

static void check_idx_data(const nin_dataset *d)
{
    ck_assert_int_eq(d->count, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(d->labels[i], mnist_labels[i]);
        for (int r = 0; r < 28; r++)
            for (int c = 0; c < 28; c++)
                ck_assert_msg(d->images[(i * 28 + r) * 28 + c] == idx_pixel(i, r, c), "pixel %d (%d,%d)", i, r, c);
    }
}

START_TEST(test_mnist_gz_and_plain)
{
    nin_dataset d;
    write_idx_split("train", 1);
    load_ok("mnist", tmp, NIN_SPLIT_TRAIN, &d);
    check_idx_data(&d);
    nin_dataset_free(&d);
    ck_assert(d.images == NULL && d.labels == NULL && d.count == 0);

    write_idx_split("t10k", 0);
    load_ok("fashion-mnist", tmp, NIN_SPLIT_TEST, &d);
    check_idx_data(&d);
    nin_dataset_free(&d);
}
END_TEST

/* With both present the plain file wins: here the .gz one is broken and never read. */
START_TEST(test_idx_plain_before_gz)
{
    nin_dataset d;
    write_idx_split("t10k", 0);
    write_file(at("t10k-images-idx3-ubyte.gz"), "junk", 4);
    load_ok("mnist", tmp, NIN_SPLIT_TEST, &d);
    check_idx_data(&d);
    nin_dataset_free(&d);
}
END_TEST

START_TEST(test_idx_missing)
{
    expect_error("mnist", NIN_SPLIT_TRAIN, "train-images-idx3-ubyte", "missing");
    uint8_t *b;
    size_t n = idx_images(&b, 0x803, 3, 28, 28, 3);
    write_gz(at("train-images-idx3-ubyte.gz"), b, n);
    free(b);
    expect_error("mnist", NIN_SPLIT_TRAIN, "train-labels-idx1-ubyte", "missing");
    expect_error("mnist", NIN_SPLIT_TEST, "t10k-images-idx3-ubyte", "missing");
}
END_TEST

START_TEST(test_idx_truncated)
{
    uint8_t *b;
    /* The body ends half way into the third image. */
    size_t n = idx_images(&b, 0x803, 3, 28, 28, 3);
    write_idx_split("t10k", 0);
    write_file(at("t10k-images-idx3-ubyte"), b, n - 400);
    expect_error("mnist", NIN_SPLIT_TEST, "t10k-images-idx3-ubyte", "truncated");
    /* Only part of the header. */
    write_file(at("t10k-images-idx3-ubyte"), b, 10);
    expect_error("mnist", NIN_SPLIT_TEST, "t10k-images-idx3-ubyte", "truncated");
    /* A gzip stream cut short. */
    remove(at("t10k-images-idx3-ubyte"));
    write_gz(at("t10k-images-idx3-ubyte.gz"), b, n);
    struct stat st;
    ck_assert(stat(at("t10k-images-idx3-ubyte.gz"), &st) == 0);
    ck_assert(truncate(at("t10k-images-idx3-ubyte.gz"), st.st_size / 2) == 0);
    expect_error("mnist", NIN_SPLIT_TEST, "t10k-images-idx3-ubyte.gz", "truncated");
    free(b);
    /* A labels file one label short. */
    write_idx_split("t10k", 0);
    n = idx_labels(&b, 0x801, 3, mnist_labels, 2);
    write_file(at("t10k-labels-idx1-ubyte"), b, n);
    free(b);
    expect_error("mnist", NIN_SPLIT_TEST, "t10k-labels-idx1-ubyte", "truncated");
}
END_TEST

START_TEST(test_idx_trailing_bytes)
{
    uint8_t *b;
    size_t n = idx_images(&b, 0x803, 2, 28, 28, 3);   /* says 2, holds 3 */
    write_idx_split("train", 1);
    write_gz(at("train-images-idx3-ubyte.gz"), b, n);
    free(b);
    expect_error("mnist", NIN_SPLIT_TRAIN, "train-images-idx3-ubyte.gz", "trailing bytes");
}
END_TEST

START_TEST(test_idx_wrong_magic)
{
    uint8_t *b;
    size_t n = idx_images(&b, 0x801, 3, 28, 28, 3);   /* a labels magic on the images */
    write_idx_split("train", 0);
    write_file(at("train-images-idx3-ubyte"), b, n);
    free(b);
    expect_error("mnist", NIN_SPLIT_TRAIN, "train-images-idx3-ubyte", "wrong magic 0x00000801, expected 0x00000803");
    write_idx_split("train", 0);
    n = idx_labels(&b, 0x803, 3, mnist_labels, 3);
    write_file(at("train-labels-idx1-ubyte"), b, n);
    free(b);
    expect_error("mnist", NIN_SPLIT_TRAIN, "train-labels-idx1-ubyte", "wrong magic 0x00000803, expected 0x00000801");
    write_file(at("train-labels-idx1-ubyte"), "\x1f\x8b\x08\x00", 4);   /* a gzip header and nothing else */
    expect_error("mnist", NIN_SPLIT_TRAIN, "train-labels-idx1-ubyte", "expected");
}
END_TEST

START_TEST(test_idx_wrong_dimensions)
{
    uint8_t *b;
    size_t n = idx_images(&b, 0x803, 3, 32, 28, 3);
    write_idx_split("train", 0);
    write_file(at("train-images-idx3-ubyte"), b, n);
    free(b);
    expect_error("fashion-mnist", NIN_SPLIT_TRAIN, "train-images-idx3-ubyte", "images are 32x28, expected 28x28");
    /* Labels that disagree with the images in number. */
    write_idx_split("train", 0);
    n = idx_labels(&b, 0x801, 2, mnist_labels, 2);
    write_file(at("train-labels-idx1-ubyte"), b, n);
    free(b);
    expect_error("mnist", NIN_SPLIT_TRAIN, "train-labels-idx1-ubyte", "holds 2 labels, expected 3");
}
END_TEST

START_TEST(test_idx_huge_counts)
{
    uint8_t *b;
    /* Beyond any official split: refused from the header alone. */
    size_t n = idx_images(&b, 0x803, 0xffffffffu, 28, 28, 2);
    write_idx_split("train", 1);
    write_gz(at("train-images-idx3-ubyte.gz"), b, n);
    free(b);
    expect_error("mnist", NIN_SPLIT_TRAIN, "train-images-idx3-ubyte.gz", "claims 4294967295 images");
    /* Plausible, but the file holds 2: a truncation error, without allocating 3 GB first. */
    n = idx_images(&b, 0x803, 3999999, 28, 28, 2);
    write_gz(at("train-images-idx3-ubyte.gz"), b, n);
    free(b);
    expect_error("mnist", NIN_SPLIT_TRAIN, "train-images-idx3-ubyte.gz", "truncated");
    /* And the same in the labels file. */
    write_idx_split("train", 1);
    n = idx_labels(&b, 0x801, 0x7fffffffu, mnist_labels, 3);
    write_gz(at("train-labels-idx1-ubyte.gz"), b, n);
    free(b);
    expect_error("mnist", NIN_SPLIT_TRAIN, "train-labels-idx1-ubyte.gz", "holds 2147483647 labels, expected 3");
    /* No images at all. */
    n = idx_images(&b, 0x803, 0, 28, 28, 0);
    write_gz(at("train-images-idx3-ubyte.gz"), b, n);
    free(b);
    expect_error("mnist", NIN_SPLIT_TRAIN, "train-images-idx3-ubyte.gz", "no images");
}
END_TEST

START_TEST(test_idx_bad_label)
{
    const uint8_t labels[3] = { 1, 10, 2 };
    uint8_t *b;
    size_t n = idx_labels(&b, 0x801, 3, labels, 3);
    write_idx_split("t10k", 1);
    write_gz(at("t10k-labels-idx1-ubyte.gz"), b, n);
    free(b);
    expect_error("mnist", NIN_SPLIT_TEST, "t10k-labels-idx1-ubyte.gz", "label 10 of image 1 is out of range");
}
END_TEST

START_TEST(test_no_extra_split)
{
    nin_dataset d;
    char err[256];
    ck_assert_int_eq(nin_dataset_load(nin_dataset_find("mnist"), tmp, NIN_SPLIT_EXTRA, &d, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "extra") && !strchr(err, '\n'), "%s", err);
    ck_assert(d.images == NULL && d.count == 0);
}
END_TEST

/* --- CIFAR-10 and CIFAR-100 ------------------------------------------------------------------------- */

static uint8_t rgb_pixel(int n, int ch, int row, int col)
{
    return (uint8_t)(n * 41 + ch * 85 + row * 7 + col * 3);
}

/* A CIFAR batch of `count` records starting at image `first`, with label bytes from label(). */
static void write_cifar(const char *path, int first, int count, int label_bytes, const uint8_t *labels,
                        size_t cut)
{
    size_t record = (size_t)label_bytes + 3072, n = record * (size_t)count;
    uint8_t *b = malloc(n);
    for (int i = 0; i < count; i++) {
        uint8_t *r = b + (size_t)i * record;
        memcpy(r, labels + (first + i) * label_bytes, (size_t)label_bytes);
        for (int ch = 0; ch < 3; ch++)
            for (int row = 0; row < 32; row++)
                for (int col = 0; col < 32; col++)
                    r[label_bytes + ch * 1024 + row * 32 + col] = rgb_pixel(first + i, ch, row, col);
    }
    write_file(path, b, n - cut);
    free(b);
}

static void check_rgb_data(const nin_dataset *d, int count, const int *labels)
{
    ck_assert_int_eq(d->count, count);
    for (int i = 0; i < count; i++) {
        ck_assert_int_eq(d->labels[i], labels[i]);
        for (int ch = 0; ch < 3; ch++)
            for (int row = 0; row < 32; row++)
                for (int col = 0; col < 32; col++)
                    ck_assert_msg(d->images[((i * 3 + ch) * 32 + row) * 32 + col] == rgb_pixel(i, ch, row, col),
                                  "image %d channel %d (%d,%d)", i, ch, row, col);
    }
}

static const uint8_t cifar10_labels[10] = { 6, 9, 9, 4, 1, 1, 2, 7, 8, 3 };

/* Five training batches of two records each, in the folder the archive unpacks to. */
static void write_cifar10_train(void)
{
    make_dir(at("cifar-10-batches-bin"));
    for (int b = 0; b < 5; b++)
        write_cifar(at("cifar-10-batches-bin/data_batch_%d.bin", b + 1), 2 * b, 2, 1, cifar10_labels, 0);
}

START_TEST(test_cifar10_parent_and_folder)
{
    int labels[10];
    nin_dataset d;
    for (int i = 0; i < 10; i++)
        labels[i] = cifar10_labels[i];
    write_cifar10_train();
    load_ok("cifar10", tmp, NIN_SPLIT_TRAIN, &d);   /* the parent */
    check_rgb_data(&d, 10, labels);
    nin_dataset_free(&d);

    write_cifar(at("cifar-10-batches-bin/test_batch.bin"), 0, 3, 1, cifar10_labels, 0);
    load_ok("cifar10", at("cifar-10-batches-bin"), NIN_SPLIT_TEST, &d);   /* the folder itself */
    check_rgb_data(&d, 3, labels);
    nin_dataset_free(&d);
}
END_TEST

START_TEST(test_cifar10_errors)
{
    write_cifar10_train();
    remove(at("cifar-10-batches-bin/data_batch_3.bin"));
    expect_error("cifar10", NIN_SPLIT_TRAIN, "cifar-10-batches-bin/data_batch_3.bin", "missing");
    expect_error("cifar10", NIN_SPLIT_TEST, "test_batch.bin", "missing");

    /* A record cut short. */
    write_cifar(at("cifar-10-batches-bin/data_batch_3.bin"), 4, 2, 1, cifar10_labels, 100);
    expect_error("cifar10", NIN_SPLIT_TRAIN, "data_batch_3.bin", "expected a positive multiple of the 3073-byte record");
    /* Empty: no record at all. */
    write_file(at("cifar-10-batches-bin/data_batch_3.bin"), "", 0);
    expect_error("cifar10", NIN_SPLIT_TRAIN, "data_batch_3.bin", "0 bytes, expected a positive multiple");
    /* CIFAR-100 records (3074 bytes) where CIFAR-10 ones belong: 3 x 3074 is no multiple of 3073. */
    static const uint8_t pairs[6] = { 1, 2, 3, 4, 5, 6 };
    write_cifar(at("cifar-10-batches-bin/data_batch_3.bin"), 0, 3, 2, pairs, 0);
    expect_error("cifar10", NIN_SPLIT_TRAIN, "data_batch_3.bin", "3073-byte record");

    /* A label outside 0..9 in the second record of the last batch. */
    write_cifar(at("cifar-10-batches-bin/data_batch_3.bin"), 4, 2, 1, cifar10_labels, 0);
    uint8_t bad[2] = { 9, 10 };
    write_cifar(at("cifar-10-batches-bin/data_batch_5.bin"), 0, 2, 1, bad, 0);
    expect_error("cifar10", NIN_SPLIT_TRAIN, "data_batch_5.bin", "label 10 of image 1 is out of range");
}
END_TEST

/* Coarse, fine label pairs: the class is the fine one. */
static const uint8_t cifar100_pairs[8] = { 11, 19, 15, 29, 4, 0, 19, 99 };

START_TEST(test_cifar100_fine_labels)
{
    const int fine[4] = { 19, 29, 0, 99 };
    nin_dataset d;
    make_dir(at("cifar-100-binary"));
    write_cifar(at("cifar-100-binary/train.bin"), 0, 4, 2, cifar100_pairs, 0);
    load_ok("cifar100", tmp, NIN_SPLIT_TRAIN, &d);
    check_rgb_data(&d, 4, fine);
    nin_dataset_free(&d);
    write_cifar(at("cifar-100-binary/test.bin"), 0, 2, 2, cifar100_pairs, 0);
    load_ok("cifar100", at("cifar-100-binary"), NIN_SPLIT_TEST, &d);
    check_rgb_data(&d, 2, fine);
    nin_dataset_free(&d);
}
END_TEST

START_TEST(test_cifar100_errors)
{
    expect_error("cifar100", NIN_SPLIT_TRAIN, "train.bin", "missing");
    make_dir(at("cifar-100-binary"));
    write_cifar(at("cifar-100-binary/test.bin"), 0, 4, 2, cifar100_pairs, 1);
    expect_error("cifar100", NIN_SPLIT_TEST, "cifar-100-binary/test.bin", "3074-byte record");
    /* CIFAR-10 records where CIFAR-100 ones belong. */
    write_cifar(at("cifar-100-binary/test.bin"), 0, 2, 1, cifar10_labels, 0);
    expect_error("cifar100", NIN_SPLIT_TEST, "test.bin", "3074-byte record");
    const uint8_t bad_coarse[4] = { 3, 3, 20, 5 }, bad_fine[4] = { 3, 3, 5, 100 };
    write_cifar(at("cifar-100-binary/test.bin"), 0, 2, 2, bad_coarse, 0);
    expect_error("cifar100", NIN_SPLIT_TEST, "test.bin", "coarse label 20 of image 1 is out of range");
    write_cifar(at("cifar-100-binary/test.bin"), 0, 2, 2, bad_fine, 0);
    expect_error("cifar100", NIN_SPLIT_TEST, "test.bin", "fine label 100 of image 1 is out of range");
}
END_TEST

/* --- SVHN ----------------------------------------------------------------------------------------- */

static const double svhn_labels[4] = { 10, 1, 5, 9 };
static const int svhn_classes[4] = { 0, 1, 5, 9 };

/* What goes into a test .mat file; svhn_good is a file as the official ones are, only with 4 images. */
typedef struct svhn_file {
    const char *x_name, *y_name;             /* NULL leaves the variable out */
    enum matio_classes x_class, y_class;     /* MAT_C_UINT8 or MAT_C_DOUBLE */
    size_t rows, cols, count, y_rows;
    const double *labels;                    /* repeated to fill y_rows */
    int y_first;                             /* write y before X */
    enum matio_compression compression;
} svhn_file;

static const svhn_file svhn_good = { "X", "y", MAT_C_UINT8, MAT_C_DOUBLE, 32, 32, 4, 4, svhn_labels, 0,
                                     MAT_COMPRESSION_ZLIB };

static void write_matvar(mat_t *mat, const char *name, enum matio_classes cls, int rank, size_t *dims,
                         const uint8_t *bytes, const double *doubles, enum matio_compression compression)
{
    matvar_t *v = cls == MAT_C_UINT8 ? Mat_VarCreate(name, MAT_C_UINT8, MAT_T_UINT8, rank, dims, (void *)bytes, 0)
                                     : Mat_VarCreate(name, MAT_C_DOUBLE, MAT_T_DOUBLE, rank, dims, (void *)doubles, 0);
    ck_assert_msg(v && Mat_VarWrite(mat, v, compression) == 0, "cannot write %s", name);
    Mat_VarFree(v);
}

/* X is rows x cols x 3 x count in MATLAB's column-major order: X(r, c, ch, i) at r + rows*c + ... */
static void write_svhn(const char *name, const svhn_file *f)
{
    const char *path = at("%s", name);
    mat_t *mat = Mat_CreateVer(path, NULL, MAT_FT_MAT5);
    ck_assert_msg(mat != NULL, "cannot create %s", path);
    size_t n = f->rows * f->cols * 3 * f->count;
    size_t xdims[4] = { f->rows, f->cols, 3, f->count }, ydims[2] = { f->y_rows, 1 };
    uint8_t *x8 = malloc(n), *y8 = malloc(f->y_rows);
    double *xd = malloc(n * sizeof *xd), *yd = malloc(f->y_rows * sizeof *yd);
    for (size_t i = 0; i < f->count; i++)
        for (size_t ch = 0; ch < 3; ch++)
            for (size_t c = 0; c < f->cols; c++)
                for (size_t r = 0; r < f->rows; r++) {
                    size_t k = r + f->rows * (c + f->cols * (ch + 3 * i));
                    x8[k] = rgb_pixel((int)i, (int)ch, (int)r, (int)c);
                    xd[k] = x8[k];
                }
    for (size_t i = 0; i < f->y_rows; i++)
        yd[i] = f->labels[i % 4], y8[i] = (uint8_t)f->labels[i % 4];
    for (int pass = 0; pass < 2; pass++) {
        if (pass == f->y_first && f->x_name)
            write_matvar(mat, f->x_name, f->x_class, 4, xdims, x8, xd, f->compression);
        if (pass != f->y_first && f->y_name)
            write_matvar(mat, f->y_name, f->y_class, 2, ydims, y8, yd, f->compression);
    }
    Mat_Close(mat);
    free(x8), free(xd), free(yd), free(y8);
}

/* Cut a file to `size` bytes. */
static void cut(const char *name, off_t size)
{
    ck_assert_msg(truncate(at("%s", name), size) == 0, "cannot truncate %s", name);
}

static off_t size_of(const char *name)
{
    struct stat st;
    ck_assert(stat(at("%s", name), &st) == 0);
    return st.st_size;
}

START_TEST(test_svhn_splits)
{
    nin_dataset d;
    write_svhn("train_32x32.mat", &svhn_good);
    load_ok("svhn", tmp, NIN_SPLIT_TRAIN, &d);
    check_rgb_data(&d, 4, svhn_classes);
    nin_dataset_free(&d);

    svhn_file f = svhn_good;
    f.y_class = MAT_C_UINT8;
    f.y_first = 1;
    write_svhn("test_32x32.mat", &f);
    load_ok("svhn", tmp, NIN_SPLIT_TEST, &d);
    check_rgb_data(&d, 4, svhn_classes);
    nin_dataset_free(&d);

    f = svhn_good;
    f.compression = MAT_COMPRESSION_NONE;
    write_svhn("extra_32x32.mat", &f);
    load_ok("svhn", tmp, NIN_SPLIT_EXTRA, &d);
    check_rgb_data(&d, 4, svhn_classes);
    nin_dataset_free(&d);
}
END_TEST

START_TEST(test_svhn_missing_and_not_mat)
{
    expect_error("svhn", NIN_SPLIT_TRAIN, "train_32x32.mat", "missing");
    expect_error("svhn", NIN_SPLIT_EXTRA, "extra_32x32.mat", "missing");
    write_file(at("test_32x32.mat"), "this is not a MATLAB file at all", 32);
    expect_error("svhn", NIN_SPLIT_TEST, "test_32x32.mat", "not a MATLAB file");
    svhn_file f = svhn_good;
    f.y_name = NULL;
    write_svhn("test_32x32.mat", &f);
    expect_error("svhn", NIN_SPLIT_TEST, "test_32x32.mat", "has no variable 'y'");
    f = svhn_good;
    f.x_name = "images";
    write_svhn("test_32x32.mat", &f);
    expect_error("svhn", NIN_SPLIT_TEST, "test_32x32.mat", "has no variable 'X'");
}
END_TEST

/* matio itself loads such files without a word, the missing or corrupt part as zeros. */
START_TEST(test_svhn_truncated_or_corrupt)
{
    for (int k = 0; k < 4; k++) {
        svhn_file f = svhn_good;
        f.compression = k & 1 ? MAT_COMPRESSION_NONE : MAT_COMPRESSION_ZLIB;
        f.y_first = k >> 1;   /* with y first, the cut falls inside X's data with X's header intact */
        write_svhn("train_32x32.mat", &f);
        cut("train_32x32.mat", size_of("train_32x32.mat") / 2);
        expect_error("svhn", NIN_SPLIT_TRAIN, "train_32x32.mat", "truncated");
        cut("train_32x32.mat", 100);   /* inside the 128-byte file header */
        expect_error("svhn", NIN_SPLIT_TRAIN, "train_32x32.mat", "not a MATLAB file");
    }
    /* Bytes overwritten inside X's compressed data. */
    write_svhn("train_32x32.mat", &svhn_good);
    FILE *f = fopen(at("train_32x32.mat"), "r+b");
    ck_assert(f && fseek(f, 400, SEEK_SET) == 0 && fwrite("garbage garbage garbage", 1, 23, f) == 23 && fclose(f) == 0);
    expect_error("svhn", NIN_SPLIT_TRAIN, "train_32x32.mat", "the compressed variable at byte 128 is corrupt");
}
END_TEST

START_TEST(test_svhn_wrong_types_and_dimensions)
{
    svhn_file f = svhn_good;
    f.x_class = MAT_C_DOUBLE;
    write_svhn("train_32x32.mat", &f);
    expect_error("svhn", NIN_SPLIT_TRAIN, "train_32x32.mat", "X is a double array, expected 32x32x3xN uint8");
    f = svhn_good;
    f.rows = f.cols = 28;
    write_svhn("train_32x32.mat", &f);
    expect_error("svhn", NIN_SPLIT_TRAIN, "train_32x32.mat", "X is 28x28x3x4, expected 32x32x3xN");
    f = svhn_good;
    f.y_rows = 3;
    write_svhn("train_32x32.mat", &f);
    expect_error("svhn", NIN_SPLIT_TRAIN, "train_32x32.mat", "y is 3x1, expected 4x1");

    /* y as text: a char array is neither double nor uint8. */
    f = svhn_good;
    f.y_name = NULL;
    write_svhn("train_32x32.mat", &f);
    mat_t *mat = Mat_Open(at("train_32x32.mat"), MAT_ACC_RDWR);
    size_t dims[2] = { 4, 1 };
    char text[4] = "abcd";
    matvar_t *v = Mat_VarCreate("y", MAT_C_CHAR, MAT_T_UINT8, 2, dims, text, 0);
    ck_assert(mat && v && Mat_VarWrite(mat, v, MAT_COMPRESSION_NONE) == 0);
    Mat_VarFree(v);
    Mat_Close(mat);
    expect_error("svhn", NIN_SPLIT_TRAIN, "train_32x32.mat", "y is a char array, expected Nx1 double or uint8");
}
END_TEST

/* An uncompressed .mat file whose X header claims far more images than the file holds. */
START_TEST(test_svhn_huge_dimensions)
{
    svhn_file f = svhn_good;
    f.compression = MAT_COMPRESSION_NONE;
    f.count = 2;
    write_svhn("test_32x32.mat", &f);
    FILE *file = fopen(at("test_32x32.mat"), "r+b");
    ck_assert(file != NULL);
    uint8_t buf[512];
    size_t n = fread(buf, 1, sizeof buf, file);
    /* X's dimensions subelement: int32 tag (type 5, 16 bytes), then 32, 32, 3, 2 little-endian. */
    const uint8_t dims[24] = { 5, 0, 0, 0, 16, 0, 0, 0, 32, 0, 0, 0, 32, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0 };
    uint8_t *p = memmem(buf, n, dims, sizeof dims);
    ck_assert_msg(p != NULL, "X's dimensions not found in the .mat file");
    for (int pass = 0; pass < 2; pass++) {
        const uint32_t count = pass == 0 ? 100000000u : 1000000u;   /* over the cap, then over the file */
        uint8_t le[4] = { (uint8_t)count, (uint8_t)(count >> 8), (uint8_t)(count >> 16), (uint8_t)(count >> 24) };
        ck_assert(fseek(file, (long)(p - buf) + 20, SEEK_SET) == 0 && fwrite(le, 1, 4, file) == 4 && fflush(file) == 0);
        expect_error("svhn", NIN_SPLIT_TEST, "test_32x32.mat",
                     pass == 0 ? "claims 100000000 images in X, more than" : "more than a file of");
    }
    fclose(file);
}
END_TEST

START_TEST(test_svhn_bad_labels)
{
    const double zero[4] = { 1, 0, 2, 3 }, eleven[4] = { 1, 2, 11, 3 }, half[4] = { 1, 2, 3, 4.5 };
    svhn_file f = svhn_good;
    f.labels = zero;
    write_svhn("train_32x32.mat", &f);
    expect_error("svhn", NIN_SPLIT_TRAIN, "train_32x32.mat", "label 0 of image 1 is out of range, expected an integer in 1..10");
    f.labels = eleven;
    f.y_class = MAT_C_UINT8;
    write_svhn("train_32x32.mat", &f);
    expect_error("svhn", NIN_SPLIT_TRAIN, "train_32x32.mat", "label 11 of image 2 is out of range");
    f.labels = half;
    f.y_class = MAT_C_DOUBLE;
    write_svhn("train_32x32.mat", &f);
    expect_error("svhn", NIN_SPLIT_TRAIN, "train_32x32.mat", "label 4.5 of image 3 is out of range");
}
END_TEST

/* --- where the data is ---------------------------------------------------------------------------- */

static char *saved_home, *saved_data_dir;

static char *save_env(const char *name)
{
    const char *v = getenv(name);
    return v ? strdup(v) : NULL;
}

static void restore_env(const char *name, char *value)
{
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
    free(value);
}

static void setup(void)
{
    make_tmp();
    saved_home = save_env("HOME");
    saved_data_dir = save_env("NIN_DATA_DIR");
}

static void teardown(void)
{
    restore_env("HOME", saved_home);
    restore_env("NIN_DATA_DIR", saved_data_dir);
    remove_tmp();
}

START_TEST(test_dataset_dir)
{
    const nin_dataset_spec *mnist = nin_dataset_find("mnist"), *fashion = nin_dataset_find("fashion-mnist");
    char buf[4096], want[4096 + 64];
    setenv("HOME", tmp, 1);
    setenv("NIN_DATA_DIR", "/data/sets", 1);
    ck_assert_str_eq(nin_dataset_dir(mnist, "/my/mnist", buf, sizeof buf), "/my/mnist");
    ck_assert_str_eq(nin_dataset_dir(mnist, NULL, buf, sizeof buf), "/data/sets/mnist");
    ck_assert_str_eq(nin_dataset_dir(fashion, "", buf, sizeof buf), "/data/sets/fashion-mnist");

    unsetenv("NIN_DATA_DIR");
    snprintf(want, sizeof want, "%s/.local/share/nin-cl/mnist", tmp);
    ck_assert_str_eq(nin_dataset_dir(mnist, NULL, buf, sizeof buf), want);

    /* No ~/.local/share/nin-cl/fashion-mnist: the system copy if one is installed. */
    struct stat st;
    int system = stat(fashion->system_dir, &st) == 0 && S_ISDIR(st.st_mode);
    snprintf(want, sizeof want, "%s/.local/share/nin-cl/fashion-mnist", tmp);
    ck_assert_str_eq(nin_dataset_dir(fashion, NULL, buf, sizeof buf), system ? fashion->system_dir : want);
    /* Once the user has a copy, it wins. */
    make_dir(at(".local"));
    make_dir(at(".local/share"));
    make_dir(at(".local/share/nin-cl"));
    make_dir(at(".local/share/nin-cl/fashion-mnist"));
    ck_assert_str_eq(nin_dataset_dir(fashion, NULL, buf, sizeof buf), want);
}
END_TEST

/* The real MNIST test split, where a copy is at hand (NIN_MNIST_DIR, else the shared datasets). */
START_TEST(test_real_mnist)
{
    const char *dir = getenv("NIN_MNIST_DIR");
    struct stat st;
    if (!dir || !*dir || stat(dir, &st) != 0)
        dir = "/work/shared/datasets/mnist";
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("test_real_mnist: skipped, no MNIST at %s\n", dir);
        return;
    }
    nin_dataset d;
    load_ok("mnist", dir, NIN_SPLIT_TEST, &d);
    ck_assert_int_eq(d.count, 10000);
    int hist[10] = { 0 };
    for (int i = 0; i < d.count; i++)
        hist[d.labels[i]]++;
    for (int k = 0; k < 10; k++)   /* 892 fives .. 1135 ones in the real test split */
        ck_assert_msg(hist[k] > 850 && hist[k] < 1200, "%d images of digit %d", hist[k], k);
    double sum = 0;
    for (size_t i = 0; i < (size_t)d.count * 784; i++)
        sum += d.images[i];
    double mean = sum / ((double)d.count * 784);
    ck_assert_msg(mean > 33.78 && mean < 33.80, "mean pixel %.4f, expected 33.7912", mean);
    nin_dataset_free(&d);
}
END_TEST


/* --- images: folders of pictures, one per class --------------------------------------------------------- */

/* Run a shell command in tmp. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[8192];
    int n = snprintf(cmd, sizeof cmd, "cd '%s' && ", tmp);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
    va_end(ap);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* Run tests/make_images.py (Debian's python3-pil) with the arguments, in tmp. */
static void make_images(const char *args)
{
    const char *src = getenv("NIN_TEST_SRCDIR"), *python = getenv("NIN_PYTHON");
    sh("'%s' '%s/make_images.py' %s", python && *python ? python : "/usr/bin/python3", src && *src ? src : "tests",
       args);
}

static nin_images_options image_options(int size, int channels, float test_split)
{
    nin_images_options o;
    nin_images_options_default(&o);
    o.size = size, o.channels = channels, o.test_split = test_split;
    return o;
}

static void load_images_ok(const char *dir, nin_split split, const nin_images_options *o, nin_dataset *d)
{
    char err[2048] = "";
    ck_assert_msg(nin_images_load(dir, split, o, d, err, sizeof err) == 0, "%s: %s", dir, err);
    ck_assert(d->spec && d->spec->height == o->size && d->spec->width == o->size && d->spec->channels == o->channels);
}

/* Every pixel of image i of d lies within tol of the colour (one value per channel). */
static void expect_flat(const nin_dataset *d, int i, const int *colour, int tol, const char *what)
{
    size_t plane = (size_t)d->spec->height * d->spec->width;
    const uint8_t *px = d->images + (size_t)i * d->spec->channels * plane;
    for (int c = 0; c < d->spec->channels; c++)
        for (size_t k = 0; k < plane; k++)
            ck_assert_msg(abs(px[c * plane + k] - colour[c]) <= tol, "%s: channel %d pixel %zu is %d, not %d +- %d",
                          what, c, k, px[c * plane + k], colour[c], tol);
}

/* Each format and colour type (a class each, tests/make_images.py formats) loads as its colour, in RGB and
 * in gray; expected.txt, beside the class folders, is not an image and is ignored. */
START_TEST(test_images_formats)
{
    make_images("formats f");
    FILE *f = fopen(at("f/expected.txt"), "r");
    ck_assert(f != NULL);
    char names[32][64];
    int colours[32][3], tols[32], n = 0;
    while (n < 32 && fscanf(f, "%63s %d %d %d %d", names[n], &colours[n][0], &colours[n][1], &colours[n][2],
                            &tols[n]) == 5)
        n++;
    fclose(f);
    ck_assert_int_ge(n, 12);
    for (int channels = 1; channels <= 3; channels += 2) {
        nin_images_options o = image_options(8, channels, 0.5f);
        for (nin_split split = NIN_SPLIT_TRAIN; split <= NIN_SPLIT_TEST; split++) {
            nin_dataset d;
            load_images_ok(at("f"), split, &o, &d);
            ck_assert_int_eq(d.spec->classes, n);
            ck_assert_int_eq(d.count, n);   /* two of each: one held out for testing, one for training */
            for (int i = 0; i < d.count; i++) {
                int c = d.labels[i], *rgb = colours[c];
                int gray = (int)(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] + 0.5);
                ck_assert_str_eq(d.spec->class_names[c], names[c]);
                expect_flat(&d, i, channels == 3 ? rgb : &gray, tols[c] + 1, names[c]);
            }
            nin_dataset_free(&d);
        }
    }
}
END_TEST

/* Labels, counted per class, of images [first, first + n) of d. */
static void count_labels(const nin_dataset *d, int first, int n, int *counts)
{
    memset(counts, 0, (size_t)d->spec->classes * sizeof *counts);
    for (int i = first; i < first + n; i++)
        counts[d->labels[i]]++;
}

/* Every tail of the training order holds each class in proportion (the validation images are a tail). */
static void expect_stratified_tails(const nin_dataset *d)
{
    int counts[16], classes = d->spec->classes;
    for (int tail = 1; tail <= d->count; tail++) {
        count_labels(d, d->count - tail, tail, counts);
        for (int c = 1; c < classes; c++)
            ck_assert_msg(abs(counts[c] - counts[0]) <= 1, "the last %d images hold %d of class 0, %d of class %d",
                          tail, counts[0], counts[c], c);
    }
}

/* train/ + test/, train/ + val/, and one folder with a held-out split; hidden entries and other files
 * ignored, nested folders and symbolic links followed. */
START_TEST(test_images_layouts)
{
    static const char *const layouts[] = { "split", "val", "flat" };
    for (int k = 0; k < 3; k++) {
        char args[256];
        snprintf(args, sizeof args, "learnable %s --layout %s --classes 3 --train 10 --test 4", layouts[k], layouts[k]);
        make_images(args);
    }
    sh("mkdir split/train/class-a/nested && mv split/train/class-a/00000.* split/train/class-a/nested/");
    write_file(at("split/train/class-a/notes.txt"), "not a picture", 13);
    write_file(at("split/train/class-a/.hidden.png"), "x", 1);   /* would be an error if it were read */
    make_dir(at("split/train/.cache"));
    ck_assert(symlink(at("split/train/class-c"), at("split/train/class-d")) == 0);
    ck_assert(symlink(at("split/test/class-c"), at("split/test/class-d")) == 0);
    nin_images_options o = image_options(16, 3, 0.25f);
    nin_dataset train, test;
    load_images_ok(at("split"), NIN_SPLIT_TRAIN, &o, &train);
    load_images_ok(at("split"), NIN_SPLIT_TEST, &o, &test);
    ck_assert_int_eq(train.spec->classes, 4);
    ck_assert_str_eq(train.spec->class_names[3], "class-d");
    ck_assert_int_eq(train.count, 40);
    ck_assert_int_eq(test.count, 16);
    expect_stratified_tails(&train);
    nin_dataset_free(&train);
    nin_dataset_free(&test);

    load_images_ok(at("val"), NIN_SPLIT_TEST, &o, &test);
    ck_assert_int_eq(test.count, 12);
    nin_dataset_free(&test);

    load_images_ok(at("flat"), NIN_SPLIT_TRAIN, &o, &train);   /* 14 a class: round(0.25 * 14) = 4 held out */
    load_images_ok(at("flat"), NIN_SPLIT_TEST, &o, &test);
    ck_assert_int_eq(train.count, 30);
    ck_assert_int_eq(test.count, 12);
    int counts[16];
    count_labels(&test, 0, test.count, counts);
    ck_assert(counts[0] == 4 && counts[1] == 4 && counts[2] == 4);
    expect_stratified_tails(&train);
    /* no picture is in both splits */
    size_t dim = 3 * 16 * 16;
    for (int i = 0; i < test.count; i++)
        for (int j = 0; j < train.count; j++)
            ck_assert_msg(memcmp(test.images + i * dim, train.images + j * dim, dim) != 0, "test %d is training %d", i, j);
    nin_dataset_free(&test);

    /* the order and the held-out images follow the seed, and only the seed */
    nin_dataset again, other;
    load_images_ok(at("flat"), NIN_SPLIT_TRAIN, &o, &again);
    o.seed = 2;
    load_images_ok(at("flat"), NIN_SPLIT_TRAIN, &o, &other);
    ck_assert(memcmp(again.images, train.images, (size_t)train.count * dim) == 0);
    ck_assert(memcmp(other.images, train.images, (size_t)train.count * dim) != 0);
    nin_dataset_free(&train);
    nin_dataset_free(&again);
    nin_dataset_free(&other);
}
END_TEST

/* A fine checkerboard shrunk 8x is flat grey: the scaling averages, it does not sample. */
START_TEST(test_images_antialiased)
{
    make_dir(at("c"));
    make_dir(at("c/board"));
    make_dir(at("c/other"));
    make_images("checkerboard c/board/a.png 256");
    make_images("checkerboard c/other/b.png 256");
    nin_images_options o = image_options(32, 1, 0.1f);
    nin_dataset d;
    load_images_ok(at("c"), NIN_SPLIT_TRAIN, &o, &d);
    int grey = 128;
    expect_flat(&d, 0, &grey, 1, "an 8x smaller checkerboard");
    nin_dataset_free(&d);
}
END_TEST

/* The images load must fail with one line naming `file` and holding `problem`, leaving d empty. */
static void expect_images_error(const char *dir, const nin_images_options *o, const char *file, const char *problem)
{
    nin_dataset d;
    char err[2048] = "";
    ck_assert_msg(nin_images_load(dir, NIN_SPLIT_TRAIN, o, &d, err, sizeof err) == -1, "%s loaded", dir);
    ck_assert_msg(d.count == 0 && !d.images && !d.labels && !d.spec, "a failed load left data behind");
    ck_assert_msg(!strchr(err, '\n') && strstr(err, file) && strstr(err, problem), "want '%s' and '%s' in: %s",
                  file, problem, err);
    if (getenv("NIN_TEST_SHOW_ERRORS"))
        printf("%s\n", err);
}

static void copy_prefix(const char *from, const char *to, long bytes)
{
    FILE *f = fopen(from, "rb");
    ck_assert(f != NULL);
    char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    write_file(to, buf, bytes < 0 ? n + (size_t)bytes : (size_t)bytes);
}

START_TEST(test_images_bad_files)
{
    make_images("learnable b --layout flat --classes 2 --train 6 --test 0");
    make_images("formats f");
    nin_images_options o = image_options(16, 3, 0.0f);   /* every file in the training split */
    copy_prefix(at("f/jpeg-large/0.jpg"), at("b/class-a/cut.jpg"), 3000);   /* truncated */
    expect_images_error(at("b"), &o, "class-a/cut.jpg", "bad JPEG");
    expect_images_error(at("b"), &o, "class-a/cut.jpg", "1 of 13 images cannot be read; --skip-bad");
    o.skip_bad = 1;
    nin_dataset d;
    load_images_ok(at("b"), NIN_SPLIT_TRAIN, &o, &d);
    ck_assert_int_eq(d.skipped, 1);
    ck_assert_int_eq(d.count, 12);
    ck_assert(d.first_skipped && strstr(d.first_skipped, "cut.jpg"));
    nin_dataset_free(&d);
    o.skip_bad = 0;
    remove(at("b/class-a/cut.jpg"));

    write_file(at("b/class-b/garbage.png"), "this is not a PNG file at all", 29);
    expect_images_error(at("b"), &o, "class-b/garbage.png", "not an image");
    remove(at("b/class-b/garbage.png"));
    write_file(at("b/class-b/tiny.jpg"), "\xff", 1);
    expect_images_error(at("b"), &o, "class-b/tiny.jpg", "only one byte");
    remove(at("b/class-b/tiny.jpg"));
    copy_prefix(at("f/png-rgb/0.png"), at("b/class-b/cut.png"), -20);
    expect_images_error(at("b"), &o, "class-b/cut.png", "bad PNG");
    remove(at("b/class-b/cut.png"));
}
END_TEST

START_TEST(test_images_bad_folders)
{
    nin_images_options o = image_options(16, 3, 0.25f);
    expect_images_error(at("missing"), &o, "missing", "cannot open");
    write_file(at("file"), "x", 1);
    expect_images_error(at("file"), &o, "file", "is not a folder");
    make_dir(at("empty"));
    expect_images_error(at("empty"), &o, "empty", "no class folders");
    make_images("learnable one --layout flat --classes 1 --train 3 --test 0");
    expect_images_error(at("one"), &o, "one", "only one class folder (class-a)");
    make_images("learnable s --classes 3 --train 3 --test 2");
    make_dir(at("s/train/class-e"));
    expect_images_error(at("s"), &o, "s/test", "no folder for class 'class-e'");
    make_dir(at("s/test/class-e"));
    expect_images_error(at("s"), &o, "s/train/class-e", "an empty class folder");
    ck_assert(rmdir(at("s/train/class-e")) == 0 && rmdir(at("s/test/class-e")) == 0);
    make_dir(at("s/test/class-z"));
    nin_dataset d;
    char err[2048];
    ck_assert(nin_images_load(at("s"), NIN_SPLIT_TEST, &o, &d, err, sizeof err) == -1 && strstr(err, "class-z") &&
              strstr(err, "a class that"));
    ck_assert(rmdir(at("s/test/class-z")) == 0);
    ck_assert(rename(at("s/test/class-b"), at("s/test/.class-b")) == 0);
    expect_images_error(at("s"), &o, "s/test", "no folder for class 'class-b'");
    ck_assert(rename(at("s/test"), at("s/elsewhere")) == 0);
    expect_images_error(at("s"), &o, "s", "no test/ or val/");
    ck_assert(rename(at("s/train"), at("s/test")) == 0);
    expect_images_error(at("s"), &o, "s", "a test/ folder but no train/");
    sh("mkdir -p bad/a bad/b && : > bad/a/1.png && : > bad/b/2.jpg");   /* empty files */
    o.skip_bad = 1;
    o.test_split = 0.0f;
    expect_images_error(at("bad"), &o, "bad/a/1.png", "none of the 2 images can be read");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("datasets");
    TCase *idx = tcase_create("idx"), *cifar = tcase_create("cifar"), *svhn = tcase_create("svhn"),
          *where = tcase_create("where"), *images = tcase_create("images");
    TCase *all[5] = { idx, cifar, svhn, where, images };
    for (int i = 0; i < 5; i++) {
        tcase_add_checked_fixture(all[i], setup, teardown);
        suite_add_tcase(s, all[i]);
    }
    tcase_add_test(idx, test_mnist_gz_and_plain);
    tcase_add_test(idx, test_idx_plain_before_gz);
    tcase_add_test(idx, test_idx_missing);
    tcase_add_test(idx, test_idx_truncated);
    tcase_add_test(idx, test_idx_trailing_bytes);
    tcase_add_test(idx, test_idx_wrong_magic);
    tcase_add_test(idx, test_idx_wrong_dimensions);
    tcase_add_test(idx, test_idx_huge_counts);
    tcase_add_test(idx, test_idx_bad_label);
    tcase_add_test(idx, test_no_extra_split);
    tcase_add_test(cifar, test_cifar10_parent_and_folder);
    tcase_add_test(cifar, test_cifar10_errors);
    tcase_add_test(cifar, test_cifar100_fine_labels);
    tcase_add_test(cifar, test_cifar100_errors);
    tcase_add_test(svhn, test_svhn_splits);
    tcase_add_test(svhn, test_svhn_missing_and_not_mat);
    tcase_add_test(svhn, test_svhn_truncated_or_corrupt);
    tcase_add_test(svhn, test_svhn_wrong_types_and_dimensions);
    tcase_add_test(svhn, test_svhn_huge_dimensions);
    tcase_add_test(svhn, test_svhn_bad_labels);
    tcase_add_test(where, test_dataset_dir);
    tcase_add_test(where, test_real_mnist);
    tcase_add_test(images, test_images_formats);
    tcase_add_test(images, test_images_layouts);
    tcase_add_test(images, test_images_antialiased);
    tcase_add_test(images, test_images_bad_files);
    tcase_add_test(images, test_images_bad_folders);
    return run_suite(s);
}
