"""bayesq.sources: searches read from Optuna, tables of runs and Ray Tune, failed runs counted as runs.

The Optuna studies are real ones, run by the test in a SQLite storage: the random searches of a
known objective of ``benchmarks/bench_optuna.py`` (300 trials, 5 % of them failing; the tail is a
noisy quadratic with beta = 0.9 and gamma = 2). A 90 % interval misses the truth one time in ten:
the benchmark measures how often, over 20 seeds (``benchmarks/results/bench_optuna.json``); the
fits here are of the seeds 1 and 2. The Ray Tune and W&B files are written in those tools'
documented formats.
"""

import json
import pathlib
import sqlite3
import sys

import numpy as np
import pandas as pd
import pytest

from bayesq.cli import main
from bayesq.data import read_scores
from bayesq.model import prepare_scores
from bayesq.single import fit
from bayesq.sources import Search, read_search

optuna = pytest.importorskip("optuna")
sys.path.insert(0, str(pathlib.Path(__file__).parents[1] / "benchmarks"))
from bench_optuna import BEST, N_TRIALS, known_study  # noqa: E402  (the studies of the benchmark)

SHORT = dict(draws=500, tune=500, chains=4, random_seed=1, quiet=True)


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    """A SQLite storage holding a maximized and a minimized study, and their failure counts."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    path = tmp_path_factory.mktemp("optuna") / "search.db"
    url = f"sqlite:///{path}"
    _, failed_acc = known_study(url, "accuracy", "maximize", seed=1)
    _, failed_loss = known_study(url, "loss", "minimize", seed=2)
    return url, {"accuracy": failed_acc, "loss": failed_loss}


def interval(result, name, ci=0.9):
    return np.quantile(result.draws(name).ravel(), [(1 - ci) / 2, (1 + ci) / 2])


def test_a_study_is_read_with_every_trial_a_run_and_its_direction(storage):
    url, failed = storage
    study = optuna.load_study(study_name="accuracy", storage=url)
    search = read_search(study)
    assert search.maximize is True and search.scores.size == N_TRIALS
    assert search.n_failed == failed["accuracy"] > 0
    assert [np.isnan(s) for s in search.scores] == [t.state.name == "FAIL" for t in study.trials]
    loss = read_search(url, study="loss")
    assert loss.maximize is False and loss.n_failed == failed["loss"] and loss.origin == "Optuna study 'loss'"


def test_a_study_recovers_the_best_score_and_gamma_counting_failed_trials(storage):
    url, failed = storage
    result = fit(optuna.load_study(study_name="accuracy", storage=url), 0.86, **SHORT)
    assert result.maximize and result.scores.size == N_TRIALS
    assert np.count_nonzero(np.isinf(result.scores)) == failed["accuracy"]
    assert f"{failed['accuracy']} failed runs among the censored" in result.headline()
    lo, hi = interval(result, "beta")
    assert lo < BEST < hi
    lo, hi = interval(result, "gamma")
    assert lo < 2 < hi


def test_the_cli_fits_a_minimized_study_from_its_storage_url(storage, tmp_path, capsys):
    url, failed = storage
    out = tmp_path / "fit"
    argv = ["fit", url, "--study", "loss", "--threshold", "0.14", "--out", str(out), "--seed", "1"]
    assert main([*argv, "--draws", "500", "--tune", "500", "--quiet"]) == 0
    summary = pd.read_csv(out / "summary.csv", index_col=0)
    assert summary.loc["alpha", "hdi90_lb"] < 1 - BEST < summary.loc["alpha", "hdi90_ub"]
    assert summary.loc["gamma", "hdi90_lb"] < 2 < summary.loc["gamma", "hdi90_ub"]
    text = (out / "summary.txt").read_text()
    assert f"of {N_TRIALS} scores below the threshold 0.14 (minimize; {failed['loss']} failed runs" in text
    # the storage is read as it is: nothing written to it, no study added
    assert sorted(s.study_name for s in optuna.get_all_study_summaries(url)) == ["accuracy", "loss"]


def test_a_storage_or_study_that_cannot_be_used_is_named(storage, tmp_path, capsys):
    url, _ = storage
    with pytest.raises(ValueError, match=r"holds 2 studies \('accuracy', 'loss'\); name one with study"):
        read_search(url)
    with pytest.raises(ValueError, match=r"has no study 'acc'; its studies: 'accuracy', 'loss'"):
        read_search(url, study="acc")
    with pytest.raises(ValueError, match=r"'loss' minimizes, and maximize=True says otherwise"):
        fit(url, 0.14, study="loss", maximize=True)
    with pytest.raises(ValueError, match="column does not apply to an Optuna storage"):
        read_search(url, study="loss", column="value")
    with pytest.raises(ValueError, match="study applies to an Optuna storage URL only"):
        read_search([0.5, 0.6], study="loss")
    missing = tmp_path / "typo.db"
    with pytest.raises(
        FileNotFoundError, match=r"no database at .*typo\.db .*bayesq reads an Optuna storage, it makes none"
    ):
        read_search(f"sqlite:///{missing}")
    assert not missing.exists()  # (SQLAlchemy would have made an empty database)
    assert main(["fit", url, "--threshold", "0.86"]) == 2
    assert "name one with --study" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore:.*set_metric_names is experimental")
def test_a_multi_objective_study_takes_the_objective_by_index_or_name(tmp_path):
    url = f"sqlite:///{tmp_path / 'multi.db'}"
    study, failed = known_study(url, "two", "maximize", seed=2, objectives=2)
    with pytest.raises(ValueError, match=r"has 2 objectives; choose one with objective \(0 to 1\)"):
        read_search(study)
    first = read_search(study, objective=0)
    assert first.n_failed == failed and first.scores.size == N_TRIALS
    np.testing.assert_array_equal(first.scores, [t.values[0] if t.values else np.nan for t in study.trials])
    study.set_metric_names(["accuracy", "x0"])
    np.testing.assert_array_equal(
        read_search(study, objective="x0").scores, read_search(study, objective=1).scores
    )
    with pytest.raises(ValueError, match=r"no objective 'loss'; its objectives: 'accuracy', 'x0'"):
        read_search(study, objective="loss")
    with pytest.raises(ValueError, match="objective 2 is none of them"):
        read_search(study, objective=2)


def test_a_recorded_direction_is_never_overridden_silently(storage):
    url, _ = storage
    loss = optuna.load_study(study_name="loss", storage=url)
    with pytest.raises(ValueError, match=r"Optuna study 'loss' minimizes: pass maximize=False"):
        prepare_scores(loss, 0.14)  # as fit_joint and build_model call it, maximizing by default
    assert prepare_scores(loss, 0.14, maximize=False).tail.size > 0


def test_running_trials_are_not_runs_yet():
    study = optuna.create_study(direction="minimize")
    for value in (0.3, 0.2):
        study.add_trial(optuna.trial.create_trial(value=value))
    study.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.PRUNED))
    study.ask()  # a trial still running
    search = read_search(study)
    np.testing.assert_array_equal(search.scores, [0.3, 0.2, np.nan])
    assert search.maximize is False


# -- tables of runs ------------------------------------------------------------------------
def test_a_wandb_runs_export_reads_failed_runs_as_runs_and_leaves_running_ones_out(tmp_path):
    csv = tmp_path / "wandb_export.csv"
    csv.write_text(
        "Name,State,Notes,User,Tags,Created,Runtime,Sweep,learning_rate,eval/accuracy\n"
        "fiery-sweep-1,finished,-,ana,,2026-11-30T10:00:00.000Z,3600,abc123,0.001,0.81\n"
        "glad-sweep-2,crashed,-,ana,,2026-11-30T11:00:00.000Z,120,abc123,0.1,0.12\n"
        "keen-sweep-3,finished,-,ana,,2026-11-30T12:00:00.000Z,3500,abc123,0.0003,0.84\n"
        "calm-sweep-4,failed,-,ana,,2026-11-30T13:00:00.000Z,60,abc123,0.3,\n"
        "bold-sweep-5,running,-,ana,,2026-11-30T14:00:00.000Z,900,abc123,0.002,0.5\n"
        "wise-sweep-6,finished,-,ana,,2026-11-30T15:00:00.000Z,3400,abc123,0.0001,\n"
    )
    np.testing.assert_array_equal(
        read_scores(csv, column="eval/accuracy"), [0.81, np.nan, 0.84, np.nan, np.nan]
    )
    with pytest.raises(ValueError, match=r"several columns \(Tags, Runtime, learning_rate, eval/accuracy\)"):
        read_scores(csv)
    with pytest.raises(ValueError, match="no column 'accuracy'"):
        read_scores(csv, column="accuracy")


def test_an_mlflow_runs_frame_reads_its_metric_column_and_statuses():
    runs = pd.DataFrame(
        {
            "run_id": ["a", "b", "c", "d"],
            "status": ["FINISHED", "FAILED", "FINISHED", "SCHEDULED"],
            "metrics.accuracy": [0.9, np.nan, 0.85, np.nan],
            "params.lr": ["0.01", "0.1", "0.001", "0.003"],
        }
    )
    np.testing.assert_array_equal(read_scores(runs), [0.9, np.nan, 0.85])  # the only numeric column
    assert read_search(runs, column="metrics.accuracy").n_failed == 1
    with pytest.raises(ValueError, match=r"the DataFrame, row 2: not a number: 'high'"):
        read_scores(runs.assign(**{"metrics.accuracy": [0.9, None, "high", None]}), column="metrics.accuracy")


def test_a_table_whose_score_column_is_unclear_is_refused():
    with pytest.raises(ValueError, match=r"several columns \(acc, lr\)"):
        read_scores(pd.DataFrame({"acc": [np.nan, np.nan], "lr": [0.1, 0.2]}))  # every run failed
    with pytest.raises(ValueError, match="several columns are named 'acc'"):
        read_scores(pd.DataFrame([[0.8, 0.9]], columns=["acc", "acc"]), column="acc")
    np.testing.assert_array_equal(read_scores(pd.DataFrame({0: [0.8, 0.9], 1: [1, 2]}), column=0), [0.8, 0.9])


def test_optunas_own_trials_dataframe_reads_as_the_study_does():
    study = optuna.create_study(direction="maximize")
    for value in (0.3, 0.5):
        study.add_trial(optuna.trial.create_trial(value=value))
    study.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.FAIL))
    np.testing.assert_array_equal(
        read_scores(study.trials_dataframe(), column="value"), read_search(study).scores
    )


# -- Ray Tune ------------------------------------------------------------------------------
def ray_experiment(root):
    """An experiment folder as Ray Tune writes it: a folder per trial with params.json, result.json."""
    curves = {
        "train_fn_1f2e3_00000_0_lr=0.0100": [0.70, 0.78, 0.76],
        "train_fn_1f2e3_00001_1_lr=0.0010": [0.60, 0.81, 0.83],
        "train_fn_1f2e3_00002_2_lr=0.3000": [0.40],  # then an exception: error.txt
        "train_fn_1f2e3_00003_3_lr=0.0001": [],  # failed before its first report
    }
    for i, (name, curve) in enumerate(curves.items()):
        trial = root / name
        trial.mkdir(parents=True)
        (trial / "params.json").write_text(json.dumps({"lr": float(name.rsplit("=", 1)[1])}))
        lines = [
            json.dumps(
                {"mean_accuracy": a, "training_iteration": j + 1, "trial_id": f"1f2e3_0000{i}", "done": False}
            )
            for j, a in enumerate(curve)
        ]
        (trial / "result.json").write_text("".join(line + "\n" for line in lines))
        if i >= 2:
            (trial / "error.txt").write_text(
                "Failure # 1 (occurred at 2026-11-30_10-00-00)\nRuntimeError: nan loss\n"
            )
    (root / "experiment_state-2026-11-30_10-00-00.json").write_text("{}")
    (root / "basic-variant-state-2026-11-30_10-00-00.json").write_text("{}")


def test_a_ray_tune_experiment_gives_each_trial_its_best_or_last_value(tmp_path):
    ray_experiment(tmp_path / "exp")
    best = read_search(tmp_path / "exp", column="mean_accuracy", maximize=True)
    np.testing.assert_array_equal(best.scores, [0.78, 0.83, np.nan, np.nan])
    last = read_search(tmp_path / "exp", column="mean_accuracy", curve="last")
    np.testing.assert_array_equal(last.scores, [0.76, 0.83, np.nan, np.nan])
    with pytest.raises(ValueError, match="direction, which its folders do not record; say it with maximize"):
        read_search(tmp_path / "exp", column="mean_accuracy")
    with pytest.raises(
        ValueError, match="name the metric with column; the trials report mean_accuracy, training_iteration"
    ):
        read_search(tmp_path / "exp", maximize=True)
    with pytest.raises(ValueError, match="no Ray Tune experiment"):
        read_search(
            tmp_path / "exp" / "train_fn_1f2e3_00000_0_lr=0.0100", column="mean_accuracy", maximize=True
        )


def test_a_trial_with_only_progress_csv_is_read(tmp_path):
    trial = tmp_path / "exp" / "trial_0"
    trial.mkdir(parents=True)
    (trial / "progress.csv").write_text("loss,training_iteration\n0.9,1\n0.5,2\n0.7,3\n")
    assert read_search(tmp_path / "exp", column="loss", maximize=False).scores.tolist() == [0.5]


# -- failed runs in the model --------------------------------------------------------------
def test_failed_runs_are_censored_runs_at_the_bad_end():
    y = np.array([0.91, np.nan, 0.95, 0.89, np.inf, 0.97, -np.inf, 0.93, 0.96, 0.92, 0.94, 0.98])
    up = prepare_scores(y, 0.9, maximize=True)
    assert up.tail.size == 8 and up.censored.size == 4
    assert np.count_nonzero(up.censored == -np.inf) == 3
    down = prepare_scores(1 - y, 0.1, maximize=False)
    assert down.tail.size == 8 and np.count_nonzero(down.censored == np.inf) == 3
    assert prepare_scores(Search(y), 0.9).censored.size == 4  # a Search reads as its scores


# -- MLflow --------------------------------------------------------------------------------
@pytest.fixture
def tracking(tmp_path):
    """A real MLflow tracking database: an experiment of five runs, one failed and one still running."""
    mlflow = pytest.importorskip("mlflow")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("resnet-lr")
    curves = [[0.50, 0.70, 0.65], [0.60, 0.62, 0.64], [0.40], [0.55, 0.75], [0.30], [np.nan, 0.58, np.nan]]
    for i, curve in enumerate(curves):
        run = client.create_run(experiment, start_time=1_000 + i)
        for step, value in enumerate(curve):
            client.log_metric(run.info.run_id, "val_accuracy", value, step=step)
        if i != 4:  # the last one is still running
            client.set_terminated(run.info.run_id, status="FAILED" if i == 2 else "FINISHED")
    return uri


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
def test_an_mlflow_experiment_reads_each_runs_best_or_last_value_in_the_order_they_started(tracking):
    best = read_search(tracking, experiment="resnet-lr", column="val_accuracy", maximize=True)
    np.testing.assert_array_equal(best.scores, [0.70, 0.64, np.nan, 0.75, 0.58])
    last = read_search(tracking, experiment="resnet-lr", column="metrics.val_accuracy", curve="last")
    np.testing.assert_array_equal(last.scores, [0.65, 0.64, np.nan, 0.75, 0.58])  # the last finite value
    assert best.origin == "MLflow experiment 'resnet-lr'"
    with pytest.raises(ValueError, match=r"has no experiment 'resnet'; its experiments: .*'resnet-lr'"):
        read_search(tracking, experiment="resnet", column="val_accuracy", maximize=True)
    with pytest.raises(ValueError, match="name the metric with column; its runs log val_accuracy"):
        read_search(tracking, experiment="resnet-lr", maximize=True)
    with pytest.raises(ValueError, match="which MLflow does not record; say it with maximize"):
        read_search(tracking, experiment="resnet-lr", column="val_accuracy")


def test_a_database_that_is_not_the_tools_own_is_refused_and_never_written(tmp_path):
    pytest.importorskip("mlflow")
    for tables, read in (
        (("studies", "trials"), lambda url: read_search(url, study="x")),
        (("experiments", "runs"), lambda url: read_search(url, experiment="x", column="acc", curve="last")),
    ):
        path = tmp_path / f"{tables[0]}.db"
        with sqlite3.connect(path) as db:
            for table in tables:
                db.execute(f"CREATE TABLE {table} (x INTEGER)")
        before = path.read_bytes()
        with pytest.raises(
            ValueError, match=r"cannot read an? (Optuna storage|MLflow tracking database) at sqlite"
        ):
            read(f"sqlite:///{path}")
        assert path.read_bytes() == before


def test_a_database_of_another_tool_is_left_untouched(storage, tracking):
    optuna_url, _ = storage
    optuna_db = optuna_url.removeprefix("sqlite:///")
    before = pathlib.Path(optuna_db).read_bytes()
    with pytest.raises(
        ValueError, match="is not an MLflow tracking database: its database has no experiments"
    ):
        read_search(optuna_url, experiment="resnet-lr", column="value", maximize=True)
    with pytest.raises(
        ValueError, match="is not an Optuna storage: its database has no studies, trials table"
    ):
        read_search(tracking)
    assert pathlib.Path(optuna_db).read_bytes() == before


# -- W&B sweeps ----------------------------------------------------------------------------
class Run:
    """A W&B public-API run as bayesq reads it: its ``state`` and its ``summary`` mapping."""

    def __init__(self, state, summary):
        self.state, self.summary = state, summary


class Sweep:
    """What ``wandb.Api().sweep(path)`` returns, by its documented attributes (wandb needs a server):
    the sweep's ``id``, its ``config`` (with the metric and its goal) and its ``runs``."""

    __module__ = "wandb.apis.public.sweeps"

    def __init__(self, goal):
        self.id = "k3x9a2b1"
        self.config = {"method": "random", "metric": {"name": "val/loss", "goal": goal}}
        self.runs = [
            Run("finished", {"val/loss": 0.31, "val/acc": 0.90, "_step": 10}),
            Run("crashed", {"val/loss": 0.55, "_step": 2}),
            Run("finished", {"val/loss": 0.29, "val/acc": 0.91}),
            Run("running", {"val/loss": 0.40}),
            Run("finished", {"val/loss": "NaN"}),
        ]


def test_a_wandb_sweep_reads_its_metric_and_goal():
    sweep = read_search(Sweep("minimize"))
    np.testing.assert_array_equal(sweep.scores, [0.31, np.nan, 0.29, np.nan])
    assert sweep.maximize is False and sweep.origin == "W&B sweep k3x9a2b1"
    other = read_search(Sweep("minimize"), column="val/acc")
    np.testing.assert_array_equal(other.scores, [0.90, np.nan, 0.91, np.nan])
    assert other.maximize is None  # the goal is the sweep metric's, not this one's


def test_a_missing_optional_library_is_named_with_its_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "optuna", None)  # as if not installed
    with pytest.raises(ImportError, match=r"needs optuna: pip install 'bayesq\[optuna\]'"):
        read_search(f"sqlite:///{tmp_path / 'study.db'}")
    monkeypatch.setitem(sys.modules, "mlflow", None)
    monkeypatch.setitem(sys.modules, "mlflow.tracking", None)
    with pytest.raises(ImportError, match=r"needs mlflow: pip install 'bayesq\[mlflow\]'"):
        read_search(f"sqlite:///{tmp_path / 'mlflow.db'}", experiment="resnet")
