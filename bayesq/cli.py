"""Command line: ``bayesq demo``, ``bayesq fit FILE --threshold T``, ``bayesq run SPEC``,
``bayesq curves FIT``, ``bayesq thresholds FILE --thresholds T1,T2,...``,
``bayesq compare FIT FIT ...``.

``fit`` and ``run`` write their results to an output directory (``--out``):
``summary.txt`` (the table, the convergence diagnostics and the prior
sensitivity), ``summary.csv``,
``fit.nc`` (the InferenceData, reloadable with :func:`bayesq.load`),
``trace.png``, ``posterior.png``, ``tail.png`` (posterior fit of the tail)
and ``prior.png`` (prior predictive check). The directory is written whole
or not at all: everything goes to a temporary directory beside it, renamed
into place at the end; an existing directory is replaced only with
``--force``.

``curves`` reads a saved fit (``fit.nc`` or the directory holding it) and
writes ``tuning_curve.csv``, ``best_after.csv``, ``best_score.txt``,
``tuning_curve.png`` and ``cdf.png``; ``thresholds`` fits each candidate
threshold and writes ``thresholds.csv`` and ``thresholds.png``
(:mod:`bayesq.thresholds`), the same way.

``compare`` reads two or more saved fits (or one saved joint fit,
:func:`bayesq.fit_joint`) and writes ``comparison.txt``, ``summary.csv``,
``pairs.csv`` (probability that one search's best score beats another's,
differences of best score, gamma and sigma), ``curve_probability.csv``
(the probability that one tuning curve, median or mean as ``--kind`` says, beats the other's,
along k, for every pair),
``forest.png`` and ``tuning_curves.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
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


@contextlib.contextmanager
def atomic_directory(out: pathlib.Path):
    """Yield a temporary directory beside ``out``; on success it replaces ``out`` whole."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        yield tmp
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


def _save_figure(axes, path):
    import matplotlib.pyplot as plt

    figure = np.ravel(axes)[0].figure
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _agg():
    import matplotlib

    matplotlib.use("Agg")


def write_outputs(result, out: pathlib.Path, extra: str = "") -> pathlib.Path:
    """Write the summary, the InferenceData and the plots of a fit to ``out``, atomically."""
    _agg()
    from bayesq.plots import plot_posterior, plot_tail, plot_trace

    with atomic_directory(out) as tmp:
        problems = result.diagnostics().problems()
        sensitivity = result.prior_sensitivity().to_string(float_format="{:.3f}".format)
        text = (
            str(result)
            + "\n"
            + "".join(f"WARNING: {p}\n" for p in problems)
            + f"\nprior sensitivity (power-scaling; FitResult.prior_sensitivity):\n{sensitivity}\n"
            + extra
        )
        (tmp / "summary.txt").write_text(text)
        result.summary().to_csv(tmp / "summary.csv")
        if "prior" not in result.idata:
            result.sample_prior()
        result.save(tmp / "fit.nc")
        _save_figure(plot_trace(result), tmp / "trace.png")
        _save_figure(plot_posterior(result), tmp / "posterior.png")
        _save_figure(plot_tail(result), tmp / "tail.png")
        _save_figure(plot_tail(result, group="prior"), tmp / "prior.png")
    return out.resolve()


def _fit_options(args) -> dict:
    kwargs = dict(quiet=args.quiet)
    for name in ("sampler", "draws", "tune", "chains", "target_accept", "max_tree_depth", "random_seed"):
        value = getattr(args, name)
        if value is not None:
            kwargs[name] = value
    return kwargs


