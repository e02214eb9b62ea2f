"""Reference values for labelscope's monitoring statistics, computed with the real libraries:
the maximum mean discrepancy of random Fourier features (NumPy) beside an exact-kernel
permutation test and a mean-shift permutation test, the ROC AUC (sklearn.metrics.roc_auc_score),
the two-sample Kolmogorov-Smirnov test
(scipy.stats.ks_2samp, method="exact"), Pearson's chi-square test of homogeneity (scipy.stats.chi2_contingency) of a window's class
counts and the reference's, its goodness-of-fit form (scipy.stats.chisquare) against the
reference's proportions smoothed with 0.5 per bucket, the population stability index (numpy,
the same smoothing on both sides) and numpy's linear-interpolation quantiles. Writes
tests/fixtures/monitor/reference.json; `cargo test` (tests/core/monitor.rs) compares without
Python.

    python3 -m venv /tmp/v && /tmp/v/bin/pip install scipy==1.17.1 numpy==2.4.6 scikit-learn==1.9.1
    /tmp/v/bin/python scripts/make_monitor_reference.py
"""

import json
import pathlib

import numpy as np
import scipy
import sklearn
from sklearn.metrics import roc_auc_score
from scipy import stats

SMOOTHING = 0.5


def smoothed(counts):
    c = np.asarray(counts, dtype=float) + SMOOTHING
    return c / c.sum()


def case(reference_counts, observed):
    expected = smoothed(reference_counts)
    observed = np.asarray(observed, dtype=float)
    chi = stats.chisquare(observed, f_exp=observed.sum() * expected)
    actual = smoothed(observed)
    psi = float(np.sum((actual - expected) * np.log(actual / expected)))
    table = np.array([reference_counts, observed], dtype=float)
    keep = table.sum(axis=0) > 0
    hom = stats.chi2_contingency(table[:, keep])
    return {
        "homogeneity_statistic": float(hom.statistic),
        "homogeneity_p_value": float(hom.pvalue),
        "homogeneity_df": int(hom.dof),
        "reference_counts": list(map(int, reference_counts)),
        "observed": list(map(int, observed)),
        "statistic": float(chi.statistic),
        "p_value": float(chi.pvalue),
        "psi": psi,
    }


rng = np.random.default_rng(7)
cases = [
    case([120, 121, 119, 122, 119, 123, 121, 120, 122, 124, 0], [12, 11, 13, 10, 12, 14, 9, 12, 11, 12, 0]),
    case([500, 300, 200], [450, 330, 220]),
    case([500, 300, 200], [200, 300, 500]),
    case([1000, 10, 0], [90, 5, 5]),
    case([700, 300], [60, 40]),
    case([3, 0, 9], [0, 0, 4]),
]
for _ in range(6):
    k = int(rng.integers(2, 12))
    ref = rng.integers(0, 2000, size=k)
    obs = rng.multinomial(int(rng.integers(20, 5000)), smoothed(ref) * 0.9 + 0.1 / k)
    cases.append(case(ref, obs))

def ks_case(a, b):
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    r = stats.ks_2samp(a.astype(np.float64), b.astype(np.float64), method="exact")
    # The shortest text that reads back as the same float32.
    short = lambda v: [float(np.format_float_positional(x, unique=True)) for x in v]
    return {"a": short(a), "b": short(b),
            "statistic": float(r.statistic), "p_value": float(r.pvalue)}


def confidences(size, shape):
    # Confidence-like values: most near 1, rounded as device logs write them.
    return np.round(1.0 - rng.beta(1.0, shape, size=size), 4)


ks_cases = [
    ks_case([1, 2, 3], [4, 5, 6]),
    ks_case([0.5, 0.5, 0.7, 0.9], [0.5, 0.6, 0.9, 0.9, 0.9]),
    ks_case(rng.normal(0, 1, 40), rng.normal(0, 1, 40)),
    ks_case(rng.normal(0, 1, 40), rng.normal(0.8, 1, 40)),
    ks_case(rng.normal(0, 1, 200), rng.normal(0.2, 1, 150)),
    ks_case(confidences(1000, 8.0), confidences(1000, 8.0)),
    ks_case(confidences(3000, 8.0), confidences(700, 6.0)),
    ks_case(confidences(5000, 8.0), confidences(2000, 8.0)),
    ks_case(confidences(12000, 8.0), confidences(300, 7.0)),
    ks_case(np.round(rng.normal(0, 1, 997), 1), np.round(rng.normal(0.1, 1, 463), 1)),
]

