"""Reading random-search scores: arrays, CSV, one-score-per-line files and JSONL.

The real data sets of the project (DeBERTa, DeBERTaV3 and AlexNet random
searches, CC BY-SA) are not part of the package; :func:`data_dir` finds them:
an explicit path, else ``$BAYESQ_DATA``, else ``../shared/data`` beside the
checkout or the working directory.

Score extraction from JSONL records (one record per run) is named:

* ``"best_matched"``: the best MultiNLI matched-validation accuracy over the
  learning curve, ``max(acc for step, acc in record["learning_curves"]["matched"])``
  (DeBERTa, DeBERTaV3);
* ``"best_top_1"``: the best top-1 accuracy over epochs,
  ``max(point["top_1"] for point in record["learning_curve"])``, or 0 when the
  curve is empty (vision models, e.g. AlexNet);
* any other string: a top-level numeric field of each record;
* a callable: ``extract(record) -> float``.

Tables of runs
--------------
A CSV file or a pandas DataFrame holds one row per run: a W&B sweep's
runs-table export, MLflow's ``search_runs`` frame, Optuna's
``trials_dataframe()``. ``column`` names the score (e.g.
``"metrics.accuracy"``), unless only one column is numeric. A ``state``
or ``status`` column, where there is one, says how each run ended:

* failed (:data:`FAILED_STATES`: Optuna's FAIL and PRUNED, W&B's failed,
  crashed and killed, MLflow's FAILED and KILLED, Ray's ERROR): a run
  without a score, kept as NaN, as is a run whose score is empty;
* not over yet (:data:`UNFINISHED_STATES`: running, waiting, queued, ...):
  not a run of the search yet, left out.

A failed run is still a run of the search: its hyperparameters were drawn
and its budget spent, so the fit counts it, censored, on the bad side of any
threshold (:func:`bayesq.model.prepare_scores`).
"""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Callable

import numpy as np

from bayesq.exceptions import InputError, InputTypeError

__all__ = [
    "DATASETS",
    "EXTRACTORS",
    "FAILED_STATES",
    "UNFINISHED_STATES",
    "data_dir",
    "json_records",
    "load_dataset",
    "only_for",
    "read_scores",
    "table_scores",
]

# the states of a run, as Optuna, W&B, MLflow and Ray Tune name them (compared in lower case)
FAILED_STATES = frozenset({"fail", "failed", "pruned", "crashed", "killed", "error", "errored"})
UNFINISHED_STATES = frozenset({"running", "waiting", "pending", "queued", "scheduled", "paused"})
STATE_COLUMNS = ("state", "status")  # a table's column of run states
JSONL, TABLES = "JSONL files (.jsonl)", "CSV files (.csv) and DataFrames"  # what extract, column apply to


def _best_matched(record: dict) -> float:
    return max(acc for _, acc in record["learning_curves"]["matched"])


def _best_top_1(record: dict) -> float:
    curve = record["learning_curve"]
    return max((point["top_1"] for point in curve), default=0.0)


EXTRACTORS: dict[str, Callable[[dict], float]] = {
    "best_matched": _best_matched,
    "best_top_1": _best_top_1,
}

# name: (file under the data directory, score extraction)
DATASETS = {
    "deberta-base": ("deberta/deberta-base_tuning.results.jsonl", "best_matched"),
    "deberta-v3-base": ("deberta/deberta-v3-base_tuning.results.jsonl", "best_matched"),
    "alexnet": ("alexnet/alexnet_tuning.results.jsonl", "best_top_1"),
}


def data_dir(path: str | os.PathLike | None = None) -> pathlib.Path:
    """The directory of the real data sets.

    Looked up in order: ``path``, the environment variable ``BAYESQ_DATA``,
    ``../shared/data`` relative to the repository checkout, then relative to
    the working directory.

    Parameters
    ----------
    path : str or path, optional
        The directory, given explicitly.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        No directory found (an explicit ``path`` or ``$BAYESQ_DATA`` that
        does not exist is not passed over); the message lists what was tried.
    """
    checkout = pathlib.Path(__file__).resolve().parents[1]
    candidates = [
        (path, "the path given"),
        (os.environ.get("BAYESQ_DATA"), "$BAYESQ_DATA"),
        (checkout.parent / "shared" / "data", "../shared/data beside the checkout"),
        (pathlib.Path.cwd().parent / "shared" / "data", "../shared/data beside the working directory"),
    ]
    tried = []
    for candidate, label in candidates:
        if candidate is None:
            continue
        candidate = pathlib.Path(candidate)
        if candidate.is_dir():
            return candidate
        tried.append(f"{label} ({candidate})")
        if label in ("the path given", "$BAYESQ_DATA"):
            break  # an explicit choice that does not exist is an error, not a fallback
    raise FileNotFoundError(
        "no data directory found; tried " + ", ".join(tried) + ". Pass a path or set BAYESQ_DATA."
    )


