/* test_malformed.c - every parser on malformed input, one test per failure class, each asserting the exact
 * error line. The well-formed inputs are the fuzzers' seeds (fuzz/corpus/TARGET/), so the tests and the
 * fuzzers start from the same files; each test breaks one thing in a copy (host only, no device).
 *
 * In an expected line, '@' stands for the test's temporary directory. */
#define _GNU_SOURCE   /* mkdtemp, memmem */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <matio.h>
#include <nin/nin.h>
#include <nin/train.h>
#include "harness.h"

static char tmp[256];

typedef struct bytes { uint8_t *data; size_t size; } bytes;

static void make_tmp(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/nin-malformed-XXXXXX");
    ck_assert_msg(mkdtemp(tmp) != NULL, "mkdtemp failed");
}

static void remove_tmp(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    ck_assert(system(cmd) == 0);
}

static const char *at(const char *name)
{
    static char paths[2][512];
    static int next;
    char *p = paths[next++ % 2];
    snprintf(p, sizeof paths[0], "%s/%s", tmp, name);
    return p;
}

/* A seed of fuzz target `target` ($NIN_FUZZ_CORPUS/target/name), to be broken by the test. */
static bytes seed(const char *target, const char *name)
{
    const char *dir = getenv("NIN_FUZZ_CORPUS");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", dir ? dir : "fuzz/corpus", target, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open the seed %s", path);
    bytes b = { malloc(1 << 16), 0 };
    b.size = fread(b.data, 1, 1 << 16, f);
    fclose(f);
    return b;
}

static void put(const char *name, const void *data, size_t size)
{
    FILE *f = fopen(at(name), "wb");
    ck_assert_msg(f && fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write %s", name);
}

static void put_be32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8), b[3] = (uint8_t)v;
}

/* got must be the expected line with '@' replaced by the temporary directory. */
static void expect_line(const char *got, const char *expected)
{
    char want[2048];
    size_t n = 0;
    for (const char *p = expected; *p && n < sizeof want - sizeof tmp; p++)
        if (*p == '@')
            n += (size_t)snprintf(want + n, sizeof want - n, "%s", tmp);
        else
            want[n++] = *p;
    want[n] = '\0';
    ck_assert_msg(strcmp(got, want) == 0, "\n got: %s\nwant: %s", got, want);
}

/* --- datasets ------------------------------------------------------------------------------------------ */

static void expect_dataset_error(const char *name, nin_split split, const char *expected)
{
    nin_dataset d;
    char err[1024];
    ck_assert_msg(nin_dataset_load(nin_dataset_find(name), tmp, split, &d, err, sizeof err) == -1,
                  "a malformed %s loaded", name);
    ck_assert(d.count == 0 && !d.images && !d.labels);
    expect_line(err, expected);
}

/* The IDX seed: a 4-byte length, t10k-images-idx3-ubyte (2 images) and t10k-labels-idx1-ubyte. */
static void put_idx(bytes b, size_t image_bytes)
{
    size_t n = b.data[0] | (size_t)b.data[1] << 8;
    put("t10k-images-idx3-ubyte", b.data + 4, image_bytes);
    put("t10k-labels-idx1-ubyte", b.data + 4 + n, b.size - 4 - n);
}

#define GET_DATA ": run `nin-cl download mnist` or pass --data DIR"

