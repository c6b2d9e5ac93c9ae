#!/bin/sh
# formats.sh - `nin-cl train` and `nin-cl test` end to end on every dataset's official file layout (IDX for
# mnist and fashion-mnist, CIFAR binary batches, SVHN .mat), on small learnable sets that tests/make_datasets
# writes; and a damaged CIFAR batch or SVHN file gives one error line naming the file.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
MAKE_DATASETS=${NIN_MAKE_DATASETS:-$(dirname "$0")/make_datasets}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for ds in mnist fashion-mnist cifar10 cifar100 svhn; do
    case $ds in
    mnist | fashion-mnist) net=8c3p1-mp3s2-10c1l-gap ;;
    cifar100) net=8c3p1-mp3s2-100c1l-gap ;;
    *) net=8c3p1-mp3s2-10c1l-gap ;;
    esac
    data=$tmp/data-$ds
    if ! out=$("$MAKE_DATASETS" "$ds" "$data" 96 32 2>&1); then
        bad "$ds: make_datasets: $out"
        continue
    fi
    "$NIN_CL" --device 0 train "$ds" --data "$data" --net "$net" --batch 16 --val-size 16 --epochs 1 \
        --out "$tmp/run-$ds" > "$tmp/$ds.log" 2>&1; rc=$?
    if [ $rc -eq 0 ] && head -1 "$tmp/$ds.log" | grep -q "^nin-cl train $ds on .*: 80 train / 16 val / 32 test images" \
        && [ "$(grep -c '^epoch=1 ' "$tmp/$ds.log")" -eq 1 ] && grep '^epoch=1 ' "$tmp/$ds.log" | grep -q ' test_acc=[0-9.]* '
    then
        ok "$ds: train on its official layout: $(grep '^epoch=1 ' "$tmp/$ds.log" | sed 's/ time=.*//')"
    else
        bad "$ds: train rc=$rc"; cat "$tmp/$ds.log"
    fi
    # the checkpoint scores on the test split what the epoch line said
    want=$(grep '^epoch=1 ' "$tmp/$ds.log" | sed 's/.* \(test_loss=[0-9.]*\) \(test_acc=[0-9.]*\) .*/\2 \1/')
    # and reports each class, with the whole matrix up to 20 classes, its largest confusions above
    case $ds in
    cifar100) classes=100 part='^the 10 most frequent confusions ' ;;
    *) classes=10 part='^confusion matrix: ' ;;
    esac
    out=$("$NIN_CL" --device 0 test --model "$tmp/run-$ds/last.nin" "$ds" --data "$data" \
        --confusion "$tmp/$ds.png" 2>&1); rc=$?
    if [ $rc -eq 0 ] && [ "$(echo "$out" | head -1)" = "$want n=32" ] \
        && [ "$(echo "$out" | grep -c '^[0-9][0-9]* .* [0-9]*/[0-9]*  ')" -eq $classes ] \
        && echo "$out" | grep -q "$part" && [ "$(head -c 8 "$tmp/$ds.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
    then
        ok "$ds: test on the checkpoint: $(echo "$out" | head -1), $classes classes, a PNG of the matrix"
    else
        bad "$ds: test rc=$rc: $out (want $want n=32)"
    fi
done

# A damaged file: train exits non-zero with exactly one error line, and that line names the file.
expect_error() {   # DATASET DATA_DIR FILE WHAT
    out=$("$NIN_CL" --device 0 train "$1" --data "$2" --net "$net" --batch 16 --val-size 16 --epochs 1 \
        --out "$tmp/run-bad-$1" 2>&1); rc=$?
    if [ $rc -ne 0 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q "^nin-cl: error: $3: "; then
        ok "$1: $4: $out"
    else
        bad "$1: $4: rc=$rc: $out"
    fi
}
net=8c3p1-mp3s2-10c1l-gap
if [ -d "$tmp/data-cifar10" ]; then
    f=$tmp/data-cifar10/cifar-10-batches-bin/data_batch_3.bin
    head -c 40000 "$f" > "$tmp/cut" && mv "$tmp/cut" "$f"
    expect_error cifar10 "$tmp/data-cifar10" "$f" "a truncated batch file"
fi
net=8c3p1-mp3s2-100c1l-gap
if [ -d "$tmp/data-cifar100" ]; then
    f=$tmp/data-cifar100/cifar-100-binary/test.bin
    head -c 10000 "$f" > "$tmp/cut" && mv "$tmp/cut" "$f"
    expect_error cifar100 "$tmp/data-cifar100" "$f" "a truncated test.bin"
fi
net=8c3p1-mp3s2-10c1l-gap
if "$MAKE_DATASETS" --bad-x-shape svhn "$tmp/svhn-bad" 96 32; then
    expect_error svhn "$tmp/svhn-bad" "$tmp/svhn-bad/train_32x32.mat" "X of the wrong shape"
else
    bad "svhn: make_datasets --bad-x-shape failed"
fi

finish formats
