/* cli_inspect.c - `nin-cl inspect`: the numbers that show why a run does not learn. For a checkpoint and one
 * batch of its training images: the loss against ln(C); per layer the weight and gradient norms, the activation
 * statistics and the dead units; then the diagnosis the training monitor gives (nin/health.h). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

enum { OPT_MODEL = 1, OPT_DATA, OPT_BATCH };

static const struct option inspect_options[] = {
    { "model", required_argument, NULL, OPT_MODEL }, { "data", required_argument, NULL, OPT_DATA },
    { "batch", required_argument, NULL, OPT_BATCH }, { NULL, 0, NULL, 0 },
};

/* A norm column: "-" for a layer without parameters. */
static void print_norm(int has, double v)
{
    if (has)
        printf(" %9.3g", v);
    else
        printf(" %9s", "-");
}

static void print_layers(nin_net *net, const float *params, const float *grads)
{
    printf("%-5s %-12s %-12s %9s %9s %9s %9s %9s %9s %9s %9s %9s %6s %8s %9s\n", "layer", "netdef", "output", "|W|",
           "|dW|", "|dW|/|W|", "|b|", "|db|", "mean", "std", "min", "max", "zero%", "dead", "spread");
    for (int i = 0; i < nin_net_layer_count(net); i++) {
        const nin_layer_def *def = nin_net_layer_def(net, i);
        char token[64], shape[32], dead[32];
        nin_netdef_format(&(nin_netdef){ 1, { *def } }, token, sizeof token);
        nin_layer_stats s;
        nin_layer_norms n;
        nin_net_layer_stats(net, i, &s);
        nin_net_layer_norms(net, i, params, grads, &n);
        int has = def->kind == NIN_CONV || def->kind == NIN_FC;
        snprintf(shape, sizeof shape, "%dx%dx%d", s.shape.c, s.shape.h, s.shape.w);
        snprintf(dead, sizeof dead, def->relu ? "%d/%d" : "-", s.dead_maps, s.maps);
        printf("%-5d %-12s %-12s", i + 1, token, shape);
        print_norm(has, n.weights);
        print_norm(has, n.weight_grads);
        print_norm(has, n.weights > 0 ? n.weight_grads / n.weights : 0.0);
        print_norm(has, n.biases);
        print_norm(has, n.bias_grads);
        printf(" %9.3g %9.3g %9.3g %9.3g %6.1f %8s %9.3g%s\n", s.mean, s.std, s.min, s.max, 100.0 * s.zero_fraction,
               dead, s.input_spread, s.nonfinite ? "  (NaN/Inf activations)" : "");
    }
}

int cmd_inspect(const nin_options *opt, int argc, char **argv)
{
    const char *usage = "usage: nin-cl inspect --model FILE [--data DIR] [--batch N]";
    const char *model = NULL, *data = NULL;
    int batch = 32, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", inspect_options, NULL)) != -1) {
        char *end;
        switch (c) {
        case OPT_MODEL: model = optarg; break;
        case OPT_DATA: data = optarg; break;
        case OPT_BATCH:
            batch = (int)strtol(optarg, &end, 10);
            if (end == optarg || *end || batch < 1 || batch > 4096)
                nin_fatal("--batch takes a whole number from 1 to 4096, not '%s'", optarg);
            break;
        default: nin_fatal("unknown or incomplete option '%s': %s", argv[optind - 1], usage);
        }
    }
    if (!model || optind != argc)
        nin_fatal("%s", usage);

    nin_context *ctx = cli_open_device(opt->device);
    nin_checkpoint ck;
    nin_net *net = load_model(ctx, model, batch, 1, &ck);
    const nin_dataset_spec *spec = nin_dataset_find(ck.config.dataset);
    if (!spec)
        nin_fatal("%s was trained on '%s', which nin-cl cannot load", model, ck.config.dataset);
    char dir[1024], err[1024];
    nin_dataset train;
    nin_dataset_dir(spec, data ? data : ck.config.data_dir, dir, sizeof dir);
    if (nin_dataset_load(spec, dir, NIN_SPLIT_TRAIN, &train, err, sizeof err) != 0)
        nin_fatal("%s", err);
    if (train.count < batch)
        nin_fatal("%s has %d training images, fewer than --batch %d", dir, train.count, batch);

    /* one training batch, as a step sees it (dropout on), without the update */
    size_t dim = (size_t)ck.input.c * ck.input.h * ck.input.w;
    float *x = nin_malloc((size_t)batch * dim * sizeof *x);
    nin_preprocess_apply(&ck.pre, train.images, batch, x);
    nin_net_set_input(net, x, train.labels);
    nin_net_set_step(net, ck.state.step);
    nin_net_forward(net, 1);
    nin_metrics m;
    if (nin_net_loss(net, &m) != 0)
        nin_fatal("%s", nin_last_error());
    nin_net_backward(net);
    float *params = nin_malloc(ck.params * sizeof *params), *grads = nin_malloc(ck.params * sizeof *grads);
    nin_net_get_params(net, params);
    nin_net_get_grads(net, grads);

    printf("%s: %s, net %s, %zu parameters (%zu NaN or Inf), epoch %d step %llu, lr %g\n", model, spec->name,
           ck.config.netdef, ck.params, nin_count_nonfinite(params, ck.params), ck.state.epoch,
           (unsigned long long)ck.state.step, ck.state.lr);
    printf("batch: the first %d training images of %s, dropout on as in training: loss %.4f (ln(%d) = %.4f), "
           "%d correct\n", batch, dir, m.loss, ck.classes, log((double)ck.classes), m.correct);
    print_layers(net, params, grads);
    printf("dead: maps of a ReLU layer that are 0 for every image of the batch; spread: how far the images' "
           "mean activations of a map lie apart (the largest over maps), 0 when a layer ignores its input\n");
    char diagnosis[1024];
    int healthy = nin_health_diagnose(net, m.loss, ck.state.lr, diagnosis, sizeof diagnosis);
    printf("diagnosis: %s%s\n", healthy ? "" : "unhealthy: ", diagnosis);

    free(x);
    free(params);
    free(grads);
    nin_dataset_free(&train);
    nin_checkpoint_free(&ck);
    nin_net_free(net);
    nin_context_free(ctx);
    return 0;
}
