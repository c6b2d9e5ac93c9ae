#!/bin/sh
# compare.sh - nin-cl against PyTorch on the same CPU and the same network (the paper's CIFAR-10 NIN,
# batch 128), alternating the two ROUNDS times in one run, and the ratios nin-cl / PyTorch of training and
# inference images per second (the median of the rounds).
#
#   bench/compare.sh [ROUNDS] [STEPS]
#
# Needs Debian's python3-torch and libopenblas0-pthread (PyTorch's BLAS), and a built ./nin-cl; run
# `nin-cl tune` once first so that nin-cl uses the faster GEMM of this device.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
NIN_CL=${NIN_CL:-$here/../nin-cl}
TORCH_NIN=${TORCH_NIN:-$here/../../shared/bench/torch_nin.py}
PYTHON=${PYTHON:-/usr/bin/python3}
rounds=${1:-3}
steps=${2:-5}
threads=$(nproc)
[ -x "$NIN_CL" ] || { echo "compare.sh: no nin-cl at $NIN_CL (build first, or set NIN_CL)" >&2; exit 2; }
[ -f "$TORCH_NIN" ] || { echo "compare.sh: no PyTorch reference at $TORCH_NIN (set TORCH_NIN)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "nin-cl vs PyTorch, NIN CIFAR-10 preset, batch 128, $threads threads, $rounds rounds of $steps steps"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(date -u +%Y-%m-%d)"
for r in $(seq "$rounds"); do
    "$NIN_CL" bench cifar10 --steps "$steps" > "$out/nin.$r"
    "$PYTHON" "$TORCH_NIN" "$steps" "$threads" 128 > "$out/torch.$r"
    printf 'round %d: nin-cl train %s inference %s | torch train %s inference %s img/s\n' "$r" \
        "$(sed -n 's/^train: \([0-9.]*\).*/\1/p' "$out/nin.$r")" "$(sed -n 's/^inference: \([0-9.]*\).*/\1/p' "$out/nin.$r")" \
        "$(sed -n 's/.*: \([0-9.]*\) img\/s train.*/\1/p' "$out/torch.$r")" "$(sed -n 's/^inference: \([0-9.]*\).*/\1/p' "$out/torch.$r")"
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
nt=$(cat "$out"/nin.* | sed -n 's/^train: \([0-9.]*\).*/\1/p' | median)
ni=$(cat "$out"/nin.* | sed -n 's/^inference: \([0-9.]*\).*/\1/p' | median)
tt=$(cat "$out"/torch.* | sed -n 's/.*: \([0-9.]*\) img\/s train.*/\1/p' | median)
ti=$(cat "$out"/torch.* | sed -n 's/^inference: \([0-9.]*\).*/\1/p' | median)
head -1 "$out/nin.1"
grep -m1 '^torch' "$out/torch.1"
awk -v nt="$nt" -v tt="$tt" -v ni="$ni" -v ti="$ti" 'BEGIN {
    printf "training:  nin-cl %.1f img/s, PyTorch %.1f img/s, ratio %.2f\n", nt, tt, nt / tt
    printf "inference: nin-cl %.1f img/s, PyTorch %.1f img/s, ratio %.2f\n", ni, ti, ni / ti }'
