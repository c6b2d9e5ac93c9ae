/* net.c - a network: layers built from a netdef, one parameter buffer, and the forward/backward/update
 * passes. The same code drives the device (ctx != NULL: kernels enqueued on the one in-order queue, no
 * host synchronisation between layers) and the plain-C reference (ctx == NULL).
 *
 * Every public function returns the network's status: device errors recorded in the context while the
 * layers enqueued their work (runtime_impl.h) come back here, as -1 with the message in nin_last_error(). */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "net_impl.h"

static const nin_layer_ops *ops_of(nin_layer_kind kind)
{
    switch (kind) {
    case NIN_CONV: return &nin_conv_ops;
    case NIN_FC: return &nin_fc_ops;
    case NIN_MAXPOOL: return &nin_maxpool_ops;
    case NIN_AVGPOOL: return &nin_avgpool_ops;
    case NIN_DROPOUT: return &nin_dropout_ops;
    case NIN_GAP: return &nin_gap_ops;
    case NIN_BATCHNORM: return &nin_batchnorm_ops;
    }
    return NULL;
}

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

/* 0, or -1 with the first error since the last status: a device error, or a reference layer out of memory. */
static int net_status(nin_net *net)
{
    if (net->host_failed) {
        net->host_failed = 0;
        return -1;   /* nin_ref_sums left the message */
    }
    return net->ctx ? nin_context_status(net->ctx) : 0;
}

/* A buffer of `floats` elements on the device, or on the host for the reference network; none for 0.
 * 0, or -1 with the error. */
static int alloc_buffer(nin_net *net, size_t floats, cl_mem *device, float **host)
{
    if (floats == 0)
        return 0;
    if (net->ctx)
        *device = nin_buffer(net->ctx, floats * sizeof(float));
    else
        *host = nin_calloc(floats, sizeof(float));
    return (net->ctx ? (void *)*device : (void *)*host) ? 0 : -1;
}

int nin_net_layout(nin_net *net, const nin_netdef *def, char *err, size_t err_size)
{
    nin_shape shape = net->input;
    char token[64];
    if (net->batch <= 0 || shape.c <= 0 || shape.h <= 0 || shape.w <= 0)
        return nin_set_error(err, err_size, "bad network input: batch %d of %dx%dx%d", net->batch, shape.c, shape.h,
                             shape.w);
    if (def->count == 0)
        return nin_set_error(err, err_size, "empty network definition");
    for (int i = 0; i < def->count; i++) {
        nin_layer *l = &net->layers[i];
        memset(l, 0, sizeof *l);
        l->def = def->layers[i];
        l->ops = ops_of(l->def.kind);
        l->index = i;
        l->in = shape;
        if (!l->ops)
            return nin_set_error(err, err_size, "layer %d has an unknown kind %d", i + 1, (int)l->def.kind);
        nin_netdef_format(&(nin_netdef){ 1, { l->def } }, token, sizeof token);
        /* the layers compute kernel volumes and output sizes in int: refuse what would overflow them */
        double window = l->def.kind == NIN_FC ? (double)shape.c * shape.h * shape.w
                        : l->def.kind == NIN_CONV ? (double)shape.c * l->def.size * l->def.size : 0.0;
        if (window > INT_MAX)
            return nin_set_error(err, err_size, "layer %d (%s) is too large for its %dx%dx%d input", i + 1, token,
                                 shape.c, shape.h, shape.w);
        l->ops->setup(l, net->batch);
        if (l->out.c <= 0 || l->out.h <= 0 || l->out.w <= 0)
            return nin_set_error(err, err_size, "layer %d (%s) does not fit its %dx%dx%d input", i + 1, token,
                                 l->in.c, l->in.h, l->in.w);
        double volume = (double)l->out.c * l->out.h * l->out.w * net->batch;
        if (volume > INT_MAX || (double)l->weights > INT_MAX)
            return nin_set_error(err, err_size, "batch %d is too large for this network: layer %d (%s) would need "
                                 "more than 2^31 floats", net->batch, i + 1, token);
        net->max_activation = max_size(net->max_activation, max_size(nin_volume(l->in, net->batch),
                                                                     nin_volume(l->out, net->batch)));
        net->workspace = max_size(net->workspace, l->workspace);
        net->bias_partials = max_size(net->bias_partials, l->bias_partials);
        shape = l->out;
    }
    net->count = def->count;
    if (net->max_activation > INT_MAX || net->workspace > INT_MAX)
        return nin_set_error(err, err_size, "batch %d is too large for this network: a buffer would exceed 2^31 floats",
                             net->batch);
    /* weights of every layer first, then every bias, then the running statistics: weight decay applies to a
     * prefix of the buffer, the optimizer to a longer one */
    for (int i = 0; i < net->count; i++) {
        net->layers[i].weight_off = net->weights;
        net->weights += net->layers[i].weights;
    }
    net->params = net->weights;
    for (int i = 0; i < net->count; i++) {
        net->layers[i].bias_off = net->params;
        net->params += net->layers[i].biases;
    }
    net->trainable = net->params;
    for (int i = 0; i < net->count; i++) {
        net->layers[i].stats_off = net->params;
        net->params += net->layers[i].stats;
    }
    if (net->params > INT_MAX)
        return nin_set_error(err, err_size, "the network has %zu parameters, more than 2^31", net->params);
    return 0;
}

