/* cli_bench.c - `nin-cl bench`: training and inference throughput of a network on random data, the time of
 * each phase, and a per-kernel breakdown from OpenCL profiling events; and `nin-cl tune`, which measures the
 * GEMMs of the same kind of network to choose the faster implementation for the device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <nin/nin.h>
#include "cli.h"

typedef struct net_args {
    const char *netdef;
    nin_shape input;
    int batch, steps;
    int budget;   /* tune: seconds of the search of CLBlast's parameters */
} net_args;

/* The arguments bench and tune share. */
#define NETWORK_ARGUMENT                                                                                        \
    { .name = "PRESET|NETDEF", .kind = CLI_STRING, .offset = offsetof(net_args, netdef), .flags = CLI_ARGUMENT,  \
      .help = "a preset (cifar10, cifar100, svhn, mnist, fashion-mnist: the input is the dataset's) or a network " \
              "definition" }
#define BATCH_OPTION                                                                                            \
    { .name = "batch", .kind = CLI_INT, .offset = offsetof(net_args, batch), .min = 1, .max = 65536,            \
      .metavar = "N", .help = "images per step" }
#define INPUT_OPTION                                                                                            \
    { .name = "input", .kind = CLI_SHAPE, .offset = offsetof(net_args, input), .min = 1, .max = 65536,          \
      .metavar = "C,H,W", .help = "the input of a network definition (a preset has its dataset's)" }

static const cli_option bench_options[] = {
    NETWORK_ARGUMENT,
    BATCH_OPTION,
    { .name = "steps", .kind = CLI_INT, .offset = offsetof(net_args, steps), .min = 1, .max = 100000,
      .metavar = "N", .help = "training and inference steps timed" },
    INPUT_OPTION,
    CLI_END,
};

static const cli_option tune_options[] = {
    NETWORK_ARGUMENT,
    BATCH_OPTION,
    INPUT_OPTION,
    { .name = "budget", .kind = CLI_INT, .offset = offsetof(net_args, budget), .min = 0, .max = 86400,
      .metavar = "SECONDS", .help = "time for the search of CLBlast's kernel parameters (0: none; CLBlast's "
      "defaults are always tried). Default: 120 on a GPU, 0 on other devices (a CPU runs nin-cl's tiled GEMM, "
      "several times CLBlast's speed there)" },
    CLI_END,
};

/* The network named on the command line, on a preset's input when it names a dataset. */
static void network_of(net_args *a, nin_netdef *def)
{
    const nin_dataset_spec *spec = nin_dataset_find(a->netdef);
    if (spec)
        a->input = (nin_shape){ spec->channels, spec->height, spec->width };
    cli_parse_netdef("", a->netdef, def);
}

/* A benchmark: the network on the device and a batch of random images and labels. */
typedef struct bench_run {
    nin_context *ctx;
    nin_net *net;
    nin_sgd sgd;
    float *x, *out;
    int *labels;
    int batch, steps;
    nin_metrics metrics;    /* of the last step: not reported, the device computes them anyway */
} bench_run;

static void bench_setup(bench_run *r, const nin_options *opt, const net_args *a, const nin_netdef *def)
{
    r->ctx = cli_open_context(opt->device);
    cli_check(nin_budget_check(r->ctx, def, a->input, a->batch));   /* a network that cannot fit: one clear line */
    r->net = cli_check_ptr(nin_net_create(r->ctx, def, a->input, a->batch, 1, 0.0f));
    r->batch = a->batch;
    r->steps = a->steps;
    r->sgd = (nin_sgd){ 0.001f, 0.9f, 1e-4f };
    int classes = nin_net_output_shape(r->net).c;
    size_t n_in = (size_t)a->batch * a->input.c * a->input.h * a->input.w;
    r->x = cli_malloc(n_in * sizeof *r->x);
    r->out = cli_malloc((size_t)a->batch * classes * sizeof *r->out);
    r->labels = cli_malloc(a->batch * sizeof *r->labels);
    for (size_t i = 0; i < n_in; i++)
        r->x[i] = nin_random_normal(3, i);
    for (int i = 0; i < a->batch; i++)
        r->labels[i] = i % classes;
    nin_gemm_tuning t = nin_context_tuning(r->ctx);
    int element = 0;
    for (int f = 0; f < NIN_KERNEL_FAMILIES; f++)
        element += t.shape[f] == NIN_SHAPE_ELEMENT;
    printf("bench %s: input %dx%dx%d, batch %d, %zu parameters, on %s (%s), gemm %s, kernel shapes: %d of %d "
           "families element, the others plane\n", a->netdef, a->input.c, a->input.h, a->input.w, a->batch,
           nin_net_trainable_count(r->net), nin_context_device(r->ctx)->name, nin_context_device(r->ctx)->platform_name,
           nin_gemm_backend_name(t.backend), element, NIN_KERNEL_FAMILIES);
}

/* The first training step, alone: it includes first-use compilation in the driver and CLBlast. */
static void bench_first_step(bench_run *r, double started)
{
    double t0 = nin_now();
    cli_check(nin_net_set_input(r->net, r->x, r->labels));
    cli_check(nin_net_train_step(r->net, &r->sgd, &r->metrics));
    printf("first training step: %.2f s; from start (device, kernels%s, network) to its end: %.2f s\n",
           nin_now() - t0, nin_context_programs_compiled(r->ctx) ? " compiled" : " from the program cache", nin_now() - started);
}

