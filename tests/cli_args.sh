#!/bin/sh
# cli_args.sh - the command line's one parser (src/cli_args.c). Every numeric option and argument of every
# subcommand, as the program itself lists them from its option tables (nin-cl --list-options, so a new option
# cannot escape): a non-number and a value past each end of the range each give exactly one line
# "nin-cl: error: NAME <what it takes>, not 'VALUE'" and exit status 2, and both ends of the range are taken
# (nin-cl --parse-only). Then every command's --help, an unknown option, a missing value, the --resume rule,
# one wording of "unknown dataset", and what a parse gives. Nothing here opens a device or reads a dataset.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tab=$(printf '\t')

# run PREFIX... -- nin-cl ARGS: sets out, err, rc and shown (the command line, for messages)
run() {
    out=$("$NIN_CL" "$@" 2>"$tmp/err"); rc=$?
    err=$(cat "$tmp/err")
    shown="nin-cl $*"
}

# expect_error LINE ARGS...: exactly LINE on stderr, nothing on stdout, exit status 2
expect_error() {
    want=$1
    shift
    run "$@"
    [ $rc -eq 2 ] && [ -z "$out" ] && [ "$err" = "$want" ] && ok "$shown" \
        || bad "$shown gave rc=$rc, stdout '$out', stderr '$err' (want: $want)"
}

# give COMMAND NAME POSITION VALUE [PREFIX...]: run nin-cl with VALUE for the option or argument NAME of
# COMMAND ("-": nin-cl's own option, before selftest). The arguments before it are 1 (a netdef, a number).
give() {
    cmd=$1 name=$2 position=$3 value=$4
    shift 4
    [ "$cmd" = - ] || set -- "$@" "$cmd"
    if [ "$position" = - ]; then
        set -- "$@" "$name" "$value"
    else
        i=0
        while [ $i -lt "$position" ]; do
            set -- "$@" 1
            i=$((i + 1))
        done
        set -- "$@" "$value"
    fi
    [ "$cmd" != - ] || set -- "$@" selftest
    run "$@"
}

refused() {   # COMMAND NAME POSITION WHAT VALUE
    give "$1" "$2" "$3" "$5"
    want="nin-cl: error: $2 $4, not '$5'"
    [ $rc -eq 2 ] && [ -z "$out" ] && [ "$err" = "$want" ] && ok "$shown: one line, exit 2" \
        || bad "$shown gave rc=$rc, stdout '$out', stderr '$err' (want: $want)"
}

taken() {   # COMMAND NAME POSITION VALUE
    give "$1" "$2" "$3" "$4" --parse-only
    [ $rc -eq 0 ] && ok "$shown is taken" || bad "$shown gave rc=$rc: $err"
}

# a bound, or one past it, as a number the parser reads back exactly
at() { awk -v v="$1" -v d="$2" -v k="$3" 'BEGIN { printf(k == "float" ? "%.17g" : "%.0f", v + d) }'; }

list=$("$NIN_CL" --list-options); rc=$?
count=$(echo "$list" | grep -c .)
# train alone has 17: a table that stopped being read would show here
[ $rc -eq 0 ] && [ "$count" -ge 30 ] && ok "--list-options: $count numeric options and arguments" \
    || bad "--list-options gave rc=$rc, $count lines: $list"

while IFS=$tab read -r cmd name kind min max position what; do
    case $kind in
    shape)
        lo=$(at "$min" 0 int) hi=$(at "$max" 0 int)
        for value in x 3,32 "$lo,$lo,${lo}x" "$(at "$min" -1 int),$lo,$lo" "$lo,$lo,$(at "$max" 1 int)"; do
            refused "$cmd" "$name" "$position" "$what" "$value"
        done
        taken "$cmd" "$name" "$position" "$lo,$lo,$lo"
        taken "$cmd" "$name" "$position" "$hi,$hi,$hi"
        ;;
    int | float)
        other=1.5
        [ "$kind" = int ] || other=nan
        for value in x 12x "" $other "$(at "$min" -1 "$kind")" "$(at "$max" 1 "$kind")"; do
            refused "$cmd" "$name" "$position" "$what" "$value"
        done
        taken "$cmd" "$name" "$position" "$(at "$min" 0 "$kind")"
        taken "$cmd" "$name" "$position" "$(at "$max" 0 "$kind")"
        ;;
    *) bad "$cmd $name: unknown kind '$kind'" ;;
    esac
