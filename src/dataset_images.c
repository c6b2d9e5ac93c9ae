/* dataset_images.c - the `images` dataset: the user's own pictures, one folder per class.
 *
 * Layouts: DIR/train/<class>/ with DIR/test/<class>/ (or DIR/val/<class>/), as most image sets ship; or
 * DIR/<class>/ alone, from which a seeded, stratified fraction of every class is held out for testing.
 * Classes are the folder names in byte order (torchvision's ImageFolder order, so that class indices agree).
 *
 * Order. Class c's files are sorted by path, then shuffled by a Fisher-Yates keyed by (seed, c); with a
 * held-out split its first round(F n_c) files are the test images. The training images of all classes are
 * then interleaved by relative position: file i of class c sorts by (i + 1/2) / n_c, ties by class. Every
 * tail of that order is stratified, so the validation images, which nin-cl takes from the end of the
 * training split, hold each class in proportion, whatever the file names say.
 *
 * Decoding. Each file is read once, on one thread per core, through nin_image_load_scaled (JPEG's DCT scaling
 * already shrinks a photo to near the size wanted) and nin_image_fit (shorter side to `size` with an area
 * filter, centre crop). A file that cannot be read is an error naming it, before any training starts; with
 * skip_bad such files are left out and counted instead. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <nin/data.h>
#include <nin/error.h>
#include <nin/image.h>
#include <nin/netdef.h>

#define MAX_DEPTH 16               /* folders inside a class folder: a symbolic-link loop ends here */
#define MAX_IMAGES 4000000
#define MAX_THREADS 64
#define SHUFFLE_STREAM 0x1A6E5     /* the random stream of the per-class shuffle (rng.c) */

static const char *const extensions[] = { ".jpg", ".jpeg", ".png", ".pgm", ".ppm", ".pnm" };
#define EXTENSIONS ".jpg, .jpeg, .png, .pgm, .ppm or .pnm"

void nin_images_options_default(nin_images_options *o)
{
    *o = (nin_images_options){ .size = NIN_IMAGES_SIZE, .channels = 3, .test_split = NIN_IMAGES_TEST_SPLIT,
                               .seed = 1 };
}

/* --- lists of strings ----------------------------------------------------------------------------------- */

typedef struct strings { char **items; int count, capacity; } strings;

/* Append a copy of text; -1 when out of host memory. */
static int strings_add(strings *s, const char *text)
{
    if (s->count == s->capacity) {
        int capacity = s->capacity ? 2 * s->capacity : 64;
        char **grown = realloc(s->items, (size_t)capacity * sizeof *grown);
        if (!grown)
            return -1;
        s->items = grown;
        s->capacity = capacity;
    }
    return (s->items[s->count] = strdup(text)) ? (s->count++, 0) : -1;
}

static void strings_free(strings *s)
{
    for (int i = 0; i < s->count; i++)
        free(s->items[i]);
    free(s->items);
    *s = (strings){ 0 };
}

static int by_bytes(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void strings_sort(strings *s)
{
    if (s->count > 1)
        qsort(s->items, (size_t)s->count, sizeof *s->items, by_bytes);
}

/* "a/b" in a new string, or NULL when out of host memory. */
static char *path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* --- walking the folders ------------------------------------------------------------------------------ */

typedef struct scan {
    char *err;
    size_t err_size;
} scan;

static int out_of_memory(const scan *s) { return nin_set_error(s->err, s->err_size, "out of host memory"); }

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_image_name(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof extensions / sizeof extensions[0]; i++) {
        size_t e = strlen(extensions[i]);
        if (n > e && strcasecmp(name + n - e, extensions[i]) == 0)
            return 1;
    }
    return 0;
}

/* The visible entries of folder `dir` that are folders (want_dirs) or image files, sorted, each as
 * prefix/name ("" prefix: the name alone). Symbolic links count as what they point to. */
