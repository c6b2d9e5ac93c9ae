/* fuzz_cifar.c - the CIFAR-10 and CIFAR-100 binary batch loaders: the input is test_batch.bin and test.bin. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write("test_batch.bin", data, size);
    fuzz_load_dataset("cifar10", NIN_SPLIT_TEST);
    fuzz_write("test.bin", data, size);
    fuzz_load_dataset("cifar100", NIN_SPLIT_TEST);
    return 0;
}
