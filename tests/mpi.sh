#!/bin/sh
# mpi.sh - data-parallel training over MPI: `mpirun -np 2 nin-cl train` computes what one process computes with
# the same global batch and seed (dropout, augmentation and the data-dependent init included), within 1e-5;
# its checkpoints resume in one process, and one process's in two ranks. Skipped in a build without MPI.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
SRC=${NIN_TEST_SRCDIR:-$(dirname "$0")}
if [ "${NIN_MPI:-no}" != yes ]; then
    echo "SKIP: nin-cl was built without MPI (configure --with-mpi)"
    exit 77
fi
if ! command -v mpirun > /dev/null; then
    echo "FAIL: nin-cl was built with MPI but mpirun is not on PATH: install the Debian package openmpi-bin"
    exit 1
fi
# cross-memory attach (CMA) needs ptrace rights that containers often lack: plain shared-memory copies instead
MPIRUN="mpirun --oversubscribe -np 2 --mca btl_vader_single_copy_mechanism none"
# Open MPI refuses to run as root unless told; CI containers often are root
[ "$(id -u)" -eq 0 ] && MPIRUN="$MPIRUN --allow-run-as-root"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$SRC/make_synthetic.py" "$tmp/data" 600 100
# 4 steps of a global batch of 16 per epoch; dropout and augmentation on
NET=8c5p2-mp3s2-d0.3-16c3p1-10c1l-gap
TRAIN="train mnist --data $tmp/data --net $NET --batch 16 --val-size 64 --train-limit 64 --lr 0.05 --warmup 4 --augment --epochs 2"
one() { "$NIN_CL" $TRAIN "$@"; }
two() { $MPIRUN "$NIN_CL" $TRAIN "$@"; }
epoch_line() { grep '^epoch=1 ' "$1" | sed 's/ time=.*//'; }
same_params() { "$NIN_CHECKPOINT_DIFF" "$1" "$2" 1e-5; }

# 1. six steps (across the end of epoch 1) on 2 ranks = on one process
one --max-steps 6 --out "$tmp/one" > "$tmp/one.log" 2>&1
two --max-steps 6 --out "$tmp/two" > "$tmp/two.log" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q '^data-parallel over 2 MPI ranks: 8 images per rank per step' "$tmp/two.log" \
    && out=$(same_params "$tmp/one/last.nin" "$tmp/two/last.nin"); then
    ok "6 steps on 2 ranks = on 1 process: $out"
else
    bad "2 ranks vs 1 process: rc=$rc ${out:-}"; cat "$tmp/one.log" "$tmp/two.log"
fi
# the epoch's global training loss and the sharded evaluation are the one process's; the ranks stayed in step
want=$(epoch_line "$tmp/one.log")
got=$(epoch_line "$tmp/two.log")
[ -n "$want" ] && [ "$want" = "$got" ] && ! grep -q 'drifted' "$tmp/two.log" \
    && ok "epoch line on 2 ranks: $got" || bad "epoch line: want '$want' got '$got'"
# only rank 0 prints
[ "$(grep -c '^nin-cl train mnist' "$tmp/two.log")" -eq 1 ] && ok "only rank 0 prints" \
    || bad "output of several ranks: $(cat "$tmp/two.log")"

# 2. resume on any number of ranks: 2 ranks -> 1 process, and 1 process -> 2 ranks, to the end of epoch 2
one --out "$tmp/full" > "$tmp/full.log" 2>&1
"$NIN_CL" train --resume "$tmp/two/last.nin" > "$tmp/r1.log" 2>&1
out=$(same_params "$tmp/full/last.nin" "$tmp/two/last.nin") && ok "2 ranks, then --resume in 1 process: $out" \
    || { bad "resume 2 -> 1: $out"; cat "$tmp/r1.log"; }
$MPIRUN "$NIN_CL" train --resume "$tmp/one/last.nin" > "$tmp/r2.log" 2>&1
out=$(same_params "$tmp/full/last.nin" "$tmp/one/last.nin") && ok "1 process, then --resume on 2 ranks: $out" \
    || { bad "resume 1 -> 2: $out"; cat "$tmp/r2.log"; }

# 3. batch norm: each rank normalises its own share, so the ranks' running statistics differ until the sync makes
# them rank 0's; that is not drift (no note), and the run resumes in one process
two --net 8c5p2b-mp3s2-16c3p1b-10c1l-gap --epochs 1 --out "$tmp/bn" > "$tmp/bn.log" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q '^epoch=1 ' "$tmp/bn.log" && ! grep -q 'drifted' "$tmp/bn.log" \
    && "$NIN_CL" train --resume "$tmp/bn/last.nin" --epochs 2 > "$tmp/bn2.log" 2>&1 && grep -q '^epoch=2 ' "$tmp/bn2.log"; then
    ok "batch norm on 2 ranks: no drift note, resumes in 1 process"
else
    bad "batch norm on 2 ranks: rc=$rc"; cat "$tmp/bn.log" "$tmp/bn2.log"
fi

# 4. a global batch that does not split over the ranks: one clear line
out=$($MPIRUN "$NIN_CL" $TRAIN --batch 15 --out "$tmp/bad" 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q -- '--batch 15 does not split evenly over 2 ranks' \
    && ok "--batch 15 on 2 ranks: clear error" || bad "--batch 15 on 2 ranks: rc=$rc $out"

finish mpi
