/* nin/net.h - a Network In Network described as data, trained on a device or on the C reference. */
#ifndef NIN_NET_H
#define NIN_NET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <nin/runtime.h>

typedef struct nin_shape { int c, h, w; } nin_shape;   /* one sample: channels x height x width */

typedef enum nin_layer_kind {
    NIN_CONV,      /* "192c5p2s1": 192 maps, 5x5 kernel, pad 2, stride 1, + bias + ReLU ("l" suffix: no ReLU) */
    NIN_FC,        /* "256fc": fully connected over the whole input, + bias + ReLU ("l" suffix: no ReLU) */
    NIN_MAXPOOL,   /* "mp3s2": 3x3 max-pool, stride 2, Caffe's ceil-mode output size */
    NIN_AVGPOOL,   /* "ap3s2": 3x3 average pool, stride 2, ceil mode */
    NIN_DROPOUT,   /* "d0.5": inverted dropout with drop rate 0.5 */
    NIN_GAP        /* "gap": global average pooling, one value per map */
} nin_layer_kind;

/* One layer of a network definition (what a netdef token says). */
typedef struct nin_layer_def {
    nin_layer_kind kind;
    int outputs;        /* CONV, FC: output maps / units */
    int size;           /* CONV, pools: kernel size */
    int stride;         /* CONV, pools */
    int pad;            /* CONV */
    int relu;           /* CONV, FC: ReLU after the bias */
    float rate;         /* DROPOUT: probability of dropping a unit */
} nin_layer_def;

#define NIN_MAX_LAYERS 64

typedef struct nin_netdef {
    int count;
    nin_layer_def layers[NIN_MAX_LAYERS];
} nin_netdef;

/* Parse a compact netdef such as "192c5p2-160c1-96c1-mp3s2-d0.5-...-gap", or a preset name.
 * Returns 0, or -1 with a one-line reason in err. */
/* The netdef of a preset ("cifar10", "cifar100", "svhn", "mnist", "fashion-mnist"), or NULL. */
const char *nin_preset_netdef(const char *name);
int nin_netdef_parse(const char *text, nin_netdef *def, char *err, size_t err_size);
/* Write the canonical netdef string of def. */
void nin_netdef_format(const nin_netdef *def, char *buf, size_t size);
/* The paper's ablations. Remove every dropout layer: */
void nin_netdef_remove_dropout(nin_netdef *def);
/* Replace the global-average-pooling head (the last 1x1 convolution to the class maps and gap) by a fully
 * connected layer over the previous block's maps, optionally after dropout. Returns -1 when def does not
 * end in "<classes>c1-gap". */
int nin_netdef_fc_head(nin_netdef *def, float dropout);

typedef struct nin_sgd {
    float lr;
    float momentum;
    float weight_decay;   /* L2 decay, applied to weights, not biases */
} nin_sgd;

typedef struct nin_metrics {
    float loss;           /* mean cross-entropy over the batch */
    int correct;          /* samples whose arg-max logit is the label */
} nin_metrics;

typedef struct nin_net nin_net;

/* Build a network for `batch` samples of shape `input`. ctx == NULL builds the plain-C reference network
 * that runs on the host. Weights get the paper's zero-mean Gaussian init (std = init_std, or sqrt(2/fan_in)
 * when init_std <= 0), biases 0; `seed` fixes both the init and the dropout masks. */
nin_net *nin_net_create(nin_context *ctx, const nin_netdef *def, nin_shape input, int batch,
                        uint64_t seed, float init_std);
/* The same network for forward passes only (evaluation, prediction): its layers take turns in two activation
 * buffers, and it has no gradient buffers, so it needs a fraction of the memory. Set its parameters with
 * nin_net_set_params; nin_net_backward and nin_net_update refuse it. */
nin_net *nin_net_create_inference(nin_context *ctx, const nin_netdef *def, nin_shape input, int batch);
void nin_net_free(nin_net *net);

int nin_net_batch(const nin_net *net);
nin_shape nin_net_input_shape(const nin_net *net);
nin_shape nin_net_output_shape(const nin_net *net);
int nin_net_layer_count(const nin_net *net);
/* Print one line per layer: kind, output shape, parameter count. */
void nin_net_describe(const nin_net *net, FILE *out);

/* All parameters live in one buffer: every layer's weights (in layer order), then every bias. The
 * gradients and the momentum use the same layout. */
size_t nin_net_param_count(const nin_net *net);
size_t nin_net_weight_count(const nin_net *net);
void nin_net_get_params(nin_net *net, float *params);
void nin_net_set_params(nin_net *net, const float *params);
void nin_net_get_grads(nin_net *net, float *grads);
void nin_net_set_grads(nin_net *net, const float *grads);
void nin_net_get_momentum(nin_net *net, float *momentum);
void nin_net_set_momentum(nin_net *net, const float *momentum);