nin_net *nin_net_plan(const nin_netdef *def, nin_shape input, int batch, char *err, size_t err_size)
{
    nin_net *net = nin_calloc(1, sizeof *net);
    if (!net) {
        nin_set_error(err, err_size, "%s", nin_last_error());
        return NULL;
    }
    net->batch = batch;
    net->input = input;
    if (nin_net_layout(net, def, err, err_size) == 0)
        return net;
    free(net);
    return NULL;
}

/* The device or host buffers of the batch, the parameters and the gradients: 0, or -1 with the error. */
static int alloc_net_buffers(nin_net *net)
{
    size_t in_volume = nin_volume(net->input, net->batch), none = net->inference ? 0 : net->params;
    /* inference: delta[0] only receives the loss layer's gradient of the logits */
    size_t delta = net->inference ? nin_volume(net->layers[net->count - 1].out, net->batch) : net->max_activation;
    if (!(net->labels = nin_calloc(net->batch, sizeof *net->labels)) ||
        !(net->staging = nin_malloc(max_size(in_volume, net->max_activation) * sizeof(float))))
        return -1;
    return alloc_buffer(net, in_volume, &net->d_input, &net->h_input) ||
           alloc_buffer(net, net->params, &net->d_params, &net->h_params) ||
           alloc_buffer(net, none, &net->d_grads, &net->h_grads) ||
           alloc_buffer(net, none, &net->d_momentum, &net->h_momentum) ||
           alloc_buffer(net, net->workspace, &net->d_work, &net->h_work) ||
           alloc_buffer(net, delta, &net->d_delta[0], &net->h_delta[0]) ||
           alloc_buffer(net, net->inference ? 0 : delta, &net->d_delta[1], &net->h_delta[1]) ? -1 : 0;
}

/* Every layer's output and private state. A training network keeps every layer's output for the backward
 * pass; an inference network (the memory plan of `test` and `predict`) lets the layers take turns in two
 * buffers, each layer reading the one its predecessor wrote. 0, or -1 with the error. */
static int alloc_layer_buffers(nin_net *net)
{
    size_t largest_output = 0;
    for (int i = 0; i < net->count; i++)
        largest_output = max_size(largest_output, nin_volume(net->layers[i].out, net->batch));
    for (int i = 0; i < net->count; i++) {
        nin_layer *l = &net->layers[i];
        if (!net->inference || i < 2) {
            if (alloc_buffer(net, net->inference ? largest_output : nin_volume(l->out, net->batch), &l->y, &l->h_y))
                return -1;
        } else if (net->ctx) {   /* layer i shares layer i % 2's buffer; every layer holds a reference */
            if (CL_CHECK(NULL, clRetainMemObject(net->layers[i % 2].y)))
                return -1;
            l->y = net->layers[i % 2].y;
        } else {
            l->h_y = net->layers[i % 2].h_y;
        }
        if (net->ctx && l->aux_bytes && !(l->aux = nin_buffer(net->ctx, l->aux_bytes)))
            return -1;
    }
    return 0;
}

