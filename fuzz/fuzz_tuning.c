/* fuzz_tuning.c - the per-device tuning file, read into a GEMM tuning. */
#include <nin/runtime.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nin_gemm_tuning t = nin_gemm_tuning_default();
    char err[1600];
    int status = nin_tuning_read(fuzz_write("device.tune", data, size), &t, err, sizeof err);
    if (status < 0)
        fuzz_expect_error_line(err);
    FUZZ_ASSERT(status >= -1 && status <= 1 && (t.backend == NIN_GEMM_CLBLAST || t.backend == NIN_GEMM_TILED));
    FUZZ_ASSERT(t.tile_rows == 4 || t.tile_rows == 6 || t.tile_rows == 8);
    FUZZ_ASSERT(t.row_tiles >= 1 && t.k_block >= 1 && t.block_n >= 1 && t.pack_b_rows >= 1);
    return 0;
}
