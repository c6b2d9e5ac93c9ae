/* checkpoint.c - versioned, CRC-checked, atomically written training checkpoints.
 *
 * Layout (little-endian): "NINCKPT\0", uint32 version, uint32 section count, then per section an 8-byte tag,
 * a uint64 byte count and the payload; last a uint32 CRC32 (zlib) of every byte before it. Sections:
 *   config    the run's settings as "key=value" lines (nin_train_config; a key a file lacks takes the value
 *             that runs had before it existed: schedule plateau, lr multipliers 1)
 *   shape     int32 c, h, w, classes
 *   preproc   int32 kind, float mean[3], float std[3]; with zca also "zcamean" and "zca" (float arrays)
 *   state     the loop's position: epoch, step in epoch, step, lr, best val_acc, patience count, epoch sums
 *   weights   the parameter buffer;  momentum: the optimizer's velocity, same size
 *   classes   the class names, each ending in a NUL byte (optional: a file without it takes the names of its
 *             built-in dataset)
 *   data      the fingerprint of the data the run was trained on, a nin_data_fingerprint (optional: files
 *             written before it have none, and their --resume checks nothing)
 * The file is written to a temporary name beside the target, fsync'ed and renamed, so a crash or kill at any
 * moment leaves either the old or the new checkpoint, never a torn one. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <nin/error.h>
#include <nin/checkpoint.h>
#include <nin/data.h>

#define MAGIC "NINCKPT"
#define VERSION 1u
#define MAX_FILE_BYTES ((size_t)1 << 31)
#define MAX_SIDE 4096                 /* of the input's height and width */
#define MAX_CLASSES 100000

/* --- the config as key=value text: one table drives writing and reading ----------------------------- */

enum field_type { T_STR, T_INT, T_FLOAT, T_U64, T_PREPROCESS, T_SCHEDULE, T_STEPS };
#define FIELD(name, type) { #name, type, offsetof(nin_train_config, name), sizeof(((nin_train_config *)0)->name) }
static const struct { const char *name; enum field_type type; size_t offset, size; } fields[] = {
    FIELD(dataset, T_STR), FIELD(data_dir, T_STR), FIELD(netdef, T_STR), FIELD(out_dir, T_STR), FIELD(init_from, T_STR),
    FIELD(batch, T_INT), FIELD(epochs, T_INT), FIELD(patience, T_INT), FIELD(max_steps, T_INT),
    FIELD(train_limit, T_INT), FIELD(val_size, T_INT), FIELD(augment, T_INT), FIELD(extra, T_INT),
    FIELD(warmup, T_INT), FIELD(data_init, T_INT), FIELD(image_size, T_INT), FIELD(image_channels, T_INT),
    FIELD(test_split, T_FLOAT), FIELD(skip_bad, T_INT), FIELD(keep_epochs, T_INT),
    FIELD(lr, T_FLOAT), FIELD(min_lr, T_FLOAT), FIELD(momentum, T_FLOAT), FIELD(weight_decay, T_FLOAT),
    FIELD(init_std, T_FLOAT), FIELD(preprocess, T_PREPROCESS), FIELD(seed, T_U64),
    FIELD(schedule, T_SCHEDULE), FIELD(lr_steps, T_STEPS), FIELD(bias_lr_mult, T_FLOAT), FIELD(class_lr_mult, T_FLOAT),
};
#define FIELD_COUNT (sizeof fields / sizeof fields[0])

static const char *const schedule_names[] = { "plateau", "step", "cosine" };

const char *nin_schedule_name(nin_schedule schedule) { return schedule_names[schedule]; }

int nin_schedule_parse(const char *name, nin_schedule *schedule)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, schedule_names[i]) == 0) {
            *schedule = (nin_schedule)i;
            return 0;
        }
    return -1;
}

void nin_lr_steps_format(const int *steps, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < NIN_MAX_LR_STEPS && steps[i] > 0 && used < size; i++)
        used += snprintf(buf + used, size - used, "%s%d", i ? "," : "", steps[i]);
}

int nin_lr_steps_parse(const char *text, int *steps)
{
    int parsed[NIN_MAX_LR_STEPS] = { 0 }, n = 0;
    for (const char *p = text; *p; n++) {
        char *end;
        errno = 0;
        long epoch = *p >= '0' && *p <= '9' ? strtol(p, &end, 10) : 0;
        if (n == NIN_MAX_LR_STEPS || epoch < 1 || epoch > INT_MAX || errno || (n > 0 && epoch <= parsed[n - 1]) ||
            (*end && (*end != ',' || !end[1])))
            return -1;
        parsed[n] = (int)epoch;
        p = *end ? end + 1 : end;
    }
    memcpy(steps, parsed, sizeof parsed);
    return 0;
}

