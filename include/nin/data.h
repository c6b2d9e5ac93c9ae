/* nin/data.h - the datasets of the paper in their official file formats, and `images`: the user's own
 * pictures in one folder per class. */
#ifndef NIN_DATA_H
#define NIN_DATA_H

#include <stddef.h>
#include <stdint.h>

typedef enum nin_split { NIN_SPLIT_TRAIN, NIN_SPLIT_TEST, NIN_SPLIT_EXTRA } nin_split;

typedef struct nin_dataset_spec {
    const char *name;                 /* "mnist", "fashion-mnist", "cifar10", "cifar100", "svhn", "images" */
    int channels, height, width, classes;   /* images: 3, 32, 32 and 0 until a folder is read */
    const char *const *class_names;   /* classes entries */
    const char *system_dir;           /* a directory a distribution package installs it to, or NULL */
    int digits;                       /* 1: hand-written or house-number digits (no horizontal flips) */
} nin_dataset_spec;

/* The spec of a dataset by name, or NULL. */
const nin_dataset_spec *nin_dataset_find(const char *name);
/* Comma-separated names of every dataset, for messages. */
const char *nin_dataset_names(void);

/* Where a dataset's files are: `override` (--data DIR) if given, else $NIN_DATA_DIR/<name>, else
 * ~/.local/share/nin-cl/<name>, where that does not exist falling back to spec->system_dir if that does. */
const char *nin_dataset_dir(const nin_dataset_spec *spec, const char *override, char *buf, size_t size);

typedef struct nin_dataset {
    const nin_dataset_spec *spec;   /* images: the folder's classes and the size read, owned by the dataset */
    int count;
    uint8_t *images;   /* count x channels x height x width bytes, NCHW (R, G, B planes) */
    int *labels;       /* count labels in [0, classes) */
    int skipped;       /* images with --skip-bad: unreadable files left out */
    char *first_skipped;   /* the error line of the first of them, or NULL */
    void *owned;       /* what spec points into (internal) */
} nin_dataset;

/* Load one split from `dir`. Returns 0, or -1 with one line in err naming the file, what was expected and
 * how to get the data; nothing is half loaded. NIN_SPLIT_EXTRA exists only for svhn. */
int nin_dataset_load(const nin_dataset_spec *spec, const char *dir, nin_split split, nin_dataset *out,
                     char *err, size_t err_size);
void nin_dataset_free(nin_dataset *d);

/* --- images: one folder per class ---------------------------------------------------------------------
 * DIR/train/<class>/ and DIR/test/<class>/ (val/ in place of test/), or DIR/<class>/ with a seeded,
 * stratified part of each class held out for testing. Classes are the folder names, sorted by their bytes
 * (as torchvision's ImageFolder); a class folder is walked recursively; hidden entries and files that are not
 * .jpg/.jpeg/.png/.pgm/.ppm/.pnm are ignored; symbolic links are followed. Each image is decoded once (in
 * parallel), its shorter side scaled to `size` with an area filter and the centre size x size kept.
 * The training split comes in a seeded order whose every tail is stratified: each class shuffled, then the
 * classes interleaved by relative position, so that the validation images (the last of the training split)
 * hold every class in proportion. */
typedef struct nin_images_options {
    int size;            /* the side images are scaled and cropped to */
    int channels;        /* 1 (gray) or 3 (RGB): what every image is converted to */
    float test_split;    /* without split folders: the fraction of each class held out for testing */
    uint64_t seed;       /* the training order and the held-out test images */
    int skip_bad;        /* 1: leave out unreadable images (counted in `skipped`); 0: one is an error */
    int threads;         /* decoding threads; 0: one per online core */
    /* called on the loading thread about ten times a second while images are decoded, and once at the end */
    void (*progress)(void *arg, int done, int total);
    void *progress_arg;
} nin_images_options;

#define NIN_IMAGES_SIZE 32
#define NIN_IMAGES_TEST_SPLIT 0.1f
void nin_images_options_default(nin_images_options *o);
/* Load one split (TRAIN or TEST) of the folder `dir`. Returns 0, or -1 with one line in err naming the file
 * or folder and the problem; nothing is half loaded. */
int nin_images_load(const char *dir, nin_split split, const nin_images_options *o, nin_dataset *out, char *err,
                    size_t err_size);

/* --- fingerprints: what a run was trained on, kept in its checkpoints (fingerprint.c) ------------------
 * A split's fingerprint does not depend on the order of its images: the same pictures with the same labels,
 * from whatever files, give the same fingerprint; one changed pixel or label changes it. */
typedef struct nin_split_fingerprint {
    int64_t count;                    /* images */
    uint64_t images;                  /* the sum of a 64-bit hash of each image's bytes */
    uint64_t labels;                  /* the sum of a hash of each image's bytes with its label */
} nin_split_fingerprint;

typedef struct nin_data_fingerprint {
    char dataset[32];                 /* "" : none (a checkpoint written before fingerprints) */
    nin_split_fingerprint train;      /* the images trained on (after --train-limit) */
    nin_split_fingerprint val;        /* the validation images held out of the training split */
    nin_split_fingerprint test;
    float mean[3], std[3];            /* per-channel pixel statistics of the training images (0-255) */
} nin_data_fingerprint;

/* The fingerprint of `count` images of `dim` bytes each and their labels. */
nin_split_fingerprint nin_fingerprint_split(const uint8_t *images, const int *labels, int count, size_t dim);
/* The fingerprint of a and b together (the images of both). */
nin_split_fingerprint nin_fingerprint_join(nin_split_fingerprint a, nin_split_fingerprint b);
int nin_fingerprint_equal(const nin_split_fingerprint *a, const nin_split_fingerprint *b);
/* Which images of a run `split` is: "training", "validation" or "training and validation", or NULL when it is
 * none of them (a run fingerprinted as `run`). */
const char *nin_fingerprint_trained_on(const nin_data_fingerprint *run, const nin_split_fingerprint *split);
/* What differs between the data a run was trained on (`was`) and `now`, as one clause for an error line
 * ("the training images differ (pixel mean 33.1, the run's 33.3); the validation and test splits are the
 * same") into out. Returns how many of dataset, training, validation and test split differ (0: the same). */
int nin_fingerprint_compare(const nin_data_fingerprint *was, const nin_data_fingerprint *now, char *out,
                            size_t size);

#endif
