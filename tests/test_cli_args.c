/* test_cli_args.c - the command-line parser (src/cli_args.c) on a table with every kind of value: where each
 * value lands, --name=value, an unambiguous beginning of a name, -o, arguments between options and after --, a
 * negative number as an argument, which options were given, the --resume kind of restriction; and that every
 * kind of command-line error exits with status 2. (tests/cli_args.sh checks the error lines against nin-cl's
 * own tables.) */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

typedef struct demo_args {
    int number, flag, count, colour, keep;
    float rate;
    const char *name;
    nin_shape shape;
    uint64_t seed;
    const nin_dataset_spec *dataset;
    cli_list files;
} demo_args;

static const char *const colours[] = { "red", "green", "blue", NULL };

#define D(member) offsetof(demo_args, member)
static const cli_option demo_options[] = {
    { .name = "NUMBER", .kind = CLI_INT, .offset = D(number), .min = -10, .max = 10, .flags = CLI_ARGUMENT },
    { .name = "FILE", .kind = CLI_REST, .offset = D(files), .flags = CLI_ARGUMENT },
    { .name = "flag", .kind = CLI_FLAG, .offset = D(flag), .flags = CLI_KEEPS_RUN },
    { .name = "count", .kind = CLI_INT, .offset = D(count), .min = 1, .max = 100 },
    { .name = "colour", .kind = CLI_CHOICE, .offset = D(colour), .choices = colours },
    { .name = "rate", .kind = CLI_FLOAT, .offset = D(rate), .min = 0.0, .max = 1.0 },
    { .name = "name", .short_name = 'n', .kind = CLI_STRING, .offset = D(name), .flags = CLI_KEEPS_RUN },
    { .name = "shape", .kind = CLI_SHAPE, .offset = D(shape), .min = 1, .max = 64 },
    { .name = "seed", .kind = CLI_SEED, .offset = D(seed), .min = 0, .max = 2147483647 },
    { .name = "dataset", .kind = CLI_DATASET, .offset = D(dataset) },
    { .name = "keep", .kind = CLI_FLAG, .offset = D(keep), .flags = CLI_KEEPS_RUN },
    CLI_END,
};
#undef D

static const cli_command demo = {
    .name = "demo", .summary = "a table of every kind", .synopsis = "[NUMBER [FILE...]]", .options = demo_options,
    .restricted_by = "keep", .restriction = "--keep keeps the settings",
};

/* Parse "demo WORDS..." (NULL-terminated) into *a, from the defaults. */
static cli_parsed parse(demo_args *a, const char *const *words)
{
    static char *argv[32];
    int argc = 0;
    argv[argc++] = "demo";
    while (*words && argc < 31)
        argv[argc++] = (char *)*words++;
    argv[argc] = NULL;
    *a = (demo_args){ .count = 7, .rate = 0.5f, .shape = { 3, 32, 32 }, .seed = 1 };
    return cli_parse(&demo, argc, argv, a);
}

START_TEST(test_every_kind)
{
    static const char *const words[] = { "7", "--count=5", "--rate", "0.25", "-n", "x", "a.txt", "--colour", "blue",
                                         "--shape", "3,4,5", "--seed", "2147483647", "--dataset", "mnist", "--flag",
                                         "b.txt", "--", "--c.txt", NULL };
    demo_args a;
    cli_parsed p = parse(&a, words);
    ck_assert_int_eq(a.number, 7);
    ck_assert_int_eq(a.count, 5);
    ck_assert_float_eq(a.rate, 0.25f);
    ck_assert_str_eq(a.name, "x");
    ck_assert_int_eq(a.colour, 2);
    ck_assert(a.shape.c == 3 && a.shape.h == 4 && a.shape.w == 5);
    ck_assert(a.seed == 2147483647u);
    ck_assert_str_eq(a.dataset->name, "mnist");
    ck_assert_int_eq(a.flag, 1);
    ck_assert_int_eq(a.files.count, 3);
    ck_assert_str_eq(a.files.items[0], "a.txt");
    ck_assert_str_eq(a.files.items[1], "b.txt");
    ck_assert_str_eq(a.files.items[2], "--c.txt");
    ck_assert_int_eq(p.arguments, 4);
    ck_assert(cli_given(&demo, &p, "count") && cli_given(&demo, &p, "FILE") && !cli_given(&demo, &p, "keep"));
}
END_TEST

START_TEST(test_defaults_and_beginnings)
{
    static const char *const none[] = { NULL };
    static const char *const short_names[] = { "--cou", "3", "--ra=1", "-nvalue", "-3", NULL };
    demo_args a;
    cli_parsed p = parse(&a, none);
    ck_assert(a.count == 7 && a.rate == 0.5f && !a.name && a.shape.h == 32 && a.seed == 1 && !a.dataset);
    ck_assert(p.given == 0 && p.arguments == 0 && a.files.count == 0);
    p = parse(&a, short_names);
    ck_assert_int_eq(a.count, 3);
    ck_assert_float_eq(a.rate, 1.0f);
    ck_assert_str_eq(a.name, "value");
    ck_assert_int_eq(a.number, -3);   /* a negative number is an argument, not an option */
}
END_TEST

START_TEST(test_restriction_allows_marked)
{
    static const char *const words[] = { "--keep", "--flag", "-n", "x", NULL };
    demo_args a;
    parse(&a, words);
    ck_assert(a.keep && a.flag);
}
END_TEST

/* Each a command-line error: exit status 2. */
static const char *const bad_lines[][5] = {
    { "--count", "x" },     { "--count", "101" },   { "--count", "5x" },     { "--rate", "nan" },
    { "--rate", "1.5" },    { "--colour", "pink" }, { "--shape", "0,1,1" },  { "--shape", "1,1" },
    { "--seed", "-1" },     { "--dataset", "imagenet" }, { "--nope" },       { "--co", "1" },
    { "--count" },          { "--flag=1" },         { "11" },                { "1", "a", "--keep", "--count=2" },
};

START_TEST(test_bad_line)
{
    demo_args a;
    parse(&a, bad_lines[_i]);
    ck_abort_msg("line %d was taken", _i);
}
END_TEST

START_TEST(test_help)
{
    static const char *const words[] = { "--count", "3", "--help", NULL };
    demo_args a;
    parse(&a, words);
    ck_abort_msg("--help returned");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli_args");
    TCase *tc = tcase_create("cli_args");
    tcase_add_test(tc, test_every_kind);
    tcase_add_test(tc, test_defaults_and_beginnings);
    tcase_add_test(tc, test_restriction_allows_marked);
    tcase_add_loop_exit_test(tc, test_bad_line, CLI_EXIT_USAGE, 0, (int)(sizeof bad_lines / sizeof bad_lines[0]));
    tcase_add_exit_test(tc, test_help, 0);
    suite_add_tcase(s, tc);
    SRunner *runner = srunner_create(s);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
