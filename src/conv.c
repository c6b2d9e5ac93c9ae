/* conv.c - convolution (k x k, pad, stride) + bias + ReLU, and the fully connected layer.
 *
 * Forward on the device:  col = im2col(x) [K x P], y = W [M x K] * col, y = relu(y + b),
 * with M output maps, K = C*kh*kw, P = N*OH*OW. A 1x1 convolution with stride 1 and no pad needs no
 * im2col: in CNHW the input already is the K x P matrix, so the mlpconv's "cccp" layers are one GEMM each.
 * Backward: dz = dy * (y > 0), db = row sums of dz, dW = dz * col^T, dcol = W^T * dz, dx = col2im(dcol).
 * im2col is recomputed in backward rather than kept, so all layers share one workspace.
 *
 * A fully connected layer is the convolution whose kernel covers the whole input (kh = H, kw = W, output
 * 1x1): its im2col is exactly the flattening of each sample's C*H*W features, in PyTorch's order.
 */
#include <stdlib.h>
#include "layer.h"

#define BIAS_CHUNK 4096   /* values per work-item of the bias and ReLU kernels */

/* Floats of im2col workspace to use at most: $NIN_IM2COL_FLOATS (for tests), else 32 Mi (128 MiB). */
static size_t nin_im2col_budget(void)
{
    const char *env = getenv("NIN_IM2COL_FLOATS");
    long v = env ? atol(env) : 0;
    return v > 0 ? (size_t)v : (size_t)1 << 25;
}

static int needs_im2col(const nin_layer *l)
{
    return !(l->kh == 1 && l->kw == 1 && l->def.stride == 1 && l->def.pad == 0);
}

static void conv_geometry(nin_layer *l, int batch, int kh, int kw)
{
    l->kh = kh;
    l->kw = kw;
    l->out.c = l->def.outputs;
    if (l->in.h + 2 * l->def.pad < kh || l->in.w + 2 * l->def.pad < kw) {   /* no window fits: rejected later */
        l->out.h = l->out.w = 0;
        return;
    }
    l->out.h = (l->in.h + 2 * l->def.pad - kh) / l->def.stride + 1;
    l->out.w = (l->in.w + 2 * l->def.pad - kw) / l->def.stride + 1;
    l->fan_in = l->in.c * kh * kw;
    l->weights = (size_t)l->out.c * l->fan_in;
    l->biases = (size_t)l->out.c;
    /* im2col runs over chunks of images whose columns fit the budget (all at once when they do) */
    size_t per_image = (size_t)l->fan_in * l->out.h * l->out.w, budget = nin_im2col_budget();
    l->chunk_images = needs_im2col(l) ? (int)(budget / per_image < 1 ? 1 : budget / per_image) : batch;
    if (l->chunk_images > batch)
        l->chunk_images = batch;
    l->workspace = needs_im2col(l) ? per_image * l->chunk_images : 0;
    l->bias_partials = (size_t)l->out.c * (((size_t)batch * l->out.h * l->out.w + BIAS_CHUNK - 1) / BIAS_CHUNK);
}

static void conv_setup(nin_layer *l, int batch)
{
    conv_geometry(l, batch, l->def.size, l->def.size);
}

static void fc_setup(nin_layer *l, int batch)
{
    l->def.stride = 1;
    l->def.pad = 0;
    conv_geometry(l, batch, l->in.h, l->in.w);
}

/* --- device --------------------------------------------------------------------------------------- */

/* Arguments shared by im2col and col2im: the input geometry, the kernel window, the chunk of images. */
#define WINDOW_ARGS(l, batch, n0, nc)                                                                \
    KARG((l)->in.c), KARG(batch), KARG((l)->in.h), KARG((l)->in.w), KARG((l)->kh), KARG((l)->kw),   \
        KARG((l)->def.stride), KARG((l)->def.pad), KARG((l)->out.h), KARG((l)->out.w), KARG(n0), KARG(nc)

/* Plane shape: work-item (image, column-matrix row); element shape: (column, row). */
static void im2col(nin_net *net, nin_layer *l, cl_mem x, int n0, int nc)
{
    const size_t global[2] = { (size_t)nc, (size_t)l->fan_in };
    if (nin_element_shaped(net->ctx, NIN_KF_IM2COL))
        NIN_RUN_EL(net->ctx, "im2col_el", (size_t)nc * l->out.h * l->out.w, (size_t)l->fan_in, KARG(x),
                   KARG(net->d_work), WINDOW_ARGS(l, net->batch, n0, nc));
    else
        NIN_RUN_2D(net->ctx, "im2col", global, NULL, KARG(x), KARG(net->d_work), WINDOW_ARGS(l, net->batch, n0, nc));
}

