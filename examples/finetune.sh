#!/bin/sh
# finetune.sh - what starting from a trained model buys: two Fashion-MNIST runs of one budget and recipe, one from
# scratch (the data-dependent init) and one --init-from MODEL (e.g. an MNIST model: its class layer starts anew),
# then their test accuracy epoch by epoch and both curves in one chart.
#
#   examples/finetune.sh MODEL OUT_DIR [extra nin-cl train options for both runs]
#
# The budget: 6400 training images (50 steps of 128 an epoch), 1000 for validation, 6 epochs, a 50-step warm-up
# and a cosine schedule to zero; every epoch is evaluated on the whole test split. Extra options come last and
# win. docs/results.md gives the figures.
set -eu
NIN_CL=${NIN_CL:-nin-cl}
model=${1:?usage: finetune.sh MODEL OUT_DIR [nin-cl train options]}
out=${2:?usage: finetune.sh MODEL OUT_DIR [nin-cl train options]}
shift 2
budget="--train-limit 6400 --val-size 1000 --epochs 6 --warmup 50 --schedule cosine --seed 1"
"$NIN_CL" train fashion-mnist $budget --out "$out/scratch" --overwrite "$@"
"$NIN_CL" train fashion-mnist $budget --init-from "$model" --out "$out/finetuned" --overwrite "$@"
echo "epoch  steps  test_acc(scratch)  test_acc(--init-from)"
paste -d, "$out/scratch/metrics.csv" "$out/finetuned/metrics.csv" |
    awk -F, 'NR > 1 { printf "%5d  %5d  %17.4f  %21.4f\n", $1, 50 * $1, $8, $17 }'
"$NIN_CL" plot -o "$out/finetune.png" --metric test_error --labels "from scratch,--init-from $(basename "$model")" \
    --title "Fashion-MNIST, 6400 training images: from scratch and fine-tuned" \
    "$out/scratch/metrics.csv" "$out/finetuned/metrics.csv"
