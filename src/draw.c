/* draw.c - drawing on planar RGB images: rectangles, lines, a 5x7 bitmap font (also turned a quarter turn),
 * colour mixing, the jet colour map and heat-map overlays. Enough for nin-cl's figures without an external image
 * tool. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <nin/error.h>
#include "draw.h"

int nin_canvas_create(nin_image *img, int width, int height, nin_rgb fill)
{
    memset(img, 0, sizeof *img);
    if (width < 1 || height < 1)
        return nin_fail("cannot draw on a %dx%d canvas", width, height);
    if (!(img->pixels = nin_malloc((size_t)3 * width * height)))
        return -1;
    img->channels = 3;
    img->width = width;
    img->height = height;
    nin_fill_rect(img, 0, 0, width, height, fill);
    return 0;
}

void nin_draw_pixel(nin_image *img, int x, int y, nin_rgb c)
{
    if (x < 0 || y < 0 || x >= img->width || y >= img->height)
        return;
    size_t plane = (size_t)img->width * img->height, at = (size_t)y * img->width + x;
    img->pixels[at] = c.r;
    img->pixels[plane + at] = c.g;
    img->pixels[2 * plane + at] = c.b;
}

void nin_fill_rect(nin_image *img, int x, int y, int w, int h, nin_rgb c)
{
    for (int j = y; j < y + h; j++)
        for (int i = x; i < x + w; i++)
            nin_draw_pixel(img, i, j, c);
}

void nin_draw_rect(nin_image *img, int x, int y, int w, int h, int thickness, nin_rgb c)
{
    nin_fill_rect(img, x, y, w, thickness, c);
    nin_fill_rect(img, x, y + h - thickness, w, thickness, c);
    nin_fill_rect(img, x, y, thickness, h, c);
    nin_fill_rect(img, x + w - thickness, y, thickness, h, c);
}

/* Bresenham's line, each point drawn as a thickness x thickness square. */
void nin_draw_line(nin_image *img, int x0, int y0, int x1, int y1, int thickness, nin_rgb c)
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, e = dx + dy;
    int half = thickness / 2;
    for (;;) {
        nin_fill_rect(img, x0 - half, y0 - half, thickness, thickness, c);
        if (x0 == x1 && y0 == y1)
            return;
        int e2 = 2 * e;
        if (e2 >= dy) {
            e += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            e += dx;
            y0 += sy;
        }
    }
}

/* --- the font: each glyph is 7 rows of 5 pixels, '#' set --------------------------------------------- */

typedef struct glyph { char c; const char *rows[NIN_GLYPH_H]; } glyph;

