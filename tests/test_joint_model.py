"""bayesq.joint_model: the joint model of several searches, and its data model."""

import numpy as np
import pytest
from conftest import SIM_SPEC, THRESHOLD, random_points, searches

from bayesq.joint_model import build_joint_model, joint_data_model, joint_data_values
from bayesq.model import build_model, prepare_scores
from bayesq.priors import Priors
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


@pytest.mark.parametrize(
    "maximize, pool, noise, h",
    [
        (True, ("gamma",), True, None),
        (False, ("gamma", "sigma"), True, None),
        (True, (), True, 6.0),
        (True, ("gamma",), False, None),
    ],
)
def test_joint_data_model_fed_searches_is_their_build_joint_model(maximize, pool, noise, h):
    """joint_data_model's shared data set to the searches' values: the log density equals
    build_joint_model's at random points; fed other searches (other lengths, thresholds and
    units, one without censored runs), it is their model, nothing left over."""
    sign = 1.0 if maximize else -1.0
    priors = Priors(gamma_median=1.5)
    model, shared = joint_data_model(2, maximize, pool, noise, priors, h)
    logp = model.compile_logp()  # compiled once, before any data are set, as nutpie does
    rounded = {name: np.round(y, 3) for name, y in searches().items()}
    for group, thresholds in (
        (rounded, {"a": THRESHOLD, "b": 0.86}),
        ({"a": 2 * rounded["a"][:200] + 1, "b": rounded["b"][:100]}, {"a": 2.7, "b": 0.0}),
    ):
        ys = {name: sign * y for name, y in group.items()}
        ts = {name: sign * t for name, t in thresholds.items()}
        prepared = {name: prepare_scores(ys[name], ts[name], maximize) for name in ys}
        for name, value in joint_data_values(prepared).items():
            shared[name].set_value(value)
        reference = build_joint_model(ys, ts, maximize, pool, noise, priors, h)
        expected = reference.compile_logp()
        for point in random_points(reference, 3):
            assert logp(point) == pytest.approx(expected(point), rel=1e-12)
