#!/usr/bin/env python3
"""Train the small Fashion-MNIST CNN that labelscope ships, and export it to ONNX.

Uses Debian's packages only: `apt-get install python3-torch dataset-fashion-mnist`.
Trains on the 60,000 training images only (never the test set, which the bundled sample comes
from), with a fixed seed, and writes `assets/models/fashion_cnn.onnx`. Run it with Debian's
interpreter: `/usr/bin/python3 scripts/train_fashion_cnn.py`.

The network sees 28x28 grayscale input normalised as (pixel - 72.94) / 90.0 with pixels in
0..255 (Fashion-MNIST's mean and std), which is what `assets/models/fashion_cnn.json` declares.
"""
import gzip
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

DATA = "/usr/share/datasets/fashion-mnist"
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "assets", "models", "fashion_cnn.onnx")
MEAN, STD = 72.94, 90.0
SEED = 20261128


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


class FashionCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
            nn.Dropout(0.3), nn.Linear(128, 10),
        )

    def forward(self, x):
        return self.head(self.features(x))


def to_tensor(images):
    return (torch.from_numpy(images.astype(np.float32)).unsqueeze(1) - MEAN) / STD


def main():
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    x_train = to_tensor(read_idx("train-images-idx3-ubyte.gz"))
    y_train = torch.from_numpy(read_idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    x_test = to_tensor(read_idx("t10k-images-idx3-ubyte.gz"))
    y_test = torch.from_numpy(read_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))

    model = FashionCnn()
    epochs = int(os.environ.get("EPOCHS", "5"))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=epochs * (60000 // 256 + 1))
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(x_train), generator=gen)
        total = 0.0
        for i in range(0, len(perm), 256):
            idx = perm[i:i + 256]
            xb = x_train[idx]
            # Light augmentation: horizontal flips (clothes are left/right symmetric).
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            opt.zero_grad()
            loss = loss_fn(model(xb), y_train[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        acc = evaluate(model, x_test, y_test)
        print(f"epoch {epoch + 1}/{epochs}: train loss {total / len(x_train):.4f}, test acc {acc:.4f}", flush=True)

    model.eval()
    dummy = torch.zeros(1, 1, 28, 28)
    torch.onnx.export(
        model, dummy, OUT, input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13,
    )
    acc = evaluate(model, x_test, y_test)
    print(json.dumps({"test_accuracy": round(acc, 4), "onnx": os.path.relpath(OUT)}))
    return 0


def evaluate(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += (model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    return correct / len(x)


if __name__ == "__main__":
    sys.exit(main())
