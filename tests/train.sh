#!/bin/sh
# train.sh - end-to-end training on a small learnable dataset in MNIST's format: accuracy, the epoch lines,
# metrics.csv, checkpoints, test (its per-class report, confusion matrix and --confusion picture) and predict,
# kill -9 + --resume, SIGTERM mid-epoch + exact resume, the same with --max-steps for the step and cosine schedules.
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

# 2. test and predict on the checkpoint: the summary line first, then each class's accuracy and the confusion matrix
# report_problems OUTPUT: what is inconsistent in test's report of 300 images in 10 classes (nothing when it is
# right): the class lines' totals make n and their correct counts test_acc, each class's accuracy is its
# correct/total, each matrix row sums to its class's total and has the correct count on the diagonal.
report_problems() {
    echo "$1" | awk -v acc="$(echo "$1" | head -1 | sed -n 's/^test_acc=\([0-9.]*\) .*/\1/p')" '
        /^class +correct\/total +accuracy$/ { part = "classes"; next }
        /^all / { part = "" }
        /^true +0 +1 +2 / { part = "matrix"; next }
        part == "classes" {
            split($(NF - 1), ct, "/"); correct[k] = ct[1]; total[k] = ct[2]; right += ct[1]; n += ct[2]
            if ((ct[2] ? sprintf("%.2f%%", 100 * ct[1] / ct[2]) : "-") != $NF) problems = problems " class " k ": " $0
            k++
        }
        part == "matrix" && r < 10 {
            sum = 0
            for (i = NF - 9; i <= NF; i++) sum += $i
            if (sum != total[r]) problems = problems " row " r " sums to " sum
            if ($(NF - 9 + r) != correct[r]) problems = problems " row " r " has " $(NF - 9 + r) " on the diagonal"
            r++
        }
        END {
            if (k != 10 || r != 10) problems = problems " " k + 0 " class lines, " r + 0 " matrix rows"
            if (n != 300) problems = problems " the classes hold " n " images"
            if (sprintf("%.4f", right / 300) != acc) problems = problems " " right " correct, test_acc=" acc
            printf "%s", problems
        }'
}
png_size() {   # FILE: WIDTHxHEIGHT of a PNG, or nothing when it is not one
    python3 -c 'import struct, sys
d = open(sys.argv[1], "rb").read(24)
if d[:8] == b"\x89PNG\r\n\x1a\n" and d[12:16] == b"IHDR": print("%dx%d" % struct.unpack(">II", d[16:24]))' "$1"
}
out=$("$NIN_CL" test --model "$tmp/a/last.nin" mnist --data "$tmp/data" --confusion "$tmp/confusion.png" 2>&1); rc=$?
summary=$(echo "$out" | grep '^test_acc=')
[ $rc -eq 0 ] && [ "$(echo "$out" | head -1)" = "$summary" ] && echo "$summary" | grep -Eq "^test_acc=$acc test_loss=[0-9.]+ n=300$" \
    && ok "test: $summary" || bad "test: $out (want $acc)"
problems=$(report_problems "$out")
[ -z "$problems" ] && ok "test: 10 class lines and a 10x10 matrix agree with $summary" \
    || { bad "test report:$problems"; echo "$out"; }
