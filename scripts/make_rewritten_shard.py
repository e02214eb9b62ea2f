#!/usr/bin/env python3
"""A Hugging Face Parquet shard rewritten under the same name with its rows in another order,
for labelscope's test that an edit never lands on another image (tests/cli/edit_identity.rs).

Reads tests/fixtures/hf/hub/data/train-00000-of-00002.parquet (written by the real `datasets`
library, see make_hf_fixtures.py) and writes with pyarrow (PyPI), keeping the `huggingface`
schema metadata (the class names):
- tests/fixtures/hf/rewritten/before/data/train-00000-of-00001.parquet: its first 8 rows;
- tests/fixtures/hf/rewritten/after/data/train-00000-of-00001.parquet: the same rows reversed,
  without the last one (its image is gone), under the same file name.

Run: `pip install pyarrow==19.0.1` then `python scripts/make_rewritten_shard.py`.
"""
import os

import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.abspath(os.path.join(HERE, "..", "tests", "fixtures", "hf"))
SOURCE = os.path.join(FIXTURES, "hub", "data", "train-00000-of-00002.parquet")
NAME = "train-00000-of-00001.parquet"


def write(table, which):
    folder = os.path.join(FIXTURES, "rewritten", which, "data")
    os.makedirs(folder, exist_ok=True)
    pq.write_table(table, os.path.join(folder, NAME))


def main():
    table = pq.read_table(SOURCE).slice(0, 8)
    write(table, "before")
    reversed_rows = table.take(list(range(6, -1, -1)))
    write(reversed_rows, "after")


if __name__ == "__main__":
    main()