/* The device's own buffers (labels, per-sample metrics, bias partial sums), zeroed where they must be. */
static int alloc_device_extras(nin_net *net)
{
    nin_context *ctx = net->ctx;
    if (!(net->d_labels = nin_buffer(ctx, net->batch * sizeof(int))) ||
        !(net->d_sample_metrics = nin_buffer(ctx, 2 * net->batch * sizeof(float))) ||
        !(net->d_metrics = nin_buffer(ctx, 2 * sizeof(float))) ||
        !(net->d_bias_partial = nin_buffer(ctx, max_size(net->bias_partials, 1) * sizeof(float))))
        return -1;
    if (!net->inference) {   /* nothing ever writes the running statistics' part of these */
        nin_fill_zero(ctx, net->d_momentum, net->params * sizeof(float));
        nin_fill_zero(ctx, net->d_grads, net->params * sizeof(float));
    }
    nin_fill_zero(ctx, net->d_labels, net->batch * sizeof(int));
    return nin_context_status(ctx);
}

/* The paper's (AlexNet-style) init: zero-mean Gaussian weights, zero biases; or the layer's own. */
static int init_params(nin_net *net, float init_std)
{
    float *params = nin_calloc(max_size(net->params, 1), sizeof *params);
    if (!params)
        return -1;
    for (int i = 0; i < net->count; i++) {
        nin_layer *l = &net->layers[i];
        if (l->ops->init) {
            l->ops->init(l, params);
            continue;
        }
        float std = init_std > 0.0f ? init_std : sqrtf(2.0f / (float)l->fan_in);
        uint64_t key = nin_random_key(net->seed, (uint64_t)i, 0);
        for (size_t j = 0; j < l->weights; j++)
            params[l->weight_off + j] = std * nin_random_normal(key, j);
    }
    int status = nin_net_set_params(net, params);
    free(params);
    return status;
}

static nin_net *create_net(nin_context *ctx, const nin_netdef *def, nin_shape input, int batch, uint64_t seed,
                           float init_std, int inference)
{
    char err[256];
    nin_net *net = nin_net_plan(def, input, batch, err, sizeof err);
    if (!net) {
        nin_fail("%s", err);
        return NULL;
    }
    net->ctx = ctx;
    net->seed = seed;
    net->inference = inference;
    net->shard_total = batch;
    net->bias_lr_mult = net->class_lr_mult = 1.0f;
    net->class_layer = nin_netdef_class_layer(def);
    if (alloc_net_buffers(net) == 0 && alloc_layer_buffers(net) == 0 && (!ctx || alloc_device_extras(net) == 0) &&
        init_params(net, init_std) == 0)
        return net;
    nin_net_free(net);
    return NULL;
}

nin_net *nin_net_create(nin_context *ctx, const nin_netdef *def, nin_shape input, int batch, uint64_t seed,
                        float init_std)
{
    return create_net(ctx, def, input, batch, seed, init_std, 0);
}

nin_net *nin_net_create_inference(nin_context *ctx, const nin_netdef *def, nin_shape input, int batch)
{
    return create_net(ctx, def, input, batch, 0, 0.0f, 1);
}

void nin_net_free(nin_net *net)
{
    if (!net)
        return;
    if (net->ctx)   /* its kernels done first: PoCL can crash when a program ends with kernels still running */
        clFinish(net->ctx->queue);
    cl_mem mems[] = { net->d_input, net->d_labels, net->d_params, net->d_grads, net->d_momentum, net->d_work,
                      net->d_delta[0], net->d_delta[1], net->d_input_grad, net->d_sample_metrics, net->d_metrics,
                      net->d_bias_partial };
    float *hosts[] = { net->h_input, net->h_params, net->h_grads, net->h_momentum, net->h_work,
                       net->h_delta[0], net->h_delta[1], net->h_input_grad };
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++)
        if (mems[i])
            clReleaseMemObject(mems[i]);
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++)
        free(hosts[i]);
    for (int i = 0; i < net->count; i++) {
        if (net->layers[i].y)
            clReleaseMemObject(net->layers[i].y);
        if (net->layers[i].aux)
            clReleaseMemObject(net->layers[i].aux);
        if (!net->inference || i < 2)   /* an inference net's host buffers belong to layers 0 and 1 */
            free(net->layers[i].h_y);
    }
    free(net->labels);
    free(net->staging);
    free(net);
}

