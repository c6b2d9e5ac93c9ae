/* test_maps.c - class confidence maps and localization: upsampling, boxes and IoU on known maps, a
 * hand-built network whose class maps must peak where their planted pattern is (and whose predictions and
 * confusion matrix nin_evaluate_predictions and nin_confusion_matrix give), `nin-cl maps` on it and on
 * generated mnist-clutter images (the reported IoU against boxes recomputed here), `nin-cl plot`, and the
 * drawing primitives. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <nin/train.h>
#include "draw.h"
#include "harness.h"
#include "localize.h"

static char tmp_dir[200];

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

/* Run a shell command; its exit status. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *text = calloc(1, 1 << 20);
    size_t n = fread(text, 1, (1 << 20) - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

START_TEST(test_upsample)
{
    /* a constant stays constant; a single hot cell of a 4x4 map peaks inside that cell's 8x8 pixels */
    float map[16] = { 0 }, out[32 * 32];
    for (int i = 0; i < 16; i++)
        map[i] = 3.0f;
    nin_upsample_bilinear(map, 4, 4, out, 32, 32, 8.0f, 3.5f);
    for (int i = 0; i < 32 * 32; i++)
        ck_assert_float_eq_tol(out[i], 3.0f, 1e-6f);
    memset(map, 0, sizeof map);
    map[2 * 4 + 1] = 1.0f;   /* row 2, column 1: pixels y 16..23, x 8..15 */
    nin_upsample_bilinear(map, 4, 4, out, 32, 32, 8.0f, 3.5f);
    int best = 0;
    for (int i = 1; i < 32 * 32; i++)
        best = out[i] > out[best] ? i : best;
    ck_assert_int_ge(best / 32, 16);
    ck_assert_int_le(best / 32, 23);
    ck_assert_int_ge(best % 32, 8);
    ck_assert_int_le(best % 32, 15);
    ck_assert_float_ge(out[best], 0.85f);   /* no pixel centre falls on the cell centre */
    /* cells centred on pixels 3, 7, 11, 15 (stride 4, offset 3): exact there, linear between, edges held */
    float row[4] = { 0.0f, 4.0f, 8.0f, 0.0f }, line[16];
    nin_upsample_bilinear(row, 1, 4, line, 1, 16, 4.0f, 3.0f);
    ck_assert_float_eq_tol(line[0], 0.0f, 1e-6f);
    ck_assert_float_eq_tol(line[7], 4.0f, 1e-6f);
    ck_assert_float_eq_tol(line[9], 6.0f, 1e-6f);
    ck_assert_float_eq_tol(line[11], 8.0f, 1e-6f);
    ck_assert_float_eq_tol(line[15], 0.0f, 1e-6f);

    /* the geometry of the maps: the MNIST preset's 7x7 maps are centred on 4i + 3 of the 28x28 input
     * (5x5 convolutions padded by 2, two 3x3 pools of stride 2); a stride-2 convolution counts too */
    nin_netdef def;
    char err[256];
    float stride, offset;
    ck_assert(nin_netdef_parse("mnist", &def, err, sizeof err) == 0);
    nin_map_geometry(&def, def.count - 2, &stride, &offset);
    ck_assert(stride == 4.0f && offset == 3.0f);
    ck_assert(nin_netdef_parse("8c3s2-mp2s2-4c1", &def, err, sizeof err) == 0);
    nin_map_geometry(&def, 2, &stride, &offset);
    ck_assert(stride == 4.0f && offset == 2.0f);   /* conv: 2i + 1, then pool: 2(2j + 0.5) + 1 = 4j + 2 */
}
END_TEST