done <<EOF
$list
EOF

# The exact lines that scripts and the other tests know.
expect_error "nin-cl: error: --batch takes a whole number from 1 to 65536, not '0'" train mnist --batch 0
expect_error "nin-cl: error: --lr takes a number from 1e-09 to 100, not 'fast'" train mnist --lr fast
expect_error "nin-cl: error: --threshold takes a fraction in [0, 1), not '1'" maps --threshold 1
expect_error "nin-cl: error: --device must be a device index (see nin-cl --devices), not 'x'" --device x selftest
expect_error "nin-cl: error: --on-stall takes warn or stop, not 'later'" train mnist --on-stall later
expect_error "nin-cl: error: --preprocess takes standardize, zca or lcn, not 'pca'" train mnist --preprocess pca
# The learning-rate schedule and what belongs to it (train checks them before it opens a device or reads data).
expect_error "nin-cl: error: --schedule takes plateau, step or cosine, not 'linear'" train mnist --schedule linear
expect_error "nin-cl: error: --schedule step needs --lr-steps E1,E2,...: the epochs after which the learning rate is \
divided by 10" train mnist --schedule step
for steps in 60,30 5,5 0 -3 3, ,3 3,,4 x 2.5 "" 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17; do
    expect_error "nin-cl: error: --lr-steps takes up to 16 epochs, increasing whole numbers from 1 such as 30,60, not \
'$steps'" train mnist --schedule step --lr-steps="$steps"
done
expect_error "nin-cl: error: --lr-steps is for --schedule step, not plateau" train mnist --lr-steps 30
expect_error "nin-cl: error: --lr-steps is for --schedule step, not cosine" train mnist --schedule cosine --lr-steps 30
expect_error "nin-cl: error: --patience is for --schedule plateau, not cosine" train mnist --schedule cosine --patience 2
expect_error "nin-cl: error: --min-lr is for --schedule plateau, not step" train mnist --schedule step --lr-steps 3 \
    --min-lr 0.1
expect_error "nin-cl: error: --min-lr 0.07 is not below --lr 0.07: the plateau rule would stop before the first step" \
    train mnist --min-lr 0.07
run --parse-only train mnist --schedule cosine --bias-lr-mult 2
echo "$out" | grep -qx -- '--schedule=cosine' && echo "$out" | grep -qx -- '--bias-lr-mult=2' \
    && echo "$out" | grep -qx -- '--class-lr-mult=1' && echo "$out" | grep -qx -- '--lr-steps=' \
    && ok "train: --schedule, --bias-lr-mult and the defaults of the others" || bad "train parse: $out"
run --device 7 --parse-only selftest
[ $rc -eq 0 ] && ok "--device 7 is parsed; only opening it can fail" || bad "$shown: rc=$rc $err"

# One wording of an unknown dataset, wherever a dataset is named.
for line in "train imagenet" "test --model m.nin imagenet" "download imagenet" \
    "maps --model m.nin --dataset imagenet"; do
    # shellcheck disable=SC2086
    run $line
    [ $rc -eq 2 ] && [ "$(echo "$err" | wc -l)" -eq 1 ] \
        && echo "$err" | grep -q "^nin-cl: error: unknown dataset 'imagenet' (one of: mnist, .*svhn[,)]" \
        && ok "$shown: unknown dataset" || bad "$shown gave rc=$rc: $err"
done

