"""Makes the bundled device log (sample_data/device_log.jsonl): two weeks of inferences of the
bundled Fashion CNN on devices, built from the model's real predictions on the bundled images.

Week 1 (2025-12-01 to 12-07) sees the classes as the sample has them; week 2 sees mostly
footwear and bags (a new shop window in front of the cameras), and from 12-10 camera `cam-b`
runs model version `v2` with a slower latency. Labels arrive later for a fifth of week 1's rows.
The images are referenced by path (relative to the log), so a viewer can open them; every
row carries the model's probability for each label (`probs`). Only the class mix drifts: the confidences are the model's own on each image (no image is altered).

    labelscope predict sample_data/fashion --model assets/models/fashion_cnn.onnx --out /tmp/fashion_preds.csv
    python3 scripts/make_device_log.py /tmp/fashion_preds.csv
"""

import csv
import datetime
import json
import pathlib
import random
import sys

rows = list(csv.DictReader(open(sys.argv[1], newline="")))
rng = random.Random(20251201)
start = 1764547200  # 2025-12-01T00:00:00Z
shifted = {"Sandal", "Sneaker", "Ankle boot", "Bag"}
by_class = {}
for r in rows:
    by_class.setdefault(r["label"], []).append(r)

out = []
for day in range(14):
    for k in range(150):
        if day < 7 or rng.random() < 0.2:
            r = rng.choice(rows)
        else:
            r = rng.choice(by_class[rng.choice(sorted(shifted))])
        t = start + day * 86400 + int(k * 86400 / 150) + rng.randrange(0, 500)
        device = "cam-a" if rng.random() < 0.5 else "cam-b"
        version = "v2" if device == "cam-b" and day >= 9 else "v1"
        latency = rng.gauss(4.0 if version == "v1" else 6.5, 0.6)
        row = {
            "timestamp": datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "device": device,
            "model_version": version,
            "pred": r["pred"],
            "confidence": round(float(r["confidence"]), 6),
            "latency_ms": round(max(latency, 0.5), 2),
            "path": "fashion/" + r["path"],
            # Every label's probability, to 4 significant digits as a device would log them.
            "probs": {
                k[len("prob_"):]: float(f"{float(v):.4g}")
                for k, v in r.items()
                if k.startswith("prob_")
            },
        }
        if day < 7 and rng.random() < 0.2:
            row["label"] = r["label"]
        out.append(row)
out.sort(key=lambda r: r["timestamp"])
path = pathlib.Path(__file__).resolve().parent.parent / "sample_data/device_log.jsonl"
with open(path, "w") as f:
    for r in out:
        f.write(json.dumps(r) + "\n")
print(f"wrote {len(out)} rows to {path}")
