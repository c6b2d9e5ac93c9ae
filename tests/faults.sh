#!/bin/sh
# faults.sh - what a long run meets: kill -9 at random moments (repeated) then --resume, a full disk and an
# unusable output directory, a network too big for the device, and bad command-line values (exact lines).
# (A NaN/Inf loss is issue 8's training-health test; a kernel build failure's log is in tests/cli.sh.)
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
SRC=${NIN_TEST_SRCDIR:-$(dirname "$0")}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A private tuning file that picks the tiled GEMM: quick starts (CLBlast compiles its kernels in every process),
# and no kernel compile writing files under the file-size limit of test 2's fallback.
export NIN_TUNING_DIR=$tmp/tuning
tuning=$("$NIN_CL" tune 16c5p2-mp3s2-16c3p1-10c1l-gap --batch 8 --budget 0 2>&1 | sed -n 's/^chose gemm [a-z]*; wrote //p')
[ -n "$tuning" ] && echo "gemm tiled" > "$tuning" || bad "nin-cl tune wrote no tuning file"
python3 "$SRC/make_synthetic.py" "$tmp/data" 1200 100
NET=16c5p2-mp3s2-16c3p1-10c1l-gap
TRAIN="train mnist --data $tmp/data --net $NET --batch 32 --val-size 100 --train-limit 960 --warmup 10 --patience 1000"
EPOCHS=100   # 0.1-0.2 s each, up to a dozen per run before its kill: kills land in training, evaluation, writes
# a checkpoint loads (nin-cl test reads it, checks magic, version, sizes and CRC32, and evaluates it)
checkpoint_ok() { "$NIN_CL" test --model "$1" mnist --data "$tmp/data" > /dev/null 2>&1; }

