#!/usr/bin/env python3
"""Label-quality benchmark: how well labelscope's review queue finds label errors, against
cleanlab on the same inputs.

Two datasets with known errors:
- `sample`: the bundled Fashion sample (1,212 images, 36 injected label flips,
  sample_data/fashion_injections.csv);
- `fashion10k`: the 10,000 Fashion-MNIST test images (Debian's `dataset-fashion-mnist`) with 3%
  of the labels flipped the way people confuse them: each to the class the bundled CNN finds
  most similar to its true class (the largest mean probability among the other classes).

The CNN (assets/models/fashion_cnn.onnx) was trained on the 60,000 training images only, so its
probabilities here are out of sample. Rankings compared, all over every sample:
- labelscope `issues --kinds label --top 0` with each evidence source alone and combined;
- cleanlab's label quality scores (self-confidence) on the model's probabilities;
- cleanlab's scores on cross-validated probabilities of scikit-learn's `LogisticRegression` on
  the same embeddings (5 stratified folds), as cleanlab's documentation recommends.

Measures: average precision (area under the precision-recall curve), precision at 100, recall
at k = the number of flips, and the flags (cleanlab's `find_label_issues`, labelscope's
`flagged`). Also the text/watermark flags against the sample's 30 text overlays. Writes
benchmarks/label_quality.json and prints Markdown tables.

Needs `apt-get install dataset-fashion-mnist` (for fashion10k) and a built labelscope; the
Python packages (cleanlab, scikit-learn, pyarrow, pillow) are installed from PyPI into a venv on
the first run:
`python3 benches/label_quality_vs_cleanlab.py --labelscope target/release/labelscope`.
"""
import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import time

import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import pyvenv  # noqa: E402

pyvenv.ensure("~/.cache/labelscope/bench-venv",
              ["cleanlab", "sklearn", "pyarrow", "PIL", "numpy"],
              ["cleanlab", "scikit-learn", "pyarrow", "pillow", "numpy"])

import cleanlab  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import sklearn  # noqa: E402
from cleanlab.rank import get_label_quality_scores  # noqa: E402
from make_fashion_sample import read_idx  # noqa: E402
from make_label_quality_reference import issues_of  # noqa: E402
from PIL import Image  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import average_precision_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_predict  # noqa: E402

MODEL = os.path.join(ROOT, "assets", "models", "fashion_cnn.onnx")
EMBEDDER = os.path.join(ROOT, "assets", "models", "efficientnet_lite0_fp16w.onnx")
CLASSES = json.load(open(os.path.join(ROOT, "sample_data", "fashion", "classes.json")))
EVIDENCE = ["model", "probe", "neighbours", "probe,neighbours", "model,probe,neighbours"]


def build_fashion10k(bin_, work, rate, seed):
    images = read_idx("t10k-images-idx3-ubyte.gz")
    truth = read_idx("t10k-labels-idx1-ubyte.gz").astype(int)
    root = os.path.join(work, "fashion10k")
    if os.path.exists(root):
        shutil.rmtree(root)
    for c in CLASSES:
        os.makedirs(os.path.join(root, c["folder"]))
    shutil.copy(os.path.join(ROOT, "sample_data", "fashion", "classes.json"), root)
    # First with the true labels, to ask the model which class each class looks most like.
    paths = [f"{CLASSES[t]['folder']}/test_{i:05d}.png" for i, t in enumerate(truth)]
    for img, path in zip(images, paths):
        Image.fromarray(img, mode="L").save(os.path.join(root, path))
    _, _, _, probs = dataset_arrays(bin_, root, paths)
    similar = {}
    for c in range(10):
        mean = probs[truth == c].mean(axis=0)
        mean[c] = -1
        similar[c] = int(mean.argmax())
    rng = np.random.default_rng(seed)
    flipped = rng.choice(len(truth), size=int(round(rate * len(truth))), replace=False)
    given = truth.copy()
    given[flipped] = [similar[c] for c in truth[flipped]]
    for i in flipped:
        new = f"{CLASSES[given[i]]['folder']}/test_{i:05d}.png"
        os.rename(os.path.join(root, paths[i]), os.path.join(root, new))
        paths[i] = new
    shutil.rmtree(os.path.join(root, ".labelscope"), ignore_errors=True)
    flips = {paths[i] for i in flipped}
    return root, flips, {"flip_rate": rate, "seed": seed,
                         "most_similar": {CLASSES[c]["label"]: CLASSES[similar[c]]["label"]
                                          for c in range(10)}}