START_TEST(test_idx)
{
    bytes b = seed("idx", "plain");
    const size_t images = 16 + 2 * 784;
    uint8_t *head = b.data + 4, *labels = b.data + 4 + images;
    put_idx(b, images - 100);
    expect_dataset_error("mnist", NIN_SPLIT_TEST, "@/t10k-images-idx3-ubyte: truncated: the file ends after 1484 "
                         "bytes, expected 2 images of 28x28 bytes after the 16-byte header" GET_DATA);
    head[3] = 0x01;
    put_idx(b, images);
    expect_dataset_error("mnist", NIN_SPLIT_TEST, "@/t10k-images-idx3-ubyte: wrong magic 0x00000801, expected "
                         "0x00000803 (IDX images, 3 dimensions)" GET_DATA);
    head[3] = 0x03;
    put_be32(head + 8, 32);
    put_idx(b, images);
    expect_dataset_error("mnist", NIN_SPLIT_TEST, "@/t10k-images-idx3-ubyte: images are 32x28, expected 28x28" GET_DATA);
    put_be32(head + 8, 28);
    put_be32(head + 4, 0xffffffffu);
    put_idx(b, images);
    expect_dataset_error("mnist", NIN_SPLIT_TEST, "@/t10k-images-idx3-ubyte: claims 4294967295 images, more than "
                         "the 4000000 any official split has (corrupt header?)" GET_DATA);
    put_be32(head + 4, 2);
    put_be32(labels + 4, 3);
    put_idx(b, images);
    expect_dataset_error("mnist", NIN_SPLIT_TEST, "@/t10k-labels-idx1-ubyte: holds 3 labels, expected 2, one for "
                         "each image" GET_DATA);
    put_be32(labels + 4, 2);
    labels[9] = 10;
    put_idx(b, images);
    expect_dataset_error("mnist", NIN_SPLIT_TEST, "@/t10k-labels-idx1-ubyte: label 10 of image 1 is out of range, "
                         "expected an integer in 0..9" GET_DATA);
    free(b.data);
}
END_TEST

START_TEST(test_cifar)
{
    bytes b = seed("cifar", "cifar10"), b100 = seed("cifar", "cifar100");
    put("test_batch.bin", b.data, b.size - 10);
    expect_dataset_error("cifar10", NIN_SPLIT_TEST, "@/test_batch.bin: truncated or not a CIFAR batch: 6136 bytes, "
                         "expected a positive multiple of the 3073-byte record: run `nin-cl download cifar10` or "
                         "pass --data DIR");
    put("test_batch.bin", b100.data, b100.size);   /* CIFAR-100's 3074-byte records */
    expect_dataset_error("cifar10", NIN_SPLIT_TEST, "@/test_batch.bin: truncated or not a CIFAR batch: 6148 bytes, "
                         "expected a positive multiple of the 3073-byte record: run `nin-cl download cifar10` or "
                         "pass --data DIR");
    put("test_batch.bin", b.data, 0);
    expect_dataset_error("cifar10", NIN_SPLIT_TEST, "@/test_batch.bin: truncated or not a CIFAR batch: 0 bytes, "
                         "expected a positive multiple of the 3073-byte record: run `nin-cl download cifar10` or "
                         "pass --data DIR");
    b.data[3073] = 10;
    put("test_batch.bin", b.data, b.size);
    expect_dataset_error("cifar10", NIN_SPLIT_TEST, "@/test_batch.bin: label 10 of image 1 is out of range, expected "
                         "an integer in 0..9: run `nin-cl download cifar10` or pass --data DIR");
    b100.data[0] = 20;
    put("test.bin", b100.data, b100.size);
    expect_dataset_error("cifar100", NIN_SPLIT_TEST, "@/test.bin: coarse label 20 of image 0 is out of range, "
                         "expected an integer in 0..19: run `nin-cl download cifar100` or pass --data DIR");
    b100.data[0] = 0;
    b100.data[3074 + 1] = 100;
    put("test.bin", b100.data, b100.size);
    expect_dataset_error("cifar100", NIN_SPLIT_TEST, "@/test.bin: fine label 100 of image 1 is out of range, "
                         "expected an integer in 0..99: run `nin-cl download cifar100` or pass --data DIR");
    free(b.data);
    free(b100.data);
}
END_TEST

