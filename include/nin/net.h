/* nin/net.h - a network built from a netdef, trained on a device or on the C reference. */
#ifndef NIN_NET_H
#define NIN_NET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <nin/runtime.h>
#include <nin/netdef.h>

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

/* Every function below that returns int returns 0, or -1 with one line in nin_last_error(): a device error
 * (reported by the first call after it happened), a host allocation, or a misuse (an inference network asked
 * for gradients, a label out of range). */

/* Build a network for `batch` samples of shape `input`. ctx == NULL builds the plain-C reference network
 * that runs on the host. Weights get the paper's zero-mean Gaussian init (std = init_std, or sqrt(2/fan_in)
 * when init_std <= 0), biases 0; `seed` fixes both the init and the dropout masks. NULL with the error when
 * def does not fit the input or a buffer cannot be allocated (run nin_budget_check first for a clear line
 * about device memory). */
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

/* All parameters live in one buffer: every layer's weights (in layer order), then every bias, then the
 * running statistics of the batch-norm layers (kept and loaded with the weights; the optimizer leaves them
 * alone, and their gradient and momentum stay 0). The gradients and the momentum use the same layout. */
size_t nin_net_param_count(const nin_net *net);
size_t nin_net_weight_count(const nin_net *net);
size_t nin_net_trainable_count(const nin_net *net);   /* the weights and the biases */
int nin_net_get_params(nin_net *net, float *params);
int nin_net_set_params(nin_net *net, const float *params);
int nin_net_get_grads(nin_net *net, float *grads);
int nin_net_set_grads(nin_net *net, const float *grads);
int nin_net_get_momentum(nin_net *net, float *momentum);
int nin_net_set_momentum(nin_net *net, const float *momentum);

/* Load a batch: images in NCHW order (batch x c x h x w floats), labels in [0, classes) or NULL. */
int nin_net_set_input(nin_net *net, const float *images, const int *labels);
/* This network's batch is samples [first, first + batch) of a global batch of `total` split between
 * processes (data-parallel training): dropout then draws each sample's mask by its place in the global
 * batch, the same mask it gets in one process, and the loss gradient is divided by `total`, so that the
 * processes' gradients add up to the global batch's mean. Default: first 0, total = batch. */
int nin_net_set_shard(nin_net *net, int first, int total);
/* Compute the gradient with respect to the input too (off by default: the first layer needs none). */
int nin_net_want_input_grad(nin_net *net, int on);

/* train 1: dropout masks and batch statistics; -1 (refused) when a batch-norm layer would see one value per
 * map. */
int nin_net_forward(nin_net *net, int train);
/* Adds `count` doubles over every process of a data-parallel run, in place (nin_dist_sum). */
typedef void nin_sum_fn(double *values, int count);
/* Data-dependent init: layer by layer, rescale each map's weights and set its bias so that its pre-activation
 * on this batch (NCHW images) has zero mean and unit variance. Without normalisation layers, a deep stack of
 * ReLU layers otherwise starts with nearly input-independent features (the ReLU means add up) and sits at
 * loss ln(C) for hundreds of steps before it learns. With `sum` (else NULL), the batch is split between
 * processes and the statistics are those of the whole batch. */
int nin_net_init_from_data(nin_net *net, const float *images, nin_sum_fn *sum);
/* Softmax cross-entropy on the output (which must be classes x 1 x 1) into *m; sets the output gradient.
 * Waits for the device: the loss is the one value a step reads back. */
int nin_net_loss(nin_net *net, nin_metrics *m);
/* Set the output gradient directly (NCHW, like nin_net_get_output), instead of nin_net_loss. */
int nin_net_set_output_grad(nin_net *net, const float *grad);
int nin_net_backward(nin_net *net);
int nin_net_update(nin_net *net, const nin_sgd *sgd);
/* Caffe's per-parameter learning-rate multipliers, which nin_net_update applies: every bias is updated at
 * lr * bias_mult, the class layer's weights (nin_netdef_class_layer) at lr * class_mult and its biases at
 * lr * bias_mult * class_mult; weight decay stays on the weights, as it is. 1 and 1 until set (Caffe's NIN
 * used 2 and, for its last convolution, 0.1). -1 with the error for a multiplier outside
 * [0, NIN_MAX_LR_MULT], or a class_mult other than 1 on a network without a class layer. */
#define NIN_MAX_LR_MULT 100.0f
int nin_net_set_lr_mult(nin_net *net, float bias_mult, float class_mult);
/* Training forwards so far: they key the dropout masks, so a resumed run must restore it. */
uint64_t nin_net_step(const nin_net *net);
void nin_net_set_step(nin_net *net, uint64_t step);
/* forward + loss + backward + update, the step's metrics in *m. */
int nin_net_train_step(nin_net *net, const nin_sgd *sgd, nin_metrics *m);

/* Read the last layer's output / the input gradient, in NCHW order. */
int nin_net_get_output(nin_net *net, float *out);
/* Softmax of one sample's logits (host): class probabilities. */
void nin_softmax(const float *logits, int classes, float *prob);
/* Layer i's kind (-1 when there is no layer i), output shape ({0, 0, 0} then) and output of the last forward
 * (NCHW), for looking inside a network: the maps before a final "gap" are the paper's category confidence
 * maps. An inference network (its layers share two buffers) keeps only the outputs of its last two layers. */
int nin_net_layer_kind(const nin_net *net, int layer);
nin_shape nin_net_layer_output_shape(const nin_net *net, int layer);
int nin_net_get_layer_output(nin_net *net, int layer, float *out);
int nin_net_get_input_grad(nin_net *net, float *grad);

/* The GEMMs one training step of the network runs (forward, weight gradient, input gradient per layer):
 * the count, at most max. */
int nin_net_gemm_shapes(const nin_net *net, nin_gemm_shape *shapes, int max);
/* The same from a netdef, without building the network (what `nin-cl tune` measures): the count, or -1 with
 * the error when def does not fit the input. */
int nin_netdef_gemm_shapes(const nin_netdef *def, nin_shape input, int batch, nin_gemm_shape *shapes, int max);

/* Train a small network that uses every layer kind on the device and on the C reference and compare
 * every output, gradient and parameter. Prints a report on out; returns 0 when all agree, 1 when some differ,
 * -1 with one line in nin_last_error() when it could not run (out of host memory). */
int nin_selftest(nin_context *ctx, FILE *out);

#endif
