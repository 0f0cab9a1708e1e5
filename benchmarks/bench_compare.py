"""Is bayesq.compare calibrated? Repeated simulated comparisons of two architectures (issue 5).

Each repetition simulates two random searches of ``--n`` runs with known,
slightly different best scores -- architecture A with
beta_A ~ U(0.89, 0.91), architecture B with beta_B = beta_A + delta,
delta ~ U(-0.004, 0.004); a shared gamma ~ U(1, 3) (one search space),
sigma ~ U(0.002, 0.006) each, alpha = beta - 0.1 -- fits each with the default
``bayesq.fit`` (threshold: the median score) and records

* u = P(beta_B - beta_A <= delta | data), the posterior CDF of the difference
  at the truth. Calibration means u ~ Uniform(0, 1): for every p, the event
  "delta lies below the posterior p-quantile of the difference", an event of
  posterior probability p, happens at rate p. The script prints that rate
  for p = 0.05 ... 0.95 with its binomial standard error, and a KS test of
  uniformity;
* P(B better than A | data) against whether B truly is (delta > 0), binned
  (reliability table: in the bin of probabilities near p, B should be better
  about p of the time), with Cox's logistic recalibration and Spiegelhalter's
  test (:func:`recalibration`), which use every case rather than bins.

With ``--truths prior`` the two searches' parameters are instead drawn
independently from the model's own priors, with the priors' unit and the
threshold fixed in advance (:func:`bayesq.sbc.prior_datasets`, threshold 0,
unit 1; fits with ``spread=1``). Then the posterior of the difference is
calibrated by construction if the sampler draws from the exact posterior:
u must be uniform. The two modes together separate the sampler's error (prior
mode) from the effect of truths the priors do not describe (default mode).

``--joint`` (uniform truths) fits the two searches in one posterior with gamma
pooled (:func:`bayesq.fit_joint`'s default), as a user who knows they share a
search space would; the truths do share gamma (56 s a repetition: a joint fit
compiles its model to JAX every time).

Run: ``python benchmarks/bench_compare.py [--reps 100] [--n 200] [--truths uniform|prior]
[--out results.csv]``; ``--report --out A.csv --against B.csv`` pairs two runs of the
same repetitions (:func:`paired`)
(a repetition, two fits, takes 15 s with ``--draws 500 --tune 500`` on the latest
2-core CPU machine, one process per core, since bayesq.fit compiles nutpie's program
once per process; 40-52 s before, 105 s on an earlier, slower host; rows are
appended to ``--out`` as they come, and a rerun with the same file resumes; a second
process with ``--reverse`` and the same ``--out`` works from the last repetition down,
on the other core). The measured repetitions are kept in ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import pathlib
import time
import warnings

import numpy as np
from scipy import optimize, special, stats

import bayesq
from bayesq.sbc import prior_datasets
from bayesq.simulate import simulate_random_search

FIELDS = [
    "rep",
    "beta_a",
    "delta",
    "gamma",
    "gamma_b",
    "sigma_a",
    "sigma_b",
    "u",
    "u_beta_a",
    "u_beta_b",
    "u_gamma_a",
    "u_gamma_b",
    "p_b_better",
    "divergences",
    "seconds",
]


def truth(rep: int, seed: int) -> dict:
    rng = np.random.default_rng([seed, rep])
    beta_a = rng.uniform(0.89, 0.91)
    return {
        "beta_a": beta_a,
        "delta": rng.uniform(-0.004, 0.004),
        "gamma": rng.uniform(1.0, 3.0),
        "sigma_a": rng.uniform(0.002, 0.006),
        "sigma_b": rng.uniform(0.002, 0.006),
    }


def searches(rep: int, seed: int, n: int, truths: str) -> tuple[dict, list, list, dict]:
    """The truth, the two searches' scores, their thresholds and the fits' extra settings."""
    if truths == "prior":
        drawn, scores, _ = prior_datasets(2, n, random_seed=[seed, rep], threshold=0.0, spread=1.0)
        a, b = drawn.iloc[0], drawn.iloc[1]
        t = {
            "beta_a": a["beta"],
            "delta": b["beta"] - a["beta"],
            "gamma": a["gamma"],
            "gamma_b": b["gamma"],
            "sigma_a": a["sigma"],
            "sigma_b": b["sigma"],
        }
        return t, list(scores), [0.0, 0.0], {"spread": 1.0}
    t = truth(rep, seed)
    t["gamma_b"] = t["gamma"]
    scores = [
        simulate_random_search(n, beta - 0.1, beta, t["gamma"], sigma, random_seed=[seed, rep, offset]).scores
        for offset, beta, sigma in (
            (0, t["beta_a"], t["sigma_a"]),
            (1, t["beta_a"] + t["delta"], t["sigma_b"]),
        )
    ]
    return t, scores, [float(np.median(y)) for y in scores], {}


def fit_pair(scores, thresholds, extra: dict, fit_kwargs: dict, seed: int, rep: int, joint: bool):
    """The two searches' posteriors, what :func:`bayesq.compare` takes of them, and their divergences.

    Separate default fits, or (``joint``) one posterior with gamma pooled
    across the two (:func:`bayesq.fit_joint`'s default).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if joint:
            both = bayesq.fit_joint(
                dict(zip("ab", scores, strict=True)),
                dict(zip("ab", thresholds, strict=True)),
                quiet=True,
                random_seed=100_000 * seed + 2 * rep,
                **fit_kwargs,
            )
            return both.results, both, both.diagnostics().divergences
        fits = {
            name: bayesq.fit(
                y, threshold, quiet=True, random_seed=100_000 * seed + 2 * rep + offset, **fit_kwargs, **extra
            )
            for offset, (name, y, threshold) in enumerate(zip("ab", scores, thresholds, strict=True))
        }
    return fits, fits, sum(fit.diagnostics().divergences for fit in fits.values())


def one(rep: int, seed: int, n: int, fit_kwargs: dict, truths: str = "uniform", joint: bool = False) -> dict:
    t, scores, thresholds, extra = searches(rep, seed, n, truths)
    start = time.perf_counter()
    fits, compared, divergences = fit_pair(scores, thresholds, extra, fit_kwargs, seed, rep, joint)
    cmp = bayesq.compare(compared, random_seed=rep)
    diff = cmp.difference("b", "a")
    # each fit alone: the posterior CDF of beta and of gamma at the truth
    own = {
        "u_beta_a": (fits["a"], "beta", t["beta_a"]),
        "u_beta_b": (fits["b"], "beta", t["beta_a"] + t["delta"]),
        "u_gamma_a": (fits["a"], "gamma", t["gamma"]),
        "u_gamma_b": (fits["b"], "gamma", t["gamma_b"]),
    }
    return {
        "rep": rep,
        **t,
        "u": float(np.mean(diff <= t["delta"])),
        **{key: float(np.mean(fit.draws(name) <= value)) for key, (fit, name, value) in own.items()},
        "p_b_better": cmp.prob_better("b", "a"),
        "divergences": divergences,
        "seconds": time.perf_counter() - start,
    }


def recalibration(p, outcome) -> str:
    r"""Calibration of probability forecasts ``p`` of binary ``outcome``, without bins.

    Cox's (1958) logistic recalibration fits
    :math:`\operatorname{logit} P(\text{outcome}) = a + b \operatorname{logit} p`
    by maximum likelihood: calibrated forecasts have :math:`a = 0, b = 1`
    (:math:`b < 1`: too confident, :math:`b > 1`: too timid); standard errors from
    the observed information, and the likelihood-ratio test of :math:`(0, 1)`
    (chi-square, 2 degrees of freedom). Spiegelhalter's (1986) statistic
    :math:`z = \sum (y - p)(1 - 2p) / \sqrt{\sum (1 - 2p)^2 p (1 - p)}` is
    standard normal under calibration. ``p`` is clipped to [0.001, 0.999] for
    the logits (a probability of 0 or 1 from finitely many draws).
    """
    p = np.clip(np.asarray(p, dtype=float), 1e-3, 1 - 1e-3)
    y = np.asarray(outcome, dtype=float)
    design = np.column_stack([np.ones_like(p), special.logit(p)])

    def nll(c):
        eta = design @ c
        return np.sum(np.logaddexp(0.0, eta) - y * eta)

    best = optimize.minimize(nll, [0.0, 1.0], jac=lambda c: design.T @ (special.expit(design @ c) - y))
    mu = special.expit(design @ best.x)
    se = np.sqrt(np.diag(np.linalg.inv(design.T @ (design * (mu * (1 - mu))[:, None]))))
    lr_p = stats.chi2.sf(2 * (nll(np.array([0.0, 1.0])) - best.fun), 2)
    z = np.sum((y - p) * (1 - 2 * p)) / np.sqrt(np.sum((1 - 2 * p) ** 2 * p * (1 - p)))
    return (
        f"Cox recalibration: intercept {best.x[0]:+.2f} (s.e. {se[0]:.2f}), slope {best.x[1]:.2f} "
        f"(s.e. {se[1]:.2f}); calibrated: 0, 1; likelihood-ratio p-value {lr_p:.2f}\n"
        f"Spiegelhalter z = {z:+.2f}, p-value {2 * stats.norm.sf(abs(z)):.2f}"
    )


def held(u) -> str:
    """Coverage of central 50/80/90 % intervals, normal score Phi^-1(u); u: posterior CDF at the truth."""
    u = np.asarray(u)
    # the central q interval holds the truth iff |u - 1/2| <= q/2
    rates = ", ".join(
        f"{q:.0%} {np.mean(np.abs(u - 0.5) <= q / 2):.3f} (s.e. {np.sqrt(q * (1 - q) / u.size):.3f})"
        for q in (0.5, 0.8, 0.9)
    )
    # the truth's normal score: standard normal when calibrated; a spread below 1, posteriors too wide
    z = stats.norm.ppf(np.clip(u, 1e-4, 1 - 1e-4))
    return f"{rates}; normal score of the truth: mean {z.mean():+.2f}, sd {z.std():.2f} (0, 1 if calibrated)"


def report(rows: list[dict]) -> None:
    u = np.array([r["u"] for r in rows])
    p = np.array([r["p_b_better"] for r in rows])
    better = np.array([r["delta"] > 0 for r in rows])
    n = u.size
    print(f"\n{n} simulated comparisons; fits with divergences: {sum(r['divergences'] > 0 for r in rows)}")
    print(f"mean time per comparison (two fits): {np.mean([r['seconds'] for r in rows]):.1f} s")
    print("\nevent: true difference below the posterior p-quantile of beta_B - beta_A")
    print("   p   observed rate  (binomial s.e.)")
    worst = 0.0
    for level in np.arange(0.05, 0.96, 0.1):
        rate = np.mean(u <= level)
        se = np.sqrt(level * (1 - level) / n)
        worst = max(worst, abs(rate - level) / se)
        print(f"  {level:.2f}   {rate:.3f}          ({se:.3f})")
    ks = stats.kstest(u, "uniform")
    print(f"KS test of u ~ Uniform(0, 1): D = {ks.statistic:.3f}, p-value = {ks.pvalue:.3f}")
    print(f"largest deviation: {worst:.1f} standard errors")
    print(f"central intervals of the difference holding the truth: {held(u)}")
    if "u_beta_a" in rows[0]:
        print("each fit alone, central intervals holding the truth (both searches):")
        for name in ("beta", "gamma"):
            print(f"  {name}: {held([r[f'u_{name}_{s}'] for r in rows for s in 'ab'])}")
            # errors shared by the two fits would cancel in the difference and narrow its spread
            rho = stats.spearmanr([r[f"u_{name}_a"] for r in rows], [r[f"u_{name}_b"] for r in rows])
            print(f"    Spearman correlation of the two fits' u: {rho.statistic:+.2f}")
        truth = np.array([r[key] for r in rows for key in ("gamma", "gamma_b")])
        u_gamma = np.array([r[f"u_gamma_{s}"] for r in rows for s in "ab"])
        print("  mean u of gamma by the truth's range (0.5 unbiased; above it, the posterior lies lower):")
        edges = np.quantile(truth, [0, 1 / 3, 2 / 3, 1])
        tercile = np.digitize(truth, edges[1:-1])  # disjoint: the two searches may share one gamma
        for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
            mask = tercile == i
            print(f"    gamma in [{lo:.2f}, {hi:.2f}]: {u_gamma[mask].mean():.3f} ({mask.sum()} fits)")
    print("\nreliability of P(B better than A): bins of the probability, frequency B truly better")
    edges = np.array([0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0])
    for lo, hi in itertools.pairwise(edges):
        mask = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if mask.any():
            print(
                f"  [{lo:.1f}, {hi:.1f}]  n = {mask.sum():3d}  mean P = {p[mask].mean():.3f}  "
                f"B better: {better[mask].mean():.3f}"
            )
    brier = np.mean((p - better) ** 2)
    print(f"Brier score {brier:.3f} (0.25 for always saying 1/2)")
    print(recalibration(p, better))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--n", type=int, default=200, help="runs per simulated search")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument(
        "--truths",
        choices=["uniform", "prior"],
        default="uniform",
        help="the two searches' parameters: the fixed ranges above, or drawn from the priors",
    )
    parser.add_argument(
        "--joint",
        action="store_true",
        help="uniform truths: fit the two searches in one posterior, gamma pooled (they share it)",
    )
    parser.add_argument("--out", type=pathlib.Path, help="CSV of the repetitions (appended; resumes)")
    parser.add_argument(
        "--reverse",
        action="store_true",
        help="take the repetitions from the last down: a second process can share --out",
    )
    parser.add_argument("--report", action="store_true", help="only print the report of the rows in --out")
    parser.add_argument(
        "--against",
        type=pathlib.Path,
        help="with --report: pair --out's repetitions with this file's (the same truths and data, refitted)",
    )
    args = parser.parse_args()
    if args.joint and args.truths == "prior":
        parser.error(
            "--joint pools gamma, which the prior mode draws independently per search: uniform truths only"
        )
    if args.against is not None and not args.report:
        parser.error("--against pairs two finished runs: it needs --report (and --out)")
    if args.report:
        if args.out is None:
            parser.error("--report prints the rows of --out: give --out")
        missing = [str(p) for p in (args.out, args.against) if p is not None and not p.exists()]
        if missing:
            parser.error(f"--report: no such file {', '.join(missing)}")
    # bayesq's graphs are elementwise: PyTensor's BLAS notice does not apply to them
    warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
    rows = read_rows(args.out)
    if args.report:
        if args.against is not None:
            paired(rows, read_rows(args.against))
        else:
            report(sorted(rows, key=lambda r: r["rep"]))
        return
    if rows:
        print(f"resuming: {len(rows)} repetitions in {args.out}")
    order = range(args.reps - 1, -1, -1) if args.reverse else range(args.reps)
    for rep in order:
        # another process may be filling the same file: read what it has done
        rows = read_rows(args.out) or rows
        if rep in {int(r["rep"]) for r in rows}:
            continue
        row = one(rep, args.seed, args.n, {"draws": args.draws, "tune": args.tune}, args.truths, args.joint)
        rows.append(row)
        print(
            f"rep {rep:3d}: delta {row['delta']:+.4f}  P(B better) {row['p_b_better']:.3f}  "
            f"u {row['u']:.3f}  ({row['seconds']:.0f} s)",
            flush=True,
        )
        if args.out is not None:
            new = not args.out.exists()
            # a file begun by an earlier version keeps its own columns
            fields = FIELDS if new else csv.DictReader(args.out.open()).fieldnames
            with args.out.open("a", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
                if new:
                    writer.writeheader()
                writer.writerow(row)
    report(sorted(read_rows(args.out) or rows, key=lambda r: r["rep"])[: args.reps])


def paired(rows: list[dict], other: list[dict]) -> None:
    """Two runs of the same repetitions (same seeds, so the same truths and scores) compared fit by fit.

    Where only the sampling differs (another sampler, program or version),
    their u and P(B better) should differ by Monte Carlo error, and their
    |u - 1/2| (how far the truth lies from the posterior's middle) not at all
    in distribution (Wilcoxon's signed-rank test of the pairs); between
    models (``--joint`` against separate fits) the test says whether one
    puts the truth nearer its posterior's middle.
    """
    mine = {int(r["rep"]): r for r in rows}
    pairs = [(mine[int(r["rep"])], r) for r in other if int(r["rep"]) in mine]
    if not pairs:
        raise SystemExit("no repetition appears in both files")
    if not all(np.isclose(a["delta"], b["delta"]) for a, b in pairs):
        raise SystemExit("the files hold different truths for the same repetitions: not the same study")
    u = np.array([[a["u"], b["u"]] for a, b in pairs])
    p = np.array([[a["p_b_better"], b["p_b_better"]] for a, b in pairs])
    du, dp = u[:, 0] - u[:, 1], p[:, 0] - p[:, 1]
    print(f"{len(pairs)} repetitions in both files (same truths)")
    print(f"u: difference mean {du.mean():+.4f}, sd {du.std(ddof=1):.4f}, largest {np.abs(du).max():.4f}")
    print(f"P(B better): difference sd {dp.std(ddof=1):.4f}, largest {np.abs(dp).max():.4f}")
    far = np.abs(u - 0.5)
    test = stats.wilcoxon(far[:, 0], far[:, 1])
    print(
        f"mean |u - 1/2|: {far[:, 0].mean():.3f} (--out) against {far[:, 1].mean():.3f} (--against); "
        f"Wilcoxon signed-rank p-value {test.pvalue:.2f}"
    )


def read_rows(path) -> list[dict]:
    """The repetitions recorded in the CSV ``path`` (none if absent), one per repetition."""
    if path is None or not path.exists():
        return []
    with path.open() as fh:
        rows = {}
        for row in csv.DictReader(fh):
            rows.setdefault(int(float(row["rep"])), {k: float(v) for k, v in row.items()})
    return list(rows.values())


if __name__ == "__main__":
    main()
