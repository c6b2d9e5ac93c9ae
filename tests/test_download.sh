#!/bin/sh
# test_download.sh - `nin-cl download` against a local HTTP server (python3 -m http.server on 127.0.0.1):
# fetch, MD5 check and unpack; up to date; a damaged file fetched again; a wrong checksum, a wrong size,
# a 404 and an archive entry leading out of the data directory each fail with one line and leave nothing.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"

PYTHON=$(command -v python3 || echo /usr/bin/python3)
work=$(mktemp -d)
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
srv=$work/srv
mkdir -p "$srv" "$work/home"
export HOME=$work/home   # whatever goes wrong, nothing lands in the real ~/.local/share
unset NIN_DATA_DIR

# The served files: a cifar10 tarball of real-format batches (3 records of 1 label + 3072 pixel bytes each),
# mnist's four .gz files, and a cifar100 tarball with an entry that tries to leave the data directory.
"$PYTHON" - "$srv" "$work/expected" <<'EOF' || { echo "FAIL: cannot generate the test files"; exit 1; }
import gzip, io, os, sys, tarfile
srv, expected = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(expected, "cifar-10-batches-bin"))
with tarfile.open(os.path.join(srv, "cifar-10-binary.tar.gz"), "w:gz") as tar:
    for i, name in enumerate(["data_batch_%d.bin" % b for b in range(1, 6)] + ["test_batch.bin"]):
        data = b"".join(bytes([(i + r) % 10]) + bytes((i * 7 + r + p) % 256 for p in range(3072)) for r in range(3))
        path = os.path.join(expected, "cifar-10-batches-bin", name)
        with open(path, "wb") as f:
            f.write(data)
        tar.add(path, arcname="cifar-10-batches-bin/" + name)
for name, magic, dims in [("train-images-idx3-ubyte", 2051, [5, 28, 28]), ("train-labels-idx1-ubyte", 2049, [5]),
                          ("t10k-images-idx3-ubyte", 2051, [2, 28, 28]), ("t10k-labels-idx1-ubyte", 2049, [2])]:
    body = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    n = 1
    for d in dims:
        n *= d
    with open(os.path.join(srv, name + ".gz"), "wb") as f:
        f.write(gzip.compress(body + bytes(k % 10 for k in range(n)), mtime=0))
with tarfile.open(os.path.join(srv, "cifar-100-binary.tar.gz"), "w:gz") as tar:
    for arcname in ["cifar-100-binary/train.bin", "../escape.txt"]:
        info = tarfile.TarInfo(arcname)
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
EOF

md5() { md5sum "$1" | cut -d' ' -f1; }
size() { wc -c < "$1" | tr -d ' '; }
manifest=$work/manifest
{
    echo "# the test files' checksums replace the published ones"
    echo "cifar10 cifar-10-binary.tar.gz $(md5 "$srv/cifar-10-binary.tar.gz") $(size "$srv/cifar-10-binary.tar.gz")"
    echo "cifar100 cifar-100-binary.tar.gz $(md5 "$srv/cifar-100-binary.tar.gz")"
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
        echo "mnist $f.gz $(md5 "$srv/$f.gz")"
    done
} > "$manifest"

# A free port: try a few, each until the server says it is serving or exits (port taken).
port=
for try in 1 2 3 4 5 6 7 8; do
    p=$((20000 + ($$ * 7 + try * 613) % 40000))
    "$PYTHON" -u -m http.server --bind 127.0.0.1 "$p" --directory "$srv" > "$work/server.log" 2>&1 &
    server=$!
    for wait in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        grep -q 'Serving HTTP' "$work/server.log" && break
        kill -0 "$server" 2>/dev/null || break
        sleep 0.1
    done
    if grep -q 'Serving HTTP' "$work/server.log"; then
        port=$p
        break
    fi
    kill "$server" 2>/dev/null
    server=
done
if [ -z "$port" ]; then
    echo "FAIL: no local HTTP server could start: $(cat "$work/server.log")"
    echo "download: 0 passed, 1 failed"
    exit 1
fi
base=http://127.0.0.1:$port

# Run nin-cl download with the test overrides; output in $out, status in $rc.
dl() {
    out=$(NIN_DOWNLOAD_BASE_URL=${BASE:-$base} NIN_DOWNLOAD_MANIFEST=${MANIFEST:-$manifest} "$NIN_CL" download "$@" 2>&1)
    rc=$?
}
gets() { grep -c "GET /$1" "$work/server.log"; }
# Exactly one error line, and it is the last one.
one_error() {
    [ "$(echo "$out" | grep -c '^nin-cl: error:')" -eq 1 ] && echo "$out" | tail -1 | grep -q '^nin-cl: error:'
}
leftovers() { find "$work/data" -name '*.part' -o -name '.unpack-*' -o -name 'escape.txt' | head -1; }

