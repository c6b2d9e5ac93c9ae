/* test_layers.c - every device kernel against the plain-C reference on random data, forward and backward:
 * one layer at a time (and a few pairs), then GEMM in all transpose combinations. */
#include <math.h>
#include <stdlib.h>
#include "harness.h"

static const struct {
    const char *netdef;
    nin_shape input;
} cases[] = {
    { "5c3p1", { 3, 7, 7 } },      /* k x k convolution with pad: im2col + GEMM */
    { "5c3p1s2", { 3, 8, 8 } },    /* with stride */
    { "4c3p4", { 2, 5, 5 } },      /* padding wider than the kernel: rows and columns with no tap inside */
    { "3c2p2s2", { 2, 5, 6 } },    /* stride 2 with padding as wide as the kernel */
    { "4c5p2", { 2, 9, 9 } },      /* the paper's 5x5 */
    { "4c2s2l", { 3, 7, 7 } },     /* even kernel, no ReLU */
    { "6c1", { 4, 5, 5 } },        /* 1x1: a plain GEMM, no im2col */
    { "6c1l", { 4, 5, 5 } },
    { "mp3s2", { 3, 8, 8 } },      /* ceil mode: 4x4 out where floor gives 3x3 */
    { "mp2s2", { 3, 7, 7 } },
    { "ap3s2", { 3, 8, 8 } },
    { "ap3s1", { 2, 5, 6 } },
    { "mp5s2", { 2, 9, 8 } },      /* windows overlapping by more than a stride: an input in up to 3 x 3 */
    { "ap4s3", { 2, 10, 11 } },    /* the last window clipped */
    { "d0.5", { 3, 6, 6 } },       /* dropout: the same counter-based mask on both sides */
    { "gap", { 5, 4, 3 } },
    { "7fc", { 3, 4, 5 } },        /* fully connected over a non-square input */
    { "7fcl", { 6, 1, 1 } },
    { "6c3p1-mp3s2-d0.3-4c1-gap", { 3, 9, 9 } },
    { "5c3p1b", { 3, 7, 7 } },     /* convolution, batch norm, ReLU */
    { "6c1bl", { 4, 5, 5 } },      /* batch norm without ReLU */
    { "bn", { 2, 40, 40 } },       /* 4800 values a map: two chunks of the row sums */
    { "7fcb", { 3, 4, 5 } },       /* after a fully connected layer: one value a sample */
};

/* Every family of kernels in one shape (plane or element, cl/common.cl); the context's tuning before. */
static nin_gemm_tuning all_kernels(nin_context *ctx, nin_kernel_shape shape)
{
    nin_gemm_tuning saved = nin_context_tuning(ctx), t = saved;
    for (int f = 0; f < NIN_KERNEL_FAMILIES; f++)
        t.shape[f] = shape;
    nin_context_set_tuning(ctx, &t);
    ck_assert_msg(nin_element_shaped(ctx, NIN_KF_POOL) == (shape == NIN_SHAPE_ELEMENT),
                  "this device takes no work-groups of %d", NIN_GROUP);
    return saved;
}

/* Forward (training mode) and backward of one netdef on the device and on the reference, from the same
 * parameters, input and output gradient; compare output, parameter gradients and input gradient.
 * Each case runs with both GEMM implementations, once more with im2col over one image at a time, and with the
 * element-shaped kernels with each GEMM (with CLBlast over the whole batch, with the tiled GEMM one image at a
 * time). The tiled GEMM's three runs take its three tile heights (8 over the whole batch, then 6 with every B
 * packed, and 4). */
