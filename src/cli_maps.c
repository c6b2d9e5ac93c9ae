/* cli_maps.c - `nin-cl maps`: the category confidence maps of a GAP network (the last mlpconv's maps before
 * global average pooling), drawn as heat-maps over the images, and boxes localized from them. */
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

typedef struct maps_args {
    const char *model, *data, *class_name, *boxes, *truth, *output;
    const nin_dataset_spec *dataset;
    int count, top, rows, scale, true_class;
    float threshold;
    cli_list images;
} maps_args;

#define M(member) offsetof(maps_args, member)
static const cli_option maps_options[] = {
    { .name = "IMAGE", .kind = CLI_REST, .offset = M(images), .flags = CLI_ARGUMENT,
      .help = "PNG, JPEG, PGM or PPM files (or --dataset instead)" },
    CLI_MODEL_OPTION(maps_args),
    { .name = "output", .short_name = 'o', .kind = CLI_STRING, .offset = M(output), .metavar = "FILE",
      .help = "draw the images and their class confidence maps into a PNG" },
    { .name = "dataset", .kind = CLI_DATASET, .offset = M(dataset), .metavar = "NAME",
      .help = "the first images of this dataset's test split instead of files" },
    CLI_DATA_OPTION(maps_args, "with --dataset: the dataset's files"),
    { .name = "count", .kind = CLI_INT, .offset = M(count), .min = 1, .max = 10000000, .metavar = "N",
      .help = "with --dataset: how many of its test images" },
    { .name = "top", .kind = CLI_INT, .offset = M(top), .min = 1, .max = 10, .metavar = "K",
      .help = "the maps of the K most probable classes" },
    { .name = "class", .kind = CLI_STRING, .offset = M(class_name), .metavar = "NAME",
      .help = "the map of this class (a name or index) instead" },
    { .name = "true-class", .kind = CLI_FLAG, .offset = M(true_class),
      .help = "with --dataset: the map of each image's labelled class instead" },
    { .name = "rows", .kind = CLI_INT, .offset = M(rows), .min = 1, .max = 256, .metavar = "N",
      .help = "draw the first N images" },
    { .name = "scale", .kind = CLI_INT, .offset = M(scale), .min = 1, .max = 32, .metavar = "N",
      .help = "draw images N times their size", .shown_default = "the least that makes them 112 pixels" },
    { .name = "threshold", .kind = CLI_FLOAT, .offset = M(threshold), .min = 0.0, .max = 0x1.fffffep-1,
      .metavar = "F", .expects = "takes a fraction in [0, 1)",
      .help = "localize: the largest region above min + F * (max - min) of the map" },
    { .name = "boxes", .kind = CLI_STRING, .offset = M(boxes), .metavar = "FILE",
      .help = "write the boxes (image pixels, [x0, x1) x [y0, y1)) as JSON" },
    { .name = "truth", .kind = CLI_STRING, .offset = M(truth), .metavar = "FILE",
      .help = "ground-truth boxes, one 'x0 y0 x1 y1' line per image: report IoU",
      .shown_default = "DIR/t10k-boxes.txt of --dataset when it exists" },
    CLI_END,
};
#undef M

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
    in->images = cli_calloc(count, sizeof *in->images);
    in->captions = cli_calloc(count, sizeof *in->captions);
    in->owns_pixels = 1;
    for (int i = 0; i < count; i++) {
        char err[1024];
        if (nin_image_load(paths[i], &in->images[i], err, sizeof err) != 0)
            cli_fatal("%s", err);
        const char *slash = strrchr(paths[i], '/');
        snprintf(in->captions[i], sizeof in->captions[i], "%s", slash ? slash + 1 : paths[i]);
    }
}

/* The first `count` test images of a dataset; their directory goes to dir. */
static void load_test_split(maps_input *in, nin_dataset *test, const maps_args *a, const nin_checkpoint *ck,
                            char *dir, size_t dir_size)
{
    cli_load_model_data(a->model, ck, a->dataset, a->data, NIN_SPLIT_TEST, test, dir, dir_size);
    int count = a->count;
    const nin_dataset_spec *spec = test->spec;
    in->count = count < test->count ? count : test->count;
    in->images = cli_calloc(in->count, sizeof *in->images);
    in->captions = cli_calloc(in->count, sizeof *in->captions);
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
        cli_fatal("--truth %s: cannot open it", path);
    nin_box *boxes = cli_malloc(count * sizeof *boxes);
    for (int i = 0; i < count; i++)
        if (fscanf(f, "%d %d %d %d", &boxes[i].x0, &boxes[i].y0, &boxes[i].x1, &boxes[i].y1) != 4)
            cli_fatal("%s: line %d is not 'x0 y0 x1 y1' (%d images need a box each)", path, i + 1, count);
    fclose(f);
    return boxes;
}

