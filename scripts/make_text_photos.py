#!/usr/bin/env python3
"""Held-out photos for the text/watermark check's precision and recall.

Writes tests/fixtures/text_photos/{clean,text}/*.jpg (320x240, JPEG quality 90): 24 clean
photos with fine texture (brick, grass, gravel, coins, the moon, a deep field, cells, stained
tissue: two crops each) and everyday scenes, all from scikit-image's bundled sample images
(scikit-image 0.26.0 from PyPI, no download), and the same 24 with text drawn on them in six
styles: a sale banner, a caption line, a small corner watermark, a tiled translucent watermark,
a big title, and a shop name in a corner. The font is Pillow's bundled default (Pillow 13.0.0),
so the output depends only on PyPI packages.

Usage: python3 scripts/make_text_photos.py   (installs nothing; needs scikit-image and Pillow)
"""
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage import data

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "text_photos")
SIZE = (320, 240)

TEXTURES = ["brick", "grass", "gravel", "coins", "moon", "hubble_deep_field", "cell", "immunohistochemistry"]
SCENES = ["astronaut", "camera", "chelsea", "coffee", "retina", "rocket", "microaneurysms", "horse"]


def as_rgb(a):
    a = np.asarray(a)
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    if a.dtype != np.uint8:
        a = (255 * (a - a.min()) / max(1e-9, float(a.max() - a.min()))).astype(np.uint8)
    img = Image.fromarray(a)
    return img.convert("RGB")


def crop_to(img, box_frac):
    """Crops the box given as fractions (x0, y0, x1, y1) and resizes to SIZE."""
    w, h = img.size
    x0, y0, x1, y1 = box_frac
    return img.crop((int(x0 * w), int(y0 * h), int(x1 * w), int(y1 * h))).resize(SIZE, Image.LANCZOS)


def clean_photos():
    out = []
    for name in TEXTURES:
        img = as_rgb(getattr(data, name)())
        out.append((f"{name}_a", crop_to(img, (0.0, 0.0, 0.7, 0.7))))
        out.append((f"{name}_b", crop_to(img, (0.3, 0.3, 1.0, 1.0))))
    for name in SCENES:
        img = as_rgb(getattr(data, name)())
        out.append((name, crop_to(img, (0.0, 0.0, 1.0, 1.0))))
    return out


def font(size):
    return ImageFont.load_default(size=size)


def draw_text(img, k):
    """Draws text in style k % 6 and says which."""
    img = img.copy().convert("RGBA")
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    w, h = img.size
    style = k % 6
    if style == 0:
        d.rectangle((0, h - 48, w, h), fill=(200, 20, 20, 255))
        d.text((w // 2, h - 24), "SALE -50% TODAY", font=font(30), fill=(255, 255, 255, 255), anchor="mm")
        what = "sale banner"
    elif style == 1:
        d.text((10, h - 30), "Photo: J. Smith, 2024", font=font(20), fill=(255, 255, 255, 255),
               stroke_width=2, stroke_fill=(0, 0, 0, 255))
        what = "caption line"
    elif style == 2:
        d.text((w - 8, h - 8), "(c) stockpics.com", font=font(14), fill=(255, 255, 255, 170), anchor="rd")
        what = "corner watermark"
    elif style == 3:
        tile = Image.new("RGBA", (140, 60), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((4, 18), "SAMPLE", font=font(28), fill=(255, 255, 255, 110))
        tile = tile.rotate(25, expand=True)
        for y in range(-20, h, 70):
            for x in range(-20, w, 120):
                layer.alpha_composite(tile, (x, y))
        what = "tiled watermark"
    elif style == 4:
        d.text((w // 2, 34), "BEST DEALS", font=font(40), fill=(255, 230, 0, 255), anchor="mm",
               stroke_width=3, stroke_fill=(0, 0, 0, 255))
        what = "big title"
    else:
        d.rectangle((6, 6, 150, 34), fill=(255, 255, 255, 220))
        d.text((12, 10), "Mia's Shop", font=font(20), fill=(20, 20, 20, 255))
        what = "shop name"
    return Image.alpha_composite(img, layer).convert("RGB"), what


def main():
    for sub in ("clean", "text"):
        os.makedirs(os.path.join(OUT, sub), exist_ok=True)
    rows = ["path,style"]
    for k, (name, img) in enumerate(clean_photos()):
        img.save(os.path.join(OUT, "clean", f"{name}.jpg"), quality=90)
        texted, what = draw_text(img, k)
        texted.save(os.path.join(OUT, "text", f"{name}.jpg"), quality=90)
        rows.append(f"clean/{name}.jpg,clean")
        rows.append(f"text/{name}.jpg,{what}")
    with open(os.path.join(OUT, "styles.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    print(f"wrote {len(rows) - 1} photos to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
