"""threshold="auto" on the real searches, beside fixed thresholds: best-score intervals, weights, time.

For each shared data set (``models/*.toml``), the default ``bayesq.fit`` with ``threshold="auto"``
(:mod:`bayesq.stacking`) and with fixed thresholds: the analysis' own, and ``--thresholds NAME=T1,T2``
(by default deberta-base at 0.86, 0.87 and 0.88, the table of issue 45). Recorded per fit: the tail
runs, the 90 % interval and median of the best score (beta), gamma's median, and the seconds; for the
stacked fit also each candidate's threshold, tail runs, weight and interval, the share of the best
score's variance between candidates, and its time over that of the fit at the analysis' threshold.

Run: ``python benchmarks/bench_threshold_real.py [--datasets deberta-base,deberta-v3-base,alexnet]``.
"""

from __future__ import annotations

import argparse
import pathlib
import time
import warnings

import numpy as np
import recording

import bayesq
from bayesq.spec import load_spec

MODELS = pathlib.Path(__file__).parents[1] / "models"
CI = 0.9
EXTRA = "deberta-base=0.86,0.87,0.88"


def _interval(result) -> list[float]:
    q = [(1 - CI) / 2, 0.5, (1 + CI) / 2]
    return np.quantile(result.draws("beta" if result.maximize else "alpha").ravel(), q).tolist()


def _fixed(spec, threshold: float) -> dict:
    start = time.perf_counter()
    result = bayesq.fit(spec.scores(), **{**spec.fit_kwargs(quiet=True), "threshold": threshold})
    seconds = time.perf_counter() - start
    d = result.diagnostics()
    return {
        "threshold": threshold,
        "n_tail": result.settings.data.n_tail[0],
        "best": _interval(result),
        "gamma_median": float(np.median(result.draws("gamma"))),
        "seconds": seconds,
        "max_rhat": d.max_rhat,
        "divergences": d.divergences,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="deberta-base,deberta-v3-base,alexnet")
    parser.add_argument("--thresholds", default=EXTRA, help="NAME=T1,T2;NAME=... fixed thresholds to add")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    extra = {}
    for part in filter(None, args.thresholds.split(";")):
        name, values = part.split("=")
        extra[name] = [float(v) for v in values.split(",")]
    record = {}
    for name in args.datasets.split(","):
        spec = load_spec(MODELS / f"{name}.toml")
        fixed = [_fixed(spec, t) for t in sorted({spec.threshold, *extra.get(name, [])})]
        start = time.perf_counter()
        stacked = bayesq.fit(spec.scores(), **{**spec.fit_kwargs(quiet=True), "threshold": "auto"})
        seconds = time.perf_counter() - start
        table = stacked.thresholds(ci=CI)
        own = next(f for f in fixed if f["threshold"] == spec.threshold)
        d = stacked.diagnostics()
        record[name] = {
            "analysis_threshold": spec.threshold,
            "fixed": fixed,
            "auto": {
                "best": _interval(stacked),
                "gamma_median": float(np.median(stacked.draws("gamma"))),
                "seconds": seconds,
                "time_ratio": seconds / own["seconds"],
                "threshold_share": stacked.threshold_share,
                "favoured": stacked.threshold,
                "max_rhat": d.max_rhat,
                "divergences": d.divergences,
                "candidates": [
                    {
                        "threshold": float(t),
                        "n_tail": int(row["n_tail"]),
                        "weight": float(row["weight"]),
                        "best": [
                            float(row["best_lower"]),
                            float(row["best_median"]),
                            float(row["best_upper"]),
                        ],
                        "max_pareto_k": float(row["max_pareto_k"]),
                        "max_rhat": float(row["max_rhat"]),
                    }
                    for t, row in table.iterrows()
                ],
            },
        }
        print(f"## {name}")
        print("| threshold | tail runs | weight | beta 90 % interval | seconds |")
        print("|---|---|---|---|---|")
        for f in fixed:
            lo, _, hi = f["best"]
            print(
                f"| {f['threshold']:g} (fixed) | {f['n_tail']} | | [{lo:.5f}, {hi:.5f}] "
                f"| {f['seconds']:.1f} |"
            )
        for c in record[name]["auto"]["candidates"]:
            lo, _, hi = c["best"]
            print(
                f"| {c['threshold']:.5f} (candidate) | {c['n_tail']} | {c['weight']:.2f} "
                f"| [{lo:.5f}, {hi:.5f}] | |"
            )
        a = record[name]["auto"]
        print(
            f"| auto | | | [{a['best'][0]:.5f}, {a['best'][2]:.5f}] | {a['seconds']:.1f} "
            f"({a['time_ratio']:.1f}x the fit at {spec.threshold:g}) |\n"
            f"share of beta's variance between candidates: {a['threshold_share']:.0%}",
            flush=True,
        )
    recording.write("bench_threshold_real", {"ci": CI, "datasets": record})


if __name__ == "__main__":
    main()
