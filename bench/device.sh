#!/bin/bash
# device.sh - nin-cl on a machine lent for minutes (an NVIDIA GPU with its driver and PyTorch, nothing else):
# one prepared run that gives figures in its first minutes, against PyTorch CUDA on the same network.
#
#   bench/device.sh --pack DIR [--data CIFAR10_IMAGES_DIR]    (here, in a built tree)
#       DIR gets device.sh, torch_nin.py, nin.tar.xz (bin/nin-cl, lib/: libnin and every library they load but
#       glibc's, cl/*.cl) and with --data cifar10-images.tar.xz (the whole test split and as many training
#       images as fit, evenly from the classes), the whole under 60 MB; MANIFEST lists the counts. Compressed
#       because the libraries alone are 120 MB (OpenBLAS, ICU...). XZ_OPT sets xz's level (default -6).
#   bench/device.sh [DIR]                                       (there; DIR defaults to this script's folder)
#       finds the NVIDIA OpenCL driver, points the packed ICD loader at it (OCL_ICD_VENDORS), then within 8
#       minutes: --devices, selftest, tune, bench cifar10 at batch 128 and at the largest batch that fits, each
#       against torch_nin.py on CUDA at the same batch, and trains the cifar10 network on the packed images
#       (cosine schedule, augmentation) for the epochs that fit. Log and tuning file under $OUT when set.
#   bench/device.sh --cpu [BUILD_DIR|DIR]                       (here, PoCL; tests/device.sh)
#       the same steps at toy sizes, from a built tree or a pack, so that this script is run by make check.
set -u
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
PYTHON=${PYTHON:-python3}
LIMIT=60000000      # bytes: the pack, under the 64 MiB the device tool carries
TOTAL_S=480         # the GPU run's steps, all together

say() { echo "device.sh: $*"; }
die() { echo "device.sh: $*" >&2; exit 1; }
bytes() { du -cb "$@" | tail -1 | cut -f1; }

# --- pack ---------------------------------------------------------------------------------------------

# The real binary of a libtool build (BUILD/.libs/nin-cl), else BUILD/nin-cl.
real_binary() {
    if [ -f "$1/.libs/nin-cl" ]; then echo "$1/.libs/nin-cl"; elif [ -x "$1/nin-cl" ]; then echo "$1/nin-cl"; fi
}

GLIBC_RE='/(libc|libm|libmvec|libpthread|libdl|librt|libutil|libresolv|libnsl|libanl|libBrokenLocale|ld-linux[^/]*)\.so[^/]*$'
# Every library ldd resolves for the given files (and the dynamic loader), one path a line.
ldd_all() {
    ldd "$@" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u
}
# Those of them that are not glibc's family.
shared_libraries() { ldd_all "$@" | grep -Ev "$GLIBC_RE"; }

# The highest GLIBC_x.y symbol version the packed files need (the GPU machine's glibc must be as new).
glibc_needed() {
    cat "$@" 2>/dev/null | tr -c '[:alnum:]_.' '\n' | sed -n 's/^GLIBC_\([0-9][0-9.]*[0-9]\)$/\1/p' | sort -t. -k1,1n -k2,2n -u | tail -1
}

