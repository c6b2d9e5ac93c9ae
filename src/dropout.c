/* dropout.c - inverted dropout: in training keep each unit with probability 1 - rate and scale it by
 * 1 / (1 - rate); at test time the identity. The mask is a pure function of (key, unit index) drawn from
 * the counter-based generator, so backward regenerates exactly the forward mask instead of storing it,
 * and the C reference draws the same mask as the device. */
#include "layer.h"

static void dropout_setup(nin_layer *l, int batch)
{
    (void)batch;
    l->out = l->in;
}

static float keep_scale(const nin_layer *l)
{
    return 1.0f / (1.0f - l->def.rate);
}

/* Each training forward draws a new mask; backward reuses the key of the last forward. */
static void next_key(nin_net *net, nin_layer *l)
{
    l->dropout_key = nin_random_key(net->seed, (uint64_t)l->index, net->step);
}

/* The mask's geometry in the global batch (nin_net_set_shard): a map plane of this batch, the same plane
 * of the global batch, and where this batch starts inside it, in units. */
typedef struct mask_layout { int plane, global_plane, offset; } mask_layout;

static mask_layout layout_of(const nin_net *net, const nin_layer *l)
{
    int area = l->in.h * l->in.w;
    return (mask_layout){ net->batch * area, net->shard_total * area, net->shard_first * area };
}

/* out = in * mask * scale: forward (in = x) and backward (in = dy) are the same operation. */
static void apply_mask(nin_net *net, nin_layer *l, cl_mem in, cl_mem out)
{
    cl_ulong key = l->dropout_key;
    float scale = keep_scale(l);
    mask_layout m = layout_of(net, l);
    const size_t units[2] = { (size_t)m.plane, (size_t)l->in.c };   /* (unit of the map plane, map) */
    int count = m.plane * l->in.c;
    if (nin_element_shaped(net->ctx, NIN_KF_DROPOUT))
        NIN_RUN_EL(net->ctx, "dropout_apply_el", (size_t)count, 1, KARG(in), KARG(out), KARG(key), KARG(l->def.rate),
                   KARG(scale), KARG(m.global_plane), KARG(m.offset), KARG(m.plane), KARG(count));
    else
        NIN_RUN_2D(net->ctx, "dropout_apply", units, NULL, KARG(in), KARG(out), KARG(key), KARG(l->def.rate),
                   KARG(scale), KARG(m.global_plane), KARG(m.offset));
}

static void dropout_forward(nin_net *net, nin_layer *l, cl_mem x, int train)
{
    if (!train) {
        nin_copy(net->ctx, x, l->y, nin_volume(l->in, net->batch) * sizeof(float));
        return;
    }
    next_key(net, l);
    apply_mask(net, l, x, l->y);
}

static void dropout_backward(nin_net *net, nin_layer *l, cl_mem x, cl_mem dy, cl_mem dx)
{
    (void)x;
    apply_mask(net, l, dy, dx);
}

static void apply_mask_ref(const nin_net *net, const nin_layer *l, const float *in, float *out)
{
    float scale = keep_scale(l);
    mask_layout m = layout_of(net, l);
    for (size_t i = 0; i < nin_volume(l->in, net->batch); i++) {
        uint64_t unit = i / m.plane * (uint64_t)m.global_plane + m.offset + i % m.plane;
        out[i] = nin_random_uniform(l->dropout_key, unit) < l->def.rate ? 0.0f : in[i] * scale;
    }
}

static void dropout_forward_ref(nin_net *net, nin_layer *l, const float *x, float *y, int train)
{
    if (!train) {
        for (size_t i = 0; i < nin_volume(l->in, net->batch); i++)
            y[i] = x[i];
        return;
    }
    next_key(net, l);
    apply_mask_ref(net, l, x, y);
}

static void dropout_backward_ref(nin_net *net, nin_layer *l, const float *x, const float *y, float *dy, float *dx)
{
    (void)x;
    (void)y;
    apply_mask_ref(net, l, dy, dx);
}

const nin_layer_ops nin_dropout_ops = { dropout_setup, dropout_forward, dropout_backward, dropout_forward_ref,
                                        dropout_backward_ref, NULL, NULL };
