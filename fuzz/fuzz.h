/* fuzz.h - what the libFuzzer harnesses share: a private temporary directory the parsers read their input
 * from (libmatio, libpng and the loaders take paths), and the properties every parser must keep. */
#ifndef NIN_FUZZ_H
#define NIN_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nin/data.h>

/* The directory, made once per process (libFuzzer runs one input at a time). */
static char fuzz_dir[64];

static inline const char *fuzz_path(const char *name)
{
    static char path[128];
    if (!fuzz_dir[0]) {
        snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/nin-fuzz-XXXXXX");
        if (!mkdtemp(fuzz_dir))
            abort();
    }
    snprintf(path, sizeof path, "%s/%s", fuzz_dir, name);
    return path;
}

/* Write size bytes to fuzz_dir/name and return its path. */
static inline const char *fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    const char *path = fuzz_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort();
    return path;
}

/* A parser that refuses its input must say why in one line. */
static inline void fuzz_expect_error_line(const char *err)
{
    if (!err[0] || strchr(err, '\n'))
        __builtin_trap();
}

#define FUZZ_ASSERT(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* Load a split of dataset `name` from the files written to fuzz_dir: refused with one line and nothing left
 * allocated, or loaded with every label a class of the dataset. */
static inline void fuzz_load_dataset(const char *name, nin_split split)
{
    const nin_dataset_spec *spec = nin_dataset_find(name);
    nin_dataset d;
    char err[1024];
    if (nin_dataset_load(spec, fuzz_dir, split, &d, err, sizeof err) != 0) {
        fuzz_expect_error_line(err);
        FUZZ_ASSERT(!d.images && !d.labels && d.count == 0);
        return;
    }
    for (int i = 0; i < d.count; i++)
        FUZZ_ASSERT(d.labels[i] >= 0 && d.labels[i] < spec->classes);
    nin_dataset_free(&d);
}

#endif