def build_sample(work):
    root = os.path.join(work, "sample")
    if os.path.exists(root):
        shutil.rmtree(root)
    shutil.copytree(os.path.join(ROOT, "sample_data", "fashion"), root)
    with open(os.path.join(ROOT, "sample_data", "fashion_injections.csv")) as f:
        flips = {r["path"] for r in csv.DictReader(f) if r["kind"] == "label_flip"}
    return root, flips


def labelscope_queue(bin_, root, evidence, embedder=None):
    started = time.time()
    extra = ["--embedder", embedder] if embedder else []
    out = subprocess.run([bin_, "issues", root, "--model", MODEL, "--kinds", "label", "--top",
                          "0", "--label-evidence", evidence] + extra,
                         check=True, capture_output=True, text=True)
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    return rows, time.time() - started


def embeddings(bin_, root, model, paths=None):
    """labelscope's embeddings of `root` by `model`, in dataset order (checked against `paths`)."""
    out = os.path.join(os.path.dirname(root),
                       f"{os.path.basename(root)}_{os.path.basename(model)}.parquet")
    subprocess.run([bin_, "embed", root, "--model", model, "--out", out], check=True,
                   capture_output=True)
    table = pq.read_table(out).to_pydict()
    assert paths is None or table["path"] == paths
    return table["path"], np.array(table["embedding"], dtype=np.float32)


def dataset_arrays(bin_, root, order=None):
    """Paths, given labels, embeddings and the model's probabilities, all from labelscope (the
    same inputs its ranking sees), in dataset order (or in the order of the paths `order`)."""
    base = os.path.join(os.path.dirname(root), os.path.basename(root))
    paths, emb = embeddings(bin_, root, MODEL)
    if order is not None:
        at = {p: i for i, p in enumerate(paths)}
        emb = emb[[at[p] for p in order]]
        paths = list(order)
    subprocess.run([bin_, "predict", root, "--model", MODEL, "--out", base + "_pred.csv"],
                   check=True, capture_output=True)
    with open(base + "_pred.csv") as f:
        by_path = {r["path"]: r for r in csv.DictReader(f)}
    names = [c["label"] for c in CLASSES]
    probs = np.array([[float(by_path[p]["prob_" + n]) for n in names] for p in paths])
    labels = np.array([names.index(by_path[p]["label"]) for p in paths])
    return paths, labels, emb, probs / probs.sum(axis=1, keepdims=True)


def metrics(ranked_paths, flips, flagged=None):
    y = np.array([p in flips for p in ranked_paths], dtype=int)
    score = -np.arange(len(ranked_paths), dtype=float)
    k = len(flips)
    out = {
        "average_precision": float(average_precision_score(y, score)),
        "precision_at_100": float(y[:100].mean()),
        "recall_at_k": float(y[:k].sum() / k),
    }
    if flagged is not None:
        hits = len(flagged & flips)
        out["flagged"] = len(flagged)
        out["flag_precision"] = hits / max(1, len(flagged))
        out["flag_recall"] = hits / k
    return out


def cleanlab_rows(paths, labels, probs, flips):
    scores = get_label_quality_scores(labels, probs)
    order = np.argsort(scores, kind="stable")
    flagged = {paths[i] for i in issues_of(labels, probs, stable=True)}
    return metrics([paths[i] for i in order], flips, flagged)


