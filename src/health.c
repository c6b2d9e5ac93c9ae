/* health.c - training health: the statistics that tell a network that learns from one that has stalled at
 * loss ln(C), and the monitor that watches a run for it.
 *
 * Symptoms, and what the monitor reads to see them:
 *   chance     the loss within 1e-3 of ln(C) for stall_steps steps: a uniform softmax. Free: the loss is the
 *              value every step reads back.
 *   dead       the class scores are the same for every image: all class maps 0 (the ReLU before global average
 *              pooling died) or the layers before the class layer dead. One read of the class layer's output
 *              every stall_steps steps.
 *   rising     the loss, smoothed over about stall_steps steps, stays far above its best: divergence.
 *   non-finite a NaN or Inf loss.
 * When a symptom appears, a diagnosis reads the last mlpconv block once to name the likely cause. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nin/error.h>
#include <nin/health.h>
#include "layer.h"

/* --- statistics -------------------------------------------------------------------------------------- */

/* The statistics of one layer's output y (CNHW: map c of the whole batch is contiguous). */
static void summarize(const nin_layer *l, int batch, const float *y, nin_layer_stats *s)
{
    size_t area = (size_t)l->out.h * l->out.w, per_map = area * batch;
    s->shape = l->out;
    s->maps = l->out.c;
    s->min = INFINITY;
    s->max = -INFINITY;
    double sum = 0.0, sq = 0.0;
    size_t zeros = 0, finite = 0;
    for (int c = 0; c < l->out.c; c++) {
        const float *map = y + c * per_map;
        int alive = 0;
        double lowest = INFINITY, highest = -INFINITY;   /* of the per-sample means of the map */
        for (int n = 0; n < batch; n++) {
            double sample = 0.0;
            for (size_t i = 0; i < area; i++) {
                float v = map[n * area + i];
                if (!isfinite(v)) {
                    s->nonfinite++;
                    continue;
                }
                finite++;
                sum += v;
                sq += (double)v * v;
                zeros += v == 0.0f;
                alive |= v != 0.0f;
                s->min = fmin(s->min, v);
                s->max = fmax(s->max, v);
                sample += v;
            }
            lowest = fmin(lowest, sample / area);
            highest = fmax(highest, sample / area);
        }
        if (l->def.relu && !alive)
            s->dead_maps++;
        if (highest - lowest > s->input_spread)
            s->input_spread = highest - lowest;
    }
    if (finite) {
        s->mean = sum / finite;
        s->std = sqrt(fmax(sq / finite - s->mean * s->mean, 0.0));
        s->zero_fraction = (double)zeros / finite;
    } else {
        s->min = s->max = NAN;
    }
}

int nin_net_layer_stats(nin_net *net, int layer, nin_layer_stats *s)
{
    memset(s, 0, sizeof *s);
    if (layer < 0 || layer >= net->count)
        return nin_fail("layer statistics: layer index %d is out of range 0..%d", layer, net->count - 1);
    if (net->inference)   /* its layers take turns in two buffers: only the last two outputs survive a pass */
        return nin_fail("internal error: layer statistics of an inference network");
    const nin_layer *l = &net->layers[layer];
    size_t count = (size_t)l->out.c * l->out.h * l->out.w * net->batch;
    float *y = l->h_y;
    if (net->ctx) {
        if (!(y = nin_malloc(count * sizeof *y)))
            return -1;
        nin_read(net->ctx, l->y, 0, count * sizeof *y, y);
    }
    summarize(l, net->batch, y, s);
    if (net->ctx)
        free(y);
    return 0;
}

static double norm2(const float *x, size_t n)
{
    double sq = 0.0;
    for (size_t i = 0; i < n; i++)
        sq += (double)x[i] * x[i];
    return sqrt(sq);
}

