/* test_image.c - image loading (PNG, JPEG, PGM/PPM), PNG writing, resizing, fitting and channel conversion, and the
 * error lines for malformed files (host only, no device). Files go to a fresh mkdtemp directory. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <png.h>
#include <jpeglib.h>
#include "harness.h"

static char tmp_dir[200];   /* leaves room for any file name in a 512-byte path */

static void tmp_path(char *path, size_t size, const char *name)
{
    snprintf(path, size, "%s/%s", tmp_dir, name);
}

static void write_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert(fwrite(data, 1, size, f) == size);
    ck_assert(fclose(f) == 0);
}

/* Write the Netpbm text `header` followed by `size` raw bytes. */
static void write_pnm(const char *path, const char *header, const void *raw, size_t size)
{
    size_t n = strlen(header);
    uint8_t *buf = malloc(n + size + 1);
    memcpy(buf, header, n);
    if (size)
        memcpy(buf + n, raw, size);
    write_file(path, buf, n + size);
    free(buf);
}

/* Write a PNG with libpng directly, in layouts nin_image_save_png never produces. `rows` holds the
 * packed rows as PNG stores them (big-endian 16-bit samples, interleaved channels). */
typedef struct raw_png {
    int width, height, color_type, bit_depth, interlace;
    const png_color *palette;
    int palette_size;
    const uint8_t *trans;
    int trans_size;
} raw_png;

static int write_png_rows(png_structp png, png_infop info, const raw_png *s, const uint8_t *rows)
{
    if (setjmp(png_jmpbuf(png)))
        return -1;
    png_set_IHDR(png, info, (png_uint_32)s->width, (png_uint_32)s->height, s->bit_depth, s->color_type,
                 s->interlace, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (s->palette)
        png_set_PLTE(png, info, s->palette, s->palette_size);
    if (s->trans)
        png_set_tRNS(png, info, s->trans, s->trans_size, NULL);
    png_write_info(png, info);
    int passes = png_set_interlace_handling(png);
    size_t rowbytes = png_get_rowbytes(png, info);
    for (int pass = 0; pass < passes; pass++)
        for (int y = 0; y < s->height; y++)
            png_write_row(png, rows + (size_t)y * rowbytes);
    png_write_end(png, NULL);
    return 0;
}

static void write_png_raw(const char *path, const raw_png *s, const uint8_t *rows)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    ck_assert(png && info);
    png_init_io(png, f);
    int rc = write_png_rows(png, info, s, rows);
    png_destroy_write_struct(&png, &info);
    ck_assert(fclose(f) == 0);
    ck_assert_msg(rc == 0, "libpng could not write %s", path);
}

static void load_ok(const char *path, nin_image *img)
{
    char err[512] = "";
    ck_assert_msg(nin_image_load(path, img, err, sizeof err) == 0, "%s", err);
}

static void assert_image(const nin_image *img, int channels, int height, int width, const uint8_t *want)
{
    ck_assert_int_eq(img->channels, channels);
    ck_assert_int_eq(img->height, height);
    ck_assert_int_eq(img->width, width);
    for (int i = 0; i < channels * height * width; i++)
        ck_assert_msg(img->pixels[i] == want[i], "pixel %d (c %d, y %d, x %d) is %d, want %d", i,
                      i / (height * width), i / width % height, i % width, img->pixels[i], want[i]);
}

/* Load must fail with one line naming the file and containing `problem`. */
static void assert_load_fails(const char *path, const char *problem)
{
    nin_image img;
    char err[512] = "";
    ck_assert_msg(nin_image_load(path, &img, err, sizeof err) == -1, "%s was accepted", path);
    ck_assert_msg(img.pixels == NULL, "%s: pixels left allocated after an error", path);
    ck_assert_msg(strstr(err, path) != NULL, "error does not name the file: %s", err);
    ck_assert_msg(strstr(err, problem) != NULL, "error does not say '%s': %s", problem, err);
    ck_assert_msg(strchr(err, '\n') == NULL, "error is not one line: %s", err);
}

/* --- PNG -------------------------------------------------------------------------------------------- */

/* Every value differs by channel, row and column, so a transposed or swapped layout cannot pass. */
START_TEST(test_png_round_trip_gray_and_rgb)
{
    for (int channels = 1; channels <= 3; channels += 2) {
        enum { H = 3, W = 5 };
        uint8_t data[3 * H * W];
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++)
                    data[(c * H + y) * W + x] = (uint8_t)(80 * c + 20 * y + 3 * x + 1);
        nin_image img = { channels, H, W, data }, back;
        char path[512], err[512] = "";
        tmp_path(path, sizeof path, channels == 1 ? "gray.png" : "rgb.png");
        ck_assert_msg(nin_image_save_png(path, &img, err, sizeof err) == 0, "%s", err);
        load_ok(path, &back);
        assert_image(&back, channels, H, W, data);
        nin_image_free(&back);
        ck_assert(back.pixels == NULL);

        /* Read the file independently: it must be interleaved RGB (or gray) rows, top row first. */
        png_image raw;
        memset(&raw, 0, sizeof raw);
        raw.version = PNG_IMAGE_VERSION;
        ck_assert(png_image_begin_read_from_file(&raw, path));
        ck_assert_int_eq(raw.width, W);
        ck_assert_int_eq(raw.height, H);
        ck_assert_int_eq(raw.format, channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY);
        uint8_t interleaved[3 * H * W];
        ck_assert(png_image_finish_read(&raw, NULL, interleaved, 0, NULL));
        for (int i = 0; i < channels * H * W; i++) {
            int c = i % channels, x = i / channels % W, y = i / channels / W;
            ck_assert_int_eq(interleaved[i], data[(c * H + y) * W + x]);
        }
    }
}
END_TEST

