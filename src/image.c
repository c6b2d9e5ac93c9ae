/* image.c - reading PNG (libpng) and binary/ASCII PGM/PPM into planar 8-bit images, and choosing the reader by the
 * file's first bytes (JPEG's is in jpeg.c); writing PNG; resizing with gray <-> RGB conversion. Inputs may come from
 * anywhere, so every reader checks sizes before allocating and reports failures as one line instead of crashing.
 *
 * Resizing filters each axis on its own: output index i of an axis is sum_k w[i][k] * src[first[i] + k], and an
 * output pixel applies its row's and its column's filter to each channel. Channels are converted after filtering,
 * in float (gray = ITU-R BT.601 luma 0.299 R + 0.587 G + 0.114 B; RGB from gray by replication), and the result
 * is rounded to uint8 once, at the end.
 *
 * nin_image_convert is bilinear, as PyTorch's interpolate with align_corners = false: output pixel i of an axis
 * sits at source coordinate u = (i + 0.5) * in / out - 0.5, clamped at 0, between lo = floor(u) and lo + 1 (clamped
 * at in - 1), with weights 1 - t and t, t = u - lo. Shrinking this way reads 2 x 2 source pixels per output pixel
 * whatever the scale, so detail finer than the output grid aliases: a 256 x 256 1-pixel checkerboard shrunk to 30
 * x 30 comes out as a moire of values from 16 to 239 (shrunk to 32 x 32 it happens to be grey: at exactly 8x the 2 x 2
 * pixels read are a block of the checkerboard).
 *
 * nin_image_fit takes the centre square of the source, side s = min(height, width), at offset floor((long - s) / 2)
 * on the longer axis, and maps it onto size x size:
 *   - shrinking (s > size): an area (box) filter. Output pixel i covers the source interval
 *     [offset + i * s / size, offset + (i + 1) * s / size), and source pixel j weighs the length of the overlap of
 *     [j, j + 1) with it, times size / s (its coverage: the weights of an output pixel sum to 1, pixels cut by the
 *     interval's ends count with their fraction). Each output pixel is the coverage-weighted mean of the source
 *     area it covers, so detail finer than the output grid averages out instead of aliasing: the checkerboard above
 *     comes out grey (127 or 128) at 30 x 30 and at 32 x 32;
 *   - enlarging or keeping the size (s <= size): the bilinear above, inside the square (s == size copies it).
 * torchvision's Resize(size) + CenterCrop(size) resize the whole image to size x int(size * long / s) first and then
 * crop at round((resized_long - size) / 2), so along the longer axis they scale by resized_long / long instead of
 * exactly size / s and their window can sit up to about half an output pixel away from ours; their bilinear also
 * reads the pixels just outside the square, and their anti-aliased shrinking is a triangle filter, not a box. On a
 * square image only the filters differ. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <png.h>
#include <nin/error.h>
#include <nin/image.h>
#include "image_impl.h"

#define MAX_SIDE NIN_IMAGE_MAX_SIDE   /* src/image_impl.h says why */
#define MAX_DEFLATE_RATIO 1032   /* the most zlib can compress: bounds what a compressed file holds */


/* a * b * c, or 0 when the product does not fit in size_t. */
static size_t mul3(size_t a, size_t b, size_t c)
{
    if (a == 0 || b == 0 || c == 0)
        return 0;
    if (a > SIZE_MAX / b || a * b > SIZE_MAX / c)
        return 0;
    return a * b * c;
}

int nin_image_alloc(nin_image *img, int channels, int height, int width)
{
    size_t bytes = mul3((size_t)channels, (size_t)height, (size_t)width);
    img->channels = channels;
    img->height = height;
    img->width = width;
    img->pixels = bytes ? malloc(bytes) : NULL;
    return img->pixels ? 0 : -1;
}

/* --- PGM / PPM ------------------------------------------------------------------------------------- */

/* One reader for P2/P3/P5/P6: they differ only in channel count and in how samples are encoded. */
typedef struct pnm_reader {
    FILE *f;
    const char *path;
    char *err;
    size_t err_size;
    int channels;   /* 1 for PGM, 3 for PPM */
    int ascii;      /* P2/P3 */
    int height, width;
} pnm_reader;

