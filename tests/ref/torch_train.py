#!/usr/bin/python3
"""PyTorch reference for `nin-cl train`: the same network (a nin-cl netdef or preset), init, preprocessing,
validation split and recipe, on the same IDX files, so that accuracies can be compared one for one.
Its defaults are nin-cl's: lr 0.07 with 300 steps of warm-up, data-dependent init.

    /usr/bin/python3 tests/ref/torch_train.py fashion-mnist /usr/share/datasets/fashion-mnist --epochs 1

Needs Debian's python3-torch (+ libopenblas0-pthread). Recipe, as nin-cl's defaults: batch 128, SGD momentum
0.9, weight decay on weights only, He-scaled Gaussian init with zero biases, per-channel standardisation
(population std, at least 1e-3) with the training images' statistics, the last --val-size training images
held out for validation (a tenth of them when --val-size is more than half), --train-limit keeps the first N
training images. A progress line every --progress steps.
"""
import argparse
import gzip
import os
import re
import struct
import time

import torch
import torch.nn as nn

PRESETS = {
    "mnist": None,  # filled from src/netdef.c so that the two never drift apart
    "fashion-mnist": None,
}


def preset_netdef(name):
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "netdef.c")
    for preset, netdef in re.findall(r'\{ "([a-z0-9-]+)", "([^"]+)" \}', open(src).read()):
        if preset == name:
            return netdef
    return name


def read_idx(path):
    for p in (path, path + ".gz"):
        if os.path.exists(p):
            data = (gzip.open if p.endswith(".gz") else open)(p, "rb").read()
            ndim = data[3]
            dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
            return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)
    raise SystemExit(f"missing {path}")


# --- network, preprocessing, evaluation -----------------------------------------------------------------

CONV = r"(\d+)c(\d+)(?:p(\d+))?(?:s(\d+))?(l?)"
FC = r"(\d+)fc(l?)"