START_TEST(test_layer_against_reference)
{
    const int batch = 3, variant = _i % 5;
    nin_context *ctx = test_context();
    nin_gemm_tuning saved = all_kernels(ctx, variant >= 3 ? NIN_SHAPE_ELEMENT : NIN_SHAPE_PLANE);
    ctx->tuning.backend = variant == 0 || variant == 3 ? NIN_GEMM_CLBLAST : NIN_GEMM_TILED;
    if (variant == 2 || variant == 4)   /* im2col one image at a time, k in many blocks (bias + ReLU on the last) */
        setenv("NIN_IM2COL_FLOATS", "1", 1), ctx->tuning.k_block = 7, ctx->tuning.tile_rows = variant == 2 ? 6 : 4,
        ctx->tuning.pack_b_rows = variant == 2 ? 1 : NIN_GEMM_PACK_B_ROWS_DEFAULT;
    _i /= 5;
    nin_net *dev = test_net(ctx, cases[_i].netdef, cases[_i].input, batch);
    unsetenv("NIN_IM2COL_FLOATS");
    nin_net *ref = test_net(NULL, cases[_i].netdef, cases[_i].input, batch);
    nin_net_want_input_grad(dev, 1);
    nin_net_want_input_grad(ref, 1);
    size_t n_in = nin_volume(cases[_i].input, batch), n_out = nin_volume(nin_net_output_shape(dev), batch);
    size_t n_params = nin_net_param_count(dev), biggest = n_in > n_out ? n_in : n_out;
    if (n_params > biggest)
        biggest = n_params;
    float *x = malloc(n_in * sizeof *x), *dy = malloc(n_out * sizeof *dy);
    float *a = malloc(biggest * sizeof *a), *b = malloc(biggest * sizeof *b);
    random_fill(x, n_in, 1);
    random_fill(dy, n_out, 2);
    /* random biases too, so that the ReLU masks are not all alike */
    nin_net_get_params(ref, a);
    for (size_t i = nin_net_weight_count(ref); i < n_params; i++)
        a[i] = 0.1f * nin_random_normal(3, i);
    nin_net_set_params(dev, a);
    nin_net_set_params(ref, a);

    nin_net *nets[2] = { dev, ref };
    for (int k = 0; k < 2; k++) {
        nin_net_set_input(nets[k], x, NULL);
        nin_net_forward(nets[k], 1);
        nin_net_set_output_grad(nets[k], dy);
        nin_net_backward(nets[k]);
    }
    nin_net_get_output(dev, a);
    nin_net_get_output(ref, b);
    assert_close(cases[_i].netdef, a, b, n_out, 1e-5);
    nin_net_get_input_grad(dev, a);
    nin_net_get_input_grad(ref, b);
    assert_close("input gradient", a, b, n_in, 1e-5);
    if (n_params) {
        nin_net_get_grads(dev, a);
        nin_net_get_grads(ref, b);
        assert_close("parameter gradient", a, b, n_params, 1e-5);
    }
    free(x);
    free(dy);
    free(a);
    free(b);
    nin_net_free(dev);
    nin_net_free(ref);
    nin_context_set_tuning(ctx, &saved);
}
END_TEST

/* Dropout: about `rate` of the units dropped, the rest scaled by 1/(1 - rate); a new mask each step;
 * the identity at test time. */
START_TEST(test_dropout_statistics)
{
    const int batch = 8;
    const nin_shape in = { 4, 16, 16 };
    nin_net *dev = test_net(test_context(), "d0.25", in, batch);
    size_t n = nin_volume(in, batch);
    float *x = malloc(n * sizeof *x), *y1 = malloc(n * sizeof *y1), *y2 = malloc(n * sizeof *y2);
    for (size_t i = 0; i < n; i++)
        x[i] = 1.0f;
    nin_net_set_input(dev, x, NULL);
    nin_net_forward(dev, 1);
    nin_net_get_output(dev, y1);
    nin_net_forward(dev, 1);
    nin_net_get_output(dev, y2);
    size_t dropped = 0, differ = 0;
    for (size_t i = 0; i < n; i++) {
        ck_assert(y1[i] == 0.0f || y1[i] == 1.0f / 0.75f);
        dropped += y1[i] == 0.0f;
        differ += y1[i] != y2[i];
    }
    ck_assert_msg(dropped > n * 0.22 && dropped < n * 0.28, "dropped %zu of %zu", dropped, n);
    ck_assert_msg(differ > n / 5, "masks of two steps differ in only %zu of %zu", differ, n);
    nin_net_forward(dev, 0);
    nin_net_get_output(dev, y1);
    assert_close("dropout at test time", y1, x, n, 0.0);
    free(x);
    free(y1);
    free(y2);
    nin_net_free(dev);
}
END_TEST

/* Data-dependent init: afterwards the last (linear) layer's maps have zero mean and unit variance on the
 * batch, and device and reference agree on the parameters. */
