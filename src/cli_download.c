/* cli_download.c - `nin-cl download NAME [--data DIR] [--extra]`: fetch, verify and unpack a dataset. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <nin/nin.h>
#include "cli.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: nin-cl download NAME [--data DIR] [--extra]\n\n"
                 "Fetch a dataset's official files, check their published MD5 checksums and unpack them.\n"
                 "  NAME        %s\n"
                 "  --data DIR  put the files in DIR (default: $NIN_DATA_DIR/NAME, else\n"
                 "              ~/.local/share/nin-cl/NAME)\n"
                 "  --extra     svhn: also the 531131 extra training images (extra_32x32.mat, 1.3 GB)\n\n"
                 "A file already there with the right checksum is not fetched again. On Debian the package\n"
                 "dataset-fashion-mnist installs fashion-mnist, which nin-cl then finds without a download.\n",
            nin_dataset_names());
}

/* A usage error: one line, exit status 2 as for the global options. */
static int bad_usage(const char *what, const char *arg)
{
    fprintf(stderr, "nin-cl: error: %s '%s' (see nin-cl download --help)\n", what, arg);
    return 2;
}

int cmd_download(const nin_options *opt, int argc, char **argv)
{
    (void)opt;
    const char *name = NULL, *data = NULL;
    int extra = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data = argv[++i];
        else if (strncmp(argv[i], "--data=", 7) == 0)
            data = argv[i] + 7;
        else if (strcmp(argv[i], "--extra") == 0)
            extra = 1;
        else if (argv[i][0] == '-')
            return bad_usage("unknown download option", argv[i]);
        else if (name)
            return bad_usage("download takes one dataset, not also", argv[i]);
        else
            name = argv[i];
    }
    if (!name) {
        usage(stderr);
        return 2;
    }
    const nin_dataset_spec *spec = nin_dataset_find(name);
    if (!spec) {
        fprintf(stderr, "nin-cl: error: unknown dataset '%s' (one of: %s)\n", name, nin_dataset_names());
        return 2;
    }
    if (extra && strcmp(spec->name, "svhn") != 0)
        return bad_usage("--extra is only for svhn, not", spec->name);

    char dir[4096], err[1024];
    nin_download_dir(spec, data, dir, sizeof dir);
    nin_download_options dopt = { .extra = extra, .progress = isatty(STDERR_FILENO), .log = stderr };
    if (nin_download(spec, dir, &dopt, err, sizeof err) != 0)
        nin_fatal("%s", err);
    printf("%s is ready in %s\n", spec->name, dir);
    return 0;
}
