/* sgd.c - SGD with momentum and L2 weight decay, in PyTorch's form, over the trainable parameters:
 *   g = grad + decay * w (weights only, not biases),  v = momentum * v + g,  w -= lr * v.
 * Weights come before biases in the buffer, so "is a weight" is "index < weight count"; the running statistics
 * after the biases are not touched. */
#include "layer.h"

void nin_sgd_update(nin_net *net, nin_sgd_step sgd)
{
    int weights = (int)net->weights;
    NIN_RUN(net->ctx, "sgd_update", net->trainable, 0, KARG(net->d_params), KARG(net->d_grads), KARG(net->d_momentum),
            KARG(weights), KARG(sgd.lr), KARG(sgd.momentum), KARG(sgd.weight_decay));
}

void nin_sgd_update_ref(nin_net *net, nin_sgd_step sgd)
{
    for (size_t i = 0; i < net->trainable; i++) {
        float g = net->h_grads[i] + (i < net->weights ? sgd.weight_decay * net->h_params[i] : 0.0f);
        net->h_momentum[i] = sgd.momentum * net->h_momentum[i] + g;
        net->h_params[i] -= sgd.lr * net->h_momentum[i];
    }
}
