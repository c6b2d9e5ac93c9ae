#!/bin/sh
# ablation.sh - examples/ablation.sh on a small MNIST-layout dataset (tests/make_datasets, 400 training and 40
# test images, 2 epochs): all four variants trained, the table and the plot written; then what a rerun does.
# The first run's trainings are stopped part-way (--max-steps, as a killed session would leave them): a rerun
# resumes each from its checkpoint and finishes its epochs, a third run trains nothing, and a changed budget
# starts a variant over.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
MAKE_DATASETS=${NIN_MAKE_DATASETS:-$(dirname "$0")/make_datasets}
SCRIPT=${NIN_TEST_SRCDIR:-$(dirname "$0")}/../examples/ablation.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
real_nin_cl=$(cd "$(dirname "$NIN_CL")" && pwd)/$(basename "$NIN_CL")

"$MAKE_DATASETS" mnist "$tmp/data" 400 40 >/dev/null || { bad "make_datasets failed"; finish ablation.sh; }
# nin-cl for the script: a new training (not --resume) stops after STOP_AFTER steps when that is set
cat >"$tmp/nin-cl" <<EOF
#!/bin/sh
if [ -n "\${STOP_AFTER:-}" ] && [ "\$1" = train ] && [ "\$2" != --resume ]; then
    exec "$real_nin_cl" "\$@" --max-steps "\$STOP_AFTER"
fi
exec "$real_nin_cl" "\$@"
EOF
chmod +x "$tmp/nin-cl"

# ablate [VAR=VALUE...]: the script on the small set with 2 epochs of 368 images (batches of 128); output in
# $tmp/out, its log in $tmp/log
ablate() {
    env NIN_CL="$tmp/nin-cl" OUT="$tmp/out" TRAIN_LIMIT=0 VAL_SIZE=32 EPOCHS=2 WARMUP=1 "$@" \
        sh "$SCRIPT" --budget converged mnist "$tmp/data" >"$tmp/log" 2>&1
}
variants="gap fc fc-dropout no-dropout"
all_metrics_ok() {
    for v in $variants; do metrics_ok "$tmp/out/$v/metrics.csv" "$1" || return 1; done
}

ablate STOP_AFTER=3 || bad "first run failed: $(tail -1 "$tmp/log")"
stopped=0
for v in $variants; do
    [ -f "$tmp/out/$v/last.nin" ] && metrics_ok "$tmp/out/$v/metrics.csv" 1 && stopped=$((stopped + 1))
done
[ $stopped -eq 4 ] && ok "a stopped run: each variant has epoch 1 and a checkpoint inside epoch 2" \
    || bad "a stopped run left $stopped of 4 variants at epoch 1 with a checkpoint"

ablate || bad "rerun failed: $(tail -1 "$tmp/log")"
[ "$(grep -c '^ablation: resuming ' "$tmp/log")" -eq 4 ] && all_metrics_ok 2 \
    && ok "the rerun resumed the four variants and finished their 2 epochs" \
    || bad "the rerun: $(grep '^ablation:' "$tmp/log" | tr '\n' ';')"
rows=$(grep -c '^| [a-z-]* | .* | [0-9.]* % | [0-9.]* % | [0-9.]* % |$' "$tmp/out/ablation.md")
[ "$rows" -eq 4 ] && [ -s "$tmp/out/ablation.png" ] && ok "ablation.md has the four rows, ablation.png written" \
    || bad "ablation.md has $rows variant rows; ablation.png $(ls -l "$tmp/out/ablation.png" 2>&1)"

ablate || bad "third run failed: $(tail -1 "$tmp/log")"
[ "$(grep -c '^ablation: .* already trained' "$tmp/log")" -eq 4 ] && ! grep -q '^ablation: training' "$tmp/log" \
    && ok "a third run trains nothing" || bad "the third run: $(grep '^ablation:' "$tmp/log" | tr '\n' ';')"

ablate EPOCHS=1 || bad "run with another budget failed: $(tail -1 "$tmp/log")"
[ "$(grep -c '^ablation: training ' "$tmp/log")" -eq 4 ] && all_metrics_ok 1 \
    && ok "another budget (EPOCHS=1) starts every variant over" \
    || bad "another budget: $(grep '^ablation:' "$tmp/log" | tr '\n' ';')"
finish ablation.sh