/* test_32x32.mat holding X (class x_class, dims xdims) and y (double labels). */
static void put_svhn(enum matio_classes x_class, const size_t xdims[4], int y_rows, const double *y)
{
    mat_t *mat = Mat_CreateVer(at("test_32x32.mat"), NULL, MAT_FT_MAT5);
    size_t n = xdims[0] * xdims[1] * xdims[2] * xdims[3], ydims[2] = { (size_t)y_rows, 1 };
    double *x = calloc(n, sizeof *x);
    matvar_t *X = Mat_VarCreate("X", x_class, x_class == MAT_C_UINT8 ? MAT_T_UINT8 : MAT_T_DOUBLE, 4,
                                (size_t *)xdims, x, 0);
    matvar_t *Y = Mat_VarCreate("y", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, ydims, (void *)y, 0);
    ck_assert(mat && X && Y && Mat_VarWrite(mat, X, MAT_COMPRESSION_NONE) == 0 &&
              Mat_VarWrite(mat, Y, MAT_COMPRESSION_NONE) == 0);
    Mat_VarFree(X);
    Mat_VarFree(Y);
    Mat_Close(mat);
    free(x);
}

#define GET_SVHN ": run `nin-cl download svhn` or pass --data DIR"

START_TEST(test_svhn)
{
    bytes b = seed("svhn", "compressed");
    put("test_32x32.mat", b.data, b.size / 2);
    expect_dataset_error("svhn", NIN_SPLIT_TEST, "@/test_32x32.mat: truncated: a variable runs to byte 4916 but "
                         "the file ends after 2484 bytes" GET_SVHN);
    memset(b.data, 'x', 128);
    put("test_32x32.mat", b.data, b.size);
    expect_dataset_error("svhn", NIN_SPLIT_TEST, "@/test_32x32.mat: not a MATLAB file libmatio can read, expected "
                         "a v5 or v7.3 .mat file" GET_SVHN);
    free(b.data);
    /* the fuzzer's input that made libmatio, reading it as MATLAB v4, allocate 1.7 GB */
    b = seed("../regressions/svhn", "matio-v4-fallback-name-length-1.7GB");
    put("test_32x32.mat", b.data, b.size);
    expect_dataset_error("svhn", NIN_SPLIT_TEST, "@/test_32x32.mat: not a MATLAB file libmatio can read, expected "
                         "a v5 or v7.3 .mat file" GET_SVHN);
    free(b.data);

    const double labels[2] = { 1, 10 }, bad[2] = { 3, 11 };
    const size_t good[4] = { 32, 32, 3, 2 }, small[4] = { 28, 28, 3, 2 };
    put_svhn(MAT_C_DOUBLE, good, 2, labels);
    expect_dataset_error("svhn", NIN_SPLIT_TEST, "@/test_32x32.mat: X is a double array, expected 32x32x3xN "
                         "uint8" GET_SVHN);
    put_svhn(MAT_C_UINT8, small, 2, labels);
    expect_dataset_error("svhn", NIN_SPLIT_TEST, "@/test_32x32.mat: X is 28x28x3x2, expected 32x32x3xN" GET_SVHN);
    put_svhn(MAT_C_UINT8, good, 1, labels);
    expect_dataset_error("svhn", NIN_SPLIT_TEST, "@/test_32x32.mat: y is 1x1, expected 2x1, one label for each "
                         "image in X" GET_SVHN);
    put_svhn(MAT_C_UINT8, good, 2, bad);
    expect_dataset_error("svhn", NIN_SPLIT_TEST, "@/test_32x32.mat: label 11 of image 1 is out of range, expected "
                         "an integer in 1..10" GET_SVHN);
    /* X's dimensions claim 1000000 images in an uncompressed file of a few kilobytes */
    put_svhn(MAT_C_UINT8, good, 2, labels);
    FILE *f = fopen(at("test_32x32.mat"), "r+b");
    uint8_t buf[512];
    size_t n = fread(buf, 1, sizeof buf, f);
    const uint8_t dims[16] = { 32, 0, 0, 0, 32, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0 };
    uint8_t *p = memmem(buf, n, dims, sizeof dims);
    ck_assert(p != NULL);
    const uint8_t million[4] = { 0x40, 0x42, 0x0f, 0x00 };
    ck_assert(fseek(f, (long)(p - buf) + 12, SEEK_SET) == 0 && fwrite(million, 1, 4, f) == 4 && fclose(f) == 0);
    expect_dataset_error("svhn", NIN_SPLIT_TEST, "@/test_32x32.mat: X claims 1000000 images, more than a file of "
                         "6408 bytes can hold" GET_SVHN);
}
END_TEST

