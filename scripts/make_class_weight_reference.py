#!/usr/bin/env python3
"""Reference values for `export --balance weights`: scikit-learn's
`compute_class_weight("balanced", classes=np.unique(y), y=y)` on seeded imbalanced label
vectors (a class absent from the labels gets no weight from sklearn; labelscope writes 0).
Writes tests/fixtures/class_weights/reference.json, which `cargo test` compares against.
Run: `pip install numpy scikit-learn` then `python scripts/make_class_weight_reference.py`.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.utils.class_weight import compute_class_weight

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "class_weights", "reference.json")


def main():
    rng = np.random.default_rng(11)
    cases = []
    for k, probs in [(2, [0.9, 0.1]), (5, [0.5, 0.2, 0.15, 0.1, 0.05]), (4, [0.6, 0.4, 0.0, 0.0]),
                     (10, list(np.full(10, 0.1)))]:
        y = rng.choice(k, size=500, p=probs)
        present = np.unique(y)
        w = compute_class_weight("balanced", classes=present, y=y)
        weights = [0.0] * k
        for c, v in zip(present, w):
            weights[int(c)] = float(v)
        cases.append({"num_classes": k, "labels": [int(v) for v in y], "weights": weights})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"generator": "scripts/make_class_weight_reference.py",
                   "sklearn": sklearn.__version__, "cases": cases}, f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
