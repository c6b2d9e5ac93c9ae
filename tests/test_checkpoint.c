/* test_checkpoint.c - checkpoint round trip (every field, ZCA included), and rejection of corrupt files:
 * a flipped byte (CRC32), bad magic, another version, truncation, a missing file; the fingerprint of the
 * data a run was trained on (what it catches, what it names) and its round trip; a file written before the
 * learning-rate schedules and multipliers; the step schedule's list of epochs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <nin/train.h>
#include "harness.h"

static char dir[64];

static void make_checkpoint(nin_checkpoint *ck, nin_preprocess_kind kind)
{
    memset(ck, 0, sizeof *ck);
    nin_train_config_defaults(&ck->config, "cifar10");
    snprintf(ck->config.out_dir, sizeof ck->config.out_dir, "%s", dir);
    ck->config.augment = 1;
    ck->config.seed = 99;
    ck->config.preprocess = kind;
    ck->config.keep_epochs = 3;
    ck->config.out_policy = NIN_OUT_OVERWRITE;
    ck->config.data_changed_ok = 1;
    ck->config.schedule = NIN_SCHEDULE_STEP;
    ck->config.lr_steps[0] = 30, ck->config.lr_steps[1] = 60;
    ck->config.bias_lr_mult = 2.0f, ck->config.class_lr_mult = 0.1f;
    ck->input = (nin_shape){ 3, 4, 4 };
    ck->classes = 10;
    ck->pre.kind = kind;
    ck->pre.shape = ck->input;
    ck->pre.mean[2] = 113.87f;
    ck->pre.std[0] = 62.99f;
    size_t dim = 48;
    if (kind == NIN_PREPROCESS_ZCA) {
        ck->pre.zca_mean = malloc(dim * sizeof(float));
        ck->pre.zca = malloc(dim * dim * sizeof(float));
        random_fill(ck->pre.zca_mean, dim, 5);
        random_fill(ck->pre.zca, dim * dim, 6);
    }
    snprintf(ck->data.dataset, sizeof ck->data.dataset, "cifar10");
    ck->data.train = (nin_split_fingerprint){ 45000, 0x1234567890abcdefULL, 42 };
    ck->data.test = (nin_split_fingerprint){ 10000, 7, 8 };
    ck->data.mean[1] = 122.9f;
    ck->state = (nin_train_state){ 3, 17, 1234567, 0.001f, 0.875f, 2, 12.5, 77, 96 };
    ck->params = 1000;
    ck->weights = malloc(ck->params * sizeof(float));
    ck->momentum = malloc(ck->params * sizeof(float));
    random_fill(ck->weights, ck->params, 7);
    random_fill(ck->momentum, ck->params, 8);
}

static char *path_in_dir(const char *name)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return path;
}

START_TEST(test_round_trip)
{
    nin_preprocess_kind kind = _i ? NIN_PREPROCESS_ZCA : NIN_PREPROCESS_STANDARDIZE;
    nin_checkpoint a, b;
    char err[512];
    make_checkpoint(&a, kind);
    ck_assert_msg(nin_checkpoint_save(path_in_dir("a.nin"), &a, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(nin_checkpoint_load(path_in_dir("a.nin"), &b, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(b.config.dataset, "cifar10");
    ck_assert_str_eq(b.config.netdef, a.config.netdef);
    ck_assert_str_eq(b.config.out_dir, dir);
    ck_assert_int_eq(b.config.batch, 128);
    ck_assert_int_eq(b.config.augment, 1);
    ck_assert(b.config.lr == a.config.lr && b.config.min_lr == a.config.min_lr);
    ck_assert(b.config.seed == 99 && b.config.preprocess == kind);
    ck_assert(b.config.schedule == NIN_SCHEDULE_STEP && b.config.lr_steps[0] == 30 && b.config.lr_steps[1] == 60 &&
              b.config.lr_steps[2] == 0);
    ck_assert(b.config.bias_lr_mult == 2.0f && b.config.class_lr_mult == 0.1f);
    ck_assert(b.input.c == 3 && b.input.h == 4 && b.input.w == 4 && b.classes == 10);
    ck_assert(b.pre.kind == kind && b.pre.mean[2] == 113.87f && b.pre.std[0] == 62.99f);
    ck_assert(memcmp(&a.state, &b.state, sizeof a.state) == 0);
    ck_assert_int_eq(b.config.keep_epochs, 3);
    ck_assert(b.config.out_policy == NIN_OUT_NEW && b.config.data_changed_ok == 0);   /* not kept */
    ck_assert(memcmp(&a.data, &b.data, sizeof a.data) == 0);
    ck_assert_uint_eq(b.params, 1000);
    ck_assert(memcmp(a.weights, b.weights, 1000 * sizeof(float)) == 0);
    ck_assert(memcmp(a.momentum, b.momentum, 1000 * sizeof(float)) == 0);
    if (kind == NIN_PREPROCESS_ZCA) {
        ck_assert(memcmp(a.pre.zca, b.pre.zca, 48 * 48 * sizeof(float)) == 0);
        ck_assert(memcmp(a.pre.zca_mean, b.pre.zca_mean, 48 * sizeof(float)) == 0);
    }
    nin_checkpoint_free(&a);
    nin_checkpoint_free(&b);
}
END_TEST

