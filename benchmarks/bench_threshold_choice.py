"""How the choice of threshold moves the best-score interval, on searches with known truth.

Simulated random searches on a loss surface that is quadratic only near its optimum
(:func:`bayesq.simulate.simulate_surface_search`: a quartic term bends it away), so that their scores
follow the noisy quadratic distribution only in the limit of the best ones and no threshold is
exactly right. For ``--reps`` seeded searches, each is fitted with ``threshold="auto"``
(:mod:`bayesq.stacking`: candidate fits stacked by their leave-one-out score of the best runs) and at
fixed thresholds placed at the score quantiles ``--quantiles`` (defaults otherwise, each fit with
``time_limit=--time-limit``). Each candidate of the stacked fit is also a fixed-threshold fit, and is
reported as one. The 90 % interval of the best score (beta) is set against the truth:

* coverage: the share of searches whose interval holds beta (with its binomial standard error);
* width: the interval's mean width;
* interval score (Gneiting and Raftery 2007, at level 0.1): the width plus 20 times the distance by
  which the interval misses the truth, averaged; lower is better, and it rewards neither a wide
  interval nor a narrow one that misses.

A fixed threshold is honest about its own tail only, and a low one is biased by the bend; the
stacked fit should hold the truth 0.86-0.94 of the time. "auto, plain stacking" mixes the same
candidates with the weights of plain stacking (:func:`bayesq.stacking.stacking_weights` with
``bootstrap=0``), to show what the bootstrap of the weights adds. Also recorded: the mean weight of each
candidate, the candidates left out for disagreeing chains, the share of the best score's variance
between candidates, and the time of a stacked fit over that of a fixed one (median ratio).
The candidates left out are counted by reason: chains that disagree, or a tail PIT that rejects.

Run: ``python benchmarks/bench_threshold_choice.py [--reps 60] [--n 200] [--quantiles 0.7]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import recording

import bayesq
from bayesq import stacking
from bayesq.model import MIN_TAIL
from bayesq.simulate import simulate_surface_search

LEVEL = 0.1  # 90 % intervals


def interval_score(lower, upper, truth, level=LEVEL) -> float:
    """Gneiting and Raftery's interval score of [lower, upper] at ``level``: lower is better."""
    return (upper - lower) + (2 / level) * (max(0.0, lower - truth) + max(0.0, truth - upper))


def _plain_stacking(stacked):
    """The 90 % interval of beta had the weights not been bootstrapped (``stacking_weights(bootstrap=0)``),
    from the same candidates: their mixture's weighted quantiles."""
    elpd_i = stacked.idata.stacking["elpd_i"].values.T  # runs x candidates
    usable = np.all(np.isfinite(elpd_i), axis=0)
    weights = np.zeros(usable.size)
    weights[usable] = stacking.stacking_weights(elpd_i[:, usable], bootstrap=0)
    draws = [c.draws("beta").ravel() for c in stacked.candidates]
    values = np.concatenate(draws)
    mass = np.concatenate([np.full(d.size, w / d.size) for d, w in zip(draws, weights, strict=True)])
    order = np.argsort(values)
    cdf = np.cumsum(mass[order])
    return tuple(np.interp([LEVEL / 2, 1 - LEVEL / 2], cdf / cdf[-1], values[order]))


def _row(best, truth) -> dict:
    return {
        "inside": bool(best[0] <= truth <= best[1]),
        "width": float(best[1] - best[0]),
        "score": interval_score(best[0], best[1], truth),
    }


