/* fuzz_onnx.c - the ONNX importer (untrusted model files): refused with one line and nothing left to free, or
 * read into a checkpoint whose netdef parses and whose parameter count is that netdef's on its input. */
#include <nin/onnx.h>
#include "fuzz.h"
#include "net_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nin_checkpoint ck;
    char err[1400];
    memset(&ck.config, 0, sizeof ck.config);
    if (nin_onnx_import_memory(data, size, "model.onnx", &ck, err, sizeof err) != 0) {
        fuzz_expect_error_line(err);
        FUZZ_ASSERT(!ck.weights && !ck.momentum && !ck.class_names);
        return 0;
    }
    nin_netdef def;
    FUZZ_ASSERT(nin_netdef_parse(ck.config.netdef, &def, err, sizeof err) == 0);
    nin_net *plan = nin_net_plan(&def, ck.input, 1, err, sizeof err);
    FUZZ_ASSERT(plan && plan->params == ck.params);
    nin_shape out = nin_net_output_shape(plan);
    FUZZ_ASSERT(out.c * out.h * out.w == ck.classes);
    free(plan);
    nin_checkpoint_free(&ck);
    return 0;
}