def _one_fit(options: dict, configured: dict | None = None) -> dict:
    """``options`` for a command that makes its process's only fit: nutpie on JAX.

    :func:`bayesq.fit` samples nutpie's Numba program, compiled once per
    process and then reused for every fit. A process's one fit of
    deberta-base (2-core host, 2026-12-06; import and loading excluded):
    85 s on Numba while its disk cache is empty, 31-32 s once the cache
    holds the program; 37-38 s on JAX, which compiles in seconds and samples
    slower. JAX is the choice: 2.3x faster the first time, 1.2x slower after
    (README, "Speed"). ``configured``: the analysis' own keywords (a spec).
    """
    from bayesq.fit import available_samplers

    merged = {**(configured or {}), **options}
    sampler = merged.get("sampler", "auto")
    if sampler == "auto":
        sampler = next(iter(available_samplers()), None)
    if sampler == "nutpie" and "backend" not in merged and importlib.util.find_spec("jax"):
        return {**options, "backend": "jax"}
    return options


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
        **_one_fit(_fit_options(args)),
    )
    _report(result, out)
    return 0


def _run(args) -> int:
    from bayesq.spec import load_spec

    spec = load_spec(args.spec)
    out = _check_out(args.out, args.force)
    result = spec.run(**_one_fit(_fit_options(args), spec.fit_kwargs()))
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
        + f", threshold {DEMO.threshold} (maximize)"
    )
    far = "alpha" if sim.maximize else "beta"
    print(
        f"  the failures stretch the support: the censored tail is exactly that of {far} = "
        f"{sim.tail_truth[far]:.4g}, the truth the fit is held to (bayesq.simulate)\n"
    )
    start = time.perf_counter()
    result = DEMO.run(**_one_fit(_fit_options(args), DEMO.fit_kwargs()))
    elapsed = time.perf_counter() - start
    table = truth_table(result, sim.tail_truth)
    _report(result, out, extra=f"\nposterior vs truth:\n{table}")
    print(f"fit in {elapsed:.1f} s (compilation included), sampler {result.settings['sampler']}")
    return 0


def _support(text):
    if text is None:
        return (-np.inf, np.inf)
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise ValueError(f"--support must be LOW,HIGH (two numbers), got {text!r}") from None
    if not lo < hi:
        raise ValueError(f"--support must be LOW,HIGH with LOW < HIGH, got {text}")
    return (lo, hi)


def _load_fit(where):
    """A saved fit (``fit.nc`` or the directory holding it)."""
    from bayesq.fit import load

    path = pathlib.Path(where)
    if path.is_dir():
        path = path / "fit.nc"
    if not path.exists():
        raise FileNotFoundError(f"no saved fit at {where} (expected fit.nc or a directory holding it)")
    return path, load(path)


def _curves(args) -> int:
    from bayesq.joint import JointFit

    _, result = _load_fit(args.fit)
    out = _check_out(args.out, args.force)
    if isinstance(result, JointFit):
        if args.search is None:
            raise ValueError(
                f"{args.fit} is a joint fit: name one of its searches with --search "
                f"({', '.join(result.names)})"
            )
        result = result.result(args.search)
    elif args.search is not None:
        raise ValueError("--search is for joint fits; this fit has one search")
    n = result.scores.size
    k_max = args.k_max if args.k_max is not None else 4 * n
    if not k_max >= 1:
        raise ValueError(f"--k-max must be >= 1, got {k_max}")
    k = np.unique(np.geomspace(1, k_max, 200))
    curve = result.tuning_curve(k, kind=args.kind, ci=args.ci)
    after = result.best_after(k, ci=args.ci)
    best = result.best_score(ci=args.best_ci, eps=args.eps, prob=args.prob)
    table = curve.to_dataframe()
    shown = table.iloc[np.unique(np.linspace(0, k.size - 1, 12).astype(int))]
    side = "above" if result.maximize else "below"
    text = (
        f"{best}\n\n{args.kind} tuning curve, {args.ci:.0%} credible band "
        f"(asymptotic regime from k = {curve.k_regime:.3g}: the curve lies {side} the threshold "
        f"{result.threshold:g}; below it the fitted quadratic is extrapolated):\n"
        f"{shown.to_string(float_format=lambda v: f'{v:.6g}')}\n"
    )
    print(text, end="")
    if out is not None:
        _agg()
        import pandas as pd

        from bayesq.plots import plot_cdf, plot_tuning_curve

        support = _support(args.support)
        with atomic_directory(out) as tmp:
            table.to_csv(tmp / "tuning_curve.csv")
            pd.DataFrame(
                {"lower": after.lower, "median": after.estimate, "upper": after.upper},
                index=pd.Index(k, name="k"),
            ).to_csv(tmp / "best_after.csv")
            (tmp / "best_score.txt").write_text(text)
            _save_figure(
                plot_tuning_curve(result, curve=curve, support=support),
                tmp / "tuning_curve.png",
            )
            _save_figure(plot_cdf(result, ci=args.ci, support=support), tmp / "cdf.png")
        print(f"results written to {out.resolve()}")
    return 0