START_TEST(test_png_rgba_drops_alpha)
{
    /* 3x2 RGBA, alpha including 0 and 255: the colour must come back unchanged, not premultiplied. */
    const uint8_t rows[] = { 10, 20, 30, 0,     40, 50, 60, 128,  70, 80, 90, 255,
                             100, 110, 120, 1,  130, 140, 150, 77, 160, 170, 180, 254 };
    const uint8_t want[] = { 10, 40, 70, 100, 130, 160, 20, 50, 80, 110, 140, 170, 30, 60, 90, 120, 150, 180 };
    raw_png spec = { 3, 2, PNG_COLOR_TYPE_RGBA, 8, PNG_INTERLACE_NONE, NULL, 0, NULL, 0 };
    char path[512];
    tmp_path(path, sizeof path, "rgba.png");
    write_png_raw(path, &spec, rows);
    nin_image img;
    load_ok(path, &img);
    assert_image(&img, 3, 2, 3, want);
    nin_image_free(&img);

    /* Gray + alpha gives one channel. */
    const uint8_t ga_rows[] = { 5, 0, 250, 255 };
    const uint8_t ga_want[] = { 5, 250 };
    raw_png ga = { 2, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, PNG_INTERLACE_NONE, NULL, 0, NULL, 0 };
    tmp_path(path, sizeof path, "gray-alpha.png");
    write_png_raw(path, &ga, ga_rows);
    load_ok(path, &img);
    assert_image(&img, 1, 1, 2, ga_want);
    nin_image_free(&img);
}
END_TEST

START_TEST(test_png_16bit_gray_scaled)
{
    /* Big-endian 16-bit samples: 0, 65535, 32768, 25700 (= 100 * 257), 1000 -> round(v * 255 / 65535). */
    const uint8_t rows[] = { 0x00, 0x00, 0xff, 0xff, 0x80, 0x00, 0x64, 0x64, 0x03, 0xe8, 0x00, 0x80 };
    const uint8_t want[] = { 0, 255, 128, 100, 4, 0 };
    raw_png spec = { 3, 2, PNG_COLOR_TYPE_GRAY, 16, PNG_INTERLACE_NONE, NULL, 0, NULL, 0 };
    char path[512];
    tmp_path(path, sizeof path, "gray16.png");
    write_png_raw(path, &spec, rows);
    nin_image img;
    load_ok(path, &img);
    assert_image(&img, 1, 2, 3, want);
    nin_image_free(&img);
}
END_TEST

/* A palette image with a transparent entry, Adam7-interlaced, 9x9 so every pass has pixels. */
START_TEST(test_png_palette_interlaced)
{
    enum { N = 9 };
    const png_color palette[] = { { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 }, { 12, 34, 56 } };
    const uint8_t trans[] = { 0 };
    uint8_t rows[N * N], want[3 * N * N];
    for (int y = 0; y < N; y++)
        for (int x = 0; x < N; x++) {
            int index = (x + 2 * y) % 4;
            rows[y * N + x] = (uint8_t)index;
            want[0 * N * N + y * N + x] = palette[index].red;
            want[1 * N * N + y * N + x] = palette[index].green;
            want[2 * N * N + y * N + x] = palette[index].blue;
        }
    raw_png spec = { N, N, PNG_COLOR_TYPE_PALETTE, 8, PNG_INTERLACE_ADAM7, palette, 4, trans, 1 };
    char path[512];
    tmp_path(path, sizeof path, "palette.png");
    write_png_raw(path, &spec, rows);
    nin_image img;
    load_ok(path, &img);
    assert_image(&img, 3, N, N, want);
    nin_image_free(&img);

    /* 2-bit gray: samples 0..3 expand to 0, 85, 170, 255. */
    const uint8_t packed[] = { 0x1b };   /* 00 01 10 11 */
    const uint8_t gray_want[] = { 0, 85, 170, 255 };
    raw_png gray2 = { 4, 1, PNG_COLOR_TYPE_GRAY, 2, PNG_INTERLACE_NONE, NULL, 0, NULL, 0 };
    tmp_path(path, sizeof path, "gray2.png");
    write_png_raw(path, &gray2, packed);
    load_ok(path, &img);
    assert_image(&img, 1, 1, 4, gray_want);
    nin_image_free(&img);
}
END_TEST

/* --- PGM / PPM --------------------------------------------------------------------------------------- */

START_TEST(test_pnm_ascii)
{
    char path[512];
    nin_image img;
    tmp_path(path, sizeof path, "ascii.pgm");
    write_pnm(path, "P2\n# made by hand\n3 2 # width height\n# maxval next\n255\n0 10 20\n30 40\n255\n", NULL, 0);
    load_ok(path, &img);
    assert_image(&img, 1, 2, 3, (const uint8_t[]){ 0, 10, 20, 30, 40, 255 });
    nin_image_free(&img);

    /* maxval 1023: round(v * 255 / 1023). */
    tmp_path(path, sizeof path, "ascii1023.pgm");
    write_pnm(path, "P2 4 1 1023 0 1023 512 100", NULL, 0);
    load_ok(path, &img);
    assert_image(&img, 1, 1, 4, (const uint8_t[]){ 0, 255, 128, 25 });
    nin_image_free(&img);

    tmp_path(path, sizeof path, "ascii.ppm");
    write_pnm(path, "P3\n#c\n2 1\n255\n255 0 0   0 128 255\n", NULL, 0);
    load_ok(path, &img);
    assert_image(&img, 3, 1, 2, (const uint8_t[]){ 255, 0, 0, 128, 0, 255 });
    nin_image_free(&img);

    tmp_path(path, sizeof path, "ascii65535.ppm");
    write_pnm(path, "P3 1 1 65535 65535 32768 257", NULL, 0);
    load_ok(path, &img);
    assert_image(&img, 3, 1, 1, (const uint8_t[]){ 255, 128, 1 });
    nin_image_free(&img);
}
END_TEST

