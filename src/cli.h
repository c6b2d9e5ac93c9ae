/* cli.h - what the subcommands of nin-cl share (internal to the program): the global options, each
 * subcommand's table (cli_args.h), and the command-line layer's one way to report an error, to pick the
 * device, to read a network definition, to load a checkpoint into a network and to load a dataset split
 * (cli_common.c). libnin returns its errors; only this layer prints them and decides the exit status. */
#ifndef NIN_CLI_H
#define NIN_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <nin/nin.h>
#include <nin/train.h>
#include "cli_args.h"

struct nin_options {
    int device;   /* -1: the default device */
};

/* The subcommands, in the order nin-cl --help lists them. */
extern const cli_command cli_selftest, cli_info;                 /* nin-cl.c */
extern const cli_command cli_train, cli_test, cli_predict;       /* cli_train.c */
extern const cli_command cli_bench, cli_tune;                    /* cli_bench.c */
extern const cli_command cli_download;                           /* cli_download.c */
extern const cli_command cli_inspect;                            /* cli_inspect.c */
extern const cli_command cli_maps;                               /* cli_maps.c */
extern const cli_command cli_plot;                               /* cli_plot.c */
extern const cli_command cli_export, cli_import;                 /* cli_export.c, cli_import.c */

/* The options several subcommands take, declared once. */
#define CLI_MODEL_OPTION(type)                                                                                  \
    { .name = "model", .kind = CLI_STRING, .offset = offsetof(type, model), .metavar = "FILE",                 \
      .flags = CLI_REQUIRED, .help = "the model: a .nin checkpoint that nin-cl train wrote, or an ONNX model" }
#define CLI_DATA_OPTION(type, what)                                                                              \
    { .name = "data", .kind = CLI_STRING, .offset = offsetof(type, data), .metavar = "DIR", .help = what,        \
      .shown_default = "where the model was trained when NAME is its dataset, else $NIN_DATA_DIR/NAME, else "      \
                       "~/.local/share/nin-cl/NAME" }

/* --- errors (cli_common.c) ----------------------------------------------------------------------------- */

/* "nin-cl: error: MESSAGE" on stderr and exit status 1: something the command line names failed. */
void cli_fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* A library call's status: -1 prints nin_last_error() and exits 1; any other value is returned. */
int cli_check(int status);
/* A library call's pointer: NULL prints nin_last_error() and exits 1. */
void *cli_check_ptr(void *p);
/* malloc/calloc for the program: out of host memory ends it with one line. */
void *cli_malloc(size_t bytes);
void *cli_calloc(size_t count, size_t size);

/* --- what the commands load (cli_common.c) ------------------------------------------------------------- */

/* The spec of a dataset named on the command line, or exit CLI_EXIT_USAGE "unknown dataset" (cli_args.c). */
const nin_dataset_spec *cli_find_dataset(const char *name);
/* A network definition or preset from the command line; a bad one is a usage error prefixed by `what`
 * ("--net: ", or ""). */
void cli_parse_netdef(const char *what, const char *text, nin_netdef *def);
/* The index of device `requested` (-1: the default) in *devices (the caller frees them). No device: exit 1;
 * no device of that index: the list of devices and exit CLI_EXIT_USAGE. */
int cli_pick_device(int requested, nin_device_info **devices);
/* Open device `requested` (-1: the default) and build its kernels. */
nin_context *cli_open_context(int requested);

/* A model file (--model FILE: a checkpoint or ONNX) as a network on the device: what test, inspect and maps work
 * with (predict uses libnin's nin_model). */
typedef struct cli_model {
    const char *path;
    nin_checkpoint ck;
    nin_context *ctx;
    nin_netdef def;
    nin_net *net;
} cli_model;

/* Read a model file, a checkpoint or an ONNX model (nin_model_file_load); a bad one exits 1 with the reader's
 * line. */
void cli_read_checkpoint(const char *path, nin_checkpoint *ck);
/* Read the model's checkpoint file. */
void cli_load_checkpoint(cli_model *m, const char *path);
/* Open device `requested` and build the checkpoint's network there for `batch` images, holding its weights:
 * forward-only, or with `training` the whole network (gradients, every layer's output kept). */
void cli_build_model(cli_model *m, int requested, int batch, int training);
/* Both. */
void cli_open_model(cli_model *m, const char *path, int requested, int batch, int training);
void cli_close_model(cli_model *m);
/* Load one split of dataset `spec` for the checkpoint `ck` (read from path) from `data` (--data; NULL: where
 * the model was trained, when spec is its dataset, else the default directory), an image folder as the
 * model's run read it; the directory goes to dir. Exit 1 unless the images and classes are the model's. */
void cli_load_model_data(const char *path, const nin_checkpoint *ck, const nin_dataset_spec *spec, const char *data,
                         nin_split split, nin_dataset *out, char *dir, size_t dir_size);

/* --- what `nin-cl test` reports besides its summary line (cli_confusion.c) ------------------------------ */

/* The confusion matrix of `count` predictions (classes x classes, row = true class, column = predicted class;
 * the caller frees it); a class outside [0, classes) exits 1. */
int64_t *cli_confusion(const int *labels, const int *predicted, int count, int classes);
/* Each class's correct/total and accuracy, then the matrix (up to 20 classes) or its 10 largest counts off the
 * diagonal. Classes are named by index, and by names[c] too where names is not NULL. */
void cli_print_confusion(FILE *out, const int64_t *matrix, int classes, const char *const *names);
/* The matrix drawn as a PNG at path: cells coloured by their share of the row, counts where they fit, the
 * classes on both axes. A file that cannot be written exits 1 with one line naming it. */
void cli_draw_confusion(const char *path, const int64_t *matrix, int classes, const char *const *names);

#endif
