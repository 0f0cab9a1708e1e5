"""Which candidates ``threshold="auto"`` should stack: rules compared on the same fits of the real searches.

The subsamples of ``bench_extrapolation.py`` (48 runs of each DeBERTa, 64 of AlexNet; the same seed,
so the same subsamples) are fitted once at every threshold any rule below needs, and at the
analysis' threshold. Each rule then picks its candidates among those fits and stacks them
(:func:`bayesq.stacked.stack`, with its R-hat and tail-PIT checks), so the rules differ only in
their choice, not in their draws:

* ``floor 8``: 5 candidates from 60 % of the runs down to the larger of 10 % and 8 runs
  (:func:`bayesq.stacking.candidate_thresholds` with ``floor=8``; the ladder shipped before);
* ``floor 16``: the same with at least 16 runs beyond the highest;
* ``floor 16, else 8``: ``floor 16``, unless the tail PIT rejects one of its candidates (the bulk
  reaches into the ladder: AlexNet's diverged runs), then ``floor 8``: the shipped rule
  (:func:`bayesq.stacking.candidate_ladders`; at 48 and 64 runs its first ladder is ``floor 16``);
* ``both ladders``: every candidate of the two ladders, about 9;
* ``most runs the PIT accepts``: no stacking, the fit of the ``floor 8`` candidate with the most
  tail runs whose PIT p-value is at least :data:`bayesq.stacking.MIN_PIT_PVALUE` (a
  goodness-of-fit stopping rule, as in Bader, Yan and Zhang 2018);
* ``candidate j alone``: each candidate of ``floor 8`` as a fixed threshold;
* ``..., equal weights``: the candidates of ``floor 8`` or ``floor 16, else 8`` mixed with equal
  weights (those the R-hat and PIT checks keep): what the stacking weights add.

Each is scored as ``bench_extrapolation.py --threshold auto`` scores its fits: the 80 % band of the
median tuning curve against the full search's curve, over the grid points of the analysis
threshold's regime, by coverage and by the interval score (width plus 10 times the miss, averaged;
lower is better). Recorded per rule and data set: the mean interval score, its ratio to the
analysis threshold's (an oracle, chosen on the full search), the paired difference over its
standard error, coverage, and the mean number of candidates.

Run: ``python benchmarks/bench_threshold_rules.py [--reps 10] [--datasets deberta-base,...]``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import bench_extrapolation as extrapolation
import numpy as np
import recording
from opda.nonparametric import EmpiricalDistribution

import bayesq
from bayesq import stacking
from bayesq.model import MIN_TAIL
from bayesq.pit import pit_test
from bayesq.spec import load_spec
from bayesq.stacked import StackedFit, considered_candidates, stack, stacked_posterior, stacked_tree

FLOORS = (8, 16)


def ladder(scores, floor: int) -> np.ndarray:
    """:func:`bayesq.stacking.candidate_thresholds` with ``floor`` runs at least beyond the highest."""
    return stacking.candidate_thresholds(scores, floor=floor)


def _pick(fits: dict, thresholds) -> list:
    return [fits[float(t)] for t in thresholds]


def _accepted(fit) -> bool:
    return pit_test(fit).pvalue >= stacking.MIN_PIT_PVALUE


def rules(scores, fits: dict) -> dict:
    """Each rule's candidates among ``fits`` (threshold: fit), most tail runs first."""
    low, high = (_pick(fits, ladder(scores, floor)) for floor in FLOORS)
    out = {
        "floor 8": low,
        "floor 16": high,
        "floor 16, else 8": high if all(_accepted(f) for f in high) else low,
        "both ladders": [fits[t] for t in sorted(fits)],
        "most runs the PIT accepts": [next((f for f in low if _accepted(f)), low[-1])],
    }
    out.update({f"candidate {j + 1} alone": [f] for j, f in enumerate(low)})
    return out


EQUAL = ("floor 8", "floor 16, else 8")  # the rules also mixed with equal weights


def equal_weights(result):
    """The stacked fit ``result`` with its candidates mixed equally, those its checks keep (weight > 0
    needs R-hat <= STACKED_RHAT and a tail PIT p-value >= MIN_PIT_PVALUE)."""
    s = result.idata.stacking.to_dataset()
    kept = considered_candidates(s["max_rhat"].values, s["pit_pvalue"].values)
    weights = kept / kept.sum()
    fits = result.candidates
    return StackedFit(
        stacked_tree(
            fits, stacked_posterior(fits, weights, "stacked"), s.assign(weight=("candidate", weights))
        )
    )


