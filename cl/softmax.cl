/* softmax.cl - softmax cross-entropy per sample on logits z[c * N + n], and the batch sums. */

/* Per sample n: sample_metrics[2n] = loss, [2n + 1] = 1 when the first arg-max is the label;
 * dz = (softmax(z) - onehot(label)) / total, total the global batch this batch of N is part of (N itself
 * in one process): summed over the processes, the gradients are the global batch's mean. */
__kernel void softmax_xent(__global const float *z, __global const int *labels, __global float *dz,
                           __global float *sample_metrics, int C, int N, int total)
{
    int n = get_global_id(0), label = labels[n], best = 0;
    float max = z[n];
    for (int c = 1; c < C; c++)
        if (z[c * N + n] > max) {
            max = z[c * N + n];
            best = c;
        }
    float sum = 0.0f;
    for (int c = 0; c < C; c++)
        sum += exp(z[c * N + n] - max);
    sample_metrics[2 * n] = log(sum) + max - z[label * N + n];
    sample_metrics[2 * n + 1] = best == label ? 1.0f : 0.0f;
    for (int c = 0; c < C; c++)
        dz[c * N + n] = (exp(z[c * N + n] - max) / sum - (c == label ? 1.0f : 0.0f)) / (float)total;
}

/* metrics[0] = total loss, metrics[1] = correct count: a single work-item, N is one batch. */
__kernel void metrics_sum(__global const float *sample_metrics, __global float *metrics, int N)
{
    float loss = 0.0f, correct = 0.0f;
    for (int n = 0; n < N; n++) {
        loss += sample_metrics[2 * n];
        correct += sample_metrics[2 * n + 1];
    }
    metrics[0] = loss;
    metrics[1] = correct;
}

/* Element-shaped variants (common.cl). softmax_xent_el: work-group n is sample n, its work-items the classes
 * t, t + NIN_GROUP, ...; the maximum (its first index on ties, as softmax_xent) and the sum of exponentials are
 * reduced in local memory. */
__kernel void softmax_xent_el(__global const float *z, __global const int *labels, __global float *dz,
                              __global float *sample_metrics, int C, int N, int total)
{
    __local float top[NIN_GROUP], scratch[NIN_GROUP];
    __local int where[NIN_GROUP];
    int n = get_group_id(0), t = get_local_id(0), label = labels[n];
    float max = -INFINITY;
    int best = C;
    for (int c = t; c < C; c += NIN_GROUP)
        if (z[c * N + n] > max || best == C) {
            max = z[c * N + n];
            best = c;
        }
    top[t] = max;
    where[t] = best;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int span = NIN_GROUP / 2; span > 0; span >>= 1) {
        if (t < span && (top[t + span] > top[t] || (top[t + span] == top[t] && where[t + span] < where[t]))) {
            top[t] = top[t + span];
            where[t] = where[t + span];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    max = top[0];
    best = where[0];
    float sum = 0.0f;
    for (int c = t; c < C; c += NIN_GROUP)
        sum += exp(z[c * N + n] - max);
    sum = nin_group_sum(sum, scratch);
    if (t == 0) {
        sample_metrics[2 * n] = log(sum) + max - z[label * N + n];
        sample_metrics[2 * n + 1] = best == label ? 1.0f : 0.0f;
    }
    for (int c = t; c < C; c += NIN_GROUP)
        dz[c * N + n] = (exp(z[c * N + n] - max) / sum - (c == label ? 1.0f : 0.0f)) / (float)total;
}

/* metrics_sum in one work-group of NIN_GROUP. */
__kernel void metrics_sum_el(__global const float *sample_metrics, __global float *metrics, int N)
{
    __local float scratch[NIN_GROUP];
    float loss = 0.0f, correct = 0.0f;
    for (int n = get_local_id(0); n < N; n += NIN_GROUP) {
        loss += sample_metrics[2 * n];
        correct += sample_metrics[2 * n + 1];
    }
    loss = nin_group_sum(loss, scratch);
    correct = nin_group_sum(correct, scratch);
    if (get_local_id(0) == 0) {
        metrics[0] = loss;
        metrics[1] = correct;
    }
}