def _compare(args) -> int:
    from bayesq.compare import compare
    from bayesq.joint import JointFit

    loaded = [_load_fit(f) for f in args.fits]
    joint = [r for _, r in loaded if isinstance(r, JointFit)]
    if joint:
        if len(loaded) > 1:
            raise ValueError("give either one joint fit or two or more single fits, not both")
        fits = joint[0]
        names = fits.names
    else:
        if args.names:
            names = [n.strip() for n in args.names.split(",")]
        else:
            names = [p.parent.name if p.name == "fit.nc" else p.stem for p, _ in loaded]
        if len(names) != len(loaded) or len(set(names)) != len(names):
            raise ValueError(
                f"need one distinct name per fit, got {names} for {len(loaded)} fits (use --names)"
            )
        fits = {n: r for n, (_, r) in zip(names, loaded, strict=True)}
    out = _check_out(args.out, args.force)
    cmp = compare(fits, random_seed=args.seed)
    n_max = max(r.scores.size for r in cmp.results.values())
    k_max = args.k_max if args.k_max is not None else 4 * n_max
    if not k_max >= 1:
        raise ValueError(f"--k-max must be >= 1, got {k_max}")
    k = np.unique(np.geomspace(1, k_max, 120))
    probs = {}
    lines = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            cp = cmp.curve_probability(a, b, k, args.kind)
            probs[f"P({a} better than {b})"] = cp.prob
            flips = ", ".join(f"{f:.3g}" for f in cp.flips) or "none"
            lines.append(
                f"P({a}'s {args.kind} tuning curve better than {b}'s): {cp.prob[0]:.3f} at k = 1, "
                f"{cp.prob[-1]:.3f} at k = {k[-1]:.3g}; the ranking flips at k = {flips}"
            )
    text = f"{cmp}\n\n" + "\n".join(lines) + "\n"
    print(text, end="")
    if out is not None:
        _agg()
        import pandas as pd

        from bayesq.plots import plot_compare_curves, plot_comparison

        with atomic_directory(out) as tmp:
            (tmp / "comparison.txt").write_text(text)
            cmp.summary(ci=args.ci).to_csv(tmp / "summary.csv")
            cmp.pairs(ci=args.ci).to_csv(tmp / "pairs.csv", index=False)
            pd.DataFrame(probs, index=pd.Index(k, name="k")).to_csv(tmp / "curve_probability.csv")
            _save_figure(plot_comparison(cmp, ci=args.ci), tmp / "forest.png")
            _save_figure(
                plot_compare_curves(cmp, k, kind=args.kind, ci=args.curve_ci), tmp / "tuning_curves.png"
            )
        print(f"results written to {out.resolve()}")
    return 0


def _thresholds(args) -> int:
    from bayesq.data import read_scores
    from bayesq.thresholds import scan_thresholds

    try:
        candidates = [float(x) for x in args.thresholds.split(",")]
    except ValueError:
        raise ValueError(
            f"--thresholds must be numbers separated by commas, got {args.thresholds!r}"
        ) from None
    out = _check_out(args.out, args.force)
    scores = read_scores(args.file, extract=args.extract, column=args.column)
    scan = scan_thresholds(scores, candidates, maximize=not args.minimize, **_fit_options(args))
    table = scan.to_dataframe()
    print(table.to_string(float_format=lambda v: f"{v:.5g}"))
    if scan.suggested is None:
        print("no threshold passes the rule (module bayesq.thresholds); inspect thresholds.png")
    else:
        print(f"suggested threshold: {scan.suggested:g}")
    if out is not None:
        _agg()
        from bayesq.plots import plot_thresholds

        with atomic_directory(out) as tmp:
            table.to_csv(tmp / "thresholds.csv")
            _save_figure(plot_thresholds(scan), tmp / "thresholds.png")
        print(f"results written to {out.resolve()}")
    return 0


