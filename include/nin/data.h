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

#endif
