#!/bin/sh
# rundir.sh - a trained model is never lost: a run directory belongs to one run (locked; a second run into it is
# refused, the first goes on), a repeated --out is refused (--overwrite replaces), the default directory never
# collides, --keep-epochs keeps the last epochs for a roll-back, --resume checks the data against the
# checkpoint's fingerprint and `test` warns about testing on the training images, a device error in the middle of
# a run keeps the last completed epoch, a half-written metrics line after kill -9 is dropped, and the resident
# memory holds steady from epoch 2 to epoch 10. (tests/faults.sh has kill -9 at random moments, a full disk.)
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
SRC=${NIN_TEST_SRCDIR:-$(dirname "$0")}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$SRC/make_synthetic.py" "$tmp/data" 1200 100
NET=16c5p2-mp3s2-16c3p1-10c1l-gap
TRAIN="train mnist --data $tmp/data --net $NET --batch 32 --val-size 100 --train-limit 320 --warmup 10 --patience 1000"
# epoch_of FILE: "EPOCH STEP" (epochs completed, steps overall) of a checkpoint that loads (nin-cl inspect reads and
# checks it), else nothing
epoch_of() { "$NIN_CL" inspect --model "$1" 2>/dev/null | sed -n '1s/.* epoch \([0-9]*\) step \([0-9]*\),.*/\1 \2/p'; }
# at_epoch FILE E: the checkpoint loads and holds the end of epoch E (10 steps an epoch)
at_epoch() { [ "$(epoch_of "$1")" = "$2 $(($2 * 10))" ]; }
# wait_for FILE PID: until FILE exists or the process ends (120 s at most)
wait_for() {
    i=0
    while [ ! -e "$1" ] && kill -0 "$2" 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
}
# epochs_in LOG: how many epoch lines a run printed
epochs_in() { cat "$1" 2>/dev/null | grep -c '^epoch='; }   # 0 before the log exists (a background run's shell makes it)

# 1. two runs into one folder: the second is refused at once, naming the folder and the first run's process;
#    the first goes on (stopped here by SIGTERM, which saves last.nin, after the refusal) and its checkpoint loads
"$NIN_CL" $TRAIN --epochs 100000 --out "$tmp/a" > "$tmp/a.log" 2>&1 &
first=$!
wait_for "$tmp/a/metrics.csv" $first   # epoch 1 done: last.nin, best.nin and metrics.csv are there
"$NIN_CL" $TRAIN --epochs 1 --out "$tmp/a" > "$tmp/b.out" 2> "$tmp/b.err"; rc=$?
want="nin-cl: error: output directory $tmp/a is in use by another run: process $first (.*) is writing into it (wait for it to end, or choose another --out)"
alive=$(kill -0 $first 2>/dev/null && echo yes)
kill -TERM $first 2>/dev/null
wait $first; first_rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l < "$tmp/b.err")" -eq 1 ] && grep -qx "$want" "$tmp/b.err" && [ ! -s "$tmp/b.out" ] \
    && [ "$alive" = yes ] && [ $first_rc -eq 143 ] && [ -n "$(epoch_of "$tmp/a/last.nin")" ] \
    && ! grep -q error "$tmp/a.log" && [ ! -e "$tmp/a/nin-cl.lock" ]; then
    ok "a second run into a locked folder: '$(cat "$tmp/b.err")'; the first went on, its last.nin loads"
else
    bad "two runs into one folder: rc=$rc first_rc=$first_rc alive=$alive"; cat "$tmp/b.err" "$tmp/a.log"; ls "$tmp/a"
fi

# 2. a new run into the folder of an earlier one is refused and changes nothing; --overwrite replaces it
cp "$tmp/a/last.nin" "$tmp/a-last.nin"
out=$("$NIN_CL" $TRAIN --epochs 1 --out "$tmp/a" 2>&1); rc=$?
want="nin-cl: error: output directory $tmp/a holds an earlier run (last.nin, best.nin, metrics.csv): go on with it with --resume $tmp/a/last.nin, train into a new folder (another --out), or give --overwrite to replace it"
[ $rc -eq 1 ] && [ "$out" = "$want" ] && cmp -s "$tmp/a/last.nin" "$tmp/a-last.nin" \
    && ok "a repeated --out: '$out'; the earlier last.nin untouched" || bad "repeated --out: rc=$rc '$out'"