/* --- images ------------------------------------------------------------------------------------------- */

static void expect_image_error(const char *name, const void *data, size_t size, const char *expected)
{
    nin_image img = { 0 };
    char err[1024];
    put(name, data, size);
    ck_assert_msg(nin_image_load(at(name), &img, err, sizeof err) == -1, "a malformed %s loaded", name);
    ck_assert(img.pixels == NULL);
    expect_line(err, expected);
}

/* A PNG chunk's CRC after its type and data were changed. */
static void fix_png_crc(uint8_t *chunk, uint32_t length)
{
    put_be32(chunk + 8 + length, (uint32_t)crc32(0L, chunk + 4, 4 + length));
}

START_TEST(test_png)
{
    bytes b = seed("image", "gray.png");
    expect_image_error("a.png", b.data, 40, "@/a.png: bad PNG: truncated data (unexpected end of file)");
    expect_image_error("a.png", "GIF89a....", 10, "@/a.png: not an image (unknown magic; expected PNG, JPEG, PGM P2/P5 "
                       "or PPM P3/P6)");
    uint8_t *ihdr = b.data + 8;
    put_be32(ihdr + 8, 0);   /* width 0 */
    fix_png_crc(ihdr, 13);
    expect_image_error("a.png", b.data, b.size, "@/a.png: bad PNG: Invalid IHDR data (after: Image width is zero in "
                       "IHDR)");
    put_be32(ihdr + 8, 4);
    ihdr[17] ^= 1;   /* a data byte, CRC left as it was */
    expect_image_error("a.png", b.data, b.size, "@/a.png: bad PNG: IHDR: CRC error");
    free(b.data);
    /* the regression input of the huge-header allocation: 16384 x 16384 RGBA-16 claimed in 57 bytes */
    bytes huge = seed("../regressions/image", "png-16384x16384-header-in-57-bytes");
    expect_image_error("a.png", huge.data, huge.size, "@/a.png: bad PNG: the header's 16384x16384 image needs "
                       "2147500032 bytes of pixel data, more than a 57-byte file can hold (truncated or corrupt)");
    free(huge.data);
}
END_TEST

START_TEST(test_pnm)
{
    bytes b = seed("image", "gray.pgm");   /* P5, 4x3, maxval 255 */
    expect_image_error("a.pgm", b.data, b.size - 2, "@/a.pgm: truncated data: expected 12 bytes of pixels, found 10");
    expect_image_error("a.pgm", "P7\n4 3\n255\n", 11, "@/a.pgm: not an image (unknown magic; expected PNG, JPEG, PGM "
                       "P2/P5 or PPM P3/P6)");
    expect_image_error("a.pgm", "P5\n0 3\n255\n", 11, "@/a.pgm: bad header: width 0 is out of range 1..16384");
    expect_image_error("a.pgm", "P5\n99999999 99999999\n255\n", 25, "@/a.pgm: bad header: width 99999999 is out of "
                       "range 1..16384");
    expect_image_error("a.pgm", "P5\n4 3\n70000\n", 13, "@/a.pgm: bad header: maxval 70000 is out of range 1..65535");
    expect_image_error("a.pgm", "P2\n2 1\n15\n3 16\n", 15, "@/a.pgm: sample value 16 (sample #1) exceeds maxval 15");
    free(b.data);
}
END_TEST

