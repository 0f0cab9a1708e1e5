"""Many searches, one fit each, fanned out on the executor you already have.

:func:`fit_many` runs :func:`bayesq.fit` once per search, in this process
or on any :class:`concurrent.futures.Executor`: a
:class:`~concurrent.futures.ProcessPoolExecutor` on one machine, a Dask
cluster through ``Client.get_executor()``, or anything whose
``submit(fn, *args)`` returns a :class:`concurrent.futures.Future` (Ray's
remote calls give one with ``ObjectRef.future()``; tested here: process
pools, threads and Dask). bayesq brings no scheduler of its own.

Each search is read in this process (:func:`bayesq.sources.read_search`:
a study or a database is not shipped to the workers, its scores are), and
each fit gets the arguments it would get from :func:`bayesq.fit`, so a
search fitted here has the same draws as ``bayesq.fit`` with the same
arguments and seed. A worker compiles the model's program once, on its
first fit, and reuses it for the next (:mod:`bayesq.samplers.nutpie`).
The convergence warnings of each fit are issued here, named by search.

Where :func:`bayesq.fit_batch` samples many data sets in one compiled JAX
program (one device, in lockstep), :func:`fit_many` runs independent fits
side by side: it suits many cores or machines, and searches of unequal
difficulty.
"""

from __future__ import annotations

import concurrent.futures
import warnings
from collections.abc import Mapping

from bayesq import validate
from bayesq.exceptions import InputError
from bayesq.single import fit
from bayesq.sources import Search, read_search

__all__ = ["ERRORS", "fit_jobs", "fit_many", "split_groups"]

ERRORS = ("raise", "collect")
READ_OPTIONS = (
    "extract",
    "column",
    "study",
    "objective",
    "experiment",
    "curve",
)  # read_search's, taken from fit's keywords


def split_groups(frame, group: str) -> dict:
    """A DataFrame of several searches as ``{name: rows}``, one entry per value of the column ``group``.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per run, the search of each in the column ``group``.
    group : str
        The column naming each run's search.

    Returns
    -------
    dict
        ``{search name: its rows}``, in the order the names first appear.

    Examples
    --------
    >>> import pandas as pd
    >>> from bayesq.many import split_groups
    >>> runs = pd.DataFrame({"model": ["a", "b", "a"], "acc": [0.8, 0.7, 0.9]})
    >>> {name: rows["acc"].tolist() for name, rows in split_groups(runs, "model").items()}
    {'a': [0.8, 0.9], 'b': [0.7]}
    """
    if group not in frame.columns:
        raise InputError(
            f"no {{arg}} column {group!r}; columns: {', '.join(map(str, frame.columns))}", "group"
        )
    missing = int(frame[group].isna().sum())
    if missing:
        raise InputError(
            f"{missing} runs have no {{arg}} (an empty {group!r}): say which search each is of", "group"
        )
    return {name: rows.drop(columns=group) for name, rows in frame.groupby(group, sort=False)}


