/* nin/train.h - preprocessing, checkpoints and the training loop of the paper's recipe. */
#ifndef NIN_TRAIN_H
#define NIN_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <nin/data.h>
#include <nin/net.h>

/* --- preprocessing ----------------------------------------------------------------------------------- */

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

/* --- a training run's settings ----------------------------------------------------------------------- */

typedef struct nin_train_config {
    char dataset[32];
    char data_dir[1024];          /* "" = the default directory of the dataset */
    char netdef[1024];            /* the network, after --head/--no-dropout were applied */
    char out_dir[1024];
    int batch;
    int epochs;                   /* stop after this many epochs */
    int patience;                 /* divide the LR by 10 after this many epochs without a better val_acc */
    int max_steps;                /* 0 = no limit */
    int train_limit;              /* 0 = every training image */
    int val_size;                 /* training images held out for validation */
    int augment;                  /* random crops (pad 4) + horizontal flips (not for digits) */
    int extra;                    /* svhn: train on extra_32x32.mat too */
    int warmup;                   /* steps over which the learning rate rises linearly to lr */
    int data_init;                /* 1: nin_net_init_from_data on the first training images */
    /* the health monitor (nin/health.h); options of one invocation, not kept in checkpoints */
    int stall_steps;              /* steps a stall symptom must last before the warning */
    int stop_on_stall;            /* --on-stall stop: end the run at the warning, keeping the checkpoints */
    float lr, min_lr, momentum, weight_decay, init_std;
    nin_preprocess_kind preprocess;
    uint64_t seed;
} nin_train_config;

/* The defaults of the paper's recipe for a dataset. */
void nin_train_config_defaults(nin_train_config *cfg, const char *dataset);

/* --- checkpoints ------------------------------------------------------------------------------------- */

typedef struct nin_train_state {
    int epoch;                    /* epochs completed */
    int step_in_epoch;            /* steps of the current epoch done (a checkpoint written mid-epoch) */
    uint64_t step;                /* training steps so far (keys the dropout masks) */
    float lr;                     /* the current learning rate */
    float best_val_acc;           /* best watched accuracy: validation (training without a validation split) */
    int bad_epochs;               /* epochs since best_val_acc improved */
    double epoch_loss_sum;        /* running sums of the current epoch */
    int64_t epoch_correct, epoch_seen;
} nin_train_state;

typedef struct nin_checkpoint {
    nin_train_config config;
    nin_shape input;
    int classes;
    nin_preprocess pre;
    nin_train_state state;
    size_t params;
    float *weights;               /* the parameter buffer */
    float *momentum;              /* the optimizer's velocity, same layout */
} nin_checkpoint;

/* Write atomically (temporary file, fsync, rename) with a CRC32. Returns 0, or -1 with one line in err. */
int nin_checkpoint_save(const char *path, const nin_checkpoint *ck, char *err, size_t err_size);
/* Read and verify magic, version, sizes and CRC32. Returns 0, or -1 with one line in err. */
int nin_checkpoint_load(const char *path, nin_checkpoint *ck, char *err, size_t err_size);
void nin_checkpoint_free(nin_checkpoint *ck);

/* --- training and evaluation ------------------------------------------------------------------------- */

/* How a run ended (nin_train's return value, which nin-cl uses as its exit status). */
#define NIN_TRAIN_DONE 0                        /* --epochs, --min-lr or --max-steps reached */
#define NIN_TRAIN_STALLED 3                     /* --on-stall stop: the health monitor stopped it */
#define NIN_TRAIN_SIGNALLED(sig) (128 + (sig))  /* SIGINT/SIGTERM: last.nin saved for --resume */

/* Train as configured; with `resume` (a loaded checkpoint, whose arrays the run takes over) continue it
 * where it stopped. Progress, results and notes go to `log` (a progress bar when it is a terminal), health
 * warnings to `warnings`. Returns how the run ended (NIN_TRAIN_*), or -1 with the error in nin_last_error()
 * (bad data, a network that does not fit, a device error, NaN weights: the checkpoints keep the last good
 * epoch). */
int nin_train(nin_context *ctx, const nin_train_config *cfg, nin_checkpoint *resume, FILE *log, FILE *warnings);

typedef struct nin_eval { double loss, acc; int count; } nin_eval;
/* Loss and accuracy of the network on `count` images (preprocessed with p), in test mode, into *e: 0, or -1
 * with the error. */
int nin_evaluate(nin_net *net, const nin_preprocess *p, const uint8_t *images, const int *labels, int count,
                 nin_eval *e);

#endif