def run(bin_, root, flips):
    result = {"samples": None, "flips": len(flips), "rankings": {}}
    paths, labels, emb, probs = dataset_arrays(bin_, root)
    result["samples"] = len(paths)
    for evidence in EVIDENCE:
        rows, secs = labelscope_queue(bin_, root, evidence)
        flagged = {r["path"] for r in rows if r["flagged"] == "true"}
        m = metrics([r["path"] for r in rows], flips, flagged)
        m["seconds"] = round(secs, 2)
        result["rankings"][f"labelscope: {evidence.replace(',', ' + ')}"] = m
    result["rankings"]["cleanlab: model probabilities"] = cleanlab_rows(paths, labels, probs,
                                                                        flips)
    result["rankings"]["cleanlab: cross-validated LogisticRegression on the embeddings"] = \
        cleanlab_cv(paths, labels, emb, flips)
    rows, secs = labelscope_queue(bin_, root, "model,probe,neighbours", EMBEDDER)
    m = metrics([r["path"] for r in rows], flips, {r["path"] for r in rows if r["flagged"] == "true"})
    m["seconds"] = round(secs, 2)
    result["rankings"]["labelscope: model + probe + neighbours, EfficientNet-Lite0 embeddings"] = m
    _, eff = embeddings(bin_, root, EMBEDDER, paths)
    result["rankings"]["cleanlab: cross-validated LogisticRegression on the EfficientNet-Lite0 "
                      "embeddings"] = cleanlab_cv(paths, labels, eff, flips)
    return result


def text_flags(bin_, root):
    """Precision and recall of the text/watermark flags against the sample's text overlays."""
    with open(os.path.join(ROOT, "sample_data", "fashion_injections.csv")) as f:
        truth = {r["path"] for r in csv.DictReader(f) if r["kind"] == "text"}
    out = subprocess.run([bin_, "issues", root, "--kinds", "text"], check=True,
                         capture_output=True, text=True)
    flagged = {r["path"] for r in csv.DictReader(io.StringIO(out.stdout))}
    hits = len(flagged & truth)
    return {"overlays": len(truth), "flagged": len(flagged),
            "precision": hits / max(1, len(flagged)), "recall": hits / max(1, len(truth))}


def cleanlab_cv(paths, labels, emb, flips):
    """cleanlab on out-of-fold probabilities of scikit-learn's LogisticRegression (defaults, as
    in cleanlab's tutorials) on the embeddings, 5 stratified folds."""
    started = time.time()
    cv = cross_val_predict(LogisticRegression(max_iter=2000), emb, labels,
                           cv=StratifiedKFold(5, shuffle=True, random_state=42),
                           method="predict_proba")
    m = cleanlab_rows(paths, labels, cv, flips)
    m["seconds"] = round(time.time() - started, 2)
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--labelscope", default=os.path.join(ROOT, "target", "release", "labelscope"))
    ap.add_argument("--work", default="/tmp/labelscope-label-bench")
    ap.add_argument("--flip-rate", type=float, default=0.03)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--only", choices=["sample", "fashion10k"])
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    out = {"generator": "scripts/label_quality_benchmark.py",
           "versions": {"cleanlab": cleanlab.__version__, "scikit-learn": sklearn.__version__,
                        "numpy": np.__version__}}
    if args.only in (None, "sample"):
        root, flips = build_sample(args.work)
        out["sample"] = run(args.labelscope, root, flips)
        out["sample_text"] = text_flags(args.labelscope, root)
    if args.only in (None, "fashion10k"):
        root, flips, how = build_fashion10k(args.labelscope, args.work, args.flip_rate,
                                            args.seed)
        out["fashion10k"] = run(args.labelscope, root, flips)
        out["fashion10k"]["flips_made"] = how
    dest = os.path.join(ROOT, "benchmarks", "label_quality.json")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    if args.only is None:
        with open(dest, "w") as f:
            json.dump(out, f, indent=1)
    if "sample_text" in out:
        t = out["sample_text"]
        print(f"\ntext/watermark flags on the sample: {t['flagged']} flagged, precision "
              f"{t['precision']:.3f}, recall {t['recall']:.3f} of {t['overlays']} overlays")
    for name in ("sample", "fashion10k"):
        if name not in out:
            continue
        r = out[name]
        print(f"\n{name}: {r['samples']} samples, {r['flips']} flips\n")
        print("| ranking | AP | P@100 | R@k | flagged | flag precision | flag recall |")
        print("|---|---|---|---|---|---|---|")
        for method, m in r["rankings"].items():
            print(f"| {method} | {m['average_precision']:.3f} | {m['precision_at_100']:.2f} | "
                  f"{m['recall_at_k']:.2f} | {m.get('flagged', '')} | "
                  f"{m.get('flag_precision', 0):.2f} | {m.get('flag_recall', 0):.2f} |")


if __name__ == "__main__":
    main()
