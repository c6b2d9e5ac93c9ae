/* fingerprint.c - fingerprints of loaded data (nin/data.h): a checkpoint keeps the fingerprint of the data its
 * run was trained on, so that a --resume against other data, and a test on the very images a model was
 * trained on, are noticed. The decoded images are hashed, not the files: a changed file is caught whatever
 * its name or size, and the same pictures in another order or format are the same data.
 *
 * Each image's bytes get a CRC32 (zlib), spread to 64 bits by the counter-based mixer of rng.c; a split's
 * fingerprint is the count and the sums of those hashes (with and without the label), so it does not depend
 * on the order of the images and two parts join by adding. */
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <nin/data.h>
#include <nin/netdef.h>

#define LABEL_STREAM 0x1abe1ULL

nin_split_fingerprint nin_fingerprint_split(const uint8_t *images, const int *labels, int count, size_t dim)
{
    nin_split_fingerprint f = { count, 0, 0 };
    for (int i = 0; i < count; i++) {
        uint64_t crc = crc32(0L, images + (size_t)i * dim, (uInt)dim);
        uint64_t image = nin_random_key(crc, dim, 0);
        f.images += image;
        f.labels += nin_random_key(image, LABEL_STREAM, (uint64_t)(uint32_t)labels[i]);
    }
    return f;
}

nin_split_fingerprint nin_fingerprint_join(nin_split_fingerprint a, nin_split_fingerprint b)
{
    return (nin_split_fingerprint){ a.count + b.count, a.images + b.images, a.labels + b.labels };
}

int nin_fingerprint_equal(const nin_split_fingerprint *a, const nin_split_fingerprint *b)
{
    return a->count == b->count && a->images == b->images && a->labels == b->labels;
}

const char *nin_fingerprint_trained_on(const nin_data_fingerprint *run, const nin_split_fingerprint *split)
{
    nin_split_fingerprint both = nin_fingerprint_join(run->train, run->val);
    if (!run->dataset[0] || split->count == 0)
        return NULL;
    if (nin_fingerprint_equal(split, &run->train))
        return "training";
    if (run->val.count > 0 && nin_fingerprint_equal(split, &run->val))
        return "validation";
    if (run->val.count > 0 && nin_fingerprint_equal(split, &both))
        return "training and validation";
    return NULL;
}

/* The per-channel pixel means and deviations as "33.3/78.6" (one channel) or "125.3,122.9,113.9/..." */
static void format_statistics(const nin_data_fingerprint *f, char *out, size_t size)
{
    int channels = f->std[2] > 0.0f ? 3 : f->std[1] > 0.0f ? 2 : 1;
    size_t used = 0;
    for (int pass = 0; pass < 2 && used < size; pass++)
        for (int c = 0; c < channels && used < size; c++)
            used += snprintf(out + used, size - used, "%s%.2f", c ? "," : pass ? "/" : "",
                             pass ? f->std[c] : f->mean[c]);
}

/* One split's difference ("the training images differ"), or "" when it is the same. */
static void split_difference(const char *name, const nin_split_fingerprint *was, const nin_split_fingerprint *now,
                             char *out, size_t size)
{
    if (was->count != now->count)
        snprintf(out, size, "the %s split has %lld images, the run's had %lld", name, (long long)now->count,
                 (long long)was->count);
    else if (was->images != now->images)
        snprintf(out, size, "the %s images differ", name);
    else if (was->labels != now->labels)
        snprintf(out, size, "the %s labels differ", name);
    else
        out[0] = '\0';
}

/* Append `clause` to out after ", " (or first). */
static void append_clause(char *out, size_t size, const char *clause)
{
    size_t used = strlen(out);
    if (used < size)
        snprintf(out + used, size - used, "%s%s", used ? ", " : "", clause);
}

/* "; the validation and test splits are the same" for the n splits named in same[], after out. */
static void append_same(char *out, size_t size, const char *const *same, int n)
{
    size_t used = strlen(out);
    for (int i = 0; i < n && used < size; i++)
        used += snprintf(out + used, size - used, "%s%s", i == 0 ? "; the " : i + 1 < n ? ", " : " and ", same[i]);
    if (n > 0 && used < size)
        snprintf(out + used, size - used, n > 1 ? " splits are the same" : " split is the same");
}

int nin_fingerprint_compare(const nin_data_fingerprint *was, const nin_data_fingerprint *now, char *out,
                            size_t size)
{
    static const char *const names[] = { "training", "validation", "test" };
    const nin_split_fingerprint *before[] = { &was->train, &was->val, &was->test };
    const nin_split_fingerprint *after[] = { &now->train, &now->val, &now->test };
    const char *same[3];
    char clause[256], stats_was[96], stats_now[96];
    int differ = 0, same_count = 0;
    out[0] = '\0';
    if (strcmp(was->dataset, now->dataset) != 0) {
        snprintf(clause, sizeof clause, "the dataset is %s, the run's was %s", now->dataset, was->dataset);
        append_clause(out, size, clause);
        differ++;
    }
    format_statistics(was, stats_was, sizeof stats_was);
    format_statistics(now, stats_now, sizeof stats_now);
    for (int s = 0; s < 3; s++) {
        split_difference(names[s], before[s], after[s], clause, sizeof clause);
        if (!clause[0]) {
            same[same_count++] = names[s];
            continue;
        }
        if (s == 0 && strcmp(stats_was, stats_now) != 0)   /* what the preprocessing was fitted on */
            snprintf(clause + strlen(clause), sizeof clause - strlen(clause),
                     " (pixel mean/std %s, the run's %s)", stats_now, stats_was);
        append_clause(out, size, clause);
        differ++;
    }
    if (differ)
        append_same(out, size, same, same_count);
    return differ;
}