static size_t format_config(const nin_train_config *cfg, char *buf, size_t size)
{
    size_t used = 0;
    for (size_t i = 0; i < FIELD_COUNT && used < size; i++) {
        const void *v = (const char *)cfg + fields[i].offset;
        switch (fields[i].type) {
        case T_STR: used += snprintf(buf + used, size - used, "%s=%s\n", fields[i].name, (const char *)v); break;
        case T_INT: used += snprintf(buf + used, size - used, "%s=%d\n", fields[i].name, *(const int *)v); break;
        case T_FLOAT: used += snprintf(buf + used, size - used, "%s=%.9g\n", fields[i].name, *(const float *)v); break;
        case T_U64:
            used += snprintf(buf + used, size - used, "%s=%" PRIu64 "\n", fields[i].name, *(const uint64_t *)v);
            break;
        case T_PREPROCESS:
            used += snprintf(buf + used, size - used, "%s=%s\n", fields[i].name,
                             nin_preprocess_name(*(const nin_preprocess_kind *)v));
            break;
        case T_SCHEDULE:
            used += snprintf(buf + used, size - used, "%s=%s\n", fields[i].name,
                             nin_schedule_name(*(const nin_schedule *)v));
            break;
        case T_STEPS: {
            char steps[NIN_MAX_LR_STEPS * 12];
            nin_lr_steps_format(v, steps, sizeof steps);
            used += snprintf(buf + used, size - used, "%s=%s\n", fields[i].name, steps);
            break;
        }
        }
    }
    return used;
}

/* Parse "key=value" lines (text is NUL-terminated); -1 on an unknown key or a bad value. A setting the file
 * lacks (written before it existed) is what the run did then: 0, plateau, multipliers of 1. */
static int parse_config(char *text, nin_train_config *cfg, char *bad, size_t bad_size)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->bias_lr_mult = cfg->class_lr_mult = 1.0f;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '='), *end = NULL;
        size_t i = 0;
        if (eq)
            for (*eq = '\0'; i < FIELD_COUNT && strcmp(fields[i].name, line) != 0; i++)
                ;
        if (!eq || i == FIELD_COUNT) {
            snprintf(bad, bad_size, "unknown setting '%.40s'", line);
            return -1;
        }
        const char *value = eq + 1;
        void *v = (char *)cfg + fields[i].offset;
        errno = 0;
        switch (fields[i].type) {
        case T_STR:
            if (strlen(value) >= fields[i].size) {
                snprintf(bad, bad_size, "%s is longer than %zu characters", fields[i].name, fields[i].size - 1);
                return -1;
            }
            strcpy(v, value);
            continue;
        case T_INT: *(int *)v = (int)strtol(value, &end, 10); break;
        case T_FLOAT: *(float *)v = strtof(value, &end); break;
        case T_U64: *(uint64_t *)v = strtoull(value, &end, 10); break;
        case T_PREPROCESS:
            end = nin_preprocess_parse(value, v) == 0 ? (char *)value + strlen(value) : (char *)value;
            break;
        case T_SCHEDULE:
            end = nin_schedule_parse(value, v) == 0 ? (char *)value + strlen(value) : (char *)value;
            break;
        case T_STEPS:   /* "" is a list too (none), so it is checked here, not below */
            if (nin_lr_steps_parse(value, v) == 0)
                continue;
            end = (char *)value;
            break;
        }
        if (errno || end == value || *end) {
            snprintf(bad, bad_size, "bad value '%.40s' of %s", value, fields[i].name);
            return -1;
        }
    }
    return 0;
}

/* --- writing ---------------------------------------------------------------------------------------- */

/* A growing buffer; after a failed allocation it keeps nothing and ignores what is put. */
typedef struct sink { uint8_t *data; size_t used, capacity; int failed; } sink;

static void put(sink *s, const void *bytes, size_t n)
{
    if (s->failed)
        return;
    if (s->used + n > s->capacity) {
        size_t capacity = (s->used + n) * 2;
        uint8_t *grown = realloc(s->data, capacity);
        if (!grown) {
            free(s->data);
            *s = (sink){ .capacity = capacity, .failed = 1 };
            return;
        }
        s->data = grown;
        s->capacity = capacity;
    }
    memcpy(s->data + s->used, bytes, n);
    s->used += n;
}