def load_dataset(name: str, path: str | os.PathLike | None = None) -> np.ndarray:
    """Scores of one of the real data sets (:data:`DATASETS`), in run order.

    Parameters
    ----------
    name : {"deberta-base", "deberta-v3-base", "alexnet"}
        The data set.
    path : str or path, optional
        The data directory (:func:`data_dir` finds it otherwise).

    Returns
    -------
    numpy.ndarray
        One score per run (an accuracy; higher is better).

    Raises
    ------
    bayesq.exceptions.InputError
        An unknown name.
    FileNotFoundError
        No data directory, or the data set's file missing from it.
    """
    if name not in DATASETS:
        raise InputError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}")
    file, extract = DATASETS[name]
    return read_scores(data_dir(path) / file, extract=extract)


def read_scores(source, *, extract: str | Callable[[dict], float] | None = None, column: str | None = None):
    r"""Scores as a 1-D float array, from an array, a pandas Series or DataFrame, or a file.

    A failed run (a NaN or infinite score, an empty cell, a failed state)
    stays in the array as NaN or infinity: it is a run of the search
    (:func:`bayesq.model.prepare_scores` counts it as censored).

    Parameters
    ----------
    source : array_like, pandas.Series, pandas.DataFrame, str or path
        Scores, a table of runs (module docstring), or a file: ``.jsonl``
        (one JSON record per run, needs ``extract``), ``.csv`` (a table of
        runs), anything else: one score per line (blank lines and ``#``
        comments skipped).
    extract : str or callable, optional
        How to get a run's score from a JSONL record: ``"best_matched"``
        (DeBERTa's records), ``"best_top_1"`` (AlexNet's), another string for
        a top-level field, or a callable ``extract(record) -> float``.
    column : str, optional
        The column of a CSV file or DataFrame holding the scores.

    Returns
    -------
    numpy.ndarray
        The scores, one per run, in the order given.

    Raises
    ------
    FileNotFoundError
        No file at the path.
    bayesq.exceptions.InputError
        A directory, an empty file, an entry that is not a number (naming
        the file and line), ``extract`` for anything but JSONL or ``column``
        for anything but CSV, or scores that are not one-dimensional.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from bayesq.data import read_scores
    >>> read_scores([0.81, 0.84, 0.9])
    array([0.81, 0.84, 0.9 ])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "runs.jsonl"
    ...     _ = path.write_text('{"acc": 0.81}\n{"acc": 0.9}\n')
    ...     read_scores(path, extract="acc")
    array([0.81, 0.9 ])
    """
    if isinstance(source, str | os.PathLike):
        path = pathlib.Path(source)
        if path.is_dir():
            raise InputError(f"{path} is a directory, not a score file")
        if not path.exists():
            raise FileNotFoundError(f"no such score file: {path}")
        suffix = path.suffix.lower()
        only_for(extract, "extract", suffix == ".jsonl", JSONL, path)
        only_for(column, "column", suffix == ".csv", TABLES, path)
        if suffix == ".jsonl":
            scores = _read_jsonl(path, extract)
        elif suffix == ".csv":
            scores = _read_csv(path, column)
        else:
            scores = _read_lines(path)
        if scores.size == 0:
            raise InputError(f"{path} holds no scores")
        return scores
    if hasattr(source, "columns") and hasattr(source, "to_numpy"):  # a DataFrame
        only_for(extract, "extract", False, JSONL, "a DataFrame")
        scores = table_scores(source, column, "the DataFrame")
        if scores.size == 0:
            raise InputError("the DataFrame holds no finished runs")
        return scores
    only_for(extract, "extract", False, JSONL, "an array of scores")
    only_for(column, "column", False, TABLES, "an array of scores")
    try:
        scores = np.asarray(getattr(source, "to_numpy", lambda: source)(), dtype=float)
    except (TypeError, ValueError):
        raise InputTypeError(
            f"{{arg}} must be numbers or a score file's path, got a {type(source).__name__}", "scores"
        ) from None
    if scores.ndim != 1:
        raise InputError(f"{{arg}} must be one-dimensional, got shape {scores.shape}", "scores")
    if scores.size == 0:
        raise InputError("{arg} is empty: no runs to fit", "scores")
    return scores


