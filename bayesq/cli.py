"""Command line: ``bayesq demo``, ``bayesq fit FILE --threshold T``, ``bayesq run SPEC``,
``bayesq curves FIT``, ``bayesq thresholds FILE --thresholds T1,T2,...``,
``bayesq compare FIT FIT ...``.

``fit`` and ``run`` write their results to an output directory (``--out``):
``summary.txt`` (the table, the convergence diagnostics and the prior
sensitivity), ``summary.csv``,
``fit.nc`` (the InferenceData, reloadable with :func:`bayesq.load`),
``trace.png``, ``posterior.png``, ``tail.png`` (posterior fit of the tail)
and ``prior.png`` (prior predictive check). The directory is written whole
or not at all (:class:`bayesq.files.OutputDirectory`): everything goes to a
temporary directory beside it, renamed into place at the end. bayesq
replaces only a directory it wrote itself (a marker file in it says so), only
with ``--force``, and never the working directory, a parent of it, or a
directory holding the command's input. Whether the output can be written is
checked before any sampling.

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

Exit codes: 0 success; 1 failure (an internal error, or an output that
changed while bayesq worked); 2 usage or input error (a bad flag, data
bayesq cannot fit, an output it may not write, a saved fit that is damaged);
130 interrupted (Ctrl-C; 143 for SIGTERM). Errors print one line; ``--debug``
adds the traceback. ``--quiet`` prints nothing but errors; warnings print
once each, after the command's own output.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import pathlib
import signal
import sys
import threading
import time
import traceback
import warnings

import numpy as np

from bayesq import __version__, validate
from bayesq.exceptions import InputError, OutputConflictError, OutputError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143

# loggers that chat while sampling ("Sampling: [...]", compilation notes): silenced by --quiet
CHATTY_LOGGERS = ("pymc", "pytensor", "jax", "numpyro", "nutpie", "arviz")


def _positive(value, name):
    return validate.number(value, name, low=0, open_low=True)


# the check of each flag (by its argparse dest), run on the parsed arguments before any work
CHECKS = {
    "threshold": validate.number,
    "draws": lambda v, n: validate.integer(v, n, 1),
    "tune": lambda v, n: validate.integer(v, n, 0),
    "chains": lambda v, n: validate.integer(v, n, 1),
    "target_accept": validate.probability,
    "max_tree_depth": lambda v, n: validate.integer(v, n, 1),
    "random_seed": lambda v, n: validate.integer(v, n, 0),
    "n_hyperparameters": _positive,
    "ci": validate.probability,
    "curve_ci": validate.probability,
    "best_ci": validate.probability,
    "prob": validate.probability,
    "eps": _positive,
    "k_max": lambda v, n: validate.number(v, n, low=1),
    "seed": lambda v, n: validate.integer(v, n, 0),
}


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every clean-up runs."""


def _terminate(signum, frame):
    raise _Terminated


def _say(args, text: str = "", end: str = "\n"):
    """Print the command's output (nothing under ``--quiet``)."""
    if not args.quiet:
        print(text, end=end, flush=True)


@contextlib.contextmanager
def _results(args, inputs=()):
    """Where a command writes its files: the temporary twin of ``--out`` (``None`` without it).

    The output directory is checked and prepared on entry, before any work
    (:class:`bayesq.files.OutputDirectory`), and renamed into place when the
    block succeeds.
    """
    if args.out is None:
        yield None
        return
    from bayesq.files import OutputDirectory

    out = OutputDirectory(args.out, replace=args.force, inputs=inputs, command=args.command)
    with out as tmp:
        yield tmp
    _say(args, f"results written to {out.target}")


def _save_figure(axes, path):
    import matplotlib.pyplot as plt

    figure = np.ravel(axes)[0].figure
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _agg():
    import matplotlib

    matplotlib.use("Agg")


def _sensitivity_warnings(table):
    """Warn about each parameter the prior sensitivity flags (printed once, after the output)."""
    for name, row in table.iterrows():
        if row["diagnosis"] != "-":
            warnings.warn(
                f"prior sensitivity of {name}: {row['diagnosis']} (prior {row['prior']:.3f}, "
                f"likelihood {row['likelihood']:.3f}; result.prior_sensitivity(), bayesq.fit's docs)",
                RuntimeWarning,
                stacklevel=2,
            )