START_TEST(test_localize_and_iou)
{
    /* two regions above half the range: a 3x2 one and a larger 4x5 one; the box is the larger's */
    float heat[10 * 12] = { 0 };
    for (int y = 1; y < 3; y++)
        for (int x = 1; x < 4; x++)
            heat[y * 12 + x] = 1.0f;
    for (int y = 4; y < 9; y++)
        for (int x = 6; x < 10; x++)
            heat[y * 12 + x] = 0.8f;
    heat[5 * 12 + 7] = 0.3f;   /* below the threshold, inside the region: the box is the same */
    nin_box b = nin_localize(heat, 10, 12, 0.5f);
    ck_assert_int_eq(b.x0, 6);
    ck_assert_int_eq(b.y0, 4);
    ck_assert_int_eq(b.x1, 10);
    ck_assert_int_eq(b.y1, 9);
    /* a diagonal neighbour joins a region (8-connectivity): the small region grows past the large one */
    heat[3 * 12 + 4] = heat[4 * 12 + 5] = 1.0f;
    b = nin_localize(heat, 10, 12, 0.5f);
    ck_assert_int_eq(b.x0, 1);
    ck_assert_int_eq(b.y0, 1);
    ck_assert_int_eq(b.x1, 10);
    ck_assert_int_eq(b.y1, 9);
    /* no map: the empty box and the reason */
    b = nin_localize(heat, 0, 12, 0.5f);
    ck_assert(b.x0 == 0 && b.y0 == 0 && b.x1 == 0 && b.y1 == 0);
    ck_assert_str_eq(nin_last_error(), "cannot localize in a 0x12 map");

    nin_box a = { 0, 0, 10, 10 }, half = { 5, 0, 15, 10 }, apart = { 20, 20, 30, 30 };
    ck_assert_double_eq_tol(nin_box_iou(a, a), 1.0, 1e-12);
    ck_assert_double_eq_tol(nin_box_iou(a, half), 50.0 / 150.0, 1e-12);
    ck_assert_double_eq_tol(nin_box_iou(a, apart), 0.0, 1e-12);
    nin_box scaled = nin_box_scale((nin_box){ 1, 2, 3, 4 }, 7, 7, 28, 28);
    ck_assert(scaled.x0 == 4 && scaled.y0 == 8 && scaled.x1 == 12 && scaled.y1 == 16);
}
END_TEST

/* A hand-built GAP network on 1x24x24 images, "2c5p2l-mp3s2-gap": class 0's 5x5 filter is a plus, class 1's
 * an X (each zero-mean), so after max-pooling each class map is a 12x12 confidence map of its pattern. */
#define SIDE 24
static const char *const plus_rows[5] = { "..#..", "..#..", "#####", "..#..", "..#.." };
static const char *const cross_rows[5] = { "#...#", ".#.#.", "..#..", ".#.#.", "#...#" };

static void planted_params(nin_net *net, float *params)
{
    ck_assert_int_eq((int)nin_net_param_count(net), 2 * 25 + 2);
    for (int k = 0; k < 25; k++) {
        params[k] = plus_rows[k / 5][k % 5] == '#' ? 1.0f : -9.0f / 16.0f;
        params[25 + k] = cross_rows[k / 5][k % 5] == '#' ? 1.0f : -9.0f / 16.0f;
    }
    params[50] = params[51] = 0.0f;
}

/* An image with a plus centred at (px, py) and an X at (cx, cy), on a dim background; a pattern whose px or cx
 * is negative is left out. */
static void planted_image(uint8_t *pixels, int px, int py, int cx, int cy)
{
    for (int i = 0; i < SIDE * SIDE; i++)
        pixels[i] = 20;
    for (int k = 0; k < 25; k++) {
        if (px >= 0 && plus_rows[k / 5][k % 5] == '#')
            pixels[(py - 2 + k / 5) * SIDE + px - 2 + k % 5] = 255;
        if (cx >= 0 && cross_rows[k / 5][k % 5] == '#')
            pixels[(cy - 2 + k / 5) * SIDE + cx - 2 + k % 5] = 255;
    }
}

static nin_net *planted_net(nin_context *ctx)
{
    nin_netdef def;
    char err[256];
    ck_assert(nin_netdef_parse("2c5p2l-mp3s2-gap", &def, err, sizeof err) == 0);
    nin_net *net = nin_net_create(ctx, &def, (nin_shape){ 1, SIDE, SIDE }, 1, 1, 0.0f);
    float params[52];
    planted_params(net, params);
    nin_net_set_params(net, params);
    return net;
}

