#!/usr/bin/env python3
"""Write a small learnable dataset in MNIST's IDX format (gzip), for the training tests.
Class k is a fixed random 7x7 binary glyph (bright on dark), pasted at a random place on a noisy 28x28 canvas:
the class is in the shape, not the place, as global average pooling needs.

    make_synthetic.py DIR [TRAIN_COUNT] [TEST_COUNT]      write the dataset
    make_synthetic.py --pgm FILE CLASS                    write one image of CLASS as a binary PGM
"""
import gzip
import os
import random
import struct
import sys

GLYPH = 7


def glyphs():
    rng = random.Random(2014)
    return [[[rng.random() < 0.5 for _ in range(GLYPH)] for _ in range(GLYPH)] for _ in range(10)]


def image(k, rng, shapes):
    canvas = [rng.randrange(0, 60) for _ in range(28 * 28)]
    top, left = rng.randrange(0, 28 - GLYPH + 1), rng.randrange(0, 28 - GLYPH + 1)
    for y in range(GLYPH):
        for x in range(GLYPH):
            if shapes[k][y][x]:
                canvas[(top + y) * 28 + left + x] = rng.randrange(190, 256)
    return canvas


def write(path, header, payload):
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">" + "I" * len(header), *header) + bytes(payload))


def main():
    shapes = glyphs()
    if sys.argv[1] == "--pgm":
        canvas = image(int(sys.argv[3]), random.Random(1), shapes)
        open(sys.argv[2], "wb").write(b"P5\n28 28\n255\n" + bytes(canvas))
        return
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    train, test = (int(sys.argv[2]) if len(sys.argv) > 2 else 1500), (int(sys.argv[3]) if len(sys.argv) > 3 else 300)
    rng = random.Random(7)
    for prefix, count in (("train", train), ("t10k", test)):
        labels = [rng.randrange(10) for _ in range(count)]
        pixels = bytearray()
        for k in labels:
            pixels += bytes(image(k, rng, shapes))
        write(f"{out}/{prefix}-images-idx3-ubyte.gz", (0x803, count, 28, 28), pixels)
        write(f"{out}/{prefix}-labels-idx1-ubyte.gz", (0x801, count), labels)


main()
