#!/usr/bin/env python3
"""Reference for placing new points on a fitted UMAP map (`embed::umap_place`): what
umap-learn's `UMAP.transform` computes before its refining epochs, step by step with its own
functions: the exact k nearest fitted rows (Euclidean), `smooth_knn_dist` with the local
connectivity lowered by one (as `transform` does), `compute_membership_strengths(bipartite=True)`,
the graph as CSR without zeros, and `init_graph_transform` (the weighted mean of the neighbours'
places, or the place of a neighbour at distance zero). Seeded data: 300 fitted rows of 8 values
with a 2-D layout, 60 new rows (one a copy of a fitted row, a few far away). Writes
tests/fixtures/umap/place_reference.json, which `cargo test` compares against (no Python then).
Run: `pip install umap-learn` then `python scripts/make_umap_place_reference.py`.
"""
import json
import os

import numpy as np
import scipy.sparse
import umap
from umap.umap_ import compute_membership_strengths, init_graph_transform, smooth_knn_dist

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "umap", "place_reference.json")
K = 15
LOCAL_CONNECTIVITY = 1.0  # UMAP's default; transform lowers it by one

rng = np.random.default_rng(20261207)
fitted = rng.normal(size=(300, 8)).astype(np.float32)
layout = (rng.normal(size=(300, 2)) * 5.0).astype(np.float32)
new = rng.normal(size=(60, 8)).astype(np.float32)
new[0] = fitted[17]  # a copy of a fitted row: placed exactly on it
new[1:4] *= 6.0  # far from everything fitted

# The exact k nearest fitted rows of each new row, as transform's brute-force path (small data).
d = np.sqrt(((new[:, None, :].astype(np.float64) - fitted[None, :, :]) ** 2).sum(-1))
indices = np.argsort(d, axis=1, kind="stable")[:, :K]
dists = np.take_along_axis(d, indices, axis=1).astype(np.float32, order="C")

sigmas, rhos = smooth_knn_dist(
    dists, float(K), local_connectivity=max(0.0, LOCAL_CONNECTIVITY - 1.0)
)
rows, cols, vals, _ = compute_membership_strengths(indices, dists, sigmas, rhos, bipartite=True)
graph = scipy.sparse.coo_matrix((vals, (rows, cols)), shape=(new.shape[0], fitted.shape[0]))
csr = graph.tocsr()
csr.eliminate_zeros()
placed = init_graph_transform(csr, layout)

with open(OUT, "w") as f:
    json.dump(
        {
            "umap_learn": umap.__version__,
            "k": K,
            "fitted": fitted.tolist(),
            "layout": layout.tolist(),
            "new": new.tolist(),
            "neighbours": indices.tolist(),
            "placed": placed.astype(np.float64).tolist(),
        },
        f,
    )
print("wrote", OUT, "umap-learn", umap.__version__)
