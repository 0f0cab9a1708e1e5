"""bayesq.joint and the joint model: several searches in one posterior, partial pooling."""

import warnings

import numpy as np
import pytest
from conftest import SIM_SPEC, THRESHOLD, assert_same_log_density, searches, with_depth_cap

import bayesq
from bayesq.model import PARAMETERS, build_joint_model, build_model
from bayesq.simulate import simulate_random_search


def _logp(model, point):
    return float(model.compile_logp()(point))


@pytest.mark.parametrize("h", [None, 6.0])
def test_joint_model_without_pooling_is_the_separate_models_side_by_side(h):
    s = searches()
    joint = build_joint_model(s, {"a": THRESHOLD, "b": 0.86}, pool=(), n_hyperparameters=h)
    singles = [
        build_model(s["a"], THRESHOLD, n_hyperparameters=h),
        build_model(s["b"], 0.86, n_hyperparameters=h),
    ]
    rng = np.random.default_rng(0)
    points = [{k: v + rng.normal(0, 0.1) for k, v in m.initial_point().items()} for m in singles]
    stacked = {k: np.array([p[k] for p in points]) for k in points[0]}
    assert _logp(joint, stacked) == pytest.approx(
        sum(_logp(m, p) for m, p in zip(singles, points, strict=True)), rel=1e-10
    )


@pytest.mark.parametrize("n, h", [(2, None), (3, None), (3, 3.0)])
def test_pooled_gamma_is_the_hierarchical_normal_prior_with_mu_integrated_out(n, h):
    """On log gamma; with n_hyperparameters h on logit(gamma / h), centred at logit(min(2, h/2) / h)."""
    from scipy import stats

    s = {
        name: simulate_random_search(**dict(SIM_SPEC, random_seed=i)).scores
        for i, name in enumerate("abc"[:n])
    }
    model = build_joint_model(s, THRESHOLD, pool=("gamma",), n_hyperparameters=h)
    names = {v.name for v in model.free_RVs}
    assert {"gamma_tau", "gamma_level", "gamma_contrast"} <= names and "gamma" not in names
    rng = np.random.default_rng(1)
    tau = 0.3
    point = model.initial_point()
    point.update(gamma_tau_log__=np.log(tau), gamma_level=rng.normal(), gamma_contrast=rng.normal(size=n - 1))
    gamma = model.replace_rvs_by_values([model["gamma"]])[0]
    g = model.compile_fn(gamma, inputs=model.value_vars, on_unused_input="ignore")(point)
    if h is None:
        x, center, scale = np.log(g), np.log(2.0), 0.75
    else:
        assert np.all((g > 0) & (g < h))
        x, center, scale = np.log(g / (h - g)), 0.0, 1.5  # logit(1.5 / 3) = 0
    parts = model.compile_logp(vars=[model["gamma_level"], model["gamma_contrast"]], jacobian=False)(point)
    # density of (level, contrast) = density of x times the Jacobian tau^(n-1)
    cov = tau**2 * np.eye(n) + scale**2 * np.ones((n, n))
    expected = stats.multivariate_normal(np.full(n, center), cov).logpdf(x) + (n - 1) * np.log(tau)
    assert parts == pytest.approx(expected, rel=1e-10)


def test_pooling_needs_twosearches():
    with pytest.raises(ValueError, match="two or more searches"):
        build_joint_model({"a": searches()["a"]}, THRESHOLD, pool=("gamma",))


def test_noiseless_joint_model_starts_inside_the_support():
    model = build_joint_model(searches(), THRESHOLD, pool=("gamma",), noise=False)
    logps = model.point_logps()
    assert all(np.isfinite(v) for v in logps.values())
    assert "log_sigma" not in {v.name for v in model.free_RVs}
    assert "scale" not in model.coords  # no dimension without a variable on it


def test_joint_model_samples_the_scales_jointly_unless_sigma_is_pooled():
    separate = build_joint_model(searches(), THRESHOLD, pool=("gamma",))
    assert "log_scales" in {v.name for v in separate.free_RVs}
    assert separate.named_vars_to_dims["log_scales"] == ("search", "scale")
    pooled = build_joint_model(searches(), THRESHOLD, pool=("gamma", "sigma"))
    assert "log_scales" not in {v.name for v in pooled.free_RVs}
    assert "scale" not in pooled.coords


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(pool=("alpha",)), "cannot pool"),
        (dict(pool=("sigma",), noise=False), "no sigma to pool"),
        (dict(thresholds={"a": 0.85}), "missing"),
        (dict(thresholds={"a": 0.85, "b": 0.85, "c": 0.8}), "unknown"),
        (dict(thresholds={"a": 0.85, "b": 0.99}), "search 'b'"),
        (dict(n_hyperparameters=0), "n_hyperparameters must be positive"),
    ],
)
def test_joint_model_rejects_bad_input(kwargs, message):
    kwargs = {"thresholds": THRESHOLD, **kwargs}
    with pytest.raises(ValueError, match=message):
        build_joint_model(searches(), **kwargs)
    with pytest.raises(ValueError, match="non-empty mapping"):
        build_joint_model({}, THRESHOLD)


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
