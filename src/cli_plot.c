/* cli_plot.c - `nin-cl plot`: line charts of the per-epoch metrics a training run writes (DIR/metrics.csv),
 * one run's loss and accuracy, or one metric of several runs (the ablations' test-error curves). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nin/nin.h>
#include "cli.h"
#include "draw.h"

#define PANEL_W 420
#define PANEL_H 300
#define MARGIN_LEFT 56
#define MARGIN_RIGHT 12
#define MARGIN_TOP 22
#define MARGIN_BOTTOM 34
#define MAX_COLUMNS 32
#define MAX_SERIES 16

typedef struct plot_args {
    const char *output, *metric, *labels, *title;
    cli_list files;
} plot_args;

static const cli_option plot_options[] = {
    { .name = "RUN_DIR/metrics.csv", .kind = CLI_REST, .offset = offsetof(plot_args, files),
      .flags = CLI_ARGUMENT | CLI_REQUIRED, .help = "the metrics of training runs (at most 16)" },
    { .name = "output", .short_name = 'o', .kind = CLI_STRING, .offset = offsetof(plot_args, output),
      .metavar = "FILE.png", .flags = CLI_REQUIRED, .help = "the PNG to draw" },
    { .name = "metric", .kind = CLI_STRING, .offset = offsetof(plot_args, metric), .metavar = "A[,B...]",
      .help = "one chart of these columns (e.g. test_acc, train_loss; NAME_error is 100 * (1 - NAME_acc) in %)",
      .shown_default = "a loss chart and an accuracy chart" },
    { .name = "labels", .kind = CLI_STRING, .offset = offsetof(plot_args, labels), .metavar = "A,B,...",
      .help = "a name for each file in the legend", .shown_default = "its directory" },
    { .name = "title", .kind = CLI_STRING, .offset = offsetof(plot_args, title), .metavar = "TEXT",
      .help = "a line above the charts" },
    CLI_END,
};

/* One metrics.csv: its column names and rows of numbers. */
typedef struct table {
    int columns, rows;
    char names[MAX_COLUMNS][32];
    double *values;   /* rows x columns */
} table;

static void load_table(const char *path, table *t)
{
    FILE *f = fopen(path, "r");
    if (!f)
        cli_fatal("%s: %s", path, strerror(errno));
    char line[4096];
    if (!fgets(line, sizeof line, f))
        cli_fatal("%s: empty file, expected a metrics.csv header line", path);
    t->columns = 0;
    for (char *tok = strtok(line, ",\r\n"); tok; tok = strtok(NULL, ",\r\n")) {
        if (t->columns == MAX_COLUMNS)
            cli_fatal("%s: more than %d columns", path, MAX_COLUMNS);
        snprintf(t->names[t->columns++], sizeof t->names[0], "%s", tok);
    }
    int capacity = 64;
    t->rows = 0;
    t->values = cli_malloc((size_t)capacity * t->columns * sizeof *t->values);
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '\n' || line[0] == '\0')
            continue;
        if (t->rows == capacity) {
            capacity *= 2;
            t->values = realloc(t->values, (size_t)capacity * t->columns * sizeof *t->values);
            if (!t->values)
                cli_fatal("out of memory reading %s", path);
        }
        char *p = line;
        for (int c = 0; c < t->columns; c++) {
            char *end;
            t->values[(size_t)t->rows * t->columns + c] = strtod(p, &end);
            if (end == p || (*end != ',' && c + 1 < t->columns))
                cli_fatal("%s: line %d, column %d (%s) is not a number", path, t->rows + 2, c + 1, t->names[c]);
            p = end + 1;
        }
        t->rows++;
    }
    fclose(f);
    if (t->rows == 0)
        cli_fatal("%s: no rows after the header: the run has not finished an epoch", path);
}

static int column_of(const table *t, const char *name)
{
    for (int c = 0; c < t->columns; c++)
        if (strcmp(t->names[c], name) == 0)
            return c;
    return -1;
}

/* Values of `metric` in t: a column, or NAME_error derived from NAME_acc. Returns 0, or -1 when absent. */
static int metric_values(const table *t, const char *metric, double *out)
{
    int c = column_of(t, metric), error = 0;
    size_t n = strlen(metric);
    if (c < 0 && n > 6 && strcmp(metric + n - 6, "_error") == 0) {
        char acc[40];
        snprintf(acc, sizeof acc, "%.*s_acc", (int)(n - 6), metric);
        c = column_of(t, acc);
        error = 1;
    }
    if (c < 0)
        return -1;
    for (int r = 0; r < t->rows; r++) {
        double v = t->values[(size_t)r * t->columns + c];
        out[r] = error ? 100.0 * (1.0 - v) : v;
    }
    return 0;
}

typedef struct series {
    char label[48];
    int count;
    double *x, *y;
} series;

/* A tick step of 1, 2 or 5 times a power of ten that gives about `ticks` intervals over range. */
static double nice_step(double range, int ticks)
{
    double raw = range / ticks, power = pow(10.0, floor(log10(raw))), f = raw / power;
    return (f < 1.5 ? 1.0 : f < 3.5 ? 2.0 : f < 7.5 ? 5.0 : 10.0) * power;
}

