/* cli_import.c - `nin-cl import MODEL.onnx -o OUT.nin`: an ONNX model of a NIN's operators as a nin-cl checkpoint
 * that tests, predicts, maps and fine-tunes like a trained one (onnx_import.c does the reading). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "onnx_impl.h"

typedef struct import_args {
    const char *model, *out, *mean, *std;
    const nin_dataset_spec *dataset;
} import_args;

static const cli_option import_options[] = {
    { .name = "MODEL.onnx", .kind = CLI_STRING, .offset = offsetof(import_args, model),
      .flags = CLI_ARGUMENT | CLI_REQUIRED, .help = "the ONNX model" },
    { .name = "out", .short_name = 'o', .kind = CLI_STRING, .offset = offsetof(import_args, out),
      .metavar = "OUT.nin", .flags = CLI_REQUIRED, .help = "the checkpoint to write" },
    { .name = "dataset", .kind = CLI_DATASET, .offset = offsetof(import_args, dataset), .metavar = "NAME",
      .help = "the dataset the model is for (its train defaults, and what nin-cl test checks it against)",
      .shown_default = "the model's metadata nin.dataset, else none" },
    { .name = "mean", .kind = CLI_STRING, .offset = offsetof(import_args, mean), .metavar = "M[,M,M]",
      .help = "the model's input is torchvision's Normalize(mean, std) of pixel / 255: its mean per channel",
      .shown_default = "0 (the input is pixel / 255, torchvision's ToTensor)" },
    { .name = "std", .kind = CLI_STRING, .offset = offsetof(import_args, std), .metavar = "S[,S,S]",
      .help = "and its standard deviation per channel", .shown_default = "1" },
    CLI_END,
};

/* "M" or "M,M,M" into three values (one repeated); `positive`: each above 0. */
static void parse_triple(const char *option, const char *text, int positive, float *out)
{
    char *end;
    int n = 0;
    for (const char *s = text; n < 3; s = end + 1) {
        out[n++] = strtof(s, &end);
        if (end == s || (positive && !(out[n - 1] > 0.0f)) || (*end && *end != ','))
            cli_usage_error("--%s takes one number or three separated by commas%s, not '%s'", option,
                            positive ? ", each above 0" : "", text);
        if (!*end)
            break;
    }
    if (n == 2 || (n == 3 && *end))
        cli_usage_error("--%s takes one number or three separated by commas, not '%s'", option, text);
    for (int k = n; k < 3; k++)
        out[k] = out[0];
}

/* The file's bytes (exit 1 when it cannot be read). */
static char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f || fseek(f, 0, SEEK_END) != 0)
        cli_fatal("cannot open %s", path);
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0)
        cli_fatal("cannot read %s", path);
    char *data = cli_malloc((size_t)n + 1);
    if (fread(data, 1, (size_t)n, f) != (size_t)n)
        cli_fatal("cannot read %s", path);
    fclose(f);
    *size = (size_t)n;
    return data;
}

static int cmd_import(const nin_options *opt, int argc, char **argv)
{
    (void)opt;
    import_args a = { 0 };
    cli_parse(&cli_import, argc, argv, &a);
    nin_onnx_options o = { .has_norm = a.mean || a.std, .mean = { 0, 0, 0 }, .std = { 1, 1, 1 } };
    if (a.mean)
        parse_triple("mean", a.mean, 0, o.mean);
    if (a.std)
        parse_triple("std", a.std, 1, o.std);
    size_t size;
    char *data = read_file(a.model, &size), err[1600];
    nin_checkpoint ck;
    nin_train_config_defaults(&ck.config, a.dataset ? a.dataset->name : "");
    if (nin_onnx_import_with(data, size, a.model, &o, &ck, NULL, err, sizeof err) != 0)
        cli_fatal("%s", err);
    free(data);
    if (!a.dataset && ck.config.dataset[0]) {   /* named by the model: that dataset's train defaults */
        char netdef[sizeof ck.config.netdef], dataset[sizeof ck.config.dataset];
        memcpy(netdef, ck.config.netdef, sizeof netdef);
        memcpy(dataset, ck.config.dataset, sizeof dataset);
        nin_train_config_defaults(&ck.config, dataset);
        memcpy(ck.config.netdef, netdef, sizeof netdef);
    }
    if (nin_checkpoint_save(a.out, &ck, err, sizeof err) != 0)
        cli_fatal("%s", err);
    printf("imported %s: netdef %s, input %dx%dx%d, %d classes, preprocessing (x - %.6g", a.model, ck.config.netdef,
           ck.input.c, ck.input.h, ck.input.w, ck.classes, ck.pre.mean[0]);
    for (int c = 1; c < ck.input.c; c++)
        printf(",%.6g", ck.pre.mean[c]);
    printf(") / %.6g", ck.pre.std[0]);
    for (int c = 1; c < ck.input.c; c++)
        printf(",%.6g", ck.pre.std[c]);
    printf(" of pixels 0..255, dataset %s -> %s\n", ck.config.dataset[0] ? ck.config.dataset : "none", a.out);
    nin_checkpoint_free(&ck);
    return 0;
}

const cli_command cli_import = {
    .name = "import",
    .summary = "an ONNX model made of a NIN's operators as a nin-cl checkpoint",
    .synopsis = "MODEL.onnx -o OUT.nin [--dataset NAME] [--mean M[,M,M]] [--std S[,S,S]]",
    .about = "Conv, Relu, MaxPool and AveragePool (ceil mode), GlobalAveragePool, Dropout, BatchNormalization, "
             "Flatten, Gemm or MatMul + Add, and a final Softmax become nin-cl layers; constant Sub/Div/Mul/Add "
             "before the first layer become the preprocessing. Anything else is refused with one line naming the "
             "node, its operator and why.",
    .options = import_options,
    .run = cmd_import,
};