START_TEST(test_data_init)
{
    const int batch = 6;
    const nin_shape in = { 3, 9, 9 };
    nin_net *dev = test_net(test_context(), "8c3p1-mp3s2-6c1-5c3p1l", in, batch);
    nin_net *ref = test_net(NULL, "8c3p1-mp3s2-6c1-5c3p1l", in, batch);
    size_t n_in = nin_volume(in, batch), n_out = nin_volume(nin_net_output_shape(dev), batch);
    size_t n_params = nin_net_param_count(dev), area = n_out / batch / 5;
    float *x = malloc(n_in * sizeof *x), *y = malloc(n_out * sizeof *y);
    float *a = malloc(n_params * sizeof *a), *b = malloc(n_params * sizeof *b);
    for (size_t i = 0; i < n_in; i++)   /* inputs with a large common offset, as images have */
        x[i] = 3.0f + nin_random_normal(31, i);
    nin_net_init_from_data(dev, x, NULL);
    nin_net_init_from_data(ref, x, NULL);
    nin_net_get_params(dev, a);
    nin_net_get_params(ref, b);
    assert_close("parameters after data init", a, b, n_params, 1e-4);
    nin_net_forward(dev, 0);
    nin_net_get_output(dev, y);
    for (int c = 0; c < 5; c++) {
        double sum = 0.0, sq = 0.0;
        for (int n = 0; n < batch; n++)
            for (size_t j = 0; j < area; j++) {
                double v = y[((size_t)n * 5 + c) * area + j];
                sum += v;
                sq += v * v;
            }
        double mean = sum / (batch * area), var = sq / (batch * area) - mean * mean;
        ck_assert_msg(fabs(mean) < 1e-3 && fabs(var - 1.0) < 1e-2, "map %d: mean %g variance %g", c, mean, var);
    }
    free(x);
    free(y);
    free(a);
    free(b);
    nin_net_free(dev);
    nin_net_free(ref);
}
END_TEST

/* Batch norm's running statistics: two training forwards move them (momentum 0.1, unbiased variance) alike
 * on the device and in the reference, and as the formula says; an evaluation forward then normalises with
 * them on both. */
START_TEST(test_batchnorm_running_statistics)
{
    const int batch = 5, C = 3;
    const nin_shape in = { C, 6, 7 };
    nin_net *dev = test_net(test_context(), "bn", in, batch), *ref = test_net(NULL, "bn", in, batch);
    size_t n = nin_volume(in, batch), P = n / C;
    float *x = malloc(n * sizeof *x), *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b), p[4 * C], q[4 * C];
    for (int c = 0; c < C; c++)   /* gamma, beta, running mean, running variance */
        p[c] = 0.5f + c, p[C + c] = 0.1f * c, p[2 * C + c] = 1.0f - c, p[3 * C + c] = 2.0f + c;
    nin_net_set_params(dev, p);
    nin_net_set_params(ref, p);
    double want_mean[C], want_var[C];
    for (int c = 0; c < C; c++)
        want_mean[c] = p[2 * C + c], want_var[c] = p[3 * C + c];
    size_t area = (size_t)in.h * in.w;
    for (int step = 0; step < 2; step++) {
        double sum[C], sq[C];
        for (size_t i = 0; i < n; i++)   /* NCHW; a large offset: the variance must not cancel */
            x[i] = 100.0f + (float)(i / area % C) + 0.5f * nin_random_normal(41 + step, i);
        for (int pass = 0; pass < 2; pass++)   /* per map: the sum, then the squares about the mean */
            for (int c = 0; c < C; c++) {
                double *acc = pass ? &sq[c] : &sum[c];
                *acc = 0.0;
                for (size_t i = c * area; i < n; i += (size_t)C * area)
                    for (size_t j = i; j < i + area; j++)
                        *acc += pass ? (x[j] - sum[c] / P) * (x[j] - sum[c] / P) : x[j];
            }
        for (int c = 0; c < C; c++) {
            want_mean[c] = 0.9 * want_mean[c] + 0.1 * sum[c] / P;
            want_var[c] = 0.9 * want_var[c] + 0.1 * sq[c] / (P - 1);
        }
        nin_net *nets[2] = { dev, ref };
        for (int k = 0; k < 2; k++) {
            nin_net_set_input(nets[k], x, NULL);
            nin_net_forward(nets[k], 1);
        }
    }
    nin_net_get_params(dev, p);
    nin_net_get_params(ref, q);
    assert_close("running statistics, device against reference", p, q, 4 * C, 1e-5);
    for (int c = 0; c < C; c++) {
        ck_assert_msg(fabs(q[2 * C + c] - want_mean[c]) < 1e-4 * fabs(want_mean[c]), "map %d mean %g, want %g", c,
                      q[2 * C + c], want_mean[c]);
        ck_assert_msg(fabs(q[3 * C + c] - want_var[c]) < 1e-4 * want_var[c], "map %d variance %g, want %g", c,
                      q[3 * C + c], want_var[c]);
    }
    nin_net_forward(dev, 0);
    nin_net_forward(ref, 0);
    nin_net_get_output(dev, a);
    nin_net_get_output(ref, b);
    assert_close("evaluation with the running statistics", a, b, n, 1e-5);
    for (size_t i = 0; i < n; i += 7) {   /* y = gamma (x - running mean) / sqrt(running var + eps) + beta */
        int c = (int)(i / area % C);
        double want = q[c] * (x[i] - q[2 * C + c]) / sqrt(q[3 * C + c] + 1e-5) + q[C + c];
        ck_assert_msg(fabs(b[i] - (want > 0 ? want : 0)) < 1e-3, "output %zu: %g, want %g", i, b[i], want);
    }
    free(x);
    free(a);
    free(b);
    nin_net_free(dev);
    nin_net_free(ref);
}
END_TEST