static void format_tick(char *buf, size_t size, double v, double step)
{
    int decimals = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, size, "%.*f", decimals, fabs(v) < step * 1e-6 ? 0.0 : v);
}

static const nin_rgb palette[] = { { 31, 119, 180 }, { 255, 127, 14 }, { 44, 160, 44 }, { 214, 39, 40 },
                                   { 148, 103, 189 }, { 140, 86, 75 }, { 227, 119, 194 }, { 127, 127, 127 } };

/* One chart at (x0, y0): axes with ticks and grid, a line per series, a legend. */
static void draw_chart(nin_image *img, int x0, int y0, const char *title, const series *s, int count)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int i = 0; i < count; i++)
        for (int j = 0; j < s[i].count; j++) {
            xlo = fmin(xlo, s[i].x[j]), xhi = fmax(xhi, s[i].x[j]);
            ylo = fmin(ylo, s[i].y[j]), yhi = fmax(yhi, s[i].y[j]);
        }
    if (xhi <= xlo)
        xlo -= 1.0, xhi += 1.0;
    if (yhi <= ylo)
        ylo -= fabs(ylo) * 0.1 + 0.5, yhi += fabs(yhi) * 0.1 + 0.5;
    double ystep = nice_step(yhi - ylo, 5), xstep = fmax(1.0, nice_step(xhi - xlo, 6));
    ylo = floor(ylo / ystep) * ystep;
    yhi = ceil(yhi / ystep) * ystep;
    int left = x0 + MARGIN_LEFT, top = y0 + MARGIN_TOP, w = PANEL_W - MARGIN_LEFT - MARGIN_RIGHT;
    int h = PANEL_H - MARGIN_TOP - MARGIN_BOTTOM;
    /* points stay 6 pixels inside the frame, clear of it */
#define PX(v) (left + 6 + (int)lround(((v) - xlo) / (xhi - xlo) * (w - 13)))
#define PY(v) (top + h - 1 - (int)lround(((v) - ylo) / (yhi - ylo) * (h - 1)))
    /* the legend goes in the right-hand corner the curves end farther from */
    double last_mean = 0.0;
    for (int i = 0; i < count; i++)
        last_mean += s[i].y[s[i].count - 1] / count;
    int legend_top = last_mean > (ylo + yhi) / 2 ? top + h - 6 - 11 * count : top + 6;
    char buf[48];
    nin_draw_text(img, left + (w - nin_text_width(title, 1)) / 2, y0 + 8, title, 1, NIN_BLACK);
    for (double v = ylo; v <= yhi + ystep * 0.5; v += ystep) {
        nin_fill_rect(img, left, PY(v), w, 1, NIN_LIGHT_GRAY);
        format_tick(buf, sizeof buf, v, ystep);
        nin_draw_text(img, left - 6 - nin_text_width(buf, 1), PY(v) - 3, buf, 1, NIN_BLACK);
    }
    for (double v = ceil(xlo / xstep) * xstep; v <= xhi + xstep * 0.01; v += xstep) {
        nin_fill_rect(img, PX(v), top, 1, h, NIN_LIGHT_GRAY);
        format_tick(buf, sizeof buf, v, xstep);
        nin_draw_text(img, PX(v) - nin_text_width(buf, 1) / 2, top + h + 6, buf, 1, NIN_BLACK);
    }
    nin_draw_text(img, left + (w - nin_text_width("epoch", 1)) / 2, top + h + 18, "epoch", 1, NIN_BLACK);
    nin_draw_rect(img, left, top, w, h, 1, NIN_GRAY);
    for (int i = 0; i < count; i++) {
        nin_rgb colour = palette[i % (int)(sizeof palette / sizeof palette[0])];
        for (int j = 0; j < s[i].count; j++) {
            nin_fill_rect(img, PX(s[i].x[j]) - 2, PY(s[i].y[j]) - 2, 5, 5, colour);
            if (j)
                nin_draw_line(img, PX(s[i].x[j - 1]), PY(s[i].y[j - 1]), PX(s[i].x[j]), PY(s[i].y[j]), 2, colour);
        }
        /* the legend, top right inside the chart */
        int lw = nin_text_width(s[i].label, 1), ly = legend_top + 11 * i;
        nin_fill_rect(img, left + w - lw - 26, ly - 2, lw + 22, 11, NIN_WHITE);
        nin_fill_rect(img, left + w - lw - 22, ly + 2, 10, 3, colour);
        nin_draw_text(img, left + w - lw - 6, ly, s[i].label, 1, NIN_BLACK);
    }
#undef PX
#undef PY
}

/* Split a comma-separated list into at most max items (in place). */
static int split_list(char *text, char **items, int max, const char *option)
{
    int n = 0;
    for (char *tok = strtok(text, ","); tok; tok = strtok(NULL, ",")) {
        if (n == max)
            cli_usage_error("%s takes at most %d items", option, max);
        items[n++] = tok;
    }
    return n;
}

