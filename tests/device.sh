#!/bin/sh
# device.sh - bench/device.sh, the prepared run for a lent GPU machine, kept working here: --pack of this build
# with a few generated images stays under 60 MB and holds the program, libnin, the libraries they load (the ICD
# loader, CLBlast...) but neither glibc nor PoCL; the packed nin-cl runs from a clean environment with only the
# pack on the library path; the GPU run without an NVIDIA driver says so in one line; --cpu runs every step of
# the GPU run at toy sizes from the pack and prints its summary.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
SRC=${NIN_TEST_SRCDIR:-$(dirname "$0")}
DEVICE_SH=$SRC/../bench/device.sh
command -v xz > /dev/null || { echo "device.sh: no xz, which the pack is compressed with: skipped"; exit 77; }
/usr/bin/python3 -c 'import PIL' 2>/dev/null || { echo "device.sh: no python3-pil for the test images: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$SRC/make_images.py" learnable "$tmp/pics" --classes 3 --train 20 --test 10 || bad "make_images.py failed"

# 1. the pack: under 60 MB, the program, its libraries and kernels, all the images; no glibc, no PoCL
XZ_OPT=-0 "$DEVICE_SH" --pack "$tmp/pack" --data "$tmp/pics" > "$tmp/pack.log" 2>&1; rc=$?
size=$(du -cb "$tmp/pack" | tail -1 | cut -f1)
[ $rc -eq 0 ] && [ "$size" -le 60000000 ] && ok "pack: $size bytes ($(ls "$tmp/pack" | tr '\n' ' '))" \
    || bad "pack: rc=$rc size=$size $(cat "$tmp/pack.log")"
mkdir "$tmp/u" && xz -dc "$tmp/pack/nin.tar.xz" | tar -xf - -C "$tmp/u" || bad "cannot unpack nin.tar.xz"
missing=""
for f in bin/nin-cl lib/libnin.so.0 lib/libOpenCL.so.1 lib/libclblast.so.1 lib/libjpeg.so.62 lib/libpng16.so.16 \
         lib/libprotobuf-c.so.1 cl/gemm.cl cl/conv.cl; do
    [ -f "$tmp/u/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok "the pack holds nin-cl, libnin, the ICD loader, CLBlast, libjpeg, libpng, protobuf-c, the kernels" \
    || bad "missing from the pack:$missing"
(cd "$tmp/u" && find lib | grep -Ei 'pocl|^lib/(libc|libm|ld-linux)[.-]') > "$tmp/forbidden"
[ ! -s "$tmp/forbidden" ] && [ -f "$tmp/u/lib/glibc/libc.so.6" ] && ls "$tmp/u"/lib/glibc/ld-linux*.so* > /dev/null \
    && ok "no PoCL; glibc only apart, in lib/glibc" || bad "packed: $(cat "$tmp/forbidden"); $(ls "$tmp/u/lib/glibc")"
# every library the packed nin-cl loads comes from the pack, but glibc's
LD_LIBRARY_PATH=$tmp/u/lib ldd "$tmp/u/bin/nin-cl" | awk '$2 == "=>" { print $3 }' | grep -v "^$tmp/u/lib/" \
    | grep -Ev '/(libc|libm|libmvec|libpthread|libdl|librt|libresolv)\.so' > "$tmp/outside"
[ ! -s "$tmp/outside" ] && ok "ldd: everything but glibc resolves to the pack" || bad "loaded from outside: $(cat "$tmp/outside")"
n=$(xz -dc "$tmp/pack/cifar10-images.tar.xz" | tar -tf - | grep -vc '/$')
grep -q '^train_images=60$' "$tmp/pack/MANIFEST" && grep -q '^test_images=30$' "$tmp/pack/MANIFEST" && [ "$n" -eq 90 ] \
    && ok "the images: 60 train + 30 test, all of them" || bad "images: $n in the archive; $(cat "$tmp/pack/MANIFEST")"

# 2. the packed nin-cl from a clean environment, the pack alone on the library path (PoCL through /etc/OpenCL/vendors)
out=$(env -i PATH=/usr/bin:/bin HOME="$tmp" LD_LIBRARY_PATH="$tmp/u/lib" NIN_KERNEL_DIR="$tmp/u/cl" \
    "$tmp/u/bin/nin-cl" --devices 2>&1); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q '^0 ' && ok "clean environment: $(echo "$out" | sed -n 2p | cut -c1-70)" \
    || bad "--devices from the pack: rc=$rc $out"

# 3. the GPU run on a machine without NVIDIA's driver: one line, non-zero
if ldconfig -p 2>/dev/null | grep -q libnvidia-opencl || ls /usr/local/nvidia/lib*/libnvidia-opencl.so.1 > /dev/null 2>&1; then
    echo "note: this machine has an NVIDIA OpenCL driver: the no-driver line is not checked"
else
    out=$(env -i PATH=/usr/bin:/bin "$tmp/pack/device.sh" "$tmp/pack" 2>&1); rc=$?
    [ $rc -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q 'no NVIDIA OpenCL driver' \
        && ok "no driver: $out" || bad "no driver: rc=$rc $out"
fi

# 4. --cpu from the pack: every step at toy sizes, the summary
# (nin-cl started by the packed glibc's loader, as on a machine whose glibc is older than the pack's)
NIN_PACKED_GLIBC=1 "$tmp/pack/device.sh" --cpu "$tmp/pack" > "$tmp/cpu.log" 2>&1; rc=$?
grep -q '^device.sh: glibc here .*: nin-cl runs on the packed glibc$' "$tmp/cpu.log" && ok "nin-cl on the packed glibc" \
    || bad "no packed-glibc line: $(grep glibc "$tmp/cpu.log")"
summary=$(sed -n '/^=== summary/,$p' "$tmp/cpu.log")
num='[0-9][0-9.]*'
if [ $rc -eq 0 ] && echo "$summary" | grep -q '^selftest: selftest passed$' \
    && echo "$summary" | grep -q "^largest batch (train --dry-run): [0-9]*$" \
    && echo "$summary" | grep -q "^batch 4: nin-cl train $num inference $num img/s | PyTorch " \
    && echo "$summary" | grep -q "^batch 8: nin-cl train $num inference $num img/s" \
    && echo "$summary" | grep -q "^  epoch=1 test_acc=$num time=${num}s$"; then
    ok "--cpu summary: $(echo "$summary" | grep '^batch 4')"
else
    bad "--cpu: rc=$rc"; cat "$tmp/cpu.log"
fi
# PyTorch: compared when the pack has torch_nin.py and Debian's python3 has torch, else said skipped
if [ -f "$tmp/pack/torch_nin.py" ] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    echo "$summary" | grep -q "^batch 4: .* PyTorch (cpu) train $num inference $num img/s | ratio nin-cl/PyTorch train $num inference $num$" \
        && ok "PyTorch compared at batch 4" || bad "no PyTorch figures: $(echo "$summary" | grep '^batch 4')"
else
    grep -q 'PyTorch.*skipped' "$tmp/cpu.log" && ok "PyTorch skipped, and said so" || bad "PyTorch neither run nor skipped"
fi
finish device
