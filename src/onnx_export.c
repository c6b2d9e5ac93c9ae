/* onnx_export.c - a checkpoint as an ONNX model (opset 13), so that other runtimes (ONNX Runtime, ...) compute
 * what nin-cl computes, from the pixels on.
 *
 * The graph's input "image" is N x C x H x W float32 pixel values 0..255 (what nin-cl reads as bytes); the
 * model's preprocessing comes first, as nodes that compute nin-cl's formulas (preprocess.c):
 *   standardize  Sub(mean [1,C,1,1]), Div(std [1,C,1,1]);
 *   zca          global contrast normalisation of each flattened image (ReduceMean, Sub, Mul, ReduceMean, Sqrt;
 *                Greater and Where for a flat image; Div, Mul), Sub(zca mean [1,D]), MatMul(zca [D,D]),
 *                Reshape back to N x C x H x W;
 *   lcn          per channel, the Gaussian blur as a grouped 1 x 9 Conv and a 9 x 1 Conv, each divided by the
 *                weight of its taps inside the image (a constant per column or row): the local mean; Sub, Mul,
 *                the blur again, Sqrt, ReduceMean over H and W, Max with it and the floor, Div.
 * Then the layers, on nin_net_plan's parameter layout (conv weights M x C x k x k, which is ONNX's OIHW; fc
 * weights out x C*H*W, over the NCHW flattening):
 *   conv  Conv (+ Relu);   fc  Flatten, Gemm with transB (+ Relu);
 *   bn    BatchNormalization with the running statistics (+ Relu);
 *   mp/ap MaxPool / AveragePool, ceil_mode 1, no pads: the average divides by the window clipped to the input
 *         (count_include_pad 0); a window larger than the input is the input (kernel_shape clipped to it);
 *   d     Dropout with its ratio (the identity at inference; kept so that an import fine-tunes with it);
 *   gap   GlobalAveragePool;
 * then Flatten to "logits" [N, classes] and Softmax(axis 1) of them to "probabilities". metadata_props keep the
 * netdef, dataset, input shape and range (pixel values 0..255), preprocessing and class names (nin.*) for the
 * importer and for people.
 *
 * The weights' tensors point into the checkpoint (float_data, packed little-endian by protobuf-c), nothing is
 * copied; every other piece of the message is allocated through grab() and freed together at the end. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include <nin/error.h>
#include <nin/onnx.h>
#include "net_impl.h"
#include "onnx.pb-c.h"

#define OPSET 13
#define IR_VERSION 7            /* the IR of opset 13 (ONNX 1.8) */
#define MAX_NODES 320           /* 64 layers of at most 3 nodes, the preprocessing (<= 16) and the tail */
#define MAX_TENSORS 320
#define MAX_ATTRS 6
#define MAX_META 6

typedef struct exporter {
    void **owned;               /* every allocation of the message, freed together */
    size_t n_owned, cap_owned;
    int failed;                 /* an allocation failed: every later step does nothing */
    Onnx__NodeProto *nodes[MAX_NODES];
    size_t n_nodes;
    Onnx__TensorProto *tensors[MAX_TENSORS];   /* the initializers */
    size_t n_tensors;
    const char *x;              /* the tensor that holds the activation so far */
    int flat;                   /* it is [N, features] (after a Gemm) rather than [N, C, H, W] */
    int count[NIN_BATCHNORM + 1];   /* layers of each kind so far, for the names */
} exporter;

/* --- the message's pieces ---------------------------------------------------------------------------------- */

/* Zeroed memory owned by the exporter; NULL (and e->failed) when out of host memory or after a failure. */
static void *grab(exporter *e, size_t bytes)
{
    if (e->failed)
        return NULL;
    if (e->n_owned == e->cap_owned) {
        size_t cap = e->cap_owned ? 2 * e->cap_owned : 256;
        void **owned = realloc(e->owned, cap * sizeof *owned);
        if (!owned) {
            e->failed = 1;
            return NULL;
        }
        e->owned = owned;
        e->cap_owned = cap;
    }
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p) {
        e->failed = 1;
        return NULL;
    }
    return e->owned[e->n_owned++] = p;
}

