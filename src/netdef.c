/* netdef.c - networks as data: the compact netdef string and the presets of the paper.
 *
 * Tokens, separated by '-':
 *   192c5p2s1   convolution: 192 maps, 5x5 kernel, pad 2, stride 1 (p, s optional), + bias + ReLU
 *   10c1l       the same with no ReLU ("l": linear)
 *   192c5p2b    convolution, then batch normalisation, then the ReLU ("b": two layers, the convolution linear and
 *               a batch-norm layer "bn" with the ReLU; "192c5p2bl": no ReLU after the batch norm)
 *   256fc       fully connected, + bias + ReLU ("256fcl": no ReLU, "256fcb": batch norm, then the ReLU)
 *   bn          batch normalisation + ReLU after any layer ("bnl": no ReLU); "c"/"fc" + "bn" is written "b"
 *   mp3s2       3x3 max-pool, stride 2 (stride defaults to the size); ap3s2: average pool
 *   d0.5        dropout, drop rate 0.5
 *   gap         global average pooling
 * An mlpconv block is a k x k convolution followed by 1x1 convolutions: "192c5p2-160c1-96c1".
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <nin/error.h>
#include <nin/netdef.h>

/* The paper's networks. One deliberate difference: the last 1x1 convolution, whose maps are averaged into the
 * class scores, has no ReLU ("10c1l"). With a ReLU there, a class map that goes all-zero never recovers, and
 * a run sits at loss ln(C) (the failure NIN ports report most). For the paper's exact form, pass the netdef
 * with "10c1" instead via --net. */
static const struct { const char *name, *netdef; } presets[] = {
    /* CIFAR-10 (Lin et al. and the Caffe model zoo): three mlpconv blocks, max-pool + dropout after the first
     * two, global average pooling over the last block's 10 class maps */
    { "cifar10", "192c5p2-160c1-96c1-mp3s2-d0.5-192c5p2-192c1-192c1-mp3s2-d0.5-192c3p1-192c1-10c1l-gap" },
    { "cifar100", "192c5p2-160c1-96c1-mp3s2-d0.5-192c5p2-192c1-192c1-mp3s2-d0.5-192c3p1-192c1-100c1l-gap" },
    { "svhn", "192c5p2-160c1-96c1-mp3s2-d0.5-192c5p2-192c1-192c1-mp3s2-d0.5-192c3p1-192c1-10c1l-gap" },
    /* the same structure with fewer maps, and lighter dropout to match, for 28x28 gray images */
    { "mnist", "96c5p2-64c1-48c1-mp3s2-d0.25-128c5p2-96c1-96c1-mp3s2-d0.25-128c3p1-96c1-10c1l-gap" },
    { "fashion-mnist", "96c5p2-64c1-48c1-mp3s2-d0.25-128c5p2-96c1-96c1-mp3s2-d0.25-128c3p1-96c1-10c1l-gap" },
    /* the user's own pictures (32x32 by default): the CIFAR-10 network, whose class layer nin-cl train gives
     * one output per class folder */
    { "images", "192c5p2-160c1-96c1-mp3s2-d0.5-192c5p2-192c1-192c1-mp3s2-d0.5-192c3p1-192c1-10c1l-gap" },
    /* 48x48 canvases: lighter blocks (3x3 in the second) so that an image costs about what a 28x28 one does */
    { "mnist-clutter", "64c5p2-48c1-48c1-mp3s2-d0.25-96c3p1-64c1-64c1-mp3s2-d0.25-96c3p1-64c1-10c1l-gap" },
    /* beyond the paper: batch normalisation between every convolution and its ReLU (the class layer stays
     * linear), which trains the same networks to higher accuracy in far fewer epochs */
    { "cifar10-bn", "192c5p2b-160c1b-96c1b-mp3s2-d0.5-192c5p2b-192c1b-192c1b-mp3s2-d0.5-192c3p1b-192c1b-10c1l-gap" },
    { "mnist-bn", "96c5p2b-64c1b-48c1b-mp3s2-d0.25-128c5p2b-96c1b-96c1b-mp3s2-d0.25-128c3p1b-96c1b-10c1l-gap" },
};

const char *nin_preset_netdef(const char *name)
{
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
        if (strcmp(presets[i].name, name) == 0)
            return presets[i].netdef;
    return NULL;
}

