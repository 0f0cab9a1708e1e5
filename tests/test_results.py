"""bayesq.results: the results' summary, printing, persistence and prior predictive check."""

import numpy as np
import pytest
from conftest import SIM_SPEC, THRESHOLD, assert_same_log_density

import bayesq
from bayesq import load
from bayesq.model import PARAMETERS
from bayesq.results import FitResult
from bayesq.simulate import simulate_random_search

SIM = simulate_random_search(**SIM_SPEC)


@pytest.fixture(scope="module")
def result(short_fit):
    return short_fit


def test_summary_and_diagnostics(result):
    table = result.summary()
    assert list(table.index) == list(PARAMETERS)
    assert {"mean", "sd", "hdi90_lb", "hdi90_ub", "ess_bulk", "ess_tail", "r_hat"} <= set(table.columns)
    diag = result.diagnostics()
    assert diag.draws == 600 and diag.max_rhat < 1.1
    text = str(result)
    assert "above the threshold 0.85" in text and "divergences" in text and "beta" in text


def test_print_shows_each_row_at_the_digits_its_sd_needs(result):
    text = str(result)
    table = result.summary()
    assert table.loc["beta", "mean"] != round(table.loc["beta", "mean"], 2)  # unrounded
    row = next(line for line in text.splitlines() if line.startswith("beta"))
    mean, sd, lower, upper = row.split()[1:5]
    assert float(sd) == pytest.approx(table.loc["beta", "sd"], rel=0.05)  # two significant digits
    assert float(lower) < float(mean) < float(upper)


def test_save_and_load_round_trip_refuses_to_overwrite(result, tmp_path):
    path = result.save(tmp_path / "fit.nc")
    again = load(path)
    np.testing.assert_array_equal(again.draws("beta"), result.draws("beta"))
    assert again.settings == result.settings
    # the model is rebuilt from the saved data and settings: the same log density
    assert set(again.model.named_vars) == set(result.model.named_vars)
    assert_same_log_density(again.model, result.model)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        result.save(path)
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name != "fit.nc"]  # no temporary left behind
    with pytest.raises(ValueError, match="not a bayesq fit"):
        import arviz as az

        az.from_dict({"posterior": {"x": np.zeros((1, 5))}}).to_netcdf(tmp_path / "other.nc")
        load(tmp_path / "other.nc")


def test_a_fit_saved_before_the_polar_transform_was_renamed_still_loads_and_works(result, tmp_path):
    """Fits saved before 2026-12-06 carry the transform's old name in their posterior
    (``log_scales_noise_signal_polar__``); the model is rebuilt from the settings and
    nothing reads that name, so the prior sensitivity and the curves still work."""
    idata = result.idata.copy()
    posterior = idata.posterior.to_dataset()
    posterior["log_scales_noise_signal_polar__"] = posterior["log_scales"]  # as such a fit carried it
    idata["posterior"] = posterior
    path = bayesq.FitResult(idata, model=result.model).save(tmp_path / "old.nc")
    old = load(path)
    assert "log_scales_noise_signal_polar__" in old.idata.posterior
    table = old.prior_sensitivity()
    expected = bayesq.FitResult(result.idata.copy(), model=result.model).prior_sensitivity()
    np.testing.assert_allclose(table[["prior", "likelihood"]], expected[["prior", "likelihood"]], rtol=1e-9)
    np.testing.assert_array_equal(old.tuning_curve([1, 10]).estimate, result.tuning_curve([1, 10]).estimate)


def test_prior_predictive_group(result):
    result.sample_prior(draws=100, random_seed=1)
    prior = result.idata.prior
    assert prior["beta"].shape == (1, 100)
    assert np.all(prior["beta"].values > THRESHOLD) and np.all(prior["alpha"].values < prior["beta"].values)


def test_the_refactor_of_the_inference_layer_kept_every_draw(short_fit, joint_fit):
    """tests/reference/draws-before-refactor.npz: the conftest fixtures' draws of beta and sigma, made
    by the code before the inference layer was split into modules (commit 91232fc,
    /tmp/s/record_fixture_draws.py of that session). On the same CPU and packages the draws are
    identical; elsewhere the compiled code may round otherwise, so the posterior means are compared."""
    import json
    import pathlib
    from importlib.metadata import version

    import llvmlite.binding as llvm

    ref = np.load(pathlib.Path(__file__).parent / "reference" / "draws-before-refactor.npz")
    env = json.loads(str(ref["environment"]))
    same = env["cpu"] == llvm.get_host_cpu_name() and all(version(p) == v for p, v in env["packages"].items())
    for key in ("single/beta", "single/sigma", "joint/beta", "joint/sigma"):
        kind, name = key.split("/")
        now = (short_fit if kind == "single" else joint_fit).idata.posterior[name].values
        if same:
            np.testing.assert_array_equal(now, ref[key])
        else:
            sd = np.std(ref[key]) / np.sqrt(100)  # a generous Monte Carlo error for 600 draws
            np.testing.assert_allclose(now.mean(), ref[key].mean(), atol=5 * sd)


def test_repr_computes_nothing_and_print_reports(short_fit, monkeypatch):
    import bayesq.results

    def no(*args, **kwargs):
        raise AssertionError("repr must not compute the summary or the diagnostics")

    monkeypatch.setattr(bayesq.results, "summary_table", no)
    monkeypatch.setattr(bayesq.results, "diagnose", no)
    text = repr(short_fit)
    assert text.startswith("<FitResult: bayesq fit: 92 of 200 scores above the threshold 0.85")
    monkeypatch.undo()
    assert "divergences" in str(short_fit) and "hdi90_lb" in str(short_fit)


def test_load_returns_the_kind_of_result_that_was_saved(short_fit, joint_fit, tmp_path):
    import subprocess
    import sys

    from bayesq import JointFit, load

    assert type(load(short_fit.save(tmp_path / "single.nc"))) is FitResult
    again = load(joint_fit.save(tmp_path / "joint.nc"))
    assert isinstance(again, JointFit) and again.settings == joint_fit.settings
    # in a fresh process, where nothing has imported bayesq.joint yet
    probe = f"import bayesq; print(type(bayesq.load({str(tmp_path / 'joint.nc')!r})).__name__)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "JointFit"


def test_saving_leaves_the_fit_in_memory_as_it_was(short_fit, tmp_path):
    from bayesq.files import CHECKSUM_ATTR, read_netcdf

    before = dict(short_fit.idata.posterior.attrs)  # a loaded fit (under pytest -n) has its file's checksum
    short_fit.save(tmp_path / "fit.nc")
    assert dict(short_fit.idata.posterior.attrs) == before
    # so a copy written another way holds what the fit held (no checksum, or the one it was loaded
    # with, which matches its contents), and reads back, not refused as corrupted
    short_fit.idata.to_netcdf(tmp_path / "plain.nc", engine="h5netcdf")
    assert read_netcdf(tmp_path / "plain.nc").posterior.attrs.get(CHECKSUM_ATTR) == before.get(CHECKSUM_ATTR)


def test_load_reads_the_fit_of_an_output_directory(short_fit, tmp_path):
    import bayesq

    short_fit.save(tmp_path / "fit.nc")
    again = bayesq.load(tmp_path)  # the folder that --out writes
    assert again.settings == short_fit.settings
    with pytest.raises(FileNotFoundError, match="no saved fit at"):
        bayesq.load(tmp_path / "elsewhere")
