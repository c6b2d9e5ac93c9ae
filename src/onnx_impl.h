/* onnx_impl.h - the ONNX importer's full form (onnx_import.c), for the import command and the conformance test:
 * the graph input's own normalisation, graph inputs bound to tensors, and what became of the graph's ends. */
#ifndef NIN_ONNX_IMPL_H
#define NIN_ONNX_IMPL_H

#include <stddef.h>
#include <nin/checkpoint.h>

/* A serialized ONNX TensorProto (an input_K.pb of ONNX's test data). */
typedef struct nin_onnx_blob {
    const void *data;
    size_t size;
} nin_onnx_blob;

typedef struct nin_onnx_options {
    /* The graph input is torchvision's Normalize(mean, std) of pixel / 255 (fractions of 255, per channel);
     * without it (has_norm 0) the input is pixel / 255, torchvision's ToTensor. */
    int has_norm;
    float mean[3], std[3];
    /* 1: the caller feeds the network itself (the conformance test): any channel count, and ck->pre is left
     * as the identity (mean 0, std 1); the graph input's leading constant arithmetic is in the result. */
    int raw_input;
    /* Tensors for the graph inputs after the data input that are not initializers, in their order. */
    const nin_onnx_blob *bound;
    int bound_count;
} nin_onnx_options;

typedef struct nin_onnx_result {
    int softmax;          /* 1: the graph ended in a Softmax, which was dropped */
    int channels;         /* of the input */
    float *scale, *shift; /* channels values (free them): network input = scale * graph input + shift, the
                           * graph's leading constant Sub/Div/Mul/Add per channel */
} nin_onnx_result;

/* nin_onnx_import_memory with options (NULL: none) and what became of the graph (NULL: not wanted). ck->config
 * is the caller's (nin_train_config_defaults, or zeros): the importer writes its netdef, and its dataset when
 * that is "" and the model's metadata names one ("nin.dataset"). Returns 0, or -1 with one line in err. */
int nin_onnx_import_with(const void *data, size_t size, const char *name, const nin_onnx_options *opt,
                         nin_checkpoint *ck, nin_onnx_result *res, char *err, size_t err_size);

#endif
