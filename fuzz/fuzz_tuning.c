/* fuzz_tuning.c - the per-device tuning file. */
#include <nin/net.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nin_gemm_backend gemm = NIN_GEMM_CLBLAST;
    char err[1600];
    int status = nin_tuning_read(fuzz_write("device.tune", data, size), &gemm, err, sizeof err);
    if (status < 0)
        fuzz_expect_error_line(err);
    FUZZ_ASSERT(status >= -1 && status <= 1 && (gemm == NIN_GEMM_CLBLAST || gemm == NIN_GEMM_TILED));
    return 0;
}