/* GEMM shapes: partial tiles; whole tiles of every height (24 rows) and 16 columns; a C too large for the tiled
 * GEMM's split-K A * B^T */
static const size_t gemm_shapes[][3] = { { 13, 17, 9 }, { 24, 48, 33 }, { 17, 3900, 300 } };

/* Both GEMM implementations (CLBlast, the portable default, and the tiled kernels `nin-cl tune` may choose)
 * against the plain loops: every transpose combination, with offsets and beta, on every shape. The tiled GEMM
 * runs with its default parameters, then with tuned-looking ones that split k into many blocks, give each
 * work-item one row tile and pack B (transposed or not) a few columns at a time, once with each tile height. */
START_TEST(test_gemm_against_reference)
{
    nin_context *ctx = test_context();
    int ta = _i & 1, tb = (_i >> 1) & 1, shape = (_i >> 2) % 3;
    const size_t m = gemm_shapes[shape][0], n = gemm_shapes[shape][1], k = gemm_shapes[shape][2], off = 5;
    nin_gemm_backend saved = ctx->tuning.backend;
    nin_context defaults = *ctx;
    ctx->tuning.backend = _i >= 12 ? NIN_GEMM_TILED : NIN_GEMM_CLBLAST;
    if (_i >= 24)
        ctx->tuning.row_tiles = 1, ctx->tuning.k_block = 5, ctx->tuning.block_n = 48,
        ctx->tuning.tile_rows = (int[]){ 8, 6, 4 }[(_i - 24) / 12], ctx->tuning.pack_b_rows = 1;
    size_t lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
    size_t na = m * k + off, nb = k * n + off, nc = m * n + off;
    float *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b), *c = malloc(nc * sizeof *c);
    float *want = malloc(nc * sizeof *want), *got = malloc(nc * sizeof *got);
    random_fill(a, na, 10);
    random_fill(b, nb, 11);
    random_fill(c, nc, 12);
    cl_mem da = nin_buffer(ctx, na * 4), db = nin_buffer(ctx, nb * 4), dc = nin_buffer(ctx, nc * 4);
    nin_write(ctx, da, 0, na * 4, a);
    nin_write(ctx, db, 0, nb * 4, b);
    nin_write(ctx, dc, 0, nc * 4, c);
    nin_gemm(ctx, ta, tb, m, n, k, 0.5f, da, off, lda, db, off, ldb, 0.25f, dc, off, ldc);
    nin_read(ctx, dc, 0, nc * 4, got);
    for (size_t i = 0; i < nc; i++)
        want[i] = c[i];
    nin_gemm_ref(ta, tb, m, n, k, 0.5f, a + off, lda, b + off, ldb, 0.25f, want + off, ldc);
    ctx->tuning.backend = saved;
    ctx->tuning.row_tiles = defaults.tuning.row_tiles, ctx->tuning.k_block = defaults.tuning.k_block;
    ctx->tuning.block_n = defaults.tuning.block_n, ctx->tuning.tile_rows = defaults.tuning.tile_rows;
    ctx->tuning.pack_b_rows = defaults.tuning.pack_b_rows;
    assert_close(nin_gemm_backend_name(_i >= 12 ? NIN_GEMM_TILED : NIN_GEMM_CLBLAST), got, want, nc, 1e-5);
    clReleaseMemObject(da);
    clReleaseMemObject(db);
    clReleaseMemObject(dc);
    free(a);
    free(b);
    free(c);
    free(want);
    free(got);
}
END_TEST

