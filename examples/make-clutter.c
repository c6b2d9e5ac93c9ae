/* make-clutter.c - the "mnist-clutter" dataset: each real MNIST digit pasted at a random place on a 48x48
 * canvas of noise and fainter stroke fragments cut from other digits, with the digit's box. A network trained on
 * its image labels alone (nin-cl train mnist-clutter) can then be asked where the digit is
 * (nin-cl maps --dataset mnist-clutter), and its boxes compared with the true ones.
 *
 *   examples/make-clutter MNIST_DIR OUT_DIR [--train N (10000)] [--test N (2000)] [--seed S (1)]
 *
 * OUT_DIR gets train-/t10k-images-idx3-ubyte and -labels-idx1-ubyte (what the MNIST loader reads) and
 * train-/t10k-boxes.txt: one "x0 y0 x1 y1" line per image, the ink of the digit (pixels >= 64) as
 * [x0, x1) x [y0, y1). Digits come from the same split of MNIST, in order; everything random is keyed by
 * the seed, so a seed gives the same files. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nin/nin.h>

#define SIDE 48          /* canvas side */
#define DIGIT 28         /* MNIST side */
#define NOISE 64         /* background noise: uniform in [0, NOISE) */
#define FRAGMENTS 4      /* stroke fragments of other digits per canvas */
#define FRAGMENT 9       /* their side */
#define FRAGMENT_GAIN 0.6f   /* their brightness relative to the digit's: clutter, not a second digit */
#define INK 64           /* a digit pixel at least this bright is part of the box */

/* The example's one error path: "make-clutter: MESSAGE" and exit status 1. */
static void fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fatal(const char *fmt, ...)
{
    va_list ap;
    fputs("make-clutter: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

typedef struct rng { uint64_t key, counter; } rng;
static uint32_t next(rng *r) { return nin_random_u32(r->key, r->counter++); }
static int below(rng *r, int n) { return (int)(next(r) % (uint32_t)n); }

static void put_be32(FILE *f, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    fwrite(b, 1, 4, f);
}

static FILE *create(const char *dir, const char *name, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        fatal("%s: cannot create it: %s", path, strerror(errno));
    return f;
}

static void finish(FILE *f, const char *path)
{
    if (ferror(f) || fclose(f) != 0)
        fatal("%s: write failed", path);
}

/* Paste a w x h patch (rows `stride` apart) scaled by gain at (x, y), keeping the brighter pixel. */
static void paste_max(uint8_t *canvas, const uint8_t *patch, int stride, int w, int h, int x, int y, float gain)
{
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            uint8_t *p = &canvas[(y + j) * SIDE + x + i], v = (uint8_t)(gain * patch[j * stride + i]);
            *p = v > *p ? v : *p;
        }
}

static void make_split(const nin_dataset *mnist, const char *out, const char *set, int count, uint64_t seed,
                       int stream)
{
    rng r = { nin_random_key(seed, 0xc1u, (uint64_t)stream), 0 };
    uint8_t *images = nin_malloc((size_t)count * SIDE * SIDE), *labels = nin_malloc(count ? count : 1);
    if (!images || !labels)
        fatal("%s", nin_last_error());
    char path[1200];
    FILE *boxes = create(out, strcmp(set, "train") == 0 ? "train-boxes.txt" : "t10k-boxes.txt", path, sizeof path);
    for (int n = 0; n < count; n++) {
        uint8_t *canvas = images + (size_t)n * SIDE * SIDE;
        for (int i = 0; i < SIDE * SIDE; i++)
            canvas[i] = (uint8_t)below(&r, NOISE);
        for (int k = 0; k < FRAGMENTS; k++) {   /* a piece of another digit, around its centre where the ink is */
            const uint8_t *other = mnist->images + (size_t)below(&r, mnist->count) * DIGIT * DIGIT;
            int fx = 5 + below(&r, DIGIT - 10 - FRAGMENT + 1), fy = 5 + below(&r, DIGIT - 10 - FRAGMENT + 1);
            paste_max(canvas, other + fy * DIGIT + fx, DIGIT, FRAGMENT, FRAGMENT, below(&r, SIDE - FRAGMENT + 1),
                      below(&r, SIDE - FRAGMENT + 1), FRAGMENT_GAIN);
        }
        int source = n % mnist->count, x = below(&r, SIDE - DIGIT + 1), y = below(&r, SIDE - DIGIT + 1);
        const uint8_t *digit = mnist->images + (size_t)source * DIGIT * DIGIT;
        paste_max(canvas, digit, DIGIT, DIGIT, DIGIT, x, y, 1.0f);
        labels[n] = (uint8_t)mnist->labels[source];
        int x0 = DIGIT, y0 = DIGIT, x1 = 0, y1 = 0;
        for (int j = 0; j < DIGIT; j++)
            for (int i = 0; i < DIGIT; i++)
                if (digit[j * DIGIT + i] >= INK) {
                    x0 = i < x0 ? i : x0, y0 = j < y0 ? j : y0;
                    x1 = i + 1 > x1 ? i + 1 : x1, y1 = j + 1 > y1 ? j + 1 : y1;
                }
        fprintf(boxes, "%d %d %d %d\n", x + x0, y + y0, x + x1, y + y1);
    }
    finish(boxes, path);

    char name[64];
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", set);
    FILE *f = create(out, name, path, sizeof path);
    put_be32(f, 0x00000803);
    put_be32(f, (uint32_t)count);
    put_be32(f, SIDE);
    put_be32(f, SIDE);
    fwrite(images, 1, (size_t)count * SIDE * SIDE, f);
    finish(f, path);
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", set);
    f = create(out, name, path, sizeof path);
    put_be32(f, 0x00000801);
    put_be32(f, (uint32_t)count);
    fwrite(labels, 1, (size_t)count, f);
    finish(f, path);
    free(images);
    free(labels);
}

static int count_arg(const char *option, const char *text)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < 1 || v > 1000000)
        fatal("%s takes a count from 1 to 1000000, not '%s'", option, text);
    return (int)v;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc % 2 == 0)
        fatal("usage: make-clutter MNIST_DIR OUT_DIR [--train N] [--test N] [--seed S]");
    int train = 10000, test = 2000, seed = 1;
    for (int i = 3; i < argc; i += 2) {
        if (strcmp(argv[i], "--train") == 0)
            train = count_arg("--train", argv[i + 1]);
        else if (strcmp(argv[i], "--test") == 0)
            test = count_arg("--test", argv[i + 1]);
        else if (strcmp(argv[i], "--seed") == 0)
            seed = count_arg("--seed", argv[i + 1]);
        else
            fatal("unknown option '%s' (--train, --test, --seed)", argv[i]);
    }
    char err[1400];
    if (nin_make_dirs(argv[2], err, sizeof err) != 0)
        fatal("%s", err);
    const nin_dataset_spec *spec = nin_dataset_find("mnist");
    nin_split splits[2] = { NIN_SPLIT_TRAIN, NIN_SPLIT_TEST };
    const char *sets[2] = { "train", "t10k" };
    int counts[2] = { train, test };
    for (int s = 0; s < 2; s++) {
        nin_dataset mnist;
        if (nin_dataset_load(spec, argv[1], splits[s], &mnist, err, sizeof err) != 0)
            fatal("%s", err);
        make_split(&mnist, argv[2], sets[s], counts[s], (uint64_t)seed, s);
        nin_dataset_free(&mnist);
    }
    printf("mnist-clutter: %d training and %d test images of %dx%d in %s\n", train, test, SIDE, SIDE, argv[2]);
    return 0;
}