def fit_many(
    searches,
    threshold,
    *,
    executor: concurrent.futures.Executor | None = None,
    errors: str = "raise",
    group: str | None = None,
    progressbar: bool = True,
    **fit_kwargs,
) -> dict:
    """Fit many searches, one :func:`bayesq.fit` each, in this process or on an executor.

    Parameters
    ----------
    searches : mapping or pandas.DataFrame
        ``{name: search}``, each search any source of
        :func:`bayesq.sources.read_search` (scores, a file, a table of runs,
        an Optuna study, a Ray Tune folder); or a DataFrame of runs with
        the column ``group`` naming each run's search.
    threshold : float, "auto" or mapping
        One threshold for all, or ``{name: threshold}`` for each; ``"auto"``
        stacks candidate thresholds (:func:`bayesq.fit`, :mod:`bayesq.stacking`).
    executor : concurrent.futures.Executor, optional
        Where the fits run: a ``ProcessPoolExecutor``, Dask's
        ``Client.get_executor()``, or any other executor of processes.
        Without one, the fits run one after the other in this process. (In
        threads of one process the fits run too, but Python's warning
        filters are shared by threads, so a fit's warnings may be lost or
        named after another search.)
    errors : {"raise", "collect"}
        On a search that cannot be fitted, ``"raise"`` its error (the fits
        not yet started are cancelled); ``"collect"`` keeps it in the result
        in place of the fit, and goes on with the others.
    group : str, optional
        The column of ``searches`` (a DataFrame) naming each run's search.
    progressbar : bool
        A progress bar counting the searches fitted.
    **fit_kwargs
        Passed to :func:`bayesq.fit` for every search (``maximize``,
        ``draws``, ``random_seed``, ``column``, ...); each fit is quiet
        unless ``quiet=False`` is given.

    Returns
    -------
    dict
        ``{name: bayesq.FitResult}``, in the order of ``searches``; with
        ``errors="collect"``, a search that failed maps to its exception.

    Raises
    ------
    bayesq.exceptions.InputError
        No searches, a threshold missing for a search, an unknown
        ``errors``, or (``errors="raise"``) a search that cannot be read or
        fitted, whose name the message gives.

    Examples
    --------
    >>> import bayesq
    >>> from bayesq.simulate import simulate_random_search
    >>> searches = {f"seed {s}": simulate_random_search(n=200, random_seed=s).scores for s in (0, 1)}
    >>> searches["broken"] = [0.5, 0.6]
    >>> fits = bayesq.fit_many(
    ...     searches, 0.85, errors="collect", progressbar=False, draws=200, tune=200, chains=2, extend=False,
    ...     random_seed=1
    ... )
    >>> {name: type(r).__name__ for name, r in fits.items()}
    {'seed 0': 'FitResult', 'seed 1': 'FitResult', 'broken': 'InputError'}
    """
    if errors not in ERRORS:
        raise InputError(f"{{arg}} must be one of {', '.join(ERRORS)}, got {errors!r}", "errors")
    progressbar = validate.boolean(progressbar, "progressbar")
    if group is not None:
        if not (hasattr(searches, "columns") and hasattr(searches, "groupby")):
            raise InputError("{arg} names a column of a DataFrame of runs; searches is no DataFrame", "group")
        searches = split_groups(searches, group)
    if not isinstance(searches, Mapping) or not searches:
        raise InputError(
            "{arg} must be a non-empty mapping {name: search}, or a DataFrame with group", "searches"
        )
    names = list(searches)  # (the caller's keys, as given)
    thresholds = _thresholds(threshold, names)
    fit_kwargs.setdefault("quiet", True)
    read = {k: fit_kwargs.pop(k) for k in READ_OPTIONS if k in fit_kwargs}
    jobs = {}
    for name, source in zip(names, searches.values(), strict=True):
        try:
            search = read_search(source, **read, maximize=fit_kwargs.get("maximize"))
        except Exception as err:  # (a search that cannot be read fails alone, as a fit would)
            jobs[name] = _failed(f"search {name!r}", err, errors)
        else:
            jobs[name] = (search, {**fit_kwargs, "threshold": thresholds[name]})
    return fit_jobs(jobs, executor=executor, errors=errors, progressbar=progressbar)


def fit_jobs(
    jobs: Mapping, *, executor=None, errors: str = "raise", progressbar: bool = False, label: str = "search"
) -> dict:
    """``bayesq.fit(search, **kwargs)`` for each ``name: (search, kwargs)`` of ``jobs`` (:func:`fit_many`).

    A job that is an exception already (a search that could not be read)
    stays one. The order of ``jobs`` is kept. ``label`` says what a name
    names, in warnings and error notes (``"search 'a'"``, ``"threshold 0.87"``).
    """
    results = {n: job for n, job in jobs.items() if isinstance(job, BaseException)}
    work = {n: job for n, job in jobs.items() if n not in results}
    with _Progress(len(jobs), progressbar) as bar:
        bar.advance(len(results))
        if executor is None:
            for name, (search, kwargs) in work.items():
                results[name] = _one(f"{label} {name!r}", (search, kwargs), errors)
                bar.advance()
        else:
            futures = {executor.submit(_fit, search, kwargs): n for n, (search, kwargs) in work.items()}
            try:
                for future in concurrent.futures.as_completed(futures):
                    results[futures[future]] = _one(f"{label} {futures[future]!r}", future, errors)
                    bar.advance()
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    return {name: results[name] for name in jobs}


def _thresholds(threshold, names) -> dict:
    if isinstance(threshold, Mapping):
        missing = [n for n in names if n not in threshold]
        if missing:
            raise InputError(f"{{arg}} gives none for {', '.join(map(repr, missing))}", "threshold")
        return {n: threshold[n] for n in names}
    return dict.fromkeys(names, threshold)


def _fit(search: Search, kwargs):
    """One fit, where the executor runs it; its warnings come back with it (issued by the caller)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fit(search, **kwargs)
    return result, [(w.category, str(w.message)) for w in caught]


def _one(who: str, job, errors):
    """A fit (run here, or ``job``'s outcome), its warnings issued under ``who`` ("search 'a'")."""
    try:
        if isinstance(job, concurrent.futures.Future):
            result, caught = job.result()
        else:
            result, caught = _fit(*job)
    except Exception as err:
        return _failed(who, err, errors)
    for category, message in caught:
        warnings.warn(f"{who}: {message}", category, stacklevel=4)
    return result


def _failed(who: str, err, errors):
    if errors == "collect":
        return err
    err.add_note(f"(bayesq: the {who})")
    raise err


class _Progress:
    """A progress bar of the searches fitted (rich's, as PyMC's), or nothing."""

    def __init__(self, total: int, shown: bool):
        self.total, self.shown, self.bar = total, shown, None

    def __enter__(self):
        if self.shown:
            from rich.progress import Progress

            self.bar = Progress(transient=False)
            self.bar.start()
            self.task = self.bar.add_task("searches fitted", total=self.total)
        return self

    def advance(self, steps: int = 1):
        if self.bar is not None and steps:
            self.bar.advance(self.task, steps)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
