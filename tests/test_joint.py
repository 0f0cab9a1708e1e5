"""bayesq.joint and the joint model: several searches in one posterior, partial pooling."""

import warnings

import numpy as np
import pytest
from conftest import SHORT, SIM_SPEC, THRESHOLD, assert_same_log_density, searches, with_depth_cap

import bayesq
from bayesq.model import PARAMETERS


@pytest.mark.parametrize("thresholds", ["best", {"a": "auto", "b": "best"}])
def test_a_threshold_that_is_neither_a_number_nor_auto_is_refused_by_name(thresholds):
    with pytest.raises(TypeError, match=r'thresholds.* must be a number or "auto"'):
        bayesq.fit_joint(searches(), thresholds)


def test_joint_fit_records_a_point_per_run_and_splits_into_fit_results(joint_fit, tmp_path):
    post = joint_fit.idata.posterior
    assert list(post["search"].values) == ["a", "b"]
    ll = joint_fit.idata.log_likelihood["scores"]
    assert ll.shape[-1] == 2 * SIM_SPEC["n"]
    for j, name in enumerate(joint_fit.names):
        res = joint_fit.result(name)
        scores = searches()[name]
        assert np.sort(res.scores).tolist() == np.sort(scores).tolist()
        assert res.settings["n_tail"] == int(np.sum(scores > THRESHOLD))
        np.testing.assert_array_equal(res.draws("beta"), post["beta"].values[..., j])
        # the per-search pieces are the joint points, in order
        mine = ll.values[..., ll["run_search"].values == name]
        np.testing.assert_array_equal(
            res.idata.log_likelihood["tail"].values, mine[..., : res.settings["n_tail"]]
        )
        curve = res.tuning_curve([1, 10, 100])
        assert np.all(np.diff(curve.estimate) > 0)
        with pytest.raises(ValueError, match="fitted jointly"):
            res.model  # noqa: B018
    with pytest.raises(KeyError, match="no search 'c'"):
        joint_fit.result("c")
    path = joint_fit.save(tmp_path / "joint.nc")
    again = bayesq.load(path)
    assert isinstance(again, bayesq.JointFit) and again.names == joint_fit.names
    assert [v.name for v in again.model.basic_RVs] == [v.name for v in joint_fit.model.basic_RVs]
    assert_same_log_density(again.model, joint_fit.model)  # thresholds, data, priors
    assert str(again.diagnostics()) == str(joint_fit.diagnostics())


def test_later_joint_fits_reuse_the_compiled_program(joint_fit):
    """nutpie's joint program is compiled once per number of searches and setting and fed the
    searches' data: a joint fit of other searches (other names, lengths, ties, thresholds) finds
    it in the cache, and its draws carry their names."""
    from bayesq.samplers.nutpie import _joint_program

    hits, misses = _joint_program.cache_info()[:2]  # (joint_fit's setting: compiled before)
    s = searches()
    other = {"x": np.round(s["a"][:150], 3), "y": s["b"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        again = bayesq.fit_joint(other, {"x": THRESHOLD, "y": 0.86}, random_seed=2, **dict(SHORT, draws=50))
    assert _joint_program.cache_info()[:2] == (hits + 1, misses)
    assert joint_fit.settings["backend"] == again.settings["backend"] == "numba"
    assert list(again.idata.posterior["search"].values) == ["x", "y"]
    assert list(again.settings["n_tail"]) == [int(np.sum(other["x"] > THRESHOLD)), int(np.sum(s["b"] > 0.86))]


def test_joint_prior_sensitivity_has_a_row_per_search_and_parameter(joint_fit):
    joint = bayesq.JointFit(joint_fit.idata.copy(), model=joint_fit.model)
    table = joint.prior_sensitivity()
    assert list(table.index) == [f"{p}[{n}]" for p in PARAMETERS for n in ("a", "b")] + ["gamma_tau"]
    # the pooled log gamma's priors, hyperprior included, enter the log prior
    assert {"gamma_tau", "gamma_level", "gamma_contrast", "log_scales", "tail_mass"} <= set(
        joint.idata.log_prior.data_vars
    )
    # two searches say little about the spread of their gammas: its prior moves it most
    tau = table.loc["gamma_tau"]
    assert tau.prior > max(0.05, tau.likelihood) and tau.diagnosis != "-"
    assert "log_prior" not in joint_fit.idata


def test_joint_fit_reads_a_lowered_tree_depth_from_its_settings(joint_fit):
    assert joint_fit.settings.sampler.max_tree_depth is None and not joint_fit.diagnostics().depth_capped
    capped = with_depth_cap(joint_fit, 2)
    assert capped.diagnostics().depth_capped
    assert (
        capped.result("a").settings["max_tree_depth"] == 2 and capped.result("a").diagnostics().depth_capped
    )
    # the cap is checked before anything is built
    with pytest.raises(ValueError, match="max_tree_depth must be an integer"):
        bayesq.fit_joint(searches(), THRESHOLD, max_tree_depth=0)


def test_joint_fit_bounded_by_the_nominal_count_keeps_the_bound_through_save_and_load(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = bayesq.fit_joint(
            searches(),
            THRESHOLD,
            pool=(),
            n_hyperparameters=3.0,
            random_seed=5,
            chains=1,
            draws=50,
            tune=50,
            quiet=True,
        )
    gamma = fit.idata.posterior["gamma"].values
    assert np.all((gamma > 0) & (gamma < 3.0))
    assert "gamma_logit" in fit.idata.posterior
    assert fit.settings["n_hyperparameters"] == 3.0
    assert fit.result("b").settings["n_hyperparameters"] == 3.0
    again = bayesq.load(fit.save(tmp_path / "bounded.nc"))
    assert "gamma_logit" in {v.name for v in again.model.free_RVs}
    assert_same_log_density(again.model, fit.model)
