/* nin/download.h - fetch a dataset's official files, verify their published MD5 checksums, unpack them.
 *
 * The manifest of every dataset's files (URL, size where published, MD5, how to unpack) is built in.
 * Each file is fetched to FILE.part while its MD5 is computed, checked, renamed into place and, for a
 * .tar.gz, unpacked next to it. A file already present with the right checksum is not fetched again.
 *
 * Two environment variables exist FOR TESTS ONLY (a test serves small files from 127.0.0.1):
 *   NIN_DOWNLOAD_BASE_URL  replaces everything up to the last '/' of every URL: with
 *                          http://127.0.0.1:8000 each file is fetched from http://127.0.0.1:8000/FILE.
 *   NIN_DOWNLOAD_MANIFEST  names a text file of lines "DATASET FILE MD5 [BYTES]" ('#' starts a comment) that
 *                          replace the checksum, and the size (unknown when BYTES is left out), of those
 *                          entries of the built-in manifest.
 */
#ifndef NIN_DOWNLOAD_H
#define NIN_DOWNLOAD_H

#include <stddef.h>
#include <stdio.h>
#include <nin/data.h>

typedef struct nin_download_options {
    int extra;      /* also the optional files (svhn's 1.3 GB extra_32x32.mat) */
    int progress;   /* 1: redraw a progress bar on log (a terminal), 0: one line per file */
    FILE *log;      /* where the progress and per-file lines go; NULL: nowhere */
} nin_download_options;

/* Where `nin-cl download` puts a dataset: `override` (--data DIR) if given, else $NIN_DATA_DIR/<name>,
 * else ~/.local/share/nin-cl/<name> - never the read-only directory a distribution package installs. */
const char *nin_download_dir(const nin_dataset_spec *spec, const char *override, char *buf, size_t size);

/* Fetch, verify and unpack every file of `spec` into `dir`, creating it (and its parents) as needed.
 * Returns 0, or -1 with one line in err naming the file, the problem and the URL; a failed file leaves
 * neither FILE nor FILE.part behind. */
int nin_download(const nin_dataset_spec *spec, const char *dir, const nin_download_options *opt,
                 char *err, size_t err_size);

#endif
