/* nin/model.h - a trained model for a program that embeds libnin: load once, predict many (model.c).
 *
 *     nin_context *ctx = nin_context_create(-1);             // the default device
 *     nin_model *m = nin_model_load(ctx, "model.nin", 64);    // a checkpoint or an ONNX file, up to 64 a batch
 *     nin_model_predict(m, pixels, count, probs);             // count x classes probabilities
 *     nin_model_free(m); nin_context_free(ctx);
 *
 * Several models may share one context. Every function that returns int returns 0, or -1 with one line in
 * nin_last_error(); those returning a pointer return NULL with it. */
#ifndef NIN_MODEL_H
#define NIN_MODEL_H

#include <stdint.h>
#include <nin/runtime.h>
#include <nin/netdef.h>
#include <nin/checkpoint.h>

typedef struct nin_model nin_model;

/* Load a model file (nin_model_file_load: a checkpoint or ONNX) onto ctx, forward-only, for batches of up to
 * `batch` images (larger requests are split). */
nin_model *nin_model_load(nin_context *ctx, const char *path, int batch);
void nin_model_free(nin_model *m);

nin_shape nin_model_input_shape(const nin_model *m);   /* one image: channels x height x width */
int nin_model_classes(const nin_model *m);
/* Class c's name, or NULL when the model names none (or c is out of range). */
const char *nin_model_class_name(const nin_model *m, int c);
/* What the model was read from: netdef, preprocessing, dataset, ... */
const nin_checkpoint *nin_model_checkpoint(const nin_model *m);

/* Class probabilities (count x classes) of `count` images of 8-bit pixels, planar (count x c x h x w, the
 * model's input shape), after the model's own preprocessing. */
int nin_model_predict(nin_model *m, const uint8_t *pixels, int count, float *probs);
/* The model's preprocessing of `count` images of 8-bit pixels (as nin_model_predict takes them) into `inputs`
 * (count x c x h x w floats), what nin_model_forward takes. */
int nin_model_preprocess(const nin_model *m, const uint8_t *pixels, int count, float *inputs);
/* The network's outputs (count x classes logits) for `count` inputs already preprocessed (NCHW floats). */
int nin_model_forward(nin_model *m, const float *inputs, int count, float *outputs);
/* Class probabilities of one image file (JPEG, PNG, PGM, PPM), fitted to the input as nin-cl predict does. */
int nin_model_predict_file(nin_model *m, const char *path, float *probs);

#endif
