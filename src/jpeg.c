/* jpeg.c - reading JPEG through libjpeg-turbo (baseline, progressive, arithmetic-coded: whatever it decodes) into
 * planar 8-bit images, optionally at a reduced DCT scale (nin_image_load_scaled in image.c calls it).
 *
 * Colour: gray stays one channel; YCbCr and RGB become three channels of RGB; CMYK and YCCK (which libjpeg turns
 * into CMYK) become RGB as R = (255 - C)(255 - K) / 255, G from M, B from Y. A file with an Adobe marker stores
 * every sample inverted (Photoshop's habit: 255 - C), so there R = C'K'/255 on the stored values; a file without
 * one is taken as plain CMYK.
 *
 * Scaling: libjpeg can run a smaller inverse DCT, k/8 of each side for k in 1..8 (output side ceil(side * k / 8)),
 * for a fraction of the work of a full decode. The smallest k whose shorter output side is still >= min_side is
 * used, so a later area filter (nin_image_fit) never has to enlarge what the file could have given in full.
 *
 * Trust: libjpeg reports damaged data ("Premature end of JPEG file", "Corrupt JPEG data: ...") as warnings and
 * carries on with grey blocks; here every warning is an error, except "unknown JFIF revision number", which says
 * nothing about the pixels. Errors leave libjpeg by longjmp from on_jpeg_error; as in image.c's libpng code,
 * everything that must be freed lives in a jpeg_job owned by the caller of decode_jpeg, and no local variable is
 * changed between setjmp and longjmp. Before anything large is allocated, the header's claims are checked: sides
 * up to NIN_IMAGE_MAX_SIDE, and at most MAX_JPEG_RATIO samples per byte of the file (libjpeg allocates the
 * coefficients of the whole image before it reads a progressive file's data: a 200-byte header claiming
 * 16384x16384 would otherwise cost 1.6 GB). At most MAX_JPEG_SCANS scans are read (each is a pass over the whole
 * image). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>
#include <nin/error.h>
#include "image_impl.h"

/* A Huffman-coded JPEG of one flat colour holds about 1024 samples per byte at most (progressive, a 1-bit DC code
 * per 8x8 block of each component, 4:2:0), a photograph 5 to 50: four times the extreme leaves room for any real
 * file. (An arithmetic-coded flat image can go further; it is refused as implausible.) */
#define MAX_JPEG_RATIO 4096
#define MAX_JPEG_SCANS 1000   /* a progressive file has about 10 */

typedef struct jpeg_job {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr errors;
    struct jpeg_source_mgr source;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    FILE *f;
    long long file_bytes;   /* -1 when unknown (a pipe) */
    int min_side;
    nin_image *dst;
    JOCTET buf[4096];
    char msg[JMSG_LENGTH_MAX + 100];
} jpeg_job;

