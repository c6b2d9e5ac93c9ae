/* nin/tune.h - measure the GEMM implementations on a device and keep the faster in its tuning file. */
#ifndef NIN_TUNE_H
#define NIN_TUNE_H

#include <stdio.h>
#include <nin/net.h>
#include <nin/runtime.h>

/* Time CLBlast (with a seeded random search over its kernels' parameters for about clblast_budget seconds; 0: its
 * current parameters only) and the tiled GEMM (with a coordinate search over its blocking) on `count` GEMM shapes
 * (those of one training step: nin_netdef_gemm_shapes), keep the faster in ctx and write the device's tuning file
 * (nin_tuning_path); `what` names the shapes in the file's comment ("one training step, batch 128"). CLBlast's
 * parameters found are kept only when faster than those the context started with. Reports to log. 0, or -1 with
 * the error (a device failure, an unwritable file). */
#define NIN_TUNE_BUDGET_DEFAULT 120   /* seconds of the CLBlast search of `nin-cl tune` on a GPU */
int nin_tune(nin_context *ctx, const nin_gemm_shape *shapes, int count, const char *what, double clblast_budget,
             FILE *log);

/* Time both shapes of every kernel family (plane and element, runtime.h) over training steps of the network def
 * on `input` at `batch`, from its kernels' profiling events, and keep the faster shape of each family in ctx
 * (a family the network does not use keeps the device's default); nin_tune then writes them with the GEMM
 * choice. Reports a table to log. 0, or -1 with the error (the network does not fit, a device failure). */
int nin_tune_kernels(nin_context *ctx, const nin_netdef *def, nin_shape input, int batch, FILE *log);

#endif
