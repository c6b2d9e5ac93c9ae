/* onnx_import.c - an ONNX model made of the operators a NIN uses, read into a nin-cl checkpoint.
 *
 * The graph must be one chain from its one data input: every node takes the tensor the previous one made and
 * otherwise only constants (initializers, Constant nodes, or tensors the caller binds to graph inputs). The
 * chain maps onto netdef tokens:
 *   leading constant Sub/Div/Mul/Add per channel    the preprocessing ("standardize" in pixel units 0..255)
 *   Conv [+ BatchNormalization] [+ Relu]            "Mc{k}p{p}s{s}" with its "b" / "l" suffixes
 *   Gemm, MatMul [+ Add]                            "Mfc" (alpha, beta and transB folded into the weights)
 *   MaxPool, AveragePool                            "mp{k}s{s}", "ap{k}s{s}" (nin-cl's ceil-mode size must be ONNX's)
 *   GlobalAveragePool, Dropout                      "gap", "d{ratio}"
 *   BatchNormalization alone                        "bn" / "bnl", its epsilon folded into the running variance
 *   Flatten, Reshape to [N, -1], Identity, Squeeze  no layer
 *   Softmax as the last node                        dropped (nin-cl's predict applies it)
 * A Relu fuses into the convolution, fully connected or batch-norm layer before it, across max-pools and
 * dropout (which commute with it); with none there it is an identity 1x1 convolution with its ReLU. A graph
 * with no layer left (only a softmax, say) is the identity "ap1s1". Weights are copied into the checkpoint's
 * parameter layout (nin_net_plan). Anything else is refused with one line naming the file, the node and why.
 *
 * The file is untrusted: every count, dim and index is checked, tensors hold exactly the values their dims
 * say (so no allocation outgrows the file, except the identity convolution, which is capped), and nothing is
 * read past what protobuf-c unpacked. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nin/error.h>
#include <nin/onnx.h>
#include "net_impl.h"
#include "onnx.pb-c.h"
#include "onnx_impl.h"

#define MAX_RANK 8
#define MAX_VALUES ((size_t)1 << 28)   /* values in one tensor */
#define MAX_DIM 65536                  /* channels, height, width of the input */
#define MAX_SAMPLE ((size_t)1 << 26)   /* values of one input sample */
#define MAX_IDENTITY_MAPS 4096         /* the identity convolution a lone ReLU becomes: at most 16 Mi weights */
#define MAX_FILE ((size_t)1 << 31)
#define MAX_OUTPUTS 999999               /* maps or units of a layer: what a netdef token holds */

enum { FLOAT = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, INT64 = ONNX__TENSOR_PROTO__DATA_TYPE__INT64,
       BOOL = ONNX__TENSOR_PROTO__DATA_TYPE__BOOL };

/* A constant: an initializer, a Constant node's value or a bound tensor; its values copied. */
typedef struct constant {
    const char *name;
    int type, rank;
    int64_t dims[MAX_RANK];
    size_t count;
    float *f;        /* FLOAT */
    int64_t *i;      /* INT64 */
} constant;

/* One layer's parameters as ONNX gave them, in nin-cl's order (NULL: none). */
typedef struct layer_params {
    float *w, *b, *stats;
    size_t nw, nb, nstats;
} layer_params;

typedef struct importer {
    const char *file;
    char *err;
    size_t err_size;
    const nin_onnx_options *opt;
    Onnx__ModelProto *model;
    int opset;
    constant *consts;
    int n_consts, cap_consts;
    /* the node being read, for errors */
    int node_index;
    const Onnx__NodeProto *node;
    /* the chain so far */
    const char *cur;         /* the tensor the chain has reached */
    int rank;                /* its rank: 4 (N C H W), 3 (N C L: c x 1 x L), 2 (N K) */
    nin_shape shape;         /* one sample of it (rank 2: the c x h x w it was flattened from, or K x 1 x 1) */
    int64_t batch;           /* the input's N, 0 when symbolic */
    nin_shape input;
    const char *input_name;
    const Onnx__ValueInfoProto *input_info;
    nin_netdef def;
    layer_params params[NIN_MAX_LAYERS];
    int pre_open;            /* no node but preprocessing (or Identity) yet */
    int layer_open;          /* the tensor is the output of the last conv / fc layer (an Add may be its bias) */
    float *scale, *shift;    /* the preprocessing nodes, per input channel */
    int softmax;
    const char *logits;      /* the tensor the softmax read */
} importer;

static const char *str(const char *s) { return s ? s : ""; }

/* The one line: `file: why`, or about the node being read, `file: node 4 "Conv_3" (Conv): why`. */
static int vfail(importer *im, int about_node, const char *fmt, va_list ap)
{
    char why[512];
    vsnprintf(why, sizeof why, fmt, ap);
    if (!about_node)
        return nin_set_error(im->err, im->err_size, "%s: %s", im->file, why);
    return nin_set_error(im->err, im->err_size, "%s: node %d \"%.100s\" (%.60s): %s", im->file, im->node_index,
                         str(im->node->name), str(im->node->op_type), why);
}

