"""Command line: ``bayesq demo``, ``bayesq fit FILE --threshold T``, ``bayesq run SPEC``,
``bayesq curves FIT``, ``bayesq thresholds FILE --thresholds T1,T2,...``,
``bayesq compare FIT FIT ...``.

``run`` takes several specs too, fitted one after the other, in worker
processes (``--workers N``) or on a Dask cluster (``--scheduler ADDRESS``),
each into its own folder of ``--out`` (:func:`bayesq.many.fit_jobs`); a spec
that fails is reported and the others are kept (exit code 1).

``fit`` and ``run`` write their results to an output directory (``--out``):
``summary.txt`` (the table, the convergence diagnostics and the prior
sensitivity), ``summary.csv``,
``fit.nc`` (the fit's DataTree, reloadable with :func:`bayesq.load`),
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
import logging
import signal
import sys
import threading
import traceback
import warnings

from bayesq import __version__, commands, signals, validate
from bayesq.commands import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_USAGE
from bayesq.exceptions import InputError, OutputConflictError, OutputError


def _number_or_auto(text: str):
    """A threshold on the command line: a number, or ``auto``."""
    if text == validate.AUTO:
        return text
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'must be a number or "{validate.AUTO}", got {text!r}') from None


def _positive(value, name):
    return validate.number(value, name, low=0, open_low=True)


# the check of each flag (by its argparse dest), run on the parsed arguments before any work
CHECKS = {
    "threshold": validate.threshold,
    "draws": lambda v, n: validate.integer(v, n, 1),
    "tune": lambda v, n: validate.integer(v, n, 0),
    "chains": lambda v, n: validate.integer(v, n, 1),
    "target_accept": validate.probability,
    "max_tree_depth": lambda v, n: validate.integer(v, n, 1),
    "random_seed": lambda v, n: validate.integer(v, n, 0),
    "max_draws": lambda v, n: validate.integer(v, n, 1),
    "time_limit": _positive,
    "n_hyperparameters": _positive,
    "ci": validate.probability,
    "curve_ci": validate.probability,
    "best_ci": validate.probability,
    "prob": validate.probability,
    "eps": _positive,
    "k_max": lambda v, n: validate.number(v, n, low=1),
    "seed": lambda v, n: validate.integer(v, n, 0),
    "workers": lambda v, n: validate.integer(v, n, 1),
}


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that every clean-up runs."""


def _terminate(signum, frame):
    raise _Terminated


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
    _flag(
        p,
        "file",
        help="scores: .jsonl (with --extract), .csv (a table of runs, with --column), one per line, "
        "a Ray Tune experiment directory (with --column), an Optuna storage URL (with --study), "
        "or an MLflow tracking URI (with --experiment)",
    )
    _flag(p, "--extract", help="JSONL score extraction: best_matched, best_top_1 or a field name")
    _flag(p, "--column", help="the scores' column of a CSV table, or a Ray Tune experiment's metric")
    _flag(p, "--study", help="the study's name in an Optuna storage (e.g. sqlite:///study.db)")
    _flag(p, "--objective", help="the objective of a multi-objective Optuna study: its index or name")
    _flag(p, "--experiment", help="an MLflow experiment's name, FILE its tracking URI (--column: the metric)")
    _flag(
        p,
        "--curve",
        choices=("best", "last"),
        default="best",
        help="a Ray Tune trial's or MLflow run's score: the best of its curve (the default), or the last",
    )
    _add_direction(p)


def _add_fan_out(p, what: str):
    fan = p.add_mutually_exclusive_group()
    fan.add_argument("--workers", type=int, help=f"fit the {what} in N worker processes of this machine")
    fan.add_argument(
        "--scheduler", help=f"fit the {what} on the Dask cluster of this scheduler (tcp://HOST:PORT)"
    )
    p.get_default("flags").update(workers="--workers", scheduler="--scheduler")


