/* rundir.c - a training run's output directory belongs to that run (rundir.h).
 *
 * A trained model is never lost to a repeated command line: the directory is locked with flock(2) on
 * DIR/nin-cl.lock for the run's whole life (the kernel releases it when the process dies, kill -9 included,
 * so a lock is never stale), a new run refuses a directory that holds another run's checkpoints or metrics
 * unless told to replace them, and the default directory is always a new one. The per-epoch checkpoints
 * are hard links to last.nin (no copy), and the metrics file is rewritten through a temporary file and a
 * rename, so that a crash never leaves half a line in it. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nin/error.h>
#include "rundir.h"

#define MAX_SUFFIX 1000                /* runs/NAME-2 ... runs/NAME-999 */
#define MAX_METRICS_BYTES (64u << 20)

/* What an earlier run leaves in its directory. */
static const char *const run_files[] = { "last.nin", "best.nin", "stalled.nin", "metrics.csv", "epoch-*.nin" };

static void path_in(const nin_run_dir *d, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", d->path, name);
}

/* --- making the directory ------------------------------------------------------------------------------ */

/* mkdir -p of the directory; d->made when it did not exist. */
static int make_dir(nin_run_dir *d)
{
    char err[1200];
    struct stat st;
    d->made = stat(d->path, &st) != 0 && errno == ENOENT;
    if (nin_make_dirs(d->path, err, sizeof err) != 0)
        return nin_fail("output directory: %s", err);
    return 0;
}

/* A directory no one has: d->path itself, else d->path-2, -3... (mkdir is atomic: two runs started in the same
 * second get two directories). */
static int make_new_dir(nin_run_dir *d)
{
    char parent[1024], err[1200], base[1024];
    snprintf(base, sizeof base, "%s", d->path);
    snprintf(parent, sizeof parent, "%s", d->path);
    if (nin_make_dirs(dirname(parent), err, sizeof err) != 0)
        return nin_fail("output directory: %s", err);
    for (int n = 1; n < MAX_SUFFIX; n++) {
        if (n > 1 && (size_t)snprintf(d->path, sizeof d->path, "%s-%d", base, n) >= sizeof d->path)
            return nin_fail("output directory %s: the name is too long", base);
        if (mkdir(d->path, 0777) == 0) {
            d->made = 1;
            return 0;
        }
        if (errno != EEXIST)
            return nin_fail("cannot create the output directory %s: %s", d->path, strerror(errno));
    }
    return nin_fail("output directory %s and %s-2 to %s-%d are all taken", base, base, base, MAX_SUFFIX - 1);
}

/* --- the lock -------------------------------------------------------------------------------------------- */

/* "process 1234 (nin-cl train mnist --out runs/a)": who holds the lock, from the PID in its file. */
static void describe_holder(int fd, char *out, size_t size)
{
    char text[32] = "", proc[64], cmdline[256];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    long pid = n > 0 ? strtol(text, NULL, 10) : 0;
    if (pid <= 0) {
        snprintf(out, size, "another process");
        return;
    }
    snprintf(proc, sizeof proc, "/proc/%ld/cmdline", pid);
    FILE *f = fopen(proc, "rb");
    size_t got = f ? fread(cmdline, 1, sizeof cmdline - 1, f) : 0;
    if (f)
        fclose(f);
    cmdline[got] = '\0';
    const char *slash = strrchr(cmdline, '/');   /* in the program's path, the first string */
    size_t program = slash ? (size_t)(slash + 1 - cmdline) : 0;
    for (size_t i = 0; i + 1 < got; i++)   /* the arguments, NUL-separated, as one line */
        if (cmdline[i] == '\0')
            cmdline[i] = ' ';
    snprintf(out, size, got ? "process %ld (%s)" : "process %ld", pid, cmdline + program);
}

/* Whether fd is still the file at path (the lock file is removed when its run ends: a run that opened it
 * just before must lock the new one). */