static int list_entries(const scan *s, const char *dir, const char *prefix, int want_dirs, strings *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return nin_set_error(s->err, s->err_size, "%s: cannot open: %s", dir, strerror(errno));
    int status = 0;
    for (struct dirent *e; status == 0 && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char *full = path_join(dir, e->d_name), *entry = path_join(prefix, e->d_name);
        struct stat st;
        if (!full || !entry)
            status = out_of_memory(s);
        else if (stat(full, &st) == 0 && (want_dirs ? S_ISDIR(st.st_mode)
                                                    : S_ISREG(st.st_mode) && is_image_name(e->d_name)))
            status = strings_add(out, *prefix ? entry : e->d_name) ? out_of_memory(s) : 0;
        free(full);
        free(entry);
    }
    closedir(d);
    strings_sort(out);
    return status;
}

/* Every image file under root/rel (rel "" for root itself), as paths relative to root. */
static int walk(const scan *s, const char *root, const char *rel, int depth, strings *out)
{
    char *dir = *rel ? path_join(root, rel) : strdup(root);
    strings subdirs = { 0 };
    int status = !dir ? out_of_memory(s)
                      : list_entries(s, dir, rel, 0, out) || list_entries(s, dir, rel, 1, &subdirs) ? -1 : 0;
    for (int i = 0; status == 0 && i < subdirs.count; i++)
        status = depth >= MAX_DEPTH ? nin_set_error(s->err, s->err_size, "%s/%s: folders nested more than %d deep "
                                                    "(a symbolic link loop?)", root, subdirs.items[i], MAX_DEPTH)
                                    : walk(s, root, subdirs.items[i], depth + 1, out);
    strings_free(&subdirs);
    free(dir);
    return status;
}

/* The image files of class folder root/name, sorted by their path in it; none is an error. */
static int class_files(const scan *s, const char *root, const char *name, strings *out)
{
    char *dir = path_join(root, name);
    int status = !dir ? out_of_memory(s) : walk(s, dir, "", 0, out);
    if (status == 0)
        strings_sort(out);
    for (int i = 0; status == 0 && i < out->count; i++) {   /* sorted by the path in the folder, then made whole */
        char *full = path_join(dir, out->items[i]);
        status = full ? 0 : out_of_memory(s);
        free(out->items[i]);
        out->items[i] = full;
    }
    if (status == 0 && out->count == 0)
        status = nin_set_error(s->err, s->err_size, "%s: an empty class folder (no " EXTENSIONS " files)", dir);
    free(dir);
    return status;
}

/* --- the layout --------------------------------------------------------------------------------------- */

typedef struct layout {
    char *train, *test;   /* the folders holding the class folders; test NULL: held out from train */
    strings classes;
} layout;

static void layout_free(layout *l)
{
    free(l->train);
    free(l->test);
    strings_free(&l->classes);
}

/* Which folders hold the training and test classes. */
static int find_split_folders(const scan *s, const char *dir, layout *l)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return nin_set_error(s->err, s->err_size, "%s: cannot open: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return nin_set_error(s->err, s->err_size, "%s is not a folder (images wants a folder of class folders)", dir);
    char *train = path_join(dir, "train"), *test = path_join(dir, "test"), *val = path_join(dir, "val");
    int status = 0;
    if (!train || !test || !val)
        status = out_of_memory(s);
    else if (is_dir(train) && !is_dir(test) && !is_dir(val))
        status = nin_set_error(s->err, s->err_size, "%s has a train/ folder but no test/ or val/ beside it (or put "
                               "the class folders in %s itself to hold out --test-split)", dir, dir);
    else if (!is_dir(train) && (is_dir(test) || is_dir(val)))
        status = nin_set_error(s->err, s->err_size, "%s has a %s/ folder but no train/ beside it", dir,
                               is_dir(test) ? "test" : "val");
    else if (is_dir(train)) {
        l->train = train, train = NULL;
        l->test = is_dir(test) ? test : val;
        *(is_dir(test) ? &test : &val) = NULL;
    } else if (!(l->train = strdup(dir)))
        status = out_of_memory(s);
    free(train);
    free(test);
    free(val);
    return status;
}

