#!/usr/bin/env python3
"""Reads a labelscope `hf-parquet` export back with the real `datasets` library, both ways a
user would: `load_dataset("parquet", data_dir=OUT)` and `load_dataset(OUT)` (which reads the
README.md card). Prints JSON: for each way, the class names and, per split, every row's label
name and the SHA-256 of its image bytes. `tests/core/hf_tables.rs` runs it and compares.

Usage: python scripts/read_hf_export.py OUT CACHE_DIR
"""
import hashlib
import json
import sys

import datasets


def describe(dd):
    out = {"splits": {}}
    for split, ds in dd.items():
        feature = ds.features["label"]
        out["names"] = list(feature.names)
        out["image_feature"] = type(ds.features["image"]).__name__
        ds = ds.cast_column("image", datasets.Image(decode=False))
        out["splits"][split] = [
            {"label": feature.names[r["label"]],
             "sha256": hashlib.sha256(r["image"]["bytes"]).hexdigest(),
             "path": r["image"]["path"]}
            for r in ds
        ]
    return out


def main():
    out, cache = sys.argv[1], sys.argv[2]
    datasets.disable_progress_bars()
    result = {
        "datasets": datasets.__version__,
        "parquet": describe(datasets.load_dataset("parquet", data_dir=out, cache_dir=cache)),
        "folder": describe(datasets.load_dataset(out, cache_dir=cache)),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