START_TEST(test_pnm_binary)
{
    char path[512];
    nin_image img;
    tmp_path(path, sizeof path, "binary.pgm");
    write_pnm(path, "P5 # c1\n3 # c2\n2\n255\n", (const uint8_t[]){ 0, 7, 255, 1, 2, 3 }, 6);
    load_ok(path, &img);
    assert_image(&img, 1, 2, 3, (const uint8_t[]){ 0, 7, 255, 1, 2, 3 });
    nin_image_free(&img);

    /* A comment right after maxval; its newline is the single separator before the pixels. */
    tmp_path(path, sizeof path, "binary-comment.pgm");
    write_pnm(path, "P5 2 1 255# last\n", (const uint8_t[]){ 10, 32 }, 2);
    load_ok(path, &img);
    assert_image(&img, 1, 1, 2, (const uint8_t[]){ 10, 32 });
    nin_image_free(&img);

    /* 2-byte big-endian samples. */
    tmp_path(path, sizeof path, "binary65535.pgm");
    write_pnm(path, "P5\n4 1\n65535\n", (const uint8_t[]){ 0x00, 0x00, 0xff, 0xff, 0x80, 0x00, 0x01, 0x01 }, 8);
    load_ok(path, &img);
    assert_image(&img, 1, 1, 4, (const uint8_t[]){ 0, 255, 128, 1 });
    nin_image_free(&img);

    /* Interleaved RGB in the file, planar in the image. */
    tmp_path(path, sizeof path, "binary.ppm");
    write_pnm(path, "P6\n2 1\n255\n", (const uint8_t[]){ 1, 2, 3, 4, 5, 6 }, 6);
    load_ok(path, &img);
    assert_image(&img, 3, 1, 2, (const uint8_t[]){ 1, 4, 2, 5, 3, 6 });
    nin_image_free(&img);

    tmp_path(path, sizeof path, "binary1023.ppm");
    write_pnm(path, "P6\n1 1\n1023\n", (const uint8_t[]){ 0x03, 0xff, 0x00, 0x00, 0x02, 0x00 }, 6);
    load_ok(path, &img);
    assert_image(&img, 3, 1, 1, (const uint8_t[]){ 255, 0, 128 });
    nin_image_free(&img);
}
END_TEST

/* --- JPEG ------------------------------------------------------------------------------------------- */

/* A JPEG written with libjpeg from interleaved samples (RGB, gray or CMYK as `in`), stored as `stored`. */
typedef struct raw_jpeg {
    int width, height, components;
    J_COLOR_SPACE in, stored;
    int quality, progressive;
    int no_adobe_marker;   /* CMYK: leave out the Adobe marker libjpeg writes by default */
} raw_jpeg;

/* libjpeg's default error handler exits: an encoder failure here is a broken test, and ends it. */
static void write_jpeg(const char *path, const raw_jpeg *s, const uint8_t *samples)
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr errors;
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    cinfo.err = jpeg_std_error(&errors);
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, f);
    cinfo.image_width = (JDIMENSION)s->width;
    cinfo.image_height = (JDIMENSION)s->height;
    cinfo.input_components = s->components;
    cinfo.in_color_space = s->in;
    jpeg_set_defaults(&cinfo);
    jpeg_set_colorspace(&cinfo, s->stored);
    if (s->no_adobe_marker)
        cinfo.write_Adobe_marker = FALSE;
    jpeg_set_quality(&cinfo, s->quality, TRUE);
    if (s->progressive)
        jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)samples + (size_t)cinfo.next_scanline * s->width * s->components;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    ck_assert(fclose(f) == 0);
}

/* Smooth, and different in every channel, row and column (width != height), so that JPEG keeps it within a few
 * levels while a transposed or swapped layout cannot pass. Interleaved, `components` samples per pixel. */
static uint8_t *gradient(int width, int height, int components)
{
    uint8_t *s = malloc((size_t)width * height * components);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            for (int c = 0; c < components; c++) {
                int v = c == 0 ? x * 255 / (width - 1) : c == 1 ? y * 255 / (height - 1)
                      : c == 2 ? 40 + (x + y) * 160 / (width + height - 2) : 30 + x * 60 / width;
                s[((size_t)y * width + x) * components + c] = (uint8_t)v;
            }
    return s;
}

/* img (planar) must match `want` (interleaved, img->channels per pixel) within tol. */
static void assert_near(const nin_image *img, int width, int height, const uint8_t *want, int tol)
{
    ck_assert_int_eq(img->width, width);
    ck_assert_int_eq(img->height, height);
    const size_t plane = (size_t)width * height;
    for (int c = 0; c < img->channels; c++)
        for (size_t i = 0; i < plane; i++) {
            int got = img->pixels[c * plane + i], expected = want[i * img->channels + c];
            ck_assert_msg(abs(got - expected) <= tol, "channel %d, y %zu, x %zu: %d, want %d (+-%d)", c, i / width,
                          i % width, got, expected, tol);
        }
}

/* Write `s` from `samples`, load it and compare with `want` (interleaved, `channels` per pixel). */
static void jpeg_round_trip(const char *name, const raw_jpeg *s, const uint8_t *samples, int channels,
                            const uint8_t *want, int tol)
{
    char path[512];
    nin_image img;
    tmp_path(path, sizeof path, name);
    write_jpeg(path, s, samples);
    load_ok(path, &img);
    ck_assert_int_eq(img.channels, channels);
    assert_near(&img, s->width, s->height, want, tol);
    nin_image_free(&img);
}

START_TEST(test_jpeg_rgb_gray_progressive)
{
    enum { W = 48, H = 32 };
    uint8_t *rgb = gradient(W, H, 3), *gray = gradient(W, H, 1);
    /* libjpeg's defaults: YCbCr with 4:2:0 chroma, Huffman coded */
    jpeg_round_trip("rgb.jpg", &(raw_jpeg){ W, H, 3, JCS_RGB, JCS_YCbCr, 95, 0, 0 }, rgb, 3, rgb, 6);
    jpeg_round_trip("rgb-stored.jpg", &(raw_jpeg){ W, H, 3, JCS_RGB, JCS_RGB, 100, 0, 0 }, rgb, 3, rgb, 3);
    jpeg_round_trip("progressive.jpg", &(raw_jpeg){ W, H, 3, JCS_RGB, JCS_YCbCr, 95, 1, 0 }, rgb, 3, rgb, 6);
    jpeg_round_trip("gray.jpg", &(raw_jpeg){ W, H, 1, JCS_GRAYSCALE, JCS_GRAYSCALE, 100, 0, 0 }, gray, 1, gray, 2);
    jpeg_round_trip("gray-progressive.jpg", &(raw_jpeg){ W, H, 1, JCS_GRAYSCALE, JCS_GRAYSCALE, 95, 1, 0 }, gray, 1,
                    gray, 3);
    free(rgb);
    free(gray);
}
END_TEST