static int fail(importer *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(importer *im, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = vfail(im, 0, fmt, ap);
    va_end(ap);
    return status;
}

static int node_fail(importer *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int node_fail(importer *im, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = vfail(im, 1, fmt, ap);
    va_end(ap);
    return status;
}

/* --- constants ----------------------------------------------------------------------------------------- */

static const constant *find_const(const importer *im, const char *name)
{
    for (int i = im->n_consts - 1; i >= 0; i--)
        if (strcmp(im->consts[i].name, name) == 0)
            return &im->consts[i];
    return NULL;
}

/* Copy the values of tensor t into c: FLOAT (raw little-endian bytes or float_data), INT64 (raw or
 * int64_data), BOOL (raw bytes or int32_data, as int64 values). */
static int read_values(importer *im, const Onnx__TensorProto *t, const char *name, constant *c)
{
    size_t width = c->type == FLOAT ? sizeof(float) : c->type == INT64 ? sizeof(int64_t) : 1;
    size_t typed = c->type == FLOAT ? t->n_float_data : c->type == INT64 ? t->n_int64_data : t->n_int32_data;
    int raw = t->has_raw_data && t->raw_data.len > 0;
    if (raw ? t->raw_data.len != c->count * width : typed != c->count)
        return fail(im, "tensor \"%.100s\": %zu %s for %zu values", name, raw ? t->raw_data.len : typed,
                    raw ? "bytes" : "values", c->count);
    void *copy = malloc(c->count * (c->type == FLOAT ? sizeof(float) : sizeof(int64_t)) + 1);
    if (!copy)
        return fail(im, "out of host memory reading tensor \"%.100s\"", name);
    if (c->count == 0)   /* an empty tensor: its data pointers may be NULL */
        ;
    else if (c->type == FLOAT)
        memcpy(copy, raw ? (const void *)t->raw_data.data : (const void *)t->float_data, c->count * width);
    else if (c->type == INT64)
        memcpy(copy, raw ? (const void *)t->raw_data.data : (const void *)t->int64_data, c->count * width);
    else
        for (size_t k = 0; k < c->count; k++)
            ((int64_t *)copy)[k] = raw ? t->raw_data.data[k] != 0 : t->int32_data[k] != 0;
    if (c->type == FLOAT)
        c->f = copy;
    else
        c->i = copy;
    return 0;
}

/* Add tensor t as the constant `name` (its own name when NULL). Types other than FLOAT, INT64 and BOOL are kept
 * without values: refused where they are used. */
static int add_const(importer *im, const Onnx__TensorProto *t, const char *name)
{
    name = name ? name : str(t->name);
    if (im->n_consts == im->cap_consts) {
        int cap = im->cap_consts ? 2 * im->cap_consts : 16;
        constant *grown = realloc(im->consts, (size_t)cap * sizeof *grown);
        if (!grown)
            return fail(im, "out of host memory");
        im->consts = grown;
        im->cap_consts = cap;
    }
    constant *c = &im->consts[im->n_consts];
    memset(c, 0, sizeof *c);
    c->name = name;
    c->type = t->has_data_type ? t->data_type : 0;
    if (t->n_dims > MAX_RANK)
        return fail(im, "tensor \"%.100s\" has %zu dims", name, t->n_dims);
    c->rank = (int)t->n_dims;
    c->count = 1;
    for (size_t d = 0; d < t->n_dims; d++) {
        if (t->dims[d] < 0 || t->dims[d] > (int64_t)MAX_VALUES || (c->count *= (size_t)t->dims[d]) > MAX_VALUES)
            return fail(im, "tensor \"%.100s\": dims out of range", name);
        c->dims[d] = t->dims[d];
    }
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return fail(im, "tensor \"%.100s\" is stored outside the model file: not supported", name);
    if ((c->type == FLOAT || c->type == INT64 || c->type == BOOL) && read_values(im, t, name, c) != 0)
        return -1;
    im->n_consts++;
    return 0;
}

static void free_consts(importer *im)
{
    for (int i = 0; i < im->n_consts; i++) {
        free(im->consts[i].f);
        free(im->consts[i].i);
    }
    free(im->consts);
}

/* Node input k as a float constant (its values in *c). */
static int float_input(importer *im, size_t k, const constant **c)
{
    const char *name = k < im->node->n_input ? str(im->node->input[k]) : "";
    if (!*name)
        return node_fail(im, "input %zu is missing", k + 1);
    if (!(*c = find_const(im, name)))
        return node_fail(im, "input \"%.100s\" is not a constant: nin-cl networks are one chain from one input", name);
    if ((*c)->type != FLOAT)
        return node_fail(im, "tensor \"%.100s\" is of ONNX type %d: nin-cl takes float32 tensors only", name,
                         (*c)->type);
    return 0;
}

/* Whether node input k is given (optional inputs may be absent or ""). */
static int has_input(const importer *im, size_t k) { return k < im->node->n_input && *str(im->node->input[k]); }

/* --- attributes ---------------------------------------------------------------------------------------- */

static const Onnx__AttributeProto *attr(const importer *im, const char *name)
{
    for (size_t a = 0; a < im->node->n_attribute; a++)
        if (strcmp(str(im->node->attribute[a]->name), name) == 0)
            return im->node->attribute[a];
    return NULL;
}

static int64_t attr_int(const importer *im, const char *name, int64_t dflt)
{
    const Onnx__AttributeProto *a = attr(im, name);
    return a && a->has_i ? a->i : dflt;
}

static float attr_float(const importer *im, const char *name, float dflt)
{
    const Onnx__AttributeProto *a = attr(im, name);
    return a && a->has_f ? a->f : dflt;
}

/* An INTS attribute of `count` values, all equal to *value (its first one returned there); absent: dflt.
 * -1 with the error otherwise. */
static int attr_same_ints(importer *im, const char *name, size_t count, int64_t dflt, int64_t *value,
                          const char *why)
{
    const Onnx__AttributeProto *a = attr(im, name);
    *value = dflt;
    if (!a)
        return 0;
    if (a->n_ints != count)
        return node_fail(im, "%s has %zu values: nin-cl layers are 2-D", name, a->n_ints);
    *value = a->ints[0];
    for (size_t i = 1; i < count; i++)
        if (a->ints[i] != a->ints[0])
            return node_fail(im, "%s %lld,%lld: %s", name, (long long)a->ints[0], (long long)a->ints[i], why);
    return 0;
}

/* --- the chain ----------------------------------------------------------------------------------------- */

/* The node's data input: `cur` at position 0 (or, when `either`, at 1 with a constant at 0); its position. */
static int data_position(importer *im, int either)
{
    if (im->node->n_input > 0 && strcmp(str(im->node->input[0]), im->cur) == 0)
        return 0;
    if (either && im->node->n_input > 1 && strcmp(str(im->node->input[1]), im->cur) == 0)
        return 1;
    return node_fail(im, "does not take \"%.100s\", the tensor the chain has reached: nin-cl networks are one "
                     "chain from one input", im->cur);
}

static int add_layer(importer *im, nin_layer_def l, layer_params p)
{
    if (im->def.count == NIN_MAX_LAYERS) {
        free(p.w), free(p.b), free(p.stats);
        return node_fail(im, "more than %d layers", NIN_MAX_LAYERS);
    }
    im->params[im->def.count] = p;
    im->def.layers[im->def.count++] = l;
    return 0;
}

static size_t volume(nin_shape s) { return (size_t)s.c * s.h * s.w; }

/* The values of a per-channel constant c for `channels` channels of a tensor of rank `rank` (dims aligned
 * right, as ONNX broadcasts): a scalar, or 1 everywhere but the channel axis. NULL when c is neither. */
static int per_channel(const constant *c, int rank, int channels, float *out)
{
    if (c->rank > rank)
        return -1;
    int axis = c->rank - (rank - 1);   /* the channel axis (data axis 1) within c's dims, if c reaches it */
    for (int d = 0; d < c->rank; d++)
        if (c->dims[d] != 1 && !(d == axis && c->dims[d] == channels))
            return -1;
    for (int k = 0; k < channels; k++)
        out[k] = c->f[c->count == 1 ? 0 : k];
    return 0;
}

/* Sub/Div/Mul/Add of a per-channel constant before any layer: the input's preprocessing, or after a
 * convolution or fully connected layer, an Add into its bias. */
static int arithmetic(importer *im, const char *op)
{
    int add = strcmp(op, "Add") == 0, commutes = add || strcmp(op, "Mul") == 0;
    int pos = data_position(im, commutes);
    const constant *c;
    if (pos < 0 || float_input(im, 1 - pos, &c) != 0)
        return -1;
    int channels = im->shape.c;
    float *v = malloc((size_t)channels * sizeof *v);
    if (!v)
        return node_fail(im, "out of host memory");
    int status = 0;
    if (per_channel(c, im->rank, channels, v) != 0 || (im->rank == 2 && (im->shape.h != 1 || im->shape.w != 1))) {
        status = node_fail(im, "a constant that is neither a scalar nor one value per channel");
    } else if (im->pre_open) {
        for (int k = 0; k < channels; k++) {
            float *a = &im->scale[k], *b = &im->shift[k];
            if (add) *b += v[k];
            else if (op[0] == 'S') *b -= v[k];
            else if (op[0] == 'M') *a *= v[k], *b *= v[k];
            else if (v[k] == 0.0f) status = node_fail(im, "division by zero");
            else *a /= v[k], *b /= v[k];
        }
    } else if (add && im->layer_open) {
        layer_params *p = &im->params[im->def.count - 1];
        for (int k = 0; k < channels; k++)
            p->b[k] += v[k];
    } else {
        status = node_fail(im, "constant arithmetic only as the input's preprocessing (before the first layer), or "
                           "an Add right after a convolution or fully connected layer (its bias)");
    }
    free(v);
    return status;
}

/* The spatial output size of ONNX's convolution or pooling window over `in` with total padding `pads`. */
static int64_t window_output(int64_t in, int64_t k, int64_t s, int64_t pads, int ceil_mode)
{
    int64_t span = in + pads - k;
    return span < 0 ? 0 : (ceil_mode ? (span + s - 1) / s : span / s) + 1;
}

/* auto_pad, kernel k and stride s: the symmetric pad per side into *pad (the pads attribute when NOTSET). Every
 * Conv and pool comes here: k and s are range-checked here, before SAME's arithmetic divides by s. */
static int read_pads(importer *im, int64_t k, int64_t s, int64_t *pad)
{
    if (k < 1 || s < 1 || k > 1000 || s > 1000)
        return node_fail(im, "kernel %lld, stride %lld out of range", (long long)k, (long long)s);
    const Onnx__AttributeProto *a = attr(im, "auto_pad");
    const char *mode = a && a->has_s ? (a->s.data ? (const char *)a->s.data : "") : "NOTSET";
    size_t len = a && a->has_s ? a->s.len : 6;
    if (len == 6 && memcmp(mode, "NOTSET", 6) == 0)
        return attr_same_ints(im, "pads", 4, 0, pad, "nin-cl pads every side alike");
    if (len == 5 && memcmp(mode, "VALID", 5) == 0) {
        *pad = 0;
        return 0;
    }
    if (len == 10 && (memcmp(mode, "SAME_UPPER", 10) == 0 || memcmp(mode, "SAME_LOWER", 10) == 0)) {
        int64_t total[2];
        int64_t in[2] = { im->shape.h, im->shape.w };
        for (int d = 0; d < 2; d++) {
            int64_t out = (in[d] + s - 1) / s, t = (out - 1) * s + k - in[d];
            total[d] = t > 0 ? t : 0;
        }
        if (total[0] != total[1] || total[0] % 2)
            return node_fail(im, "auto_pad %.10s pads %lld and %lld: nin-cl pads every side alike", mode,
                             (long long)total[0], (long long)total[1]);
        *pad = total[0] / 2;
        return 0;
    }
    return node_fail(im, "auto_pad %.*s is not an ONNX padding mode", (int)(len < 20 ? len : 20), mode);
}

static int need_rank4(importer *im)
{
    return im->rank == 4 ? 0 : node_fail(im, "a %d-D input: nin-cl's convolutions and pools are 2-D", im->rank - 2);
}

static int check_attr_ones(importer *im, const char *name, const char *why)
{
    int64_t v;
    if (attr_same_ints(im, name, 2, 1, &v, why) != 0)
        return -1;
    return v == 1 ? 0 : node_fail(im, "%s %lld: %s", name, (long long)v, why);
}

static int conv(importer *im)
{
    const constant *w, *b = NULL;
    if (data_position(im, 0) < 0 || need_rank4(im) != 0 || float_input(im, 1, &w) != 0 ||
        (has_input(im, 2) && float_input(im, 2, &b) != 0))
        return -1;
    int64_t group = attr_int(im, "group", 1), stride, pad;
    if (group != 1)
        return node_fail(im, "group %lld: nin-cl convolutions are not grouped", (long long)group);
    if (check_attr_ones(im, "dilations", "nin-cl convolutions are undilated") != 0)
        return -1;
    if (w->rank != 4 || w->dims[1] != im->shape.c || w->dims[2] != w->dims[3] || w->dims[0] < 1 ||
        w->dims[0] > MAX_OUTPUTS || w->dims[2] < 1 || w->dims[2] > 1000)
        return node_fail(im, "weights of dims other than [M, %d, k, k]: nin-cl kernels are square", im->shape.c);
    int64_t k = w->dims[2], kernel;
    if (attr_same_ints(im, "kernel_shape", 2, k, &kernel, "nin-cl kernels are square") != 0)
        return -1;
    if (kernel != k)
        return node_fail(im, "kernel_shape %lld for weights of %lldx%lld", (long long)kernel, (long long)k,
                         (long long)k);
    if (attr_same_ints(im, "strides", 2, 1, &stride, "nin-cl strides are equal") != 0 ||
        read_pads(im, k, stride, &pad) != 0)
        return -1;
    if (pad < 0 || pad > 1000)   /* kernel and stride: read_pads */
        return node_fail(im, "pad %lld out of range", (long long)pad);
    if (b && (b->count != (size_t)w->dims[0] || b->rank != 1))
        return node_fail(im, "a bias of %zu values for %lld maps", b->count, (long long)w->dims[0]);
    int64_t oh = window_output(im->shape.h, k, stride, 2 * pad, 0), ow = window_output(im->shape.w, k, stride, 2 * pad, 0);
    if (oh < 1 || ow < 1)
        return node_fail(im, "a %lldx%lld kernel larger than its padded %dx%d input", (long long)k, (long long)k,
                         im->shape.h, im->shape.w);
    int m = (int)w->dims[0];
    layer_params p = { malloc(w->count * sizeof(float)), calloc((size_t)m, sizeof(float)), NULL, w->count, (size_t)m, 0 };
    if (!p.w || !p.b) {
        free(p.w), free(p.b);
        return node_fail(im, "out of host memory");
    }
    memcpy(p.w, w->f, w->count * sizeof(float));   /* [M, C, k, k]: nin-cl's W [M x C*k*k] */
    if (b)
        memcpy(p.b, b->f, (size_t)m * sizeof(float));
    nin_layer_def l = { .kind = NIN_CONV, .outputs = m, .size = (int)k, .stride = (int)stride, .pad = (int)pad };
    im->shape = (nin_shape){ m, (int)oh, (int)ow };
    im->layer_open = 1;
    return add_layer(im, l, p);
}

/* A fully connected layer of weights w [M x K] (taken) and bias (taken; NULL: zeros). */
static int fc(importer *im, float *w, float *bias, int m)
{
    layer_params p = { w, bias ? bias : calloc((size_t)m, sizeof(float)), NULL, (size_t)m * volume(im->shape),
                       (size_t)m, 0 };
    if (!p.b) {
        free(w);
        return node_fail(im, "out of host memory");
    }
    nin_layer_def l = { .kind = NIN_FC, .outputs = m, .stride = 1 };
    im->shape = (nin_shape){ m, 1, 1 };
    im->layer_open = 1;
    return add_layer(im, l, p);
}

/* B (rank 2) as nin-cl's W [M x K] scaled by alpha: B is [K x M], or [M x K] when transposed. */
static float *fc_weights(importer *im, const constant *B, int transposed, float alpha, int *m)
{
    size_t k = volume(im->shape);
    if (B->rank != 2 || (size_t)B->dims[transposed ? 1 : 0] != k || B->dims[transposed ? 0 : 1] < 1 ||
        B->dims[transposed ? 0 : 1] > MAX_OUTPUTS) {
        node_fail(im, "weights of dims other than [%zu, M]%s", k, transposed ? " transposed" : "");
        return NULL;
    }
    *m = (int)B->dims[transposed ? 0 : 1];
    float *w = malloc(B->count * sizeof *w);
    if (!w) {
        node_fail(im, "out of host memory");
        return NULL;
    }
    for (int o = 0; o < *m; o++)
        for (size_t i = 0; i < k; i++)
            w[(size_t)o * k + i] = alpha * B->f[transposed ? (size_t)o * k + i : i * (size_t)*m + o];
    return w;
}

static int need_rank2(importer *im)
{
    return im->rank == 2 ? 0 : node_fail(im, "a %d-D input: flatten it first", im->rank);
}

static int gemm(importer *im)
{
    const constant *B, *C = NULL;
    if (data_position(im, 0) < 0 || need_rank2(im) != 0 || float_input(im, 1, &B) != 0 ||
        (has_input(im, 2) && float_input(im, 2, &C) != 0))
        return -1;
    if (attr_int(im, "transA", 0) != 0)
        return node_fail(im, "transA 1: the input is not transposed in nin-cl");
    int m;
    float beta = attr_float(im, "beta", 1.0f);
    float *w = fc_weights(im, B, attr_int(im, "transB", 0) != 0, attr_float(im, "alpha", 1.0f), &m);
    if (!w)
        return -1;
    float *bias = calloc((size_t)m, sizeof *bias);
    if (!bias) {
        free(w);
        return node_fail(im, "out of host memory");
    }
    int vector = C && (C->count == (size_t)m && (C->rank == 1 || (C->rank == 2 && C->dims[0] == 1)));
    if (C && !vector && C->count != 1) {
        free(w), free(bias);
        return node_fail(im, "C of %zu values for %d outputs: nin-cl's bias is one vector for every sample",
                         C->count, m);
    }
    for (int o = 0; C && o < m; o++)
        bias[o] = beta * C->f[vector ? o : 0];
    return fc(im, w, bias, m);
}

static int matmul(importer *im)
{
    const constant *B;
    if (data_position(im, 0) < 0 || need_rank2(im) != 0 || float_input(im, 1, &B) != 0)
        return -1;
    int m;
    float *w = fc_weights(im, B, 0, 1.0f, &m);
    return w ? fc(im, w, NULL, m) : -1;
}

/* Relu: into the layer before it that can end in one, across max-pools and dropout (they commute with it);
 * else an identity 1x1 convolution with the ReLU. */
static int relu(importer *im)
{
    if (data_position(im, 0) < 0)
        return -1;
    int i = im->def.count - 1;
    while (i >= 0 && (im->def.layers[i].kind == NIN_MAXPOOL || im->def.layers[i].kind == NIN_DROPOUT))
        i--;
    nin_layer_def *l = i >= 0 ? &im->def.layers[i] : NULL;
    if (l && (l->kind == NIN_CONV || l->kind == NIN_FC || l->kind == NIN_BATCHNORM)) {
        l->relu = 1;
        return 0;
    }
    int c = im->shape.c;
    if (c > MAX_IDENTITY_MAPS || (im->rank == 2 && volume(im->shape) != (size_t)c))
        return node_fail(im, "a ReLU after no convolution, fully connected or batch-norm layer, on %zu values: "
                         "nin-cl has no ReLU of its own", volume(im->shape));
    layer_params p = { calloc((size_t)c * c, sizeof(float)), calloc((size_t)c, sizeof(float)), NULL,
                       (size_t)c * c, (size_t)c, 0 };
    if (!p.w || !p.b) {
        free(p.w), free(p.b);
        return node_fail(im, "out of host memory");
    }
    for (int k = 0; k < c; k++)
        p.w[(size_t)k * c + k] = 1.0f;
    return add_layer(im, (nin_layer_def){ .kind = NIN_CONV, .outputs = c, .size = 1, .stride = 1, .relu = 1 }, p);
}

/* The optional outputs of a node (a mask, running statistics) must not be asked for. */
static int single_output(importer *im, const char *what)
{
    for (size_t o = 1; o < im->node->n_output; o++)
        if (*str(im->node->output[o]))
            return node_fail(im, "%s output \"%.100s\": nin-cl's %s has one output", what, im->node->output[o],
                             str(im->node->op_type));
    return 0;
}

static int batchnorm(importer *im)
{
    const constant *t[4];   /* scale, B, mean, var */
    if (data_position(im, 0) < 0)
        return -1;
    if (attr_int(im, "training_mode", 0) != 0 || (im->opset < 7 && attr_int(im, "is_test", 0) == 0))
        return node_fail(im, "training mode: nin-cl imports inference graphs");
    if (attr_int(im, "spatial", 1) != 1)
        return node_fail(im, "spatial 0: nin-cl normalises each map as a whole");
    if (single_output(im, "a running-statistics") != 0)
        return -1;
    int c = im->shape.c;
    if (im->rank == 2 && volume(im->shape) != (size_t)c)
        return node_fail(im, "batch norm of flattened maps: nin-cl normalises maps");
    for (int k = 0; k < 4; k++) {
        if (float_input(im, (size_t)k + 1, &t[k]) != 0)
            return -1;
        if (t[k]->count != (size_t)c || t[k]->rank != 1)
            return node_fail(im, "input %d of %zu values for %d channels", k + 2, t[k]->count, c);
    }
    double eps = attr_float(im, "epsilon", 1e-5f);
    layer_params p = { malloc((size_t)c * sizeof(float)), malloc((size_t)c * sizeof(float)),
                       malloc(2 * (size_t)c * sizeof(float)), (size_t)c, (size_t)c, 2 * (size_t)c };
    if (!p.w || !p.b || !p.stats) {
        free(p.w), free(p.b), free(p.stats);
        return node_fail(im, "out of host memory");
    }
    memcpy(p.w, t[0]->f, (size_t)c * sizeof(float));
    memcpy(p.b, t[1]->f, (size_t)c * sizeof(float));
    memcpy(p.stats, t[2]->f, (size_t)c * sizeof(float));
    for (int k = 0; k < c; k++) {
        double var = (double)t[3]->f[k] + eps - NIN_BN_EPS;   /* nin-cl divides by sqrt(var + 1e-5) */
        if (!(var >= 0.0)) {
            free(p.w), free(p.b), free(p.stats);
            return node_fail(im, "channel %d: variance %g + epsilon %g is below nin-cl's epsilon 1e-5", k,
                             (double)t[3]->f[k], eps);
        }
        p.stats[c + k] = (float)var;
    }
    return add_layer(im, (nin_layer_def){ .kind = NIN_BATCHNORM, .stride = 1 }, p);
}

static int pool(importer *im, nin_layer_kind kind)
{
    int64_t k, s, pad;
    if (data_position(im, 0) < 0 || need_rank4(im) != 0 || single_output(im, "an indices") != 0)
        return -1;
    if (!attr(im, "kernel_shape"))
        return node_fail(im, "no kernel_shape");
    if (attr_same_ints(im, "kernel_shape", 2, 1, &k, "nin-cl pools are square") != 0 ||
        attr_same_ints(im, "strides", 2, 1, &s, "nin-cl strides are equal") != 0 ||
        check_attr_ones(im, "dilations", "nin-cl pools are undilated") != 0 || read_pads(im, k, s, &pad) != 0)
        return -1;
    if (pad != 0)
        return node_fail(im, "pads %lld: nin-cl pools are unpadded", (long long)pad);
    if (attr_int(im, "storage_order", 0) != 0)
        return node_fail(im, "storage_order 1: only the indices' order, which nin-cl does not output");
    int ceil_mode = attr_int(im, "ceil_mode", 0) != 0;
    int in[2] = { im->shape.h, im->shape.w }, out[2];
    for (int d = 0; d < 2; d++) {
        int64_t onnx = window_output(in[d], k, s, 0, ceil_mode);
        out[d] = nin_pool_output_size(in[d], (int)k, (int)s);
        if (onnx != out[d])
            return node_fail(im, "%s mode gives %lld outputs of %d, nin-cl's ceil mode %d", ceil_mode ? "ceil" :
                             "floor", (long long)onnx, in[d], out[d]);
        if (kind == NIN_AVGPOOL && attr_int(im, "count_include_pad", 0) != 0 && (out[d] - 1) * s + k > in[d])
            return node_fail(im, "count_include_pad 1 with windows past the edge: nin-cl averages what is inside");
    }
    im->shape = (nin_shape){ im->shape.c, out[0], out[1] };
    return add_layer(im, (nin_layer_def){ .kind = kind, .size = (int)k, .stride = (int)s }, (layer_params){ 0 });
}

static int dropout(importer *im)
{
    float ratio = attr_float(im, "ratio", 0.5f);
    const constant *r;
    if (data_position(im, 0) < 0 || single_output(im, "a mask") != 0)
        return -1;
    if (im->opset < 7 && attr_int(im, "is_test", 0) == 0)
        return node_fail(im, "is_test 0 (training): nin-cl imports inference graphs");
    if (has_input(im, 2)) {   /* training_mode */
        const constant *mode = find_const(im, str(im->node->input[2]));
        if (!mode || mode->count != 1 || mode->type != BOOL)
            return node_fail(im, "training_mode is not a constant boolean");
        if (mode->i[0])
            return node_fail(im, "training_mode true: nin-cl imports inference graphs");
    }
    if (has_input(im, 1)) {
        if (float_input(im, 1, &r) != 0)
            return -1;
        if (r->count != 1)
            return node_fail(im, "ratio of %zu values", r->count);
        ratio = r->f[0];
    }
    if (!(ratio >= 0.0f && ratio < 1.0f))
        return node_fail(im, "ratio %g outside [0, 1)", (double)ratio);
    return add_layer(im, (nin_layer_def){ .kind = NIN_DROPOUT, .stride = 1, .rate = ratio }, (layer_params){ 0 });
}

static int gap(importer *im)
{
    if (data_position(im, 0) < 0 || need_rank4(im) != 0)
        return -1;
    im->shape = (nin_shape){ im->shape.c, 1, 1 };
    return add_layer(im, (nin_layer_def){ .kind = NIN_GAP, .stride = 1 }, (layer_params){ 0 });
}

static int flatten(importer *im)
{
    int64_t axis = attr_int(im, "axis", 1);
    if (data_position(im, 0) < 0)
        return -1;
    if (axis != 1 && axis + im->rank != 1)
        return node_fail(im, "axis %lld: nin-cl flattens each sample (axis 1)", (long long)axis);
    im->rank = 2;
    return 0;
}

/* Reshape to [N, -1] (or [0 or N or -1, K]): a flatten. */
static int reshape(importer *im)
{
    const constant *s = has_input(im, 1) ? find_const(im, str(im->node->input[1])) : NULL;
    if (data_position(im, 0) < 0)
        return -1;
    if (!s || s->type != INT64 || s->count != 2)
        return node_fail(im, "a shape other than a constant [N, -1]");
    int64_t n = s->i[0], k = s->i[1], features = (int64_t)volume(im->shape);
    int n_ok = n == -1 ? k != -1 : n == 0 ? attr_int(im, "allowzero", 0) == 0 : n == im->batch;
    if (!n_ok || (k != -1 && k != features))
        return node_fail(im, "shape [%lld, %lld]: nin-cl reshapes only to [N, -1] (%lld values a sample)",
                         (long long)n, (long long)k, (long long)features);
    im->rank = 2;
    return 0;
}

/* Squeeze of the 1x1 dims after the channels. */
static int squeeze(importer *im)
{
    const int64_t *axes = NULL;
    size_t n = 0;
    const Onnx__AttributeProto *a = attr(im, "axes");
    const constant *c = has_input(im, 1) ? find_const(im, str(im->node->input[1])) : NULL;
    if (data_position(im, 0) < 0)
        return -1;
    if (a)
        axes = a->ints, n = a->n_ints;
    else if (c && c->type == INT64)
        axes = c->i, n = c->count;
    int mask = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t ax = axes[i] < 0 ? axes[i] + im->rank : axes[i];
        if (ax < 2 || ax >= im->rank)
            return node_fail(im, "axis %lld: nin-cl squeezes only the 1x1 dims after the channels", (long long)axes[i]);
        mask |= 1 << ax;
    }
    int want = im->rank == 4 ? 12 : im->rank == 3 ? 4 : 0;
    if (!axes || mask != want || im->shape.h != 1 || im->shape.w != 1)
        return node_fail(im, "a squeeze other than of the 1x1 dims after the channels");
    im->rank = 2;
    return 0;
}

static int identity(importer *im) { return data_position(im, 0) < 0 ? -1 : 0; }

/* Softmax over each sample's values, as the last node: dropped (nin-cl's predict applies it). */
static int softmax(importer *im)
{
    const Onnx__GraphProto *g = im->model->graph;
    if (data_position(im, 0) < 0)
        return -1;
    for (size_t i = (size_t)im->node_index + 1; i < g->n_node; i++)
        if (strcmp(str(g->node[i]->op_type), "Constant") != 0)
            return node_fail(im, "a softmax that is not the last node: nin-cl applies it only to the outputs");
    int64_t given = attr_int(im, "axis", im->opset < 13 ? 1 : -1), axis = given < 0 ? given + im->rank : given;
    /* before opset 13 the axis flattens [N, rest]; from 13 on it is one axis, which must hold all the values */
    int whole = axis == 1 && (im->opset < 13 || im->rank == 2 || volume(im->shape) == (size_t)im->shape.c);
    if (!whole)
        return node_fail(im, "axis %lld of a %d-D tensor: nin-cl's softmax is over each sample's outputs",
                         (long long)given, im->rank);
    im->softmax = 1;
    im->logits = im->cur;
    return 0;
}

/* A Constant node's value as the constant named by its output. */
static int constant_node(importer *im)
{
    const char *name = im->node->n_output ? str(im->node->output[0]) : "";
    const Onnx__AttributeProto *a = im->node->n_attribute == 1 ? im->node->attribute[0] : NULL;
    if (!*name || !a)
        return node_fail(im, "a constant without one output and one value");
    if (a->t)
        return add_const(im, a->t, name) != 0 ? -1 : 0;
    Onnx__TensorProto t = ONNX__TENSOR_PROTO__INIT;
    int64_t dims[1];
    const char *n = str(a->name);
    t.has_data_type = 1;
    if (strcmp(n, "value_float") == 0 || strcmp(n, "value_floats") == 0) {
        t.data_type = FLOAT;
        t.float_data = n[11] ? a->floats : (float *)&a->f;
        t.n_float_data = n[11] ? a->n_floats : 1;
    } else if (strcmp(n, "value_int") == 0 || strcmp(n, "value_ints") == 0) {
        t.data_type = INT64;
        t.int64_data = n[9] ? a->ints : (int64_t *)&a->i;
        t.n_int64_data = n[9] ? a->n_ints : 1;
    } else {
        return node_fail(im, "a constant of attribute %.40s: nin-cl reads float and int values", n);
    }
    if (n[strlen(n) - 1] == 's') {
        dims[0] = (int64_t)(t.data_type == FLOAT ? t.n_float_data : t.n_int64_data);
        t.n_dims = 1;
        t.dims = dims;
    }
    return add_const(im, &t, name) != 0 ? -1 : 0;
}

/* op_entry.keeps: what a node leaves open behind it */
#define KEEPS_PREPROCESSING 1   /* constant arithmetic after it is still the input's preprocessing */
#define KEEPS_BIAS 2            /* an Add after it may still be the last conv / fc layer's bias */

typedef struct op_entry {
    const char *name;
    int (*read)(importer *im);
    int keeps;
} op_entry;

static int maxpool(importer *im) { return pool(im, NIN_MAXPOOL); }
static int avgpool(importer *im) { return pool(im, NIN_AVGPOOL); }
static int sub(importer *im) { return arithmetic(im, "Sub"); }
static int div_(importer *im) { return arithmetic(im, "Div"); }
static int mul(importer *im) { return arithmetic(im, "Mul"); }
static int add(importer *im) { return arithmetic(im, "Add"); }

static const op_entry ops[] = {
    { "Conv", conv, 0 },        { "Gemm", gemm, 0 },          { "MatMul", matmul, 0 },
    { "Relu", relu, 0 },        { "BatchNormalization", batchnorm, 0 },
    { "MaxPool", maxpool, 0 },  { "AveragePool", avgpool, 0 }, { "GlobalAveragePool", gap, 0 },
    { "Dropout", dropout, 0 },  { "Flatten", flatten, 0 },    { "Reshape", reshape, 0 },
    { "Squeeze", squeeze, 0 },  { "Softmax", softmax, 0 },
    { "Identity", identity, KEEPS_PREPROCESSING | KEEPS_BIAS },
    { "Sub", sub, KEEPS_PREPROCESSING }, { "Div", div_, KEEPS_PREPROCESSING }, { "Mul", mul, KEEPS_PREPROCESSING },
    { "Add", add, KEEPS_PREPROCESSING | KEEPS_BIAS },
};

static int read_node(importer *im)
{
    const Onnx__NodeProto *n = im->node;
    const char *domain = str(n->domain);
    if (strcmp(str(n->op_type), "Constant") == 0 && !*domain)
        return constant_node(im);
    if (*domain && strcmp(domain, "ai.onnx") != 0)
        return node_fail(im, "domain %.60s: nin-cl reads the standard operators", domain);
    if (n->n_output < 1 || !*str(n->output[0]))
        return node_fail(im, "no output");
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (strcmp(ops[i].name, str(n->op_type)) != 0)
            continue;
        im->layer_open &= (ops[i].keeps & KEEPS_BIAS) != 0;   /* conv, gemm and matmul open it again */
        im->pre_open &= (ops[i].keeps & KEEPS_PREPROCESSING) != 0;
        if (ops[i].read(im) != 0)
            return -1;
        im->cur = n->output[0];
        return 0;
    }
    return node_fail(im, "nin-cl has no such layer");
}

