/* cli.h - what the subcommands of nin-cl share (internal). */
#ifndef NIN_CLI_H
#define NIN_CLI_H

#include <nin/nin.h>
#include <nin/train.h>

typedef struct nin_options {
    int device;   /* -1: the default device */
} nin_options;

/* A subcommand: argv[0] is its name. Returns the process exit status. */
typedef int (*nin_command_fn)(const nin_options *opt, int argc, char **argv);

/* A whole number in [min, max] from an option's text, or one error line naming the option (cli_train.c). */
long cli_parse_long(const char *option, const char *text, long min, long max);

/* Open device `index` (-1: the default): an index past the device table prints the table and exits 2; any
 * other failure (no device, a kernel build failure) prints the library's error and exits 1 (nin-cl.c). */
nin_context *cli_open_device(int index);

int cmd_train(const nin_options *opt, int argc, char **argv);     /* cli_train.c */
/* Load --model FILE and build its network for `batch` images on the device: forward-only, or with training
 * set the whole network (gradients, every layer's output kept). */
nin_net *load_model(nin_context *ctx, const char *path, int batch, int training, nin_checkpoint *ck);
int cmd_test(const nin_options *opt, int argc, char **argv);
int cmd_predict(const nin_options *opt, int argc, char **argv);
int cmd_bench(const nin_options *opt, int argc, char **argv);     /* cli_bench.c */
int cmd_tune(const nin_options *opt, int argc, char **argv);
int cmd_download(const nin_options *opt, int argc, char **argv);   /* cli_download.c */
int cmd_inspect(const nin_options *opt, int argc, char **argv);    /* cli_inspect.c */
int cmd_maps(const nin_options *opt, int argc, char **argv);       /* cli_maps.c */
int cmd_plot(const nin_options *opt, int argc, char **argv);       /* cli_plot.c */

#endif
