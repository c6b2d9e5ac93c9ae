/* nin/image.h - reading and writing images: PNG (libpng) and binary/ASCII PGM/PPM. */
#ifndef NIN_IMAGE_H
#define NIN_IMAGE_H

#include <stddef.h>
#include <stdint.h>

typedef struct nin_image {
    int channels, height, width;   /* channels 1 (gray) or 3 (RGB) */
    uint8_t *pixels;               /* channels x height x width bytes, planar (CHW) */
} nin_image;

/* Load a PNG, PGM (P2/P5) or PPM (P3/P6) file, chosen by its content. Alpha is dropped, 16-bit samples are
 * scaled to 8 bits, palettes expanded. Returns 0, or -1 with one line in err naming the file and the problem. */
int nin_image_load(const char *path, nin_image *img, char *err, size_t err_size);
/* Write an 8-bit gray or RGB PNG. Returns 0, or -1 with one line in err. */
int nin_image_save_png(const char *path, const nin_image *img, char *err, size_t err_size);
/* Bilinear resize to height x width and convert to `channels` (gray <-> RGB by luma / replication) into a new
 * image dst. Returns 0, or -1 with one line in nin_last_error() (a channel count other than 1 or 3, a size
 * below 1, out of host memory), dst then empty. */
int nin_image_convert(const nin_image *src, int channels, int height, int width, nin_image *dst);
void nin_image_free(nin_image *img);

#endif
