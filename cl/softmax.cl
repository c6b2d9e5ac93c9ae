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
