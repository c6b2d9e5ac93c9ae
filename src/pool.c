/* pool.c - max and average pooling over each map, Caffe's ceil-mode output size, no padding.
 * Windows that run past the edge are clipped; the average divides by the clipped window's size
 * (PyTorch's ceil_mode=True does the same when there is no padding). */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include "layer.h"

int nin_pool_output_size(int in, int size, int stride)
{
    if (in <= size)
        return 1;
    int out = (in - size + stride - 1) / stride + 1;
    if ((out - 1) * stride >= in)   /* the last window must start inside the input */
        out--;
    return out;
}

static void pool_setup(nin_layer *l, int batch)
{
    (void)batch;
    l->out.c = l->in.c;
    l->out.h = nin_pool_output_size(l->in.h, l->def.size, l->def.stride);
    l->out.w = nin_pool_output_size(l->in.w, l->def.size, l->def.stride);
    l->aux_bytes = l->def.kind == NIN_MAXPOOL ? nin_volume(l->out, batch) * sizeof(int) : 0;
}

/* Arguments shared by every pooling kernel. */
#define POOL_ARGS(l) KARG((l)->in.h), KARG((l)->in.w), KARG((l)->out.h), KARG((l)->out.w), \
                     KARG((l)->def.size), KARG((l)->def.stride)

/* Plane shape: one work-item per plane, map c of image n (cl/pool.cl); element shape: one per output value
 * (forward) or input value (backward), the count the kernel's last argument. */
static void run_pool(nin_net *net, nin_layer *l, const char *name, int backward, int nargs, nin_karg *args)
{
    size_t planes = (size_t)l->in.c * net->batch, per_plane = backward ? (size_t)l->in.h * l->in.w
                                                                        : (size_t)l->out.h * l->out.w;
    int count = (int)(planes * per_plane);
    if (!nin_element_shaped(net->ctx, NIN_KF_POOL)) {
        nin_run_kernel(net->ctx, name, planes, 0, nargs, args);
        return;
    }
    char el[64];
    snprintf(el, sizeof el, "%s_el", name);
    args[nargs] = KARG(count);
    nin_run_elements(net->ctx, el, (size_t)count, 1, nargs + 1, args);
}

/* The argument array has one slot more than the arguments: for the element kernel's count. */
#define RUN_POOL(net, l, name, backward, ...)                                                                   \
    run_pool((net), (l), (name), (backward), (int)(sizeof((nin_karg[]){ __VA_ARGS__ }) / sizeof(nin_karg)),   \
             (nin_karg[]){ __VA_ARGS__, KARG((int){ 0 }) })

static void maxpool_forward(nin_net *net, nin_layer *l, cl_mem x, int train)
{
    (void)train;
    RUN_POOL(net, l, "maxpool_forward", 0, KARG(x), KARG(l->y), KARG(l->aux), POOL_ARGS(l));
}

static void maxpool_backward(nin_net *net, nin_layer *l, cl_mem x, cl_mem dy, cl_mem dx)
{
    (void)x;
    RUN_POOL(net, l, "maxpool_backward", 1, KARG(dy), KARG(l->aux), KARG(dx), POOL_ARGS(l));
}

static void avgpool_forward(nin_net *net, nin_layer *l, cl_mem x, int train)
{
    (void)train;
    RUN_POOL(net, l, "avgpool_forward", 0, KARG(x), KARG(l->y), POOL_ARGS(l));
}

static void avgpool_backward(nin_net *net, nin_layer *l, cl_mem x, cl_mem dy, cl_mem dx)
{
    (void)x;
    RUN_POOL(net, l, "avgpool_backward", 1, KARG(dy), KARG(dx), POOL_ARGS(l));
}

/* --- C reference ------------------------------------------------------------------------------------ */

/* Visit every output (plane q, oy, ox) with its clipped window [y0, y1) x [x0, x1). */
#define FOR_EACH_WINDOW(l, batch, BODY)                                                           \
    for (int q = 0; q < (l)->in.c * (batch); q++)                                                 \
        for (int oy = 0; oy < (l)->out.h; oy++)                                                   \
            for (int ox = 0; ox < (l)->out.w; ox++) {                                             \
                int y0 = oy * (l)->def.stride, y1 = y0 + (l)->def.size;                           \
                int x0 = ox * (l)->def.stride, x1 = x0 + (l)->def.size;                           \
                if (y1 > (l)->in.h) y1 = (l)->in.h;                                               \
                if (x1 > (l)->in.w) x1 = (l)->in.w;                                               \
                size_t plane = (size_t)q * (l)->in.h * (l)->in.w;                                 \
                size_t yi = ((size_t)q * (l)->out.h + oy) * (l)->out.w + ox;                      \
                BODY;                                                                             \
            }

/* Index (within x) of the window's first maximum. */
static size_t window_argmax(const float *x, size_t plane, int w, int y0, int y1, int x0, int x1)
{
    size_t best = plane + (size_t)y0 * w + x0;
    for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++)
            if (x[plane + (size_t)iy * w + ix] > x[best])
                best = plane + (size_t)iy * w + ix;
    return best;
}

static void maxpool_forward_ref(nin_net *net, nin_layer *l, const float *x, float *y, int train)
{
    (void)train;
    FOR_EACH_WINDOW(l, net->batch, y[yi] = x[window_argmax(x, plane, l->in.w, y0, y1, x0, x1)]);
}

static void maxpool_backward_ref(nin_net *net, nin_layer *l, const float *x, const float *y, float *dy, float *dx)
{
    (void)y;
    for (size_t i = 0; i < nin_volume(l->in, net->batch); i++)
        dx[i] = 0.0f;
    FOR_EACH_WINDOW(l, net->batch, dx[window_argmax(x, plane, l->in.w, y0, y1, x0, x1)] += dy[yi]);
}

static void avgpool_forward_ref(nin_net *net, nin_layer *l, const float *x, float *y, int train)
{
    (void)train;
    FOR_EACH_WINDOW(l, net->batch, {
        double sum = 0.0;
        for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++)
                sum += x[plane + (size_t)iy * l->in.w + ix];
        y[yi] = (float)(sum / ((y1 - y0) * (x1 - x0)));
    });
}

static void avgpool_backward_ref(nin_net *net, nin_layer *l, const float *x, const float *y, float *dy, float *dx)
{
    (void)x;
    (void)y;
    for (size_t i = 0; i < nin_volume(l->in, net->batch); i++)
        dx[i] = 0.0f;
    FOR_EACH_WINDOW(l, net->batch, {
        float share = dy[yi] / (float)((y1 - y0) * (x1 - x0));
        for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++)
                dx[plane + (size_t)iy * l->in.w + ix] += share;
    });
}

const nin_layer_ops nin_maxpool_ops = { pool_setup, maxpool_forward, maxpool_backward, maxpool_forward_ref,
                                        maxpool_backward_ref, NULL, NULL };
const nin_layer_ops nin_avgpool_ops = { pool_setup, avgpool_forward, avgpool_backward, avgpool_forward_ref,
                                        avgpool_backward_ref, NULL, NULL };
