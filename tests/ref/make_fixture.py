#!/usr/bin/python3
"""Write tests/ref/nin_fixture.bin and nin_fixture_bn.bin: a small NIN in PyTorch (float64) with fixed weights
and input, its logits, loss, every gradient, and the weights after two SGD-momentum steps with weight decay;
the second with batch norm between four of its convolutions and their ReLUs (training mode; its file also
holds the logits in evaluation mode after the two steps, which use the running statistics).

Run by developers with Debian's python3-torch (not by CI):  /usr/bin/python3 tests/ref/make_fixture.py

The network is two mlpconv blocks with a ceil-mode max-pool between them and global average pooling,
the nin-cl netdefs at the end. Parameters are flattened in nin-cl's layout: every layer's weights in layer
order (PyTorch's (out, in, kh, kw) order), then every bias, then the batch norms' running statistics.

File format (little-endian): 8 bytes magic "NINFIX01", 128 bytes netdef (NUL-padded), uint32 record
count, then per record: 32 bytes name (NUL-padded), uint32 float count, float32 values.
Records: meta [batch, channels, height, width, classes, lr, momentum, weight_decay], params0, input (NCHW),
labels, logits (N x classes), loss, grads, params1, params2[, eval_logits].
"""
import os
import struct

import torch
import torch.nn as nn

BATCH, CHANNELS, SIZE, CLASSES = 4, 3, 10, 5
LR, MOMENTUM, DECAY = 0.1, 0.9, 1e-3
dt = torch.float64


def mlpconv(cin, maps, k, p, bn):
    """Conv k x k, then 1x1 convs, each (batch norm where bn says, then) ReLU."""
    layers, c = [], cin
    for i, m in enumerate(maps):
        layers.append(nn.Conv2d(c, m, k if i == 0 else 1, padding=p if i == 0 else 0))
        if bn[i]:
            layers.append(nn.BatchNorm2d(m))
        layers.append(nn.ReLU())
        c = m
    return layers


def flat(tensors):
    return torch.cat([t.reshape(-1) for t in tensors])


def layout(net):
    """nin-cl's parameter layout: every layer's weights (conv kernels, batch-norm gammas) in layer order, then
    every bias (conv biases, batch-norm betas), then each batch norm's running mean and running variance."""
    weights, biases, stats = [], [], []
    for m in net:
        if isinstance(m, (nn.Conv2d, nn.BatchNorm2d)):
            weights.append(m.weight)
            biases.append(m.bias)
        if isinstance(m, nn.BatchNorm2d):
            stats += [m.running_mean, m.running_var]
    return weights, biases, stats


def write_fixture(name, netdef, bn):
    torch.manual_seed(1312)
    net = nn.Sequential(*mlpconv(CHANNELS, [8, 6, 5], 3, 1, bn[0]), nn.MaxPool2d(3, 2, ceil_mode=True),
                        *mlpconv(5, [8, 8, CLASSES], 3, 1, bn[1]), nn.AdaptiveAvgPool2d(1), nn.Flatten()).to(dt)
    with torch.no_grad():
        for conv in [m for m in net if isinstance(m, nn.Conv2d)]:
            fan_in = conv.weight[0].numel()
            conv.weight.normal_(0.0, (2.0 / fan_in) ** 0.5)
            conv.bias.uniform_(0.0, 0.1)   # positive biases keep every class map alive in so small a net
        for norm in [m for m in net if isinstance(m, nn.BatchNorm2d)]:
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.uniform_(-0.1, 0.1)
    weights, biases, stats = layout(net)

    def params():
        return flat(weights + biases + stats).detach()

    def grads():
        return flat([t.grad for t in weights + biases] + [torch.zeros_like(t) for t in stats]).detach()

    x = torch.randn(BATCH, CHANNELS, SIZE, SIZE, dtype=dt)
    y = torch.tensor([0, 3, 1, 4])
    opt = torch.optim.SGD([{"params": weights, "weight_decay": DECAY}, {"params": biases, "weight_decay": 0.0}],
                          lr=LR, momentum=MOMENTUM)
    records = [("meta", [BATCH, CHANNELS, SIZE, SIZE, CLASSES, LR, MOMENTUM, DECAY]), ("params0", params()),
               ("input", x.reshape(-1)), ("labels", y.to(dt))]
    for step in (1, 2):
        opt.zero_grad()
        logits = net(x)
        loss = nn.functional.cross_entropy(logits, y)
        loss.backward()
        if step == 1:
            records += [("logits", logits.detach().reshape(-1)), ("loss", loss.detach().reshape(1)),
                        ("grads", grads())]
        opt.step()
        records.append((f"params{step}", params()))
    if stats:   # evaluation mode: batch norm with the running statistics of the two steps
        net.eval()
        records.append(("eval_logits", net(x).detach().reshape(-1)))

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    with open(path, "wb") as f:
        f.write(b"NINFIX01" + netdef.encode().ljust(128, b"\0") + struct.pack("<I", len(records)))
        for rec, values in records:
            values = [float(v) for v in values]
            f.write(rec.encode().ljust(32, b"\0") + struct.pack("<I", len(values)))
            f.write(struct.pack(f"<{len(values)}f", *values))
    print(f"wrote {path}: loss {records[5][1].item():.6f}, {len(records[1][1])} parameters")


write_fixture("nin_fixture.bin", "8c3p1-6c1-5c1-mp3s2-8c3p1-8c1-5c1-gap", [[0, 0, 0], [0, 0, 0]])
write_fixture("nin_fixture_bn.bin", "8c3p1b-6c1b-5c1-mp3s2-8c3p1b-8c1b-5c1-gap", [[1, 1, 0], [1, 1, 0]])