/* --- the graph's ends ---------------------------------------------------------------------------------- */

static int is_initializer(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_initializer; i++)
        if (strcmp(str(g->initializer[i]->name), name) == 0)
            return 1;
    return 0;
}

/* The data input (the first graph input that is no initializer): its shape; the later ones bound to opt's
 * tensors. */
static int read_inputs(importer *im)
{
    const Onnx__GraphProto *g = im->model->graph;
    int bound = 0;
    for (size_t i = 0; i < g->n_input; i++) {
        const Onnx__ValueInfoProto *v = g->input[i];
        if (is_initializer(g, str(v->name)))
            continue;
        if (!im->input_name) {
            im->input_name = str(v->name);
            im->input_info = v;
            continue;
        }
        if (!im->opt || bound >= im->opt->bound_count)
            return fail(im, "graph input \"%.100s\" is a second data input: a nin-cl network takes one", str(v->name));
        const nin_onnx_blob *b = &im->opt->bound[bound++];
        Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, b->size, b->data);
        if (!t)
            return fail(im, "the tensor for graph input \"%.100s\" is no TensorProto", str(v->name));
        int status = add_const(im, t, str(v->name));
        onnx__tensor_proto__free_unpacked(t, NULL);
        if (status != 0)
            return -1;
    }
    if (!im->input_name)
        return fail(im, "the graph has no data input");
    return 0;
}