/* RGB from CMYK: R = (255 - C)(255 - K) / 255, G from M, B from Y. */
static uint8_t *cmyk_to_rgb(const uint8_t *cmyk, size_t pixels)
{
    uint8_t *rgb = malloc(3 * pixels);
    for (size_t i = 0; i < pixels; i++)
        for (int c = 0; c < 3; c++)
            rgb[3 * i + c] = (uint8_t)(((255 - cmyk[4 * i + c]) * (255 - cmyk[4 * i + 3]) + 127) / 255);
    return rgb;
}

/* Photoshop stores CMYK inverted (255 - C) and says so with an Adobe marker; without the marker it is plain. */
START_TEST(test_jpeg_cmyk)
{
    enum { W = 40, H = 24 };
    uint8_t *cmyk = gradient(W, H, 4), *inverted = malloc(4 * W * H);
    for (int i = 0; i < 4 * W * H; i++)
        inverted[i] = (uint8_t)(255 - cmyk[i]);
    uint8_t *rgb = cmyk_to_rgb(cmyk, W * H);
    jpeg_round_trip("cmyk-adobe.jpg", &(raw_jpeg){ W, H, 4, JCS_CMYK, JCS_CMYK, 100, 0, 0 }, inverted, 3, rgb, 4);
    jpeg_round_trip("ycck-adobe.jpg", &(raw_jpeg){ W, H, 4, JCS_CMYK, JCS_YCCK, 100, 0, 0 }, inverted, 3, rgb, 6);
    jpeg_round_trip("cmyk-plain.jpg", &(raw_jpeg){ W, H, 4, JCS_CMYK, JCS_CMYK, 100, 0, 1 }, cmyk, 3, rgb, 4);

    /* A known sample: pure red is C 0, M 255, Y 255, K 0; Photoshop writes 255, 0, 0, 255. */
    uint8_t red[4 * 8 * 8], want[3 * 8 * 8];
    for (int i = 0; i < 8 * 8; i++) {
        memcpy(red + 4 * i, (const uint8_t[]){ 255, 0, 0, 255 }, 4);
        memcpy(want + 3 * i, (const uint8_t[]){ 255, 0, 0 }, 3);
    }
    jpeg_round_trip("red-cmyk.jpg", &(raw_jpeg){ 8, 8, 4, JCS_CMYK, JCS_CMYK, 100, 0, 0 }, red, 3, want, 1);
    free(cmyk);
    free(inverted);
    free(rgb);
}
END_TEST

/* A whole JPEG file in memory, to be damaged. */
static size_t read_file(const char *path, uint8_t *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    size_t got = fread(buf, 1, size, f);
    fclose(f);
    ck_assert(got > 0 && got < size);
    return got;
}

/* Where the entropy-coded data of the first scan starts: after the SOS marker segment. */
static size_t scan_data_start(const uint8_t *b, size_t size)
{
    for (size_t i = 2; i + 3 < size; i++)
        if (b[i] == 0xff && b[i + 1] == 0xda)
            return i + 2 + ((size_t)b[i + 2] << 8 | b[i + 3]);
    ck_abort_msg("no SOS marker");
    return 0;
}

/* libjpeg only warns about damaged data and would return a partly grey picture: here it is an error. */
START_TEST(test_jpeg_damaged)
{
    enum { W = 64, H = 48 };
    uint8_t *rgb = gradient(W, H, 3);
    for (int i = 0; i < 3 * W * H; i++)
        rgb[i] = (uint8_t)(rgb[i] ^ (i * 7919 >> 5));   /* detail, so that the entropy data is long */
    char path[512];
    tmp_path(path, sizeof path, "whole.jpg");
    write_jpeg(path, &(raw_jpeg){ W, H, 3, JCS_RGB, JCS_YCbCr, 95, 0, 0 }, rgb);
    static uint8_t bytes[1 << 16];
    const size_t size = read_file(path, bytes, sizeof bytes), start = scan_data_start(bytes, size);
    ck_assert(start > 100 && size - start > 1000);

    tmp_path(path, sizeof path, "half.jpg");
    write_file(path, bytes, size / 2);
    assert_load_fails(path, "bad JPEG: Premature end of JPEG file");

    tmp_path(path, sizeof path, "header-only.jpg");
    write_file(path, bytes, start);
    assert_load_fails(path, "bad JPEG: Premature end of JPEG file");

    const size_t middle = start + (size - start) / 2;
    bytes[middle] ^= bytes[middle] == 0xaa ? 0x0f : 0x55;   /* never 0xff: a marker would be another failure */
    tmp_path(path, sizeof path, "corrupt.jpg");
    write_file(path, bytes, size);
    assert_load_fails(path, "bad JPEG: Corrupt JPEG data");

    /* The start of a JPEG, then something else. */
    tmp_path(path, sizeof path, "not-really.jpg");
    write_file(path, "\xff\xd8\xff\x01 not a marker", 17);
    assert_load_fails(path, "bad JPEG");
    free(rgb);
}
END_TEST

