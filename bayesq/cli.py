"""Command line: ``bayesq demo``, ``bayesq fit FILE --threshold T``, ``bayesq run SPEC``.

``fit`` and ``run`` write their results to an output directory (``--out``):
``summary.txt`` (the table and the convergence diagnostics), ``summary.csv``,
``fit.nc`` (the InferenceData, reloadable with :func:`bayesq.load`),
``trace.png``, ``posterior.png``, ``tail.png`` (posterior fit of the tail)
and ``prior.png`` (prior predictive check). The directory is written whole
or not at all: everything goes to a temporary directory beside it, renamed
into place at the end; an existing directory is replaced only with
``--force``.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import sys
import tempfile
import time
import warnings

import numpy as np


def _check_out(out, force) -> pathlib.Path | None:
    if out is None:
        return None
    out = pathlib.Path(out)
    if out.exists() and not force:
        raise SystemExit(f"bayesq: {out} exists; pass --force to replace it")
    if out.exists() and not out.is_dir():
        raise SystemExit(f"bayesq: {out} exists and is not a directory")
    return out


def write_outputs(result, out: pathlib.Path, extra: str = "") -> pathlib.Path:
    """Write the summary, the InferenceData and the plots of a fit to ``out``, atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bayesq.plots import plot_posterior, plot_tail, plot_trace

    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        problems = result.diagnostics().problems()
        text = str(result) + "\n" + "".join(f"WARNING: {p}\n" for p in problems) + extra
        (tmp / "summary.txt").write_text(text)
        result.summary().to_csv(tmp / "summary.csv")
        if "prior" not in result.idata:
            result.sample_prior()
        result.save(tmp / "fit.nc")
        for name, draw in (
            ("trace.png", lambda: plot_trace(result)),
            ("posterior.png", lambda: plot_posterior(result)),
            ("tail.png", lambda: plot_tail(result)),
            ("prior.png", lambda: plot_tail(result, group="prior")),
        ):
            axes = np.ravel(draw())
            axes[0].figure.savefig(tmp / name, dpi=110)
            plt.close(axes[0].figure)
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out


def _fit_options(args) -> dict:
    kwargs = dict(quiet=args.quiet)
    for name in ("sampler", "draws", "tune", "chains", "target_accept", "random_seed"):
        value = getattr(args, name)
        if value is not None:
            kwargs[name] = value
    return kwargs


def _report(result, out, extra=""):
    print(result)
    for problem in result.diagnostics().problems():
        print(f"WARNING: {problem}")
    if extra:
        print(extra, end="")
    if out is not None:
        print(f"results written to {write_outputs(result, out, extra)}")


def _fit(args) -> int:
    from bayesq.fit import fit

    out = _check_out(args.out, args.force)
    result = fit(
        args.file,
        args.threshold,
        maximize=not args.minimize,
        n_hyperparameters=args.n_hyperparameters,
        extract=args.extract,
        column=args.column,
        **_fit_options(args),
    )
    _report(result, out)
    return 0


def _run(args) -> int:
    from bayesq.spec import load_spec

    spec = load_spec(args.spec)
    out = _check_out(args.out, args.force)
    result = spec.run(**_fit_options(args))
    _report(result, out)
    return 0


def truth_table(result, truth: dict, ci: float = 0.9) -> str:
    """Posterior mean and central interval of each parameter beside the truth."""
    lo, hi = (1 - ci) / 2, (1 + ci) / 2
    rows = [f"{'':7}{'truth':>10}{'mean':>10}{f'{ci:.0%} interval':>24}  inside"]
    for name, value in truth.items():
        draws = result.draws(name).ravel()
        a, b = np.quantile(draws, [lo, hi])
        inside = "yes" if a <= value <= b else "NO"
        rows.append(f"{name:7}{value:10.4g}{draws.mean():10.4g}   [{a:9.4g}, {b:9.4g}]  {inside}")
    return "\n".join(rows) + "\n"


def _demo(args) -> int:
    from bayesq.spec import DEMO

    out = _check_out(args.out, args.force)
    sim = DEMO.simulation()
    print("bayesq demo: the posterior of a simulated random search with known truth")
    print(
        f"  {sim.scores.size} runs ({int(sim.failed.sum())} failed), noisy quadratic "
        + ", ".join(f"{k}={v}" for k, v in sim.truth.items())
        + f", threshold {DEMO.threshold} (maximize)\n"
    )
    start = time.perf_counter()
    result = DEMO.run(**_fit_options(args))
    elapsed = time.perf_counter() - start
    table = truth_table(result, sim.truth)
    _report(result, out, extra=f"\nposterior vs truth:\n{table}")
    print(f"fit in {elapsed:.1f} s (compilation included), sampler {result.settings['sampler']}")
    return 0


def _add_sampling_options(p):
    p.add_argument("--sampler", help="nutpie, pymc, numpyro, blackjax or auto (the default)")
    p.add_argument("--draws", type=int, help="draws per chain (default 1000)")
    p.add_argument("--tune", type=int, help="tuning steps per chain (default 1000)")
    p.add_argument("--chains", type=int, help="number of chains (default 4)")
    p.add_argument("--target-accept", type=float, help="NUTS target acceptance (default 0.9)")
    p.add_argument("--seed", dest="random_seed", type=int, help="random seed")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--out", help="output directory (summary, fit.nc, plots)")
    p.add_argument("--force", action="store_true", help="replace an existing output directory")


def main(argv=None) -> int:
    # bayesq's graphs are elementwise: PyTensor's BLAS notice does not apply to them
    warnings.filterwarnings("ignore", message="PyTensor could not link to a BLAS")
    parser = argparse.ArgumentParser(
        prog="bayesq", description="Bayesian analysis of hyperparameter random search."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="fit a simulated random search with known truth (the main job)")
    _add_sampling_options(demo)
    demo.set_defaults(func=_demo)

    fit = sub.add_parser("fit", help="fit the scores of a random search")
    fit.add_argument("file", help="scores: .jsonl (with --extract), .csv (with --column) or one per line")
    fit.add_argument("--threshold", type=float, required=True, help="start of the asymptotic regime")
    fit.add_argument("--minimize", action="store_true", help="lower scores are better (losses)")
    fit.add_argument("--extract", help="JSONL score extraction: best_matched, best_top_1 or a field name")
    fit.add_argument("--column", help="CSV column of the scores")
    fit.add_argument(
        "--n-hyperparameters", type=float, help="nominal number of hyperparameters (bounds gamma)"
    )
    _add_sampling_options(fit)
    fit.set_defaults(func=_fit)

    run = sub.add_parser("run", help="run an analysis spec (models/*.toml)")
    run.add_argument("spec", help="TOML analysis spec")
    _add_sampling_options(run)
    run.set_defaults(func=_run)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, ImportError) as err:
        print(f"bayesq: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