void nin_net_layer_norms(const nin_net *net, int layer, const float *params, const float *grads,
                         nin_layer_norms *n)
{
    const nin_layer *l = &net->layers[layer];
    memset(n, 0, sizeof *n);
    if (params) {
        n->weights = norm2(params + l->weight_off, l->weights);
        n->biases = norm2(params + l->bias_off, l->biases);
    }
    if (grads) {
        n->weight_grads = norm2(grads + l->weight_off, l->weights);
        n->bias_grads = norm2(grads + l->bias_off, l->biases);
    }
}

const nin_layer_def *nin_net_layer_def(const nin_net *net, int layer) { return &net->layers[layer].def; }

int nin_net_class_layer(const nin_net *net)
{
    int i = net->count - 1;
    while (i > 0 && net->layers[i].weights == 0)
        i--;
    return i;
}

int nin_net_last_block_start(const nin_net *net)
{
    int i = nin_net_class_layer(net);
    while (i > 0 && net->layers[i - 1].weights > 0)
        i--;
    return i;
}

size_t nin_count_nonfinite(const float *x, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += !isfinite(x[i]);
    return bad;
}

int nin_netdef_no_final_relu(nin_netdef *def)
{
    for (int i = def->count - 1; i >= 0; i--)
        if (def->layers[i].kind == NIN_CONV || def->layers[i].kind == NIN_FC || def->layers[i].kind == NIN_BATCHNORM) {
            def->layers[i].relu = 0;
            return 0;
        }
    return -1;
}

/* --- diagnosis --------------------------------------------------------------------------------------- */

/* Class scores that differ between images by less than this (relative to their size) ignore the input. */
static int ignores_input(const nin_layer_stats *s)
{
    return s->input_spread <= 1e-6 * fmax(1.0, fmax(fabs(s->min), fabs(s->max)));
}

static int all_maps_dead(const nin_layer_stats *s) { return s->maps > 0 && s->dead_maps == s->maps; }

/* Dead units (maps of ReLU layers that are 0 on the whole batch) in the last mlpconv block, as a fraction. */
static int block_dead_fraction(nin_net *net, double *fraction)
{
    int dead = 0, maps = 0;
    for (int i = nin_net_last_block_start(net); i <= nin_net_class_layer(net); i++) {
        if (!net->layers[i].def.relu)
            continue;
        nin_layer_stats s;
        if (nin_net_layer_stats(net, i, &s) != 0)
            return -1;
        dead += s.dead_maps;
        maps += s.maps;
    }
    *fraction = maps ? (double)dead / maps : 0.0;
    return 0;
}

/* Why the class scores ignore the input: dead units (a learning rate too high), or a signal that vanishes
 * (an init std too small for the depth: the preprocessed input has unit scale, a layer far below it carries
 * nothing). `dead` is the last block's dead fraction. */
static int explain_ignored_input(nin_net *net, double dead, float lr, char *buf, size_t size)
{
    double weakest = INFINITY;
    int weakest_layer = 0, dead_layer = -1, last = nin_net_class_layer(net);
    for (int i = 0; i < last && dead_layer < 0; i++) {
        if (net->layers[i].weights == 0)
            continue;
        nin_layer_stats l;
        if (nin_net_layer_stats(net, i, &l) != 0)
            return -1;
        if (all_maps_dead(&l))
            dead_layer = i;
        else if (l.std < weakest)
            weakest = l.std, weakest_layer = i;
    }
    if (dead_layer < 0 && weakest < 1e-3)
        snprintf(buf, size, "the class scores are the same for every image: the signal vanishes through the "
                 "layers (activation std %.2g at layer %d), and so do the gradients: the init std is too small "
                 "for this depth; restart with --init data or the default He init (--init-std 0)",
                 weakest, weakest_layer + 1);
    else
        snprintf(buf, size, "the class scores are the same for every image: %.0f%% of the units of the last "
                 "mlpconv block are dead, usually from a learning rate too high for the init; restart with a "
                 "lower --lr (now %g), --init data or another --init-std", 100.0 * dead, lr);
    return 0;
}