/* The split folders and the classes: at least two, and the test folder's the same as training's. */
static int find_layout(const scan *s, const char *dir, layout *l)
{
    if (find_split_folders(s, dir, l) != 0 || list_entries(s, l->train, "", 1, &l->classes) != 0)
        return -1;
    if (l->classes.count == 0)
        return nin_set_error(s->err, s->err_size, "%s: no class folders (images wants DIR/train/<class>/ and "
                             "DIR/test/<class>/, or DIR/<class>/, holding " EXTENSIONS " files)", l->train);
    if (l->classes.count == 1)
        return nin_set_error(s->err, s->err_size, "%s: only one class folder (%s); a classifier needs at least two",
                             l->train, l->classes.items[0]);
    if (!l->test)
        return 0;
    strings test = { 0 };
    int status = list_entries(s, l->test, "", 1, &test);
    for (int i = 0, j = 0; status == 0 && (i < l->classes.count || j < test.count);) {
        int order = i == l->classes.count ? 1 : j == test.count ? -1 : strcmp(l->classes.items[i], test.items[j]);
        if (order < 0)
            status = nin_set_error(s->err, s->err_size, "%s: no folder for class '%s' (%s has one)", l->test,
                                   l->classes.items[i], l->train);
        else if (order > 0)
            status = nin_set_error(s->err, s->err_size, "%s/%s: a class that %s does not have", l->test,
                                   test.items[j], l->train);
        i++, j++;
    }
    strings_free(&test);
    return status;
}

/* --- which files, in which order ------------------------------------------------------------------------ */

typedef struct item { char *path; int label; } item;

/* Class c's files in the order of its seeded shuffle. */
static void shuffle_class(strings *files, uint64_t seed, int c)
{
    uint64_t key = nin_random_key(seed, SHUFFLE_STREAM, (uint64_t)c);
    for (int i = files->count - 1; i > 0; i--) {
        int j = (int)(nin_random_u32(key, (uint64_t)i) % (uint32_t)(i + 1));
        char *t = files->items[i];
        files->items[i] = files->items[j];
        files->items[j] = t;
    }
}

/* How many of a class's n files a held-out test split takes: round(F n), at least one and not all. */
static int held_out(int n, float fraction)
{
    if (n < 2 || fraction <= 0.0f)
        return 0;
    int k = (int)((double)fraction * n + 0.5);
    return k < 1 ? 1 : k > n - 1 ? n - 1 : k;
}

typedef struct ranked { int c, i, n; } ranked;

/* (i + 1/2) / n ascending, in integers; ties by class. */
static int by_relative_position(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    long long x = (2LL * a->i + 1) * b->n, y = (2LL * b->i + 1) * a->n;
    return x < y ? -1 : x > y ? 1 : a->c - b->c;
}

/* The chosen files of every class (files[c].items[first[c] .. first[c] + count[c])) as items: class after
 * class, or interleaved by relative position. The paths move into the items. */
static item *order_items(strings *files, const int *first, const int *count, int classes, int interleave,
                         int *total)
{
    int n = 0;
    for (int c = 0; c < classes; c++)
        n += count[c];
    ranked *r = malloc((size_t)(n ? n : 1) * sizeof *r);
    item *items = calloc((size_t)(n ? n : 1), sizeof *items);
    if (!r || !items) {
        free(r);
        free(items);
        return NULL;
    }
    for (int c = 0, k = 0; c < classes; c++)
        for (int i = 0; i < count[c]; i++)
            r[k++] = (ranked){ c, i, count[c] };
    if (interleave)
        qsort(r, (size_t)n, sizeof *r, by_relative_position);
    for (int k = 0; k < n; k++) {
        char **slot = &files[r[k].c].items[first[r[k].c] + r[k].i];
        items[k] = (item){ *slot, r[k].c };
        *slot = NULL;
    }
    free(r);
    *total = n;
    return items;
}

