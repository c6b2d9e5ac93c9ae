/* preprocess.c - image preprocessing, fitted on the training split and stored in every checkpoint.
 *   standardize: per-channel (x - mean) / std (the default);
 *   zca:  global contrast normalisation (each image to zero mean and norm-55 scale) followed by ZCA
 *         whitening W = V diag(1 / sqrt(lambda + bias)) V^T of the training covariance, as in the maxout
 *         and NIN papers for CIFAR; eigendecomposition with LAPACKE, the products with CBLAS;
 *   lcn:  local contrast normalisation of each image (subtract a Gaussian-weighted local mean, divide by the
 *         local standard deviation), as the paper used for SVHN. */
#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <nin/error.h>
#include <nin/preprocess.h>

#define ZCA_BIAS 0.1f
#define LCN_SIGMA 2.0f      /* the Gaussian window's, in pixels */

static const char *const kind_names[] = { "standardize", "zca", "lcn" };

const char *nin_preprocess_name(nin_preprocess_kind kind) { return kind_names[kind]; }

int nin_preprocess_parse(const char *name, nin_preprocess_kind *kind)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, kind_names[i]) == 0) {
            *kind = (nin_preprocess_kind)i;
            return 0;
        }
    return -1;
}

static size_t dim_of(nin_shape s) { return (size_t)s.c * s.h * s.w; }

/* Global contrast normalisation of one image of n values, in place. */
static void gcn(float *x, size_t n)
{
    double mean = 0.0, sq = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += x[i];
    mean /= n;
    for (size_t i = 0; i < n; i++)
        sq += (x[i] - mean) * (x[i] - mean);
    double norm = sqrt(sq / n);
    float scale = (float)(NIN_GCN_SCALE / sqrt((double)n) / (norm > NIN_GCN_MIN_NORM ? norm : 1.0));
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(x[i] - mean) * scale;
}

void nin_lcn_window(float *k)
{
    for (int i = -NIN_LCN_RADIUS; i <= NIN_LCN_RADIUS; i++)
        k[i + NIN_LCN_RADIUS] = expf(-(float)(i * i) / (2.0f * LCN_SIGMA * LCN_SIGMA));
}

/* Separable Gaussian blur of one h x w plane, normalised by the window's weight inside the image. */
static void blur(const float *src, float *dst, float *tmp, int h, int w)
{
    float k[2 * NIN_LCN_RADIUS + 1];
    nin_lcn_window(k);
    for (int pass = 0; pass < 2; pass++) {   /* rows into tmp, then columns into dst */
        const float *in = pass ? tmp : src;
        float *out = pass ? dst : tmp;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float sum = 0.0f, weight = 0.0f;
                for (int i = -NIN_LCN_RADIUS; i <= NIN_LCN_RADIUS; i++) {
                    int yy = pass ? y + i : y, xx = pass ? x : x + i;
                    if (yy < 0 || yy >= h || xx < 0 || xx >= w)
                        continue;
                    sum += k[i + NIN_LCN_RADIUS] * in[yy * w + xx];
                    weight += k[i + NIN_LCN_RADIUS];
                }
                out[y * w + x] = sum / weight;
            }
    }
}

/* Local contrast normalisation of one image (c planes of h x w), in place; scratch holds 3 * h * w floats. */
static void lcn(float *x, nin_shape s, float *scratch)
{
    size_t area = (size_t)s.h * s.w;
    float *mean = scratch, *tmp = scratch + area, *var = scratch + 2 * area;
    for (int c = 0; c < s.c; c++) {
        float *plane = x + c * area;
        blur(plane, mean, tmp, s.h, s.w);
        for (size_t i = 0; i < area; i++) {
            plane[i] -= mean[i];
            mean[i] = plane[i] * plane[i];
        }
        blur(mean, var, tmp, s.h, s.w);
        double avg = 0.0;
        for (size_t i = 0; i < area; i++)
            avg += sqrtf(var[i]);
        avg /= area;
        for (size_t i = 0; i < area; i++) {
            float sd = sqrtf(var[i]);
            plane[i] /= fmaxf(fmaxf(sd, (float)avg), NIN_LCN_MIN_STD);
        }
    }
}

static void to_float(const uint8_t *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
}

static void fit_standardize(nin_preprocess *p, const uint8_t *images, int count)
{
    size_t area = (size_t)p->shape.h * p->shape.w;
    for (int c = 0; c < p->shape.c; c++) {
        double sum = 0.0, sq = 0.0;
        for (int n = 0; n < count; n++) {
            const uint8_t *plane = images + ((size_t)n * p->shape.c + c) * area;
            for (size_t i = 0; i < area; i++) {
                sum += plane[i];
                sq += (double)plane[i] * plane[i];
            }
        }
        double total = (double)count * area, mean = sum / total;
        p->mean[c] = (float)mean;
        p->std[c] = (float)fmax(sqrt(fmax(sq / total - mean * mean, 0.0)), 1e-3);
    }
}

