/* batchnorm.c - batch normalisation of each map, then the ReLU ("192c5p2b" is a linear convolution and this).
 *
 * Training, per map c over the batch's P = N*H*W values (one contiguous row in CNHW):
 *   mean = sum x / P,  var = sum (x - mean)^2 / P,  xhat = (x - mean) / sqrt(var + eps),
 *   y = relu(gamma * xhat + beta),
 * and the running statistics move towards the batch's by momentum 0.1 (the variance unbiased, times
 * P / (P - 1)), as PyTorch's BatchNorm2d does; evaluation normalises with the running statistics instead.
 * Backward, with dz = dy * (y > 0):
 *   dbeta = sum dz,  dgamma = sum dz * xhat,  dx = gamma / sqrt(var + eps) * (dz - (dbeta + xhat * dgamma) / P).
 * gamma is among the network's weights (weight decay applies to it, as PyTorch's SGD does by default), beta
 * among the biases, the running mean and variance among the statistics that follow them (kept in checkpoints,
 * not trained). The device keeps the batch's mean and 1/sqrt(var + eps) in the layer's private buffer for the
 * backward; the reference recomputes them from x. Under data-parallel training each process normalises with
 * its own share of the batch (PyTorch's BatchNorm2d without SyncBatchNorm does the same). */
#include <math.h>
#include "layer.h"

#define BN_MOMENTUM 0.1f
#define BN_CHUNK 4096   /* values per work-item of the row sums */

static size_t per_map(const nin_layer *l, int batch) { return (size_t)batch * l->in.h * l->in.w; }
static int chunks_of(size_t values) { return (int)((values + BN_CHUNK - 1) / BN_CHUNK); }

static void bn_setup(nin_layer *l, int batch)
{
    l->out = l->in;
    l->weights = l->biases = (size_t)l->in.c;   /* gamma, beta */
    l->stats = 2 * (size_t)l->in.c;             /* running mean, running variance */
    l->fan_in = 1;
    l->aux_bytes = 2 * (size_t)l->in.c * sizeof(float);
    l->bias_partials = 2 * (size_t)l->in.c * chunks_of(per_map(l, batch));
}

/* gamma 1, beta 0, running mean 0, running variance 1. */
static void bn_init(const nin_layer *l, float *params)
{
    for (int c = 0; c < l->in.c; c++) {
        params[l->weight_off + c] = 1.0f;
        params[l->bias_off + c] = 0.0f;
        params[l->stats_off + c] = 0.0f;
        params[l->stats_off + l->in.c + c] = 1.0f;
    }
}

/* --- device --------------------------------------------------------------------------------------- */

static void bn_forward(nin_net *net, nin_layer *l, cl_mem x, int train)
{
    int P = (int)per_map(l, net->batch), chunk = BN_CHUNK, chunks = chunks_of((size_t)P);
    size_t C = (size_t)l->in.c;   /* rows of chunks: (map, chunk) */
    int gamma = (int)l->weight_off, beta = (int)l->bias_off, run = (int)l->stats_off;
    float momentum = BN_MOMENTUM, eps = NIN_BN_EPS;
    for (int centered = 0; train && centered < 2; centered++) {   /* the mean, then the variance */
        NIN_RUN_ROWS(net->ctx, NIN_KF_BATCHNORM, "bn_moments", C, chunks, KARG(x), KARG(l->aux),
                     KARG(net->d_bias_partial), KARG(P), KARG(chunk), KARG(centered));
        NIN_RUN(net->ctx, "bn_finish_moments", (size_t)l->in.c, 0, KARG(net->d_bias_partial), KARG(chunks),
                KARG(l->aux), KARG(net->d_params), KARG(run), KARG(P), KARG(centered), KARG(momentum), KARG(eps));
    }
    NIN_RUN_ROWS(net->ctx, NIN_KF_BATCHNORM, "bn_forward", C, chunks, KARG(x), KARG(l->y), KARG(l->aux),
                 KARG(net->d_params), KARG(gamma), KARG(beta), KARG(run), KARG(P), KARG(chunk), KARG(train),
                 KARG(l->def.relu), KARG(eps));
}

