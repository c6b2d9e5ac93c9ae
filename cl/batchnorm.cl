/* batchnorm.cl - batch normalisation of each map (+ ReLU), forward and backward.
 *
 * In CNHW, map c of the whole batch is one contiguous row of P = N*H*W values, so every statistic is a sum
 * over a row: work-item (c, part) sums one chunk of `chunk` values, 16 at a time, into partial[c][part], and a
 * second kernel adds a map's chunk sums (as the bias gradient of conv.cl does). The mean and the variance
 * are two passes (the sum of x, then of (x - mean)^2), which keeps the variance accurate when the mean is
 * large against the spread. stats holds the batch's mean[C] then 1/sqrt(var + eps)[C] for the backward. */

/* partial[c][part] = the chunk's sum of x (centered == 0) or of (x - mean[c])^2 (centered == 1). */
__kernel void bn_moments(__global const float *x, __global const float *stats, __global float *partial, int P,
                         int chunk, int centered)
{
    int c = get_global_id(0), part = get_global_id(1), chunks = get_global_size(1);
    int p = part * chunk, p1 = min(p + chunk, P);
    __global const float *row = x + (size_t)c * P;
    float shift = centered ? stats[c] : 0.0f, sum = 0.0f;
    float16 acc = 0.0f;
    for (; p + 16 <= p1; p += 16) {
        float16 d = vload16(0, row + p) - shift;
        acc += centered ? d * d : d;
    }
    for (; p < p1; p++) {
        float d = row[p] - shift;
        sum += centered ? d * d : d;
    }
    partial[(size_t)c * chunks + part] = sum + NIN_SUM16(acc);
}

/* Per map c: the mean (centered == 0) into stats[c]; or the variance, whose 1/sqrt(var + eps) goes to
 * stats[C + c], and the running statistics (params[run], mean[C] then unbiased variance[C]) move by `momentum`
 * towards the batch's. */
__kernel void bn_finish_moments(__global const float *partial, int chunks, __global float *stats,
                                __global float *params, int run, int P, int centered, float momentum, float eps)
{
    int c = get_global_id(0), C = get_global_size(0);
    float sum = 0.0f;
    for (int i = 0; i < chunks; i++)
        sum += partial[(size_t)c * chunks + i];
    if (!centered) {
        stats[c] = sum / P;
        return;
    }
    float var = sum / P;
    stats[C + c] = rsqrt(var + eps);
    params[run + c] = (1.0f - momentum) * params[run + c] + momentum * stats[c];
    params[run + C + c] = (1.0f - momentum) * params[run + C + c] + momentum * (P > 1 ? sum / (P - 1) : var);
}

/* y = relu(gamma * (x - mean) / sqrt(var + eps) + beta), with the batch's statistics (train) or the running
 * ones. */
__kernel void bn_forward(__global const float *x, __global float *y, __global const float *stats,
                         __global const float *params, int gamma, int beta, int run, int P, int chunk, int train,
                         int relu, float eps)
{
    int c = get_global_id(0), part = get_global_id(1), C = get_global_size(0);
    int p = part * chunk, p1 = min(p + chunk, P);
    float mean = train ? stats[c] : params[run + c];
    float inv_std = train ? stats[C + c] : rsqrt(params[run + C + c] + eps);
    float a = params[gamma + c] * inv_std, b = params[beta + c] - mean * a;
    __global const float *in = x + (size_t)c * P;
    __global float *out = y + (size_t)c * P;
    for (; p + 16 <= p1; p += 16) {
        float16 v = a * vload16(0, in + p) + b;
        vstore16(relu ? select(v, (float16)0.0f, v < 0.0f) : v, 0, out + p);   /* NaN stays NaN */
    }
    for (; p < p1; p++) {
        float v = a * in[p] + b;
        out[p] = (relu && v < 0.0f) ? 0.0f : v;
    }
}

/* Backward, part 1: dy becomes dz = dy * (y > 0) in place; partial[c][part] = the chunk's sum of dz and
 * partial[C + c][part] = its sum of dz * xhat, xhat = (x - mean) / sqrt(var + eps). */
__kernel void bn_backward_sums(__global float *dy, __global const float *y, __global const float *x,
                               __global const float *stats, __global float *partial, int P, int chunk, int relu)
{
    int c = get_global_id(0), part = get_global_id(1), C = get_global_size(0), chunks = get_global_size(1);
    int p = part * chunk, p1 = min(p + chunk, P);
    float mean = stats[c], inv_std = stats[C + c], s1 = 0.0f, s2 = 0.0f;
    __global float *d = dy + (size_t)c * P;
    __global const float *yr = y + (size_t)c * P, *xr = x + (size_t)c * P;
    float16 a1 = 0.0f, a2 = 0.0f;
    for (; p + 16 <= p1; p += 16) {
        float16 dz = vload16(0, d + p);
        if (relu) {
            dz = select(dz, (float16)0.0f, vload16(0, yr + p) <= 0.0f);
            vstore16(dz, 0, d + p);
        }
        a1 += dz;
        a2 += dz * (vload16(0, xr + p) - mean) * inv_std;
    }
    for (; p < p1; p++) {
        float dz = (relu && yr[p] <= 0.0f) ? 0.0f : d[p];
        d[p] = dz;
        s1 += dz;
        s2 += dz * (xr[p] - mean) * inv_std;
    }
    partial[(size_t)c * chunks + part] = s1 + NIN_SUM16(a1);
    partial[(size_t)(C + c) * chunks + part] = s2 + NIN_SUM16(a2);
}