def build(netdef, channels, size, last_std=0.0, bias=0.0):
    layers, c, h, flat = [], channels, size, False
    for tok in netdef.split("-"):
        if m := re.fullmatch(CONV, tok):
            out, k, p, s = int(m[1]), int(m[2]), int(m[3] or 0), int(m[4] or 1)
            layers.append(nn.Conv2d(c, out, k, s, p))
            if not m[5]:
                layers.append(nn.ReLU())
            c, h = out, (h + 2 * p - k) // s + 1
        elif m := re.fullmatch(FC, tok):
            if not flat:
                layers.append(nn.Flatten())
            layers.append(nn.Linear(c * h * h, int(m[1])))
            if not m[2]:
                layers.append(nn.ReLU())
            c, h, flat = int(m[1]), 1, True
        elif m := re.fullmatch(r"mp(\d+)(?:s(\d+))?", tok):
            k = int(m[1]); s = int(m[2] or k)
            layers.append(nn.MaxPool2d(k, s, ceil_mode=True))
            h = -(-(h - k) // s) + 1 if h > k else 1
        elif m := re.fullmatch(r"d([0-9.]+)", tok):
            layers.append(nn.Dropout(float(m[1])))
        elif tok == "gap":
            layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
            h, flat = 1, True
        else:
            raise SystemExit(f"token {tok} not supported by this reference")
    net = nn.Sequential(*layers)
    convs = [mod for mod in net if isinstance(mod, (nn.Conv2d, nn.Linear))]
    for mod in convs:
        std = last_std if (mod is convs[-1] and last_std > 0) else (2.0 / mod.weight[0].numel()) ** 0.5
        nn.init.normal_(mod.weight, 0.0, std)
        nn.init.constant_(mod.bias, 0.0 if mod is convs[-1] else bias)
    return net


def lsuv(net, x, center=False):
    """Data-dependent init (Mishkin & Matas): scale each convolution (and fc) in turn so that its
    pre-activation output on the batch x has unit variance."""
    convs = [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        for conv in convs:
            out = {}
            handle = conv.register_forward_hook(lambda mod, inp, o: out.setdefault("y", o))
            net.eval()
            net(x)
            net.train()
            handle.remove()
            if center:   # data-dependent init: per-channel zero mean and unit variance before the ReLU
                maps = out["y"].shape[1]
                y = out["y"].transpose(0, 1).reshape(maps, -1)
                mean, std = y.mean(1), y.std(1, unbiased=False) + 1e-6
                conv.weight /= std.view(-1, *([1] * (conv.weight.dim() - 1)))
                conv.bias.copy_((conv.bias - mean) / std)
            else:
                conv.weight /= out["y"].std()


class Standardize:
    """nin-cl's `standardize` (src/preprocess.c): per channel (x - mean) / std, the statistics of the
    training images in double (population std, at least 1e-3), stored and applied in float32."""

    def __init__(self, images):
        c = images.shape[1]
        planes = images.transpose(0, 1).reshape(c, -1).long()
        total = planes.shape[1]
        mean = planes.sum(1).double() / total
        var = ((planes * planes).sum(1).double() / total - mean * mean).clamp(min=0.0)
        self.mean = mean.float().view(1, c, 1, 1)
        self.std = var.sqrt().clamp(min=1e-3).float().view(1, c, 1, 1)

    def __call__(self, images):
        return (images.float() - self.mean) / self.std


def evaluate(net, pre, x, y, batch=500):
    net.eval()
    loss, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out = net(pre(x[i:i + batch]))
            loss += nn.functional.cross_entropy(out, y[i:i + batch], reduction="sum").item()
            correct += (out.argmax(1) == y[i:i + batch]).sum().item()
    net.train()
    return loss / max(len(x), 1), correct / max(len(x), 1)


def load(a):
    """xtr, ytr (training images, validation last), xte, yte (uint8 NCHW), classes, net."""
    xtr = read_idx(os.path.join(a.data, "train-images-idx3-ubyte")).unsqueeze(1)
    ytr = read_idx(os.path.join(a.data, "train-labels-idx1-ubyte")).long()
    xte = read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte")).unsqueeze(1)
    yte = read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte")).long()
    return xtr, ytr, xte, yte, None, preset_netdef(a.net or a.dataset)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", help="mnist, fashion-mnist (IDX files)")
    ap.add_argument("data")
    ap.add_argument("--net", default=None)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.07)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--val-size", type=int, default=5000)
    ap.add_argument("--train-limit", type=int, default=0, help="train on the first N training images (0: all)")
    ap.add_argument("--last-std", type=float, default=0.0, help="init std of the class layer (0: He)")
    ap.add_argument("--bias-init", type=float, default=0.0, help="initial bias of the ReLU layers")
    ap.add_argument("--init", choices=["data", "gaussian", "lsuv"], default="data",
                    help="data (nin-cl's default): per-channel zero-mean unit-variance pre-activations on the first batch")
    ap.add_argument("--warmup", type=int, default=300, help="steps of linear learning-rate warm-up")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2, help="PyTorch threads")
    ap.add_argument("--progress", type=int, default=50, help="a progress line every N steps (0: none)")
    ap.add_argument("--load-only", action="store_true", help="load and split the data, print the counts, stop")
    a = ap.parse_args()
    if a.val_size < 0 or a.train_limit < 0:
        raise SystemExit("--val-size or --train-limit out of range")
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    xtr, ytr, xte, yte, classes, netdef = load(a)
    # nin-cl's split_train: the last val_size training images validate (a tenth when that leaves too few)
    n_val = a.val_size
    if n_val > len(xtr) // 2:
        n_val = len(xtr) // 10
        print(f"note: --val-size {a.val_size} would leave too few of the {len(xtr)} training images; "
              f"validating on {n_val}", flush=True)
    n_train = len(xtr) - n_val
    xtr, xva, ytr, yva = xtr[:n_train], xtr[n_train:], ytr[:n_train], ytr[n_train:]
    if 0 < a.train_limit < n_train:
        xtr, ytr = xtr[:a.train_limit], ytr[:a.train_limit]
    n_classes = len(classes) if classes else int(max(ytr.max(), yte.max())) + 1
    print(f"{len(xtr)} train / {len(xva)} val / {len(xte)} test images; per class: train "
          f"{torch.bincount(ytr, minlength=n_classes).tolist()} val {torch.bincount(yva, minlength=n_classes).tolist()} "
          f"test {torch.bincount(yte, minlength=n_classes).tolist()}", flush=True)
    if a.load_only:
        return
    if len(xtr) < a.batch:
        raise SystemExit(f"{len(xtr)} training images are fewer than one batch of {a.batch}")
    pre = Standardize(xtr)
    net = build(netdef, xtr.shape[1], xtr.shape[2], a.last_std, a.bias_init)
    print(f"net {netdef}, {sum(p.numel() for p in net.parameters())} parameters, mean "
          f"{[round(v, 4) for v in pre.mean.flatten().tolist()]} std {[round(v, 4) for v in pre.std.flatten().tolist()]}",
          flush=True)
    if a.init != "gaussian":
        lsuv(net, pre(xtr[:a.batch]), center=a.init == "data")
    weights = [p for n, p in net.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in net.named_parameters() if n.endswith("bias")]
    opt = torch.optim.SGD([{"params": weights, "weight_decay": a.weight_decay},
                           {"params": biases, "weight_decay": 0.0}], lr=a.lr, momentum=a.momentum)
    start, step, steps = time.time(), 0, len(xtr) // a.batch
    for epoch in range(1, a.epochs + 1):
        perm = torch.randperm(len(xtr))
        total, correct, seen = 0.0, 0, 0
        epoch_start = time.time()
        for k, i in enumerate(range(0, len(xtr) - a.batch + 1, a.batch), 1):
            idx = perm[i:i + a.batch]
            step += 1
            for group in opt.param_groups:
                group["lr"] = a.lr * min(1.0, step / a.warmup) if a.warmup else a.lr
            out = net(pre(xtr[idx]))
            loss = nn.functional.cross_entropy(out, ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * a.batch
            correct += (out.argmax(1) == ytr[idx]).sum().item()
            seen += a.batch
            if a.progress and (k % a.progress == 0 or k == steps):
                elapsed = time.time() - epoch_start
                rate = seen / elapsed
                eta = int((steps - k) * a.batch / rate)
                print(f"epoch {epoch} step {k}/{steps} loss {total / seen:.4f} acc {correct / seen:.4f} "
                      f"{rate:.1f} img/s ETA {eta // 60}m{eta % 60:02d}s", flush=True)
        vl, va = evaluate(net, pre, xva, yva)
        tl, ta = evaluate(net, pre, xte, yte)
        print(f"epoch={epoch} train_loss={total / seen:.4f} train_acc={correct / seen:.4f} val_acc={va:.4f} "
              f"test_acc={ta:.4f} test_loss={tl:.4f} seconds={time.time() - start:.0f}", flush=True)


if __name__ == "__main__":
    main()
