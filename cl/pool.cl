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