def only_for(value, name: str, applies: bool, kind: str, source):
    """Refuse an option given for a source it does not apply to (it would be silently ignored).

    ``kind`` says what it applies to, ``source`` what it was given with.
    """
    if value is not None and not applies:
        raise InputError(f"{{arg}} applies to {kind} only, not to {source}", name)


def _read_jsonl(path, extract):
    if extract is None:
        raise InputError(
            f"{path}: JSONL records need {{arg}} (one of {', '.join(EXTRACTORS)}, a field, or a callable)",
            "extract",
        )
    if callable(extract):
        fn = extract
    elif extract in EXTRACTORS:
        fn = EXTRACTORS[extract]
    else:
        fn = lambda record: record[extract]  # noqa: E731
    scores = []
    for lineno, record in json_records(path):
        try:
            scores.append(float(fn(record)))
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(f"{path}:{lineno}: cannot extract a score with {extract!r}: {err!r}") from err
    return np.array(scores)


def json_records(path: pathlib.Path):
    """The JSON records of a JSON-lines file, each with its line number (blank lines skipped)."""
    with path.open() as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(f"{path}:{lineno}: not a JSON record: {err}") from None


def _read_csv(path, column):
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return np.array([])
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: not a CSV table: {err}") from None
    if frame.empty:
        raise InputError(f"{path}: no rows")
    return table_scores(frame, column, str(path), first_line=2)


def table_scores(frame, column: str | None, origin: str, first_line: int | None = None) -> np.ndarray:
    """The scores of a table of runs, one row per run (module docstring, "Tables of runs").

    ``column`` names the score (needed unless the table has one numeric
    column besides the state). A row whose state is in :data:`FAILED_STATES`,
    or whose score is empty or not finite, is a failed run (NaN); a row whose
    state is in :data:`UNFINISHED_STATES` is left out. ``first_line`` is the
    file line of the first row, for messages (else rows are named by label).
    """
    import pandas as pd

    columns = [str(c) for c in frame.columns]
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raise InputError(f"{origin}: several columns are named {', '.join(map(repr, twice))}")
    frame = frame.set_axis(columns, axis=1)
    states = [c for c in columns if c.lower() in STATE_COLUMNS]
    if column is not None:
        column = str(column)
    else:
        # (an empty column counts: it may be the scores of a search whose every run failed)
        numeric = [c for c in columns if c not in states and frame[c].dtype.kind in "fiu"]
        if len(numeric) != 1:
            found = (
                f"several columns ({', '.join(numeric)})"
                if numeric
                else f"no numeric column ({', '.join(columns)})"
            )
            raise InputError(f"{origin}: {found}; say which holds the scores with {{arg}}", "column")
        column = numeric[0]
    if column not in columns:
        raise InputError(f"{origin}: no {{arg}} {column!r}; columns: {', '.join(columns)}", "column")
    raw = frame[column]
    scores = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(np.isnan(scores) & raw.notna().to_numpy())
    if bad.size:
        where = (
            f"{origin}:{first_line + bad[0]}"
            if first_line is not None
            else f"{origin}, row {raw.index[bad[0]]!r}"
        )
        raise InputError(f"{where}: not a number: {raw.iloc[bad[0]]!r}")
    if states:
        state = frame[states[0]].astype(str).str.lower().to_numpy()
        scores = np.where(np.isin(state, sorted(FAILED_STATES)), np.nan, scores)[
            ~np.isin(state, sorted(UNFINISHED_STATES))
        ]
    return scores


def _read_lines(path):
    scores = []
    with path.open() as fh:
        for lineno, line in enumerate(fh, 1):
            text = line.split("#", 1)[0].strip()
            if text:
                scores.append(_number(text, path, lineno))
    return np.array(scores)


def _number(text, path, lineno):
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{path}:{lineno}: not a number: {text!r}") from None
