/* test_onnx_conformance.c - ONNX's own backend test data (Debian's libonnx-testdata) through the importer and
 * nin-cl's device network.
 *
 * For every data/node/test_* and data/pytorch-converted/test_* directory: model.onnx is imported with its graph
 * inputs after the first bound to test_data_set_0/input_K.pb. A refused model is counted and its one line
 * printed. An accepted one runs on the device (the default OpenCL device) with input_0.pb as its input, after
 * the graph's leading constant arithmetic that the importer folded away (the importer says which), and every
 * output value must equal output_0.pb's within ONNX's backend-test tolerance (|a - b| <= 1e-7 + 1e-3 |b|),
 * after softmax where the graph ended in one. Prints "onnx conformance: P passed, R refused, F failed" and the
 * passed tests; fails when any accepted test fails, or when one of the operators a NIN uses is not among the
 * passed (the `required` list). Exit 77 without the test data ($NIN_ONNX_TESTDATA, else Debian's directory). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nin/nin.h>
#include "onnx.pb-c.h"
#include "onnx_impl.h"

#define MAX_BOUND 8

/* Tests that must pass: each operator and attribute set the importer accepts. */
static const char *const required[] = {
    "test_basic_conv_with_padding", "test_basic_conv_without_padding", "test_conv_with_strides_padding",
    "test_conv_with_strides_no_padding", "test_conv_with_autopad_same", "test_Conv2d_padding", "test_Conv2d_strided",
    "test_maxpool_2d_default", "test_maxpool_2d_ceil", "test_maxpool_2d_strides", "test_averagepool_2d_default",
    "test_averagepool_2d_ceil", "test_averagepool_2d_strides", "test_AvgPool2d", "test_AvgPool2d_stride",
    "test_globalaveragepool", "test_globalaveragepool_precomputed", "test_relu", "test_ReLU",
    "test_softmax_example", "test_softmax_large_number", "test_Softmax", "test_gemm_default_vector_bias",
    "test_gemm_default_no_bias", "test_gemm_alpha", "test_gemm_beta", "test_gemm_transposeB",
    "test_gemm_default_scalar_bias", "test_Linear", "test_matmul_2d", "test_flatten_axis1",
    "test_flatten_default_axis", "test_batchnorm_example", "test_batchnorm_epsilon", "test_BatchNorm2d_eval",
    "test_dropout_default", "test_identity",
};

typedef struct counts {
    int passed, refused, failed;
    char **names;   /* the passed tests */
} counts;

static char *read_bytes(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)(n > 0 ? n : 1));
    *size = data && n >= 0 && fread(data, 1, (size_t)n, f) == (size_t)n ? (size_t)n : 0;
    fclose(f);
    if (data && !*size && n > 0) {
        free(data);
        return NULL;
    }
    return data;
}

/* A float tensor file: its values (count of them) and first dim. NULL when it is not one. */
static float *read_tensor(const char *path, size_t *count, int64_t *first_dim)
{
    size_t size;
    char *bytes = read_bytes(path, &size);
    Onnx__TensorProto *t = bytes ? onnx__tensor_proto__unpack(NULL, size, (const uint8_t *)bytes) : NULL;
    free(bytes);
    if (!t)
        return NULL;
    float *v = NULL;
    *count = t->has_raw_data ? t->raw_data.len / sizeof(float) : t->n_float_data;
    *first_dim = t->n_dims ? t->dims[0] : 1;
    if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && (v = malloc(*count * sizeof *v + 1)))
        memcpy(v, t->has_raw_data ? (const void *)t->raw_data.data : (const void *)t->float_data, *count * sizeof *v);
    onnx__tensor_proto__free_unpacked(t, NULL);
    return v;
}

/* Run the imported network on input x (n samples) and compare with the expected output; 0 when it agrees. */
static int run_network(nin_context *ctx, const nin_checkpoint *ck, const nin_onnx_result *res, float *x, int n,
                       const float *want, size_t want_count, char *why, size_t why_size)
{
    nin_netdef def;
    size_t per = (size_t)ck->input.c * ck->input.h * ck->input.w, area = per / (size_t)res->channels;
    size_t outputs = (size_t)n * ck->classes;
    if (want_count != outputs) {
        snprintf(why, why_size, "%zu outputs expected, the network gives %zu", want_count, outputs);
        return -1;
    }
    for (size_t i = 0; i < per * n; i++) {   /* the graph's leading Sub/Div/Mul/Add */
        size_t c = i % per / area;
        x[i] = res->scale[c] * x[i] + res->shift[c];
    }
    float *out = malloc(outputs * sizeof *out), *prob = malloc(ck->classes * sizeof *prob);
    nin_net *net = NULL;
    int status = out && prob && nin_netdef_parse(ck->config.netdef, &def, why, why_size) == 0 &&
                         (net = nin_net_create_inference(ctx, &def, ck->input, n)) && nin_net_set_params(net, ck->weights) == 0 &&
                         nin_net_set_input(net, x, NULL) == 0 && nin_net_forward(net, 0) == 0 &&
                         nin_net_get_output(net, out) == 0 ? 0 : -1;
    if (status != 0 && !*why)
        snprintf(why, why_size, "%s", nin_last_error());
    for (int s = 0; status == 0 && s < n; s++) {
        float *y = out + (size_t)s * ck->classes;
        if (res->softmax) {
            nin_softmax(y, ck->classes, prob);
            memcpy(y, prob, ck->classes * sizeof *y);
        }
        for (int k = 0; k < ck->classes && status == 0; k++) {
            float b = want[(size_t)s * ck->classes + k], d = y[k] - b;
            if (!((d < 0 ? -d : d) <= 1e-7f + 1e-3f * (b < 0 ? -b : b))) {
                snprintf(why, why_size, "sample %d output %d: %.9g, expected %.9g", s, k, y[k], b);
                status = -1;
            }
        }
    }
    nin_net_free(net);
    free(out);
    free(prob);
    return status;
}