START_TEST(test_planted_peak)
{
    const int plants[][4] = { { 17, 6, 5, 16 }, { 5, 5, 18, 18 }, { 11, 18, 12, 5 } };
    nin_net *net = planted_net(test_context());
    int layer = nin_confidence_layer(net);
    ck_assert_int_eq(layer, 1);
    nin_shape ms = nin_net_layer_output_shape(net, layer);
    ck_assert(ms.c == 2 && ms.h == 12 && ms.w == 12);
    for (size_t t = 0; t < sizeof plants / sizeof plants[0]; t++) {
        uint8_t pixels[SIDE * SIDE];
        float x[SIDE * SIDE], maps[2 * 144], out[2], heat[SIDE * SIDE];
        planted_image(pixels, plants[t][0], plants[t][1], plants[t][2], plants[t][3]);
        for (int i = 0; i < SIDE * SIDE; i++)
            x[i] = pixels[i] / 255.0f;
        nin_net_set_input(net, x, NULL);
        nin_net_forward(net, 0);
        nin_net_get_layer_output(net, layer, maps);
        nin_net_get_output(net, out);
        for (int c = 0; c < 2; c++) {
            /* the scores are the maps' means: the accessor reads what the gap averaged */
            double sum = 0.0;
            for (int i = 0; i < 144; i++)
                sum += maps[c * 144 + i];
            ck_assert_double_eq_tol(out[c], sum / 144.0, 1e-4 * (1.0 + fabs(sum / 144.0)));
            /* the upsampled map peaks within 2 pixels of the pattern's centre, and its box holds the centre */
            int px = plants[t][2 * c], py = plants[t][2 * c + 1], best = 0;
            nin_upsample_bilinear(maps + c * 144, 12, 12, heat, SIDE, SIDE, 2.0f, 1.0f);
            for (int i = 1; i < SIDE * SIDE; i++)
                best = heat[i] > heat[best] ? i : best;
            ck_assert_msg(abs(best % SIDE - px) <= 2 && abs(best / SIDE - py) <= 2,
                          "class %d peaks at (%d, %d), its pattern is at (%d, %d)", c, best % SIDE, best / SIDE, px, py);
            nin_box b = nin_localize(heat, SIDE, SIDE, 0.5f);
            ck_assert(b.x0 <= px && px < b.x1 && b.y0 <= py && py < b.y1);
            ck_assert_int_le(b.x1 - b.x0, 10);
            ck_assert_int_le(b.y1 - b.y0, 10);
        }
    }
    nin_net_free(net);
}
END_TEST

/* Evaluation on the hand-built network: images with only a plus are class 0, only an X class 1; one plus is
 * labelled 1, so the confusion matrix has one image off its diagonal. Out-of-range classes are refused. */