/* Each side of a k/8 decode is ceil(side * k / 8); the smallest k whose shorter side is >= min_side is used. */
START_TEST(test_jpeg_scaled)
{
    enum { W = 256, H = 192 };
    uint8_t *rgb = gradient(W, H, 3);
    char path[512], err[512] = "";
    tmp_path(path, sizeof path, "large.jpg");
    write_jpeg(path, &(raw_jpeg){ W, H, 3, JCS_RGB, JCS_YCbCr, 95, 0, 0 }, rgb);
    static const struct { int min_side, width, height; } cases[] = {
        { 0, 256, 192 },     /* full size */
        { -5, 256, 192 },
        { 1, 32, 24 },       /* k = 1 */
        { 24, 32, 24 },
        { 25, 64, 48 },      /* k = 2 */
        { 32, 64, 48 },
        { 48, 64, 48 },
        { 49, 96, 72 },      /* k = 3 */
        { 150, 224, 168 },   /* k = 7 */
        { 169, 256, 192 },   /* k = 8 */
        { 1000, 256, 192 },  /* no scale is large enough: full size */
    };
    nin_image full, img;
    load_ok(path, &full);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_msg(nin_image_load_scaled(path, cases[i].min_side, &img, err, sizeof err) == 0, "%s", err);
        ck_assert_msg(img.width == cases[i].width && img.height == cases[i].height, "min_side %d: %dx%d, want %dx%d",
                      cases[i].min_side, img.width, img.height, cases[i].width, cases[i].height);
        nin_image_free(&img);
    }

    /* At 2/8 each pixel is about the mean of a 4 x 4 block of the full decode. */
    ck_assert_msg(nin_image_load_scaled(path, 32, &img, err, sizeof err) == 0, "%s", err);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 48; y++)
            for (int x = 0; x < 64; x++) {
                int sum = 0;
                for (int i = 0; i < 16; i++)
                    sum += full.pixels[((size_t)c * H + 4 * y + i / 4) * W + 4 * x + i % 4];
                int got = img.pixels[((size_t)c * 48 + y) * 64 + x];
                ck_assert_msg(abs(got - sum / 16) <= 4, "c %d y %d x %d: %d, block mean %d", c, y, x, got, sum / 16);
            }
    nin_image_free(&img);
    nin_image_free(&full);

    /* PNG and PGM/PPM come at full size whatever min_side says. */
    nin_image small = { 1, 4, 6, (uint8_t[24]){ 0 } };
    tmp_path(path, sizeof path, "small.png");
    ck_assert_msg(nin_image_save_png(path, &small, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(nin_image_load_scaled(path, 1, &img, err, sizeof err) == 0, "%s", err);
    ck_assert(img.width == 6 && img.height == 4);
    nin_image_free(&img);
    free(rgb);
}
END_TEST

START_TEST(test_jpeg_limits)
{
    /* Wider than the 16384 limit: refused from the header. libjpeg allows 65500. */
    static uint8_t row[20000];
    char path[512];
    tmp_path(path, sizeof path, "wide.jpg");
    write_jpeg(path, &(raw_jpeg){ 20000, 1, 1, JCS_GRAYSCALE, JCS_GRAYSCALE, 90, 0, 0 }, row);
    assert_load_fails(path, "bad JPEG: image size 20000x1 is out of range (sides 1..16384)");

    /* Two components are neither gray nor a colour space we know. */
    tmp_path(path, sizeof path, "two-components.jpg");
    write_jpeg(path, &(raw_jpeg){ 8, 1, 2, JCS_UNKNOWN, JCS_UNKNOWN, 90, 0, 0 }, row);
    assert_load_fails(path, "bad JPEG: unsupported colour space (2 components, not gray, YCbCr, RGB, CMYK or YCCK)");
}
END_TEST

/* --- resizing and conversion ------------------------------------------------------------------------- */

START_TEST(test_convert_identity)
{
    uint8_t data[3 * 4 * 5];
    for (int i = 0; i < 3 * 4 * 5; i++)
        data[i] = (uint8_t)(i * 37 + 11);
    for (int channels = 1; channels <= 3; channels += 2) {
        nin_image src = { channels, 4, 5, data }, dst;
        ck_assert_int_eq(nin_image_convert(&src, channels, 4, 5, &dst), 0);
        assert_image(&dst, channels, 4, 5, data);
        nin_image_free(&dst);
    }
}
END_TEST

/* Expected values worked out by hand with source = (dest + 0.5) * in / out - 0.5, clamped at 0. */
START_TEST(test_convert_bilinear)
{
    /* 2x2 -> 4x4: source coordinates 0 (clamped), 0.25, 0.75, 1.25 (right neighbour clamped). */
    nin_image src = { 1, 2, 2, (uint8_t[]){ 0, 100, 200, 40 } }, dst;
    ck_assert_int_eq(nin_image_convert(&src, 1, 4, 4, &dst), 0);
    assert_image(&dst, 1, 4, 4,
                 (const uint8_t[]){ 0, 25, 75, 100,      /* row 0 */
                                    50, 59, 76, 85,      /* 58.75, 76.25 */
                                    150, 126, 79, 55,    /* 126.25, 78.75 */
                                    200, 160, 80, 40 });
    nin_image_free(&dst);

    /* 3 -> 2 wide: source 0.25 and 1.75. */
    nin_image row = { 1, 1, 3, (uint8_t[]){ 0, 60, 120 } };
    ck_assert_int_eq(nin_image_convert(&row, 1, 1, 2, &dst), 0);
    assert_image(&dst, 1, 1, 2, (const uint8_t[]){ 15, 105 });
    nin_image_free(&dst);

    /* 4x4 -> 2x2 samples the centre of each 2x2 block: its mean. Per channel for RGB. */
    uint8_t big[3 * 16];
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 16; i++)
            big[c * 16 + i] = (uint8_t)(c * 80 + i * 4);
    nin_image rgb = { 3, 4, 4, big };
    ck_assert_int_eq(nin_image_convert(&rgb, 3, 2, 2, &dst), 0);
    assert_image(&dst, 3, 2, 2, (const uint8_t[]){ 10, 18, 42, 50, 90, 98, 122, 130, 170, 178, 202, 210 });
    nin_image_free(&dst);
}
END_TEST

START_TEST(test_convert_channels)
{
    /* Planar RGB of red, green, blue, (10, 20, 30): luma 76.245, 149.685, 29.07, 18.15. */
    nin_image rgb = { 3, 1, 4, (uint8_t[]){ 255, 0, 0, 10, 0, 255, 0, 20, 0, 0, 255, 30 } }, dst;
    ck_assert_int_eq(nin_image_convert(&rgb, 1, 1, 4, &dst), 0);
    assert_image(&dst, 1, 1, 4, (const uint8_t[]){ 76, 150, 29, 18 });
    nin_image_free(&dst);

    nin_image gray = { 1, 1, 3, (uint8_t[]){ 0, 128, 255 } };
    ck_assert_int_eq(nin_image_convert(&gray, 3, 1, 3, &dst), 0);
    assert_image(&dst, 3, 1, 3, (const uint8_t[]){ 0, 128, 255, 0, 128, 255, 0, 128, 255 });
    nin_image_free(&dst);

    /* Resize and convert together: 1x2 gray -> 1x4 RGB. */
    nin_image pair = { 1, 1, 2, (uint8_t[]){ 0, 200 } };
    ck_assert_int_eq(nin_image_convert(&pair, 3, 1, 4, &dst), 0);
    assert_image(&dst, 3, 1, 4, (const uint8_t[]){ 0, 50, 150, 200, 0, 50, 150, 200, 0, 50, 150, 200 });
    nin_image_free(&dst);
}
END_TEST