static const glyph font[] = {
    { ' ', { ".....", ".....", ".....", ".....", ".....", ".....", "....." } },
    { '0', { ".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###." } },
    { '1', { "..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###." } },
    { '2', { ".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####" } },
    { '3', { "#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###." } },
    { '4', { "...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#." } },
    { '5', { "#####", "#....", "####.", "....#", "....#", "#...#", ".###." } },
    { '6', { "..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###." } },
    { '7', { "#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..." } },
    { '8', { ".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###." } },
    { '9', { ".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.." } },
    { 'A', { ".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#" } },
    { 'B', { "####.", "#...#", "#...#", "####.", "#...#", "#...#", "####." } },
    { 'C', { ".###.", "#...#", "#....", "#....", "#....", "#...#", ".###." } },
    { 'D', { "####.", "#...#", "#...#", "#...#", "#...#", "#...#", "####." } },
    { 'E', { "#####", "#....", "#....", "####.", "#....", "#....", "#####" } },
    { 'F', { "#####", "#....", "#....", "####.", "#....", "#....", "#...." } },
    { 'G', { ".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####" } },
    { 'H', { "#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#" } },
    { 'I', { ".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###." } },
    { 'J', { "..###", "...#.", "...#.", "...#.", "...#.", "#..#.", ".##.." } },
    { 'K', { "#...#", "#..#.", "#.#..", "##...", "#.#..", "#..#.", "#...#" } },
    { 'L', { "#....", "#....", "#....", "#....", "#....", "#....", "#####" } },
    { 'M', { "#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#" } },
    { 'N', { "#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#" } },
    { 'O', { ".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###." } },
    { 'P', { "####.", "#...#", "#...#", "####.", "#....", "#....", "#...." } },
    { 'Q', { ".###.", "#...#", "#...#", "#...#", "#.#.#", "#..#.", ".##.#" } },
    { 'R', { "####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#" } },
    { 'S', { ".####", "#....", "#....", ".###.", "....#", "....#", "####." } },
    { 'T', { "#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.." } },
    { 'U', { "#...#", "#...#", "#...#", "#...#", "#...#", "#...#", ".###." } },
    { 'V', { "#...#", "#...#", "#...#", "#...#", "#...#", ".#.#.", "..#.." } },
    { 'W', { "#...#", "#...#", "#...#", "#.#.#", "#.#.#", "#.#.#", ".#.#." } },
    { 'X', { "#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#" } },
    { 'Y', { "#...#", "#...#", ".#.#.", "..#..", "..#..", "..#..", "..#.." } },
    { 'Z', { "#####", "....#", "...#.", "..#..", ".#...", "#....", "#####" } },
    { '.', { ".....", ".....", ".....", ".....", ".....", ".##..", ".##.." } },
    { ',', { ".....", ".....", ".....", ".....", ".##..", "..#..", ".#..." } },
    { ':', { ".....", ".##..", ".##..", ".....", ".##..", ".##..", "....." } },
    { '-', { ".....", ".....", ".....", "#####", ".....", ".....", "....." } },
    { '+', { ".....", "..#..", "..#..", "#####", "..#..", "..#..", "....." } },
    { '=', { ".....", ".....", "#####", ".....", "#####", ".....", "....." } },
    { '/', { ".....", "....#", "...#.", "..#..", ".#...", "#....", "....." } },
    { '%', { "##...", "##..#", "...#.", "..#..", ".#...", "#..##", "...##" } },
    { '(', { "...#.", "..#..", ".#...", ".#...", ".#...", "..#..", "...#." } },
    { ')', { ".#...", "..#..", "...#.", "...#.", "...#.", "..#..", ".#..." } },
    { '[', { ".###.", ".#...", ".#...", ".#...", ".#...", ".#...", ".###." } },
    { ']', { ".###.", "...#.", "...#.", "...#.", "...#.", "...#.", ".###." } },
    { '<', { "...#.", "..#..", ".#...", "#....", ".#...", "..#..", "...#." } },
    { '>', { ".#...", "..#..", "...#.", "....#", "...#.", "..#..", ".#..." } },
    { '_', { ".....", ".....", ".....", ".....", ".....", ".....", "#####" } },
    { '#', { ".#.#.", ".#.#.", "#####", ".#.#.", "#####", ".#.#.", ".#.#." } },
    { '\'', { "..#..", "..#..", ".#...", ".....", ".....", ".....", "....." } },
    { '?', { ".###.", "#...#", "....#", "...#.", "..#..", ".....", "..#.." } },
};

static const glyph *glyph_of(char c)
{
    c = (char)toupper((unsigned char)c);
    const glyph *unknown = NULL;
    for (size_t i = 0; i < sizeof font / sizeof font[0]; i++) {
        if (font[i].c == c)
            return &font[i];
        if (font[i].c == '?')
            unknown = &font[i];
    }
    return unknown;
}

/* One column of space after each glyph. */
int nin_text_width(const char *text, int scale)
{
    int n = (int)strlen(text);
    return n ? (n * (NIN_GLYPH_W + 1) - 1) * scale : 0;
}

