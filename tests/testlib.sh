# testlib.sh - what the shell tests share: the nin-cl binary, ok/bad counters, a check of a run's metrics.csv and the
# closing line.
# Sourced: . "$NIN_TEST_SRCDIR/testlib.sh"
set -u
NIN_CL=${NIN_CL:-./nin-cl}
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }
# metrics_ok FILE N: FILE is a run's metrics.csv holding epochs 1 to N once each, in order, in whole lines
metrics_ok() {
    awk -F, -v last="$2" 'NR == 1 { ok = $1 == "epoch"; next } { ok = ok && NF == 9 && $1 == NR - 1 }
        END { exit !(ok && NR - 1 == last) }' "$1"
}
# sanitized: the binary under test is built with AddressSanitizer (whose quarantine keeps freed memory resident)
sanitized() {
    real=$(dirname "$NIN_CL")/.libs/$(basename "$NIN_CL")
    [ -f "$real" ] || real=$NIN_CL
    grep -q __asan_init "$real" 2>/dev/null
}
# small_fashion_model DIR FASHION: a Fashion-MNIST model of 40 steps on 600 images (DIR/last.nin, best.nin), for
# the tests that need some trained model; the log in DIR.log
small_fashion_model() {
    "$NIN_CL" train fashion-mnist --data "$2" --net 16c3p1-mp3s2-10c1l-gap --batch 32 --val-size 100 \
        --train-limit 600 --max-steps 40 --warmup 5 --out "$1" > "$1.log" 2>&1 \
        || bad "training failed: $(tail -1 "$1.log")"
}
# finish NAME: print "NAME: N passed, M failed" and exit non-zero when anything failed
finish() { echo "$1: $pass passed, $fail failed"; [ $fail -eq 0 ]; exit $?; }
