#!/usr/bin/env python3
"""Reference values for `labelscope calibrate` (temperature scaling): for seeded synthetic
predictions (float32 probabilities, as labelscope stores them), the temperature that minimises
the mean negative log-likelihood of the labels, found by scipy's bounded scalar minimiser and
polished by brentq on the gradient; the NLL before and after from scikit-learn's `log_loss`; the
15-bin ECE before and after (bins as labelscope defines them: a confidence c falls in bin
ceil(15c) - 1). Writes tests/fixtures/calibration/reference.json, which `cargo test` compares
against (no Python at test time).
Run: `pip install numpy scipy scikit-learn` then `python scripts/make_calibration_reference.py`.
"""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy.optimize import brentq, minimize_scalar
from sklearn.metrics import log_loss

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "calibration", "reference.json")
MIN_PROB = 1e-30
BINS = 15


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def case(name, seed, n, k, scale, noise):
    """Logits of a k-class model whose confidences are `scale` times too sharp; labels drawn
    from the unscaled softmax, some replaced at random (`noise`)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 1.5, size=(n, k))
    truth = softmax(z)
    y = np.array([rng.choice(k, p=row) for row in truth])
    flip = rng.random(n) < noise
    y[flip] = rng.integers(0, k, size=flip.sum())
    probs = softmax(z * scale).astype(np.float32)
    return name, probs, y


def nll(logp, y, t):
    s = logp / t
    s = s - s.max(axis=1, keepdims=True)
    lse = np.log(np.exp(s).sum(axis=1))
    return float(np.mean(lse - s[np.arange(len(y)), y]))


def grad_beta(logp, y, beta):
    s = beta * logp
    q = softmax(s)
    return float(np.mean((q * logp).sum(axis=1) - logp[np.arange(len(y)), y]))


def ece(probs32, y):
    conf = probs32.max(axis=1).astype(np.float32)
    pred = probs32.argmax(axis=1)
    b = np.clip(np.ceil(conf * np.float32(BINS)).astype(np.int64) - 1, 0, BINS - 1)
    total = 0.0
    for i in range(BINS):
        m = b == i
        if m.any():
            total += m.sum() / len(y) * abs((pred[m] == y[m]).mean() - conf[m].astype(np.float64).mean())
    return float(total)


def main():
    cases = [
        case("overconfident_4", 1, 500, 4, 2.5, 0.0),
        case("underconfident_10", 2, 300, 10, 0.6, 0.0),
        case("binary_noisy", 3, 200, 2, 1.8, 0.1),
        case("nearly_calibrated_3", 4, 400, 3, 1.05, 0.0),
    ]
    out = {
        "generator": "scripts/make_calibration_reference.py",
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "cases": [],
    }
    for name, probs32, y in cases:
        logp = np.log(np.maximum(probs32.astype(np.float64), MIN_PROB))
        coarse = minimize_scalar(lambda t: nll(logp, y, t), bounds=(0.01, 100.0),
                                 method="bounded", options={"xatol": 1e-10})
        b0 = 1.0 / coarse.x
        beta = brentq(lambda b: grad_beta(logp, y, b), b0 * 0.5, b0 * 2.0, xtol=1e-15, rtol=1e-15)
        t = 1.0 / beta
        after = softmax(logp / t)
        after32 = after.astype(np.float32)
        out["cases"].append({
            "name": name,
            "probs": [[float(v) for v in row] for row in probs32],
            "labels": [int(v) for v in y],
            "temperature": t,
            "temperature_minimize_scalar": float(coarse.x),
            "nll_before": float(log_loss(y, probs32.astype(np.float64), labels=range(probs32.shape[1]))),
            "nll_after": float(log_loss(y, after, labels=range(probs32.shape[1]))),
            "ece_before": ece(probs32, y),
            "ece_after": ece(after32, y),
        })
        print(f"{name}: T = {t:.6f} (minimize_scalar {coarse.x:.6f})")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(out, f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
