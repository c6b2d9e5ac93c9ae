/* fuzz_cifar.c - the CIFAR-10 and CIFAR-100 binary batch loaders: the input is test_batch.bin and test.bin. */
#include <nin/data.h>
#include "fuzz.h"

static void load(const char *name, const char *file, const uint8_t *data, size_t size)
{
    const nin_dataset_spec *spec = nin_dataset_find(name);
    nin_dataset d;
    char err[1024];
    fuzz_write(file, data, size);
    if (nin_dataset_load(spec, fuzz_dir, NIN_SPLIT_TEST, &d, err, sizeof err) != 0) {
        fuzz_expect_error_line(err);
        FUZZ_ASSERT(!d.images && !d.labels && d.count == 0);
        return;
    }
    for (int i = 0; i < d.count; i++)
        FUZZ_ASSERT(d.labels[i] >= 0 && d.labels[i] < spec->classes);
    nin_dataset_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load("cifar10", "test_batch.bin", data, size);
    load("cifar100", "test.bin", data, size);
    return 0;
}