static void put_section(sink *s, const char *tag, const void *payload, uint64_t bytes)
{
    char name[8] = { 0 };
    memcpy(name, tag, strnlen(tag, sizeof name));
    put(s, name, sizeof name);
    put(s, &bytes, sizeof bytes);
    put(s, payload, bytes);
}

/* Remove the temporary files PATH.tmp.PID that a process killed while writing PATH left behind (kill -9
 * runs no cleanup): those whose process is gone. A live writer's file is left alone. */
static void remove_stale_temporaries(const char *path)
{
    char pattern[1100];
    glob_t found;
    snprintf(pattern, sizeof pattern, "%s.tmp.*", path);
    if (glob(pattern, GLOB_NOSORT, NULL, &found) != 0)
        return;
    for (size_t i = 0; i < found.gl_pathc; i++) {
        char *end;
        long pid = strtol(found.gl_pathv[i] + strlen(pattern) - 1, &end, 10);
        if (*end == '\0' && pid > 0 && pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH)
            unlink(found.gl_pathv[i]);
    }
    globfree(&found);
}

int nin_write_atomically(const char *path, const void *data, size_t size, const char *what, char *err,
                         size_t err_size)
{
    char tmp[1100], dir[1100];
    remove_stale_temporaries(path);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return nin_set_error(err, err_size, "cannot write %s %s: %s", what, tmp, strerror(errno));
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, (const uint8_t *)data + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : ENOSPC;
            close(fd);
            unlink(tmp);
            return nin_set_error(err, err_size, "cannot write %s %s: %s (the previous %s is kept)", what, path,
                                 strerror(e), what);
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int e = errno;
        unlink(tmp);
        return nin_set_error(err, err_size, "cannot write %s %s: %s (the previous %s is kept)", what, path,
                             strerror(e), what);
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return nin_set_error(err, err_size, "cannot rename %s to %s: %s", tmp, path, strerror(e));
    }
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* The class names, each ending in a NUL byte, in one new buffer of *bytes bytes. */
static char *join_names(char *const *names, int classes, size_t *bytes)
{
    size_t n = 0;
    for (int c = 0; c < classes; c++)
        n += strlen(names[c]) + 1;
    char *text = malloc(n ? n : 1), *at = text;
    for (int c = 0; text && c < classes; c++)
        at = stpcpy(at, names[c]) + 1;
    *bytes = n;
    return text;
}

/* The first text setting that holds a line break, which the config's key=value lines cannot keep (an ONNX
 * model's metadata or a path can hold one); NULL when there is none. */
static const char *setting_with_line_break(const nin_train_config *cfg)
{
    for (size_t i = 0; i < FIELD_COUNT; i++)
        if (fields[i].type == T_STR && strchr((const char *)cfg + fields[i].offset, '\n'))
            return fields[i].name;
    return NULL;
}

/* Whether an input shape and class count are within the sizes a network of nin-cl can have (what read_shape
 * takes back). */
static int shape_in_range(nin_shape in, int classes)
{
    return in.c >= 1 && in.c <= 3 && in.h >= 1 && in.h <= MAX_SIDE && in.w >= 1 && in.w <= MAX_SIDE && classes >= 2 &&
           classes <= MAX_CLASSES;
}

