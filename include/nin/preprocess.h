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
