"""Convergence and calibration of the default bayesq.fit (issue 3's standard).

Part ``real``: the three real data sets of ``models/`` with default settings
(4 chains x 1000 draws, tune 1000): divergences, R-hat, bulk and tail ESS of
alpha, beta, gamma, sigma, the 90 % interval of beta and opda's estimate of
beta (fitted in the same run with seeds 0-4: its optimizer is randomized, and
its beta moves by ~5e-5 on deberta-base between seeds) against it.

Part ``sim``: simulated random searches with known truth, gamma in {1, 2, 4},
sigma in {0.002, 0.02} (beta - alpha = 0.1), n in {48, 256, 1024}, threshold
at the median score, no failed runs (so the generating parameters are the
censored tail's, see ``SimulatedSearch.tail_truth``), ``--reps`` replicates
each: the same diagnostics, the share of draws in which the seed noise exceeds
the best score's lead over the threshold (``Diagnostics.noise_share``: the
noise arm's), and how often the truth lies in the 90 % central intervals
(nominal 0.90), and how many fits meet the standard by sigma and n and by
gamma. Both parts print each fit's largest power-scaling prior
sensitivity (``FitResult.prior_sensitivity``; 0.05 and above flags a prior
that moves the posterior).

``--geometry GAMMA SIGMA N`` fits the first replicate's search of that setting
and prints its draws grouped by the polar angle of the two scales (noise arm
to signal arm): how wide the tail mass and gamma are in each group, and the
noisy tail mass P(Y > t) against the noiseless one.

``--part real --seeds 8 --target-accept 0.8`` fits each real search with seeds
1-8 at another target acceptance rate; ``--tune N`` changes the tuning steps
of every fit (both parts), ``--max-tree-depth D`` the maximum tree depth
(at most 2**D - 1 leapfrog steps per draw). ``--sigma 0.02 --draws 4000`` refits
one noise level with more draws (is the remedy the diagnostics advise enough?).

Run: ``python benchmarks/bench_convergence.py [--part real|sim|all] [--reps 3]
[--sigma S ...] [--draws 1000] [--seeds N] [--target-accept P] [--tune N]
[--max-tree-depth D] [--geometry GAMMA SIGMA N]``.
"""

from __future__ import annotations

import argparse
import itertools
import pathlib
import time
import warnings

import numpy as np
import pandas as pd
import recording
import scipy.special
from opda.parametric import NoisyQuadraticDistribution

import bayesq
from bayesq.diagnostics import NOISE_SHARE_NAMED
from bayesq.logdensity import noisy_quadratic_logsf
from bayesq.model import PARAMETERS
from bayesq.priors import NoiseSignalPolar
from bayesq.simulate import simulate_random_search
from bayesq.spec import load_spec

MODELS = pathlib.Path(__file__).parents[1] / "models"
SIGMAS = (0.002, 0.02)
ALPHA, BETA = 0.8, 0.9  # the simulated searches' quadratic (beta - alpha = 0.1)
OPDA_SEEDS = 5


def interval(result, name, ci=0.9):
    return np.quantile(result.draws(name).ravel(), [(1 - ci) / 2, (1 + ci) / 2])


def given(**kwargs):
    """The keywords that were given (not None): what a study changes from bayesq.fit's defaults."""
    return {k: v for k, v in kwargs.items() if v is not None}


