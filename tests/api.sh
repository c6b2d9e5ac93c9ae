#!/bin/sh
# api.sh - the embedding API as a program uses it: examples/classify (only <nin/nin.h>: a context, a model, its
# predictions of image files, class names) with a briefly trained Fashion-MNIST model gives the top class and
# probability that `nin-cl predict` gives, on test images written here as binary and ASCII PGM, gray PNG and an RGB
# PNG twice the input's size; a missing image or model is libnin's one line naming it, exit status 1.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
CLASSIFY=${NIN_CLASSIFY:-examples/classify}
FASHION=${NIN_FASHION_DIR:-/usr/share/datasets/fashion-mnist}
PYTHON=/usr/bin/python3
if [ ! -f "$FASHION/t10k-images-idx3-ubyte.gz" ] || [ ! -x "$PYTHON" ]; then
    echo "SKIP: needs Fashion-MNIST in $FASHION (Debian's dataset-fashion-mnist) and $PYTHON"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

small_fashion_model "$tmp/run" "$FASHION"
model=$tmp/run/last.nin

# Test images 0-5 of Fashion-MNIST: 0-1 binary PGM, 2 ASCII PGM, 3-4 gray PNG, 5 an RGB PNG of 56 x 56.
"$PYTHON" - "$FASHION/t10k-images-idx3-ubyte.gz" "$tmp" <<'EOF'
import gzip, struct, sys, zlib
images = gzip.open(sys.argv[1]).read()[16:]
def picture(i): return [images[784 * i + 28 * y: 784 * i + 28 * y + 28] for y in range(28)]
def png(path, rows, channels):
    chunk = lambda tag, data: struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data))
    head = struct.pack('>IIBBBBB', len(rows[0]) // channels, len(rows), 8, 0 if channels == 1 else 2, 0, 0, 0)
    raw = b''.join(b'\0' + bytes(r) for r in rows)
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', head) + chunk(b'IDAT', zlib.compress(raw)) +
                           chunk(b'IEND', b''))
for i in (0, 1):
    open('%s/%d.pgm' % (sys.argv[2], i), 'wb').write(b'P5 28 28 255\n' + b''.join(picture(i)))
ascii_rows = '\n'.join(' '.join(map(str, r)) for r in picture(2))
open('%s/2.pgm' % sys.argv[2], 'w').write('P2\n28 28\n255\n' + ascii_rows + '\n')
for i in (3, 4):
    png('%s/%d.png' % (sys.argv[2], i), picture(i), 1)
big = [bytes(v for x in r for _ in range(2) for v in (x, x // 2, 255 - x)) for r in picture(5) for _ in range(2)]
png('%s/5.png' % sys.argv[2], big, 3)
EOF
[ $? -eq 0 ] || bad "could not write the test images"
pictures="$tmp/0.pgm $tmp/1.pgm $tmp/2.pgm $tmp/3.png $tmp/4.png $tmp/5.png"

# "PATH|NAME|PROB" of each picture's most probable class; $1: the first field of a class line that is not part of
# the name (2 for predict's "  1. NAME PROB", 1 for classify's "  NAME PROB")
top_classes() {
    awk -v first="$1" '/^[^ ]/ { path = $0; want = 1; next }
        want { name = $first; for (f = first + 1; f < NF; f++) name = name " " $f
               print path "|" name "|" $NF; want = 0 }'
}
# shellcheck disable=SC2086
"$NIN_CL" predict --model "$model" $pictures > "$tmp/predict.txt" 2>&1 \
    || bad "nin-cl predict: $(cat "$tmp/predict.txt")"
# shellcheck disable=SC2086
"$CLASSIFY" "$model" $pictures > "$tmp/classify.txt" 2>&1 || bad "classify: $(cat "$tmp/classify.txt")"
top_classes 2 < "$tmp/predict.txt" > "$tmp/predict.top"
top_classes 1 < "$tmp/classify.txt" > "$tmp/classify.top"
[ "$(wc -l < "$tmp/classify.top")" -eq 6 ] && ok "classify: a top class for each of the 6 pictures" \
    || bad "classify printed $(cat "$tmp/classify.txt")"
differ=$(paste -d'|' "$tmp/predict.top" "$tmp/classify.top" |
         awk -F'|' '$1 != $4 || $2 != $5 || $3 - $6 > 2e-4 || $6 - $3 > 2e-4 { print }')
tops=$(cut -d'|' -f2,3 "$tmp/classify.top" | tr '\n' ' ')
[ -z "$differ" ] && [ -s "$tmp/predict.top" ] && ok "classify's top class and probability are predict's: $tops" \
    || bad "classify and predict differ: $differ"

out=$("$CLASSIFY" "$model" "$tmp/0.pgm" "$tmp/missing.png" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q "^classify: .*$tmp/missing.png" \
    && ok "a missing image: one line naming it, exit 1" || bad "missing image: rc=$rc $out"
out=$("$CLASSIFY" "$tmp/missing.nin" "$tmp/0.pgm" 2>&1); rc=$?
[ $rc -eq 1 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q "^classify: .*$tmp/missing.nin" \
    && ok "a missing model: one line naming it, exit 1" || bad "missing model: rc=$rc $out"
finish api
