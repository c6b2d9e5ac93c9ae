/* test_model.c - the embedding API (nin/model.h): predictions equal the C reference network's softmax, whatever
 * the batch a model was loaded for (requests split, a short last batch padded); nin_model_forward agrees with
 * nin_model_predict; two models of different shapes on one context, their calls interleaved; an image file gives
 * the prediction of its pixels; and the errors (a missing model, a missing image, bad arguments) are one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nin/train.h>
#include "harness.h"

static char dir[64];

typedef struct spec {
    const char *name, *netdef, *dataset;
    nin_shape input;
    int classes;
} spec;

static const spec small = { "small.nin", "8c3p1-mp3s2-10c1l-gap", "mnist", { 1, 12, 12 }, 10 };
static const spec color = { "color.nin", "6c3p1-5c1l-gap", "cifar10", { 3, 8, 8 }, 5 };

static const char *path_in_dir(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", dir, name);
    return buf;
}

/* A checkpoint of s's network with its random init and a standardisation, saved in dir: 0, or -1 with the error
 * on stderr (this runs before the suite). */
static int write_model(const spec *s)
{
    nin_checkpoint ck;
    nin_netdef def;
    char err[512] = "", path[128];
    memset(&ck, 0, sizeof ck);
    nin_train_config_defaults(&ck.config, s->dataset);
    snprintf(ck.config.netdef, sizeof ck.config.netdef, "%s", s->netdef);
    ck.input = s->input;
    ck.classes = s->classes;
    ck.pre = (nin_preprocess){ .kind = NIN_PREPROCESS_STANDARDIZE, .shape = s->input, .mean = { 100, 120, 90 },
                               .std = { 60, 50, 70 } };
    nin_net *net = nin_netdef_parse(s->netdef, &def, err, sizeof err) == 0
                       ? nin_net_create(NULL, &def, s->input, 1, 1234, 0.0f) : NULL;
    ck.params = net ? nin_net_param_count(net) : 0;
    ck.weights = malloc(ck.params * sizeof(float));
    ck.momentum = calloc(ck.params, sizeof(float));
    int status = net && ck.weights && ck.momentum && nin_net_get_params(net, ck.weights) == 0 &&
                 nin_checkpoint_save(path_in_dir(s->name, path, sizeof path), &ck, err, sizeof err) == 0 ? 0 : -1;
    if (status != 0)
        fprintf(stderr, "cannot write %s: %s\n", s->name, net ? err : nin_last_error());
    nin_net_free(net);
    nin_checkpoint_free(&ck);
    return status;
}

static size_t dim_of(nin_shape s) { return (size_t)s.c * s.h * s.w; }

static uint8_t *random_pixels(size_t n, unsigned seed)
{
    uint8_t *p = malloc(n);
    srand(seed);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(rand() & 255);
    return p;
}

/* What a model of s must predict for `count` images: the host reference network's softmax. */
static float *reference_probs(const spec *s, const nin_model *m, const uint8_t *pixels, int count)
{
    const nin_checkpoint *ck = nin_model_checkpoint(m);
    nin_netdef def;
    char err[256];
    ck_assert(nin_netdef_parse(s->netdef, &def, err, sizeof err) == 0);
    nin_net *ref = nin_net_create_inference(NULL, &def, s->input, count);
    float *x = malloc(count * dim_of(s->input) * sizeof *x), *probs = malloc((size_t)count * s->classes * 4);
    ck_assert(ref && nin_net_set_params(ref, ck->weights) == 0);
    ck_assert(nin_preprocess_apply(&ck->pre, pixels, count, x) == 0);
    ck_assert(nin_net_set_input(ref, x, NULL) == 0 && nin_net_forward(ref, 0) == 0);
    ck_assert(nin_net_get_output(ref, probs) == 0);
    for (int i = 0; i < count; i++)
        nin_softmax(probs + (size_t)i * s->classes, s->classes, probs + (size_t)i * s->classes);
    nin_net_free(ref);
    free(x);
    return probs;
}

static nin_model *load(const spec *s, int batch)
{
    char path[128];
    nin_model *m = nin_model_load(test_context(), path_in_dir(s->name, path, sizeof path), batch);
    ck_assert_msg(m, "%s", nin_last_error());
    return m;
}

/* 10 images through models loaded for batches of 1, 4 (two full batches and a padded one) and 16. */
START_TEST(test_predict_matches_reference)
{
    enum { COUNT = 10 };
    static const int batches[] = { 1, 4, 16 };
    uint8_t *pixels = random_pixels(COUNT * dim_of(small.input), 1);
    float probs[COUNT * 10];
    nin_model *m = load(&small, batches[_i]);
    ck_assert(nin_model_classes(m) == 10);
    nin_shape in = nin_model_input_shape(m);
    ck_assert(in.c == 1 && in.h == 12 && in.w == 12);
    ck_assert_msg(nin_model_predict(m, pixels, COUNT, probs) == 0, "%s", nin_last_error());
    float *want = reference_probs(&small, m, pixels, COUNT);
    assert_close("probabilities", probs, want, COUNT * 10, 1e-4);
    free(want);
    free(pixels);
    nin_model_free(m);
}
END_TEST

