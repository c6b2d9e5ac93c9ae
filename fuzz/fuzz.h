/* fuzz.h - what the libFuzzer harnesses share: a private temporary directory the parsers read their input
 * from (libmatio, libpng and the loaders take paths), and the properties every parser must keep. */
#ifndef NIN_FUZZ_H
#define NIN_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The directory, made once per process (libFuzzer runs one input at a time). */
static char fuzz_dir[64];

static const char *fuzz_path(const char *name)
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
static const char *fuzz_write(const char *name, const uint8_t *data, size_t size)
{
    const char *path = fuzz_path(name);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort();
    return path;
}

/* A parser that refuses its input must say why in one line. */
static void fuzz_expect_error_line(const char *err)
{
    if (!err[0] || strchr(err, '\n'))
        __builtin_trap();
}

#define FUZZ_ASSERT(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#endif
