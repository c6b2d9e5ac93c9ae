/* conv.cl - convolution and fully connected layers: im2col/col2im around CLBlast's GEMM, bias + ReLU. */

/* col[K x P]: row (c, ki, kj), column (n, oy, ox); zero where the window hangs over the padding.
 * One work-item per output row (row, n, oy) writes OW contiguous values: the index arithmetic is paid once
 * per row, not per element. */
__kernel void im2col(__global const float *x, __global float *col, int C, int N, int H, int W,
                     int kh, int kw, int stride, int pad, int OH, int OW)
{
    int i = get_global_id(0);
    int oy = i % OH, n = (i / OH) % N, row = i / (OH * N);
    int c = row / (kh * kw), ki = (row / kw) % kh, kj = row % kw;
    int iy = oy * stride - pad + ki;
    __global float *out = col + (size_t)row * N * OH * OW + (size_t)(n * OH + oy) * OW;
    if (iy < 0 || iy >= H) {
        for (int ox = 0; ox < OW; ox++)
            out[ox] = 0.0f;
        return;
    }
    __global const float *in = x + ((size_t)(c * N + n) * H + iy) * W;
    for (int ox = 0, ix = kj - pad; ox < OW; ox++, ix += stride)
        out[ox] = (ix >= 0 && ix < W) ? in[ix] : 0.0f;
}

/* dx = col2im(dcol): each input pixel gathers every column entry that read it (no atomics needed).
 * One work-item per input row (c, n, iy). */
__kernel void col2im(__global const float *col, __global float *dx, int C, int N, int H, int W,
                     int kh, int kw, int stride, int pad, int OH, int OW)
{
    int i = get_global_id(0);
    int iy = i % H, n = (i / H) % N, c = i / (H * N);
    size_t P = (size_t)N * OH * OW;
    __global float *out = dx + (size_t)i * W;
    for (int ix = 0; ix < W; ix++)
        out[ix] = 0.0f;
    for (int ki = 0; ki < kh; ki++) {
        int ty = iy + pad - ki;
        if (ty < 0 || ty % stride != 0 || ty / stride >= OH)
            continue;
        for (int kj = 0; kj < kw; kj++) {
            __global const float *in = col + ((size_t)(c * kh + ki) * kw + kj) * P + (size_t)(n * OH + ty / stride) * OW;
            for (int ix = 0; ix < W; ix++) {
                int tx = ix + pad - kj;
                if (tx >= 0 && tx % stride == 0 && tx / stride < OW)
                    out[ix] += in[tx / stride];
            }
        }
    }
}

/* y[m, p] = relu(y[m, p] + b[m]) (no ReLU when relu == 0). */
__kernel void bias_relu_forward(__global float *y, __global const float *params, int bias_off, int P, int relu)
{
    int i = get_global_id(0);
    float v = y[i] + params[bias_off + i / P];
    y[i] = (relu && v < 0.0f) ? 0.0f : v;
}

/* One work-group of 64 per output map m: dy[m, :] *= (y > 0) in place, db[m] = sum of the result.
 * Work-item t takes a contiguous 1/64 of the row, so its loop runs over consecutive addresses. */
__kernel void bias_relu_backward(__global float *dy, __global const float *y, __global float *grads,
                                 int bias_off, int P, int relu)
{
    __local float partial[64];
    int m = get_group_id(0), t = get_local_id(0), chunk = (P + 63) / 64;
    int p0 = min(t * chunk, P), p1 = min(p0 + chunk, P);
    __global float *row = dy + (size_t)m * P;
    __global const float *yrow = y + (size_t)m * P;
    float sum = 0.0f;
    for (int p = p0; p < p1; p++) {
        float d = (relu && yrow[p] <= 0.0f) ? 0.0f : row[p];
        row[p] = d;
        sum += d;
    }
    partial[t] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = 32; s > 0; s >>= 1) {
        if (t < s)
            partial[t] += partial[t + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (t == 0)
        grads[bias_off + m] = partial[0];
}
