/* budget.c - the device memory of a network, from the same layout the network is built with (nin_net_layout),
 * so the figures are the buffers nin_net_create allocates, computed before any of them is. */
#include <stdlib.h>
#include <string.h>
#include <nin/budget.h>
#include "net_impl.h"

#define MIB (1024.0 * 1024.0)

static size_t max_size(size_t a, size_t b) { return a > b ? a : b; }

int nin_budget_compute(const nin_netdef *def, nin_shape input, int batch, const nin_gemm_tuning *gemm, nin_budget *b,
                       char *err, size_t err_size)
{
    memset(b, 0, sizeof *b);
    nin_net *net = nin_net_plan(def, input, batch, err, err_size);   /* the layout only: no buffer is allocated */
    if (!net)
        return -1;
    const size_t f = sizeof(float);
    size_t largest_activation = nin_volume(input, batch) * f, gemm_scratch = 0;
    b->batch = batch;
    b->parameters = b->gradients = b->momentum = net->params * f;
    for (int i = 0; i < net->count; i++) {
        const nin_layer *l = &net->layers[i];
        b->activations += nin_volume(l->out, batch) * f;
        largest_activation = max_size(largest_activation, nin_volume(l->out, batch) * f);
        b->pool_indices += l->aux_bytes;
        nin_gemm_shape shapes[3];
        int n = l->ops->gemm_shapes ? l->ops->gemm_shapes(l, i == 0, batch, shapes) : 0;
        for (int g = 0; g < n; g++)
            gemm_scratch = max_size(gemm_scratch, nin_gemm_scratch_floats(gemm, &shapes[g]));
    }
    b->deltas = 2 * net->max_activation * f;
    b->workspace = net->workspace * f;
    b->gemm_scratch = gemm_scratch * f;
    b->bias_partials = max_size(net->bias_partials, 1) * f;
    b->data = nin_volume(input, batch) * f + (size_t)batch * sizeof(int) + (2 * (size_t)batch + 2) * f;
    b->total = b->parameters + b->gradients + b->momentum + b->activations + b->deltas + b->workspace +
               b->gemm_scratch + b->pool_indices + b->bias_partials + b->data;
    b->largest_buffer = max_size(max_size(b->parameters, largest_activation),
                                 max_size(b->workspace, b->gemm_scratch));
    free(net);
    return 0;
}

static int fits(const nin_netdef *def, nin_shape input, int batch, const nin_gemm_tuning *gemm, size_t bytes,
                size_t max_alloc)
{
    nin_budget b;
    char err[256];
    return nin_budget_compute(def, input, batch, gemm, &b, err, sizeof err) == 0 && b.total <= bytes &&
           b.largest_buffer <= max_alloc;
}

int nin_budget_max_batch(const nin_netdef *def, nin_shape input, const nin_gemm_tuning *gemm, size_t bytes,
                         size_t max_alloc, int max_batch)
{
    /* every buffer grows with the batch, so bisect: lo fits (or is 0), hi does not (or is past max_batch) */
    int lo = 0, hi = max_batch + 1;
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (fits(def, input, mid, gemm, bytes, max_alloc))
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void nin_budget_print(const nin_budget *b, const nin_netdef *def, nin_shape input, const nin_gemm_tuning *gemm,
                      const nin_device_info *dev, FILE *out)
{
    const struct { const char *name; size_t bytes; } rows[] = {
        { "parameters", b->parameters }, { "gradients", b->gradients }, { "momentum", b->momentum },
        { "activations", b->activations }, { "gradient buffers", b->deltas }, { "im2col workspace", b->workspace },
        { "GEMM scratch", b->gemm_scratch }, { "max-pool indices", b->pool_indices },
        { "bias partial sums", b->bias_partials }, { "input batch, labels", b->data },
    };
    fprintf(out, "device memory for batch %d of %dx%dx%d:\n", b->batch, input.c, input.h, input.w);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        fprintf(out, "  %-20s %10.1f MiB\n", rows[i].name, rows[i].bytes / MIB);
    fprintf(out, "  %-20s %10.1f MiB   (largest buffer %.1f MiB)\n", "total", b->total / MIB,
            b->largest_buffer / MIB);
    int max_batch = nin_budget_max_batch(def, input, gemm, dev->global_mem_bytes, dev->max_alloc_bytes,
                                         1 << 20);
    fprintf(out, "device %d (%s): %.1f MiB, largest buffer %.1f MiB: %s; the largest batch that fits is %d\n",
            dev->index, dev->name, dev->global_mem_bytes / MIB, dev->max_alloc_bytes / MIB,
            b->total <= dev->global_mem_bytes && b->largest_buffer <= dev->max_alloc_bytes ? "fits" : "DOES NOT FIT",
            max_batch);
}

int nin_budget_check(nin_context *ctx, const nin_netdef *def, nin_shape input, int batch)
{
    nin_budget b;
    char err[256], hint[256];
    nin_gemm_tuning tuning = nin_context_tuning(ctx);
    if (nin_budget_compute(def, input, batch, &tuning, &b, err, sizeof err) != 0)
        return nin_fail("%s", err);
    const nin_device_info *dev = nin_context_device(ctx);
    int max_batch = nin_budget_max_batch(def, input, &tuning, dev->global_mem_bytes, dev->max_alloc_bytes, batch);
    snprintf(hint, sizeof hint,
             "the network needs %.1f MiB at batch %d (largest buffer %.1f MiB); the largest batch that fits is %d",
             b.total / MIB, batch, b.largest_buffer / MIB, max_batch);
    nin_context_set_alloc_hint(ctx, hint);
    if (max_batch < batch)
        return nin_fail("%s has %.1f MiB (largest buffer %.1f MiB), but %s (nin-cl train --dry-run shows the budget)",
                        dev->name, dev->global_mem_bytes / MIB, dev->max_alloc_bytes / MIB, hint);
    return 0;
}
