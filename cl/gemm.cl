/* gemm.cl - GEMMs for CPU devices (PoCL), where CLBlast's kernels reach a fraction of the FLOP limit.
 * C[M x N] = alpha * A[M x K] * B[K x N] + beta * C, row-major, the way CPU BLAS does it. An operand whose
 * rows run along k the wrong way is packed first: a transposed A into micro-panels of TM rows (panel it holds
 * A[TM it .. TM it + TM - 1][k], k-major, zero past M), a transposed B into panels of 16 columns (panel jt
 * holds B[k][16 jt .. 16 jt + 15], zero past N), and so is any B where C has the tuning's gemm_pack_b_rows
 * rows or more; otherwise both are read in place. One work-item takes 16
 * columns of B and a run of TM-row tiles of A and computes each TM x 16 tile of C as TM float16 accumulators:
 * per k, one 16-wide load of B and TM multiply-adds with A's values broadcast from memory. k runs in blocks
 * so that the block of B's columns stays in L1 over the run of row tiles, and a work-item does enough work
 * to hide the launch cost of a work-group.
 *
 * TM is the tile height, gemm_packed_4, _6 or _8: the accumulators, the 16-wide row of B and a broadcast must
 * fit the vector registers, or the compiler spills them to the stack inside the k loop. A float16 is two
 * 256-bit registers on AVX2 (16 of them: 6 x 16 fits, 8 x 16 does not) and one on AVX-512 (32: 8 x 16 fits);
 * `nin-cl tune` picks the height per device (the tuning file's gemm_tile_rows). */

#define GEMM_TM_MAX 8
#define GEMM_TN 16

/* Row k of panel p of a matrix X[k][x] (k < K, x < limit), `width` x-values wide, zero past limit: X is at
 * X[k * ld + x] (along_x, x contiguous) or at X[x * ld + k]. */
inline void pack_panel_row(__global const float *X, int off, int ld, int along_x, int K, int limit, int width,
                           int k, int p, __global float *panels)
{
    __global float *dst = panels + ((size_t)p * K + k) * width;
    for (int w = 0; w < width; w++) {
        int x = p * width + w;
        dst[w] = x < limit ? X[off + (along_x ? (size_t)k * ld + x : (size_t)x * ld + k)] : 0.0f;
    }
}

/* Work-item (k, it): row k of A micro-panel it (A[i][k] for the tm rows i of the panel), from A (trans == 0:
 * A[i][k] at A[i * lda + k]) or from A stored transposed (trans == 1: at A[k * lda + i]). */
__kernel void pack_a(__global const float *A, int a_off, int lda, int trans, int M, int K, int tm,
                     __global float *panels, int p_off)
{
    pack_panel_row(A, a_off, lda, trans, K, M, tm, get_global_id(0), get_global_id(1), panels + p_off);
}

/* Work-item (k, jt): row k of panel jt (B[k][j] for the 16 columns j of the panel), from B (trans == 0:
 * B[k][j] at B[k * ldb + j]) or from B stored transposed (trans == 1: at B[j * ldb + k]). */
__kernel void pack_b(__global const float *B, int b_off, int ldb, int trans, int K, int N, __global float *panels,
                     int p_off)
{
    pack_panel_row(B, b_off, ldb, !trans, K, N, GEMM_TN, get_global_id(0), get_global_id(1), panels + p_off);
}

/* The first `cols` (< 16) values at c, zero past them. */
inline float16 partial_row16(__global const float *c, int cols)
{
    float v[GEMM_TN];
    for (int j = 0; j < GEMM_TN; j++)
        v[j] = j < cols ? c[j] : 0.0f;
    return vload16(0, v);
}

/* Row r of a tile of C: alpha * acc + scale_c * C (when scale_c is not 0), then with the epilogue the row's
 * bias and, with relu, the clamp at 0; the first `cols` values written. */
inline void store_row16(__global float *c, int cols, float16 acc, float alpha, float scale_c, int epilogue,
                        float bias, int relu)
{
    float16 v = alpha * acc;
    if (scale_c != 0.0f)
        v += scale_c * (cols == GEMM_TN ? vload16(0, c) : partial_row16(c, cols));
    if (epilogue) {
        v += bias;
        v = relu ? select(v, (float16)0.0f, v < 0.0f) : v;   /* NaN stays NaN */
    }
    if (cols == GEMM_TN) {
        vstore16(v, 0, c);
    } else {
        float out[GEMM_TN];
        vstore16(v, 0, out);
        for (int j = 0; j < cols; j++)
            c[j] = out[j];
    }
}

