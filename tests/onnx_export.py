"""onnx_export.py - the Python side of tests/onnx_export.sh: what ONNX itself and ONNX Runtime say of a model
that `nin-cl export` wrote.

    onnx_export.py check MODEL.onnx KEY=VALUE...   onnx.checker (full_check) accepts the model; its opset is >= 13;
                                                   its input and outputs are nin-cl's; each metadata_props KEY
                                                   holds VALUE ("KEY=" for a key that must be absent). Prints
                                                   nin.netdef on success.
    onnx_export.py subset SRC DST TRAIN TEST       a small Fashion-MNIST in DST: the first TRAIN training and
                                                   TEST test images and labels of SRC's IDX files, gzipped
                                                   (so that a short training run evaluates few test images).
    onnx_export.py run MODEL.onnx IMAGES.idx.gz LOGITS.npy COUNT
                                                   ONNX Runtime on the first COUNT images of an IDX file, fed as
                                                   raw pixel values: the largest |logit difference| from nin-cl's
                                                   LOGITS.npy, and from softmax(logits) of "probabilities".
                                                   Exit 77 when onnxruntime cannot be imported.
Run with Debian's /usr/bin/python3 (onnx, numpy) or a virtual environment over it that adds onnxruntime."""
import gzip
import struct
import sys

import numpy as np


def fail(message):
    print(message)
    sys.exit(1)


def check(path, expected):
    import onnx
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    opsets = {o.domain: o.version for o in model.opset_import}
    if opsets.get("", 0) < 13:
        fail(f"{path}: opset {opsets}, want >= 13")
    graph = model.graph
    inputs = [i.name for i in graph.input]
    outputs = [o.name for o in graph.output]
    if inputs != ["image"] or outputs != ["logits", "probabilities"]:
        fail(f"{path}: inputs {inputs}, outputs {outputs}")
    if not graph.input[0].doc_string:
        fail(f"{path}: the input has no doc_string")
    meta = {p.key: p.value for p in model.metadata_props}
    for item in expected:
        key, value = item.split("=", 1)
        if value == "" and key in meta:
            fail(f"{path}: metadata {key} = {meta[key]!r}, want none")
        if value != "" and meta.get(key) != value.replace("\\n", "\n"):
            fail(f"{path}: metadata {key} = {meta.get(key)!r}, want {value!r}")
    if model.producer_name != "nin-cl" or not meta.get("nin.netdef"):
        fail(f"{path}: producer {model.producer_name!r}, netdef {meta.get('nin.netdef')!r}")
    print(meta["nin.netdef"])


def read_idx(path, count):
    """The header's dims after the count, and the first `count` items' bytes, of a gzipped IDX file."""
    with gzip.open(path, "rb") as f:
        magic, n = struct.unpack(">II", f.read(8))
        rank = magic & 0xFF
        dims = struct.unpack(">" + "I" * (rank - 1), f.read(4 * (rank - 1)))
        if magic >> 8 != 8 or n < count:
            fail(f"{path}: not an IDX file of at least {count} bytes-valued items")
        return magic, dims, f.read(count * int(np.prod(dims, dtype=np.int64)))


def read_idx_images(path, count):
    magic, (rows, cols), data = read_idx(path, count)
    return np.frombuffer(data, dtype=np.uint8).reshape(count, 1, rows, cols).astype(np.float32)


def subset(src, dst, train, test):
    import os
    os.makedirs(dst, exist_ok=True)
    for prefix, count in (("train", train), ("t10k", test)):
        for kind in ("images-idx3", "labels-idx1"):
            name = f"{prefix}-{kind}-ubyte.gz"
            magic, dims, data = read_idx(os.path.join(src, name), count)
            with gzip.open(os.path.join(dst, name), "wb") as f:
                f.write(struct.pack(">II", magic, count) + struct.pack(">" + "I" * len(dims), *dims) + data)


def run(path, images_path, logits_path, count):
    try:
        import onnxruntime
    except ImportError as e:
        print(f"skipped: onnxruntime is not installed ({e})")
        sys.exit(77)
    images = read_idx_images(images_path, count)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    logits, probs = session.run(["logits", "probabilities"], {"image": images})
    expected = np.load(logits_path)
    if logits.shape != expected.shape:
        fail(f"{path}: logits of shape {logits.shape}, nin-cl's {expected.shape}")
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    softmax = e / e.sum(axis=1, keepdims=True)
    print(f"max_abs_logit_diff={np.abs(logits - expected).max():.3g} max_abs_logit={np.abs(expected).max():.3g} "
          f"max_abs_prob_diff={np.abs(probs - softmax).max():.3g} "
          f"agree={int((logits.argmax(1) == expected.argmax(1)).sum())}/{count} onnxruntime={onnxruntime.__version__}")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 6 and sys.argv[1] == "subset":
        subset(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif len(sys.argv) == 6 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        fail(__doc__)
