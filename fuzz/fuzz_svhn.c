/* fuzz_svhn.c - the SVHN loader: the input is test_32x32.mat, read through libmatio with nin-cl's dimension,
 * type and integrity checks in front. */
#include <nin/data.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const nin_dataset_spec *spec = nin_dataset_find("svhn");
    nin_dataset d;
    char err[1024];
    fuzz_write("test_32x32.mat", data, size);
    if (nin_dataset_load(spec, fuzz_dir, NIN_SPLIT_TEST, &d, err, sizeof err) != 0) {
        fuzz_expect_error_line(err);
        FUZZ_ASSERT(!d.images && !d.labels && d.count == 0);
        return 0;
    }
    for (int i = 0; i < d.count; i++)
        FUZZ_ASSERT(d.labels[i] >= 0 && d.labels[i] < spec->classes);
    nin_dataset_free(&d);
    return 0;
}
