/* layer.h - the small layer interface (internal).
 *
 * Activations are stored channel-major, "CNHW": map c of sample n is the contiguous plane
 * x[(c * N + n) * H * W ...]. In this layout every convolution of a whole batch is one GEMM
 * (W[M x K] * X[K x N*H*W]) and a 1x1 convolution needs no im2col at all; the host transposes to
 * and from NCHW at the edges (nin_net_set_input, nin_net_get_output).
 *
 * Each layer kind lives in one file (conv.c, pool.c, ...) that holds its device forward/backward, which
 * enqueue the kernels of cl/<kind>.cl, next to the plain-C reference forward/backward they are tested
 * against. A network built without a device context runs the references.
 *
 * What a kind can do beyond forward/backward is in its op table (gemm_shapes: the GEMMs it runs), so the
 * network, the memory budget and the tuner never ask which kind a layer is. The layers sit below the network:
 * they read the shared state of struct nin_net (the context, the batch, the one parameter buffer) but call
 * nothing above the runtime. A device error inside a layer is recorded in the context (runtime_impl.h) and
 * reported by the network's next status.
 */
#ifndef NIN_LAYER_H
#define NIN_LAYER_H

#include <nin/netdef.h>
#include "runtime_impl.h"

typedef struct nin_layer nin_layer;
typedef struct nin_net nin_net;

typedef struct nin_layer_ops {
    /* From l->def and l->in: set l->out, l->weights, l->biases, l->fan_in, l->workspace, l->bias_partials,
     * l->aux_bytes. */
    void (*setup)(nin_layer *l, int batch);
    /* Device: read x, write l->y. */
    void (*forward)(nin_net *net, nin_layer *l, cl_mem x, int train);
    /* Device: dy may be overwritten; write the parameter gradients and dL/dx. dx is 0 only for a first layer
     * with parameters: the network skips the backward of a parameterless layer whose dx nobody needs. */
    void (*backward)(nin_net *net, nin_layer *l, cl_mem x, cl_mem dy, cl_mem dx);
    /* Host reference: the same on plain arrays. */
    void (*forward_ref)(nin_net *net, nin_layer *l, const float *x, float *y, int train);
    void (*backward_ref)(nin_net *net, nin_layer *l, const float *x, const float *y, float *dy, float *dx);
    /* Optional (NULL: none): the GEMMs of one training step, per im2col chunk, into out[0..3) (2 for the first
     * layer, which needs no input gradient); returns their count. */
    int (*gemm_shapes)(const nin_layer *l, int first, int batch, nin_gemm_shape *out);
    /* Optional (NULL: zero-mean Gaussian weights of std init_std or sqrt(2 / fan_in), zero biases): the layer's
     * own initial values, written into the whole parameter buffer `params`. A layer with its own init is also
     * left as it is by the data-dependent init. */
    void (*init)(const nin_layer *l, float *params);
} nin_layer_ops;

struct nin_layer {
    nin_layer_def def;
    const nin_layer_ops *ops;
    int index;
    nin_shape in, out;
    size_t weights, biases;           /* parameter counts */
    size_t stats;                     /* values kept with the parameters but not trained (batch norm's running
                                       * mean and variance) */
    size_t weight_off, bias_off, stats_off;   /* offsets (in floats) into the parameter buffer */
    int fan_in;                       /* inputs per output unit, for the init */
    int kh, kw;                       /* CONV/FC: kernel geometry (FC is a conv whose kernel is the input) */
    int chunk_images;                 /* CONV/FC: images per im2col chunk (the whole batch without im2col) */
    size_t workspace;                 /* floats of shared scratch needed (im2col) */
    size_t bias_partials;             /* CONV/FC/BATCHNORM: floats of partial sums over chunks of each map */
    size_t aux_bytes;                 /* bytes of layer-private device state (max-pool arg-max, batch-norm batch
                                       * statistics) */
    uint64_t dropout_key;             /* DROPOUT: key of the current step's mask */
    cl_mem y, aux;                    /* device output, private state */
    float *h_y;                       /* reference output */
};

