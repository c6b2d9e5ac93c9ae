#!/bin/sh
# onnx_export.sh - nin-cl export. Every preset, as a checkpoint of one training step on Fashion-MNIST
# (cifar100's with 10 classes, the data's), is exported and Debian's onnx checker (full_check) accepts it:
# opset >= 13, input "image", outputs "logits" and "probabilities", the metadata (the netdef the run trained, dataset, input shape, preprocessing, class names).
# Then ONNX Runtime, fed the raw pixels of the first 100 test images, gives nin-cl's logits (`nin-cl test
# --logits`) within 1e-4 and their softmax as "probabilities", for briefly trained models: standardize (with
# clipped pooling windows at the border and a window larger than its input), batch norm (the mnist-bn net), zca
# and lcn (fully connected layers and dropout). Trained on 16 images, the zca and lcn models' logits reach
# tens, and float32 rounding differences of the preprocessing (nin-cl sums GCN's mean and norm in double, the
# graph in float) grow with them: for those two the bound is max(1e-4, 1e-5 times the largest |logit|).
# A pooling that ONNX cannot express and an unwritable output are one error line each, naming the file.
#
# The checker runs under /usr/bin/python3 (Debian's python3-onnx); ONNX Runtime under $NIN_ONNX_PYTHON (default
# /usr/bin/python3; .ci/run makes a virtual environment with onnxruntime from PyPI). Without onnxruntime that part
# says it is skipped and why; the test exits 77 only when neither part can run.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
SCRIPT=${NIN_TEST_SRCDIR:-$(dirname "$0")}/onnx_export.py
PY=/usr/bin/python3
ORT_PY=${NIN_ONNX_PYTHON:-/usr/bin/python3}
FASHION=${NIN_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -f "$FASHION/t10k-images-idx3-ubyte.gz" ] || { echo "skipped: no Fashion-MNIST in $FASHION"; exit 77; }
checker=yes
why=$($PY -c 'import onnx, numpy' 2>&1) || { checker=no; echo "skipped: the onnx checker: $PY cannot import onnx ($(echo "$why" | tail -1))"; }
ort=yes
why=$($ORT_PY -c 'import onnxruntime, numpy' 2>&1) || { ort=no; echo "skipped: onnxruntime is not installed ($ORT_PY: $(echo "$why" | tail -1))"; }
[ $checker = yes ] || [ $ort = yes ] || exit 77
# numpy is needed to cut the data: Debian's, which the venv of $NIN_ONNX_PYTHON sees too
[ $checker = yes ] || PY=$ORT_PY

# small copies of Fashion-MNIST: to train on (16 + 2 test images, so a run's own test pass is short), and to
# compare on (the first 100 test images)
$PY "$SCRIPT" subset "$FASHION" "$tmp/train" 16 2 && $PY "$SCRIPT" subset "$FASHION" "$tmp/eval" 16 100 \
    || { bad "cutting Fashion-MNIST"; finish onnx_export; }
names='T-shirt/top\nTrouser\nPullover\nDress\nCoat\nSandal\nShirt\nSneaker\nBag\nAnkle boot'

# train NAME STEPS BATCH ARGS...: a checkpoint of STEPS steps at $tmp/NAME/last.nin; its netdef into $net
train() {
    name=$1 steps=$2 batch=$3
    shift 3
    if "$NIN_CL" train fashion-mnist --data "$tmp/train" --batch "$batch" --val-size 0 --max-steps "$steps" \
        --out "$tmp/$name" "$@" > "$tmp/$name.log" 2>&1; then
        net=$(sed -n 's/.*, net \([^ ,]*\),.*/\1/p' "$tmp/$name.log" | head -1)
        return 0
    fi
    bad "$name: nin-cl train $*: $(tail -1 "$tmp/$name.log")"
    return 1
}

# export NAME: $tmp/NAME/last.nin to $tmp/NAME.onnx, checked by onnx with its metadata (preprocessing $2)
export_checked() {
    if ! "$NIN_CL" export --model "$tmp/$1/last.nin" -o "$tmp/$1.onnx" > "$tmp/$1.export" 2>&1; then
        bad "$1: nin-cl export: $(cat "$tmp/$1.export")"
        return 1
    fi
    if ! grep -q "^$tmp/$1.onnx: ONNX opset 13, [0-9]* nodes, [0-9]* bytes" "$tmp/$1.export"; then
        bad "$1: the summary line: $(cat "$tmp/$1.export")"
        return 1
    fi
    [ $checker = yes ] || return 0
    if out=$($PY "$SCRIPT" check "$tmp/$1.onnx" "nin.netdef=$net" nin.dataset=fashion-mnist nin.input=1x28x28 \
        "nin.preprocess=$2" nin.input_range=0..255 "nin.class_names=$names" 2>&1); then
        ok "$1: onnx.checker accepts it (full check), opset 13, metadata $net"
    else
        bad "$1: $(echo "$out" | tail -3)"
        return 1
    fi
}

for preset in cifar10 cifar100 svhn mnist fashion-mnist images mnist-clutter cifar10-bn mnist-bn; do
    netdef=$preset
    [ $preset = cifar100 ] && netdef=$("$NIN_CL" info cifar100 | awk '$1 ~ /^[0-9]+$/ { print $2 }' | paste -sd- |
        sed 's/-100c1l-gap$/-10c1l-gap/')
    train "$preset" 1 2 --net "$netdef" && export_checked "$preset" standardize
done

