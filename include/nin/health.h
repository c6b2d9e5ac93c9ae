/* nin/health.h - training health: notice a run that has stopped learning, and say why.
 *
 * The failure NIN users report most: the loss sits at ln(C) and the accuracy at chance for whole epochs,
 * because the ReLU after the last 1x1 convolution died (every class map is 0, so the softmax is uniform) or
 * the learning rate is too high for the init. The monitor watches the loss that every training step reads
 * back anyway, and only every few dozen steps (or when the loss looks stalled) reads the activations of the
 * last mlpconv block once, to tell the causes apart. nin-cl inspect prints the same numbers for a checkpoint. */
#ifndef NIN_HEALTH_H
#define NIN_HEALTH_H

#include <stddef.h>
#include <stdint.h>
#include <nin/net.h>

/* --- what the numbers of a network say --------------------------------------------------------------- */

/* A layer's output on the batch of the last forward pass. */
typedef struct nin_layer_stats {
    nin_shape shape;           /* of one sample's output */
    int maps;                  /* output maps (units): shape.c */
    double mean, std, min, max;
    double zero_fraction;      /* activations that are exactly 0 */
    int dead_maps;             /* ReLU layers: maps that are 0 at every position of every sample */
    double input_spread;       /* the largest, over maps, std across samples of a map's mean: 0 when the
                                  layer's output does not depend on the input */
    size_t nonfinite;          /* NaN or Inf activations */
} nin_layer_stats;

/* Statistics of layer `layer`'s output after the last forward pass (one device read), of a network from
 * nin_net_create. Returns 0, or -1 with one line in nin_last_error(): an inference network (it keeps only its
 * last two layers' outputs), a layer index out of range, out of host memory. */
int nin_net_layer_stats(nin_net *net, int layer, nin_layer_stats *s);

/* L2 norms of a layer's weights and biases in `params`, and of their gradients in `grads` (either may be
 * NULL), both laid out as nin_net_get_params gives them. */
typedef struct nin_layer_norms { double weights, biases, weight_grads, bias_grads; } nin_layer_norms;
void nin_net_layer_norms(const nin_net *net, int layer, const float *params, const float *grads,
                         nin_layer_norms *n);

const nin_layer_def *nin_net_layer_def(const nin_net *net, int layer);
/* The class layer (the last layer with parameters), and the first layer of its mlpconv block (the layers with
 * parameters after the last pooling or dropout layer before it). */
int nin_net_class_layer(const nin_net *net);
int nin_net_last_block_start(const nin_net *net);

/* NaN and Inf values among n floats. */
size_t nin_count_nonfinite(const float *x, size_t n);

/* --- the remedy for a dead final ReLU ---------------------------------------------------------------- */

/* Make the last convolution or fully connected layer linear (no ReLU before the class scores). Returns -1
 * when the network has no such layer. */
int nin_netdef_no_final_relu(nin_netdef *def);

/* --- the monitor a training run feeds ---------------------------------------------------------------- */

typedef enum nin_health_event {
    NIN_HEALTH_OK,
    NIN_HEALTH_CHANCE,         /* the loss has stayed within 1e-3 of ln(C) for stall_steps steps */
    NIN_HEALTH_DEAD,           /* the class scores do not depend on the input (dead class maps or layers) */
    NIN_HEALTH_RISING,         /* the smoothed loss has stayed far above its best for stall_steps steps */
    NIN_HEALTH_NONFINITE,      /* the loss is NaN or Inf */
    NIN_HEALTH_RECOVERED,      /* an earlier warning no longer holds */
    NIN_HEALTH_ERROR,          /* the activations could not be read: h->message and nin_last_error() say why */
} nin_health_event;

typedef struct nin_health {
    int classes;
    double chance;             /* ln(classes): the loss of a uniform prediction */
    uint64_t warmup;           /* no stall verdict before this step (the learning-rate warm-up) */
    int stall_steps;           /* steps a symptom must last; also the steps between activation checks */
    int at_chance;             /* consecutive steps with the loss within 1e-3 of ln(C) */
    int rising;                /* consecutive steps with the smoothed loss far above its best */
    int seen;                  /* steps fed so far */
    int dead;                  /* the last check found class scores that ignore the input */
    nin_sum_fn *sum;           /* data parallel: adds over the processes, so that they all agree (or NULL) */
    double smooth, best;       /* exponential moving average of the loss, its lowest value */
    nin_health_event active;   /* the warning given and still holding, or OK */
    char message[1024];        /* the line that goes with the last event other than OK */
} nin_health;

/* Steps a symptom must last before the monitor warns, by default. */
#define NIN_HEALTH_STALL_STEPS 50

/* With `sum` (nin_dist_sum, else NULL) the processes of a data-parallel run, each feeding the global batch's
 * loss, check the class maps of their shares together and so give the same events at the same steps. */
void nin_health_init(nin_health *h, int classes, uint64_t warmup, int stall_steps, nin_sum_fn *sum);
/* Feed one training step: `step` is the steps done after it, `loss` and `lr` its loss and learning rate.
 * Returns an event; for one other than OK, h->message holds the line to print. A warning is given once,
 * until it stops holding (RECOVERED). NONFINITE is always returned for a NaN or Inf loss. ERROR: the
 * activations could not be read (out of host memory, a device error; in a data-parallel run, on any process,
 * and then on every process alike). */
nin_health_event nin_health_step(nin_health *h, nin_net *net, uint64_t step, float loss, float lr);

/* A one-line diagnosis of a network from its last forward pass and that batch's mean loss: what it shows
 * and, when it is unhealthy, the likely cause and what to change. Returns 1 when it looks healthy, 0 when not,
 * -1 when the activations could not be read (the line in nin_last_error(), and in buf). */
int nin_health_diagnose(nin_net *net, double loss, float lr, char *buf, size_t size);

#endif
