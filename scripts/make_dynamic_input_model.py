#!/usr/bin/env python3
"""Writes `tests/fixtures/models/dynamic_cnn.onnx`: a tiny classifier over the Fashion classes
whose input height and width are *named* dimensions (`[N, 1, H, W]`), so it runs at any input
size: Conv 1->8 (3x3, pad 1), ReLU, GlobalAveragePool, Flatten, Gemm 8->10. The weights are
seeded random numbers; the model exists to test `evaluate --resolutions` running a dynamic
input at the lowered size, not to be accurate. Its spec (`dynamic_cnn.json`, written by hand)
declares 28x28 like the bundled Fashion CNN.

Usage: pip install onnx numpy; python scripts/make_dynamic_input_model.py
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "models", "dynamic_cnn.onnx")
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
          "Sneaker", "Bag", "Ankle boot"]


def main():
    rng = np.random.default_rng(20261206)
    conv_w = rng.normal(0, 0.5, (8, 1, 3, 3)).astype(np.float32)
    conv_b = rng.normal(0, 0.1, (8,)).astype(np.float32)
    fc_w = rng.normal(0, 1.0, (10, 8)).astype(np.float32)
    fc_b = rng.normal(0, 0.1, (10,)).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["input", "conv_w", "conv_b"], ["conv"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"]),
        helper.make_node("GlobalAveragePool", ["relu"], ["pool"]),
        helper.make_node("Flatten", ["pool"], ["features"], axis=1),
        helper.make_node("Gemm", ["features", "fc_w", "fc_b"], ["logits"], transB=1),
    ]
    graph = helper.make_graph(
        nodes,
        "dynamic_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, "H", "W"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
        [numpy_helper.from_array(a, n) for a, n in
         [(conv_w, "conv_w"), (conv_b, "conv_b"), (fc_w, "fc_w"), (fc_b, "fc_b")]],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    helper.set_model_props(model, {"labels": json.dumps(LABELS)})
    onnx.checker.check_model(model)
    onnx.save(model, OUT)
    print(os.path.relpath(OUT), os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