static int is_file_at(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int lock_dir(nin_run_dir *d)
{
    char lock[1100], holder[320];
    path_in(d, NIN_RUN_LOCK, lock, sizeof lock);
    for (int attempt = 0; attempt < 100; attempt++) {
        int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return nin_fail("cannot create the lock file %s: %s", lock, strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            describe_holder(fd, holder, sizeof holder);
            close(fd);
            if (e == EWOULDBLOCK)
                return nin_fail("output directory %s is in use by another run: %s is writing into it (wait for it "
                                "to end, or choose another --out)", d->path, holder);
            return nin_fail("cannot lock %s: %s", lock, strerror(e));
        }
        if (is_file_at(fd, lock)) {
            char pid[32];
            int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
                close(fd);
                return nin_fail("cannot write the lock file %s: %s", lock, strerror(errno));
            }
            d->lock_fd = fd;
            return 0;
        }
        close(fd);
    }
    return nin_fail("cannot lock %s: it keeps being replaced", lock);
}

/* --- an earlier run's files -------------------------------------------------------------------------------- */

/* The paths of the earlier run's files in the directory (found->gl_pathc of them; globfree after). */
static void find_run_files(const nin_run_dir *d, glob_t *found)
{
    char pattern[1100];
    memset(found, 0, sizeof *found);
    for (size_t i = 0; i < sizeof run_files / sizeof run_files[0]; i++) {
        path_in(d, run_files[i], pattern, sizeof pattern);
        glob(pattern, i ? GLOB_APPEND : 0, NULL, found);
    }
}

/* The names of the files in found as "last.nin, best.nin, metrics.csv", into out. */
static void list_names(const glob_t *found, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < found->gl_pathc && used < size; i++) {
        const char *slash = strrchr(found->gl_pathv[i], '/');
        used += snprintf(out + used, size - used, "%s%s", i ? ", " : "", slash ? slash + 1 : found->gl_pathv[i]);
    }
}

static int refuse_earlier_run(const nin_run_dir *d)
{
    glob_t found;
    char names[512], last[1100], resume[1200] = "";
    find_run_files(d, &found);
    list_names(&found, names, sizeof names);
    size_t count = found.gl_pathc;
    globfree(&found);
    if (count == 0)
        return 0;
    path_in(d, "last.nin", last, sizeof last);
    if (access(last, F_OK) == 0)
        snprintf(resume, sizeof resume, "go on with it with --resume %s, ", last);
    return nin_fail("output directory %s holds an earlier run (%s): %strain into a new folder (another --out), or "
                    "give --overwrite to replace it", d->path, names, resume);
}

int nin_run_dir_open(nin_run_dir *d, const char *out_dir, nin_out_policy policy)
{
    memset(d, 0, sizeof *d);
    d->lock_fd = -1;
    if ((size_t)snprintf(d->path, sizeof d->path, "%s", out_dir) >= sizeof d->path)
        return nin_fail("output directory %s: the name is too long", out_dir);
    if ((policy == NIN_OUT_UNIQUE ? make_new_dir(d) : make_dir(d)) != 0)
        return -1;
    if (access(d->path, W_OK) != 0)
        return nin_fail("output directory %s is not writable: %s", d->path, strerror(errno));
    if (lock_dir(d) != 0)
        return -1;
    return policy == NIN_OUT_NEW ? refuse_earlier_run(d) : 0;
}

int nin_run_dir_clear(const nin_run_dir *d, char *removed, size_t size)
{
    glob_t found;
    find_run_files(d, &found);
    list_names(&found, removed, size);
    int status = 0;
    for (size_t i = 0; i < found.gl_pathc && status == 0; i++)
        if (unlink(found.gl_pathv[i]) != 0 && errno != ENOENT)
            status = nin_fail("--overwrite: cannot remove %s: %s", found.gl_pathv[i], strerror(errno));
    globfree(&found);
    return status;
}

void nin_run_dir_close(nin_run_dir *d, int failed)
{
    char lock[1100];
    path_in(d, NIN_RUN_LOCK, lock, sizeof lock);
    if (d->lock_fd >= 0) {   /* removed while still held: whoever opened it meanwhile locks a new one */
        unlink(lock);
        close(d->lock_fd);
        d->lock_fd = -1;
    }
    if (failed && d->made)
        rmdir(d->path);   /* only when empty: nothing of the run is ever removed */
    d->made = 0;
}