/* The inference memory plan (layers taking turns in two buffers) computes what the training network computes
 * in test mode, on the device (with each GEMM backend: the tiled one fuses bias + ReLU) and on the C
 * reference. */
START_TEST(test_inference_network)
{
    nin_context *ctx = test_context();
    nin_gemm_backend saved = ctx->tuning.backend;
    ctx->tuning.backend = _i ? NIN_GEMM_TILED : NIN_GEMM_CLBLAST;
    const char *netdef = "6c3p1b-mp3s2-d0.3-5c1-ap2s1-4c1l-gap";
    const nin_shape input = { 3, 9, 9 };
    const int batch = 3;
    nin_netdef def;
    char err[256];
    ck_assert_int_eq(nin_netdef_parse(netdef, &def, err, sizeof err), 0);
    nin_net *train = test_net(ctx, netdef, input, batch);
    size_t n_in = (size_t)batch * input.c * input.h * input.w, n_params = nin_net_param_count(train);
    float *x = malloc(n_in * sizeof *x), *params = malloc(n_params * sizeof *params);
    float want[3 * 4], got[3 * 4];
    random_fill(x, n_in, 21);
    nin_net_set_input(train, x, NULL);
    nin_net_forward(train, 1);   /* moves the batch norm's running statistics, which evaluation uses */
    nin_net_get_params(train, params);
    nin_net_forward(train, 0);
    nin_net_get_output(train, want);
    for (int on_device = 0; on_device < 2; on_device++) {
        nin_net *infer = nin_net_create_inference(on_device ? ctx : NULL, &def, input, batch);
        nin_net_set_params(infer, params);
        nin_net_set_input(infer, x, NULL);
        nin_net_forward(infer, 0);
        nin_net_get_output(infer, got);
        assert_close(on_device ? "inference net, device" : "inference net, reference", got, want, 12, 1e-5);
        nin_net_free(infer);
    }
    nin_net_free(train);
    free(x);
    free(params);
    ctx->tuning.backend = saved;
}
END_TEST

/* The very first GEMM of a fresh context on the tiled path, with B read in place: it packs nothing, yet its
 * kernels still need a scratch buffer (a fresh context has none yet). */
START_TEST(test_first_gemm_tiled)
{
    nin_context *ctx = nin_context_create_from(-1, NULL);
    ck_assert_msg(ctx != NULL, "%s", nin_last_error());
    nin_gemm_tuning t = nin_context_tuning(ctx);
    t.backend = NIN_GEMM_TILED;
    nin_context_set_tuning(ctx, &t);
    const size_t m = 8, n = 64, k = 27;
    float a[8 * 27], b[27 * 64], got[8 * 64], want[8 * 64];
    random_fill(a, m * k, 21);
    random_fill(b, k * n, 22);
    cl_mem da = nin_buffer(ctx, sizeof a), db = nin_buffer(ctx, sizeof b), dc = nin_buffer(ctx, sizeof got);
    nin_write(ctx, da, 0, sizeof a, a);
    nin_write(ctx, db, 0, sizeof b, b);
    nin_gemm(ctx, 0, 0, m, n, k, 1.0f, da, 0, k, db, 0, n, 0.0f, dc, 0, n);
    nin_read(ctx, dc, 0, sizeof got, got);
    ck_assert_int_eq(nin_context_status(ctx), 0);
    nin_gemm_ref(0, 0, m, n, k, 1.0f, a, k, b, n, 0.0f, want, n);
    assert_close("first tiled GEMM", got, want, m * n, 1e-5);
    clReleaseMemObject(da);
    clReleaseMemObject(db);
    clReleaseMemObject(dc);
    nin_context_free(ctx);
}
END_TEST

