"""Reference values for labelscope's monitoring statistics, computed with the real libraries:
Pearson's chi-square test of homogeneity (scipy.stats.chi2_contingency) of a window's class
counts and the reference's, its goodness-of-fit form (scipy.stats.chisquare) against the
reference's proportions smoothed with 0.5 per bucket, the population stability index (numpy,
the same smoothing on both sides) and numpy's linear-interpolation quantiles. Writes
tests/fixtures/monitor/reference.json; `cargo test` (tests/core/monitor.rs) compares without
Python.

    python3 -m venv /tmp/v && /tmp/v/bin/pip install scipy==1.17.1 numpy==2.4.6
    /tmp/v/bin/python scripts/make_monitor_reference.py
"""

import json
import pathlib

import numpy as np
import scipy
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

values = rng.normal(5.0, 2.0, size=257).astype(np.float32)
quantiles = {str(q): float(np.quantile(values.astype(np.float64), q)) for q in (0.0, 0.5, 0.9, 0.95, 1.0)}

out = {
    "scipy": scipy.__version__,
    "numpy": np.__version__,
    "smoothing": SMOOTHING,
    "chi_square": cases,
    "quantile_values": [float(v) for v in values],
    "quantiles": quantiles,
}
path = pathlib.Path(__file__).resolve().parent.parent / "tests/fixtures/monitor/reference.json"
path.write_text(json.dumps(out, indent=1) + "\n")
print(f"wrote {path}: {len(cases)} chi-square cases")