/* The data input's type and shape: [N, C, H, W], [N, C, L] (C x 1 x L) or [N, K] (K x 1 x 1). */
static int input_shape(importer *im)
{
    const Onnx__ValueInfoProto *v = im->input_info;
    const Onnx__TypeProto *t = v->type;
    if (!t || t->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !t->tensor_type)
        return fail(im, "input \"%.100s\" is not a tensor", im->input_name);
    if (t->tensor_type->elem_type != FLOAT)
        return fail(im, "input \"%.100s\" is of ONNX type %d: nin-cl takes float32", im->input_name,
                    t->tensor_type->elem_type);
    const Onnx__TensorShapeProto *s = t->tensor_type->shape;
    if (!s || s->n_dim < 2 || s->n_dim > 4)
        return fail(im, "input \"%.100s\" has %zu dims: nin-cl takes [N, C, H, W], [N, C, L] or [N, K]",
                    im->input_name, s ? s->n_dim : 0);
    int64_t d[4] = { 0, 1, 1, 1 };
    for (size_t i = 0; i < s->n_dim; i++) {
        int known = s->dim[i]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d[i] = known ? s->dim[i]->dim_value : 0;
        if (i > 0 && (!known || d[i] < 1 || d[i] > MAX_DIM))
            return fail(im, "input \"%.100s\": dim %zu is not a size from 1 to %d", im->input_name, i, MAX_DIM);
    }
    im->batch = d[0] > 0 ? d[0] : 0;
    im->rank = (int)s->n_dim;
    im->input = im->rank == 3 ? (nin_shape){ (int)d[1], 1, (int)d[2] } : (nin_shape){ (int)d[1], (int)d[2], (int)d[3] };
    if (volume(im->input) > MAX_SAMPLE)
        return fail(im, "input \"%.100s\": more than %zu values a sample", im->input_name, MAX_SAMPLE);
    im->shape = im->input;
    im->cur = im->input_name;
    im->scale = malloc((size_t)im->input.c * sizeof(float));
    im->shift = calloc((size_t)im->input.c, sizeof(float));
    if (!im->scale || !im->shift)
        return fail(im, "out of host memory");
    for (int k = 0; k < im->input.c; k++)
        im->scale[k] = 1.0f;
    return 0;
}