/* Part 2, per map: dbeta = sum dz, dgamma = sum dz * xhat. */
__kernel void bn_param_grads(__global const float *partial, int chunks, __global float *grads, int gamma, int beta)
{
    int c = get_global_id(0), C = get_global_size(0);
    float db = 0.0f, dg = 0.0f;
    for (int i = 0; i < chunks; i++) {
        db += partial[(size_t)c * chunks + i];
        dg += partial[(size_t)(C + c) * chunks + i];
    }
    grads[beta + c] = db;
    grads[gamma + c] = dg;
}

/* Part 3: dx = gamma / sqrt(var + eps) * (dz - (dbeta + xhat * dgamma) / P). */
__kernel void bn_backward_input(__global const float *dz, __global const float *x, __global const float *stats,
                                __global const float *params, __global const float *grads, __global float *dx,
                                int gamma, int beta, int P, int chunk)
{
    int c = get_global_id(0), part = get_global_id(1), C = get_global_size(0);
    int p = part * chunk, p1 = min(p + chunk, P);
    float mean = stats[c], inv_std = stats[C + c], scale = params[gamma + c] * inv_std;
    float db = grads[beta + c] / P, dg = grads[gamma + c] / P;
    __global const float *dr = dz + (size_t)c * P, *xr = x + (size_t)c * P;
    __global float *out = dx + (size_t)c * P;
    for (; p + 16 <= p1; p += 16) {
        float16 xhat = (vload16(0, xr + p) - mean) * inv_std;
        vstore16(scale * (vload16(0, dr + p) - db - xhat * dg), 0, out + p);
    }
    for (; p < p1; p++)
        out[p] = scale * (dr[p] - db - (xr[p] - mean) * inv_std * dg);
}

/* --- element-shaped variants (common.cl): the same arguments, work-group (part, c) for work-item (c, part),
 * its work-items NIN_GROUP values apart; the chunk sums reduced in local memory. */

__kernel void bn_moments_el(__global const float *x, __global const float *stats, __global float *partial, int P,
                            int chunk, int centered)
{
    __local float scratch[NIN_GROUP];
    int c = get_global_id(1);
    __global const float *row = x + (size_t)c * P;
    float shift = centered ? stats[c] : 0.0f, sum = 0.0f;
    NIN_CHUNK_LOOP(p, chunk, P) {
        float d = row[p] - shift;
        sum += centered ? d * d : d;
    }
    sum = nin_group_sum(sum, scratch);
    if (get_local_id(0) == 0)
        partial[(size_t)c * get_num_groups(0) + get_group_id(0)] = sum;
}

__kernel void bn_forward_el(__global const float *x, __global float *y, __global const float *stats,
                            __global const float *params, int gamma, int beta, int run, int P, int chunk, int train,
                            int relu, float eps)
{
    int c = get_global_id(1), C = get_global_size(1);
    float mean = train ? stats[c] : params[run + c];
    float inv_std = train ? stats[C + c] : rsqrt(params[run + C + c] + eps);
    float a = params[gamma + c] * inv_std, b = params[beta + c] - mean * a;
    __global const float *in = x + (size_t)c * P;
    __global float *out = y + (size_t)c * P;
    NIN_CHUNK_LOOP(p, chunk, P) {
        float v = a * in[p] + b;
        out[p] = (relu && v < 0.0f) ? 0.0f : v;
    }
}

__kernel void bn_backward_sums_el(__global float *dy, __global const float *y, __global const float *x,
                                  __global const float *stats, __global float *partial, int P, int chunk, int relu)
{
    __local float scratch[NIN_GROUP];
    int c = get_global_id(1), C = get_global_size(1);
    size_t chunks = get_num_groups(0), part = get_group_id(0);
    float mean = stats[c], inv_std = stats[C + c], s1 = 0.0f, s2 = 0.0f;
    __global float *d = dy + (size_t)c * P;
    __global const float *yr = y + (size_t)c * P, *xr = x + (size_t)c * P;
    NIN_CHUNK_LOOP(p, chunk, P) {
        float dz = (relu && yr[p] <= 0.0f) ? 0.0f : d[p];
        d[p] = dz;
        s1 += dz;
        s2 += dz * (xr[p] - mean) * inv_std;
    }
    s1 = nin_group_sum(s1, scratch);
    s2 = nin_group_sum(s2, scratch);
    if (get_local_id(0) == 0) {
        partial[(size_t)c * chunks + part] = s1;
        partial[(size_t)(C + c) * chunks + part] = s2;
    }
}

__kernel void bn_backward_input_el(__global const float *dz, __global const float *x, __global const float *stats,
                                   __global const float *params, __global const float *grads, __global float *dx,
                                   int gamma, int beta, int P, int chunk)
{
    int c = get_global_id(1), C = get_global_size(1);
    float mean = stats[c], inv_std = stats[C + c], scale = params[gamma + c] * inv_std;
    float db = grads[beta + c] / P, dg = grads[gamma + c] / P;
    __global const float *dr = dz + (size_t)c * P, *xr = x + (size_t)c * P;
    __global float *out = dx + (size_t)c * P;
    NIN_CHUNK_LOOP(p, chunk, P)
        out[p] = scale * (dr[p] - db - (xr[p] - mean) * inv_std * dg);
}
