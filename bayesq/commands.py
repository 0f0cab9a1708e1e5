"""The commands of the command line (:mod:`bayesq.cli` parses the flags and calls one of these).

Each takes the parsed arguments, prints its report (nothing under
``--quiet``), writes its files into the output directory's temporary twin
(:func:`results_dir`) and returns the exit code. Heavy imports (PyMC, JAX,
matplotlib) happen here, inside the command that needs them, so that
``bayesq --help`` stays cheap.
"""

from __future__ import annotations

import contextlib
import pathlib
import shutil
import sys
import time
import warnings

import numpy as np

from bayesq.exceptions import InputError

# the exit codes of the command line (bayesq.cli's docstring)
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143

__all__ = ["compare_fits", "curves_of_fit", "demo", "fit_scores", "run_spec", "scan", "write_outputs"]


def say(args, text: str = "", end: str = "\n"):
    """Print the command's output (nothing under ``--quiet``)."""
    if not args.quiet:
        print(text, end=end, flush=True)


@contextlib.contextmanager
def results_dir(args, inputs=()):
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
    say(args, f"results written to {out.target}")


def save_figure(axes, path):
    import matplotlib.pyplot as plt

    figure = np.ravel(axes)[0].figure
    figure.savefig(path, dpi=110)
    plt.close(figure)


def agg():
    import matplotlib

    matplotlib.use("Agg")


def sensitivity_warnings(table, search: str | None = None):
    """Warn about each parameter the prior sensitivity flags (printed once, after the output)."""
    which = "" if search is None else f"search {search!r}: "
    for name, row in table.iterrows():
        if row["diagnosis"] != "-":
            warnings.warn(
                f"{which}prior sensitivity of {name}: {row['diagnosis']} (prior {row['prior']:.3f}, "
                f"likelihood {row['likelihood']:.3f}; result.prior_sensitivity(), bayesq.diagnostics)",
                RuntimeWarning,
                stacklevel=2,
            )


def write_outputs(result, tmp: pathlib.Path, extra: str = "", sensitivity=None):
    """Write the summary, the saved fit (netCDF) and the plots of a fit into ``tmp``."""
    agg()
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
        from bayesq.samplers import quiet_logging

        with quiet_logging(True):  # PyMC's "Sampling: [...]" is not the command's output
            result.sample_prior()
    result.save(tmp / "fit.nc")
    save_figure(plot_trace(result), tmp / "trace.png")
    save_figure(plot_posterior(result), tmp / "posterior.png")
    save_figure(plot_tail(result), tmp / "tail.png")
    save_figure(plot_tail(result, group="prior"), tmp / "prior.png")
    from bayesq.stacked import StackedFit

    if isinstance(result, StackedFit):  # threshold="auto": what it made of the threshold
        from bayesq.plots import plot_stacking

        save_figure(plot_stacking(result), tmp / "thresholds.png")


def report(args, result, tmp, extra: str = "", search: str | None = None):
    """Print a fit (and ``extra``) and write its files into ``tmp`` (if any); ``search`` names it."""
    sensitivity = result.prior_sensitivity()
    sensitivity_warnings(sensitivity, search)
    say(args, f"{result}\n{extra}", end="")
    if tmp is not None:
        write_outputs(result, tmp, extra, sensitivity)


# the sampling flags' destinations, keywords of bayesq.fit of the same names
SAMPLING_FLAGS = (
    "sampler",
    "draws",
    "tune",
    "chains",
    "target_accept",
    "max_tree_depth",
    "random_seed",
    "extend",
    "max_draws",
    "time_limit",
)


def fit_options(args) -> dict:
    kwargs = dict(quiet=args.quiet)
    for name in SAMPLING_FLAGS:
        value = getattr(args, name)
        if value is not None:
            kwargs[name] = value
    return kwargs


def source_options(args) -> dict:
    """How to read the command's search (:func:`bayesq.sources.read_search`'s options)."""
    objective = args.objective
    if objective is not None and objective.isdigit():
        objective = int(objective)
    return dict(
        extract=args.extract,
        column=args.column,
        study=args.study,
        objective=objective,
        experiment=args.experiment,
        curve=args.curve,
    )


def score_paths(args) -> list:
    """The command's input files (none for a database or tracking URL)."""
    from bayesq.sources import is_url

    return [] if is_url(args.file) else [args.file]


def fit_scores(args) -> int:
    from bayesq.single import fit

    with results_dir(args, inputs=score_paths(args)) as tmp:
        result = fit(
            args.file,
            args.threshold,
            maximize=args.maximize,
            n_hyperparameters=args.n_hyperparameters,
            **source_options(args),
            **fit_options(args),
        )
        report(args, result, tmp)
    return EXIT_OK