def write_outputs(result, tmp: pathlib.Path, extra: str = "", sensitivity=None):
    """Write the summary, the InferenceData and the plots of a fit into ``tmp``."""
    _agg()
    from bayesq.plots import plot_posterior, plot_tail, plot_trace

    if sensitivity is None:
        sensitivity = result.prior_sensitivity()
    problems = result.diagnostics().problems()
    table = sensitivity.to_string(float_format="{:.3f}".format)
    text = (
        str(result)
        + "\n"
        + "".join(f"WARNING: {p}\n" for p in problems)
        + f"\nprior sensitivity (power-scaling; FitResult.prior_sensitivity):\n{table}\n"
        + extra
    )
    (tmp / "summary.txt").write_text(text)
    result.summary().to_csv(tmp / "summary.csv")
    if "prior" not in result.idata:
        from bayesq.fit import quiet_logging

        with quiet_logging(True):  # PyMC's "Sampling: [...]" is not the command's output
            result.sample_prior()
    result.save(tmp / "fit.nc")
    _save_figure(plot_trace(result), tmp / "trace.png")
    _save_figure(plot_posterior(result), tmp / "posterior.png")
    _save_figure(plot_tail(result), tmp / "tail.png")
    _save_figure(plot_tail(result, group="prior"), tmp / "prior.png")


def _report(args, result, tmp, extra: str = ""):
    """Print a fit (and ``extra``) and write its files into ``tmp`` (if any)."""
    sensitivity = result.prior_sensitivity()
    _sensitivity_warnings(sensitivity)
    _say(args, f"{result}\n{extra}", end="")
    if tmp is not None:
        write_outputs(result, tmp, extra, sensitivity)


def _fit_options(args) -> dict:
    kwargs = dict(quiet=args.quiet)
    for name in ("sampler", "draws", "tune", "chains", "target_accept", "max_tree_depth", "random_seed"):
        value = getattr(args, name)
        if value is not None:
            kwargs[name] = value
    return kwargs


def _fit(args) -> int:
    from bayesq.fit import fit

    with _results(args, inputs=[args.file]) as tmp:
        result = fit(
            args.file,
            args.threshold,
            maximize=args.maximize,
            n_hyperparameters=args.n_hyperparameters,
            extract=args.extract,
            column=args.column,
            **_fit_options(args),
        )
        _report(args, result, tmp)
    return EXIT_OK


def _run(args) -> int:
    from bayesq.spec import load_spec

    spec = load_spec(args.spec)
    with _results(args, inputs=[args.spec, *spec.files()]) as tmp:
        result = spec.run(**_fit_options(args))
        _report(args, result, tmp)
    return EXIT_OK


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

    with _results(args) as tmp:
        sim = DEMO.simulation()
        far = "alpha" if sim.maximize else "beta"
        _say(
            args,
            "bayesq demo: the posterior of a simulated random search with known truth\n"
            f"  {sim.scores.size} runs ({int(sim.failed.sum())} failed), noisy quadratic "
            + ", ".join(f"{k}={v}" for k, v in sim.truth.items())
            + f", threshold {DEMO.threshold} (maximize)\n"
            f"  the failures stretch the support: the censored tail is exactly that of {far} = "
            f"{sim.tail_truth[far]:.4g}, the truth the fit is held to (bayesq.simulate)\n",
        )
        start = time.perf_counter()
        result = DEMO.run(**_fit_options(args))
        elapsed = time.perf_counter() - start
        table = truth_table(result, sim.tail_truth)
        _report(args, result, tmp, extra=f"\nposterior vs truth:\n{table}")
        s = result.settings
        backend = f" ({s['backend']} backend)" if "backend" in s else ""
        _say(args, f"fit in {elapsed:.1f} s (compilation included), sampler {s['sampler']}{backend}")
    return EXIT_OK


def _support(text):
    if text is None:
        return (-np.inf, np.inf)
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise InputError(f"{{arg}} must be LOW,HIGH (two numbers), got {text!r}", "support") from None
    if not lo < hi:
        raise InputError(f"{{arg}} must be LOW,HIGH with LOW < HIGH, got {text}", "support")
    return (lo, hi)


def _fit_path(where) -> pathlib.Path:
    """The file of a saved fit: ``where`` itself, or the ``fit.nc`` in the directory ``where``."""
    path = pathlib.Path(where)
    if path.is_dir():
        path = path / "fit.nc"
    if not path.exists():
        raise FileNotFoundError(f"no saved fit at {where} (expected fit.nc or a directory holding it)")
    return path