/* The chain must end in the graph's output (or its logits and their softmax, in that order). */
static int check_outputs(importer *im)
{
    const Onnx__GraphProto *g = im->model->graph;
    const char *first = g->n_output > 0 ? str(g->output[0]->name) : "";
    if (g->n_output == 1 && strcmp(first, im->cur) == 0)
        return 0;
    if (g->n_output == 2 && im->softmax && strcmp(first, im->logits) == 0 &&
        strcmp(str(g->output[1]->name), im->cur) == 0)
        return 0;
    return fail(im, "the graph's outputs are not the end of the chain (\"%.100s\"): nin-cl networks have one output",
                im->cur);
}

/* --- the checkpoint ------------------------------------------------------------------------------------ */

static const char *metadata(const importer *im, const char *key)
{
    for (size_t i = 0; i < im->model->n_metadata_props; i++)
        if (strcmp(str(im->model->metadata_props[i]->key), key) == 0)
            return str(im->model->metadata_props[i]->value);
    return NULL;
}

/* "nin.class_names": the classes' names, one a line. */
static int class_names(importer *im, nin_checkpoint *ck)
{
    const char *text = metadata(im, "nin.class_names");
    if (!text)
        return 0;
    int lines = 1;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    if (lines != ck->classes)
        return fail(im, "metadata nin.class_names names %d classes, the network has %d", lines, ck->classes);
    if (!(ck->class_names = calloc((size_t)ck->classes, sizeof *ck->class_names)))
        return fail(im, "out of host memory");
    for (int c = 0; c < ck->classes; c++) {
        size_t len = strcspn(text, "\n");
        if (!(ck->class_names[c] = strndup(text, len)))
            return fail(im, "out of host memory");
        text += len + (text[len] == '\n');
    }
    return 0;
}

