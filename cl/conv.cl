/* conv.cl - convolution and fully connected layers: im2col/col2im around CLBlast's GEMM, bias + ReLU. */

/* col[K x P]: row (c, ki, kj), column (n, oy, ox); zero where the window hangs over the padding. */
__kernel void im2col(__global const float *x, __global float *col, int C, int N, int H, int W,
                     int kh, int kw, int stride, int pad, int OH, int OW)
{
    int i = get_global_id(0);
    int P = N * OH * OW;
    int row = i / P, p = i % P;
    int c = row / (kh * kw), ki = (row / kw) % kh, kj = row % kw;
    int n = p / (OH * OW), oy = (p / OW) % OH, ox = p % OW;
    int iy = oy * stride - pad + ki, ix = ox * stride - pad + kj;
    col[i] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? x[((c * N + n) * H + iy) * W + ix] : 0.0f;
}

/* dx = col2im(dcol): each input pixel gathers every column entry that read it (no atomics needed). */
__kernel void col2im(__global const float *col, __global float *dx, int C, int N, int H, int W,
                     int kh, int kw, int stride, int pad, int OH, int OW)
{
    int i = get_global_id(0);
    int ix = i % W, iy = (i / W) % H, n = (i / (W * H)) % N, c = i / (W * H * N);
    int P = N * OH * OW;
    float sum = 0.0f;
    for (int ki = 0; ki < kh; ki++) {
        int ty = iy + pad - ki;
        if (ty < 0 || ty % stride != 0 || ty / stride >= OH)
            continue;
        for (int kj = 0; kj < kw; kj++) {
            int tx = ix + pad - kj;
            if (tx < 0 || tx % stride != 0 || tx / stride >= OW)
                continue;
            int row = (c * kh + ki) * kw + kj;
            sum += col[row * P + (n * OH + ty / stride) * OW + tx / stride];
        }
    }
    dx[i] = sum;
}

/* y[m, p] = relu(y[m, p] + b[m]) (no ReLU when relu == 0). */
__kernel void bias_relu_forward(__global float *y, __global const float *params, int bias_off, int P, int relu)
{
    int i = get_global_id(0);
    float v = y[i] + params[bias_off + i / P];
    y[i] = (relu && v < 0.0f) ? 0.0f : v;
}

/* One work-group of 64 per output map m: dy[m, :] *= (y > 0) in place, db[m] = sum of the result. */
__kernel void bias_relu_backward(__global float *dy, __global const float *y, __global float *grads,
                                 int bias_off, int P, int relu)
{
    __local float partial[64];
    int m = get_group_id(0), t = get_local_id(0);
    __global float *row = dy + (size_t)m * P;
    __global const float *yrow = y + (size_t)m * P;
    float sum = 0.0f;
    for (int p = t; p < P; p += 64) {
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
