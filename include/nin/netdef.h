/* nin/netdef.h - a Network In Network described as data: the netdef grammar, its layers and the presets.
 * Plain data with no OpenCL: the layers, the networks and the command line all read it. */
#ifndef NIN_NETDEF_H
#define NIN_NETDEF_H

#include <stddef.h>
#include <stdint.h>

typedef struct nin_shape { int c, h, w; } nin_shape;   /* one sample: channels x height x width */

typedef enum nin_layer_kind {
    NIN_CONV,      /* "192c5p2s1": 192 maps, 5x5 kernel, pad 2, stride 1, + bias + ReLU ("l" suffix: no ReLU; "b"
                    * suffix: no ReLU of its own, a batch-norm layer with the ReLU follows) */
    NIN_FC,        /* "256fc": fully connected over the whole input, + bias + ReLU ("l" suffix: no ReLU) */
    NIN_MAXPOOL,   /* "mp3s2": 3x3 max-pool, stride 2, Caffe's ceil-mode output size */
    NIN_AVGPOOL,   /* "ap3s2": 3x3 average pool, stride 2, ceil mode */
    NIN_DROPOUT,   /* "d0.5": inverted dropout with drop rate 0.5 */
    NIN_GAP,       /* "gap": global average pooling, one value per map */
    NIN_BATCHNORM  /* "bn": batch normalisation of each map, then the ReLU ("bnl": none); written as the "b" suffix
                    * of the convolution or fully connected layer before it */
} nin_layer_kind;

/* One layer of a network definition (what a netdef token says). */
typedef struct nin_layer_def {
    nin_layer_kind kind;
    int outputs;        /* CONV, FC: output maps / units */
    int size;           /* CONV, pools: kernel size */
    int stride;         /* CONV, pools */
    int pad;            /* CONV */
    int relu;           /* CONV, FC, BATCHNORM: ReLU at the end */
    float rate;         /* DROPOUT: probability of dropping a unit */
} nin_layer_def;

#define NIN_MAX_LAYERS 64

typedef struct nin_netdef {
    int count;
    nin_layer_def layers[NIN_MAX_LAYERS];
} nin_netdef;

/* The netdef of a preset ("cifar10", "cifar100", "svhn", "mnist", "fashion-mnist", "images", "mnist-clutter",
 * "cifar10-bn", "mnist-bn"), or NULL. */
const char *nin_preset_netdef(const char *name);
/* Parse a compact netdef such as "192c5p2-160c1-96c1-mp3s2-d0.5-...-gap", or a preset name.
 * Returns 0, or -1 with a one-line reason in err. */
int nin_netdef_parse(const char *text, nin_netdef *def, char *err, size_t err_size);
/* Write the canonical netdef string of def. */
void nin_netdef_format(const nin_netdef *def, char *buf, size_t size);
/* The paper's ablations. Remove every dropout layer: */
void nin_netdef_remove_dropout(nin_netdef *def);
/* Replace the global-average-pooling head (the last 1x1 convolution to the class maps and gap) by a fully
 * connected layer over the previous block's maps, optionally after dropout. Returns -1 when def does not
 * end in "<classes>c1-gap". */
int nin_netdef_fc_head(nin_netdef *def, float dropout);
/* Give the class layer (the last fully connected layer, or the convolution that global average pooling
 * follows, with only dropout or batch norm between) `classes` outputs. Returns the count it had, or -1 when the network
 * ends in no such layer. */
int nin_netdef_set_classes(nin_netdef *def, int classes);
/* The index of that class layer (the one nin_netdef_set_classes changes; only gap and dropout follow it), or -1
 * when the network ends in no such layer. */
int nin_netdef_class_layer(const nin_netdef *def);

/* Counter-based random numbers, identical on the host and in cl/common.cl (rng.c). */
uint32_t nin_random_u32(uint64_t key, uint64_t counter);
float nin_random_uniform(uint64_t key, uint64_t counter);   /* [0, 1) */
float nin_random_normal(uint64_t key, uint64_t counter);    /* N(0, 1) */
uint64_t nin_random_key(uint64_t seed, uint64_t stream, uint64_t step);

/* max |a - b| / max |b|: the normwise relative error used by every comparison in nin-cl. */
double nin_rel_error(const float *a, const float *b, size_t n);

#endif