/* dx = col2im(the workspace). Plane shape: work-item (image, input map); element shape: (input pixel, map). */
static void col2im(nin_net *net, nin_layer *l, cl_mem dx, int n0, int nc)
{
    const size_t planes[2] = { (size_t)nc, (size_t)l->in.c };
    if (nin_element_shaped(net->ctx, NIN_KF_COL2IM))
        NIN_RUN_EL(net->ctx, "col2im_el", (size_t)nc * l->in.h * l->in.w, (size_t)l->in.c, KARG(net->d_work),
                   KARG(dx), WINDOW_ARGS(l, net->batch, n0, nc));
    else
        NIN_RUN_2D(net->ctx, "col2im", planes, NULL, KARG(net->d_work), KARG(dx), WINDOW_ARGS(l, net->batch, n0, nc));
}

/* y = relu(W * col + b): one GEMM per im2col chunk (the input itself for 1x1). The tiled GEMM adds the bias
 * and applies the ReLU as it writes y; with CLBlast that is one more pass over y. */
static void conv_forward(nin_net *net, nin_layer *l, cl_mem x, int train)
{
    (void)train;
    int m = l->out.c, k = l->fan_in, area = l->out.h * l->out.w, p = net->batch * area;
    const nin_gemm_epilogue epi = { net->d_params, l->bias_off, l->def.relu };
    int fused = nin_gemm_has_epilogue(net->ctx);
    for (int n0 = 0; n0 < net->batch; n0 += l->chunk_images) {
        int nc = net->batch - n0 < l->chunk_images ? net->batch - n0 : l->chunk_images, pc = nc * area;
        /* y[:, the chunk's columns] = W * col, col = the chunk's im2col, or for 1x1 the input itself */
        cl_mem col = needs_im2col(l) ? net->d_work : x;
        size_t col_off = needs_im2col(l) ? 0 : (size_t)n0 * area, ld_col = needs_im2col(l) ? (size_t)pc : (size_t)p;
        if (needs_im2col(l))
            im2col(net, l, x, n0, nc);
        if (fused)
            nin_gemm_bias_act(net->ctx, m, pc, k, net->d_params, l->weight_off, k, col, col_off, ld_col, l->y,
                              (size_t)n0 * area, p, &epi);
        else
            nin_gemm(net->ctx, 0, 0, m, pc, k, 1.0f, net->d_params, l->weight_off, k, col, col_off, ld_col, 0.0f,
                     l->y, (size_t)n0 * area, p);
    }
    if (fused)
        return;
    int bias_off = (int)l->bias_off, chunk = BIAS_CHUNK;
    NIN_RUN_ROWS(net->ctx, NIN_KF_BIAS_RELU, "bias_relu_forward", (size_t)m, ((size_t)p + chunk - 1) / chunk,
                 KARG(l->y), KARG(net->d_params), KARG(bias_off), KARG(p), KARG(chunk), KARG(l->def.relu));
}

static void conv_backward(nin_net *net, nin_layer *l, cl_mem x, cl_mem dy, cl_mem dx)
{
    int m = l->out.c, k = l->fan_in, area = l->out.h * l->out.w, p = net->batch * area;
    int bias_off = (int)l->bias_off;
    /* dy becomes dz in place; the bias gradient is the sum of its rows, in chunks, then per map */
    int chunk = BIAS_CHUNK, chunks = (p + chunk - 1) / chunk;
    NIN_RUN_ROWS(net->ctx, NIN_KF_BIAS_RELU, "bias_relu_backward", (size_t)m, (size_t)chunks, KARG(dy), KARG(l->y),
                 KARG(net->d_bias_partial), KARG(p), KARG(chunk), KARG(l->def.relu));
    NIN_RUN(net->ctx, "bias_grad_sum", (size_t)m, 0, KARG(net->d_bias_partial), KARG(chunks), KARG(net->d_grads),
            KARG(bias_off));
    if (!needs_im2col(l)) {   /* the input is the column matrix */
        nin_gemm(net->ctx, 0, 1, m, k, p, 1.0f, dy, 0, p, x, 0, p, 0.0f, net->d_grads, l->weight_off, k);
        if (dx)
            nin_gemm(net->ctx, 1, 0, k, p, m, 1.0f, net->d_params, l->weight_off, k, dy, 0, p, 0.0f, dx, 0, p);
        return;
    }
    for (int n0 = 0; n0 < net->batch; n0 += l->chunk_images) {
        int nc = net->batch - n0 < l->chunk_images ? net->batch - n0 : l->chunk_images, pc = nc * area;
        im2col(net, l, x, n0, nc);   /* recomputed: one workspace serves every layer */
        nin_gemm(net->ctx, 0, 1, m, k, pc, 1.0f, dy, (size_t)n0 * area, p, net->d_work, 0, pc, n0 ? 1.0f : 0.0f,
                 net->d_grads, l->weight_off, k);
        if (!dx)
            continue;
        nin_gemm(net->ctx, 1, 0, k, pc, m, 1.0f, net->d_params, l->weight_off, k, dy, (size_t)n0 * area, p, 0.0f,
                 net->d_work, 0, pc);
        col2im(net, l, dx, n0, nc);
    }
}