int nin_checkpoint_save(const char *path, const nin_checkpoint *ck, char *err, size_t err_size)
{
    /* a file the reader would refuse as corrupt is not written (an ONNX import can hold such a network) */
    if (!shape_in_range(ck->input, ck->classes) || ck->params == 0)
        return nin_set_error(err, err_size, "%s: a checkpoint holds 1 to 3 channels of up to %dx%d pixels, 2 to %d "
                             "classes and some parameters, not %dx%dx%d inputs, %d classes and %zu parameters", path,
                             MAX_SIDE, MAX_SIDE, MAX_CLASSES, ck->input.c, ck->input.h, ck->input.w, ck->classes,
                             ck->params);
    const char *broken = setting_with_line_break(&ck->config);
    if (broken)
        return nin_set_error(err, err_size, "%s: the setting %s holds a line break, which a checkpoint cannot keep",
                             path, broken);
    sink s = { 0 };
    char config[8192];
    size_t config_bytes = format_config(&ck->config, config, sizeof config);
    int32_t shape[4] = { ck->input.c, ck->input.h, ck->input.w, ck->classes };
    struct { int32_t kind; float mean[3], std[3]; } pre = { (int32_t)ck->pre.kind, { 0 }, { 0 } };
    memcpy(pre.mean, ck->pre.mean, sizeof pre.mean);
    memcpy(pre.std, ck->pre.std, sizeof pre.std);
    int zca = ck->pre.kind == NIN_PREPROCESS_ZCA;
    size_t dim = (size_t)ck->input.c * ck->input.h * ck->input.w;
    int fingerprint = ck->data.dataset[0] != '\0';
    uint32_t version = VERSION, sections = (zca ? 8 : 6) + (ck->class_names != NULL) + fingerprint;
    char *names = NULL;
    size_t names_bytes = 0;
    if (ck->class_names && !(names = join_names(ck->class_names, ck->classes, &names_bytes)))
        return nin_set_error(err, err_size, "%s: out of host memory", path);

    put(&s, MAGIC, 8);
    put(&s, &version, 4);
    put(&s, &sections, 4);
    put_section(&s, "config", config, config_bytes);
    put_section(&s, "shape", shape, sizeof shape);
    put_section(&s, "preproc", &pre, sizeof pre);
    if (zca) {
        put_section(&s, "zcamean", ck->pre.zca_mean, dim * sizeof(float));
        put_section(&s, "zca", ck->pre.zca, dim * dim * sizeof(float));
    }
    put_section(&s, "state", &ck->state, sizeof ck->state);
    put_section(&s, "weights", ck->weights, ck->params * sizeof(float));
    put_section(&s, "momentum", ck->momentum, ck->params * sizeof(float));
    if (names)
        put_section(&s, "classes", names, names_bytes);
    if (fingerprint)
        put_section(&s, "data", &ck->data, sizeof ck->data);
    free(names);
    uint32_t crc = s.failed ? 0 : (uint32_t)crc32(0L, s.data, (uInt)s.used);
    put(&s, &crc, 4);
    if (s.failed)
        return nin_set_error(err, err_size, "%s: out of host memory writing a checkpoint of %zu bytes", path,
                             s.capacity);
    int status = nin_write_atomically(path, s.data, s.used, "checkpoint", err, err_size);
    free(s.data);
    return status;
}

/* --- reading ---------------------------------------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *size, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        nin_set_error(err, err_size, "cannot open checkpoint %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || (size_t)st.st_size > MAX_FILE_BYTES || st.st_size < 20) {
        fclose(f);
        nin_set_error(err, err_size, "%s is not a nin-cl checkpoint (size %lld bytes)", path, (long long)st.st_size);
        return NULL;
    }
    uint8_t *data = malloc((size_t)st.st_size);
    if (!data || fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        free(data);
        fclose(f);
        nin_set_error(err, err_size, "cannot read checkpoint %s", path);
        return NULL;
    }
    fclose(f);
    *size = (size_t)st.st_size;
    return data;
}

/* The payload of section `tag`, checking its size is `expect` bytes (0: any size). */
static const uint8_t *find_section(const uint8_t *data, size_t size, const char *tag, uint64_t expect,
                                   uint64_t *bytes)
{
    size_t at = 16;
    while (at + 16 <= size - 4) {
        uint64_t n;
        memcpy(&n, data + at + 8, 8);
        if (n > size - 4 - at - 16)
            return NULL;
        if (strncmp((const char *)data + at, tag, 8) == 0) {
            if (expect && n != expect)
                return NULL;
            *bytes = n;
            return data + at + 16;
        }
        at += 16 + n;
    }
    return NULL;
}

/* --- loading, phase by phase: each phase returns 0, or -1 with one line in the reader's err ---------- */

typedef struct reader {
    const char *path;
    const uint8_t *data;      /* the whole file */
    size_t size;
    char *err;
    size_t err_size;
} reader;

/* Magic and version, then the CRC32 of every byte before the last four: no section is read before the whole
 * file is known to be intact. */