"$NIN_CL" $TRAIN --epochs 2 --out "$tmp/a" --overwrite > "$tmp/over.log" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -qx "note: --overwrite: removed the earlier run's last.nin, best.nin, metrics.csv from $tmp/a" "$tmp/over.log" \
    && at_epoch "$tmp/a/last.nin" 2 && metrics_ok "$tmp/a/metrics.csv" 2 \
    && ok "--overwrite: the earlier run removed, the new one's 2 epochs in its place" \
    || { bad "--overwrite: rc=$rc"; cat "$tmp/over.log"; }

# 3. the default folder runs/DATASET-DATE-TIME is always a new one: with the names of the next seconds taken by
#    other runs, two runs started together get two new folders, and the others' stay as they were
mkdir "$tmp/cwd"
now=$(date +%s)
for s in 0 1 2 3 4 5 6 7 8 9; do
    taken="$tmp/cwd/runs/mnist-$(date -d "@$((now + s))" +%Y%m%d-%H%M%S)"
    mkdir -p "$taken" && echo other > "$taken/last.nin"
done
(cd "$tmp/cwd" && "$NIN_CL" $TRAIN --max-steps 1 > "$tmp/d1.log" 2>&1) & d1=$!
(cd "$tmp/cwd" && "$NIN_CL" $TRAIN --max-steps 1 > "$tmp/d2.log" 2>&1) & d2=$!
wait $d1; rc1=$?
wait $d2; rc2=$?
dir1=$(sed -n 's/^nin-cl train .*, output \(runs\/mnist-[0-9-]*\)$/\1/p' "$tmp/d1.log")
dir2=$(sed -n 's/^nin-cl train .*, output \(runs\/mnist-[0-9-]*\)$/\1/p' "$tmp/d2.log")
others=$(grep -alx other "$tmp"/cwd/runs/*/last.nin | wc -l)
if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ -n "$dir1" ] && [ -n "$dir2" ] && [ "$dir1" != "$dir2" ] \
    && [ -n "$(epoch_of "$tmp/cwd/$dir1/last.nin")" ] && [ -n "$(epoch_of "$tmp/cwd/$dir2/last.nin")" ] \
    && [ "$others" -eq 10 ]; then
    ok "two runs without --out, the names of the next 10 s taken: $dir1 and $dir2, the others untouched"
else
    bad "default folders: rc=$rc1/$rc2 '$dir1' '$dir2' others=$others"; cat "$tmp/d1.log" "$tmp/d2.log"
fi

# 4. --keep-epochs 2: epoch-9.nin and epoch-10.nin beside last.nin (a hard link to the last); a roll-back to
#    epoch 9 goes on from there and the metrics follow it. The same run's resident memory after epochs 2 and 10.
"$NIN_CL" $TRAIN --epochs 10 --keep-epochs 2 --report-memory --out "$tmp/keep" > "$tmp/keep.log" 2>&1; rc=$?
kept=$(cd "$tmp/keep" && ls epoch-*.nin | tr '\n' ' ')
if [ $rc -eq 0 ] && [ "$kept" = "epoch-10.nin epoch-9.nin " ] && at_epoch "$tmp/keep/epoch-9.nin" 9 \
    && cmp -s "$tmp/keep/epoch-10.nin" "$tmp/keep/last.nin"; then
    ok "--keep-epochs 2 after 10 epochs: $kept"
else
    bad "--keep-epochs: rc=$rc kept '$kept'"; cat "$tmp/keep.log"
fi
"$NIN_CL" train --resume "$tmp/keep/epoch-9.nin" --epochs 11 > "$tmp/back.log" 2>&1; rc=$?
kept=$(cd "$tmp/keep" && ls epoch-*.nin | tr '\n' ' ')
[ $rc -eq 0 ] && grep -q '^resuming at epoch 10 step 0 ' "$tmp/back.log" && [ "$kept" = "epoch-10.nin epoch-11.nin " ] \
    && metrics_ok "$tmp/keep/metrics.csv" 11 && ok "--resume DIR/epoch-9.nin rolls back: epochs 10 and 11 again, $kept" \
    || { bad "roll-back: rc=$rc kept '$kept'"; cat "$tmp/back.log"; }
rss2=$(sed -n 's/^memory after epoch 2: \([0-9]*\) kB resident$/\1/p' "$tmp/keep.log")
rss10=$(sed -n 's/^memory after epoch 10: \([0-9]*\) kB resident$/\1/p' "$tmp/keep.log")
if sanitized; then
    echo "skipped: resident memory under AddressSanitizer, whose quarantine holds freed memory ($rss2 kB, $rss10 kB)"
elif [ -n "$rss2" ] && [ -n "$rss10" ] && [ $(((rss10 - rss2) * 100)) -lt "$rss2" ] && [ $(((rss2 - rss10) * 100)) -lt "$rss2" ]; then
    ok "resident memory after epoch 2: $rss2 kB, after epoch 10: $rss10 kB (within 1 %)"
else
    bad "resident memory: after epoch 2 '$rss2' kB, after epoch 10 '$rss10' kB"; grep '^memory' "$tmp/keep.log"
fi

# 5. --resume against other data: one line naming what differs; --data-changed ok goes on and the checkpoints then
#    record the new data. A changed pixel of a training image, then a changed test label.
changed() {   # changed DIR FILE OFFSET MASK: a copy of the data with one byte of FILE (gzip'ed IDX) XORed with MASK
    cp -r "$tmp/data" "$1"
    python3 -c 'import gzip, sys
p = sys.argv[1]; b = bytearray(gzip.open(p).read()); b[int(sys.argv[2])] ^= int(sys.argv[3])
gzip.open(p, "wb").write(bytes(b))' "$1/$2" "$3" "$4"
}
changed "$tmp/data2" train-images-idx3-ubyte.gz $((16 + 5 * 784 + 400)) 255   # a pixel of training image 5
changed "$tmp/data3" t10k-labels-idx1-ubyte.gz $((8 + 7)) 1                    # test image 7's label: 0<->1, 2<->3...
out=$("$NIN_CL" train --resume "$tmp/keep/last.nin" --data "$tmp/data2" --epochs 12 2>&1); rc=$?
want="nin-cl: error: --resume: the data in $tmp/data2 is not what the run was trained on: the training images differ( \(pixel mean/std [0-9./]*, the run's [0-9./]*\))?; the validation and test splits are the same; --data-changed ok goes on anyway"
[ $rc -eq 1 ] && echo "$out" | grep -Eqx "$want" && at_epoch "$tmp/keep/last.nin" 11 \
    && ok "--resume on a changed training image: '$out'" || bad "resume on changed images: rc=$rc '$out'"
out=$("$NIN_CL" train --resume "$tmp/keep/last.nin" --data "$tmp/data3" --epochs 12 2>&1); rc=$?
want="nin-cl: error: --resume: the data in $tmp/data3 is not what the run was trained on: the test labels differ; the training and validation splits are the same; --data-changed ok goes on anyway"
[ $rc -eq 1 ] && [ "$out" = "$want" ] && ok "--resume on a changed test label: '$out'" \
    || bad "resume on a changed label: rc=$rc '$out'"
"$NIN_CL" train --resume "$tmp/keep/last.nin" --data "$tmp/data2" --epochs 12 --data-changed ok > "$tmp/ok.log" 2>&1; rc=$?
"$NIN_CL" train --resume "$tmp/keep/last.nin" --data "$tmp/data2" --epochs 13 > "$tmp/ok2.log" 2>&1; rc2=$?
[ $rc -eq 0 ] && grep -q "^note: the data in $tmp/data2 is not what the run was trained on (the training images differ.*); going on with it, as --data-changed ok asks$" "$tmp/ok.log" \
    && [ $rc2 -eq 0 ] && grep -q '^epoch=13 ' "$tmp/ok2.log" \
    && ok "--data-changed ok goes on; the checkpoint then records the new data" \
    || { bad "--data-changed ok: rc=$rc/$rc2"; cat "$tmp/ok.log" "$tmp/ok2.log"; }

# 6. testing on the very images a model was trained on: a data folder whose test files are its training files
cp -r "$tmp/data" "$tmp/same"
cp "$tmp/same/train-images-idx3-ubyte.gz" "$tmp/same/t10k-images-idx3-ubyte.gz"
cp "$tmp/same/train-labels-idx1-ubyte.gz" "$tmp/same/t10k-labels-idx1-ubyte.gz"
"$NIN_CL" train mnist --data "$tmp/data" --net $NET --batch 32 --val-size 100 --max-steps 1 --out "$tmp/all" > /dev/null 2>&1
err=$("$NIN_CL" test --model "$tmp/all/last.nin" mnist --data "$tmp/same" 2>&1 >/dev/null)
clean=$("$NIN_CL" test --model "$tmp/all/last.nin" mnist --data "$tmp/data" 2>&1 >/dev/null)
[ "$err" = "nin-cl: warning: the test images in $tmp/same are the training and validation images $tmp/all/last.nin was trained on: this accuracy says nothing about images it has not seen" ] \
    && [ -z "$clean" ] && ok "test on the training images: '$err'; none on the test split" \
    || bad "test on the training images: '$err' / '$clean'"

# 7. a device error in the middle of a run (the test-only hook NIN_FAULT_LAUNCH=N fails the N-th kernel launch with
#    CL_OUT_OF_RESOURCES): one line naming the call and the error; last.nin and best.nin load and hold the last
#    completed epoch, metrics.csv its lines. N=400 lands in epoch 2's steps, N=520 in its evaluation (with this net
#    and the default GEMM when this was written; the checks hold wherever it lands).
for n in 400 520; do
    NIN_FAULT_LAUNCH=$n "$NIN_CL" $TRAIN --epochs 5 --out "$tmp/fault$n" > "$tmp/fault$n.log" 2> "$tmp/fault$n.err"; rc=$?
    done_epochs=$(epochs_in "$tmp/fault$n.log")
    steps=$(grep -c "^epoch $((done_epochs + 1)) step 10/10 " "$tmp/fault$n.log")
    where=$([ "$steps" -eq 1 ] && echo "the evaluation" || echo "the steps")
    if [ $rc -eq 1 ] && [ "$(wc -l < "$tmp/fault$n.err")" -eq 1 ] && [ "$done_epochs" -ge 1 ] \
        && grep -Eqx 'nin-cl: error: clEnqueueNDRangeKernel\([a-z0-9_]+\) failed: CL_OUT_OF_RESOURCES \(-5\) at ([^ ]*/)?src/runtime.c:[0-9]+' "$tmp/fault$n.err" \
        && at_epoch "$tmp/fault$n/last.nin" "$done_epochs" && [ -n "$(epoch_of "$tmp/fault$n/best.nin")" ] \
        && metrics_ok "$tmp/fault$n/metrics.csv" "$done_epochs" && ! ls "$tmp/fault$n" | grep -q '\.tmp\.'; then
        ok "launch $n fails in $where of epoch $((done_epochs + 1)): '$(cat "$tmp/fault$n.err")'; last.nin holds epoch $done_epochs"
    else
        bad "device error at launch $n: rc=$rc epochs=$done_epochs"; cat "$tmp/fault$n.err"; ls "$tmp/fault$n"
    fi