static void bn_backward(nin_net *net, nin_layer *l, cl_mem x, cl_mem dy, cl_mem dx)
{
    int P = (int)per_map(l, net->batch), chunk = BN_CHUNK, chunks = chunks_of((size_t)P);
    size_t C = (size_t)l->in.c;   /* rows of chunks: (map, chunk) */
    int gamma = (int)l->weight_off, beta = (int)l->bias_off;
    NIN_RUN_ROWS(net->ctx, NIN_KF_BATCHNORM, "bn_backward_sums", C, chunks, KARG(dy), KARG(l->y), KARG(x),
                 KARG(l->aux), KARG(net->d_bias_partial), KARG(P), KARG(chunk), KARG(l->def.relu));
    NIN_RUN(net->ctx, "bn_param_grads", (size_t)l->in.c, 0, KARG(net->d_bias_partial), KARG(chunks),
            KARG(net->d_grads), KARG(gamma), KARG(beta));
    if (dx)
        NIN_RUN_ROWS(net->ctx, NIN_KF_BATCHNORM, "bn_backward_input", C, chunks, KARG(dy), KARG(x), KARG(l->aux),
                     KARG(net->d_params), KARG(net->d_grads), KARG(dx), KARG(gamma), KARG(beta), KARG(P), KARG(chunk));
}

/* --- C reference ----------------------------------------------------------------------------------- */

/* The batch's mean and (biased) variance of map c of x, in double, two passes. */
static void batch_moments(const float *x, size_t P, int c, double *mean, double *var)
{
    const float *row = x + (size_t)c * P;
    double sum = 0.0, squares = 0.0;
    for (size_t i = 0; i < P; i++)
        sum += row[i];
    *mean = sum / (double)P;
    for (size_t i = 0; i < P; i++)
        squares += (row[i] - *mean) * (row[i] - *mean);
    *var = squares / (double)P;
}

static void bn_forward_ref(nin_net *net, nin_layer *l, const float *x, float *y, int train)
{
    size_t P = per_map(l, net->batch);
    int C = l->in.c;
    for (int c = 0; c < C; c++) {
        float *run_mean = net->h_params + l->stats_off + c, *run_var = run_mean + C;
        double mean = *run_mean, var = *run_var;
        if (train) {
            batch_moments(x, P, c, &mean, &var);
            *run_mean = (float)((1.0 - BN_MOMENTUM) * *run_mean + BN_MOMENTUM * mean);
            *run_var = (float)((1.0 - BN_MOMENTUM) * *run_var + BN_MOMENTUM * (P > 1 ? var * P / (P - 1) : var));
        }
        double a = net->h_params[l->weight_off + c] / sqrt(var + NIN_BN_EPS), b = net->h_params[l->bias_off + c] - mean * a;
        for (size_t i = c * P; i < (c + 1) * P; i++) {
            float v = (float)(a * x[i] + b);
            y[i] = (l->def.relu && v < 0.0f) ? 0.0f : v;
        }
    }
}

static void bn_backward_ref(nin_net *net, nin_layer *l, const float *x, const float *y, float *dy, float *dx)
{
    size_t P = per_map(l, net->batch);
    for (int c = 0; c < l->in.c; c++) {
        double mean, var, db = 0.0, dg = 0.0;
        batch_moments(x, P, c, &mean, &var);
        double inv_std = 1.0 / sqrt(var + NIN_BN_EPS), scale = net->h_params[l->weight_off + c] * inv_std;
        for (size_t i = c * P; i < (c + 1) * P; i++) {
            if (l->def.relu && y[i] <= 0.0f)
                dy[i] = 0.0f;
            db += dy[i];
            dg += dy[i] * (x[i] - mean) * inv_std;
        }
        net->h_grads[l->bias_off + c] = (float)db;
        net->h_grads[l->weight_off + c] = (float)dg;
        for (size_t i = c * P; dx && i < (c + 1) * P; i++)
            dx[i] = (float)(scale * (dy[i] - (db + (x[i] - mean) * inv_std * dg) / (double)P));
    }
}

const nin_layer_ops nin_batchnorm_ops = { bn_setup, bn_forward, bn_backward, bn_forward_ref, bn_backward_ref, NULL,
                                          bn_init };
