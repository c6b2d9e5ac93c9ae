/* cli_bench.c - `nin-cl bench`: training and inference throughput of a network on random data, the time of
 * each phase, and a per-kernel breakdown from OpenCL profiling events. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <nin/nin.h>
#include "cli.h"

static const char bench_usage[] =
    "usage: nin-cl bench [PRESET|NETDEF] [--batch N] [--steps N] [--input C,H,W]\n"
    "  PRESET   cifar10 (default), cifar100, svhn, mnist or fashion-mnist: the input is the dataset's\n";
static const char tune_usage[] =
    "usage: nin-cl tune [PRESET|NETDEF] [--batch N] [--input C,H,W]\n"
    "  measures the GEMMs of one training step of the network (default cifar10, batch 128) with CLBlast and\n"
    "  with nin-cl's tiled kernels over their parameters, and writes the fastest into the device's tuning file\n";

/* The arguments bench and tune share: the network, --batch, --steps (bench only) and --input. Returns 1 when
 * the usage was printed (--help). */
static int parse_net_args(int argc, char **argv, const char *usage, int with_steps, const char **netdef,
                          nin_netdef *def, nin_shape *input, int *batch, int *steps)
{
    int c;
    static const struct option options[] = {
        { "batch", required_argument, NULL, 'b' }, { "steps", required_argument, NULL, 's' },
        { "input", required_argument, NULL, 'i' }, { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    *input = (nin_shape){ 3, 32, 32 };
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'b': *batch = (int)cli_parse_long("--batch", optarg, 1, 65536); break;
        case 's':
            if (!with_steps)
                nin_fatal("unknown option '--steps' for %s", argv[0]);
            *steps = (int)cli_parse_long("--steps", optarg, 1, 100000);
            break;
        case 'i':
            if (sscanf(optarg, "%d,%d,%d", &input->c, &input->h, &input->w) != 3)
                nin_fatal("--input takes C,H,W, e.g. 3,32,32, not '%s'", optarg);
            break;
        case 'h': fputs(usage, stdout); return 1;
        default: nin_fatal("unknown or incomplete option '%s' for %s", argv[optind - 1], argv[0]);
        }
    }
    if (optind < argc)
        *netdef = argv[optind++];
    if (optind < argc)
        nin_fatal("%s takes one network, found also '%s'", argv[0], argv[optind]);
    const nin_dataset_spec *spec = nin_dataset_find(*netdef);
    if (spec)
        *input = (nin_shape){ spec->channels, spec->height, spec->width };
    char err[512];
    if (nin_netdef_parse(*netdef, def, err, sizeof err) != 0)
        nin_fatal("%s", err);
    return 0;
}

int cmd_bench(const nin_options *opt, int argc, char **argv)
{
    const char *netdef = "cifar10";
    int batch = 128, steps = 5;
    nin_shape input;
    nin_netdef def;
    if (parse_net_args(argc, argv, bench_usage, 1, &netdef, &def, &input, &batch, &steps))
        return 0;

    double started = nin_now();
    nin_context *ctx = cli_open_device(opt->device);
    nin_net *net = nin_net_create(ctx, &def, input, batch, 1, 0.0f);
    int classes = nin_net_output_shape(net).c;
    size_t n_in = (size_t)batch * input.c * input.h * input.w;
    float *x = nin_malloc(n_in * sizeof *x), *out = nin_malloc((size_t)batch * classes * sizeof *out);
    int *labels = nin_malloc(batch * sizeof *labels);
    for (size_t i = 0; i < n_in; i++)
        x[i] = nin_random_normal(3, i);
    for (int i = 0; i < batch; i++)
        labels[i] = i % classes;
    nin_sgd sgd = { 0.001f, 0.9f, 1e-4f };
    printf("bench %s: input %dx%dx%d, batch %d, %zu parameters, on %s (%s), gemm %s\n", netdef, input.c, input.h,
           input.w, batch, nin_net_param_count(net), nin_context_device(ctx)->name,
           nin_context_device(ctx)->platform_name, nin_gemm_backend_name(nin_context_tuning(ctx).backend));

    double t0 = nin_now();
    nin_metrics m;
    nin_net_set_input(net, x, labels);
    nin_net_train_step(net, &sgd, &m);   /* warm-up: first-use compilation in the driver and CLBlast */
    printf("first training step: %.2f s; from start (device, kernels%s, network) to its end: %.2f s\n", nin_now() - t0,
           nin_context_programs_compiled(ctx) ? " compiled" : " from the program cache", nin_now() - started);

    double phase[3] = { 0 };
    for (int s = 0; s < steps; s++) {   /* each phase timed alone: a wait after each */
        double a = nin_now();
        nin_net_forward(net, 1);
        nin_net_loss(net, &m);
        double b = nin_now();
        nin_net_backward(net);
        nin_context_finish(ctx);
        double d = nin_now();
        nin_net_update(net, &sgd);
        nin_context_finish(ctx);
        phase[0] += b - a;
        phase[1] += d - b;
        phase[2] += nin_now() - d;
    }
    t0 = nin_now();
    for (int s = 0; s < steps; s++) {
        nin_net_set_input(net, x, labels);
        nin_net_train_step(net, &sgd, &m);
    }
    double train = steps * (double)batch / (nin_now() - t0);
    t0 = nin_now();
    for (int s = 0; s < steps; s++) {
        nin_net_set_input(net, x, NULL);
        nin_net_forward(net, 0);
        nin_net_get_output(net, out);
    }
    double infer = steps * (double)batch / (nin_now() - t0);
    printf("forward  %8.1f img/s\nbackward %8.1f img/s\nupdate   %8.1f img/s\n", steps * batch / phase[0],
           steps * batch / phase[1], steps * batch / phase[2]);
    printf("train: %.1f img/s\ninference: %.1f img/s\n", train, infer);

    printf("\nper kernel, one training step (profiled):\n");
    nin_profile_start(ctx);
    nin_net_set_input(net, x, labels);
    nin_net_train_step(net, &sgd, &m);
    if (nin_profile_report(ctx, stdout, 1) != 0)
        nin_fatal("%s", nin_last_error());

    free(x);
    free(out);
    free(labels);
    nin_net_free(net);
    nin_context_free(ctx);
    return 0;
}

int cmd_tune(const nin_options *opt, int argc, char **argv)
{
    const char *netdef = "cifar10";
    int batch = 128, steps = 1;
    nin_shape input;
    nin_netdef def;
    if (parse_net_args(argc, argv, tune_usage, 0, &netdef, &def, &input, &batch, &steps))
        return 0;
    nin_gemm_shape shapes[3 * NIN_MAX_LAYERS];
    char what[64];
    int count = nin_netdef_gemm_shapes(&def, input, batch, shapes, 3 * NIN_MAX_LAYERS);
    nin_context *ctx = count < 0 ? NULL : cli_open_device(opt->device);
    if (!ctx)
        nin_fatal("%s", nin_last_error());
    const nin_device_info *dev = nin_context_device(ctx);
    printf("tuning GEMMs for %s, batch %d, on %s (%s), driver %s\n", netdef, batch, dev->name, dev->platform_name,
           dev->driver);
    snprintf(what, sizeof what, "one training step, batch %d", batch);
    int status = nin_tune(ctx, shapes, count, what, stdout);
    nin_context_free(ctx);
    if (status != 0)
        nin_fatal("%s", nin_last_error());
    return 0;
}