/* One test directory: import, and when accepted run and compare. */
static void run_test(const char *dir, const char *name, nin_context **ctx, counts *c)
{
    char path[8400], err[1024] = "", why[1024] = "";
    nin_onnx_blob bound[MAX_BOUND];
    char *bytes[MAX_BOUND] = { 0 };
    int nbound = 0;
    for (; nbound < MAX_BOUND; nbound++) {
        snprintf(path, sizeof path, "%s/test_data_set_0/input_%d.pb", dir, nbound + 1);
        if (!(bytes[nbound] = read_bytes(path, &bound[nbound].size)))
            break;
        bound[nbound].data = bytes[nbound];
    }
    size_t size, in_count, want_count;
    int64_t n, want_n;
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    char *model = read_bytes(path, &size);
    nin_onnx_options opt = { .raw_input = 1, .bound = bound, .bound_count = nbound };
    nin_checkpoint ck;
    nin_onnx_result res;
    memset(&ck.config, 0, sizeof ck.config);
    int accepted = model && nin_onnx_import_with(model, size, name, &opt, &ck, &res, err, sizeof err) == 0;
    free(model);
    for (int i = 0; i < nbound; i++)
        free(bytes[i]);
    if (!accepted) {
        printf("refused: %s\n", err);
        c->refused++;
        return;
    }
    snprintf(path, sizeof path, "%s/test_data_set_0/input_0.pb", dir);
    float *x = read_tensor(path, &in_count, &n);
    snprintf(path, sizeof path, "%s/test_data_set_0/output_0.pb", dir);
    float *want = read_tensor(path, &want_count, &want_n);
    size_t per = (size_t)ck.input.c * ck.input.h * ck.input.w;
    if (!*ctx && !(*ctx = nin_context_create(-1))) {
        fprintf(stderr, "test_onnx_conformance: no OpenCL device: %s\n", nin_last_error());
        exit(1);
    }
    int ok = x && want && n > 0 && in_count == per * (size_t)n &&
             run_network(*ctx, &ck, &res, x, (int)n, want, want_count, why, sizeof why) == 0;
    if (ok) {
        c->names = realloc(c->names, (size_t)(c->passed + 1) * sizeof *c->names);
        c->names[c->passed++] = strdup(name);
    } else {
        printf("FAILED: %s (%s): %s\n", name, ck.config.netdef, *why ? why : "unreadable test data");
        c->failed++;
    }
    free(x);
    free(want);
    free(res.scale);
    free(res.shift);
    nin_checkpoint_free(&ck);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void run_suite(const char *root, const char *suite, nin_context **ctx, counts *c)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", root, suite);
    DIR *d = opendir(dir);
    if (!d)
        return;
    char **names = NULL;
    int count = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strncmp(e->d_name, "test_", 5) == 0) {
            names = realloc(names, (size_t)(count + 1) * sizeof *names);
            names[count++] = strdup(e->d_name);
        }
    closedir(d);
    qsort(names, (size_t)count, sizeof *names, by_name);
    for (int i = 0; i < count; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        run_test(path, names[i], ctx, c);
        free(names[i]);
    }
    free(names);
}

int main(void)
{
    const char *root = getenv("NIN_ONNX_TESTDATA") ? getenv("NIN_ONNX_TESTDATA") : "/usr/share/libonnx-testdata/data";
    char node[4096];
    snprintf(node, sizeof node, "%s/node", root);
    DIR *d = opendir(node);
    if (!d) {
        printf("SKIP: no ONNX test data in %s (Debian's libonnx-testdata)\n", root);
        return 77;
    }
    closedir(d);
    counts c = { 0 };
    nin_context *ctx = NULL;
    run_suite(root, "node", &ctx, &c);
    run_suite(root, "pytorch-converted", &ctx, &c);
    printf("onnx conformance: %d passed, %d refused, %d failed\npassed:", c.passed, c.refused, c.failed);
    for (int i = 0; i < c.passed; i++)
        printf(" %s", c.names[i]);
    printf("\n");
    int missing = 0;
    for (size_t r = 0; r < sizeof required / sizeof required[0]; r++) {
        int found = 0;
        for (int i = 0; i < c.passed && !found; i++)
            found = strcmp(c.names[i], required[r]) == 0;
        if (!found) {
            printf("not passed, though its operator is one a NIN uses: %s\n", required[r]);
            missing++;
        }
    }
    for (int i = 0; i < c.passed; i++)
        free(c.names[i]);
    free(c.names);
    nin_context_free(ctx);
    return c.failed || missing ? 1 : 0;
}
