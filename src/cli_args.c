/* cli_args.c - the one command-line parser of nin-cl: reads a subcommand's option table (cli_args.h) to
 * parse its arguments, to word every command-line error and to write its --help. Whole numbers, numbers,
 * choices and dataset names are converted here and nowhere else, so each has one error wording. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <nin/nin.h>
#include "cli.h"

#define HELP_WIDTH 100       /* help lines are wrapped to this many columns */
#define HELP_COLUMN_MAX 24   /* where the help of an option starts, at most */

static int parse_only;

void cli_set_parse_only(int on) { parse_only = on; }

static int option_count(const cli_command *cmd)
{
    int n = 0;
    while (cmd->options[n].name)
        n++;
    return n;
}

static int is_argument(const cli_option *o) { return (o->flags & CLI_ARGUMENT) != 0; }

/* How errors and the help name it: --batch, or DATASET for an argument. */
static const char *display_name(const cli_option *o, char *buf, size_t size)
{
    snprintf(buf, size, is_argument(o) ? "%s" : "--%s", o->name);
    return buf;
}

static void *field(const cli_option *o, void *args) { return (char *)args + o->offset; }
static const void *const_field(const cli_option *o, const void *args) { return (const char *)args + o->offset; }

/* --- values ------------------------------------------------------------------------------------------ */

/* words[0..n) into buf as "a, b or c" (sep ", ", last " or "), each after prefix. */
static void join(char *buf, size_t size, const char *const *words, int n, const char *prefix, const char *sep,
                 const char *last)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && used < size; i++)
        used += snprintf(buf + used, size - used, "%s%s%s", i == 0 ? "" : i + 1 < n ? sep : last, prefix, words[i]);
}

static int choice_count(const cli_option *o)
{
    int n = 0;
    while (o->choices[n])
        n++;
    return n;
}

/* What a value must be, as the error says it after the option's name: "takes a whole number from 1 to 64". */
static void expectation(const cli_option *o, char *buf, size_t size)
{
    char choices[256];
    if (o->expects) {
        snprintf(buf, size, "%s", o->expects);
        return;
    }
    switch (o->kind) {
    case CLI_INT:
    case CLI_SEED: snprintf(buf, size, "takes a whole number from %.0f to %.0f", o->min, o->max); break;
    case CLI_FLOAT: snprintf(buf, size, "takes a number from %g to %g", o->min, o->max); break;
    case CLI_SHAPE:
        snprintf(buf, size, "takes C,H,W, e.g. 3,32,32, each a whole number from %.0f to %.0f", o->min, o->max);
        break;
    case CLI_CHOICE:
        join(choices, sizeof choices, o->choices, choice_count(o), "", ", ", " or ");
        snprintf(buf, size, "takes %s", choices);
        break;
    default: snprintf(buf, size, "takes a value"); break;
    }
}

static void __attribute__((noreturn)) bad_value(const cli_option *o, const char *as, const char *text)
{
    char what[300], name[64];
    expectation(o, what, sizeof what);
    cli_usage_error("%s %s, not '%s'", as ? as : display_name(o, name, sizeof name), what, text);
}

/* A whole decimal number in [min, max] at the start of text; *end is set after it. 0, or -1. */
static int whole_number(const char *text, char **end, double min, double max, long *v)
{
    errno = 0;
    *v = strtol(text, end, 10);
    return errno || *end == text || *v < min || *v > max ? -1 : 0;
}

static long parse_whole(const cli_option *o, const char *as, const char *text)
{
    char *end;
    long v;
    if (whole_number(text, &end, o->min, o->max, &v) != 0 || *end)
        bad_value(o, as, text);
    return v;
}

static double parse_number(const cli_option *o, const char *as, const char *text)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= o->min && v <= o->max))
        bad_value(o, as, text);
    return v;
}

static int parse_choice(const cli_option *o, const char *as, const char *text)
{
    for (int i = 0; o->choices[i]; i++)
        if (strcmp(text, o->choices[i]) == 0)
            return i;
    bad_value(o, as, text);
}

static nin_shape parse_shape(const cli_option *o, const char *as, const char *text)
{
    long v[3];
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        char *end;
        if (whole_number(p, &end, o->min, o->max, &v[i]) != 0 || *end != (i < 2 ? ',' : '\0'))
            bad_value(o, as, text);
        p = end + 1;
    }
    return (nin_shape){ (int)v[0], (int)v[1], (int)v[2] };
}

