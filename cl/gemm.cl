/* gemm.cl - a GEMM for CPU devices (PoCL), where CLBlast's kernels reach a fraction of the FLOP limit.
 * C[M x N] = alpha * A[M x K] * B[K x N] + beta * C, row-major, no transposes (the host transposes an operand
 * first when needed). One work-item computes an 8 x 16 tile of C as eight float16 accumulators: per k, one
 * 16-wide load of B and eight broadcast multiply-adds, the register-blocked inner kernel of CPU BLAS.
 * Dimension 0 runs over row tiles, so consecutive work-groups reuse the same panel of B from cache. */

#define GEMM_TM 8
#define GEMM_TN 16

__kernel void gemm_nn(int M, int N, int K, float alpha, __global const float *A, int a_off, int lda,
                      __global const float *B, int b_off, int ldb, float beta, __global float *C, int c_off,
                      int ldc)
{
    int i0 = get_global_id(0) * GEMM_TM, j0 = get_global_id(1) * GEMM_TN;
    A += a_off;
    B += b_off;
    C += c_off;
    if (i0 + GEMM_TM <= M && j0 + GEMM_TN <= N) {
        float16 c0 = 0.0f, c1 = 0.0f, c2 = 0.0f, c3 = 0.0f, c4 = 0.0f, c5 = 0.0f, c6 = 0.0f, c7 = 0.0f;
        __global const float *a = A + (size_t)i0 * lda;
        for (int k = 0; k < K; k++) {
            float16 b = vload16(0, B + (size_t)k * ldb + j0);
            c0 = fma((float16)a[k], b, c0);
            c1 = fma((float16)a[lda + k], b, c1);
            c2 = fma((float16)a[2 * lda + k], b, c2);
            c3 = fma((float16)a[3 * lda + k], b, c3);
            c4 = fma((float16)a[4 * lda + k], b, c4);
            c5 = fma((float16)a[5 * lda + k], b, c5);
            c6 = fma((float16)a[6 * lda + k], b, c6);
            c7 = fma((float16)a[7 * lda + k], b, c7);
        }
        float16 acc[GEMM_TM] = { c0, c1, c2, c3, c4, c5, c6, c7 };
        for (int r = 0; r < GEMM_TM; r++) {
            __global float *c = C + (size_t)(i0 + r) * ldc + j0;
            float16 v = alpha * acc[r];
            if (beta != 0.0f)
                v += beta * vload16(0, c);
            vstore16(v, 0, c);
        }
        return;
    }
    /* a partial tile at the right or bottom edge: plain loops */
    for (int i = i0; i < min(i0 + GEMM_TM, M); i++)
        for (int j = j0; j < min(j0 + GEMM_TN, N); j++) {
            float sum = 0.0f;
            for (int k = 0; k < K; k++)
                sum += A[(size_t)i * lda + k] * B[(size_t)k * ldb + j];
            __global float *c = C + (size_t)i * ldc + j;
            *c = alpha * sum + (beta != 0.0f ? beta * *c : 0.0f);
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
