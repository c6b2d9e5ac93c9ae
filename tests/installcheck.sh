#!/bin/sh
# installcheck.sh - make installcheck (installcheck-local in Makefile.am): the copy installed at a prefix serves a
# program that embeds libnin. Every public header is installed; pkg-config finds nin (its private requirements
# too); examples/classify.c compiles against the installed headers and library with `pkg-config --cflags --libs
# nin` alone, and classifies, with a model the installed nin-cl trained briefly (kernels from the installed
# copy), what the installed `nin-cl predict` does; the installed python/nin.py loads the model with NumPy.
# Environment (from make): NIN_TEST_SRCDIR, CC, PKG_CONFIG, NIN_INSTALLED_{BINDIR,LIBDIR,INCLUDEDIR,PYTHONDIR},
# NIN_KERNEL_DIR (the installed kernels).
. "$NIN_TEST_SRCDIR/testlib.sh"
src=$NIN_TEST_SRCDIR/..
FASHION=${NIN_FASHION_DIR:-/usr/share/datasets/fashion-mnist}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PKG_CONFIG_PATH="$NIN_INSTALLED_LIBDIR/pkgconfig" NIN_CACHE_DIR="$tmp/cache" NIN_TUNING_DIR="$tmp/tuning"
# the installed copy's own library, whatever rpath a `make install prefix=...` left in its program
export LD_LIBRARY_PATH="$NIN_INSTALLED_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
NIN_CL=$NIN_INSTALLED_BINDIR/nin-cl

missing=
for h in "$src"/include/nin/*.h; do
    [ -f "$NIN_INSTALLED_INCLUDEDIR/nin/$(basename "$h")" ] || missing="$missing $(basename "$h")"
done
[ -z "$missing" ] && ok "every public header is installed" || bad "not installed:$missing"

flags=$($PKG_CONFIG --cflags --libs nin 2>&1) && $PKG_CONFIG --static --libs nin > /dev/null 2>&1 \
    && ok "pkg-config nin: $flags" || bad "pkg-config nin in $PKG_CONFIG_PATH: $flags"
# shellcheck disable=SC2086
$CC "$src/examples/classify.c" -o "$tmp/classify" $flags > "$tmp/cc.log" 2>&1 \
    && ok "examples/classify.c builds with pkg-config --cflags --libs nin" || bad "cc: $(cat "$tmp/cc.log")"
ldd "$tmp/classify" 2>/dev/null | grep -q "$NIN_INSTALLED_LIBDIR/libnin.so" \
    && ok "classify runs on the installed libnin" || bad "classify's libnin: $(ldd "$tmp/classify" | grep nin)"

if [ ! -f "$FASHION/t10k-images-idx3-ubyte.gz" ]; then
    echo "note: no Fashion-MNIST in $FASHION (Debian's dataset-fashion-mnist): nothing classified"
    finish installcheck
fi
"$NIN_CL" train fashion-mnist --data "$FASHION" --net 8c3p1-mp3s2-10c1l-gap --batch 32 --val-size 32 \
    --train-limit 200 --max-steps 10 --out "$tmp/run" > "$tmp/train.log" 2>&1 \
    && ok "the installed nin-cl trains" || bad "installed nin-cl train: $(tail -1 "$tmp/train.log")"
{ printf 'P5 28 28 255\n'; gzip -dc "$FASHION/t10k-images-idx3-ubyte.gz" | tail -c +17 | head -c 784; } > "$tmp/0.pgm"
"$tmp/classify" "$tmp/run/last.nin" "$tmp/0.pgm" > "$tmp/classify.txt" 2>&1 \
    || bad "classify: $(cat "$tmp/classify.txt")"
"$NIN_CL" predict --model "$tmp/run/last.nin" "$tmp/0.pgm" > "$tmp/predict.txt" 2>&1 \
    || bad "predict: $(cat "$tmp/predict.txt")"
# the name of the first class line: fields $1 (from 1: classify's "  NAME PROB", 2: predict's "  1. NAME PROB")
top_class() {
    sed -n 2p | awk -v first="$1" '{ name = $first; for (f = first + 1; f < NF; f++) name = name " " $f; print name }'
}
mine=$(top_class 1 < "$tmp/classify.txt")
theirs=$(top_class 2 < "$tmp/predict.txt")
[ -n "$mine" ] && [ "$mine" = "$theirs" ] && ok "classify's top class is the installed nin-cl predict's: $mine" \
    || bad "classify: $(cat "$tmp/classify.txt"); predict: $(cat "$tmp/predict.txt")"

if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    out=$(PYTHONPATH="$NIN_INSTALLED_PYTHONDIR" NIN_LIBRARY="$NIN_INSTALLED_LIBDIR/libnin.so.0" /usr/bin/python3 -c '
import sys, numpy as np, nin
m = nin.Model(sys.argv[1])
print(nin.__file__, m.predict(np.zeros((3, 28, 28), np.uint8)).shape)' "$tmp/run/last.nin" 2>&1)
    [ "$out" = "$NIN_INSTALLED_PYTHONDIR/nin.py (3, 10)" ] && ok "the installed nin.py predicts" || bad "nin.py: $out"
else
    echo "note: no NumPy for /usr/bin/python3 (Debian's python3-numpy): the installed nin.py is not tried"
fi
finish installcheck
