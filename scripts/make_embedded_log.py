#!/usr/bin/env python3
"""A device log whose images are inside it, as the Hugging Face layouts store them: a Parquet
file written by the real `datasets` library with an `Image` column (`{bytes, path}` structs)
beside `timestamp`, `pred` and `confidence`. Eight images of the bundled Fashion sample, two
days. Writes tests/fixtures/monitor/embedded_log.parquet (read by tests/cli/monitor_embedded.rs).
Run: `pip install datasets` then `python scripts/make_embedded_log.py`.
"""
import os

import datasets

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.join(HERE, "..")
OUT = os.path.join(REPO, "tests", "fixtures", "monitor", "embedded_log.parquet")
CLASSES = ["Bag", "Coat", "Sandal", "Trouser"]


def picks():
    """The first two images (by name) of four classes."""
    out = []
    for c in CLASSES:
        names = sorted(os.listdir(os.path.join(REPO, "sample_data", "fashion", c)))
        out += [f"{c}/{n}" for n in names[:2]]
    return out


def main():
    rows = {"timestamp": [], "pred": [], "confidence": [], "image": []}
    for k, rel in enumerate(picks()):
        path = os.path.join(REPO, "sample_data", "fashion", rel)
        rows["timestamp"].append(f"2026-12-0{1 + k // 4}T10:{k:02d}:00Z")
        rows["pred"].append(rel.split("/")[0])
        rows["confidence"].append(0.9)
        rows["image"].append({"bytes": open(path, "rb").read(), "path": os.path.basename(rel)})
    features = datasets.Features({
        "timestamp": datasets.Value("string"),
        "pred": datasets.Value("string"),
        "confidence": datasets.Value("float32"),
        "image": datasets.Image(),
    })
    ds = datasets.Dataset.from_dict(rows, features=features)
    ds.to_parquet(OUT)
    print("wrote", OUT, "with datasets", datasets.__version__)


if __name__ == "__main__":
    main()