/* A conversion the function cannot do is an error the caller gets back, not the end of the process. */
START_TEST(test_convert_refuses)
{
    nin_image src = { 2, 1, 1, (uint8_t[]){ 0, 0 } }, dst;
    ck_assert_int_eq(nin_image_convert(&src, 3, 4, 4, &dst), -1);
    ck_assert_str_eq(nin_last_error(), "nin_image_convert: cannot convert a 2x1x1 image to 3x4x4");
    ck_assert(dst.pixels == NULL);
    nin_image gray = { 1, 1, 1, (uint8_t[]){ 7 } };
    ck_assert_int_eq(nin_image_convert(&gray, 1, 0, 4, &dst), -1);
    ck_assert_str_eq(nin_last_error(), "nin_image_convert: cannot convert a 1x1x1 image to 1x0x4");
}
END_TEST

/* --- fitting: shorter side to size, centre crop ------------------------------------------------------ */

static void checkerboard(uint8_t *p, int side)
{
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            p[y * side + x] = (x + y) % 2 ? 255 : 0;
}

/* How many pixels of img lie outside lo..hi. */
static int count_outside(const nin_image *img, int lo, int hi)
{
    int n = 0;
    for (int i = 0; i < img->channels * img->height * img->width; i++)
        n += img->pixels[i] < lo || img->pixels[i] > hi;
    return n;
}

/* The area filter averages every pixel it covers: a 1-pixel checkerboard shrinks to flat grey. Bilinear reads
 * 2 x 2 pixels per output pixel: at 256 -> 30 that is a moire (at exactly 8x, 256 -> 32, the 2 x 2 it reads
 * happen to be one black and white block each, and it is grey too). */
START_TEST(test_fit_checkerboard)
{
    enum { N = 256 };
    static uint8_t board[N * N];
    checkerboard(board, N);
    nin_image src = { 1, N, N, board }, dst;
    for (int size = 30; size <= 32; size += 2) {
        ck_assert_int_eq(nin_image_fit(&src, 1, size, &dst), 0);
        ck_assert(dst.channels == 1 && dst.height == size && dst.width == size);
        ck_assert_msg(count_outside(&dst, 127, 128) == 0, "fit to %d: %d pixels not 127 or 128", size,
                      count_outside(&dst, 127, 128));
        nin_image_free(&dst);
    }
    ck_assert_int_eq(nin_image_convert(&src, 1, 30, 30, &dst), 0);
    ck_assert_msg(count_outside(&dst, 64, 191) >= 100, "bilinear to 30: only %d of 900 pixels far from grey",
                  count_outside(&dst, 64, 191));   /* 128 of them */
    nin_image_free(&dst);
    ck_assert_int_eq(nin_image_convert(&src, 1, 32, 32, &dst), 0);
    ck_assert_int_eq(count_outside(&dst, 127, 128), 0);
    nin_image_free(&dst);
}
END_TEST

/* Boundary pixels count with the fraction of them an output pixel covers: 3 -> 2 gives output pixel 0 two thirds
 * of pixel 0 and one third of pixel 1. */
START_TEST(test_fit_fractional_coverage)
{
    nin_image src = { 1, 3, 3, (uint8_t[]){ 0, 90, 180, 0, 90, 180, 0, 90, 180 } }, dst;
    ck_assert_int_eq(nin_image_fit(&src, 1, 2, &dst), 0);
    assert_image(&dst, 1, 2, 2, (const uint8_t[]){ 30, 150, 30, 150 });
    nin_image_free(&dst);
}
END_TEST

/* A wide and a tall image whose centre square differs from the rest: only the centre comes out, shrunk 2x as
 * 2 x 2 block means. */
START_TEST(test_fit_centre_crop)
{
    enum { LONG = 40, SHORT = 20, OUT = 10 };
    uint8_t wide[SHORT * LONG], tall[LONG * SHORT], want[OUT * OUT];
    for (int y = 0; y < SHORT; y++)
        for (int x = 0; x < LONG; x++) {
            int v = x < 10 ? 10 : x >= 30 ? 250 : 60 + 4 * (x - 10) + 3 * y;   /* left, centre, right */
            wide[y * LONG + x] = (uint8_t)v;
            tall[x * SHORT + y] = (uint8_t)v;
        }
    for (int j = 0; j < OUT; j++)   /* the centre's 2 x 2 block means, 63.5 + 8 i + 6 j, rounded up */
        for (int i = 0; i < OUT; i++)
            want[j * OUT + i] = (uint8_t)(64 + 8 * i + 6 * j);
    nin_image src = { 1, SHORT, LONG, wide }, dst;
    ck_assert_int_eq(nin_image_fit(&src, 1, OUT, &dst), 0);
    assert_image(&dst, 1, OUT, OUT, want);
    nin_image_free(&dst);

    uint8_t want_t[OUT * OUT];
    for (int i = 0; i < OUT * OUT; i++)
        want_t[i] = want[(i % OUT) * OUT + i / OUT];
    nin_image src_t = { 1, LONG, SHORT, tall };
    ck_assert_int_eq(nin_image_fit(&src_t, 1, OUT, &dst), 0);
    assert_image(&dst, 1, OUT, OUT, want_t);
    nin_image_free(&dst);
}
END_TEST

/* At the source's own size the fit is the centre square, copied: offset floor((11 - 4) / 2) = 3. */
START_TEST(test_fit_same_size_copies)
{
    uint8_t data[3 * 4 * 11], want[3 * 4 * 4];
    for (int i = 0; i < 3 * 4 * 11; i++)
        data[i] = (uint8_t)(i * 37 + 11);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                want[(c * 4 + y) * 4 + x] = data[(c * 4 + y) * 11 + 3 + x];
    nin_image src = { 3, 4, 11, data }, dst;
    ck_assert_int_eq(nin_image_fit(&src, 3, 4, &dst), 0);
    assert_image(&dst, 3, 4, 4, want);
    nin_image_free(&dst);

    nin_image square = { 3, 4, 4, want };
    ck_assert_int_eq(nin_image_fit(&square, 3, 4, &dst), 0);
    assert_image(&dst, 3, 4, 4, want);
    nin_image_free(&dst);
}
END_TEST

