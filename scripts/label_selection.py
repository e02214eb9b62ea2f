#!/usr/bin/env python3
"""Replay the labelling window with a perfect labeller: turn a selection CSV (`labelscope select
--out`) into an edit file that adds each chosen pool image with its true label from
`sample_data/pool_truth.csv`, for `labelscope edit DATASET apply`.

    python3 scripts/label_selection.py /tmp/to_label.csv /tmp/labelled.csv

Standard library only. Paths are written absolute, so the edit file applies from anywhere.
"""
import csv
import os
import sys

TRUTH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sample_data", "pool_truth.csv")


def main(selection, out):
    root = os.path.dirname(TRUTH)
    with open(TRUTH, newline="") as f:
        truth = {os.path.realpath(os.path.join(root, r["path"])): r["label"] for r in csv.DictReader(f)}
    rows = []
    with open(selection, newline="") as f:
        for r in csv.DictReader(f):
            path = os.path.realpath(r["path"])
            if path not in truth:
                sys.exit(f"{r['path']}: not an image of sample_data/pool")
            rows.append((path, "add", truth[path]))
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["path", "action", "label"])
        w.writerows(rows)
    print(f"wrote {len(rows)} add edits to {out}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
