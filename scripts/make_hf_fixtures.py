#!/usr/bin/env python3
"""Hugging Face datasets as the Hub and the `datasets` library store them, for labelscope's
tests, written by the real `datasets` library (PyPI), plus what `datasets` reads back from them.

Writes tests/fixtures/hf/:
- hub/data/{train-0000{0,1}-of-00002,test-00000-of-00001}.parquet: 36 small PNG/JPEG images
  embedded as bytes in an `image` struct (bytes, path), an int64 `label` whose ClassLabel names
  (cat, dog, bird) live in the `huggingface` schema metadata. One row's bytes are not an image;
  one row has no bytes and a `path` (images/extra.png, relative to the dataset folder).
- saved/: the same train/test splits as `DatasetDict.save_to_disk` writes them (Arrow IPC
  streams, dataset_info.json, state.json).
- bad/data/train-0000{0,1,2}-of-00003.parquet: a good shard, a shard with another schema
  (`img`, `cls`) and a shard with a label index outside the names (written with pyarrow, since
  `datasets` refuses one).
- cache/: the `datasets` cache of that load (`<builder>/<config>/<version>/<hash>/
  parquet-{train,test}.arrow` with dataset_info.json).
- ids/one and ids/resharded: six rows with a unique `id` column, in one shard and re-sharded
  into two in reverse order.
- reference.json: per split, every row as `datasets.load_dataset("parquet", data_dir=hub)` reads
  it (label name, SHA-256 of the bytes or null, path), and the class names.

Run: `pip install datasets==5.2.0` then `python scripts/make_hf_fixtures.py`.
"""
import hashlib
import io
import json
import os
import shutil

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.abspath(os.path.join(HERE, "..", "tests", "fixtures", "hf"))
NAMES = ["cat", "dog", "bird"]
COLOURS = {0: (200, 120, 40), 1: (60, 60, 200), 2: (40, 180, 60)}


def image_bytes(i, label):
    """A distinct small image: PNG for even rows, JPEG for odd ones."""
    w, h = 12 + i % 5, 10 + i % 7
    img = Image.new("RGB", (w, h), COLOURS[label])
    img.putpixel((i % w, i % h), (255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, format="PNG" if i % 2 == 0 else "JPEG", quality=90)
    return buf.getvalue()


def features():
    return datasets.Features({"image": datasets.Image(),
                              "label": datasets.ClassLabel(names=NAMES)})


def rows(start, count, split):
    out = {"image": [], "label": []}
    for i in range(start, start + count):
        label = i % 3
        out["image"].append({"bytes": image_bytes(i, label), "path": f"{split}_{i:03d}.png"
                             if i % 2 == 0 else f"{split}_{i:03d}.jpg"})
        out["label"].append(label)
    return out


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    hub = os.path.join(OUT, "hub")
    os.makedirs(os.path.join(hub, "data"))
    os.makedirs(os.path.join(hub, "images"))
    Image.new("RGB", (9, 9), COLOURS[2]).save(os.path.join(hub, "images", "extra.png"))

    train_a = rows(0, 14, "train")
    train_a["image"][5] = {"bytes": b"this is not an image", "path": "train_005.jpg"}
    train_b = rows(14, 14, "train")
    train_b["image"][3] = {"bytes": None, "path": "images/extra.png"}
    train_b["label"][3] = 2
    test = rows(28, 8, "test")
    shards = [("train-00000-of-00002", train_a), ("train-00001-of-00002", train_b),
              ("test-00000-of-00001", test)]
    for name, data in shards:
        target = os.path.join(hub, "data", name + ".parquet")
        if any(im["bytes"] is None for im in data["image"]):
            # `to_parquet` embeds files named by `path`; a path-only row is written as
            # `datasets` would lay it out, with its schema and metadata.
            pq.write_table(pa.Table.from_pydict(data, schema=features().arrow_schema), target)
        else:
            datasets.Dataset.from_dict(data, features=features()).to_parquet(target)

    train = datasets.concatenate_datasets([
        datasets.Dataset.from_dict(train_a, features=features()),
        datasets.Dataset.from_dict(train_b, features=features())])
    saved = datasets.DatasetDict({
        "train": train,
        "test": datasets.Dataset.from_dict(test, features=features())})
    cwd = os.getcwd()
    os.chdir(hub)  # `save_to_disk` sizes files named by a relative `path` from the working folder
    saved.save_to_disk(os.path.join(OUT, "saved"))
    os.chdir(cwd)

    bad = os.path.join(OUT, "bad", "data")
    os.makedirs(bad)
    datasets.Dataset.from_dict(rows(0, 6, "train"), features=features()).to_parquet(
        os.path.join(bad, "train-00000-of-00003.parquet"))
    other = pa.table({"img": [image_bytes(40, 0)], "cls": ["cat"]})
    pq.write_table(other, os.path.join(bad, "train-00001-of-00003.parquet"))
    good = pq.read_table(os.path.join(bad, "train-00000-of-00003.parquet"))
    labels = good.column("label").to_pylist()
    labels[2] = 7
    outside = good.set_column(1, "label", pa.array(labels, pa.int64()))
    pq.write_table(outside, os.path.join(bad, "train-00002-of-00003.parquet"))

    # An `id` column: the same six rows in one shard, and re-sharded in reverse order.
    with_ids = rows(0, 6, "train")
    with_ids["id"] = [f"img-{i:03d}" for i in range(6)]
    id_features = features()
    id_features["id"] = datasets.Value("string")
    ids = datasets.Dataset.from_dict(with_ids, features=id_features)
    os.makedirs(os.path.join(OUT, "ids", "one", "data"))
    ids.to_parquet(os.path.join(OUT, "ids", "one", "data", "train-00000-of-00001.parquet"))
    os.makedirs(os.path.join(OUT, "ids", "resharded", "data"))
    backwards = ids.select(range(5, -1, -1))
    for k in range(2):
        backwards.shard(2, k, contiguous=True).to_parquet(os.path.join(
            OUT, "ids", "resharded", "data", f"train-{k:05d}-of-00002.parquet"))

    loaded = datasets.load_dataset("parquet", data_dir=hub, cache_dir=os.path.join(OUT, ".cache"))
    loaded = loaded.cast_column("image", datasets.Image(decode=False))
    reference = {
        "generator": "scripts/make_hf_fixtures.py",
        "datasets": datasets.__version__,
        "pyarrow": pa.__version__,
        "names": loaded["train"].features["label"].names,
        "splits": {
            split: [{"label": NAMES[r["label"]],
                     "sha256": hashlib.sha256(r["image"]["bytes"]).hexdigest()
                     if r["image"]["bytes"] is not None else None,
                     "path": r["image"]["path"]}
                    for r in loaded[split]]
            for split in loaded
        },
    }
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(reference, f, indent=1)
    # The `datasets` cache as load_dataset left it (Arrow streams + dataset_info.json), locks
    # and temporary files left out.
    built = os.path.join(OUT, ".cache", "parquet")
    for folder, _, files in os.walk(built):
        for name in files:
            if name.endswith(".arrow") or name == "dataset_info.json":
                rel = os.path.relpath(folder, built)
                os.makedirs(os.path.join(OUT, "cache", rel), exist_ok=True)
                shutil.copy(os.path.join(folder, name), os.path.join(OUT, "cache", rel, name))
    shutil.rmtree(os.path.join(OUT, ".cache"), ignore_errors=True)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