/* The graph input's units when the caller gives no Normalize: pixel values 0..255 where the model's metadata
 * says so ("nin.input_range" "0..255", as nin-cl's export writes), else pixel / 255 (ToTensor). */
static double input_unit(const importer *im)
{
    const char *range = metadata(im, "nin.input_range");
    return range && strcmp(range, "0..255") == 0 ? 1.0 : 255.0;
}

/* The standardisation that gives the network's input from pixels 0..255: the graph input is
 * (pixel - m0) / s0 (the model's own units, or the caller's Normalize), and the network's scale * that + shift. */
static int preprocessing(importer *im, nin_checkpoint *ck)
{
    nin_preprocess *p = &ck->pre;
    memset(p, 0, sizeof *p);
    p->kind = NIN_PREPROCESS_STANDARDIZE;
    p->shape = im->input;
    if (im->opt && im->opt->raw_input) {
        for (int k = 0; k < 3; k++)
            p->std[k] = 1.0f;
        return 0;
    }
    if (im->input.c > 3)
        return fail(im, "input \"%.100s\" has %d channels: nin-cl's preprocessing takes at most 3", im->input_name,
                    im->input.c);
    for (int k = 0; k < 3; k++) {
        int ch = k < im->input.c ? k : 0;
        double m0 = im->opt && im->opt->has_norm ? 255.0 * im->opt->mean[k] : 0.0;
        double s0 = im->opt && im->opt->has_norm ? 255.0 * im->opt->std[k] : input_unit(im);
        double a = im->scale[ch], b = im->shift[ch];
        if (!(a > 0.0) || !(s0 > 0.0))
            return fail(im, "the input's preprocessing scales channel %d by %g: nin-cl's standardisation needs a "
                        "positive scale", ch, a / s0);
        p->std[k] = (float)(s0 / a);
        p->mean[k] = (float)(m0 - b * s0 / a);
    }
    return 0;
}

