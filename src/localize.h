/* localize.h - the paper's category confidence maps (the maps a final global average pooling averages) and
 * weakly supervised localization from them: upsample, threshold, the largest connected region's box (internal). */
#ifndef NIN_LOCALIZE_H
#define NIN_LOCALIZE_H

#include <nin/net.h>

typedef struct nin_box { int x0, y0, x1, y1; } nin_box;   /* the pixels [x0, x1) x [y0, y1) */

/* The layer whose output maps the final "gap" averages into class scores, or -1 when the network does not
 * end in global average pooling. */
int nin_confidence_layer(const nin_net *net);
/* Where the output maps of layer `layer` of def lie on the input: cell i is centred on input pixel
 * stride * i + offset, the centre of its receptive field (convolutions and pools; other layers keep it). */
void nin_map_geometry(const nin_netdef *def, int layer, float *stride, float *offset);
/* Bilinear upsampling of an mh x mw map to h x w where cell i is centred on pixel stride * i + offset (in
 * both directions); beyond the outermost centres the edge values hold. stride = w / mw and
 * offset = (stride - 1) / 2 is PyTorch's align_corners=False. */
void nin_upsample_bilinear(const float *map, int mh, int mw, float *out, int h, int w, float stride, float offset);
/* Threshold an h x w map at min + fraction * (max - min) and return the bounding box of the largest
 * 8-connected region above it (ties: the first found in row-major order). That box is never empty; the empty
 * box { 0, 0, 0, 0 } means failure (a size below 1, out of host memory), with one line in nin_last_error(). */
nin_box nin_localize(const float *heat, int h, int w, float fraction);
/* Intersection over union of two boxes (0 when both are empty). */
double nin_box_iou(nin_box a, nin_box b);
/* Scale a box from an h x w grid to an H x W one (outward, so that the box still covers what it covered). */
nin_box nin_box_scale(nin_box b, int h, int w, int to_h, int to_w);

#endif
