/* train.c - the paper's training recipe: SGD with momentum and weight decay on batches of 128, a validation
 * split held out from training, the learning rate divided by 10 whenever validation accuracy stops
 * improving (or, by --schedule, at given epochs or along a cosine: schedule.c), checkpoints every epoch and
 * on SIGINT/SIGTERM, exact resume.
 *
 * The next batch is gathered, preprocessed and augmented on a host thread while the device computes the
 * current one; the only device read per step is the loss and accuracy count.
 *
 * Under mpirun (dist.c) each of the N ranks takes its slice of every global batch of --batch images: the
 * shuffle, the augmentation and the dropout masks are drawn by a sample's place in the global batch, so the
 * run computes what one process would with the same --batch. Only rank 0 prints and writes files. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <nin/budget.h>
#include <nin/dist.h>
#include <nin/health.h>
#include <nin/onnx.h>
#include <nin/train.h>
#include "net_impl.h"
#include "rundir.h"

void nin_train_config_defaults(nin_train_config *cfg, const char *dataset)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->dataset, sizeof cfg->dataset, "%s", dataset);
    snprintf(cfg->netdef, sizeof cfg->netdef, "%s",
             nin_preset_netdef(dataset) ? nin_preset_netdef(dataset) : "");
    cfg->batch = 128;
    cfg->epochs = 100;
    cfg->patience = 3;
    cfg->val_size = 5000;
    cfg->lr = 0.07f;
    cfg->min_lr = cfg->lr / 200.0f;   /* stop at the third division by 10: two LR drops trained */
    cfg->schedule = NIN_SCHEDULE_PLATEAU;
    cfg->bias_lr_mult = cfg->class_lr_mult = 1.0f;
    cfg->warmup = 300;
    cfg->data_init = 1;
    cfg->stall_steps = NIN_HEALTH_STALL_STEPS;
    cfg->momentum = 0.9f;
    cfg->weight_decay = 1e-4f;
    cfg->preprocess = NIN_PREPROCESS_STANDARDIZE;
    cfg->seed = 1;
    cfg->image_size = NIN_IMAGES_SIZE;
    cfg->image_channels = 3;
    cfg->test_split = NIN_IMAGES_TEST_SPLIT;
}

void nin_train_images_options(const nin_train_config *cfg, nin_images_options *o)
{
    nin_images_options_default(o);
    o->size = cfg->image_size;
    o->channels = cfg->image_channels;
    o->test_split = cfg->test_split;
    o->seed = cfg->seed;
    o->skip_bad = cfg->skip_bad;
}

/* --- batches ----------------------------------------------------------------------------------------- */

typedef struct batch_job {
    const nin_preprocess *pre;
    const nin_dataset *data;
    const int *indices;            /* which images */
    int count;                     /* images this rank computes */
    int first;                     /* their place in the global batch: keys their augmentation */
    int augment, flip;
    uint64_t key;                  /* augmentation randomness of this batch */
    uint8_t *gathered;             /* count raw images */
    float *x;                      /* count preprocessed images */
    int *labels;
    int failed;                    /* the loader ran out of host memory (nin_last_error of its thread) */
    char error[256];
    pthread_t thread;
    int running;
} batch_job;

/* Random crop from the image zero-padded by 4 (0 is the mean after preprocessing) + horizontal flip. */
static void augment_image(float *x, float *tmp, nin_shape s, uint64_t key, int index, int flip)
{
    int dy = (int)(nin_random_u32(key, 3 * (uint64_t)index) % 9) - 4;
    int dx = (int)(nin_random_u32(key, 3 * (uint64_t)index + 1) % 9) - 4;
    int mirror = flip && (nin_random_u32(key, 3 * (uint64_t)index + 2) & 1);
    size_t area = (size_t)s.h * s.w;
    memcpy(tmp, x, s.c * area * sizeof *x);
    for (int c = 0; c < s.c; c++)
        for (int y = 0; y < s.h; y++)
            for (int xx = 0; xx < s.w; xx++) {
                int sy = y + dy, sx = (mirror ? s.w - 1 - xx : xx) + dx;
                x[c * area + y * s.w + xx] = (sy >= 0 && sy < s.h && sx >= 0 && sx < s.w)
                                                 ? tmp[c * area + sy * s.w + sx] : 0.0f;
            }
}

static void *prepare_batch(void *arg)
{
    batch_job *job = arg;
    const nin_dataset_spec *spec = job->data->spec;
    nin_shape s = { spec->channels, spec->height, spec->width };
    size_t dim = (size_t)s.c * s.h * s.w;
    for (int i = 0; i < job->count; i++) {
        memcpy(job->gathered + i * dim, job->data->images + (size_t)job->indices[i] * dim, dim);
        job->labels[i] = job->data->labels[job->indices[i]];
    }
    float *tmp = NULL;
    job->failed = nin_preprocess_apply(job->pre, job->gathered, job->count, job->x) != 0 ||
                  (job->augment && !(tmp = nin_malloc(dim * sizeof *tmp)));
    if (job->failed)   /* the last error is this thread's: keep it for the training thread */
        snprintf(job->error, sizeof job->error, "%s", nin_last_error());
    for (int i = 0; tmp && i < job->count; i++)
        augment_image(job->x + i * dim, tmp, s, job->key, job->first + i, job->flip);
    free(tmp);
    return NULL;
}

static int batch_job_init(batch_job *job, const nin_preprocess *pre, const nin_dataset *data, int count)
{
    size_t dim = (size_t)data->spec->channels * data->spec->height * data->spec->width;
    memset(job, 0, sizeof *job);
    job->pre = pre;
    job->data = data;
    job->count = count;
    job->gathered = nin_malloc(count * dim);
    job->x = nin_malloc(count * dim * sizeof(float));
    job->labels = nin_malloc(count * sizeof(int));
    return job->gathered && job->x && job->labels ? 0 : -1;
}

static void batch_job_free(batch_job *job)
{
    free(job->gathered);
    free(job->x);
    free(job->labels);
}

static int start_batch(batch_job *job)
{
    job->running = pthread_create(&job->thread, NULL, prepare_batch, job) == 0;
    return job->running ? 0 : nin_fail("cannot start the batch loader thread");
}

/* Wait for the batch: 0, or -1 with the loader's error. */
static int finish_batch(batch_job *job)
{
    if (job->running)
        pthread_join(job->thread, NULL);
    job->running = 0;
    return job->failed ? nin_fail("%s", job->error) : 0;
}

/* --- evaluation -------------------------------------------------------------------------------------- */

/* Add one batch's loss and correct count (its first n samples) to e; each sample's arg-max class to predicted
 * (n entries) when it is not NULL. */
static void score_batch(const float *logits, int classes, const int *labels, int n, nin_eval *e, int *predicted)
{
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * classes;
        int best = 0;
        double sum = 0.0;
        for (int c = 1; c < classes; c++)
            if (z[c] > z[best])
                best = c;
        for (int c = 0; c < classes; c++)
            sum += exp(z[c] - z[best]);
        e->loss += log(sum) + z[best] - z[labels[i]];
        e->acc += best == labels[i];
        if (predicted)
            predicted[i] = best;
    }
}

