/* fuzz_netdef.c - the netdef grammar, then the layout and memory budget of what it accepts (no allocation of
 * the network's buffers). An accepted netdef must format to a string that parses to the same network. */
#include <nin/budget.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[4096], formatted[8192], again[8192], err[512];
    if (size >= sizeof text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    nin_netdef def, def2;
    if (nin_netdef_parse(text, &def, err, sizeof err) != 0) {
        fuzz_expect_error_line(err);
        return 0;
    }
    nin_netdef_format(&def, formatted, sizeof formatted);
    FUZZ_ASSERT(nin_netdef_parse(formatted, &def2, err, sizeof err) == 0);
    nin_netdef_format(&def2, again, sizeof again);
    FUZZ_ASSERT(strcmp(formatted, again) == 0);
    nin_budget b;
    const nin_gemm_tuning untuned = nin_gemm_tuning_default();
    const nin_shape inputs[] = { { 3, 32, 32 }, { 1, 28, 28 } };
    for (int i = 0; i < 2; i++)
        if (nin_budget_compute(&def, inputs[i], 2, &untuned, &b, err, sizeof err) != 0)
            fuzz_expect_error_line(err);
        else
            FUZZ_ASSERT(b.total >= b.parameters && b.largest_buffer <= b.total);
    return 0;
}
