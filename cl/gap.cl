/* gap.cl - global average pooling over each CNHW plane. */

__kernel void gap_forward(__global const float *x, __global float *y, int area)
{
    int q = get_global_id(0);
    __global const float *plane = x + (size_t)q * area;
    float sum = 0.0f;
    for (int j = 0; j < area; j++)
        sum += plane[j];
    y[q] = sum / (float)area;
}

__kernel void gap_backward(__global const float *dy, __global float *dx, int area)
{
    int i = get_global_id(0);
    dx[i] = dy[i / area] / (float)area;
}
