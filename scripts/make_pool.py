#!/usr/bin/env python3
"""Build `sample_data/pool/`: unlabelled images to choose from with `labelscope select` and to
label in the window (the README's "label next" loop); `sample_data/pool_truth.csv`, their true
Fashion-MNIST labels (to replay the loop with a perfect labeller: `scripts/label_selection.py`;
labelscope never reads it as labels); and `sample_data/pool_test/`, a labelled ImageFolder of
other images, held out to measure the heads before and after.

Uses Debian's packages only (`dataset-fashion-mnist`, `python3-pil`, `python3-numpy`); run with
`/usr/bin/python3 scripts/make_pool.py`. Deterministic (fixed seed).

The pool is 20 Fashion-MNIST *test* images per class (200) that are not in
`sample_data/fashion/` (so the bundled model never trained on them and the sample does not hold
them), upscaled 4x to 112x112 with nearest neighbour like the sample, flat, as
`pool/pool_<test index>.png`; `pool_test/<class folder>/test_<index>.png` holds 20 more per class
(200), in neither.
"""
import csv
import os
import random
import re
import shutil

from PIL import Image

# The sample's reader and class list (scripts/ is on the path when a script runs).
from make_fashion_sample import CLASSES, ROOT, SIZE, read_idx

OUT = os.path.join(ROOT, "pool")
PER_CLASS = 20
TEST_PER_CLASS = 20


def main():
    images = read_idx("t10k-images-idx3-ubyte.gz")
    labels = read_idx("t10k-labels-idx1-ubyte.gz")
    in_sample = set()
    for _, _, files in os.walk(os.path.join(ROOT, "fashion")):
        for f in files:
            m = re.match(r"test_(\d+)", f)
            if m:
                in_sample.add(int(m.group(1)))
    rng = random.Random(20261206)
    os.makedirs(OUT, exist_ok=True)
    rows = []
    test_root = os.path.join(ROOT, "pool_test")
    for c in range(len(CLASSES)):
        candidates = [i for i in range(len(labels)) if labels[i] == c and i not in in_sample]
        chosen = rng.sample(candidates, PER_CLASS + TEST_PER_CLASS)
        for i in sorted(chosen[:PER_CLASS]):
            name = f"pool_{i:05d}.png"
            img = Image.fromarray(images[i], "L").resize((SIZE, SIZE), Image.NEAREST)
            img.save(os.path.join(OUT, name), optimize=True)
            rows.append((f"pool/{name}", CLASSES[c]))
        folder = os.path.join(test_root, CLASSES[c].replace("/", "_"))
        os.makedirs(folder, exist_ok=True)
        for i in sorted(chosen[PER_CLASS:]):
            img = Image.fromarray(images[i], "L").resize((SIZE, SIZE), Image.NEAREST)
            img.save(os.path.join(folder, f"test_{i:05d}.png"), optimize=True)
    shutil.copy(os.path.join(ROOT, "fashion", "classes.json"), os.path.join(test_root, "classes.json"))
    rows.sort()
    with open(os.path.join(ROOT, "pool_truth.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["path", "label"])
        w.writerows(rows)
    print(f"wrote {len(rows)} images to {OUT} and {TEST_PER_CLASS * len(CLASSES)} to {test_root}")


if __name__ == "__main__":
    main()
