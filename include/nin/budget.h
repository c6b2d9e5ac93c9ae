/* nin/budget.h - the device memory a network needs, computed from its netdef and batch before anything is
 * allocated: shown by `nin-cl train --dry-run`, checked against the device when a training network is created. */
#ifndef NIN_BUDGET_H
#define NIN_BUDGET_H

#include <stdio.h>
#include <nin/net.h>

typedef struct nin_budget {
    int batch;
    size_t parameters, gradients, momentum;   /* bytes of each parameter-sized buffer */
    size_t activations;                       /* every layer's output */
    size_t deltas;                            /* the two gradient buffers, each the largest activation */
    size_t workspace;                         /* im2col columns (chunked to NIN_IM2COL_FLOATS) */
    size_t gemm_scratch;                      /* the tiled GEMM's packed operands and split-k partial sums */
    size_t pool_indices;                      /* max-pool arg-max */
    size_t bias_partials;                     /* partial sums of the bias gradients */
    size_t data;                              /* the input batch, its labels, per-sample loss/correct */
    size_t total;
    size_t largest_buffer;                    /* the biggest single allocation */
} nin_budget;

/* The budget of `def` on inputs of shape `input` at `batch`, the tiled GEMM's scratch as tuning `gemm` sizes it (its
 * packing block and pack_b_rows; nin_gemm_tuning_default() untuned). Returns 0, or -1 with one line in err when
 * the network does not fit its input or a buffer would pass 2^31 floats. */
int nin_budget_compute(const nin_netdef *def, nin_shape input, int batch, const nin_gemm_tuning *gemm, nin_budget *b,
                       char *err, size_t err_size);
/* The largest batch up to max_batch whose budget fits `bytes` in all and `max_alloc` per buffer (0: none). */
int nin_budget_max_batch(const nin_netdef *def, nin_shape input, const nin_gemm_tuning *gemm, size_t bytes,
                         size_t max_alloc, int max_batch);
/* A table of the budget against the device's memory, with the largest batch that fits. */
void nin_budget_print(const nin_budget *b, const nin_netdef *def, nin_shape input, const nin_gemm_tuning *gemm,
                      const nin_device_info *dev, FILE *out);
/* Run before building a training network: -1 with the memory needed and the largest batch that fits when the
 * network cannot fit the device; otherwise 0, and the context remembers both for the message of a later failed
 * allocation. */
int nin_budget_check(nin_context *ctx, const nin_netdef *def, nin_shape input, int batch);

#endif
