/* cli_maps.c - `nin-cl maps`: the category confidence maps of a GAP network (the last mlpconv's maps before
 * global average pooling), drawn as heat-maps over the images, and boxes localized from them. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <nin/nin.h>
#include <nin/train.h>
#include "cli.h"
#include "draw.h"
#include "localize.h"

#define TILE_MIN 112   /* images are drawn at an integer scale at least this large */
#define GAP 4          /* pixels between tiles */
#define LABEL_H 12     /* a line of scale-1 text above each tile */

static const char maps_usage[] =
    "usage: nin-cl maps --model FILE (IMAGE... | --dataset NAME [--data DIR] [--count N]) [options]\n"
    "  -o FILE          draw the images and their class confidence maps into a PNG\n"
    "  --top K          the maps of the K most probable classes (default 3)\n"
    "  --class NAME     the map of this class (a name or index) instead\n"
    "  --true-class     with --dataset: the map of each image's labelled class instead\n"
    "  --rows N         draw the first N images (default 16)\n"
    "  --scale N        draw images N times their size (default: the least that makes them 112 pixels)\n"
    "  --threshold F    localize: the largest region above min + F * (max - min) of the map (default 0.5)\n"
    "  --boxes FILE     write the boxes (image pixels, [x0, x1) x [y0, y1)) as JSON\n"
    "  --truth FILE     ground-truth boxes, one 'x0 y0 x1 y1' line per image: report IoU\n"
    "                   (default with --dataset: DIR/t10k-boxes.txt when it exists)\n";

enum { OPT_MODEL = 1000, OPT_DATASET, OPT_DATA, OPT_COUNT, OPT_TOP, OPT_CLASS, OPT_ROWS, OPT_SCALE, OPT_THRESHOLD, OPT_BOXES,
       OPT_TRUTH, OPT_TRUE_CLASS, OPT_HELP };

static const struct option maps_options[] = {
    { "model", required_argument, NULL, OPT_MODEL },     { "dataset", required_argument, NULL, OPT_DATASET },
    { "data", required_argument, NULL, OPT_DATA },       { "count", required_argument, NULL, OPT_COUNT },
    { "top", required_argument, NULL, OPT_TOP },         { "class", required_argument, NULL, OPT_CLASS },
    { "rows", required_argument, NULL, OPT_ROWS },       { "scale", required_argument, NULL, OPT_SCALE },       { "threshold", required_argument, NULL, OPT_THRESHOLD },
    { "boxes", required_argument, NULL, OPT_BOXES },     { "truth", required_argument, NULL, OPT_TRUTH },
    { "true-class", no_argument, NULL, OPT_TRUE_CLASS }, { "help", no_argument, NULL, OPT_HELP },             { NULL, 0, NULL, 0 },
};

static int parse_int(const char *option, const char *text, int min, int max)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < min || v > max)
        nin_fatal("%s takes a whole number from %d to %d, not '%s'", option, min, max, text);
    return (int)v;
}

/* What the command works on: the images as given (for drawing and box coordinates) and as the network
 * sees them, with a caption each. */
typedef struct maps_input {
    int count;
    nin_image *images;         /* the originals (files) or views into the dataset (no pixels of their own) */
    int owns_pixels;
    char (*captions)[64];
    int *labels;               /* dataset labels, or NULL */
    nin_box *truth;            /* ground-truth boxes in image pixels, or NULL */
} maps_input;

static void load_files(maps_input *in, char **paths, int count)
{
    in->count = count;
    in->images = nin_calloc(count, sizeof *in->images);
    in->captions = nin_calloc(count, sizeof *in->captions);
    in->owns_pixels = 1;
    for (int i = 0; i < count; i++) {
        char err[1024];
        if (nin_image_load(paths[i], &in->images[i], err, sizeof err) != 0)
            nin_fatal("%s", err);
        const char *slash = strrchr(paths[i], '/');
        snprintf(in->captions[i], sizeof in->captions[i], "%s", slash ? slash + 1 : paths[i]);
    }
}