/* The SOF0 marker segment of a baseline JPEG: FF C0, length, precision, height, width (big-endian). */
static uint8_t *jpeg_sof(bytes b)
{
    uint8_t *sof = memmem(b.data, b.size, "\xff\xc0", 2);
    ck_assert(sof != NULL && sof + 9 < b.data + b.size);
    return sof;
}

static void put_be16(uint8_t *b, unsigned v)
{
    b[0] = (uint8_t)(v >> 8), b[1] = (uint8_t)v;
}

START_TEST(test_jpeg)
{
    bytes b = seed("image", "rgb.jpg");   /* 16x16, YCbCr 4:2:0, baseline */
    expect_image_error("a.jpg", b.data, b.size - 40, "@/a.jpg: bad JPEG: Premature end of JPEG file");
    expect_image_error("a.jpg", b.data, 3, "@/a.jpg: bad JPEG: Premature end of JPEG file");
    uint8_t *sof = jpeg_sof(b);
    put_be16(sof + 7, 20000);   /* width */
    expect_image_error("a.jpg", b.data, b.size, "@/a.jpg: bad JPEG: image size 20000x16 is out of range (sides "
                       "1..16384)");
    /* 16384 x 16384 claimed in 438 bytes: refused before libjpeg or the loader allocate for it */
    put_be16(sof + 5, 16384);
    put_be16(sof + 7, 16384);
    expect_image_error("a.jpg", b.data, b.size, "@/a.jpg: bad JPEG: the header's 16384x16384 image needs 805306368 "
                       "bytes of pixel data, more than a 438-byte file can hold (truncated or corrupt)");
    put_be16(sof + 5, 0);   /* height 0 would come in a DNL marker, which libjpeg does not read */
    expect_image_error("a.jpg", b.data, b.size, "@/a.jpg: bad JPEG: Empty JPEG image (DNL not supported)");
    put_be16(sof + 5, 16);
    put_be16(sof + 7, 16);
    sof[9] = 2;   /* a component count that disagrees with the segment's length */
    expect_image_error("a.jpg", b.data, b.size, "@/a.jpg: bad JPEG: Bogus marker length");
    free(b.data);
}
END_TEST

/* --- checkpoints --------------------------------------------------------------------------------------- */

static void expect_checkpoint_error(const bytes b, size_t size, const char *expected)
{
    nin_checkpoint ck;
    char err[1400];
    put("model.nin", b.data, size);
    ck_assert(nin_checkpoint_load(at("model.nin"), &ck, err, sizeof err) == -1);
    ck_assert(ck.weights == NULL && ck.momentum == NULL);
    expect_line(err, expected);
}

static void fix_checkpoint_crc(bytes b)
{
    uint32_t crc = (uint32_t)crc32(0L, b.data, (uInt)(b.size - 4));
    memcpy(b.data + b.size - 4, &crc, 4);
}

START_TEST(test_checkpoint)
{
    bytes b = seed("checkpoint", "tiny.nin");
    expect_checkpoint_error(b, b.size - 100, "@/model.nin is corrupt: CRC32 mismatch");
    expect_checkpoint_error(b, 10, "@/model.nin is not a nin-cl checkpoint (size 10 bytes)");
    b.data[0] = 'X';
    expect_checkpoint_error(b, b.size, "@/model.nin is not a nin-cl checkpoint (bad magic)");
    b.data[0] = 'N';
    b.data[8] = 7;
    expect_checkpoint_error(b, b.size, "@/model.nin has checkpoint version 7; this nin-cl reads version 1");
    b.data[8] = 1;
    b.data[b.size - 20] ^= 0x40;   /* a momentum byte */
    expect_checkpoint_error(b, b.size, "@/model.nin is corrupt: CRC32 mismatch");
    b.data[b.size - 20] ^= 0x40;
    /* sizes that contradict each other, under a valid CRC */
    uint8_t *shape = memmem(b.data, b.size, "shape\0\0\0", 8);
    ck_assert(shape != NULL);
    int32_t channels = 5;
    memcpy(shape + 16, &channels, 4);
    fix_checkpoint_crc(b);
    expect_checkpoint_error(b, b.size, "@/model.nin is corrupt: bad input shape 5x28x28 or 10 classes");
    channels = 1;
    memcpy(shape + 16, &channels, 4);
    uint64_t huge = (uint64_t)1 << 40;
    memcpy(shape + 8, &huge, 8);
    fix_checkpoint_crc(b);
    expect_checkpoint_error(b, b.size, "@/model.nin is corrupt: no shape section");
    free(b.data);
}
END_TEST