# Every command: --help is a usage line and option lines (two spaces, then the option) and exits 0; an unknown
# option is one line and exit 2.
commands=$("$NIN_CL" --help | sed -n '/^commands:$/,$p' | sed -n 's/^  \([a-z]*\) .*/\1/p')
[ "$(echo "$commands" | wc -w)" -eq 13 ] && ok "nin-cl --help lists 13 commands" || bad "commands: $commands"
for cmd in $commands; do
    run "$cmd" --help
    help=$out
    if [ $rc -eq 0 ] && echo "$help" | head -1 | grep -q "^Usage: nin-cl $cmd" \
        && echo "$help" | grep -q '^  --help  *this text$'; then
        ok "$cmd --help"
    else
        bad "$cmd --help: rc=$rc: $help"
    fi
    missing=$(echo "$list" | awk -F "$tab" -v c="$cmd" '$1 == c { print $2 }' | while read -r option; do
        echo "$help" | grep -Eq "^  $option( |$)" || echo "$option"
    done)
    [ -z "$missing" ] && ok "$cmd --help has a line for each numeric option and argument" \
        || bad "$cmd --help lacks: $missing"
    expect_error "nin-cl: error: unknown option '--no-such-option' for $cmd (see nin-cl $cmd --help)" "$cmd" \
        --no-such-option
done
run --help
echo "$out" | head -1 | grep -q '^Usage: nin-cl ' && echo "$out" | grep -q '^  --device N ' && ok "nin-cl --help" \
    || bad "nin-cl --help: $out"
expect_error "nin-cl: error: unknown option '--no-such-option' (see nin-cl --help)" --no-such-option selftest
expect_error "nin-cl: error: --batch needs a value: --batch N" inspect --model m.nin --batch
expect_error "nin-cl: error: --augment takes no value, not '1'" train mnist --augment=1
expect_error "nin-cl: error: unexpected argument 'x' for selftest (see nin-cl selftest --help)" selftest x
expect_error "nin-cl: error: predict needs --model FILE (see nin-cl predict --help)" predict a.png

# --resume goes on with the checkpoint's settings: only the options marked so in the table may go with it.
resume_rule="--resume goes on with the checkpoint's settings; only --data, --out, --keep-epochs, --epochs, --max-steps,"
expect_error "nin-cl: error: --lr: $resume_rule --on-stall, --stall-steps and --data-changed can change" \
    train --resume "$tmp/last.nin" --epochs 5 --lr 0.5
expect_error "nin-cl: error: --schedule: $resume_rule --on-stall, --stall-steps and --data-changed can change" \
    train --resume "$tmp/last.nin" --schedule cosine
run train --resume "$tmp/nowhere/last.nin" --data d --out o --epochs 5 --max-steps 9 --on-stall stop --stall-steps 9 \
    --keep-epochs 2 --overwrite --data-changed ok --dry-run
[ $rc -eq 1 ] && echo "$err" | grep -q 'nowhere/last.nin' \
    && ok "--resume with every option it allows: on to reading the checkpoint" \
    || bad "$shown: rc=$rc $err"

# What a parse gives: --name=value, an unambiguous beginning, -o, arguments between options, the defaults.
run --parse-only maps a.png --model=m.nin b.png --thr 0.25 -o out.png
echo "$out" | grep -qx 'IMAGE=a.png b.png' && echo "$out" | grep -qx -- '--model=m.nin' \
    && echo "$out" | grep -qx -- '--threshold=0.25' && echo "$out" | grep -qx -- '--output=out.png' \
    && echo "$out" | grep -qx -- '--top=3' \
    && ok "maps: --name=value, a beginning, -o, arguments between options, defaults" \
    || bad "maps parse: $out"
run --parse-only info -- 8c3-gap 1 2 3
echo "$out" | grep -qx 'NETDEF|PRESET=8c3-gap' && echo "$out" | grep -qx 'WIDTH=3' && ok "info: arguments after --" \
    || bad "info parse: $out"

finish cli_args
