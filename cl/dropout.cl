/* dropout.cl - inverted dropout; the mask comes from the counter-based generator of common.cl. */

/* out = in * scale where unit i is kept, else 0. Used by forward and backward. The unit's random number is
 * drawn by its place in the global batch: map planes of `plane` units (this batch) sit at `global_plane`
 * strides, this batch `offset` units into each (see nin_net_set_shard; one process: i itself). */
__kernel void dropout_apply(__global const float *in, __global float *out, ulong key, float rate, float scale,
                            int plane, int global_plane, int offset)
{
    int i = get_global_id(0);
    ulong unit = (ulong)(i / plane) * (ulong)global_plane + (ulong)offset + (ulong)(i % plane);
    out[i] = nin_random_uniform(key, unit) < rate ? 0.0f : in[i] * scale;
}