struct nin_net {
    nin_context *ctx;                 /* NULL: the C reference on the host */
    int batch;
    nin_shape input;
    int count;
    nin_layer layers[NIN_MAX_LAYERS];
    int inference;                    /* 1: layers share two activation buffers, no backward (create_net) */
    uint64_t seed;
    uint64_t step;                    /* training forwards so far: keys the dropout masks */
    int shard_first, shard_total;     /* this batch is samples [first, first + batch) of shard_total */
    size_t params, weights;           /* the whole parameter buffer; the weights come first */
    size_t trainable;                 /* the weights, then the biases: what the optimizer updates (the running
                                       * statistics follow them) */
    float bias_lr_mult, class_lr_mult;  /* the learning-rate multipliers of every bias and of the class layer's
                                       * parameters (nin_net_set_lr_mult; 1 and 1 unless set) */
    int class_layer;                  /* the layer class_lr_mult applies to (nin_netdef_class_layer), -1: none */
    size_t workspace;                 /* floats of the shared workspace */
    size_t bias_partials;             /* floats of d_bias_partial */
    size_t max_activation;            /* floats of the largest activation, for the gradient buffers */
    int want_input_grad;
    int delta_index;                  /* which of delta[0..1] holds the output gradient */
    int *labels;                      /* host copy of the batch labels */
    float *staging;                   /* host NCHW <-> CNHW transposition buffer */
    /* device */
    cl_mem d_input, d_labels, d_params, d_grads, d_momentum, d_work, d_delta[2], d_input_grad;
    cl_mem d_sample_metrics, d_metrics;     /* per-sample (loss, correct); their sums */
    cl_mem d_bias_partial;            /* partial sums of the bias gradients, shared by the layers */
    /* reference */
    float *h_input, *h_params, *h_grads, *h_momentum, *h_work, *h_delta[2], *h_input_grad;
    float h_metrics[2];
    int host_failed;                  /* a reference layer could not allocate its scratch (the last error says) */
};

extern const nin_layer_ops nin_conv_ops, nin_fc_ops, nin_maxpool_ops, nin_avgpool_ops, nin_dropout_ops,
    nin_gap_ops, nin_batchnorm_ops;

/* Zeroed double sums for a reference layer; NULL (and net->host_failed) when out of host memory. */
static inline double *nin_ref_sums(nin_net *net, size_t count)
{
    double *sums = nin_calloc(count, sizeof *sums);
    net->host_failed |= !sums;
    return sums;
}

/* Shared by every layer: elements of one activation of shape s for the whole batch. */
static inline size_t nin_volume(nin_shape s, int batch) { return (size_t)s.c * s.h * s.w * batch; }


/* Batch norm's epsilon: y = gamma (x - mean) / sqrt(var + eps) + beta (batchnorm.c; the ONNX export writes it). */
#define NIN_BN_EPS 1e-5f

/* Caffe's ceil-mode pooling output size, with the last window starting inside the input. */
int nin_pool_output_size(int in, int size, int stride);

/* Softmax cross-entropy on logits (classes x batch, CNHW): the loss layer, in softmax.c. Both leave the
 * batch's summed loss and correct count in net->d_metrics / net->h_metrics. */
void nin_softmax_loss(nin_net *net, int classes, cl_mem logits, cl_mem dlogits);
void nin_softmax_loss_ref(nin_net *net, int classes, const float *logits, float *dlogits);
/* SGD with momentum and weight decay (on the weights, not the biases) over the trainable parameters, each at
 * sgd.lr times its multiplier (bias_lr_mult, class_lr_mult), in sgd.c. */
typedef struct nin_sgd_step { float lr, momentum, weight_decay; } nin_sgd_step;
void nin_sgd_update(nin_net *net, nin_sgd_step sgd);
void nin_sgd_update_ref(nin_net *net, nin_sgd_step sgd);

#endif