def real(seeds=None, target_accept=None, tune=None, max_tree_depth=None, extend=None, repeat=3):
    """The three real searches; with ``seeds``, one fit per seed 1..seeds (the specs' own is 1).

    Each fit is timed ``repeat`` times in turns with the same fit drawn once as asked
    (``extend=False``); the rows keep the median of each.
    """
    print(
        "| data | seed | n above | divergences | max R-hat | min ESS bulk | min ESS tail | beta 90% interval "
        f"| opda beta ({OPDA_SEEDS} seeds) | inside | prior sensitivity | time (s) | one run (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    overrides = given(
        quiet=True, target_accept=target_accept, tune=tune, max_tree_depth=max_tree_depth, extend=extend
    )
    rows = []
    for name in ("deberta-base", "deberta-v3-base", "alexnet"):
        spec = load_spec(MODELS / f"{name}.toml")
        scores = spec.scores()
        # opda's optimizer (differential evolution) is randomized: one fit per seed
        opda = np.array(
            [
                NoisyQuadraticDistribution.fit(
                    scores,
                    limits=(spec.threshold, np.inf),
                    constraints={"b": (0.0, 1.0)},
                    generator=np.random.default_rng(seed),
                    method="maximum_spacing",
                ).b
                for seed in range(OPDA_SEEDS)
            ]
        )
        with warnings.catch_warnings():  # both paths compiled and started before anything is timed
            warnings.simplefilter("ignore", RuntimeWarning)
            spec.run(quiet=True, draws=100, tune=100, extend=False)
            spec.run(quiet=True, draws=100, tune=100)
        for seed in [None] if seeds is None else range(1, seeds + 1):
            seeded = {} if seed is None else {"random_seed": seed}
            # the same fit, one run as asked (bayesq before the extension), then as the defaults fit,
            # in turns; the median time of each
            one_runs, times = [], []
            for _ in range(repeat):
                start = time.perf_counter()
                spec.run(**{**overrides, "extend": False}, **seeded)
                one_runs.append(time.perf_counter() - start)
                start = time.perf_counter()
                result = spec.run(**overrides, **seeded)
                times.append(time.perf_counter() - start)
            one_run, elapsed = float(np.median(one_runs)), float(np.median(times))
            d = result.diagnostics()
            lo, hi = interval(result, "beta")
            inside = int(np.sum((lo <= opda) & (opda <= hi)))
            prior = result.prior_sensitivity()["prior"]
            rows.append(
                {
                    "data": name,
                    "seed": result.settings["random_seed"],
                    "n_tail": result.settings["n_tail"],
                    "divergences": d.divergences,
                    "max_rhat": d.max_rhat,
                    "min_ess_bulk": d.min_ess_bulk,
                    "min_ess_tail": d.min_ess_tail,
                    "beta_90": [lo, hi],
                    "opda_beta": opda.tolist(),
                    "opda_inside": inside,
                    "max_prior_sensitivity": float(prior.max()),
                    "most_sensitive": prior.idxmax(),
                    "seconds": elapsed,
                    "seconds_one_run": one_run,
                    "repeat": repeat,
                    "draws": result.settings.sampler.draws,
                    "meets_standard": not d.problems(),
                }
            )
            print(
                f"| {name} | {result.settings['random_seed']} | {result.settings['n_tail']} | "
                f"{d.divergences} | {d.max_rhat:.4f} | {d.min_ess_bulk:.0f} | {d.min_ess_tail:.0f} | "
                f"[{lo:.6f}, {hi:.6f}] | "
                f"{opda.min():.6f}..{opda.max():.6f} | {inside} of {OPDA_SEEDS} | {sensitivity(result)} | "
                f"{elapsed:.1f} | {one_run:.1f} |",
                flush=True,
            )
    return rows


def sensitivity(result):
    """The largest power-scaling prior sensitivity of alpha, beta, gamma, sigma, and whose."""
    prior = result.prior_sensitivity()["prior"]
    return f"{prior.max():.3f} ({prior.idxmax()})"


def simulated(gamma, sigma, n, rep=0):
    """The study's simulated search of one setting and replicate, its threshold and seed."""
    seed = 1000 * rep + int(10 * gamma) + n + int(1000 * sigma)
    search = simulate_random_search(
        n=n, alpha=ALPHA, beta=BETA, gamma=gamma, sigma=sigma, failure_rate=0.0, random_seed=seed
    )
    return search, float(np.median(search.scores)), seed


