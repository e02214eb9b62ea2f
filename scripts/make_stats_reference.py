#!/usr/bin/env python3
"""Reference values for labelscope's confidence intervals and significance tests, from
statsmodels: Wilson score intervals (`proportion_confint(method="wilson")`) and McNemar's exact
test (`mcnemar(table, exact=True)`). Writes tests/fixtures/stats/reference.json, which
`cargo test` compares against (no Python at test time).
Run: `pip install statsmodels` then `python scripts/make_stats_reference.py`.
"""
import json
import os

import statsmodels
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.proportion import proportion_confint

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "stats", "reference.json")

WILSON = [(0, 10), (1, 10), (5, 10), (10, 10), (97, 100), (99, 100), (1058, 1212),
          (87290, 100000), (3, 7), (0, 1), (1, 1)]
MCNEMAR = [(0, 0), (1, 0), (5, 24), (24, 5), (10, 10), (3, 9), (0, 12), (40, 61), (250, 310),
           (1, 1), (1200, 1100)]


def main():
    out = {
        "generator": "scripts/make_stats_reference.py",
        "statsmodels": statsmodels.__version__,
        "wilson_95": [{"k": k, "n": n, "ci": list(proportion_confint(k, n, alpha=0.05,
                                                                     method="wilson"))}
                      for k, n in WILSON],
        "mcnemar_exact": [{"b": b, "c": c,
                           "p": float(mcnemar([[0, b], [c, 0]], exact=True).pvalue)}
                          for b, c in MCNEMAR],
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=1)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