static void jpeg_fail(jpeg_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

static void jpeg_fail(jpeg_job *job, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(job->msg, sizeof job->msg, fmt, ap);
    va_end(ap);
    longjmp(job->jump, 1);
}

static void on_jpeg_error(j_common_ptr cinfo)
{
    jpeg_job *job = cinfo->client_data;
    (*cinfo->err->format_message)(cinfo, job->msg);
    longjmp(job->jump, 1);
}

/* Level -1 is a warning (damaged data, among others): an error here. Levels >= 0 are trace messages. */
static void on_jpeg_message(j_common_ptr cinfo, int level)
{
    if (level < 0 && cinfo->err->msg_code != JWRN_JFIF_MAJOR)
        on_jpeg_error(cinfo);
}

static void count_scans(j_common_ptr cinfo)
{
    if (((j_decompress_ptr)cinfo)->input_scan_number > MAX_JPEG_SCANS)
        jpeg_fail(cinfo->client_data, "more than %d scans", MAX_JPEG_SCANS);
}

/* --- the source: the magic bytes nin_image_load_scaled has read, then the rest of the file -------------- */

static void init_source(j_decompress_ptr cinfo)
{
    (void)cinfo;
}

static boolean fill_input_buffer(j_decompress_ptr cinfo)
{
    jpeg_job *job = cinfo->client_data;
    size_t got = fread(job->buf, 1, sizeof job->buf, job->f);
    if (got == 0 && ferror(job->f))
        jpeg_fail(job, "read error: %s", strerror(errno));
    if (got == 0)
        ERREXIT(cinfo, JWRN_JPEG_EOF);   /* libjpeg's own source would warn and make up an end of image */
    job->source.next_input_byte = job->buf;
    job->source.bytes_in_buffer = got;
    return TRUE;
}

static void skip_input_data(j_decompress_ptr cinfo, long num_bytes)
{
    struct jpeg_source_mgr *src = cinfo->src;
    while (num_bytes > (long)src->bytes_in_buffer) {
        num_bytes -= (long)src->bytes_in_buffer;
        fill_input_buffer(cinfo);
    }
    if (num_bytes > 0) {
        src->next_input_byte += num_bytes;
        src->bytes_in_buffer -= (size_t)num_bytes;
    }
}

static void term_source(j_decompress_ptr cinfo)
{
    (void)cinfo;
}

/* --- decoding ------------------------------------------------------------------------------------------- */

/* Refuse sides over the limit and headers that claim more samples than the file can plausibly hold. */
static void check_size(jpeg_job *job)
{
    const j_decompress_ptr cinfo = &job->cinfo;
    const unsigned width = cinfo->image_width, height = cinfo->image_height;
    if (width > NIN_IMAGE_MAX_SIDE || height > NIN_IMAGE_MAX_SIDE)
        jpeg_fail(job, "image size %ux%u is out of range (sides 1..%d)", width, height, NIN_IMAGE_MAX_SIDE);
    const double samples = (double)width * height * cinfo->num_components;
    if (job->file_bytes >= 0 && samples > (double)job->file_bytes * MAX_JPEG_RATIO)
        jpeg_fail(job, "the header's %ux%u image needs %.0f bytes of pixel data, more than a %lld-byte file can "
                  "hold (truncated or corrupt)", width, height, samples, job->file_bytes);
}

/* Gray stays gray, everything else is decoded to RGB, or to CMYK that store_cmyk_row converts. */
static void choose_colour(jpeg_job *job)
{
    const j_decompress_ptr cinfo = &job->cinfo;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo->out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        cinfo->out_color_space = JCS_RGB;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo->out_color_space = JCS_CMYK;
        break;
    default:
        jpeg_fail(job, "unsupported colour space (%d components, not gray, YCbCr, RGB, CMYK or YCCK)",
                  cinfo->num_components);
    }
}

/* The shorter side of the output at scale k/8. */
static JDIMENSION shorter_side_at(j_decompress_ptr cinfo, unsigned k)
{
    cinfo->scale_num = k;
    cinfo->scale_denom = 8;
    jpeg_calc_output_dimensions(cinfo);
    return cinfo->output_width < cinfo->output_height ? cinfo->output_width : cinfo->output_height;
}

/* The smallest scale k/8 whose shorter side is still >= min_side; 8/8 when min_side <= 0 or no smaller one is. */
static void choose_scale(j_decompress_ptr cinfo, int min_side)
{
    unsigned k = 8;
    if (min_side > 0)
        for (k = 1; k < 8 && shorter_side_at(cinfo, k) < (JDIMENSION)min_side; k++)
            ;
    shorter_side_at(cinfo, k);
}

/* Interleaved gray or RGB samples to row y of the planar image. */
static void store_row(nin_image *img, const JSAMPLE *row, int y)
{
    const size_t plane = (size_t)img->height * (size_t)img->width;
    uint8_t *out = img->pixels + (size_t)y * (size_t)img->width;
    for (int x = 0; x < img->width; x++)
        for (int c = 0; c < img->channels; c++)
            out[c * plane + (size_t)x] = row[x * img->channels + c];
}

/* Interleaved CMYK to row y of the planar RGB image: R = (255 - C)(255 - K) / 255, rounded; `inverted` samples
 * (an Adobe marker) already are 255 - C and 255 - K. */
