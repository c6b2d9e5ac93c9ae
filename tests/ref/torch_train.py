#!/usr/bin/python3
"""PyTorch reference for `nin-cl train`: the same network (a nin-cl netdef or preset), init, preprocessing,
validation split and recipe, on the same data, so that accuracies can be compared one for one.
Its defaults are nin-cl's: lr 0.07 with 300 steps of warm-up, data-dependent init.

    /usr/bin/python3 tests/ref/torch_train.py fashion-mnist /usr/share/datasets/fashion-mnist --epochs 1
    /usr/bin/python3 tests/ref/torch_train.py images CIFAR-10-images --net cifar10 --epochs 2

Datasets: an IDX name (mnist, fashion-mnist: DATA holds the four IDX files, .gz or not), or `images`: DATA
is a folder of image folders, one per class, read by nin-cl's rules so that both train on the same split:
  - DATA/train/<class>/... with DATA/test/<class>/... (or DATA/val/<class>/... when there is no test/), or no
    split folders: DATA holds the class folders and a stratified --test-split of each class is held out;
  - classes: the byte-sorted names of the non-hidden subfolders of DATA/train (or DATA), index = position;
  - a class's files: its folder walked recursively (symlinks followed), names starting with '.' skipped,
    extensions .jpg .jpeg .png .pgm .ppm .pnm (any case), sorted by path relative to the class folder, then
    shuffled by nin-cl's counter-based RNG keyed by (--seed, 0x1A6E5, class index);
  - without split folders the first round(F * n) (1..n-1; 0 when F is 0) shuffled files of a class of n >= 2
    are its test images;
  - training order: the classes interleaved, (class c, place i) by (i + 0.5) / n_c, ties by class; the last
    --val-size of that order validate (as nin-cl holds out the last training images), so validation is
    stratified too;
  - each image converted to RGB (or gray with --channels 1), its shorter side scaled to --size (box filter
    when shrinking, bilinear when enlarging) and the centre --size x --size cropped (offset floor of half the
    excess). Decoding runs in --threads processes.
The network's class layer (the last convolution before gap, or the last fc) gets one output per class.

Needs Debian's python3-torch (+ libopenblas0-pthread; python3-pil and python3-numpy for `images`). Recipe, as
nin-cl's defaults: batch 128, SGD momentum 0.9, weight decay on weights only, He-scaled Gaussian init with zero
biases, per-channel standardisation (population std, at least 1e-3) with the training images' statistics, the
last --val-size training images held out for validation (a tenth of them when --val-size is more than half),
--train-limit keeps the first N training images. A progress line every --progress steps.

The learning rate follows nin-cl's src/schedule.c: step s (from 0) runs at rate(s) * (s + 1) / W during the
--warmup of W steps, then at rate(s), where rate is --schedule's: plateau, the current rate, divided by 10 after
--patience epochs without a better validation accuracy (the run stops below --min-lr); step, --lr divided by 10
once for each epoch of --lr-steps already completed; cosine, --lr * (1 + cos(pi * t / T)) / 2 with t = s - W and
T = epochs * steps - W (0 at the end of --epochs). --bias-lr-mult and --class-lr-mult multiply the rate of every
bias and of the class layer's parameters (the last convolution or fc), as param groups. --augment crops and
flips as nin-cl's --augment does (the same distribution; the draws are PyTorch's).

--checkpoint FILE saves the run (weights, momentum, schedule state, RNG, elapsed time) after every epoch and,
when FILE exists, goes on from it: a run longer than one sitting continues where it stopped, as it would have
gone on (the same settings are required; the data is loaded again).
"""
import argparse
import gzip
import math
import os
import re
import struct
import sys
import time
from fractions import Fraction

import torch
import torch.nn as nn

PRESETS = {
    "mnist": None,  # filled from src/netdef.c so that the two never drift apart
    "fashion-mnist": None,
}

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".pgm", ".ppm", ".pnm"}
IMAGE_STREAM = 0x1A6E5   # nin-cl's RNG stream of the per-class shuffle of image folders
M64 = (1 << 64) - 1


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


# --- nin-cl's counter-based RNG (src/rng.c) -------------------------------------------------------------

def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def random_u32(key, counter):
    return mix64((key + (counter + 1) * 0x9E3779B97F4A7C15) & M64) >> 32


def random_key(seed, stream, step):
    return mix64(mix64(mix64(seed & M64) ^ ((stream + 0x632BE59BD9B4E019) & M64)) ^ ((step * 0x9E3779B97F4A7C15) & M64))