/* Enlarging is nin_image_convert's bilinear of the centre square. */
START_TEST(test_fit_upscale)
{
    uint8_t data[8 * 10];
    for (int i = 0; i < 8 * 10; i++)
        data[i] = (uint8_t)(i * 53 % 256);
    nin_image square = { 1, 8, 8, data }, dst, want;
    ck_assert_int_eq(nin_image_fit(&square, 1, 32, &dst), 0);
    ck_assert_int_eq(nin_image_convert(&square, 1, 32, 32, &want), 0);
    assert_image(&dst, 1, 32, 32, want.pixels);
    nin_image_free(&dst);
    nin_image_free(&want);

    /* 8 high, 10 wide: the square is columns 1..8 */
    uint8_t centre[8 * 8];
    for (int y = 0; y < 8; y++)
        memcpy(centre + y * 8, data + y * 10 + 1, 8);
    nin_image wide = { 1, 8, 10, data }, crop = { 1, 8, 8, centre };
    ck_assert_int_eq(nin_image_fit(&wide, 1, 32, &dst), 0);
    ck_assert_int_eq(nin_image_convert(&crop, 1, 32, 32, &want), 0);
    assert_image(&dst, 1, 32, 32, want.pixels);
    nin_image_free(&dst);
    nin_image_free(&want);
}
END_TEST

/* Channels convert after filtering: BT.601 luma of the averaged colour, or gray replicated. */
START_TEST(test_fit_channels)
{
    /* 4x4 RGB: the left half red, the right half blue; 2x2 output: each pixel all red or all blue. */
    uint8_t rgb[3 * 16];
    for (int i = 0; i < 16; i++) {
        rgb[i] = i % 4 < 2 ? 255 : 0;
        rgb[16 + i] = 0;
        rgb[32 + i] = i % 4 < 2 ? 0 : 255;
    }
    nin_image src = { 3, 4, 4, rgb }, dst;
    ck_assert_int_eq(nin_image_fit(&src, 1, 2, &dst), 0);
    assert_image(&dst, 1, 2, 2, (const uint8_t[]){ 76, 29, 76, 29 });   /* 0.299 * 255, 0.114 * 255 */
    nin_image_free(&dst);
    ck_assert_int_eq(nin_image_fit(&src, 1, 1, &dst), 0);   /* (127.5, 0, 127.5): 52.6 */
    assert_image(&dst, 1, 1, 1, (const uint8_t[]){ 53 });
    nin_image_free(&dst);

    nin_image gray = { 1, 2, 4, (uint8_t[]){ 0, 10, 20, 30, 40, 50, 60, 70 } };
    ck_assert_int_eq(nin_image_fit(&gray, 3, 1, &dst), 0);   /* the centre 2x2: 10, 20, 50, 60 */
    assert_image(&dst, 3, 1, 1, (const uint8_t[]){ 35, 35, 35 });
    nin_image_free(&dst);
}
END_TEST

START_TEST(test_fit_refuses)
{
    nin_image gray = { 1, 1, 1, (uint8_t[]){ 7 } }, dst;
    ck_assert_int_eq(nin_image_fit(&gray, 2, 4, &dst), -1);
    ck_assert_str_eq(nin_last_error(), "nin_image_fit: cannot fit a 1x1x1 image to 2x4x4");
    ck_assert(dst.pixels == NULL);
    ck_assert_int_eq(nin_image_fit(&gray, 1, 0, &dst), -1);
    ck_assert_str_eq(nin_last_error(), "nin_image_fit: cannot fit a 1x1x1 image to 1x0x0");
    ck_assert(dst.pixels == NULL);
}
END_TEST

/* --- malformed input --------------------------------------------------------------------------------- */

START_TEST(test_bad_files)
{
    char path[512];
    tmp_path(path, sizeof path, "missing.png");
    assert_load_fails(path, "cannot open");

    tmp_path(path, sizeof path, "picture.gif");
    write_pnm(path, "GIF89a\x01\x00\x01\x00", NULL, 0);
    assert_load_fails(path, "unknown magic");

    tmp_path(path, sizeof path, "bitmap.pbm");
    write_pnm(path, "P4\n8 1\n\xff", NULL, 0);
    assert_load_fails(path, "unknown magic");

    tmp_path(path, sizeof path, "empty.pgm");
    write_pnm(path, "", NULL, 0);
    assert_load_fails(path, "empty");

    tmp_path(path, sizeof path, "short.pgm");
    write_pnm(path, "P5\n4 4\n255\n", (const uint8_t[10]){ 0 }, 10);
    assert_load_fails(path, "truncated");

    tmp_path(path, sizeof path, "short16.ppm");
    write_pnm(path, "P6\n2 2\n65535\n", (const uint8_t[23]){ 0 }, 23);
    assert_load_fails(path, "truncated");

    tmp_path(path, sizeof path, "short-header.ppm");
    write_pnm(path, "P6\n2 2\n", NULL, 0);
    assert_load_fails(path, "truncated");

    tmp_path(path, sizeof path, "no-pixels.ppm");
    write_pnm(path, "P6\n2 2\n255", NULL, 0);
    assert_load_fails(path, "truncated");

    tmp_path(path, sizeof path, "short-ascii.pgm");
    write_pnm(path, "P2 3 2 255 1 2 3 4", NULL, 0);
    assert_load_fails(path, "truncated");

    /* Long enough to pass the size check before allocating, yet two samples short. */
    tmp_path(path, sizeof path, "short-ascii-padded.pgm");
    write_pnm(path, "P2 3 2 255 1 2 3 4           \n", NULL, 0);
    assert_load_fails(path, "truncated data: expected 6 samples, found 4");

    /* A directory opens but cannot be read. */
    assert_load_fails(tmp_dir, "cannot read");
}
END_TEST

