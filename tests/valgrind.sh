#!/bin/sh
# valgrind.sh - valgrind memcheck of a short training on PoCL (.ci/run runs it; not part of make check, it
# takes a minute or two):  tests/valgrind.sh [NIN_CL]
#
# Three training steps of a small network on a synthetic set, a checkpoint written, then resumed for two more,
# then two steps on a folder of JPEG, PNG, PPM and PGM pictures (the decoding threads, libjpeg, libpng, the
# class names in the checkpoint): every subsystem a run goes through. It must end with "definitely lost: 0 bytes" and no invalid access or use
# of uninitialised memory. PoCL's own blocks are "still reachable" or, for its worker threads' TLS, "possibly
# lost", neither of which counts here; tests/valgrind.supp says what is suppressed (leaks inside PoCL and LLVM
# while they compile kernels, a read in glibc's ld.so). The tuning directory is private so that a tuning file
# of the user's does not change what runs.
set -eu
SRC=$(cd "$(dirname "$0")" && pwd)
NIN_CL=${1:-./nin-cl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# libjpeg-turbo's SIMD code reads what memcheck cannot follow (false "uninitialised" reports in every JPEG
# decoded): its plain-C path, which decodes the same pictures, is what valgrind checks
export JSIMD_FORCENONE=1
export NIN_CACHE_DIR=${NIN_CACHE_DIR:-$tmp/cache} NIN_KERNEL_DIR=${NIN_KERNEL_DIR:-$SRC/../cl} NIN_TUNING_DIR=$tmp/tuning
python3 "$SRC/make_synthetic.py" "$tmp/data" 300 50
"${NIN_PYTHON:-/usr/bin/python3}" "$SRC/make_images.py" learnable "$tmp/pics" --classes 3 --train 12 --test 4
TRAIN="train mnist --data $tmp/data --net 8c5p2-mp3s2-8c3p1-10c1l-gap --batch 16 --val-size 32 --warmup 2"
PICS="train images --data $tmp/pics --size 16 --net 8c3p1-mp2s2-8c1l-gap --batch 8 --val-size 8 --warmup 2"
# Under valgrind's CPU PoCL names the device differently (e.g. pthread-haswell), so the kernels are compiled and
# cached for that name by a run under valgrind's plain core, which is much faster than memcheck.
"$(dirname "$NIN_CL")/libtool" --mode=execute valgrind --tool=none --log-file="$tmp/warm.vg" \
    "$NIN_CL" $TRAIN --max-steps 1 --out "$tmp/warm" > "$tmp/warm.out" 2>&1 || { cat "$tmp/warm.out"; exit 1; }
status=0
for run in train resume images; do
    case $run in
    train) args="$TRAIN --max-steps 3 --out $tmp/run" ;;
    resume) args="train --resume $tmp/run/last.nin --max-steps 2" ;;
    images) args="$PICS --max-steps 2 --out $tmp/pics-run" ;;
    esac
    "$(dirname "$NIN_CL")/libtool" --mode=execute valgrind --tool=memcheck --leak-check=full \
        --errors-for-leak-kinds=definite --show-leak-kinds=definite --error-exitcode=3 \
        --suppressions="$SRC/valgrind.supp" --log-file="$tmp/$run.vg" \
        "$NIN_CL" $args > "$tmp/$run.out" 2>&1 \
        || { echo "valgrind $run: exit $?"; cat "$tmp/$run.out"; status=1; }
    echo "=== valgrind memcheck, $run: nin-cl $args"
    grep -E 'definitely lost|indirectly lost|ERROR SUMMARY|suppressed:' "$tmp/$run.vg" | sed 's/^==[0-9]*== *//'
    grep -q 'definitely lost: 0 bytes\|no leaks are possible' "$tmp/$run.vg" || status=1
    grep -q 'ERROR SUMMARY: 0 errors' "$tmp/$run.vg" || { status=1; cat "$tmp/$run.vg"; }
done
exit $status