/* Read a positive decimal integer at *s; 0 when there is none. */
static int read_int(const char **s)
{
    if (!isdigit((unsigned char)**s))
        return 0;
    char *end;
    long v = strtol(*s, &end, 10);
    *s = end;
    return v > 0 && v < 1000000 ? (int)v : 0;
}

/* The batch-norm layer a "b" suffix or a "bn" token stands for; `relu` when no "l" follows. */
static nin_layer_def batchnorm_def(int relu) { return (nin_layer_def){ .kind = NIN_BATCHNORM, .stride = 1, .relu = relu }; }

/* Parse one token into l[0] (and l[1] for a "b" suffix). Returns the number of layers, or -1. */
static int parse_token(const char *tok, nin_layer_def *l)
{
    const char *s = tok;
    memset(l, 0, sizeof *l);
    l->stride = 1;
    if (strcmp(tok, "gap") == 0) {
        l->kind = NIN_GAP;
        return 1;
    }
    if (strcmp(tok, "bn") == 0 || strcmp(tok, "bnl") == 0) {
        *l = batchnorm_def(tok[2] == '\0');
        return 1;
    }
    if (tok[0] == 'd') {
        char *end;
        l->kind = NIN_DROPOUT;
        l->rate = strtof(tok + 1, &end);
        return (end != tok + 1 && *end == '\0' && l->rate >= 0.0f && l->rate < 1.0f) ? 1 : -1;
    }
    if ((tok[0] == 'm' || tok[0] == 'a') && tok[1] == 'p') {
        l->kind = tok[0] == 'm' ? NIN_MAXPOOL : NIN_AVGPOOL;
        s += 2;
        if (!(l->size = read_int(&s)))
            return -1;
        l->stride = l->size;
        if (*s == 's' && (s++, !(l->stride = read_int(&s))))
            return -1;
        return *s ? -1 : 1;
    }
    if (!(l->outputs = read_int(&s)))
        return -1;
    l->relu = 1;
    if (strncmp(s, "fc", 2) == 0) {
        l->kind = NIN_FC;
        s += 2;
    } else if (*s == 'c') {
        l->kind = NIN_CONV;
        s++;
        if (!(l->size = read_int(&s)))
            return -1;
        while (*s == 'p' || *s == 's') {
            char key = *s++;
            int v = key == 'p' && *s == '0' ? (s++, 0) : read_int(&s);
            if (key == 's' && v == 0)
                return -1;
            *(key == 'p' ? &l->pad : &l->stride) = v;
        }
    } else {
        return -1;
    }
    int bn = *s == 'b';
    s += bn;
    if (*s == 'l') {
        l->relu = 0;
        s++;
    }
    if (bn) {   /* the ReLU moves behind the batch norm */
        l[1] = batchnorm_def(l->relu);
        l->relu = 0;
    }
    return *s ? -1 : 1 + bn;
}

int nin_netdef_parse(const char *text, nin_netdef *def, char *err, size_t err_size)
{
    const char *preset = nin_preset_netdef(text);
    if (preset)
        text = preset;
    memset(def, 0, sizeof *def);
    if (!*text)
        return nin_set_error(err, err_size, "empty network definition");
    char *copy = strdup(text), *rest = copy;
    if (!copy)
        return nin_set_error(err, err_size, "out of memory");
    int status = 0;
    for (char *tok = strsep(&rest, "-"); tok; tok = strsep(&rest, "-")) {   /* "a--b" has an empty token */
        nin_layer_def layers[2];
        int n = parse_token(tok, layers);
        if (n < 0) {
            status = nin_set_error(err, err_size,
                          "bad layer '%s' in network definition (layer %d): expected e.g. 192c5p2, 10c1l, "
                          "192c5p2b, 256fc, mp3s2, ap3s2, d0.5, bn or gap",
                          tok, def->count + 1);
            break;
        }
        if (def->count + n > NIN_MAX_LAYERS) {
            status = nin_set_error(err, err_size, "network definition has more than %d layers", NIN_MAX_LAYERS);
            break;
        }
        memcpy(def->layers + def->count, layers, n * sizeof layers[0]);
        def->count += n;
    }
    free(copy);
    return status;
}

/* "d" and the rate in fixed notation (an exponent's '-' would split the token), with the fewest decimals
 * that read back as the same float: every float in [0, 1) fits in 50. */