def _summary(rows) -> dict:
    inside = np.array([r["inside"] for r in rows], dtype=float)
    out = {
        "coverage": float(inside.mean()),
        "coverage_se": float(np.sqrt(inside.mean() * (1 - inside.mean()) / inside.size)),
        "mean_width": float(np.mean([r["width"] for r in rows])),
        "mean_interval_score": float(np.mean([r["score"] for r in rows])),
    }
    for key in ("n_tail", "seconds", "share"):
        if key in rows[0]:
            out[f"median_{key}"] = float(np.median([r[key] for r in rows]))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=60)
    parser.add_argument("--n", type=int, default=200, help="runs per search")
    parser.add_argument("--dims", type=int, default=4)
    parser.add_argument("--curvature", type=float, default=0.05)
    parser.add_argument("--quartic", type=float, default=0.1)
    parser.add_argument("--sigma", type=float, default=0.003)
    parser.add_argument(
        "--quantiles",
        default="0.7",
        help="fixed thresholds at these score quantiles (also timed), comma separated",
    )
    parser.add_argument("--time-limit", type=float, default=120.0, help="time_limit of each fit (seconds)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    quantiles = [float(q) for q in args.quantiles.split(",") if q]
    surface = dict(dims=args.dims, curvature=args.curvature, quartic=args.quartic, sigma=args.sigma)
    options = dict(quiet=True, time_limit=args.time_limit)
    rows, weights, left_out = {}, [], {"chains disagree": 0, "tail PIT rejects": 0}
    for rep in range(args.reps):
        search = simulate_surface_search(n=args.n, **surface, random_seed=1000 + rep)
        truth = search.beta
        start = time.perf_counter()
        stacked = bayesq.fit(search.scores, "auto", random_seed=rep, **options)
        seconds = time.perf_counter() - start
        best = stacked.best_score(ci=1 - LEVEL)
        rows.setdefault("auto", []).append(
            {**_row((best.lower, best.upper), truth), "seconds": seconds, "share": stacked.threshold_share}
        )
        plain = _plain_stacking(stacked)
        rows.setdefault("auto, plain stacking", []).append(_row(plain, truth))
        table = stacked.thresholds(ci=1 - LEVEL)
        weights.append(table["weight"].to_numpy())
        left_out["chains disagree"] += int(np.sum(table["max_rhat"] > stacking.STACKED_RHAT))
        left_out["tail PIT rejects"] += int(np.sum(table["pit_pvalue"] < stacking.MIN_PIT_PVALUE))
        for j, (_, c) in enumerate(table.iterrows()):
            label = f"candidate {j + 1}"
            rows.setdefault(label, []).append(
                {**_row((c["best_lower"], c["best_upper"]), truth), "n_tail": int(c["n_tail"])}
            )
        for q in quantiles:
            threshold = float(np.quantile(search.scores, q))
            if np.sum(search.scores > threshold) < MIN_TAIL:
                threshold = float(np.sort(search.scores)[-(MIN_TAIL + 1)])
            start = time.perf_counter()
            result = bayesq.fit(search.scores, threshold, random_seed=rep, **options)
            seconds = time.perf_counter() - start
            best = result.best_score(ci=1 - LEVEL)
            rows.setdefault(f"quantile {q}", []).append(
                {
                    **_row((best.lower, best.upper), truth),
                    "seconds": seconds,
                    "n_tail": int(np.sum(search.scores > threshold)),
                }
            )
        print(
            f"search {rep + 1}/{args.reps}: auto {'holds' if rows['auto'][-1]['inside'] else 'misses'} beta, "
            f"weights {np.round(weights[-1], 2).tolist()}, {rows['auto'][-1]['seconds']:.0f} s",
            flush=True,
        )
    summary = {label: _summary(r) for label, r in rows.items()}
    print("| threshold | tail runs | coverage (se) | mean width | mean interval score | s/fit |")
    print("|---|---|---|---|---|---|")
    for label, s in summary.items():
        tail = f"{s['median_n_tail']:.0f}" if "median_n_tail" in s else "stacked"
        secs = f"{s['median_seconds']:.1f}" if "median_seconds" in s else "-"
        print(
            f"| {label} | {tail} | {s['coverage']:.2f} ({s['coverage_se']:.2f}) | {s['mean_width']:.5f} "
            f"| {s['mean_interval_score']:.5f} | {secs} |"
        )
    mean_weights = np.mean(weights, axis=0).tolist() if len({w.size for w in weights}) == 1 else None
    timing = {}
    for q in quantiles:
        ratio = [
            a["seconds"] / f["seconds"] for a, f in zip(rows["auto"], rows[f"quantile {q}"], strict=True)
        ]
        timing[f"quantile {q}"] = float(np.median(ratio))
        print(f"auto fit time / fixed fit at quantile {q}: median {timing[f'quantile {q}']:.1f}x")
    recording.write(
        "bench_threshold_choice",
        {
            "surface": {**surface, "n": args.n, "beta": 0.9},
            "reps": args.reps,
            "level": 1 - LEVEL,
            "time_limit": args.time_limit,
            "methods": summary,
            "mean_weights": mean_weights,
            "candidates_left_out": left_out,
            "auto_time_ratio": timing,
        },
    )


if __name__ == "__main__":
    main()