def _add_sampling_options(p, writes="summary, fit.nc, plots"):
    _flag(p, "--sampler", help="nutpie, pymc, numpyro, blackjax or auto (the default)")
    _flag(p, "--draws", type=int, help="draws per chain (default 1000)")
    _flag(p, "--tune", type=int, help="tuning steps per chain (default 1000)")
    _flag(p, "--chains", type=int, help="number of chains (default 4)")
    _flag(p, "--target-accept", type=float, help="NUTS target acceptance (default 0.95)")
    _flag(p, "--max-tree-depth", type=int, help="cap on the NUTS tree depth (default: the sampler's, 10)")
    _flag(p, "--seed", dest="random_seed", type=int, help="random seed")
    _flag(
        p,
        "--max-draws",
        type=int,
        help="sample on until the convergence standard holds, up to N draws per chain (default 5x --draws)",
    )
    _flag(p, "--time-limit", type=float, help="... or until this many seconds have passed (default: none)")
    _flag(
        p,
        "--no-extend",
        dest="extend",
        action="store_false",
        default=None,
        help="draw once as asked, neither sampling on nor retuning after divergences",
    )
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
    demo.set_defaults(func=commands.demo)

    fit = _subcommand(sub, "fit", common, help="fit the scores of a random search")
    _add_scores(fit)
    _flag(
        fit,
        "--threshold",
        type=_number_or_auto,
        required=True,
        help='start of the asymptotic regime, or "auto": fit candidates and stack them (bayesq.stacking)',
    )
    _flag(fit, "--n-hyperparameters", type=float, help="nominal number of hyperparameters (bounds gamma)")
    _add_sampling_options(fit)
    fit.set_defaults(func=commands.fit_scores)

    run = _subcommand(
        sub, "run", common, help="run analysis specs (models/*.toml), several at once with --workers"
    )
    _flag(run, "spec", nargs="+", help="TOML analysis spec(s)")
    _add_fan_out(run, "specs")
    _add_sampling_options(run, writes="summary, fit.nc, plots; a folder per spec for several")
    run.set_defaults(func=commands.run_spec)

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
    curves.set_defaults(func=commands.curves_of_fit)

    cmp = _subcommand(sub, "compare", common, help="compare saved fits: is one search's best score better?")
    _flag(cmp, "fits", nargs="+", help="two or more fit.nc (or their directories), or one joint fit")
    _flag(cmp, "--names", help="names of the fits, comma separated (default: file or directory names)")
    _flag(cmp, "--ci", type=float, default=0.9, help="mass of the intervals (0.9)")
    _flag(cmp, "--curve-ci", type=float, default=0.8, help="mass of the tuning-curve bands (0.8)")
    _flag(cmp, "--kind", choices=("median", "mean"), default="median", help="tuning curve (median)")
    _flag(cmp, "--k-max", type=float, help="largest k (default 4 x the largest search)")
    _flag(cmp, "--seed", type=int, default=0, help="seed pairing independent posteriors' draws (0)")
    _add_output(cmp, "tables and plots")
    cmp.set_defaults(func=commands.compare_fits)

    scan = _subcommand(
        sub, "thresholds", common, help="fit across candidate thresholds; stability and tail fit"
    )
    _add_scores(scan)
    _flag(scan, "--thresholds", required=True, help="candidates, comma separated")
    _add_fan_out(scan, "candidates")
    _add_sampling_options(scan, writes="thresholds.csv, thresholds.png")
    scan.set_defaults(func=commands.scan)

    cache = _subcommand(sub, "cache", common, help="where compiled fit programs are kept (--clear: delete)")
    _flag(cache, "--clear", action="store_true", help="delete them (the next fit compiles afresh)")
    cache.set_defaults(func=commands.cache)
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
    from bayesq.samplers import CHATTY_LOGGERS  # (after the parser: --help and --version stay cheap)

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
        # raised(): a Ctrl-C that lands where Python drops it (a garbage-collector callback, a
        # library's finalizer) still stops the command
        with signals.raised(), warnings.catch_warnings(record=True) as caught:
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
