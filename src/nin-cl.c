/* nin-cl.c - the command line: global options, then one subcommand from the dispatch table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include <nin/nin.h>
#include "cli.h"

typedef struct command {
    const char *name;
    const char *summary;
    nin_command_fn run;
} command;

static int cmd_selftest(const nin_options *opt, int argc, char **argv);
static int cmd_info(const nin_options *opt, int argc, char **argv);

static const command commands[] = {
    { "selftest", "run a small network on the device and on the C reference and compare them", cmd_selftest },
    { "train", "train a network: train DATASET [options] (train --help for them)", cmd_train },
    { "test", "evaluate a checkpoint: test --model FILE DATASET [--data DIR]", cmd_test },
    { "predict", "classify images (PNG, PGM, PPM): predict --model FILE IMAGE...", cmd_predict },
    { "bench", "training and inference img/s and a per-kernel profile: bench [PRESET|NETDEF] [--batch N]", cmd_bench },
    { "tune", "measure the GEMM implementations on a network's shapes and save the faster: tune [PRESET]", cmd_tune },
    { "info", "print a network's layers and parameter count: info NETDEF|PRESET [C H W]", cmd_info },
    { "download", "fetch a dataset, check its MD5 sums, unpack it: download NAME [--data DIR] [--extra]",
      cmd_download },
    { "inspect", "a checkpoint's weight and gradient norms, activations and dead units on a batch: inspect "
      "--model FILE [--data DIR] [--batch N]", cmd_inspect },
    { "maps", "class confidence maps as heat-maps, boxes from them: maps --model FILE IMAGE... -o OUT.png",
      cmd_maps },
    { "plot", "loss and accuracy curves of runs: plot RUN_DIR/metrics.csv... -o OUT.png", cmd_plot },
};
#define COMMAND_COUNT (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *out)
{
    fprintf(out, "usage: nin-cl [--devices] [--device N] COMMAND [ARGS]\n\n"
                 "options:\n"
                 "  --devices     list the OpenCL devices with their index\n"
                 "  --device N    run on device N of that list (default: $NIN_DEVICE, else the first GPU,\n"
                 "                else the first device)\n"
                 "  --help        this text\n"
                 "  --version     the version\n\ncommands:\n");
    for (int i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
}

/* A whole non-negative decimal number, or exit 2 naming the option. */
static int parse_index(const char *text, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 0 || v > 1000000) {
        fprintf(stderr, "nin-cl: error: %s must be a device index (see nin-cl --devices), not '%s'\n", what, text);
        exit(2);
    }
    return (int)v;
}

nin_context *cli_open_device(int index)
{
    nin_device_info *devices;
    int count = nin_list_devices(&devices);
    if (count > 0 && index >= count) {
        fprintf(stderr, "nin-cl: error: no OpenCL device %d; the devices are:\n", index);
        nin_print_devices(stderr, devices, count);
        exit(2);
    }
    free(devices);
    nin_context *ctx = nin_context_create(index);
    if (!ctx)
        nin_fatal("%s", nin_last_error());
    return ctx;
}

static int list_devices(void)
{
    nin_device_info *devices;
    int count = nin_list_devices(&devices);
    if (count < 0)
        nin_fatal("%s", nin_last_error());
    nin_print_devices(stdout, devices, count);
    free(devices);
    return count ? 0 : 1;
}

static int cmd_selftest(const nin_options *opt, int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        nin_fatal("selftest takes no arguments");
    nin_context *ctx = cli_open_device(opt->device);
    int status = nin_selftest(ctx, stdout);
    nin_context_free(ctx);
    return status;
}

static int cmd_info(const nin_options *opt, int argc, char **argv)
{
    (void)opt;
    if (argc != 2 && argc != 5)
        nin_fatal("usage: nin-cl info NETDEF|PRESET [CHANNELS HEIGHT WIDTH]");
    nin_netdef def;
    char err[256];
    if (nin_netdef_parse(argv[1], &def, err, sizeof err) != 0)
        nin_fatal("%s", err);
    nin_shape input = { 3, 32, 32 };
    if (argc == 5)
        input = (nin_shape){ (int)cli_parse_long("CHANNELS", argv[2], 1, 4096),
                             (int)cli_parse_long("HEIGHT", argv[3], 1, 65536),
                             (int)cli_parse_long("WIDTH", argv[4], 1, 65536) };
    nin_net *net = nin_net_create(NULL, &def, input, 1, 0, 0.0f);
    nin_net_describe(net, stdout);
    nin_net_free(net);
    return 0;
}

int main(int argc, char **argv)
{
    nin_options opt = { -1 };
    const char *env = getenv("NIN_DEVICE");
    if (env && *env)
        opt.device = parse_index(env, "NIN_DEVICE");
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--devices") == 0)
            return list_devices();
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("nin-cl %s\n", PACKAGE_VERSION);
            return 0;
        }
        if (strcmp(argv[i], "--device") == 0 && i + 1 < argc)
            opt.device = parse_index(argv[++i], "--device");
        else if (strncmp(argv[i], "--device=", 9) == 0)
            opt.device = parse_index(argv[i] + 9, "--device");
        else {
            fprintf(stderr, "nin-cl: error: unknown option '%s' (see nin-cl --help)\n", argv[i]);
            return 2;
        }
    }
    if (i == argc) {
        usage(stderr);
        return 2;
    }
    for (int c = 0; c < COMMAND_COUNT; c++)
        if (strcmp(argv[i], commands[c].name) == 0)
            return commands[c].run(&opt, argc - i, argv + i);
    fprintf(stderr, "nin-cl: error: unknown command '%s' (see nin-cl --help)\n", argv[i]);
    return 2;
}
