#!/usr/bin/env python3
"""labelscope against the Python pipeline people would otherwise write.

Same images, same model (the bundled EfficientNet-Lite0), same preprocessing (shorter side to
256, centre crop 224, (x - 127) / 128, NCHW), same thread count:

  * Python: onnxruntime + Pillow + numpy, a plain loop (open, convert, resize, crop, normalise,
    run) with `intra_op_num_threads = threads`;
  * the same ONNX Runtime session on tensors prepared beforehand (the inference bound);
  * `labelscope bench --suite predict --backend onnxruntime` end to end on the same files.

Prints the images/s of each, the ratio labelscope / Python, and how often both pipelines pick
the same ImageNet class. Installs onnxruntime, Pillow and numpy from PyPI into a venv on first
run (the same venv CI uses for ONNX Runtime).

Usage (from the repository root, after `cargo build --release`):
    python3 benches/python_baseline.py [--labelscope PATH] [--images 300] [--threads 2]
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
VENV = "~/.cache/labelscope/venv"
sys.path.insert(0, HERE)
import pyvenv  # noqa: E402
MODEL = os.path.join(REPO, "assets", "models", "efficientnet_lite0_fp16w.onnx")


def ensure_packages():
    """Re-runs this script inside a venv that has onnxruntime, Pillow and numpy."""
    pyvenv.ensure(VENV, ["numpy", "onnxruntime", "PIL"], ["onnxruntime==1.32.0", "pillow==13.0.0", "numpy"])


def default_labelscope():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    for profile in ("release", "debug"):
        p = os.path.join(target, profile, "labelscope")
        if os.path.exists(p):
            return p
    return os.path.join(REPO, "target", "release", "labelscope")


def preprocess(path):
    """Pillow + torchvision Resize(256) + CenterCrop(224) (its size rounding and crop offsets),
    (x - 127) / 128, NCHW: what labelscope's `shorter_side_center_crop` reproduces."""
    import numpy as np
    from PIL import Image
    im = Image.open(path).convert("RGB")
    w, h = im.size
    short, long = (w, h) if w <= h else (h, w)
    new_long = int(256 * long / short)
    size = (256, new_long) if w <= h else (new_long, 256)
    if size != im.size:
        im = im.resize(size, Image.BILINEAR)
    top = int(round((im.height - 224) / 2.0))
    left = int(round((im.width - 224) / 2.0))
    im = im.crop((left, top, left + 224, top + 224))
    x = (np.asarray(im, dtype=np.float32) - 127.0) / 128.0
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labelscope", default=default_labelscope())
    ap.add_argument("--images", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="python_baseline.json")
    args = ap.parse_args()
    ensure_packages()
    import numpy as np
    import onnxruntime as ort

    work = tempfile.mkdtemp(prefix="labelscope-pybench-")
    photos = os.path.join(work, "photos")
    ls_json = os.path.join(work, "labelscope.json")
    env = dict(os.environ, VIRTUAL_ENV=os.path.expanduser(VENV))
    subprocess.check_call([args.labelscope, "bench", "--suite", "predict", "--backend", "onnxruntime",
                           "--threads", str(args.threads), "--images", str(args.images),
                           "--images-dir", photos, "--json", ls_json], env=env)
    with open(ls_json) as f:
        ls = json.load(f)
    if not ls.get("predict"):
        sys.exit("labelscope did not measure ONNX Runtime (is libonnxruntime.so in the venv?)")
    ls_row = ls["predict"][0]
    ls_top1 = {}
    with open(os.path.splitext(ls_json)[0] + ".top1.csv") as f:
        for row in csv.DictReader(f):
            ls_top1[row["path"]] = row["class_index"]

    rel = sorted(os.path.relpath(os.path.join(d, n), photos)
                 for d, _, names in os.walk(photos) for n in names if n.endswith(".jpg"))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    sess = ort.InferenceSession(MODEL, opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    sess.run(None, {name: preprocess(os.path.join(photos, rel[0]))})  # warm-up

    t = time.perf_counter()
    py_top1 = {}
    for r in rel:
        out = sess.run(None, {name: preprocess(os.path.join(photos, r))})[0]
        py_top1[r] = str(int(np.argmax(out)))
    py_ips = len(rel) / (time.perf_counter() - t)

    t = time.perf_counter()
    tensors = [preprocess(os.path.join(photos, r)) for r in rel]
    py_pre_ms = (time.perf_counter() - t) * 1000 / len(rel)
    t = time.perf_counter()
    for x in tensors:
        sess.run(None, {name: x})
    ort_ips = len(rel) / (time.perf_counter() - t)

    # The whole process as a user runs it: start, model load, scan, predict, write.
    preds = os.path.join(work, "preds.csv")
    t = time.perf_counter()
    subprocess.check_call([args.labelscope, "predict", photos, "--model", MODEL, "--backend", "onnxruntime",
                           "--threads", str(args.threads), "--no-cache", "--out", preds], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    process_ips = len(rel) / (time.perf_counter() - t)

    same = sum(1 for r in rel if ls_top1.get(r.replace(os.sep, "/")) == py_top1[r])
    ratio = ls_row["end_to_end_ips"] / py_ips
    process_ratio = process_ips / py_ips
    print()
    print(f"{len(rel)} JPEGs of 500x375, {args.threads} threads, EfficientNet-Lite0")
    print(f"  Python (onnxruntime + Pillow + numpy)     {py_ips:8.1f} img/s")
    print(f"  ONNX Runtime alone on ready tensors       {ort_ips:8.1f} img/s")
    print(f"  Python decode + preprocess, one image     {py_pre_ms:8.2f} ms")
    print(f"  labelscope predict (ONNX Runtime)         {ls_row['end_to_end_ips']:8.1f} img/s")
    print(f"  labelscope / Python                       {ratio:8.2f}x")
    print(f"  `labelscope predict` as a whole process   {process_ips:8.1f} img/s")
    print(f"  whole process / Python                    {process_ratio:8.2f}x")
    stages = ls_row.get("stages", {})
    if stages:
        print("  labelscope, one image on one thread (ms): " + ", ".join(
            f"{k[:-3]} {v:.2f}" for k, v in stages.items()))
    print(f"  same top-1 ImageNet class                 {same}/{len(rel)}")
    result = {
        "images": len(rel),
        "threads": args.threads,
        "python_pipeline_ips": py_ips,
        "python_ort_only_ips": ort_ips,
        "python_preprocess_ms": py_pre_ms,
        "labelscope_ips": ls_row["end_to_end_ips"],
        "labelscope_inference_only_ips": ls_row["inference_only_ips"],
        "ratio": ratio,
        "process_ips": process_ips,
        "process_ratio": process_ratio,
        "stages": ls_row.get("stages"),
        "top1_agreement": same / len(rel),
        "machine": ls.get("machine"),
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
