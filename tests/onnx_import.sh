#!/bin/sh
# onnx_import.sh - `nin-cl import` on PyTorch's exports and on models it must refuse.
#
# PyTorch -> nin-cl: tests/ref/torch_nin.onnx and torch_nin_fc.onnx (small NINs trained briefly on Fashion-MNIST
# and exported by tests/ref/make_onnx_fixture.py, which also saved PyTorch's logits of the first 1000 test images)
# are imported with the Normalize they were trained with; `nin-cl test --logits` on the same 1000 images must
# agree with PyTorch's predictions on >= 99.9 % of them with every logit within 1e-4. The imported checkpoint
# must also work with predict and inspect.
# A fully connected head made here is checked against NumPy through nin-cl predict.
# Refusals: tiny models made here with python3-onnx's onnx.helper (a LeakyRelu, a dilated, a grouped and an
# asymmetrically padded convolution, a padded max-pool, an integer input, a branch, no class scores, a stride of 0
# with auto_pad SAME, which used to crash the importer) are each
# refused with exit status 1 and one line naming the node and its operator (or the input, or the output); a
# truncated and a garbage file with one line too, and models a checkpoint cannot hold (one class, no parameters,
# a 5000-pixel side, a dataset name with a line break) before any file is written.
# Needs Debian's python3-numpy and python3-onnx (exit 77 without them) and the fashion-mnist dataset.
. "${NIN_TEST_SRCDIR:-$(dirname "$0")}/testlib.sh"
REF=${NIN_FIXTURE_DIR:-$(dirname "$0")/ref}
PY=/usr/bin/python3
if ! $PY -c 'import numpy, onnx' 2>/dev/null; then
    echo "SKIP: $PY with numpy and onnx (Debian's python3-numpy, python3-onnx) is needed"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- PyTorch's exports ----------------------------------------------------------------------------------------
for name in torch_nin torch_nin_fc; do
    if ! out=$("$NIN_CL" import "$REF/$name.onnx" -o "$tmp/$name.nin" --dataset fashion-mnist --mean 0.2860 \
        --std 0.3530 2>&1); then
        bad "$name: import: $out"
        continue
    fi
    echo "$out"
    if ! "$NIN_CL" test fashion-mnist --model "$tmp/$name.nin" --limit 1000 --logits "$tmp/$name.npy" \
        > "$tmp/$name.log" 2>&1; then
        bad "$name: nin-cl test: $(tail -1 "$tmp/$name.log")"
        continue
    fi
    if report=$($PY - "$REF/${name}_logits.npy" "$tmp/$name.npy" <<'EOF'
import sys
import numpy as np
ref, got = np.load(sys.argv[1]), np.load(sys.argv[2])
assert ref.shape == got.shape == (1000, 10), (ref.shape, got.shape)
agree = float((ref.argmax(1) == got.argmax(1)).mean())
diff = float(np.abs(ref - got).max())
print(f"argmax agreement {100 * agree:.1f} % of 1000, max |logit difference| {diff:.2e}")
sys.exit(0 if agree >= 0.999 and diff <= 1e-4 else 1)
EOF
    ); then
        ok "$name: nin-cl test agrees with PyTorch: $report"
    else
        bad "$name: nin-cl test against PyTorch: $report"
    fi
done

# predict and inspect take the imported checkpoint like a trained one
$PY -c 'import sys; sys.stdout.buffer.write(b"P5\n28 28\n255\n" + bytes(range(256))[:196] * 4)' > "$tmp/img.pgm"
if [ -f "$tmp/torch_nin.nin" ]; then
    if out=$("$NIN_CL" predict --model "$tmp/torch_nin.nin" "$tmp/img.pgm" 2>&1); then
        ok "predict with the imported model: $(echo "$out" | head -1)"
    else
        bad "predict with the imported model: $out"
    fi
    if out=$("$NIN_CL" inspect --model "$tmp/torch_nin.nin" --batch 8 2>&1); then
        ok "inspect with the imported model"
    else
        bad "inspect with the imported model: $(echo "$out" | tail -1)"
    fi
fi

# --- models made here: accepted forms, and what is refused -------------------------------------------------------
$PY - "$tmp" <<'EOF'
import sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
out = sys.argv[1]
rng = np.random.default_rng(1)

def init(name, *shape):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)

def save(name, nodes, inits, dtype=TensorProto.FLOAT, shape=(1, 1, 8, 8), outputs=("y",), opset=13):
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", dtype, shape)],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)]), f"{out}/{name}.onnx")

