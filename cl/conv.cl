/* conv.cl - convolution and fully connected layers: im2col/col2im around the GEMM, bias + ReLU. */

/* The outputs o in [*lo, *hi) of a row of `outs` whose tap o * stride + offset falls inside [0, size). */
inline void taps_inside(int offset, int stride, int size, int outs, int *lo, int *hi)
{
    *lo = offset >= 0 ? 0 : min((-offset + stride - 1) / stride, outs);
    *hi = size - 1 - offset < 0 ? *lo : clamp((size - 1 - offset) / stride + 1, *lo, outs);
}

/* col[K x nc*OH*OW] for the nc images from n0: row (c, ki, kj), column (n, oy, ox); zero where the window
 * hangs over the padding. Work-item (n, row) writes the OH x OW contiguous values of one image in one row: the
 * index arithmetic is paid once per plane, and each row's copy loop has no test (contiguous for stride 1). */
__kernel void im2col(__global const float *x, __global float *col, int C, int N, int H, int W,
                     int kh, int kw, int stride, int pad, int OH, int OW, int n0, int nc)
{
    int n = get_global_id(0), row = get_global_id(1);
    int c = row / (kh * kw), ki = (row / kw) % kh, kj = row % kw;
    __global float *out = col + (size_t)row * nc * OH * OW + (size_t)n * OH * OW;
    __global const float *plane = x + (size_t)(c * N + n0 + n) * H * W;
    int lo, hi;
    taps_inside(kj - pad, stride, W, OW, &lo, &hi);
    for (int oy = 0; oy < OH; oy++, out += OW) {
        int iy = oy * stride - pad + ki;
        int row_lo = iy >= 0 && iy < H ? lo : OW, row_hi = iy >= 0 && iy < H ? hi : OW;
        __global const float *in = plane + (size_t)clamp(iy, 0, H - 1) * W;
        for (int ox = 0; ox < row_lo; ox++)
            out[ox] = 0.0f;
        for (int ox = row_lo; ox < row_hi; ox++)
            out[ox] = in[ox * stride + kj - pad];
        for (int ox = row_hi; ox < OW; ox++)
            out[ox] = 0.0f;
    }
}

/* dx = col2im(dcol) for the nc images from n0: each input pixel gathers every column entry that read it (no
 * atomics needed). Work-item (n, c) writes one input plane. Stride 1, the common case, adds whole shifted
 * rows. */
__kernel void col2im(__global const float *col, __global float *dx, int C, int N, int H, int W,
                     int kh, int kw, int stride, int pad, int OH, int OW, int n0, int nc)
{
    int n = get_global_id(0), c = get_global_id(1);
    size_t P = (size_t)nc * OH * OW;
    __global float *out = dx + (size_t)(c * N + n0 + n) * H * W;
    for (int iy = 0; iy < H; iy++, out += W) {
        for (int ix = 0; ix < W; ix++)
            out[ix] = 0.0f;
        for (int ki = 0; ki < kh; ki++) {
            int ty = iy + pad - ki;
            if (ty < 0 || ty % stride != 0 || ty / stride >= OH)
                continue;
            for (int kj = 0; kj < kw; kj++) {
                __global const float *in = col + ((size_t)(c * kh + ki) * kw + kj) * P + (size_t)(n * OH + ty / stride) * OW;
                if (stride == 1) {   /* out[ix] += in[ix + pad - kj] where that column exists */
                    int lo, hi;
                    taps_inside(pad - kj, 1, OW, W, &lo, &hi);
                    for (int ix = lo; ix < hi; ix++)
                        out[ix] += in[ix + pad - kj];
                    continue;
                }
                for (int ix = 0; ix < W; ix++) {
                    int tx = ix + pad - kj;
                    if (tx >= 0 && tx % stride == 0 && tx / stride < OW)
                        out[ix] += in[tx / stride];
                }
            }
        }
    }
}

/* y[m, p] = relu(y[m, p] + b[m]) (no ReLU when relu == 0); work-item (m, chunk), 16 values at a time. */
__kernel void bias_relu_forward(__global float *y, __global const float *params, int bias_off, int P, int chunk,
                                int relu)
{
    int m = get_global_id(0), p = get_global_id(1) * chunk, p1 = min(p + chunk, P);
    __global float *row = y + (size_t)m * P;
    float b = params[bias_off + m];
    for (; p + 16 <= p1; p += 16) {
        float16 v = vload16(0, row + p) + b;
        vstore16(relu ? select(v, (float16)0.0f, v < 0.0f) : v, 0, row + p);   /* NaN stays NaN */
    }
    for (; p < p1; p++) {
        float v = row[p] + b;
        row[p] = (relu && v < 0.0f) ? 0.0f : v;
    }
}

/* Backward of bias + ReLU, part 1: work-item (m, chunk) masks dy[m, chunk] by (y > 0) in place, 16 values at a
 * time, and writes the chunk's sum, partial[m][chunk]. No barriers, explicit vectors: PoCL runs it at memory
 * speed. */
