#!/bin/sh
# train.sh - end-to-end training on a small learnable dataset in MNIST's format: accuracy, the epoch lines,
# metrics.csv, checkpoints, test and predict, kill -9 + --resume, SIGTERM mid-epoch + exact resume.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
SRC=${NIN_TEST_SRCDIR:-$(dirname "$0")}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$SRC/make_synthetic.py" "$tmp/data" 3000 300
NET=32c5p2-mp3s2-d0.1-32c3p1-10c1l-gap
TRAIN="train mnist --data $tmp/data --net $NET --batch 32 --val-size 200 --lr 0.05 --warmup 60"
train() { "$NIN_CL" $TRAIN "$@"; }
last_field() { grep '^epoch=' "$1" | tail -1 | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }

# 1. a short run learns: >= 90 % test accuracy, one epoch line per epoch, metrics.csv, checkpoints
train --epochs 4 --out "$tmp/a" > "$tmp/a.log" 2>&1; rc=$?
acc=$(last_field "$tmp/a.log" test_acc)
if [ $rc -eq 0 ] && [ "$(grep -c '^epoch=[0-9]* train_loss=.* val_acc=.* test_acc=' "$tmp/a.log")" -eq 4 ] \
    && awk "BEGIN { exit !(${acc:-0} >= 0.90) }"; then
    ok "4 epochs on the synthetic set reach test_acc=$acc"
else
    bad "training: rc=$rc acc=$acc"; cat "$tmp/a.log"
fi
[ -f "$tmp/a/last.nin" ] && [ -f "$tmp/a/best.nin" ] && [ "$(wc -l < "$tmp/a/metrics.csv")" -eq 5 ] \
    && head -1 "$tmp/a/metrics.csv" | grep -q '^epoch,lr,train_loss,train_acc,val_loss,val_acc,test_loss,test_acc' \
    && ok "last.nin, best.nin and metrics.csv written" || bad "checkpoints/metrics: $(ls "$tmp/a")"

# 2. test and predict on the checkpoint
out=$("$NIN_CL" test --model "$tmp/a/last.nin" mnist --data "$tmp/data" 2>&1)
echo "$out" | tail -1 | grep -Eq "^test_acc=$acc test_loss=[0-9.]+ n=300$" && ok "test: $out" || bad "test: $out (want $acc)"
python3 "$SRC/make_synthetic.py" --pgm "$tmp/img.pgm" 7
out=$("$NIN_CL" predict --model "$tmp/a/best.nin" "$tmp/img.pgm" 2>&1)
[ "$(echo "$out" | grep -c '^  [1-5]\. ')" -eq 5 ] && echo "$out" | grep -q '^  1\. 7 ' && ok "predict: top-5, class 7 first" \
    || bad "predict: $out"

# 3. kill -9 during an epoch, then --resume last.nin continues from the last completed epoch
"$NIN_CL" $TRAIN --train-limit 640 --epochs 4 --out "$tmp/k" > "$tmp/k.log" 2>&1 &
pid=$!
i=0
while [ ! -f "$tmp/k/last.nin" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.3
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
done_epochs=$(grep -c '^epoch=' "$tmp/k.log")
"$NIN_CL" train --resume "$tmp/k/last.nin" > "$tmp/k2.log" 2>&1; rc=$?
first=$(grep '^epoch=' "$tmp/k2.log" | head -1 | cut -d' ' -f1)
# the last.nin of the last printed epoch may not have been written when the kill came: at most that epoch is redone
if [ $rc -eq 0 ] && { [ "$first" = "epoch=$((done_epochs + 1))" ] || [ "$first" = "epoch=$done_epochs" ]; } \
    && [ "$done_epochs" -ge 1 ] && grep -q '^epoch=4 ' "$tmp/k2.log"; then
    ok "kill -9 after $done_epochs epoch(s) printed: --resume went on at $first to epoch 4"
else
    bad "kill -9 resume: rc=$rc first=$first done=$done_epochs"; cat "$tmp/k2.log"
fi

# 4. SIGTERM mid-epoch writes last.nin there; resuming gives exactly the uninterrupted run
train --train-limit 1600 --epochs 2 --out "$tmp/full" > "$tmp/full.log" 2>&1
"$NIN_CL" $TRAIN --train-limit 1600 --epochs 2 --out "$tmp/t" > "$tmp/t.log" 2>&1 &
pid=$!
i=0
while ! grep -q '^epoch 2 step' "$tmp/t.log" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM $pid
wait $pid; rc=$?
"$NIN_CL" train --resume "$tmp/t/last.nin" > "$tmp/t2.log" 2>&1
want=$(grep '^epoch=2 ' "$tmp/full.log" | sed 's/ time=.*//')
got=$(grep '^epoch=2 ' "$tmp/t2.log" | sed 's/ time=.*//')
if [ $rc -eq 143 ] && grep -q 'resuming at epoch 2 step [1-9]' "$tmp/t2.log" && [ -n "$want" ] && [ "$want" = "$got" ]; then
    ok "SIGTERM mid-epoch (exit 143) + --resume = the uninterrupted run: $got"
else
    bad "SIGTERM resume: rc=$rc"; echo "want: $want"; echo "got:  $got"; cat "$tmp/t.log" "$tmp/t2.log"
fi

# 5. --max-steps stops inside an epoch and keeps it open: --resume finishes that epoch
train --train-limit 640 --epochs 1 --max-steps 5 --out "$tmp/m" > "$tmp/m.log" 2>&1; rc=$?
"$NIN_CL" train --resume "$tmp/m/last.nin" > "$tmp/m2.log" 2>&1
if [ $rc -eq 0 ] && grep -q '^stopped after --max-steps 5 at epoch 1 step 5: ' "$tmp/m.log" && ! grep -q '^epoch=' "$tmp/m.log" \
    && grep -q '^resuming at epoch 1 step 5 ' "$tmp/m2.log" && grep -q '^epoch=1 ' "$tmp/m2.log"; then
    ok "--max-steps 5 keeps epoch 1 open; --resume finishes it"
else
    bad "--max-steps resume"; cat "$tmp/m.log" "$tmp/m2.log"
fi
out=$("$NIN_CL" train --resume "$tmp/m/last.nin" --lr 0.5 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q -- "--lr: --resume goes on with the checkpoint's settings" \
    && ok "--resume rejects options that would change the run" || bad "--resume --lr: $out"

# 6. clear errors
out=$("$NIN_CL" train mnist --data "$tmp/nowhere" 2>&1); rc=$?
[ $rc -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q 'nowhere' && ok "missing data: one line" || bad "missing data: $out"
out=$("$NIN_CL" train mnist --lr fast 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q -- "--lr takes a number" && ok "bad option value: clear line" || bad "--lr: $out"
printf 'garbage' > "$tmp/bad.nin"
out=$("$NIN_CL" test --model "$tmp/bad.nin" mnist --data "$tmp/data" 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q 'not a nin-cl checkpoint' && ok "bad checkpoint: clear line" || bad "bad checkpoint: $out"

finish train
