#!/usr/bin/python3
"""Write folders of images, one folder per class, for the tests of the `images` dataset (Debian's python3-pil).

    make_images.py learnable DIR [--layout split|val|flat] [--classes N] [--train K] [--test K] [--seed S]
        a learnable set: class k is a fixed random 5x5 glyph of 3-pixel cells on a noisy canvas, at a random
        place; each picture saved as JPEG, PNG, PPM or PGM at a random size of 32 to 72 pixels (a few of them
        not square, the glyph then inside the centre square), so that decoding and scaling are exercised
    make_images.py formats DIR
        one class folder per format and colour type, two pictures each of one flat colour, and DIR/expected.txt:
        "class r g b tolerance" lines giving the colour each class must load as (RGB)
    make_images.py checkerboard FILE SIDE
        a SIDE x SIDE PNG of 1-pixel black and white squares
"""
import argparse
import os
import random
import struct
import zlib

from PIL import Image

GLYPH, CELL = 5, 3


def glyphs(count):
    rng = random.Random(2026)
    return [[[rng.random() < 0.5 for _ in range(GLYPH)] for _ in range(GLYPH)] for _ in range(count)]


def glyph_image(shape, rng, side=32):
    """A noisy side x side RGB canvas with the glyph bright at a random place."""
    tint = [rng.randrange(0, 40) for _ in range(3)]
    pixels = [tuple(t + rng.randrange(0, 50) for t in tint) for _ in range(side * side)]
    span = GLYPH * CELL
    top, left = rng.randrange(0, side - span + 1), rng.randrange(0, side - span + 1)
    colour = tuple(rng.randrange(170, 256) for _ in range(3))
    for y in range(span):
        for x in range(span):
            if shape[y // CELL][x // CELL]:
                pixels[(top + y) * side + left + x] = colour
    img = Image.new("RGB", (side, side))
    img.putdata(pixels)
    return img


def save_varied(img, path_stem, rng):
    """Scale to a random size (sometimes widened, the square in the centre) and save in a random format."""
    side = rng.randrange(32, 73)
    img = img.resize((side, side), Image.BILINEAR)
    if rng.random() < 0.15:   # not square: the picture in the centre of a wider noisy canvas
        wide = Image.new("RGB", (side + side // 2, side), (20, 20, 20))
        wide.paste(img, (side // 4, 0))
        img = wide
    kind = rng.choice(["jpg", "png", "ppm", "pgm", "jpeg"])
    if kind == "pgm":
        img = img.convert("L")
    img.save(f"{path_stem}.{kind}", quality=92) if kind in ("jpg", "jpeg") else img.save(f"{path_stem}.{kind}")


def learnable(a):
    rng = random.Random(a.seed)
    shapes = glyphs(a.classes)
    names = [f"class-{chr(ord('a') + k)}" for k in range(a.classes)]
    if a.layout == "flat":
        splits = [("", a.train + a.test)]
    else:
        splits = [("train", a.train), ("val" if a.layout == "val" else "test", a.test)]
    for split, count in splits:
        for k, name in enumerate(names):
            folder = os.path.join(a.dir, split, name)
            os.makedirs(folder, exist_ok=True)
            for i in range(count):
                save_varied(glyph_image(shapes[k], rng), os.path.join(folder, f"{i:05d}"), rng)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_16bit_gray(path, side, value16):
    """A 16-bit gray PNG written by hand (PIL writes mode I;16 unreliably across versions)."""
    raw = b"".join(b"\0" + struct.pack(">H", value16) * side for _ in range(side))
    ihdr = struct.pack(">IIBBBBB", side, side, 16, 0, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw)) +
                png_chunk(b"IEND", b""))


def pnm_16bit(path, side, rgb16):
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n65535\n" % (side, side) + b"".join(struct.pack(">HHH", *rgb16) for _ in range(side * side)))


def cmyk_jpeg(path, side, rgb):
    """CMYK as Photoshop writes it (Adobe marker, inverted values): PIL's CMYK JPEGs are so."""
    r, g, b = rgb
    k = 255 - max(r, g, b)
    c, m, y = ((255 - v - k) * 255 // (255 - k) if k < 255 else 0 for v in (r, g, b))
    Image.new("CMYK", (side, side), (c, m, y, k)).save(path, quality=100)


def formats(a):
    """Each class: two pictures of one colour; returns nothing, writes expected.txt."""
    rgb, gray = (200, 60, 30), 140
    luma = round(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])
    cases = {   # class: (writer(path stem), expected RGB, tolerance)
        "jpeg-rgb": (lambda p: Image.new("RGB", (40, 30), rgb).save(p + ".jpg", quality=100), rgb, 4),
        "jpeg-gray": (lambda p: Image.new("L", (30, 40), gray).save(p + ".JPG", quality=100), (gray,) * 3, 2),
        "jpeg-progressive": (lambda p: Image.new("RGB", (64, 64), rgb).save(p + ".jpeg", quality=100,
                                                                             progressive=True), rgb, 4),
        "jpeg-cmyk": (lambda p: cmyk_jpeg(p + ".jpg", 24, rgb), rgb, 6),
        "jpeg-large": (lambda p: Image.new("RGB", (1000, 700), rgb).save(p + ".jpg", quality=95), rgb, 4),
        "png-rgb": (lambda p: Image.new("RGB", (33, 17), rgb).save(p + ".png"), rgb, 0),
        "png-gray": (lambda p: Image.new("L", (20, 20), gray).save(p + ".png"), (gray,) * 3, 0),
        "png-palette": (lambda p: Image.new("RGB", (16, 16), rgb).convert("P", palette=Image.ADAPTIVE).save(p + ".png"), rgb, 0),
        "png-rgba": (lambda p: Image.new("RGBA", (16, 16), rgb + (90,)).save(p + ".png"), rgb, 0),
        "png-gray-alpha": (lambda p: Image.new("LA", (16, 16), (gray, 30)).save(p + ".png"), (gray,) * 3, 0),
        "png-16bit": (lambda p: png_16bit_gray(p + ".png", 12, gray * 257), (gray,) * 3, 0),
        "pgm": (lambda p: Image.new("L", (10, 10), gray).save(p + ".pgm"), (gray,) * 3, 0),
        "ppm": (lambda p: Image.new("RGB", (10, 10), rgb).save(p + ".ppm"), rgb, 0),
        "ppm-16bit": (lambda p: pnm_16bit(p + ".ppm", 8, tuple(v * 257 for v in rgb)), rgb, 0),
    }
    os.makedirs(a.dir, exist_ok=True)
    with open(os.path.join(a.dir, "expected.txt"), "w") as out:
        for name, (write, colour, tol) in sorted(cases.items()):
            folder = os.path.join(a.dir, name)
            os.makedirs(folder, exist_ok=True)
            for i in range(2):
                write(os.path.join(folder, f"{i}"))
            out.write(f"{name} {colour[0]} {colour[1]} {colour[2]} {tol}\n")
        out.write(f"# gray of {rgb}: {luma}\n")


def checkerboard(a):
    img = Image.new("L", (a.side, a.side))
    img.putdata([255 * ((x + y) & 1) for y in range(a.side) for x in range(a.side)])
    img.save(a.file)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("learnable")
    p.add_argument("dir")
    p.add_argument("--layout", choices=["split", "val", "flat"], default="split")
    p.add_argument("--classes", type=int, default=4)
    p.add_argument("--train", type=int, default=300)
    p.add_argument("--test", type=int, default=50)
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("formats")
    p.add_argument("dir")
    p = sub.add_parser("checkerboard")
    p.add_argument("file")
    p.add_argument("side", type=int)
    a = ap.parse_args()
    {"learnable": learnable, "formats": formats, "checkerboard": checkerboard}[a.what](a)


if __name__ == "__main__":
    main()
