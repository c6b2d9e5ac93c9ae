/* nin/checkpoint.h - a training run's settings and state, and the checkpoint file that holds them with the
 * weights and the optimizer's momentum (checkpoint.c). */
#ifndef NIN_CHECKPOINT_H
#define NIN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <nin/data.h>
#include <nin/netdef.h>
#include <nin/preprocess.h>

/* --- a training run's settings ----------------------------------------------------------------------- */

/* What a run does with its output directory (nin_train_config.out_policy). */
typedef enum nin_out_policy {
    NIN_OUT_NEW,          /* refuse a directory that holds another run's checkpoints or metrics */
    NIN_OUT_UNIQUE,       /* out_dir is a name to start from: a new directory, out_dir-2, -3... when taken */
    NIN_OUT_OVERWRITE,    /* --overwrite: the earlier run's checkpoints and metrics are removed at the start */
    NIN_OUT_CONTINUE,     /* --resume into the directory of its checkpoint: the run's own files */
} nin_out_policy;

/* How the learning rate falls over a run (nin_train_config.schedule; nin_train_lr in nin/train.h gives its
 * value at each step). Every schedule starts with the linear warm-up. */
typedef enum nin_schedule {
    NIN_SCHEDULE_PLATEAU,     /* divided by 10 after `patience` epochs without a better validation accuracy; the
                               * run stops when it falls below min_lr (the paper's) */
    NIN_SCHEDULE_STEP,        /* divided by 10 after each epoch of lr_steps (Caffe's multistep) */
    NIN_SCHEDULE_COSINE,      /* lr * (1 + cos(pi * t / T)) / 2 at step t after the warm-up, T its steps to the end
                               * of `epochs` */
} nin_schedule;
#define NIN_MAX_LR_STEPS 16

typedef struct nin_train_config {
    char dataset[32];
    char data_dir[1024];          /* "" = the default directory of the dataset */
    char netdef[1024];            /* the network, after --head/--no-dropout were applied */
    char out_dir[1024];
    char init_from[1024];         /* "" = a new network; else the model file (checkpoint or ONNX) whose weights the run
                                   * starts from (fine-tuning: its class layer starts anew for other classes) */
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
    /* the images dataset (nin/data.h): how its folder is read */
    int image_size;               /* images are scaled (shorter side) and centre-cropped to this side */
    int image_channels;           /* 1 or 3 */
    float test_split;             /* without split folders: the fraction of each class held out for testing */
    int skip_bad;                 /* leave out unreadable files instead of stopping */
    int keep_epochs;              /* keep the last N epochs' checkpoints as epoch-E.nin (0: none) */
    /* the health monitor (nin/health.h); options of one invocation, not kept in checkpoints */
    int stall_steps;              /* steps a stall symptom must last before the warning */
    int stop_on_stall;            /* --on-stall stop: end the run at the warning, keeping the checkpoints */
    /* more options of one invocation, not kept in checkpoints */
    nin_out_policy out_policy;    /* what to do when out_dir holds an earlier run's files */
    int data_changed_ok;          /* --data-changed ok: resume against data other than the run's */
    int report_memory;            /* a line with the resident memory after each epoch (tests, measurements) */
    float lr, min_lr, momentum, weight_decay, init_std;
    nin_schedule schedule;        /* a file written before schedules has none: plateau */
    int lr_steps[NIN_MAX_LR_STEPS];   /* the step schedule's epochs, increasing from 1; 0 ends the list */
    float bias_lr_mult;           /* every bias learns at lr * bias_lr_mult (nin_net_set_lr_mult; older files: 1) */
    float class_lr_mult;          /* the class layer's weights and biases at lr * class_lr_mult (older files: 1) */
    nin_preprocess_kind preprocess;
    uint64_t seed;
} nin_train_config;


/* The schedule's name (plateau, step, cosine), and the schedule of a name: 0, or -1 for none. */
const char *nin_schedule_name(nin_schedule schedule);
int nin_schedule_parse(const char *name, nin_schedule *schedule);
/* The step schedule's epochs as "E1,E2,..." ("" for none), and back: whole numbers, increasing from 1, at most
 * NIN_MAX_LR_STEPS, into steps (0 after the last; "" is none). 0, or -1 when text is not such a list. */
void nin_lr_steps_format(const int *steps, char *buf, size_t size);
int nin_lr_steps_parse(const char *text, int *steps);


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
    char **class_names;           /* classes names (read: from the file, else the dataset's own), or NULL */
    nin_data_fingerprint data;    /* the data the run was trained on (data.dataset "": not recorded) */
} nin_checkpoint;

/* Write atomically (temporary file, fsync, rename) with a CRC32. Returns 0, or -1 with one line in err. */
int nin_checkpoint_save(const char *path, const nin_checkpoint *ck, char *err, size_t err_size);
/* Write size bytes to path through a temporary file PATH.tmp.PID, fsync'ed and renamed over path (the
 * directory fsync'ed after): a crash or kill at any moment leaves the old file or the new one. `what` names
 * the file in errors ("checkpoint"). Returns 0, or -1 with one line in err. */
int nin_write_atomically(const char *path, const void *data, size_t size, const char *what, char *err,
                         size_t err_size);
/* Read and verify magic, version, sizes and CRC32. Returns 0, or -1 with one line in err. */
int nin_checkpoint_load(const char *path, nin_checkpoint *ck, char *err, size_t err_size);
void nin_checkpoint_free(nin_checkpoint *ck);
/* Free count strings and the array holding them (NULL: nothing). */
void nin_free_names(char **names, int count);

#endif
