#!/usr/bin/env python3
"""Reference outputs for labelscope's preprocessing, made with the real libraries from PyPI.

Writes lossless fixtures (PNG, BMP, TIFF: landscape, portrait, odd sizes, tiny, grey, RGBA,
palette) cut from the bundled photos into tests/fixtures/preprocess/, and for each fixture and
each pipeline below the pixels the model sees as the Python code a user writes produces them
(`expected/<fixture>__<pipeline>.png`), plus the bundled EfficientNet-Lite0's probabilities
from onnxruntime on the "imagenet" pipeline (`reference.json`). `cargo test` compares
labelscope's `prepare_pixels` and both backends against these files without Python.

Pipelines (the spec fields labelscope reads, and the Python each one equals):
  imagenet   shorter_side_center_crop 256 -> 224, bilinear, RGB:
             torchvision Resize(256) + CenterCrop(224) on a PIL image, written out below
             (torchvision's size rounding int(256 * long / short) and its Python-rounded crop).
  stretch    stretch 64x48, bicubic, RGB: img.convert("RGB").resize((64, 48), Image.BICUBIC)
  letterbox  letterbox 96x96, bilinear, RGB: pad to a square of the longer side (centred,
             black), then resize((96, 96), Image.BILINEAR)
  grey_box   stretch 28x28, box, L: img.convert("L").resize((28, 28), Image.BOX)
  nearest    stretch 40x30, nearest, RGB: resize((40, 30), Image.NEAREST)
  imagenet_exif  "imagenet" with "exif_orientation": "apply": ImageOps.exif_transpose(img) first
             (every other pipeline ignores the tag, as Image.open does)
  cv_stretch "resize_library": "opencv", stretch 64x48, RGB:
             cv2.resize(np.asarray(img.convert("RGB")), (64, 48), interpolation=cv2.INTER_LINEAR)
  cv_crop    "resize_library": "opencv", shorter_side_center_crop 256 -> 224, RGB: the
             torchvision geometry with cv2.resize(..., INTER_LINEAR) in place of PIL's resize
  cv_grey    "resize_library": "opencv", stretch 28x28 (and exact 2x: 60x60 for grey.png), L:
             cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) then cv2.resize(..., INTER_LINEAR)
  cv_area    "resize_library": "opencv", "interpolation": "area", stretch 64x48 (exact 3x:
             40x40 for grey.png): cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
  cv_area_tall  the same to 40x200 (enlarging vertically)
Also `cv_random.json`: cv2.resize INTER_LINEAR and INTER_AREA on 200 random sizes of synthetic
images (a formula the Rust test rebuilds), as position-weighted checksums of the results.

Usage: python3 scripts/make_preprocess_reference.py   (installs Pillow, numpy and onnxruntime
into ~/.cache/labelscope/venv on first run)
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "benches"))
import pyvenv  # noqa: E402

pyvenv.ensure("~/.cache/labelscope/venv", ["numpy", "onnxruntime", "PIL", "cv2"],
              ["onnxruntime==1.32.0", "pillow==13.0.0", "numpy",
               "opencv-python-headless==5.0.0.93"])

import cv2  # noqa: E402

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import PIL  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402

OUT = os.path.join(REPO, "tests", "fixtures", "preprocess")
PHOTOS = os.path.join(REPO, "sample_data", "photos")
MODEL = os.path.join(REPO, "assets", "models", "efficientnet_lite0_fp16w.onnx")


def torchvision_resize(img, size, resample):
    """torchvision.transforms.functional.resize(img, size) for a PIL image and an int size."""
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    if (new_w, new_h) == (w, h):
        return img
    return img.resize((new_w, new_h), resample)


def torchvision_center_crop(img, crop_h, crop_w):
    """torchvision.transforms.functional.center_crop for a PIL image."""
    w, h = img.size
    if crop_w > w or crop_h > h:
        pad = ((crop_w - w) // 2 if crop_w > w else 0, (crop_h - h) // 2 if crop_h > h else 0)
        canvas = Image.new(img.mode, (max(w, crop_w), max(h, crop_h)))
        canvas.paste(img, pad)
        img = canvas
        w, h = img.size
        if (crop_w, crop_h) == (w, h):
            return img
    top = int(round((h - crop_h) / 2.0))
    left = int(round((w - crop_w) / 2.0))
    return img.crop((left, top, left + crop_w, top + crop_h))


def letterbox(img, size, resample):
    w, h = img.size
    side = max(w, h)
    canvas = Image.new(img.mode, (side, side))
    canvas.paste(img, ((side - w) // 2, (side - h) // 2))
    return canvas.resize((size, size), resample)


PIPELINES = {
    "imagenet": lambda im: torchvision_center_crop(
        torchvision_resize(im.convert("RGB"), 256, Image.BILINEAR), 224, 224),
    "stretch": lambda im: im.convert("RGB").resize((64, 48), Image.BICUBIC),
    "letterbox": lambda im: letterbox(im.convert("RGB"), 96, Image.BILINEAR),
    "grey_box": lambda im: im.convert("L").resize((28, 28), Image.BOX),
    "nearest": lambda im: im.convert("RGB").resize((40, 30), Image.NEAREST),
}
PIPELINES["imagenet_exif"] = lambda im: PIPELINES["imagenet"](ImageOps.exif_transpose(im))


def cv_resize(a, w, h):
    return cv2.resize(a, (w, h), interpolation=cv2.INTER_LINEAR)


def cv_crop(im):
    a = np.asarray(im.convert("RGB"))
    h, w = a.shape[:2]
    short, long = (w, h) if w <= h else (h, w)
    new_long = int(256 * long / short)
    nw, nh = (256, new_long) if w <= h else (new_long, 256)
    a = cv_resize(a, nw, nh)
    canvas = Image.fromarray(a)
    return torchvision_center_crop(canvas, 224, 224)


def cv_grey(im):
    g = cv2.cvtColor(np.asarray(im.convert("RGB")), cv2.COLOR_RGB2GRAY)
    size = (60, 60) if g.shape == (120, 120) else (28, 28)
    return Image.fromarray(cv_resize(g, *size))


def cv_area(im):
    """INTER_AREA: a fractional reduction, or an exact 3x one for the 120x120 grey fixture."""
    a = np.asarray(im.convert("RGB"))
    size = (40, 40) if a.shape[:2] == (120, 120) else (64, 48)
    return Image.fromarray(cv2.resize(a, size, interpolation=cv2.INTER_AREA))


PIPELINES["cv_area"] = cv_area
# Narrower and taller: INTER_AREA enlarging in one direction is a bilinear blend.
PIPELINES["cv_area_tall"] = lambda im: Image.fromarray(
    cv2.resize(np.asarray(im.convert("RGB")), (40, 200), interpolation=cv2.INTER_AREA))
PIPELINES["cv_stretch"] = lambda im: Image.fromarray(
    cv_resize(np.asarray(im.convert("RGB")), 64, 48))
PIPELINES["cv_crop"] = cv_crop
PIPELINES["cv_grey"] = cv_grey


def fixtures():
    """(file name, PIL image) pairs cut from the bundled photos."""
    chelsea = Image.open(os.path.join(PHOTOS, "chelsea.png")).convert("RGB")
    coffee = Image.open(os.path.join(PHOTOS, "coffee.png")).convert("RGB")
    astronaut = Image.open(os.path.join(PHOTOS, "astronaut.png")).convert("RGB")
    out = [
        ("landscape.png", chelsea.resize((301, 227), Image.LANCZOS)),
        ("portrait.png", astronaut.crop((100, 0, 300, 380)).resize((157, 263), Image.LANCZOS)),
        ("odd.bmp", coffee.resize((333, 211), Image.LANCZOS)),
        ("tiny.png", chelsea.resize((13, 9), Image.LANCZOS)),
        ("wide.tiff", coffee.crop((0, 150, 600, 250)).resize((420, 70), Image.LANCZOS)),
        ("grey.png", astronaut.resize((120, 120), Image.LANCZOS).convert("L")),
    ]
    rgba = chelsea.resize((150, 113), Image.LANCZOS).convert("RGBA")
    alpha = Image.linear_gradient("L").resize(rgba.size)
    rgba.putalpha(alpha)
    out.append(("rgba.png", rgba))
    out.append(("palette.png", coffee.resize((160, 107), Image.LANCZOS).quantize(64)))
    # 16-bit grey (Pillow: mode I;16, whose conversions clip at 255): values 0..1023.
    g = np.asarray(astronaut.resize((90, 70), Image.LANCZOS).convert("L"), dtype=np.uint16)
    out.append(("grey16.png", Image.fromarray((g * 4).astype(np.uint16))))
    return out


def write_png48(path, a):
    """A 16-bit-per-channel RGB PNG (Pillow cannot write one) from a uint16 HxWx3 array."""
    import struct
    import zlib
    h, w, _ = a.shape
    raw = b"".join(b"\x00" + a[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
                + chunk(b"IEND", b""))


def exif_fixture():
    """A landscape PNG whose EXIF orientation tag (6) says: rotate 90 degrees clockwise."""
    img = Image.open(os.path.join(PHOTOS, "rocket.jpg")).convert("RGB")
    img = img.resize((180, 120), Image.LANCZOS)
    exif = Image.Exif()
    exif[0x0112] = 6
    return "exif6.png", img, {"exif": exif}


def jpeg_fixtures():
    """JPEGs in the variants decoders disagree on: chroma subsampling 4:2:0 / 4:2:2 / 4:4:4,
    progressive, odd sizes, greyscale, CMYK (Pillow writes Adobe's inverted polarity), and an
    EXIF orientation tag in the APP1 segment."""
    chelsea = Image.open(os.path.join(PHOTOS, "chelsea.png")).convert("RGB")
    coffee = Image.open(os.path.join(PHOTOS, "coffee.png")).convert("RGB")
    rocket = Image.open(os.path.join(PHOTOS, "rocket.jpg")).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6
    return [
        ("j420.jpg", chelsea.resize((301, 227), Image.LANCZOS), {"quality": 85, "subsampling": 2}),
        ("j422p.jpg", coffee.resize((257, 171), Image.LANCZOS),
         {"quality": 70, "subsampling": 1, "progressive": True}),
        ("j444.jpg", rocket.resize((173, 231), Image.LANCZOS), {"quality": 95, "subsampling": 0}),
        ("jgrey.jpg", coffee.resize((141, 97), Image.LANCZOS).convert("L"), {"quality": 80}),
        ("jcmyk.jpg", chelsea.resize((150, 113), Image.LANCZOS).convert("CMYK"), {"quality": 90}),
        ("exif6.jpg", rocket.resize((180, 120), Image.LANCZOS), {"quality": 90, "exif": exif}),
    ]


def synthetic(w, h, c, seed):
    """A deterministic image the Rust test rebuilds with the same integer formula."""
    y, x, ch = np.meshgrid(np.arange(h), np.arange(w), np.arange(c), indexing="ij")
    v = (x * 31 + y * 17 + ch * 57 + seed * 13) ^ ((x * y * 7 + seed) & 0xFF)
    return (v & 0xFF).astype(np.uint8).reshape(h, w, c)


def checksum(a):
    """Position-weighted sum the Rust test computes the same way: any changed value shows."""
    flat = a.reshape(-1).astype(np.uint64)
    weights = (np.arange(flat.size, dtype=np.uint64) % 251) + 1
    return int((flat * weights).sum() % (1 << 32))


def cv_random_cases(n=200):
    """cv2.resize INTER_LINEAR and INTER_AREA on random sizes (1 and 3 channels, up and down,
    integer and fractional factors), as checksums of the results."""
    rng = np.random.default_rng(7)
    cases = []
    for i in range(n):
        sw, sh = (int(v) for v in rng.integers(1, 90, 2))
        if i % 5 == 0:  # exact integer reductions
            k, l = (int(v) for v in rng.integers(1, 5, 2))
            dw, dh = max(1, sw // k), max(1, sh // l)
            sw, sh = dw * k, dh * l
        else:
            dw, dh = (int(v) for v in rng.integers(1, 90, 2))
        c = 1 if i % 3 == 0 else 3
        src = synthetic(sw, sh, c, i)
        for name, flag in (("linear", cv2.INTER_LINEAR), ("area", cv2.INTER_AREA)):
            out = cv2.resize(src if c == 3 else src[:, :, 0], (dw, dh), interpolation=flag)
            cases.append({"seed": i, "src": [sw, sh], "dst": [dw, dh], "channels": c,
                          "interpolation": name, "checksum": checksum(out)})
    return cases


def main():
    os.makedirs(os.path.join(OUT, "expected"), exist_ok=True)
    session = ort.InferenceSession(MODEL, providers=["CPUExecutionProvider"])
    ref = {"pillow": PIL.__version__, "numpy": np.__version__, "opencv": cv2.__version__,
           "onnxruntime": ort.__version__, "fixtures": {}}
    # 16-bit RGB (Pillow reads it as 8-bit RGB keeping each sample's high byte).
    coffee = np.asarray(Image.open(os.path.join(PHOTOS, "coffee.png")).convert("RGB")
                        .resize((110, 83), Image.LANCZOS), dtype=np.uint16)
    noise = np.random.default_rng(3).integers(0, 257, coffee.shape, dtype=np.uint16)
    write_png48(os.path.join(OUT, "rgb48.png"), coffee * 256 + noise)
    saved = [(n, i, {}) for n, i in fixtures()] + [exif_fixture()] + [("rgb48.png", None, None)]
    saved += jpeg_fixtures()
    for name, img, kwargs in saved:
        path = os.path.join(OUT, name)
        if img is not None:
            img.save(path, **kwargs)
        img = Image.open(path)  # as a user's pipeline would: from the file
        entry = {"size": list(img.size), "mode": img.mode}
        for pipe, fn in PIPELINES.items():
            seen = fn(img)
            seen.save(os.path.join(OUT, "expected", f"{name}__{pipe}.png"))
        x = (np.asarray(PIPELINES["imagenet"](img), dtype=np.float32) - 127.0) / 128.0
        x = x.transpose(2, 0, 1)[None]
        logits = session.run(None, {"input": x})[0][0].astype(np.float64)
        p = np.exp(logits - logits.max())
        p /= p.sum()
        top = np.argsort(-p)[:5]
        entry["top5"] = [[int(k), float(p[k])] for k in top]
        ref["fixtures"][name] = entry
        print(name, img.size, img.mode, entry["top5"][0])
    with open(os.path.join(OUT, "cv_random.json"), "w") as f:
        rows = ",\n".join(json.dumps(c) for c in cv_random_cases())
        f.write(f'{{"opencv": "{cv2.__version__}", "cases": [\n{rows}\n]}}\n')
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
