/* sgd.c - SGD with momentum and L2 weight decay, in PyTorch's form, over the trainable parameters:
 *   g = grad + decay * w (weights only, not biases),  v = momentum * v + g,  w -= lr * mult * v,
 * with Caffe's per-parameter learning-rate multipliers: mult is bias_lr_mult for a bias, class_lr_mult for a
 * weight of the class layer, their product for its bias, 1 for every other weight (nin_net_set_lr_mult).
 * Weights come before biases in the buffer, so "is a weight" is "index < weight count"; the running statistics
 * after the biases are not touched. The multipliers cut the trainable range into pieces of one rate: the
 * weights before the class layer's, its weights, the weights after them, and the same three of the biases (the
 * class layer is the last with parameters, so the third and the sixth are empty). Neighbours of one rate are
 * merged: without multipliers the update is one launch over the whole range, as it always was. */
#include "layer.h"

#define MAX_PIECES 6

typedef struct piece { size_t first, end; float lr; } piece;

/* The trainable range as consecutive pieces of one learning rate each; returns their count. */
static int rate_pieces(const nin_net *net, float lr, piece *out)
{
    const nin_layer *c = net->class_layer >= 0 ? &net->layers[net->class_layer] : NULL;
    size_t w0 = c ? c->weight_off : net->weights, w1 = c ? w0 + c->weights : net->weights;
    size_t b0 = c ? c->bias_off : net->trainable, b1 = c ? b0 + c->biases : net->trainable;
    float bias_lr = lr * net->bias_lr_mult;
    const piece all[MAX_PIECES] = {
        { 0, w0, lr }, { w0, w1, lr * net->class_lr_mult }, { w1, net->weights, lr },
        { net->weights, b0, bias_lr }, { b0, b1, bias_lr * net->class_lr_mult }, { b1, net->trainable, bias_lr },
    };
    int n = 0;
    for (int i = 0; i < MAX_PIECES; i++) {
        if (all[i].end == all[i].first)
            continue;
        if (n > 0 && out[n - 1].lr == all[i].lr)
            out[n - 1].end = all[i].end;
        else
            out[n++] = all[i];
    }
    return n;
}

void nin_sgd_update(nin_net *net, nin_sgd_step sgd)
{
    piece pieces[MAX_PIECES];
    int weights = (int)net->weights, n = rate_pieces(net, sgd.lr, pieces);
    for (int i = 0; i < n; i++) {
        int first = (int)pieces[i].first, count = (int)(pieces[i].end - pieces[i].first);
        if (nin_element_shaped(net->ctx, NIN_KF_SGD))
            NIN_RUN_EL(net->ctx, "sgd_update_el", (size_t)count, 1, KARG(net->d_params), KARG(net->d_grads),
                       KARG(net->d_momentum), KARG(first), KARG(weights), KARG(pieces[i].lr), KARG(sgd.momentum),
                       KARG(sgd.weight_decay), KARG(count));
        else
            NIN_RUN(net->ctx, "sgd_update", (size_t)count, 0, KARG(net->d_params), KARG(net->d_grads),
                    KARG(net->d_momentum), KARG(first), KARG(weights), KARG(pieces[i].lr), KARG(sgd.momentum),
                    KARG(sgd.weight_decay));
    }
}

void nin_sgd_update_ref(nin_net *net, nin_sgd_step sgd)
{
    piece pieces[MAX_PIECES];
    int n = rate_pieces(net, sgd.lr, pieces);
    for (int k = 0; k < n; k++)
        for (size_t i = pieces[k].first; i < pieces[k].end; i++) {
            float g = net->h_grads[i] + (i < net->weights ? sgd.weight_decay * net->h_params[i] : 0.0f);
            net->h_momentum[i] = sgd.momentum * net->h_momentum[i] + g;
            net->h_params[i] -= pieces[k].lr * net->h_momentum[i];
        }
}
