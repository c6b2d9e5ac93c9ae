/* cli_args.h - the option tables of nin-cl's subcommands (internal to the program).
 *
 * Each subcommand declares its options and arguments once, as a table of cli_option: the name, the kind of
 * value and its range, where the value goes in the command's argument struct, the help line. The parser,
 * every range, choice and unknown-option error, the --help text and the --list-options dump the tests read
 * are all made from that table, so an option cannot be parsed one way and documented another.
 *
 * Defaults live in the argument struct itself: the command fills it (nin_train_config_defaults for train, a
 * constant initializer elsewhere) before cli_parse, and --help prints what it holds then.
 *
 * A command-line error (unknown option, a value out of range, a missing or surplus argument) is one line
 * "nin-cl: error: ..." on stderr and exit status CLI_EXIT_USAGE.
 */
#ifndef NIN_CLI_ARGS_H
#define NIN_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_EXIT_USAGE 2   /* the command line is wrong; 1 is for what fails while running it */

typedef enum cli_kind {
    CLI_FLAG,      /* no value: sets an int to 1 */
    CLI_INT,       /* a whole number in [min, max], into an int */
    CLI_SEED,      /* a whole number in [min, max], into a uint64_t */
    CLI_FLOAT,     /* a number in [min, max], into a float */
    CLI_STRING,    /* the text itself, into a const char * */
    CLI_CHOICE,    /* one of `choices`: its index, into an int */
    CLI_DATASET,   /* a dataset's name: its spec, into a const nin_dataset_spec * */
    CLI_SHAPE,     /* C,H,W, each a whole number in [min, max], into a nin_shape */
    CLI_REST,      /* the last argument: every remaining one, into a cli_list */
} cli_kind;

/* cli_option.flags */
#define CLI_ARGUMENT   0x1u   /* an argument, not an option: `name` is what the help calls it (DATASET) */
#define CLI_REQUIRED   0x2u   /* must be given */
#define CLI_KEEPS_RUN  0x4u   /* may go with the command's `restricted_by` option (train: with --resume) */
#define CLI_VERBATIM   0x8u   /* CLI_REST: the first argument ends the options; the rest is passed on as is */
#define CLI_HIDDEN     0x10u  /* left out of --help (the hooks the tests use) */

/* What a CLI_REST argument collects: the arguments in the order given. */
typedef struct cli_list {
    int count;
    char **items;
} cli_list;

typedef struct cli_option {
    const char *name;           /* "batch" for --batch; for an argument, its name in the help (DATASET) */
    cli_kind kind;
    size_t offset;              /* where the value goes in the command's argument struct (offsetof) */
    const char *metavar;        /* "N" in "--batch N"; NULL: from the kind */
    const char *help;           /* one sentence; the default is appended */
    double min, max;            /* CLI_INT, CLI_SEED, CLI_FLOAT, CLI_SHAPE */
    const char *const *choices; /* CLI_CHOICE: NULL-terminated */
    unsigned flags;
    char short_name;            /* 'o' for -o, or 0 */
    const char *shown_default;  /* the default as --help says it; NULL: the struct's value; "": none */
    const char *expects;        /* the error's wording instead of "takes a whole number from MIN to MAX" */
} cli_option;

/* A subcommand: its table and how it runs. */
typedef struct nin_options nin_options;
typedef struct cli_command {
    const char *name;           /* "train"; "" for nin-cl's own options */
    const char *summary;        /* its line in nin-cl --help */
    const char *synopsis;       /* after "Usage: nin-cl NAME " */
    const char *about;          /* a paragraph after the options, or NULL */
    const cli_option *options;  /* ends with an entry whose name is NULL */
    int (*run)(const nin_options *opt, int argc, char **argv);
    const char *restricted_by;  /* an option that only CLI_KEEPS_RUN options may go with, or NULL */
    const char *restriction;    /* why, for the error: "--resume goes on with the checkpoint's settings" */
    const struct cli_command *const *subcommands;   /* nin-cl's own table: the commands, NULL-terminated */
} cli_command;

/* What cli_parse saw besides the values: which options were given and how many arguments. */
typedef struct cli_parsed {
    uint64_t given;             /* bit i: options[i] was on the command line */
    int arguments;              /* how many arguments (not options) */
} cli_parsed;

#define CLI_END { .name = NULL }

/* Parse argv[1..argc) into args by cmd's table; --help prints the help and exits 0. Any error in the command
 * line is one line and exit CLI_EXIT_USAGE. */
cli_parsed cli_parse(const cli_command *cmd, int argc, char **argv, void *args);
/* Whether the option or argument called `name` was given. */
int cli_given(const cli_command *cmd, const cli_parsed *parsed, const char *name);
/* Convert `text` as the option `name` of cmd takes it, into args; `as` names it in an error (NIN_DEVICE). */
void cli_set_value(const cli_command *cmd, const char *name, const char *as, const char *text, void *args);

/* The help text: usage line, arguments, options (their defaults read from args), the about paragraph. */
void cli_print_help(const cli_command *cmd, const void *args, FILE *out);
/* One line per numeric option or argument, for tests/cli_args.sh: COMMAND NAME KIND MIN MAX POSITION ERROR
 * separated by tabs (COMMAND "-" for nin-cl's own options, POSITION "-" for an option). */
void cli_list_numeric(const cli_command *cmd, FILE *out);
/* After this, cli_parse prints the values it parsed (NAME=VALUE) and exits 0 instead of returning: the
 * tests see what a command line gives without running it. */
void cli_set_parse_only(int on);

/* A command-line error: "nin-cl: error: MESSAGE" and exit CLI_EXIT_USAGE. */
void cli_usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
