/* schedule.c - the learning rate of each training step, from the run's settings alone (nin/train.h). Step s
 * (counted from 0 over the whole run; S steps an epoch, W = --warmup, lr = --lr, E = --epochs) runs at
 *   rate(s) * (s + 1) / W  while s < W (the linear warm-up, for every schedule),  rate(s) after it, where
 *   plateau: rate = the current rate, which the training loop divides by 10 after --patience epochs without a
 *            better validation accuracy (train.c: the one schedule that depends on the accuracies);
 *   step:    rate = lr / 10^k in epoch e = floor(s / S), k the number of --lr-steps E_j <= e: after E_1 completed
 *            epochs lr/10, after E_2 lr/100 (Caffe's multistep);
 *   cosine:  rate = lr * (1 + cos(pi * t / T)) / 2, t = s - W the steps since the warm-up, T = E * S - W the steps
 *            from its end to the end of the last epoch; lr at t = 0, lr/2 at t = T/2, 0 from t = T on.
 * Nothing is kept between steps, so a resumed run computes the rates of an uninterrupted one. */
#include <math.h>
#include <nin/train.h>

#define PI 3.14159265358979323846

/* Cosine annealing from lr at the end of the warm-up to 0 at the end of the run (lr during the warm-up, even
 * one longer than the run). */
static float cosine_rate(const nin_train_config *cfg, uint64_t step, int steps_per_epoch)
{
    if (step < (uint64_t)cfg->warmup)
        return cfg->lr;
    int64_t t = (int64_t)(step - (uint64_t)cfg->warmup);
    int64_t horizon = (int64_t)cfg->epochs * steps_per_epoch - cfg->warmup;
    if (t >= horizon)
        return 0.0f;
    return (float)(cfg->lr * 0.5 * (1.0 + cos(PI * (double)t / (double)horizon)));
}

/* Caffe's multistep: lr divided by 10 once for each listed epoch already completed. */
static float step_rate(const nin_train_config *cfg, uint64_t step, int steps_per_epoch)
{
    uint64_t epoch = step / (uint64_t)steps_per_epoch;
    float rate = cfg->lr;
    for (int i = 0; i < NIN_MAX_LR_STEPS && cfg->lr_steps[i] > 0 && (uint64_t)cfg->lr_steps[i] <= epoch; i++)
        rate /= 10.0f;
    return rate;
}

float nin_schedule_lr(const nin_train_config *cfg, float plateau_lr, uint64_t step, int steps_per_epoch)
{
    if (steps_per_epoch < 1)
        steps_per_epoch = 1;
    switch (cfg->schedule) {
    case NIN_SCHEDULE_STEP: return step_rate(cfg, step, steps_per_epoch);
    case NIN_SCHEDULE_COSINE: return cosine_rate(cfg, step, steps_per_epoch);
    case NIN_SCHEDULE_PLATEAU: break;
    }
    return plateau_lr;
}

float nin_train_lr(const nin_train_config *cfg, float plateau_lr, uint64_t step, int steps_per_epoch)
{
    float rate = nin_schedule_lr(cfg, plateau_lr, step, steps_per_epoch);
    return step < (uint64_t)cfg->warmup ? rate * (float)(step + 1) / cfg->warmup : rate;
}
