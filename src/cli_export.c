/* cli_export.c - `nin-cl export`: a checkpoint as an ONNX model (nin/onnx.h) that other runtimes run from the
 * pixels on, its preprocessing included; one line on success naming the file, the opset, the nodes and the
 * size. */
#include <stdio.h>
#include <nin/onnx.h>
#include "cli.h"

typedef struct export_args {
    const char *model, *output;
} export_args;

static const cli_option export_options[] = {
    { .name = "model", .kind = CLI_STRING, .offset = offsetof(export_args, model), .metavar = "FILE",
      .flags = CLI_REQUIRED,
      .help = "the model: a checkpoint nin-cl train wrote (last.nin, best.nin, ...), or an imported ONNX model" },
    { .name = "output", .short_name = 'o', .kind = CLI_STRING, .offset = offsetof(export_args, output),
      .metavar = "OUT.onnx", .flags = CLI_REQUIRED, .help = "the ONNX model to write (replaced atomically)" },
    CLI_END,
};

static int cmd_export(const nin_options *opt, int argc, char **argv)
{
    (void)opt;
    export_args a = { NULL, NULL };
    cli_parse(&cli_export, argc, argv, &a);
    nin_checkpoint ck;
    cli_read_checkpoint(a.model, &ck);
    char err[1400];
    nin_onnx_summary s;
    if (nin_onnx_export_summary(&ck, a.output, &s, err, sizeof err) != 0)
        cli_fatal("%s", err);
    printf("%s: ONNX opset %d, %d nodes, %zu bytes (%s, %s preprocessing, %d classes)\n", a.output, s.opset,
           s.nodes, s.bytes, ck.config.netdef, nin_preprocess_name(ck.pre.kind), ck.classes);
    nin_checkpoint_free(&ck);
    return 0;
}

const cli_command cli_export = {
    .name = "export",
    .summary = "write a checkpoint as an ONNX model (opset 13) with its preprocessing, netdef and class names",
    .synopsis = "--model FILE -o OUT.onnx",
    .about = "The model's input \"image\" is N x C x H x W float32 pixel values 0..255; its outputs are \"logits\" "
             "and \"probabilities\" (their softmax), N x classes. The preprocessing (standardize, zca or lcn) is "
             "part of the graph; the netdef, dataset, input shape, preprocessing and class names are in its "
             "metadata_props (nin.netdef, nin.dataset, nin.input, nin.input_range, nin.preprocess, "
             "nin.class_names).",
    .options = export_options,
    .run = cmd_export,
};
