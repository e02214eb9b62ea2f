#!/usr/bin/env python3
"""Build `sample_data/fashion/`: a small, deliberately contaminated ImageFolder of real
Fashion-MNIST *test* images, so labelscope has something to find out of the box.

Uses Debian's packages only (`dataset-fashion-mnist`, `python3-pil`, `python3-numpy`,
`fonts-dejavu-core`); run with `/usr/bin/python3 scripts/make_fashion_sample.py`.
Deterministic: a fixed seed picks the same images and injections every time.

What it writes:
- `sample_data/fashion/<safe class folder>/test_<index>.png`: 120 test images per class (1,200),
  upscaled 4x to 112x112 (nearest neighbour: every original pixel becomes a 4x4 block, so
  a box filter recovers the exact test image) so that overlaid text is legible. `<index>` is the image's
  index in the canonical Fashion-MNIST test set.
- `sample_data/fashion/classes.json`: folder name -> class name, in Fashion-MNIST's class
  order (the class "T-shirt/top" is stored in the folder `T-shirt_top`).
- `sample_data/fashion_injections.csv`: the ground truth of every injection:
  `path,kind,true_label,given_label,detail` with kind `label_flip` (the image sits in the
  folder of a wrong class) or `text` (a shop name, "SALE" banner, copyright line or tiled
  watermark drawn over the garment; label unchanged) or `near_copy` (a second file of the
  same garment, shifted, cropped a little, mirrored or re-encoded as JPEG, in the same class
  folder as `test_<index>_<how>.png`/`.jpg`; the detail names the original).
"""
import csv
import gzip
import json
import os
import random
import shutil

import numpy as np
from PIL import Image, ImageDraw, ImageFont

DATA = "/usr/share/datasets/fashion-mnist"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sample_data")
OUT = os.path.join(ROOT, "fashion")
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
PER_CLASS = 120
NUM_FLIPS = 36   # 3% of 1,200
NUM_TEXT = 30    # 2.5% of 1,200
NUM_COPIES = 12  # 3 each: shifted, cropped, mirrored, re-encoded
SIZE = 112
SEED = 7
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
SHOPS = ["ShopMart", "TrendHub", "StyleCo", "UrbanWear", "FitLab"]


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def safe_folder(label):
    return "".join(c if c.isalnum() or c in "-_ " else "_" for c in label).strip() or "class"


