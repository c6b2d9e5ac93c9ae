/* test_netdef.c - the netdef grammar, presets, shapes and parameter layout (host only, no device). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"

START_TEST(test_parse_and_format_round_trip)
{
    const char *text = "192c5p2-160c1-96c1-mp3s2-d0.5-8c3p1s2l-ap3s2-256fc-10fcl-gap";
    nin_netdef def;
    char err[256], out[512];
    ck_assert_msg(nin_netdef_parse(text, &def, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(def.count, 10);
    ck_assert_int_eq(def.layers[0].kind, NIN_CONV);
    ck_assert_int_eq(def.layers[0].outputs, 192);
    ck_assert_int_eq(def.layers[0].size, 5);
    ck_assert_int_eq(def.layers[0].pad, 2);
    ck_assert_int_eq(def.layers[0].relu, 1);
    ck_assert_int_eq(def.layers[3].kind, NIN_MAXPOOL);
    ck_assert_int_eq(def.layers[3].stride, 2);
    ck_assert_int_eq(def.layers[4].kind, NIN_DROPOUT);
    ck_assert(def.layers[4].rate == 0.5f);
    ck_assert_int_eq(def.layers[5].stride, 2);
    ck_assert_int_eq(def.layers[5].relu, 0);
    ck_assert_int_eq(def.layers[7].kind, NIN_FC);
    ck_assert_int_eq(def.layers[8].relu, 0);
    ck_assert_int_eq(def.layers[9].kind, NIN_GAP);
    nin_netdef_format(&def, out, sizeof out);
    ck_assert_str_eq(out, text);
}
END_TEST

/* "b": the convolution (or fc) loses its ReLU, a batch-norm layer carrying it follows; formatting writes the
 * pair back as one token, and a separate "bn" after a linear layer reads as the same network. */
