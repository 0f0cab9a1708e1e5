"""Extrapolating the tuning curve from small searches (Lourie et al., section 4.3, made Bayesian).

For deberta-base, deberta-v3-base (48 runs) and alexnet (64 runs): draw
``--reps`` subsamples without replacement from the full search, fit each with
the default ``bayesq.fit`` at the analysis' threshold (``models/*.toml``;
lowered to the subsample's ninth-best score when fewer than 8 runs lie
beyond it), and measure

(a) coverage: on a log grid of k from 1 to 128, restricted to the asymptotic
    regime of the fit (k >= k_regime), the fraction of k where the empirical
    median tuning curve of the *full* search lies inside the 80 % credible
    band of the median tuning curve (goal >= 0.8 on average, printed with
    its standard error over the subsamples); also where the misses fall (k
    within or beyond the subsample's size; the full curve below the band,
    i.e. the band optimistic, or above it);
(b) width: the 80 % band's width at k = 8, 32, 128 against opda's
    nonparametric 80 % band from the same subsample (support [0, 1]);
    opda's band is "trivial" when its upper end is the end of the support;
(c) reference (``--no-reference`` to skip): the fit of the whole search,
    whose band is set against its own empirical curve -- the misfit of the
    model itself, which no subsample can beat.

With ``--threshold auto`` (written to ``bench_extrapolation_auto.json``): each subsample is fitted
with ``threshold="auto"`` (:mod:`bayesq.stacking`) and at the analysis' threshold, and each candidate
of the stacked fit is scored as a fixed threshold of its own. Besides coverage over each fit's own
regime, every fit's band is scored over the same grid points, those of the analysis threshold's
regime: coverage there, and the interval score (Gneiting and Raftery 2007) of the band, its width
plus 10 times its miss at each k, averaged (lower is better).

Run: ``python benchmarks/bench_extrapolation.py [--reps 60] [--datasets deberta-base,...]``.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time
import warnings

import numpy as np
import recording
from opda.nonparametric import EmpiricalDistribution

import bayesq
from bayesq import frequentist
from bayesq.model import MIN_TAIL
from bayesq.spec import load_spec

MODELS = pathlib.Path(__file__).parents[1] / "models"
SUBSAMPLE = {"deberta-base": 48, "deberta-v3-base": 48, "alexnet": 64}
GRID = np.geomspace(1, 128, 40)
WIDTH_AT = np.array([8.0, 32.0, 128.0])
CI = 0.8


def _share(flags, mask) -> float:
    """The fraction of ``flags`` set among the grid points in ``mask`` (NaN when none are)."""
    return float(flags[mask].mean()) if mask.any() else np.nan


def _band(result, full_curve, size, common=None) -> dict:
    """Coverage, where the misses fall, and the interval score of ``result``'s band of the median curve.

    Over the fit's own regime (k >= its k_regime); with ``common`` (a k), also coverage and interval
    score over k >= ``common``: the same grid points for every fit of a subsample.
    """
    curve = result.tuning_curve(np.concatenate([GRID, WIDTH_AT]), ci=CI)
    band_lo, band_hi = curve.lower[: GRID.size], curve.upper[: GRID.size]
    regime = GRID >= curve.k_regime
    below, above = full_curve < band_lo, full_curve > band_hi
    inside = ~below & ~above
    beyond = GRID > size  # k beyond the subsample's size: extrapolation
    # Gneiting and Raftery's interval score of the band at each k (level 1 - CI), averaged over the regime
    miss = np.maximum(band_lo - full_curve, 0.0) + np.maximum(full_curve - band_hi, 0.0)
    score = (band_hi - band_lo) + (2 / (1 - CI)) * miss
    common = curve.k_regime if common is None else common
    shared = GRID >= common
    return {
        "k_regime": float(curve.k_regime),
        "coverage_common": _share(inside, shared),
        "interval_score_common": float(score[shared].mean()) if shared.any() else np.nan,
        "coverage": _share(inside, regime),
        # where the misses are: the full search's curve below the band (the band
        # optimistic) or above it, and coverage within / beyond the subsample's size
        "below": _share(below, regime),
        "above": _share(above, regime),
        "within": _share(inside, regime & ~beyond),
        "beyond": _share(inside, regime & beyond),
        "interval_score": float(score[regime].mean()) if regime.any() else np.nan,
        "ours": (curve.upper - curve.lower)[GRID.size :],
    }


def one(sub, full_curve, size, threshold, fit_kwargs, common=None):
    """One subsample: the fit at ``threshold`` (a number, or "auto" with each candidate's band too);
    ``common``: the k from which the bands of all fits of the subsample are compared (:func:`_band`)."""
    if threshold != "auto" and np.sum(sub > threshold) < MIN_TAIL:
        threshold = np.sort(sub)[-(MIN_TAIL + 1)]
    start = time.perf_counter()
    result = bayesq.fit(sub, threshold, quiet=True, **fit_kwargs)
    elapsed = time.perf_counter() - start
    lo, _, hi = frequentist.tuning_curve_band(sub, WIDTH_AT, CI, support=(0.0, 1.0))
    d = result.diagnostics()
    row = {
        **_band(result, full_curve, size, common),
        "opda": hi - lo,
        "trivial": hi >= 1.0,
        "threshold": result.threshold,
        "divergences": d.divergences,
        "max_rhat": d.max_rhat,
        "time": elapsed,
    }
    if threshold == "auto":
        row["weights"] = result.weights
        row["share"] = result.threshold_share
        row["candidates"] = [_band(c, full_curve, size, common) for c in result.candidates]
    return row


def reference(scores, full_curve, threshold, fit_kwargs) -> str:
    """How well the fit of the *whole* search matches its own empirical curve (the model's misfit)."""
    result = bayesq.fit(scores, threshold, quiet=True, **fit_kwargs)
    curve = result.tuning_curve(GRID, ci=CI)
    regime = GRID >= curve.k_regime
    miss = np.maximum(curve.lower - full_curve, full_curve - curve.upper)[regime]
    out = miss > 0
    where = ""
    if out.any():
        lo, hi = (f"{k:.0f}" for k in (GRID[regime][out].min(), GRID[regime][out].max()))
        where = f" (k = {lo})" if lo == hi else f" (k = {lo}-{hi})"
    return (
        f"the fit of all {scores.size} runs: its {CI:.0%} band misses the empirical curve at "
        f"{out.sum()} of {out.size} grid points{where}, by up to {max(miss.max(), 0.0):.5f}"
    )


def _se(values) -> float:
    """Standard error of the mean of the finite values (the subsamples are nearly independent)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return float(np.std(values, ddof=1) / np.sqrt(values.size)) if values.size > 1 else np.nan


def _jsonable(row):
    """A row of :func:`one` as JSON values (arrays as lists)."""
    if isinstance(row, dict):
        return {key: _jsonable(value) for key, value in row.items()}
    if isinstance(row, list):
        return [_jsonable(value) for value in row]
    return np.asarray(row).tolist()


def _auto_summary(fits) -> dict:
    """Coverage (mean, se) and mean interval score of the stacked fit, the analysis' threshold and each
    candidate, over the subsamples; and the best fixed threshold among them."""
    out = {}

    def add(label, bands):
        cov = [b["coverage"] for b in bands]
        common = [b["coverage_common"] for b in bands]
        out[label] = {
            "coverage": float(np.nanmean(cov)),
            "coverage_se": _se(cov),
            "coverage_common": float(np.nanmean(common)),
            "coverage_common_se": _se(common),
            # on the grid points of the analysis threshold's regime: the same points for every fit
            "interval_score": float(np.nanmean([b["interval_score_common"] for b in bands])),
        }

    add("auto", fits)
    add("analysis threshold", [f["fixed"] for f in fits])
    for j in range(min(len(f["candidates"]) for f in fits)):
        add(f"candidate {j + 1}", [f["candidates"][j] for f in fits])
    fixed = {k: v for k, v in out.items() if k != "auto"}
    best = min(fixed, key=lambda k: fixed[k]["interval_score"])
    out["best fixed"] = best
    # (tied scores can leave a subsample fewer candidates: its missing ones count as NaN)
    k = max(len(f["weights"]) for f in fits)
    padded = [
        np.pad(np.asarray(f["weights"], float), (0, k - len(f["weights"])), constant_values=np.nan)
        for f in fits
    ]
    out["mean_weights"] = np.nanmean(padded, axis=0).tolist()
    out["median_share"] = float(np.median([f["share"] for f in fits]))
    out["time_ratio"] = float(np.median([f["time"] / f["fixed"]["time"] for f in fits]))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--reps",
        type=int,
        default=60,
        help="subsamples per search (a subsample covers nearly all or nothing: 60 give a standard "
        "error near 0.03, 20 near 0.06, too coarse to tell 0.75 from 0.8)",
    )
    parser.add_argument("--datasets", default="deberta-base,deberta-v3-base,alexnet")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument(
        "--threshold",
        choices=["auto"],
        help='fit with threshold="auto" (bayesq.stacking), beside the analysis threshold and each '
        "candidate; written to bench_extrapolation_auto.json",
    )
    parser.add_argument(
        "--reference",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also fit the whole search and compare its band with its own empirical curve",
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    print(
        "| data | runs | fits | coverage (a) mean ± se [min] | our width k=8/32/128 "
        "| opda width k=8/32/128 | opda trivial k=8/32/128 | divergent fits | mean fit (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    all_coverage, where, record = [], [], {}
    for name in args.datasets.split(","):
        spec = load_spec(MODELS / f"{name}.toml")
        scores = spec.scores()
        full_curve = EmpiricalDistribution(scores).quantile_tuning_curve(GRID)
        fit_kwargs = {"draws": args.draws, "tune": args.tune}
        record[name] = {"runs": SUBSAMPLE[name], "threshold": spec.threshold, "fits": []}
        if args.reference:
            record[name]["reference"] = reference(scores, full_curve, spec.threshold, fit_kwargs)
            where.append(f"{name}: {record[name]['reference']}")
            print(where[-1], file=sys.stderr, flush=True)
        rng = np.random.default_rng(args.seed)
        rows = []
        for rep in range(args.reps):
            sub = rng.choice(scores, size=SUBSAMPLE[name], replace=False)
            if args.threshold == "auto":  # the same subsample at the analysis' threshold, side by side
                fixed = one(sub, full_curve, SUBSAMPLE[name], spec.threshold, fit_kwargs)
                row = one(sub, full_curve, SUBSAMPLE[name], "auto", fit_kwargs, common=fixed["k_regime"])
                row["fixed"] = fixed
            else:
                row = one(sub, full_curve, SUBSAMPLE[name], spec.threshold, fit_kwargs)
            rows.append(row)
            record[name]["fits"].append(_jsonable(row))
            print(
                f"{name} {rep}: coverage {row['coverage']:.2f} (k <= {SUBSAMPLE[name]}: {row['within']:.2f}, "
                f"beyond: {row['beyond']:.2f}; below band {row['below']:.2f}, above {row['above']:.2f}), "
                f"divergences {row['divergences']}, "
                f"max R-hat {row['max_rhat']:.3f}, {row['time']:.0f} s",
                file=sys.stderr,
                flush=True,
            )
        if not rows:
            continue
        all_coverage.extend(r["coverage"] for r in rows)
        where.append(
            f"{name}: coverage for k <= {SUBSAMPLE[name]} {np.nanmean([r['within'] for r in rows]):.2f}, "
            f"beyond {np.nanmean([r['beyond'] for r in rows]):.2f}; full curve below the band "
            f"{np.nanmean([r['below'] for r in rows]):.2f} of the grid, above "
            f"{np.nanmean([r['above'] for r in rows]):.2f}"
        )
        cov = np.array([r["coverage"] for r in rows])
        ours = np.mean([r["ours"] for r in rows], axis=0)
        opda = np.mean([r["opda"] for r in rows], axis=0)
        trivial = np.mean([r["trivial"] for r in rows], axis=0)
        divergent = sum(r["divergences"] > 0 for r in rows)
        fmt = "/".join
        print(
            f"| {name} | {SUBSAMPLE[name]} | {len(rows)} | "
            f"{np.nanmean(cov):.2f} ± {_se(cov):.2f} [{np.nanmin(cov):.2f}] | "
            f"{fmt(f'{w:.4f}' for w in ours)} | {fmt(f'{w:.4f}' for w in opda)} | "
            f"{fmt(f'{t:.0%}' for t in trivial)} | {divergent} | {np.mean([r['time'] for r in rows]):.0f} |",
            flush=True,
        )
    print("\n".join(where))
    settings = {"reps": args.reps, "seed": args.seed, "draws": args.draws, "tune": args.tune, "ci": CI}
    settings.update(grid=GRID.tolist(), width_at=WIDTH_AT.tolist())
    if args.threshold == "auto":
        record = {name: {**r, "summary": _auto_summary(r["fits"])} for name, r in record.items()}
        for name, r in record.items():
            print(f"{name}: " + "; ".join(f"{k} {v}" for k, v in r["summary"].items()))
    recording.write(
        "bench_extrapolation_auto" if args.threshold else "bench_extrapolation",
        {"settings": {**settings, "threshold": args.threshold}, "datasets": record},
    )
    if all_coverage:
        print(
            f"coverage (a) averaged over all {len(all_coverage)} fits: "
            f"{np.nanmean(all_coverage):.3f} ± {_se(all_coverage):.3f}"
        )


if __name__ == "__main__":
    main()
