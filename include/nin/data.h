/* nin/data.h - the datasets of the paper in their official file formats. */
#ifndef NIN_DATA_H
#define NIN_DATA_H

#include <stddef.h>
#include <stdint.h>

typedef enum nin_split { NIN_SPLIT_TRAIN, NIN_SPLIT_TEST, NIN_SPLIT_EXTRA } nin_split;

typedef struct nin_dataset_spec {
    const char *name;                 /* "mnist", "fashion-mnist", "cifar10", "cifar100", "svhn" */
    int channels, height, width, classes;
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
    const nin_dataset_spec *spec;
    int count;
    uint8_t *images;   /* count x channels x height x width bytes, NCHW (R, G, B planes) */
    int *labels;       /* count labels in [0, classes) */
} nin_dataset;

/* Load one split from `dir`. Returns 0, or -1 with one line in err naming the file, what was expected and
 * how to get the data; nothing is half loaded. NIN_SPLIT_EXTRA exists only for svhn. */
int nin_dataset_load(const nin_dataset_spec *spec, const char *dir, nin_split split, nin_dataset *out,
                     char *err, size_t err_size);
void nin_dataset_free(nin_dataset *d);

#endif