/* nin_model_forward on the preprocessed images gives the logits whose softmax nin_model_predict returns. */
START_TEST(test_forward_agrees_with_predict)
{
    enum { COUNT = 7 };
    uint8_t *pixels = random_pixels(COUNT * dim_of(color.input), 2);
    float *x = malloc(COUNT * dim_of(color.input) * sizeof *x), logits[COUNT * 5], probs[COUNT * 5];
    nin_model *m = load(&color, 3);
    ck_assert(nin_model_preprocess(m, pixels, COUNT, x) == 0);
    ck_assert_msg(nin_model_forward(m, x, COUNT, logits) == 0, "%s", nin_last_error());
    ck_assert(nin_model_predict(m, pixels, COUNT, probs) == 0);
    for (int i = 0; i < COUNT; i++)
        nin_softmax(logits + i * 5, 5, logits + i * 5);
    assert_close("softmax of forward against predict", logits, probs, COUNT * 5, 1e-6);
    free(x);
    free(pixels);
    nin_model_free(m);
}
END_TEST

/* Two models of different shapes and classes on one context, their predictions interleaved, and one freed
 * while the other goes on. */
START_TEST(test_two_models_one_context)
{
    uint8_t *a_pixels = random_pixels(5 * dim_of(small.input), 3);
    uint8_t *b_pixels = random_pixels(6 * dim_of(color.input), 4);
    float a[5 * 10], b[6 * 5], again[5 * 10];
    nin_model *ma = load(&small, 2), *mb = load(&color, 4);
    ck_assert(nin_model_predict(ma, a_pixels, 5, a) == 0 && nin_model_predict(mb, b_pixels, 6, b) == 0);
    float *want_a = reference_probs(&small, ma, a_pixels, 5), *want_b = reference_probs(&color, mb, b_pixels, 6);
    assert_close("first model", a, want_a, 5 * 10, 1e-4);
    assert_close("second model", b, want_b, 6 * 5, 1e-4);
    nin_model_free(mb);
    ck_assert(nin_model_predict(ma, a_pixels, 5, again) == 0);
    assert_close("first model after the second was freed", again, a, 5 * 10, 0.0);
    ck_assert_str_eq(nin_model_class_name(ma, 3), "3");   /* mnist's own names: the file names none */
    ck_assert_ptr_null(nin_model_class_name(ma, 10));
    ck_assert_ptr_null(nin_model_class_name(ma, -1));
    free(want_a);
    free(want_b);
    free(a_pixels);
    free(b_pixels);
    nin_model_free(ma);
}
END_TEST

/* A PGM of the input's size gives the prediction of its pixels. */
START_TEST(test_predict_file)
{
    char path[128];
    size_t n = dim_of(small.input);
    uint8_t *pixels = random_pixels(n, 5);
    FILE *f = fopen(path_in_dir("digit.pgm", path, sizeof path), "wb");
    ck_assert(f && fprintf(f, "P5 12 12 255\n") > 0 && fwrite(pixels, 1, n, f) == n && fclose(f) == 0);
    float from_file[10], from_pixels[10];
    nin_model *m = load(&small, 4);
    ck_assert_msg(nin_model_predict_file(m, path, from_file) == 0, "%s", nin_last_error());
    ck_assert(nin_model_predict(m, pixels, 1, from_pixels) == 0);
    assert_close("file against pixels", from_file, from_pixels, 10, 0.0);
    free(pixels);
    nin_model_free(m);
}
END_TEST

START_TEST(test_errors)
{
    char path[128];
    float probs[10];
    ck_assert_ptr_null(nin_model_load(test_context(), path_in_dir("missing.nin", path, sizeof path), 4));
    ck_assert_msg(strstr(nin_last_error(), path) && !strchr(nin_last_error(), '\n'), "%s", nin_last_error());
    ck_assert_ptr_null(nin_model_load(test_context(), path_in_dir(small.name, path, sizeof path), 0));
    ck_assert_msg(strstr(nin_last_error(), "batch"), "%s", nin_last_error());
    ck_assert_ptr_null(nin_model_load(NULL, path, 4));
    nin_model *m = load(&small, 4);
    ck_assert_int_eq(nin_model_predict_file(m, path_in_dir("missing.png", path, sizeof path), probs), -1);
    ck_assert_msg(strstr(nin_last_error(), path), "%s", nin_last_error());
    ck_assert_int_eq(nin_model_predict(m, NULL, -1, probs), -1);
    ck_assert_int_eq(nin_model_predict(m, NULL, 0, probs), 0);
    nin_model_free(m);
    nin_model_free(NULL);
}
END_TEST

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/nin-model-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("model");
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    tcase_add_loop_test(tc, test_predict_matches_reference, 0, 3);
    tcase_add_test(tc, test_forward_agrees_with_predict);
    tcase_add_test(tc, test_two_models_one_context);
    tcase_add_test(tc, test_predict_file);
    tcase_add_test(tc, test_errors);
    int status = EXIT_FAILURE;
    if (write_model(&small) == 0 && write_model(&color) == 0)
        status = run_suite(s);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return status;
}