/* Skip whitespace and '#' comments (which run to the end of the line); return the next char or EOF. */
static int pnm_skip(FILE *f)
{
    int c;
    for (;;) {
        c = getc(f);
        if (c == '#') {
            while ((c = getc(f)) != EOF && c != '\n' && c != '\r')
                ;
            if (c == EOF)
                return EOF;
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f')
            return c;
    }
}

/* Anything larger is reported as "too large" rather than by value: no header field or sample can use it. */
#define PNM_SATURATE 1000000000UL

/* Read one unsigned decimal number, saturating at PNM_SATURATE so that a 30-digit width is reported as
 * too large, not wrapped. Returns 0, 1 at end of file, or -1 when the text is not a number. */
static int pnm_number(FILE *f, unsigned long *value)
{
    int c = pnm_skip(f);
    if (c == EOF)
        return 1;
    if (c < '0' || c > '9')
        return -1;
    unsigned long v = 0;
    do {
        if (v < PNM_SATURATE)
            v = v * 10 + (unsigned long)(c - '0');
        c = getc(f);
    } while (c >= '0' && c <= '9');
    if (c != EOF)
        ungetc(c, f);
    *value = v < PNM_SATURATE ? v : PNM_SATURATE;
    return 0;
}

/* Read a header field and check it lies in 1..max. */
static int pnm_header_field(pnm_reader *r, const char *what, unsigned long max, unsigned long *value)
{
    int rc = pnm_number(r->f, value);
    if (rc > 0)
        nin_set_error(r->err, r->err_size, "%s: truncated data: file ends in the header before the %s", r->path, what);
    else if (rc < 0)
        nin_set_error(r->err, r->err_size, "%s: bad header: %s is not a positive integer", r->path, what);
    else if (*value >= PNM_SATURATE)
        nin_set_error(r->err, r->err_size, "%s: bad header: %s is too large (range 1..%lu)", r->path, what, max);
    else if (*value < 1 || *value > max)
        nin_set_error(r->err, r->err_size, "%s: bad header: %s %lu is out of range 1..%lu", r->path, what, *value, max);
    else
        return 0;
    return -1;
}

/* Read one sample: a decimal number (ASCII) or 1-2 bytes of `raw` (binary), checked against maxval. */
static int pnm_sample(pnm_reader *r, const uint8_t *raw, size_t bytes_per_sample, unsigned long maxval,
                      size_t index, unsigned long *v)
{
    if (!r->ascii) {
        *v = bytes_per_sample == 2 ? (unsigned long)raw[0] << 8 | raw[1] : raw[0];   /* big-endian */
        if (*v > maxval)
            *v = maxval;   /* nothing to report in a binary file but a clamped value, so clamp, never wrap */
        return 0;
    }
    int rc = pnm_number(r->f, v);
    if (rc > 0)
        nin_set_error(r->err, r->err_size, "%s: truncated data: expected %zu samples, found %zu", r->path,
             (size_t)r->channels * r->height * r->width, index);
    else if (rc < 0)
        nin_set_error(r->err, r->err_size, "%s: bad sample %zu: not a number", r->path, index);
    else if (*v > maxval)
        nin_set_error(r->err, r->err_size, "%s: sample value %s%lu (sample #%zu) exceeds maxval %lu", r->path,
             *v >= PNM_SATURATE ? "over " : "", *v >= PNM_SATURATE ? PNM_SATURATE - 1 : *v, index, maxval);
    else
        return 0;
    return -1;
}

/* Read the raster into img (already allocated) row by row, scaling samples from 0..maxval to 0..255.
 * Samples are interleaved (RGBRGB...) in the file, planar in the image. */
static int pnm_raster(pnm_reader *r, unsigned long maxval, nin_image *img)
{
    const size_t plane = (size_t)img->height * (size_t)img->width;
    const size_t row_samples = (size_t)img->width * (size_t)r->channels;
    const size_t bytes_per_sample = maxval > 255 ? 2 : 1, row_bytes = row_samples * bytes_per_sample;
    uint8_t *raw = NULL;
    if (!r->ascii && !(raw = malloc(row_bytes))) {
        nin_set_error(r->err, r->err_size, "%s: out of memory", r->path);
        return -1;
    }
    int rc = 0;
    for (int y = 0; y < img->height && rc == 0; y++) {
        if (raw) {
            size_t got = fread(raw, 1, row_bytes, r->f);
            if (got != row_bytes) {
                if (ferror(r->f))
                    nin_set_error(r->err, r->err_size, "%s: read error: %s", r->path, strerror(errno));
                else
                    nin_set_error(r->err, r->err_size, "%s: truncated data: expected %zu bytes of pixels, found %zu",
                         r->path, row_bytes * (size_t)img->height, row_bytes * (size_t)y + got);
                rc = -1;
                break;
            }
        }
        uint8_t *out = img->pixels + (size_t)y * (size_t)img->width;
        for (size_t i = 0; i < row_samples; i++) {
            unsigned long v;
            if (pnm_sample(r, raw ? raw + i * bytes_per_sample : NULL, bytes_per_sample, maxval,
                           (size_t)y * row_samples + i, &v)) {
                rc = -1;
                break;
            }
            out[(i % (size_t)r->channels) * plane + i / (size_t)r->channels] =
                (uint8_t)((v * 255 + maxval / 2) / maxval);
        }
    }
    free(raw);
    return rc;
}

long long nin_file_bytes_left(FILE *f)
{
    struct stat st;
    long pos = ftell(f);
    if (pos < 0 || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    return (long long)st.st_size - pos;
}

/* Read a PNM whose two magic bytes have been consumed. */
static int pnm_load(pnm_reader *r, nin_image *img)
{
    unsigned long width, height, maxval;
    if (pnm_header_field(r, "width", MAX_SIDE, &width) || pnm_header_field(r, "height", MAX_SIDE, &height) ||
        pnm_header_field(r, "maxval", 65535, &maxval))
        return -1;
    r->width = (int)width;
    r->height = (int)height;
    if (!r->ascii) {
        /* Exactly one whitespace character separates maxval from binary pixels; a comment may precede it. */
        int c = getc(r->f);
        if (c == '#')
            while ((c = getc(r->f)) != EOF && c != '\n' && c != '\r')
                ;
        if (c == EOF) {
            nin_set_error(r->err, r->err_size, "%s: truncated data: no pixels after the header", r->path);
            return -1;
        }
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') {
            nin_set_error(r->err, r->err_size, "%s: bad header: maxval is not followed by whitespace", r->path);
            return -1;
        }
    }
    /* A short file claiming a huge image is rejected before allocating hundreds of megabytes: binary
     * pixels need their exact size, ASCII ones at least a separator and a digit each. */
    const size_t samples = (size_t)r->channels * width * height;
    const size_t need = r->ascii ? 2 * samples : samples * (maxval > 255 ? 2 : 1);
    long long left = nin_file_bytes_left(r->f);
    if (left >= 0 && (unsigned long long)left < need) {
        if (r->ascii)
            nin_set_error(r->err, r->err_size, "%s: truncated data: %zu samples need at least %zu bytes, found %lld",
                 r->path, samples, need, left);
        else
            nin_set_error(r->err, r->err_size, "%s: truncated data: expected %zu bytes of pixels, found %lld", r->path,
                 need, left);
        return -1;
    }
    if (nin_image_alloc(img, r->channels, (int)height, (int)width)) {
        nin_set_error(r->err, r->err_size, "%s: out of memory for a %lux%lu image", r->path, width, height);
        return -1;
    }
    if (pnm_raster(r, maxval, img)) {
        nin_image_free(img);
        return -1;
    }
    return 0;
}

/* --- PNG ------------------------------------------------------------------------------------------- */

/* libpng reports errors by longjmp. Everything that must survive the jump (what to free, the message)
 * lives in this struct, owned by the caller of the function that calls setjmp, so no local variable
 * is changed between setjmp and longjmp. */
typedef struct libpng_job {
    png_structp png;
    png_infop info;
    FILE *f;
    const nin_image *src;   /* writing */
    nin_image *dst;         /* reading */
    uint8_t *buf;           /* interleaved pixels (reading) or one row (writing) */
    png_bytep *rows;
    char msg[200];
    char warning[120];      /* the last warning: often the reason behind a terse error */
} libpng_job;

static void on_png_error(png_structp png, png_const_charp msg)
{
    libpng_job *job = png_get_error_ptr(png);
    if (job->warning[0])   /* e.g. "Invalid IHDR data" says more with "Image width exceeds user limit" */
        snprintf(job->msg, sizeof job->msg, "%s (after: %s)", msg, job->warning);
    else
        snprintf(job->msg, sizeof job->msg, "%s", msg);
    png_longjmp(png, 1);
}

/* Warnings (bad ancillary chunks, odd ICC profiles) do not stop us from reading the pixels: keep the
 * last one quietly for the error message. */
static void on_png_warning(png_structp png, png_const_charp msg)
{
    libpng_job *job = png_get_error_ptr(png);
    snprintf(job->warning, sizeof job->warning, "%s", msg);
}

/* Our own reader so that a short file says "truncated" rather than libpng's generic "Read Error". */
static void read_png_bytes(png_structp png, png_bytep data, size_t length)
{
    libpng_job *job = png_get_io_ptr(png);
    if (fread(data, 1, length, job->f) != length)
        png_error(png, ferror(job->f) ? "read error" : "truncated data (unexpected end of file)");
}

/* Decode into job->dst; the 8 signature bytes have been consumed. Returns 0, or -1 with job->msg set. */
static int decode_png(libpng_job *job)
{
    if (setjmp(png_jmpbuf(job->png)))
        return -1;
    png_structp png = job->png;
    png_infop info = job->info;
    png_set_read_fn(png, job, read_png_bytes);
    png_set_sig_bytes(png, 8);
    png_set_user_limits(png, MAX_SIDE, MAX_SIDE);
    png_read_info(png, info);

    /* zlib inflates at most about 1032:1, so a header that claims more rows than the file can hold is corrupt:
     * refuse it before allocating its size (a 60-byte file could otherwise claim 16384 x 16384 x 16-bit RGBA) */
    struct stat st;
    double raw = ((double)png_get_rowbytes(png, info) + 1) * png_get_image_height(png, info);
    if (fstat(fileno(job->f), &st) == 0 && raw > (double)st.st_size * MAX_DEFLATE_RATIO) {
        char msg[160];
        snprintf(msg, sizeof msg, "the header's %ux%u image needs %.0f bytes of pixel data, more than a %lld-byte "
                 "file can hold (truncated or corrupt)", (unsigned)png_get_image_width(png, info),
                 (unsigned)png_get_image_height(png, info), raw, (long long)st.st_size);
        png_error(png, msg);
    }

    /* Normalise every layout to 8-bit gray or RGB, possibly with an alpha channel that is then dropped
     * (tRNS included: palette expansion turns it into alpha). No gamma handling: samples are taken as is. */
    int color_type = png_get_color_type(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_bit_depth(png, info) == 16)
#ifdef PNG_READ_SCALE_16_TO_8_SUPPORTED
        png_set_scale_16(png);   /* rounds v * 255 / 65535, like the PNM path */
#else
        png_set_strip_16(png);
#endif
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int width = (int)png_get_image_width(png, info), height = (int)png_get_image_height(png, info);
    int in_channels = png_get_channels(png, info);
    int channels = (png_get_color_type(png, info) & PNG_COLOR_MASK_COLOR) ? 3 : 1;
    size_t rowbytes = png_get_rowbytes(png, info);
    if (width < 1 || height < 1 || width > MAX_SIDE || height > MAX_SIDE)
        png_error(png, "image size out of range");
    if (png_get_bit_depth(png, info) != 8 || in_channels < channels || rowbytes < (size_t)width * in_channels)
        png_error(png, "unsupported pixel layout");

    job->buf = malloc(rowbytes * (size_t)height);
    job->rows = malloc((size_t)height * sizeof *job->rows);
    if (!job->buf || !job->rows || nin_image_alloc(job->dst, channels, height, width))
        png_error(png, "out of memory");
    for (int y = 0; y < height; y++)
        job->rows[y] = job->buf + (size_t)y * rowbytes;
    png_read_image(png, job->rows);   /* handles Adam7 interlacing: passes were set up above */

    const size_t plane = (size_t)height * (size_t)width;
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            for (int c = 0; c < channels; c++)
                job->dst->pixels[c * plane + (size_t)y * width + x] = job->rows[y][(size_t)x * in_channels + c];
    return 0;
}

static int load_png(FILE *f, const char *path, nin_image *img, char *err, size_t err_size)
{
    libpng_job job = { .f = f, .dst = img };
    job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, on_png_error, on_png_warning);
    job.info = job.png ? png_create_info_struct(job.png) : NULL;
    int rc = -1;
    if (!job.info)
        snprintf(job.msg, sizeof job.msg, "libpng could not be initialised");
    else
        rc = decode_png(&job);
    png_destroy_read_struct(job.png ? &job.png : NULL, job.info ? &job.info : NULL, NULL);
    free(job.buf);
    free(job.rows);
    if (rc) {
        nin_image_free(img);
        nin_set_error(err, err_size, "%s: bad PNG: %s", path, job.msg);
    }
    return rc;
}

