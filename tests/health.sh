#!/bin/sh
# health.sh - the training health monitor. The paper's plain setup (ReLU before global average pooling,
# Gaussian init, a learning rate too high for it, no warm-up) stalls at ln(10) on purpose: the warning comes
# at the first check, names the dead class maps and the remedy; --on-stall stop ends the run keeping the
# checkpoints; nin-cl inspect shows the dead maps. The same network with --no-final-relu and a sane learning
# rate learns without a warning. An absurd learning rate gives a NaN loss: one error line naming the step,
# and last.nin keeps the last good epoch. Under mpirun (a build with MPI) the ranks agree on the stall.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
MAKE_DATASETS=${NIN_MAKE_DATASETS:-$(dirname "$0")/make_datasets}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$MAKE_DATASETS" --tiled mnist "$tmp/data" 256 64 || bad "make_datasets"
# 16 validation images, 240 for training: 15 steps of batch 16 per epoch
TRAIN="train mnist --data $tmp/data --batch 16 --val-size 16 --patience 1000 --stall-steps 20"
STALL="--net 16c5p2-mp3s2-16c3p1-10c1-gap --init gaussian --lr 0.5 --warmup 0"

# 1. the stall, reproduced. The class maps die in the first 20 steps; the warning comes when the loss has sat at
# ln(10) for 20 steps or at the next check of the class maps (every 20 steps), whichever is first: by step 40.
"$NIN_CL" $TRAIN $STALL --epochs 3 --out "$tmp/stall" > "$tmp/stall.log" 2>&1; rc=$?
warning=$(grep '^nin-cl: warning: ' "$tmp/stall.log" | head -1)
step=$(echo "$warning" | sed -n 's/^nin-cl: warning: step \([0-9]*\): .*/\1/p')
if [ $rc -eq 0 ] && [ "$(grep -c '^epoch=' "$tmp/stall.log")" -eq 3 ] && [ "${step:-99}" -le 40 ] \
    && echo "$warning" | grep -Eq ': (the loss has stayed within 1e-3 of ln\(10\) = 2.3026 for 20 steps|the class scores ignore the input)' \
    && echo "$warning" | grep -q 'all 10 class maps are 0 on every image: the ReLU after the last 1x1 convolution has died' \
    && echo "$warning" | grep -q 'restart with --no-final-relu (or a netdef ending in 10c1l) and a lower --lr (now 0.5)'; then
    ok "stall reported at step $step with its cause: $warning"
else
    bad "stall warning: rc=$rc"; cat "$tmp/stall.log"
fi
[ "$(grep -c 'warning' "$tmp/stall.log")" -eq 1 ] && ok "the warning is given once while it holds" \
    || bad "warnings: $(grep -c 'warning' "$tmp/stall.log")"

# 2. --on-stall stop: exit 3 at the warning; last.nin keeps the last completed epoch, the stalled network goes to
# stalled.nin
"$NIN_CL" $TRAIN $STALL --epochs 3 --on-stall stop --out "$tmp/stop" > "$tmp/stop.log" 2>&1; rc=$?
epochs=$(grep -c '^epoch=' "$tmp/stop.log")
"$NIN_CL" inspect --model "$tmp/stop/last.nin" > "$tmp/last.txt" 2>&1
"$NIN_CL" inspect --model "$tmp/stop/stalled.nin" > "$tmp/stalled.txt" 2>&1
if [ $rc -eq 3 ] && grep -q "^stopped at step $step by --on-stall stop; the checkpoints keep the last good epoch; the stalled network is in $tmp/stop/stalled.nin" "$tmp/stop.log" \
    && head -1 "$tmp/last.txt" | grep -q ", epoch $epochs step $((epochs * 15)), " \
    && head -1 "$tmp/stalled.txt" | grep -q " step $step, "; then
    ok "--on-stall stop: exit 3 at step $step; last.nin still holds epoch $epochs, stalled.nin step $step"
else
    bad "--on-stall stop: rc=$rc"; cat "$tmp/stop.log" "$tmp/last.txt" "$tmp/stalled.txt"
fi

# 3. inspect shows why: the class layer's 10 maps all dead, the diagnosis names the cause
out=$(cat "$tmp/stalled.txt")
if echo "$out" | grep -Eq '^4 +10c1 +10x14x14 .* 10/10 +0$' \
    && echo "$out" | grep -q '^batch: the first 32 training images of .*: loss 2.3026 (ln(10) = 2.3026)' \
    && echo "$out" | grep -q '^diagnosis: unhealthy: all 10 class maps are 0 on every image'; then
    ok "inspect: 10/10 dead class maps, diagnosis names the dead ReLU"
else
    bad "inspect: $out"
fi

