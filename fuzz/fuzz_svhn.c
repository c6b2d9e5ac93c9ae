/* fuzz_svhn.c - the SVHN loader: the input is test_32x32.mat, read through libmatio with nin-cl's dimension,
 * type and integrity checks in front. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_write("test_32x32.mat", data, size);
    fuzz_load_dataset("svhn", NIN_SPLIT_TEST);
    return 0;
}