START_TEST(test_evaluate_predictions)
{
    const int plants[][4] = { { 8, 8, -1, 0 }, { 15, 12, -1, 0 }, { -1, 0, 10, 14 }, { 6, 17, -1, 0 },
                              { -1, 0, 17, 6 } };
    enum { N = sizeof plants / sizeof plants[0] };
    const int labels[N] = { 0, 0, 1, 1, 1 }, want[N] = { 0, 0, 1, 0, 1 };
    uint8_t images[N][SIDE * SIDE];
    for (int i = 0; i < N; i++)
        planted_image(images[i], plants[i][0], plants[i][1], plants[i][2], plants[i][3]);
    nin_preprocess pre = { .kind = NIN_PREPROCESS_STANDARDIZE, .shape = { 1, SIDE, SIDE }, .std = { 255.0f } };
    nin_net *net = planted_net(test_context());
    nin_eval e, plain;
    int predicted[N];
    ck_assert_int_eq(nin_evaluate_predictions(net, &pre, images[0], labels, N, &e, predicted), 0);
    for (int i = 0; i < N; i++)
        ck_assert_msg(predicted[i] == want[i], "image %d: predicted %d, want %d", i, predicted[i], want[i]);
    ck_assert_double_eq_tol(e.acc, 4.0 / N, 1e-9);
    ck_assert_int_eq(nin_evaluate(net, &pre, images[0], labels, N, &plain), 0);
    ck_assert(plain.acc == e.acc && plain.loss == e.loss && plain.count == N);
    int64_t matrix[4] = { -1, -1, -1, -1 };
    ck_assert_int_eq(nin_confusion_matrix(labels, predicted, N, 2, matrix), 0);
    ck_assert(matrix[0] == 2 && matrix[1] == 0 && matrix[2] == 1 && matrix[3] == 2);   /* row = true class */
    const int bad_labels[N] = { 0, 0, 2, 1, 1 };
    ck_assert_int_eq(nin_confusion_matrix(bad_labels, predicted, N, 2, matrix), -1);
    ck_assert_str_eq(nin_last_error(), "label 2 of image 2 is outside [0, 2)");
    ck_assert_int_eq(nin_confusion_matrix(labels, (const int[N]){ 0, -1, 1, 0, 1 }, N, 2, matrix), -1);
    ck_assert_str_eq(nin_last_error(), "predicted class -1 of image 1 is outside [0, 2)");
    ck_assert(matrix[0] == 2 && matrix[2] == 1);   /* untouched by the refused calls */
    nin_net_free(net);
}
END_TEST

/* Save a hand-built network as a checkpoint that `nin-cl maps` can load. */
static void save_checkpoint(const char *path, const char *dataset, const char *netdef, nin_shape input, int classes,
                            const float *params, size_t count)
{
    nin_checkpoint ck = { 0 };
    nin_train_config_defaults(&ck.config, dataset);
    snprintf(ck.config.netdef, sizeof ck.config.netdef, "%s", netdef);
    ck.input = input;
    ck.classes = classes;
    ck.pre.kind = NIN_PREPROCESS_STANDARDIZE;
    ck.pre.shape = input;
    ck.pre.mean[0] = 0.0f;
    ck.pre.std[0] = 255.0f;
    ck.state.lr = ck.config.lr;
    ck.params = count;
    ck.weights = (float *)params;
    ck.momentum = calloc(count, sizeof(float));
    char err[1400];
    ck_assert_msg(nin_checkpoint_save(path, &ck, err, sizeof err) == 0, "%s", err);
    free(ck.momentum);
}

START_TEST(test_maps_command_planted)
{
    /* nin-cl maps on a PNG of the planted image: its picture's size and the boxes of both classes */
    nin_net *net = planted_net(NULL);
    float params[52];
    planted_params(net, params);
    nin_net_free(net);
    char model[512], png[512], out[512], boxes[512];
    snprintf(model, sizeof model, "%s/planted.nin", tmp_dir);
    snprintf(png, sizeof png, "%s/planted.png", tmp_dir);
    snprintf(out, sizeof out, "%s/planted-maps.png", tmp_dir);
    snprintf(boxes, sizeof boxes, "%s/planted.json", tmp_dir);
    save_checkpoint(model, "", "2c5p2l-mp3s2-gap", (nin_shape){ 1, SIDE, SIDE }, 2, params, 52);
    nin_image img = { 1, SIDE, SIDE, malloc(SIDE * SIDE) }, loaded;
    planted_image(img.pixels, 17, 6, 5, 16);
    char err[1024];
    ck_assert(nin_image_save_png(png, &img, err, sizeof err) == 0);
    const char *cl = env_or("NIN_CL", "./nin-cl");
    for (int c = 0; c < 2; c++) {
        ck_assert_int_eq(run("%s maps --model %s --class %d --boxes %s -o %s %s %s >/dev/null", cl, model, c, boxes,
                             out, png, png), 0);
        char *json = read_text(boxes), *at = strstr(json, "\"box\": [");
        int x0, y0, x1, y1, px = c ? 5 : 17, py = c ? 16 : 6;
        ck_assert_msg(at && sscanf(at, "\"box\": [%d, %d, %d, %d]", &x0, &y0, &x1, &y1) == 4, "%s", json);
        ck_assert_msg(x0 <= px && px < x1 && y0 <= py && py < y1, "class %d box %d %d %d %d misses (%d, %d)", c, x0,
                      y0, x1, y1, px, py);
        free(json);
        /* two rows (the image twice) of a 120-pixel image tile (scale 5) and one map */
        ck_assert(nin_image_load(out, &loaded, err, sizeof err) == 0);
        ck_assert_int_eq(loaded.width, 4 + 2 * (120 + 4));
        ck_assert_int_eq(loaded.height, 2 * (12 + 120 + 4) + 4);
        nin_image_free(&loaded);
    }
    /* a network without global average pooling has no confidence maps: one clear error */
    char fc_model[512], errors[512];
    snprintf(fc_model, sizeof fc_model, "%s/fc.nin", tmp_dir);
    snprintf(errors, sizeof errors, "%s/fc.err", tmp_dir);
    float fc_params[2 * SIDE * SIDE + 2] = { 0 };
    save_checkpoint(fc_model, "", "2fcl", (nin_shape){ 1, SIDE, SIDE }, 2, fc_params, 2 * SIDE * SIDE + 2);
    ck_assert_int_eq(run("%s maps --model %s -o %s %s 2>%s", cl, fc_model, out, png, errors), 1);
    char *text = read_text(errors);
    ck_assert_msg(strstr(text, "does not end in global average pooling"), "%s", text);
    free(text);
    free(img.pixels);
}
END_TEST

