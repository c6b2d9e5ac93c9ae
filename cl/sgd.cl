/* sgd.cl - SGD with momentum and weight decay (weights only: they precede the biases), over the piece of the
 * parameters from index `first` on that has learning rate lr (sgd.c: the per-parameter multipliers). */

__kernel void sgd_update(__global float *w, __global const float *grad, __global float *v, int first, int weights,
                         float lr, float momentum, float decay)
{
    int i = first + (int)get_global_id(0);
    float g = grad[i] + (i < weights ? decay * w[i] : 0.0f);
    float vi = momentum * v[i] + g;
    v[i] = vi;
    w[i] -= lr * vi;
}

/* Element-shaped variant (common.cl): the same update over a 1-D range of whole work-groups, `count` values. */
__kernel void sgd_update_el(__global float *w, __global const float *grad, __global float *v, int first, int weights,
                            float lr, float momentum, float decay, int count)
{
    if ((int)get_global_id(0) >= count)
        return;
    int i = first + (int)get_global_id(0);
    float g = grad[i] + (i < weights ? decay * w[i] : 0.0f);
    float vi = momentum * v[i] + g;
    v[i] = vi;
    w[i] -= lr * vi;
}
