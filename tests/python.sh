#!/bin/sh
# python.sh - python/nin.py, the ctypes layer over libnin, with Debian's python3-numpy: on 100 Fashion-MNIST test
# images (read from the IDX .gz in Python) a briefly trained model's predictions are the softmax of the logits
# `nin-cl test --logits` writes, within 1e-5 and with the same arg-max, whatever the shape and type the pixels come
# in; forward(preprocess(x)) gives those logits; two models are used at once on one shared context; a bad path is
# nin.Error naming the file (a path that is no path TypeError, leaving no context behind), a wrong shape or pixel
# range ValueError naming the expected shape; devices() lists
# nin-cl's devices.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
FASHION=${NIN_FASHION_DIR:-/usr/share/datasets/fashion-mnist}
PYTHON=/usr/bin/python3
if ! "$PYTHON" -c 'import numpy' 2>/dev/null; then
    echo "SKIP: $PYTHON with NumPy (Debian's python3-numpy) is needed"
    exit 77
fi
if [ ! -f "$FASHION/t10k-images-idx3-ubyte.gz" ]; then
    echo "SKIP: no Fashion-MNIST in $FASHION (Debian's dataset-fashion-mnist)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

small_fashion_model "$tmp/run" "$FASHION"
for m in last best; do
    "$NIN_CL" test fashion-mnist --data "$FASHION" --model "$tmp/run/$m.nin" --limit 100 --logits "$tmp/$m.npy" \
        > "$tmp/test-$m.log" 2>&1 || bad "nin-cl test --model $m.nin: $(tail -1 "$tmp/test-$m.log")"
done
"$NIN_CL" --devices > "$tmp/devices.txt" 2>&1 || bad "nin-cl --devices: $(cat "$tmp/devices.txt")"

# The checks print ok:/FAIL: lines themselves; a hang (a lock never released, say) ends after 10 minutes.
# A libnin built with AddressSanitizer (CI's sanitizer build) loads only into a process that has the sanitizer's
# runtime: Python gets clang's preloaded, its leak check off (Python itself frees little at exit).
preload=
if sanitized; then
    preload=$(clang -print-file-name=libclang_rt.asan-x86_64.so 2>/dev/null)
    [ -f "$preload" ] || { echo "SKIP: libnin is built with AddressSanitizer and clang's runtime is not found"; exit 77; }
fi
PYTHONPATH="$NIN_TEST_SRCDIR/../python" NIN_LIBRARY="${NIN_LIBNIN:-.libs/libnin.so}" LD_PRELOAD="$preload" \
ASAN_OPTIONS="${ASAN_OPTIONS:-}${preload:+:detect_leaks=0}" \
timeout 600 "$PYTHON" - "$FASHION" "$tmp" > "$tmp/python.log" 2>&1 <<'EOF'
import gzip, sys
import numpy as np
import nin

fashion, tmp = sys.argv[1:]
def check(good, what):
    print(("ok: " if good else "FAIL: ") + what)
def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
def raises(kind, fn, *words):
    try:
        fn()
    except kind as e:
        return all(w in str(e) for w in words), str(e)
    return False, "nothing raised"

images = np.frombuffer(gzip.open(fashion + "/t10k-images-idx3-ubyte.gz").read()[16:16 + 100 * 784], np.uint8)
images = images.reshape(100, 28, 28)
want = softmax(np.load(tmp + "/last.npy").astype(np.float64))

names = [d.name for d in nin.devices()]
check(names and names[0] in open(tmp + "/devices.txt").read(), "devices(): %s, as nin-cl --devices lists it" % names)

