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
