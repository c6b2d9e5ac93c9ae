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

/* Element-shaped variants (common.cl): work-group q averages plane q through local memory; the backward is
 * one work-item per input value, `count` of them. */
__kernel void gap_forward_el(__global const float *x, __global float *y, int area)
{
    __local float scratch[NIN_GROUP];
    int q = get_group_id(0);
    __global const float *plane = x + (size_t)q * area;
    float sum = 0.0f;
    for (int j = get_local_id(0); j < area; j += NIN_GROUP)
        sum += plane[j];
    sum = nin_group_sum(sum, scratch);
    if (get_local_id(0) == 0)
        y[q] = sum / (float)area;
}

__kernel void gap_backward_el(__global const float *dy, __global float *dx, int area, int count)
{
    int i = get_global_id(0);
    if (i < count)
        dx[i] = dy[i / area] / (float)area;
}
