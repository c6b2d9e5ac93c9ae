#!/bin/sh
# layering.sh - the direction of dependencies (HACKING.md): every source file belongs to one layer of the stack
#
#   0 error -> 1 runtime (devices, kernels, GEMM, tuning file; the data a network reads: netdef, datasets,
#   images, preprocessing) -> 2 layers -> 3 net -> 4 {budget, tune, health, checkpoint, dist, selftest,
#   localize, onnx} -> 5 {train, model} -> 6 command line
#
# and may include headers of, and call functions defined in, its own layer or those below it; nothing includes
# or calls upward. Also: the installed library imports no exit(), abort() or the standard streams, so it
# can neither end nor print on its own. Run from the build tree (make check) or as
#   tests/layering.sh SRCDIR [LIBNIN.so]
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
src=${1:-${NIN_TEST_SRCDIR:-$(dirname "$0")}/..}
lib=${2:-${NIN_LIBNIN:-.libs/libnin.so}}

# layer_of FILE: the layer of a source or header file (by its base name), or nothing when it is not placed
layer_of() {
    case $(basename "$1") in
    error.c|error.h) echo 0 ;;
    runtime.c|tuning.c|clblast_params.c|rng.c|runtime.h|runtime_impl.h|netdef.c|netdef.h|dataset.c|dataset_formats.c|fingerprint.c|\
    dataset_images.c|data.h|image.c|image.h|image_impl.h|jpeg.c|preprocess.c|preprocess.h|download.c|download.h|\
    draw.c|draw.h|onnx.pb-c.c|onnx.pb-c.h) echo 1 ;;
    conv.c|pool.c|dropout.c|gap.c|batchnorm.c|softmax.c|sgd.c|layer.h) echo 2 ;;
    net.c|net.h|net_impl.h) echo 3 ;;
    budget.c|budget.h|tune.c|tune.h|health.c|health.h|checkpoint.c|checkpoint.h|dist.c|dist.h|selftest.c|\
    localize.c|localize.h|onnx.h|onnx_*.c|onnx_*.h|model_file.c) echo 4 ;;
    train.c|train.h|nin.h|rundir.c|rundir.h|schedule.c|model.c|model.h) echo 5 ;;
    nin-cl.c|cli*.c|cli*.h) echo 6 ;;
    esac
}

files=$(ls "$src"/src/*.c "$src"/src/*.h "$src"/include/nin/*.h)

# Every file is placed: a new file must be given its layer here.
for f in $files; do
    [ -n "$(layer_of "$f")" ] || bad "$(basename "$f") has no layer in tests/layering.sh"
done

# Includes: "x.h" and <nin/x.h> of a file name a header of its layer or below.
for f in $files; do
    mine=$(layer_of "$f")
    [ -n "$mine" ] || continue
    for h in $(sed -n 's/^#include [<"]\(nin\/\)\{0,1\}\([a-z_]*\.h\)[>"].*/\2/p' "$f"); do
        theirs=$(layer_of "$h")
        [ -z "$theirs" ] && continue   # a system header
        [ "$theirs" -le "$mine" ] || bad "$(basename "$f") (layer $mine) includes $h (layer $theirs)"
    done
done

# Calls: the library's functions are defined, one per line start, as "type nin_name(" in src/*.c; a file calls
# only functions of its layer or below.
defs=$(mktemp)
trap 'rm -f "$defs"' EXIT
for f in "$src"/src/*.c; do
    grep -o '^[a-z][a-z_ 0-9]*[ *]\(nin_[a-z_0-9]*\)(' "$f" | sed 's/.*\(nin_[a-z_0-9]*\)(/\1/' |
        sed "s|\$| $(layer_of "$f") $(basename "$f")|"
done > "$defs"
[ "$(wc -l < "$defs")" -gt 100 ] || bad "found only $(wc -l < "$defs") function definitions: the pattern is stale"
for f in "$src"/src/*.c; do
    mine=$(layer_of "$f")
    [ -n "$mine" ] || continue
    for fn in $(grep -o '\bnin_[a-z_0-9]*[ ]*(' "$f" | tr -d ' (' | sort -u); do
        set -- $(grep "^$fn " "$defs" | head -1)
        [ $# -eq 3 ] || continue   # a macro or a function pointer type
        [ "$2" -le "$mine" ] || bad "$(basename "$f") (layer $mine) calls $fn of $3 (layer $2)"
    done
done
[ $fail -eq 0 ] && ok "no include or call runs upward ($(wc -l < "$defs") library functions, $(echo "$files" | wc -w) files)"

# The library never ends the process or writes to the standard streams itself.
if [ -f "$lib" ]; then
    imports=$(nm -D --undefined-only "$lib" | awk '{ print $NF }' | sed 's/@.*//' |
              grep -x 'exit\|_exit\|abort\|stdout\|stderr\|puts\|printf\|perror' | tr '\n' ' ')
    [ -z "$imports" ] && ok "$(basename "$lib") imports no exit, abort, printf or standard stream" \
        || bad "$(basename "$lib") imports $imports"
else
    bad "no library at $lib"
fi
finish layering
