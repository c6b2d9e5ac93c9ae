#!/bin/sh
# finetune.sh - nin-cl train --init-from: a run that starts from a trained model keeps every weight and the
# preprocessing (its first predictions are the model's); for other classes the class layer starts at zero (every
# score 0, a batch norm of its own included) with a note; a network of other layers, a missing file and the
# options a model decides are refused.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
SRC=${NIN_TEST_SRCDIR:-$(dirname "$0")}
PYTHON=${NIN_PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
NET=16c3p1-8c1-mp2s2-10c1l-gap
SMALL="--batch 16 --train-limit 64 --val-size 16 --max-steps 2"

# max_abs FILE [OTHER]: the largest |value| of a .npy array, or of its difference with OTHER's
max_abs() {
    "$PYTHON" -c 'import sys, numpy as np
a = np.load(sys.argv[1]); b = np.load(sys.argv[2]) if len(sys.argv) > 2 else 0 * a
print("%.3g" % np.abs(a - b).max())' "$@"
}
# below X LIMIT: X <= LIMIT as numbers
below() { awk -v x="$1" -v l="$2" 'BEGIN { exit !(x <= l) }'; }

"$NIN_CL" train fashion-mnist --net $NET $SMALL --out "$tmp/a" > "$tmp/a.log" 2>&1 || bad "training the model failed"
"$NIN_CL" test fashion-mnist --model "$tmp/a/last.nin" --limit 200 --logits "$tmp/a.npy" > /dev/null ||
    bad "nin-cl test --logits of the model failed"

# the same classes: every layer copied; at a learning rate of 1e-9 one step changes nothing measurable
"$NIN_CL" train fashion-mnist --init-from "$tmp/a/last.nin" --lr 1e-9 --batch 16 --train-limit 64 --val-size 16 \
    --max-steps 1 --out "$tmp/b" > "$tmp/b.log" 2>&1 || { bad "a run --init-from the model failed"; cat "$tmp/b.log"; }
grep -q "net $NET," "$tmp/b.log" && ok "the run takes the model's network" || bad "the run's network is not the model's"
grep -q "starts anew" "$tmp/b.log" && bad "the class layer was reset for the same classes" || true
"$NIN_CL" test fashion-mnist --model "$tmp/b/last.nin" --limit 200 --logits "$tmp/b.npy" > /dev/null
d=$(max_abs "$tmp/b.npy" "$tmp/a.npy")
below "$d" 1e-4 && ok "the fine-tuned model predicts what the model did (max |logit difference| $d)" ||
    bad "the fine-tuned model's logits differ from the model's by $d"

# other classes (a folder of 3): the class layer starts at zero, the rest is the model's
"$PYTHON" "$SRC/make_images.py" learnable "$tmp/pics" --classes 3 --train 40 --test 10 || bad "make_images.py failed"
"$NIN_CL" train images --data "$tmp/pics" --size 28 --channels 1 --init-from "$tmp/a/last.nin" --lr 1e-9 \
    --batch 16 --val-size 16 --max-steps 1 --out "$tmp/c" > "$tmp/c.log" 2>&1 ||
    { bad "a run --init-from on other classes failed"; cat "$tmp/c.log"; }
grep -q "class layer (layer 4, 10 classes) starts anew, at zero, for images's 3 classes" "$tmp/c.log" &&
    ok "other classes: the class layer starts anew, and the run says so" || { bad "no note of the new class layer"; cat "$tmp/c.log"; }
grep -q "net 16c3p1-8c1-mp2s2-3c1l-gap," "$tmp/c.log" && ok "the class layer has one output per class folder" ||
    bad "the class layer was not given the folder's 3 classes"
"$NIN_CL" test images --data "$tmp/pics" --model "$tmp/c/last.nin" --logits "$tmp/c.npy" > /dev/null
d=$(max_abs "$tmp/c.npy")
below "$d" 1e-4 && ok "the new class layer starts at zero (max |logit| $d)" || bad "the new class layer gives logits up to $d"

# a class layer with its own batch norm ("3c1bl"): that one keeps the run's init too, and the scores start at zero
"$NIN_CL" train fashion-mnist --net 16c3p1-mp2s2-10c1bl-gap $SMALL --out "$tmp/g" > "$tmp/g.log" 2>&1 ||
    bad "training the model with a batch-normed class layer failed"
"$NIN_CL" train images --data "$tmp/pics" --size 28 --channels 1 --init-from "$tmp/g/last.nin" --lr 1e-9 \
    --batch 16 --val-size 16 --max-steps 1 --out "$tmp/h" > "$tmp/h.log" 2>&1 &&
    "$NIN_CL" test images --data "$tmp/pics" --model "$tmp/h/last.nin" --logits "$tmp/h.npy" > /dev/null &&
    d=$(max_abs "$tmp/h.npy") && below "$d" 1e-4 &&
    ok "other classes, a batch-normed class layer: it starts anew, at zero (max |logit| $d)" ||
    { bad "--init-from a model whose class layer has a batch norm, for other classes"; cat "$tmp/h.log"; }

# refusals, one line each
"$NIN_CL" train fashion-mnist --init-from "$tmp/a/last.nin" --net 16c3p1-mp2s2-10c1l-gap --out "$tmp/d" \
    > "$tmp/d.log" 2>&1 && bad "a network of other layers was accepted"
grep -q "its network has 5 layers, the run's 16c3p1-mp2s2-10c1l-gap has 4" "$tmp/d.log" &&
    ok "a network of other layers is refused" || { bad "no line for a network of other layers"; cat "$tmp/d.log"; }
"$NIN_CL" train fashion-mnist --init-from "$tmp/none.nin" --out "$tmp/e" > "$tmp/e.log" 2>&1 &&
    bad "a missing model was accepted"
grep -q "$tmp/none.nin" "$tmp/e.log" && [ "$(wc -l < "$tmp/e.log")" -eq 1 ] && ok "a missing model: one line naming it" ||
    { bad "no one-line error for a missing model"; cat "$tmp/e.log"; }
"$NIN_CL" train fashion-mnist --init-from "$tmp/a/last.nin" --preprocess zca --out "$tmp/f" > "$tmp/f.log" 2>&1 &&
    bad "--preprocess was accepted with --init-from"
grep -q "the model's weights and preprocessing, not --preprocess" "$tmp/f.log" && ok "--preprocess is refused" ||
    bad "no line for --preprocess with --init-from"
finish finetune
