#!/bin/sh
# images.sh - the images dataset end to end: a folder of JPEG, PNG, PPM and PGM pictures of assorted sizes
# trains to >= 90 %; the class layer follows the folders; the class names go through the checkpoint to test,
# predict and maps; bad pictures stop the run before training (or are skipped); image options are refused
# for the other datasets.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
SRC=${NIN_TEST_SRCDIR:-$(dirname "$0")}
PYTHON=${NIN_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PYTHON" "$SRC/make_images.py" learnable "$tmp/pics" --classes 4 --train 250 --test 50 || bad "make_images.py failed"
NET=32c5p2-mp3s2-d0.1-32c3p1-10c1l-gap
TRAIN="train images --data $tmp/pics --size 24 --net $NET --batch 32 --val-size 100 --lr 0.05 --warmup 60"
last_field() { grep '^epoch=' "$1" | tail -1 | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }

# 1. training: the class layer becomes 4 outputs, 900 / 100 / 200 images, >= 90 % test accuracy
"$NIN_CL" $TRAIN --epochs 4 --out "$tmp/run" > "$tmp/run.log" 2>&1; rc=$?
acc=$(last_field "$tmp/run.log" test_acc)
if [ $rc -eq 0 ] && awk "BEGIN { exit !(${acc:-0} >= 0.90) }"; then
    ok "4 epochs on a folder of 4 classes reach test_acc=$acc"
else
    bad "training: rc=$rc acc=$acc"; cat "$tmp/run.log"
fi
grep -q "^note: the class layer of $NET now has 4 outputs, one per class folder (it had 10)$" "$tmp/run.log" \
    && ok "the class layer follows the 4 class folders" || bad "no class-layer note: $(head -3 "$tmp/run.log")"
grep -q "^nin-cl train images on .*: 900 train / 100 val / 200 test images, net 32c5p2-mp3s2-d0.1-32c3p1-4c1l-gap" \
    "$tmp/run.log" && ok "900 train / 100 val / 200 test images" || bad "report line: $(grep '^nin-cl train' "$tmp/run.log")"
grep -q '^epoch=1 .* data_wait=[0-9.]*s ([0-9.]*%)$' "$tmp/run.log" && ok "the epoch line tells the data wait" \
    || bad "no data_wait: $(grep '^epoch=1' "$tmp/run.log")"

# 2. the checkpoint keeps the class names: test evaluates the same split, predict and maps print names
out=$("$NIN_CL" test --model "$tmp/run/last.nin" images --data "$tmp/pics" 2>&1)
echo "$out" | grep -Eq "^test_acc=$acc test_loss=[0-9.]+ n=200$" && ok "test on the folder: $(echo "$out" | head -1)" \
    || bad "test: $out (want $acc)"
right=0
for f in "$tmp"/pics/test/class-c/0000*; do
    "$NIN_CL" predict --model "$tmp/run/last.nin" "$f" > "$tmp/p.txt" 2>&1 || bad "predict $f: $(cat "$tmp/p.txt")"
    grep -q '^  1\. class-c ' "$tmp/p.txt" && right=$((right + 1))
done
[ "$(grep -c '^  [1-4]\. class-[a-d] ' "$tmp/p.txt")" -eq 4 ] && [ $right -ge 8 ] \
    && ok "predict names the classes: class-c first for $right of 10 class-c pictures" \
    || bad "predict: $right of 10 right; $(cat "$tmp/p.txt")"
f=$(ls "$tmp"/pics/test/class-b/* | head -1)
out=$("$NIN_CL" maps --model "$tmp/run/last.nin" "$f" -o "$tmp/maps.png" 2>&1)
echo "$out" | grep -q ": class-[a-d] [0-9.]*, box " && [ -s "$tmp/maps.png" ] && ok "maps labels with names: $out" \
    || bad "maps: $out"
"$NIN_CL" maps --model "$tmp/run/last.nin" --dataset images --data "$tmp/pics" --count 8 --boxes "$tmp/b.json" \
    > "$tmp/m.txt" 2>&1 && grep -q '"class-[a-d]"' "$tmp/b.json" && ok "maps --dataset images: boxes named" \
    || bad "maps --dataset images: $(cat "$tmp/m.txt")"

# 3. a folder with other classes is refused by name
mv "$tmp/pics/test/class-d" "$tmp/pics/test/class-z" && mv "$tmp/pics/train/class-d" "$tmp/pics/train/class-z"
out=$("$NIN_CL" test --model "$tmp/run/last.nin" images --data "$tmp/pics" 2>&1); rc=$?
[ $rc -eq 1 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q "class 3 is 'class-d', not 'class-z'" \
    && ok "other classes refused: $out" || bad "other classes: rc=$rc $out"
mv "$tmp/pics/test/class-z" "$tmp/pics/test/class-d" && mv "$tmp/pics/train/class-z" "$tmp/pics/train/class-d"

# 4. a truncated picture stops the run before training, in one line naming it; --skip-bad leaves it out
head -c 100 "$f" > "$tmp/pics/train/class-a/cut.png"
out=$("$NIN_CL" $TRAIN --epochs 1 --out "$tmp/bad" 2>&1 >/dev/null); rc=$?   # the error line (stderr)
[ $rc -eq 1 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q "class-a/cut.png: .*--skip-bad" \
    && [ ! -e "$tmp/bad/last.nin" ] && ok "a truncated picture: $out" || bad "truncated picture: rc=$rc $out"
"$NIN_CL" $TRAIN --skip-bad --max-steps 2 --out "$tmp/skip" > "$tmp/skip.log" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q "^note: --skip-bad left out 1 unreadable training images; the first: .*cut.png" "$tmp/skip.log" \
    && ok "--skip-bad: $(grep '^note: --skip' "$tmp/skip.log")" || bad "--skip-bad: rc=$rc $(cat "$tmp/skip.log")"
rm "$tmp/pics/train/class-a/cut.png"

# 5. one folder of classes: a seeded, stratified test split; a network without a class layer; image options
#    on another dataset
mkdir "$tmp/flat" && mv "$tmp/pics/train/"* "$tmp/flat/"
"$NIN_CL" $TRAIN --data "$tmp/flat" --test-split 0.2 --max-steps 1 --out "$tmp/flat-run" > "$tmp/flat.log" 2>&1
grep -q ": 700 train / 100 val / 200 test images" "$tmp/flat.log" && ok "--test-split 0.2 of one folder: 700 / 100 / 200" \
    || bad "--test-split: $(cat "$tmp/flat.log")"
out=$("$NIN_CL" train images --data "$tmp/flat" --net 16c3-mp2s2 --max-steps 1 --out "$tmp/x" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "has no class layer" && ok "a network without a class layer: $out" \
    || bad "no class layer: rc=$rc $out"
out=$("$NIN_CL" train mnist --size 64 2>&1); rc=$?
[ $rc -eq 2 ] && [ "$out" = "nin-cl: error: --size is for the images dataset, not mnist" ] && ok "$out" \
    || bad "--size on mnist: rc=$rc $out"
finish images