def add_text(img, style, rng):
    """Draws one kind of text contamination; returns (image, description)."""
    if style == "sale":
        rgb = img.convert("RGB")
        d = ImageDraw.Draw(rgb)
        font = ImageFont.truetype(FONT, 22)
        top = rng.choice([0, SIZE - 30])
        d.rectangle([0, top, SIZE, top + 30], fill=(210, 20, 30))
        d.text((SIZE // 2, top + 15), "SALE", font=font, fill=(255, 255, 255), anchor="mm")
        return rgb, "red SALE banner"
    if style == "shop":
        d = ImageDraw.Draw(img)
        name = rng.choice(SHOPS)
        font = ImageFont.truetype(FONT, 15)
        d.text((4, 4), name, font=font, fill=255, stroke_width=2, stroke_fill=0)
        return img, f"shop name '{name}'"
    if style == "copyright":
        d = ImageDraw.Draw(img)
        font = ImageFont.truetype(FONT, 11)
        d.text((SIZE - 3, SIZE - 3), "(c) 2024 StyleCo", font=font, fill=255, anchor="rb",
               stroke_width=1, stroke_fill=0)
        return img, "copyright line"
    # Tiled diagonal watermark.
    layer = Image.new("L", (SIZE * 2, SIZE * 2), 0)
    d = ImageDraw.Draw(layer)
    font = ImageFont.truetype(FONT, 16)
    for y in range(0, SIZE * 2, 28):
        d.text(((y // 28) % 2 * 30, y), "SAMPLE  SAMPLE  SAMPLE", font=font, fill=150)
    layer = layer.rotate(30, resample=Image.BILINEAR).crop((SIZE // 2, SIZE // 2, SIZE * 3 // 2, SIZE * 3 // 2))
    base = np.asarray(img, dtype=np.float32)
    mark = np.asarray(layer, dtype=np.float32) / 255.0
    out = base * (1 - mark) + 255 * mark * 0.9
    return Image.fromarray(out.clip(0, 255).astype(np.uint8), "L"), "tiled SAMPLE watermark"


def near_copies(images, labels, chosen, injected):
    """Writes NUM_COPIES near-copies of clean sample images next to them (a separate random
    stream, so the rest of the sample is unchanged); returns their injection rows."""
    rng = random.Random(SEED + 1)
    sources = rng.sample([i for i in sorted(chosen) if i not in injected], NUM_COPIES)
    rows = []
    for k, i in enumerate(sources):
        how = ["shifted", "cropped", "mirrored", "reencoded"][k % 4]
        a = images[i]
        if how == "shifted":
            a = np.roll(a, (1, 2), axis=(0, 1))
            what = "shifted 2 px right and 1 px down"
        elif how == "cropped":
            a = np.asarray(Image.fromarray(a, "L").crop((2, 2, 26, 26)).resize((28, 28), Image.BILINEAR))
            what = "cropped 2 px on every side and resized back"
        elif how == "mirrored":
            a = a[:, ::-1]
            what = "mirrored left to right"
        else:
            what = "re-encoded as JPEG quality 70"
        img = Image.fromarray(np.ascontiguousarray(a), "L").resize((SIZE, SIZE), Image.NEAREST)
        folder = safe_folder(CLASSES[int(labels[i])])
        ext = "jpg" if how == "reencoded" else "png"
        rel = f"{folder}/test_{i:05d}_{how}.{ext}"
        if ext == "jpg":
            img.save(os.path.join(OUT, rel), quality=70)
        else:
            img.save(os.path.join(OUT, rel), optimize=True)
        original = f"{folder}/test_{i:05d}.png"
        rows.append([rel, "near_copy", CLASSES[int(labels[i])], CLASSES[int(labels[i])],
                     f"{what}: a near copy of {original}"])
    return rows


def main():
    images = read_idx("t10k-images-idx3-ubyte.gz")
    labels = read_idx("t10k-labels-idx1-ubyte.gz")
    rng = random.Random(SEED)
    chosen = []
    for c in range(len(CLASSES)):
        idx = [i for i in range(len(labels)) if labels[i] == c]
        chosen += sorted(rng.sample(idx, PER_CLASS))
    order = list(chosen)
    rng.shuffle(order)
    flips = set(order[:NUM_FLIPS])
    texts = order[NUM_FLIPS:NUM_FLIPS + NUM_TEXT]
    styles = {i: ["sale", "shop", "copyright", "watermark"][k % 4] for k, i in enumerate(texts)}

    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    for label in CLASSES:
        os.makedirs(os.path.join(OUT, safe_folder(label)), exist_ok=True)
    with open(os.path.join(OUT, "classes.json"), "w") as f:
        json.dump([{"folder": safe_folder(l), "label": l} for l in CLASSES], f, indent=1)
        f.write("\n")

    rows = []
    for i in sorted(chosen):
        true = int(labels[i])
        given = true
        img = Image.fromarray(images[i], "L").resize((SIZE, SIZE), Image.NEAREST)
        if i in flips:
            given = rng.choice([c for c in range(len(CLASSES)) if c != true])
        rel = f"{safe_folder(CLASSES[given])}/test_{i:05d}.png"
        if i in flips:
            rows.append([rel, "label_flip", CLASSES[true], CLASSES[given], "label changed"])
        if i in styles:
            img, what = add_text(img, styles[i], rng)
            rows.append([rel, "text", CLASSES[true], CLASSES[given], what])
        img.save(os.path.join(OUT, rel), optimize=True)

    rows += near_copies(images, labels, chosen, flips | set(texts))

    with open(os.path.join(ROOT, "fashion_injections.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "kind", "true_label", "given_label", "detail"])
        w.writerows(sorted(rows))
    print(f"wrote {len(chosen) + NUM_COPIES} images, {len(flips)} label flips, {len(texts)} text overlays, {NUM_COPIES} near copies to {OUT}")


if __name__ == "__main__":
    main()
