"""Reading scores: the real data sets (runs, and runs beyond the analyses' thresholds), every format."""

import json

import numpy as np
import pandas as pd
import pytest

from bayesq import data

try:
    DATA = data.data_dir()
except FileNotFoundError:  # a user without ../shared/data: these tests do not apply
    DATA = None
needs_data = pytest.mark.skipif(DATA is None, reason="real data not found (set BAYESQ_DATA)")


@needs_data
@pytest.mark.parametrize(
    ("name", "n", "threshold", "n_above"),
    [("deberta-base", 1024, 0.87, 556), ("deberta-v3-base", 1024, 0.89, 588), ("alexnet", 512, 0.50, 93)],
)
def test_real_data_sets_match_the_reference_table(name, n, threshold, n_above):
    scores = data.load_dataset(name)
    assert scores.shape == (n,)
    assert int(np.sum(scores > threshold)) == n_above
    assert np.all(np.isfinite(scores)) and np.all((scores >= 0) & (scores <= 1))


def test_data_dir_follows_the_path_then_the_environment(monkeypatch, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "env").mkdir()
    monkeypatch.setenv("BAYESQ_DATA", str(tmp_path / "env"))
    assert data.data_dir() == tmp_path / "env"
    assert data.data_dir(tmp_path / "mine") == tmp_path / "mine"  # a path given wins
    monkeypatch.setenv("BAYESQ_DATA", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="BAYESQ_DATA"):  # no silent fallback to ../shared
        data.data_dir()


def test_vision_runs_with_an_empty_curve_score_zero(tmp_path):
    path = tmp_path / "runs.jsonl"
    records = [{"learning_curve": [{"top_1": 0.2}, {"top_1": 0.4}, {"top_1": 0.3}]}, {"learning_curve": []}]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    np.testing.assert_array_equal(data.read_scores(path, extract="best_top_1"), [0.4, 0.0])
    np.testing.assert_array_equal(data.read_scores(path, extract=lambda r: len(r["learning_curve"])), [3, 0])


def test_text_csv_arrays_and_series(tmp_path):
    lines = tmp_path / "scores.txt"
    lines.write_text("# accuracy\n0.81\n\n0.83  # rerun\n")
    np.testing.assert_array_equal(data.read_scores(lines), [0.81, 0.83])
    csv = tmp_path / "scores.csv"
    csv.write_text("run,acc\n1,0.5\n2,0.7\n")
    np.testing.assert_array_equal(data.read_scores(csv, column="acc"), [0.5, 0.7])
    np.testing.assert_array_equal(data.read_scores(pd.Series([0.1, 0.2])), [0.1, 0.2])
    np.testing.assert_array_equal(data.read_scores([0.1, 0.2]), [0.1, 0.2])


def test_bad_input_names_file_and_line(tmp_path):
    lines = tmp_path / "scores.txt"
    lines.write_text("0.81\nabc\n")
    with pytest.raises(ValueError, match=r"scores.txt:2: not a number: 'abc'"):
        data.read_scores(lines)
    csv = tmp_path / "scores.csv"
    csv.write_text("run,acc\n1,0.5\n")
    with pytest.raises(ValueError, match="several columns"):
        data.read_scores(csv)
    jsonl = tmp_path / "runs.jsonl"
    jsonl.write_text('{"acc": 0.5}\n{"loss": 1}\n')
    with pytest.raises(ValueError, match="need extract"):
        data.read_scores(jsonl)
    with pytest.raises(ValueError, match=r"runs.jsonl:2: cannot extract"):
        data.read_scores(jsonl, extract="acc")
    with pytest.raises(ValueError, match="unknown data set"):
        data.load_dataset("resnet")
    with pytest.raises(ValueError, match="one-dimensional"):
        data.read_scores(np.zeros((2, 2)))


def test_a_source_that_holds_no_scores_or_an_option_that_would_be_ignored_is_refused(tmp_path):
    with pytest.raises(ValueError, match=f"{tmp_path} is a directory, not a score file"):
        data.read_scores(tmp_path)
    empty = tmp_path / "empty.txt"
    empty.write_text("# no runs yet\n\n")
    with pytest.raises(ValueError, match=r"empty\.txt holds no scores"):
        data.read_scores(empty)
    with pytest.raises(ValueError, match="scores is empty"):
        data.read_scores([])
    with pytest.raises(ValueError, match=r"extract applies to JSONL files \(.jsonl\) only"):
        data.read_scores(tmp_path / "empty.txt", extract="best_matched")
    with pytest.raises(ValueError, match=r"column applies to CSV files \(.csv\) and DataFrames only"):
        data.read_scores([0.5, 0.6], column="acc")
    with pytest.raises(TypeError, match="scores must be numbers or a score file's path"):
        data.read_scores({"a": 1})