__kernel void bias_relu_backward(__global float *dy, __global const float *y, __global float *partial,
                                 int P, int chunk, int relu)
{
    int m = get_global_id(0), part = get_global_id(1), chunks = get_global_size(1);
    int p0 = part * chunk, p1 = min(p0 + chunk, P), p = p0;
    __global float *row = dy + (size_t)m * P;
    __global const float *yrow = y + (size_t)m * P;
    float16 acc = 0.0f;
    for (; p + 16 <= p1; p += 16) {
        float16 d = vload16(0, row + p);
        if (relu) {
            d = select(d, (float16)0.0f, vload16(0, yrow + p) <= 0.0f);
            vstore16(d, 0, row + p);
        }
        acc += d;
    }
    float sum = NIN_SUM16(acc);
    for (; p < p1; p++) {
        float d = (relu && yrow[p] <= 0.0f) ? 0.0f : row[p];
        row[p] = d;
        sum += d;
    }
    partial[(size_t)m * chunks + part] = sum;
}

/* Part 2: db[m] = the sum of map m's chunk sums. */
__kernel void bias_grad_sum(__global const float *partial, int chunks, __global float *grads, int bias_off)
{
    int m = get_global_id(0);
    float sum = 0.0f;
    for (int c = 0; c < chunks; c++)
        sum += partial[(size_t)m * chunks + c];
    grads[bias_off + m] = sum;
}

/* --- element-shaped variants (common.cl) ------------------------------------------------------------------ */

/* im2col, work-item (j, row): column j = (n, oy, ox) of column-matrix row (c, ki, kj); dimension 0 is padded
 * to whole work-groups. */
__kernel void im2col_el(__global const float *x, __global float *col, int C, int N, int H, int W,
                        int kh, int kw, int stride, int pad, int OH, int OW, int n0, int nc)
{
    int j = get_global_id(0), row = get_global_id(1), cols = nc * OH * OW;
    if (j >= cols)
        return;
    int c = row / (kh * kw), ki = (row / kw) % kh, kj = row % kw;
    int n = j / (OH * OW), oy = j / OW % OH, ox = j % OW;
    int iy = oy * stride - pad + ki, ix = ox * stride - pad + kj;
    col[(size_t)row * cols + j] = iy >= 0 && iy < H && ix >= 0 && ix < W
                                      ? x[((size_t)(c * N + n0 + n) * H + iy) * W + ix] : 0.0f;
}

/* col2im, work-item (j, c): input pixel j = (n, iy, ix) of map c gathers the column entries that read it, in
 * the order col2im adds them. */
__kernel void col2im_el(__global const float *col, __global float *dx, int C, int N, int H, int W,
                        int kh, int kw, int stride, int pad, int OH, int OW, int n0, int nc)
{
    int j = get_global_id(0), c = get_global_id(1);
    if (j >= nc * H * W)
        return;
    int n = j / (H * W), iy = j / W % H, ix = j % W;
    size_t P = (size_t)nc * OH * OW;
    float sum = 0.0f;
    for (int ki = 0; ki < kh; ki++) {
        int ty = iy + pad - ki;
        if (ty < 0 || ty % stride != 0 || ty / stride >= OH)
            continue;
        for (int kj = 0; kj < kw; kj++) {
            int tx = ix + pad - kj;
            if (tx >= 0 && tx % stride == 0 && tx / stride < OW)
                sum += col[((size_t)(c * kh + ki) * kw + kj) * P + (size_t)(n * OH + ty / stride) * OW + tx / stride];
        }
    }
    dx[((size_t)(c * N + n0 + n) * H + iy) * W + ix] = sum;
}

/* bias_relu_forward over work-group (part, m) of a row chunk. */
__kernel void bias_relu_forward_el(__global float *y, __global const float *params, int bias_off, int P, int chunk,
                                   int relu)
{
    __global float *row = y + (size_t)get_global_id(1) * P;
    float b = params[bias_off + get_global_id(1)];
    NIN_CHUNK_LOOP(p, chunk, P) {
        float v = row[p] + b;
        row[p] = (relu && v < 0.0f) ? 0.0f : v;
    }
}

/* bias_relu_backward over work-group (part, m): the chunk's sum through local memory. */
__kernel void bias_relu_backward_el(__global float *dy, __global const float *y, __global float *partial,
                                    int P, int chunk, int relu)
{
    __local float scratch[NIN_GROUP];
    int m = get_global_id(1);
    __global float *row = dy + (size_t)m * P;
    __global const float *yrow = y + (size_t)m * P;
    float sum = 0.0f;
    NIN_CHUNK_LOOP(p, chunk, P) {
        float d = (relu && yrow[p] <= 0.0f) ? 0.0f : row[p];
        row[p] = d;
        sum += d;
    }
    sum = nin_group_sum(sum, scratch);
    if (get_local_id(0) == 0)
        partial[(size_t)m * get_num_groups(0) + get_group_id(0)] = sum;
}