int nin_net_batch(const nin_net *net) { return net->batch; }
nin_shape nin_net_input_shape(const nin_net *net) { return net->input; }
nin_shape nin_net_output_shape(const nin_net *net) { return net->layers[net->count - 1].out; }
int nin_net_layer_count(const nin_net *net) { return net->count; }
size_t nin_net_param_count(const nin_net *net) { return net->params; }
size_t nin_net_weight_count(const nin_net *net) { return net->weights; }
size_t nin_net_trainable_count(const nin_net *net) { return net->trainable; }
uint64_t nin_net_step(const nin_net *net) { return net->step; }
void nin_net_set_step(nin_net *net, uint64_t step) { net->step = step; }

int nin_net_gemm_shapes(const nin_net *net, nin_gemm_shape *shapes, int max)
{
    int count = 0;
    for (int i = 0; i < net->count && count + 3 <= max; i++)
        if (net->layers[i].ops->gemm_shapes)
            count += net->layers[i].ops->gemm_shapes(&net->layers[i], i == 0, net->batch, shapes + count);
    return count;
}

int nin_netdef_gemm_shapes(const nin_netdef *def, nin_shape input, int batch, nin_gemm_shape *shapes, int max)
{
    char err[256];
    nin_net *plan = nin_net_plan(def, input, batch, err, sizeof err);   /* only for its GEMM shapes */
    if (!plan)
        return nin_fail("%s", err);
    int count = nin_net_gemm_shapes(plan, shapes, max);
    free(plan);
    return count;
}

void nin_net_describe(const nin_net *net, FILE *out)
{
    char token[64];
    fprintf(out, "%-5s %-12s %-16s %10s\n", "layer", "netdef", "output", "params");
    fprintf(out, "%-5s %-12s %4d x %4d x %4d %10s\n", "in", "", net->input.c, net->input.h, net->input.w, "");
    for (int i = 0; i < net->count; i++) {
        const nin_layer *l = &net->layers[i];
        nin_netdef_format(&(nin_netdef){ 1, { l->def } }, token, sizeof token);
        fprintf(out, "%-5d %-12s %4d x %4d x %4d %10zu\n", i + 1, token, l->out.c, l->out.h, l->out.w,
                l->weights + l->biases);
    }
    fprintf(out, "total parameters: %zu (batch %d)", net->trainable, net->batch);
    fprintf(out, net->params > net->trainable ? ", and %zu running statistics\n" : "\n", net->params - net->trainable);
}

/* Copy a whole parameter-sized buffer between the caller and the device or reference network. */
static int copy_params(nin_net *net, cl_mem device, float *host, float *caller, int to_net)
{
    size_t bytes = net->params * sizeof(float);
    if (bytes == 0)   /* a network without parameters has no buffer for them (alloc_buffer) */
        return 0;
    if (!device && !host)
        return nin_fail("an inference network has no gradient or momentum buffers");
    if (net->ctx && to_net)
        nin_write(net->ctx, device, 0, bytes, caller);
    else if (net->ctx)
        nin_read(net->ctx, device, 0, bytes, caller);
    else
        memcpy(to_net ? host : caller, to_net ? caller : host, bytes);
    return net_status(net);
}

int nin_net_get_params(nin_net *net, float *p) { return copy_params(net, net->d_params, net->h_params, p, 0); }
int nin_net_set_params(nin_net *net, const float *p)
{
    return copy_params(net, net->d_params, net->h_params, (float *)p, 1);
}
int nin_net_get_grads(nin_net *net, float *g) { return copy_params(net, net->d_grads, net->h_grads, g, 0); }
int nin_net_set_grads(nin_net *net, const float *g)
{
    return copy_params(net, net->d_grads, net->h_grads, (float *)g, 1);
}
int nin_net_get_momentum(nin_net *net, float *m) { return copy_params(net, net->d_momentum, net->h_momentum, m, 0); }
int nin_net_set_momentum(nin_net *net, const float *m)
{
    return copy_params(net, net->d_momentum, net->h_momentum, (float *)m, 1);
}

