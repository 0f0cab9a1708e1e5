"""threshold="auto" on the real searches, beside fixed thresholds: best-score intervals, weights, time.

For each shared data set (``models/*.toml``), the default ``bayesq.fit`` with ``threshold="auto"``
(:mod:`bayesq.stacking`) and with fixed thresholds: the analysis' own, and ``--thresholds NAME=T1,T2``
(by default deberta-base at 0.86, 0.87 and 0.88, the table of issue 45). Recorded per fit: the tail
runs, the 90 % interval and median of the best score (beta), gamma's median, and the seconds; for the
stacked fit also each candidate's threshold, tail runs, weight and interval, the share of the best
score's variance between candidates, and its time over that of the fit at the analysis' threshold.

With ``--joint NAME,NAME`` (by default the two DeBERTas, which share a search space): the joint fit
(:func:`bayesq.fit_joint`, gamma pooled) with ``thresholds="auto"`` beside the one at the analyses'
thresholds: each search's best-score interval, the weights, each search's share of the best score's
variance between candidates, the probability that the second search beats the first, and the time.

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


def _joint(names) -> dict:
    """The joint fit of ``names`` at the analyses' thresholds and with ``thresholds="auto"``."""
    specs = {name: load_spec(MODELS / f"{name}.toml") for name in names}
    searches = {name: spec.scores() for name, spec in specs.items()}
    seed = specs[names[0]].fit_kwargs()["random_seed"]
    out = {}
    for label, thresholds in (("fixed", {n: s.threshold for n, s in specs.items()}), ("auto", "auto")):
        start = time.perf_counter()
        joint = bayesq.fit_joint(searches, thresholds, random_seed=seed, quiet=True)
        seconds = time.perf_counter() - start
        d = joint.diagnostics()
        comparison = bayesq.compare(joint)
        out[label] = {
            "best": {n: _interval(joint.result(n)) for n in names},
            "prob_better": float(comparison.prob_better(names[1], names[0])),
            "seconds": seconds,
            "max_rhat": d.max_rhat,
            "divergences": d.divergences,
        }
        if label == "auto":
            table = joint.thresholds(ci=CI)
            out[label].update(
                weights=joint.weights.tolist(),
                threshold_share=joint.threshold_share,
                candidates={
                    n: [
                        {
                            "threshold": float(t),
                            "n_tail": int(r["n_tail"]),
                            "pit_pvalue": float(r["pit_pvalue"]),
                        }
                        for t, r in table.loc[n].iterrows()
                    ]
                    for n in names
                },
            )
    out["auto"]["time_ratio"] = out["auto"]["seconds"] / out["fixed"]["seconds"]
    print(f"## joint: {', '.join(names)}")
    print(
        "| thresholds | "
        + " | ".join(f"{n} beta 90 %" for n in names)
        + f" | P({names[1]} better) | seconds |"
    )
    print("|---|" + "---|" * len(names) + "---|---|")
    for label in ("fixed", "auto"):
        r = out[label]
        cells = " | ".join(f"[{r['best'][n][0]:.5f}, {r['best'][n][2]:.5f}]" for n in names)
        print(f"| {label} | {cells} | {r['prob_better']:.3f} | {r['seconds']:.0f} |")
    a = out["auto"]
    print(
        f"weights {np.round(a['weights'], 2).tolist()}; share between thresholds "
        + ", ".join(f"{n} {v:.0%}" for n, v in a["threshold_share"].items())
        + f"; {a['time_ratio']:.1f}x the joint fit at the analyses' thresholds",
        flush=True,
    )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="deberta-base,deberta-v3-base,alexnet")
    parser.add_argument("--thresholds", default=EXTRA, help="NAME=T1,T2;NAME=... fixed thresholds to add")
    parser.add_argument(
        "--joint",
        default="deberta-base,deberta-v3-base",
        help='searches to fit jointly with "auto" ("": none)',
    )
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
                        "pit_pvalue": float(row["pit_pvalue"]),
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
    results = {"ci": CI, "datasets": record}
    if args.joint:
        results["joint"] = _joint(args.joint.split(","))
    recording.write("bench_threshold_real", results)


if __name__ == "__main__":
    main()