static void format_rate(float rate, char *tok, size_t size)
{
    for (int decimals = 1; decimals <= 50; decimals++) {
        snprintf(tok, size, "d%.*f", decimals, rate);
        if (strtof(tok + 1, NULL) == rate)
            break;
    }
    size_t n = strlen(tok);
    while (n > 2 && tok[n - 1] == '0')   /* "d0.50" -> "d0.5", "d0.0" -> "d0." */
        tok[--n] = '\0';
    if (tok[n - 1] == '.')
        tok[--n] = '\0';
}

/* A linear convolution or fully connected layer followed by batch norm: written as one token with "b". */
static int takes_bn_suffix(const nin_netdef *def, int i)
{
    const nin_layer_def *l = &def->layers[i];
    return (l->kind == NIN_CONV || l->kind == NIN_FC) && !l->relu && i + 1 < def->count &&
           def->layers[i + 1].kind == NIN_BATCHNORM;
}

void nin_netdef_format(const nin_netdef *def, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < def->count && used < size; i++) {
        const nin_layer_def *l = &def->layers[i];
        char tok[64];
        int bn = takes_bn_suffix(def, i), relu = bn ? def->layers[i + 1].relu : l->relu;
        switch (l->kind) {
        case NIN_CONV:
            snprintf(tok, sizeof tok, "%dc%d", l->outputs, l->size);
            if (l->pad)
                snprintf(tok + strlen(tok), sizeof tok - strlen(tok), "p%d", l->pad);
            if (l->stride != 1)
                snprintf(tok + strlen(tok), sizeof tok - strlen(tok), "s%d", l->stride);
            snprintf(tok + strlen(tok), sizeof tok - strlen(tok), "%s%s", bn ? "b" : "", relu ? "" : "l");
            break;
        case NIN_FC: snprintf(tok, sizeof tok, "%dfc%s%s", l->outputs, bn ? "b" : "", relu ? "" : "l"); break;
        case NIN_MAXPOOL: snprintf(tok, sizeof tok, "mp%ds%d", l->size, l->stride); break;
        case NIN_AVGPOOL: snprintf(tok, sizeof tok, "ap%ds%d", l->size, l->stride); break;
        case NIN_DROPOUT: format_rate(l->rate, tok, sizeof tok); break;
        case NIN_GAP: snprintf(tok, sizeof tok, "gap"); break;
        case NIN_BATCHNORM: snprintf(tok, sizeof tok, "bn%s", l->relu ? "" : "l"); break;
        }
        used += snprintf(buf + used, size - used, "%s%s", i ? "-" : "", tok);
        i += bn;   /* the batch norm was written as the "b" */
    }
}

void nin_netdef_remove_dropout(nin_netdef *def)
{
    int kept = 0;
    for (int i = 0; i < def->count; i++)
        if (def->layers[i].kind != NIN_DROPOUT)
            def->layers[kept++] = def->layers[i];
    def->count = kept;
}

int nin_netdef_set_classes(nin_netdef *def, int classes)
{
    int i = nin_netdef_class_layer(def);
    if (i < 0)
        return -1;
    int old = def->layers[i].outputs;
    def->layers[i].outputs = classes;
    return old;
}

int nin_netdef_class_layer(const nin_netdef *def)
{
    int gap = 0;
    for (int i = def->count - 1; i >= 0; i--) {
        const nin_layer_def *l = &def->layers[i];
        if (l->kind == NIN_GAP)
            gap = 1;
        else if (l->kind == NIN_FC || (l->kind == NIN_CONV && gap))
            return i;
        else if (l->kind != NIN_DROPOUT && l->kind != NIN_BATCHNORM)
            return -1;
    }
    return -1;
}

int nin_netdef_fc_head(nin_netdef *def, float dropout)
{
    int n = def->count;
    if (n < 2 || def->layers[n - 1].kind != NIN_GAP || def->layers[n - 2].kind != NIN_CONV ||
        def->layers[n - 2].size != 1)
        return -1;
    int classes = def->layers[n - 2].outputs;
    def->count = n - 2;
    if (dropout > 0.0f)
        def->layers[def->count++] = (nin_layer_def){ .kind = NIN_DROPOUT, .stride = 1, .rate = dropout };
    def->layers[def->count++] = (nin_layer_def){ .kind = NIN_FC, .outputs = classes, .stride = 1, .relu = 0 };
    return 0;
}