int nin_evaluate(nin_net *net, const nin_preprocess *p, const uint8_t *images, const int *labels, int count,
                 nin_eval *e)
{
    return nin_evaluate_outputs(net, p, images, labels, count, e, NULL, NULL);
}

int nin_evaluate_predictions(nin_net *net, const nin_preprocess *p, const uint8_t *images, const int *labels,
                             int count, nin_eval *e, int *predicted)
{
    return nin_evaluate_outputs(net, p, images, labels, count, e, predicted, NULL);
}

int nin_evaluate_outputs(nin_net *net, const nin_preprocess *p, const uint8_t *images, const int *labels, int count,
                         nin_eval *e, int *predicted, float *outputs)
{
    int batch = nin_net_batch(net), classes = nin_net_output_shape(net).c, status = 0;
    size_t dim = (size_t)p->shape.c * p->shape.h * p->shape.w;
    float *x = nin_malloc((size_t)batch * dim * sizeof *x), *logits = nin_malloc((size_t)batch * classes * 4);
    uint8_t *padded = nin_malloc((size_t)batch * dim);
    *e = (nin_eval){ 0.0, 0.0, count };
    status = x && logits && padded ? 0 : -1;
    for (int start = 0; start < count && status == 0; start += batch) {
        int n = count - start < batch ? count - start : batch;
        /* a short last batch is padded with copies of its last image; only the first n count */
        memcpy(padded, images + (size_t)start * dim, (size_t)n * dim);
        for (int i = n; i < batch; i++)
            memcpy(padded + (size_t)i * dim, images + (size_t)(start + n - 1) * dim, dim);
        status = nin_preprocess_apply(p, padded, batch, x) || nin_net_set_input(net, x, NULL) ||
                 nin_net_forward(net, 0) || nin_net_get_output(net, logits);
        if (status == 0)
            score_batch(logits, classes, labels + start, n, e, predicted ? predicted + start : NULL);
        if (status == 0 && outputs)
            memcpy(outputs + (size_t)start * classes, logits, (size_t)n * classes * sizeof *logits);
    }
    if (count > 0) {
        e->loss /= count;
        e->acc /= count;
    }
    free(x);
    free(logits);
    free(padded);
    return status ? -1 : 0;
}

/* Every class is checked before the matrix is touched, so a refused call leaves it as it was. */
int nin_confusion_matrix(const int *labels, const int *predicted, int count, int classes, int64_t *matrix)
{
    if (classes < 1)
        return nin_fail("a confusion matrix of %d classes", classes);
    for (int i = 0; i < count; i++) {
        if (labels[i] < 0 || labels[i] >= classes)
            return nin_fail("label %d of image %d is outside [0, %d)", labels[i], i, classes);
        if (predicted[i] < 0 || predicted[i] >= classes)
            return nin_fail("predicted class %d of image %d is outside [0, %d)", predicted[i], i, classes);
    }
    memset(matrix, 0, (size_t)classes * classes * sizeof *matrix);
    for (int i = 0; i < count; i++)
        matrix[(size_t)labels[i] * classes + predicted[i]]++;
    return 0;
}

/* --- the run ----------------------------------------------------------------------------------------- */

