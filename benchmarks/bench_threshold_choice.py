"""How the choice of threshold moves the best-score interval, on searches with known truth.

Simulated random searches on a loss surface that is quadratic only near its optimum
(:func:`bayesq.simulate.simulate_surface_search`: a quartic term bends it away), so that their scores
follow the noisy quadratic distribution only in the limit of the best ones and no threshold is
exactly right. For ``--reps`` seeded searches, each is fitted (default ``bayesq.fit``) at thresholds
placed at the score quantiles ``--quantiles``, and the 90 % interval of the best score (beta) is set
against the truth:

* coverage: the share of searches whose interval holds beta (with its binomial standard error);
* width: the interval's mean width;
* interval score (Gneiting and Raftery 2007, at level 0.1): the width plus 20 times the distance by
  which the interval misses the truth, averaged; lower is better, and it rewards neither a wide
  interval nor a narrow one that misses.

The baseline that a threshold chosen from the data (issue 45, ``threshold="auto"``) must match or
beat: a fixed threshold is honest about its own tail only, and a low one is biased by the bend.

Run: ``python benchmarks/bench_threshold_choice.py [--reps 30] [--n 200] [--quantiles 0.5,0.7,0.85]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import recording

import bayesq
from bayesq.model import MIN_TAIL
from bayesq.simulate import simulate_surface_search

LEVEL = 0.1  # 90 % intervals


def interval_score(lower, upper, truth, level=LEVEL) -> float:
    """Gneiting and Raftery's interval score of [lower, upper] at ``level``: lower is better."""
    return (upper - lower) + (2 / level) * (max(0.0, lower - truth) + max(0.0, truth - upper))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--n", type=int, default=200, help="runs per search")
    parser.add_argument("--dims", type=int, default=4)
    parser.add_argument("--curvature", type=float, default=0.05)
    parser.add_argument("--quartic", type=float, default=0.1)
    parser.add_argument("--sigma", type=float, default=0.003)
    parser.add_argument("--quantiles", default="0.5,0.7,0.85")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    quantiles = [float(q) for q in args.quantiles.split(",")]
    surface = dict(dims=args.dims, curvature=args.curvature, quartic=args.quartic, sigma=args.sigma)
    rows = {q: {"inside": [], "width": [], "score": [], "seconds": [], "n_tail": []} for q in quantiles}
    for rep in range(args.reps):
        search = simulate_surface_search(n=args.n, **surface, random_seed=1000 + rep)
        truth = search.beta
        for q in quantiles:
            threshold = float(np.quantile(search.scores, q))
            if np.sum(search.scores > threshold) < MIN_TAIL:
                threshold = float(np.sort(search.scores)[-(MIN_TAIL + 1)])
            start = time.perf_counter()
            result = bayesq.fit(search.scores, threshold, quiet=True, random_seed=rep)
            seconds = time.perf_counter() - start
            best = result.best_score(ci=1 - LEVEL)
            row = rows[q]
            row["inside"].append(bool(best.lower <= truth <= best.upper))
            row["width"].append(float(best.upper - best.lower))
            row["score"].append(interval_score(best.lower, best.upper, truth))
            row["seconds"].append(seconds)
            row["n_tail"].append(int(np.sum(search.scores > threshold)))
        print(f"search {rep + 1}/{args.reps} done", flush=True)
    summary = {}
    print("| threshold quantile | tail runs | coverage (se) | mean width | mean interval score | s/fit |")
    print("|---|---|---|---|---|---|")
    for q, row in rows.items():
        inside = np.array(row["inside"], dtype=float)
        se = float(np.sqrt(inside.mean() * (1 - inside.mean()) / inside.size))
        summary[str(q)] = {
            "coverage": float(inside.mean()),
            "coverage_se": se,
            "mean_width": float(np.mean(row["width"])),
            "mean_interval_score": float(np.mean(row["score"])),
            "median_tail_runs": float(np.median(row["n_tail"])),
            "median_seconds": float(np.median(row["seconds"])),
        }
        s = summary[str(q)]
        print(
            f"| {q} | {s['median_tail_runs']:.0f} | {s['coverage']:.2f} ({se:.2f}) | {s['mean_width']:.5f} "
            f"| {s['mean_interval_score']:.5f} | {s['median_seconds']:.1f} |"
        )
    recording.write(
        "bench_threshold_choice",
        {
            "surface": {**surface, "n": args.n, "beta": 0.9},
            "reps": args.reps,
            "level": 1 - LEVEL,
            "fixed": summary,
        },
    )


if __name__ == "__main__":
    main()