/* --- C reference: direct convolution, plain loops ----------------------------------------------- */

/* Visit every (output unit, weight, input) triple of the convolution: the one loop nest that the
 * forward and both backward products share. */
#define FOR_EACH_TAP(l, batch, BODY)                                                                     \
    for (int m = 0; m < (l)->out.c; m++)                                                                 \
        for (int n = 0; n < (batch); n++)                                                                \
            for (int oy = 0; oy < (l)->out.h; oy++)                                                      \
                for (int ox = 0; ox < (l)->out.w; ox++) {                                                \
                    size_t yi = (((size_t)m * (batch) + n) * (l)->out.h + oy) * (l)->out.w + ox;         \
                    for (int c = 0; c < (l)->in.c; c++)                                                  \
                        for (int ki = 0; ki < (l)->kh; ki++)                                             \
                            for (int kj = 0; kj < (l)->kw; kj++) {                                       \
                                int iy = oy * (l)->def.stride - (l)->def.pad + ki;                       \
                                int ix = ox * (l)->def.stride - (l)->def.pad + kj;                       \
                                if (iy < 0 || iy >= (l)->in.h || ix < 0 || ix >= (l)->in.w)              \
                                    continue;                                                            \
                                size_t wi = (((size_t)m * (l)->in.c + c) * (l)->kh + ki) * (l)->kw + kj; \
                                size_t xi = (((size_t)c * (batch) + n) * (l)->in.h + iy) * (l)->in.w + ix; \
                                BODY;                                                                    \
                            }                                                                            \
                }

static void conv_forward_ref(nin_net *net, nin_layer *l, const float *x, float *y, int train)
{
    (void)train;
    const float *w = net->h_params + l->weight_off, *b = net->h_params + l->bias_off;
    size_t per_map = (size_t)net->batch * l->out.h * l->out.w;
    double *sum = nin_ref_sums(net, nin_volume(l->out, net->batch));
    if (!sum)
        return;
    FOR_EACH_TAP(l, net->batch, sum[yi] += (double)w[wi] * x[xi]);
    for (size_t i = 0; i < nin_volume(l->out, net->batch); i++) {
        float v = (float)(sum[i] + b[i / per_map]);
        y[i] = (l->def.relu && v < 0.0f) ? 0.0f : v;
    }
    free(sum);
}

static void conv_backward_ref(nin_net *net, nin_layer *l, const float *x, const float *y, float *dy, float *dx)
{
    const float *w = net->h_params + l->weight_off;
    float *dw = net->h_grads + l->weight_off, *db = net->h_grads + l->bias_off;
    size_t per_map = (size_t)net->batch * l->out.h * l->out.w;
    for (int m = 0; m < l->out.c; m++) {
        double sum = 0.0;
        for (size_t i = (size_t)m * per_map; i < (size_t)(m + 1) * per_map; i++) {
            if (l->def.relu && y[i] <= 0.0f)
                dy[i] = 0.0f;
            sum += dy[i];
        }
        db[m] = (float)sum;
    }
    double *dw_sum = nin_ref_sums(net, l->weights);
    if (!dw_sum)
        return;
    FOR_EACH_TAP(l, net->batch, dw_sum[wi] += (double)dy[yi] * x[xi]);
    for (size_t i = 0; i < l->weights; i++)
        dw[i] = (float)dw_sum[i];
    free(dw_sum);
    if (!dx)
        return;
    double *dx_sum = nin_ref_sums(net, nin_volume(l->in, net->batch));
    if (!dx_sum)
        return;
    FOR_EACH_TAP(l, net->batch, dx_sum[xi] += (double)dy[yi] * w[wi]);
    for (size_t i = 0; i < nin_volume(l->in, net->batch); i++)
        dx[i] = (float)dx_sum[i];
    free(dx_sum);
}

/* The three GEMMs of conv_forward/conv_backward (per im2col chunk): for tuning and the memory budget. The input
 * gradient's B is the chunk's columns of the whole batch's dy (leading dimension batch * area). */
static int conv_gemm_shapes(const nin_layer *l, int first, int batch, nin_gemm_shape *out)
{
    size_t m = (size_t)l->out.c, k = (size_t)l->fan_in, area = (size_t)l->out.h * l->out.w;
    size_t p = (size_t)l->chunk_images * area, whole = (size_t)batch * area;
    out[0] = (nin_gemm_shape){ 0, 0, m, p, k, 0 };
    out[1] = (nin_gemm_shape){ 0, 1, m, k, p, 0 };
    out[2] = (nin_gemm_shape){ 1, 0, k, p, m, whole };
    return first ? 2 : 3;
}

const nin_layer_ops nin_conv_ops = { conv_setup, conv_forward, conv_backward, conv_forward_ref, conv_backward_ref,
                                     conv_gemm_shapes, NULL };
const nin_layer_ops nin_fc_ops = { fc_setup, conv_forward, conv_backward, conv_forward_ref, conv_backward_ref,
                                   conv_gemm_shapes, NULL };
