#!/bin/sh
# man-commands.sh - the help2man include section that lists each subcommand's own --help, for nin-cl.1.
#
#     sh docs/man-commands.sh ./nin-cl > nin-cl-commands.h2m
#
# The commands are read from the "commands:" list of `nin-cl --help`, so a new subcommand appears in the page
# without a change here. A command whose `--help` fails or prints nothing on standard output is left out. Each
# help text goes in verbatim (.nf), with roff's special characters escaped.
set -eu
nin_cl=$1
commands=$("$nin_cl" --help | sed -n '/^commands:/,$s/^  \([a-z][a-z0-9-]*\)  .*/\1/p')
[ -n "$commands" ] || { echo "man-commands.sh: no commands in '$nin_cl --help'" >&2; exit 1; }
printf '%s\n' '[COMMANDS]' "Each command's options, as its own \\fB\\-\\-help\\fR prints them:"
for command in $commands; do
    text=$("$nin_cl" "$command" --help 2>/dev/null < /dev/null) || continue
    [ -n "$text" ] || continue
    printf '.SS "nin\\-cl %s"\n.nf\n' "$command"
    printf '%s\n' "$text" | sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
    printf '.fi\n'
done
