#!/usr/bin/env python3
"""Quality benchmark of `labelscope issues` on the bundled Fashion sample.

Prints, against the injected label flips and text overlays recorded in
sample_data/fashion_injections.csv:
  * precision/recall of labelscope's flagged label issues and of its text flags;
  * the same label-error ranking from cleanlab's `find_label_issues` on the *same*
    probabilities (the bundled CNN's, written by `labelscope predict`), side by side with
    precision@k / recall@k for k = the number of injected flips.

Usage (from the repository root; installs cleanlab from PyPI into a venv on first run):
    python3 benches/label_issues_vs_cleanlab.py [--labelscope PATH] [--out bench.json]
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
VENV = "~/.cache/labelscope/bench-venv"
sys.path.insert(0, HERE)
import pyvenv  # noqa: E402


def ensure_cleanlab():
    """Re-runs this script inside a venv that has cleanlab (installed from PyPI once)."""
    pyvenv.ensure(VENV, ["cleanlab", "numpy"], ["cleanlab"])


def precision_recall(flagged, truth):
    tp = len(set(flagged) & truth)
    return (tp / len(flagged) if flagged else 0.0, tp / len(truth) if truth else 0.0, tp)


def main():
    ensure_cleanlab()
    import numpy as np
    from cleanlab.filter import find_label_issues

    ap = argparse.ArgumentParser()
    ap.add_argument("--labelscope", default=None, help="the labelscope binary (default: cargo's)")
    ap.add_argument("--out", default="label_issues_bench.json")
    args = ap.parse_args()
    exe = args.labelscope or shutil.which("labelscope")
    if exe is None:
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
        for profile in ("release", "debug"):
            cand = os.path.join(target, profile, "labelscope")
            if os.path.exists(cand):
                exe = cand
                break
    if exe is None:
        sys.exit("labelscope binary not found: build it (cargo build --release) or pass --labelscope")

    injections = list(csv.DictReader(open(os.path.join(REPO, "sample_data/fashion_injections.csv"))))
    flips = {r["path"] for r in injections if r["kind"] == "label_flip"}
    texts = {r["path"] for r in injections if r["kind"] == "text"}

    work = tempfile.mkdtemp(prefix="labelscope-bench-")
    data = os.path.join(work, "fashion")
    shutil.copytree(os.path.join(REPO, "sample_data/fashion"), data,
                    ignore=shutil.ignore_patterns(".labelscope"))
    model = os.path.join(REPO, "assets/models/fashion_cnn.onnx")
    probs_csv = os.path.join(work, "probs.csv")
    subprocess.check_call([exe, "predict", data, "--model", model, "--out", probs_csv],
                          stderr=subprocess.DEVNULL)
    out = subprocess.run([exe, "issues", data, "--predictions", probs_csv, "--kinds", "label,text",
                          "--format", "json"], check=True, capture_output=True, text=True)
    findings = json.loads(out.stdout)
    ours_label = [f["path"] for f in findings if f["kind"] == "label"]
    ours_text = [f["path"] for f in findings if f["kind"] == "text"]

    rows = list(csv.DictReader(open(probs_csv)))
    classes = [c[len("prob_"):] for c in rows[0] if c.startswith("prob_")]
    classes = [c for c in classes if c != "other"]
    paths = [r["path"] for r in rows]
    labels = np.array([classes.index(r["label"]) for r in rows])
    probs = np.array([[float(r["prob_" + c]) for c in classes] for r in rows])
    probs /= probs.sum(axis=1, keepdims=True)
    ranked = find_label_issues(labels, probs, return_indices_ranked_by="self_confidence")
    theirs_label = [paths[i] for i in ranked]

    k = len(flips)
    result = {"num_samples": len(rows), "injected_flips": k, "injected_text": len(texts)}
    print(f"{len(rows)} samples, {k} injected label flips, {len(texts)} injected text overlays")
    print(f"{'method':<34}{'flagged':>8}{'precision':>11}{'recall':>8}{'P@' + str(k):>8}{'R@' + str(k):>8}")
    for name, flagged in (("labelscope (confident learning)", ours_label),
                          ("cleanlab find_label_issues", theirs_label)):
        p, r, _ = precision_recall(flagged, flips)
        pk, rk, _ = precision_recall(flagged[:k], flips)
        print(f"{name:<34}{len(flagged):>8}{p:>11.3f}{r:>8.3f}{pk:>8.3f}{rk:>8.3f}")
        result[name] = {"flagged": len(flagged), "precision": p, "recall": r,
                        f"precision@{k}": pk, f"recall@{k}": rk}
    p, r, _ = precision_recall(ours_text, texts)
    print(f"{'labelscope text/watermark':<34}{len(ours_text):>8}{p:>11.3f}{r:>8.3f}")
    result["labelscope text"] = {"flagged": len(ours_text), "precision": p, "recall": r}
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    print(f"written {args.out}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