/* mnist-clutter from real MNIST, a "brightness" network (every class map is the image smoothed by a 9x9
 * box, so its largest bright region tends to be the digit, though fragments touching it merge with it):
 * nin-cl maps must report the mean IoU of the boxes it writes, and that IoU is what these 24 images gave
 * when this test was written (0.58), not less. */
START_TEST(test_clutter_iou)
{
    const char *mnist = env_or("NIN_MNIST_DIR", "/work/shared/datasets/mnist");
    struct stat st;
    if (stat(mnist, &st) != 0) {
        printf("test_clutter_iou: skipped, no MNIST at %s\n", mnist);
        return;
    }
    char data[512], model[512], boxes[512], log[512], out[512];
    snprintf(data, sizeof data, "%s/clutter", tmp_dir);
    snprintf(model, sizeof model, "%s/bright.nin", tmp_dir);
    snprintf(boxes, sizeof boxes, "%s/clutter.json", tmp_dir);
    snprintf(log, sizeof log, "%s/clutter.log", tmp_dir);
    snprintf(out, sizeof out, "%s/clutter.png", tmp_dir);
    ck_assert_int_eq(run("%s %s %s --train 1 --test 24 >/dev/null", env_or("NIN_MAKE_CLUTTER", "examples/make-clutter"),
                         mnist, data), 0);
    float params[10 * 81 + 10];
    for (int i = 0; i < 10 * 81; i++)
        params[i] = 1.0f / 81.0f;
    for (int c = 0; c < 10; c++)
        params[10 * 81 + c] = 0.0f;
    save_checkpoint(model, "mnist-clutter", "10c9p4l-gap", (nin_shape){ 1, 48, 48 }, 10, params, 10 * 81 + 10);
    ck_assert_int_eq(run("%s maps --model %s --dataset mnist-clutter --data %s --count 24 --rows 3 --top 2 "
                         "--boxes %s -o %s >%s",
                         env_or("NIN_CL", "./nin-cl"), model, data, boxes, out, log),
                     0);
    char *text = read_text(log), *json = read_text(boxes);
    double reported_mean, reported_hits;
    char *line = strstr(text, "mean IoU ");
    ck_assert_msg(line && sscanf(line, "mean IoU %lf, IoU >= 0.5: %lf", &reported_mean, &reported_hits) == 2, "%s",
                  text);
    /* recompute every IoU from the written boxes and the generator's truth file */
    char truth_path[600];
    snprintf(truth_path, sizeof truth_path, "%s/t10k-boxes.txt", data);
    FILE *truth = fopen(truth_path, "r");
    ck_assert(truth != NULL);
    double sum = 0.0;
    int hits = 0, n = 0;
    for (char *at = strstr(json, "\"box\": ["); at; at = strstr(at + 1, "\"box\": [")) {
        nin_box b, t;
        ck_assert(sscanf(at, "\"box\": [%d, %d, %d, %d]", &b.x0, &b.y0, &b.x1, &b.y1) == 4);
        ck_assert(fscanf(truth, "%d %d %d %d", &t.x0, &t.y0, &t.x1, &t.y1) == 4);
        int ix = (b.x1 < t.x1 ? b.x1 : t.x1) - (b.x0 > t.x0 ? b.x0 : t.x0);
        int iy = (b.y1 < t.y1 ? b.y1 : t.y1) - (b.y0 > t.y0 ? b.y0 : t.y0);
        double inter = ix > 0 && iy > 0 ? (double)ix * iy : 0.0;
        double iou = inter / ((double)(b.x1 - b.x0) * (b.y1 - b.y0) + (double)(t.x1 - t.x0) * (t.y1 - t.y0) - inter);
        sum += iou;
        hits += iou >= 0.5;
        n++;
    }
    fclose(truth);
    ck_assert_int_eq(n, 24);
    ck_assert_double_eq_tol(reported_mean, sum / n, 1e-4);
    ck_assert_double_eq_tol(reported_hits, (double)hits / n, 1e-4);
    ck_assert_msg(sum / n > 0.55, "the brightness maps localize badly: mean IoU %.3f", sum / n);
    /* every class map is the same here: the labelled class's map gives the same boxes */
    ck_assert_int_eq(run("%s maps --model %s --dataset mnist-clutter --data %s --count 24 --true-class >%s",
                         env_or("NIN_CL", "./nin-cl"), model, data, log),
                     0);
    free(text);
    text = read_text(log);
    line = strstr(text, "the true class's map");
    ck_assert_msg(line && (line = strstr(line, "mean IoU ")) && sscanf(line, "mean IoU %lf", &reported_mean) == 1 &&
                      fabs(reported_mean - sum / n) < 1e-4,
                  "%s", text);
    nin_image loaded;
    char err[1024];
    ck_assert(nin_image_load(out, &loaded, err, sizeof err) == 0);
    ck_assert_int_eq(loaded.width, 4 + 3 * (144 + 4));
    ck_assert_int_eq(loaded.height, 3 * (12 + 144 + 4) + 4);
    nin_image_free(&loaded);
    free(text);
    free(json);
}
END_TEST