/* Forward, backward and update, each timed alone: a wait after each. */
static void bench_phases(bench_run *r)
{
    double phase[3] = { 0 };
    for (int s = 0; s < r->steps; s++) {
        double a = nin_now();
        cli_check(nin_net_forward(r->net, 1));
        cli_check(nin_net_loss(r->net, &r->metrics));
        double b = nin_now();
        cli_check(nin_net_backward(r->net));
        cli_check(nin_context_finish(r->ctx));
        double d = nin_now();
        cli_check(nin_net_update(r->net, &r->sgd));
        cli_check(nin_context_finish(r->ctx));
        phase[0] += b - a;
        phase[1] += d - b;
        phase[2] += nin_now() - d;
    }
    double images = (double)r->steps * r->batch;
    printf("forward  %8.1f img/s\nbackward %8.1f img/s\nupdate   %8.1f img/s\n", images / phase[0],
           images / phase[1], images / phase[2]);
}

/* Whole training steps and inference batches, back to back. */
static void bench_throughput(bench_run *r)
{
    double t0 = nin_now();
    for (int s = 0; s < r->steps; s++) {
        cli_check(nin_net_set_input(r->net, r->x, r->labels));
        cli_check(nin_net_train_step(r->net, &r->sgd, &r->metrics));
    }
    double train = r->steps * (double)r->batch / (nin_now() - t0);
    t0 = nin_now();
    for (int s = 0; s < r->steps; s++) {
        cli_check(nin_net_set_input(r->net, r->x, NULL));
        cli_check(nin_net_forward(r->net, 0));
        cli_check(nin_net_get_output(r->net, r->out));
    }
    double infer = r->steps * (double)r->batch / (nin_now() - t0);
    printf("train: %.1f img/s\ninference: %.1f img/s\n", train, infer);
}

static void bench_profile(bench_run *r)
{
    printf("\nper kernel, one training step (profiled):\n");
    cli_check(nin_profile_start(r->ctx));
    cli_check(nin_net_set_input(r->net, r->x, r->labels));
    cli_check(nin_net_train_step(r->net, &r->sgd, &r->metrics));
    cli_check(nin_profile_report(r->ctx, stdout, 1));
}

static void bench_free(bench_run *r)
{
    free(r->x);
    free(r->out);
    free(r->labels);
    nin_net_free(r->net);
    nin_context_free(r->ctx);
}

static int cmd_bench(const nin_options *opt, int argc, char **argv)
{
    net_args a = { "cifar10", { 3, 32, 32 }, 128, 5, 0 };
    nin_netdef def;
    bench_run r;
    cli_parse(&cli_bench, argc, argv, &a);
    network_of(&a, &def);
    double started = nin_now();
    bench_setup(&r, opt, &a, &def);
    bench_first_step(&r, started);
    bench_phases(&r);
    bench_throughput(&r);
    bench_profile(&r);
    bench_free(&r);
    return 0;
}

const cli_command cli_bench = {
    .name = "bench",
    .summary = "training and inference img/s of a network on random data, and a per-kernel profile",
    .synopsis = "[PRESET|NETDEF] [--batch N] [--steps N] [--input C,H,W]",
    .options = bench_options,
    .run = cmd_bench,
};

static int cmd_tune(const nin_options *opt, int argc, char **argv)
{
    net_args a = { "cifar10", { 3, 32, 32 }, 128, 0, -1 };
    nin_netdef def;
    cli_parse(&cli_tune, argc, argv, &a);
    network_of(&a, &def);
    nin_gemm_shape shapes[3 * NIN_MAX_LAYERS];
    int count = cli_check(nin_netdef_gemm_shapes(&def, a.input, a.batch, shapes, 3 * NIN_MAX_LAYERS));
    char what[64];
    snprintf(what, sizeof what, "one training step, batch %d", a.batch);
    nin_context *ctx = cli_open_context(opt->device);
    const nin_device_info *dev = nin_context_device(ctx);
    printf("tuning the kernels of %s, batch %d, on %s (%s), driver %s\n", a.netdef, a.batch, dev->name, dev->platform_name,
           dev->driver);
    if (a.budget < 0)
        a.budget = dev->type & CL_DEVICE_TYPE_GPU ? NIN_TUNE_BUDGET_DEFAULT : 0;
    cli_check(nin_tune_kernels(ctx, &def, a.input, a.batch, stdout));
    cli_check(nin_tune(ctx, shapes, count, what, a.budget, stdout));
    nin_context_free(ctx);
    return 0;
}

const cli_command cli_tune = {
    .name = "tune",
    .summary = "measure the GEMM implementations and the kernel shapes on a network and save the faster in the "
               "device's tuning file",
    .synopsis = "[PRESET|NETDEF] [--batch N] [--input C,H,W] [--budget SECONDS]",
    .about = "Times both shapes of the other kernels (plane: loops per work-item, for CPUs; element: one "
             "work-item per value, for GPUs) over training steps of the network, then the GEMMs of one training "
             "step with CLBlast and with nin-cl's tiled kernels over their parameters, and writes the fastest of "
             "each into the device's tuning file. CLBlast's kernel parameters are searched first, for --budget "
             "seconds: a seeded random sample of the values its own tuner tries, each candidate compiled and timed "
             "on the network's GEMMs; the parameters found are kept only when faster than those CLBlast (or an "
             "earlier tuning) uses.",
    .options = tune_options,
    .run = cmd_tune,
};
