#!/usr/bin/env python3
"""Does `labelscope evaluate` say what the user's own Python pipeline says?

The experiment of the "Predictions you can trust" issue, on images made here: N JPEGs (crops,
flips, rescales and JPEG qualities of the bundled photos, plus Fashion sample images saved as
JPEG) and the bundled EfficientNet-Lite0 with its own spec. The Python pipeline a user writes
(Pillow `open().convert("RGB")`, torchvision `Resize(256)` + `CenterCrop(224)` with bilinear
filtering, `(x - 127) / 128`, onnxruntime on the CPU) labels every image with its top-1
ImageNet class; those labels go into a CSV manifest, so labelscope's accuracy on it is its
agreement with Python. Then, for each backend:

  * `labelscope evaluate` accuracy (= agreement) and the number of `other` predictions;
  * from `labelscope predict`: images predicted `other` although the model's top class is a
    dataset label (must be 0), and the difference between labelscope's and Python's probability
    of Python's top class (median, p95, max);
  * the same comparison on the PNG originals of the Fashion images (lossless: no decoder
    difference), which isolates what the JPEG decoders contribute.

Usage (from the repository root, after a build):
    python3 benches/agreement_vs_python.py [--labelscope PATH] [--images 1000]
Installs onnxruntime, Pillow and numpy from PyPI into ~/.cache/labelscope/venv on first run.
"""
import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import pyvenv  # noqa: E402

VENV = "~/.cache/labelscope/venv"
SPEC = os.path.join(REPO, "assets", "models", "efficientnet_lite0_fp16w.json")
MODEL = os.path.join(REPO, "assets", "models", "efficientnet_lite0_fp16w.onnx")
LABELS = os.path.join(REPO, "assets", "models", "imagenet_labels.txt")


def torchvision_input(path):
    """Pillow + torchvision Resize(256) + CenterCrop(224), (x - 127) / 128, NCHW: the same
    Python pipeline as the speed baseline."""
    from python_baseline import preprocess
    return preprocess(path)


def make_images(out, n, seed=7):
    """n images: 60% JPEG variations of the bundled photos, 40% Fashion images as JPEG (their
    PNG originals are kept beside them for the lossless comparison)."""
    from PIL import Image, ImageOps
    rng = random.Random(seed)
    photos = [Image.open(os.path.join(REPO, "sample_data", "photos", p)).convert("RGB")
              for p in ("chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg")]
    fashion_root = os.path.join(REPO, "sample_data", "fashion")
    fashion = sorted(os.path.join(d, f) for d, _, fs in os.walk(fashion_root)
                     for f in fs if f.endswith(".png"))
    rng.shuffle(fashion)
    jpgs, pngs = [], []
    os.makedirs(os.path.join(out, "jpg"), exist_ok=True)
    os.makedirs(os.path.join(out, "png"), exist_ok=True)
    for k in range(n):
        if k % 5 < 3:
            src = photos[k % len(photos)]
            w, h = src.size
            cw, ch = int(w * rng.uniform(0.35, 1.0)), int(h * rng.uniform(0.35, 1.0))
            x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
            im = src.crop((x, y, x + cw, y + ch))
            s = rng.uniform(0.4, 1.6)
            im = im.resize((max(32, int(cw * s)), max(32, int(ch * s))), Image.LANCZOS)
            if rng.random() < 0.5:
                im = ImageOps.mirror(im)
        else:
            png = fashion[k % len(fashion)]
            im = Image.open(png).convert("RGB")
            name = f"{k:05}.png"
            im.save(os.path.join(out, "png", name))
            pngs.append(os.path.join("png", name))
        name = f"{k:05}.jpg"
        im.save(os.path.join(out, "jpg", name), quality=rng.choice([70, 80, 90, 95]))
        jpgs.append(os.path.join("jpg", name))
    return jpgs, pngs


def compare(ls, root, rel, names, sess, backend, tag):
    """Manifest labelled by Python's top-1, then labelscope evaluate and predict on it."""
    import numpy as np
    py = {}
    for r in rel:
        logits = sess.run(None, {"input": torchvision_input(os.path.join(root, r))})[0][0]
        p = np.exp(logits.astype(np.float64) - logits.max())
        p /= p.sum()
        py[r] = p
    manifest = os.path.join(root, f"{tag}.csv")
    labels = {r: names[int(np.argmax(py[r]))] for r in rel}
    with open(manifest, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label"])
        for r in rel:
            w.writerow([r, labels[r]])
    label_set = set(labels.values())
    env = dict(os.environ, VIRTUAL_ENV=os.path.expanduser(VENV))
    ev = subprocess.run([ls, "evaluate", manifest, "--model", SPEC, "--backend", backend,
                         "--no-cache", "--format", "json"], env=env, capture_output=True, text=True)
    if ev.returncode != 0:
        sys.exit(ev.stderr)
    m = json.loads(ev.stdout)
    out = os.path.join(root, f"{tag}-{backend}.csv")
    subprocess.run([ls, "predict", manifest, "--model", SPEC, "--backend", backend, "--no-cache",
                    "--out", out], env=env, check=True, capture_output=True)
    diffs, wrong_other, other = [], 0, 0
    with open(out) as f:
        for row in csv.DictReader(f):
            label = row["label"]
            p_py = float(py[row["path"]].max())
            diffs.append(abs(float(row[f"prob_{label}"]) - p_py))
            if row["pred"] == "other":
                other += 1
                if row["model_top1"] in label_set:
                    wrong_other += 1
    d = np.array(diffs)
    return {
        "images": len(rel),
        "backend": m.get("backend"),
        "agreement": m["accuracy"],
        "other_predictions": other,
        "other_although_top_class_is_a_label": wrong_other,
        "prob_diff_median": float(np.median(d)),
        "prob_diff_p95": float(np.percentile(d, 95)),
        "prob_diff_max": float(d.max()),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labelscope", default=None)
    ap.add_argument("--images", type=int, default=1000)
    ap.add_argument("--backends", default="tract,onnxruntime")
    ap.add_argument("--out", default="agreement_vs_python.json")
    args = ap.parse_args()
    pyvenv.ensure(VENV, ["numpy", "onnxruntime", "PIL"],
                  ["onnxruntime==1.32.0", "pillow==13.0.0", "numpy"])
    import onnxruntime as ort
    from python_baseline import default_labelscope
    ls = args.labelscope or default_labelscope()
    names = [line.rstrip("\n") for line in open(LABELS) if line.strip()]
    sess = ort.InferenceSession(MODEL, providers=["CPUExecutionProvider"])
    root = tempfile.mkdtemp(prefix="labelscope-agreement-")
    jpgs, pngs = make_images(root, args.images)
    results = []
    for backend in args.backends.split(","):
        for tag, rel in (("jpeg", jpgs), ("png", pngs)):
            r = compare(ls, root, rel, names, sess, backend, tag)
            r["set"] = tag
            results.append(r)
            print(f"{tag:4} {backend:11} {r['images']:5} images: agreement {r['agreement']:.4f}, "
                  f"'other' {r['other_predictions']} (wrongly {r['other_although_top_class_is_a_label']}), "
                  f"|p - p_python| median {r['prob_diff_median']:.2e} p95 {r['prob_diff_p95']:.2e} "
                  f"max {r['prob_diff_max']:.2e}")
    with open(args.out, "w") as f:
        json.dump({"images_dir": root, "results": results}, f, indent=2)
    print(f"wrote {args.out} (images in {root})")


if __name__ == "__main__":
    main()
