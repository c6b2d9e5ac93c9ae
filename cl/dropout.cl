/* dropout.cl - inverted dropout; the mask comes from the counter-based generator of common.cl. */

/* out = in * scale where unit i is kept (uniform(key, i) >= rate), else 0. Used by forward and backward. */
__kernel void dropout_apply(__global const float *in, __global float *out, ulong key, float rate, float scale)
{
    int i = get_global_id(0);
    out[i] = nin_random_uniform(key, (ulong)i) < rate ? 0.0f : in[i] * scale;
}