def shuffle_class(files, seed, c):
    files = list(files)
    key = random_key(seed, IMAGE_STREAM, c)
    for i in range(len(files) - 1, 0, -1):
        j = random_u32(key, i) % (i + 1)
        files[i], files[j] = files[j], files[i]
    return files


# --- image folders --------------------------------------------------------------------------------------

def class_folders(root):
    """The byte-sorted names of root's non-hidden subfolders (symlinks followed)."""
    names = [n for n in os.listdir(root) if not n.startswith(".") and os.path.isdir(os.path.join(root, n))]
    return sorted(names, key=os.fsencode)


def class_files(folder):
    """The image files under folder, recursively, sorted by their path relative to it (bytes)."""
    found = []
    for top, dirs, files in os.walk(folder, followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
                found.append(os.path.relpath(os.path.join(top, name), folder))
    return [os.path.join(folder, rel) for rel in sorted(found, key=os.fsencode)]


def interleave(per_class):
    """(class, file) of every class's list, ordered by (i + 0.5) / n_c, ties by class index."""
    items = [(Fraction(2 * i + 1, 2 * len(files)), c, f) for c, files in enumerate(per_class) for i, f in enumerate(files)]
    items.sort(key=lambda t: (t[0], t[1]))
    return [(c, f) for _, c, f in items]


def image_split(data, test_split, seed):
    """classes, the training list [(class, path)] in training order, the test list, the layout in words."""
    test_root = None
    if os.path.isdir(os.path.join(data, "train")):
        train_root = os.path.join(data, "train")
        for name in ("test", "val"):
            if os.path.isdir(os.path.join(data, name)):
                test_root = os.path.join(data, name)
                break
        else:
            raise SystemExit(f"{data} has train/ but neither test/ nor val/")
    elif os.path.isdir(data):
        train_root = data
    else:
        raise SystemExit(f"{data} is not a folder")
    classes = class_folders(train_root)
    if len(classes) < 2:
        raise SystemExit(f"{train_root} holds {len(classes)} class folders: at least 2 are needed")
    train, test = [], []
    for c, name in enumerate(classes):
        files = shuffle_class(class_files(os.path.join(train_root, name)), seed, c)
        n, n_test = len(files), 0
        if test_root is None and n >= 2 and test_split > 0:
            n_test = min(max(int(test_split * n + 0.5), 1), n - 1)
        if n == 0:
            print(f"note: class {name} has no images", file=sys.stderr)
        test += [(c, f) for f in files[:n_test]]
        train.append(files[n_test:])
    if test_root is not None:
        index = {name: c for c, name in enumerate(classes)}
        for name in class_folders(test_root):
            if name not in index:
                raise SystemExit(f"{os.path.join(test_root, name)} is not a class of {train_root}")
            test += [(index[name], f) for f in class_files(os.path.join(test_root, name))]
        layout = f"train/ + {os.path.basename(test_root)}/"
    else:
        layout = f"one folder, test split {test_split:g}"
    return classes, interleave(train), test, layout


def decode(job):
    """One image file as size x size uint8 CHW bytes, or an error message."""
    path, size, channels = job
    from PIL import Image
    resampling = getattr(Image, "Resampling", Image)
    try:
        with Image.open(path) as img:
            img = img.convert("RGB" if channels == 3 else "L")
    except Exception as e:   # noqa: BLE001 - any decoder failure is the file's
        return None, f"{path}: {e}"
    w, h = img.size
    short, long = min(w, h), max(w, h)
    if short != size:
        scaled = size * long // short
        img = img.resize((size, scaled) if w == short else (scaled, size),
                         resampling.BOX if short > size else resampling.BILINEAR)
    w, h = img.size
    left, top = (w - size) // 2, (h - size) // 2
    if (w, h) != (size, size):
        img = img.crop((left, top, left + size, top + size))
    import numpy as np
    a = np.asarray(img, dtype=np.uint8)
    return (a.transpose(2, 0, 1) if a.ndim == 3 else a[None]).tobytes(), None


def load_images(items, size, channels, workers):
    import multiprocessing
    if not items:
        return torch.zeros(0, channels, size, size, dtype=torch.uint8), torch.zeros(0, dtype=torch.long)
    jobs = [(path, size, channels) for _, path in items]
    if workers > 1 and len(jobs) > 1:
        with multiprocessing.Pool(workers) as pool:
            results = pool.map(decode, jobs, chunksize=max(1, min(256, len(jobs) // (4 * workers))))
    else:
        results = [decode(j) for j in jobs]
    errors = [err for _, err in results if err]
    if errors:
        raise SystemExit(f"cannot read {len(errors)} images, e.g. {errors[0]}")
    x = torch.frombuffer(bytearray(b"".join(r for r, _ in results)), dtype=torch.uint8)
    x = x.reshape(len(items), channels, size, size)
    return x, torch.tensor([c for c, _ in items], dtype=torch.long)


# --- network, preprocessing, evaluation -----------------------------------------------------------------

CONV = r"(\d+)c(\d+)(?:p(\d+))?(?:s(\d+))?(b?)(l?)"
FC = r"(\d+)fc(b?)(l?)"


def norm_relu(maps, flat, bn, relu):
    """What follows a convolution or fc: batch norm ("b"), then the ReLU unless "l"."""
    layers = [nn.BatchNorm1d(maps) if flat else nn.BatchNorm2d(maps)] if bn else []
    return layers + ([nn.ReLU()] if relu else [])


def set_classes(netdef, classes):
    """The netdef with its class layer (the last convolution before gap, or the last fc) giving `classes`."""
    toks = netdef.split("-")
    if "gap" in toks:
        end = len(toks) - 1 - toks[::-1].index("gap")
        at = [i for i in range(end) if re.fullmatch(CONV, toks[i])]
    else:
        at = [i for i, t in enumerate(toks) if re.fullmatch(FC, t)]
    if not at:
        raise SystemExit(f"{netdef}: no class layer (a convolution before gap, or an fc)")
    toks[at[-1]] = re.sub(r"^\d+", str(classes), toks[at[-1]])
    return "-".join(toks)


def build(netdef, channels, size, last_std=0.0, bias=0.0):
    layers, c, h, flat = [], channels, size, False
    for tok in netdef.split("-"):
        if m := re.fullmatch(CONV, tok):
            out, k, p, s = int(m[1]), int(m[2]), int(m[3] or 0), int(m[4] or 1)
            layers += [nn.Conv2d(c, out, k, s, p)] + norm_relu(out, False, m[5], not m[6])
            c, h = out, (h + 2 * p - k) // s + 1
        elif m := re.fullmatch(FC, tok):
            if not flat:
                layers.append(nn.Flatten())
            layers += [nn.Linear(c * h * h, int(m[1]))] + norm_relu(int(m[1]), True, m[2], not m[3])
            c, h, flat = int(m[1]), 1, True
        elif m := re.fullmatch(r"bn(l?)", tok):
            layers += norm_relu(c, flat, True, not m[1])
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


def augment(x, flip):
    """nin-cl's --augment (src/train.c augment_image): each preprocessed image shifted by dy, dx in -4..4 with
    zeros (the mean) coming in, the crop of the image padded by 4, then mirrored with probability 1/2 unless
    the images are digits. Same distribution, not the same draws."""
    n, _, h, w = x.shape
    padded = nn.functional.pad(x, (4, 4, 4, 4))
    shifts = torch.randint(0, 9, (n, 2))
    mirror = torch.rand(n) < 0.5 if flip else torch.zeros(n, dtype=torch.bool)
    out = torch.empty_like(x)
    for i in range(n):
        dy, dx = shifts[i].tolist()
        crop = padded[i, :, dy:dy + h, dx:dx + w]
        out[i] = crop.flip(2) if mirror[i] else crop
    return out


def scheduled_lr(a, plateau_lr, step, steps):
    """The schedule's rate at step `step` (from 0; `steps` an epoch), warm-up aside: nin_schedule_lr."""
    if a.schedule == "step":
        rate = a.lr
        for epoch in a.lr_steps:
            if epoch <= step // steps:
                rate /= 10.0
        return rate
    if a.schedule == "cosine":
        horizon = a.epochs * steps - a.warmup
        if step < a.warmup:
            return a.lr
        t = step - a.warmup
        return 0.0 if t >= horizon else a.lr * 0.5 * (1.0 + math.cos(math.pi * t / horizon))
    return plateau_lr


def train_lr(a, plateau_lr, step, steps):
    """The rate step `step` runs at, the linear warm-up included: nin_train_lr."""
    rate = scheduled_lr(a, plateau_lr, step, steps)
    return rate * (step + 1) / a.warmup if step < a.warmup else rate


def param_groups(net, a):
    """SGD's groups: weight decay on the weights only; every bias at --bias-lr-mult times the rate, the class
    layer's (the last convolution or fc) parameters at --class-lr-mult times that."""
    layers = [m for m in net if isinstance(m, (nn.Conv2d, nn.Linear))]
    groups = []
    for weights, decay, mult in ((True, a.weight_decay, 1.0), (False, 0.0, a.bias_lr_mult)):
        for cls in (False, True):
            params = [m.weight if weights else m.bias for m in layers if (m is layers[-1]) == cls]
            if params:
                groups.append({"params": params, "weight_decay": decay, "mult": mult * (a.class_lr_mult if cls else 1.0)})
    return groups


def lr_steps(text):
    """--lr-steps E1,E2,...: increasing whole numbers from 1."""
    try:
        steps = [int(e) for e in text.split(",")]
    except ValueError:
        steps = []
    if not steps or steps[0] < 1 or any(b <= e for e, b in zip(steps, steps[1:])):
        raise argparse.ArgumentTypeError(f"increasing whole numbers of epochs from 1 such as 30,60, not '{text}'")
    return steps


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
    """xtr, ytr (training images in training order, validation last), xte, yte (uint8 NCHW), classes, net."""
    if a.dataset == "images":
        classes, train, test, layout = image_split(a.data, a.test_split, a.seed)
        start = time.time()
        xtr, ytr = load_images(train, a.size, a.channels, a.threads)
        xte, yte = load_images(test, a.size, a.channels, a.threads)
        print(f"decoded {len(xtr) + len(xte)} images in {time.time() - start:.1f} s", flush=True)
        print(f"images {a.data} ({layout}): {len(classes)} classes ({', '.join(classes)}), "
              f"{len(train)} training + {len(test)} test files, {a.channels}x{a.size}x{a.size}", flush=True)
        netdef = set_classes(preset_netdef(a.net or "cifar10"), len(classes))
        return xtr, ytr, xte, yte, classes, netdef
    xtr = read_idx(os.path.join(a.data, "train-images-idx3-ubyte")).unsqueeze(1)
    ytr = read_idx(os.path.join(a.data, "train-labels-idx1-ubyte")).long()
    xte = read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte")).unsqueeze(1)
    yte = read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte")).long()
    return xtr, ytr, xte, yte, None, preset_netdef(a.net or a.dataset)


# what a --checkpoint must have been made with to be continued (the rest may change: threads, progress)
def run_settings(a):
    return {k: v for k, v in vars(a).items() if k not in ("checkpoint", "threads", "progress", "load_only")}


def save(a, net, opt, state):
    tmp = a.checkpoint + ".tmp"
    torch.save({"settings": run_settings(a), "state": state, "net": net.state_dict(), "opt": opt.state_dict(),
                "rng": torch.get_rng_state()}, tmp)
    os.replace(tmp, a.checkpoint)


def resume(a, net, opt):
    saved = torch.load(a.checkpoint)
    if saved["settings"] != run_settings(a):
        changed = sorted(k for k in set(saved["settings"]) | set(run_settings(a))
                         if saved["settings"].get(k) != run_settings(a).get(k))
        raise SystemExit(f"{a.checkpoint}: made with other settings ({', '.join(changed)})")
    net.load_state_dict(saved["net"])
    opt.load_state_dict(saved["opt"])
    torch.set_rng_state(saved["rng"])
    print(f"resuming from {a.checkpoint} after epoch {saved['state']['epoch']}", flush=True)
    return saved["state"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", help="mnist, fashion-mnist (IDX files) or images (a folder of class folders)")
    ap.add_argument("data")
    ap.add_argument("--net", default=None)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.07)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--val-size", type=int, default=5000)
    ap.add_argument("--train-limit", type=int, default=0, help="train on the first N training images (0: all)")
    ap.add_argument("--size", type=int, default=32, help="images: side of the square inputs")
    ap.add_argument("--channels", type=int, choices=[1, 3], default=3, help="images: 3 (RGB) or 1 (gray)")
    ap.add_argument("--test-split", type=float, default=0.1,
                    help="images without train/ and test/ folders: the fraction of each class held out for test")
    ap.add_argument("--last-std", type=float, default=0.0, help="init std of the class layer (0: He)")
    ap.add_argument("--bias-init", type=float, default=0.0, help="initial bias of the ReLU layers")
    ap.add_argument("--init", choices=["data", "gaussian", "lsuv"], default="data",
                    help="data (nin-cl's default): per-channel zero-mean unit-variance pre-activations on the first batch")
    ap.add_argument("--warmup", type=int, default=300, help="steps of linear learning-rate warm-up")
    ap.add_argument("--schedule", choices=["plateau", "step", "cosine"], default="plateau",
                    help="plateau (the paper's, nin-cl's default), step at --lr-steps, or cosine to 0 at --epochs")
    ap.add_argument("--lr-steps", type=lr_steps, default=None, help="--schedule step: the epochs after which the "
                    "learning rate is divided by 10 (30,60)")
    ap.add_argument("--patience", type=int, default=3, help="--schedule plateau: epochs without a better val_acc")
    ap.add_argument("--min-lr", type=float, default=None, help="--schedule plateau: stop below this (default lr/200)")
    ap.add_argument("--bias-lr-mult", type=float, default=1.0, help="the learning rate of every bias, times F")
    ap.add_argument("--class-lr-mult", type=float, default=1.0, help="the class layer's learning rate, times F")
    ap.add_argument("--augment", action="store_true",
                    help="random crops (pad 4) and horizontal flips (no flips for mnist), as nin-cl's --augment")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2, help="PyTorch threads, and image decoding processes")
    ap.add_argument("--progress", type=int, default=50, help="a progress line every N steps (0: none)")
    ap.add_argument("--load-only", action="store_true", help="load and split the data, print the counts, stop")
    ap.add_argument("--checkpoint", default=None, help="save the run here after every epoch; go on from it if it exists")
    a = ap.parse_args()
    if a.size < 1 or not 0.0 <= a.test_split < 1.0 or a.val_size < 0 or a.train_limit < 0:
        raise SystemExit("--size, --test-split, --val-size or --train-limit out of range")
    if (a.schedule == "step") != (a.lr_steps is not None):
        raise SystemExit("--lr-steps goes with --schedule step, and --schedule step needs it")
    if a.min_lr is None:
        a.min_lr = a.lr / 200.0
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
    opt = torch.optim.SGD(param_groups(net, a), lr=a.lr, momentum=a.momentum)
    start, step, steps = time.time(), 0, len(xtr) // a.batch
    state = {"epoch": 0, "step": 0, "plateau_lr": a.lr, "best": -1.0, "bad_epochs": 0, "seconds": 0.0}
    if a.checkpoint and os.path.exists(a.checkpoint):
        state = resume(a, net, opt)
    step, plateau_lr, best, bad_epochs = state["step"], state["plateau_lr"], state["best"], state["bad_epochs"]
    start -= state["seconds"]
    for epoch in range(state["epoch"] + 1, a.epochs + 1):
        perm = torch.randperm(len(xtr))
        total, correct, seen = 0.0, 0, 0
        epoch_start = time.time()
        for k, i in enumerate(range(0, len(xtr) - a.batch + 1, a.batch), 1):
            idx = perm[i:i + a.batch]
            rate = train_lr(a, plateau_lr, step, steps)
            step += 1
            for group in opt.param_groups:
                group["lr"] = rate * group["mult"]
            x = pre(xtr[idx])
            out = net(augment(x, a.dataset != "mnist") if a.augment else x)
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
        lr_used = scheduled_lr(a, plateau_lr, epoch * steps - 1, steps)   # the epoch's last step, as nin-cl shows it
        watched = va if len(xva) else correct / seen
        if watched > best:
            best, bad_epochs = watched, 0
        elif a.schedule == "plateau":
            bad_epochs += 1
            if bad_epochs >= a.patience:
                plateau_lr, bad_epochs = plateau_lr / 10.0, 0
        print(f"epoch={epoch} train_loss={total / seen:.4f} train_acc={correct / seen:.4f} val_acc={va:.4f} "
              f"test_acc={ta:.4f} test_loss={tl:.4f} lr={lr_used:g} seconds={time.time() - start:.0f}", flush=True)
        if a.checkpoint:
            save(a, net, opt, {"epoch": epoch, "step": step, "plateau_lr": plateau_lr, "best": best,
                               "bad_epochs": bad_epochs, "seconds": time.time() - start})
        if a.schedule == "plateau" and plateau_lr < a.min_lr:
            print(f"learning rate {plateau_lr:g} is below --min-lr {a.min_lr:g}: done", flush=True)
            break


if __name__ == "__main__":
    main()
