#!/usr/bin/env python3
"""Weight-only int8 quantization of an ONNX model, the recipe of the bundled
`efficientnet_lite0_int8w.onnx` (see assets/models/README.md): every Conv/Gemm/MatMul weight with at
least MIN_ELEMENTS values becomes per-output-channel (axis 0) symmetric int8 plus a
DequantizeLinear node; activations stay fp32. Used to make `assets/models/fashion_cnn_int8w.onnx`
from `fashion_cnn.onnx`, the README's fp32 vs int8 example.

Run: `pip install onnx numpy` then
`python scripts/quantize_int8_weights.py assets/models/fashion_cnn.onnx assets/models/fashion_cnn_int8w.onnx`.
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

MIN_ELEMENTS = 1024
WEIGHT_OPS = {"Conv", "Gemm", "MatMul"}


def main(src, dst):
    model = onnx.load(src)
    graph = model.graph
    weights = {n.input[1] for n in graph.node if n.op_type in WEIGHT_OPS and len(n.input) > 1}
    kept, nodes, changed = [], [], 0
    for init in graph.initializer:
        w = numpy_helper.to_array(init)
        if init.name not in weights or w.dtype != np.float32 or w.size < MIN_ELEMENTS:
            kept.append(init)
            continue
        rows = w.reshape(w.shape[0], -1)
        scale = np.abs(rows).max(axis=1) / 127.0
        scale[scale == 0] = 1.0
        q = np.clip(np.round(rows / scale[:, None]), -127, 127).astype(np.int8).reshape(w.shape)
        kept += [
            numpy_helper.from_array(q, init.name + "_q"),
            numpy_helper.from_array(scale.astype(np.float32), init.name + "_s"),
            numpy_helper.from_array(np.zeros(w.shape[0], np.int8), init.name + "_z"),
        ]
        nodes.append(helper.make_node(
            "DequantizeLinear", [init.name + "_q", init.name + "_s", init.name + "_z"],
            [init.name], axis=0, name=init.name + "_dequantize"))
        err = np.abs(q.astype(np.float32) * scale.reshape((-1,) + (1,) * (w.ndim - 1)) - w).max()
        print(f"{init.name}: {list(w.shape)} int8, max weight error {err:.2e}")
        changed += 1
    del graph.initializer[:]
    graph.initializer.extend(kept)
    all_nodes = nodes + list(graph.node)
    del graph.node[:]
    graph.node.extend(all_nodes)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"{changed} weights quantized -> {dst}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