/* Each font pixel of the text as a scale x scale square: along the text rightwards from (x, y), or (up) upwards
 * from (x, y) with the glyphs' tops to the left. */
static void draw_glyphs(nin_image *img, int x, int y, const char *text, int scale, nin_rgb c, int up)
{
    for (int along = 0; *text; text++, along += (NIN_GLYPH_W + 1) * scale) {
        const glyph *g = glyph_of(*text);
        for (int row = 0; row < NIN_GLYPH_H; row++)
            for (int col = 0; col < NIN_GLYPH_W; col++) {
                int u = along + col * scale, v = row * scale;
                if (g->rows[row][col] != '#')
                    continue;
                if (up)
                    nin_fill_rect(img, x + v, y - u - scale, scale, scale, c);
                else
                    nin_fill_rect(img, x + u, y + v, scale, scale, c);
            }
    }
}

void nin_draw_text(nin_image *img, int x, int y, const char *text, int scale, nin_rgb c)
{
    draw_glyphs(img, x, y, text, scale, c, 0);
}

void nin_draw_text_up(nin_image *img, int x, int y, const char *text, int scale, nin_rgb c)
{
    draw_glyphs(img, x, y, text, scale, c, 1);
}

/* --- colour -------------------------------------------------------------------------------------------- */

nin_rgb nin_colormap(float t)
{
    /* piecewise linear through the jet anchors */
    static const float anchors[][3] = { { 0, 0, 143 }, { 0, 0, 255 },   { 0, 255, 255 },
                                        { 255, 255, 0 }, { 255, 0, 0 }, { 128, 0, 0 } };
    const int last = (int)(sizeof anchors / sizeof anchors[0]) - 1;
    t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
    float at = t * last;
    int i = at >= last ? last - 1 : (int)at;
    float f = at - i;
    nin_rgb c;
    c.r = (unsigned char)(anchors[i][0] + f * (anchors[i + 1][0] - anchors[i][0]) + 0.5f);
    c.g = (unsigned char)(anchors[i][1] + f * (anchors[i + 1][1] - anchors[i][1]) + 0.5f);
    c.b = (unsigned char)(anchors[i][2] + f * (anchors[i + 1][2] - anchors[i][2]) + 0.5f);
    return c;
}

nin_rgb nin_mix(nin_rgb a, nin_rgb b, float t)
{
    return (nin_rgb){ (unsigned char)((1.0f - t) * a.r + t * b.r + 0.5f),
                      (unsigned char)((1.0f - t) * a.g + t * b.g + 0.5f),
                      (unsigned char)((1.0f - t) * a.b + t * b.b + 0.5f) };
}

/* Pixel (i, j) of a gray or RGB image. */
static nin_rgb pixel_of(const nin_image *src, int i, int j)
{
    size_t plane = (size_t)src->width * src->height, at = (size_t)j * src->width + i;
    if (src->channels == 1)
        return (nin_rgb){ src->pixels[at], src->pixels[at], src->pixels[at] };
    return (nin_rgb){ src->pixels[at], src->pixels[plane + at], src->pixels[2 * plane + at] };
}

void nin_draw_image(nin_image *dst, int x, int y, const nin_image *src)
{
    for (int j = 0; j < src->height; j++)
        for (int i = 0; i < src->width; i++)
            nin_draw_pixel(dst, x + i, y + j, pixel_of(src, i, j));
}

void nin_draw_heatmap(nin_image *dst, int x, int y, const nin_image *src, const float *heat, float lo, float hi,
                      float alpha)
{
    float range = hi > lo ? hi - lo : 1.0f;
    for (int j = 0; j < src->height; j++)
        for (int i = 0; i < src->width; i++) {
            nin_rgb under = pixel_of(src, i, j), over = nin_colormap((heat[(size_t)j * src->width + i] - lo) / range);
            nin_draw_pixel(dst, x + i, y + j, nin_mix(under, over, alpha));
        }
}