# 4. no false alarm: the same network with --no-final-relu, the default init and a sane learning rate
"$NIN_CL" $TRAIN --net 16c5p2-mp3s2-16c3p1-10c1-gap --no-final-relu --lr 0.05 --warmup 10 --epochs 10 \
    --on-stall stop --out "$tmp/good" > "$tmp/good.log" 2>&1; rc=$?
loss=$(grep '^epoch=10 ' "$tmp/good.log" | tr ' ' '\n' | grep '^train_loss=' | cut -d= -f2)
if [ $rc -eq 0 ] && ! grep -q 'warning' "$tmp/good.log" && grep -q ', net 16c5p2-mp3s2-16c3p1-10c1l-gap, ' "$tmp/good.log" \
    && awk "BEGIN { exit !(${loss:-99} < 1.0) }"; then
    ok "healthy run: no warning, --no-final-relu made the class layer linear, loss $loss"
else
    bad "healthy run: rc=$rc loss=$loss"; cat "$tmp/good.log"
fi
out=$("$NIN_CL" inspect --model "$tmp/good/last.nin" 2>&1)
echo "$out" | grep -q '^diagnosis: looks healthy: ' && ok "inspect: $(echo "$out" | grep '^diagnosis')" \
    || bad "inspect healthy: $out"

# 5. a NaN loss: one error line naming the step (after any warning); no checkpoint written after it
"$NIN_CL" $TRAIN --net 16c5p2-mp3s2-16c3p1-10c1l-gap --lr 100 --warmup 20 --epochs 30 --out "$tmp/nan" \
    > "$tmp/nan.out" 2> "$tmp/nan.err"; rc=$?
last=$(grep '^epoch=' "$tmp/nan.out" | tail -1 | cut -d' ' -f1 | cut -d= -f2)
if [ $rc -eq 1 ] && [ "$(grep -c 'error' "$tmp/nan.err")" -eq 1 ] \
    && tail -1 "$tmp/nan.err" | grep -Eq '^nin-cl: error: (the loss became (NaN|Inf) at step [0-9]+|the evaluation loss became NaN or Inf after epoch [0-9]+|the weights became NaN or Inf at step [0-9]+)' "$tmp/nan.err" \
    && grep -q 'lower --lr' "$tmp/nan.err" && [ -n "$last" ] && [ "$last" -lt 30 ] \
    && "$NIN_CL" inspect --model "$tmp/nan/last.nin" > "$tmp/nan.txt" 2>&1 \
    && head -1 "$tmp/nan.txt" | grep -q "(0 NaN or Inf), epoch $last step "; then
    ok "NaN: $(tail -1 "$tmp/nan.err"); last.nin holds epoch $last, finite"
else
    bad "NaN: rc=$rc last=$last"; cat "$tmp/nan.out" "$tmp/nan.err" "$tmp/nan.txt"
fi
out=$("$NIN_CL" test --model "$tmp/nan/last.nin" mnist --data "$tmp/data" 2>&1)
echo "$out" | head -1 | grep -Eq '^test_acc=[0-9.]+ test_loss=[0-9.]+ n=64$' \
    && ok "last.nin evaluates finitely: $(echo "$out" | head -1)" \
    || bad "test on last.nin: $out"

# 6. data parallel (a build with MPI): the ranks agree on the stall, only rank 0 warns, all stop at its step
if [ "${NIN_MPI:-no}" = yes ] && command -v mpirun > /dev/null; then
    MPIRUN="mpirun --oversubscribe -np 2 --mca btl_vader_single_copy_mechanism none"
    [ "$(id -u)" -eq 0 ] && MPIRUN="$MPIRUN --allow-run-as-root"
    timeout 120 $MPIRUN "$NIN_CL" $TRAIN $STALL --epochs 3 --on-stall stop --out "$tmp/mpi" > "$tmp/mpi.log" 2>&1; rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ "$(grep -c '^nin-cl: warning: ' "$tmp/mpi.log")" -eq 1 ] \
        && grep -q "^stopped at step $step by --on-stall stop; " "$tmp/mpi.log" && [ -f "$tmp/mpi/stalled.nin" ]; then
        ok "2 MPI ranks: one warning, both stopped at step $step"
    else
        bad "2 MPI ranks: rc=$rc (124: the ranks hung)"; cat "$tmp/mpi.log"
    fi
fi

# 7. clear errors
out=$("$NIN_CL" $TRAIN --on-stall later 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q -- "--on-stall takes warn or stop, not 'later'" && ok "bad --on-stall: one line" \
    || bad "--on-stall later: $out"
out=$("$NIN_CL" inspect --model "$tmp/nowhere.nin" 2>&1); rc=$?
[ $rc -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q 'nowhere.nin' && ok "inspect, missing model: one line" \
    || bad "inspect missing model: $out"

finish health
