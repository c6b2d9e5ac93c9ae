#!/bin/sh
# fuzz/fuzz.sh - build the libFuzzer harnesses of fuzz/ and run each for a bounded time (`make fuzz` calls it).
#
#     fuzz.sh SRCDIR BUILDDIR TARGET...      environment: FUZZ_SECONDS (30), FUZZ_CC (clang), FUZZ_DEP_CFLAGS,
#                                            FUZZ_DEP_LIBS (the libraries libnin links), FUZZ_LIB_SOURCES
#
# libnin is compiled once with clang and -fsanitize=fuzzer-no-link,address,undefined into BUILDDIR/fuzz-build;
# each harness fuzz/fuzz_TARGET.c links it with -fsanitize=fuzzer, warnings as errors (a harness an API change left
# behind fails to build instead of passing the wrong argument). A run first replays the committed regression
# inputs (fuzz/regressions/TARGET: inputs that crashed nin-cl once), then fuzzes for FUZZ_SECONDS from the seed
# corpus (fuzz/corpus/TARGET) plus what earlier runs found (BUILDDIR/fuzz-build/corpus/TARGET). A crash, a leak,
# undefined behaviour, a call of exit() or a single allocation over 512 MiB (from a small input: a size taken from a header) stops the target, leaves the
# input in BUILDDIR/fuzz-build/crashes/ and makes the script fail. The last lines are one summary per target.
set -eu
src=$(cd "$1" && pwd)
builddir=$2
build=$builddir/fuzz-build
shift 2
seconds=${FUZZ_SECONDS:-30}
cc=${FUZZ_CC:-clang}
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-g -O1 -fno-omit-frame-pointer $sanitize -I$build -I$src -I$src/include -I$src/src -I$builddir/src -DHAVE_CONFIG_H
        -DNIN_SOURCE_KERNEL_DIR=\"$src/cl\" -DNIN_INSTALL_KERNEL_DIR=\"$src/cl\" ${FUZZ_DEP_CFLAGS:-}"
mkdir -p "$build/lib" "$build/crashes"
cp "$builddir/config.h" "$build/config.h"

objects=
for s in ${FUZZ_LIB_SOURCES:?}; do
    case $s in *.c) ;; *) continue ;; esac
    o=$build/lib/$(basename "$s" .c).o
    file=$src/$s
    [ -f "$file" ] || file=$builddir/$s   # generated at build time (the ONNX schema)
    if [ ! -f "$o" ] || [ "$file" -nt "$o" ]; then
        echo "  CC (fuzz)  $s"
        $cc $cflags -fsanitize=fuzzer-no-link -c "$file" -o "$o"
    fi
    objects="$objects $o"
done

status=0
summary=
for t in "$@"; do
    bin=$build/fuzz_$t
    echo "  CCLD (fuzz) fuzz_$t"
    $cc $cflags -Werror -fsanitize=fuzzer "$src/fuzz/fuzz_$t.c" $objects ${FUZZ_DEP_LIBS:-} -o "$bin"
    mkdir -p "$build/corpus/$t"
    log=$build/fuzz_$t.log
    flags="-rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=20 -artifact_prefix=$build/crashes/$t-"
    regressions=0
    if [ -d "$src/fuzz/regressions/$t" ]; then
        regressions=$(find "$src/fuzz/regressions/$t" -type f | wc -l)
        if [ "$regressions" -gt 0 ] && ! "$bin" $flags "$src/fuzz/regressions/$t"/* > "$log.regressions" 2>&1; then
            tail -40 "$log.regressions"
            summary="$summary
fuzz_$t: FAILED on a committed regression input (see $log.regressions)"
            status=1
            continue
        fi
    fi
    if "$bin" $flags -max_total_time="$seconds" -print_final_stats=1 "$build/corpus/$t" "$src/fuzz/corpus/$t" \
        > "$log" 2>&1; then
        result=ok
    else
        result="CRASHED (input in $build/crashes/; log $log)"
        tail -40 "$log"
        status=1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "$build/corpus/$t" "$src/fuzz/corpus/$t" -type f | wc -l)
    summary="$summary
fuzz_$t: ${runs:-0} executions in ${seconds} s (${secs:-0}/s), corpus $corpus, $regressions regression inputs replayed, $result"
done
echo "=== fuzz summary ===$summary"
exit $status
