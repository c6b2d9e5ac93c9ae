/* nin/onnx.h - models in and out of nin-cl as ONNX (onnx_export.c, onnx_import.c), and one reader for every
 * model file nin-cl takes. The schema is the system's onnx.proto, compiled by protoc-c at build time. */
#ifndef NIN_ONNX_H
#define NIN_ONNX_H

#include <stddef.h>
#include <nin/checkpoint.h>

/* Write the network of checkpoint ck (its netdef, input shape, weights, running statistics, preprocessing and
 * class names) as an ONNX model (opset 13) at path. Returns 0, or -1 with one line in err. */
int nin_onnx_export(const nin_checkpoint *ck, const char *path, char *err, size_t err_size);
/* What an export wrote: the opset, the graph's node count and the file's size in bytes. */
typedef struct nin_onnx_summary {
    int opset;
    int nodes;
    size_t bytes;
} nin_onnx_summary;
/* nin_onnx_export, also saying what it wrote into *summary (NULL: not wanted). */
int nin_onnx_export_summary(const nin_checkpoint *ck, const char *path, nin_onnx_summary *summary, char *err,
                            size_t err_size);

/* Read an ONNX model made of the operators a NIN uses into ck as the checkpoint of a run that has not trained
 * yet (epoch 0, zero momentum): netdef, input shape, classes, weights, preprocessing and class names. ck->config
 * is the caller's, set before the call (nin_train_config_defaults of the dataset, or zeros: this layer cannot
 * call train.c): the import writes its netdef, and its dataset when that is "" and the model's metadata names
 * one ("nin.dataset"). The graph input is taken as pixel / 255 (torchvision's ToTensor) unless the graph
 * standardises it with leading constant Sub/Div/Mul/Add nodes. Anything else is refused with one line naming
 * the node, its operator and why. Returns 0, or -1 with one line in err (ck then holds nothing to free). */
int nin_onnx_import(const char *path, nin_checkpoint *ck, char *err, size_t err_size);
/* The same from `size` bytes in memory; `name` names them in errors. */
int nin_onnx_import_memory(const void *data, size_t size, const char *name, nin_checkpoint *ck, char *err,
                           size_t err_size);

/* A model file: a nin-cl checkpoint, or an ONNX model (told apart by content), into ck. Returns 0, or -1 with
 * one line in err. */
int nin_model_file_load(const char *path, nin_checkpoint *ck, char *err, size_t err_size);

#endif