/* NCHW (samples outermost) <-> CNHW (maps outermost) for `batch` samples of shape s. */
static void transpose_batch(const float *src, float *dst, nin_shape s, int batch, int to_cnhw)
{
    size_t area = (size_t)s.h * s.w;
    for (int n = 0; n < batch; n++)
        for (int c = 0; c < s.c; c++) {
            size_t nchw = ((size_t)n * s.c + c) * area, cnhw = ((size_t)c * batch + n) * area;
            memcpy(dst + (to_cnhw ? cnhw : nchw), src + (to_cnhw ? nchw : cnhw), area * sizeof(float));
        }
}

/* Write an NCHW host array into a CNHW network buffer (device or host). */
static int upload_nchw(nin_net *net, const float *nchw, nin_shape s, cl_mem device, float *host)
{
    transpose_batch(nchw, net->ctx ? net->staging : host, s, net->batch, 1);
    if (net->ctx)
        nin_write(net->ctx, device, 0, nin_volume(s, net->batch) * sizeof(float), net->staging);
    return net_status(net);
}

static int download_nchw(nin_net *net, cl_mem device, const float *host, nin_shape s, float *nchw)
{
    if (net->ctx) {
        if (nin_read(net->ctx, device, 0, nin_volume(s, net->batch) * sizeof(float), net->staging) != 0)
            return net_status(net);
        host = net->staging;
    }
    transpose_batch(host, nchw, s, net->batch, 0);
    return net_status(net);
}

int nin_net_set_input(nin_net *net, const float *images, const int *labels)
{
    int classes = nin_net_output_shape(net).c;
    for (int n = 0; labels && n < net->batch; n++)
        if (labels[n] < 0 || labels[n] >= classes)
            return nin_fail("label %d of sample %d is outside [0, %d)", labels[n], n, classes);
    if (upload_nchw(net, images, net->input, net->d_input, net->h_input) != 0 || !labels)
        return net_status(net);
    memcpy(net->labels, labels, net->batch * sizeof *labels);
    if (net->ctx)
        nin_write(net->ctx, net->d_labels, 0, net->batch * sizeof(int), labels);
    return net_status(net);
}

int nin_net_set_shard(nin_net *net, int first, int total)
{
    if (first < 0 || total < first + net->batch)
        return nin_fail("samples [%d, %d) are not inside a global batch of %d", first, first + net->batch, total);
    net->shard_first = first;
    net->shard_total = total;
    return 0;
}

int nin_net_want_input_grad(nin_net *net, int on)
{
    if (net->inference && on)
        return nin_fail("an inference network has no backward pass");
    net->want_input_grad = on;
    if (on && !net->d_input_grad && !net->h_input_grad)
        return alloc_buffer(net, nin_volume(net->input, net->batch), &net->d_input_grad, &net->h_input_grad);
    return 0;
}

/* Forward through layers [0, end). */
static void forward_layers(nin_net *net, int end, int train)
{
    for (int i = 0; i < end; i++) {
        nin_layer *l = &net->layers[i];
        if (net->ctx)
            l->ops->forward(net, l, i ? net->layers[i - 1].y : net->d_input, train);
        else
            l->ops->forward_ref(net, l, i ? net->layers[i - 1].h_y : net->h_input, l->h_y, train);
    }
}

/* Batch norm in training normalises each map over its batch x H x W values: over one value every output would be
 * beta, whatever the input (PyTorch refuses it too). */
static int check_batch_norm_values(const nin_net *net)
{
    for (int i = 0; i < net->count; i++) {
        const nin_layer *l = &net->layers[i];
        if (l->def.kind == NIN_BATCHNORM && (size_t)net->batch * l->in.h * l->in.w < 2)
            return nin_fail("layer %d (batch norm) would normalise one value per map: train it on a batch of more "
                            "than one", i + 1);
    }
    return 0;
}

int nin_net_forward(nin_net *net, int train)
{
    if (train && check_batch_norm_values(net) != 0)
        return -1;
    if (train)
        net->step++;
    forward_layers(net, net->count, train);
    return net_status(net);
}