static int find_class(const char *name, char *const *names, int classes)
{
    for (int c = 0; names && c < classes; c++)
        if (strcasecmp(name, names[c]) == 0)
            return c;
    char *end;
    long v = strtol(name, &end, 10);
    if (end != name && !*end && v >= 0 && v < classes)
        return (int)v;
    cli_usage_error("--class '%s' is neither a class name nor an index below %d", name, classes);
}

static void class_label(char *buf, size_t size, char *const *names, int c, float prob)
{
    if (names)
        snprintf(buf, size, "%s %.1f%%", names[c], 100.0f * prob);
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
                     char *const *names, nin_box box, const nin_box *truth, nin_shape input)
{
    int th = input.h * scale, tw = input.w * scale;
    size_t area = (size_t)maps.shape.h * maps.shape.w;
    nin_image tile;
    cli_check(nin_image_convert(image, 3, th, tw, &tile));
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
    float *heat = cli_malloc((size_t)th * tw * sizeof *heat);
    for (int k = 0; k < shown_count; k++) {
        int x = GAP + (k + 1) * (tw + GAP);
        /* tile pixel X shows input position (X + 0.5) / scale - 0.5 */
        nin_upsample_bilinear(maps.values + shown[k] * area, maps.shape.h, maps.shape.w, heat, th, tw,
                              maps.stride * scale, (maps.offset + 0.5f) * scale - 0.5f);
        nin_draw_heatmap(canvas, x, y + LABEL_H, &tile, heat, lo, hi, 0.6f);
        if (k == 0)
            nin_draw_rect(canvas, x + drawn.x0, y + LABEL_H + drawn.y0, drawn.x1 - drawn.x0, drawn.y1 - drawn.y0, 2,
                          NIN_WHITE);
        class_label(label, sizeof label, names, shown[k], prob[shown[k]]);
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

static void write_box_json(FILE *f, int i, const maps_input *in, char *const *names, int c, float prob,
                           nin_box box, double iou)
{
    fprintf(f, "%s\n  {\"image\": ", i ? "," : "");
    if (in->labels)
        fprintf(f, "%d, \"label\": %d", i, in->labels[i]);
    else
        write_json_string(f, in->captions[i]);
    fprintf(f, ", \"class\": %d, \"name\": ", c);
    write_json_string(f, names ? names[c] : "");
    fprintf(f, ", \"prob\": %.4f, \"box\": [%d, %d, %d, %d]", prob, box.x0, box.y0, box.x1, box.y1);
    if (in->truth)
        fprintf(f, ", \"truth\": [%d, %d, %d, %d], \"iou\": %.4f", in->truth[i].x0, in->truth[i].y0, in->truth[i].x1,
                in->truth[i].y1, iou);
    fputc('}', f);
}

/* --- the run: model, input, network, then a batch at a time, then the report ------------------------- */

/* Everything one `nin-cl maps` works with. */
typedef struct maps_run {
    const maps_args *a;
    cli_model model;
    const nin_checkpoint *ck;       /* the model's */
    char *const *names;             /* the model's class names, or NULL (indices) */
    maps_input in;
    nin_dataset test;
    const char *truth_path;
    char truth_guess[1100];
    int layer;                      /* the class confidence maps: the layer before global average pooling */
    nin_shape input, map_shape;
    float map_stride, map_offset;   /* cell i of a map is centred on input pixel stride * i + offset */
    int classes, chosen, shown_count, batch, drawn_rows, scale;
    nin_image canvas;
    FILE *boxes;
    float *heat, *prob;
    int *order;
    int correct, hits, pointed;
    double iou_sum;
} maps_run;

static void check_maps_args(const maps_args *a)
{
    if (a->dataset ? a->images.count > 0 : a->images.count == 0)
        cli_usage_error("maps needs --model FILE and either image files or --dataset NAME");
    if (a->true_class && (!a->dataset || a->class_name))
        cli_usage_error("--true-class needs --dataset (the labels) and no --class");
}

/* The checkpoint, whose class names label the maps. */
static void load_maps_model(maps_run *r)
{
    const maps_args *a = r->a;
    cli_load_checkpoint(&r->model, a->model);
    r->ck = &r->model.ck;
    r->names = r->ck->class_names;
}

/* The images (--dataset's test split or the files) and, when there are any, their true boxes. */
static void load_maps_input(maps_run *r)
{
    const maps_args *a = r->a;
    r->truth_path = a->truth;
    if (a->dataset) {
        char dir[1024];
        load_test_split(&r->in, &r->test, a, r->ck, dir, sizeof dir);
        snprintf(r->truth_guess, sizeof r->truth_guess, "%s/t10k-boxes.txt", dir);
        FILE *f = r->truth_path ? NULL : fopen(r->truth_guess, "r");
        if (f) {
            fclose(f);
            r->truth_path = r->truth_guess;
        }
    } else {
        load_files(&r->in, a->images.items, a->images.count);
    }
    if (r->truth_path)
        r->in.truth = load_truth(r->truth_path, r->in.count);
}

/* The network on the device, where its class maps are, and which of them to show. */
static void build_maps_network(maps_run *r, const nin_options *opt)
{
    const maps_args *a = r->a;
    r->batch = r->in.count < 64 ? r->in.count : 64;
    cli_build_model(&r->model, opt->device, r->batch, 1);
    r->layer = nin_confidence_layer(r->model.net);
    if (r->layer < 0)
        cli_fatal("%s does not end in global average pooling (%s): it has no class confidence maps", a->model,
                  r->ck->config.netdef);
    r->input = r->ck->input;
    r->map_shape = nin_net_layer_output_shape(r->model.net, r->layer);
    nin_map_geometry(&r->model.def, r->layer, &r->map_stride, &r->map_offset);
    r->classes = r->ck->classes;
    r->chosen = a->class_name ? find_class(a->class_name, r->names, r->classes) : -1;
    int top = a->top < r->classes ? a->top : r->classes;
    r->shown_count = a->class_name || a->true_class ? 1 : top;
}

/* The picture (one row per image: the image, then its maps) and the JSON boxes file, as asked for. */
static void open_maps_outputs(maps_run *r)
{
    const maps_args *a = r->a;
    int side = r->input.h > r->input.w ? r->input.h : r->input.w;
    r->scale = a->scale ? a->scale : (TILE_MIN + side - 1) / side;
    r->drawn_rows = a->rows < r->in.count ? a->rows : r->in.count;
    if (a->output)
        nin_canvas_create(&r->canvas, GAP + (r->shown_count + 1) * (r->input.w * r->scale + GAP),
                          r->drawn_rows * (LABEL_H + r->input.h * r->scale + GAP) + GAP, NIN_WHITE);
    if (a->boxes) {
        r->boxes = fopen(a->boxes, "w");
        if (!r->boxes)
            cli_fatal("--boxes %s: cannot create it", a->boxes);
        fprintf(r->boxes, "{\"model\": ");
        write_json_string(r->boxes, a->model);
        fprintf(r->boxes, ", \"threshold\": %g, \"images\": [", a->threshold);
    }
    size_t area = (size_t)r->input.h * r->input.w;
    r->heat = cli_malloc(area * sizeof *r->heat);
    r->prob = cli_malloc(r->classes * sizeof *r->prob);
    r->order = cli_malloc(r->classes * sizeof *r->order);
}

/* Score the box found for one image against its true box: IoU, and the pointing game (the box's centre falls
 * on the object's box). */
static double score_box(maps_run *r, int index, nin_box box)
{
    if (!r->in.truth)
        return 0.0;
    const nin_box *t = &r->in.truth[index];
    double iou = nin_box_iou(box, *t);
    int cx2 = box.x0 + box.x1, cy2 = box.y0 + box.y1;   /* twice the centre */
    r->iou_sum += iou;
    r->hits += iou >= 0.5;
    r->pointed += cx2 >= 2 * t->x0 && cx2 < 2 * t->x1 && cy2 >= 2 * t->y0 && cy2 < 2 * t->y1;
    return iou;
}

/* One image: its class probabilities, the box of the chosen class's map, then its row, JSON entry or line. */
static void map_image(maps_run *r, int index, const float *logits, const float *maps)
{
    const maps_args *a = r->a;
    size_t area = (size_t)r->map_shape.h * r->map_shape.w;
    nin_softmax(logits, r->classes, r->prob);
    rank_classes(r->prob, r->classes, r->order);
    int target = a->true_class ? r->in.labels[index] : r->chosen >= 0 ? r->chosen : r->order[0];
    r->correct += r->in.labels && r->in.labels[index] == r->order[0];
    nin_upsample_bilinear(maps + target * area, r->map_shape.h, r->map_shape.w, r->heat, r->input.h, r->input.w,
                          r->map_stride, r->map_offset);
    nin_box found = nin_localize(r->heat, r->input.h, r->input.w, a->threshold);   /* in network-input pixels */
    if (found.x1 <= found.x0 || found.y1 <= found.y0)   /* never empty, unless it failed */
        cli_fatal("%s", nin_last_error());
    const nin_image *image = &r->in.images[index];
    nin_box box = nin_box_scale(found, r->input.h, r->input.w, image->height, image->width);
    double iou = score_box(r, index, box);
    if (r->boxes)
        write_box_json(r->boxes, index, &r->in, r->names, target, r->prob[target], box, iou);
    if (a->output && index < r->drawn_rows)
        draw_row(&r->canvas, GAP + index * (LABEL_H + r->input.h * r->scale + GAP), r->scale, image,
                 r->in.captions[index], (class_maps){ maps, r->map_shape, r->map_stride, r->map_offset },
                 a->true_class || r->chosen >= 0 ? &target : r->order, r->shown_count, r->prob, r->names, found,
                 r->in.truth ? &r->in.truth[index] : NULL, r->input);
    if (!a->dataset)
        printf("%s: %s %.4f, box %d %d %d %d\n", r->in.captions[index],
               r->names ? r->names[target] : "class", r->prob[target], box.x0, box.y0, box.x1, box.y1);
}

/* Every image, a batch at a time through the network. */
static void map_images(maps_run *r)
{
    size_t in_dim = (size_t)r->input.c * r->input.h * r->input.w, area = (size_t)r->map_shape.h * r->map_shape.w;
    uint8_t *pixels = cli_calloc((size_t)r->batch * in_dim, 1);
    float *x = cli_malloc((size_t)r->batch * in_dim * sizeof *x);
    float *logits = cli_malloc((size_t)r->batch * r->classes * sizeof *logits);
    float *maps = cli_malloc((size_t)r->batch * r->map_shape.c * area * sizeof *maps);
    for (int first = 0; first < r->in.count; first += r->batch) {
        int n = r->in.count - first < r->batch ? r->in.count - first : r->batch;
        for (int i = 0; i < n; i++) {
            nin_image fitted;
            cli_check(nin_image_convert(&r->in.images[first + i], r->input.c, r->input.h, r->input.w, &fitted));
            memcpy(pixels + i * in_dim, fitted.pixels, in_dim);
            nin_image_free(&fitted);
        }
        nin_preprocess_apply(&r->ck->pre, pixels, r->batch, x);   /* the tail of a last partial batch is ignored */
        cli_check(nin_net_set_input(r->model.net, x, NULL));
        cli_check(nin_net_forward(r->model.net, 0));
        cli_check(nin_net_get_output(r->model.net, logits));
        cli_check(nin_net_get_layer_output(r->model.net, r->layer, maps));
        for (int i = 0; i < n; i++)
            map_image(r, first + i, logits + (size_t)i * r->classes, maps + (size_t)i * r->map_shape.c * area);
    }
    free(pixels);
    free(x);
    free(logits);
    free(maps);
}

/* The accuracy and localization lines, then the boxes file and the picture written out. */
static void report_maps(maps_run *r)
{
    const maps_args *a = r->a;
    int n = r->in.count;
    if (r->in.labels)
        printf("%d test images of %s: accuracy %.4f\n", n, a->dataset->name, (double)r->correct / n);
    if (r->in.truth)
        printf("localization (%s map, threshold %.2f of its range, largest region) against %s: mean IoU %.4f, "
               "IoU >= 0.5: %.4f (%d of %d), box centre inside the true box: %.4f\n",
               a->true_class ? "the true class's" : r->chosen >= 0 ? "the --class" : "the predicted class's",
               a->threshold, r->truth_path, r->iou_sum / n, (double)r->hits / n, r->hits, n, (double)r->pointed / n);
    if (r->boxes) {
        fprintf(r->boxes, "\n]}\n");
        if (fclose(r->boxes) != 0)
            cli_fatal("--boxes %s: cannot write it", a->boxes);
    }
    if (a->output) {
        char err[1400];
        if (nin_image_save_png(a->output, &r->canvas, err, sizeof err) != 0)
            cli_fatal("%s", err);
        nin_image_free(&r->canvas);
    }
}

static void free_maps_run(maps_run *r)
{
    free(r->heat);
    free(r->prob);
    free(r->order);
    free(r->in.truth);
    for (int i = 0; r->in.owns_pixels && i < r->in.count; i++)
        nin_image_free(&r->in.images[i]);
    free(r->in.images);
    free(r->in.captions);
    nin_dataset_free(&r->test);
    cli_close_model(&r->model);
}

static int cmd_maps(const nin_options *opt, int argc, char **argv)
{
    maps_args a = { .count = 16, .top = 3, .rows = 16, .threshold = 0.5f };
    cli_parse(&cli_maps, argc, argv, &a);
    check_maps_args(&a);
    maps_run r = { .a = &a };
    load_maps_model(&r);
    load_maps_input(&r);
    build_maps_network(&r, opt);
    open_maps_outputs(&r);
    map_images(&r);
    report_maps(&r);
    free_maps_run(&r);
    return 0;
}

const cli_command cli_maps = {
    .name = "maps",
    .summary = "class confidence maps of a checkpoint as heat-maps over images, and boxes localized from them",
    .synopsis = "--model FILE (IMAGE... | --dataset NAME [--data DIR] [--count N]) [options]",
    .options = maps_options,
    .run = cmd_maps,
};
