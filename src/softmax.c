/* softmax.c - the loss: softmax + cross-entropy on logits (classes x batch), with the accuracy count.
 * Stable form: loss = log(sum exp(z - max)) + max - z[label]; dL/dz = (softmax(z) - onehot) / batch, where
 * batch is the global batch of a data-parallel run (nin_net_set_shard): the ranks' gradients then add up
 * to the mean over the global batch. */
#include <math.h>
#include "layer.h"

void nin_softmax_loss(nin_net *net, int classes, cl_mem logits, cl_mem dlogits)
{
    if (nin_element_shaped(net->ctx, NIN_KF_SOFTMAX)) {   /* a work-group per sample; one for the sums */
        NIN_RUN_EL(net->ctx, "softmax_xent_el", (size_t)net->batch * NIN_GROUP, 1, KARG(logits), KARG(net->d_labels),
                   KARG(dlogits), KARG(net->d_sample_metrics), KARG(classes), KARG(net->batch),
                   KARG(net->shard_total));
        NIN_RUN_EL(net->ctx, "metrics_sum_el", NIN_GROUP, 1, KARG(net->d_sample_metrics), KARG(net->d_metrics),
                   KARG(net->batch));
        return;
    }
    NIN_RUN(net->ctx, "softmax_xent", (size_t)net->batch, 0, KARG(logits), KARG(net->d_labels), KARG(dlogits),
            KARG(net->d_sample_metrics), KARG(classes), KARG(net->batch), KARG(net->shard_total));
    NIN_RUN(net->ctx, "metrics_sum", 1, 1, KARG(net->d_sample_metrics), KARG(net->d_metrics), KARG(net->batch));
}

void nin_softmax_loss_ref(nin_net *net, int classes, const float *logits, float *dlogits)
{
    int n_batch = net->batch;
    double loss = 0.0;
    int correct = 0;
    for (int n = 0; n < n_batch; n++) {
        int label = net->labels[n], best = 0;
        float max = logits[n];
        for (int c = 1; c < classes; c++)
            if (logits[c * n_batch + n] > max) {
                max = logits[c * n_batch + n];
                best = c;
            }
        double sum = 0.0;
        for (int c = 0; c < classes; c++)
            sum += exp((double)logits[c * n_batch + n] - max);
        loss += log(sum) + max - logits[label * n_batch + n];
        correct += best == label;
        for (int c = 0; c < classes; c++) {
            double p = exp((double)logits[c * n_batch + n] - max) / sum;
            dlogits[c * n_batch + n] = (float)((p - (c == label)) / net->shard_total);
        }
    }
    net->h_metrics[0] = (float)loss;
    net->h_metrics[1] = (float)correct;
}
