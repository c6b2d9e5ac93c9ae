/* cli_confusion.c - what `nin-cl test` reports after its summary line: each class's accuracy and the
 * confusion matrix (at most 20 classes; above, the most frequent confusions), and the matrix drawn as a PNG
 * (--confusion). Every report reads one matrix of counts, classes x classes, row = true class, column =
 * predicted class (nin_confusion_matrix). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nin/nin.h>
#include "cli.h"
#include "draw.h"

#define MATRIX_MAX_CLASSES 20   /* more classes: the most frequent confusions instead of the whole matrix */
#define TOP_CONFUSIONS 10
#define LABEL_SIZE 64

int64_t *cli_confusion(const int *labels, const int *predicted, int count, int classes)
{
    int64_t *matrix = cli_malloc((size_t)classes * classes * sizeof *matrix);
    cli_check(nin_confusion_matrix(labels, predicted, count, classes, matrix));
    return matrix;
}

/* --- what the reports read from the matrix ------------------------------------------------------------- */

/* A class as the reports name it: its index, then its name when that says more ("3 cat"; MNIST's "3" is "3"). */
static const char *class_label(const char *const *names, int c, char label[LABEL_SIZE])
{
    snprintf(label, LABEL_SIZE, "%d", c);
    if (names && strcmp(names[c], label) != 0)
        snprintf(label, LABEL_SIZE, "%d %.50s", c, names[c]);
    return label;
}

/* The longest class label, in characters, and no shorter than `at_least`. */
static int label_chars(const char *const *names, int classes, int at_least)
{
    char label[LABEL_SIZE];
    int longest = at_least;
    for (int c = 0; c < classes; c++) {
        int n = (int)strlen(class_label(names, c, label));
        longest = n > longest ? n : longest;
    }
    return longest;
}

/* The images of true class c. */
static int64_t class_total(const int64_t *matrix, int classes, int c)
{
    int64_t total = 0;
    for (int p = 0; p < classes; p++)
        total += matrix[(size_t)c * classes + p];
    return total;
}

/* The share of the images of true class t predicted as p, in [0, 1] (0 when the class has none). */
static double row_share(const int64_t *matrix, int classes, int t, int p)
{
    int64_t total = class_total(matrix, classes, t);
    return total ? (double)matrix[(size_t)t * classes + p] / total : 0.0;
}

static int64_t correct_total(const int64_t *matrix, int classes)
{
    int64_t correct = 0;
    for (int c = 0; c < classes; c++)
        correct += matrix[(size_t)c * classes + c];
    return correct;
}

static int64_t image_total(const int64_t *matrix, int classes)
{
    int64_t all = 0;
    for (size_t i = 0; i < (size_t)classes * classes; i++)
        all += matrix[i];
    return all;
}

static int digits(int64_t v)
{
    int n = 1;
    for (; v >= 10; v /= 10)
        n++;
    return n;
}

static int64_t largest_count(const int64_t *matrix, int classes)
{
    int64_t most = 0;
    for (size_t i = 0; i < (size_t)classes * classes; i++)
        most = matrix[i] > most ? matrix[i] : most;
    return most;
}

/* --- text ---------------------------------------------------------------------------------------------- */

/* One line of the accuracy table: label, correct/total, accuracy in % ("-" without images). */
static void print_accuracy_line(FILE *out, int label_w, const char *label, int64_t correct, int64_t total)
{
    char ratio[48];
    snprintf(ratio, sizeof ratio, "%" PRId64 "/%" PRId64, correct, total);
    if (total)
        fprintf(out, "%-*s  %13s  %7.2f%%\n", label_w, label, ratio, 100.0 * correct / total);
    else
        fprintf(out, "%-*s  %13s  %8s\n", label_w, label, ratio, "-");
}

/* Each class's accuracy (the recall of its images), then all images and the mean over the classes that have
 * images (the balanced accuracy). */
static void print_class_accuracy(FILE *out, const int64_t *matrix, int classes, const char *const *names)
{
    int label_w = label_chars(names, classes, (int)strlen("class mean"));
    char label[LABEL_SIZE];
    double mean = 0.0;
    int present = 0;
    fprintf(out, "\n%-*s  %13s  %8s\n", label_w, "class", "correct/total", "accuracy");
    for (int c = 0; c < classes; c++) {
        int64_t total = class_total(matrix, classes, c);
        print_accuracy_line(out, label_w, class_label(names, c, label), matrix[(size_t)c * classes + c], total);
        mean += row_share(matrix, classes, c, c);
        present += total > 0;
    }
    print_accuracy_line(out, label_w, "all", correct_total(matrix, classes), image_total(matrix, classes));
    fprintf(out, "%-*s  %13s  %7.2f%%\n", label_w, "class mean", "", present ? 100.0 * mean / present : 0.0);
}

