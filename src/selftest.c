/* selftest.c - `nin-cl selftest`: train a small network that uses every layer kind on the device and on the
 * C reference side by side, and compare every output, loss, gradient and parameter. The way a user checks a
 * new GPU or driver. */
#include <math.h>
#include <stdlib.h>
#include <nin/net.h>
#include "layer.h"

#define SELFTEST_NETDEF "8c3p1-6c1b-mp3s2-d0.3-8c3p1s2-ap2s2-12fc-d0.2-7c1l-gap"
#define SELFTEST_TOLERANCE 1e-4

double nin_rel_error(const float *a, const float *b, size_t n)
{
    double diff = 0.0, scale = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(a[i]) || !isfinite(b[i]))
            return INFINITY;
        diff = fmax(diff, fabs((double)a[i] - b[i]));
        scale = fmax(scale, fabs((double)b[i]));
    }
    return scale > 0.0 ? diff / scale : diff;
}

static int check(FILE *out, const char *what, int step, const float *device, const float *ref, size_t n)
{
    double err = nin_rel_error(device, ref, n);
    int ok = err <= SELFTEST_TOLERANCE;
    fprintf(out, "  step %d  %-10s %8zu values  rel. error %.2e  %s\n", step, what, n, err, ok ? "ok" : "FAIL");
    return ok;
}

/* Two training steps and a test-mode forward pass on both networks, comparing the outputs, the loss, the
 * gradients and the parameters after each part. a and b hold n_params floats, enough for the outputs too.
 * Returns 1 when everything agrees. */
static int run_and_compare(FILE *out, nin_net *dev, nin_net *ref, const nin_sgd *sgd, const float *images,
                           const int *labels, float *a, float *b, size_t n_params)
{
    size_t n_out = (size_t)nin_net_batch(dev) * nin_net_output_shape(dev).c;
    int ok = 1;
    for (int step = 1; step <= 2; step++) {
        nin_net_set_input(dev, images, labels);
        nin_net_set_input(ref, images, labels);
        nin_net_forward(dev, 1);
        nin_net_forward(ref, 1);
        nin_net_get_output(dev, a);
        nin_net_get_output(ref, b);
        ok &= check(out, "logits", step, a, b, n_out);
        nin_metrics md, mr;
        nin_net_loss(dev, &md);
        nin_net_loss(ref, &mr);
        ok &= check(out, "loss", step, &md.loss, &mr.loss, 1);
        nin_net_backward(dev);
        nin_net_backward(ref);
        nin_net_get_grads(dev, a);
        nin_net_get_grads(ref, b);
        ok &= check(out, "gradients", step, a, b, n_params);
        nin_net_update(dev, sgd);
        nin_net_update(ref, sgd);
        nin_net_get_params(dev, a);
        nin_net_get_params(ref, b);
        ok &= check(out, "parameters", step, a, b, n_params);
    }
    nin_net_forward(dev, 0);
    nin_net_forward(ref, 0);
    nin_net_get_output(dev, a);
    nin_net_get_output(ref, b);
    ok &= check(out, "test-mode", 3, a, b, n_out);
    return ok;
}

int nin_selftest(nin_context *ctx, FILE *out)
{
    const int batch = 4;
    const nin_shape input = { 3, 12, 12 };
    const nin_sgd sgd = { 0.05f, 0.9f, 5e-4f };
    nin_netdef def;
    char err[256];
    if (nin_netdef_parse(SELFTEST_NETDEF, &def, err, sizeof err) != 0)
        return nin_fail("%s", err);
    nin_net *dev = nin_net_create(ctx, &def, input, batch, 42, 0.0f);
    nin_net *ref = dev ? nin_net_create(NULL, &def, input, batch, 42, 0.0f) : NULL;
    size_t n_in = nin_volume(input, batch), n_params = ref ? nin_net_param_count(dev) : 0;
    float *images = nin_malloc(n_in * sizeof *images);
    int *labels = nin_malloc(batch * sizeof *labels);
    float *a = nin_malloc(n_params * sizeof *a), *b = nin_malloc(n_params * sizeof *b);
    int status = -1;
    if (dev && ref && images && labels && a && b) {
        int classes = nin_net_output_shape(dev).c;
        for (size_t i = 0; i < n_in; i++)
            images[i] = nin_random_normal(7, i);
        for (int n = 0; n < batch; n++)
            labels[n] = n % classes;
        const nin_device_info *dev_info = nin_context_device(ctx);
        fprintf(out, "selftest on %s (%s): network %s, batch %d, %zu parameters\n", dev_info->name,
                dev_info->platform_name, SELFTEST_NETDEF, batch, n_params);
        fprintf(out, "kernels: %s %s; gemm %s\n", nin_context_programs_compiled(ctx)
                ? "compiled from source, cached in" : "loaded from the program cache (0 programs compiled),",
                nin_context_program_cache(ctx), nin_gemm_backend_name(nin_context_tuning(ctx).backend));
        fprintf(out, "kernel shapes:");
        for (int f = 0; f < NIN_KERNEL_FAMILIES; f++)
            fprintf(out, " %s %s%s", nin_kernel_family_name((nin_kernel_family)f),
                    nin_kernel_shape_name(nin_context_tuning(ctx).shape[f]), f + 1 < NIN_KERNEL_FAMILIES ? "," : "\n");
        int ok = run_and_compare(out, dev, ref, &sgd, images, labels, a, b, n_params);
        fprintf(out, "selftest %s\n", ok ? "passed" : "FAILED");
        status = ok ? 0 : 1;
    }
    free(images);
    free(labels);
    free(a);
    free(b);
    nin_net_free(dev);
    nin_net_free(ref);
    return status;
}