static void load_test_split(maps_input *in, nin_dataset *test, const nin_dataset_spec *spec, const char *data,
                            int count)
{
    char dir[1024], err[1024];
    nin_dataset_dir(spec, data, dir, sizeof dir);
    if (nin_dataset_load(spec, dir, NIN_SPLIT_TEST, test, err, sizeof err) != 0)
        nin_fatal("%s", err);
    in->count = count < test->count ? count : test->count;
    in->images = nin_calloc(in->count, sizeof *in->images);
    in->captions = nin_calloc(in->count, sizeof *in->captions);
    in->labels = test->labels;
    size_t dim = (size_t)spec->channels * spec->height * spec->width;
    for (int i = 0; i < in->count; i++) {
        in->images[i] = (nin_image){ spec->channels, spec->height, spec->width, test->images + i * dim };
        snprintf(in->captions[i], sizeof in->captions[i], "#%d  %s", i, spec->class_names[test->labels[i]]);
    }
}

/* Ground-truth boxes: one "x0 y0 x1 y1" line per image, at least as many lines as images. */
static nin_box *load_truth(const char *path, int count)
{
    FILE *f = fopen(path, "r");
    if (!f)
        nin_fatal("--truth %s: cannot open it", path);
    nin_box *boxes = nin_malloc(count * sizeof *boxes);
    for (int i = 0; i < count; i++)
        if (fscanf(f, "%d %d %d %d", &boxes[i].x0, &boxes[i].y0, &boxes[i].x1, &boxes[i].y1) != 4)
            nin_fatal("%s: line %d is not 'x0 y0 x1 y1' (%d images need a box each)", path, i + 1, count);
    fclose(f);
    return boxes;
}

static int find_class(const char *name, const nin_dataset_spec *spec, int classes)
{
    for (int c = 0; spec && c < classes; c++)
        if (strcasecmp(name, spec->class_names[c]) == 0)
            return c;
    char *end;
    long v = strtol(name, &end, 10);
    if (end != name && !*end && v >= 0 && v < classes)
        return (int)v;
    nin_fatal("--class '%s' is neither a class name nor an index below %d", name, classes);
}

static void class_label(char *buf, size_t size, const nin_dataset_spec *spec, int c, float prob)
{
    if (spec)
        snprintf(buf, size, "%s %.1f%%", spec->class_names[c], 100.0f * prob);
    else
        snprintf(buf, size, "class %d %.1f%%", c, 100.0f * prob);
}

/* The classes in order of decreasing probability. */
static void rank_classes(const float *prob, int classes, int *order)
{
    for (int c = 0; c < classes; c++)
        order[c] = c;
    for (int i = 1; i < classes; i++)   /* insertion sort: classes are few */
        for (int j = i; j > 0 && prob[order[j]] > prob[order[j - 1]]; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
}

/* The class maps of one image and where their cells lie on the network's input. */
typedef struct class_maps {
    const float *values;     /* classes x h x w */
    nin_shape shape;
    float stride, offset;    /* cell i is centred on input pixel stride * i + offset */
} class_maps;

/* Draw one row: the image with its boxes, then each shown class's map over it, on a shared colour scale
 * (so a weak class looks weak next to the predicted one). */
static void draw_row(nin_image *canvas, int y, int scale, const nin_image *image, const char *caption,
                     class_maps maps, const int *shown, int shown_count, const float *prob,
                     const nin_dataset_spec *spec, nin_box box, const nin_box *truth, nin_shape input)
{
    int th = input.h * scale, tw = input.w * scale;
    size_t area = (size_t)maps.shape.h * maps.shape.w;
    nin_image tile;
    nin_image_convert(image, 3, th, tw, &tile);
    char label[96];
    snprintf(label, sizeof label, "%s", caption);
    label[tw / (NIN_GLYPH_W + 1)] = '\0';   /* what fits above the tile */
    nin_draw_text(canvas, GAP, y + 2, label, 1, NIN_BLACK);
    nin_draw_image(canvas, GAP, y + LABEL_H, &tile);
    nin_box drawn = nin_box_scale(box, input.h, input.w, th, tw);
    if (truth) {
        nin_box t = nin_box_scale(*truth, image->height, image->width, th, tw);
        nin_draw_rect(canvas, GAP + t.x0, y + LABEL_H + t.y0, t.x1 - t.x0, t.y1 - t.y0, 2, (nin_rgb){ 0, 220, 0 });
    }
    nin_draw_rect(canvas, GAP + drawn.x0, y + LABEL_H + drawn.y0, drawn.x1 - drawn.x0, drawn.y1 - drawn.y0, 2,
                  (nin_rgb){ 255, 0, 255 });
    float lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < shown_count; k++)
        for (size_t j = 0; j < area; j++) {
            lo = fminf(lo, maps.values[shown[k] * area + j]);
            hi = fmaxf(hi, maps.values[shown[k] * area + j]);
        }
    float *heat = nin_malloc((size_t)th * tw * sizeof *heat);
    for (int k = 0; k < shown_count; k++) {
        int x = GAP + (k + 1) * (tw + GAP);
        /* tile pixel X shows input position (X + 0.5) / scale - 0.5 */
        nin_upsample_bilinear(maps.values + shown[k] * area, maps.shape.h, maps.shape.w, heat, th, tw,
                              maps.stride * scale, (maps.offset + 0.5f) * scale - 0.5f);
        nin_draw_heatmap(canvas, x, y + LABEL_H, &tile, heat, lo, hi, 0.6f);
        if (k == 0)
            nin_draw_rect(canvas, x + drawn.x0, y + LABEL_H + drawn.y0, drawn.x1 - drawn.x0, drawn.y1 - drawn.y0, 2,
                          NIN_WHITE);
        class_label(label, sizeof label, spec, shown[k], prob[shown[k]]);
        label[tw / (NIN_GLYPH_W + 1)] = '\0';
        nin_draw_text(canvas, x, y + 2, label, 1, NIN_BLACK);
    }
    free(heat);
    nin_image_free(&tile);
}