const nin_dataset_spec *cli_find_dataset(const char *name)
{
    const nin_dataset_spec *spec = nin_dataset_find(name);
    if (!spec)
        cli_usage_error("unknown dataset '%s' (one of: %s)", name, nin_dataset_names());
    return spec;
}

static void set_value(const cli_option *o, const char *as, const char *text, void *args)
{
    void *at = field(o, args);
    switch (o->kind) {
    case CLI_FLAG: *(int *)at = 1; break;
    case CLI_INT: *(int *)at = (int)parse_whole(o, as, text); break;
    case CLI_SEED: *(uint64_t *)at = (uint64_t)parse_whole(o, as, text); break;
    case CLI_FLOAT: *(float *)at = (float)parse_number(o, as, text); break;
    case CLI_STRING: *(const char **)at = text; break;
    case CLI_CHOICE: *(int *)at = parse_choice(o, as, text); break;
    case CLI_DATASET: *(const nin_dataset_spec **)at = cli_find_dataset(text); break;
    case CLI_SHAPE: *(nin_shape *)at = parse_shape(o, as, text); break;
    case CLI_REST: break;   /* filled by cli_parse from the arguments */
    }
}

static const cli_option *find_option(const cli_command *cmd, const char *name)
{
    for (const cli_option *o = cmd->options; o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    fprintf(stderr, "nin-cl: internal error: %s has no option '%s'\n", cmd->name, name);
    abort();
}

void cli_set_value(const cli_command *cmd, const char *name, const char *as, const char *text, void *args)
{
    set_value(find_option(cmd, name), as, text, args);
}

int cli_given(const cli_command *cmd, const cli_parsed *parsed, const char *name)
{
    return (parsed->given >> (find_option(cmd, name) - cmd->options) & 1) != 0;
}

/* The value at o in args as text, for the help's default and --parse-only; 0 when there is none to show. */
static int format_value(const cli_option *o, const void *args, char *buf, size_t size)
{
    const void *at = const_field(o, args);
    const nin_shape *s = at;
    const cli_list *list = at;
    switch (o->kind) {
    case CLI_FLAG: return snprintf(buf, size, "%d", *(const int *)at), 1;
    case CLI_INT: return snprintf(buf, size, "%d", *(const int *)at), 1;
    case CLI_SEED: return snprintf(buf, size, "%llu", (unsigned long long)*(const uint64_t *)at), 1;
    case CLI_FLOAT: return snprintf(buf, size, "%g", *(const float *)at), 1;
    case CLI_STRING: return *(char *const *)at ? snprintf(buf, size, "%s", *(char *const *)at), 1 : 0;
    case CLI_CHOICE: return snprintf(buf, size, "%s", o->choices[*(const int *)at]), 1;
    case CLI_DATASET: {
        const nin_dataset_spec *spec = *(const nin_dataset_spec *const *)at;
        return spec ? snprintf(buf, size, "%s", spec->name), 1 : 0;
    }
    case CLI_SHAPE: return snprintf(buf, size, "%d,%d,%d", s->c, s->h, s->w), 1;
    case CLI_REST: return join(buf, size, (const char *const *)list->items, list->count, "", " ", " "), list->count > 0;
    }
    return 0;
}

/* --- the command line -------------------------------------------------------------------------------- */

/* One item of the command line: an option with its value text, or an argument (option < 0). */
typedef struct token {
    int option;
    const char *text;
} token;

/* The option --text names (text without the dashes, up to '='): an exact name, else the one name it begins. */
static int match_long(const cli_command *cmd, const char *text, size_t len)
{
    int found = -1, matches = 0;
    for (int i = 0; cmd->options[i].name; i++) {
        const cli_option *o = &cmd->options[i];
        if (is_argument(o) || strncmp(o->name, text, len) != 0)
            continue;
        if (strlen(o->name) == len)
            return i;
        found = i;
        matches++;
    }
    return matches == 1 ? found : -1;
}

static int match_short(const cli_command *cmd, char c)
{
    for (int i = 0; cmd->options[i].name; i++)
        if (cmd->options[i].short_name == c && c)
            return i;
    return -1;
}

static void __attribute__((noreturn)) unknown_option(const cli_command *cmd, const char *arg)
{
    cli_usage_error("unknown option '%s'%s%s (see nin-cl%s%s --help)", arg, *cmd->name ? " for " : "", cmd->name,
                    *cmd->name ? " " : "", cmd->name);
}

/* An argument that starts with '-' is still an argument when it is a negative number. */
static int is_option_text(const char *arg)
{
    return arg[0] == '-' && arg[1] && !(arg[1] >= '0' && arg[1] <= '9') && arg[1] != '.';
}

/* The option at argv[*i] and its value (the rest after '=' or -o, else the next argument). */
static token read_option(const cli_command *cmd, int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *value = NULL;
    int index;
    if (arg[1] == '-') {
        const char *eq = strchr(arg + 2, '=');
        index = match_long(cmd, arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
        value = eq ? eq + 1 : NULL;
    } else {
        index = match_short(cmd, arg[1]);
        value = arg[2] ? arg + 2 : NULL;
    }
    if (index < 0)
        unknown_option(cmd, arg);
    const cli_option *o = &cmd->options[index];
    char name[64];
    if (o->kind == CLI_FLAG && value)
        cli_usage_error("%s takes no value, not '%s'", display_name(o, name, sizeof name), value);
    if (o->kind != CLI_FLAG && !value) {
        if (*i + 1 >= argc)
            cli_usage_error("%s needs a value: %s %s", display_name(o, name, sizeof name), name,
                            o->metavar ? o->metavar : "VALUE");
        value = argv[++*i];
    }
    return (token){ index, value };
}

static int is_help(const char *arg) { return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0; }

/* Split argv into tokens; a CLI_VERBATIM argument takes the rest of the line as it is. Returns the count;
 * *help is set when --help was among the options. */
static int tokenize(const cli_command *cmd, int argc, char **argv, token *tokens, int *help)
{
    int n = 0, options_end = 0, verbatim = 0;
    for (const cli_option *o = cmd->options; o->name; o++)
        verbatim |= (o->flags & CLI_VERBATIM) != 0;
    for (int i = 1; i < argc; i++) {
        if (!options_end && strcmp(argv[i], "--") == 0)
            options_end = 1;
        else if (!options_end && is_help(argv[i]))
            *help = 1;
        else if (!options_end && is_option_text(argv[i]))
            tokens[n++] = read_option(cmd, argc, argv, &i);
        else {
            tokens[n++] = (token){ -1, argv[i] };
            options_end |= verbatim;
        }
    }
    return n;
}

/* The index in the table of the argument that the k-th argument on the line fills, or -1. */
static int argument_slot(const cli_command *cmd, int k)
{
    for (int i = 0, seen = 0; cmd->options[i].name; i++) {
        const cli_option *o = &cmd->options[i];
        if (!is_argument(o))
            continue;
        if (seen == k || o->kind == CLI_REST)
            return i;
        seen++;
    }
    return -1;
}

/* Store one argument: a typed one into its field, one of a CLI_REST into its list (argv, reordered in place:
 * its first `arguments` slots after argv[0] hold the arguments in order). */
static void set_argument(const cli_command *cmd, char **argv, const token *t, cli_parsed *p, void *args)
{
    int slot = argument_slot(cmd, p->arguments);
    if (slot < 0)
        cli_usage_error("unexpected argument '%s' for %s (see nin-cl %s --help)", t->text, cmd->name, cmd->name);
    const cli_option *o = &cmd->options[slot];
    argv[1 + p->arguments] = (char *)t->text;
    if (o->kind == CLI_REST) {
        cli_list *list = field(o, args);
        if (list->count++ == 0)
            list->items = &argv[1 + p->arguments];
    } else {
        set_value(o, NULL, t->text, args);
    }
    p->given |= UINT64_C(1) << slot;
    p->arguments++;
}

/* "--batch N", "-o, --output FILE" (with_short), "--head gap|fc", "DATASET", "IMAGE..." */
static void option_label(const cli_option *o, int with_short, char *buf, size_t size)
{
    char choices[256] = "";
    const char *metavar = o->metavar;
    if (!metavar && o->kind == CLI_CHOICE) {
        join(choices, sizeof choices, o->choices, choice_count(o), "", "|", "|");
        metavar = choices;
    }
    if (is_argument(o))
        snprintf(buf, size, "%s%s", o->name, o->kind == CLI_REST ? "..." : "");
    else if (o->short_name && with_short)
        snprintf(buf, size, "-%c, --%s%s%s", o->short_name, o->name, metavar ? " " : "", metavar ? metavar : "");
    else
        snprintf(buf, size, "--%s%s%s", o->name, metavar ? " " : "", metavar ? metavar : "");
}

static void check_required(const cli_command *cmd, const cli_parsed *p)
{
    char label[300];
    for (int i = 0; cmd->options[i].name; i++) {
        const cli_option *o = &cmd->options[i];
        if ((o->flags & CLI_REQUIRED) && !(p->given >> i & 1)) {
            option_label(o, 0, label, sizeof label);
            cli_usage_error("%s needs %s (see nin-cl %s --help)", cmd->name, label, cmd->name);
        }
    }
}

/* With cmd->restricted_by given, an option without CLI_KEEPS_RUN is an error naming it and the options with a
 * value that can change (a flag such as --dry-run may go along but changes no setting). */
static void check_restriction(const cli_command *cmd, const cli_parsed *p, int last_restricted)
{
    if (!cmd->restricted_by || !cli_given(cmd, p, cmd->restricted_by) || last_restricted < 0)
        return;
    char allowed[512] = "";
    const char *names[64];
    int n = 0;
    for (const cli_option *o = cmd->options; o->name; o++)
        if ((o->flags & CLI_KEEPS_RUN) && !is_argument(o) && o->kind != CLI_FLAG &&
            strcmp(o->name, cmd->restricted_by) != 0)
            names[n++] = o->name;
    join(allowed, sizeof allowed, names, n, "--", ", ", " and ");
    cli_usage_error("--%s: %s; only %s can change", cmd->options[last_restricted].name, cmd->restriction, allowed);
}

/* --parse-only: every option's and argument's value, given or default. */
static void print_values(const cli_command *cmd, const void *args)
{
    char value[4096], name[64];
    for (const cli_option *o = cmd->options; o->name; o++)
        if (!(o->flags & CLI_HIDDEN))
            printf("%s=%s\n", display_name(o, name, sizeof name),
                   format_value(o, args, value, sizeof value) ? value : "");
}

cli_parsed cli_parse(const cli_command *cmd, int argc, char **argv, void *args)
{
    cli_parsed p = { 0, 0 };
    token tokens[argc > 1 ? argc : 1];
    int help = 0, last_restricted = -1;
    if (option_count(cmd) > 64) {
        fprintf(stderr, "nin-cl: internal error: %s has more than 64 options\n", cmd->name);
        abort();
    }
    int n = tokenize(cmd, argc, argv, tokens, &help);
    if (help) {
        cli_print_help(cmd, args, stdout);
        exit(0);
    }
    for (int t = 0; t < n; t++) {
        if (tokens[t].option < 0) {
            set_argument(cmd, argv, &tokens[t], &p, args);
            continue;
        }
        const cli_option *o = &cmd->options[tokens[t].option];
        set_value(o, NULL, tokens[t].text, args);
        p.given |= UINT64_C(1) << tokens[t].option;
        if (!(o->flags & CLI_KEEPS_RUN))
            last_restricted = tokens[t].option;
    }
    if (parse_only && *cmd->name) {   /* a subcommand's line, not nin-cl's own options */
        print_values(cmd, args);
        exit(0);
    }
    check_required(cmd, &p);
    check_restriction(cmd, &p, last_restricted);
    return p;
}

/* --- help -------------------------------------------------------------------------------------------- */

/* The help sentence with its default: "(default 128)", or the dataset names for a dataset. */
static void option_text(const cli_option *o, const void *args, char *buf, size_t size)
{
    char value[256];
    int used = snprintf(buf, size, "%s", o->help ? o->help : "");
    if (o->kind == CLI_DATASET)
        used += snprintf(buf + used, size - used, " (one of: %s)", nin_dataset_names());
    if (o->shown_default && *o->shown_default)
        snprintf(buf + used, size - used, " (default: %s)", o->shown_default);
    else if (!o->shown_default && o->kind != CLI_FLAG && o->kind != CLI_REST &&
             format_value(o, args, value, sizeof value))
        snprintf(buf + used, size - used, " (default %s)", value);
}

/* Print text from column `indent` (the cursor is there), wrapped at HELP_WIDTH. */
static void print_wrapped(FILE *out, const char *text, int indent)
{
    int column = indent;
    while (*text) {
        size_t word = strcspn(text, " ");
        if (column > indent && column + 1 + (int)word > HELP_WIDTH) {
            fprintf(out, "\n%*s", indent, "");
            column = indent;
        } else if (column > indent) {
            fputc(' ', out);
            column++;
        }
        fprintf(out, "%.*s", (int)word, text);
        column += (int)word;
        text += word;
        text += strspn(text, " ");
    }
    fputc('\n', out);
}

/* "  LABEL   help text", the help from `column` on. */
static void print_entry(FILE *out, const char *label, const char *text, int column)
{
    int width = fprintf(out, "  %s", label);
    if (width + 2 > column)   /* a long label: its help on the next line */
        fprintf(out, "\n%*s", column, "");
    else
        fprintf(out, "%*s", column - width, "");
    print_wrapped(out, text, column);
}

/* Where the help texts start: after the longest label, at most HELP_COLUMN_MAX. */
static int help_column(const cli_command *cmd)
{
    int column = 10;
    char label[300];
    for (const cli_option *o = cmd->options; o->name; o++) {
        option_label(o, 1, label, sizeof label);
        int w = (int)strlen(label) + 4;
        if (!(o->flags & CLI_HIDDEN) && w > column)
            column = w;
    }
    return column < HELP_COLUMN_MAX ? column : HELP_COLUMN_MAX;
}

/* The arguments, or the options and --help, under a heading. */
static void print_section(const cli_command *cmd, const void *args, FILE *out, int arguments, int column)
{
    char label[300], text[1200];
    int shown = 0;
    for (const cli_option *o = cmd->options; o->name; o++) {
        if (is_argument(o) != arguments || (o->flags & CLI_HIDDEN))
            continue;
        if (!shown++)
            fprintf(out, "\n%s:\n", arguments ? "arguments" : "options");
        option_label(o, 1, label, sizeof label);
        option_text(o, args, text, sizeof text);
        print_entry(out, label, text, column);
    }
    if (!arguments) {
        if (!shown)
            fprintf(out, "\noptions:\n");
        print_entry(out, "--help", "this text", column);
    }
}

void cli_print_help(const cli_command *cmd, const void *args, FILE *out)
{
    int column = help_column(cmd);
    fprintf(out, "Usage: nin-cl%s%s%s%s\n", *cmd->name ? " " : "", cmd->name, *cmd->synopsis ? " " : "",
            cmd->synopsis);
    if (*cmd->name) {
        fputc('\n', out);
        print_wrapped(out, cmd->summary, 0);
    }
    print_section(cmd, args, out, 1, column);
    print_section(cmd, args, out, 0, column);
    if (cmd->subcommands) {
        fprintf(out, "\ncommands:\n");
        for (int i = 0; cmd->subcommands[i]; i++)
            print_entry(out, cmd->subcommands[i]->name, cmd->subcommands[i]->summary, column);
    }
    if (cmd->about) {
        fputc('\n', out);
        print_wrapped(out, cmd->about, 0);
    }
}

void cli_list_numeric(const cli_command *cmd, FILE *out)
{
    char what[300], name[64], position[16];
    for (int i = 0, argument = 0; cmd->options[i].name; i++) {
        const cli_option *o = &cmd->options[i];
        int numeric = o->kind == CLI_INT || o->kind == CLI_SEED || o->kind == CLI_FLOAT || o->kind == CLI_SHAPE;
        if (is_argument(o))
            snprintf(position, sizeof position, "%d", argument++);
        else
            snprintf(position, sizeof position, "-");
        if (!numeric)
            continue;
        expectation(o, what, sizeof what);
        const char *kind = o->kind == CLI_FLOAT ? "float" : o->kind == CLI_SHAPE ? "shape" : "int";
        fprintf(out, "%s\t%s\t%s\t%.17g\t%.17g\t%s\t%s\n", *cmd->name ? cmd->name : "-",
                display_name(o, name, sizeof name), kind, o->min, o->max, position, what);
    }
}
