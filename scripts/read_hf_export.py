#!/usr/bin/env python3
"""Reads a labelscope `hf-parquet` export back with the real `datasets` library, both ways a
user would: `load_dataset("parquet", data_dir=OUT)` and `load_dataset(OUT)` (which reads the
README.md card). Prints JSON: for each way, the class names, the features' types and, per
split, every row's label name, the SHA-256 of its image bytes and its `soft_labels` and
`weight` when the export has them. `tests/core/hf_tables.rs` and `hf_soft_labels.rs` run it.

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
        out["features"] = {k: repr(v) for k, v in ds.features.items()}
        extra = [k for k in ("soft_labels", "weight") if k in ds.features]
        ds = ds.cast_column("image", datasets.Image(decode=False))
        out["splits"][split] = [
            {"label": feature.names[r["label"]],
             "sha256": hashlib.sha256(r["image"]["bytes"]).hexdigest(),
             "path": r["image"]["path"],
             **{k: r[k] for k in extra}}
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