/* The chart of `metrics` over every file: one series per (file, metric). */
static int collect_series(const table *tables, int files, char *const *labels, char *const *metrics, int metric_count,
                          series *out)
{
    int n = 0;
    for (int m = 0; m < metric_count; m++)
        for (int f = 0; f < files; f++) {
            if (n == MAX_SERIES)
                cli_usage_error("too many curves in one chart (at most %d)", MAX_SERIES);
            series *s = &out[n];
            s->count = tables[f].rows;
            s->x = cli_malloc(s->count * sizeof *s->x);
            s->y = cli_malloc(s->count * sizeof *s->y);
            if (metric_values(&tables[f], "epoch", s->x) != 0 || metric_values(&tables[f], metrics[m], s->y) != 0)
                cli_fatal("%s has no '%s' column (columns: epoch, lr, train_loss, train_acc, val_loss, val_acc, "
                          "test_loss, test_acc, or NAME_error)", labels[f], metrics[m]);
            if (files == 1)
                snprintf(s->label, sizeof s->label, "%s", metrics[m]);
            else if (metric_count == 1)
                snprintf(s->label, sizeof s->label, "%s", labels[f]);
            else
                snprintf(s->label, sizeof s->label, "%s %s", labels[f], metrics[m]);
            n++;
        }
    return n;
}

/* The run directory's name of DIR/metrics.csv: what a reader knows the run by. */
static void run_name(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/'), *start = slash ? slash : path;
    while (slash && start > path && start[-1] != '/')
        start--;
    snprintf(buf, size, "%.*s", slash ? (int)(slash - start) : (int)strlen(path), start);
}

/* A copy of an option's text that split_list may cut up. */
static char *copy_text(const char *text)
{
    char *copy = cli_malloc(strlen(text) + 1);
    strcpy(copy, text);
    return copy;
}

/* The charts, side by side: the --metric chart, or a loss chart and an accuracy chart. */
static void draw_charts(nin_image *canvas, const plot_args *a, const table *tables, int files, char *const *labels)
{
    char loss[] = "train_loss,val_loss,test_loss", acc[] = "train_acc,val_acc,test_acc";
    char *metric = a->metric ? copy_text(a->metric) : NULL;
    char *chart_metrics[2] = { metric ? metric : loss, metric ? NULL : acc };
    const char *chart_titles[2] = { metric ? a->metric : "loss", "accuracy" };
    int charts = metric ? 1 : 2, title_h = a->title ? 16 : 0;
    cli_check(nin_canvas_create(canvas, charts * PANEL_W, PANEL_H + title_h, NIN_WHITE));
    if (a->title)
        nin_draw_text(canvas, (canvas->width - nin_text_width(a->title, 1)) / 2, 6, a->title, 1, NIN_BLACK);
    for (int k = 0; k < charts; k++) {
        char *metrics[MAX_SERIES];
        series s[MAX_SERIES];
        int metric_count = split_list(chart_metrics[k], metrics, MAX_SERIES, "--metric");
        int count = collect_series(tables, files, labels, metrics, metric_count, s);
        draw_chart(canvas, k * PANEL_W, title_h, chart_titles[k], s, count);
        for (int i = 0; i < count; i++) {
            free(s[i].x);
            free(s[i].y);
        }
    }
    free(metric);
}

static int cmd_plot(const nin_options *opt, int argc, char **argv)
{
    (void)opt;
    plot_args a = { 0 };
    cli_parse(&cli_plot, argc, argv, &a);
    int files = a.files.count;
    if (files > MAX_SERIES)
        cli_usage_error("plot takes at most %d files", MAX_SERIES);
    table tables[MAX_SERIES];
    char *labels[MAX_SERIES], dirs[MAX_SERIES][64];
    for (int f = 0; f < files; f++) {
        load_table(a.files.items[f], &tables[f]);
        run_name(a.files.items[f], dirs[f], sizeof dirs[f]);
        labels[f] = dirs[f];
    }
    char *label_text = a.labels ? copy_text(a.labels) : NULL;
    int label_count = label_text ? split_list(label_text, labels, MAX_SERIES, "--labels") : files;
    if (label_count != files)
        cli_usage_error("--labels names %d runs, but %d metrics.csv files were given", label_count, files);
    nin_image canvas;
    draw_charts(&canvas, &a, tables, files, labels);
    char err[1200];
    if (nin_image_save_png(a.output, &canvas, err, sizeof err) != 0)
        cli_fatal("%s", err);
    nin_image_free(&canvas);
    free(label_text);
    for (int f = 0; f < files; f++)
        free(tables[f].values);
    return 0;
}

const cli_command cli_plot = {
    .name = "plot",
    .summary = "loss and accuracy curves of training runs, from their metrics.csv, into a PNG",
    .synopsis = "[options] -o FILE.png RUN_DIR/metrics.csv...",
    .options = plot_options,
    .run = cmd_plot,
};