def short32(a):
    # Nested lists of the shortest texts that read back as the same float32 values.
    a = np.asarray(a, dtype=np.float32)
    if a.ndim == 1:
        return [float(np.format_float_positional(v, unique=True)) for v in a]
    return [short32(r) for r in a]


def rff(x, omega, phase):
    return np.sqrt(2.0 / omega.shape[1]) * np.cos(x @ omega + phase)


def mean_distance2(a, b):
    d = a.mean(axis=0) - b.mean(axis=0)
    return float(d @ d)


def exact_kernel_permutation(x, y, bandwidth, permutations, seed):
    # The Gaussian-kernel MMD² (biased form) and its permutation p-value, from the full kernel
    # matrix (an independent check of the random-feature version).
    z = np.vstack([x, y])
    sq = (z * z).sum(axis=1)
    k = np.exp(-np.maximum(sq[:, None] + sq[None, :] - 2 * z @ z.T, 0) / (2 * bandwidth**2))
    n = len(x)

    def stat(idx):
        a, b = idx[:n], idx[n:]
        return k[np.ix_(a, a)].mean() + k[np.ix_(b, b)].mean() - 2 * k[np.ix_(a, b)].mean()

    base = np.arange(len(z))
    observed = stat(base)
    g = np.random.default_rng(seed)
    count = sum(stat(g.permutation(len(z))) >= observed for _ in range(permutations))
    return float(observed), (1 + count) / (1 + permutations)


def mean_permutation(x, y, permutations, seed):
    z = np.vstack([x, y])
    n = len(x)
    observed = mean_distance2(x, y)
    g = np.random.default_rng(seed)
    count = 0
    for _ in range(permutations):
        p = g.permutation(len(z))
        count += mean_distance2(z[p[:n]], z[p[n:]]) >= observed
    return (1 + count) / (1 + permutations)


def mmd_case(shift):
    dim, features, bandwidth = 6, 512, 2.5
    x = rng.normal(0, 1, size=(160, dim)).astype(np.float32)
    y = rng.normal(0, 1, size=(120, dim)).astype(np.float32)
    y[:, 0] += shift
    omega = (rng.normal(0, 1, size=(dim, features)) / bandwidth).astype(np.float32)
    phase = rng.uniform(0, 2 * np.pi, size=features).astype(np.float32)
    fx, fy = rff(x.astype(np.float64), omega, phase), rff(y.astype(np.float64), omega, phase)
    exact, exact_p = exact_kernel_permutation(x.astype(np.float64), y.astype(np.float64), bandwidth, 2000, 1)
    return {
        "x": short32(x), "y": short32(y), "omega": short32(omega), "phase": short32(phase),
        "bandwidth": bandwidth, "shift": shift,
        "rff_mmd2": mean_distance2(fx, fy),
        "exact_mmd2": exact,
        "exact_p_value": exact_p,
        "mean_p_value": mean_permutation(x.astype(np.float64), y.astype(np.float64), 2000, 2),
        # The same permutation test on the random features (what labelscope runs).
        "rff_p_value": mean_permutation(fx, fy, 2000, 3),
        "permutations": 2000,
    }


mmd_cases = [mmd_case(0.0), mmd_case(0.5), mmd_case(0.8)]

scores = np.round(rng.normal(0, 1, size=300), 1)
labels = (rng.uniform(size=300) < 1 / (1 + np.exp(-scores))).astype(int)
auc_case = {"scores": scores.tolist(), "labels": labels.tolist(), "auc": float(roc_auc_score(labels, scores))}

values = rng.normal(5.0, 2.0, size=257).astype(np.float32)
quantiles = {str(q): float(np.quantile(values.astype(np.float64), q)) for q in (0.0, 0.5, 0.9, 0.95, 1.0)}

out = {
    "scipy": scipy.__version__,
    "numpy": np.__version__,
    "smoothing": SMOOTHING,
    "chi_square": cases,
    "ks_2samp": ks_cases,
    "mmd": mmd_cases,
    "auc": auc_case,
    "sklearn": sklearn.__version__,
    "quantile_values": [float(v) for v in values],
    "quantiles": quantiles,
}
path = pathlib.Path(__file__).resolve().parent.parent / "tests/fixtures/monitor/reference.json"
path.write_text(json.dumps(out, separators=(",", ":")) + "\n")
print(f"wrote {path}: {len(cases)} chi-square cases")