def _curves(args) -> int:
    from bayesq.fit import load
    from bayesq.joint import JointFit

    support = _support(args.support)
    path = _fit_path(args.fit)
    result = load(path)
    if isinstance(result, JointFit):
        if args.search is None:
            raise InputError(
                f"{args.fit} is a joint fit: name one of its searches with {{arg}} "
                f"({', '.join(result.names)})",
                "search",
            )
        result = result.result(args.search)
    elif args.search is not None:
        raise InputError("{arg} is for joint fits; this fit has one search", "search")
    with _results(args, inputs=[path]) as tmp:
        n = result.scores.size
        k_max = args.k_max if args.k_max is not None else 4 * n
        k = np.unique(np.geomspace(1, k_max, 200))
        curve = result.tuning_curve(k, kind=args.kind, ci=args.ci)
        after = result.best_after(k, ci=args.ci)
        best = result.best_score(ci=args.best_ci, eps=args.eps, prob=args.prob, predictive=True)
        table = curve.to_dataframe()
        shown = table.iloc[np.unique(np.linspace(0, k.size - 1, 12).astype(int))]
        side = "above" if result.maximize else "below"
        text = (
            f"{best}\n\n{args.kind} tuning curve, {args.ci:.0%} credible band "
            f"(asymptotic regime from k = {curve.k_regime:.3g}: the curve lies {side} the threshold "
            f"{result.threshold:g}; below it the fitted quadratic is extrapolated):\n"
            f"{shown.to_string(float_format=lambda v: f'{v:.6g}')}\n"
        )
        _say(args, text, end="")
        if tmp is not None:
            _agg()
            import pandas as pd

            from bayesq.plots import plot_cdf, plot_tuning_curve

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
    return EXIT_OK


def _compare(args) -> int:
    from bayesq.compare import compare
    from bayesq.fit import load
    from bayesq.joint import JointFit

    paths = [_fit_path(f) for f in args.fits]
    loaded = [(p, load(p)) for p in paths]
    joint = [r for _, r in loaded if isinstance(r, JointFit)]
    if joint:
        if len(loaded) > 1:
            raise InputError("give either one joint fit or two or more single fits, not both")
        fits = joint[0]
        names = fits.names
    else:
        if len(loaded) < 2:
            raise InputError("compare needs two or more saved fits, or one joint fit")
        if args.names:
            names = [n.strip() for n in args.names.split(",")]
        else:
            names = [p.parent.name if p.name == "fit.nc" else p.stem for p in paths]
        if len(names) != len(loaded) or len(set(names)) != len(names):
            raise InputError(
                f"need one distinct name per fit, got {names} for {len(loaded)} fits (use {{arg}})", "names"
            )
        fits = {n: r for n, (_, r) in zip(names, loaded, strict=True)}
    with _results(args, inputs=paths) as tmp:
        cmp = compare(fits, random_seed=args.seed)
        n_max = max(r.scores.size for r in cmp.results.values())
        k_max = args.k_max if args.k_max is not None else 4 * n_max
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
        _say(args, text, end="")
        if tmp is not None:
            _agg()
            import pandas as pd

            from bayesq.plots import plot_compare_curves, plot_comparison

            (tmp / "comparison.txt").write_text(text)
            cmp.summary(ci=args.ci).to_csv(tmp / "summary.csv")
            cmp.pairs(ci=args.ci).to_csv(tmp / "pairs.csv", index=False)
            pd.DataFrame(probs, index=pd.Index(k, name="k")).to_csv(tmp / "curve_probability.csv")
            _save_figure(plot_comparison(cmp, ci=args.ci), tmp / "forest.png")
            _save_figure(
                plot_compare_curves(cmp, k, kind=args.kind, ci=args.curve_ci), tmp / "tuning_curves.png"
            )
    return EXIT_OK


def _thresholds(args) -> int:
    from bayesq.data import read_scores
    from bayesq.thresholds import scan_thresholds

    try:
        candidates = [float(x) for x in args.thresholds.split(",")]
    except ValueError:
        raise InputError(
            f"{{arg}} must be numbers separated by commas, got {args.thresholds!r}", "thresholds"
        ) from None
    scores = read_scores(args.file, extract=args.extract, column=args.column)
    with _results(args, inputs=[args.file]) as tmp:
        scan = scan_thresholds(scores, candidates, maximize=args.maximize, **_fit_options(args))
        table = scan.to_dataframe()
        _say(args, table.to_string(float_format=lambda v: f"{v:.5g}"))
        if scan.suggested is None:
            _say(args, "no threshold passes the rule (module bayesq.thresholds); inspect thresholds.png")
        else:
            _say(args, f"suggested threshold: {scan.suggested:g}")
        if tmp is not None:
            _agg()
            from bayesq.plots import plot_thresholds

            table.to_csv(tmp / "thresholds.csv")
            _save_figure(plot_thresholds(scan), tmp / "thresholds.png")
    return EXIT_OK