START_TEST(test_batchnorm_suffix)
{
    const char *text = "16c3p1b-8c1bl-mp2s2-bn-12fcb-4fcl";
    nin_netdef def, again;
    char err[256], out[256];
    ck_assert_msg(nin_netdef_parse(text, &def, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(def.count, 9);
    const int kinds[] = { NIN_CONV, NIN_BATCHNORM, NIN_CONV, NIN_BATCHNORM, NIN_MAXPOOL, NIN_BATCHNORM, NIN_FC,
                          NIN_BATCHNORM, NIN_FC };
    const int relus[] = { 0, 1, 0, 0, 0, 1, 0, 1, 0 };
    for (int i = 0; i < def.count; i++) {
        ck_assert_int_eq(def.layers[i].kind, kinds[i]);
        ck_assert_int_eq(def.layers[i].relu, relus[i]);
    }
    nin_netdef_format(&def, out, sizeof out);
    ck_assert_str_eq(out, text);
    ck_assert_msg(nin_netdef_parse("16c3p1l-bn-8c1-bnl", &again, err, sizeof err) == 0, "%s", err);
    nin_netdef_format(&again, out, sizeof out);
    ck_assert_str_eq(out, "16c3p1b-8c1-bnl");   /* a conv with its own ReLU keeps it: "bnl" stays apart */
    ck_assert_msg(nin_netdef_parse("cifar10-bn", &def, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(def.count, 22);
    ck_assert_int_eq(nin_netdef_set_classes(&def, 7), 10);   /* the class layer is the linear 1x1 before gap */
    nin_net *net = test_net(NULL, "mnist-bn", (nin_shape){ 1, 28, 28 }, 2);
    ck_assert_int_eq(nin_net_output_shape(net).c, 10);
    nin_net_free(net);
}
END_TEST

/* Dropout rates print in fixed notation: "%g" gave "d2e-07", whose '-' splits the token (found by fuzz_netdef;
 * the checkpoint stores the formatted netdef, so such a run could not have been resumed). */
START_TEST(test_dropout_rate_round_trip)
{
    const char *rates[] = { "d0.0000002", "d0.0000000000000000000000000000002", "d0", "d0.999999", "d0.1" };
    nin_netdef def, again;
    char err[256], out[128];
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        ck_assert_msg(nin_netdef_parse(rates[i], &def, err, sizeof err) == 0, "%s", err);
        nin_netdef_format(&def, out, sizeof out);
        ck_assert_str_eq(out, rates[i]);
        ck_assert_msg(nin_netdef_parse(out, &again, err, sizeof err) == 0, "%s: %s", out, err);
        ck_assert(again.layers[0].rate == def.layers[0].rate);
    }
}
END_TEST

START_TEST(test_rejects_bad_tokens)
{
    const char *bad[] = { "", "c5", "192c", "192x5", "mp", "mp3s0", "d1.5", "d", "10fcx", "192c5p2q", "gap2",
                          "192c5-", "--", "0c3", "16c3lb", "16c3bb", "bnb", "b", "mp2b" };
    nin_netdef def;
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_msg(nin_netdef_parse(bad[i], &def, err, sizeof err) != 0, "'%s' was accepted", bad[i]);
        ck_assert_msg(strlen(err) > 0 && !strchr(err, '\n'), "'%s': error is not one line: %s", bad[i], err);
    }
}
END_TEST

/* The CIFAR-10 preset is the paper's network: 32 -> 16 -> 8 maps, 10 class maps, ~0.97 M parameters. */
START_TEST(test_cifar10_preset_shapes)
{
    nin_netdef def;
    char err[256];
    ck_assert(nin_netdef_parse("cifar10", &def, err, sizeof err) == 0);
    nin_net *net = nin_net_create(NULL, &def, (nin_shape){ 3, 32, 32 }, 2, 1, 0.0f);
    ck_assert_int_eq(nin_net_layer_count(net), 14);
    ck_assert_int_eq(net->layers[3].out.h, 16);
    ck_assert_int_eq(net->layers[8].out.h, 8);
    nin_shape out = nin_net_output_shape(net);
    ck_assert(out.c == 10 && out.h == 1 && out.w == 1);
    /* 3*192*25 + 192*160 + 160*96 + 96*192*25 + 192*192*2 + 192*192*9 + 192*192 + 192*10, + biases */
    size_t weights = 14400 + 30720 + 15360 + 460800 + 73728 + 331776 + 36864 + 1920;
    ck_assert_uint_eq(nin_net_weight_count(net), weights);
    ck_assert_uint_eq(nin_net_param_count(net), weights + 192 + 160 + 96 + 192 * 3 + 192 * 2 + 10);
    nin_net_free(net);
}
END_TEST

START_TEST(test_pool_output_size_is_caffe_ceil_mode)
{
    ck_assert_int_eq(nin_pool_output_size(32, 3, 2), 16);
    ck_assert_int_eq(nin_pool_output_size(16, 3, 2), 8);
    ck_assert_int_eq(nin_pool_output_size(8, 3, 2), 4);
    ck_assert_int_eq(nin_pool_output_size(28, 3, 2), 14);   /* floor mode would give 13 */
    ck_assert_int_eq(nin_pool_output_size(7, 2, 2), 4);
    ck_assert_int_eq(nin_pool_output_size(6, 2, 2), 3);
    ck_assert_int_eq(nin_pool_output_size(2, 3, 2), 1);
}
END_TEST

/* Weights first, then biases, so weight decay covers a prefix; the init is seeded and He-scaled. */
START_TEST(test_parameter_layout_and_init)
{
    nin_net *a = test_net(NULL, "64c3p1-32c1-10c1-gap", (nin_shape){ 3, 8, 8 }, 1);
    nin_net *b = test_net(NULL, "64c3p1-32c1-10c1-gap", (nin_shape){ 3, 8, 8 }, 1);
    size_t n = nin_net_param_count(a), w = nin_net_weight_count(a);
    ck_assert_uint_eq(w, 64 * 27 + 32 * 64 + 10 * 32);
    ck_assert_uint_eq(n, w + 64 + 32 + 10);
    float *pa = malloc(n * sizeof *pa), *pb = malloc(n * sizeof *pb);
    nin_net_get_params(a, pa);
    nin_net_get_params(b, pb);
    ck_assert(memcmp(pa, pb, n * sizeof *pa) == 0);
    for (size_t i = w; i < n; i++)
        ck_assert(pa[i] == 0.0f);
    ck_assert_uint_eq(nin_net_trainable_count(a), n);
    double sum2 = 0.0;   /* first layer: std sqrt(2 / 27) */
    for (size_t i = 0; i < 64 * 27; i++)
        sum2 += (double)pa[i] * pa[i];
    double std = sqrt(sum2 / (64 * 27));
    ck_assert_msg(fabs(std - sqrt(2.0 / 27)) < 0.02, "init std %g", std);
    free(pa);
    free(pb);
    nin_net_free(a);
    nin_net_free(b);
}
END_TEST

/* Batch norm: gamma among the weights, beta among the biases, the running statistics after every bias; gamma
 * 1, beta 0, running mean 0, running variance 1, and the data-dependent init leaves them so. */
START_TEST(test_batchnorm_layout_and_init)
{
    nin_net *net = test_net(NULL, "6c3p1b-5c1-gap", (nin_shape){ 2, 6, 6 }, 4);
    size_t w = 6 * 18 + 6 + 5 * 6, trainable = w + 6 + 6 + 5, n = trainable + 12;
    ck_assert_uint_eq(nin_net_weight_count(net), w);
    ck_assert_uint_eq(nin_net_trainable_count(net), trainable);
    ck_assert_uint_eq(nin_net_param_count(net), n);
    float images[4 * 2 * 6 * 6], p[256];
    random_fill(images, sizeof images / sizeof images[0], 5);
    ck_assert_int_eq(nin_net_init_from_data(net, images, NULL), 0);
    nin_net_get_params(net, p);
    for (int c = 0; c < 6; c++) {
        ck_assert(p[6 * 18 + c] == 1.0f && p[w + 6 + c] == 0.0f);
        ck_assert(p[trainable + c] == 0.0f && p[trainable + 6 + c] == 1.0f);
    }
    nin_net_free(net);
}
END_TEST

/* The class layer: the last fc, or the convolution gap follows (dropout or batch norm may sit between); none
 * otherwise. */
START_TEST(test_class_layer)
{
    static const struct { const char *netdef; int index; } cases[] = {
        { "8c3p1-mp2-10c1-gap", 2 }, { "8c3p1-10c1-d0.5-gap", 1 }, { "8c3p1-32fc-d0.5-10fcl", 3 },
        { "8c3p1-10c1b-gap", 1 }, { "8c3p1-32fcb-d0.5-10fcb", 4 },
        { "8c3p1-10c1-mp2-gap", -1 }, { "8c3p1-mp2", -1 }, { "gap", -1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        nin_netdef def;
        char err[256];
        ck_assert_msg(nin_netdef_parse(cases[i].netdef, &def, err, sizeof err) == 0, "%s", err);
        ck_assert_msg(nin_netdef_class_layer(&def) == cases[i].index, "%s: class layer %d, not %d", cases[i].netdef,
                      nin_netdef_class_layer(&def), cases[i].index);
        int had = cases[i].index < 0 ? -1 : def.layers[cases[i].index].outputs;
        ck_assert_int_eq(nin_netdef_set_classes(&def, 7), had);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("netdef");
    TCase *tc = tcase_create("netdef");
    tcase_add_test(tc, test_parse_and_format_round_trip);
    tcase_add_test(tc, test_dropout_rate_round_trip);
    tcase_add_test(tc, test_rejects_bad_tokens);
    tcase_add_test(tc, test_cifar10_preset_shapes);
    tcase_add_test(tc, test_pool_output_size_is_caffe_ceil_mode);
    tcase_add_test(tc, test_parameter_layout_and_init);
    tcase_add_test(tc, test_batchnorm_suffix);
    tcase_add_test(tc, test_batchnorm_layout_and_init);
    tcase_add_test(tc, test_class_layer);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