/* The files of the split wanted, in its order. */
static item *choose_items(const scan *s, const layout *l, nin_split split, const nin_images_options *o, int *total)
{
    int classes = l->classes.count;
    strings *files = calloc((size_t)classes, sizeof *files);
    int *first = calloc((size_t)classes, sizeof *first), *count = calloc((size_t)classes, sizeof *count);
    const char *root = split == NIN_SPLIT_TEST && l->test ? l->test : l->train;
    int status = files && first && count ? 0 : out_of_memory(s), images = 0;
    for (int c = 0; status == 0 && c < classes; c++) {
        if ((status = class_files(s, root, l->classes.items[c], &files[c])) != 0)
            break;
        int n = files[c].count, test = l->test ? 0 : held_out(n, o->test_split);
        if (!l->test || split == NIN_SPLIT_TRAIN)
            shuffle_class(&files[c], o->seed, c);
        first[c] = split == NIN_SPLIT_TEST ? 0 : test;
        count[c] = split == NIN_SPLIT_TEST && !l->test ? test : n - first[c];
        images += count[c];
        if (images > MAX_IMAGES)
            status = nin_set_error(s->err, s->err_size, "%s: more than %d images", root, MAX_IMAGES);
    }
    item *items = NULL;
    if (status == 0 && images == 0)
        status = nin_set_error(s->err, s->err_size, "%s: no class has enough images to hold out a test split "
                               "(--test-split %g)", root, o->test_split);
    if (status == 0 && !(items = order_items(files, first, count, classes, split == NIN_SPLIT_TRAIN, total)))
        out_of_memory(s);
    for (int c = 0; files && c < classes; c++)
        strings_free(&files[c]);
    free(files);
    free(first);
    free(count);
    return items;
}

/* --- decoding, in parallel ------------------------------------------------------------------------------ */

typedef struct decoder {
    const item *items;
    int count, size, channels;
    uint8_t *images;               /* count x channels x size x size */
    char **errors;                 /* the error line of each file that could not be read, else NULL */
    int next, done;                /* the next file to take, and files finished (atomics) */
} decoder;

static void decode_one(decoder *d, int i)
{
    nin_image img, fitted;
    char err[1200];
    size_t dim = (size_t)d->channels * d->size * d->size;
    if (nin_image_load_scaled(d->items[i].path, d->size, &img, err, sizeof err) != 0) {
        d->errors[i] = strdup(err);
        return;
    }
    if (nin_image_fit(&img, d->channels, d->size, &fitted) != 0) {
        snprintf(err, sizeof err, "%s: %s", d->items[i].path, nin_last_error());
        d->errors[i] = strdup(err);
    } else
        memcpy(d->images + (size_t)i * dim, fitted.pixels, dim);
    nin_image_free(&img);
    nin_image_free(&fitted);
}