/* --- tuning file, program cache ------------------------------------------------------------------------- */

START_TEST(test_tuning)
{
    nin_gemm_tuning tuning = nin_gemm_tuning_default(), *ctx = &tuning;
    char err[1600];
    put("dev.tune", "# comment\ngemm fastest\n", 23);
    ck_assert_int_eq(nin_tuning_read(at("dev.tune"), ctx, err, sizeof err), -1);
    expect_line(err, "@/dev.tune:2: expected 'gemm clblast|tiled', 'gemm_tile_rows 4|6|8', "
                "'gemm_row_tiles|gemm_k_block|gemm_block_n|gemm_pack_b_rows N' (N in 1..65536) or 'kernels_FAMILY plane|element', found 'gemm fastest' (delete the file or run nin-cl tune)");
    put("dev.tune", "gemm tiled extra\n", 17);
    ck_assert_int_eq(nin_tuning_read(at("dev.tune"), ctx, err, sizeof err), -1);
    expect_line(err, "@/dev.tune:1: expected 'gemm clblast|tiled', 'gemm_tile_rows 4|6|8', "
                "'gemm_row_tiles|gemm_k_block|gemm_block_n|gemm_pack_b_rows N' (N in 1..65536) or 'kernels_FAMILY plane|element', found 'gemm tiled extra' (delete the file or run nin-cl tune)");
    put("dev.tune", "gemm_block_n 99999999999\n", 25);
    ck_assert_int_eq(nin_tuning_read(at("dev.tune"), ctx, err, sizeof err), -1);
    expect_line(err, "@/dev.tune:1: expected 'gemm clblast|tiled', 'gemm_tile_rows 4|6|8', "
                "'gemm_row_tiles|gemm_k_block|gemm_block_n|gemm_pack_b_rows N' (N in 1..65536) or 'kernels_FAMILY plane|element', found 'gemm_block_n 99999999999' (delete the file or run nin-cl tune)");
    put("dev.tune", "kernels_pool wide\n", 18);
    ck_assert_int_eq(nin_tuning_read(at("dev.tune"), ctx, err, sizeof err), -1);
    expect_line(err, "@/dev.tune:1: expected 'gemm clblast|tiled', 'gemm_tile_rows 4|6|8', "
                "'gemm_row_tiles|gemm_k_block|gemm_block_n|gemm_pack_b_rows N' (N in 1..65536) or 'kernels_FAMILY plane|element', found 'kernels_pool wide' (delete the file or run "
                "nin-cl tune)");
    put("dev.tune", "gemm_tile_rows 5\n", 17);   /* a height without its kernel */
    ck_assert_int_eq(nin_tuning_read(at("dev.tune"), ctx, err, sizeof err), -1);
    expect_line(err, "@/dev.tune:1: expected 'gemm clblast|tiled', 'gemm_tile_rows 4|6|8', "
                "'gemm_row_tiles|gemm_k_block|gemm_block_n|gemm_pack_b_rows N' (N in 1..65536) or 'kernels_FAMILY plane|element', found "
                "'gemm_tile_rows 5' (delete the file or run nin-cl tune)");
    put("dev.tune", "gemm_tile_rows 6\n", 17);
    ck_assert_int_eq(nin_tuning_read(at("dev.tune"), ctx, err, sizeof err), 1);
    ck_assert_int_eq(ctx->tile_rows, 6);
    put("dev.tune", "kernels_pool element\nkernels_sgd plane\n", 38);
    ck_assert_int_eq(nin_tuning_read(at("dev.tune"), ctx, err, sizeof err), 1);
    ck_assert_int_eq(ctx->shape[NIN_KF_POOL], NIN_SHAPE_ELEMENT);
    ck_assert_int_eq(ctx->shape[NIN_KF_SGD], NIN_SHAPE_PLANE);
    static const struct { const char *line, *error; } clblast[] = {
        { "clblast Xgemmm KWG=32", "expected 'clblast Xgemm|XgemmDirect|GemmRoutine NAME=VALUE ...'" },
        { "clblast GemmRoutine XGEMM_MIN_INDIRECT_SIZE=64 XGEMM_MIN_INDIRECT_SIZE=64",
          "XGEMM_MIN_INDIRECT_SIZE is given twice" },
        { "clblast GemmRoutine XGEMM_MIN_INDIRECT_SIZE=-1", "XGEMM_MIN_INDIRECT_SIZE=-1 is no number in 0..65536" },
        { "clblast GemmRoutine KWG=16", "'KWG=16' is no NAME=VALUE of a GemmRoutine parameter" },
        { "clblast XgemmDirect KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=1 PADB=1 VWMD=1 VWND=1",
          "clblast XgemmDirect without WGD (every parameter of the kernel is needed)" },
        { "clblast XgemmDirect KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=1 PADB=1 VWMD=1 VWND=1 WGD=12",
          "clblast XgemmDirect: the rule 'WGD is a multiple of MDIMCD*VWMD, NDIMCD*VWND, MDIMAD*VWMD, NDIMBD*VWND' "
          "is broken" },
        { "clblast Xgemm GEMMK=0 KREG=1 KWG=32 KWI=2 MDIMA=8 MDIMC=8 MWG=32 NDIMB=16 NDIMC=16 NWG=32 SA=1 SB=1 "
          "STRM=0 STRN=0 VWM=4 VWN=3", "clblast Xgemm: the rule 'VWM, VWN are 1, 2, 4, 8 or 16' is broken" },
    };
    for (size_t i = 0; i < sizeof clblast / sizeof clblast[0]; i++) {
        char text[512], want[1024];
        int length = snprintf(text, sizeof text, "gemm clblast\n%s\n", clblast[i].line);
        put("dev.tune", text, (size_t)length);
        ck_assert_int_eq(nin_tuning_read(at("dev.tune"), ctx, err, sizeof err), -1);
        snprintf(want, sizeof want, "@/dev.tune:2: %s, found '%s' (delete the file or run nin-cl tune)",
                 clblast[i].error, clblast[i].line);
        expect_line(err, want);
    }
    bytes b = seed("tuning", "tiled");
    put("dev.tune", b.data, b.size);
    ck_assert_int_eq(nin_tuning_read(at("dev.tune"), ctx, err, sizeof err), 1);
    ck_assert_int_eq(ctx->backend, NIN_GEMM_TILED);
    ck_assert_int_eq(nin_tuning_read(at("none.tune"), ctx, err, sizeof err), 0);
    free(b.data);
}
END_TEST

