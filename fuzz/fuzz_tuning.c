/* fuzz_tuning.c - the per-device tuning file, read into a GEMM tuning: whatever the file says, every tiled
 * parameter ends in its range, and one that must be a candidate (the tile height) is one. */
#include <nin/runtime.h>
#include "runtime_impl.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nin_gemm_tuning t = nin_gemm_tuning_default();
    char err[1600];
    int status = nin_tuning_read(fuzz_write("device.tune", data, size), &t, err, sizeof err);
    if (status < 0)
        fuzz_expect_error_line(err);
    FUZZ_ASSERT(status >= -1 && status <= 1 && (t.backend == NIN_GEMM_CLBLAST || t.backend == NIN_GEMM_TILED));
    for (int p = 0; p < NIN_TILED_PARAMS; p++)
        FUZZ_ASSERT(nin_tiled_param_valid(p, *nin_tiled_param_field(&t, p)));
    return 0;
}
