/* cli_download.c - `nin-cl download NAME [--data DIR] [--extra]`: fetch, verify and unpack a dataset. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <nin/nin.h>
#include "cli.h"

typedef struct download_args {
    const nin_dataset_spec *dataset;
    const char *data;
    int extra;
} download_args;

static const cli_option download_options[] = {
    { .name = "NAME", .kind = CLI_DATASET, .offset = offsetof(download_args, dataset),
      .flags = CLI_ARGUMENT | CLI_REQUIRED, .help = "the dataset" },
    { .name = "data", .kind = CLI_STRING, .offset = offsetof(download_args, data), .metavar = "DIR",
      .help = "put the files in DIR", .shown_default = "$NIN_DATA_DIR/NAME, else ~/.local/share/nin-cl/NAME" },
    { .name = "extra", .kind = CLI_FLAG, .offset = offsetof(download_args, extra),
      .help = "svhn: also the 531131 extra training images (extra_32x32.mat, 1.3 GB)" },
    CLI_END,
};

static int cmd_download(const nin_options *opt, int argc, char **argv)
{
    (void)opt;
    download_args a = { 0 };
    cli_parse(&cli_download, argc, argv, &a);
    const nin_dataset_spec *spec = a.dataset;
    if (a.extra && strcmp(spec->name, "svhn") != 0)
        cli_usage_error("--extra is only for svhn, not '%s' (see nin-cl download --help)", spec->name);
    char dir[4096], err[1024];
    nin_download_dir(spec, a.data, dir, sizeof dir);
    nin_download_options dopt = { .extra = a.extra, .progress = isatty(STDERR_FILENO), .log = stderr };
    if (nin_download(spec, dir, &dopt, err, sizeof err) != 0)
        cli_fatal("%s", err);
    printf("%s is ready in %s\n", spec->name, dir);
    return 0;
}

const cli_command cli_download = {
    .name = "download",
    .summary = "fetch a dataset's official files, check their published MD5 checksums and unpack them",
    .synopsis = "NAME [--data DIR] [--extra]",
    .about = "A file already there with the right checksum is not fetched again. On Debian the package "
             "dataset-fashion-mnist installs fashion-mnist, which nin-cl then finds without a download.",
    .options = download_options,
    .run = cmd_download,
};