# -- the parser ------------------------------------------------------------------------------
def _flag(p, *names, **kwargs):
    """``p.add_argument``, recording the flag's name for error messages (``p``'s ``flags``)."""
    action = p.add_argument(*names, **kwargs)
    p.get_default("flags")[action.dest] = names[0] if action.option_strings else action.dest.upper()
    return action


def _subcommand(sub, name, common, **kwargs):
    p = sub.add_parser(name, parents=[common], **kwargs)
    p.set_defaults(command=name, flags={"scores": "FILE", "quiet": "--quiet", "debug": "--debug"})
    return p


def _add_direction(p):
    side = p.add_mutually_exclusive_group()
    side.add_argument(
        "--maximize",
        dest="maximize",
        action="store_const",
        const=True,
        help="higher scores are better (the default; say it to fit a tail that looks reversed)",
    )
    side.add_argument(
        "--minimize",
        dest="maximize",
        action="store_const",
        const=False,
        help="lower scores are better (losses)",
    )
    p.get_default("flags")["maximize"] = "--maximize/--minimize"


def _add_scores(p):
    _flag(p, "file", help="scores: .jsonl (with --extract), .csv (with --column) or one per line")
    _flag(p, "--extract", help="JSONL score extraction: best_matched, best_top_1 or a field name")
    _flag(p, "--column", help="CSV column of the scores")
    _add_direction(p)


def _add_sampling_options(p, writes="summary, fit.nc, plots"):
    _flag(p, "--sampler", help="nutpie, pymc, numpyro, blackjax or auto (the default)")
    _flag(p, "--draws", type=int, help="draws per chain (default 1000)")
    _flag(p, "--tune", type=int, help="tuning steps per chain (default 1000)")
    _flag(p, "--chains", type=int, help="number of chains (default 4)")
    _flag(p, "--target-accept", type=float, help="NUTS target acceptance (default 0.95)")
    _flag(p, "--max-tree-depth", type=int, help="cap on the NUTS tree depth (default: the sampler's, 10)")
    _flag(p, "--seed", dest="random_seed", type=int, help="random seed")
    _add_output(p, writes)


def _add_output(p, writes):
    _flag(p, "--out", help=f"output directory ({writes}); written whole or not at all")
    _flag(
        p,
        "--force",
        action="store_true",
        help="replace an output directory that bayesq wrote earlier (never one holding other files)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser (importing neither PyMC nor JAX)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", action="store_true", help="print nothing but errors")
    common.add_argument("--debug", action="store_true", help="show the traceback of an error")
    parser = argparse.ArgumentParser(
        prog="bayesq", description="Bayesian analysis of hyperparameter random search."
    )
    parser.add_argument("--version", action="version", version=f"bayesq {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = _subcommand(
        sub, "demo", common, help="fit a simulated random search with known truth (the main job)"
    )
    _add_sampling_options(demo)
    demo.set_defaults(func=_demo)

    fit = _subcommand(sub, "fit", common, help="fit the scores of a random search")
    _add_scores(fit)
    _flag(fit, "--threshold", type=float, required=True, help="start of the asymptotic regime")
    _flag(fit, "--n-hyperparameters", type=float, help="nominal number of hyperparameters (bounds gamma)")
    _add_sampling_options(fit)
    fit.set_defaults(func=_fit)

    run = _subcommand(sub, "run", common, help="run an analysis spec (models/*.toml)")
    _flag(run, "spec", help="TOML analysis spec")
    _add_sampling_options(run)
    run.set_defaults(func=_run)

    curves = _subcommand(
        sub, "curves", common, help="tuning curves and the best achievable score of a saved fit"
    )
    _flag(curves, "fit", help="fit.nc written by fit/run/demo --out, or its directory")
    _flag(curves, "--kind", choices=("median", "mean"), default="median", help="tuning curve (median)")
    _flag(curves, "--ci", type=float, default=0.8, help="mass of the bands (0.8)")
    _flag(curves, "--k-max", type=float, help="largest k (default 4 x the runs)")
    _flag(curves, "--best-ci", type=float, default=0.9, help="mass of the best score's interval (0.9)")
    _flag(curves, "--eps", type=float, help="iterations until the expected best is within EPS of it")
    _flag(curves, "--prob", type=float, default=0.9, help="... with this posterior probability (0.9)")
    _flag(curves, "--support", help="LOW,HIGH range of the scores for opda's band (e.g. 0,1)")
    _flag(curves, "--search", help="the search to report, for a joint fit")
    _add_output(curves, "csv tables, best_score.txt, plots")
    curves.set_defaults(func=_curves)

    cmp = _subcommand(sub, "compare", common, help="compare saved fits: is one search's best score better?")
    _flag(cmp, "fits", nargs="+", help="two or more fit.nc (or their directories), or one joint fit")
    _flag(cmp, "--names", help="names of the fits, comma separated (default: file or directory names)")
    _flag(cmp, "--ci", type=float, default=0.9, help="mass of the intervals (0.9)")
    _flag(cmp, "--curve-ci", type=float, default=0.8, help="mass of the tuning-curve bands (0.8)")
    _flag(cmp, "--kind", choices=("median", "mean"), default="median", help="tuning curve (median)")
    _flag(cmp, "--k-max", type=float, help="largest k (default 4 x the largest search)")
    _flag(cmp, "--seed", type=int, default=0, help="seed pairing independent posteriors' draws (0)")
    _add_output(cmp, "tables and plots")
    cmp.set_defaults(func=_compare)

    scan = _subcommand(
        sub, "thresholds", common, help="fit across candidate thresholds; stability and tail fit"
    )
    _add_scores(scan)
    _flag(scan, "--thresholds", required=True, help="candidates, comma separated")
    _add_sampling_options(scan, writes="thresholds.csv, thresholds.png")
    scan.set_defaults(func=_thresholds)
    return parser


