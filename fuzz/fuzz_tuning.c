/* fuzz_tuning.c - the per-device tuning file, read into a context's GEMM settings. */
#include <nin/net.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static nin_context ctx;   /* only its GEMM settings are read into */
    char err[1600];
    ctx.gemm = NIN_GEMM_CLBLAST;
    ctx.gemm_row_tiles = ctx.gemm_k_block = ctx.gemm_block_n = 1;
    int status = nin_tuning_read(fuzz_write("device.tune", data, size), &ctx, err, sizeof err);
    if (status < 0)
        fuzz_expect_error_line(err);
    FUZZ_ASSERT(status >= -1 && status <= 1 && (ctx.gemm == NIN_GEMM_CLBLAST || ctx.gemm == NIN_GEMM_TILED));
    FUZZ_ASSERT(ctx.gemm_row_tiles >= 1 && ctx.gemm_k_block >= 1 && ctx.gemm_block_n >= 1);
    return 0;
}