def _add_sampling_options(p, writes="summary, fit.nc, plots"):
    p.add_argument("--sampler", help="nutpie, pymc, numpyro, blackjax or auto (the default)")
    p.add_argument("--draws", type=int, help="draws per chain (default 1000)")
    p.add_argument("--tune", type=int, help="tuning steps per chain (default 1000)")
    p.add_argument("--chains", type=int, help="number of chains (default 4)")
    p.add_argument("--target-accept", type=float, help="NUTS target acceptance (default 0.95)")
    p.add_argument(
        "--max-tree-depth", type=int, help="cap on the NUTS tree depth (default: the sampler's, 10)"
    )
    p.add_argument("--seed", dest="random_seed", type=int, help="random seed")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--out", help=f"output directory ({writes})")
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

    curves = sub.add_parser("curves", help="tuning curves and the best achievable score of a saved fit")
    curves.add_argument("fit", help="fit.nc written by fit/run/demo --out, or its directory")
    curves.add_argument("--kind", choices=("median", "mean"), default="median", help="tuning curve (median)")
    curves.add_argument("--ci", type=float, default=0.8, help="mass of the bands (0.8)")
    curves.add_argument("--k-max", type=float, help="largest k (default 4 x the runs)")
    curves.add_argument("--best-ci", type=float, default=0.9, help="mass of the best score's interval (0.9)")
    curves.add_argument("--eps", type=float, help="iterations until the expected best is within EPS of it")
    curves.add_argument("--prob", type=float, default=0.9, help="... with this posterior probability (0.9)")
    curves.add_argument("--support", help="LOW,HIGH range of the scores for opda's band (e.g. 0,1)")
    curves.add_argument("--search", help="the search to report, for a joint fit")
    curves.add_argument("--out", help="output directory (csv tables, best_score.txt, plots)")
    curves.add_argument("--force", action="store_true", help="replace an existing output directory")
    curves.set_defaults(func=_curves)

    cmp = sub.add_parser("compare", help="compare saved fits: is one search's best score better?")
    cmp.add_argument("fits", nargs="+", help="two or more fit.nc (or their directories), or one joint fit")
    cmp.add_argument("--names", help="names of the fits, comma separated (default: file or directory names)")
    cmp.add_argument("--ci", type=float, default=0.9, help="mass of the intervals (0.9)")
    cmp.add_argument("--curve-ci", type=float, default=0.8, help="mass of the tuning-curve bands (0.8)")
    cmp.add_argument("--kind", choices=("median", "mean"), default="median", help="tuning curve (median)")
    cmp.add_argument("--k-max", type=float, help="largest k (default 4 x the largest search)")
    cmp.add_argument("--seed", type=int, default=0, help="seed pairing independent posteriors' draws (0)")
    cmp.add_argument("--out", help="output directory (tables and plots)")
    cmp.add_argument("--force", action="store_true", help="replace an existing output directory")
    cmp.set_defaults(func=_compare)

    scan = sub.add_parser("thresholds", help="fit across candidate thresholds; stability and tail fit")
    scan.add_argument("file", help="scores: .jsonl (with --extract), .csv (with --column) or one per line")
    scan.add_argument("--thresholds", required=True, help="candidates, comma separated")
    scan.add_argument("--minimize", action="store_true", help="lower scores are better (losses)")
    scan.add_argument("--extract", help="JSONL score extraction: best_matched, best_top_1 or a field name")
    scan.add_argument("--column", help="CSV column of the scores")
    _add_sampling_options(scan, writes="thresholds.csv, thresholds.png")
    scan.set_defaults(func=_thresholds)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, KeyError, FileNotFoundError, ImportError) as err:
        print(f"bayesq: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