/* Layer l's pre-activation on the batch now in the network (ReLU off), into y (CNHW, its own staging). */
static const float *pre_activation(nin_net *net, nin_layer *l)
{
    int relu = l->def.relu;
    l->def.relu = 0;
    forward_layers(net, l->index + 1, 0);
    l->def.relu = relu;
    if (!net->ctx)
        return l->h_y;
    return nin_read(net->ctx, l->y, 0, nin_volume(l->out, net->batch) * sizeof(float), net->staging) == 0
               ? net->staging : NULL;
}

/* Rescale layer l's weights and set its biases (in params) so that each map of y has zero mean and unit
 * variance over the whole (possibly split) batch. */
static int normalize_maps(nin_net *net, nin_layer *l, const float *y, float *params, nin_sum_fn *sum)
{
    size_t per_map = (size_t)net->batch * l->out.h * l->out.w, fan_in = l->weights / l->out.c;
    /* per map: sum and sum of squares (CNHW: map c of the whole batch is contiguous), then the count */
    double *stats = nin_calloc(2 * l->out.c + 1, sizeof *stats);
    if (!stats)
        return -1;
    for (int c = 0; c < l->out.c; c++)
        for (size_t j = 0; j < per_map; j++) {
            stats[2 * c] += y[c * per_map + j];
            stats[2 * c + 1] += (double)y[c * per_map + j] * y[c * per_map + j];
        }
    stats[2 * l->out.c] = (double)per_map;
    if (sum)   /* the other processes' shares of the batch */
        sum(stats, 2 * l->out.c + 1);
    double count = stats[2 * l->out.c];
    for (int c = 0; c < l->out.c; c++) {
        double mean = stats[2 * c] / count, std = sqrt(fmax(stats[2 * c + 1] / count - mean * mean, 0.0)) + 1e-6;
        for (size_t j = 0; j < fan_in; j++)
            params[l->weight_off + c * fan_in + j] /= (float)std;
        params[l->bias_off + c] = (float)((params[l->bias_off + c] - mean) / std);
    }
    free(stats);
    return 0;
}

int nin_net_init_from_data(nin_net *net, const float *images, nin_sum_fn *sum)
{
    float *params = nin_malloc(net->params * sizeof *params);
    int status = params ? 0 : -1;
    if (status == 0)
        status = nin_net_get_params(net, params) || nin_net_set_input(net, images, NULL) ? -1 : 0;
    for (int i = 0; i < net->count && status == 0; i++) {
        nin_layer *l = &net->layers[i];
        if (l->weights == 0 || l->ops->init)
            continue;
        const float *y = pre_activation(net, l);
        status = y && normalize_maps(net, l, y, params, sum) == 0 ? nin_net_set_params(net, params) : -1;
    }
    free(params);
    return status ? -1 : net_status(net);
}

static int read_metrics(nin_net *net, nin_metrics *m)
{
    float sums[2] = { 0.0f, 0.0f };
    if (net->ctx)
        nin_read(net->ctx, net->d_metrics, 0, sizeof sums, sums);
    else
        memcpy(sums, net->h_metrics, sizeof sums);
    *m = (nin_metrics){ sums[0] / net->batch, (int)lroundf(sums[1]) };
    return net_status(net);
}

static int enqueue_loss(nin_net *net)
{
    nin_shape out = nin_net_output_shape(net);
    if (out.h != 1 || out.w != 1)
        return nin_fail("the network ends in %dx%dx%d maps: end it with gap or fc to get class scores", out.c, out.h,
                        out.w);
    net->delta_index = 0;
    if (net->ctx)
        nin_softmax_loss(net, out.c, net->layers[net->count - 1].y, net->d_delta[0]);
    else
        nin_softmax_loss_ref(net, out.c, net->layers[net->count - 1].h_y, net->h_delta[0]);
    return 0;
}

int nin_net_loss(nin_net *net, nin_metrics *m)
{
    return enqueue_loss(net) == 0 ? read_metrics(net, m) : -1;
}

int nin_net_set_output_grad(nin_net *net, const float *grad)
{
    net->delta_index = 0;
    return upload_nchw(net, grad, nin_net_output_shape(net), net->d_delta[0], net->h_delta[0]);
}

