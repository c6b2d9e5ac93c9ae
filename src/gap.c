/* gap.c - global average pooling: each map becomes its mean, the network's class confidence. */
#include "layer.h"

static void gap_setup(nin_layer *l, int batch)
{
    (void)batch;
    l->out = (nin_shape){ l->in.c, 1, 1 };
}

static void gap_forward(nin_net *net, nin_layer *l, cl_mem x, int train)
{
    (void)train;
    int area = l->in.h * l->in.w;
    size_t planes = nin_volume(l->out, net->batch);
    if (nin_element_shaped(net->ctx, NIN_KF_GAP))   /* a work-group per plane */
        NIN_RUN_EL(net->ctx, "gap_forward_el", planes * NIN_GROUP, 1, KARG(x), KARG(l->y), KARG(area));
    else
        NIN_RUN(net->ctx, "gap_forward", planes, 0, KARG(x), KARG(l->y), KARG(area));
}

static void gap_backward(nin_net *net, nin_layer *l, cl_mem x, cl_mem dy, cl_mem dx)
{
    (void)x;
    int area = l->in.h * l->in.w, count = (int)nin_volume(l->in, net->batch);
    if (nin_element_shaped(net->ctx, NIN_KF_GAP))
        NIN_RUN_EL(net->ctx, "gap_backward_el", (size_t)count, 1, KARG(dy), KARG(dx), KARG(area), KARG(count));
    else
        NIN_RUN(net->ctx, "gap_backward", (size_t)count, 0, KARG(dy), KARG(dx), KARG(area));
}

static void gap_forward_ref(nin_net *net, nin_layer *l, const float *x, float *y, int train)
{
    (void)train;
    size_t area = (size_t)l->in.h * l->in.w;
    for (size_t q = 0; q < nin_volume(l->out, net->batch); q++) {
        double sum = 0.0;
        for (size_t j = 0; j < area; j++)
            sum += x[q * area + j];
        y[q] = (float)(sum / area);
    }
}

static void gap_backward_ref(nin_net *net, nin_layer *l, const float *x, const float *y, float *dy, float *dx)
{
    (void)x;
    (void)y;
    size_t area = (size_t)l->in.h * l->in.w;
    for (size_t i = 0; i < nin_volume(l->in, net->batch); i++)
            dx[i] = dy[i / area] / (float)area;
}

const nin_layer_ops nin_gap_ops = { gap_setup, gap_forward, gap_backward, gap_forward_ref, gap_backward_ref, NULL,
                                    NULL };
