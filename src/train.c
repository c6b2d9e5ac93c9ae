/* train.c - the paper's training recipe: SGD with momentum and weight decay on batches of 128, a validation
 * split held out from training, the learning rate divided by 10 whenever validation accuracy stops
 * improving, checkpoints every epoch and on SIGINT/SIGTERM, exact resume.
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
#include <nin/dist.h>
#include <nin/health.h>
#include <nin/train.h>

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
    cfg->warmup = 300;
    cfg->data_init = 1;
    cfg->stall_steps = NIN_HEALTH_STALL_STEPS;
    cfg->momentum = 0.9f;
    cfg->weight_decay = 1e-4f;
    cfg->preprocess = NIN_PREPROCESS_STANDARDIZE;
    cfg->seed = 1;
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
    pthread_t thread;
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
    nin_preprocess_apply(job->pre, job->gathered, job->count, job->x);
    if (job->augment) {
        float *tmp = nin_malloc(dim * sizeof *tmp);
        for (int i = 0; i < job->count; i++)
            augment_image(job->x + i * dim, tmp, s, job->key, job->first + i, job->flip);
        free(tmp);
    }
    return NULL;
}

static void batch_job_init(batch_job *job, const nin_preprocess *pre, const nin_dataset *data, int count)
{
    size_t dim = (size_t)data->spec->channels * data->spec->height * data->spec->width;
    memset(job, 0, sizeof *job);
    job->pre = pre;
    job->data = data;
    job->count = count;
    job->gathered = nin_malloc(count * dim);
    job->x = nin_malloc(count * dim * sizeof(float));
    job->labels = nin_malloc(count * sizeof(int));
}

static void batch_job_free(batch_job *job)
{
    free(job->gathered);
    free(job->x);
    free(job->labels);
}

static void start_batch(batch_job *job)
{
    if (pthread_create(&job->thread, NULL, prepare_batch, job) != 0)
        nin_fatal("cannot start the batch loader thread");
}

static void finish_batch(batch_job *job)
{
    pthread_join(job->thread, NULL);
}

/* --- evaluation -------------------------------------------------------------------------------------- */

nin_eval nin_evaluate(nin_net *net, const nin_preprocess *p, const uint8_t *images, const int *labels, int count)
{
    int batch = nin_net_batch(net), classes = nin_net_output_shape(net).c;
    size_t dim = (size_t)p->shape.c * p->shape.h * p->shape.w;
    float *x = nin_malloc((size_t)batch * dim * sizeof *x), *logits = nin_malloc((size_t)batch * classes * 4);
    uint8_t *padded = nin_malloc((size_t)batch * dim);
    nin_eval e = { 0.0, 0.0, count };
    for (int start = 0; start < count; start += batch) {
        int n = count - start < batch ? count - start : batch;
        /* a short last batch is padded with copies of its last image; only the first n count */
        memcpy(padded, images + (size_t)start * dim, (size_t)n * dim);
        for (int i = n; i < batch; i++)
            memcpy(padded + (size_t)i * dim, images + (size_t)(start + n - 1) * dim, dim);
        nin_preprocess_apply(p, padded, batch, x);
        nin_net_set_input(net, x, NULL);
        nin_net_forward(net, 0);
        nin_net_get_output(net, logits);
        for (int i = 0; i < n; i++) {
            const float *z = logits + (size_t)i * classes;
            int best = 0;
            double max = z[0], sum = 0.0;
            for (int c = 1; c < classes; c++)
                if (z[c] > z[best])
                    best = c;
            max = z[best];
            for (int c = 0; c < classes; c++)
                sum += exp(z[c] - max);
            e.loss += log(sum) + max - z[labels[start + i]];
            e.acc += best == labels[start + i];
        }
    }
    if (count > 0) {
        e.loss /= count;
        e.acc /= count;
    }
    free(x);
    free(logits);
    free(padded);
    return e;
}

/* --- the run ----------------------------------------------------------------------------------------- */

