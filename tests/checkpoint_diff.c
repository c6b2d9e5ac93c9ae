/* checkpoint_diff.c - compare two checkpoints of the same run, for tests/mpi.sh.
 *
 *     checkpoint_diff A.nin B.nin TOLERANCE
 *
 * Prints the largest absolute difference of the weights and of the momentum, and the training position of
 * each. Exits 0 when both differences are within TOLERANCE and the two stand at the same step, else 1. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <nin/train.h>

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double diff = 0.0;
    for (size_t i = 0; i < n; i++)
        diff = fmax(diff, fabs((double)a[i] - b[i]));
    return diff;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: checkpoint_diff A.nin B.nin TOLERANCE\n");
        return 2;
    }
    nin_checkpoint a, b;
    char err[1400];
    if (nin_checkpoint_load(argv[1], &a, err, sizeof err) != 0 || nin_checkpoint_load(argv[2], &b, err, sizeof err) != 0) {
        fprintf(stderr, "checkpoint_diff: %s\n", err);
        return 1;
    }
    if (a.params != b.params) {
        fprintf(stderr, "checkpoint_diff: %s holds %zu parameters, %s %zu\n", argv[1], a.params, argv[2], b.params);
        return 1;
    }
    double tolerance = atof(argv[3]);
    double weights = max_abs_diff(a.weights, b.weights, a.params), momentum = max_abs_diff(a.momentum, b.momentum, a.params);
    printf("%zu parameters: max |weights diff| %.3g, max |momentum diff| %.3g; step %llu (epoch %d step %d) vs "
           "%llu (epoch %d step %d)\n",
           a.params, weights, momentum, (unsigned long long)a.state.step, a.state.epoch + 1, a.state.step_in_epoch,
           (unsigned long long)b.state.step, b.state.epoch + 1, b.state.step_in_epoch);
    int same = weights <= tolerance && momentum <= tolerance && a.state.step == b.state.step &&
               a.state.epoch == b.state.epoch && a.state.step_in_epoch == b.state.step_in_epoch;
    nin_checkpoint_free(&a);
    nin_checkpoint_free(&b);
    return same ? 0 : 1;
}