START_TEST(test_bad_headers)
{
    static const struct { const char *name, *header, *problem; } cases[] = {
        { "zero-width.pgm", "P5\n0 4\n255\n", "width 0 is out of range" },
        { "zero-height.ppm", "P6\n4 0\n255\n", "height 0 is out of range" },
        { "huge-width.pgm", "P5\n100000000 4\n255\n", "width 100000000 is out of range" },
        { "huge-height.pgm", "P2\n4 16385\n255\n", "height 16385 is out of range" },
        { "giant-width.pgm", "P5\n99999999999999999999999 4\n255\n", "width is too large" },
        { "negative-width.pgm", "P5\n-3 4\n255\n", "width is not a positive integer" },
        { "word-height.ppm", "P3\n4 four\n255\n", "height is not a positive integer" },
        { "maxval0.pgm", "P5\n1 1\n0\n\x00", "maxval 0 is out of range" },
        { "maxval70000.ppm", "P3\n1 1\n70000\n1 2 3\n", "maxval 70000 is out of range" },
        { "no-space.pgm", "P5\n1 1\n255x", "not followed by whitespace" },
        { "big-sample.pgm", "P2\n2 1\n255\n10 300\n", "sample value 300 (sample #1) exceeds maxval 255" },
        { "bigger-sample.ppm", "P3\n1 1\n1023\n1 2 1024\n", "exceeds maxval 1023" },
        { "word-sample.pgm", "P2\n2 1\n255\n10 x\n", "not a number" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512];
        tmp_path(path, sizeof path, cases[i].name);
        write_pnm(path, cases[i].header, NULL, 0);
        assert_load_fails(path, cases[i].problem);
    }
}
END_TEST

START_TEST(test_bad_png)
{
    /* A valid 16x16 RGB PNG, then cut short at several places and corrupted. */
    enum { N = 16 };
    uint8_t data[3 * N * N];
    for (int i = 0; i < 3 * N * N; i++)
        data[i] = (uint8_t)(i * 7919 >> 3);
    nin_image img = { 3, N, N, data };
    char path[512], err[512] = "";
    tmp_path(path, sizeof path, "whole.png");
    ck_assert_msg(nin_image_save_png(path, &img, err, sizeof err) == 0, "%s", err);
    FILE *f = fopen(path, "rb");
    ck_assert(f != NULL);
    static uint8_t bytes[1 << 16];
    size_t size = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    ck_assert(size > 100 && size < sizeof bytes);

    const size_t cuts[] = { 4, 8, 20, 40, size / 2, size - 13 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "cut%zu.png", cuts[i]);
        tmp_path(path, sizeof path, name);
        write_file(path, bytes, cuts[i]);
        /* Cut inside the signature it is not recognisable as a PNG at all. */
        assert_load_fails(path, cuts[i] < 8 ? "not an image" : "truncated");
    }

    /* A flipped byte inside the compressed data breaks the chunk CRC. */
    bytes[size / 2] ^= 0x55;
    tmp_path(path, sizeof path, "corrupt.png");
    write_file(path, bytes, size);
    assert_load_fails(path, "bad PNG");

    /* Wider than the 16384 limit: rejected from the header, before allocating. */
    static uint8_t wide[20000];
    raw_png spec = { 20000, 1, PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, NULL, 0, NULL, 0 };
    tmp_path(path, sizeof path, "wide.png");
    write_png_raw(path, &spec, wide);
    assert_load_fails(path, "width exceeds user limit");
}
END_TEST

START_TEST(test_save_errors)
{
    char path[512], err[512] = "";
    uint8_t data[4] = { 0 };
    nin_image img = { 1, 2, 2, data };
    tmp_path(path, sizeof path, "no-such-dir/out.png");
    ck_assert(nin_image_save_png(path, &img, err, sizeof err) == -1);
    ck_assert_msg(strstr(err, path) && strstr(err, "cannot create") && !strchr(err, '\n'), "%s", err);

    nin_image two = { 2, 2, 2, data };
    tmp_path(path, sizeof path, "two-channels.png");
    ck_assert(nin_image_save_png(path, &two, err, sizeof err) == -1);
    ck_assert_msg(strstr(err, path) != NULL, "%s", err);
    ck_assert(access(path, F_OK) != 0);
}
END_TEST

static void remove_tmp_dir(void)
{
    DIR *dir = opendir(tmp_dir);
    if (!dir)
        return;
    struct dirent *entry;
    char path[512];
    while ((entry = readdir(dir)))
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) {
            tmp_path(path, sizeof path, entry->d_name);
            unlink(path);
        }
    closedir(dir);
    rmdir(tmp_dir);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/nin-test-image-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        perror("mkdtemp");
        return EXIT_FAILURE;
    }
    Suite *suite = suite_create("image");
    TCase *tc = tcase_create("image");
    tcase_add_test(tc, test_png_round_trip_gray_and_rgb);
    tcase_add_test(tc, test_png_rgba_drops_alpha);
    tcase_add_test(tc, test_png_16bit_gray_scaled);
    tcase_add_test(tc, test_png_palette_interlaced);
    tcase_add_test(tc, test_pnm_ascii);
    tcase_add_test(tc, test_pnm_binary);
    tcase_add_test(tc, test_jpeg_rgb_gray_progressive);
    tcase_add_test(tc, test_jpeg_cmyk);
    tcase_add_test(tc, test_jpeg_damaged);
    tcase_add_test(tc, test_jpeg_scaled);
    tcase_add_test(tc, test_jpeg_limits);
    tcase_add_test(tc, test_convert_identity);
    tcase_add_test(tc, test_convert_bilinear);
    tcase_add_test(tc, test_convert_channels);
    tcase_add_test(tc, test_convert_refuses);
    tcase_add_test(tc, test_fit_checkerboard);
    tcase_add_test(tc, test_fit_fractional_coverage);
    tcase_add_test(tc, test_fit_centre_crop);
    tcase_add_test(tc, test_fit_same_size_copies);
    tcase_add_test(tc, test_fit_upscale);
    tcase_add_test(tc, test_fit_channels);
    tcase_add_test(tc, test_fit_refuses);
    tcase_add_test(tc, test_bad_files);
    tcase_add_test(tc, test_bad_headers);
    tcase_add_test(tc, test_bad_png);
    tcase_add_test(tc, test_save_errors);
    suite_add_tcase(suite, tc);
    int rc = run_suite(suite);
    if (!getenv("NIN_KEEP_TMP")) remove_tmp_dir();
    return rc;
}
