#!/usr/bin/env python3
"""Reference values for labelscope's label-quality numerics, from the real libraries.

- Multinomial logistic regression: scikit-learn's `LogisticRegression(C=..., solver="lbfgs")`
  probabilities on small generated problems (with and without class weights), converged tightly.
- Confident learning: cleanlab's `find_label_issues(..., filter_by="prune_by_noise_rate")` on
  generated noisy probabilities.

One detail of cleanlab is platform-dependent: `round_preserving_sum` (which rounds the calibrated
confident joint keeping row totals) breaks exact ties between rounding remainders with numpy's
default `argsort`, which is not stable where numpy sorts with SIMD networks (AVX2, AVX-512): the
same probabilities can flag a different sample on another CPU. Ties are common (two cells of a
row with the same small count). The reference is made with that argsort made stable
(`kind="stable"`, the order numpy's documentation promises for equal keys), which is what
labelscope implements; the unpatched result on this machine is recorded beside it.

Writes tests/fixtures/label_quality/reference.json, which `cargo test` compares against (no
Python at test time). Run: `pip install scikit-learn cleanlab numpy` then
`python scripts/make_label_quality_reference.py`.
"""
import json
import os

import cleanlab
import cleanlab.internal.util as cl_util
import numpy as np
import sklearn
from cleanlab.filter import find_label_issues
from sklearn.linear_model import LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "label_quality", "reference.json")


def logreg_case(seed, n, d, k, c, class_weight):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.5, size=(k, d))
    y = rng.integers(0, k, size=n)
    x = (centres[y] + rng.normal(0, 1.0, size=(n, d))).astype(np.float32)
    # A few flipped labels, so the classes overlap as in real data.
    flip = rng.random(n) < 0.1
    y = np.where(flip, rng.integers(0, k, size=n), y)
    model = LogisticRegression(C=c, solver="lbfgs", tol=1e-12, max_iter=100000,
                               class_weight=class_weight)
    model.fit(x.astype(np.float64), y)
    probs = model.predict_proba(x.astype(np.float64))
    return {
        "c": c,
        "classes": k,
        "class_weights": None if class_weight is None else [class_weight[i] for i in range(k)],
        "x": x.tolist(),
        "y": y.tolist(),
        "probs": probs.tolist(),
    }


FLOATING_POINT_COMPARISON = 1e-6
numpy_round_preserving_sum = cl_util.round_preserving_sum


def stable_round_preserving_sum(iterable):
    """cleanlab's round_preserving_sum with a stable argsort (otherwise the same code)."""
    floats = np.asarray(iterable, dtype=float)
    ints = floats.round()
    orig_sum = np.sum(floats).round()
    int_sum = np.sum(ints).round()
    while abs(int_sum - orig_sum) > FLOATING_POINT_COMPARISON:
        diff = np.round(orig_sum - int_sum)
        increment = -1 if int(diff < 0.0) else 1
        changes = min(int(abs(diff)), len(iterable))
        indices = np.argsort(floats - ints, kind="stable")[::-increment][:changes]
        for i in indices:
            ints[i] = ints[i] + increment
        int_sum = np.sum(ints).round()
    return ints.astype(int)


def issues_of(labels, probs, stable):
    cl_util.round_preserving_sum = (stable_round_preserving_sum if stable
                                    else numpy_round_preserving_sum)
    try:
        return np.flatnonzero(find_label_issues(labels, probs, filter_by="prune_by_noise_rate"))
    finally:
        cl_util.round_preserving_sum = numpy_round_preserving_sum


def cl_case(seed, n, k):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, size=n)
    labels = truth.copy()
    noisy = rng.random(n) < 0.12
    labels[noisy] = (truth[noisy] + rng.integers(1, k, size=noisy.sum())) % k
    logits = rng.normal(0, 1.0, size=(n, k))
    logits[np.arange(n), truth] += 2.5
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    probs = probs.astype(np.float32).astype(np.float64)
    probs /= probs.sum(axis=1, keepdims=True)
    return {
        "classes": k,
        "labels": labels.tolist(),
        "probs": probs.astype(np.float32).tolist(),
        "issues": issues_of(labels, probs, stable=True).tolist(),
        "issues_with_numpy_default_argsort": issues_of(labels, probs, stable=False).tolist(),
    }


def main():
    out = {
        "generator": "scripts/make_label_quality_reference.py",
        "versions": {"scikit-learn": sklearn.__version__, "cleanlab": cleanlab.__version__,
                     "numpy": np.__version__},
        "logreg": [
            logreg_case(1, 120, 6, 4, 0.7, None),
            logreg_case(2, 90, 5, 3, 3.0, {0: 1.0, 1: 2.5, 2: 0.5}),
        ],
        "confident_learning": [cl_case(3, 400, 4), cl_case(4, 600, 6), cl_case(5, 90, 7),
                               cl_case(6, 1200, 10)],
    }
    with open(OUT, "w") as f:
        json.dump(out, f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
