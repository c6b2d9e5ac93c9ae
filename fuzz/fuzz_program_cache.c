/* fuzz_program_cache.c - a compiled-program cache entry: an entry that fails a check is refused (and then
 * rebuilt by the runtime), never trusted; nothing is allocated beyond what the file holds. */
#include "runtime_impl.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t binary_size = 0;
    unsigned char *binary = nin_program_cache_read(fuzz_write("entry.bin", data, size), &binary_size);
    if (binary) {
        FUZZ_ASSERT(binary_size + 20 == size && memcmp(binary, data + 16, binary_size) == 0);
        free(binary);
    }
    return 0;
}