/* The whole matrix: a row per true class (labelled with its name), a column per predicted class (by index). */
static void print_matrix(FILE *out, const int64_t *matrix, int classes, const char *const *names)
{
    int label_w = label_chars(names, classes, 4), d = digits(largest_count(matrix, classes));
    int col_w = (d > digits(classes - 1) ? d : digits(classes - 1)) + 2;
    char label[LABEL_SIZE];
    fprintf(out, "\nconfusion matrix: a row per true class, a column per predicted class\n%-*s", label_w, "true");
    for (int p = 0; p < classes; p++)
        fprintf(out, "%*d", col_w, p);
    fputc('\n', out);
    for (int t = 0; t < classes; t++) {
        fprintf(out, "%-*s", label_w, class_label(names, t, label));
        for (int p = 0; p < classes; p++)
            fprintf(out, "%*" PRId64, col_w, matrix[(size_t)t * classes + p]);
        fputc('\n', out);
    }
}

typedef struct confusion { int64_t count; int t, p; } confusion;

/* The larger count first; equal counts in the matrix's order. */
static int by_count(const void *a, const void *b)
{
    const confusion *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return x->t != y->t ? x->t - y->t : x->p - y->p;
}

/* The TOP_CONFUSIONS largest counts off the diagonal, with their share of the true class's images. */
static void print_top_confusions(FILE *out, const int64_t *matrix, int classes, const char *const *names)
{
    confusion *all = cli_malloc((size_t)classes * classes * sizeof *all);
    int n = 0;
    for (int t = 0; t < classes; t++)
        for (int p = 0; p < classes; p++)
            if (p != t && matrix[(size_t)t * classes + p] > 0)
                all[n++] = (confusion){ matrix[(size_t)t * classes + p], t, p };
    qsort(all, (size_t)n, sizeof *all, by_count);
    fprintf(out, "\nthe %d most frequent confusions (true -> predicted: images, %% of the true class):\n",
            TOP_CONFUSIONS);
    char truth[LABEL_SIZE], guess[LABEL_SIZE];
    for (int i = 0; i < n && i < TOP_CONFUSIONS; i++)
        fprintf(out, "  %s -> %s: %" PRId64 " (%.1f%%)\n", class_label(names, all[i].t, truth),
                class_label(names, all[i].p, guess), all[i].count,
                100.0 * row_share(matrix, classes, all[i].t, all[i].p));
    if (n == 0)
        fprintf(out, "  none: every image is predicted as its class\n");
    free(all);
}

void cli_print_confusion(FILE *out, const int64_t *matrix, int classes, const char *const *names)
{
    print_class_accuracy(out, matrix, classes, names);
    if (classes <= MATRIX_MAX_CLASSES)
        print_matrix(out, matrix, classes, names);
    else
        print_top_confusions(out, matrix, classes, names);
}

/* --- the picture ----------------------------------------------------------------------------------------- */

#define DARK_BLUE ((nin_rgb){ 8, 48, 107 })   /* a whole row in one cell; white: none */

/* Where the parts of the picture go, in pixels. */
typedef struct layout {
    int classes;
    int scale;         /* of the font: 2 up to MATRIX_MAX_CLASSES classes, else 1 */
    int text_h;        /* one line of text */
    int gap, pad;      /* between parts; around the picture */
    int cell;          /* a cell's side */
    int label_step;    /* every label_step-th class is labelled (all, unless the cells are lower than the text) */
    int label_w;       /* the widest class label */
    int columns_up;    /* the column labels read upwards (they are wider than a cell) */
    int under;         /* the height of the column labels */
    int x0, y0, side;  /* the matrix's top left corner and side */
    int bar_x, bar_w;  /* the colour bar beside the matrix: its left edge and width */
    int width, height;
} layout;

static layout layout_of(const int64_t *matrix, int classes, const char *const *names, const char *title)
{
    layout l = { .classes = classes, .scale = classes <= MATRIX_MAX_CLASSES ? 2 : 1 };
    l.text_h = NIN_GLYPH_H * l.scale;
    l.gap = 6 * l.scale;
    l.pad = 8 * l.scale;
    if (classes <= MATRIX_MAX_CLASSES) {   /* the largest count fits in a cell, with a margin */
        int count_w = digits(largest_count(matrix, classes)) * (NIN_GLYPH_W + 1) * l.scale;
        l.cell = count_w + 4 * l.scale > 20 * l.scale ? count_w + 4 * l.scale : 20 * l.scale;
    } else {
        l.cell = 1000 / classes < 2 ? 2 : 1000 / classes > 16 ? 16 : 1000 / classes;
    }
    l.label_step = (l.text_h + 1 + l.cell - 1) / l.cell;
    l.label_w = (label_chars(names, classes, 1) * (NIN_GLYPH_W + 1) - 1) * l.scale;   /* as nin_text_width */
    l.columns_up = l.label_w > l.cell - l.gap;
    l.under = l.columns_up ? l.label_w : l.text_h;
    l.side = classes * l.cell;
    l.x0 = l.pad + l.text_h + l.gap + l.label_w + l.gap;
    l.y0 = l.pad + l.text_h + 2 * l.gap;
    l.bar_x = l.x0 + l.side + 2 * l.gap;
    l.bar_w = 10 * l.scale;
    l.width = l.bar_x + l.bar_w + l.gap + nin_text_width("100%", l.scale) + l.pad;
    if (l.width < 2 * l.pad + nin_text_width(title, l.scale))
        l.width = 2 * l.pad + nin_text_width(title, l.scale);
    l.height = l.y0 + l.side + l.gap + l.under + l.gap + l.text_h + l.pad;
    return l;
}

