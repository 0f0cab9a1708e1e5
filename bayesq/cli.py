"""Command line interface: ``bayesq demo`` (more subcommands come with the fit)."""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np


def _demo(args) -> int:
    import pytensor
    import pytensor.tensor as pt

    from bayesq.logdensity import noisy_quadratic_logcdf, noisy_quadratic_logpdf
    from bayesq.simulate import simulate_random_search
    from bayesq.stats import noisy_quadratic

    sim = simulate_random_search(n=args.n, random_seed=args.seed)
    t = args.threshold
    tail = sim.scores[sim.scores > t]
    print("bayesq demo: a simulated random search with known truth")
    print(f"  truth: alpha={sim.alpha} beta={sim.beta} gamma={sim.gamma} sigma={sim.sigma} (maximize)")
    print(f"  {sim.scores.size} runs, {int(sim.failed.sum())} failed, {tail.size} above the threshold {t}")

    d = noisy_quadratic(**sim.truth)
    q = np.array([0.5, 0.9, 0.99])
    print("\n  quantiles of the scores     " + "  ".join(f"q={p:<5}" for p in q))
    print(
        "  simulated successes         "
        + "  ".join(f"{v:.5f}" for v in np.quantile(sim.scores[~sim.failed], q))
    )
    print("  noisy quadratic (truth)     " + "  ".join(f"{v:.5f}" for v in d.ppf(q)))

    # the censored log-likelihood: tail points exactly, the rest through log F(t)
    gamma = pt.dscalar("gamma")
    y = pt.dvector("y")
    args_true = (sim.alpha, sim.beta, gamma, sim.sigma)
    loglik = noisy_quadratic_logpdf(y, *args_true).sum() + (
        sim.scores.size - tail.size
    ) * noisy_quadratic_logcdf(t, *args_true)
    fn = pytensor.function([y, gamma], [loglik, pytensor.grad(loglik, gamma)])
    grid = np.linspace(0.5, 6.0, 111)
    start = time.perf_counter()
    values = np.array([fn(tail, g)[0] for g in grid])
    elapsed = time.perf_counter() - start
    best = grid[np.argmax(values)]
    print(f"\n  censored log-likelihood in gamma (others at the truth): maximized at gamma = {best:.2f}")
    print(
        f"  ({grid.size} evaluations of log-likelihood + gradient on {tail.size} points in {elapsed:.2f} s)"
    )
    print("\n  the posterior fit (bayesq.fit) builds on this distribution; see README.md.")
    return 0


def main(argv=None) -> int:
    # bayesq's graphs are elementwise: PyTensor's BLAS notice does not apply to them
    warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
    parser = argparse.ArgumentParser(
        prog="bayesq", description="Bayesian analysis of hyperparameter random search."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the built-in demonstration on a simulated random search")
    demo.add_argument("--n", type=int, default=512, help="number of simulated runs (default 512)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.add_argument("--threshold", type=float, default=0.87, help="threshold of the tail (default 0.87)")
    demo.set_defaults(func=_demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