dl cifar10 --data "$work/data/cifar10"
if [ $rc -eq 0 ] && cmp -s "$work/data/cifar10/cifar-10-binary.tar.gz" "$srv/cifar-10-binary.tar.gz" \
    && diff -r "$work/expected/cifar-10-batches-bin" "$work/data/cifar10/cifar-10-batches-bin" >/dev/null \
    && echo "$out" | grep -q 'unpacked into' && [ -z "$(leftovers)" ]; then
    ok "cifar10: fetched, checked and unpacked into cifar-10-batches-bin"
else
    bad "cifar10 download: rc=$rc $out"
fi

before=$(gets cifar-10-binary.tar.gz)
dl cifar10 --data "$work/data/cifar10"
[ $rc -eq 0 ] && echo "$out" | grep -q 'cifar-10-binary.tar.gz: up to date' \
    && [ "$(gets cifar-10-binary.tar.gz)" -eq "$before" ] && ok "second run: up to date, nothing fetched" \
    || bad "second run: rc=$rc $out"

mnist_same() {
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
        cmp -s "$srv/$f.gz" "$1/$f.gz" || return 1
    done
}
out=$(NIN_DATA_DIR=$work/data NIN_DOWNLOAD_BASE_URL=$base/ NIN_DOWNLOAD_MANIFEST=$manifest "$NIN_CL" download mnist 2>&1)
rc=$?
[ $rc -eq 0 ] && mnist_same "$work/data/mnist" && [ "$(echo "$out" | grep -c 'MD5 ok')" -eq 4 ] \
    && ok "mnist: four .gz files kept as they are, in \$NIN_DATA_DIR/mnist" || bad "mnist: rc=$rc $out"

echo damaged > "$work/data/mnist/t10k-labels-idx1-ubyte.gz"
dl mnist --data "$work/data/mnist"
[ $rc -eq 0 ] && mnist_same "$work/data/mnist" && echo "$out" | grep -q 't10k-labels-idx1-ubyte.gz: MD5 .* fetching it again' \
    && ok "a damaged file is fetched again" || bad "damaged file: rc=$rc $out"

sed 's/^\(mnist train-labels-idx1-ubyte.gz\) .*/\1 0123456789abcdef0123456789abcdef/' "$manifest" > "$work/wrong-md5"
MANIFEST=$work/wrong-md5 dl mnist --data "$work/data/wrong"
if [ $rc -ne 0 ] && one_error \
    && echo "$out" | tail -1 | grep -q "train-labels-idx1-ubyte.gz: MD5 mismatch: expected 0123456789abcdef0123456789abcdef, got $(md5 "$srv/train-labels-idx1-ubyte.gz") ($base/train-labels-idx1-ubyte.gz)" \
    && [ ! -e "$work/data/wrong/train-labels-idx1-ubyte.gz" ] && [ -z "$(leftovers)" ]; then
    ok "wrong checksum: one line with file, expected and got MD5 and URL; nothing left behind"
else
    bad "wrong checksum: rc=$rc $out"
fi

sed 's/^\(mnist t10k-labels-idx1-ubyte.gz .*\)/\1 10/' "$manifest" > "$work/wrong-size"
MANIFEST=$work/wrong-size dl mnist --data "$work/data/size"
[ $rc -ne 0 ] && one_error && echo "$out" | grep -q 'more than the published 10 bytes' \
    && [ ! -e "$work/data/size/t10k-labels-idx1-ubyte.gz" ] && [ -z "$(leftovers)" ] \
    && ok "wrong size: one error line, nothing left behind" || bad "wrong size: rc=$rc $out"

BASE=$base/missing dl mnist --data "$work/data/404"
[ $rc -ne 0 ] && one_error && echo "$out" | grep -q "404 ($base/missing/train-images-idx3-ubyte.gz)" \
    && [ -z "$(ls -A "$work/data/404")" ] && ok "404: one error line with the URL, nothing left behind" \
    || bad "404: rc=$rc $out"

dl cifar100 --data "$work/data/cifar100"
[ $rc -ne 0 ] && one_error && echo "$out" | grep -q "refusing the entry '../escape.txt'" && [ -z "$(leftovers)" ] \
    && [ ! -e "$work/data/cifar100/cifar-100-binary" ] && ok "an archive entry with '..' is refused, nothing unpacked" \
    || bad "'..' in an archive: rc=$rc $out"

dl imagenet --data "$work/data/imagenet"
[ $rc -ne 0 ] && echo "$out" | grep -q "unknown dataset 'imagenet' (one of: mnist, .*svhn[,)]" \
    && [ ! -e "$work/data/imagenet" ] && ok "unknown dataset: exit $rc, the names listed" || bad "unknown dataset: rc=$rc $out"

finish download
