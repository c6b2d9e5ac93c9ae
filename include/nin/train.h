/* nin/train.h - the training loop of the paper's recipe, and evaluation. */
#ifndef NIN_TRAIN_H
#define NIN_TRAIN_H

#include <stdint.h>
#include <stdio.h>
#include <nin/checkpoint.h>
#include <nin/data.h>
#include <nin/net.h>

/* The defaults of the paper's recipe for a dataset. */
void nin_train_config_defaults(nin_train_config *cfg, const char *dataset);
/* How the run's settings read an image folder (the images dataset). */
void nin_train_images_options(const nin_train_config *cfg, nin_images_options *o);

/* --- the learning rate ------------------------------------------------------------------------------ */

/* The learning rate that training step `step` (counted from 0 over the whole run, steps_per_epoch steps an
 * epoch) runs at under cfg's schedule, the linear warm-up of cfg->warmup steps included (schedule.c has the
 * formulas). plateau_lr is the plateau schedule's current rate, which the training loop lowers from cfg->lr by
 * the validation accuracy; step and cosine ignore it and depend on cfg and the step alone. The cosine reaches 0
 * at the end of cfg->epochs: a run resumed with another --epochs follows the curve of the new horizon from
 * there on. */
float nin_train_lr(const nin_train_config *cfg, float plateau_lr, uint64_t step, int steps_per_epoch);
/* The same without the warm-up: the schedule's own rate at that step (what the epoch line reports). */
float nin_schedule_lr(const nin_train_config *cfg, float plateau_lr, uint64_t step, int steps_per_epoch);

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
/* nin_evaluate, and each image's arg-max class into predicted (count entries) when it is not NULL. */
int nin_evaluate_predictions(nin_net *net, const nin_preprocess *p, const uint8_t *images, const int *labels,
                             int count, nin_eval *e, int *predicted);
/* nin_evaluate_predictions, and each image's logits (the network's outputs) into outputs (count x classes floats)
 * when it is not NULL. */
int nin_evaluate_outputs(nin_net *net, const nin_preprocess *p, const uint8_t *images, const int *labels, int count,
                         nin_eval *e, int *predicted, float *outputs);
/* The confusion matrix of `count` predictions: matrix (classes x classes, row = true class, column = predicted
 * class) counts the images of each pair. Returns 0, or -1 with one line in nin_last_error() (a label or a
 * prediction outside [0, classes), classes below 1), matrix then untouched. */
int nin_confusion_matrix(const int *labels, const int *predicted, int count, int classes, int64_t *matrix);

#endif