static void *decode_worker(void *arg)
{
    decoder *d = arg;
    for (int i; (i = __atomic_fetch_add(&d->next, 1, __ATOMIC_RELAXED)) < d->count;) {
        decode_one(d, i);
        __atomic_add_fetch(&d->done, 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

static int thread_count(const nin_images_options *o, int count)
{
    long n = o->threads > 0 ? o->threads : sysconf(_SC_NPROCESSORS_ONLN);
    n = n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : n;
    return (int)(n < count ? n : count);
}

/* Decode every item into d->images on worker threads, telling progress from this thread. */
static void decode_all(decoder *d, const nin_images_options *o)
{
    pthread_t threads[MAX_THREADS];
    int started = 0, wanted = thread_count(o, d->count);
    while (started < wanted && pthread_create(&threads[started], NULL, decode_worker, d) == 0)
        started++;
    if (started == 0)
        decode_worker(d);   /* no thread could start: decode here */
    for (int done; started && (done = __atomic_load_n(&d->done, __ATOMIC_ACQUIRE)) < d->count;) {
        if (o->progress)
            o->progress(o->progress_arg, done, d->count);
        nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
    }
    for (int t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    if (o->progress)
        o->progress(o->progress_arg, d->count, d->count);
}

/* Unreadable files: an error naming the first (in order), or with skip_bad left out of the arrays. */
static int drop_unreadable(decoder *d, int *labels, const nin_images_options *o, const scan *s, nin_dataset *out)
{
    int bad = 0, first = -1;
    for (int i = 0; i < d->count; i++)
        if (d->errors[i] && bad++ == 0)
            first = i;
    if (bad == 0)
        return 0;
    if (!o->skip_bad)
        return nin_set_error(s->err, s->err_size, "%s (%d of %d images cannot be read; --skip-bad leaves them out)",
                             d->errors[first], bad, d->count);
    if (bad == d->count)
        return nin_set_error(s->err, s->err_size, "none of the %d images can be read (the first: %s)", d->count,
                             d->errors[first]);
    size_t dim = (size_t)d->channels * d->size * d->size;
    int kept = 0;
    for (int i = 0; i < d->count; i++)
        if (!d->errors[i]) {
            memmove(d->images + (size_t)kept * dim, d->images + (size_t)i * dim, dim);
            labels[kept++] = labels[i];
        }
    out->skipped = bad;
    out->first_skipped = d->errors[first];
    d->errors[first] = NULL;
    d->count = kept;
    return 0;
}

/* --- the dataset -------------------------------------------------------------------------------------- */

/* The spec of the folder's dataset, with its class names, in one allocation that out->owned frees. */
static int own_spec(const scan *s, const layout *l, const nin_images_options *o, nin_dataset *out)
{
    int classes = l->classes.count;
    size_t bytes = sizeof(nin_dataset_spec) + (size_t)classes * sizeof(char *);
    for (int c = 0; c < classes; c++)
        bytes += strlen(l->classes.items[c]) + 1;
    nin_dataset_spec *spec = malloc(bytes);
    if (!spec)
        return out_of_memory(s);
    const char **names = (const char **)(spec + 1);
    char *text = (char *)(names + classes);
    for (int c = 0; c < classes; c++) {
        names[c] = strcpy(text, l->classes.items[c]);
        text += strlen(text) + 1;
    }
    *spec = (nin_dataset_spec){ "images", o->channels, o->size, o->size, classes, names, NULL, 0 };
    out->spec = spec;
    out->owned = spec;
    return 0;
}

static int check_options(const scan *s, const nin_images_options *o)
{
    if (o->size < 1 || o->size > 4096 || (o->channels != 1 && o->channels != 3) ||
        !(o->test_split >= 0.0f && o->test_split < 1.0f))
        return nin_set_error(s->err, s->err_size, "images: size %d (1-4096), channels %d (1 or 3) or test split %g "
                             "([0, 1)) out of range", o->size, o->channels, o->test_split);
    return 0;
}

/* Decode the items into out (images, labels, skipped files). */
static int decode_into(const scan *s, const item *items, int count, const nin_images_options *o, nin_dataset *out)
{
    size_t dim = (size_t)o->channels * o->size * o->size;
    decoder d = { .items = items, .count = count, .size = o->size, .channels = o->channels };
    d.images = nin_malloc((size_t)count * dim);
    d.errors = calloc((size_t)count, sizeof *d.errors);
    out->labels = malloc((size_t)count * sizeof *out->labels);
    int status = d.images && d.errors && out->labels ? 0 : out_of_memory(s);
    for (int i = 0; status == 0 && i < count; i++)
        out->labels[i] = items[i].label;
    if (status == 0) {
        decode_all(&d, o);
        status = drop_unreadable(&d, out->labels, o, s, out);
    }
    out->images = d.images;
    out->count = d.count;
    for (int i = 0; d.errors && i < count; i++)
        free(d.errors[i]);
    free(d.errors);
    return status;
}

int nin_images_load(const char *dir, nin_split split, const nin_images_options *o, nin_dataset *out, char *err,
                    size_t err_size)
{
    const scan s = { err, err_size };
    layout l = { 0 };
    item *items = NULL;
    int count = 0;
    memset(out, 0, sizeof *out);
    int status = check_options(&s, o);
    if (status == 0 && split != NIN_SPLIT_TRAIN && split != NIN_SPLIT_TEST)
        status = nin_set_error(err, err_size, "images has train and test splits only");
    if (status == 0)
        status = find_layout(&s, dir, &l) || !(items = choose_items(&s, &l, split, o, &count)) ? -1 : 0;
    if (status == 0)
        status = decode_into(&s, items, count, o, out) || own_spec(&s, &l, o, out) ? -1 : 0;
    for (int i = 0; items && i < count; i++)
        free(items[i].path);
    free(items);
    layout_free(&l);
    if (status != 0)
        nin_dataset_free(out);
    return status;
}