/* A bad cache entry gives no error line: it is refused, and the runtime rebuilds it (tests/cli.sh). */
START_TEST(test_program_cache)
{
    bytes b = seed("program_cache", "entry");
    size_t size;
    unsigned char *binary;
    put("entry.bin", b.data, b.size);
    ck_assert((binary = nin_program_cache_read(at("entry.bin"), &size)) != NULL && size == b.size - 20);
    free(binary);
    put("entry.bin", b.data, b.size - 1);   /* truncated */
    ck_assert(nin_program_cache_read(at("entry.bin"), &size) == NULL);
    b.data[20] ^= 1;   /* CRC */
    put("entry.bin", b.data, b.size);
    ck_assert(nin_program_cache_read(at("entry.bin"), &size) == NULL);
    b.data[20] ^= 1;
    b.data[13] = 0x7f;   /* the size field claims 2^63 bytes */
    put("entry.bin", b.data, b.size);
    ck_assert(nin_program_cache_read(at("entry.bin"), &size) == NULL);
    b.data[13] = 0;
    free(b.data);
    /* the fuzzer's input whose size field plus the 20 bytes of header and CRC wraps around to its file size */
    b = seed("../regressions/program_cache", "size-field-wraps-to-file-size");
    put("entry.bin", b.data, b.size);
    ck_assert(nin_program_cache_read(at("entry.bin"), &size) == NULL);
    free(b.data);
    b = seed("program_cache", "entry");
    b.data[0] = 'X';   /* magic */
    put("entry.bin", b.data, b.size);
    ck_assert(nin_program_cache_read(at("entry.bin"), &size) == NULL);
    free(b.data);
}
END_TEST