# 1. kill -9 at random moments, several times, each followed by --resume: every checkpoint left behind loads,
#    no run redoes more than the epoch it was in, and the final run ends at epoch $EPOCHS. Each kill comes a
#    random 0-1.2 s after the run starts training, whatever its start-up takes.
seed=${NIN_FAULT_SEED:-$(date +%s)}
echo "kill -9 delays from seed $seed (NIN_FAULT_SEED=$seed repeats them)"
delays=$(awk -v seed="$seed" 'BEGIN { srand(seed); for (i = 0; i < 5; i++) printf "%.2f ", 1.2 * rand() }')
kills=0 redone_ok=1 loads_ok=1 printed=0
for delay in $delays; do
    started='^epoch [0-9]* step'   # training has begun
    if [ -f "$tmp/k/last.nin" ]; then
        "$NIN_CL" train --resume "$tmp/k/last.nin" --epochs $EPOCHS > "$tmp/k.$kills.log" 2>&1 &
    else   # the killed run may have left metrics.csv before its first last.nin: start it again over them
        "$NIN_CL" $TRAIN --epochs $EPOCHS --out "$tmp/k" --overwrite > "$tmp/k.$kills.log" 2>&1 &
        started='^epoch='   # and wait for its first epoch, however slow a loaded machine makes it
    fi
    pid=$!
    i=0
    while ! grep -qs "$started" "$tmp/k.$kills.log" && kill -0 $pid 2>/dev/null && [ $i -lt 3000 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    sleep "$delay"
    kill -9 $pid 2>/dev/null && kills=$((kills + 1))
    wait $pid 2>/dev/null
    if [ -f "$tmp/k/last.nin" ]; then
        checkpoint_ok "$tmp/k/last.nin" || { loads_ok=0; echo "last.nin after kill $kills does not load"; }
    fi
    printed=$(grep -h '^epoch=' "$tmp"/k.*.log 2>/dev/null | sed 's/ .*//' | sort -u | wc -l)
    echo "kill $kills after ${delay}s: $printed epochs completed so far"
done
# metrics.csv (metrics_ok, testlib.sh) holds every epoch once whatever the kills interrupted: an epoch redone
# after a kill between its metrics line and its last.nin replaces its line
# a kill -9 inside a checkpoint write leaves NAME.tmp.PID behind: the next write of NAME removes it (the
# process is gone); one is planted here so that the check below does not depend on where the kills landed
sh -c true & dead=$!; wait $dead
: > "$tmp/k/last.nin.tmp.$dead"
"$NIN_CL" train --resume "$tmp/k/last.nin" --epochs $EPOCHS > "$tmp/k.final.log" 2>&1; rc=$?
resumed=$(sed -n 's/^resuming at epoch \([0-9]*\) step \([0-9]*\).*/\1 \2/p' "$tmp/k.final.log")
# the epochs printed before the final resume, and the one it starts at: at most the epoch in progress is redone
first=${resumed%% *}
if [ $rc -eq 0 ] && [ $loads_ok -eq 1 ] && [ -n "$first" ] && [ "$first" -ge "$printed" ] \
    && [ "$first" -le $((printed + 1)) ] && grep -q "^epoch=$EPOCHS " "$tmp/k.final.log" \
    && checkpoint_ok "$tmp/k/last.nin" && ! ls "$tmp/k" | grep -q '\.tmp\.' && metrics_ok "$tmp/k/metrics.csv" $EPOCHS; then
    ok "$kills kill -9s: every last.nin loaded, the final --resume went on at epoch $first after $printed completed, to epoch $EPOCHS; metrics.csv holds each epoch once"
else
    bad "kill -9 loop: rc=$rc loads_ok=$loads_ok printed=$printed resumed='$resumed'"; cat "$tmp/k.final.log"; ls "$tmp/k"
    cat "$tmp/k/metrics.csv"
fi

# 2. the disk fills up: a tmpfs (in a user namespace, no root needed) sized to hold epoch 1's last.nin and
#    best.nin (and a page each for the run's lock file and the metrics file's atomic rewrite) but not epoch 2's
#    checkpoints as well. Without user namespaces, a file-size limit (ulimit -f) stands in. The
#    write that fails (last.nin or best.nin, as the page rounding falls) is named, the file it would have
#    replaced still loads, and last.nin resumes at the epoch after the last one it holds.
"$NIN_CL" $TRAIN --epochs 1 --out "$tmp/probe" > /dev/null 2>&1
size=$(wc -c < "$tmp/probe/last.nin")
full=$tmp/full
mkdir -p "$full"
cat > "$tmp/full.sh" <<EOF
mount -t tmpfs -o size=$((2 * size + 20480)) none "$full" || exit 99
"$NIN_CL" $TRAIN --epochs 3 --out "$full/run" > "$tmp/full.log" 2>&1
echo \$? > "$tmp/full.rc"
cp -r "$full/run" "$tmp/full-run"
EOF
if unshare --user --map-root-user --mount sh "$tmp/full.sh" 2>/dev/null; then
    how="a full $(((2 * size + 20480) / 1024)) KiB tmpfs"
    want="nin-cl: error: cannot write checkpoint $full/run/\(last\|best\).nin: No space left on device (the previous checkpoint is kept)"
else
    how="ulimit -f (no user namespaces here)"
    cp -r "$tmp/probe" "$tmp/full-run"
    # half the checkpoint whether the shell counts ulimit -f in 512- or 1024-byte blocks
    (trap '' XFSZ; ulimit -f $((size / 2048)); exec "$NIN_CL" train --resume "$tmp/full-run/last.nin" --epochs 3) \
        > "$tmp/full.log" 2>&1
    echo $? > "$tmp/full.rc"
    want="nin-cl: error: cannot write checkpoint $tmp/full-run/\(last\|best\).nin: File too large (the previous checkpoint is kept)"
fi
got=$(tail -1 "$tmp/full.log")
failed=$(echo "$got" | sed -n 's|.*/\([a-z]*\.nin\): .*|\1|p')
if [ "$(cat "$tmp/full.rc")" = 1 ] && echo "$got" | grep -qx "$want" && checkpoint_ok "$tmp/full-run/$failed" \
    && checkpoint_ok "$tmp/full-run/last.nin" \
    && "$NIN_CL" train --resume "$tmp/full-run/last.nin" --max-steps 1 2>&1 | grep -q '^resuming at epoch [23] step 0 ' \
    && ! ls "$tmp/full-run" | grep -q '\.tmp\.'; then
    ok "disk full ($how): '$got', the previous $failed intact, last.nin resumes, no temporary file left"
else
    bad "disk full ($how): rc=$(cat "$tmp/full.rc")"; echo "got:  $got"; echo "want: $want"; cat "$tmp/full.log"
fi

# 3. an output directory that cannot be one, or cannot be written: one line before any training
touch "$tmp/file"
out=$("$NIN_CL" $TRAIN --epochs 1 --out "$tmp/file/run" 2>&1); rc=$?
[ $rc -eq 1 ] && [ "$(echo "$out" | tail -1)" = "nin-cl: error: output directory: $tmp/file is not a directory" ] \
    && ! echo "$out" | grep -q '^epoch' && ok "--out under a file: one line, nothing trained" || bad "--out under a file: $out"
if [ "$(id -u)" -ne 0 ]; then
    mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
    out=$("$NIN_CL" $TRAIN --epochs 1 --out "$tmp/ro" 2>&1); rc=$?
    [ $rc -eq 1 ] && [ "$(echo "$out" | tail -1)" = "nin-cl: error: output directory $tmp/ro is not writable: Permission denied" ] \
        && ok "read-only --out: one line, nothing trained" || bad "read-only --out: $out"
else
    echo "skip: read-only --out (root writes anywhere)"
fi

# 4. a batch the device cannot hold: the budget says so before allocating, with the largest batch that fits
BIG="train mnist --net 768c5p2-768c1-768c3p1-10c1l-gap --batch 1000"
out=$("$NIN_CL" $BIG --data "$tmp/data" --val-size 100 2>&1); rc=$?
line=$(echo "$out" | tail -1)
fits=$(echo "$line" | sed -n 's/.*the largest batch that fits is \([0-9]*\).*/\1/p')
dry=$("$NIN_CL" $BIG --dry-run 2>&1)
if [ $rc -eq 1 ] && echo "$line" | grep -Eq '^nin-cl: error: .* has [0-9.]+ MiB \(largest buffer [0-9.]+ MiB\), but the network needs [0-9.]+ MiB at batch 1000 \(largest buffer [0-9.]+ MiB\); the largest batch that fits is [0-9]+ \(nin-cl train --dry-run shows the budget\)$' \
    && [ -n "$fits" ] && [ "$fits" -lt 1000 ] && echo "$dry" | grep -q "DOES NOT FIT; the largest batch that fits is $fits$" \
    && "$NIN_CL" $BIG --batch "$fits" --dry-run | grep -q ': fits; the largest batch that fits is' \
    && "$NIN_CL" $BIG --batch $((fits + 1)) --dry-run | grep -q 'DOES NOT FIT'; then
    ok "batch 1000 of a wide network: one line with the memory needed; the largest batch that fits is $fits (and $((fits + 1)) does not)"
else
    bad "out of device memory: rc=$rc $out"; echo "$dry"
fi
dry=$("$NIN_CL" train cifar10 --dry-run)
rows=$(echo "$dry" | grep -cE '^  (parameters|gradients|momentum|activations|gradient buffers|im2col workspace|GEMM scratch|max-pool indices|bias partial sums|input batch, labels|total) +[0-9.]+ MiB')
[ "$rows" -eq 11 ] && echo "$dry" | grep -q '^device memory for batch 128 of 3x32x32:$' && ok "--dry-run prints the budget table" \
    || bad "--dry-run: $dry"

# 5. bad command-line values: the exact line, exit status 2 (a usage error; tests/cli_args.sh tries every option)
expect() {   # expect STATUS LINE nin-cl ARGS...
    status=$1 line=$2
    shift 2
    got=$("$NIN_CL" "$@" 2>&1); rc=$?
    [ $rc -eq "$status" ] && [ "$got" = "$line" ] && ok "$*: $line" || bad "$* gave rc=$rc: $got (want: $line)"
}
expect 2 "nin-cl: error: --batch takes a whole number from 1 to 65536, not '0'" train mnist --batch 0
expect 2 "nin-cl: error: --batch takes a whole number from 1 to 65536, not '12x'" train mnist --batch 12x
expect 2 "nin-cl: error: --epochs takes a whole number from 1 to 100000, not '99999999999999999999'" train mnist --epochs 99999999999999999999
expect 2 "nin-cl: error: --lr takes a number from 1e-09 to 100, not 'nan'" train mnist --lr nan
expect 2 "nin-cl: error: --momentum takes a number from 0 to 0.9999, not '1'" train mnist --momentum 1
expect 2 "nin-cl: error: --preprocess takes standardize, zca or lcn, not 'pca'" train mnist --preprocess pca
expect 2 "nin-cl: error: --net: bad layer '16q3' in network definition (layer 1): expected e.g. 192c5p2, 10c1l, 192c5p2b, 256fc, mp3s2, ap3s2, d0.5, bn or gap" train mnist --net 16q3-gap
expect 2 "nin-cl: error: --steps takes a whole number from 1 to 100000, not '-5'" bench --steps -5
expect 2 "nin-cl: error: HEIGHT takes a whole number from 1 to 65536, not 'x'" info cifar10 3 x 32
expect 2 "nin-cl: error: --device must be a device index (see nin-cl --devices), not '-1'" --device -1 selftest

finish faults
