"""The command line and the analysis specs: bayesq demo, fit, run; models/*.toml."""

import inspect
import pathlib

import numpy as np
import pytest

from bayesq import fit
from bayesq.cli import _one_fit, main
from bayesq.simulate import simulate_random_search
from bayesq.spec import DEMO, load_spec

MODELS = pathlib.Path(__file__).parents[1] / "models"
FAST = ["--draws", "200", "--tune", "200", "--chains", "2", "--quiet"]


def test_models_folder_holds_the_demo_and_the_real_analyses():
    assert load_spec(MODELS / "demo.toml") == DEMO.__class__(**{**DEMO.__dict__, "base_dir": MODELS})
    for name, threshold in (("deberta-base", 0.87), ("deberta-v3-base", 0.89), ("alexnet", 0.50)):
        spec = load_spec(MODELS / f"{name}.toml")
        assert spec.data == {"dataset": name} and spec.threshold == threshold and spec.maximize


def test_spec_errors_name_the_key(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[data]\ndataset = "deberta-base"\n[analysis]\nthreshold = 0.8\n[sampler]\ndraw = 5\n')
    with pytest.raises(ValueError, match=r"unknown key\(s\) draw in \[sampler\]"):
        load_spec(path)
    path.write_text('[data]\nfile = "x.txt"\ndataset = "alexnet"\n[analysis]\nthreshold = 0.8\n')
    with pytest.raises(ValueError, match="exactly one of dataset, file, simulate"):
        load_spec(path)
    path.write_text('[data]\ndataset = "alexnet"\n')
    with pytest.raises(ValueError, match="needs a threshold"):
        load_spec(path)
    path.write_text("[data\n")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_spec(path)


def test_fit_writes_the_output_directory_whole_and_refuses_to_overwrite(tmp_path, capsys):
    sim = simulate_random_search(n=150, random_seed=4)
    scores = tmp_path / "scores.txt"
    scores.write_text("\n".join(f"{s:.6f}" for s in sim.scores))
    out = tmp_path / "result"
    assert main(["fit", str(scores), "--threshold", "0.86", "--out", str(out), "--seed", "1", *FAST]) == 0
    printed = capsys.readouterr().out
    assert "above the threshold 0.86" in printed and "results written to" in printed
    files = {p.name for p in out.iterdir()}
    assert files == {
        "summary.txt",
        "summary.csv",
        "fit.nc",
        "trace.png",
        "posterior.png",
        "tail.png",
        "prior.png",
    }
    summary = (out / "summary.txt").read_text()
    assert "beta" in summary and "prior sensitivity" in summary
    from bayesq import load

    fitted = load(out / "fit.nc")
    assert fitted.threshold == 0.86 and "prior" in fitted.idata and "log_prior" in fitted.idata
    # an existing directory is kept unless --force
    before = (out / "fit.nc").read_bytes()
    with pytest.raises(SystemExit, match="--force"):
        main(["fit", str(scores), "--threshold", "0.86", "--out", str(out), *FAST])
    assert (out / "fit.nc").read_bytes() == before
    assert (
        main(["fit", str(scores), "--threshold", "0.86", "--out", str(out), "--force", "--seed", "2", *FAST])
        == 0
    )
    assert (out / "fit.nc").read_bytes() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result", "scores.txt"]  # no temporaries left


def test_fit_reports_bad_input_as_an_error(tmp_path, capsys):
    scores = tmp_path / "scores.txt"
    scores.write_text("0.5\n0.6\nnot-a-number\n")
    assert main(["fit", str(scores), "--threshold", "0.55", *FAST]) == 2
    assert "not-a-number" in capsys.readouterr().err
    assert main(["fit", str(tmp_path / "missing.txt"), "--threshold", "0.5", *FAST]) == 2
    assert "no such score file" in capsys.readouterr().err
    np.savetxt(scores, simulate_random_search(n=100, random_seed=1).scores)
    assert main(["fit", str(scores), "--threshold", "5", *FAST]) == 2
    assert "only 0 of 100 scores lie above the threshold 5.0" in capsys.readouterr().err


def test_curves_reads_a_saved_fit_and_writes_its_tables_and_plots(short_fit, tmp_path, capsys):
    saved = tmp_path / "fit"
    saved.mkdir()
    short_fit.save(saved / "fit.nc")
    out = tmp_path / "curves"
    args = ["curves", str(saved), "--k-max", "2000", "--eps", "0.01", "--support", "0,1", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "best achievable score" in printed and "median tuning curve, 80% credible band" in printed
    files = {p.name for p in out.iterdir()}
    assert files == {"tuning_curve.csv", "best_after.csv", "best_score.txt", "tuning_curve.png", "cdf.png"}
    import pandas as pd

    table = pd.read_csv(out / "tuning_curve.csv", index_col="k")
    assert table.index.max() == pytest.approx(2000) and list(table.columns)[:3] == [
        "lower",
        "estimate",
        "upper",
    ]
    with pytest.raises(SystemExit, match="--force"):
        main(args)


def test_curves_and_thresholds_report_bad_input(short_fit, tmp_path, capsys):
    assert main(["curves", str(tmp_path / "nothing")]) == 2
    assert "no saved fit" in capsys.readouterr().err
    short_fit.save(tmp_path / "fit.nc")
    assert main(["curves", str(tmp_path / "fit.nc"), "--ci", "1.5"]) == 2
    assert "ci must lie strictly between 0 and 1" in capsys.readouterr().err
    assert main(["curves", str(tmp_path / "fit.nc"), "--k-max", "0.5"]) == 2
    assert "--k-max must be >= 1" in capsys.readouterr().err
    scores = tmp_path / "scores.txt"
    np.savetxt(scores, simulate_random_search(n=100, random_seed=1).scores)
    assert main(["thresholds", str(scores), "--thresholds", "0.8,high", *FAST]) == 2
    assert "--thresholds must be numbers" in capsys.readouterr().err


def test_demo_prints_the_posterior_beside_the_truth(capsys):
    assert main(["demo", *FAST]) == 0
    out = capsys.readouterr().out
    table = out.split("posterior vs truth:\n", 1)[1].splitlines()[1:5]
    truth = DEMO.simulation().tail_truth  # the censored tail's truth (the failures stretch alpha)
    for row, (name, value) in zip(table, truth.items(), strict=True):
        label, shown, mean, lower, upper, inside = (
            row.replace("[", "").replace("]", "").replace(",", "").split()
        )
        assert label == name and float(shown) == pytest.approx(value, rel=1e-3)
        assert float(lower) <= float(mean) <= float(upper)
        assert inside == "yes", row  # seeded: the truth lies in every 90 % interval


def test_run_fits_a_spec_with_its_file_direction_priors_and_sampler(tmp_path, capsys):
    """bayesq run: a spec's score file (relative to the spec), minimization, priors and sampler keywords."""
    sim = simulate_random_search(n=150, random_seed=4)
    losses = 1.0 - sim.scores
    (tmp_path / "losses.csv").write_text(
        "run,loss\n" + "".join(f"{i},{v:.8f}\n" for i, v in enumerate(losses))
    )
    spec = tmp_path / "losses.toml"
    spec.write_text(
        'name = "losses"\n[data]\nfile = "losses.csv"\ncolumn = "loss"\n'
        "[analysis]\nthreshold = 0.14\nmaximize = false\n"
        "[priors]\ngamma_median = 1.5\n"
        "[sampler]\nrandom_seed = 7\ndraws = 150\n"
    )
    out = tmp_path / "result"
    assert main(["run", str(spec), "--out", str(out), "--tune", "200", "--chains", "2", "--quiet"]) == 0
    assert "below the threshold 0.14 (minimize)" in capsys.readouterr().out
    from bayesq import load

    fitted = load(out / "fit.nc")
    s = fitted.settings
    assert (s["maximize"], s["threshold"], s["priors"]["gamma_median"]) == (False, 0.14, 1.5)
    assert (s["random_seed"], s["draws"], s["tune"], s["chains"]) == (7, 150, 200, 2)
    assert (s["sampler"], s["backend"]) == ("nutpie", "jax")  # one fit in the process: JAX compiles faster
    np.testing.assert_allclose(np.sort(fitted.scores), np.sort(losses), atol=1e-8)
    # the best score of losses is alpha, near 1 - 0.9
    assert fitted.best_score().estimate == pytest.approx(0.1, abs=0.01)


def test_commands_of_one_fit_take_nutpie_on_jax():
    """fit, run and demo make one fit per process: they ask nutpie for its JAX backend
    (compiled in seconds) unless the sampler or the backend is chosen otherwise."""
    assert _one_fit({"quiet": True}) == {"quiet": True, "backend": "jax"}
    assert _one_fit({"sampler": "nutpie"}, {"sampler": "pymc"}) == {"sampler": "nutpie", "backend": "jax"}
    assert _one_fit({}, {"sampler": "pymc"}) == {}
    assert _one_fit({"sampler": "numpyro"}) == {"sampler": "numpyro"}
    assert _one_fit({}, {"backend": "numba"}) == {}


def test_fit_help_states_the_defaults_of_bayesq_fit(capsys):
    # the CLI builds its parser without importing pymc, so it writes the defaults out
    with pytest.raises(SystemExit):
        main(["fit", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    defaults = inspect.signature(fit).parameters
    for name in ("draws", "tune", "chains", "target_accept"):
        flag = "--" + name.replace("_", "-")
        assert f"{flag} {name.upper()} " in text
        stated = text.split(f"{flag} {name.upper()} ", 1)[1].split("(default ", 1)[1].split(")", 1)[0]
        assert float(stated) == defaults[name].default, flag


def test_simulation_is_seeded_and_validates_its_arguments():
    a = simulate_random_search(n=100, random_seed=1)
    b = simulate_random_search(n=100, random_seed=1)
    assert (a.scores == b.scores).all() and a.failed.sum() > 0
    assert (a.scores[a.failed] < a.alpha).all()
    with pytest.raises(ValueError, match="n must be at least 1"):
        simulate_random_search(n=0)
    with pytest.raises(ValueError, match="failure_rate"):
        simulate_random_search(failure_rate=1.5)
