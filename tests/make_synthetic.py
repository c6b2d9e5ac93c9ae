#!/usr/bin/env python3
"""Write a small learnable dataset in MNIST's IDX format (gzip), for the training tests.
Class k is a bright 6x6 square at one of 10 places on a noisy 28x28 canvas, jittered by up to 2 pixels.

    make_synthetic.py DIR [TRAIN_COUNT] [TEST_COUNT]
"""
import gzip
import random
import struct
import sys


def write(path, magic_dims, payload):
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">I" + "I" * (len(magic_dims) - 1), *magic_dims) + bytes(payload))


def images(count, rng):
    pixels, labels = bytearray(), bytearray()
    for _ in range(count):
        k = rng.randrange(10)
        canvas = [rng.randrange(0, 90) for _ in range(28 * 28)]
        top, left = 3 + (k // 5) * 13 + rng.randint(-2, 2), 2 + (k % 5) * 5 + rng.randint(-1, 1)
        for y in range(top, top + 6):
            for x in range(left, left + 6):
                if 0 <= y < 28 and 0 <= x < 28:
                    canvas[y * 28 + x] = rng.randrange(180, 256)
        pixels += bytes(canvas)
        labels.append(k)
    return pixels, labels


def main():
    out = sys.argv[1]
    train, test = (int(sys.argv[2]) if len(sys.argv) > 2 else 1500), (int(sys.argv[3]) if len(sys.argv) > 3 else 300)
    rng = random.Random(7)
    for prefix, count in (("train", train), ("t10k", test)):
        pixels, labels = images(count, rng)
        write(f"{out}/{prefix}-images-idx3-ubyte.gz", (0x803, count, 28, 28), pixels)
        write(f"{out}/{prefix}-labels-idx1-ubyte.gz", (0x801, count), labels)


main()