/* Write job->src; job->buf holds one interleaved row. Returns 0, or -1 with job->msg set. */
static int encode_png(libpng_job *job)
{
    if (setjmp(png_jmpbuf(job->png)))
        return -1;
    png_structp png = job->png;
    const nin_image *img = job->src;
    const size_t plane = (size_t)img->height * (size_t)img->width;
    png_init_io(png, job->f);
    png_set_IHDR(png, job->info, (png_uint_32)img->width, (png_uint_32)img->height, 8,
                 img->channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, job->info);
    for (int y = 0; y < img->height; y++) {
        for (int x = 0; x < img->width; x++)
            for (int c = 0; c < img->channels; c++)
                job->buf[(size_t)x * img->channels + c] = img->pixels[c * plane + (size_t)y * img->width + x];
        png_write_row(png, job->buf);
    }
    png_write_end(png, NULL);
    return 0;
}

int nin_image_save_png(const char *path, const nin_image *img, char *err, size_t err_size)
{
    if (!img || !img->pixels || (img->channels != 1 && img->channels != 3) || img->width < 1 ||
        img->height < 1 || img->width > MAX_SIDE || img->height > MAX_SIDE) {
        nin_set_error(err, err_size, "%s: cannot write PNG: not a valid 8-bit gray or RGB image", path);
        return -1;
    }
    libpng_job job = { .src = img };
    job.buf = malloc((size_t)img->width * (size_t)img->channels);
    if (!job.buf) {
        nin_set_error(err, err_size, "%s: cannot write PNG: out of memory", path);
        return -1;
    }
    job.f = fopen(path, "wb");
    if (!job.f) {
        nin_set_error(err, err_size, "%s: cannot create: %s", path, strerror(errno));
        free(job.buf);
        return -1;
    }
    job.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &job, on_png_error, on_png_warning);
    job.info = job.png ? png_create_info_struct(job.png) : NULL;
    int rc = -1;
    if (!job.info)
        snprintf(job.msg, sizeof job.msg, "libpng could not be initialised");
    else
        rc = encode_png(&job);
    png_destroy_write_struct(job.png ? &job.png : NULL, job.info ? &job.info : NULL);
    free(job.buf);
    /* fclose flushes: a full disk shows up here, not in png_write_row. */
    if (fclose(job.f) != 0 && rc == 0) {
        snprintf(job.msg, sizeof job.msg, "%s", strerror(errno));
        rc = -1;
    }
    if (rc) {
        nin_set_error(err, err_size, "%s: cannot write PNG: %s", path, job.msg);
        remove(path);   /* a half-written file would look like a valid, wrong picture later */
    }
    return rc;
}