def run_spec(args) -> int:
    from bayesq.spec import load_spec

    specs = [load_spec(path) for path in args.spec]
    inputs = [*args.spec, *(f for spec in specs for f in spec.files())]
    if len(specs) == 1:  # (nothing to fan out)
        with results_dir(args, inputs=inputs) as tmp:
            result = specs[0].run(**fit_options(args))
            report(args, result, tmp)
        return EXIT_OK
    names = [spec.name for spec in specs]
    folded = [n.casefold() for n in names]  # (a folder per name, on file systems that ignore case too)
    twice = sorted({n for n, f in zip(names, folded, strict=True) if folded.count(f) > 1})
    if twice:
        raise InputError(f"several specs are named {', '.join(map(repr, twice))}: each needs its own folder")
    bad = [n for n in names if n in ("", ".", "..") or any(c in n for c in "/\\\0")]
    if bad:
        raise InputError(f"spec name {bad[0]!r} cannot name a folder: give each spec a plain name")
    failed = 0
    with results_dir(args, inputs=inputs) as tmp:
        results = run_specs(args, specs)
        for name, result in results.items():
            folder = None if tmp is None or isinstance(result, Exception) else tmp / name
            try:
                if isinstance(result, Exception):
                    raise result
                say(args, f"== {name} ==")
                if folder is not None:
                    folder.mkdir()
                report(args, result, folder, search=name)
            except Exception as err:  # (this spec's; the others are kept)
                failed += 1
                print(f"bayesq run: {name}: error: {err}", file=sys.stderr)
                if folder is not None:
                    shutil.rmtree(folder, ignore_errors=True)
    return EXIT_FAILURE if failed else EXIT_OK


def run_specs(args, specs) -> dict:
    """Each spec's fit (or its error): one after the other, in ``--workers`` processes, or on Dask."""
    from bayesq.many import fit_jobs
    from bayesq.sources import Search

    jobs = {}
    for spec in specs:
        try:
            search = Search(spec.scores(), None, spec.name)  # (read here; the direction is the spec's)
        except Exception as err:
            jobs[spec.name] = err
        else:
            jobs[spec.name] = (search, spec.fit_kwargs(**fit_options(args)))
    with executor_of(args) as executor:
        return fit_jobs(jobs, executor=executor, errors="collect", progressbar=not args.quiet)


@contextlib.contextmanager
def executor_of(args):
    """Where a command's fits run: ``--workers N`` processes, the Dask cluster of ``--scheduler``,
    or this process (``None``)."""
    if args.scheduler is not None:
        try:
            from distributed import Client
        except ImportError:
            raise ImportError("--scheduler needs Dask's distributed: pip install 'bayesq[dask]'") from None
        with Client(args.scheduler) as client:
            yield client.get_executor()
    elif args.workers is not None:
        import concurrent.futures
        import multiprocessing

        # spawned, not forked: this process already runs threads (PyTensor's, Numba's)
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(args.workers, mp_context=context) as pool:
            yield pool
    else:
        yield None


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


def demo(args) -> int:
    from bayesq.spec import DEMO

    with results_dir(args) as tmp:
        sim = DEMO.simulation()
        far = "alpha" if sim.maximize else "beta"
        say(
            args,
            "bayesq demo: the posterior of a simulated random search with known truth\n"
            f"  {sim.scores.size} runs ({int(sim.failed.sum())} failed), noisy quadratic "
            + ", ".join(f"{k}={v}" for k, v in sim.truth.items())
            + f", threshold {DEMO.threshold} (maximize)\n"
            f"  the failures stretch the support: the censored tail is exactly that of {far} = "
            f"{sim.tail_truth[far]:.4g}, the truth the fit is held to (bayesq.simulate)\n",
        )
        start = time.perf_counter()
        result = DEMO.run(**fit_options(args))
        elapsed = time.perf_counter() - start
        table = truth_table(result, sim.tail_truth)
        report(args, result, tmp, extra=f"\nposterior vs truth:\n{table}")
        s = result.settings.sampler
        backend = f" ({s.backend} backend)" if s.backend else ""
        say(args, f"fit in {elapsed:.1f} s (compilation included), sampler {s.sampler}{backend}")
    return EXIT_OK


def support_range(text):
    if text is None:
        return (-np.inf, np.inf)
    try:
        lo, hi = (float(x) for x in text.split(","))
    except ValueError:
        raise InputError(f"{{arg}} must be LOW,HIGH (two numbers), got {text!r}", "support") from None
    if not lo < hi:
        raise InputError(f"{{arg}} must be LOW,HIGH with LOW < HIGH, got {text}", "support")
    return (lo, hi)


