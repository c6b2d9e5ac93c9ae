/* model.c - a trained model for programs that embed libnin (nin/model.h): a model file (checkpoint or ONNX)
 * read once into a forward-only network on a caller's context, then any number of predictions. Requests larger
 * than the network's batch are split, a short last batch is padded with copies of its last input (as
 * nin_evaluate_outputs does); the buffers of one batch are allocated once, at load. Several models may share a
 * context: each has its own network, and the context's queue runs their work in turn. */
#include <stdlib.h>
#include <string.h>
#include <nin/error.h>
#include <nin/image.h>
#include <nin/net.h>
#include <nin/onnx.h>
#include <nin/model.h>

struct nin_model {
    nin_checkpoint ck;
    nin_net *net;
    int batch;
    size_t dim;       /* c * h * w of one input */
    float *x;         /* batch x dim: one batch of preprocessed inputs */
    float *out;       /* batch x classes: its outputs */
};

/* The checkpoint's network on ctx for `batch` inputs, holding its weights: 0, or -1 with the error. */
static int build_network(nin_model *m, nin_context *ctx, const char *path)
{
    nin_netdef def;
    char err[1024];
    const nin_checkpoint *ck = &m->ck;
    if (nin_netdef_parse(ck->config.netdef, &def, err, sizeof err) != 0)
        return nin_fail("%s: %s", path, err);
    m->net = nin_net_create_inference(ctx, &def, ck->input, m->batch);
    if (!m->net)
        return -1;
    if (nin_net_param_count(m->net) != ck->params || nin_net_output_shape(m->net).c != ck->classes)
        return nin_fail("%s is corrupt: its network does not match its %zu parameters and %d classes", path,
                        ck->params, ck->classes);
    return nin_net_set_params(m->net, ck->weights);
}

nin_model *nin_model_load(nin_context *ctx, const char *path, int batch)
{
    char err[1400];
    if (!ctx || batch < 1) {
        nin_fail("nin_model_load: %s", !ctx ? "no context" : "a batch of at least 1 image");
        return NULL;
    }
    nin_model *m = nin_calloc(1, sizeof *m);
    if (!m)
        return NULL;
    if (nin_model_file_load(path, &m->ck, err, sizeof err) != 0) {
        nin_fail("%s", err);
        free(m);
        return NULL;
    }
    m->batch = batch;
    m->dim = (size_t)m->ck.input.c * m->ck.input.h * m->ck.input.w;
    m->x = nin_malloc((size_t)batch * m->dim * sizeof *m->x);
    m->out = m->x ? nin_malloc((size_t)batch * m->ck.classes * sizeof *m->out) : NULL;
    if (!m->out || build_network(m, ctx, path) != 0) {
        nin_model_free(m);
        return NULL;
    }
    return m;
}

void nin_model_free(nin_model *m)
{
    if (!m)
        return;
    nin_net_free(m->net);
    nin_checkpoint_free(&m->ck);
    free(m->x);
    free(m->out);
    free(m);
}

nin_shape nin_model_input_shape(const nin_model *m) { return m->ck.input; }
int nin_model_classes(const nin_model *m) { return m->ck.classes; }
const nin_checkpoint *nin_model_checkpoint(const nin_model *m) { return &m->ck; }

const char *nin_model_class_name(const nin_model *m, int c)
{
    return m->ck.class_names && c >= 0 && c < m->ck.classes ? m->ck.class_names[c] : NULL;
}

/* Run the network on the first n (1..batch) inputs of m->x, the rest of the batch padded with copies of the
 * last: the outputs of those n in m->out (n x classes). */
static int forward_batch(nin_model *m, int n)
{
    for (int i = n; i < m->batch; i++)
        memcpy(m->x + (size_t)i * m->dim, m->x + (size_t)(n - 1) * m->dim, m->dim * sizeof *m->x);
    return nin_net_set_input(m->net, m->x, NULL) || nin_net_forward(m->net, 0) || nin_net_get_output(m->net, m->out)
               ? -1 : 0;
}

static int check_count(const char *fn, int count)
{
    return count < 0 ? nin_fail("%s: a count of %d inputs", fn, count) : 0;
}

int nin_model_preprocess(const nin_model *m, const uint8_t *pixels, int count, float *inputs)
{
    if (check_count("nin_model_preprocess", count) != 0)
        return -1;
    return nin_preprocess_apply(&m->ck.pre, pixels, count, inputs);
}

int nin_model_forward(nin_model *m, const float *inputs, int count, float *outputs)
{
    int classes = m->ck.classes;
    if (check_count("nin_model_forward", count) != 0)
        return -1;
    for (int start = 0; start < count; start += m->batch) {
        int n = count - start < m->batch ? count - start : m->batch;
        memcpy(m->x, inputs + (size_t)start * m->dim, (size_t)n * m->dim * sizeof *m->x);
        if (forward_batch(m, n) != 0)
            return -1;
        memcpy(outputs + (size_t)start * classes, m->out, (size_t)n * classes * sizeof *outputs);
    }
    return 0;
}

int nin_model_predict(nin_model *m, const uint8_t *pixels, int count, float *probs)
{
    int classes = m->ck.classes;
    if (check_count("nin_model_predict", count) != 0)
        return -1;
    for (int start = 0; start < count; start += m->batch) {
        int n = count - start < m->batch ? count - start : m->batch;
        if (nin_preprocess_apply(&m->ck.pre, pixels + (size_t)start * m->dim, n, m->x) != 0 ||
            forward_batch(m, n) != 0)
            return -1;
        for (int i = 0; i < n; i++)
            nin_softmax(m->out + (size_t)i * classes, classes, probs + (size_t)(start + i) * classes);
    }
    return 0;
}

/* An image scaled to the model's input as its training images were: an image folder's shorter side and centre
 * (a square input), a dataset's whole picture. */
static int fit_image(const nin_model *m, const nin_image *img, nin_image *fitted)
{
    nin_shape in = m->ck.input;
    if (strcmp(m->ck.config.dataset, "images") == 0 && in.h == in.w)
        return nin_image_fit(img, in.c, in.h, fitted);
    return nin_image_convert(img, in.c, in.h, in.w, fitted);
}

int nin_model_predict_file(nin_model *m, const char *path, float *probs)
{
    nin_image img, fitted;
    char err[1400];
    if (nin_image_load(path, &img, err, sizeof err) != 0)
        return nin_fail("%s", err);
    int status = fit_image(m, &img, &fitted);
    nin_image_free(&img);
    if (status != 0)
        return -1;
    status = nin_model_predict(m, fitted.pixels, 1, probs);
    nin_image_free(&fitted);
    return status;
}
