#!/bin/sh
# ablation.sh - the paper's ablations (Lin, Chen, Yan, arXiv:1312.4400, sections 4.6 and 4.7) as four nin-cl
# runs with the same budget and seed, a markdown table and one PNG of the test-error curves.
#
#   examples/ablation.sh [--budget quick|converged] DATASET [DATA_DIR]
#
# Variants: gap (the preset: global average pooling, dropout between the mlpconv blocks), fc (the GAP head
# replaced by a fully connected layer), fc-dropout (the same with dropout 0.5 before it) and no-dropout (GAP,
# every dropout layer removed). The paper's CIFAR-10 test errors: FC 11.59 %, FC + dropout 10.88 %,
# GAP 10.41 %, GAP without dropout 14.51 %.
#
# --budget picks the runs' length. quick (the default): 8000 training images, 500 held out, 3 epochs at
# learning rate 0.03 after a 100-step warm-up (186 steps: a first look in minutes, too short to rank the
# variants). converged: every training image, 5000 held out, 10 epochs of a cosine schedule from the default
# rate 0.07 after the default 300-step warm-up (each variant of the MNIST network 26 to 30 minutes on a 2-core
# Xeon with AVX-512, about three times that on a 2-core EPYC without it; the MNIST runs in docs/results.md level
# off by epoch 8). The environment overrides either:
# TRAIN_LIMIT (0: all), VAL_SIZE, EPOCHS, LR, WARMUP, SCHEDULE (plateau, step or cosine), SEED (1).
# OUT (runs/ablation-DATASET[-converged]) holds the runs, ablation.md and ablation.png. A stopped script can
# be rerun: a finished variant is kept, an unfinished one with the same settings goes on from its last
# checkpoint (train --resume), any other starts over.
set -eu
NIN_CL=${NIN_CL:-nin-cl}
usage="usage: ablation.sh [--budget quick|converged] DATASET [DATA_DIR]"
budget=quick
if [ "${1:-}" = --budget ]; then
    budget=${2:?$usage}
    shift 2
fi
dataset=${1:?$usage}
data=${2:-}
case $budget in
quick) defaults="8000 500 3 0.03 100 plateau" suffix= ;;
converged) defaults="0 5000 10 0.07 300 cosine" suffix=-converged ;;
*) echo "ablation.sh: unknown budget '$budget' (quick or converged)" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086 # the defaults are words on purpose
set -- $defaults
TRAIN_LIMIT=${TRAIN_LIMIT:-$1}
VAL_SIZE=${VAL_SIZE:-$2}
EPOCHS=${EPOCHS:-$3}
LR=${LR:-$4}
WARMUP=${WARMUP:-$5}
SCHEDULE=${SCHEDULE:-$6}
SEED=${SEED:-1}
limit=
[ "$TRAIN_LIMIT" -gt 0 ] && limit="--train-limit $TRAIN_LIMIT"
OUT=${OUT:-runs/ablation-$dataset$suffix}
mkdir -p "$OUT"

# variant | its nin-cl train options | the paper's CIFAR-10 test error
table='gap||10.41 %
fc|--head fc|11.59 %
fc-dropout|--head fc --fc-dropout 0.5|10.88 %
no-dropout|--no-dropout|14.51 %'
variants="gap fc fc-dropout no-dropout"
field_of() { echo "$table" | awk -F'|' -v v="$1" -v f="$2" '$1 == v { print $f }'; }
options_of() { field_of "$1" 2; }
paper_error_of() { field_of "$1" 3; }

# A variant is trained once: finished (its last epoch is EPOCHS), it is kept; stopped part-way with the same
# settings (DIR/settings), it goes on from its last checkpoint; otherwise it starts over.
for v in $variants; do
    run=$OUT/$v
    options="$(options_of "$v") $limit --val-size $VAL_SIZE --epochs $EPOCHS --lr $LR --warmup $WARMUP"
    options="$options --schedule $SCHEDULE --seed $SEED"
    same=false
    [ -f "$run/settings" ] && [ "$(cat "$run/settings")" = "$dataset $options" ] && same=true
    if $same && [ -f "$run/metrics.csv" ] && [ "$(tail -n 1 "$run/metrics.csv" | cut -d, -f1)" = "$EPOCHS" ]; then
        echo "ablation: $v already trained ($run)"
        continue
    fi
    if $same && [ -f "$run/last.nin" ]; then
        echo "ablation: resuming $v from $run/last.nin"
        "$NIN_CL" train --resume "$run/last.nin" ${data:+--data "$data"} >>"$OUT/$v.log"
        continue
    fi
    rm -rf "$run"
    mkdir -p "$run"
    echo "$dataset $options" >"$run/settings"
    echo "ablation: training $v"
    # shellcheck disable=SC2086 # the options are words on purpose
    "$NIN_CL" train "$dataset" ${data:+--data "$data"} $options --out "$run" >"$OUT/$v.log"
done

# The table: the last epoch's test error, the best epoch's, and the paper's CIFAR-10 figure.
{
    echo "| variant | nin-cl train options | test error, epoch $EPOCHS | best epoch | paper, CIFAR-10 |"
    echo "|---|---|---|---|---|"
    for v in $variants; do
        awk -F, -v v="$v" -v opts="$(options_of "$v")" -v paper="$(paper_error_of "$v")" '
            NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
            { err = 100 * (1 - $col["test_acc"]); last = err; if (NR == 2 || err < best) best = err }
            END { printf "| %s | %s | %.2f %% | %.2f %% | %s |\n", v, opts == "" ? "(the preset)" : "`" opts "`",
                        last, best, paper }' \
            "$OUT/$v/metrics.csv"
    done
    echo
    echo "Budget ($budget): $dataset, ${limit:-all training images,} --val-size $VAL_SIZE --epochs $EPOCHS --lr $LR" \
        "--warmup $WARMUP --schedule $SCHEDULE --seed $SEED, every other setting the default."
} >"$OUT/ablation.md"
cat "$OUT/ablation.md"

set --
for v in $variants; do set -- "$@" "$OUT/$v/metrics.csv"; done
"$NIN_CL" plot --metric test_error --labels "gap,fc,fc+dropout,no dropout" \
    --title "$dataset: test error per epoch" -o "$OUT/ablation.png" "$@"
echo "ablation: wrote $OUT/ablation.md and $OUT/ablation.png"