static void release(exporter *e)
{
    for (size_t i = 0; i < e->n_owned; i++)
        free(e->owned[i]);
    free(e->owned);
}

/* A formatted string owned by the exporter (NULL after a failure). */
static char *text(exporter *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *text(exporter *e, const char *fmt, ...)
{
    if (e->failed)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = grab(e, (size_t)n + 1);
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return s;
}

/* The node `type` named `name`, reading inputs[0..n), writing the one tensor also called `name`, which it
 * returns (NULL after a failure). The attr_* functions below add to it. */
static const char *op(exporter *e, const char *type, const char *name, const char *const *inputs, int n)
{
    Onnx__NodeProto *node = grab(e, sizeof *node);
    char **in = grab(e, (size_t)n * sizeof *in), **out = grab(e, sizeof *out);
    Onnx__AttributeProto **attrs = grab(e, MAX_ATTRS * sizeof *attrs);
    if (!node || !in || !out || !attrs || e->n_nodes == MAX_NODES) {
        e->failed = 1;
        return NULL;
    }
    onnx__node_proto__init(node);
    node->op_type = text(e, "%s", type);
    node->name = out[0] = text(e, "%s", name);
    for (int i = 0; i < n; i++)
        in[i] = text(e, "%s", inputs[i]);
    node->n_input = (size_t)n;
    node->input = in;
    node->n_output = 1;
    node->output = out;
    node->attribute = attrs;
    e->nodes[e->n_nodes++] = node;
    return e->failed ? NULL : out[0];
}
/* op(e, type, name, IN(a, b, ...)) */
#define IN(...) (const char *const[]){ __VA_ARGS__ }, \
                (int)(sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

/* An attribute of the last node. */
static Onnx__AttributeProto *attr(exporter *e, const char *name, Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *a = grab(e, sizeof *a);
    if (!a)
        return NULL;
    Onnx__NodeProto *node = e->nodes[e->n_nodes - 1];
    onnx__attribute_proto__init(a);
    a->name = text(e, "%s", name);
    a->has_type = 1;
    a->type = type;
    node->attribute[node->n_attribute++] = a;
    return a;
}

static void attr_int(exporter *e, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(e, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    if (a) {
        a->has_i = 1;
        a->i = v;
    }
}

static void attr_float(exporter *e, const char *name, float v)
{
    Onnx__AttributeProto *a = attr(e, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    if (a) {
        a->has_f = 1;
        a->f = v;
    }
}

static void attr_ints(exporter *e, const char *name, int n, const int64_t *v)
{
    Onnx__AttributeProto *a = attr(e, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    int64_t *ints = grab(e, (size_t)n * sizeof *ints);
    if (a && ints) {
        memcpy(ints, v, (size_t)n * sizeof *ints);
        a->n_ints = (size_t)n;
        a->ints = ints;
    }
}
#define INTS(...) (int)(sizeof((const int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t)), (const int64_t[]){ __VA_ARGS__ }

/* An initializer of `ndims` dims (0: a scalar), of type `type`; returns its name (NULL after a failure). */
static Onnx__TensorProto *tensor(exporter *e, const char *name, int type, int ndims, const int64_t *dims)
{
    Onnx__TensorProto *t = grab(e, sizeof *t);
    int64_t *d = grab(e, (size_t)ndims * sizeof *d);
    if (!t || !d || e->n_tensors == MAX_TENSORS) {
        e->failed = 1;
        return NULL;
    }
    onnx__tensor_proto__init(t);
    t->name = text(e, "%s", name);
    if (ndims > 0)
        memcpy(d, dims, (size_t)ndims * sizeof *d);
    t->n_dims = (size_t)ndims;
    t->dims = d;
    t->has_data_type = 1;
    t->data_type = type;
    e->tensors[e->n_tensors++] = t;
    return t;
}

static size_t elements(int ndims, const int64_t *dims)
{
    size_t n = 1;
    for (int i = 0; i < ndims; i++)
        n *= (size_t)dims[i];
    return n;
}

/* A float initializer whose values are `data` (not copied: it must outlive the export). */
static const char *floats(exporter *e, const char *name, const float *data, int ndims, const int64_t *dims)
{
    Onnx__TensorProto *t = tensor(e, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, ndims, dims);
    if (!t)
        return NULL;
    t->n_float_data = elements(ndims, dims);
    t->float_data = (float *)data;
    return t->name;
}

/* A float scalar initializer. */
static const char *scalar(exporter *e, const char *name, float v)
{
    float *data = grab(e, sizeof *data);
    if (!data)
        return NULL;
    *data = v;
    return floats(e, name, data, 0, NULL);
}

/* An int64 initializer of one dim (a shape, for Reshape). */
static const char *int64s(exporter *e, const char *name, int n, const int64_t *v)
{
    Onnx__TensorProto *t = tensor(e, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, (const int64_t[]){ n });
    int64_t *data = grab(e, (size_t)n * sizeof *data);
    if (!t || !data)
        return NULL;
    memcpy(data, v, (size_t)n * sizeof *data);
    t->n_int64_data = (size_t)n;
    t->int64_data = data;
    return t->name;
}

/* A graph input or output: float32 [N, dims...] with N the batch, a dim_param. */
static Onnx__ValueInfoProto *value_info(exporter *e, const char *name, int ndims, const int64_t *dims,
                                        const char *doc)
{
    Onnx__ValueInfoProto *v = grab(e, sizeof *v);
    Onnx__TypeProto *type = grab(e, sizeof *type);
    Onnx__TypeProto__Tensor *tt = grab(e, sizeof *tt);
    Onnx__TensorShapeProto *shape = grab(e, sizeof *shape);
    Onnx__TensorShapeProto__Dimension **dim = grab(e, (size_t)(ndims + 1) * sizeof *dim);
    if (!v || !type || !tt || !shape || !dim)
        return NULL;
    for (int i = 0; i <= ndims; i++) {
        if (!(dim[i] = grab(e, sizeof *dim[i])))
            return NULL;
        onnx__tensor_shape_proto__dimension__init(dim[i]);
        if (i == 0) {
            dim[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dim[i]->dim_param = text(e, "N");
        } else {
            dim[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim[i]->dim_value = dims[i - 1];
        }
    }
    onnx__tensor_shape_proto__init(shape);
    shape->n_dim = (size_t)ndims + 1;
    shape->dim = dim;
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt->shape = shape;
    onnx__type_proto__init(type);
    type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type->tensor_type = tt;
    onnx__value_info_proto__init(v);
    v->name = text(e, "%s", name);
    v->type = type;
    v->doc_string = doc ? text(e, "%s", doc) : NULL;
    return v;
}

/* --- the preprocessing ---------------------------------------------------------------------------------- */

static void export_standardize(exporter *e, const nin_preprocess *p, nin_shape in)
{
    const int64_t dims[4] = { 1, in.c, 1, 1 };
    const char *mean = floats(e, "standardize.mean", p->mean, 4, dims);
    const char *std = floats(e, "standardize.std", p->std, 4, dims);
    const char *centred = op(e, "Sub", "standardize.centred", IN(e->x, mean));
    e->x = op(e, "Div", "standardize", IN(centred, std));
}

/* Global contrast normalisation of each image, flattened: [N, D]. */
static const char *export_gcn(exporter *e, size_t dim)
{
    const char *flat = op(e, "Flatten", "gcn.flatten", IN(e->x));
    attr_int(e, "axis", 1);
    const char *mean = op(e, "ReduceMean", "gcn.mean", IN(flat));
    attr_ints(e, "axes", INTS(1));
    const char *centred = op(e, "Sub", "gcn.centred", IN(flat, mean));
    const char *square = op(e, "Mul", "gcn.square", IN(centred, centred));
    const char *var = op(e, "ReduceMean", "gcn.variance", IN(square));
    attr_ints(e, "axes", INTS(1));
    const char *norm = op(e, "Sqrt", "gcn.norm", IN(var));
    const char *varies = op(e, "Greater", "gcn.varies", IN(norm, scalar(e, "gcn.min_norm", (float)NIN_GCN_MIN_NORM)));
    const char *safe = op(e, "Where", "gcn.safe_norm", IN(varies, norm, scalar(e, "gcn.one", 1.0f)));
    const char *target = scalar(e, "gcn.target", (float)(NIN_GCN_SCALE / sqrt((double)dim)));
    const char *scale = op(e, "Div", "gcn.scale", IN(target, safe));
    return op(e, "Mul", "gcn", IN(centred, scale));
}

static void export_zca(exporter *e, const nin_preprocess *p, nin_shape in)
{
    int64_t dim = (int64_t)in.c * in.h * in.w;
    const char *gcn = export_gcn(e, (size_t)dim);
    const char *mean = floats(e, "zca.mean", p->zca_mean, 2, (const int64_t[]){ 1, dim });
    const char *matrix = floats(e, "zca.matrix", p->zca, 2, (const int64_t[]){ dim, dim });
    const char *centred = op(e, "Sub", "zca.centred", IN(gcn, mean));
    const char *white = op(e, "MatMul", "zca.whitened", IN(centred, matrix));
    e->x = op(e, "Reshape", "zca", IN(white, int64s(e, "zca.shape", INTS(0, in.c, in.h, in.w))));
}

/* The constants of LCN's blur: the taps of each pass, one copy per channel ([C,1,1,K] and [C,1,K,1]), and the
 * weight of the taps inside the image at each column ([1,1,1,W]) and row ([1,1,H,1]). */
typedef struct lcn_blur { const char *row_taps, *col_taps, *row_weight, *col_weight; int channels; } lcn_blur;

/* weight[i]: the sum of the taps that fall inside a line of n pixels around pixel i, summed in preprocess.c's
 * order. */
static float *tap_weights(exporter *e, const float *k, int n)
{
    float *weight = grab(e, (size_t)n * sizeof *weight);
    for (int i = 0; weight && i < n; i++)
        for (int t = -NIN_LCN_RADIUS; t <= NIN_LCN_RADIUS; t++)
            if (i + t >= 0 && i + t < n)
                weight[i] += k[t + NIN_LCN_RADIUS];
    return weight;
}

static lcn_blur lcn_constants(exporter *e, nin_shape in)
{
    const int taps = 2 * NIN_LCN_RADIUS + 1;
    lcn_blur b = { NULL, NULL, NULL, NULL, in.c };
    float *k = grab(e, (size_t)in.c * taps * sizeof *k);
    if (!k)
        return b;
    nin_lcn_window(k);
    for (int c = 1; c < in.c; c++)
        memcpy(k + (size_t)c * taps, k, taps * sizeof *k);
    b.row_taps = floats(e, "lcn.row_taps", k, 4, (const int64_t[]){ in.c, 1, 1, taps });
    b.col_taps = floats(e, "lcn.column_taps", k, 4, (const int64_t[]){ in.c, 1, taps, 1 });
    b.row_weight = floats(e, "lcn.row_weight", tap_weights(e, k, in.w), 4, (const int64_t[]){ 1, 1, 1, in.w });
    b.col_weight = floats(e, "lcn.column_weight", tap_weights(e, k, in.h), 4, (const int64_t[]){ 1, 1, in.h, 1 });
    return b;
}

/* One pass of the blur: a grouped convolution with the taps along a row (horizontal) or a column, divided by
 * the taps' weight inside the image. */
static const char *blur_pass(exporter *e, const lcn_blur *b, const char *x, const char *name, int horizontal)
{
    const int r = NIN_LCN_RADIUS, taps = 2 * NIN_LCN_RADIUS + 1;
    const char *sum = op(e, "Conv", text(e, "%s.sum", name), IN(x, horizontal ? b->row_taps : b->col_taps));
    attr_int(e, "group", b->channels);
    if (horizontal) {
        attr_ints(e, "kernel_shape", INTS(1, taps));
        attr_ints(e, "pads", INTS(0, r, 0, r));
    } else {
        attr_ints(e, "kernel_shape", INTS(taps, 1));
        attr_ints(e, "pads", INTS(r, 0, r, 0));
    }
    return op(e, "Div", name, IN(sum, horizontal ? b->row_weight : b->col_weight));
}

static const char *blur(exporter *e, const lcn_blur *b, const char *x, const char *name)
{
    const char *rows = blur_pass(e, b, x, text(e, "%s.rows", name), 1);
    return blur_pass(e, b, rows, name, 0);
}

static void export_lcn(exporter *e, nin_shape in)
{
    lcn_blur b = lcn_constants(e, in);
    const char *mean = blur(e, &b, e->x, "lcn.local_mean");
    const char *centred = op(e, "Sub", "lcn.centred", IN(e->x, mean));
    const char *square = op(e, "Mul", "lcn.square", IN(centred, centred));
    const char *std = op(e, "Sqrt", "lcn.local_std", IN(blur(e, &b, square, "lcn.local_variance")));
    const char *mean_std = op(e, "ReduceMean", "lcn.mean_std", IN(std));
    attr_ints(e, "axes", INTS(2, 3));
    const char *divisor = op(e, "Max", "lcn.divisor", IN(std, mean_std, scalar(e, "lcn.min_std", NIN_LCN_MIN_STD)));
    e->x = op(e, "Div", "lcn", IN(centred, divisor));
}

/* The preprocessing of "image" into e->x. -1 with err when the checkpoint's preprocessing is not whole. */
static int export_preprocess(exporter *e, const nin_preprocess *p, nin_shape in, char *err, size_t err_size)
{
    if (p->shape.c != in.c || p->shape.h != in.h || p->shape.w != in.w)
        return nin_set_error(err, err_size, "the %s preprocessing was fitted on %dx%dx%d images, not the input's "
                             "%dx%dx%d", nin_preprocess_name(p->kind), p->shape.c, p->shape.h, p->shape.w, in.c,
                             in.h, in.w);
    e->x = "image";
    if (p->kind == NIN_PREPROCESS_STANDARDIZE) {
        export_standardize(e, p, in);
    } else if (p->kind == NIN_PREPROCESS_ZCA) {
        if (!p->zca || !p->zca_mean)
            return nin_set_error(err, err_size, "the zca preprocessing holds no whitening matrix");
        export_zca(e, p, in);
    } else {
        export_lcn(e, in);
    }
    return 0;
}

/* --- the layers ----------------------------------------------------------------------------------------- */

/* A parameter tensor "LAYER.WHAT", pointing at params + off. */
static const char *param(exporter *e, const float *params, const char *layer, const char *what, size_t off,
                         int ndims, const int64_t *dims)
{
    return floats(e, text(e, "%s.%s", layer, what), params + off, ndims, dims);
}

/* The activation back in N x C x H x W after a Gemm (whose output is C x 1 x 1). */
static void unflatten(exporter *e, nin_shape s, const char *name)
{
    if (!e->flat)
        return;
    const char *shape = int64s(e, text(e, "%s.input_shape", name), INTS(0, s.c, s.h, s.w));
    e->x = op(e, "Reshape", text(e, "%s.input", name), IN(e->x, shape));
    e->flat = 0;
}

static void relu(exporter *e, const nin_layer *l, const char *name)
{
    if (l->def.relu)
        e->x = op(e, "Relu", text(e, "%s.relu", name), IN(e->x));
}

static void export_conv(exporter *e, const float *params, const nin_layer *l, const char *name)
{
    const int64_t weight_dims[4] = { l->out.c, l->in.c, l->kh, l->kw }, bias_dims[1] = { l->out.c };
    const char *w = param(e, params, name, "weight", l->weight_off, 4, weight_dims);
    const char *b = param(e, params, name, "bias", l->bias_off, 1, bias_dims);
    int s = l->def.stride, p = l->def.pad;
    unflatten(e, l->in, name);
    e->x = op(e, "Conv", name, IN(e->x, w, b));
    attr_ints(e, "kernel_shape", INTS(l->kh, l->kw));
    attr_ints(e, "strides", INTS(s, s));
    attr_ints(e, "pads", INTS(p, p, p, p));
    relu(e, l, name);
}

static void export_fc(exporter *e, const float *params, const nin_layer *l, const char *name)
{
    const int64_t weight_dims[2] = { l->out.c, (int64_t)l->in.c * l->in.h * l->in.w }, bias_dims[1] = { l->out.c };
    const char *w = param(e, params, name, "weight", l->weight_off, 2, weight_dims);
    const char *b = param(e, params, name, "bias", l->bias_off, 1, bias_dims);
    if (!e->flat) {
        e->x = op(e, "Flatten", text(e, "%s.flatten", name), IN(e->x));
        attr_int(e, "axis", 1);
        e->flat = 1;
    }
    e->x = op(e, "Gemm", name, IN(e->x, w, b));
    attr_int(e, "transB", 1);
    relu(e, l, name);
}

static void export_batchnorm(exporter *e, const float *params, const nin_layer *l, const char *name)
{
    const int64_t dims[1] = { l->in.c };
    const char *gamma = param(e, params, name, "weight", l->weight_off, 1, dims);
    const char *beta = param(e, params, name, "bias", l->bias_off, 1, dims);
    const char *mean = param(e, params, name, "running_mean", l->stats_off, 1, dims);
    const char *var = param(e, params, name, "running_var", l->stats_off + (size_t)l->in.c, 1, dims);
    e->x = op(e, "BatchNormalization", name, IN(e->x, gamma, beta, mean, var));   /* [N, C] or [N, C, H, W] */
    attr_float(e, "epsilon", NIN_BN_EPS);
    relu(e, l, name);
}

/* ONNX's ceil-mode output size of a window of `size` (clipped to the input), stride `stride`, no pads. */
static int onnx_pool_size(int in, int size, int stride)
{
    int k = size < in ? size : in;
    return (in - k + stride - 1) / stride + 1;
}

static int export_pool(exporter *e, const nin_layer *l, const char *name, char *err, size_t err_size)
{
    int k = l->def.size, s = l->def.stride;
    if (onnx_pool_size(l->in.h, k, s) != l->out.h || onnx_pool_size(l->in.w, k, s) != l->out.w)
        return nin_set_error(err, err_size, "layer %d (%s, window %d, stride %d on %dx%d): its last window would "
                             "start past the input, which nin-cl leaves out and ONNX's ceil mode does not", l->index + 1,
                             name, k, s, l->in.h, l->in.w);
    int avg = l->def.kind == NIN_AVGPOOL;
    unflatten(e, l->in, name);
    e->x = op(e, avg ? "AveragePool" : "MaxPool", name, IN(e->x));
    attr_ints(e, "kernel_shape", INTS(k < l->in.h ? k : l->in.h, k < l->in.w ? k : l->in.w));
    attr_ints(e, "strides", INTS(s, s));
    attr_int(e, "ceil_mode", 1);
    if (avg)
        attr_int(e, "count_include_pad", 0);
    return 0;
}

static int export_layer(exporter *e, const float *params, const nin_layer *l, char *err, size_t err_size)
{
    static const char *const names[] = { [NIN_CONV] = "conv", [NIN_FC] = "fc", [NIN_MAXPOOL] = "maxpool",
                                         [NIN_AVGPOOL] = "avgpool", [NIN_DROPOUT] = "dropout", [NIN_GAP] = "gap",
                                         [NIN_BATCHNORM] = "bn" };
    const char *name = text(e, "%s%d", names[l->def.kind], ++e->count[l->def.kind]);
    switch (l->def.kind) {
    case NIN_CONV:
        export_conv(e, params, l, name);
        break;
    case NIN_FC:
        export_fc(e, params, l, name);
        break;
    case NIN_BATCHNORM:
        export_batchnorm(e, params, l, name);
        break;
    case NIN_MAXPOOL:
    case NIN_AVGPOOL:
        return export_pool(e, l, name, err, err_size);
    case NIN_GAP:
        unflatten(e, l->in, name);
        e->x = op(e, "GlobalAveragePool", name, IN(e->x));
        break;
    case NIN_DROPOUT:
        e->x = op(e, "Dropout", name, IN(e->x, scalar(e, text(e, "%s.ratio", name), l->def.rate)));
        break;
    }
    return 0;
}

/* "logits" [N, classes] from the last layer's output, and "probabilities", their softmax. */
static void export_outputs(exporter *e)
{
    if (e->flat) {   /* the last node's output is [N, classes] already: it becomes "logits" */
        Onnx__NodeProto *last = e->nodes[e->n_nodes - 1];
        last->output[0] = text(e, "logits");
        e->x = "logits";
    } else {
        e->x = op(e, "Flatten", "logits", IN(e->x));
        attr_int(e, "axis", 1);
    }
    op(e, "Softmax", "probabilities", IN(e->x));
    attr_int(e, "axis", 1);
}

/* The whole graph into e. -1 with err for what ONNX cannot express, or a checkpoint that is not whole. */
static int export_graph(exporter *e, const nin_checkpoint *ck, const nin_netdef *def, char *err, size_t err_size)
{
    char why[512];
    nin_net *plan = nin_net_plan(def, ck->input, 1, why, sizeof why);
    if (!plan)
        return nin_set_error(err, err_size, "%s", why);
    int status = 0;
    nin_layer *last = &plan->layers[plan->count - 1];
    if (plan->params != ck->params)
        status = nin_set_error(err, err_size, "the network has %zu parameters, the checkpoint holds %zu",
                               plan->params, ck->params);
    else if ((size_t)last->out.c * last->out.h * last->out.w != (size_t)ck->classes)
        status = nin_set_error(err, err_size, "the network ends in %dx%dx%d outputs, not its %d classes",
                               last->out.c, last->out.h, last->out.w, ck->classes);
    else
        status = export_preprocess(e, &ck->pre, ck->input, err, err_size);
    for (int i = 0; status == 0 && i < plan->count; i++)
        status = export_layer(e, ck->weights, &plan->layers[i], err, err_size);
    free(plan);
    if (status == 0)
        export_outputs(e);
    return status;
}

/* --- the model ------------------------------------------------------------------------------------------ */

/* The metadata_props entry KEY = VALUE (the value copied). */
static Onnx__StringStringEntryProto *meta(exporter *e, const char *key, const char *value)
{
    Onnx__StringStringEntryProto *m = grab(e, sizeof *m);
    if (!m)
        return NULL;
    onnx__string_string_entry_proto__init(m);
    m->key = text(e, "%s", key);
    m->value = text(e, "%s", value);
    return m;
}

/* The class names joined by newlines ("" when the checkpoint has none). */
static char *joined_names(exporter *e, const nin_checkpoint *ck)
{
    size_t size = 1;
    for (int c = 0; ck->class_names && c < ck->classes; c++)
        size += strlen(ck->class_names[c]) + 1;
    char *s = grab(e, size);
    for (int c = 0; s && ck->class_names && c < ck->classes; c++) {
        if (c > 0)
            strcat(s, "\n");
        strcat(s, ck->class_names[c]);
    }
    return s;
}

/* The metadata: the netdef, dataset, input shape, preprocessing and class names. Returns their count. */
static size_t export_metadata(exporter *e, const nin_checkpoint *ck, const nin_netdef *def,
                              Onnx__StringStringEntryProto **props)
{
    char netdef[2048];
    nin_netdef_format(def, netdef, sizeof netdef);
    size_t n = 0;
    props[n++] = meta(e, "nin.netdef", netdef);
    props[n++] = meta(e, "nin.dataset", ck->config.dataset);
    props[n++] = meta(e, "nin.input", text(e, "%dx%dx%d", ck->input.c, ck->input.h, ck->input.w));
    props[n++] = meta(e, "nin.preprocess", nin_preprocess_name(ck->pre.kind));
    props[n++] = meta(e, "nin.input_range", "0..255");   /* the input is pixel values (the importer's default: / 255) */
    if (ck->class_names)
        props[n++] = meta(e, "nin.class_names", joined_names(e, ck));
    return n;
}

/* The graph's input and outputs. */
static void export_interface(exporter *e, const nin_checkpoint *ck, Onnx__ValueInfoProto **input,
                             Onnx__ValueInfoProto **outputs)
{
    nin_shape in = ck->input;
    const char *doc = text(e, "N images of %dx%dx%d (channels x height x width, planar) pixel values 0..255 as "
                           "float32, the channels as nin-cl reads them (grey, or R, G, B); the graph applies the "
                           "model's %s preprocessing itself", in.c, in.h, in.w, nin_preprocess_name(ck->pre.kind));
    input[0] = value_info(e, "image", 3, (const int64_t[]){ in.c, in.h, in.w }, doc);
    outputs[0] = value_info(e, "logits", 1, (const int64_t[]){ ck->classes },
                            "the network's outputs before the softmax, one per class");
    outputs[1] = value_info(e, "probabilities", 1, (const int64_t[]){ ck->classes }, "softmax of the logits");
}

/* The model, packed into a buffer the caller frees (*size bytes); NULL with err. */
static uint8_t *export_model(exporter *e, const nin_checkpoint *ck, size_t *size, char *err, size_t err_size)
{
    nin_netdef def;
    char why[512];
    if (nin_netdef_parse(ck->config.netdef, &def, why, sizeof why) != 0) {
        nin_set_error(err, err_size, "the netdef: %s", why);
        return NULL;
    }
    if (export_graph(e, ck, &def, err, err_size) != 0)
        return NULL;
    Onnx__ValueInfoProto *input[1], *outputs[2];
    Onnx__StringStringEntryProto *props[MAX_META];
    export_interface(e, ck, input, outputs);
    size_t n_props = export_metadata(e, ck, &def, props);
    Onnx__GraphProto graph;
    onnx__graph_proto__init(&graph);
    graph.name = text(e, "nin");
    graph.n_node = e->n_nodes;
    graph.node = e->nodes;
    graph.n_initializer = e->n_tensors;
    graph.initializer = e->tensors;
    graph.n_input = 1;
    graph.input = input;
    graph.n_output = 2;
    graph.output = outputs;
    Onnx__OperatorSetIdProto opset, *opsets[1] = { &opset };
    onnx__operator_set_id_proto__init(&opset);
    opset.domain = text(e, "%s", "");
    opset.has_version = 1;
    opset.version = OPSET;
    Onnx__ModelProto model;
    onnx__model_proto__init(&model);
    model.has_ir_version = 1;
    model.ir_version = IR_VERSION;
    model.n_opset_import = 1;
    model.opset_import = opsets;
    model.producer_name = text(e, "nin-cl");
    model.producer_version = text(e, "%s", PACKAGE_VERSION);
    model.doc_string = text(e, "Network In Network %s trained by nin-cl on %s", ck->config.netdef,
                            ck->config.dataset);
    model.graph = &graph;
    model.n_metadata_props = n_props;
    model.metadata_props = props;
    uint8_t *buf = NULL;
    if (!e->failed && (buf = malloc(*size = onnx__model_proto__get_packed_size(&model))))
        onnx__model_proto__pack(&model, buf);
    if (!buf)
        nin_set_error(err, err_size, "out of host memory");
    return buf;
}

int nin_onnx_export_summary(const nin_checkpoint *ck, const char *path, nin_onnx_summary *summary, char *err,
                            size_t err_size)
{
    exporter *e = calloc(1, sizeof *e);
    if (!e)
        return nin_set_error(err, err_size, "cannot export %s: out of host memory", path);
    char why[1024];
    size_t size = 0;
    uint8_t *buf = export_model(e, ck, &size, why, sizeof why);
    int status = buf ? nin_write_atomically(path, buf, size, "ONNX model", err, err_size)
                     : nin_set_error(err, err_size, "cannot export %s: %s", path, why);
    if (status == 0 && summary)
        *summary = (nin_onnx_summary){ OPSET, (int)e->n_nodes, size };
    free(buf);
    release(e);
    free(e);
    return status;
}

int nin_onnx_export(const nin_checkpoint *ck, const char *path, char *err, size_t err_size)
{
    return nin_onnx_export_summary(ck, path, NULL, err, err_size);
}