int nin_net_backward(nin_net *net)
{
    if (net->inference)
        return nin_fail("an inference network has no backward pass");
    int cur = net->delta_index;
    for (int i = net->count - 1; i >= 0; i--) {
        nin_layer *l = &net->layers[i];
        int has_params = l->weights + l->biases > 0, need_dx = i > 0 || net->want_input_grad;
        if (!has_params && !need_dx)
            continue;
        if (net->ctx) {
            cl_mem dx = i > 0 ? net->d_delta[1 - cur] : need_dx ? net->d_input_grad : NULL;
            l->ops->backward(net, l, i ? net->layers[i - 1].y : net->d_input, net->d_delta[cur], dx);
        } else {
            float *dx = i > 0 ? net->h_delta[1 - cur] : need_dx ? net->h_input_grad : NULL;
            l->ops->backward_ref(net, l, i ? net->layers[i - 1].h_y : net->h_input, l->h_y, net->h_delta[cur], dx);
        }
        cur = 1 - cur;
    }
    return net_status(net);
}

int nin_net_update(nin_net *net, const nin_sgd *sgd)
{
    if (net->inference)
        return nin_fail("an inference network has no parameter update");
    nin_sgd_step step = { sgd->lr, sgd->momentum, sgd->weight_decay };
    if (net->ctx)
        nin_sgd_update(net, step);
    else
        nin_sgd_update_ref(net, step);
    return net_status(net);
}

int nin_net_set_lr_mult(nin_net *net, float bias_mult, float class_mult)
{
    if (!(bias_mult >= 0.0f && bias_mult <= NIN_MAX_LR_MULT) || !(class_mult >= 0.0f && class_mult <= NIN_MAX_LR_MULT))
        return nin_fail("the learning-rate multipliers %g (biases) and %g (class layer) must be in [0, %g]", bias_mult,
                        class_mult, NIN_MAX_LR_MULT);
    if (class_mult != 1.0f && net->class_layer < 0)
        return nin_fail("the network has no class layer (a last fc, or the convolution before gap) for the class "
                        "layer's learning-rate multiplier %g", class_mult);
    net->bias_lr_mult = bias_mult;
    net->class_lr_mult = class_mult;
    return 0;
}

int nin_net_train_step(nin_net *net, const nin_sgd *sgd, nin_metrics *m)
{
    if (nin_net_forward(net, 1) != 0 || enqueue_loss(net) != 0 || nin_net_backward(net) != 0 ||
        nin_net_update(net, sgd) != 0)
        return -1;
    return read_metrics(net, m);   /* the step's one wait for the device */
}

void nin_softmax(const float *logits, int classes, float *prob)
{
    float max = logits[0];
    double sum = 0.0;
    for (int c = 1; c < classes; c++)
        max = logits[c] > max ? logits[c] : max;
    for (int c = 0; c < classes; c++)
        sum += exp(logits[c] - max);
    for (int c = 0; c < classes; c++)
        prob[c] = (float)(exp(logits[c] - max) / sum);
}

static const nin_layer *layer_at(const nin_net *net, int layer)
{
    return layer >= 0 && layer < net->count ? &net->layers[layer] : NULL;
}

int nin_net_layer_kind(const nin_net *net, int layer)
{
    const nin_layer *l = layer_at(net, layer);
    return l ? (int)l->def.kind : -1;
}

nin_shape nin_net_layer_output_shape(const nin_net *net, int layer)
{
    const nin_layer *l = layer_at(net, layer);
    return l ? l->out : (nin_shape){ 0, 0, 0 };
}

int nin_net_get_layer_output(nin_net *net, int layer, float *out)
{
    const nin_layer *l = layer_at(net, layer);
    if (!l)
        return nin_fail("layer %d is outside the network's %d layers", layer, net->count);
    if (net->inference && layer < net->count - 2)
        return nin_fail("an inference network keeps only its last two layers' outputs, not layer %d's", layer);
    return download_nchw(net, l->y, l->h_y, l->out, out);
}

int nin_net_get_output(nin_net *net, float *out) { return nin_net_get_layer_output(net, net->count - 1, out); }

int nin_net_get_input_grad(nin_net *net, float *grad)
{
    if (!net->want_input_grad)
        return nin_fail("nin_net_get_input_grad: call nin_net_want_input_grad first");
    return download_nchw(net, net->d_input_grad, net->h_input_grad, net->input, grad);
}
