/* image_impl.h - what the image readers share (internal): the size limit, the pixel allocation, and the
 * JPEG reader of jpeg.c, which nin_image_load_scaled (image.c) calls when a file starts with FF D8 FF. */
#ifndef NIN_IMAGE_IMPL_H
#define NIN_IMAGE_IMPL_H

#include <stdio.h>
#include <nin/image.h>

/* Large enough for any photo we would classify, small enough that channels * width * height * 2 bytes
 * fits in 32 bits: past the header checks no size computation can overflow, even with a 32-bit size_t. */
#define NIN_IMAGE_MAX_SIDE 16384

/* Allocate img->pixels for channels x height x width, sizes already range-checked: 0, or -1 when out of memory. */
int nin_image_alloc(nin_image *img, int channels, int height, int width);

/* Bytes left in a regular file from the current position, or -1 when that cannot be known (a pipe). */
long long nin_file_bytes_left(FILE *f);

/* Decode the JPEG in f, whose first magic_size bytes (magic) have already been read, at the smallest DCT scale
 * k/8 whose shorter side is still >= min_side (full size when min_side <= 0). Returns 0, or -1 with one line
 * "PATH: bad JPEG: ..." in err and img empty. */
int nin_jpeg_load(FILE *f, const unsigned char *magic, size_t magic_size, const char *path, int min_side,
                  nin_image *img, char *err, size_t err_size);

#endif