static int check_header(const reader *r)
{
    uint32_t version, crc;
    memcpy(&version, r->data + 8, 4);
    memcpy(&crc, r->data + r->size - 4, 4);
    if (memcmp(r->data, MAGIC, 8) != 0)
        return nin_set_error(r->err, r->err_size, "%s is not a nin-cl checkpoint (bad magic)", r->path);
    if (version != VERSION)
        return nin_set_error(r->err, r->err_size, "%s has checkpoint version %u; this nin-cl reads version %u",
                             r->path, version, VERSION);
    if ((uint32_t)crc32(0L, r->data, (uInt)(r->size - 4)) != crc)
        return nin_set_error(r->err, r->err_size, "%s is corrupt: CRC32 mismatch", r->path);
    return 0;
}

/* The run's settings, from their key=value lines. */
static int read_config(const reader *r, nin_train_config *cfg)
{
    uint64_t bytes;
    char text[8192], bad[128];
    const uint8_t *p = find_section(r->data, r->size, "config", 0, &bytes);
    if (!p || bytes >= sizeof text)
        return nin_set_error(r->err, r->err_size, "%s is corrupt: no config section", r->path);
    memcpy(text, p, bytes);
    text[bytes] = '\0';
    if (parse_config(text, cfg, bad, sizeof bad) != 0)
        return nin_set_error(r->err, r->err_size, "%s: %s", r->path, bad);
    return 0;
}

/* The input shape and the class count, within the sizes a network of nin-cl can have. */
static int read_shape(const reader *r, nin_checkpoint *ck)
{
    uint64_t bytes;
    int32_t shape[4];
    const uint8_t *p = find_section(r->data, r->size, "shape", sizeof shape, &bytes);
    if (!p)
        return nin_set_error(r->err, r->err_size, "%s is corrupt: no shape section", r->path);
    memcpy(shape, p, sizeof shape);
    if (!shape_in_range((nin_shape){ shape[0], shape[1], shape[2] }, shape[3]))
        return nin_set_error(r->err, r->err_size, "%s is corrupt: bad input shape %dx%dx%d or %d classes", r->path,
                             shape[0], shape[1], shape[2], shape[3]);
    ck->input = (nin_shape){ shape[0], shape[1], shape[2] };
    ck->classes = shape[3];
    ck->pre.shape = ck->input;
    return 0;
}

/* The preprocessing's kind and per-channel statistics (a ZCA matrix comes last, in read_zca). */
static int read_preprocessing(const reader *r, nin_preprocess *pre)
{
    uint64_t bytes;
    struct { int32_t kind; float mean[3], std[3]; } stored;
    const uint8_t *p = find_section(r->data, r->size, "preproc", sizeof stored, &bytes);
    if (p)
        memcpy(&stored, p, sizeof stored);
    if (!p || stored.kind < 0 || stored.kind > NIN_PREPROCESS_LCN)
        return nin_set_error(r->err, r->err_size, "%s is corrupt: bad preprocessing section", r->path);
    pre->kind = (nin_preprocess_kind)stored.kind;
    memcpy(pre->mean, stored.mean, sizeof pre->mean);
    memcpy(pre->std, stored.std, sizeof pre->std);
    return 0;
}

/* A copy of n bytes of the file in a new buffer, or NULL with the error naming the file. */
static float *copy_array(const reader *r, const uint8_t *from, size_t n)
{
    float *to = nin_malloc(n);
    if (!to)
        nin_set_error(r->err, r->err_size, "%s: %s", r->path, nin_last_error());
    else
        memcpy(to, from, n);
    return to;
}

/* The training loop's state, and the parameters and momentum (of one size). */
static int read_state_and_arrays(const reader *r, nin_checkpoint *ck)
{
    uint64_t bytes;
    const uint8_t *st = find_section(r->data, r->size, "state", sizeof ck->state, &bytes);
    const uint8_t *w = find_section(r->data, r->size, "weights", 0, &bytes);
    size_t params = w ? bytes / sizeof(float) : 0;
    const uint8_t *m = find_section(r->data, r->size, "momentum", params * sizeof(float), &bytes);
    if (!st || !w || !m || params == 0)
        return nin_set_error(r->err, r->err_size, "%s is corrupt: missing state, weights or momentum", r->path);
    memcpy(&ck->state, st, sizeof ck->state);
    ck->params = params;
    if (!(ck->weights = copy_array(r, w, params * sizeof(float))) ||
        !(ck->momentum = copy_array(r, m, params * sizeof(float))))
        return -1;
    return 0;
}