START_TEST(test_plot_command)
{
    char csv_dir[512], csv[600], out[512], errors[512];
    snprintf(csv_dir, sizeof csv_dir, "%s/run-a", tmp_dir);
    snprintf(csv, sizeof csv, "%s/metrics.csv", csv_dir);
    snprintf(out, sizeof out, "%s/curves.png", tmp_dir);
    snprintf(errors, sizeof errors, "%s/plot.err", tmp_dir);
    mkdir(csv_dir, 0777);
    FILE *f = fopen(csv, "w");
    fprintf(f, "epoch,lr,train_loss,train_acc,val_loss,val_acc,test_loss,test_acc,seconds\n"
               "1,0.07,2.1,0.30,1.5,0.50,1.6,0.48,50.0\n2,0.07,1.0,0.70,0.6,0.82,0.65,0.80,100.0\n");
    fclose(f);
    const char *cl = env_or("NIN_CL", "./nin-cl");
    nin_image loaded;
    char err[1024];
    /* one run: a loss chart and an accuracy chart side by side */
    ck_assert_int_eq(run("%s plot %s -o %s", cl, csv, out), 0);
    ck_assert(nin_image_load(out, &loaded, err, sizeof err) == 0);
    ck_assert(loaded.width == 840 && loaded.height == 300);
    nin_image_free(&loaded);
    /* one metric of two runs, with a title line */
    ck_assert_int_eq(run("%s plot --metric test_error --labels a,b --title T -o %s %s %s", cl, out, csv, csv), 0);
    ck_assert(nin_image_load(out, &loaded, err, sizeof err) == 0);
    ck_assert(loaded.width == 420 && loaded.height == 316);
    nin_image_free(&loaded);
    /* errors name the problem */
    ck_assert_int_eq(run("%s plot --metric nothing -o %s %s 2>%s", cl, out, csv, errors), 1);
    char *text = read_text(errors);
    ck_assert_msg(strstr(text, "has no 'nothing' column"), "%s", text);
    free(text);
    ck_assert_int_eq(run("%s plot --labels a,b -o %s %s 2>%s", cl, out, csv, errors), 2);   /* a usage error */
    text = read_text(errors);
    ck_assert_msg(strstr(text, "--labels names 2 runs, but 1 metrics.csv files were given"), "%s", text);
    free(text);
}
END_TEST

