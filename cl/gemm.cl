/* gemm.cl - GEMMs for CPU devices (PoCL), where CLBlast's kernels reach a fraction of the FLOP limit.
 * C[M x N] = alpha * A[M x K] * B[K x N] + beta * C, row-major. B is first packed into panels of 16 columns
 * (pack_b: panel jt holds B[k][16 jt .. 16 jt + 15] for k = 0 .. K-1, contiguous, zero past N), so that the
 * inner loop streams it instead of striding a row of B per k (a new page per k for wide B). One work-item
 * computes an 8 x 16 tile of C as eight float16 accumulators: per k, one 16-wide load of the panel and eight
 * broadcast multiply-adds, the register-blocked inner kernel of CPU BLAS. Dimension 0 runs over row tiles,
 * so consecutive work-groups reuse the same panel from cache. */

#define GEMM_TM 8
#define GEMM_TN 16

/* Work-item (k, jt): row k of panel jt, from B (trans == 0: B[k][j] at B[k * ldb + j]) or from B stored
 * transposed (trans == 1: at B[j * ldb + k]). */
__kernel void pack_b(__global const float *B, int b_off, int ldb, int trans, int K, int N, __global float *panels,
                     int p_off)
{
    int k = get_global_id(0), jt = get_global_id(1);
    float v[GEMM_TN];
    for (int jj = 0; jj < GEMM_TN; jj++) {
        int j = jt * GEMM_TN + jj;
        v[jj] = j < N ? B[b_off + (trans ? (size_t)j * ldb + k : (size_t)k * ldb + j)] : 0.0f;
    }
    vstore16(vload16(0, v), 0, panels + p_off + ((size_t)jt * K + k) * GEMM_TN);
}

__kernel void gemm_nn(int M, int N, int K, float alpha, __global const float *A, int a_off, int lda,
                      __global const float *panels, int p_off, float beta, __global float *C, int c_off, int ldc)
{
    int i0 = get_global_id(0) * GEMM_TM, jt = get_global_id(1), j0 = jt * GEMM_TN;
    int rows = min(GEMM_TM, M - i0), cols = min(GEMM_TN, N - j0);
    A += a_off;
    C += c_off;
    /* rows past M repeat row M - 1, so that every tile runs the same register-blocked loop */
    __global const float *a0 = A + (size_t)min(i0 + 0, M - 1) * lda, *a1 = A + (size_t)min(i0 + 1, M - 1) * lda;
    __global const float *a2 = A + (size_t)min(i0 + 2, M - 1) * lda, *a3 = A + (size_t)min(i0 + 3, M - 1) * lda;
    __global const float *a4 = A + (size_t)min(i0 + 4, M - 1) * lda, *a5 = A + (size_t)min(i0 + 5, M - 1) * lda;
    __global const float *a6 = A + (size_t)min(i0 + 6, M - 1) * lda, *a7 = A + (size_t)min(i0 + 7, M - 1) * lda;
    __global const float *panel = panels + p_off + (size_t)jt * K * GEMM_TN;
    float16 c0 = 0.0f, c1 = 0.0f, c2 = 0.0f, c3 = 0.0f, c4 = 0.0f, c5 = 0.0f, c6 = 0.0f, c7 = 0.0f;
    for (int k = 0; k < K; k++) {
        float16 b = vload16(k, panel);
        c0 = fma((float16)a0[k], b, c0);
        c1 = fma((float16)a1[k], b, c1);
        c2 = fma((float16)a2[k], b, c2);
        c3 = fma((float16)a3[k], b, c3);
        c4 = fma((float16)a4[k], b, c4);
        c5 = fma((float16)a5[k], b, c5);
        c6 = fma((float16)a6[k], b, c6);
        c7 = fma((float16)a7[k], b, c7);
    }
    float16 acc[GEMM_TM] = { c0, c1, c2, c3, c4, c5, c6, c7 };
    for (int r = 0; r < rows; r++) {
        __global float *c = C + (size_t)(i0 + r) * ldc + j0;
        if (cols == GEMM_TN) {
            float16 v = alpha * acc[r];
            if (beta != 0.0f)
                v += beta * vload16(0, c);
            vstore16(v, 0, c);
        } else {
            float v[GEMM_TN];
            vstore16(acc[r], 0, v);
            for (int j = 0; j < cols; j++)
                c[j] = alpha * v[j] + (beta != 0.0f ? beta * c[j] : 0.0f);
        }
    }
}