def one(sub, full_curve, size, threshold, seed, fit_kwargs) -> dict:
    """One subsample: the fit at the analysis threshold and every rule's stacked fit, scored."""
    if np.sum(sub > threshold) < MIN_TAIL:
        threshold = np.sort(sub)[-(MIN_TAIL + 1)]
    fixed = bayesq.fit(sub, float(threshold), **fit_kwargs)
    row = {"analysis threshold": extrapolation._band(fixed, full_curve, size)}
    common = row["analysis threshold"]["k_regime"]
    needed = np.unique(np.concatenate([ladder(sub, floor) for floor in FLOORS]))
    fits, seconds = {}, {}
    for t in needed:
        start = time.perf_counter()
        fits[float(t)] = bayesq.fit(sub, float(t), **fit_kwargs)
        seconds[float(t)] = time.perf_counter() - start
    chosen = rules(sub, fits)
    results = {rule: c[0] if len(c) == 1 else stack(c, random_seed=seed) for rule, c in chosen.items()}
    for rule in EQUAL:
        results[f"{rule}, equal weights"] = equal_weights(results[rule])
        chosen[f"{rule}, equal weights"] = chosen[rule]
    for rule, result in results.items():
        band = extrapolation._band(result, full_curve, size, common)
        band.pop("ours")
        band["n_candidates"] = len(chosen[rule])
        band["n_tail"] = [int(f.settings.data.n_tail[0]) for f in chosen[rule]]
        band["weights"] = result.weights.tolist() if len(chosen[rule]) > 1 else [1.0]
        band["fit_seconds"] = sum(seconds[f.threshold] for f in chosen[rule])
        row[rule] = band
    row["analysis threshold"].pop("ours")
    return row


def summary(rows) -> dict:
    """Per rule: mean interval score, its ratio to the analysis threshold's, the paired difference
    over its standard error, coverage (mean, se), and the mean number of candidates."""
    reference = np.array([r["analysis threshold"]["interval_score_common"] for r in rows])
    out = {}
    for rule in rows[0]:
        score = np.array([r[rule]["interval_score_common"] for r in rows])
        coverage = np.array([r[rule]["coverage_common"] for r in rows])
        diff = score - reference
        out[rule] = {
            "interval_score": float(score.mean()),
            "ratio": float(score.mean() / reference.mean()),
            "paired_diff_over_se": float(diff.mean() / (diff.std(ddof=1) / np.sqrt(diff.size)))
            if rule != "analysis threshold"
            else 0.0,
            "coverage": float(coverage.mean()),
            "coverage_se": float(coverage.std(ddof=1) / np.sqrt(coverage.size)),
            "candidates": float(np.mean([r[rule].get("n_candidates", 1) for r in rows])),
        }
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10, help="subsamples per search")
    parser.add_argument("--datasets", default="deberta-base,deberta-v3-base,alexnet")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    fit_kwargs = {"draws": args.draws, "tune": args.tune, "maximize": True, "quiet": True}
    record = {}
    for name in args.datasets.split(","):
        spec = load_spec(extrapolation.MODELS / f"{name}.toml")
        scores = spec.scores()
        full_curve = EmpiricalDistribution(scores).quantile_tuning_curve(extrapolation.GRID)
        size = extrapolation.SUBSAMPLE[name]
        rng = np.random.default_rng(args.seed)  # (bench_extrapolation's subsamples)
        rows = []
        for rep in range(args.reps):
            sub = rng.choice(scores, size=size, replace=False)
            rows.append(one(sub, full_curve, size, spec.threshold, rep, fit_kwargs))
            print(f"{name} {rep}", flush=True)
        record[name] = {"runs": size, "threshold": spec.threshold, "fits": rows, "summary": summary(rows)}
        print(f"## {name} ({size} runs, {args.reps} subsamples)")
        print("| rule | interval score | / analysis threshold | paired diff / se | coverage | candidates |")
        print("|---|---|---|---|---|---|")
        for rule, s in record[name]["summary"].items():
            print(
                f"| {rule} | {s['interval_score']:.5f} | {s['ratio']:.3f} | {s['paired_diff_over_se']:.1f} "
                f"| {s['coverage']:.2f} ± {s['coverage_se']:.2f} | {s['candidates']:.1f} |",
                flush=True,
            )
    settings = {"reps": args.reps, "seed": args.seed, "draws": args.draws, "tune": args.tune}
    recording.write("bench_threshold_rules", {"settings": settings, "datasets": record})


if __name__ == "__main__":
    main()
