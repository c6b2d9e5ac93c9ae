/* fuzz_idx.c - the MNIST IDX loader (plain and gzip). The input is a 4-byte little-endian length n, then n bytes
 * of train-images-idx3-ubyte and the rest as train-labels-idx1-ubyte. */
#include <nin/data.h>
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
    const nin_dataset_spec *spec = nin_dataset_find("mnist");
    nin_dataset d;
    char err[1024];
    if (nin_dataset_load(spec, fuzz_dir, NIN_SPLIT_TRAIN, &d, err, sizeof err) != 0) {
        fuzz_expect_error_line(err);
        FUZZ_ASSERT(!d.images && !d.labels && d.count == 0);
        return 0;
    }
    for (int i = 0; i < d.count; i++)
        FUZZ_ASSERT(d.labels[i] >= 0 && d.labels[i] < spec->classes);
    nin_dataset_free(&d);
    return 0;
}