/* out[cols x rows] = in[rows x cols]^T, in tiles of 16 x 16 through local memory. */
__kernel void transpose(__global const float *in, int in_off, int rows, int cols, int ld_in,
                        __global float *out, int out_off, int ld_out)
{
    __local float tile[16][17];
    int bx = get_group_id(0) * 16, by = get_group_id(1) * 16, tx = get_local_id(0), ty = get_local_id(1);
    if (by + ty < rows && bx + tx < cols)
        tile[ty][tx] = in[in_off + (size_t)(by + ty) * ld_in + bx + tx];
    barrier(CLK_LOCAL_MEM_FENCE);
    if (bx + ty < cols && by + tx < rows)
        out[out_off + (size_t)(bx + ty) * ld_out + by + tx] = tile[tx][ty];
}

/* C = A * B^T with A[M x K] and B[N x K] both contiguous along k: the weight gradients, where k runs over every
 * pixel of the batch and C is small. Split-K: work-item (tile, chunk) computes a 4 x 4 tile of C over one chunk
 * of k as dot products of 16-wide vectors, into partial[chunk][M][N]; consecutive work-items share a chunk, so
 * its slices of A and B stay in cache. gemm_reduce_chunks sums the chunks. */
__kernel void gemm_nt_chunk(int M, int N, int K, int chunk, __global const float *A, int a_off, int lda,
                            __global const float *B, int b_off, int ldb, __global float *partial)
{
    int tiles_n = (N + 3) / 4, tile = get_global_id(0), part = get_global_id(1);
    int i0 = tile / tiles_n * 4, j0 = tile % tiles_n * 4;
    int k0 = part * chunk, k1 = min(k0 + chunk, K);
    __global const float *a[4], *b[4];
    for (int r = 0; r < 4; r++) {   /* rows past the edge repeat the last row; their sums are dropped */
        a[r] = A + a_off + (size_t)min(i0 + r, M - 1) * lda;
        b[r] = B + b_off + (size_t)min(j0 + r, N - 1) * ldb;
    }
    float16 s00 = 0.0f, s01 = 0.0f, s02 = 0.0f, s03 = 0.0f, s10 = 0.0f, s11 = 0.0f, s12 = 0.0f, s13 = 0.0f;
    float16 s20 = 0.0f, s21 = 0.0f, s22 = 0.0f, s23 = 0.0f, s30 = 0.0f, s31 = 0.0f, s32 = 0.0f, s33 = 0.0f;
    int k = k0;
    for (; k + 16 <= k1; k += 16) {
        float16 a0 = vload16(0, a[0] + k), a1 = vload16(0, a[1] + k), a2 = vload16(0, a[2] + k), a3 = vload16(0, a[3] + k);
        float16 b0 = vload16(0, b[0] + k), b1 = vload16(0, b[1] + k), b2 = vload16(0, b[2] + k), b3 = vload16(0, b[3] + k);
        s00 = fma(a0, b0, s00); s01 = fma(a0, b1, s01); s02 = fma(a0, b2, s02); s03 = fma(a0, b3, s03);
        s10 = fma(a1, b0, s10); s11 = fma(a1, b1, s11); s12 = fma(a1, b2, s12); s13 = fma(a1, b3, s13);
        s20 = fma(a2, b0, s20); s21 = fma(a2, b1, s21); s22 = fma(a2, b2, s22); s23 = fma(a2, b3, s23);
        s30 = fma(a3, b0, s30); s31 = fma(a3, b1, s31); s32 = fma(a3, b2, s32); s33 = fma(a3, b3, s33);
    }
    float16 s[4][4] = { { s00, s01, s02, s03 }, { s10, s11, s12, s13 }, { s20, s21, s22, s23 }, { s30, s31, s32, s33 } };
    for (int r = 0; r < 4 && i0 + r < M; r++)
        for (int c = 0; c < 4 && j0 + c < N; c++) {
            float16 v = s[r][c];
            float8 h8 = v.lo + v.hi;
            float4 h4 = h8.lo + h8.hi;
            float sum = h4.x + h4.y + h4.z + h4.w;
            for (int kk = k; kk < k1; kk++)   /* the chunk's last k % 16 */
                sum += a[r][kk] * b[c][kk];
            partial[((size_t)part * M + i0 + r) * N + j0 + c] = sum;
        }
}

/* C[i, j] = alpha * sum over chunks of partial[chunk][i][j] + beta * C[i, j] */
__kernel void gemm_reduce_chunks(int M, int N, int chunks, float alpha, __global const float *partial, float beta,
                                 __global float *C, int c_off, int ldc)
{
    int i = get_global_id(0) / N, j = get_global_id(0) % N;
    float sum = 0.0f;
    for (int p = 0; p < chunks; p++)
        sum += partial[((size_t)p * M + i) * N + j];
    __global float *c = C + c_off + (size_t)i * ldc + j;
    *c = alpha * sum + (beta != 0.0f ? beta * *c : 0.0f);
}