def _check_flags(args, parser):
    """Each given flag through its check (:data:`CHECKS`); a bad one is a usage error naming the flag."""
    for dest, check in CHECKS.items():
        value = getattr(args, dest, None)
        if value is not None:
            try:
                check(value, dest)
            except InputError as err:
                parser.exit(EXIT_USAGE, f"bayesq {args.command}: error: {err.naming(args.flags[dest])}\n")


def _print_warnings(caught, quiet: bool):
    """Each warning once, as one line (none under ``--quiet``; developers' deprecation notes never)."""
    if quiet:
        return
    seen = set()
    for w in caught:
        if issubclass(w.category, DeprecationWarning | FutureWarning | PendingDeprecationWarning):
            continue
        text = str(w.message)
        if text not in seen:
            seen.add(text)
            print(f"warning: {text}", file=sys.stderr)


def _error(args, err) -> str:
    if isinstance(err, InputError):
        flag = args.flags.get(err.argument, err.argument)
        return err.cli or err.naming(flag)
    return str(err)


def main(argv=None) -> int:
    """Run the command line; return its exit code (module docstring)."""
    # bayesq's graphs are elementwise: PyTensor's BLAS notice (which may come as late as the
    # interpreter's exit, when PyTensor tidies its cache) does not apply to them
    warnings.filterwarnings("ignore", message=".*could not link to a BLAS.*")
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_flags(args, parser)
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main else None
    levels = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
    if args.quiet:
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.ERROR)
    # bayesq's own progress notes ("sampling 4 chains ..."), to stderr
    progress = logging.StreamHandler(sys.stderr)
    progress.setFormatter(logging.Formatter("bayesq: %(message)s"))
    own = logging.getLogger("bayesq")
    own_level = own.level
    if not args.quiet:
        own.addHandler(progress)
        own.setLevel(logging.INFO)
    prefix = f"bayesq {args.command}:"
    caught = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warnings.filterwarnings("ignore", message=".*could not link to a BLAS.*")
            code = args.func(args)
        _print_warnings(caught, args.quiet)
        return code
    except KeyboardInterrupt as err:
        terminated = isinstance(err, _Terminated)
        print(f"{prefix} {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    except Exception as err:
        _print_warnings(caught, args.quiet)
        if args.debug:
            traceback.print_exc()
        refused = isinstance(err, OutputError) and not isinstance(err, OutputConflictError)
        if refused or isinstance(err, ValueError | FileNotFoundError | ImportError):
            print(f"{prefix} error: {_error(args, err)}", file=sys.stderr)
            return EXIT_USAGE
        if isinstance(err, OSError):
            print(f"{prefix} error: {err}", file=sys.stderr)
        else:
            print(
                f"{prefix} internal error: {type(err).__name__}: {err} (--debug shows the traceback; "
                "please report it)",
                file=sys.stderr,
            )
        return EXIT_FAILURE
    finally:
        own.removeHandler(progress)
        own.setLevel(own_level)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
