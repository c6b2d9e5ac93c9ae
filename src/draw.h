/* draw.h - drawing on RGB images for the figures nin-cl writes (confidence maps, training curves, confusion
 * matrices): filled and outlined rectangles, lines, a 5x7 bitmap font (also read bottom to top), colour mixing,
 * a colour map and heat-map overlays (internal). */
#ifndef NIN_DRAW_H
#define NIN_DRAW_H

#include <nin/image.h>

typedef struct nin_rgb { unsigned char r, g, b; } nin_rgb;

#define NIN_WHITE ((nin_rgb){ 255, 255, 255 })
#define NIN_BLACK ((nin_rgb){ 0, 0, 0 })
#define NIN_GRAY ((nin_rgb){ 128, 128, 128 })
#define NIN_LIGHT_GRAY ((nin_rgb){ 225, 225, 225 })

/* A width x height RGB image filled with one colour (free it with nin_image_free). Returns 0, or -1 with one
 * line in nin_last_error() (a size below 1, out of host memory), img then empty. */
int nin_canvas_create(nin_image *img, int width, int height, nin_rgb fill);
/* Every drawing call clips to the image. */
void nin_draw_pixel(nin_image *img, int x, int y, nin_rgb c);
void nin_fill_rect(nin_image *img, int x, int y, int w, int h, nin_rgb c);
/* An outline `thickness` pixels wide, drawn inside the rectangle. */
void nin_draw_rect(nin_image *img, int x, int y, int w, int h, int thickness, nin_rgb c);
/* A line from (x0, y0) to (x1, y1), `thickness` pixels wide. */
void nin_draw_line(nin_image *img, int x0, int y0, int x1, int y1, int thickness, nin_rgb c);

/* Text in the 5x7 font, each font pixel drawn as scale x scale; lowercase is drawn as uppercase and
 * characters outside the font as '?'. (x, y) is the top left corner. */
#define NIN_GLYPH_W 5
#define NIN_GLYPH_H 7
int nin_text_width(const char *text, int scale);
void nin_draw_text(nin_image *img, int x, int y, const char *text, int scale, nin_rgb c);
/* The same text turned a quarter turn anticlockwise, read from bottom to top: (x, y) is its bottom left corner
 * (the first pixel row above y), and it is NIN_GLYPH_H * scale wide and nin_text_width(text, scale) high. */
void nin_draw_text_up(nin_image *img, int x, int y, const char *text, int scale, nin_rgb c);

/* The "jet" colour map: 0 dark blue, 0.25 blue-cyan, 0.5 green-yellow, 0.75 orange, 1 dark red. */
nin_rgb nin_colormap(float t);
/* (1 - t) * a + t * b, channel by channel. */
nin_rgb nin_mix(nin_rgb a, nin_rgb b, float t);
/* Copy src (gray or RGB) with its top left corner at (x, y). */
void nin_draw_image(nin_image *dst, int x, int y, const nin_image *src);
/* Blend the colour-mapped heat (src's height x width values, mapped from [lo, hi] to [0, 1]) over src
 * with weight alpha, at (x, y). */
void nin_draw_heatmap(nin_image *dst, int x, int y, const nin_image *src, const float *heat, float lo, float hi,
                      float alpha);

#endif
