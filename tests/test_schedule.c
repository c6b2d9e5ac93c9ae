/* test_schedule.c - the learning rate at given steps (host only): the warm-up of every schedule, the plateau's
 * current rate passed through, the step schedule's boundaries (Caffe's multistep), the cosine's start, quarter,
 * midpoint lr/2 and end 0, and its horizon following --epochs. */
#include <math.h>
#include "harness.h"

/* lr 0.1, 100 steps an epoch, the given schedule and warm-up. */
static nin_train_config config(nin_schedule schedule, int warmup)
{
    nin_train_config cfg;
    nin_train_config_defaults(&cfg, "mnist");
    cfg.lr = 0.1f;
    cfg.epochs = 10;
    cfg.schedule = schedule;
    cfg.warmup = warmup;
    return cfg;
}

static void expect_lr(const nin_train_config *cfg, float plateau_lr, uint64_t step, double want)
{
    float got = nin_train_lr(cfg, plateau_lr, step, 100);
    ck_assert_msg(fabs(got - want) <= 1e-6 * want + 1e-12, "%s schedule, step %llu: lr %.9g, not %.9g",
                  nin_schedule_name(cfg->schedule), (unsigned long long)step, got, want);
}

/* The warm-up rises linearly to the schedule's rate over --warmup steps: step s at rate * (s + 1) / W. */
START_TEST(test_warmup)
{
    nin_train_config cfg = config(NIN_SCHEDULE_PLATEAU, 10);
    expect_lr(&cfg, 0.1f, 0, 0.01);
    expect_lr(&cfg, 0.1f, 4, 0.05);
    expect_lr(&cfg, 0.1f, 9, 0.1);
    expect_lr(&cfg, 0.1f, 10, 0.1);
    expect_lr(&cfg, 0.01f, 4, 0.005);   /* the plateau's own rate, lowered after a resume, warms up too */
    ck_assert(nin_schedule_lr(&cfg, 0.1f, 4, 100) == 0.1f);   /* the schedule's rate, warm-up aside */
    cfg.warmup = 0;
    expect_lr(&cfg, 0.1f, 0, 0.1);
}
END_TEST

/* plateau: the rate the training loop holds, at any step. */
START_TEST(test_plateau)
{
    nin_train_config cfg = config(NIN_SCHEDULE_PLATEAU, 0);
    expect_lr(&cfg, 0.1f, 123456, 0.1);
    expect_lr(&cfg, 0.001f, 7, 0.001);
}
END_TEST

/* step --lr-steps 2,5: epochs 1-2 at lr, 3-5 at lr/10, from 6 on lr/100 (steps counted from 0, 100 an epoch). */
START_TEST(test_step)
{
    nin_train_config cfg = config(NIN_SCHEDULE_STEP, 0);
    cfg.lr_steps[0] = 2, cfg.lr_steps[1] = 5;
    expect_lr(&cfg, 7.0f, 0, 0.1);   /* the plateau's rate is not this schedule's */
    expect_lr(&cfg, 7.0f, 199, 0.1);
    expect_lr(&cfg, 7.0f, 200, 0.01);
    expect_lr(&cfg, 7.0f, 499, 0.01);
    expect_lr(&cfg, 7.0f, 500, 0.001);
    expect_lr(&cfg, 7.0f, 1000000, 0.001);
    cfg.warmup = 50;
    expect_lr(&cfg, 7.0f, 9, 0.1 * 10 / 50);
    cfg.lr_steps[0] = 0;   /* none */
    expect_lr(&cfg, 7.0f, 5000, 0.1);
}
END_TEST

/* cosine over 10 epochs of 100 steps after 100 steps of warm-up: T = 900 steps from lr to 0. */
START_TEST(test_cosine)
{
    nin_train_config cfg = config(NIN_SCHEDULE_COSINE, 100);
    expect_lr(&cfg, 7.0f, 49, 0.05);    /* warming up to lr */
    expect_lr(&cfg, 7.0f, 99, 0.1);
    expect_lr(&cfg, 7.0f, 100, 0.1);    /* t = 0 */
    expect_lr(&cfg, 7.0f, 100 + 225, 0.05 * (1.0 + cos(M_PI / 4)));
    expect_lr(&cfg, 7.0f, 100 + 450, 0.05);   /* the midpoint: lr/2 */
    expect_lr(&cfg, 7.0f, 999, 0.05 * (1.0 + cos(M_PI * 899 / 900)));   /* the last step of the run */
    expect_lr(&cfg, 7.0f, 1000, 0.0);   /* the end: 0 */
    expect_lr(&cfg, 7.0f, 5000, 0.0);
    cfg.epochs = 20;   /* another --epochs at --resume: the curve of the new horizon, T = 1900 */
    expect_lr(&cfg, 7.0f, 100 + 950, 0.05);
    cfg.epochs = 1, cfg.warmup = 300;   /* a warm-up longer than the run warms up to lr */
    expect_lr(&cfg, 7.0f, 5, 0.1 * 6 / 300);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("schedule");
    TCase *tc = tcase_create("schedule");
    tcase_add_test(tc, test_warmup);
    tcase_add_test(tc, test_plateau);
    tcase_add_test(tc, test_step);
    tcase_add_test(tc, test_cosine);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