/* A cell's count, centred, when it is not 0 and fits; white on the darker half of the colours. */
static void draw_count(nin_image *img, const layout *l, int x, int y, int64_t count, double share)
{
    char text[24];
    snprintf(text, sizeof text, "%" PRId64, count);
    int w = nin_text_width(text, l->scale), margin = 2 * l->scale;
    if (count == 0 || w + margin > l->cell || l->text_h + margin > l->cell)
        return;
    nin_draw_text(img, x + (l->cell - w) / 2, y + (l->cell - l->text_h) / 2, text, l->scale,
                  share > 0.5 ? NIN_WHITE : NIN_BLACK);
}

/* The cells, coloured by their share of the true class's images (its row), in a frame. */
static void draw_cells(nin_image *img, const layout *l, const int64_t *matrix)
{
    for (int t = 0; t < l->classes; t++)
        for (int p = 0; p < l->classes; p++) {
            int x = l->x0 + p * l->cell, y = l->y0 + t * l->cell;
            double share = row_share(matrix, l->classes, t, p);
            nin_fill_rect(img, x, y, l->cell, l->cell, nin_mix(NIN_WHITE, DARK_BLUE, (float)share));
            draw_count(img, l, x, y, matrix[(size_t)t * l->classes + p], share);
        }
    nin_draw_rect(img, l->x0 - 1, l->y0 - 1, l->side + 2, l->side + 2, 1, NIN_GRAY);
}

/* The class labels: left of the rows, and under the columns (read upwards, ending at the matrix, when they are
 * wider than a cell). */
static void draw_labels(nin_image *img, const layout *l, const char *const *names)
{
    char label[LABEL_SIZE];
    for (int c = 0; c < l->classes; c += l->label_step) {
        int w = nin_text_width(class_label(names, c, label), l->scale), mid = c * l->cell + l->cell / 2;
        int below = l->y0 + l->side + l->gap;
        nin_draw_text(img, l->x0 - l->gap - w, l->y0 + mid - l->text_h / 2, label, l->scale, NIN_BLACK);
        if (l->columns_up)
            nin_draw_text_up(img, l->x0 + mid - l->text_h / 2, below + w, label, l->scale, NIN_BLACK);
        else
            nin_draw_text(img, l->x0 + mid - w / 2, below, label, l->scale, NIN_BLACK);
    }
}

/* The title above, "true" left of the row labels (read upwards), "predicted" under the column labels. */
static void draw_titles(nin_image *img, const layout *l, const char *title)
{
    nin_draw_text(img, l->pad, l->pad, title, l->scale, NIN_BLACK);
    int w = nin_text_width("true", l->scale);
    nin_draw_text_up(img, l->pad, l->y0 + (l->side + w) / 2, "true", l->scale, NIN_BLACK);
    w = nin_text_width("predicted", l->scale);
    nin_draw_text(img, l->x0 + (l->side - w) / 2, l->y0 + l->side + 2 * l->gap + l->under, "predicted", l->scale,
                  NIN_BLACK);
}

/* The colours' key beside the matrix: all of a row at the top, none at the bottom. */
static void draw_colour_bar(nin_image *img, const layout *l)
{
    int x = l->bar_x + l->bar_w + l->gap;
    for (int y = 0; y < l->side; y++)
        nin_fill_rect(img, l->bar_x, l->y0 + y, l->bar_w, 1,
                      nin_mix(NIN_WHITE, DARK_BLUE, 1.0f - (float)y / (float)(l->side > 1 ? l->side - 1 : 1)));
    nin_draw_rect(img, l->bar_x - 1, l->y0 - 1, l->bar_w + 2, l->side + 2, 1, NIN_GRAY);
    nin_draw_text(img, x, l->y0, "100%", l->scale, NIN_BLACK);
    nin_draw_text(img, x, l->y0 + l->side - l->text_h, "0%", l->scale, NIN_BLACK);
}

void cli_draw_confusion(const char *path, const int64_t *matrix, int classes, const char *const *names)
{
    char title[128], err[1400];
    int64_t correct = correct_total(matrix, classes), all = image_total(matrix, classes);
    snprintf(title, sizeof title, "accuracy %.2f%% (%" PRId64 " of %" PRId64 "), colour: %% of the row",
             all ? 100.0 * correct / all : 0.0, correct, all);
    layout l = layout_of(matrix, classes, names, title);
    nin_image img;
    cli_check(nin_canvas_create(&img, l.width, l.height, NIN_WHITE));
    draw_cells(&img, &l, matrix);
    draw_labels(&img, &l, names);
    draw_titles(&img, &l, title);
    draw_colour_bar(&img, &l);
    if (nin_image_save_png(path, &img, err, sizeof err) != 0)
        cli_fatal("--confusion %s", err);
    nin_image_free(&img);
}