size=$(png_size "$tmp/confusion.png")
w=${size%x*} h=${size#*x}
[ -n "$size" ] && [ "$w" -ge 400 ] && [ "$w" -le 1000 ] && [ "$h" -ge 400 ] && [ "$h" -le 1000 ] \
    && ok "test --confusion: a ${size} PNG" || bad "test --confusion: '$size'"
out=$("$NIN_CL" test --model "$tmp/a/last.nin" mnist --data "$tmp/data" --confusion "$tmp/nowhere/c.png" 2>&1 > /dev/null); rc=$?
[ $rc -eq 1 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] \
    && echo "$out" | grep -q "^nin-cl: error: --confusion $tmp/nowhere/c.png: cannot create: " \
    && ok "test --confusion in a missing directory: $out" || bad "test --confusion nowhere: rc=$rc: $out"
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
while ! grep -q '^epoch 2 step' "$tmp/t.log" 2>/dev/null && kill -0 $pid 2>/dev/null && [ $i -lt 6000 ]; do   # a loaded machine: minutes
    sleep 0.05; i=$((i + 1))
done
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

# 4b. the step and cosine schedules, one with the learning-rate multipliers, survive a stop inside an epoch:
# --max-steps 13 (epoch 2, step 3 of 10), then --resume, gives the uninterrupted run's metrics.csv, lr column
# included (the rate of each epoch's last step: step lr/10 in epoch 2; cosine lr*(1+cos(pi*t/15))/2, t=4 and 14)
no_time() { cut -d, -f1-8 "$1/metrics.csv"; }
for schedule in "step --lr-steps 1" "cosine --warmup 5 --bias-lr-mult 2 --class-lr-mult 0.1"; do
    name=${schedule%% *} lrs=0.05,0.005
    [ "$name" = cosine ] && lrs=0.0417283,0.00054631
    # shellcheck disable=SC2086
    train --train-limit 320 --epochs 2 --schedule $schedule --out "$tmp/$name" > "$tmp/$name.log" 2>&1
    # shellcheck disable=SC2086
    train --train-limit 320 --epochs 2 --schedule $schedule --max-steps 13 --out "$tmp/$name-cut" > "$tmp/$name-cut.log" 2>&1
    "$NIN_CL" train --resume "$tmp/$name-cut/last.nin" > "$tmp/$name-resumed.log" 2>&1; rc=$?
    want=$(no_time "$tmp/$name") got=$(no_time "$tmp/$name-cut")
    if [ $rc -eq 0 ] && grep -q '^resuming at epoch 2 step 3 ' "$tmp/$name-resumed.log" \
        && [ "$(echo "$want" | cut -d, -f2 | tail -n +2 | paste -sd,)" = "$lrs" ] && [ "$want" = "$got" ]; then
        ok "--schedule $schedule: --max-steps + --resume = the uninterrupted run, lr $lrs"
    else
        bad "--schedule $schedule resume: rc=$rc"; echo "want: $want"; echo "got:  $got"
        cat "$tmp/$name.log" "$tmp/$name-cut.log" "$tmp/$name-resumed.log"
    fi
done

# 4c. a plateau run that --min-lr ended is done when resumed: no epoch more. At --lr 1e-9 the weights barely move,
# so epoch 2 cannot improve on epoch 1 and --patience 1 divides the rate below --min-lr after it.
train --train-limit 320 --epochs 5 --lr 1e-9 --min-lr 5e-10 --patience 1 --out "$tmp/min-lr" > "$tmp/min-lr.log" 2>&1
"$NIN_CL" train --resume "$tmp/min-lr/last.nin" > "$tmp/min-lr2.log" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q '^learning rate 1e-10 is below --min-lr 5e-10: done' "$tmp/min-lr.log" \
    && [ "$(wc -l < "$tmp/min-lr/metrics.csv")" -eq 3 ] && ! grep -q '^epoch=' "$tmp/min-lr2.log" \
    && grep -q '^learning rate 1e-10 is below --min-lr 5e-10: done' "$tmp/min-lr2.log"; then
    ok "a run that --min-lr ended stops after epoch 2, and trains no epoch more when resumed"
else
    bad "--min-lr resume: rc=$rc"; cat "$tmp/min-lr.log" "$tmp/min-lr2.log"
fi

# 5. --max-steps stops inside an epoch and keeps it open; on --resume it counts that invocation's steps (5 more:
# step 10 of 13); a --resume without it finishes the epoch
train --train-limit 640 --epochs 1 --max-steps 5 --out "$tmp/m" > "$tmp/m.log" 2>&1; rc=$?
"$NIN_CL" train --resume "$tmp/m/last.nin" --max-steps 5 > "$tmp/m2.log" 2>&1
"$NIN_CL" train --resume "$tmp/m/last.nin" > "$tmp/m3.log" 2>&1
if [ $rc -eq 0 ] && grep -q '^stopped after --max-steps 5 at epoch 1 step 5: ' "$tmp/m.log" && ! grep -q '^epoch=' "$tmp/m.log" \
    && grep -q '^resuming at epoch 1 step 5 ' "$tmp/m2.log" && grep -q '^stopped after --max-steps 5 at epoch 1 step 10: ' "$tmp/m2.log" \
    && grep -q '^resuming at epoch 1 step 10 ' "$tmp/m3.log" && grep -q '^epoch=1 ' "$tmp/m3.log"; then
    ok "--max-steps 5 keeps epoch 1 open, a --resume with --max-steps 5 goes 5 steps further, one without finishes it"
else
    bad "--max-steps resume"; cat "$tmp/m.log" "$tmp/m2.log" "$tmp/m3.log"
fi
# the report of a network that still errs: the matrix has counts off its diagonal, and they add up
out=$("$NIN_CL" test --model "$tmp/m/last.nin" mnist --data "$tmp/data" 2>&1)
problems=$(report_problems "$out")
[ -z "$problems" ] && ok "test after one short epoch: the report agrees with $(echo "$out" | head -1)" \
    || { bad "test report after one short epoch:$problems"; echo "$out"; }
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
# neither a checkpoint nor ONNX: the ONNX reader's one line, naming the file
[ $rc -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q "^nin-cl: error: .*$tmp/bad.nin" \
    && ok "bad model file: one line naming it" || bad "bad model file: $out"
out=$("$NIN_CL" train --resume "$tmp/bad.nin" 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q 'not a nin-cl checkpoint' && ok "--resume of a non-checkpoint: clear line" \
    || bad "--resume bad.nin: $out"

finish train
