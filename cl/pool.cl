/* pool.cl - max and average pooling over each CNHW plane, ceil-mode windows clipped at the edge. */

/* The outputs whose window covers input row iy: [*o0, *o1). */
inline void pool_covering(int iy, int OH, int size, int stride, int *o0, int *o1)
{
    *o0 = iy < size ? 0 : (iy - size) / stride + 1;
    *o1 = min(iy / stride + 1, OH);
}

/* Work-items run over rows: one output row (plane q, oy) in forward, one input row (q, iy) in backward,
 * so index arithmetic is paid per row and the inner loops walk consecutive addresses. */

__kernel void maxpool_forward(__global const float *x, __global float *y, __global int *argmax,
                              int H, int W, int OH, int OW, int size, int stride)
{
    int i = get_global_id(0), oy = i % OH, q = i / OH;
    __global const float *plane = x + (size_t)q * H * W;
    int y0 = oy * stride, y1 = min(y0 + size, H);
    for (int ox = 0; ox < OW; ox++) {
        int x0 = ox * stride, x1 = min(x0 + size, W), best = y0 * W + x0;
        float top = plane[best];   /* the running maximum stays in a register */
        for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++) {
                float v = plane[iy * W + ix];
                best = v > top ? iy * W + ix : best;
                top = fmax(v, top);
            }
        y[(size_t)i * OW + ox] = top;
        argmax[(size_t)i * OW + ox] = best;
    }
}

/* dx gathers dy from every window whose maximum it was. */
__kernel void maxpool_backward(__global const float *dy, __global const int *argmax, __global float *dx,
                               int H, int W, int OH, int OW, int size, int stride)
{
    int i = get_global_id(0), iy = i % H, q = i / H;
    int oy0, oy1;
    pool_covering(iy, OH, size, stride, &oy0, &oy1);
    __global float *out = dx + (size_t)i * W;
    for (int ix = 0; ix < W; ix++)
        out[ix] = 0.0f;
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = 0; ox < OW; ox++) {
            int o = (q * OH + oy) * OW + ox, at = argmax[o];
            if (at / W == iy)
                out[at % W] += dy[o];
        }
}

__kernel void avgpool_forward(__global const float *x, __global float *y,
                              int H, int W, int OH, int OW, int size, int stride)
{
    int i = get_global_id(0), oy = i % OH, q = i / OH;
    __global const float *plane = x + (size_t)q * H * W;
    int y0 = oy * stride, y1 = min(y0 + size, H);
    for (int ox = 0; ox < OW; ox++) {
        int x0 = ox * stride, x1 = min(x0 + size, W);
        float sum = 0.0f;
        for (int iy = y0; iy < y1; iy++)
            for (int ix = x0; ix < x1; ix++)
                sum += plane[iy * W + ix];
        y[(size_t)i * OW + ox] = sum / (float)((y1 - y0) * (x1 - x0));
    }
}

__kernel void avgpool_backward(__global const float *dy, __global float *dx,
                               int H, int W, int OH, int OW, int size, int stride)
{
    int i = get_global_id(0), iy = i % H, q = i / H;
    int oy0, oy1;
    pool_covering(iy, OH, size, stride, &oy0, &oy1);
    __global float *out = dx + (size_t)i * W;
    for (int ix = 0; ix < W; ix++)
        out[ix] = 0.0f;
    for (int oy = oy0; oy < oy1; oy++) {
        int wy = min(oy * stride + size, H) - oy * stride;
        for (int ox = 0; ox < OW; ox++) {
            int x0 = ox * stride, x1 = min(x0 + size, W);
            float share = dy[(q * OH + oy) * OW + ox] / (float)(wy * (x1 - x0));
            for (int ix = x0; ix < x1; ix++)
                out[ix] += share;
        }
    }
}
