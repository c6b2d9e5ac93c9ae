/* nin-cl.c - the command line: nin-cl's own options (the device), then one subcommand from the list of
 * command tables; and the two smallest subcommands, selftest and info. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include <nin/nin.h>
#include "cli.h"

/* --- selftest ---------------------------------------------------------------------------------------- */

static int cmd_selftest(const nin_options *opt, int argc, char **argv)
{
    cli_parse(&cli_selftest, argc, argv, NULL);
    nin_context *ctx = cli_open_context(opt->device);
    int status = cli_check(nin_selftest(ctx, stdout));
    nin_context_free(ctx);
    return status;
}

static const cli_option selftest_options[] = { CLI_END };

const cli_command cli_selftest = {
    .name = "selftest",
    .summary = "run a small network on the device and on the C reference and compare them",
    .synopsis = "",
    .options = selftest_options,
    .run = cmd_selftest,
};

/* --- info -------------------------------------------------------------------------------------------- */

typedef struct info_args {
    const char *netdef;
    nin_shape input;
} info_args;

static const cli_option info_options[] = {
    { .name = "NETDEF|PRESET", .kind = CLI_STRING, .offset = offsetof(info_args, netdef),
      .flags = CLI_ARGUMENT | CLI_REQUIRED, .help = "a network definition (e.g. 96c5p2-mp3s2-10c1l-gap) or a preset" },
    { .name = "CHANNELS", .kind = CLI_INT, .offset = offsetof(info_args, input.c), .min = 1, .max = 4096,
      .flags = CLI_ARGUMENT, .help = "the input's channels" },
    { .name = "HEIGHT", .kind = CLI_INT, .offset = offsetof(info_args, input.h), .min = 1, .max = 65536,
      .flags = CLI_ARGUMENT, .help = "its height" },
    { .name = "WIDTH", .kind = CLI_INT, .offset = offsetof(info_args, input.w), .min = 1, .max = 65536,
      .flags = CLI_ARGUMENT, .help = "its width" },
    CLI_END,
};

static int cmd_info(const nin_options *opt, int argc, char **argv)
{
    (void)opt;
    info_args a = { NULL, { 3, 32, 32 } };
    cli_parsed parsed = cli_parse(&cli_info, argc, argv, &a);
    if (parsed.arguments != 1 && parsed.arguments != 4)
        cli_usage_error("info takes NETDEF|PRESET and either none or all of CHANNELS HEIGHT WIDTH");
    nin_netdef def;
    cli_parse_netdef("", a.netdef, &def);
    nin_net *net = cli_check_ptr(nin_net_create(NULL, &def, a.input, 1, 0, 0.0f));
    nin_net_describe(net, stdout);
    nin_net_free(net);
    return 0;
}

const cli_command cli_info = {
    .name = "info",
    .summary = "print a network's layers and parameter count",
    .synopsis = "NETDEF|PRESET [CHANNELS HEIGHT WIDTH]",
    .options = info_options,
    .run = cmd_info,
};

/* --- nin-cl itself ----------------------------------------------------------------------------------- */

static const cli_command *const commands[] = {
    &cli_selftest, &cli_train, &cli_test, &cli_predict, &cli_bench, &cli_tune, &cli_info, &cli_download,
    &cli_inspect, &cli_maps, &cli_plot, &cli_export, &cli_import, NULL,
};

typedef struct global_args {
    int devices, device, version, list_options, parse_only;
    cli_list command;
} global_args;

static const cli_option global_options[] = {
    { .name = "COMMAND", .kind = CLI_REST, .offset = offsetof(global_args, command),
      .flags = CLI_ARGUMENT | CLI_VERBATIM,
      .help = "one of the commands below, then its arguments (nin-cl COMMAND --help lists them)" },
    { .name = "devices", .kind = CLI_FLAG, .offset = offsetof(global_args, devices),
      .help = "list the OpenCL devices with their index" },
    { .name = "device", .kind = CLI_INT, .offset = offsetof(global_args, device), .min = 0, .max = 1000000,
      .metavar = "N", .expects = "must be a device index (see nin-cl --devices)",
      .help = "run on device N of that list",
      .shown_default = "$NIN_DEVICE, else the first GPU, else the first device" },
    { .name = "version", .kind = CLI_FLAG, .offset = offsetof(global_args, version), .help = "the version" },
    { .name = "list-options", .kind = CLI_FLAG, .offset = offsetof(global_args, list_options), .flags = CLI_HIDDEN,
      .help = "for tests/cli_args.sh: every command's numeric options and their ranges, one a line" },
    { .name = "parse-only", .kind = CLI_FLAG, .offset = offsetof(global_args, parse_only), .flags = CLI_HIDDEN,
      .help = "for tests/cli_args.sh: print the values the command's line gives instead of running it" },
    CLI_END,
};

static const cli_command cli_global = {
    .name = "",
    .synopsis = "[--devices] [--device N] COMMAND [ARGS]",
    .options = global_options,
    .subcommands = commands,
};

static int list_devices(void)
{
    nin_device_info *devices;
    int count = cli_check(nin_list_devices(&devices));
    nin_print_devices(stdout, devices, count);
    free(devices);
    return count ? 0 : 1;
}

static int list_numeric_options(void)
{
    cli_list_numeric(&cli_global, stdout);
    for (int c = 0; commands[c]; c++)
        cli_list_numeric(commands[c], stdout);
    return 0;
}

static int run_command(const nin_options *opt, int argc, char **argv)
{
    for (int c = 0; commands[c]; c++)
        if (strcmp(argv[0], commands[c]->name) == 0)
            return commands[c]->run(opt, argc, argv);
    cli_usage_error("unknown command '%s' (see nin-cl --help)", argv[0]);
}

int main(int argc, char **argv)
{
    global_args g = { .device = -1 };
    const char *env = getenv("NIN_DEVICE");
    if (env && *env)
        cli_set_value(&cli_global, "device", "NIN_DEVICE", env, &g);
    cli_parse(&cli_global, argc, argv, &g);
    if (g.devices)
        return list_devices();
    if (g.version) {
        printf("nin-cl %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (g.list_options)
        return list_numeric_options();
    if (g.command.count == 0) {
        cli_print_help(&cli_global, &g, stderr);
        return CLI_EXIT_USAGE;
    }
    cli_set_parse_only(g.parse_only);
    nin_options opt = { g.device };
    return run_command(&opt, g.command.count, g.command.items);
}