def refuse_batch(result, where):
    """A batch of fits is read in Python (``BatchFit.result(i)``), not by the commands of one search."""
    if result.kind == "batch":
        raise InputError(
            f"{where} is a batch of {len(result)} fits (bayesq.fit_batch): read one with "
            "bayesq.load(...).result(i) in Python, save it, and give that file"
        )


CURVE_POINTS = 64  # values of k, spaced evenly in log k, at which bayesq curves gives its curves


def curves_of_fit(args) -> int:
    from bayesq.jointfit import JointFit
    from bayesq.persistence import load, saved_fit_path

    support = support_range(args.support)
    path = saved_fit_path(args.fit)
    result = load(path)
    refuse_batch(result, args.fit)
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
    with results_dir(args, inputs=[path]) as tmp:
        if tmp is not None:  # opda's point fit, drawn in the plot, is made meanwhile on another core
            from bayesq.frequentist import start_point_fit

            start_point_fit(result.scores, result.threshold, result.maximize)
        n = result.scores.size
        k_max = args.k_max if args.k_max is not None else 4 * n
        k = np.unique(np.geomspace(1, k_max, CURVE_POINTS))
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
        say(args, text, end="")
        if tmp is not None:
            agg()
            import pandas as pd

            from bayesq.plots import plot_cdf, plot_tuning_curve

            table.to_csv(tmp / "tuning_curve.csv")
            pd.DataFrame(
                {"lower": after.lower, "median": after.estimate, "upper": after.upper},
                index=pd.Index(k, name="k"),
            ).to_csv(tmp / "best_after.csv")
            (tmp / "best_score.txt").write_text(text)
            save_figure(
                plot_tuning_curve(result, curve=curve, support=support),
                tmp / "tuning_curve.png",
            )
            save_figure(plot_cdf(result, ci=args.ci, support=support), tmp / "cdf.png")
    return EXIT_OK


def compare_fits(args) -> int:
    from bayesq.comparison import compare
    from bayesq.jointfit import JointFit
    from bayesq.persistence import load, saved_fit_path

    paths = [saved_fit_path(f) for f in args.fits]
    loaded = [(p, load(p)) for p in paths]
    for p, r in loaded:
        refuse_batch(r, p)
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
    with results_dir(args, inputs=paths) as tmp:
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
        say(args, text, end="")
        if tmp is not None:
            agg()
            import pandas as pd

            from bayesq.plots import plot_compare_curves, plot_comparison

            (tmp / "comparison.txt").write_text(text)
            cmp.summary(ci=args.ci).to_csv(tmp / "summary.csv")
            cmp.pairs(ci=args.ci).to_csv(tmp / "pairs.csv", index=False)
            pd.DataFrame(probs, index=pd.Index(k, name="k")).to_csv(tmp / "curve_probability.csv")
            save_figure(plot_comparison(cmp, ci=args.ci), tmp / "forest.png")
            save_figure(
                plot_compare_curves(cmp, k, kind=args.kind, ci=args.curve_ci), tmp / "tuning_curves.png"
            )
    return EXIT_OK


def scan(args) -> int:
    from bayesq.sources import read_search
    from bayesq.thresholds import scan_thresholds

    try:
        candidates = [float(x) for x in args.thresholds.split(",")]
    except ValueError:
        raise InputError(
            f"{{arg}} must be numbers separated by commas, got {args.thresholds!r}", "thresholds"
        ) from None
    scores = read_search(args.file, **source_options(args), maximize=args.maximize)  # once for all
    with results_dir(args, inputs=score_paths(args)) as tmp, executor_of(args) as executor:
        scan = scan_thresholds(
            scores, candidates, maximize=args.maximize, executor=executor, **fit_options(args)
        )
        table = scan.to_dataframe()
        say(args, table.to_string(float_format=lambda v: f"{v:.5g}"))
        if scan.suggested is None:
            say(args, "no threshold passes the rule (module bayesq.thresholds); inspect thresholds.png")
        else:
            say(args, f"suggested threshold: {scan.suggested:g}")
        if tmp is not None:
            agg()
            from bayesq.plots import plot_thresholds

            table.to_csv(tmp / "thresholds.csv")
            save_figure(plot_thresholds(scan), tmp / "thresholds.png")
    return EXIT_OK


def cache(args) -> int:
    """Say where the compiled programs are kept (and how many), or delete them with ``--clear``."""
    from bayesq.cache import cache_dir, clear_cache, compiled_folders

    if args.clear:
        say(args, f"deleted {clear_cache()} compiled program(s) from {cache_dir()}")
        return EXIT_OK
    folders = compiled_folders()
    size = sum(f.stat().st_size for p in folders for f in p.rglob("*") if f.is_file())
    say(
        args,
        f"{cache_dir()}: {len(folders)} compiled program(s), {size / 2**20:.1f} MiB "
        "(bayesq cache --clear: delete)",
    )
    return EXIT_OK