/* nin_evaluate over the ranks: each evaluates its contiguous share of the images, the sums are added. */
static int evaluate_shared(nin_net *net, const nin_preprocess *p, const uint8_t *images, const int *labels,
                           int count, nin_eval *e)
{
    int ranks = nin_dist_size(), rank = nin_dist_rank();
    int first = (int)((int64_t)count * rank / ranks), last = (int)((int64_t)count * (rank + 1) / ranks);
    size_t dim = (size_t)p->shape.c * p->shape.h * p->shape.w;
    nin_eval mine;
    if (nin_evaluate(net, p, images + (size_t)first * dim, labels + first, last - first, &mine) != 0)
        return -1;
    double sums[2] = { mine.loss * mine.count, mine.acc * mine.count };
    nin_dist_sum(sums, 2);
    *e = (nin_eval){ count ? sums[0] / count : 0.0, count ? sums[1] / count : 0.0, count };
    return 0;
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

typedef struct run {
    nin_train_config cfg;
    const nin_dataset_spec *spec;
    nin_context *ctx;
    nin_net *net;
    nin_preprocess pre;
    nin_dataset train, test;       /* train: [0, n_train) for training, then n_val validation images */
    int n_train, n_val;
    nin_train_state st;
    int *order;
    int tty;
    int share;                     /* images per rank of each global batch of cfg.batch */
    int stop;                      /* the signal that stops the run, agreed by every rank (0: none) */
    uint64_t first_step;           /* the network's step when this invocation started (--max-steps counts from it) */
    nin_health health;             /* watches the loss of every step for a stall */
    int stalled;                   /* --on-stall stop and the monitor warned */
    FILE *log, *warnings;          /* the caller's streams: progress and results; health warnings */
    double start;                  /* when the run (this process) started */
    double load_start;             /* when the split being decoded started */
    const char *loading;           /* "training" or "test": the split being decoded */
    double data_wait;              /* seconds the steps of this epoch waited for their batch */
    nin_run_dir dir;               /* the output directory, locked by rank 0 for the run's life */
    char data_dir[1024];           /* where the data was read */
    nin_data_fingerprint data;     /* what the run trains on, as its checkpoints record it */
} run;

/* The extra split (SVHN) in front of the training images, so that the validation images stay the last of the
 * official training split. */
static int prepend_extra(run *r, const char *dir)
{
    nin_dataset extra;
    char err[1024];
    if (nin_dataset_load(r->spec, dir, NIN_SPLIT_EXTRA, &extra, err, sizeof err) != 0)
        return nin_fail("%s", err);
    size_t dim = (size_t)r->spec->channels * r->spec->height * r->spec->width;
    uint8_t *images = nin_malloc((size_t)(extra.count + r->train.count) * dim);
    int *labels = nin_malloc((size_t)(extra.count + r->train.count) * sizeof *labels);
    if (images && labels) {
        memcpy(images, extra.images, (size_t)extra.count * dim);
        memcpy(images + (size_t)extra.count * dim, r->train.images, (size_t)r->train.count * dim);
        memcpy(labels, extra.labels, extra.count * sizeof *labels);
        memcpy(labels + extra.count, r->train.labels, r->train.count * sizeof *labels);
        free(r->train.images);
        free(r->train.labels);
        r->train.images = images;
        r->train.labels = labels;
        r->train.count += extra.count;
        images = NULL, labels = NULL;
    }
    int status = images || labels ? -1 : 0;
    free(images);
    free(labels);
    nin_dataset_free(&extra);
    return status;
}

/* Hold out the validation images (the last of the training split) and apply --train-limit. */
static int split_train(run *r)
{
    int available = r->train.count;
    r->n_val = r->cfg.val_size;
    if (r->n_val > available / 2) {
        r->n_val = available / 10;
        fprintf(r->log, "note: --val-size %d would leave too few of the %d training images; validating on %d\n",
                r->cfg.val_size, available, r->n_val);
    }
    r->n_train = available - r->n_val;
    if (r->cfg.train_limit > 0 && r->cfg.train_limit < r->n_train) {
        /* keep the first train_limit images, and the validation images after them */
        size_t dim = (size_t)r->spec->channels * r->spec->height * r->spec->width;
        memmove(r->train.images + (size_t)r->cfg.train_limit * dim, r->train.images + (size_t)r->n_train * dim,
                (size_t)r->n_val * dim);
        memmove(r->train.labels + r->cfg.train_limit, r->train.labels + r->n_train, r->n_val * sizeof(int));
        r->n_train = r->cfg.train_limit;
        r->train.count = r->n_train + r->n_val;
    }
    if (r->n_train < r->cfg.batch)
        return nin_fail("%d training images are fewer than one batch of %d", r->n_train, r->cfg.batch);
    return 0;
}

/* The decoding progress of an image folder: a bar on a terminal, else a line at the end of a long one. */
static void decode_progress(void *arg, int done, int total)
{
    run *r = arg;
    double elapsed = nin_now() - r->load_start;
    if (r->tty && done < total && elapsed > 1.0)
        fprintf(r->log, "\rdecoding %s images: %d/%d (%.0f%%) ", r->loading, done, total, 100.0 * done / total);
    else if (done == total && (r->tty || elapsed > 1.0))
        fprintf(r->log, "%sdecoded %d %s images in %.1fs\n", r->tty && elapsed > 1.0 ? "\r" : "", total, r->loading,
                elapsed);
    fflush(r->log);
}

/* One split of an image folder, read as the run's settings say. */
static int load_images(run *r, const char *dir, nin_split split, nin_dataset *out)
{
    nin_images_options o;
    char err[1600];
    nin_train_images_options(&r->cfg, &o);
    o.progress = nin_dist_rank() == 0 ? decode_progress : NULL;
    o.progress_arg = r;
    r->loading = split == NIN_SPLIT_TRAIN ? "training" : "test";
    r->load_start = nin_now();
    if (nin_images_load(dir, split, &o, out, err, sizeof err) != 0)
        return nin_fail("%s", err);
    if (out->skipped && nin_dist_rank() == 0)
        fprintf(r->log, "note: --skip-bad left out %d unreadable %s images; the first: %s\n", out->skipped,
                r->loading, out->first_skipped);
    return 0;
}

static int load_data(run *r)
{
    char *dir = r->data_dir, err[1024];
    nin_dataset_dir(r->spec, r->cfg.data_dir, dir, sizeof r->data_dir);
    if (strcmp(r->spec->name, "images") == 0) {
        if (load_images(r, dir, NIN_SPLIT_TRAIN, &r->train) != 0 || load_images(r, dir, NIN_SPLIT_TEST, &r->test) != 0)
            return -1;
    } else if (nin_dataset_load(r->spec, dir, NIN_SPLIT_TRAIN, &r->train, err, sizeof err) != 0 ||
               nin_dataset_load(r->spec, dir, NIN_SPLIT_TEST, &r->test, err, sizeof err) != 0)
        return nin_fail("%s", err);
    r->spec = r->train.spec;   /* an image folder's: its classes and size */
    if (r->cfg.extra && prepend_extra(r, dir) != 0)
        return -1;
    return split_train(r);
}

static int steps_per_epoch(const run *r) { return r->n_train / r->cfg.batch; }

/* Epoch e's order of the training images: a Fisher-Yates shuffle keyed by (seed, epoch). */
static void shuffle(run *r, int epoch)
{
    uint64_t key = nin_random_key(r->cfg.seed, 0x5eed, (uint64_t)epoch);
    for (int i = 0; i < r->n_train; i++)
        r->order[i] = i;
    for (int i = r->n_train - 1; i > 0; i--) {
        int j = (int)(nin_random_u32(key, (uint64_t)i) % (uint32_t)(i + 1)), t = r->order[i];
        r->order[i] = r->order[j];
        r->order[j] = t;
    }
}

/* The validation and test loss and accuracy, shared by the ranks. */
static int evaluate_splits(run *r, nin_eval *val, nin_eval *test)
{
    size_t dim = (size_t)r->spec->channels * r->spec->height * r->spec->width;
    return evaluate_shared(r->net, &r->pre, r->train.images + (size_t)r->n_train * dim, r->train.labels + r->n_train,
                           r->n_val, val) ||
           evaluate_shared(r->net, &r->pre, r->test.images, r->test.labels, r->test.count, test) ? -1 : 0;
}

/* Check that the ranks are still in step (they compute the same update from the same state) and put
 * them back in step with rank 0 where a device rounded differently. */
static int sync_ranks(run *r)
{
    double drift = nin_dist_sync(r->net);
    if (drift < 0.0)
        return -1;
    if (drift > 0.0)
        fprintf(r->log, "note: the ranks' parameters had drifted up to %g apart; all now have rank 0's\n", drift);
    return 0;
}

/* Rank 0 writes the checkpoints: they hold the global state only, so any number of ranks resumes them.
 * 0, or -1 with the error (the weights are not finite, the file cannot be written). */
static int save(run *r, const char *name)
{
    char path[1200], err[1400];
    if (nin_dist_rank() != 0)
        return 0;
    nin_checkpoint ck = { 0 };
    ck.config = r->cfg;
    ck.input = nin_net_input_shape(r->net);
    ck.classes = nin_net_output_shape(r->net).c;
    ck.class_names = (char **)r->spec->class_names;   /* read, not freed */
    ck.data = r->data;
    ck.pre = r->pre;
    ck.state = r->st;
    ck.state.step = nin_net_step(r->net);
    ck.params = nin_net_param_count(r->net);
    ck.weights = nin_malloc(ck.params * sizeof(float));
    ck.momentum = nin_malloc(ck.params * sizeof(float));
    int status = ck.weights && ck.momentum && nin_net_get_params(r->net, ck.weights) == 0 &&
                 nin_net_get_momentum(r->net, ck.momentum) == 0 ? 0 : -1;
    if (status == 0 && nin_count_nonfinite(ck.weights, ck.params))   /* the last update blew up: keep the good one */
        status = nin_fail("the weights became NaN or Inf at step %llu (learning rate %g too high for this network "
                          "and init: try a lower --lr or a longer --warmup); %s/%s was not overwritten",
                          (unsigned long long)ck.state.step, r->st.lr, r->cfg.out_dir, name);
    snprintf(path, sizeof path, "%s/%s", r->cfg.out_dir, name);
    if (status == 0 && nin_checkpoint_save(path, &ck, err, sizeof err) != 0)
        status = nin_fail("%s", err);
    free(ck.weights);
    free(ck.momentum);
    return status;
}

static void progress(run *r, int step, int steps, double started)
{
    double elapsed = nin_now() - started, rate = (step - r->st.step_in_epoch) * (double)r->cfg.batch / elapsed;
    double eta = rate > 0 ? (steps - step) * (double)r->cfg.batch / rate : 0.0;
    double loss = r->st.epoch_seen ? r->st.epoch_loss_sum / r->st.epoch_seen : 0.0;
    double acc = r->st.epoch_seen ? (double)r->st.epoch_correct / r->st.epoch_seen : 0.0;
    if (r->tty) {
        char bar[31];
        int filled = (int)(30.0 * step / steps);
        for (int i = 0; i < 30; i++)
            bar[i] = i < filled ? '=' : i == filled ? '>' : ' ';
        bar[30] = '\0';
        fprintf(r->log, "\repoch %d [%s] %d/%d loss %.4f acc %.4f %.1f img/s ETA %dm%02ds ", r->st.epoch + 1, bar,
                step, steps, loss, acc, rate, (int)eta / 60, (int)eta % 60);
    } else {
        fprintf(r->log, "epoch %d step %d/%d loss %.4f acc %.4f %.1f img/s ETA %dm%02ds\n", r->st.epoch + 1, step,
                steps, loss, acc, rate, (int)eta / 60, (int)eta % 60);
    }
    fflush(r->log);
}

/* The epoch's line in metrics.csv, which is rewritten atomically: a crash leaves it whole, with or without
 * the line; a redone epoch replaces its earlier line. */
static int append_metrics(run *r, float lr, double train_loss, double train_acc, nin_eval val, nin_eval test)
{
    char line[512];
    if (nin_dist_rank() != 0)
        return 0;
    snprintf(line, sizeof line, "%d,%g,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.1f\n", r->st.epoch, lr, train_loss, train_acc,
             val.loss, val.acc, test.loss, test.acc, nin_now() - r->start);
    return nin_run_dir_append_epoch(&r->dir, "metrics.csv",
                                    "epoch,lr,train_loss,train_acc,val_loss,val_acc,test_loss,test_acc,seconds\n",
                                    r->st.epoch, line);
}

/* The health monitor's verdict on a step: -1 (with the error) when the loss is not finite, else 0 after
 * telling a warning or a recovery on the warnings stream. */
static int watch_health(run *r, const nin_metrics *m, float lr)
{
    nin_health_event health = nin_health_step(&r->health, r->net, nin_net_step(r->net), m->loss, lr);
    if (health == NIN_HEALTH_ERROR)
        return nin_fail("%s", r->health.message);
    if (health == NIN_HEALTH_NONFINITE) {   /* nothing is saved: the checkpoints keep the last good state */
        char last[1100];
        snprintf(last, sizeof last, "%s/last.nin", r->cfg.out_dir);
        return nin_fail("%s; %s", r->health.message, access(last, F_OK) == 0
                        ? "last.nin and best.nin keep the last good epoch" : "no epoch was completed, nothing saved");
    }
    if (health != NIN_HEALTH_OK && nin_dist_rank() == 0) {   /* every rank sees it; rank 0 says it */
        fprintf(r->warnings, "%snin-cl: %s: %s\n", r->tty ? "\n" : "",
                health == NIN_HEALTH_RECOVERED ? "note" : "warning", r->health.message);
        fflush(r->warnings);
    }
    if (health != NIN_HEALTH_OK)
        r->stalled = r->cfg.stop_on_stall && health != NIN_HEALTH_RECOVERED;
    return 0;
}

/* Start loading the batch of `step` into job (the epoch's steps in `steps`). */
static int queue_batch(run *r, batch_job *job, int step, int steps)
{
    job->indices = r->order + (size_t)step * r->cfg.batch + job->first;
    job->key = nin_random_key(r->cfg.seed, 0xa09, (uint64_t)r->st.epoch * steps + step);
    return start_batch(job);
}

/* One training step on the loaded batch in job; refills job with the batch after next. 0, or -1 with the
 * error. */
static int train_step(run *r, batch_job *jobs, int step, int steps)
{
    batch_job *job = &jobs[step & 1];
    nin_sgd sgd = { r->st.lr, r->cfg.momentum, r->cfg.weight_decay };
    double waited = nin_now();
    if (finish_batch(job) != 0)
        return -1;
    r->data_wait += nin_now() - waited;
    if (nin_net_set_input(r->net, job->x, job->labels) != 0)
        return -1;
    if (step + 2 < steps && queue_batch(r, job, step + 2, steps) != 0)   /* while the device works */
        return -1;
    sgd.lr = nin_train_lr(&r->cfg, r->st.lr, (uint64_t)r->st.epoch * steps + step, steps);
    nin_metrics m;
    if (nin_dist_train_step(r->net, &sgd, &m) != 0 || watch_health(r, &m, sgd.lr) != 0)
        return -1;
    r->st.epoch_loss_sum += (double)m.loss * r->cfg.batch;
    r->st.epoch_correct += m.correct;
    r->st.epoch_seen += r->cfg.batch;
    return 0;
}

/* Train the epoch's steps from r->st.step_in_epoch with the loader jobs. Returns 0 at its end, 1 when
 * stopped early (signal, --max-steps or a stall), -1 with the error. */
static int run_steps(run *r, batch_job *jobs)
{
    int steps = steps_per_epoch(r), report = steps / 10 > 0 ? steps / 10 : 1, status = 0;
    double started = nin_now(), last_report = started;
    int step = r->st.step_in_epoch;
    for (int k = 0; k < 2 && step + k < steps && status == 0; k++)
        status = queue_batch(r, &jobs[(step + k) & 1], step + k, steps);
    for (; step < steps && status == 0; step++) {
        if (train_step(r, jobs, step, steps) != 0) {
            status = -1;
            break;
        }
        if ((r->tty ? nin_now() - last_report > 0.5 : (step + 1) % report == 0) || step + 1 == steps) {
            progress(r, step + 1, steps, started);
            last_report = nin_now();
        }
        int max_reached = r->cfg.max_steps > 0 && nin_net_step(r->net) - r->first_step >= (uint64_t)r->cfg.max_steps;
        r->stop = nin_dist_max(stop_signal);   /* every rank stops at the same step */
        if (r->stop || max_reached || r->stalled) {
            r->st.step_in_epoch = step + 1;
            status = 1;
        }
    }
    for (int k = 0; k < 2; k++)   /* batches still loading */
        if (jobs[k].running)
            pthread_join(jobs[k].thread, NULL), jobs[k].running = 0;
    return status;
}

static int train_epoch(run *r)
{
    batch_job jobs[2];
    int status = 0;
    for (int k = 0; k < 2; k++)
        if (batch_job_init(&jobs[k], &r->pre, &r->train, r->share) != 0)
            status = -1;
    shuffle(r, r->st.epoch);
    for (int k = 0; k < 2; k++) {
        jobs[k].first = nin_dist_rank() * r->share;
        jobs[k].augment = r->cfg.augment;
        jobs[k].flip = !r->spec->digits;
    }
    if (status == 0)
        status = run_steps(r, jobs);
    if (r->tty)
        fprintf(r->log, "\n");
    for (int k = 0; k < 2; k++)
        batch_job_free(&jobs[k]);
    return status;
}

static int setup_network(run *r, nin_shape input)
{
    nin_netdef def;
    char err[512];
    if (nin_netdef_parse(r->cfg.netdef, &def, err, sizeof err) != 0)
        return nin_fail("%s", err);
    int ranks = nin_dist_size();
    if (r->cfg.batch % ranks != 0)
        return nin_fail("--batch %d does not split evenly over %d ranks: use a multiple of %d", r->cfg.batch, ranks,
                        ranks);
    r->share = r->cfg.batch / ranks;
    /* the budget first: a network that cannot fit is one clear line */
    if (nin_budget_check(r->ctx, &def, input, r->share) != 0 ||
        !(r->net = nin_net_create(r->ctx, &def, input, r->share, r->cfg.seed, r->cfg.init_std)) ||
        nin_net_set_shard(r->net, nin_dist_rank() * r->share, r->cfg.batch) != 0 ||
        nin_net_set_lr_mult(r->net, r->cfg.bias_lr_mult, r->cfg.class_lr_mult) != 0)
        return -1;
    nin_shape out = nin_net_output_shape(r->net);
    if (out.c != r->spec->classes || out.h != 1 || out.w != 1)
        return nin_fail("the network gives %dx%dx%d outputs; %s needs %d class scores (end it in %dc1-gap or %dfcl)",
                        out.c, out.h, out.w, r->spec->name, r->spec->classes, r->spec->classes, r->spec->classes);
    return 0;
}

/* The schedule: known, the plateau rule's --min-lr below the rate it starts from, and the step schedule's epochs
 * increasing from 1. */
static int check_schedule(const nin_train_config *c)
{
    if (c->schedule != NIN_SCHEDULE_PLATEAU && c->schedule != NIN_SCHEDULE_STEP && c->schedule != NIN_SCHEDULE_COSINE)
        return nin_fail("unknown learning-rate schedule %d", (int)c->schedule);
    if (c->schedule == NIN_SCHEDULE_PLATEAU && !(c->min_lr < c->lr))
        return nin_fail("--min-lr %g is not below --lr %g: the plateau rule would stop before the first step",
                        c->min_lr, c->lr);
    if (c->schedule == NIN_SCHEDULE_STEP && c->lr_steps[0] < 1)
        return nin_fail("the step schedule needs the epochs after which to divide the learning rate (--lr-steps)");
    for (int i = 1; i < NIN_MAX_LR_STEPS && c->lr_steps[i] > 0; i++)
        if (c->lr_steps[i] <= c->lr_steps[i - 1])
            return nin_fail("the step schedule's epochs must increase, not %d after %d", c->lr_steps[i],
                            c->lr_steps[i - 1]);
    return 0;
}

static int check_config(const nin_train_config *c)
{
    if (c->batch < 1 || c->batch > 65536 || c->epochs < 1 || c->patience < 1 || c->max_steps < 0 ||
        c->train_limit < 0 || c->val_size < 0 || c->warmup < 0 || !(c->lr > 0.0f) ||
        !(c->momentum >= 0.0f && c->momentum < 1.0f) || !(c->weight_decay >= 0.0f) || !(c->min_lr >= 0.0f) ||
        !(c->init_std >= 0.0f) || c->stall_steps < 1)
        return nin_fail("the run's settings are out of range (batch %d, epochs %d, lr %g, val-size %d, warmup %d)",
                        c->batch, c->epochs, c->lr, c->val_size, c->warmup);
    return check_schedule(c);
}

/* The fingerprint of the data as this run splits it, with the pixel statistics of its training images; a
 * warning when its test images are its training images. */
static int fingerprint_data(run *r)
{
    nin_shape input = { r->spec->channels, r->spec->height, r->spec->width };
    size_t dim = (size_t)input.c * input.h * input.w;
    nin_data_fingerprint *f = &r->data;
    nin_preprocess stats;
    memset(f, 0, sizeof *f);
    snprintf(f->dataset, sizeof f->dataset, "%s", r->spec->name);
    f->train = nin_fingerprint_split(r->train.images, r->train.labels, r->n_train, dim);
    f->val = nin_fingerprint_split(r->train.images + (size_t)r->n_train * dim, r->train.labels + r->n_train, r->n_val,
                                   dim);
    f->test = nin_fingerprint_split(r->test.images, r->test.labels, r->test.count, dim);
    if (nin_preprocess_fit(&stats, NIN_PREPROCESS_STANDARDIZE, input, r->train.images, r->n_train) != 0)
        return -1;
    memcpy(f->mean, stats.mean, sizeof f->mean);
    memcpy(f->std, stats.std, sizeof f->std);
    nin_preprocess_free(&stats);
    const char *same = nin_fingerprint_trained_on(f, &f->test);
    if (same && nin_dist_rank() == 0)
        fprintf(r->warnings, "nin-cl: warning: the test images in %s are the run's %s images: test_acc will not "
                "tell how the network does on images it has not seen\n", r->data_dir, same);
    return 0;
}

/* --resume: the data must be what the run was trained on, unless --data-changed ok says go on (the checkpoints
 * then record the new data). A checkpoint written before fingerprints is not checked. */
static int check_data(run *r, const nin_checkpoint *resume)
{
    char what[1024];
    if (!resume->data.dataset[0] || nin_fingerprint_compare(&resume->data, &r->data, what, sizeof what) == 0)
        return 0;
    if (!r->cfg.data_changed_ok)
        return nin_fail("--resume: the data in %s is not what the run was trained on: %s; --data-changed ok goes on "
                        "anyway", r->data_dir, what);
    if (nin_dist_rank() == 0)
        fprintf(r->log, "note: the data in %s is not what the run was trained on (%s); going on with it, as "
                "--data-changed ok asks\n", r->data_dir, what);
    return 0;
}

/* Continue from a checkpoint: its weights, momentum, step, preprocessing and training state, checked
 * against this run's data and network. */
static int restore(run *r, nin_checkpoint *resume, nin_shape input)
{
    const nin_train_state *st = &resume->state;
    if (resume->input.c != input.c || resume->input.h != input.h || resume->input.w != input.w ||
        resume->classes != r->spec->classes)
        return nin_fail("the checkpoint is for %dx%dx%d inputs and %d classes, not %s's", resume->input.c,
                        resume->input.h, resume->input.w, resume->classes, r->spec->name);
    for (int c = 0; resume->class_names && r->spec->class_names && c < resume->classes; c++)
        if (strcmp(resume->class_names[c], r->spec->class_names[c]) != 0)
            return nin_fail("the checkpoint's class %d is '%s', the data's is '%s': not the classes it was trained on",
                            c, resume->class_names[c], r->spec->class_names[c]);
    if (check_data(r, resume) != 0)
        return -1;
    if (st->epoch < 0 || st->step_in_epoch < 0 || st->step_in_epoch > steps_per_epoch(r) ||
        st->epoch_seen < 0 || st->epoch_correct < 0 || !(st->lr > 0.0f && st->lr < 100.0f))
        return nin_fail("the checkpoint's training state is corrupt (epoch %d, step %d, lr %g)", st->epoch,
                        st->step_in_epoch, st->lr);
    if (resume->params != nin_net_param_count(r->net))
        return nin_fail("the checkpoint holds %zu parameters but its network has %zu", resume->params,
                        nin_net_param_count(r->net));
    if (nin_net_set_params(r->net, resume->weights) != 0 || nin_net_set_momentum(r->net, resume->momentum) != 0)
        return -1;
    nin_net_set_step(r->net, resume->state.step);
    r->pre = resume->pre;
    resume->pre.zca = resume->pre.zca_mean = NULL;   /* now owned by r->pre */
    r->st = resume->state;
    return 0;
}

/* Whether layers a and b hold parameters of the same shapes. */
static int same_parameters(const nin_layer *a, const nin_layer *b)
{
    return a->def.kind == b->def.kind && a->weights == b->weights && a->biases == b->biases && a->stats == b->stats;
}

/* Copy layer `from`'s weights, biases and running statistics in the parameter buffer src into layer `to`'s in
 * dst (the two networks' layouts differ when their class layers do). */
static void copy_layer_params(const nin_layer *from, const float *src, const nin_layer *to, float *dst)
{
    memcpy(dst + to->weight_off, src + from->weight_off, from->weights * sizeof *dst);
    memcpy(dst + to->bias_off, src + from->bias_off, from->biases * sizeof *dst);
    memcpy(dst + to->stats_off, src + from->stats_off, from->stats * sizeof *dst);
}

/* Whether the model's class layer serves this run's classes as it is: the same count, and the same names where
 * both have names. */
static int same_classes(const nin_checkpoint *m, const nin_dataset_spec *spec)
{
    if (m->classes != spec->classes)
        return 0;
    for (int c = 0; m->class_names && spec->class_names && c < m->classes; c++)
        if (strcmp(m->class_names[c], spec->class_names[c]) != 0)
            return 0;
    return 1;
}

/* Layer by layer, the model's parameters into the run's network `to` (its own init in params): all of them, or
 * all but the class layer's when the classes differ. That layer then starts at zero: every class score 0, the
 * loss ln(C), where a random layer on the model's large trained features would start far above it; a batch norm
 * after it (one per class, "10c1b") keeps the run's own init, which passes those zeros on. Both networks must
 * have the same layers apart from the class layer's outputs. */
static int copy_model_params(run *r, const nin_checkpoint *m, const nin_net *from, const nin_net *to, float *params)
{
    const char *path = r->cfg.init_from;
    int fresh = same_classes(m, r->spec) ? -1 : to->class_layer;
    if (from->count != to->count)
        return nin_fail("--init-from %s: its network has %d layers, the run's %s has %d", path, from->count,
                        r->cfg.netdef, to->count);
    for (int i = 0; i < to->count; i++) {
        if (i == fresh) {
            memset(params + to->layers[i].weight_off, 0, to->layers[i].weights * sizeof *params);
            memset(params + to->layers[i].bias_off, 0, to->layers[i].biases * sizeof *params);
            continue;
        }
        if (fresh >= 0 && i > fresh && to->layers[i].def.kind == NIN_BATCHNORM)
            continue;
        if (!same_parameters(&from->layers[i], &to->layers[i]))
            return nin_fail("--init-from %s: layer %d of its network %s differs from the run's %s", path, i + 1,
                            m->config.netdef, r->cfg.netdef);
        copy_layer_params(&from->layers[i], m->weights, &to->layers[i], params);
    }
    if (fresh >= 0 && nin_dist_rank() == 0)
        fprintf(r->log, "note: --init-from %s: its class layer (layer %d, %d classes) starts anew, at zero, for %s's "
                "%d classes\n", path, fresh + 1, m->classes, r->spec->name, r->spec->classes);
    return 0;
}

/* --init-from: a new run that starts from a trained model's weights and preprocessing (fine-tuning). */
static int init_from_model(run *r, nin_shape input)
{
    nin_checkpoint m;
    char err[1024];
    if (nin_model_file_load(r->cfg.init_from, &m, err, sizeof err) != 0)
        return nin_fail("--init-from: %s", err);
    nin_netdef mdef;
    nin_net *from = NULL;
    float *params = NULL;
    int status = -1;
    if (m.input.c != input.c || m.input.h != input.h || m.input.w != input.w)
        nin_fail("--init-from %s: the model takes %dx%dx%d inputs, %s's images are %dx%dx%d", r->cfg.init_from,
                 m.input.c, m.input.h, m.input.w, r->spec->name, input.c, input.h, input.w);
    else if (nin_netdef_parse(m.config.netdef, &mdef, err, sizeof err) != 0 ||
             !(from = nin_net_plan(&mdef, input, 1, err, sizeof err)))
        nin_fail("--init-from %s: %s", r->cfg.init_from, err);
    else if (m.params != from->params)
        nin_fail("--init-from %s holds %zu parameters but its network has %zu", r->cfg.init_from, m.params, from->params);
    else if ((params = nin_malloc(r->net->params * sizeof *params)) && nin_net_get_params(r->net, params) == 0 &&
             copy_model_params(r, &m, from, r->net, params) == 0 && nin_net_set_params(r->net, params) == 0) {
        r->pre = m.pre;
        m.pre.zca = m.pre.zca_mean = NULL;   /* now owned by r->pre */
        status = 0;
    }
    free(params);
    free(from);
    nin_checkpoint_free(&m);
    return status;
}

/* A new run: preprocessing fitted on the training images, the data-dependent init on the first batch; or, with
 * --init-from, the model's weights and preprocessing. */
static int start_fresh(run *r, nin_shape input)
{
    r->st.lr = r->cfg.lr;
    r->st.best_val_acc = -1.0f;
    if (r->cfg.init_from[0])
        return init_from_model(r, input);
    if (nin_preprocess_fit(&r->pre, r->cfg.preprocess, input, r->train.images, r->n_train) != 0)
        return -1;
    if (!r->cfg.data_init)
        return 0;
    /* on the first batch of training images, each rank its share */
    size_t dim = (size_t)input.c * input.h * input.w;
    float *x = nin_malloc((size_t)r->share * dim * sizeof *x);
    if (!x)
        return -1;
    int status = nin_preprocess_apply(&r->pre, r->train.images + (size_t)nin_dist_rank() * r->share * dim,
                                      r->share, x) == 0 ? nin_net_init_from_data(r->net, x, nin_dist_sum) : -1;
    free(x);
    return status;
}

/* The output directory: made, locked and checked before the data is loaded, so that a second run into it, or
 * a new run into an earlier one's, is refused at once. Rank 0 writes every file. */
static int prepare_output(run *r)
{
    if (nin_dist_rank() != 0)
        return 0;
    if (nin_run_dir_open(&r->dir, r->cfg.out_dir, r->cfg.out_policy) != 0)
        return -1;
    snprintf(r->cfg.out_dir, sizeof r->cfg.out_dir, "%s", r->dir.path);   /* NIN_OUT_UNIQUE: the one made */
    return 0;
}

/* --overwrite: the earlier run's checkpoints and metrics go only now, when this run is ready to train. */
static int replace_earlier_run(run *r)
{
    char removed[512];
    if (nin_dist_rank() != 0 || r->cfg.out_policy != NIN_OUT_OVERWRITE)
        return 0;
    if (nin_run_dir_clear(&r->dir, removed, sizeof removed) != 0)
        return -1;
    if (removed[0])
        fprintf(r->log, "note: --overwrite: removed the earlier run's %s from %s\n", removed, r->cfg.out_dir);
    return 0;
}

/* "lr 0.07", with the schedule when it is not the plateau and the multipliers that are not 1. */
static void describe_lr(const run *r, char *buf, size_t size)
{
    const nin_train_config *c = &r->cfg;
    char steps[NIN_MAX_LR_STEPS * 12];
    int used = snprintf(buf, size, "lr %g", r->st.lr);
    nin_lr_steps_format(c->lr_steps, steps, sizeof steps);
    if (c->schedule == NIN_SCHEDULE_STEP)
        used += snprintf(buf + used, size - used, " (divided by 10 after epochs %s)", steps);
    else if (c->schedule == NIN_SCHEDULE_COSINE)
        used += snprintf(buf + used, size - used, " (cosine to 0 at the end of epoch %d)", c->epochs);
    if (c->bias_lr_mult != 1.0f)
        used += snprintf(buf + used, size - used, ", bias lr x%g", c->bias_lr_mult);
    if (c->class_lr_mult != 1.0f)
        snprintf(buf + used, size - used, ", class layer lr x%g", c->class_lr_mult);
}

static void report_start(run *r, int resumed)
{
    char lr[256];
    describe_lr(r, lr, sizeof lr);
    fprintf(r->log, "nin-cl train %s on %s: %d train / %d val / %d test images, net %s, %zu parameters, batch %d, "
            "%s, preprocess %s%s, init %s, output %s%s\n",
            r->spec->name, nin_context_device(r->ctx)->name, r->n_train, r->n_val, r->test.count, r->cfg.netdef,
            nin_net_trainable_count(r->net), r->cfg.batch, lr, nin_preprocess_name(r->pre.kind),
            r->cfg.augment ? " + augmentation" : "", r->cfg.data_init ? "data" : r->cfg.init_std > 0.0f ? "gaussian" : "he",
            r->cfg.out_dir, resumed ? " (resumed)" : "");
    if (nin_dist_size() > 1)
        fprintf(r->log, "data-parallel over %d MPI ranks: %d images per rank per step\n", nin_dist_size(), r->share);
    if (resumed)
        fprintf(r->log, "resuming at epoch %d step %d (step %llu overall)\n", r->st.epoch + 1, r->st.step_in_epoch,
                (unsigned long long)nin_net_step(r->net));
    fflush(r->log);
}

/* An image folder's classes decide the network's class layer: a preset or netdef made for another count is
 * changed to this one, with a note. */
static int adapt_classes(run *r)
{
    nin_netdef def;
    char err[512], before[sizeof r->cfg.netdef];
    if (strcmp(r->spec->name, "images") != 0 && !r->cfg.init_from[0])
        return 0;
    if (nin_netdef_parse(r->cfg.netdef, &def, err, sizeof err) != 0)
        return nin_fail("%s", err);
    int had = nin_netdef_set_classes(&def, r->spec->classes);
    if (had < 0)
        return nin_fail("the network %s has no class layer to give the folder's %d classes (end it in "
                        "<classes>c1-gap or <classes>fcl)", r->cfg.netdef, r->spec->classes);
    snprintf(before, sizeof before, "%s", r->cfg.netdef);
    nin_netdef_format(&def, r->cfg.netdef, sizeof r->cfg.netdef);
    if (had != r->spec->classes && nin_dist_rank() == 0)
        fprintf(r->log, "note: the class layer of %s now has %d outputs, one per class folder (it had %d)\n", before,
                r->spec->classes, had);
    return 0;
}

/* Everything before the first step: the output directory, data, network, its state. */
static int prepare_run(run *r, nin_checkpoint *resume)
{
    if (check_config(&r->cfg) != 0)
        return -1;
    r->spec = nin_dataset_find(r->cfg.dataset);
    if (!r->spec)
        return nin_fail("unknown dataset '%s' (known: %s)", r->cfg.dataset, nin_dataset_names());
    /* the output directory first, then the data: a refused directory or a missing file before any device work */
    if (prepare_output(r) != 0 || load_data(r) != 0 || fingerprint_data(r) != 0)
        return -1;
    nin_shape input = { r->spec->channels, r->spec->height, r->spec->width };
    if (adapt_classes(r) != 0 || setup_network(r, input) != 0 ||
        !(r->order = nin_malloc(r->n_train * sizeof *r->order)))
        return -1;
    nin_health_init(&r->health, r->spec->classes, (uint64_t)r->cfg.warmup, r->cfg.stall_steps, nin_dist_sum);
    if ((resume ? restore(r, resume, input) : start_fresh(r, input)) != 0 || replace_earlier_run(r) != 0)
        return -1;
    r->first_step = nin_net_step(r->net);
    report_start(r, resume != NULL);
    return 0;
}

/* The end of an epoch stopped early: the stop reason as nin_train returns it, or -1 with the error. */
static int stop_early(run *r)
{
    const char *dir = r->cfg.out_dir;
    if (r->stop) {
        if (save(r, "last.nin") != 0)
            return -1;
        fprintf(r->log, "stopped by signal %d at epoch %d step %d; continue with --resume %s/last.nin\n", r->stop,
                r->st.epoch + 1, r->st.step_in_epoch, dir);
        return NIN_TRAIN_SIGNALLED(r->stop);
    }
    if (r->stalled) {   /* the stalled network goes beside the checkpoints, for nin-cl inspect */
        if (save(r, "stalled.nin") != 0)
            return -1;
        fprintf(r->log, "stopped at step %llu by --on-stall stop; the checkpoints keep the last good epoch; the "
                "stalled network is in %s/stalled.nin (nin-cl inspect --model %s/stalled.nin)\n",
                (unsigned long long)nin_net_step(r->net), dir, dir);
        return NIN_TRAIN_STALLED;
    }
    /* --max-steps inside an epoch: evaluate, and keep the epoch open for --resume */
    nin_eval val, test;
    if (sync_ranks(r) != 0 || evaluate_splits(r, &val, &test) != 0 || save(r, "last.nin") != 0)
        return -1;
    fprintf(r->log, "stopped after --max-steps %d at epoch %d step %d: train_loss=%.4f val_acc=%.4f test_acc=%.4f "
            "test_loss=%.4f; continue with --resume %s/last.nin\n", r->cfg.max_steps, r->st.epoch + 1,
            r->st.step_in_epoch, r->st.epoch_loss_sum / (r->st.epoch_seen ? r->st.epoch_seen : 1), val.acc, test.acc,
            test.loss, dir);
    return NIN_TRAIN_DONE;
}

/* --keep-epochs N: last.nin (just written) is also kept as epoch-E.nin, a hard link where the file system has
 * them, and the epochs before the last N are removed. */
static int keep_epoch(run *r)
{
    char name[32];
    if (r->cfg.keep_epochs < 1 || nin_dist_rank() != 0)
        return 0;
    snprintf(name, sizeof name, "epoch-%d.nin", r->st.epoch);
    if (nin_run_dir_link(&r->dir, "last.nin", name) != 0 && save(r, name) != 0)   /* no hard links: a copy */
        return -1;
    nin_run_dir_prune_epochs(&r->dir, r->st.epoch - r->cfg.keep_epochs);
    return 0;
}

/* The process's resident memory in kB (/proc/self/statm), or -1 where it cannot be read. */
static long resident_kb(void)
{
    long pages = -1, resident = -1;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = -1;
    if (f)
        fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Keep the best watched accuracy (validation, or training when no images are held out), and, for the paper's
 * plateau schedule, divide the LR by 10 when it has not improved for --patience epochs. Returns 1 when this
 * epoch improved it (best.nin). */
static int schedule_lr(run *r, float watched)
{
    if (watched > r->st.best_val_acc) {
        r->st.best_val_acc = watched;
        r->st.bad_epochs = 0;
        return 1;
    }
    if (r->cfg.schedule == NIN_SCHEDULE_PLATEAU && ++r->st.bad_epochs >= r->cfg.patience) {
        r->st.lr /= 10.0f;
        r->st.bad_epochs = 0;
    }
    return 0;
}

/* The plateau rule has taken the rate below --min-lr: the run is done (1, with a line saying so), else 0. */
static int below_min_lr(run *r)
{
    if (r->cfg.schedule != NIN_SCHEDULE_PLATEAU || r->st.lr >= r->cfg.min_lr)
        return 0;
    fprintf(r->log, "learning rate %g is below --min-lr %g: done\n", r->st.lr, r->cfg.min_lr);
    return 1;
}

/* A completed epoch: evaluate, adjust the learning rate, report, save. 0 to go on, 1 when the run is done,
 * NIN_TRAIN_SIGNALLED(sig) on a signal, -1 with the error. */
static int finish_epoch(run *r, double epoch_start)
{
    double seen = r->st.epoch_seen ? (double)r->st.epoch_seen : 1.0;
    double train_loss = r->st.epoch_loss_sum / seen, train_acc = (double)r->st.epoch_correct / seen;
    nin_eval val, test;
    if (sync_ranks(r) != 0 || evaluate_splits(r, &val, &test) != 0)
        return -1;
    r->st.epoch++;
    r->st.step_in_epoch = 0;
    r->st.epoch_loss_sum = 0.0;
    r->st.epoch_correct = r->st.epoch_seen = 0;
    /* the rate of the epoch's last step, warm-up aside (plateau: the epoch's rate) */
    int steps = steps_per_epoch(r);
    float lr_used = nin_schedule_lr(&r->cfg, r->st.lr, (uint64_t)r->st.epoch * steps - 1, steps);
    int improved = schedule_lr(r, (float)(r->n_val ? val.acc : train_acc));
    double seconds = nin_now() - epoch_start;
    fprintf(r->log, "epoch=%d train_loss=%.4f train_acc=%.4f val_loss=%.4f val_acc=%.4f test_loss=%.4f "
            "test_acc=%.4f lr=%g time=%.1fs data_wait=%.3fs (%.3f%%)\n", r->st.epoch, train_loss, train_acc,
            val.loss, val.acc, test.loss, test.acc, lr_used, seconds, r->data_wait, 100.0 * r->data_wait / seconds);
    r->data_wait = 0.0;
    fflush(r->log);
    if (!isfinite(val.loss) || !isfinite(test.loss))   /* finite weights, but activations overflow */
        return nin_fail("the evaluation loss became NaN or Inf after epoch %d (step %llu): the learning rate %g is "
                        "too high for this network and init (try a lower --lr or a longer --warmup); the checkpoints "
                        "keep the last good epoch", r->st.epoch, (unsigned long long)nin_net_step(r->net), lr_used);
    if (append_metrics(r, lr_used, train_loss, train_acc, val, test) != 0 ||
        (improved && save(r, "best.nin") != 0) || save(r, "last.nin") != 0 || keep_epoch(r) != 0)
        return -1;
    if (r->cfg.report_memory)
        fprintf(r->log, "memory after epoch %d: %ld kB resident\n", r->st.epoch, resident_kb());
    r->stop = nin_dist_max(stop_signal);
    if (r->stop)   /* arrived during the evaluation or the save */
        return NIN_TRAIN_SIGNALLED(r->stop);
    return below_min_lr(r);
}

/* Epochs until --epochs, --min-lr or an early stop: the stop reason, or -1 with the error. A run that --min-lr
 * ended is done when resumed, as one that reached --epochs is. */
static int run_epochs(run *r)
{
    if (below_min_lr(r))
        return NIN_TRAIN_DONE;
    while (r->st.epoch < r->cfg.epochs) {
        double epoch_start = nin_now();
        int stopped = train_epoch(r);
        if (stopped != 0)
            return stopped < 0 ? -1 : stop_early(r);
        int status = finish_epoch(r, epoch_start);
        if (status != 0)
            return status == 1 ? NIN_TRAIN_DONE : status;
    }
    return NIN_TRAIN_DONE;
}

static void free_run(run *r)
{
    nin_net_free(r->net);
    nin_preprocess_free(&r->pre);
    nin_dataset_free(&r->train);
    nin_dataset_free(&r->test);
    free(r->order);
}

int nin_train(nin_context *ctx, const nin_train_config *cfg, nin_checkpoint *resume, FILE *log, FILE *warnings)
{
    run r = { 0 };
    r.dir.lock_fd = -1;
    r.ctx = ctx;
    r.cfg = *cfg;
    r.log = log;
    r.warnings = warnings;
    /* mpirun gives the ranks a pseudo-terminal even when its own output goes to a file: lines, not a bar */
    r.tty = isatty(fileno(log)) && nin_dist_size() == 1;
    int status = prepare_run(&r, resume);
    r.start = nin_now();
    if (status == 0) {
        struct sigaction sa = { 0 }, old_int, old_term;
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESETHAND;   /* a second Ctrl-C ends the process at once */
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        status = run_epochs(&r);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    if (status >= 0) {
        fprintf(log, "total time %.1fs; checkpoints in %s\n", nin_now() - r.start, r.cfg.out_dir);
        if (nin_dist_size() > 1)
            fprintf(log, "gradient all-reduce: %.1fs on rank 0 (%.1f%% of the run)\n", nin_dist_allreduce_seconds(),
                    100.0 * nin_dist_allreduce_seconds() / (nin_now() - r.start));
    }
    nin_run_dir_close(&r.dir, status < 0);
    free_run(&r);
    return status;
}