/* --- loading by content ------------------------------------------------------------------------------ */

int nin_image_load_scaled(const char *path, int min_side, nin_image *img, char *err, size_t err_size)
{
    memset(img, 0, sizeof *img);
    FILE *f = fopen(path, "rb");
    if (!f) {
        nin_set_error(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    /* Read the magic without seeking back, so pipes work too: two bytes for Netpbm, three for JPEG (handed on to
     * its reader), eight for PNG. */
    unsigned char magic[8];
    size_t got = fread(magic, 1, 2, f);
    int rc = -1;
    if (got < 2 && ferror(f))
        nin_set_error(err, err_size, "%s: cannot read: %s", path, strerror(errno));
    else if (got < 2)
        nin_set_error(err, err_size, "%s: not an image (%s)", path, got ? "only one byte long" : "empty file");
    else if (magic[0] == 'P' && (magic[1] == '2' || magic[1] == '3' || magic[1] == '5' || magic[1] == '6')) {
        pnm_reader r = { .f = f, .path = path, .err = err, .err_size = err_size,
                         .channels = magic[1] == '3' || magic[1] == '6' ? 3 : 1,
                         .ascii = magic[1] == '2' || magic[1] == '3' };
        rc = pnm_load(&r, img);
    } else if (magic[0] == 0x89 && magic[1] == 'P' && fread(magic + 2, 1, 6, f) == 6 && png_sig_cmp(magic, 0, 8) == 0)
        rc = load_png(f, path, img, err, err_size);
    else if (magic[0] == 0xff && magic[1] == 0xd8 && fread(magic + 2, 1, 1, f) == 1 && magic[2] == 0xff)
        rc = nin_jpeg_load(f, magic, 3, path, min_side, img, err, err_size);
    else
        nin_set_error(err, err_size, "%s: not an image (unknown magic; expected PNG, JPEG, PGM P2/P5 or PPM P3/P6)",
                      path);
    fclose(f);
    return rc;
}

int nin_image_load(const char *path, nin_image *img, char *err, size_t err_size)
{
    return nin_image_load_scaled(path, 0, img, err, err_size);
}

void nin_image_free(nin_image *img)
{
    if (!img)
        return;
    free(img->pixels);
    memset(img, 0, sizeof *img);
}

/* --- resizing and channel conversion ---------------------------------------------------------------- */

/* How one axis of the output is made from the source's: output index i is the weighted sum of the source indices
 * first[i] .. first[i] + count[i] - 1, with weights w[i * taps + k]. */
typedef struct axis_filter {
    int taps;   /* the most source indices any output index reads */
    int *first, *count;
    float *w;
} axis_filter;

static axis_filter *axis_alloc(int out, int taps)
{
    axis_filter *a = nin_calloc(1, sizeof *a + (size_t)out * (2 * sizeof(int) + (size_t)taps * sizeof(float)));
    if (!a)
        return NULL;
    a->taps = taps;
    a->first = (int *)(a + 1);
    a->count = a->first + out;
    a->w = (float *)(a->count + out);
    return a;
}

/* Bilinear from `in` to `out` with align_corners = false (pixel centres map to pixel centres), as PyTorch's
 * interpolate: the left border is clamped to 0, the right one through the neighbour. Source indices start at
 * `offset`. */
static axis_filter *bilinear_axis(int in, int out, int offset)
{
    axis_filter *a = axis_alloc(out, 2);
    if (!a)
        return NULL;
    const float scale = (float)in / (float)out;
    for (int i = 0; i < out; i++) {
        float src = ((float)i + 0.5f) * scale - 0.5f;
        if (src < 0)
            src = 0;
        int lo = (int)src;
        if (lo > in - 1)
            lo = in - 1;
        const float t = src - (float)lo;
        a->first[i] = offset + lo;
        a->count[i] = lo < in - 1 ? 2 : 1;
        a->w[2 * i] = lo < in - 1 ? 1 - t : 1;
        a->w[2 * i + 1] = t;
    }
    return a;
}

/* Area (box) filter from `in` to `out` < `in`: output pixel i covers the source interval [i, i + 1) * in / out, and
 * source pixel j weighs the length of its overlap with it, divided by in / out. Counted in units of 1 / out, the
 * interval ends are integers and the weights exact. Source indices start at `offset`. */
static axis_filter *area_axis(int in, int out, int offset)
{
    const int taps = (in + out - 1) / out + 1;
    axis_filter *a = axis_alloc(out, taps);
    if (!a)
        return NULL;
    for (int i = 0; i < out; i++) {
        const long long lo = (long long)i * in, hi = lo + in;
        const int first = (int)(lo / out), last = (int)((hi - 1) / out);
        a->first[i] = offset + first;
        a->count[i] = last - first + 1;
        for (int j = first; j <= last; j++) {
            const long long from = lo > (long long)j * out ? lo : (long long)j * out;
            const long long to = hi < (long long)(j + 1) * out ? hi : (long long)(j + 1) * out;
            a->w[(size_t)i * taps + (size_t)(j - first)] = (float)((double)(to - from) / in);
        }
    }
    return a;
}

/* Store the filtered values v (src_channels of them) at (y, x) of dst, converted to dst's channels (ITU-R BT.601
 * luma, or gray replicated), rounded to the nearest integer and clamped to 0..255: the only rounding. */
static void store_pixel(nin_image *dst, int y, int x, const float *v, int src_channels)
{
    float out[3];
    if (dst->channels == src_channels)
        memcpy(out, v, (size_t)src_channels * sizeof *v);
    else if (dst->channels == 1)
        out[0] = 0.299f * v[0] + 0.587f * v[1] + 0.114f * v[2];
    else
        out[0] = out[1] = out[2] = v[0];
    const size_t plane = (size_t)dst->height * (size_t)dst->width;
    for (int c = 0; c < dst->channels; c++) {
        float r = floorf(out[c] + 0.5f);
        dst->pixels[c * plane + (size_t)y * dst->width + x] = (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
    }
}

/* Filter src into dst (allocated) through the row and column filters, each channel in float. */
static void resample(const nin_image *src, nin_image *dst, const axis_filter *ys, const axis_filter *xs)
{
    const size_t src_plane = (size_t)src->height * (size_t)src->width;
    for (int y = 0; y < dst->height; y++) {
        const float *wy = ys->w + (size_t)y * ys->taps;
        for (int x = 0; x < dst->width; x++) {
            const float *wx = xs->w + (size_t)x * xs->taps;
            float v[3];
            for (int c = 0; c < src->channels; c++) {
                const uint8_t *p = src->pixels + c * src_plane + (size_t)ys->first[y] * src->width + xs->first[x];
                float sum = 0;
                for (int ky = 0; ky < ys->count[y]; ky++, p += src->width) {
                    float row = 0;
                    for (int kx = 0; kx < xs->count[x]; kx++)
                        row += wx[kx] * p[kx];
                    sum += wy[ky] * row;
                }
                v[c] = sum;
            }
            store_pixel(dst, y, x, v, src->channels);
        }
    }
}

/* Allocate dst (channels x ys's outputs x xs's outputs) and resample into it; frees both filters. Returns 0, or -1
 * with the last error set and dst empty. */
static int filter_into(const nin_image *src, int channels, int height, int width, axis_filter *ys, axis_filter *xs,
                       nin_image *dst)
{
    int status = -1;
    if (ys && xs && nin_image_alloc(dst, channels, height, width) == 0) {
        resample(src, dst, ys, xs);
        status = 0;
    } else {
        if (ys && xs)
            nin_fail("out of host memory for a %dx%dx%d image", channels, height, width);
        memset(dst, 0, sizeof *dst);
    }
    free(ys);
    free(xs);
    return status;
}

/* 0 when src can be resized to channels x height x width; else -1 with "WHAT a CxHxW image to CxHxW" in the last
 * error and dst empty. */
static int check_resize(const char *what, const nin_image *src, int channels, int height, int width, nin_image *dst)
{
    if ((channels == 1 || channels == 3) && (src->channels == 1 || src->channels == 3) && height >= 1 &&
        width >= 1 && src->height >= 1 && src->width >= 1)
        return 0;
    nin_fail("%s a %dx%dx%d image to %dx%dx%d", what, src->channels, src->height, src->width, channels, height,
             width);
    memset(dst, 0, sizeof *dst);
    return -1;
}

int nin_image_convert(const nin_image *src, int channels, int height, int width, nin_image *dst)
{
    if (check_resize("nin_image_convert: cannot convert", src, channels, height, width, dst))
        return -1;
    return filter_into(src, channels, height, width, bilinear_axis(src->height, height, 0),
                       bilinear_axis(src->width, width, 0), dst);
}

/* One axis of nin_image_fit: `in` source pixels from `offset` onto `out`, averaged when shrinking. */
static axis_filter *fit_axis(int in, int out, int offset)
{
    return in > out ? area_axis(in, out, offset) : bilinear_axis(in, out, offset);
}

int nin_image_fit(const nin_image *src, int channels, int size, nin_image *dst)
{
    if (check_resize("nin_image_fit: cannot fit", src, channels, size, size, dst))
        return -1;
    const int side = src->height < src->width ? src->height : src->width;
    return filter_into(src, channels, size, size, fit_axis(side, size, (src->height - side) / 2),
                       fit_axis(side, size, (src->width - side) / 2), dst);
}