/* The parameters of every layer in the checkpoint's layout (nin_net_plan's offsets). */
static int fill_weights(importer *im, nin_checkpoint *ck)
{
    char why[512];
    nin_net *plan = nin_net_plan(&im->def, im->input, 1, why, sizeof why);
    if (!plan)
        return fail(im, "%s", why);
    nin_shape out = plan->layers[plan->count - 1].out;
    int status = 0;
    if (out.c != im->shape.c || out.h != im->shape.h || out.w != im->shape.w)
        status = fail(im, "nin-cl's network gives %dx%dx%d outputs where ONNX gives %dx%dx%d", out.c, out.h, out.w,
                      im->shape.c, im->shape.h, im->shape.w);
    ck->params = plan->params;
    ck->weights = status ? NULL : calloc(ck->params ? ck->params : 1, sizeof(float));
    ck->momentum = status ? NULL : calloc(ck->params ? ck->params : 1, sizeof(float));
    if (!status && (!ck->weights || !ck->momentum))
        status = fail(im, "out of host memory");
    for (int i = 0; !status && i < plan->count; i++) {
        const nin_layer *l = &plan->layers[i];
        const layer_params *p = &im->params[i];
        if (p->nw != l->weights || p->nb != l->biases || p->nstats != l->stats) {
            status = fail(im, "layer %d takes %zu weights, ONNX gives %zu", i + 1, l->weights, p->nw);
            break;
        }
        if (p->nw) memcpy(ck->weights + l->weight_off, p->w, p->nw * sizeof(float));
        if (p->nb) memcpy(ck->weights + l->bias_off, p->b, p->nb * sizeof(float));
        if (p->nstats) memcpy(ck->weights + l->stats_off, p->stats, p->nstats * sizeof(float));
    }
    free(plan);
    return status;
}

