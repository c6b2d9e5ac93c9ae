/* localize.c - category confidence maps and localization from them (Lin et al. section 3.2 suggests the maps
 * of a GAP network are confidence maps of the categories; here they are turned into boxes). */
#include <math.h>
#include <stdlib.h>
#include <nin/error.h>
#include "localize.h"

int nin_confidence_layer(const nin_net *net)
{
    int last = nin_net_layer_count(net) - 1;
    if (last < 1 || nin_net_layer_kind(net, last) != NIN_GAP)
        return -1;
    return last - 1;
}

void nin_map_geometry(const nin_netdef *def, int layer, float *stride, float *offset)
{
    /* compose, layer by layer, "output cell i is centred on input position s * i + o" */
    float a = 1.0f, b = 0.0f;
    for (int i = 0; i <= layer && i < def->count; i++) {
        const nin_layer_def *l = &def->layers[i];
        if (l->kind != NIN_CONV && l->kind != NIN_MAXPOOL && l->kind != NIN_AVGPOOL)
            continue;
        float o = (float)(l->size - 1) / 2.0f - (float)(l->kind == NIN_CONV ? l->pad : 0);
        b += a * o;
        a *= (float)l->stride;
    }
    *stride = a;
    *offset = b;
}

void nin_upsample_bilinear(const float *map, int mh, int mw, float *out, int h, int w, float stride, float offset)
{
    for (int y = 0; y < h; y++) {
        float sy = fminf(fmaxf(((float)y - offset) / stride, 0.0f), (float)(mh - 1));
        int y0 = (int)sy, y1 = y0 + 1 < mh ? y0 + 1 : y0;
        float fy = sy - (float)y0;
        for (int x = 0; x < w; x++) {
            float sx = fminf(fmaxf(((float)x - offset) / stride, 0.0f), (float)(mw - 1));
            int x0 = (int)sx, x1 = x0 + 1 < mw ? x0 + 1 : x0;
            float fx = sx - (float)x0;
            float top = map[y0 * mw + x0] + fx * (map[y0 * mw + x1] - map[y0 * mw + x0]);
            float bottom = map[y1 * mw + x0] + fx * (map[y1 * mw + x1] - map[y1 * mw + x0]);
            out[(size_t)y * w + x] = top + fy * (bottom - top);
        }
    }
}

nin_box nin_localize(const float *heat, int h, int w, float fraction)
{
    if (h < 1 || w < 1) {
        nin_fail("cannot localize in a %dx%d map", h, w);
        return (nin_box){ 0, 0, 0, 0 };
    }
    size_t n = (size_t)h * w;
    float lo = heat[0], hi = heat[0];
    for (size_t i = 1; i < n; i++) {
        lo = heat[i] < lo ? heat[i] : lo;
        hi = heat[i] > hi ? heat[i] : hi;
    }
    float threshold = lo + fraction * (hi - lo);
    /* flood-fill every region above the threshold with an explicit stack; keep the largest */
    unsigned char *seen = nin_calloc(n, 1);
    int *stack = nin_malloc(n * sizeof *stack);
    nin_box best = { 0, 0, 0, 0 };
    size_t best_area = 0;
    if (!seen || !stack) {   /* the empty box, with the last error set */
        free(seen);
        free(stack);
        return best;
    }
    for (size_t start = 0; start < n; start++) {
        if (seen[start] || heat[start] < threshold)
            continue;
        nin_box b = { w, h, 0, 0 };
        size_t area = 0, top = 0;
        stack[top++] = (int)start;
        seen[start] = 1;
        while (top) {
            int p = stack[--top], x = p % w, y = p / w;
            area++;
            b.x0 = x < b.x0 ? x : b.x0;
            b.y0 = y < b.y0 ? y : b.y0;
            b.x1 = x + 1 > b.x1 ? x + 1 : b.x1;
            b.y1 = y + 1 > b.y1 ? y + 1 : b.y1;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h)
                        continue;
                    size_t q = (size_t)ny * w + nx;
                    if (!seen[q] && heat[q] >= threshold) {
                        seen[q] = 1;
                        stack[top++] = (int)q;
                    }
                }
        }
        if (area > best_area) {
            best_area = area;
            best = b;
        }
    }
    free(seen);
    free(stack);
    return best;
}

static int box_area(nin_box b) { return b.x1 > b.x0 && b.y1 > b.y0 ? (b.x1 - b.x0) * (b.y1 - b.y0) : 0; }

double nin_box_iou(nin_box a, nin_box b)
{
    nin_box both = { a.x0 > b.x0 ? a.x0 : b.x0, a.y0 > b.y0 ? a.y0 : b.y0, a.x1 < b.x1 ? a.x1 : b.x1,
                     a.y1 < b.y1 ? a.y1 : b.y1 };
    int inter = box_area(both), uni = box_area(a) + box_area(b) - inter;
    return uni > 0 ? (double)inter / uni : 0.0;
}

nin_box nin_box_scale(nin_box b, int h, int w, int to_h, int to_w)
{
    return (nin_box){ (int)floor((double)b.x0 * to_w / w), (int)floor((double)b.y0 * to_h / h),
                      (int)ceil((double)b.x1 * to_w / w), (int)ceil((double)b.y1 * to_h / h) };
}
