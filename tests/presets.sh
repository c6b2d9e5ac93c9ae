#!/bin/sh
# presets.sh - every preset network learns with the default recipe (data-dependent init, warm-up, a linear
# class layer) instead of sitting at loss ln(C): 72 steps of batch 16 on a small learnable set in the
# dataset's own format and input shape (tests/make_datasets --tiled), with the health monitor checking every
# 20 steps. The learning rate is the default 0.07 for batch 128 scaled to batch 16; the warm-up is shortened
# to 10 steps to fit the run. The training loss of the last 18 steps must lie clearly below ln(10): the
# CIFAR-100 set uses 10 of its classes (100 classes from 288 images would take far longer to separate), so
# for every preset ln(10) is the best loss a network that ignores its input can reach.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
MAKE_DATASETS=${NIN_MAKE_DATASETS:-$(dirname "$0")/make_datasets}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bound=$(awk 'BEGIN { printf "%.4f", log(10) - 0.3 }')
# the faster GEMM of this device, as `nin-cl tune` picks it for a user (make check gives no tuning file)
NIN_TUNING_DIR=$tmp/tuning; export NIN_TUNING_DIR
"$NIN_CL" tune mnist --batch 8 --budget 0 > "$tmp/tune.log" 2>&1 || bad "tune: $(tail -1 "$tmp/tune.log")"

for ds in mnist fashion-mnist cifar10 svhn cifar100; do
    # 288 training images (18 steps an epoch) and 16 for validation
    if ! out=$("$MAKE_DATASETS" --tiled --labels=10 "$ds" "$tmp/data-$ds" 304 32 2>&1); then
        bad "$ds: make_datasets: $out"
        continue
    fi
    "$NIN_CL" train "$ds" --data "$tmp/data-$ds" --batch 16 --lr 0.00875 --warmup 10 --val-size 16 --epochs 4 \
        --patience 100 --stall-steps 20 --out "$tmp/run-$ds" > "$tmp/$ds.log" 2>&1; rc=$?
    loss=$(grep '^epoch=' "$tmp/$ds.log" | tail -1 | tr ' ' '\n' | grep '^train_loss=' | cut -d= -f2)
    if [ $rc -eq 0 ] && [ "$(grep -c '^epoch=' "$tmp/$ds.log")" -eq 4 ] && ! grep -q 'warning' "$tmp/$ds.log" \
        && awk "BEGIN { exit !(${loss:-99} < $bound) }"; then
        ok "$ds preset: loss $loss over steps 55-72 (< ln(10) - 0.3 = $bound), no health warning"
    else
        bad "$ds preset: rc=$rc loss=$loss, want < ln(10) - 0.3 = $bound and no warning"
        cat "$tmp/$ds.log"
    fi
done

finish presets
