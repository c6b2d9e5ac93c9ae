/* pool.cl - max and average pooling over each CNHW plane, ceil-mode windows clipped at the edge. */

/* One work-item per plane (map c of image n, H x W floats, contiguous in CNHW): no index arithmetic per row
 * or element, and the backward pass can scatter into its own plane without atomics. */

__kernel void maxpool_forward(__global const float *x, __global float *y, __global int *argmax,
                              int H, int W, int OH, int OW, int size, int stride)
{
    size_t q = get_global_id(0);
    __global const float *plane = x + q * H * W;
    __global float *out = y + q * OH * OW;
    __global int *arg = argmax + q * OH * OW;
    for (int oy = 0; oy < OH; oy++) {
        int y0 = oy * stride, y1 = min(y0 + size, H);
        for (int ox = 0; ox < OW; ox++) {
            int x0 = ox * stride, x1 = min(x0 + size, W), best = y0 * W + x0;
            float top = plane[best];   /* the running maximum stays in a register */
            for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++) {
                    float v = plane[iy * W + ix];
                    best = v > top ? iy * W + ix : best;
                    top = v > top ? v : top;   /* the value argmax points to, as the reference */
                }
            out[oy * OW + ox] = top;
            arg[oy * OW + ox] = best;
        }
    }
}

/* dx gets each output's gradient at the position of its maximum. */
__kernel void maxpool_backward(__global const float *dy, __global const int *argmax, __global float *dx,
                               int H, int W, int OH, int OW, int size, int stride)
{
    size_t q = get_global_id(0);
    __global float *plane = dx + q * H * W;
    __global const float *grad = dy + q * OH * OW;
    __global const int *arg = argmax + q * OH * OW;
    for (int i = 0; i < H * W; i++)
        plane[i] = 0.0f;
    for (int o = 0; o < OH * OW; o++)
        plane[arg[o]] += grad[o];
}

__kernel void avgpool_forward(__global const float *x, __global float *y,
                              int H, int W, int OH, int OW, int size, int stride)
{
    size_t q = get_global_id(0);
    __global const float *plane = x + q * H * W;
    __global float *out = y + q * OH * OW;
    for (int oy = 0; oy < OH; oy++) {
        int y0 = oy * stride, y1 = min(y0 + size, H);
        for (int ox = 0; ox < OW; ox++) {
            int x0 = ox * stride, x1 = min(x0 + size, W);
            float sum = 0.0f;
            for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++)
                    sum += plane[iy * W + ix];
            out[oy * OW + ox] = sum / (float)((y1 - y0) * (x1 - x0));
        }
    }
}

/* dx gets each output's gradient shared evenly over its (edge-clipped) window. */
__kernel void avgpool_backward(__global const float *dy, __global float *dx,
                               int H, int W, int OH, int OW, int size, int stride)
{
    size_t q = get_global_id(0);
    __global float *plane = dx + q * H * W;
    __global const float *grad = dy + q * OH * OW;
    for (int i = 0; i < H * W; i++)
        plane[i] = 0.0f;
    for (int oy = 0; oy < OH; oy++) {
        int y0 = oy * stride, y1 = min(y0 + size, H);
        for (int ox = 0; ox < OW; ox++) {
            int x0 = ox * stride, x1 = min(x0 + size, W);
            float share = grad[oy * OW + ox] / (float)((y1 - y0) * (x1 - x0));
            for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++)
                    plane[iy * W + ix] += share;
        }
    }
}

/* --- element-shaped variants (common.cl): work-item i is one value of the whole batch's outputs (forward) or
 * inputs (backward), `count` of them; the backward gathers from the outputs whose windows cover its input
 * instead of scattering, so it needs no atomics either. */

/* The window of output o of a row of `size`-wide windows `stride` apart, clipped at `in`: [*lo, *hi). */
inline void pool_window(int o, int size, int stride, int in, int *lo, int *hi)
{
    *lo = o * stride;
    *hi = min(*lo + size, in);
}

/* The outputs whose windows cover input position i: [*lo, *hi]. */
inline void pool_covering(int i, int size, int stride, int outs, int *lo, int *hi)
{
    *lo = i < size ? 0 : (i - size) / stride + 1;
    *hi = min(i / stride, outs - 1);
}