/* A diagnosis that could not read the statistics: the last error is its line too. */
static int diagnosis_failed(char *buf, size_t size)
{
    snprintf(buf, size, "%s", nin_last_error());
    return -1;
}

int nin_health_diagnose(nin_net *net, double loss, float lr, char *buf, size_t size)
{
    int classes = nin_net_output_shape(net).c, last = nin_net_class_layer(net);
    double chance = log((double)classes), dead;
    nin_layer_stats s;
    if (block_dead_fraction(net, &dead) != 0 || nin_net_layer_stats(net, last, &s) != 0)
        return diagnosis_failed(buf, size);
    if (s.nonfinite || !isfinite(loss)) {
        snprintf(buf, size, "%zu class-layer activations are NaN or Inf: the weights have blown up, the learning "
                 "rate %g is too high for this network and init; restart with a lower --lr or a longer --warmup",
                 s.nonfinite, lr);
        return 0;
    }
    if (all_maps_dead(&s)) {
        snprintf(buf, size, "all %d class maps are 0 on every image: the ReLU after the last 1x1 convolution has "
                 "died, the softmax is uniform, and a dead ReLU passes no gradient, so it seldom recovers; restart "
                 "with --no-final-relu (or a netdef ending in %dc1l) and a lower --lr (now %g)",
                 s.maps, classes, lr);
        return 0;
    }
    if (ignores_input(&s))
        return explain_ignored_input(net, dead, lr, buf, size) != 0 ? diagnosis_failed(buf, size) : 0;
    if (fabs(loss - chance) < 1e-3) {
        snprintf(buf, size, "the class maps respond to the input (%.0f%% dead units in the last mlpconv block) but "
                 "the softmax is still uniform: the network has not started to learn; try a lower --lr (now %g), "
                 "a longer --warmup or --init data", 100.0 * dead, lr);
        return 0;
    }
    if (loss > chance + 1.0) {
        snprintf(buf, size, "the loss %.4f is far above ln(%d) = %.4f, worse than a uniform guess: confident wrong "
                 "predictions, typically a learning rate (now %g) too high for the init; lower --lr or lengthen "
                 "--warmup", loss, classes, chance, lr);
        return 0;
    }
    int n = snprintf(buf, size, "looks healthy: loss %.4f %s ln(%d) = %.4f, the class scores depend on the input, "
                     "%.0f%% dead units in the last mlpconv block", loss, loss < chance ? "below" : "near",
                     classes, chance, 100.0 * dead);
    if (s.dead_maps && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - n, "; %d of %d class maps are 0 on this batch (they cannot score until they "
                 "respond again)", s.dead_maps, s.maps);
    return 1;
}

/* --- the monitor ------------------------------------------------------------------------------------- */

void nin_health_init(nin_health *h, int classes, uint64_t warmup, int stall_steps, nin_sum_fn *sum)
{
    memset(h, 0, sizeof *h);
    h->classes = classes;
    h->chance = log((double)classes);
    h->warmup = warmup;
    h->stall_steps = stall_steps > 0 ? stall_steps : NIN_HEALTH_STALL_STEPS;
    h->sum = sum;
}

/* Whether the class scores ignore the input on the current batch: one read of the class layer; in a
 * data-parallel run, on every process's share. 1 or 0, or -1 with the last error when a process could not
 * read its share (then every process returns -1: none is left waiting for the others). */
static int scores_ignore_input(nin_health *h, nin_net *net)
{
    nin_layer_stats s;
    int failed = nin_net_layer_stats(net, nin_net_class_layer(net), &s) != 0;
    /* processes that see it, all, those that failed */
    double votes[3] = { !failed && (all_maps_dead(&s) || ignores_input(&s)), 1.0, failed };
    if (h->sum)
        h->sum(votes, 3);
    if (votes[2] > 0.0 && !failed)
        nin_fail("the health check failed on another process");
    return votes[2] > 0.0 ? -1 : votes[0] == votes[1];
}