done

# 8. kill -9, and a metrics line cut short (as a crash of a writer that appends could leave it): the run's lock is
#    gone with its process, and --resume drops the torn line and writes each epoch once
"$NIN_CL" $TRAIN --epochs 100000 --out "$tmp/torn" > "$tmp/torn.log" 2>&1 &
pid=$!
i=0
while [ "$(epochs_in "$tmp/torn.log")" -lt 2 ] && kill -0 $pid 2>/dev/null && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
last=$(tail -1 "$tmp/torn/metrics.csv" | cut -d, -f1)
printf '%s,0.0175,2.30' $((last + 1)) >> "$tmp/torn/metrics.csv"
final=$((last + 2))
stale=$([ -e "$tmp/torn/nin-cl.lock" ] && echo "its lock file left behind, ")
"$NIN_CL" train --resume "$tmp/torn/last.nin" --epochs $final > "$tmp/torn2.log" 2>&1; rc=$?
[ $rc -eq 0 ] && metrics_ok "$tmp/torn/metrics.csv" $final \
    && ok "kill -9 after epoch $last, ${stale}a torn metrics line: --resume to epoch $final, each epoch's line once" \
    || { bad "torn metrics line: rc=$rc"; cat "$tmp/torn2.log" "$tmp/torn/metrics.csv"; }

finish rundir