/* Output value i of the batch (OH x OW planes): its plane, in *q, and its clipped window [*y0, *y1) x [*x0, *x1). */
inline void output_window(int i, int H, int W, int OH, int OW, int size, int stride, int *q, int *y0, int *y1,
                          int *x0, int *x1)
{
    *q = i / (OH * OW);
    pool_window(i / OW % OH, size, stride, H, y0, y1);
    pool_window(i % OW, size, stride, W, x0, x1);
}

/* Input value i of the batch (H x W planes): its plane, in *q, its place in the plane, in *at, and the outputs
 * whose windows cover it, [*oy0, *oy1] x [*ox0, *ox1]. */
inline void covering_outputs(int i, int H, int W, int OH, int OW, int size, int stride, int *q, int *at, int *oy0,
                             int *oy1, int *ox0, int *ox1)
{
    *q = i / (H * W);
    *at = i % (H * W);
    pool_covering(*at / W, size, stride, OH, oy0, oy1);
    pool_covering(*at % W, size, stride, OW, ox0, ox1);
}

__kernel void maxpool_forward_el(__global const float *x, __global float *y, __global int *argmax,
                                 int H, int W, int OH, int OW, int size, int stride, int count)
{
    int i = get_global_id(0);
    if (i >= count)
        return;
    int q, y0, y1, x0, x1;
    output_window(i, H, W, OH, OW, size, stride, &q, &y0, &y1, &x0, &x1);
    __global const float *plane = x + (size_t)q * H * W;
    int best = y0 * W + x0;
    float top = plane[best];
    for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++) {
            float v = plane[iy * W + ix];
            best = v > top ? iy * W + ix : best;
            top = v > top ? v : top;
        }
    y[i] = top;
    argmax[i] = best;
}

__kernel void maxpool_backward_el(__global const float *dy, __global const int *argmax, __global float *dx,
                                  int H, int W, int OH, int OW, int size, int stride, int count)
{
    int i = get_global_id(0);
    if (i >= count)
        return;
    int q, at, oy0, oy1, ox0, ox1;
    covering_outputs(i, H, W, OH, OW, size, stride, &q, &at, &oy0, &oy1, &ox0, &ox1);
    size_t base = (size_t)q * OH * OW;
    float sum = 0.0f;
    for (int oy = oy0; oy <= oy1; oy++)
        for (int ox = ox0; ox <= ox1; ox++)
            sum += argmax[base + oy * OW + ox] == at ? dy[base + oy * OW + ox] : 0.0f;
    dx[i] = sum;
}

__kernel void avgpool_forward_el(__global const float *x, __global float *y,
                                 int H, int W, int OH, int OW, int size, int stride, int count)
{
    int i = get_global_id(0);
    if (i >= count)
        return;
    int q, y0, y1, x0, x1;
    output_window(i, H, W, OH, OW, size, stride, &q, &y0, &y1, &x0, &x1);
    __global const float *plane = x + (size_t)q * H * W;
    float sum = 0.0f;
    for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++)
            sum += plane[iy * W + ix];
    y[i] = sum / (float)((y1 - y0) * (x1 - x0));
}

__kernel void avgpool_backward_el(__global const float *dy, __global float *dx,
                                  int H, int W, int OH, int OW, int size, int stride, int count)
{
    int i = get_global_id(0);
    if (i >= count)
        return;
    int q, at, oy0, oy1, ox0, ox1;
    covering_outputs(i, H, W, OH, OW, size, stride, &q, &at, &oy0, &oy1, &ox0, &ox1);
    __global const float *grad = dy + (size_t)q * OH * OW;
    float sum = 0.0f;
    for (int oy = oy0; oy <= oy1; oy++)
        for (int ox = ox0; ox <= ox1; ox++) {
            int y0, y1, x0, x1;
            pool_window(oy, size, stride, H, &y0, &y1);
            pool_window(ox, size, stride, W, &x0, &x1);
            sum += grad[oy * OW + ox] / (float)((y1 - y0) * (x1 - x0));
        }
    dx[i] = sum;
}