/* nin_evaluate over the ranks: each evaluates its contiguous share of the images, the sums are added. */
static nin_eval evaluate_shared(nin_net *net, const nin_preprocess *p, const uint8_t *images, const int *labels,
                                int count)
{
    int ranks = nin_dist_size(), rank = nin_dist_rank();
    int first = (int)((int64_t)count * rank / ranks), last = (int)((int64_t)count * (rank + 1) / ranks);
    size_t dim = (size_t)p->shape.c * p->shape.h * p->shape.w;
    nin_eval mine = nin_evaluate(net, p, images + (size_t)first * dim, labels + first, last - first);
    double sums[2] = { mine.loss * mine.count, mine.acc * mine.count };
    nin_dist_sum(sums, 2);
    return (nin_eval){ count ? sums[0] / count : 0.0, count ? sums[1] / count : 0.0, count };
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
    nin_health health;             /* watches the loss of every step for a stall */
    int stalled;                   /* --on-stall stop and the monitor warned */
} run;

static void load_data(run *r)
{
    char dir[1024], err[1024];
    nin_dataset_dir(r->spec, r->cfg.data_dir, dir, sizeof dir);
    if (nin_dataset_load(r->spec, dir, NIN_SPLIT_TRAIN, &r->train, err, sizeof err) != 0 ||
        nin_dataset_load(r->spec, dir, NIN_SPLIT_TEST, &r->test, err, sizeof err) != 0)
        nin_fatal("%s", err);
    if (r->cfg.extra) {
        nin_dataset extra;
        if (nin_dataset_load(r->spec, dir, NIN_SPLIT_EXTRA, &extra, err, sizeof err) != 0)
            nin_fatal("%s", err);
        size_t dim = (size_t)r->spec->channels * r->spec->height * r->spec->width;
        /* extra goes first so that the validation images stay the last of the official training split */
        uint8_t *images = nin_malloc((size_t)(extra.count + r->train.count) * dim);
        int *labels = nin_malloc((size_t)(extra.count + r->train.count) * sizeof *labels);
        memcpy(images, extra.images, (size_t)extra.count * dim);
        memcpy(images + (size_t)extra.count * dim, r->train.images, (size_t)r->train.count * dim);
        memcpy(labels, extra.labels, extra.count * sizeof *labels);
        memcpy(labels + extra.count, r->train.labels, r->train.count * sizeof *labels);
        free(r->train.images);
        free(r->train.labels);
        r->train.images = images;
        r->train.labels = labels;
        r->train.count += extra.count;
        nin_dataset_free(&extra);
    }
    int available = r->train.count;
    r->n_val = r->cfg.val_size;
    if (r->n_val > available / 2) {
        r->n_val = available / 10;
        printf("note: --val-size %d would leave too few of the %d training images; validating on %d\n",
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
        nin_fatal("%d training images are fewer than one batch of %d", r->n_train, r->cfg.batch);
}

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
static void evaluate_splits(run *r, nin_eval *val, nin_eval *test)
{
    size_t dim = (size_t)r->spec->channels * r->spec->height * r->spec->width;
    *val = evaluate_shared(r->net, &r->pre, r->train.images + (size_t)r->n_train * dim, r->train.labels + r->n_train,
                           r->n_val);
    *test = evaluate_shared(r->net, &r->pre, r->test.images, r->test.labels, r->test.count);
}

/* Check that the ranks are still in step (they compute the same update from the same state) and put
 * them back in step with rank 0 where a device rounded differently. */
static void sync_ranks(run *r)
{
    double drift = nin_dist_sync(r->net);
    if (drift > 0.0)
        printf("note: the ranks' parameters had drifted up to %g apart; all now have rank 0's\n", drift);
}

/* Rank 0 writes the checkpoints: they hold the global state only, so any number of ranks resumes them. */
static void save(run *r, const char *name)
{
    char path[1200], err[1400];
    if (nin_dist_rank() != 0)
        return;
    nin_checkpoint ck = { 0 };
    ck.config = r->cfg;
    ck.input = nin_net_input_shape(r->net);
    ck.classes = nin_net_output_shape(r->net).c;
    ck.pre = r->pre;
    ck.state = r->st;
    ck.state.step = nin_net_step(r->net);
    ck.params = nin_net_param_count(r->net);
    ck.weights = nin_malloc(ck.params * sizeof(float));
    ck.momentum = nin_malloc(ck.params * sizeof(float));
    nin_net_get_params(r->net, ck.weights);
    nin_net_get_momentum(r->net, ck.momentum);
    if (nin_count_nonfinite(ck.weights, ck.params))   /* the last update blew up: keep the good checkpoint */
        nin_fatal("the weights became NaN or Inf at step %llu (learning rate %g too high for this network and "
                  "init: try a lower --lr or a longer --warmup); %s/%s was not overwritten",
                  (unsigned long long)ck.state.step, r->st.lr, r->cfg.out_dir, name);
    snprintf(path, sizeof path, "%s/%s", r->cfg.out_dir, name);
    int status = nin_checkpoint_save(path, &ck, err, sizeof err);
    free(ck.weights);
    free(ck.momentum);
    if (status != 0)
        nin_fatal("%s", err);
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
        printf("\repoch %d [%s] %d/%d loss %.4f acc %.4f %.1f img/s ETA %dm%02ds ", r->st.epoch + 1, bar, step,
               steps, loss, acc, rate, (int)eta / 60, (int)eta % 60);
    } else {
        printf("epoch %d step %d/%d loss %.4f acc %.4f %.1f img/s ETA %dm%02ds\n", r->st.epoch + 1, step, steps,
               loss, acc, rate, (int)eta / 60, (int)eta % 60);
    }
    fflush(stdout);
}

static void append_metrics(run *r, float lr, double train_loss, double train_acc, nin_eval val, nin_eval test,
                           double secs)
{
    char path[1200];
    if (nin_dist_rank() != 0)
        return;
    snprintf(path, sizeof path, "%s/metrics.csv", r->cfg.out_dir);
    int fresh = access(path, F_OK) != 0;
    FILE *f = fopen(path, "a");
    if (!f)
        nin_fatal("cannot write %s: %s", path, strerror(errno));
    if (fresh)
        fprintf(f, "epoch,lr,train_loss,train_acc,val_loss,val_acc,test_loss,test_acc,seconds\n");
    fprintf(f, "%d,%g,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.1f\n", r->st.epoch, lr, train_loss, train_acc, val.loss,
            val.acc, test.loss, test.acc, secs);
    if (fclose(f) != 0)
        nin_fatal("cannot write %s: %s", path, strerror(errno));
}

/* Train one epoch from r->st.step_in_epoch. Returns 0 at its end, 1 when stopped early (signal or
 * --max-steps). */
static int train_epoch(run *r)
{
    int batch = r->cfg.batch, steps = r->n_train / batch, report = steps / 10 > 0 ? steps / 10 : 1;
    nin_sgd sgd = { r->st.lr, r->cfg.momentum, r->cfg.weight_decay };
    batch_job jobs[2];
    for (int k = 0; k < 2; k++) {
        batch_job_init(&jobs[k], &r->pre, &r->train, r->share);
        jobs[k].first = nin_dist_rank() * r->share;
        jobs[k].augment = r->cfg.augment;
        jobs[k].flip = !r->spec->digits;
    }
    shuffle(r, r->st.epoch);
    double started = nin_now(), last_report = started;
    int stopped = 0, step = r->st.step_in_epoch;
    for (int k = 0; k < 2 && step + k < steps; k++) {
        batch_job *job = &jobs[(step + k) & 1];
        job->indices = r->order + (size_t)(step + k) * batch + job->first;
        job->key = nin_random_key(r->cfg.seed, 0xa09, (uint64_t)r->st.epoch * steps + step + k);
        start_batch(job);
    }
    for (; step < steps; step++) {
        batch_job *job = &jobs[step & 1];
        finish_batch(job);
        nin_net_set_input(r->net, job->x, job->labels);
        if (step + 2 < steps) {   /* refill this buffer with the batch after next while the device works */
            job->indices = r->order + (size_t)(step + 2) * batch + job->first;
            job->key = nin_random_key(r->cfg.seed, 0xa09, (uint64_t)r->st.epoch * steps + step + 2);
            start_batch(job);
        }
        uint64_t done = nin_net_step(r->net);
        sgd.lr = done < (uint64_t)r->cfg.warmup ? r->st.lr * (float)(done + 1) / r->cfg.warmup : r->st.lr;
        nin_metrics m = nin_dist_train_step(r->net, &sgd);
        nin_health_event health = nin_health_step(&r->health, r->net, nin_net_step(r->net), m.loss, sgd.lr);
        if (health == NIN_HEALTH_NONFINITE) {   /* nothing is saved: the checkpoints keep the last good state */
            char last[1100];
            snprintf(last, sizeof last, "%s/last.nin", r->cfg.out_dir);
            nin_fatal("%s; %s", r->health.message, access(last, F_OK) == 0
                      ? "last.nin and best.nin keep the last good epoch" : "no epoch was completed, nothing saved");
        }
        if (health != NIN_HEALTH_OK && nin_dist_rank() == 0) {   /* every rank sees it; rank 0 says it */
            fprintf(stderr, "%snin-cl: %s: %s\n", r->tty ? "\n" : "", health == NIN_HEALTH_RECOVERED ? "note" : "warning",
                    r->health.message);
            fflush(stderr);
        }
        if (health != NIN_HEALTH_OK)
            r->stalled = r->cfg.stop_on_stall && health != NIN_HEALTH_RECOVERED;
        r->st.epoch_loss_sum += (double)m.loss * batch;
        r->st.epoch_correct += m.correct;
        r->st.epoch_seen += batch;
        if ((r->tty ? nin_now() - last_report > 0.5 : (step + 1) % report == 0) || step + 1 == steps) {
            progress(r, step + 1, steps, started);
            last_report = nin_now();
        }
        int max_reached = r->cfg.max_steps > 0 && nin_net_step(r->net) >= (uint64_t)r->cfg.max_steps;
        r->stop = nin_dist_max(stop_signal);   /* every rank stops at the same step */
        if (r->stop || max_reached || r->stalled) {
            r->st.step_in_epoch = step + 1;
            stopped = 1;
            for (int k = 1; k <= 2 && step + k < steps; k++)
                finish_batch(&jobs[(step + k) & 1]);
            break;
        }
    }
    if (r->tty)
        printf("\n");
    for (int k = 0; k < 2; k++)
        batch_job_free(&jobs[k]);
    return stopped;
}

static void setup_network(run *r, nin_shape input)
{
    nin_netdef def;
    char err[512];
    if (nin_netdef_parse(r->cfg.netdef, &def, err, sizeof err) != 0)
        nin_fatal("%s", err);
    int ranks = nin_dist_size();
    if (r->cfg.batch % ranks != 0)
        nin_fatal("--batch %d does not split evenly over %d ranks: use a multiple of %d", r->cfg.batch, ranks, ranks);
    r->share = r->cfg.batch / ranks;
    r->net = nin_net_create(r->ctx, &def, input, r->share, r->cfg.seed, r->cfg.init_std);
    nin_net_set_shard(r->net, nin_dist_rank() * r->share, r->cfg.batch);
    nin_shape out = nin_net_output_shape(r->net);
    if (out.c != r->spec->classes || out.h != 1 || out.w != 1)
        nin_fatal("the network gives %dx%dx%d outputs; %s needs %d class scores (end it in %dc1-gap or %dfcl)",
                  out.c, out.h, out.w, r->spec->name, r->spec->classes, r->spec->classes, r->spec->classes);
}

int nin_train(nin_context *ctx, const nin_train_config *cfg, nin_checkpoint *resume)
{
    run r = { 0 };
    char err[1200];
    r.ctx = ctx;
    r.cfg = *cfg;
    if (r.cfg.batch < 1 || r.cfg.batch > 65536 || r.cfg.epochs < 1 || r.cfg.patience < 1 || r.cfg.max_steps < 0 ||
        r.cfg.train_limit < 0 || r.cfg.val_size < 0 || r.cfg.warmup < 0 || !(r.cfg.lr > 0.0f) ||
        !(r.cfg.momentum >= 0.0f && r.cfg.momentum < 1.0f) || !(r.cfg.weight_decay >= 0.0f) ||
        !(r.cfg.min_lr >= 0.0f) || !(r.cfg.init_std >= 0.0f) || r.cfg.stall_steps < 1)
        nin_fatal("the run's settings are out of range (batch %d, epochs %d, lr %g, val-size %d, warmup %d)",
                  r.cfg.batch, r.cfg.epochs, r.cfg.lr, r.cfg.val_size, r.cfg.warmup);
    r.spec = nin_dataset_find(r.cfg.dataset);
    if (!r.spec)
        nin_fatal("unknown dataset '%s' (known: %s)", r.cfg.dataset, nin_dataset_names());
    nin_shape input = { r.spec->channels, r.spec->height, r.spec->width };
    load_data(&r);   /* first: a missing or bad file is reported before any device work */
    setup_network(&r, input);
    r.order = nin_malloc(r.n_train * sizeof *r.order);
    nin_health_init(&r.health, r.spec->classes, (uint64_t)r.cfg.warmup, r.cfg.stall_steps, nin_dist_sum);
    /* mpirun gives the ranks a pseudo-terminal even when its own output goes to a file: lines, not a bar */
    r.tty = isatty(STDOUT_FILENO) && nin_dist_size() == 1;
    if (resume) {
        const nin_train_state *st = &resume->state;
        if (resume->input.c != input.c || resume->input.h != input.h || resume->input.w != input.w ||
            resume->classes != r.spec->classes)
            nin_fatal("the checkpoint is for %dx%dx%d inputs and %d classes, not %s's", resume->input.c,
                      resume->input.h, resume->input.w, resume->classes, r.spec->name);
        if (st->epoch < 0 || st->step_in_epoch < 0 || st->step_in_epoch > r.n_train / r.cfg.batch ||
            st->epoch_seen < 0 || st->epoch_correct < 0 || !(st->lr > 0.0f && st->lr < 100.0f))
            nin_fatal("the checkpoint's training state is corrupt (epoch %d, step %d, lr %g)", st->epoch,
                      st->step_in_epoch, st->lr);
        if (resume->params != nin_net_param_count(r.net))
            nin_fatal("the checkpoint holds %zu parameters but its network has %zu", resume->params,
                      nin_net_param_count(r.net));
        nin_net_set_params(r.net, resume->weights);
        nin_net_set_momentum(r.net, resume->momentum);
        nin_net_set_step(r.net, resume->state.step);
        r.pre = resume->pre;
        resume->pre.zca = resume->pre.zca_mean = NULL;   /* now owned by r.pre */
        r.st = resume->state;
    } else {
        nin_preprocess_fit(&r.pre, r.cfg.preprocess, input, r.train.images, r.n_train);
        if (r.cfg.data_init) {   /* on the first batch of training images, each rank its share */
            size_t dim = (size_t)input.c * input.h * input.w;
            float *x = nin_malloc((size_t)r.share * dim * sizeof *x);
            nin_preprocess_apply(&r.pre, r.train.images + (size_t)nin_dist_rank() * r.share * dim, r.share, x);
            nin_net_init_from_data(r.net, x, nin_dist_sum);
            free(x);
        }
        r.st.lr = r.cfg.lr;
        r.st.best_val_acc = -1.0f;
    }
    if (nin_dist_rank() == 0 && nin_make_dirs(r.cfg.out_dir, err, sizeof err) != 0)
        nin_fatal("output directory: %s", err);
    if (nin_dist_rank() == 0 && access(r.cfg.out_dir, W_OK) != 0)   /* found now, not after the first epoch */
        nin_fatal("output directory %s is not writable: %s", r.cfg.out_dir, strerror(errno));
    printf("nin-cl train %s on %s: %d train / %d val / %d test images, net %s, %zu parameters, batch %d, lr %g, "
           "preprocess %s%s, init %s, output %s%s\n",
           r.spec->name, ctx->info.name, r.n_train, r.n_val, r.test.count, r.cfg.netdef, nin_net_param_count(r.net),
           r.cfg.batch, r.st.lr, nin_preprocess_name(r.pre.kind), r.cfg.augment ? " + augmentation" : "",
           r.cfg.data_init ? "data" : r.cfg.init_std > 0.0f ? "gaussian" : "he", r.cfg.out_dir,
           resume ? " (resumed)" : "");
    if (nin_dist_size() > 1)
        printf("data-parallel over %d MPI ranks: %d images per rank per step\n", nin_dist_size(), r.share);
    if (resume)
        printf("resuming at epoch %d step %d (step %llu overall)\n", r.st.epoch + 1, r.st.step_in_epoch,
               (unsigned long long)nin_net_step(r.net));
    fflush(stdout);

    struct sigaction sa = { 0 };
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;   /* a second Ctrl-C ends the process at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    double run_start = nin_now();
    int status = 0;
    while (r.st.epoch < r.cfg.epochs) {
        double epoch_start = nin_now();
        int stopped = train_epoch(&r);
        if (r.stop) {
            save(&r, "last.nin");
            printf("stopped by signal %d at epoch %d step %d; continue with --resume %s/last.nin\n", r.stop,
                   r.st.epoch + 1, r.st.step_in_epoch, r.cfg.out_dir);
            status = 128 + r.stop;
            break;
        }
        if (r.stalled) {   /* the stalled network goes beside the checkpoints, for nin-cl inspect */
            save(&r, "stalled.nin");
            printf("stopped at step %llu by --on-stall stop; the checkpoints keep the last good epoch; the stalled "
                   "network is in %s/stalled.nin (nin-cl inspect --model %s/stalled.nin)\n",
                   (unsigned long long)nin_net_step(r.net), r.cfg.out_dir, r.cfg.out_dir);
            status = 3;
            break;
        }
        if (stopped) {   /* --max-steps inside an epoch: evaluate, and keep the epoch open for --resume */
            nin_eval val, test;
            sync_ranks(&r);
            evaluate_splits(&r, &val, &test);
            save(&r, "last.nin");
            printf("stopped after --max-steps %d at epoch %d step %d: train_loss=%.4f val_acc=%.4f test_acc=%.4f "
                   "test_loss=%.4f; continue with --resume %s/last.nin\n",
                   r.cfg.max_steps, r.st.epoch + 1, r.st.step_in_epoch,
                   r.st.epoch_loss_sum / (r.st.epoch_seen ? r.st.epoch_seen : 1), val.acc, test.acc, test.loss,
                   r.cfg.out_dir);
            break;
        }
        double train_loss = r.st.epoch_loss_sum / (r.st.epoch_seen ? r.st.epoch_seen : 1);
        double train_acc = (double)r.st.epoch_correct / (r.st.epoch_seen ? r.st.epoch_seen : 1);
        sync_ranks(&r);
        nin_eval val, test;
        evaluate_splits(&r, &val, &test);
        r.st.epoch++;
        r.st.step_in_epoch = 0;
        r.st.epoch_loss_sum = 0.0;
        r.st.epoch_correct = r.st.epoch_seen = 0;
        /* the paper divides the LR when accuracy stops improving: validation accuracy, or training accuracy
         * when no images are held out */
        float watched = (float)(r.n_val ? val.acc : train_acc);
        int improved = watched > r.st.best_val_acc;
        float lr_used = r.st.lr;
        if (improved) {
            r.st.best_val_acc = watched;
            r.st.bad_epochs = 0;
        } else if (++r.st.bad_epochs >= r.cfg.patience) {   /* the paper's schedule */
            r.st.lr /= 10.0f;
            r.st.bad_epochs = 0;
        }
        printf("epoch=%d train_loss=%.4f train_acc=%.4f val_loss=%.4f val_acc=%.4f test_loss=%.4f test_acc=%.4f "
               "lr=%g time=%.1fs\n",
               r.st.epoch, train_loss, train_acc, val.loss, val.acc, test.loss, test.acc, lr_used,
               nin_now() - epoch_start);
        fflush(stdout);
        if (!isfinite(val.loss) || !isfinite(test.loss))   /* finite weights, but activations overflow */
            nin_fatal("the evaluation loss became NaN or Inf after epoch %d (step %llu): the learning rate %g is too "
                      "high for this network and init (try a lower --lr or a longer --warmup); the checkpoints keep "
                      "the last good epoch", r.st.epoch, (unsigned long long)nin_net_step(r.net), lr_used);
        append_metrics(&r, lr_used, train_loss, train_acc, val, test, nin_now() - run_start);
        if (improved)
            save(&r, "best.nin");
        save(&r, "last.nin");
        r.stop = nin_dist_max(stop_signal);
        if (r.stop) {   /* arrived during the evaluation or the save */
            status = 128 + r.stop;
            break;
        }
        if (r.st.lr < r.cfg.min_lr) {
            printf("learning rate %g is below --min-lr %g: done\n", r.st.lr, r.cfg.min_lr);
            break;
        }
    }
    printf("total time %.1fs; checkpoints in %s\n", nin_now() - run_start, r.cfg.out_dir);
    if (nin_dist_size() > 1)
        printf("gradient all-reduce: %.1fs on rank 0 (%.1f%% of the run)\n", nin_dist_allreduce_seconds(),
               100.0 * nin_dist_allreduce_seconds() / (nin_now() - run_start));
    nin_net_free(r.net);
    nin_preprocess_free(&r.pre);
    nin_dataset_free(&r.train);
    nin_dataset_free(&r.test);
    free(r.order);
    return status;
}
