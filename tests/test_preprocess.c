/* test_preprocess.c - the preprocessing fitted on training images: standardisation gives zero mean and unit
 * variance per channel, ZCA whitening decorrelates (identity covariance where the variance is well above
 * the regulariser), LCN gives zero local mean; and the paper's ablations of a netdef. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <nin/train.h>
#include "harness.h"

/* count random images of shape s whose channels are correlated, with different means and scales */
static uint8_t *make_images(nin_shape s, int count)
{
    size_t dim = (size_t)s.c * s.h * s.w, area = (size_t)s.h * s.w;
    uint8_t *img = malloc(count * dim);
    for (int n = 0; n < count; n++)
        for (size_t i = 0; i < area; i++) {
            float shared = nin_random_normal(1, (uint64_t)n * area + i);
            for (int c = 0; c < s.c; c++) {
                float v = 60.0f + 40.0f * c + (20.0f + 10.0f * c) * (shared + 0.5f * nin_random_normal(2 + c, (uint64_t)n * area + i));
                img[(size_t)n * dim + c * area + i] = (uint8_t)fminf(fmaxf(v, 0.0f), 255.0f);
            }
        }
    return img;
}

START_TEST(test_standardize)
{
    nin_shape s = { 3, 8, 8 };
    int count = 500;
    uint8_t *img = make_images(s, count);
    nin_preprocess p;
    ck_assert_int_eq(nin_preprocess_fit(&p, NIN_PREPROCESS_STANDARDIZE, s, img, count), 0);
    float *x = malloc((size_t)count * 192 * sizeof *x);
    ck_assert_int_eq(nin_preprocess_apply(&p, img, count, x), 0);
    for (int c = 0; c < 3; c++) {
        double sum = 0.0, sq = 0.0;
        for (int n = 0; n < count; n++)
            for (int i = 0; i < 64; i++) {
                double v = x[(size_t)n * 192 + c * 64 + i];
                sum += v;
                sq += v * v;
            }
        double mean = sum / (count * 64), var = sq / (count * 64) - mean * mean;
        ck_assert_msg(fabs(mean) < 1e-3 && fabs(var - 1.0) < 1e-2, "channel %d: mean %g var %g", c, mean, var);
    }
    free(img);
    free(x);
    nin_preprocess_free(&p);
}
END_TEST

START_TEST(test_zca_whitens)
{
    nin_shape s = { 3, 4, 4 };
    int count = 4000;
    size_t dim = 48;
    uint8_t *img = make_images(s, count);
    nin_preprocess p;
    ck_assert_int_eq(nin_preprocess_fit(&p, NIN_PREPROCESS_ZCA, s, img, count), 0);
    float *x = malloc((size_t)count * dim * sizeof *x);
    ck_assert_int_eq(nin_preprocess_apply(&p, img, count, x), 0);
    /* covariance of the whitened data: the diagonal near 1 (shrunk a little by the regulariser), and the
     * strong correlation between the channels of a pixel gone */
    double diag = 0.0, off = 0.0;
    for (size_t i = 0; i < dim; i++)
        for (size_t j = 0; j < dim; j++) {
            double cov = 0.0;
            for (int n = 0; n < count; n++)
                cov += (double)x[n * dim + i] * x[n * dim + j];
            cov /= count;
            if (i == j)
                diag += cov / dim;
            else
                off = fmax(off, fabs(cov));
        }
    ck_assert_msg(diag > 0.8 && diag < 1.05, "mean variance after ZCA %g", diag);
    ck_assert_msg(off < 0.1, "largest covariance between features after ZCA %g", off);
    free(img);
    free(x);
    nin_preprocess_free(&p);
}
END_TEST

START_TEST(test_lcn_zero_local_mean)
{
    nin_shape s = { 1, 16, 16 };
    uint8_t *img = make_images(s, 1);
    for (int i = 0; i < 256; i++)   /* a strong left-to-right brightness ramp on top */
        img[i] = (uint8_t)fminf(img[i] / 4 + (i % 16) * 12, 255);
    nin_preprocess p;
    ck_assert_int_eq(nin_preprocess_fit(&p, NIN_PREPROCESS_LCN, s, img, 1), 0);
    float x[256];
    ck_assert_int_eq(nin_preprocess_apply(&p, img, 1, x), 0);
    /* away from the border (the 9x9 window fits: columns and rows 4..11) the ramp is gone: both sides of
     * the interior average about zero */
    double left = 0.0, right = 0.0;
    for (int y = 4; y < 12; y++)
        for (int xx = 0; xx < 2; xx++) {
            left += x[y * 16 + 4 + xx] / 16.0;
            right += x[y * 16 + 10 + xx] / 16.0;
        }
    ck_assert_msg(fabs(left) < 0.3 && fabs(right) < 0.3, "LCN left mean %g right mean %g", left, right);
    free(img);
    nin_preprocess_free(&p);
}
END_TEST

/* A shape the preprocessing cannot take is an error the caller gets back, not the end of the process. */
START_TEST(test_fit_refuses_four_channels)
{
    nin_shape s = { 4, 2, 2 };
    uint8_t img[16] = { 0 };
    nin_preprocess p;
    ck_assert_int_eq(nin_preprocess_fit(&p, NIN_PREPROCESS_ZCA, s, img, 1), -1);
    ck_assert_str_eq(nin_last_error(), "preprocessing supports 1 or 3 channels, not 4");
    ck_assert(p.zca == NULL && p.zca_mean == NULL);
    nin_preprocess_free(&p);
}
END_TEST

START_TEST(test_netdef_ablations)
{
    nin_netdef def;
    char err[256], out[512];
    ck_assert(nin_netdef_parse("cifar10", &def, err, sizeof err) == 0);
    nin_netdef_remove_dropout(&def);
    nin_netdef_format(&def, out, sizeof out);
    ck_assert_str_eq(out, "192c5p2-160c1-96c1-mp3s2-192c5p2-192c1-192c1-mp3s2-192c3p1-192c1-10c1l-gap");
    ck_assert(nin_netdef_parse("cifar10", &def, err, sizeof err) == 0);
    ck_assert(nin_netdef_fc_head(&def, 0.5f) == 0);
    nin_netdef_format(&def, out, sizeof out);
    ck_assert_str_eq(out, "192c5p2-160c1-96c1-mp3s2-d0.5-192c5p2-192c1-192c1-mp3s2-d0.5-192c3p1-192c1-d0.5-10fcl");
    ck_assert(nin_netdef_parse("8c3-mp2s2-10fc", &def, err, sizeof err) == 0);
    ck_assert(nin_netdef_fc_head(&def, 0.0f) == -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("preprocess");
    TCase *tc = tcase_create("preprocess");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_standardize);
    tcase_add_test(tc, test_zca_whitens);
    tcase_add_test(tc, test_lcn_zero_local_mean);
    tcase_add_test(tc, test_fit_refuses_four_channels);
    tcase_add_test(tc, test_netdef_ablations);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