/* Work-item (rb, jt) of gemm_packed_TM: row tiles rb * tiles .. rb * tiles + tiles - 1 against the 16 columns
 * jt of B, k in blocks of k_block so that the block of B's columns stays in the L1 cache while the row tiles
 * pass over it; C accumulates across the k blocks. A is packed micro-panels of TM rows (a_packed) or A itself
 * with leading dimension lda; its values are broadcast straight from memory. B[k][16 jt .. 16 jt + 15] is at
 * B + b_off + jt * b_jt_stride + k * b_k_stride: a packed panel (strides 16 K and 16) or B itself in place
 * (strides 16 and ldb), which saves the packing pass where B's rows are contiguous and the 16 columns exist.
 * With bias_off >= 0 the last k block adds bias[bias_off + i] to row i and, with relu, clamps at 0: the
 * convolution's bias + ReLU in the epilogue instead of another pass over C. Each height is a kernel of its own
 * (a macro, not an inline function: the compiler then lays out the k loop as for one hand-written kernel), with
 * the accumulators as named variables, so that they stay in registers; those past TM are dead code. */
#define GEMM_FMA(r) c##r = fma((float16)a[r][ak], b, c##r)
#define GEMM_PACKED(TM)                                                                                               \
    __kernel void gemm_packed_##TM(int M, int N, int K, float alpha, __global const float *A, int a_off, int lda,   \
                                   int a_packed, __global const float *B, int b_off, int b_jt_stride,               \
                                   int b_k_stride, float beta, __global float *C, int c_off, int ldc, int tiles,    \
                                   int k_block, __global const float *bias, int bias_off, int relu)                \
    {                                                                                                               \
        int jt = get_global_id(1), j0 = jt * GEMM_TN, cols = min(GEMM_TN, N - j0);                                  \
        int it0 = get_global_id(0) * tiles, it1 = min(it0 + tiles, (M + TM - 1) / TM);                              \
        int a_k_stride = a_packed ? TM : 1;                                                                         \
        __global const float *bp = B + b_off + (size_t)jt * b_jt_stride;                                            \
        A += a_off;                                                                                                 \
        C += c_off;                                                                                                 \
        for (int k0 = 0; k0 < K; k0 += k_block) {                                                                   \
            int k1 = min(k0 + k_block, K);                                                                          \
            float scale_c = k0 == 0 ? beta : 1.0f; /* later k blocks add to the first one's result */               \
            int epilogue = k1 == K && bias_off >= 0;                                                                \
            for (int it = it0; it < it1; it++) {                                                                    \
                int i0 = it * TM, rows = min(TM, M - i0);                                                           \
                __global const float *a[GEMM_TM_MAX]; /* in place, rows past M repeat row M - 1; packed, 0 */       \
                for (int r = 0; r < GEMM_TM_MAX; r++)                                                               \
                    a[r] = a_packed ? A + (size_t)it * K * TM + r : A + (size_t)min(i0 + r, M - 1) * lda;           \
                float16 c0 = 0.0f, c1 = 0.0f, c2 = 0.0f, c3 = 0.0f, c4 = 0.0f, c5 = 0.0f, c6 = 0.0f, c7 = 0.0f;     \
                for (int k = k0; k < k1; k++) {                                                                     \
                    float16 b = vload16(0, bp + (size_t)k * b_k_stride);                                            \
                    size_t ak = (size_t)k * a_k_stride;                                                             \
                    GEMM_FMA(0);                                                                                    \
                    GEMM_FMA(1);                                                                                    \
                    GEMM_FMA(2);                                                                                    \
                    GEMM_FMA(3);                                                                                    \
                    if (TM > 4) {                                                                                   \
                        GEMM_FMA(4);                                                                                \
                        GEMM_FMA(5);                                                                                \
                    }                                                                                               \
                    if (TM > 6) {                                                                                   \
                        GEMM_FMA(6);                                                                                \
                        GEMM_FMA(7);                                                                                \
                    }                                                                                               \
                }                                                                                                   \
                float16 acc[GEMM_TM_MAX] = { c0, c1, c2, c3, c4, c5, c6, c7 };                                      \
                for (int r = 0; r < rows; r++)                                                                      \
                    store_row16(C + (size_t)(i0 + r) * ldc + j0, cols, acc[r], alpha, scale_c, epilogue,            \
                                epilogue ? bias[bias_off + i0 + r] : 0.0f, relu);                                   \
            }                                                                                                       \
        }                                                                                                           \
    }
GEMM_PACKED(4)
GEMM_PACKED(6)
GEMM_PACKED(8)

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
            float sum = NIN_SUM16(s[r][c]);
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