/* The monitor cannot read the network: the last error is its message. */
static nin_health_event health_error(nin_health *h)
{
    snprintf(h->message, sizeof h->message, "%s", nin_last_error());
    return NIN_HEALTH_ERROR;
}

/* What a symptom looks like, for its warning. */
static void describe_symptom(const nin_health *h, nin_health_event symptom, float loss, char *what, size_t size)
{
    switch (symptom) {
    case NIN_HEALTH_DEAD:
        snprintf(what, size, "the class scores ignore the input (loss %.4f, ln(%d) = %.4f)", loss, h->classes,
                 h->chance);
        break;
    case NIN_HEALTH_CHANCE:
        snprintf(what, size, "the loss has stayed within 1e-3 of ln(%d) = %.4f for %d steps (chance level)",
                 h->classes, h->chance, h->at_chance);
        break;
    default:
        snprintf(what, size, "the loss is rising: %.4f averaged over the last %d steps, against a best of %.4f",
                 h->smooth, h->stall_steps, h->best);
        break;
    }
}

nin_health_event nin_health_step(nin_health *h, nin_net *net, uint64_t step, float loss, float lr)
{
    if (!isfinite(loss)) {
        snprintf(h->message, sizeof h->message, "the loss became %s at step %llu: the learning rate %g is too "
                 "high for this network and init (try a lower --lr, a longer --warmup or --init data)",
                 isnan(loss) ? "NaN" : "Inf", (unsigned long long)step, lr);
        return NIN_HEALTH_NONFINITE;
    }
    double alpha = 2.0 / (h->stall_steps + 1);   /* an average over about stall_steps steps */
    h->smooth = h->seen++ ? h->smooth + alpha * (loss - h->smooth) : loss;
    h->best = h->seen == 1 || h->smooth < h->best ? h->smooth : h->best;
    h->at_chance = fabs(loss - h->chance) < 1e-3 ? h->at_chance + 1 : 0;
    h->rising = h->smooth > h->best + fmax(1.0, h->best) ? h->rising + 1 : 0;
    if (step < h->warmup)
        return NIN_HEALTH_OK;

    if (step % (uint64_t)h->stall_steps == 0) {   /* the one extra device read, every stall_steps steps */
        int dead = scores_ignore_input(h, net);
        if (dead < 0)
            return health_error(h);
        h->dead = dead;
    }
    nin_health_event symptom = NIN_HEALTH_OK;
    if (h->dead)
        symptom = NIN_HEALTH_DEAD;
    else if (h->at_chance >= h->stall_steps)
        symptom = NIN_HEALTH_CHANCE;
    else if (h->rising >= h->stall_steps)
        symptom = NIN_HEALTH_RISING;
    /* at chance and ignoring the input are one stall seen two ways: moving between them is no news */
    int stall = symptom == NIN_HEALTH_CHANCE || symptom == NIN_HEALTH_DEAD;
    int was_stall = h->active == NIN_HEALTH_CHANCE || h->active == NIN_HEALTH_DEAD;
    if (symptom == h->active || (stall && was_stall))
        return NIN_HEALTH_OK;
    if (symptom == NIN_HEALTH_OK) {
        h->active = NIN_HEALTH_OK;
        snprintf(h->message, sizeof h->message, "step %llu: the loss is %.4f: the warning above no longer holds",
                 (unsigned long long)step, loss);
        return NIN_HEALTH_RECOVERED;
    }
    char what[200], cause[700];
    describe_symptom(h, symptom, loss, what, sizeof what);
    int healthy = nin_health_diagnose(net, loss, lr, cause, sizeof cause);
    if (healthy < 0)
        return health_error(h);
    if (healthy && symptom == NIN_HEALTH_RISING)
        snprintf(cause, sizeof cause, "the learning rate %g is too high for this network and init; lower --lr or "
                 "lengthen --warmup", lr);
    h->active = symptom;
    snprintf(h->message, sizeof h->message, "step %llu: %s: %s", (unsigned long long)step, what, cause);
    return symptom;
}