static void store_cmyk_row(nin_image *img, const JSAMPLE *row, int y, int inverted)
{
    const size_t plane = (size_t)img->height * (size_t)img->width;
    uint8_t *out = img->pixels + (size_t)y * (size_t)img->width;
    const unsigned flip = inverted ? 0 : 255;
    for (int x = 0; x < img->width; x++) {
        const unsigned k = row[4 * x + 3] ^ flip;
        for (int c = 0; c < 3; c++)
            out[c * plane + (size_t)x] = (uint8_t)(((row[4 * x + c] ^ flip) * k + 127) / 255);
    }
}

/* Allocate job->dst at the output size and read every scanline into it. */
static void read_pixels(jpeg_job *job)
{
    const j_decompress_ptr cinfo = &job->cinfo;
    const int cmyk = cinfo->out_color_space == JCS_CMYK;
    const int channels = cmyk ? 3 : cinfo->output_components;
    if (nin_image_alloc(job->dst, channels, (int)cinfo->output_height, (int)cinfo->output_width))
        jpeg_fail(job, "out of memory for a %ux%u image", cinfo->output_width, cinfo->output_height);
    JSAMPARRAY row = (*cinfo->mem->alloc_sarray)((j_common_ptr)cinfo, JPOOL_IMAGE,
                                                 cinfo->output_width * (JDIMENSION)cinfo->output_components, 1);
    while (cinfo->output_scanline < cinfo->output_height) {
        const int y = (int)cinfo->output_scanline;
        if (jpeg_read_scanlines(cinfo, row, 1) != 1)
            jpeg_fail(job, "no scanline %d", y);   /* only a suspending source returns none */
        if (cmyk)
            store_cmyk_row(job->dst, row[0], y, cinfo->saw_Adobe_marker);
        else
            store_row(job->dst, row[0], y);
    }
}

/* Decode into job->dst. Returns 0, or -1 with job->msg set. */
static int decode_jpeg(jpeg_job *job)
{
    if (setjmp(job->jump))
        return -1;
    const j_decompress_ptr cinfo = &job->cinfo;
    jpeg_create_decompress(cinfo);   /* keeps err and client_data; its own failure also lands at the setjmp */
    cinfo->src = &job->source;
    cinfo->progress = &job->progress;
    jpeg_read_header(cinfo, TRUE);
    check_size(job);
    choose_colour(job);
    choose_scale(cinfo, job->min_side);
    jpeg_start_decompress(cinfo);   /* reads all scans of a progressive file */
    read_pixels(job);
    jpeg_finish_decompress(cinfo);   /* reads on to the end of the image: damage there is an error too */
    return 0;
}

int nin_jpeg_load(FILE *f, const unsigned char *magic, size_t magic_size, const char *path, int min_side,
                  nin_image *img, char *err, size_t err_size)
{
    jpeg_job job;
    memset(&job, 0, sizeof job);
    long long left = nin_file_bytes_left(f);
    job.f = f;
    job.file_bytes = left < 0 ? -1 : left + (long long)magic_size;
    job.min_side = min_side;
    job.dst = img;
    job.cinfo.err = jpeg_std_error(&job.errors);
    job.errors.error_exit = on_jpeg_error;
    job.errors.emit_message = on_jpeg_message;
    job.cinfo.client_data = &job;
    job.progress.progress_monitor = count_scans;
    job.source = (struct jpeg_source_mgr){ .init_source = init_source, .fill_input_buffer = fill_input_buffer,
                                           .skip_input_data = skip_input_data,
                                           .resync_to_restart = jpeg_resync_to_restart, .term_source = term_source };
    if (magic_size > sizeof job.buf)
        magic_size = sizeof job.buf;
    memcpy(job.buf, magic, magic_size);
    job.source.next_input_byte = job.buf;
    job.source.bytes_in_buffer = magic_size;

    int rc = decode_jpeg(&job);
    jpeg_destroy_decompress(&job.cinfo);   /* frees everything libjpeg allocated, also after a longjmp */
    if (rc) {
        nin_image_free(img);
        nin_set_error(err, err_size, "%s: bad JPEG: %s", path, job.msg);
    }
    return rc;
}
