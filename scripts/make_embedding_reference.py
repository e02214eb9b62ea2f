#!/usr/bin/env python3
"""Reference embeddings: what onnxruntime in Python reads as the bundled EfficientNet-Lite0's
embedding (the input of its final Gemm, `/Reshape_output_0`, 1280 pooled features) for a few of
the preprocessing fixtures, on the "imagenet" pipeline of make_preprocess_reference.py.

The value is made a graph output with the `onnx` library, as a user's own pipeline would do it.
`cargo test` (tests/core/embeddings.rs) compares what labelscope reads, with tract and with ONNX
Runtime, against tests/fixtures/preprocess/embedding_reference.json without Python.

Usage: python3 scripts/make_embedding_reference.py   (installs onnx, onnxruntime, Pillow and
numpy into ~/.cache/labelscope/venv on first run)
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "benches"))
import pyvenv  # noqa: E402

pyvenv.ensure("~/.cache/labelscope/venv", ["numpy", "onnxruntime", "PIL", "cv2", "onnx"],
              ["onnxruntime==1.32.0", "pillow==13.0.0", "numpy",
               "opencv-python-headless==5.0.0.93", "onnx==1.23.2"])

sys.path.insert(0, HERE)
import make_preprocess_reference as pre  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from PIL import Image  # noqa: E402

VALUE = "/Reshape_output_0"
FIXTURES = ["landscape.png", "portrait.png", "j420.jpg", "grey.png"]


def main():
    model = onnx.load(pre.MODEL)
    model.graph.output.append(onnx.helper.make_tensor_value_info(VALUE, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    out = {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "value": VALUE,
           "embeddings": {}}
    for name in FIXTURES:
        img = Image.open(os.path.join(pre.OUT, name))
        x = (np.asarray(pre.PIPELINES["imagenet"](img), dtype=np.float32) - 127.0) / 128.0
        x = x.transpose(2, 0, 1)[None]
        logits, emb = session.run(["logits", VALUE], {"input": x})
        out["embeddings"][name] = [float(f"{v:.7g}") for v in emb.reshape(-1)]
        print(name, emb.shape, float(np.linalg.norm(emb)))
    with open(os.path.join(pre.OUT, "embedding_reference.json"), "w") as f:
        json.dump(out, f)
        f.write("\n")


if __name__ == "__main__":
    main()
