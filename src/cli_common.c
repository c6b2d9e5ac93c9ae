/* cli_common.c - what several subcommands of nin-cl do, written once: report an error and choose the exit
 * status, check a libnin call's status, pick and open the device, read a network definition, load a
 * model file (checkpoint or ONNX) into a network on the device, load a dataset split. libnin never exits or prints; this layer
 * does. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nin/nin.h>
#include "cli.h"

static void __attribute__((noreturn)) die(int status, const char *fmt, va_list ap)
{
    fflush(stdout);
    fputs("nin-cl: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    exit(status);
}

void cli_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    die(1, fmt, ap);
}

void cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    die(CLI_EXIT_USAGE, fmt, ap);
}

int cli_check(int status)
{
    if (status == -1)
        cli_fatal("%s", nin_last_error());
    return status;
}

void *cli_check_ptr(void *p)
{
    if (!p)
        cli_fatal("%s", nin_last_error());
    return p;
}

void *cli_malloc(size_t bytes) { return cli_check_ptr(nin_malloc(bytes)); }
void *cli_calloc(size_t count, size_t size) { return cli_check_ptr(nin_calloc(count, size)); }

void cli_parse_netdef(const char *what, const char *text, nin_netdef *def)
{
    char err[512];
    if (nin_netdef_parse(text, def, err, sizeof err) != 0)
        cli_usage_error("%s%s", what, err);
}

int cli_pick_device(int requested, nin_device_info **devices)
{
    int count = cli_check(nin_list_devices(devices));
    if (count == 0)
        cli_fatal("no OpenCL device found: install an OpenCL driver (e.g. the Debian package pocl-opencl-icd)");
    int index = requested < 0 ? nin_default_device(*devices, count) : requested;
    if (index >= count) {
        fflush(stdout);
        fprintf(stderr, "nin-cl: error: no OpenCL device %d; the devices are:\n", index);
        nin_print_devices(stderr, *devices, count);
        exit(CLI_EXIT_USAGE);
    }
    return index;
}

nin_context *cli_open_context(int requested)
{
    nin_device_info *devices;
    int index = cli_pick_device(requested, &devices);
    free(devices);
    return cli_check_ptr(nin_context_create(index));
}

void cli_read_checkpoint(const char *path, nin_checkpoint *ck)
{
    char err[1400];
    if (nin_model_file_load(path, ck, err, sizeof err) != 0)
        cli_fatal("%s", err);
}

void cli_load_checkpoint(cli_model *m, const char *path)
{
    m->path = path;
    cli_read_checkpoint(path, &m->ck);
}

void cli_build_model(cli_model *m, int requested, int batch, int training)
{
    char err[1400];
    const nin_checkpoint *ck = &m->ck;
    if (nin_netdef_parse(ck->config.netdef, &m->def, err, sizeof err) != 0)
        cli_fatal("%s: %s", m->path, err);
    m->ctx = cli_open_context(requested);
    if (training)   /* the memory budget first: a network that cannot fit is one clear line */
        cli_check(nin_budget_check(m->ctx, &m->def, ck->input, batch));
    m->net = cli_check_ptr(training ? nin_net_create(m->ctx, &m->def, ck->input, batch, ck->config.seed, 0.0f)
                                    : nin_net_create_inference(m->ctx, &m->def, ck->input, batch));
    if (nin_net_param_count(m->net) != ck->params || nin_net_output_shape(m->net).c != ck->classes)
        cli_fatal("%s is corrupt: its network does not match its %zu parameters", m->path, ck->params);
    cli_check(nin_net_set_params(m->net, ck->weights));
}

void cli_open_model(cli_model *m, const char *path, int requested, int batch, int training)
{
    cli_load_checkpoint(m, path);
    cli_build_model(m, requested, batch, training);
}

void cli_close_model(cli_model *m)
{
    nin_net_free(m->net);
    nin_checkpoint_free(&m->ck);
    nin_context_free(m->ctx);
}

/* Decoding an image folder: a count on standard error when it is a terminal. */
static void show_decoding(void *arg, int done, int total)
{
    (void)arg;
    if (isatty(STDERR_FILENO))
        fprintf(stderr, done < total ? "\rdecoding images: %d/%d " : "\rdecoded %d/%d images\n", done, total);
}

/* Exit 1 unless the data's images and classes are those the checkpoint at path was trained on. */
static void check_model_fits(const char *path, const nin_checkpoint *ck, const nin_dataset_spec *spec,
                             const char *dir)
{
    if (spec->classes != ck->classes || spec->channels != ck->input.c || spec->height != ck->input.h ||
        spec->width != ck->input.w)
        cli_fatal("%s was trained on %dx%dx%d images with %d classes; %s has %dx%dx%d with %d", path, ck->input.c,
                  ck->input.h, ck->input.w, ck->classes, dir, spec->channels, spec->height, spec->width,
                  spec->classes);
    for (int c = 0; ck->class_names && spec->class_names && c < ck->classes; c++)
        if (strcmp(ck->class_names[c], spec->class_names[c]) != 0)
            cli_fatal("%s was trained on other classes than %s has: its class %d is '%s', not '%s'", path, dir, c,
                      ck->class_names[c], spec->class_names[c]);
}

void cli_load_model_data(const char *path, const nin_checkpoint *ck, const nin_dataset_spec *spec, const char *data,
                         nin_split split, nin_dataset *out, char *dir, size_t dir_size)
{
    char err[1600];
    if (!data && strcmp(spec->name, ck->config.dataset) == 0)
        data = ck->config.data_dir;   /* what the model was trained on */
    nin_dataset_dir(spec, data, dir, dir_size);
    nin_images_options o;
    nin_train_images_options(&ck->config, &o);
    o.progress = show_decoding;
    if ((strcmp(spec->name, "images") == 0 ? nin_images_load(dir, split, &o, out, err, sizeof err)
                                           : nin_dataset_load(spec, dir, split, out, err, sizeof err)) != 0)
        cli_fatal("%s", err);
    if (out->skipped)
        fprintf(stderr, "nin-cl: note: --skip-bad left out %d unreadable images; the first: %s\n", out->skipped,
                out->first_skipped);
    check_model_fits(path, ck, out->spec, dir);
}