def geometry(gamma, sigma, n):
    """Draws of one simulated fit grouped by the polar angle (logit) of the two scales."""
    search, threshold, seed = simulated(gamma, sigma, int(n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = bayesq.fit(search.scores, threshold, random_seed=seed, quiet=True)
    print(f"gamma {gamma:g}, sigma {sigma:g}, n {int(n)}: {result.diagnostics()}")
    post = result.idata.posterior
    # the sampled coordinates, from the recorded scales (the samplers no longer store them)
    angle = NoiseSignalPolar().forward(post["log_scales"].values).eval()[..., 1].ravel()
    logit_mass = scipy.special.logit(post["tail_mass"].values.ravel())
    log_gamma = np.log(post.gamma.values.ravel())
    mass = post.tail_mass.values.ravel()
    alpha, beta, gam, sig = (post[v].values.ravel() for v in PARAMETERS)
    at = np.full(alpha.size, threshold)
    noisy_mass = np.exp(noisy_quadratic_logsf(at, alpha, beta, gam, sig).eval())
    print(f"fraction of scores above the threshold: {np.mean(search.scores > threshold):.3f}")
    print(
        "| angle | draws | sd logit tail mass | sd log gamma | noisy P(Y > t) mean (sd) "
        "| noiseless tail mass mean (sd) | median sigma / (beta - t) |"
    )
    print("|---|---|---|---|---|---|---|")
    for lo, hi in ((-np.inf, -2), (-2, 0), (0, 2), (2, np.inf)):
        m = (angle > lo) & (angle <= hi)
        if m.sum() < 2:
            continue
        ratio = np.median(sig[m] / (beta[m] - threshold))
        print(
            f"| ({lo:g}, {hi:g}] | {m.sum()} | {logit_mass[m].std():.2f} | {log_gamma[m].std():.2f} | "
            f"{noisy_mass[m].mean():.3f} ({noisy_mass[m].std():.3f}) | "
            f"{mass[m].mean():.3f} ({mass[m].std():.3f}) | "
            f"{ratio:.2f} |"
        )


def sim(reps, sigmas=SIGMAS, draws=1000, tune=None, max_tree_depth=None, extend=None):
    print(
        "| gamma | sigma | n | n above | divergences | max R-hat | min ESS | noise share "
        "| truth in 90% (a, b, g, s) | prior sensitivity |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    records = []  # one per interval: parameter, gamma, sigma, n, truth inside
    rows = []  # one per fit, for the results file
    fits = []  # one per fit: gamma, sigma, n, meets the standard
    bad = 0
    split = 0  # short fits whose draws split between noise and signal (the warning names it)
    total = 0
    # replicate by replicate, so that a study stopped early is still balanced
    for rep in range(reps):
        for gamma, sigma, n in itertools.product((1.0, 2.0, 4.0), sigmas, (48, 256, 1024)):
            search, threshold, seed = simulated(gamma, sigma, n, rep)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                result = bayesq.fit(
                    search.scores,
                    threshold,
                    random_seed=seed,
                    quiet=True,
                    draws=draws,
                    **given(tune=tune, max_tree_depth=max_tree_depth, extend=extend),
                )
            seconds = time.perf_counter() - start
            d = result.diagnostics()
            drawn = result.settings.sampler
            total += 1
            short = bool(d.problems())
            bad += short
            split += short and d.splits_draws
            fits.append((gamma, sigma, n, not short))
            rows.append(
                {
                    "gamma": gamma,
                    "sigma": sigma,
                    "n": n,
                    "rep": rep,
                    "n_tail": result.settings["n_tail"],
                    "divergences": d.divergences,
                    "max_rhat": d.max_rhat,
                    "min_ess": min(d.min_ess_bulk, d.min_ess_tail),
                    "noise_share": d.noise_share,
                    "meets_standard": not short,
                    "draws": drawn.draws,
                    "chains": drawn.chains,
                    "target_accept": drawn.target_accept,
                    "seconds": seconds,
                    "inside_90": {},
                }
            )
            inside = []
            for name, value in search.tail_truth.items():
                lo, hi = interval(result, name)
                records.append((name, gamma, sigma, n, lo <= value <= hi))
                rows[-1]["inside_90"][name] = bool(lo <= value <= hi)
                inside.append("y" if lo <= value <= hi else "n")
            print(
                f"| {gamma:g} | {sigma:g} | {n} | {result.settings['n_tail']} | {d.divergences} | "
                f"{d.max_rhat:.3f} | {min(d.min_ess_bulk, d.min_ess_tail):.0f} | {d.noise_share:.3f} | "
                f"{' '.join(inside)} | {sensitivity(result)} |",
                flush=True,
            )
    print(f"\nfits short of the standard (divergences, R-hat > 1.01 or ESS < 400): {bad} of {total}")
    print(
        f"of those, draws split between noise and signal (noise share in [{NOISE_SHARE_NAMED}, "
        f"{1 - NOISE_SHARE_NAMED}]): {split}"
    )
    standard_report(fits)
    coverage_report(records)
    return rows


def standard_report(fits):
    """How many fits meet the standard, by sigma and n (rows, columns) and by gamma."""
    table = pd.DataFrame(fits, columns=["gamma", "sigma", "n", "ok"])
    cells = table.groupby(["sigma", "n"]).ok.agg(["sum", "size"])
    print("fits meeting the standard, by sigma (rows) and n (columns):")
    for sigma, row in cells.groupby(level="sigma"):
        parts = [f"n {n}: {ok} of {size}" for (_, n), (ok, size) in row.iterrows()]
        print(f"  sigma {sigma:g}: " + ", ".join(parts))
    by_gamma = table.groupby("gamma").ok.agg(["sum", "size"])
    print("by gamma: " + ", ".join(f"{g:g}: {ok} of {size}" for g, (ok, size) in by_gamma.iterrows()))


def coverage_report(records):
    """Coverage of the 90 % intervals by parameter, overall, and by gamma, sigma and n."""
    table = pd.DataFrame(records, columns=["parameter", "gamma", "sigma", "n", "inside"])
    for name in PARAMETERS:
        v = table.inside[table.parameter == name]
        print(
            f"coverage of the 90% interval, {name}: {v.mean():.3f} "
            f"(+- {np.sqrt(0.09 / v.size):.3f}, {v.size} fits)"
        )
    print(f"coverage, all parameters: {table.inside.mean():.3f} ({len(table)} intervals; nominal 0.900)")
    for label in ("gamma", "sigma", "n"):
        groups = table.groupby(label).inside
        parts = [
            f"{value:g}: {m:.3f} ({c})"
            for (value, m), c in zip(groups.mean().items(), groups.size(), strict=True)
        ]
        print(f"coverage by {label}: " + ", ".join(parts))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("real", "sim", "all"), default="all")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--sigma", type=float, action="append", help="only this sigma (repeatable; default 0.002, 0.02)"
    )
    parser.add_argument("--draws", type=int, default=1000, help="draws per chain of the simulated fits")
    parser.add_argument("--seeds", type=int, help="real data: fit each with seeds 1..SEEDS")
    parser.add_argument("--target-accept", type=float, help="real data: instead of the default (0.95)")
    parser.add_argument("--tune", type=int, help="tuning steps instead of the default (1000)")
    parser.add_argument("--max-tree-depth", type=int, help="cap on the NUTS tree depth (default: 10)")
    parser.add_argument(
        "--no-extend",
        dest="extend",
        action="store_false",
        default=None,
        help="one run as asked (extend=False), not sampling on until the standard holds",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="real data: timed pairs per fit (default fit, one run)"
    )
    parser.add_argument("--name", help="results file benchmarks/results/NAME.json (default by part)")
    parser.add_argument(
        "--geometry",
        type=float,
        nargs=3,
        metavar=("GAMMA", "SIGMA", "N"),
        help="one simulated fit's geometry",
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", message=".*BLAS.*")
    if args.geometry:
        geometry(*args.geometry)
        return
    names = ("draws", "seeds", "target_accept", "tune", "max_tree_depth", "extend")
    settings = {k: getattr(args, k) for k in names}
    if args.part in ("real", "all"):
        rows = real(args.seeds, args.target_accept, args.tune, args.max_tree_depth, args.extend, args.repeat)
        real_settings = {**settings, "repeat": args.repeat}
        recording.write(args.name or "bench_convergence_real", {"settings": real_settings, "fits": rows})
    if args.part in ("sim", "all"):
        rows = sim(
            args.reps, tuple(args.sigma or SIGMAS), args.draws, args.tune, args.max_tree_depth, args.extend
        )
        settings.update(reps=args.reps, sigmas=list(args.sigma or SIGMAS))
        recording.write(args.name or "bench_convergence_sim", {"settings": settings, "fits": rows})


if __name__ == "__main__":
    main()