/* --- netdef and memory budget --------------------------------------------------------------------------- */

static void expect_netdef_error(const char *text, nin_shape input, int batch, const char *expected)
{
    nin_netdef def;
    nin_budget b;
    char err[512];
    nin_gemm_tuning untuned = nin_gemm_tuning_default();
    int rc = nin_netdef_parse(text, &def, err, sizeof err);
    if (rc == 0)
        rc = nin_budget_compute(&def, input, batch, &untuned, &b, err, sizeof err);
    ck_assert_msg(rc == -1, "netdef '%.60s' was accepted", text);
    expect_line(err, expected);
}

START_TEST(test_netdef)
{
    const nin_shape cifar = { 3, 32, 32 };
    expect_netdef_error("", cifar, 1, "empty network definition");
    expect_netdef_error("16c3-x-gap", cifar, 1, "bad layer 'x' in network definition (layer 2): expected e.g. "
                        "192c5p2, 10c1l, 192c5p2b, 256fc, mp3s2, ap3s2, d0.5, bn or gap");
    expect_netdef_error("16c3--gap", cifar, 1, "bad layer '' in network definition (layer 2): expected e.g. "
                        "192c5p2, 10c1l, 192c5p2b, 256fc, mp3s2, ap3s2, d0.5, bn or gap");
    expect_netdef_error("d1.0", cifar, 1, "bad layer 'd1.0' in network definition (layer 1): expected e.g. "
                        "192c5p2, 10c1l, 192c5p2b, 256fc, mp3s2, ap3s2, d0.5, bn or gap");
    char many[400] = "gap";
    for (int i = 0; i < 64; i++)
        strcat(many, "-gap");
    expect_netdef_error(many, cifar, 1, "network definition has more than 64 layers");
    expect_netdef_error("16c33-gap", cifar, 1, "layer 1 (16c33) does not fit its 3x32x32 input");
    expect_netdef_error("10c999999p999999", cifar, 1, "layer 1 (10c999999p999999) is too large for its 3x32x32 input");
    expect_netdef_error("999999c3p1-gap", cifar, 1000, "batch 1000 is too large for this network: layer 1 "
                        "(999999c3p1) would need more than 2^31 floats");
    expect_netdef_error("cifar10", (nin_shape){ 0, 32, 32 }, 1, "bad network input: batch 1 of 0x32x32");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("malformed");
    TCase *tc = tcase_create("parsers");
    tcase_add_checked_fixture(tc, make_tmp, remove_tmp);
    tcase_add_test(tc, test_idx);
    tcase_add_test(tc, test_cifar);
    tcase_add_test(tc, test_svhn);
    tcase_add_test(tc, test_png);
    tcase_add_test(tc, test_pnm);
    tcase_add_test(tc, test_jpeg);
    tcase_add_test(tc, test_checkpoint);
    tcase_add_test(tc, test_tuning);
    tcase_add_test(tc, test_program_cache);
    tcase_add_test(tc, test_netdef);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
