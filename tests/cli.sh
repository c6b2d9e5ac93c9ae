#!/bin/sh
# cli.sh - the command line as a user meets it: the device table, a bad device index, selftest.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"

out=$("$NIN_CL" --devices) && echo "$out" | grep -q '^0 .*CPU' && ok "--devices lists device 0 (a CPU under PoCL)" \
    || bad "--devices: $out"

out=$("$NIN_CL" --device 99 selftest 2>&1); rc=$?
if [ $rc -eq 2 ] && echo "$out" | head -1 | grep -q '^nin-cl: error: no OpenCL device 99' \
    && echo "$out" | grep -q '^0 '; then
    ok "--device 99 exits 2 with one error line and the device table"
else
    bad "--device 99 gave rc=$rc: $out"
fi

out=$(NIN_DEVICE=7 "$NIN_CL" selftest 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q 'no OpenCL device 7' && ok "NIN_DEVICE=7 is honoured" || bad "NIN_DEVICE: $out"

out=$("$NIN_CL" --device x selftest 2>&1); rc=$?
[ $rc -eq 2 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && ok "--device x: one error line, exit 2" || bad "--device x: $out"

out=$("$NIN_CL" frobnicate 2>&1); rc=$?
[ $rc -eq 2 ] && ok "unknown command exits 2" || bad "unknown command: rc=$rc $out"

out=$("$NIN_CL" info 192c5p2-160c1-96c1-mp3s2-x 2>&1); rc=$?
[ $rc -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q "bad layer 'x'" \
    && ok "bad netdef: one error line" || bad "bad netdef: $out"

out=$(NIN_KERNEL_DIR=/nonexistent "$NIN_CL" selftest 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q 'NIN_KERNEL_DIR' && ok "missing kernels: clear error" || bad "kernel dir: $out"

# A kernel that does not compile: the device's build log is shown.
broken=$(mktemp -d)
cp "${NIN_KERNEL_DIR:-cl}"/*.cl "$broken"/
echo "__kernel void broken(__global float *x) { x[0] = undefined_name; }" >> "$broken/sgd.cl"
out=$(NIN_KERNEL_DIR=$broken "$NIN_CL" selftest 2>&1); rc=$?
rm -rf "$broken"
[ $rc -ne 0 ] && echo "$out" | grep -q 'undefined_name' && echo "$out" | grep -q 'CL_BUILD_PROGRAM_FAILURE' \
    && ok "kernel build failure shows the build log and the error name" || bad "build failure: $out"

out=$("$NIN_CL" selftest 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q '^selftest passed' && ok "selftest passes" || bad "selftest: $out"

# The compiled-program cache: the first start compiles and saves, the second compiles nothing; a damaged
# entry is rebuilt, not trusted.
cache=$(mktemp -d)
first=$(NIN_CACHE_DIR=$cache "$NIN_CL" selftest 2>&1 | grep '^kernels:')
second=$(NIN_CACHE_DIR=$cache "$NIN_CL" selftest 2>&1 | grep '^kernels:')
echo "$first" | grep -q 'compiled from source' && echo "$second" | grep -q '(0 programs compiled)' \
    && ok "warm program cache: second selftest compiles nothing" || bad "program cache: $first / $second"
for f in "$cache"/*.bin; do printf 'garbage' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null; done
out=$(NIN_CACHE_DIR=$cache "$NIN_CL" selftest 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q '^kernels: compiled from source' && echo "$out" | grep -q '^selftest passed' \
    && ok "damaged cache entry: rebuilt from source" || bad "damaged cache: $out"
rm -rf "$cache"

# Tuning: nin-cl tune writes the device's tuning file, later starts use it; a malformed file is one error line.
tuning=$(mktemp -d)
out=$(NIN_TUNING_DIR=$tuning "$NIN_CL" tune mnist --batch 8 --budget 0 2>&1); rc=$?
chosen=$(echo "$out" | sed -n 's/^chose gemm \([a-z]*\);.*/\1/p')
used=$(NIN_TUNING_DIR=$tuning "$NIN_CL" selftest 2>&1 | sed -n 's/^kernels:.*; gemm \([a-z]*\)$/\1/p')
[ $rc -eq 0 ] && [ -n "$chosen" ] && [ "$chosen" = "$used" ] && ok "tune chose gemm $chosen and selftest uses it" \
    || bad "tune: rc=$rc chose '$chosen' used '$used': $out"
grep -q "^gemm_tile_rows [468]$" "$tuning"/*.tune && grep -q "^gemm_row_tiles [0-9]*$" "$tuning"/*.tune \
    && grep -q "^gemm_k_block [0-9]*$" "$tuning"/*.tune && grep -q "^gemm_pack_b_rows [0-9]*$" "$tuning"/*.tune \
    && grep -q "^gemm_block_n [0-9]*$" "$tuning"/*.tune && ok "tune wrote the tiled GEMM's parameters" \
    || bad "tuning file without parameters: $(cat "$tuning"/*.tune)"
# the kernel shapes: each family the network uses timed in both shapes, the faster kept in the file, every
# family there
rows=$(echo "$out" | awk '/^kernel shapes/ { on = 1; next } on && /^  / { print; next } { on = 0 }')
wrong=$(echo "$rows" | awk -v dir="$tuning" '{ if (($2 < $3 && $4 != "plane") || ($3 < $2 && $4 != "element")) print $1 " chose " $4
    cmd = "grep -c \"^kernels_" $1 " " $4 "$\" " dir "/*.tune"; cmd | getline n; close(cmd)
    if (n != 1) print $1 " not " $4 " in the file" }')
[ "$(echo "$rows" | wc -l)" -ge 6 ] && [ -z "$wrong" ] && [ "$(grep -c '^kernels_[a-z0-9_]* \(plane\|element\)$' "$tuning"/*.tune)" -eq 9 ] \
    && ok "tune timed $(echo "$rows" | wc -l) kernel families in both shapes and kept the faster: $(echo $rows | tr -s ' ')" \
    || bad "kernel shapes: $wrong: $out; $(cat "$tuning"/*.tune)"
for bad_line in "gemm fastest" "gemm_k_block 0" "gemm_row_tiles 12x" "gemm_tile_rows 7" "gemm_pack_b_rows -1" "kernels_pool fastest"; do
    for f in "$tuning"/*.tune; do cp "$f" "$f.good"; echo "$bad_line" >> "$f"; done
    out=$(NIN_TUNING_DIR=$tuning "$NIN_CL" selftest 2>&1); rc=$?
    [ $rc -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] \
        && echo "$out" | grep -q "\.tune:[0-9]*: expected 'gemm clblast|tiled', .*found '$bad_line'" \
        && ok "malformed tuning file ($bad_line): one error line" || bad "malformed tuning ($bad_line): $out"
    for f in "$tuning"/*.tune.good; do mv "$f" "${f%.good}"; done
done
rm -rf "$tuning"

finish cli