conv = lambda out_name, **kw: helper.make_node("Conv", ["x", "w", "b"], [out_name], name="conv0", **kw)
wb = [init("w", 4, 1, 3, 3), init("b", 4)]
head = [helper.make_node("GlobalAveragePool", ["h"], ["g"], name="gap"), helper.make_node("Flatten", ["g"], ["y"], name="flat")]
# accepted: preprocessing, conv + relu across a max-pool, dropout kept, softmax dropped with both outputs
save("accepted", [helper.make_node("Sub", ["x", "m"], ["x1"], name="sub"), helper.make_node("Div", ["x1", "s"], ["x2"], name="div"),
                  helper.make_node("Conv", ["x2", "w", "b"], ["c"], name="conv0", pads=[1, 1, 1, 1]),
                  helper.make_node("MaxPool", ["c"], ["p"], name="pool", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
                  helper.make_node("Relu", ["p"], ["r"], name="relu"),
                  helper.make_node("Dropout", ["r", "ratio"], ["h"], name="drop")] + head +
     [helper.make_node("Softmax", ["y"], ["prob"], name="softmax")],
     wb + [numpy_helper.from_array(np.array(0.5, np.float32), "m"), numpy_helper.from_array(np.array(0.25, np.float32), "s"),
           numpy_helper.from_array(np.array(0.3, np.float32), "ratio")], outputs=("y", "prob"))
# a fully connected head, its numbers checked: Mul/Add as the preprocessing, Gemm (alpha, transB) + Relu, MatMul + Add;
# the probabilities nin-cl predict must print for a 4x4 picture of pixels 0, 16, ..., 240 go to fc_expected.txt
fc = [init("w", 5, 16), init("c", 5), init("w2", 5, 3), init("b2", 3)]
save("fc_head", [helper.make_node("Mul", ["x", "k"], ["xk"], name="scale"), helper.make_node("Add", ["xk", "o"], ["xo"], name="offset"),
                 helper.make_node("Flatten", ["xo"], ["f"], name="flat"),
                 helper.make_node("Gemm", ["f", "w", "c"], ["h"], name="gemm", transB=1, alpha=0.5),
                 helper.make_node("Relu", ["h"], ["r"], name="relu"), helper.make_node("MatMul", ["r", "w2"], ["mm"], name="matmul"),
                 helper.make_node("Add", ["mm", "b2"], ["y"], name="bias")],
     fc + [numpy_helper.from_array(np.array(2.0, np.float32), "k"), numpy_helper.from_array(np.array(-1.0, np.float32), "o")],
     shape=(1, 1, 4, 4))
t = {i.name: numpy_helper.to_array(i) for i in fc}
x = np.arange(0, 256, 16, dtype=np.float64) / 255 * 2 - 1
y = np.maximum(0.5 * t["w"] @ x + t["c"], 0) @ t["w2"] + t["b2"]
p = np.exp(y - y.max()) / np.exp(y - y.max()).sum()
open(f"{out}/fc_expected.txt", "w").write("".join(f"{k} {v:.6f}\n" for k, v in enumerate(p)))
save("leaky", [conv("c", pads=[1, 1, 1, 1]), helper.make_node("LeakyRelu", ["c"], ["h"], name="leaky")] + head, wb)
save("no_head", [conv("y")], wb)
save("dilated", [conv("h", dilations=[2, 2])] + head, wb)
save("grouped", [helper.make_node("Conv", ["x", "w2", "b"], ["h"], name="conv0", group=2)] + head,
     [init("w2", 4, 1, 3, 3), init("b", 4)], shape=(1, 2, 8, 8))
save("asymmetric", [conv("h", pads=[0, 0, 1, 1])] + head, wb)
save("padded_pool", [conv("c"), helper.make_node("MaxPool", ["c"], ["h"], name="pool", kernel_shape=[3, 3], pads=[1, 1, 1, 1])] + head, wb)
save("int_input", [conv("h")] + head, wb, dtype=TensorProto.INT32)
save("branch", [conv("c"), helper.make_node("Relu", ["c"], ["r"], name="relu"),
                helper.make_node("Add", ["c", "r"], ["h"], name="skip")] + head, wb)
# read, but beyond what a checkpoint holds (nin-cl import used to write files that nin-cl then called corrupt)
save("one_class", [helper.make_node("Flatten", ["x"], ["f"], name="flat"),
                   helper.make_node("Gemm", ["f", "w1"], ["y"], name="gemm", transB=1)], [init("w1", 1, 64)])
save("no_params", [helper.make_node("Softmax", ["x"], ["y"], name="softmax")], [], shape=(1, 3))
save("tall", [helper.make_node("Identity", ["x"], ["h"], name="same")] + head, [], shape=(1, 2, 5000, 1))
save("stride0", [conv("h", auto_pad="SAME_UPPER", strides=[0, 0])] + head, wb)   # SAME divided by the stride
save("pool_stride0", [conv("c"), helper.make_node("MaxPool", ["c"], ["h"], name="pool", kernel_shape=[2, 2],
                                                  auto_pad="SAME_UPPER", strides=[0, 0])] + head, wb)
save("linebreak", [conv("h")] + head, wb)
linebreak = onnx.load(f"{out}/linebreak.onnx")
helper.set_model_props(linebreak, {"nin.dataset": "mnist\ncolour=blue"})   # a line the checkpoint's config would read
onnx.save(linebreak, f"{out}/linebreak.onnx")
EOF
[ -f "$tmp/accepted.onnx" ] || bad "onnx.helper could not write the test models"

if out=$("$NIN_CL" import "$tmp/accepted.onnx" -o "$tmp/accepted.nin" 2>&1) &&
    echo "$out" | grep -q 'netdef 4c3p1-mp3s2-d0.3-gap' && echo "$out" | grep -q '(x - 127.5) / 63.75 of pixels'; then
    ok "accepted: Sub/Div as the preprocessing, the ReLU into the conv, dropout kept, softmax dropped: $out"
else
    bad "accepted: $out"
fi

$PY -c 'import sys; sys.stdout.buffer.write(b"P5\n4 4\n255\n" + bytes(range(0, 256, 16)))' > "$tmp/ramp.pgm"
if "$NIN_CL" import "$tmp/fc_head.onnx" -o "$tmp/fc_head.nin" > "$tmp/fc_head.log" 2>&1 &&
    "$NIN_CL" predict --model "$tmp/fc_head.nin" "$tmp/ramp.pgm" > "$tmp/fc_head.out" 2>&1 &&
    awk 'NR == FNR { want[$1] = $2; next } $2 == "class" { n++; d = $4 - want[$3]; if (d < -1e-4 || d > 1e-4) bad = 1 }
         END { exit bad || n != 3 }' "$tmp/fc_expected.txt" "$tmp/fc_head.out"; then
    ok "fc_head: Mul/Add preprocessing, Gemm (alpha, transB) + Relu, MatMul + Add: predict gives NumPy's probabilities"
else
    bad "fc_head: $(cat "$tmp/fc_head.log" "$tmp/fc_head.out") against $(cat "$tmp/fc_expected.txt")"
fi

# refused MODEL PATTERN: exit status 1 and one line on stderr, matching PATTERN
refused() {
    "$NIN_CL" import "$tmp/$1.onnx" -o "$tmp/$1.nin" > "$tmp/$1.out" 2> "$tmp/$1.err"; rc=$?
    if [ $rc -eq 1 ] && [ "$(wc -l < "$tmp/$1.err")" -eq 1 ] && grep -q -- "$2" "$tmp/$1.err" && [ ! -e "$tmp/$1.nin" ]; then
        ok "$1 refused: $(cat "$tmp/$1.err")"
    else
        bad "$1: exit status $rc, expected 1 and one line matching '$2': $(cat "$tmp/$1.err")"
    fi
}
refused leaky 'node 1 "leaky" (LeakyRelu): nin-cl has no such layer'
refused dilated 'node 0 "conv0" (Conv): dilations 2: nin-cl convolutions are undilated'
refused grouped 'node 0 "conv0" (Conv): group 2: nin-cl convolutions are not grouped'
refused asymmetric 'node 0 "conv0" (Conv): pads 0,1: nin-cl pads every side alike'
refused padded_pool 'node 1 "pool" (MaxPool): pads 1: nin-cl pools are unpadded'
refused int_input 'input "x" is of ONNX type 6: nin-cl takes float32'
refused branch 'node 2 "skip" (Add)'
refused no_head 'the network ends in 4x6x6 values a sample'
refused one_class 'not 1x8x8 inputs, 1 classes and 65 parameters'
refused no_params 'not 3x1x1 inputs, 3 classes and 0 parameters'
refused tall 'not 2x5000x1 inputs, 2 classes and 0 parameters'
refused stride0 'node 0 "conv0" (Conv): kernel 3, stride 0 out of range'
refused pool_stride0 'node 1 "pool" (MaxPool): kernel 2, stride 0 out of range'
refused linebreak 'the setting dataset holds a line break, which a checkpoint cannot keep'

head -c 3000 "$REF/torch_nin.onnx" > "$tmp/truncated.onnx"
refused truncated 'truncated.onnx: '
$PY -c 'import sys; sys.stdout.buffer.write(bytes([0xff] * 64) + b"garbage")' > "$tmp/garbage.onnx"
refused garbage 'garbage.onnx: not an ONNX model (protobuf parse failed)'

finish onnx_import.sh
