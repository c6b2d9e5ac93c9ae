/* rng.c - counter-based random numbers (SplitMix64 finaliser), bit-identical to cl/common.cl. */
#include <math.h>
#include <nin/netdef.h>

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint32_t nin_random_u32(uint64_t key, uint64_t counter)
{
    return (uint32_t)(mix64(key + (counter + 1) * 0x9E3779B97F4A7C15ULL) >> 32);
}

float nin_random_uniform(uint64_t key, uint64_t counter)
{
    return (float)(nin_random_u32(key, counter) >> 8) * (1.0f / 16777216.0f);
}

/* Box-Muller on two uniforms drawn from counters 2i and 2i + 1. */
float nin_random_normal(uint64_t key, uint64_t counter)
{
    double u1 = (nin_random_u32(key, 2 * counter) + 1.0) / 4294967297.0;   /* (0, 1]: log is finite */
    double u2 = nin_random_u32(key, 2 * counter + 1) / 4294967296.0;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

/* An independent key per (seed, stream, step): streams are layers, steps are training iterations. */
uint64_t nin_random_key(uint64_t seed, uint64_t stream, uint64_t step)
{
    return mix64(mix64(mix64(seed) ^ (stream + 0x632BE59BD9B4E019ULL)) ^ (step * 0x9E3779B97F4A7C15ULL));
}
