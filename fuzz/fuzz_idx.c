/* fuzz_idx.c - the MNIST IDX loader (plain and gzip). The input is a 4-byte little-endian length n, then n bytes
 * of train-images-idx3-ubyte and the rest as train-labels-idx1-ubyte. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = size >= 4 ? (size_t)data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24 : 0;
    data += size >= 4 ? 4 : size;
    size -= size >= 4 ? 4 : size;
    if (n > size)
        n = size;
    fuzz_write("train-images-idx3-ubyte", data, n);
    fuzz_write("train-labels-idx1-ubyte", data + n, size - n);
    fuzz_load_dataset("mnist", NIN_SPLIT_TRAIN);
    return 0;
}
