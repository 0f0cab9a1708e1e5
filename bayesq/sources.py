r"""Where searches live: Optuna studies, tables of runs, MLflow and Ray Tune experiments, as one search.

A random search is kept by the tool that ran it, not as a bare array.
:func:`read_search` reads each of these into a :class:`Search` (a score per
run, and the direction where the source records it):

* an Optuna study (:class:`optuna.study.Study`), or a storage URL (e.g.
  ``"sqlite:///study.db"``) with ``study=`` naming one of its studies. The
  direction is the study's; a multi-objective study takes ``objective=``
  (the objective's index or name);
* a table of runs, one row per run, with its runs' states where it has
  them: a pandas DataFrame, or a CSV file such as a W&B sweep's runs-table
  export, MLflow's ``search_runs`` frame, Optuna's ``trials_dataframe()``
  (:mod:`bayesq.data`, "Tables of runs"). ``column=`` names the score (e.g.
  ``"metrics.accuracy"`` for MLflow);
* a W&B sweep (``wandb.Api().sweep(path)``, with wandb installed): each
  run's summary value of the sweep's metric, in the sweep's direction
  (``column=`` names another metric), its state read as a table's;
* an MLflow experiment: a tracking URI with ``experiment=`` naming it, each
  run's learning curve of ``column`` (a metric) reduced to one score, as a
  Ray Tune trial's is, and its status read as a table's;
* a Ray Tune experiment directory, read from its trials' ``result.json``
  (else ``progress.csv``) without Ray: each trial's learning curve of
  ``column`` reduced to one score, its best finite value (in the fit's
  direction) or its last (``curve=``). A trial folder does not say whether
  the trial is over: read an experiment that has ended (a trial that has
  reported nothing yet counts as failed);
* anything else :func:`bayesq.data.read_scores` reads: an array, a Series,
  a JSONL or one-score-per-line file.

Failed runs
-----------
A run that produced no usable score (Optuna's FAIL and PRUNED, a Ray Tune
trial that ended in an error or reported nothing, a NaN or infinite score)
is still a run of the search: its hyperparameters were drawn and its budget
spent. It is kept, as NaN, and the fit counts it on the bad side of any
threshold (a censored run, :func:`bayesq.model.prepare_scores`), so that it
is part of :math:`k`, the number of runs a tuning curve counts. Trials not
over yet (running, waiting) are not runs of the search yet, and are left
out.

Examples
--------
>>> import pandas as pd
>>> from bayesq.sources import read_search
>>> runs = pd.DataFrame(
...     {"accuracy": [0.81, None, 0.9, 0.7], "state": ["finished", "crashed", "finished", "running"]}
... )
>>> search = read_search(runs, column="accuracy")
>>> search.scores, search.n_failed
(array([0.81,  nan, 0.9 ]), 1)
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import pathlib
import sqlite3
import urllib.parse

import numpy as np
import pandas as pd

from bayesq import validate
from bayesq.data import UNFINISHED_STATES, json_records, only_for, read_scores, table_scores
from bayesq.exceptions import InputError

__all__ = ["Search", "is_url", "read_search"]

CURVES = ("best", "last")
OPTUNA_EXTRA = "pip install 'bayesq[optuna]'"
MLFLOW_EXTRA = "pip install 'bayesq[mlflow]'"


@dataclasses.dataclass(frozen=True, eq=False)
class Search:
    """One random search: a score per run (NaN for a failed run), and the direction its source records.

    Attributes
    ----------
    scores : numpy.ndarray
        One score per run, in run order; NaN for a run that produced none.
    maximize : bool or None
        Whether higher scores are better, as the source records it (an
        Optuna study's direction), else None.
    origin : str
        What the search was read from, for messages.
    """

    scores: np.ndarray
    maximize: bool | None = None
    origin: str = "the scores"

    @property
    def n_failed(self) -> int:
        """How many runs produced no usable score."""
        return int(np.count_nonzero(~np.isfinite(self.scores)))


def read_search(
    source,
    *,
    column: str | None = None,
    extract=None,
    study: str | None = None,
    objective: int | str | None = None,
    experiment: str | None = None,
    curve: str = "best",
    maximize: bool | None = None,
) -> Search:
    """Read one random search from where it is kept (module docstring).

    Parameters
    ----------
    source : optuna.study.Study, str, path, pandas.DataFrame, array_like or Search
        The search: a study, a storage URL (with ``study``), a DataFrame or
        table file of runs, a Ray Tune experiment directory, scores or a
        score file (:func:`bayesq.data.read_scores`), or a :class:`Search`
        (returned as it is).
    column : str, optional
        The score's column of a table, or the metric of a Ray Tune
        experiment; needed where there is a choice.
    extract : str or callable, optional
        A JSONL file's score extraction (:func:`bayesq.data.read_scores`).
    study : str, optional
        The study's name in an Optuna storage; needed when it holds several.
    experiment : str, optional
        The name of an MLflow experiment, read from the tracking URI
        ``source`` (its runs in the order they started; ``column``: the
        metric).
    objective : int or str, optional
        The objective of a multi-objective study: its index, or its name
        (``study.metric_names``).
    curve : {"best", "last"}
        How a Ray Tune trial's or an MLflow run's learning curve becomes its
        score: the best value in the direction ``maximize`` (which must be
        given), or the last one.
    maximize : bool, optional
        The direction, where a reduction needs it.

    Returns
    -------
    Search

    Raises
    ------
    bayesq.exceptions.InputError
        A source of unknown kind, an option it does not take, a missing or
        unknown column, study or objective, or no runs.
    ImportError
        A storage URL without Optuna installed (naming the extra).
    FileNotFoundError
        No file or directory at a path.
    """
    if isinstance(source, Search):
        return source
    given = _kind(source)
    only_for(study, "study", is_url(source), "an Optuna storage URL", given)
    only_for(objective, "objective", _is_study(source) or is_url(source), "an Optuna study", given)
    only_for(experiment, "experiment", is_url(source), "an MLflow tracking URI", given)
    if curve not in CURVES:
        raise InputError(f"{{arg}} must be one of {', '.join(CURVES)}, got {curve!r}", "curve")
    if experiment is not None:
        if study is not None or objective is not None:
            raise InputError(
                "{arg} names an MLflow experiment; study and objective are Optuna's", "experiment"
            )
        _only(None, extract, "an MLflow experiment")
        return _read_mlflow(source, experiment, column, curve, maximize)
    if _is_study(source):
        _only(column, extract, "an Optuna study")
        return _from_study(source, objective)
    if _is_sweep(source):
        _only(None, extract, "a W&B sweep")
        return _from_sweep(source, column)
    if is_url(source):
        _only(column, extract, "an Optuna storage")
        return _read_storage(source, study, objective)
    if isinstance(source, str | os.PathLike) and pathlib.Path(source).is_dir():
        _only(None, extract, "a Ray Tune experiment")
        return _from_ray_tune(pathlib.Path(source), column, curve, maximize)
    origin = str(source) if isinstance(source, str | os.PathLike) else "the scores"
    return Search(read_scores(source, extract=extract, column=column), None, origin)


def _only(column, extract, kind: str):
    for value, name in ((column, "column"), (extract, "extract")):
        if value is not None:
            raise InputError(f"{{arg}} does not apply to {kind}", name)


def _kind(source) -> str:
    if isinstance(source, str | os.PathLike):
        return str(source)
    return f"a {type(source).__name__}"


def _is_study(source) -> bool:
    return type(source).__module__.startswith("optuna.") and hasattr(source, "get_trials")


def _is_sweep(source) -> bool:
    return (
        type(source).__module__.startswith("wandb.") and hasattr(source, "runs") and hasattr(source, "config")
    )


def is_url(source) -> bool:
    """Whether ``source`` is a database or tracking URL (``scheme://...``), not a path."""
    return isinstance(source, str) and "://" in source


# -- Optuna -----------------------------------------------------------------------------------
def _read_storage(url: str, name: str | None, objective) -> Search:
    """The study ``name`` of the Optuna storage at ``url`` (its only one when unnamed)."""
    try:
        import optuna
    except ImportError:
        raise ImportError(f"reading the Optuna storage {url} needs optuna: {OPTUNA_EXTRA}") from None
    with _reading(url, "an Optuna storage", {"studies", "trials"}) as readable:
        storage = optuna.storages.RDBStorage(readable, skip_table_creation=True)
        try:
            names = [s.study_name for s in storage.get_all_studies()]
            if not names:
                raise InputError(f"the Optuna storage {url} holds no study")
            if name is None:
                if len(names) != 1:
                    listed = ", ".join(map(repr, names))
                    raise InputError(
                        f"{url} holds {len(names)} studies ({listed}); name one with {{arg}}", "study"
                    )
                name = names[0]
            if name not in names:
                raise InputError(
                    f"{url} has no study {name!r}; its studies: {', '.join(map(repr, names))}", "study"
                )
            return _from_study(optuna.load_study(study_name=name, storage=storage), objective)
        finally:  # close the database now (SQLAlchemy's pool would leave it to the garbage collector)
            storage.remove_session()
            storage.engine.dispose()


@contextlib.contextmanager
def _reading(url: str, kind: str, tables: set):
    """``url`` as the block should open it, read only; the reading library's errors as one message.

    A SQLite file is checked first (:func:`_check_sqlite`) and opened read
    only, so that nothing (a table, a schema upgrade, a default entry) is
    ever written to it. Another database is read as the library reads it.
    """
    _check_sqlite(url, kind, tables)
    readable = url
    database = _sqlite_file(url)
    if database is not None and "?" not in url:
        readable = f"sqlite:///file:{urllib.parse.quote(os.path.abspath(database))}?mode=ro&uri=true"
    try:
        yield readable
    except (InputError, ImportError):
        raise
    except Exception as err:  # SQLAlchemy's, Optuna's and MLflow's errors for a store they cannot read
        raise InputError(f"cannot read {kind} at {url}: {type(err).__name__}: {err}") from None


def _sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL (``sqlite:///PATH``), or None (another database, or memory)."""
    database = url.split("?", 1)[0].removeprefix("sqlite:///")
    return database if url.startswith("sqlite:///") and database not in ("", ":memory:") else None


def _check_sqlite(url: str, kind: str, tables: set):
    """Refuse a SQLite URL whose file is missing or holds no ``tables``: the library reading it would
    create the file, or its own tables in someone else's database."""
    database = _sqlite_file(url)
    if database is None:
        return
    if not os.path.isfile(database):
        raise FileNotFoundError(f"no database at {database} (from {url}); bayesq reads {kind}, it makes none")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            found = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as err:
        raise InputError(f"{database} is not a SQLite database: {err}") from None
    if not tables <= found:
        raise InputError(
            f"{url} is not {kind}: its database has no {', '.join(sorted(tables - found))} table"
        )


def _from_study(study, objective) -> Search:
    """The study's finished trials, in trial order: a score each, NaN for FAIL and PRUNED."""
    directions = study.directions
    names = list(getattr(study, "metric_names", None) or [])
    if objective is None:
        if len(directions) > 1:
            choices = ", ".join(map(repr, names)) if names else f"0 to {len(directions) - 1}"
            raise InputError(
                f"study {study.study_name!r} has {len(directions)} objectives; choose one with {{arg}} "
                f"({choices})",
                "objective",
            )
        index = 0
    elif isinstance(objective, str):
        if objective not in names:
            raise InputError(
                f"study {study.study_name!r} has no objective {objective!r}; its objectives: "
                f"{', '.join(map(repr, names)) or 'unnamed (give an index)'}",
                "objective",
            )
        index = names.index(objective)
    else:
        index = validate.integer(objective, "objective", low=0)
        if index >= len(directions):
            raise InputError(
                f"study {study.study_name!r} has {len(directions)} objective(s); "
                f"{{arg}} {index} is none of them",
                "objective",
            )
    scores = []
    for trial in study.get_trials(deepcopy=False):
        state = trial.state.name.lower()
        if state in UNFINISHED_STATES:
            continue
        value = trial.values[index] if state == "complete" and trial.values else math.nan
        scores.append(value)
    if not scores:
        raise InputError(f"study {study.study_name!r} has no finished trials")
    maximize = directions[index].name == "MAXIMIZE"
    return Search(np.array(scores, dtype=float), maximize, f"Optuna study {study.study_name!r}")


def _direction_needed(what: str, unrecorded: str):
    """Refuse to take the best of a learning curve whose direction the source does not record."""
    text = (
        f"{what} depends on the direction, which {unrecorded}; say it with {{arg}}, "
        "or take the last value of each curve"
    )
    raise InputError(
        f'{text} (curve="last")',
        "maximize",
        cli=text.format(arg="--maximize or --minimize") + " (--curve last)",
    )


# -- W&B ------------------------------------------------------------------------------------
def _from_sweep(sweep, column: str | None) -> Search:
    """The runs of a W&B sweep (``wandb.Api().sweep(path)``): each run's summary value of the metric.

    The metric and the direction are the sweep's (its configuration's
    ``metric`` ``name`` and ``goal``), unless ``column`` names another
    metric (whose direction the sweep does not say).
    """
    metric = dict(sweep.config.get("metric") or {})
    name = column if column is not None else metric.get("name")
    if name is None:
        raise InputError("the sweep's configuration names no metric; name it with {arg}", "column")
    goal = metric.get("goal") if name == metric.get("name") else None
    runs = list(sweep.runs)
    frame = pd.DataFrame(
        {"state": [run.state for run in runs], name: [_summary_value(run.summary, name) for run in runs]}
    )
    origin = f"W&B sweep {getattr(sweep, 'id', '')}".rstrip()
    maximize = None if goal is None else goal == "maximize"
    return Search(table_scores(frame, name, origin), maximize, origin)


def _summary_value(summary, name: str) -> float:
    value = summary.get(name) if hasattr(summary, "get") else None
    return float(value) if _is_number(value) else math.nan


# -- MLflow -----------------------------------------------------------------------------------
def _read_mlflow(uri: str, name: str, column: str | None, curve: str, maximize: bool | None) -> Search:
    """The runs of the MLflow experiment ``name`` at ``uri``, in the order they started."""
    try:
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise ImportError(f"reading the MLflow tracking URI {uri} needs mlflow: {MLFLOW_EXTRA}") from None
    with _reading(uri, "an MLflow tracking database", {"experiments", "runs"}) as readable:
        client = MlflowClient(tracking_uri=readable)
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            names = [e.name for e in client.search_experiments()]
            raise InputError(
                f"{uri} has no experiment {name!r}; its experiments: {', '.join(map(repr, names))}",
                "experiment",
            )
        runs, token = [], None
        while True:  # (a page at a time: search_runs returns at most max_results)
            page = client.search_runs(
                [experiment.experiment_id],
                order_by=["attributes.start_time ASC"],
                max_results=1000,
                page_token=token,
            )
            runs.extend(page)
            token = page.token
            if not token:
                break
        metrics = sorted({m for run in runs for m in run.data.metrics})
        metric = None if column is None else column.removeprefix("metrics.")
        if metric not in metrics:
            wanted = "name the metric with {arg}" if column is None else f"no run logs the {{arg}} {column!r}"
            raise InputError(
                f"experiment {name!r}: {wanted}; its runs log {', '.join(metrics) or 'none'}", "column"
            )
        if curve == "best" and maximize is None:
            _direction_needed(f"experiment {name!r}: a run's best {metric}", "MLflow does not record")
        states = [run.info.status for run in runs]
        scores = [
            _reduce([m.value for m in client.get_metric_history(run.info.run_id, metric)], curve, maximize)
            for run in runs
        ]
    frame = pd.DataFrame({"status": states, metric: scores})
    return Search(table_scores(frame, metric, f"experiment {name!r}"), None, f"MLflow experiment {name!r}")


def _reduce(curve_values, curve: str, maximize: bool | None) -> float:
    """A learning curve's score: its last or best finite value (NaN, a failed run, if it has none)."""
    values = np.asarray([v for v in curve_values if _is_number(v)], dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.nan
    if curve == "last":
        return float(values[-1])
    return float(values.max() if maximize else values.min())


# -- Ray Tune ---------------------------------------------------------------------------------
def _from_ray_tune(root: pathlib.Path, column: str | None, curve: str, maximize: bool | None) -> Search:
    """A score per trial folder of a Ray Tune experiment (``result.json``, else ``progress.csv``)."""
    trials = sorted(p for p in root.iterdir() if p.is_dir() and _is_trial(p))
    if not trials:
        raise InputError(
            f"{root} is a directory, not a score file, and no Ray Tune experiment: no trial folder in it "
            "holds result.json, progress.csv or params.json"
        )
    if curve == "best" and maximize is None:
        _direction_needed(f"{root}: a Ray Tune trial's best score", "its folders do not record")
    curves = [_trial_curve(t) for t in trials]
    metrics = sorted({k for rows in curves for row in rows for k, v in row.items() if _is_number(v)})
    if column is None:
        raise InputError(
            f"{root}: name the metric with {{arg}}; the trials report {', '.join(metrics) or 'none'}",
            "column",
        )
    if column not in metrics:
        raise InputError(
            f"{root}: no trial reports {{arg}} {column!r}; they report {', '.join(metrics) or 'none'}",
            "column",
        )
    scores = [
        math.nan
        if (folder / "error.txt").exists()
        else _reduce([row.get(column) for row in rows], curve, maximize)
        for folder, rows in zip(trials, curves, strict=True)
    ]
    return Search(np.array(scores), None, f"Ray Tune experiment {root}")


def _is_trial(folder: pathlib.Path) -> bool:
    return any((folder / name).exists() for name in ("result.json", "progress.csv", "params.json"))


def _trial_curve(folder: pathlib.Path) -> list[dict]:
    """A trial's reported results, one dict per report, in order."""
    result = folder / "result.json"
    if result.exists():
        return [record for _, record in json_records(result)]
    progress = folder / "progress.csv"
    if progress.exists() and progress.stat().st_size:
        return pd.read_csv(progress).to_dict("records")
    return []


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