/* --- per-epoch checkpoints -------------------------------------------------------------------------------- */

int nin_run_dir_link(const nin_run_dir *d, const char *from, const char *name)
{
    char source[1100], target[1100], tmp[1200];
    path_in(d, from, source, sizeof source);
    path_in(d, name, target, sizeof target);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", target, (long)getpid());
    unlink(tmp);
    if (link(source, tmp) != 0)
        return nin_fail("cannot link %s to %s: %s", tmp, source, strerror(errno));
    if (rename(tmp, target) != 0) {
        int e = errno;
        unlink(tmp);
        return nin_fail("cannot rename %s to %s: %s", tmp, target, strerror(e));
    }
    return 0;
}

/* The epoch of a per-epoch checkpoint's path (.../epoch-E.nin), or -1. */
static int epoch_of(const char *path)
{
    const char *name = strrchr(path, '/');
    char *end;
    name = name ? name + 1 : path;
    if (strncmp(name, "epoch-", 6) != 0)
        return -1;
    long e = strtol(name + 6, &end, 10);
    return end != name + 6 && strcmp(end, ".nin") == 0 && e >= 0 && e < 1000000000 ? (int)e : -1;
}

void nin_run_dir_prune_epochs(const nin_run_dir *d, int last)
{
    char pattern[1100];
    glob_t found;
    path_in(d, "epoch-*.nin", pattern, sizeof pattern);
    if (glob(pattern, 0, NULL, &found) != 0)
        return;
    for (size_t i = 0; i < found.gl_pathc; i++) {
        int e = epoch_of(found.gl_pathv[i]);
        if (e >= 0 && e <= last)
            unlink(found.gl_pathv[i]);
    }
    globfree(&found);
}

/* --- the metrics file -------------------------------------------------------------------------------------- */

/* The whole of a small file as a NUL-terminated string (an empty one when it does not exist), or NULL. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f && errno == ENOENT)
        return nin_calloc(1, 1);
    if (!f) {
        nin_fail("cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    char *text = NULL;
    if (fstat(fileno(f), &st) != 0 || (size_t)st.st_size >= MAX_METRICS_BYTES)
        nin_fail("cannot read %s: it is not a file of less than %u bytes", path, MAX_METRICS_BYTES);
    else if ((text = nin_malloc((size_t)st.st_size + 1)) && fread(text, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        free(text);
        text = NULL;
        nin_fail("cannot read %s", path);
    }
    if (text)
        text[st.st_size] = '\0';
    fclose(f);
    return text;
}

/* Whether `line` (ending before its newline) holds an epoch before `epoch`: "E," with E < epoch. */
static int before_epoch(const char *line, int epoch)
{
    char *end;
    long e = strtol(line, &end, 10);
    return end != line && *end == ',' && e >= 1 && e < epoch;
}

int nin_run_dir_append_epoch(const nin_run_dir *d, const char *name, const char *header, int epoch,
                             const char *line)
{
    char path[1100], err[1400];
    path_in(d, name, path, sizeof path);
    char *old = read_text(path);
    size_t size = strlen(header) + (old ? strlen(old) : 0) + strlen(line) + 1;
    char *text = old ? nin_malloc(size) : NULL;
    if (!text) {
        free(old);
        return -1;
    }
    size_t used = (size_t)snprintf(text, size, "%s", header);
    for (char *at = old, *nl; (nl = strchr(at, '\n')); at = nl + 1)   /* whole lines only: a torn one has no '\n' */
        if (before_epoch(at, epoch)) {
            memcpy(text + used, at, (size_t)(nl + 1 - at));
            used += (size_t)(nl + 1 - at);
        }
    used += (size_t)snprintf(text + used, size - used, "%s", line);
    int status = nin_write_atomically(path, text, used, "metrics file", err, sizeof err) == 0 ? 0
                                                                                            : nin_fail("%s", err);
    free(old);
    free(text);
    return status;
}
