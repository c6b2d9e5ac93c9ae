/* pool.cl - max and average pooling over each CNHW plane, ceil-mode windows clipped at the edge. */

/* Output (plane q, oy, ox) of work-item i, and its clipped window [*y0, *y1) x [*x0, *x1). */
inline int pool_window(int i, int H, int W, int OH, int OW, int size, int stride,
                       int *y0, int *y1, int *x0, int *x1)
{
    int ox = i % OW, oy = (i / OW) % OH, q = i / (OW * OH);
    *y0 = oy * stride;
    *x0 = ox * stride;
    *y1 = min(*y0 + size, H);
    *x1 = min(*x0 + size, W);
    return q;
}

/* The outputs whose window covers input row iy: [*o0, *o1). */
inline void pool_covering(int iy, int OH, int size, int stride, int *o0, int *o1)
{
    *o0 = iy < size ? 0 : (iy - size) / stride + 1;
    *o1 = min(iy / stride + 1, OH);
}

__kernel void maxpool_forward(__global const float *x, __global float *y, __global int *argmax,
                              int H, int W, int OH, int OW, int size, int stride)
{
    int i = get_global_id(0), y0, y1, x0, x1;
    int q = pool_window(i, H, W, OH, OW, size, stride, &y0, &y1, &x0, &x1);
    __global const float *plane = x + (size_t)q * H * W;
    int best = y0 * W + x0;
    for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++)
            if (plane[iy * W + ix] > plane[best])
                best = iy * W + ix;
    y[i] = plane[best];
    argmax[i] = best;
}

/* dx gathers dy from every window whose maximum it was. */
__kernel void maxpool_backward(__global const float *dy, __global const int *argmax, __global float *dx,
                               int H, int W, int OH, int OW, int size, int stride)
{
    int i = get_global_id(0);
    int ix = i % W, iy = (i / W) % H, q = i / (W * H);
    int oy0, oy1, ox0, ox1;
    pool_covering(iy, OH, size, stride, &oy0, &oy1);
    pool_covering(ix, OW, size, stride, &ox0, &ox1);
    float sum = 0.0f;
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = ox0; ox < ox1; ox++) {
            int o = (q * OH + oy) * OW + ox;
            if (argmax[o] == iy * W + ix)
                sum += dy[o];
        }
    dx[i] = sum;
}

__kernel void avgpool_forward(__global const float *x, __global float *y,
                              int H, int W, int OH, int OW, int size, int stride)
{
    int i = get_global_id(0), y0, y1, x0, x1;
    int q = pool_window(i, H, W, OH, OW, size, stride, &y0, &y1, &x0, &x1);
    __global const float *plane = x + (size_t)q * H * W;
    float sum = 0.0f;
    for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++)
            sum += plane[iy * W + ix];
    y[i] = sum / (float)((y1 - y0) * (x1 - x0));
}

__kernel void avgpool_backward(__global const float *dy, __global float *dx,
                               int H, int W, int OH, int OW, int size, int stride)
{
    int i = get_global_id(0);
    int ix = i % W, iy = (i / W) % H, q = i / (W * H);
    int oy0, oy1, ox0, ox1;
    pool_covering(iy, OH, size, stride, &oy0, &oy1);
    pool_covering(ix, OW, size, stride, &ox0, &ox1);
    float sum = 0.0f;
    for (int oy = oy0; oy < oy1; oy++)
        for (int ox = ox0; ox < ox1; ox++) {
            int wy = min(oy * stride + size, H) - oy * stride, wx = min(ox * stride + size, W) - ox * stride;
            sum += dy[(q * OH + oy) * OW + ox] / (float)(wy * wx);
        }
    dx[i] = sum;
}
