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