/* The class names travel in the file; without them a built-in dataset's checkpoint takes its dataset's. */
START_TEST(test_class_names)
{
    static char *names[10] = { "tulip", "rose", "dandelion", "sun flower", "daisy", "éclair", "a", "b", "c", "d" };
    nin_checkpoint a, b;
    char err[512];
    make_checkpoint(&a, NIN_PREPROCESS_STANDARDIZE);
    ck_assert_msg(nin_checkpoint_save(path_in_dir("plain.nin"), &a, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(nin_checkpoint_load(path_in_dir("plain.nin"), &b, err, sizeof err) == 0, "%s", err);
    ck_assert(b.class_names && strcmp(b.class_names[9], "truck") == 0);   /* cifar10's */
    nin_checkpoint_free(&b);

    snprintf(a.config.dataset, sizeof a.config.dataset, "images");
    a.config.image_size = 48, a.config.image_channels = 1, a.config.test_split = 0.25f, a.config.skip_bad = 1;
    ck_assert(nin_checkpoint_save(path_in_dir("images.nin"), &a, err, sizeof err) == 0);
    ck_assert(nin_checkpoint_load(path_in_dir("images.nin"), &b, err, sizeof err) == 0);
    ck_assert(b.class_names == NULL);   /* an image folder's classes have no names but those it stores */
    ck_assert(b.config.image_size == 48 && b.config.image_channels == 1 && b.config.test_split == 0.25f &&
              b.config.skip_bad == 1);
    nin_checkpoint_free(&b);

    a.class_names = names;
    ck_assert(nin_checkpoint_save(path_in_dir("named.nin"), &a, err, sizeof err) == 0);
    a.class_names = NULL;   /* not a's to free */
    ck_assert(nin_checkpoint_load(path_in_dir("named.nin"), &b, err, sizeof err) == 0);
    for (int c = 0; c < 10; c++)
        ck_assert_str_eq(b.class_names[c], names[c]);
    nin_checkpoint_free(&a);
    nin_checkpoint_free(&b);
}
END_TEST

/* 24 tiny 2x2 images with labels, for the fingerprints. */
static void tiny_images(uint8_t *images, int *labels, int count)
{
    for (int i = 0; i < count; i++) {
        for (int p = 0; p < 4; p++)
            images[i * 4 + p] = (uint8_t)(i * 7 + p * 31);
        labels[i] = i % 3;
    }
}

/* The fingerprint: the order of the images does not matter, one pixel or one label does; parts join. */
START_TEST(test_fingerprint_split)
{
    uint8_t images[24 * 4], swapped[24 * 4];
    int labels[24], swapped_labels[24];
    tiny_images(images, labels, 24);
    memcpy(swapped, images, sizeof images);
    memcpy(swapped_labels, labels, sizeof labels);
    memcpy(swapped, images + 5 * 4, 4), memcpy(swapped + 5 * 4, images, 4);   /* images 0 and 5 traded */
    swapped_labels[0] = labels[5], swapped_labels[5] = labels[0];
    nin_split_fingerprint a = nin_fingerprint_split(images, labels, 24, 4);
    nin_split_fingerprint b = nin_fingerprint_split(swapped, swapped_labels, 24, 4);
    ck_assert(nin_fingerprint_equal(&a, &b) && a.count == 24);
    swapped[13] ^= 1;   /* one pixel */
    b = nin_fingerprint_split(swapped, swapped_labels, 24, 4);
    ck_assert(b.images != a.images && b.labels != a.labels);
    swapped[13] ^= 1, swapped_labels[7] = (swapped_labels[7] + 1) % 3;   /* one label */
    b = nin_fingerprint_split(swapped, swapped_labels, 24, 4);
    ck_assert(b.images == a.images && b.labels != a.labels);
    nin_split_fingerprint head = nin_fingerprint_split(images, labels, 20, 4);
    nin_split_fingerprint tail = nin_fingerprint_split(images + 20 * 4, labels + 20, 4, 4);
    nin_split_fingerprint both = nin_fingerprint_join(head, tail);
    ck_assert(nin_fingerprint_equal(&both, &a));
    nin_data_fingerprint run = { "mnist", head, tail, tail, { 0 }, { 0 } };
    ck_assert_str_eq(nin_fingerprint_trained_on(&run, &head), "training");
    ck_assert_str_eq(nin_fingerprint_trained_on(&run, &a), "training and validation");
    ck_assert(nin_fingerprint_trained_on(&run, &b) == NULL);
}
END_TEST

/* What differs is named in one clause, with what is the same. */
START_TEST(test_fingerprint_compare)
{
    uint8_t images[24 * 4];
    int labels[24];
    char what[512];
    tiny_images(images, labels, 24);
    nin_data_fingerprint was = { "mnist", nin_fingerprint_split(images, labels, 20, 4),
                                 nin_fingerprint_split(images + 80, labels + 20, 4, 4),
                                 nin_fingerprint_split(images, labels, 10, 4), { 33.25f }, { 78.5f } };
    nin_data_fingerprint now = was;
    ck_assert_int_eq(nin_fingerprint_compare(&was, &now, what, sizeof what), 0);
    images[63] ^= 0x40;   /* image 15: training only */
    now.train = nin_fingerprint_split(images, labels, 20, 4);
    now.mean[0] = 33.5f;
    ck_assert_int_eq(nin_fingerprint_compare(&was, &now, what, sizeof what), 1);
    ck_assert_str_eq(what, "the training images differ (pixel mean/std 33.50/78.50, the run's 33.25/78.50); "
                           "the validation and test splits are the same");
    now = was;
    labels[21] = 2 - labels[21];
    now.val = nin_fingerprint_split(images + 80, labels + 20, 4, 4);
    now.test.count = 12;
    ck_assert_int_eq(nin_fingerprint_compare(&was, &now, what, sizeof what), 2);
    ck_assert_str_eq(what, "the validation labels differ, the test split has 12 images, the run's had 10; the "
                           "training split is the same");
}
END_TEST

/* A checkpoint without the data section (written before fingerprints) reads as one without a fingerprint. */
START_TEST(test_no_fingerprint)
{
    nin_checkpoint a, b;
    char err[512];
    make_checkpoint(&a, NIN_PREPROCESS_STANDARDIZE);
    memset(&a.data, 0, sizeof a.data);
    ck_assert(nin_checkpoint_save(path_in_dir("old.nin"), &a, err, sizeof err) == 0);
    ck_assert_msg(nin_checkpoint_load(path_in_dir("old.nin"), &b, err, sizeof err) == 0, "%s", err);
    ck_assert(b.data.dataset[0] == '\0' && b.data.train.count == 0);
    nin_checkpoint_free(&a);
    nin_checkpoint_free(&b);
}
END_TEST

/* The file at path with the last `lines` lines of its config section (the first section) removed, its size
 * and CRC32 made right: a checkpoint as a version of nin-cl without those settings wrote it. */
static void drop_config_lines(const char *path, int lines)
{
    FILE *f = fopen(path, "rb");
    static unsigned char data[1 << 16];
    size_t size = fread(data, 1, sizeof data, f);
    fclose(f);
    ck_assert(size < sizeof data && memcmp(data + 16, "config", 7) == 0);
    uint64_t bytes, end;
    memcpy(&bytes, data + 24, 8);
    for (end = bytes - 1; lines > 0; lines -= data[32 + --end] == '\n')
        ;
    end++;   /* just after the newline of the last line kept */
    memmove(data + 32 + end, data + 32 + bytes, size - 32 - bytes);
    size -= bytes - end;
    memcpy(data + 24, &end, 8);
    uint32_t crc = (uint32_t)crc32(0L, data, (uInt)(size - 4));
    memcpy(data + size - 4, &crc, 4);
    f = fopen(path, "wb");
    ck_assert(fwrite(data, 1, size, f) == size);
    fclose(f);
}

/* A checkpoint written before schedules and learning-rate multipliers ran the plateau schedule at 1 and 1. */
START_TEST(test_before_schedules)
{
    nin_checkpoint a, b;
    char err[512];
    make_checkpoint(&a, NIN_PREPROCESS_STANDARDIZE);
    ck_assert(nin_checkpoint_save(path_in_dir("older.nin"), &a, err, sizeof err) == 0);
    drop_config_lines(path_in_dir("older.nin"), 4);   /* schedule, lr_steps, bias_lr_mult, class_lr_mult */
    ck_assert_msg(nin_checkpoint_load(path_in_dir("older.nin"), &b, err, sizeof err) == 0, "%s", err);
    ck_assert(b.config.schedule == NIN_SCHEDULE_PLATEAU && b.config.lr_steps[0] == 0);
    ck_assert(b.config.bias_lr_mult == 1.0f && b.config.class_lr_mult == 1.0f);
    ck_assert(b.config.seed == 99 && b.config.lr == a.config.lr);   /* the lines before them are all there */
    nin_checkpoint_free(&a);
    nin_checkpoint_free(&b);
}
END_TEST

/* The step schedule's epochs: increasing whole numbers from 1, written back as they were read. */
START_TEST(test_lr_steps_text)
{
    static const char *const good[] = { "30,60", "1", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", "" };
    static const char *const bad[] = { "60,30", "5,5", "0", "-3", "3,", ",3", "3,,4", "x", "3.5", " 3", "+3",
                                       "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", "99999999999" };
    int steps[NIN_MAX_LR_STEPS];
    char text[256];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ck_assert_msg(nin_lr_steps_parse(good[i], steps) == 0, "'%s' refused", good[i]);
        nin_lr_steps_format(steps, text, sizeof text);
        ck_assert_str_eq(text, good[i]);
    }
    ck_assert(nin_lr_steps_parse("30,60", steps) == 0 && steps[0] == 30 && steps[1] == 60 && steps[2] == 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(nin_lr_steps_parse(bad[i], steps) == -1, "'%s' taken", bad[i]);
    ck_assert(steps[0] == 30 && steps[1] == 60);   /* a refused list leaves steps as they were */
}
END_TEST

/* Save a good checkpoint, damage it with `damage`, and check the load fails naming `problem`. */
static void expect_rejected(void (*damage)(FILE *f, long size), const char *problem)
{
    nin_checkpoint a, b;
    char err[512] = "";
    make_checkpoint(&a, NIN_PREPROCESS_STANDARDIZE);
    const char *path = path_in_dir("bad.nin");
    ck_assert(nin_checkpoint_save(path, &a, err, sizeof err) == 0);
    FILE *f = fopen(path, "r+b");
    fseek(f, 0, SEEK_END);
    damage(f, ftell(f));
    fclose(f);
    ck_assert(nin_checkpoint_load(path, &b, err, sizeof err) == -1);
    ck_assert_msg(strstr(err, path) && strstr(err, problem), "error '%s' should name %s and '%s'", err, path,
                  problem);
    ck_assert(b.weights == NULL);
    nin_checkpoint_free(&a);
}

static void flip_weight_byte(FILE *f, long size) { fseek(f, size - 2000, SEEK_SET); fputc(0x5a, f); }
static void bad_magic(FILE *f, long size) { (void)size; fseek(f, 0, SEEK_SET); fputs("GARBAGE!", f); }
static void version_two(FILE *f, long size) { (void)size; fseek(f, 8, SEEK_SET); fputc(2, f); }
static void truncate_half(FILE *f, long size) { fflush(f); ck_assert(ftruncate(fileno(f), size / 2) == 0); }

START_TEST(test_rejects_flipped_byte) { expect_rejected(flip_weight_byte, "CRC32 mismatch"); }
END_TEST
START_TEST(test_rejects_bad_magic) { expect_rejected(bad_magic, "bad magic"); }
END_TEST
START_TEST(test_rejects_other_version) { expect_rejected(version_two, "version 2"); }
END_TEST
START_TEST(test_rejects_truncated) { expect_rejected(truncate_half, "CRC32 mismatch"); }
END_TEST

START_TEST(test_missing_file_and_unwritable_dir)
{
    nin_checkpoint a, b;
    char err[512];
    ck_assert(nin_checkpoint_load(path_in_dir("none.nin"), &b, err, sizeof err) == -1);
    ck_assert_msg(strstr(err, "none.nin") && strstr(err, "No such file"), "%s", err);
    make_checkpoint(&a, NIN_PREPROCESS_STANDARDIZE);
    ck_assert(nin_checkpoint_save("/nonexistent-dir/x.nin", &a, err, sizeof err) == -1);
    ck_assert_msg(strstr(err, "/nonexistent-dir/x.nin") != NULL, "%s", err);
    nin_checkpoint_free(&a);
}
END_TEST

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/nin-checkpoint-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    Suite *s = suite_create("checkpoint");
    TCase *tc = tcase_create("checkpoint");
    tcase_add_loop_test(tc, test_round_trip, 0, 2);
    tcase_add_test(tc, test_rejects_flipped_byte);
    tcase_add_test(tc, test_rejects_bad_magic);
    tcase_add_test(tc, test_rejects_other_version);
    tcase_add_test(tc, test_rejects_truncated);
    tcase_add_test(tc, test_missing_file_and_unwritable_dir);
    tcase_add_test(tc, test_class_names);
    tcase_add_test(tc, test_fingerprint_split);
    tcase_add_test(tc, test_fingerprint_compare);
    tcase_add_test(tc, test_no_fingerprint);
    tcase_add_test(tc, test_before_schedules);
    tcase_add_test(tc, test_lr_steps_text);
    suite_add_tcase(s, tc);
    int status = run_suite(s);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return status;
}
