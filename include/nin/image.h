/* nin/image.h - reading and writing images: PNG (libpng), JPEG (libjpeg-turbo) and binary/ASCII PGM/PPM; resizing. */
#ifndef NIN_IMAGE_H
#define NIN_IMAGE_H

#include <stddef.h>
#include <stdint.h>

typedef struct nin_image {
    int channels, height, width;   /* channels 1 (gray) or 3 (RGB) */
    uint8_t *pixels;               /* channels x height x width bytes, planar (CHW) */
} nin_image;

/* Load a PNG, JPEG, PGM (P2/P5) or PPM (P3/P6) file, chosen by its content; sides up to 16384. Alpha is dropped,
 * 16-bit samples are scaled to 8 bits, palettes expanded; a gray JPEG gives one channel, a YCbCr, RGB, CMYK or YCCK
 * one three (RGB). A damaged JPEG (truncated, corrupt entropy data) is an error, not a partly grey picture.
 * Returns 0, or -1 with one line in err naming the file and the problem ("PATH: bad JPEG: ..."). */
int nin_image_load(const char *path, nin_image *img, char *err, size_t err_size);
/* nin_image_load, but a JPEG is decoded by libjpeg's reduced DCT at the smallest scale k/8 (k = 1..8, each side
 * ceil(side * k / 8)) whose shorter side is still >= min_side: much faster for a large photo that is to become a
 * small input. Full size when min_side <= 0 or when no smaller scale is large enough; PNG and PGM/PPM are always read
 * at full size. nin_image_load(path, ...) is nin_image_load_scaled(path, 0, ...). */
int nin_image_load_scaled(const char *path, int min_side, nin_image *img, char *err, size_t err_size);
/* Write an 8-bit gray or RGB PNG. Returns 0, or -1 with one line in err. */
int nin_image_save_png(const char *path, const nin_image *img, char *err, size_t err_size);
/* Bilinear resize to height x width and convert to `channels` (gray <-> RGB by luma / replication) into a new
 * image dst. Shrinking this way samples rather than averages: fine detail aliases (see nin_image_fit). Returns 0,
 * or -1 with one line in nin_last_error() (a channel count other than 1 or 3, a size below 1, out of host memory),
 * dst then empty. */
int nin_image_convert(const nin_image *src, int channels, int height, int width, nin_image *dst);
/* Scale so that the shorter side is `size`, then take the centre size x size (torchvision's Resize(size) +
 * CenterCrop(size), up to rounding: src/image.c says how), converting to `channels` as nin_image_convert does.
 * Shrinking averages every source pixel under an output pixel (an area filter, anti-aliased); enlarging is bilinear.
 * Returns 0, or -1 with one line in nin_last_error() as nin_image_convert, dst then empty. */
int nin_image_fit(const nin_image *src, int channels, int size, nin_image *dst);
void nin_image_free(nin_image *img);

#endif