# logits NAME MODEL: nin-cl's logits of MODEL on the 100 test images into $tmp/NAME.npy
logits() {
    "$NIN_CL" test fashion-mnist --model "$2" --data "$tmp/eval" --limit 100 --logits "$tmp/$1.npy" \
        > "$tmp/$1.test" 2>&1 && return 0
    bad "$1: nin-cl test: $(tail -1 "$tmp/$1.test")"
    return 1
}

# roundtrip NAME: $tmp/NAME.onnx imported again predicts what the checkpoint did, logit for logit
roundtrip() {
    if ! "$NIN_CL" import "$tmp/$1.onnx" -o "$tmp/$1-rt.nin" > "$tmp/$1.import" 2>&1; then
        bad "$1: nin-cl import of the export: $(tail -1 "$tmp/$1.import")"
        return
    fi
    logits "$1-rt" "$tmp/$1-rt.nin" || return
    out=$($PY -c 'import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
print("max_abs_logit_diff=%.3g same_predictions=%d/%d" % (np.abs(a - b).max(), (a.argmax(1) == b.argmax(1)).sum(), len(a)))' \
        "$tmp/$1.npy" "$tmp/$1-rt.npy")
    diff=$(echo "$out" | sed -n 's/.*max_abs_logit_diff=\([^ ]*\).*/\1/p')
    # the network comes back as the graph says (a pooling window clipped to its input is the clipped one)
    if echo "$out" | grep -q "same_predictions=100/100" && awk "BEGIN { exit !($diff <= 1e-5) }"; then
        ok "$1: nin-cl -> ONNX -> nin-cl ($(sed -n 's/.*netdef \([^ ,]*\),.*/\1/p' "$tmp/$1.import")) gives the same predictions: $out"
    else
        bad "$1: the round trip: $out; $(cat "$tmp/$1.import")"
    fi
}

# compare NAME PREPROCESS STEPS NET [scaled]: a briefly trained model, exported, against nin-cl on 100 test
# images; "scaled": the bound is max(1e-4, 1e-5 * largest |logit|)
compare() {
    train "$1" "$3" 4 --net "$4" --preprocess "$2" && export_checked "$1" "$2" || return
    logits "$1" "$tmp/$1/last.nin" || return
    [ "$2" = standardize ] && roundtrip "$1"
    [ $ort = yes ] || return 0
    out=$($ORT_PY "$SCRIPT" run "$tmp/$1.onnx" "$tmp/eval/t10k-images-idx3-ubyte.gz" "$tmp/$1.npy" 100 2>&1)
    logit=$(echo "$out" | sed -n 's/.*max_abs_logit_diff=\([^ ]*\).*/\1/p')
    prob=$(echo "$out" | sed -n 's/.*max_abs_prob_diff=\([^ ]*\).*/\1/p')
    bound=1e-4
    [ "${5:-}" = scaled ] && bound=$(echo "$out" | sed -n 's/.*max_abs_logit=\([^ ]*\).*/\1/p' |
        awk '{ printf "%.3g", ($1 > 10 ? 1e-5 * $1 : 1e-4) }')
    if [ -n "$logit" ] && awk "BEGIN { exit !($logit <= $bound && $prob <= 1e-6) }"; then
        ok "$1 ($2, $4): onnxruntime's logits within $bound of nin-cl's on 100 images: $out"
    else
        bad "$1 ($2, $4): want max |logit difference| <= $bound and probabilities = softmax(logits): $out"
    fi
}
compare standardize standardize 4 16c5p2-16c1-mp3s2-d0.5-24c3p1-ap3s2-10c1l-ap9s2
compare batchnorm standardize 4 mnist-bn
if [ $ort = yes ]; then
    compare zca zca 3 16c5p2-mp3s2-16c3p1-ap3s2-10c1l-gap scaled
    compare lcn lcn 3 16c5p2-mp3s2-d0.5-16c3p1-ap3s2-32fc-d0.5-10fcl scaled
fi

# what ONNX cannot express: a pooling window smaller than its stride whose last window would start past the
# input (nin-cl leaves it out, ONNX's ceil mode keeps it: 14 -> 5 against 6 outputs) is refused in one line
if train pool 1 2 --net 8c3p1-mp2s2-mp1s3-10c1l-gap; then
    "$NIN_CL" export --model "$tmp/pool/last.nin" -o "$tmp/pool.onnx" > "$tmp/pool.out" 2> "$tmp/pool.err"
    rc=$?
    if [ $rc -eq 1 ] && [ "$(wc -l < "$tmp/pool.err")" -eq 1 ] && [ ! -e "$tmp/pool.onnx" ] &&
        grep -q "^nin-cl: error: cannot export $tmp/pool.onnx: layer 3 (maxpool2, window 1, stride 3 on 14x14): its last window would start past the input" "$tmp/pool.err"; then
        ok "a pooling ONNX cannot express: $(cat "$tmp/pool.err")"
    else
        bad "a pooling ONNX cannot express: rc=$rc, stderr: $(cat "$tmp/pool.err")"
    fi
fi

# an output that cannot be written: exit 1, one line naming it
if [ -f "$tmp/mnist/last.nin" ]; then
    "$NIN_CL" export --model "$tmp/mnist/last.nin" -o "$tmp/no/such/dir/model.onnx" > "$tmp/err.out" 2> "$tmp/err"
    rc=$?
    if [ $rc -eq 1 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && [ ! -s "$tmp/err.out" ] &&
        grep -q "^nin-cl: error: cannot write ONNX model $tmp/no/such/dir/model.onnx" "$tmp/err"; then
        ok "an unwritable output: $(cat "$tmp/err")"
    else
        bad "an unwritable output: rc=$rc, stderr: $(cat "$tmp/err")"
    fi
fi

finish onnx_export
