/* dropout.cl - inverted dropout; the mask comes from the counter-based generator of common.cl. */

/* out = in * scale where unit i is kept, else 0. Used by forward and backward. Work-item (j, c) is unit j of
 * map plane c (this batch's `plane` units of map c). Its random number is drawn by its place in the global
 * batch: the planes sit at `global_plane` strides there, this batch `offset` units into each (see
 * nin_net_set_shard; one process: the unit's own index). */
__kernel void dropout_apply(__global const float *in, __global float *out, ulong key, float rate, float scale,
                            int global_plane, int offset)
{
    size_t j = get_global_id(0), c = get_global_id(1), i = c * get_global_size(0) + j;
    ulong unit = (ulong)c * (ulong)global_plane + (ulong)offset + (ulong)j;
    out[i] = nin_random_uniform(key, unit) < rate ? 0.0f : in[i] * scale;
}

/* Element-shaped variant (common.cl): the same units over a 1-D range of whole work-groups, `plane` units a
 * map, `count` in all. */
__kernel void dropout_apply_el(__global const float *in, __global float *out, ulong key, float rate, float scale,
                               int global_plane, int offset, int plane, int count)
{
    int i = get_global_id(0);
    if (i >= count)
        return;
    ulong unit = (ulong)(i / plane) * (ulong)global_plane + (ulong)offset + (ulong)(i % plane);
    out[i] = nin_random_uniform(key, unit) < rate ? 0.0f : in[i] * scale;
}