/* The ZCA whitening matrix from the contrast-normalised, centred images x (count x dim, overwritten):
 * W = V diag(1 / sqrt(lambda + bias)) V^T of their covariance. */
static int zca_matrix(float *x, int count, size_t dim, float *cov, float *eig, float *scaled, float *zca)
{
    /* covariance (upper triangle), then its eigenvectors V (columns of cov) and eigenvalues */
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)dim, count, 1.0f / count, x, (int)dim, 0.0f, cov,
                (int)dim);
    if (LAPACKE_ssyevd(LAPACK_ROW_MAJOR, 'V', 'U', (lapack_int)dim, cov, (lapack_int)dim, eig) != 0)
        return nin_fail("ZCA: the eigendecomposition of the %zux%zu covariance did not converge", dim, dim);
    for (size_t i = 0; i < dim; i++)
        for (size_t j = 0; j < dim; j++)
            scaled[i * dim + j] = cov[i * dim + j] / sqrtf(fmaxf(eig[j], 0.0f) + ZCA_BIAS);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)dim, (int)dim, (int)dim, 1.0f, scaled, (int)dim, cov,
                (int)dim, 0.0f, zca, (int)dim);
    return 0;
}

static int fit_zca(nin_preprocess *p, const uint8_t *images, int count)
{
    size_t dim = dim_of(p->shape);
    float *x = malloc((size_t)count * dim * sizeof *x), *cov = malloc(dim * dim * sizeof *cov);
    float *eig = malloc(dim * sizeof *eig), *scaled = malloc(dim * dim * sizeof *scaled);
    p->zca_mean = calloc(dim, sizeof *p->zca_mean);
    p->zca = malloc(dim * dim * sizeof *p->zca);
    int status = -1;
    if (!x || !cov || !eig || !scaled || !p->zca_mean || !p->zca) {
        nin_fail("out of host memory fitting ZCA on %d images of %zu values", count, dim);
        goto done;
    }
    to_float(images, x, (size_t)count * dim);
    for (int n = 0; n < count; n++)
        gcn(x + (size_t)n * dim, dim);
    for (int n = 0; n < count; n++)
        for (size_t i = 0; i < dim; i++)
            p->zca_mean[i] += x[(size_t)n * dim + i] / count;
    for (int n = 0; n < count; n++)
        for (size_t i = 0; i < dim; i++)
            x[(size_t)n * dim + i] -= p->zca_mean[i];
    status = zca_matrix(x, count, dim, cov, eig, scaled, p->zca);
done:
    free(x);
    free(cov);
    free(eig);
    free(scaled);
    if (status != 0)
        nin_preprocess_free(p);
    return status;
}

int nin_preprocess_fit(nin_preprocess *p, nin_preprocess_kind kind, nin_shape shape, const uint8_t *images,
                       int count)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->shape = shape;
    if (shape.c > 3)
        return nin_fail("preprocessing supports 1 or 3 channels, not %d", shape.c);
    if (kind == NIN_PREPROCESS_STANDARDIZE)
        fit_standardize(p, images, count);
    else if (kind == NIN_PREPROCESS_ZCA)
        return fit_zca(p, images, count);
    return 0;
}

/* out = (x - mean) W for the whole batch, in place: W is symmetric. */
static int zca_whiten(const nin_preprocess *p, int count, float *out)
{
    size_t dim = dim_of(p->shape);
    float *centred = malloc((size_t)count * dim * sizeof *centred);
    if (!centred)
        return nin_fail("out of host memory whitening %d images", count);
    memcpy(centred, out, (size_t)count * dim * sizeof *centred);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, count, (int)dim, (int)dim, 1.0f, centred, (int)dim,
                p->zca, (int)dim, 0.0f, out, (int)dim);
    free(centred);
    return 0;
}

int nin_preprocess_apply(const nin_preprocess *p, const uint8_t *images, int count, float *out)
{
    size_t dim = dim_of(p->shape), area = (size_t)p->shape.h * p->shape.w;
    float *scratch = NULL;
    if (p->kind == NIN_PREPROCESS_LCN && !(scratch = malloc(3 * area * sizeof *scratch)))
        return nin_fail("out of host memory normalising %d images of %dx%d", count, p->shape.h, p->shape.w);
    to_float(images, out, (size_t)count * dim);
    for (int n = 0; n < count; n++) {
        float *x = out + (size_t)n * dim;
        if (p->kind == NIN_PREPROCESS_STANDARDIZE) {
            for (size_t i = 0; i < dim; i++)
                x[i] = (x[i] - p->mean[i / area]) / p->std[i / area];
        } else if (p->kind == NIN_PREPROCESS_LCN) {
            lcn(x, p->shape, scratch);
        } else {
            gcn(x, dim);
            for (size_t i = 0; i < dim; i++)
                x[i] -= p->zca_mean[i];
        }
    }
    free(scratch);
    return p->kind == NIN_PREPROCESS_ZCA ? zca_whiten(p, count, out) : 0;
}

void nin_preprocess_free(nin_preprocess *p)
{
    free(p->zca_mean);
    free(p->zca);
    p->zca_mean = p->zca = NULL;
}
