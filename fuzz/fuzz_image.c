/* fuzz_image.c - the image reader (PNG through libpng, JPEG through libjpeg-turbo, PGM/PPM P2/P3/P5/P6), at full
 * size and at the smallest JPEG DCT scale that keeps 8 pixels, then a resize and a fit of what it read. */
#include <nin/image.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("image", data, size);
    for (int min_side = 0; min_side <= 8; min_side += 8) {
        nin_image img = { 0 }, small = { 0 };
        char err[1024];
        if (nin_image_load_scaled(path, min_side, &img, err, sizeof err) != 0) {
            fuzz_expect_error_line(err);
            FUZZ_ASSERT(!img.pixels);
            return 0;
        }
        FUZZ_ASSERT((img.channels == 1 || img.channels == 3) && img.height > 0 && img.width > 0);
        FUZZ_ASSERT(nin_image_convert(&img, 3, 8, 8, &small) == 0);
        nin_image_free(&small);
        FUZZ_ASSERT(nin_image_fit(&img, 1, 8, &small) == 0);
        nin_image_free(&small);
        nin_image_free(&img);
    }
    return 0;
}
