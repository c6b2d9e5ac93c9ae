/* nin/preprocess.h - the paper's input preprocessing: per-channel standardisation, global contrast
 * normalisation + ZCA whitening, local contrast normalisation. Fitted on the training images, kept in
 * checkpoints. */
#ifndef NIN_PREPROCESS_H
#define NIN_PREPROCESS_H

#include <stdint.h>
#include <nin/netdef.h>

typedef enum nin_preprocess_kind {
    NIN_PREPROCESS_STANDARDIZE,   /* per-channel (x - mean) / std, fitted on the training split */
    NIN_PREPROCESS_ZCA,           /* global contrast normalisation + ZCA whitening (the paper's CIFAR setup) */
    NIN_PREPROCESS_LCN,           /* local contrast normalisation per image (the paper's SVHN setup) */
} nin_preprocess_kind;

typedef struct nin_preprocess {
    nin_preprocess_kind kind;
    nin_shape shape;
    float mean[3], std[3];        /* STANDARDIZE */
    float *zca_mean;              /* ZCA: dim = c*h*w feature means of the contrast-normalised images */
    float *zca;                   /* ZCA: dim x dim whitening matrix (symmetric) */
} nin_preprocess;

/* The constants of the transforms, for whoever writes them out again (the ONNX export). GCN scales each image,
 * centred, by NIN_GCN_SCALE / sqrt(c*h*w) / its standard deviation (by 1 when that is at most NIN_GCN_MIN_NORM).
 * LCN divides by max(local std, the image's mean local std, NIN_LCN_MIN_STD). */
#define NIN_GCN_SCALE 55.0f
#define NIN_GCN_MIN_NORM 1e-8
#define NIN_LCN_MIN_STD 1e-4f
/* LCN's local mean and variance: a separable Gaussian blur of radius NIN_LCN_RADIUS (a 9x9 window), each pass
 * divided by the weight of the window's taps that lie inside the image. nin_lcn_window writes its 1-D taps,
 * k[0 .. 2 * NIN_LCN_RADIUS] for offsets -NIN_LCN_RADIUS .. NIN_LCN_RADIUS. */
#define NIN_LCN_RADIUS 4
void nin_lcn_window(float *k);

const char *nin_preprocess_name(nin_preprocess_kind kind);
int nin_preprocess_parse(const char *name, nin_preprocess_kind *kind);
/* Fit on `count` images (NCHW bytes) of shape `shape`. Returns 0, or -1 with one line in nin_last_error()
 * (more than 3 channels, out of host memory, a ZCA eigendecomposition that did not converge); p then holds
 * nothing to free. */
int nin_preprocess_fit(nin_preprocess *p, nin_preprocess_kind kind, nin_shape shape, const uint8_t *images,
                       int count);
/* Transform `count` images to floats (NCHW). Returns 0, or -1 with one line in nin_last_error() when out of
 * host memory (out is then undefined). */
int nin_preprocess_apply(const nin_preprocess *p, const uint8_t *images, int count, float *out);
void nin_preprocess_free(nin_preprocess *p);

#endif
