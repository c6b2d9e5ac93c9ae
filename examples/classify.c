/* classify.c - how a program embeds libnin: `classify MODEL IMAGE...` prints the three most probable classes of
 * each image with a model file (a nin-cl checkpoint or an ONNX model). It uses only the public header; build it
 * against an installed libnin with
 *     cc classify.c -o classify $(pkg-config --cflags --libs nin)
 * Errors are libnin's one line (nin_last_error), and exit status 1. */
#include <stdio.h>
#include <stdlib.h>
#include <nin/nin.h>

#define TOP 3

/* "name" of class c, or "class c" when the model names none. */
static void print_class(const nin_model *m, int c, float prob)
{
    const char *name = nin_model_class_name(m, c);
    if (name)
        printf("  %-14s %.4f\n", name, prob);
    else
        printf("  class %-8d %.4f\n", c, prob);
}

/* The TOP most probable classes of one image's probabilities (used up). */
static void print_top(const nin_model *m, float *prob)
{
    int classes = nin_model_classes(m);
    for (int k = 0; k < TOP && k < classes; k++) {
        int best = 0;
        for (int c = 1; c < classes; c++)
            if (prob[c] > prob[best])
                best = c;
        print_class(m, best, prob[best]);
        prob[best] = -1.0f;
    }
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL IMAGE...\n", argv[0]);
        return 2;
    }
    nin_context *ctx = nin_context_create(-1);   /* the default device: the first GPU, else the first device */
    nin_model *m = ctx ? nin_model_load(ctx, argv[1], 16) : NULL;
    float *prob = m ? malloc(nin_model_classes(m) * sizeof *prob) : NULL;
    int status = m && prob ? 0 : 1;
    for (int i = 2; i < argc && status == 0; i++) {
        if (nin_model_predict_file(m, argv[i], prob) != 0) {
            status = 1;
            break;
        }
        printf("%s\n", argv[i]);
        print_top(m, prob);
    }
    if (status != 0)
        fprintf(stderr, "classify: %s\n", m && !prob ? "out of memory" : nin_last_error());
    free(prob);
    nin_model_free(m);
    nin_context_free(ctx);
    return status;
}