static void write_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++)
        fprintf(f, *s == '"' || *s == '\\' ? "\\%c" : (unsigned char)*s < 32 ? "?" : "%c", *s);
    fputc('"', f);
}

static void write_box_json(FILE *f, int i, const maps_input *in, const nin_dataset_spec *spec, int c, float prob,
                           nin_box box, double iou)
{
    fprintf(f, "%s\n  {\"image\": ", i ? "," : "");
    if (in->labels)
        fprintf(f, "%d, \"label\": %d", i, in->labels[i]);
    else
        write_json_string(f, in->captions[i]);
    fprintf(f, ", \"class\": %d, \"name\": ", c);
    write_json_string(f, spec ? spec->class_names[c] : "");
    fprintf(f, ", \"prob\": %.4f, \"box\": [%d, %d, %d, %d]", prob, box.x0, box.y0, box.x1, box.y1);
    if (in->truth)
        fprintf(f, ", \"truth\": [%d, %d, %d, %d], \"iou\": %.4f", in->truth[i].x0, in->truth[i].y0, in->truth[i].x1,
                in->truth[i].y1, iou);
    fputc('}', f);
}

int cmd_maps(const nin_options *opt, int argc, char **argv)
{
    const char *model = NULL, *dataset = NULL, *data = NULL, *class_name = NULL, *boxes_path = NULL;
    const char *truth_path = NULL, *out_path = NULL;
    int count = 16, top = 3, rows = 16, scale = 0, true_class = 0, c;
    float fraction = 0.5f;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:", maps_options, NULL)) != -1) {
        switch (c) {
        case 'o': out_path = optarg; break;
        case OPT_MODEL: model = optarg; break;
        case OPT_DATASET: dataset = optarg; break;
        case OPT_DATA: data = optarg; break;
        case OPT_COUNT: count = parse_int("--count", optarg, 1, 10000000); break;
        case OPT_TOP: top = parse_int("--top", optarg, 1, 10); break;
        case OPT_CLASS: class_name = optarg; break;
        case OPT_ROWS: rows = parse_int("--rows", optarg, 1, 256); break;
        case OPT_SCALE: scale = parse_int("--scale", optarg, 1, 32); break;
        case OPT_THRESHOLD: {
            char *end;
            fraction = strtof(optarg, &end);
            if (end == optarg || *end || !(fraction >= 0.0f && fraction < 1.0f))
                nin_fatal("--threshold takes a fraction in [0, 1), not '%s'", optarg);
            break;
        }
        case OPT_BOXES: boxes_path = optarg; break;
        case OPT_TRUTH: truth_path = optarg; break;
        case OPT_TRUE_CLASS: true_class = 1; break;
        case OPT_HELP: fputs(maps_usage, stdout); return 0;
        default: fputs(maps_usage, stderr); nin_fatal("unknown or incomplete option '%s' for maps", argv[optind - 1]);
        }
    }
    if (!model || (dataset ? optind != argc : optind == argc)) {
        fputs(maps_usage, stderr);
        nin_fatal("maps needs --model FILE and either image files or --dataset NAME");
    }
    if (true_class && (!dataset || class_name))
        nin_fatal("--true-class needs --dataset (the labels) and no --class");

    char err[1400];
    nin_checkpoint ck;
    if (nin_checkpoint_load(model, &ck, err, sizeof err) != 0)
        nin_fatal("%s", err);
    const nin_dataset_spec *spec = nin_dataset_find(dataset ? dataset : ck.config.dataset);
    if (dataset && !spec)
        nin_fatal("unknown dataset '%s' (known: %s)", dataset, nin_dataset_names());
    if (spec && spec->classes != ck.classes) {
        if (dataset)
            nin_fatal("%s has %d classes; %s has %d", model, ck.classes, dataset, spec->classes);
        spec = NULL;   /* files: class indices instead of names */
    }
    maps_input in = { 0 };
    nin_dataset test = { 0 };
    char dir[1024], guess[1100];
    if (dataset) {
        if (spec->channels != ck.input.c || spec->height != ck.input.h || spec->width != ck.input.w)
            nin_fatal("%s was trained on %dx%dx%d images; %s has %dx%dx%d", model, ck.input.c, ck.input.h,
                      ck.input.w, dataset, spec->channels, spec->height, spec->width);
        load_test_split(&in, &test, spec, data, count);
        snprintf(guess, sizeof guess, "%s/t10k-boxes.txt", nin_dataset_dir(spec, data, dir, sizeof dir));
        FILE *f = truth_path ? NULL : fopen(guess, "r");
        if (f) {
            fclose(f);
            truth_path = guess;
        }
    } else {
        load_files(&in, argv + optind, argc - optind);
    }
    if (truth_path)
        in.truth = load_truth(truth_path, in.count);

    nin_context *ctx = cli_open_device(opt->device);
    nin_netdef def;
    if (nin_netdef_parse(ck.config.netdef, &def, err, sizeof err) != 0)
        nin_fatal("%s: %s", model, err);
    int batch = in.count < 64 ? in.count : 64;
    nin_net *net = nin_net_create(ctx, &def, ck.input, batch, ck.config.seed, 0.0f);
    if (nin_net_param_count(net) != ck.params)
        nin_fatal("%s is corrupt: its network does not match its %zu parameters", model, ck.params);
    nin_net_set_params(net, ck.weights);
    int layer = nin_confidence_layer(net);
    if (layer < 0)
        nin_fatal("%s does not end in global average pooling (%s): it has no class confidence maps", model,
                  ck.config.netdef);
    nin_shape input = ck.input, map_shape = nin_net_layer_output_shape(net, layer);
    float map_stride, map_offset;
    nin_map_geometry(&def, layer, &map_stride, &map_offset);
    int classes = ck.classes, chosen = class_name ? find_class(class_name, spec, classes) : -1;
    top = top < classes ? top : classes;
    int shown_count = class_name || true_class ? 1 : top;

    /* the picture: one row per image, the image then its maps */
    int side = input.h > input.w ? input.h : input.w;
    scale = scale ? scale : (TILE_MIN + side - 1) / side;
    int drawn_rows = rows < in.count ? rows : in.count;
    nin_image canvas = { 0 };
    if (out_path)
        nin_canvas_create(&canvas, GAP + (shown_count + 1) * (input.w * scale + GAP),
                          drawn_rows * (LABEL_H + input.h * scale + GAP) + GAP, NIN_WHITE);
    FILE *boxes = NULL;
    if (boxes_path) {
        boxes = fopen(boxes_path, "w");
        if (!boxes)
            nin_fatal("--boxes %s: cannot create it", boxes_path);
        fprintf(boxes, "{\"model\": ");
        write_json_string(boxes, model);
        fprintf(boxes, ", \"threshold\": %g, \"images\": [", fraction);
    }

    size_t in_dim = (size_t)input.c * input.h * input.w, area = (size_t)map_shape.h * map_shape.w;
    uint8_t *pixels = nin_calloc((size_t)batch * in_dim, 1);
    float *x = nin_malloc((size_t)batch * in_dim * sizeof *x), *logits = nin_malloc((size_t)batch * classes * sizeof *logits);
    float *maps = nin_malloc((size_t)batch * map_shape.c * area * sizeof *maps);
    float *heat = nin_malloc(in_dim / input.c * sizeof *heat), *prob = nin_malloc(classes * sizeof *prob);
    int *order = nin_malloc(classes * sizeof *order), correct = 0, hits = 0, pointed = 0;
    double iou_sum = 0.0;
    for (int first = 0; first < in.count; first += batch) {
        int n = in.count - first < batch ? in.count - first : batch;
        for (int i = 0; i < n; i++) {
            nin_image fitted;
            nin_image_convert(&in.images[first + i], input.c, input.h, input.w, &fitted);
            memcpy(pixels + i * in_dim, fitted.pixels, in_dim);
            nin_image_free(&fitted);
        }
        nin_preprocess_apply(&ck.pre, pixels, batch, x);   /* the tail of a last partial batch is ignored */
        nin_net_set_input(net, x, NULL);
        nin_net_forward(net, 0);
        nin_net_get_output(net, logits);
        nin_net_get_layer_output(net, layer, maps);
        for (int i = 0; i < n; i++) {
            int index = first + i;
            const float *z = logits + (size_t)i * classes, *m = maps + (size_t)i * map_shape.c * area;
            nin_softmax(z, classes, prob);
            rank_classes(prob, classes, order);
            int target = true_class ? in.labels[index] : chosen >= 0 ? chosen : order[0];
            correct += in.labels && in.labels[index] == order[0];
            nin_upsample_bilinear(m + target * area, map_shape.h, map_shape.w, heat, input.h, input.w, map_stride,
                                  map_offset);
            nin_box found = nin_localize(heat, input.h, input.w, fraction);   /* in network-input pixels */
            nin_box box = nin_box_scale(found, input.h, input.w, in.images[index].height, in.images[index].width);
            double iou = in.truth ? nin_box_iou(box, in.truth[index]) : 0.0;
            iou_sum += iou;
            hits += iou >= 0.5;
            if (in.truth) {   /* the pointing game: the box's centre falls on the object's box */
                int cx2 = box.x0 + box.x1, cy2 = box.y0 + box.y1;   /* twice the centre */
                const nin_box *t = &in.truth[index];
                pointed += cx2 >= 2 * t->x0 && cx2 < 2 * t->x1 && cy2 >= 2 * t->y0 && cy2 < 2 * t->y1;
            }
            if (boxes)
                write_box_json(boxes, index, &in, spec, target, prob[target], box, iou);
            if (out_path && index < drawn_rows)
                draw_row(&canvas, GAP + index * (LABEL_H + input.h * scale + GAP), scale, &in.images[index],
                         in.captions[index], (class_maps){ m, map_shape, map_stride, map_offset },
                         true_class || chosen >= 0 ? &target : order, shown_count, prob, spec,
                         found, in.truth ? &in.truth[index] : NULL, input);
            if (!dataset)
                printf("%s: %s %.4f, box %d %d %d %d\n", in.captions[index],
                       spec ? spec->class_names[target] : "class", prob[target], box.x0, box.y0, box.x1, box.y1);
        }
    }
    if (in.labels)
        printf("%d test images of %s: accuracy %.4f\n", in.count, dataset, (double)correct / in.count);
    if (in.truth)
        printf("localization (%s map, threshold %.2f of its range, largest region) against %s: mean IoU %.4f, "
               "IoU >= 0.5: %.4f (%d of %d), box centre inside the true box: %.4f\n",
               true_class ? "the true class's" : chosen >= 0 ? "the --class" : "the predicted class's", fraction, truth_path, iou_sum / in.count,
               (double)hits / in.count, hits, in.count, (double)pointed / in.count);
    if (boxes) {
        fprintf(boxes, "\n]}\n");
        if (fclose(boxes) != 0)
            nin_fatal("--boxes %s: cannot write it", boxes_path);
    }
    if (out_path) {
        if (nin_image_save_png(out_path, &canvas, err, sizeof err) != 0)
            nin_fatal("%s", err);
        nin_image_free(&canvas);
    }
    free(pixels);
    free(x);
    free(logits);
    free(maps);
    free(heat);
    free(prob);
    free(order);
    free(in.truth);
    for (int i = 0; in.owns_pixels && i < in.count; i++)
        nin_image_free(&in.images[i]);
    free(in.images);
    free(in.captions);
    nin_dataset_free(&test);
    nin_net_free(net);
    nin_checkpoint_free(&ck);
    nin_context_free(ctx);
    return 0;
}
