/* fuzz_checkpoint.c - the checkpoint reader. Each input is read as it is, then with its trailing CRC32 made
 * right, so that the section parser behind the CRC check is fuzzed too. What the reader accepts must survive a
 * save and a second load unchanged. */
#include <zlib.h>
#include <nin/train.h>
#include "fuzz.h"

static void load(const uint8_t *data, size_t size)
{
    nin_checkpoint a, b;
    char err[1400];
    if (nin_checkpoint_load(fuzz_write("model.nin", data, size), &a, err, sizeof err) != 0) {
        fuzz_expect_error_line(err);
        FUZZ_ASSERT(!a.weights && !a.momentum);
        return;
    }
    char path[128];
    snprintf(path, sizeof path, "%s", fuzz_path("resaved.nin"));
    FUZZ_ASSERT(nin_checkpoint_save(path, &a, err, sizeof err) == 0);
    FUZZ_ASSERT(nin_checkpoint_load(path, &b, err, sizeof err) == 0);
    FUZZ_ASSERT(a.params == b.params && memcmp(a.weights, b.weights, a.params * sizeof(float)) == 0);
    FUZZ_ASSERT(memcmp(&a.state, &b.state, sizeof a.state) == 0 && a.classes == b.classes);
    FUZZ_ASSERT(memcmp(&a.data, &b.data, sizeof a.data) == 0);
    nin_checkpoint_free(&a);
    nin_checkpoint_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load(data, size);
    if (size >= 4 && size < (1u << 20)) {
        uint8_t *fixed = malloc(size);
        memcpy(fixed, data, size);
        uint32_t crc = (uint32_t)crc32(0L, fixed, (uInt)(size - 4));
        memcpy(fixed + size - 4, &crc, 4);
        load(fixed, size);
        free(fixed);
    }
    return 0;
}
