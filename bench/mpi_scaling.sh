#!/bin/sh
# mpi_scaling.sh - training speed of one process against 2 MPI ranks on this machine: the paper's CIFAR-10
# NIN, global batch 128, on a synthetic CIFAR-10 set, the configurations alternating ROUNDS times in one run
# (the machine is shared: alternating spreads the other load over all of them). Prints each run's img/s and
# the share of the run rank 0 spent in the gradient all-reduce, then the medians.
#
#   bench/mpi_scaling.sh [ROUNDS] [STEPS]
#
# Needs a build with MPI (configure --with-mpi) and tests/make_datasets (make check, or make tests/make_datasets).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
NIN_CL=${NIN_CL:-$here/../nin-cl}
MAKE_DATASETS=${MAKE_DATASETS:-$here/../tests/make_datasets}
rounds=${1:-3}
steps=${2:-20}
[ -x "$NIN_CL" ] || { echo "mpi_scaling.sh: no nin-cl at $NIN_CL (build first, or set NIN_CL)" >&2; exit 2; }
[ -x "$MAKE_DATASETS" ] || { echo "mpi_scaling.sh: no $MAKE_DATASETS (make tests/make_datasets)" >&2; exit 2; }
MPIRUN="mpirun -np 2"
[ "$(id -u)" -eq 0 ] && MPIRUN="$MPIRUN --allow-run-as-root"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$MAKE_DATASETS" cifar10 "$out/data" $((128 * steps + 100)) 100 > /dev/null
# each round trains again into the same three folders: --overwrite replaces the round before's run
TRAIN="train cifar10 --data $out/data --batch 128 --val-size 100 --epochs 1 --overwrite"
echo "NIN CIFAR-10 preset, global batch 128, $steps steps per run, $rounds rounds"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; $(date -u +%Y-%m-%d)"
# the last progress report's img/s (a terminal under mpirun gets \r-separated progress bars)
rate() { tr '\r' '\n' < "$1" | sed -n 's/.* \([0-9.]*\) img\/s .*/\1/p' | tail -1; }
reduce_share() { sed -n 's/^gradient all-reduce: .*(\([0-9.]*\)% of the run)/\1/p' "$1"; }
for r in $(seq "$rounds"); do
    "$NIN_CL" $TRAIN --out "$out/one" > "$out/one.$r"
    $MPIRUN "$NIN_CL" $TRAIN --out "$out/two" > "$out/two.$r"
    $MPIRUN -x POCL_MAX_PTHREAD_COUNT=1 "$NIN_CL" $TRAIN --out "$out/two1" > "$out/two1.$r"
    printf 'round %d: 1 process %s | 2 ranks %s (all-reduce %s%%) | 2 ranks, 1 PoCL thread each %s (all-reduce %s%%) img/s\n' \
        "$r" "$(rate "$out/one.$r")" "$(rate "$out/two.$r")" "$(reduce_share "$out/two.$r")" \
        "$(rate "$out/two1.$r")" "$(reduce_share "$out/two1.$r")"
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for c in one two two1; do
    printf '%s ' "$(for r in $(seq "$rounds"); do rate "$out/$c.$r"; done | median)"
done | awk '{ printf "median img/s: 1 process %s, 2 ranks %s (x%.2f), 2 ranks with 1 PoCL thread each %s (x%.2f)\n",
                     $1, $2, $2 / $1, $3, $3 / $1 }'