with nin.Model(tmp + "/run/last.nin", batch=32) as m:   # 100 images: three batches and a padded fourth
    check(m.input_shape == (1, 28, 28) and m.classes == 10 and m.class_names[9] == "Ankle boot",
          "input_shape %s, %d classes, %s" % (m.input_shape, m.classes, m.class_names))
    probs = m.predict(images)
    diff = np.abs(probs - want).max()
    check(probs.dtype == np.float32 and probs.shape == (100, 10) and diff <= 1e-5,
          "predict: the softmax of nin-cl test's logits within 1e-5 (max difference %.2g)" % diff)
    check((probs.argmax(1) == want.argmax(1)).all(), "predict: the same arg-max on all 100 images")
    same = [np.array_equal(m.predict(x), probs[:len(x)]) for x in
            (images.reshape(100, 1, 28, 28), images.astype(np.int64), images.astype(np.float32), images[:1])]
    single = m.predict(images[7])
    check(all(same) and np.array_equal(single, probs[7:8]),
          "(N,1,H,W), int64, float32, one image (H,W) give the same probabilities (%s)" % same)
    logits = m.forward(m.preprocess(images))
    ref = np.load(tmp + "/last.npy")
    check(np.abs(logits - ref).max() <= 1e-5, "forward(preprocess(x)) = nin-cl test's logits within 1e-5 (%.2g)"
          % np.abs(logits - ref).max())
    for bad_input, what in ((np.zeros((5, 3, 28, 28), np.uint8), "3 channels"), (np.zeros((5, 28, 27)), "27 wide"),
                            (np.zeros((4, 5, 1, 28, 28)), "5 dimensions")):
        good, msg = raises(ValueError, lambda: m.predict(bad_input), "(N, 1, 28, 28)")
        check(good, "wrong shape (%s): ValueError naming the expected shape: %s" % (what, msg))
    good, msg = raises(ValueError, lambda: m.predict(np.full((2, 28, 28), 256)), "0..255")
    check(good, "pixel 256: ValueError: %s" % msg)
    good, msg = raises(ValueError, lambda: m.predict(np.full((2, 28, 28), -0.5)), "0..255")
    check(good, "pixel -0.5: ValueError: %s" % msg)

    # a second model at once, on the same device: one context for both
    other = nin.Model(tmp + "/run/best.nin", batch=7)
    check(len(nin._contexts) == 1 and list(nin._contexts.values())[0][1] == 2, "two models share one context")
    theirs = other.predict(images)
    again = m.predict(images)
    best = softmax(np.load(tmp + "/best.npy").astype(np.float64))
    check(np.abs(theirs - best).max() <= 1e-5 and np.array_equal(again, probs),
          "two models at once: each predicts as nin-cl test with its own model")
    other.close()
    other.close()
    check(np.array_equal(m.predict(images[:10]), probs[:10]), "the first goes on after the second is closed")
    good, msg = raises(nin.Error, lambda: other.predict(images[:1]), "closed")
    check(good, "a closed model: nin.Error: %s" % msg)
check(not nin._contexts, "the context is freed with its last model")

good, msg = raises(nin.Error, lambda: nin.Model(tmp + "/missing.nin"), tmp + "/missing.nin")
check(good, "a missing model: nin.Error naming it: %s" % msg)
open(tmp + "/garbage.onnx", "wb").write(b"not a model at all")
good, msg = raises(nin.Error, lambda: nin.Model(tmp + "/garbage.onnx"), tmp + "/garbage.onnx")
check(good, "a garbage file: nin.Error naming it: %s" % msg)
good, msg = raises(nin.Error, lambda: nin.Model(tmp + "/run/last.nin", device=99), "99")
check(good and not nin._contexts, "no device 99: nin.Error: %s" % msg)
good, msg = raises(TypeError, lambda: nin.Model(None), "NoneType")
check(good and not nin._contexts, "a path of None: TypeError, and no context left behind: %s" % msg)
EOF
echo "python exit status $?" >> "$tmp/python.log"
cat "$tmp/python.log"
grep -q '^python exit status 0$' "$tmp/python.log" || bad "the Python checks did not run to their end"
pass=$((pass + $(grep -c '^ok: ' "$tmp/python.log")))
fail=$((fail + $(grep -c '^FAIL: ' "$tmp/python.log")))
[ "$(grep -c '^ok: \|^FAIL: ' "$tmp/python.log")" -eq 20 ] || bad "expected 20 Python checks"
finish python