/* The per-parameter learning-rate multipliers (bias, class layer) on the device against the reference: the
 * same parameters, gradients and momentum, two updates, the same parameters and momentum after them. */
START_TEST(test_lr_mult_against_reference)
{
    static const float mults[][2] = { { 2.0f, 0.1f }, { 1.0f, 0.1f }, { 2.0f, 1.0f }, { 0.0f, 3.0f } };
    const nin_shape input = { 3, 7, 7 };
    nin_gemm_tuning saved = all_kernels(test_context(), _i % 2 ? NIN_SHAPE_ELEMENT : NIN_SHAPE_PLANE);
    _i /= 2;
    nin_net *dev = test_net(test_context(), "6c3p1-mp3s2-5c1-4c1-gap", input, 2);
    nin_net *ref = test_net(NULL, "6c3p1-mp3s2-5c1-4c1-gap", input, 2);
    size_t n = nin_net_param_count(dev);
    float *p = malloc(n * sizeof *p), *g = malloc(n * sizeof *g), *v = malloc(n * sizeof *v);
    float *got = malloc(n * sizeof *got), *want = malloc(n * sizeof *want);
    random_fill(p, n, 31);
    random_fill(g, n, 32);
    random_fill(v, n, 33);
    nin_sgd sgd = { 0.05f, 0.9f, 0.01f };
    nin_net *nets[2] = { dev, ref };
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(nin_net_set_lr_mult(nets[k], mults[_i][0], mults[_i][1]), 0);
        nin_net_set_params(nets[k], p);
        nin_net_set_momentum(nets[k], v);
        nin_net_set_grads(nets[k], g);
        ck_assert_int_eq(nin_net_update(nets[k], &sgd), 0);
        ck_assert_int_eq(nin_net_update(nets[k], &sgd), 0);
    }
    nin_net_get_params(dev, got);
    nin_net_get_params(ref, want);
    assert_close("parameters after two updates with multipliers", got, want, n, 1e-6);
    nin_net_get_momentum(dev, got);
    nin_net_get_momentum(ref, want);
    assert_close("momentum after two updates with multipliers", got, want, n, 1e-6);
    free(p);
    free(g);
    free(v);
    free(got);
    free(want);
    nin_net_free(dev);
    nin_net_free(ref);
    nin_context_set_tuning(test_context(), &saved);
}
END_TEST

/* Softmax cross-entropy on the device, in both shapes, against the reference: the summed loss, the correct
 * count and the logits' gradient, for 10 classes and for more classes than a work-group has work-items, with
 * ties among the logits (the first maximum is the prediction). */
START_TEST(test_softmax_against_reference)
{
    const int classes = _i / 2 ? NIN_GROUP + 44 : 10, batch = 5;
    const nin_shape input = { classes, 2, 1 };
    nin_gemm_tuning saved = all_kernels(test_context(), _i % 2 ? NIN_SHAPE_ELEMENT : NIN_SHAPE_PLANE);
    nin_net *dev = test_net(test_context(), "gap", input, batch), *ref = test_net(NULL, "gap", input, batch);
    size_t n_in = (size_t)batch * classes * 2;
    float *x = malloc(n_in * sizeof *x), *got = malloc(n_in * sizeof *got), *want = malloc(n_in * sizeof *want);
    int labels[5] = { 0, classes - 1, 3, 7, 3 };
    random_fill(x, n_in, 51);
    for (size_t i = 0; i < 2 * (size_t)classes; i++)   /* sample 4: every logit equal, so class 0 is predicted */
        x[4 * 2 * (size_t)classes + i] = 0.5f;
    nin_metrics m[2];
    nin_net *nets[2] = { dev, ref };
    for (int k = 0; k < 2; k++) {
        nin_net_want_input_grad(nets[k], 1);
        nin_net_set_input(nets[k], x, labels);
        nin_net_forward(nets[k], 1);
        ck_assert_int_eq(nin_net_loss(nets[k], &m[k]), 0);
        ck_assert_int_eq(nin_net_backward(nets[k]), 0);
    }
    ck_assert_msg(fabs(m[0].loss - m[1].loss) <= 1e-5 * fabs(m[1].loss), "loss %g, not %g", m[0].loss, m[1].loss);
    ck_assert_msg(m[0].correct == m[1].correct, "correct %d, not %d", m[0].correct, m[1].correct);
    nin_net_get_input_grad(dev, got);
    nin_net_get_input_grad(ref, want);
    assert_close("softmax gradient", got, want, n_in, 1e-5);
    free(x);
    free(got);
    free(want);
    nin_net_free(dev);
    nin_net_free(ref);
    nin_context_set_tuning(test_context(), &saved);
}
END_TEST