static int fill_checkpoint(importer *im, nin_checkpoint *ck)
{
    if (im->def.count == 0)   /* nothing but reshaping and a softmax: the identity */
        im->def.layers[im->def.count++] = (nin_layer_def){ .kind = NIN_AVGPOOL, .size = 1, .stride = 1 };
    nin_netdef_format(&im->def, ck->config.netdef, sizeof ck->config.netdef);
    nin_netdef back;
    char why[512];
    if (strlen(ck->config.netdef) >= sizeof ck->config.netdef - 1)
        return fail(im, "the network's netdef is longer than %zu characters", sizeof ck->config.netdef - 2);
    if (nin_netdef_parse(ck->config.netdef, &back, why, sizeof why) != 0 || back.count != im->def.count)
        return fail(im, "the network's netdef %.200s does not read back: %s", ck->config.netdef, why);
    const char *dataset = metadata(im, "nin.dataset");
    if (!ck->config.dataset[0] && dataset && strlen(dataset) < sizeof ck->config.dataset)
        snprintf(ck->config.dataset, sizeof ck->config.dataset, "%s", dataset);
    if ((im->shape.h != 1 || im->shape.w != 1) && !(im->opt && im->opt->raw_input))
        return fail(im, "the network ends in %dx%dx%d values a sample: a nin-cl model ends in one score a class "
                    "(global average pooling or a fully connected layer)", im->shape.c, im->shape.h, im->shape.w);
    ck->input = im->input;
    ck->classes = (int)volume(im->shape);
    memset(&ck->state, 0, sizeof ck->state);
    ck->state.lr = ck->config.lr;
    memset(&ck->data, 0, sizeof ck->data);
    if (preprocessing(im, ck) != 0 || fill_weights(im, ck) != 0 || class_names(im, ck) != 0)
        return -1;
    return 0;
}

static int read_graph(importer *im, nin_checkpoint *ck)
{
    const Onnx__GraphProto *g = im->model->graph;
    for (size_t i = 0; i < im->model->n_opset_import; i++)
        if (!*str(im->model->opset_import[i]->domain) || strcmp(im->model->opset_import[i]->domain, "ai.onnx") == 0)
            im->opset = (int)im->model->opset_import[i]->version;
    if (!g)
        return fail(im, "the model has no graph");
    for (size_t i = 0; i < g->n_initializer; i++)
        if (add_const(im, g->initializer[i], NULL) != 0)
            return -1;
    if (read_inputs(im) != 0 || input_shape(im) != 0)
        return -1;
    im->pre_open = 1;
    for (size_t i = 0; i < g->n_node; i++) {
        im->node_index = (int)i;
        im->node = g->node[i];
        if (read_node(im) != 0)
            return -1;
    }
    return check_outputs(im) != 0 ? -1 : fill_checkpoint(im, ck);
}

int nin_onnx_import_with(const void *data, size_t size, const char *name, const nin_onnx_options *opt,
                         nin_checkpoint *ck, nin_onnx_result *res, char *err, size_t err_size)
{
    importer im = { .file = name, .err = err, .err_size = err_size, .opt = opt };
    nin_train_config config = ck->config;
    memset(ck, 0, sizeof *ck);
    ck->config = config;
    if (res)
        memset(res, 0, sizeof *res);
    if (size > MAX_FILE || !(im.model = onnx__model_proto__unpack(NULL, size, data)))
        return nin_set_error(err, err_size, "%s: not an ONNX model (protobuf parse failed)", name);
    int status = read_graph(&im, ck);
    if (status == 0 && res) {
        *res = (nin_onnx_result){ im.softmax, im.input.c, im.scale, im.shift };
        im.scale = im.shift = NULL;
    }
    if (status != 0) {
        nin_free_names(ck->class_names, ck->classes);
        free(ck->weights);
        free(ck->momentum);
        memset(ck, 0, sizeof *ck);
        ck->config = config;
    }
    for (int i = 0; i < im.def.count; i++)
        free(im.params[i].w), free(im.params[i].b), free(im.params[i].stats);
    free(im.scale);
    free(im.shift);
    free_consts(&im);
    onnx__model_proto__free_unpacked(im.model, NULL);
    return status;
}

int nin_onnx_import_memory(const void *data, size_t size, const char *name, nin_checkpoint *ck, char *err,
                           size_t err_size)
{
    return nin_onnx_import_with(data, size, name, NULL, ck, NULL, err, err_size);
}

int nin_onnx_import(const char *path, nin_checkpoint *ck, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return nin_set_error(err, err_size, "cannot open %s", path);
    size_t cap = 1 << 16, size = 0;
    char *buf = malloc(cap);
    for (size_t got = 1; buf && got > 0 && size <= MAX_FILE;) {
        if (size == cap) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
        }
        size += got = fread(buf + size, 1, cap - size, f);
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        free(buf);
        return nin_set_error(err, err_size, bad ? "cannot read %s" : "out of host memory reading %s", path);
    }
    int status = nin_onnx_import_memory(buf, size, path, ck, err, err_size);
    free(buf);
    return status;
}
