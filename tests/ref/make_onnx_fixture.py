#!/usr/bin/python3
"""Write tests/ref/torch_nin.onnx and torch_nin_fc.onnx, two small NINs defined and briefly trained in PyTorch
on Fashion-MNIST and exported with torch.onnx.export (opset 13, evaluation mode), with PyTorch's logits of the
first 1000 Fashion-MNIST test images (torch_nin_logits.npy, torch_nin_fc_logits.npy, 1000 x 10 float32).
tests/onnx_import.sh imports them into nin-cl and compares nin-cl's logits with these.

Run by developers with Debian's python3-torch (not by CI):  /usr/bin/python3 tests/ref/make_onnx_fixture.py

Both share the trunk: a 5x5 convolution (pad 2) and two 1x1 convolutions, each with a ReLU, a 3x3/2 max-pool
in ceil mode, dropout, then a 3x3 convolution with batch norm and its ReLU, a 1x1 convolution and another
ceil-mode max-pool with dropout. torch_nin ends the NIN way (a 1x1 class convolution, global average pooling,
flatten); torch_nin_fc flattens the 7x7 maps into a fully connected class layer and ends in a softmax (which
the importer drops: nin-cl's logits are compared with PyTorch's before the softmax). The batch norm keeps its
own node: the export uses TrainingMode.PRESERVE on a model in eval mode, which skips the exporter's fusion of
batch norm into the convolution but exports every layer in inference mode.

Input preprocessing is torchvision's ToTensor + Normalize(MEAN, STD) done by hand (no torchvision needed);
the test passes the same MEAN and STD to nin-cl import --mean/--std.
"""
import gzip
import os

import numpy as np
import torch
import torch.nn as nn

MEAN, STD = 0.2860, 0.3530   # Fashion-MNIST's training-set pixel mean and standard deviation (fractions of 255)
DATA = "/usr/share/datasets/fashion-mnist"
HERE = os.path.dirname(os.path.abspath(__file__))
STEPS, BATCH, TEST = 300, 64, 1000


def read_idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def to_input(images):
    """ToTensor + Normalize: N x 1 x 28 x 28 floats."""
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return (x - MEAN) / STD


def trunk():
    return [nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.Conv2d(32, 24, 1), nn.ReLU(), nn.Conv2d(24, 16, 1),
            nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True), nn.Dropout(0.25),                     # 16 x 14 x 14
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.Conv2d(32, 24, 1), nn.ReLU(),
            nn.MaxPool2d(3, 2, ceil_mode=True), nn.Dropout(0.25)]                                 # 24 x 7 x 7


def build(fc):
    if fc:
        return nn.Sequential(*trunk(), nn.Flatten(), nn.Linear(24 * 7 * 7, 10), nn.Softmax(dim=1))
    return nn.Sequential(*trunk(), nn.Conv2d(24, 10, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten())


def logits_of(net, x, fc):
    """The network's outputs before a final softmax."""
    return net[:-1](x) if fc else net(x)


def train(net, images, labels, fc, seed):
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    net.train()
    for _ in range(STEPS):
        idx = torch.randint(0, len(images), (BATCH,), generator=gen).numpy()
        loss = nn.functional.cross_entropy(logits_of(net, to_input(images[idx]), fc),
                                           torch.from_numpy(labels[idx].astype(np.int64)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    return float(loss)


def main():
    train_images, train_labels = read_idx("train-images-idx3-ubyte.gz"), read_idx("train-labels-idx1-ubyte.gz")
    test_images, test_labels = read_idx("t10k-images-idx3-ubyte.gz")[:TEST], read_idx("t10k-labels-idx1-ubyte.gz")[:TEST]
    for name, fc, seed in (("torch_nin", False, 1), ("torch_nin_fc", True, 2)):
        torch.manual_seed(seed)
        net = build(fc)
        loss = train(net, train_images, train_labels, fc, seed)
        with torch.no_grad():
            logits = logits_of(net, to_input(test_images), fc).numpy().astype(np.float32)
        np.save(os.path.join(HERE, name + "_logits.npy"), logits)
        torch.onnx.export(net, to_input(test_images[:1]), os.path.join(HERE, name + ".onnx"), opset_version=13,
                          training=torch.onnx.TrainingMode.PRESERVE, input_names=["input"], output_names=["output"],
                          dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
        accuracy = float((logits.argmax(1) == test_labels).mean())
        print(f"{name}: last loss {loss:.3f}, accuracy on the first {TEST} test images {accuracy:.3f}")


if __name__ == "__main__":
    main()