/* The reference update against the formula, index by index, on 3c1-2c1-gap over 2 channels: weights [0, 6) at
 * lr, the class layer's weights [6, 12) at lr * class, biases [12, 15) at lr * bias, the class layer's [15, 17)
 * at lr * bias * class; decay on the weights only. Three values after the biases stand for running statistics
 * (the buffer's third region): the update leaves them alone. */
START_TEST(test_lr_mult_formula)
{
    enum { N = 17, STATS = 3 };
    const float lr = 0.1f, bias = 2.0f, cls = 0.25f, momentum = 0.9f, decay = 0.01f;
    nin_net *net = test_net(NULL, "3c1-2c1-gap", (nin_shape){ 2, 2, 2 }, 1);
    ck_assert_uint_eq(nin_net_param_count(net), N);
    ck_assert_uint_eq(nin_net_weight_count(net), 12);
    ck_assert_int_eq(nin_net_set_lr_mult(net, bias, cls), 0);
    /* a stand-in for running statistics: the buffers made longer by three values the optimizer must not touch */
    net->h_params = realloc(net->h_params, (N + STATS) * sizeof(float));
    net->h_grads = realloc(net->h_grads, (N + STATS) * sizeof(float));
    net->h_momentum = realloc(net->h_momentum, (N + STATS) * sizeof(float));
    net->params = N + STATS;
    float p[N + STATS], g[N + STATS], v[N + STATS], after[N + STATS];
    random_fill(p, N + STATS, 41);
    random_fill(g, N + STATS, 42);
    random_fill(v, N + STATS, 43);
    nin_net_set_params(net, p);
    nin_net_set_grads(net, g);
    nin_net_set_momentum(net, v);
    ck_assert_int_eq(nin_net_update(net, &(nin_sgd){ lr, momentum, decay }), 0);
    nin_net_get_params(net, after);
    for (int i = 0; i < N; i++) {
        float mult = i < 6 ? 1.0f : i < 12 ? cls : i < 15 ? bias : bias * cls;
        double step = (double)momentum * v[i] + g[i] + (i < 12 ? (double)decay * p[i] : 0.0);
        double want = p[i] - (double)lr * mult * step;
        ck_assert_msg(fabs(after[i] - want) <= 1e-6 * (1.0 + fabs(want)), "parameter %d: %.9g, not %.9g (rate %g)", i,
                      after[i], want, lr * mult);
    }
    nin_net_get_momentum(net, v);
    for (int i = N; i < N + STATS; i++)
        ck_assert_msg(after[i] == p[i] && v[i] == nin_random_normal(43, (uint64_t)i), "statistic %d was updated", i);
    ck_assert_int_eq(nin_net_set_lr_mult(net, -1.0f, 1.0f), -1);
    nin_net_free(net);
    /* a network without a class layer takes a bias multiplier but no class multiplier */
    net = test_net(NULL, "3c1-mp2", (nin_shape){ 2, 2, 2 }, 1);
    ck_assert_int_eq(nin_net_set_lr_mult(net, 2.0f, 1.0f), 0);
    ck_assert_int_eq(nin_net_set_lr_mult(net, 1.0f, 0.5f), -1);
    nin_net_free(net);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("layers");
    TCase *tc = tcase_create("device-vs-reference");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, test_layer_against_reference, 0, 5 * (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, test_dropout_statistics);
    tcase_add_test(tc, test_data_init);
    tcase_add_test(tc, test_batchnorm_running_statistics);
    tcase_add_loop_test(tc, test_inference_network, 0, 2);
    tcase_add_loop_test(tc, test_gemm_against_reference, 0, 60);
    tcase_add_test(tc, test_first_gemm_tiled);
    tcase_add_loop_test(tc, test_lr_mult_against_reference, 0, 8);
    tcase_add_loop_test(tc, test_softmax_against_reference, 0, 4);
    tcase_add_test(tc, test_lr_mult_formula);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