/* Load a batch: images in NCHW order (batch x c x h x w floats), labels in [0, classes) or NULL. */
void nin_net_set_input(nin_net *net, const float *images, const int *labels);
/* This network's batch is samples [first, first + batch) of a global batch of `total` split between
 * processes (data-parallel training): dropout then draws each sample's mask by its place in the global
 * batch, the same mask it gets in one process, and the loss gradient is divided by `total`, so that the
 * processes' gradients add up to the global batch's mean. Default: first 0, total = batch. */
void nin_net_set_shard(nin_net *net, int first, int total);
/* Compute the gradient with respect to the input too (off by default: the first layer needs none). */
void nin_net_want_input_grad(nin_net *net, int on);

void nin_net_forward(nin_net *net, int train);
/* Adds `count` doubles over every process of a data-parallel run, in place (nin_dist_sum). */
typedef void nin_sum_fn(double *values, int count);
/* Data-dependent init: layer by layer, rescale each map's weights and set its bias so that its pre-activation
 * on this batch (NCHW images) has zero mean and unit variance. Without normalisation layers, a deep stack of
 * ReLU layers otherwise starts with nearly input-independent features (the ReLU means add up) and sits at
 * loss ln(C) for hundreds of steps before it learns. With `sum` (else NULL), the batch is split between
 * processes and the statistics are those of the whole batch. */
void nin_net_init_from_data(nin_net *net, const float *images, nin_sum_fn *sum);
/* Softmax cross-entropy on the output (which must be classes x 1 x 1); sets the output gradient.
 * Waits for the device: the loss is the one value a step reads back. */
nin_metrics nin_net_loss(nin_net *net);
/* Set the output gradient directly (NCHW, like nin_net_get_output), instead of nin_net_loss. */
void nin_net_set_output_grad(nin_net *net, const float *grad);
void nin_net_backward(nin_net *net);
void nin_net_update(nin_net *net, const nin_sgd *sgd);
/* Training forwards so far: they key the dropout masks, so a resumed run must restore it. */
uint64_t nin_net_step(const nin_net *net);
void nin_net_set_step(nin_net *net, uint64_t step);
/* forward + loss + backward + update. */
nin_metrics nin_net_train_step(nin_net *net, const nin_sgd *sgd);

/* Read the last layer's output / the input gradient, in NCHW order. */
void nin_net_get_output(nin_net *net, float *out);
/* Softmax of one sample's logits (host): class probabilities. */
void nin_softmax(const float *logits, int classes, float *prob);
/* Layer i's kind, output shape and output of the last forward (NCHW), for looking inside a network: the maps
 * before a final "gap" are the paper's category confidence maps. An inference network (its layers share two
 * buffers) keeps only the outputs of its last two layers. */
nin_layer_kind nin_net_layer_kind(const nin_net *net, int layer);
nin_shape nin_net_layer_output_shape(const nin_net *net, int layer);
void nin_net_get_layer_output(nin_net *net, int layer, float *out);
void nin_net_get_input_grad(nin_net *net, float *grad);

/* The GEMMs one training step of the network runs (forward, weight gradient, input gradient per layer). */
typedef struct nin_net_gemm { int trans_a, trans_b; size_t m, n, k; } nin_net_gemm;
int nin_net_gemm_shapes(const nin_net *net, nin_net_gemm *shapes, int max);

/* Tuning data (tune.c): the file for this device and driver, loading it into ctx (returns 1 when found),
 * and measuring the GEMM implementations on a network's GEMM shapes to write it. */
const char *nin_gemm_backend_name(nin_gemm_backend b);
const char *nin_tuning_path(const nin_context *ctx, char *buf, size_t size);
int nin_tuning_load(nin_context *ctx);
/* Read a tuning file into ctx's GEMM settings (no OpenCL call): 1 when read, 0 when there is none, -1 with one
 * line in err when malformed. */
int nin_tuning_read(const char *path, nin_context *ctx, char *err, size_t err_size);
int nin_tune(nin_context *ctx, const nin_netdef *def, nin_shape input, int batch, FILE *log);

/* Counter-based random numbers, identical on the host and in cl/common.cl. */
uint32_t nin_random_u32(uint64_t key, uint64_t counter);
float nin_random_uniform(uint64_t key, uint64_t counter);   /* [0, 1) */
float nin_random_normal(uint64_t key, uint64_t counter);    /* N(0, 1) */
uint64_t nin_random_key(uint64_t seed, uint64_t stream, uint64_t step);

/* max |a - b| / max |b|: the normwise relative error used by every comparison in nin-cl. */
double nin_rel_error(const float *a, const float *b, size_t n);

/* Train a small network that uses every layer kind on the device and on the C reference and compare
 * every output, gradient and parameter. Prints a report on out; returns 0 when all agree, 1 when some differ,
 * -1 with one line in nin_last_error() when it could not run (out of host memory). */
int nin_selftest(nin_context *ctx, FILE *out);

#endif