# pack_program BUILD STAGE: bin/nin-cl, lib/*, cl/*.cl of the build tree into STAGE.
pack_program() {
    local bin lib libs
    bin=$(real_binary "$1")
    [ -n "$bin" ] || die "no nin-cl in $1 (build first)"
    lib=$(dirname "$bin")
    mkdir -p "$2/bin" "$2/lib" "$2/cl"
    cp "$bin" "$2/bin/nin-cl"
    cp -P "$lib"/libnin.so* "$2/lib/" 2>/dev/null || cp -P "$1"/.libs/libnin.so* "$2/lib/" \
        || die "no libnin.so next to $bin"
    libs=$(LD_LIBRARY_PATH="$2/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" shared_libraries "$2/bin/nin-cl" "$2"/lib/libnin.so.* | grep -v "^$2/")
    echo "$libs" | grep -qi pocl && die "PoCL is among the libraries nin-cl loads; it must not be packed"
    # shellcheck disable=SC2086
    cp -L $libs "$2/lib/" || die "cannot copy the libraries"
    # glibc apart, in lib/glibc, for a machine whose own is older than the libraries need (see packed_loader)
    mkdir -p "$2/lib/glibc"
    # shellcheck disable=SC2046
    cp -L $(ldd_all "$2/bin/nin-cl" "$2"/lib/*.so* | grep -E "$GLIBC_RE") "$2/lib/glibc/" || die "cannot copy glibc"
    local src
    src=$(sed -n 's/^abs_top_srcdir = //p' "$1/Makefile" 2>/dev/null)
    cp "${src:-$1}"/cl/*.cl "$2/cl/" || die "no kernels in ${src:-$1}/cl"
    say "program: nin-cl, $(ls "$2/lib" | wc -l) libraries ($(ls "$2/lib" | tr '\n' ' '))"
}

# compress SRC_DIR LIST OUT: the files of LIST (relative to SRC_DIR) as OUT, a .tar.xz.
compress() {
    tar -C "$1" -cf - -T "$2" | xz -T0 > "$3" || die "cannot write $3"
}

# pack_data IMAGES DIR BUDGET: DIR/cifar10-images.tar.xz of the whole test split and K training images of
# every class, K as large as BUDGET bytes allow (estimated from the test split's compressed size, then checked).
pack_data() {
    local images=$1 out=$2/cifar10-images.tar.xz budget=$3 list=$2/.list classes per n_test k size
    [ -d "$images/train" ] && [ -d "$images/test" ] || die "$images has no train/ and test/ folders"
    classes=$(ls "$images/train")
    (cd "$images" && find test -type f | sort) > "$list"
    n_test=$(wc -l < "$list")
    compress "$images" "$list" "$out"
    per=$(( $(bytes "$out") / n_test + 1 ))
    k=$(( (budget - $(bytes "$out")) / per / $(echo "$classes" | wc -w) ))
    for class in $classes; do
        n=$(ls "$images/train/$class" | wc -l); [ "$n" -lt "$k" ] && k=$n
    done
    while :; do
        [ $k -lt 0 ] && k=0
        (cd "$images" && find test -type f | sort
         for class in $classes; do find "train/$class" -type f | sort | head -n "$k"; done) > "$list"
        compress "$images" "$list" "$out"
        size=$(bytes "$out")
        [ "$size" -le "$budget" ] || [ $k -eq 0 ] && break
        k=$(( k * 9 / 10 ))
    done
    rm -f "$list"
    [ "$size" -le "$budget" ] || die "the test split alone ($size bytes) does not fit in $budget bytes"
    echo "train_images=$(( k * $(echo "$classes" | wc -w) ))" >> "$2/MANIFEST"
    echo "test_images=$n_test" >> "$2/MANIFEST"
    say "data: $n_test test images, $k training images of each of $(echo "$classes" | wc -w) classes, $size bytes"
}

do_pack() {
    local dir=$1 data=$2 build stage torch size
    build=$(pwd)   # the build tree: the current folder, else the one this script is in
    [ -n "$(real_binary "$build")" ] || build=$(dirname "$self")/..
    mkdir -p "$dir" || die "cannot create $dir"
    dir=$(cd "$dir" && pwd)
    rm -f "$dir/MANIFEST" "$dir/nin.tar.xz" "$dir/cifar10-images.tar.xz"
    stage=$(mktemp -d)
    pack_program "$build" "$stage"
    echo "glibc_needed=$(glibc_needed "$stage"/bin/* "$stage"/lib/*.so*)" > "$dir/MANIFEST"
    (cd "$stage" && find bin lib cl \( -type f -o -type l \) | sort) > "$stage/.list"
    compress "$stage" "$stage/.list" "$dir/nin.tar.xz"
    rm -rf "$stage"
    cp "$self" "$dir/device.sh"
    torch=$(dirname "$self")/../../shared/bench/torch_nin.py
    if [ -f "$torch" ]; then cp "$torch" "$dir/torch_nin.py"; else say "note: no $torch: the pack has no PyTorch reference"; fi
    if [ -n "$data" ]; then
        pack_data "$data" "$dir" $(( LIMIT - $(bytes "$dir") - 4096 ))
    else
        say "no --data: no images packed (the training step will be skipped)"
    fi
    size=$(bytes "$dir")
    say "pack $dir: $size bytes ($(ls "$dir" | tr '\n' ' ')); $(tr '\n' ' ' < "$dir/MANIFEST")"
    [ "$size" -le "$LIMIT" ] || die "the pack is $size bytes, over $LIMIT"
}

# --- the run ------------------------------------------------------------------------------------------

unpack() {
    if command -v xz > /dev/null; then xz -dc "$1" | tar -xf - -C "$2"
    else "$PYTHON" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"; fi
}

# The NVIDIA OpenCL driver's path, or nothing.
find_nvidia_opencl() {
    local d f
    for d in ${NVIDIA_DRIVER_DIR:-} /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu \
             /usr/lib/x86_64-linux-gnu/nvidia/current /usr/lib64 /usr/lib /usr/local/cuda*/compat \
             /usr/local/cuda*/lib64 /usr/local/cuda*/targets/x86_64-linux/lib $(echo "${LD_LIBRARY_PATH:-}" | tr : ' '); do
        [ -e "$d/libnvidia-opencl.so.1" ] && { echo "$d/libnvidia-opencl.so.1"; return; }
    done
    f=$(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so\.1 / { print $NF; exit }')
    [ -n "$f" ] && { echo "$f"; return; }
    find /usr/local/nvidia /usr/lib /usr/lib64 /usr/local/cuda* -maxdepth 4 -name 'libnvidia-opencl.so.1' 2>/dev/null | head -1
}

elapsed() { echo $(( $(date +%s) - START )); }
left() { echo $(( TOTAL_S - $(elapsed) )); }

# step NAME SECONDS COMMAND...: COMMAND under a timeout (cut to the minutes left), its output in the log and
# in $scratch/NAME.out; a line with its status and time.
step() {
    local name=$1 limit=$2 t0 rc
    shift 2
    [ "$limit" -gt "$(left)" ] && limit=$(left)
    if [ "$limit" -le 5 ]; then say "$name: skipped, no time left"; echo skipped > "$scratch/$name.out"; return 1; fi
    echo "=== $name (limit ${limit}s): $*"
    t0=$(date +%s)
    timeout -k 5 "$limit" "$@" > "$scratch/$name.out" 2>&1; rc=$?
    cat "$scratch/$name.out"
    echo "=== $name: exit $rc after $(( $(date +%s) - t0 ))s"
    return $rc
}

figure() { sed -n "s/$2/\\1/p" "$scratch/$1.out" 2>/dev/null | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "-" }'; }

# compare BATCH STEPS: nin-cl bench against torch_nin.py at BATCH; one summary line.
compare() {
    local b=$1 steps=$2 nt ni tt ti line
    step "bench-$b" 150 "$NIN" bench $NET --batch "$b" --steps "$steps"
    nt=$(figure "bench-$b" '^train: \([0-9.]*\).*'); ni=$(figure "bench-$b" '^inference: \([0-9.]*\).*')
    if [ -n "$TORCH" ]; then
        step "torch-$b" 150 env TORCH_DEVICE="$TORCH_DEVICE" "$TORCH_PY" "$TORCH" "$steps" "$THREADS" "$b" $TORCH_SHAPE
        tt=$(figure "torch-$b" '.*: \([0-9.]*\) img\/s train.*'); ti=$(figure "torch-$b" '^inference: \([0-9.]*\).*')
    fi
    line=$(printf 'batch %s: nin-cl train %s inference %s img/s | PyTorch (%s) train %s inference %s img/s | ratio nin-cl/PyTorch train %s inference %s' \
        "$b" "${nt:--}" "${ni:--}" "$([ -n "$TORCH" ] && echo "$TORCH_DEVICE" || echo skipped)" "${tt:--}" "${ti:--}" "$(ratio "${nt:-0}" "${tt:-0}")" "$(ratio "${ni:-0}" "${ti:-0}")")
    echo "$line"; SUMMARY="$SUMMARY$line"$'\n'
    [ "$b" = "$BATCH" ] && { TRAIN_IPS=${nt:-0}; INFER_IPS=${ni:-0}; }
}

# The steps, GPU or toy: the variables set by run_gpu / run_cpu.
run_steps() {
    local line maxb epochs per_epoch n_train n_test
    SUMMARY=""
    step devices 60 "$NIN" --devices
    SUMMARY="${SUMMARY}device: $(awk 'NR == 2 { $1 = ""; print }' "$scratch/devices.out" | sed 's/^ //')"$'\n'
    step selftest "$SELFTEST_S" "$NIN" selftest
    SUMMARY="${SUMMARY}selftest: $(tail -1 "$scratch/selftest.out")"$'\n'
    # shellcheck disable=SC2086
    step tune 150 "$NIN" tune $TUNE_NET --budget "$TUNE_BUDGET"
    SUMMARY="${SUMMARY}tune --budget $TUNE_BUDGET: $(grep -i 'gemm\|tuning' "$scratch/tune.out" | tail -1)"$'\n'
    step dry-run 60 "$NIN" train $DRY_NET --dry-run
    maxb=$(figure dry-run '.*the largest batch that fits is \([0-9]*\).*')
    SUMMARY="${SUMMARY}largest batch (train --dry-run): ${maxb:-unknown}"$'\n'
    [ -n "$maxb" ] && [ "$maxb" -gt "$MAX_BATCH_CAP" ] && maxb=$MAX_BATCH_CAP
    compare "$BATCH" "$BENCH_STEPS"
    if [ -n "$maxb" ] && [ "$maxb" -gt "$BATCH" ]; then compare "$maxb" "$BIG_STEPS"; fi
    if [ -z "$IMAGES" ]; then
        say "training: skipped, no images in the pack"; SUMMARY="${SUMMARY}training: skipped (no images)"$'\n'
    else
        n_train=$(sed -n 's/^train_images=//p' "$MANIFEST"); n_test=$(sed -n 's/^test_images=//p' "$MANIFEST")
        # an epoch: the training images at 80 % of the bench's rate, validation and test at the inference rate
        per_epoch=$(awk -v t="$TRAIN_IPS" -v i="$INFER_IPS" -v n="$n_train" -v m="$n_test" \
            'BEGIN { if (t <= 0 || i <= 0) print 0; else printf "%d", n / (0.8 * t) + 2 * m / i + 1 }')
        epochs=1
        [ "$per_epoch" -gt 0 ] && epochs=$(( ($(left) - 30) / per_epoch ))
        [ "$epochs" -ge 1 ] || epochs=1
        [ "$epochs" -gt "$EPOCHS_CAP" ] && epochs=$EPOCHS_CAP
        say "training: $n_train train / $n_test test images, about ${per_epoch}s an epoch: $epochs epochs in $(left)s left"
        # shellcheck disable=SC2086
        step train $(( $(left) - 5 )) "$NIN" train images --data "$IMAGES" --net $TRAIN_NET --schedule cosine --augment \
            --epochs "$epochs" --val-size "$VAL_SIZE" $TRAIN_EXTRA --out "$scratch/run"
        grep '^epoch=' "$scratch/train.out" | tr ' ' '\n' | grep '^\(epoch\|test_acc\|time\)=' | paste -d' ' - - - > "$scratch/epochs"
        cat "$scratch/epochs"
        SUMMARY="${SUMMARY}training ($(grep -m1 '^nin-cl train images' "$scratch/train.out" | sed 's/.*: //'), $epochs epochs planned):"$'\n'
        SUMMARY="$SUMMARY$(sed 's/^/  /' "$scratch/epochs")"$'\n'
    fi
    echo "=== summary ($(elapsed)s)"
    printf '%s' "$SUMMARY"
    if [ -n "${OUT:-}" ]; then printf '%s' "$SUMMARY" > "$OUT/summary.txt"; fi
}

# The pack (DIR/nin.tar.xz unpacked into the scratch folder) or a build tree: NIN, NIN_KERNEL_DIR, the images.
open_source() {
    local dir=$1
    MANIFEST=$dir/MANIFEST; IMAGES=""; TORCH=""
    if [ -f "$dir/nin.tar.xz" ]; then
        mkdir -p "$scratch/pack" && unpack "$dir/nin.tar.xz" "$scratch/pack" || die "cannot unpack $dir/nin.tar.xz"
        # only nin-cl gets the pack's libraries (PyTorch keeps its own libstdc++...): a wrapper
        NIN=$scratch/nin-cl
        export NIN_KERNEL_DIR=$scratch/pack/cl
        PACK_LIBS=$scratch/pack/lib${DRIVER_DIR:+:$DRIVER_DIR}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
        printf '#!/bin/sh\nLD_LIBRARY_PATH="%s" exec "%s" "$@"\n' "$PACK_LIBS" "$scratch/pack/bin/nin-cl" > "$NIN"
        chmod +x "$NIN"
        if [ -f "$dir/cifar10-images.tar.xz" ]; then
            mkdir -p "$scratch/images" && unpack "$dir/cifar10-images.tar.xz" "$scratch/images" && IMAGES=$scratch/images
        fi
        [ -f "$dir/torch_nin.py" ] && TORCH=$dir/torch_nin.py
    elif [ -n "$(real_binary "$dir")" ]; then
        NIN=$dir/nin-cl
        export NIN_KERNEL_DIR=${NIN_KERNEL_DIR:-$(sed -n 's/^abs_top_srcdir = //p' "$dir/Makefile" 2>/dev/null)/cl}
        local t=$dir/../shared/bench/torch_nin.py
        [ -f "$t" ] || t=$(sed -n 's/^abs_top_srcdir = //p' "$dir/Makefile" 2>/dev/null)/../shared/bench/torch_nin.py
        [ -f "$t" ] && TORCH=$t
    else
        die "$dir is neither a pack (nin.tar.xz) nor a build tree (nin-cl)"
    fi
}

# When this machine's glibc is older than the packed libraries need (or NIN_PACKED_GLIBC=1): NIN becomes a
# wrapper that starts nin-cl with the packed glibc and its dynamic loader.
packed_loader() {
    local need have glibc=$scratch/pack/lib/glibc
    [ -d "$glibc" ] || return 0
    need=$(sed -n 's/^glibc_needed=//p' "$MANIFEST" 2>/dev/null); have=$(getconf GNU_LIBC_VERSION 2>/dev/null | cut -d' ' -f2)
    if [ "${NIN_PACKED_GLIBC:-0}" = 1 ] || [ -z "$have" ] ||
       [ "$(printf '%s\n%s\n' "$have" "${need:-0}" | sort -V | head -1)" != "${need:-0}" ]; then
        printf '#!/bin/sh\nexec "%s" --library-path "%s" "%s" "$@"\n' "$(ls "$glibc"/ld-linux*.so* | head -1)" \
            "$glibc:$PACK_LIBS" "$scratch/pack/bin/nin-cl" > "$NIN"
        say "glibc here ${have:-unknown}, the pack needs ${need:-unknown}: nin-cl runs on the packed glibc"
    else
        say "glibc here $have, the pack needs ${need:-unknown}"
    fi
}

run_gpu() {
    local dir=$1 driver need have
    START=$(date +%s)
    driver=$(find_nvidia_opencl)
    [ -n "$driver" ] || { echo "device.sh: no NVIDIA OpenCL driver (libnvidia-opencl.so.1) found in the driver folders, ldconfig -p or /usr/lib*" >&2; exit 1; }
    DRIVER_DIR=$(dirname "$driver")
    scratch=$(mktemp -d /tmp/nin-device.XXXXXX)
    export HOME=$scratch/home NIN_CACHE_DIR=$scratch/cache NIN_TUNING_DIR=${OUT:+$OUT/tuning}
    export NIN_TUNING_DIR=${NIN_TUNING_DIR:-$scratch/tuning}
    mkdir -p "$HOME" "$NIN_TUNING_DIR" "$scratch/vendors"
    echo "$driver" > "$scratch/vendors/nvidia.icd"
    export OCL_ICD_VENDORS=$scratch/vendors
    if [ -n "${OUT:-}" ]; then exec > >(tee "$OUT/device.log") 2>&1; fi
    say "driver $driver; scratch $scratch; $(date -u '+%Y-%m-%d %H:%M UTC')"
    open_source "$dir"
    packed_loader
    TORCH_PY=$PYTHON TORCH_DEVICE=cuda THREADS=$(nproc) TORCH_SHAPE=""
    "$TORCH_PY" -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null || { say "PyTorch CUDA: unavailable, skipped"; TORCH=""; }
    NET=cifar10 BATCH=128 BENCH_STEPS=20 BIG_STEPS=3 MAX_BATCH_CAP=65536 SELFTEST_S=120 TUNE_NET=cifar10 TUNE_BUDGET=60
    DRY_NET=cifar10 TRAIN_NET=cifar10 VAL_SIZE=1000 TRAIN_EXTRA="" EPOCHS_CAP=1000
    run_steps
}

# Toy sizes on PoCL (or whatever device comes first): a tiny network, batch 8, one epoch on a few images.
run_cpu() {
    local dir=$1
    START=$(date +%s)
    scratch=$(mktemp -d /tmp/nin-device.XXXXXX)
    trap 'rm -rf "$scratch"' EXIT
    export NIN_TUNING_DIR=$scratch/tuning NIN_CACHE_DIR=${NIN_CACHE_DIR:-$scratch/cache}
    mkdir -p "$NIN_TUNING_DIR"
    [ -f "$dir/nin.tar.xz" ] || [ -n "$(real_binary "$dir")" ] || dir=$(dirname "$self")/..
    dir=$(cd "$dir" && pwd)
    say "toy run on the first device, from $dir; scratch $scratch"
    open_source "$dir"
    packed_loader
    TORCH_PY=/usr/bin/python3 TORCH_DEVICE=cpu THREADS=$(nproc)
    if [ -n "$TORCH" ] && ! "$TORCH_PY" -c 'import torch' 2>/dev/null; then say "PyTorch: no torch in $TORCH_PY, skipped"; TORCH=""; fi
    [ -n "$TORCH" ] || say "PyTorch: skipped (no torch_nin.py or no torch)"
    if [ -z "$IMAGES" ] && /usr/bin/python3 -c 'import PIL' 2>/dev/null; then
        /usr/bin/python3 "$(dirname "$self")/../tests/make_images.py" learnable "$scratch/images" --classes 3 --train 12 --test 6 \
            > /dev/null && IMAGES=$scratch/images
        printf 'train_images=36\ntest_images=18\n' > "$scratch/MANIFEST"; MANIFEST=$scratch/MANIFEST
    fi
    # bench: the cifar10 preset's network (a preset name would bring its 32x32 input) on 8x8 images, as
    # torch_nin.py's last arguments make its copy; batch 4, then 8
    NET="192c5p2-160c1-96c1-mp3s2-d0.5-192c5p2-192c1-192c1-mp3s2-d0.5-192c3p1-192c1-10c1l-gap --input 3,8,8"
    TORCH_SHAPE="10 3 8" BATCH=4 BENCH_STEPS=2 BIG_STEPS=1 MAX_BATCH_CAP=8 SELFTEST_S=120
    TUNE_NET="8c3p1-mp3s2-10c1l-gap --input 3,8,8 --batch 4" TUNE_BUDGET=1
    DRY_NET="images --net 8c3p1-mp3s2-10c1l-gap --size 16 --batch 4" TRAIN_NET=8c3p1-mp3s2-10c1l-gap
    VAL_SIZE=6 TRAIN_EXTRA="--size 16 --batch 4 --warmup 2" EPOCHS_CAP=1
    run_steps
}

case "${1:-}" in
    --pack)
        [ $# -ge 2 ] || die "usage: device.sh --pack DIR [--data CIFAR10_IMAGES_DIR]"
        dir=$2; data=""
        [ "${3:-}" = --data ] && { [ $# -ge 4 ] || die "--data needs a folder"; data=$4; }
        do_pack "$dir" "$data" ;;
    --cpu) run_cpu "${2:-.}" ;;
    --help|-h) sed -n '2,18p' "$self" | sed 's/^# \{0,1\}//' ;;
    -*) die "unknown option $1 (--pack, --cpu, --help)" ;;
    *) run_gpu "${1:-$(dirname "$self")}" ;;
esac
