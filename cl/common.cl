/* common.cl - helpers shared by every kernel file (built first, in the same program).
 * Activations are CNHW: plane (c * N + n) holds map c of sample n. Indices fit in int (checked on the host). */

/* The sum of a float16's lanes, halving: (lo + hi) twice, then the four left. A macro: a function taking a
 * float16 changes its ABI on CPUs without AVX-512, which the compiler warns about at every build. */
inline float nin_sum4(float4 v) { return v.x + v.y + v.z + v.w; }
#define NIN_SUM16(v) nin_sum4(((v).lo + (v).hi).lo + ((v).lo + (v).hi).hi)

/* Counter-based random numbers: a SplitMix64 finaliser of (key, counter). nin_random_u32 in src/rng.c is
 * the same function, so the host reference and the device draw identical dropout masks. */
inline uint nin_random_u32(ulong key, ulong counter)
{
    ulong z = key + (counter + 1) * 0x9E3779B97F4A7C15UL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
    z ^= z >> 31;
    return (uint)(z >> 32);
}

/* Uniform in [0, 1) with 24 random bits. */
inline float nin_random_uniform(ulong key, ulong counter)
{
    return (float)(nin_random_u32(key, counter) >> 8) * (1.0f / 16777216.0f);
}

/* --- the element-shaped (GPU) kernels ---------------------------------------------------------------------
 * Each non-GEMM kernel has a second variant, named with the suffix _el, for devices that run work-items in
 * lock-step groups (GPUs): one work-item per output element (or per few, NIN_GROUP apart) along the contiguous
 * dimension, so that neighbouring work-items touch neighbouring addresses, launched in work-groups of
 * NIN_GROUP (a power of two, set by the host's build options) and with the reductions in local memory. The
 * first variant (no suffix) loops over a plane or a long run of a row per work-item, which is what a CPU runs
 * fastest. Which one runs is the device's tuning (runtime.h). */

/* The sum of v over the work-group's NIN_GROUP work-items (dimension 0), through scratch[NIN_GROUP]; every
 * work-item gets it, and scratch may be reused at once. */
inline float nin_group_sum(float v, __local float *scratch)
{
    int t = get_local_id(0);
    scratch[t] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int span = NIN_GROUP / 2; span > 0; span >>= 1) {
        if (t < span)
            scratch[t] += scratch[t + span];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float sum = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return sum;
}

/* A work-group's share of a chunked row (the _el form of a kernel launched per (row, part) in the plane shape):
 * work-group (part, row) covers values [part * chunk, min(part * chunk + chunk, P)) of row `row`, its work-item
 * t the values t, t + NIN_GROUP, ... of that range. */
#define NIN_CHUNK_LOOP(p, chunk, P)                                                                        \
    for (int p = (int)get_group_id(0) * (chunk) + (int)get_local_id(0),                                     \
             p##_end = min((int)get_group_id(0) * (chunk) + (chunk), (P)); p < p##_end; p += NIN_GROUP)
