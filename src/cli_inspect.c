/* cli_inspect.c - `nin-cl inspect`: the numbers that show why a run does not learn. For a checkpoint and one
 * batch of its training images: the loss against ln(C); per layer the weight and gradient norms, the activation
 * statistics and the dead units; then the diagnosis the training monitor gives (nin/health.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

typedef struct inspect_args {
    const char *model, *data;
    int batch;
} inspect_args;

static const cli_option inspect_options[] = {
    CLI_MODEL_OPTION(inspect_args),
    { .name = "data", .kind = CLI_STRING, .offset = offsetof(inspect_args, data), .metavar = "DIR",
      .help = "the dataset's files", .shown_default = "the run's --data, else the dataset's default directory" },
    { .name = "batch", .kind = CLI_INT, .offset = offsetof(inspect_args, batch), .min = 1, .max = 4096,
      .metavar = "N", .help = "look at the first N training images" },
    CLI_END,
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
        cli_check(nin_net_layer_stats(net, i, &s));
        nin_net_layer_norms(net, i, params, grads, &n);
        int has = def->kind == NIN_CONV || def->kind == NIN_FC || def->kind == NIN_BATCHNORM;
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

/* What one training batch shows: its loss, and the network's weights and gradients after it. */
typedef struct inspection {
    nin_metrics m;
    float *params, *grads;
} inspection;

/* One training batch, as a step sees it (dropout on), without the update. */
static inspection inspect_batch(nin_net *net, const nin_checkpoint *ck, const nin_dataset *train, int batch)
{
    inspection in;
    size_t dim = (size_t)ck->input.c * ck->input.h * ck->input.w;
    float *x = cli_malloc((size_t)batch * dim * sizeof *x);
    cli_check(nin_preprocess_apply(&ck->pre, train->images, batch, x));
    cli_check(nin_net_set_input(net, x, train->labels));
    nin_net_set_step(net, ck->state.step);
    cli_check(nin_net_forward(net, 1));
    cli_check(nin_net_loss(net, &in.m));
    cli_check(nin_net_backward(net));
    in.params = cli_malloc(ck->params * sizeof *in.params);
    in.grads = cli_malloc(ck->params * sizeof *in.grads);
    cli_check(nin_net_get_params(net, in.params));
    cli_check(nin_net_get_grads(net, in.grads));
    free(x);
    return in;
}

static void print_inspection(nin_net *net, const inspect_args *a, const nin_checkpoint *ck, const char *dataset,
                             const char *dir, const inspection *in)
{
    printf("%s: %s, net %s, %zu parameters (%zu NaN or Inf), epoch %d step %llu, lr %g\n", a->model, dataset,
           ck->config.netdef, ck->params, nin_count_nonfinite(in->params, ck->params), ck->state.epoch,
           (unsigned long long)ck->state.step, ck->state.lr);
    printf("batch: the first %d training images of %s, dropout on as in training: loss %.4f (ln(%d) = %.4f), "
           "%d correct\n", a->batch, dir, in->m.loss, ck->classes, log((double)ck->classes), in->m.correct);
    print_layers(net, in->params, in->grads);
    printf("dead: maps of a ReLU layer that are 0 for every image of the batch; spread: how far the images' "
           "mean activations of a map lie apart (the largest over maps), 0 when a layer ignores its input\n");
    char diagnosis[1024];
    int healthy = cli_check(nin_health_diagnose(net, in->m.loss, ck->state.lr, diagnosis, sizeof diagnosis));
    printf("diagnosis: %s%s\n", healthy ? "" : "unhealthy: ", diagnosis);
}

static int cmd_inspect(const nin_options *opt, int argc, char **argv)
{
    inspect_args a = { NULL, NULL, 32 };
    cli_parse(&cli_inspect, argc, argv, &a);
    cli_model m;
    cli_open_model(&m, a.model, opt->device, a.batch, 1);
    const nin_dataset_spec *spec = nin_dataset_find(m.ck.config.dataset);
    if (!spec)
        cli_fatal("%s was trained on '%s', which nin-cl cannot load", a.model, m.ck.config.dataset);
    char dir[1024];
    nin_dataset train;
    cli_load_model_data(a.model, &m.ck, spec, a.data, NIN_SPLIT_TRAIN, &train, dir, sizeof dir);
    if (train.count < a.batch)
        cli_fatal("%s has %d training images, fewer than --batch %d", dir, train.count, a.batch);
    inspection in = inspect_batch(m.net, &m.ck, &train, a.batch);
    print_inspection(m.net, &a, &m.ck, spec->name, dir, &in);
    free(in.params);
    free(in.grads);
    nin_dataset_free(&train);
    cli_close_model(&m);
    return 0;
}

const cli_command cli_inspect = {
    .name = "inspect",
    .summary = "a checkpoint's weight and gradient norms, activations and dead units on one training batch, "
               "and the training monitor's diagnosis",
    .synopsis = "--model FILE [--data DIR] [--batch N]",
    .options = inspect_options,
    .run = cmd_inspect,
};