START_TEST(test_draw)
{
    nin_image img;
    ck_assert_int_eq(nin_canvas_create(&img, 0, 20, NIN_WHITE), -1);
    ck_assert_str_eq(nin_last_error(), "cannot draw on a 0x20 canvas");
    ck_assert(img.pixels == NULL);
    ck_assert_int_eq(nin_canvas_create(&img, 40, 20, NIN_WHITE), 0);
    ck_assert_int_eq(nin_text_width("AB", 2), (2 * 6 - 1) * 2);
    nin_draw_text(&img, 1, 1, "1", 1, NIN_BLACK);
    /* '1': the top row of the glyph has its one pixel in the middle column, the bottom row three */
    size_t plane = 40 * 20;
    ck_assert_int_eq(img.pixels[1 * 40 + 3], 0);
    ck_assert_int_eq(img.pixels[1 * 40 + 2], 255);
    ck_assert_int_eq(img.pixels[7 * 40 + 2] + img.pixels[7 * 40 + 3] + img.pixels[7 * 40 + 4], 0);
    nin_draw_line(&img, 10, 10, 30, 10, 1, (nin_rgb){ 255, 0, 0 });
    ck_assert(img.pixels[10 * 40 + 20] == 255 && img.pixels[plane + 10 * 40 + 20] == 0);
    nin_draw_pixel(&img, -1, 50, NIN_BLACK);   /* clipped, no crash */
    /* '1' read upwards from (30, 18): the glyph's top row is the leftmost column, its one pixel in the middle */
    nin_draw_text_up(&img, 30, 18, "1", 1, NIN_BLACK);
    ck_assert_int_eq(img.pixels[(18 - 3) * 40 + 30], 0);
    ck_assert_int_eq(img.pixels[(18 - 2) * 40 + 30], 255);
    /* and its bottom row of three the rightmost */
    ck_assert_int_eq(img.pixels[(18 - 2) * 40 + 36] + img.pixels[(18 - 3) * 40 + 36] + img.pixels[(18 - 4) * 40 + 36], 0);
    nin_rgb half = nin_mix(NIN_WHITE, NIN_BLACK, 0.5f);
    ck_assert(half.r == 128 && half.g == 128 && half.b == 128);
    nin_rgb cold = nin_colormap(0.0f), hot = nin_colormap(1.0f), mid = nin_colormap(0.5f);
    ck_assert(cold.b > 100 && cold.r == 0 && hot.r > 100 && hot.b == 0 && mid.g > 200);
    nin_image_free(&img);
}
END_TEST

int main(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/nin-test-maps-XXXXXX");
    if (!mkdtemp(tmp_dir))
        return 1;
    Suite *s = suite_create("maps");
    TCase *tc = tcase_create("maps");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_upsample);
    tcase_add_test(tc, test_localize_and_iou);
    tcase_add_test(tc, test_planted_peak);
    tcase_add_test(tc, test_evaluate_predictions);
    tcase_add_test(tc, test_maps_command_planted);
    tcase_add_test(tc, test_clutter_iou);
    tcase_add_test(tc, test_plot_command);
    tcase_add_test(tc, test_draw);
    suite_add_tcase(s, tc);
    int status = run_suite(s);
    if (!getenv("NIN_KEEP_TMP"))
        run("rm -rf %s", tmp_dir);
    return status;
}