/* ZCA preprocessing: its feature means and whitening matrix. */
static int read_zca(const reader *r, nin_checkpoint *ck)
{
    if (ck->pre.kind != NIN_PREPROCESS_ZCA)
        return 0;
    uint64_t bytes;
    size_t dim = (size_t)ck->input.c * ck->input.h * ck->input.w;
    const uint8_t *zm = find_section(r->data, r->size, "zcamean", dim * sizeof(float), &bytes);
    const uint8_t *z = find_section(r->data, r->size, "zca", dim * dim * sizeof(float), &bytes);
    if (!zm || !z)
        return nin_set_error(r->err, r->err_size, "%s is corrupt: missing ZCA matrix", r->path);
    if (!(ck->pre.zca_mean = copy_array(r, zm, dim * sizeof(float))) ||
        !(ck->pre.zca = copy_array(r, z, dim * dim * sizeof(float))))
        return -1;
    return 0;
}

/* classes names from `text` (bytes long, each name NUL-terminated), or NULL. */
static char **split_names(const char *text, size_t bytes, int classes)
{
    char **names = calloc((size_t)classes, sizeof *names);
    size_t at = 0;
    for (int c = 0; names && c < classes; c++) {
        const char *end = at < bytes ? memchr(text + at, '\0', bytes - at) : NULL;
        if (!end || !(names[c] = strdup(text + at))) {
            nin_free_names(names, classes);
            return NULL;
        }
        at = (size_t)(end - text) + 1;
    }
    return names && at == bytes ? names : (nin_free_names(names, classes), NULL);
}

/* The class names: the file's, else those of its built-in dataset when the class count agrees, else none. */
static int read_class_names(const reader *r, nin_checkpoint *ck)
{
    uint64_t bytes;
    const uint8_t *p = find_section(r->data, r->size, "classes", 0, &bytes);
    const nin_dataset_spec *spec = nin_dataset_find(ck->config.dataset);
    if (p) {
        if (!(ck->class_names = split_names((const char *)p, bytes, ck->classes)))
            return nin_set_error(r->err, r->err_size, "%s is corrupt: bad class names (or out of host memory)",
                                 r->path);
    } else if (spec && spec->class_names && spec->classes == ck->classes) {
        ck->class_names = calloc((size_t)ck->classes, sizeof *ck->class_names);
        for (int c = 0; ck->class_names && c < ck->classes; c++)
            if (!(ck->class_names[c] = strdup(spec->class_names[c])))
                return nin_set_error(r->err, r->err_size, "%s: out of host memory", r->path);
    }
    return 0;
}

/* The fingerprint of the run's data, when the file has one (written since fingerprints were added). */
static int read_fingerprint(const reader *r, nin_checkpoint *ck)
{
    uint64_t bytes;
    const uint8_t *p = find_section(r->data, r->size, "data", 0, &bytes);
    if (!p)
        return 0;
    if (bytes != sizeof ck->data || memchr(p, '\0', sizeof ck->data.dataset) == NULL)
        return nin_set_error(r->err, r->err_size, "%s is corrupt: bad data fingerprint section", r->path);
    memcpy(&ck->data, p, sizeof ck->data);
    if (!ck->data.dataset[0])   /* no dataset: no fingerprint, as a save would write it */
        memset(&ck->data, 0, sizeof ck->data);
    return 0;
}

void nin_free_names(char **names, int count)
{
    for (int c = 0; names && c < count; c++)
        free(names[c]);
    free(names);
}

int nin_checkpoint_load(const char *path, nin_checkpoint *ck, char *err, size_t err_size)
{
    memset(ck, 0, sizeof *ck);
    reader r = { .path = path, .err = err, .err_size = err_size };
    uint8_t *data = read_file(path, &r.size, err, err_size);
    if (!data)
        return -1;
    r.data = data;
    int status = 0;
    if (check_header(&r) != 0 || read_config(&r, &ck->config) != 0 || read_shape(&r, ck) != 0 ||
        read_preprocessing(&r, &ck->pre) != 0 || read_state_and_arrays(&r, ck) != 0 || read_zca(&r, ck) != 0 ||
        read_class_names(&r, ck) != 0 || read_fingerprint(&r, ck) != 0)
        status = -1;
    free(data);
    if (status != 0)
        nin_checkpoint_free(ck);
    return status;
}

void nin_checkpoint_free(nin_checkpoint *ck)
{
    free(ck->weights);
    free(ck->momentum);
    nin_preprocess_free(&ck->pre);
    nin_free_names(ck->class_names, ck->classes);
    ck->weights = ck->momentum = NULL;
    ck->class_names = NULL;
}
