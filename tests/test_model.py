"""bayesq.build_model: the censored-tail model's likelihood, priors and validation."""

import numpy as np
import pymc as pm
import pytest
from conftest import random_points
from pytensor.graph.traversal import ancestors
from scipy import stats

from bayesq import noisy_quadratic
from bayesq.model import MIN_TAIL, build_model, data_model, data_values, prepare_scores
from bayesq.priors import SIGNAL_SCALE, NoiseSignalPolar, Priors
from bayesq.simulate import simulate_random_search

SIM = simulate_random_search(n=300, alpha=0.80, beta=0.90, gamma=2.0, sigma=0.002, random_seed=11)
THRESHOLD = 0.86


def deterministics(model, names, point):
    """Values of named deterministics at a point of the (transformed) value variables."""
    outs = model.replace_rvs_by_values([model[n] for n in names])
    return model.compile_fn(outs, inputs=model.value_vars, on_unused_input="ignore")(point)


def test_likelihood_is_the_censored_tail_likelihood():
    model = build_model(SIM.scores, THRESHOLD)
    point = model.initial_point()
    names = ["alpha", "beta", "gamma", "sigma"]
    values = deterministics(model, names, point)
    alpha, beta, gamma, sigma = (float(v) for v in values)
    d = noisy_quadratic(alpha, beta, gamma, sigma)
    tail = SIM.scores[SIM.scores > THRESHOLD]
    n_below = int(np.sum(SIM.scores <= THRESHOLD))
    logps = model.point_logps(point, round_vals=12)
    assert logps["tail"] == pytest.approx(d.logpdf(tail).sum(), rel=1e-10)
    assert logps["censored"] == pytest.approx(n_below * d.logcdf(THRESHOLD), rel=1e-10)


@pytest.mark.parametrize(("scale", "shift"), [(100.0, 0.0), (0.5, 3.0), (2.0, -1.0)])
def test_posterior_is_invariant_to_the_units_of_the_score(scale, shift):
    """Fitting c y + e: the log posterior in the sampled (unit-free) coordinates
    changes only by the constant -n_tail log c, so the posterior is the same."""
    m1 = build_model(SIM.scores, THRESHOLD)
    m2 = build_model(scale * SIM.scores + shift, scale * THRESHOLD + shift)
    f1, f2 = m1.compile_logp(), m2.compile_logp()
    n_tail = int(np.sum(SIM.scores > THRESHOLD))
    for point in random_points(m1):
        assert f2(point) - f1(point) == pytest.approx(-n_tail * np.log(scale), abs=1e-6)
    # and the deterministics transform with the score
    point = random_points(m1, 1, seed=3)[0]
    g1 = deterministics(m1, ["alpha", "beta", "sigma", "gamma"], point)
    g2 = deterministics(m2, ["alpha", "beta", "sigma", "gamma"], point)
    np.testing.assert_allclose(g2[:2], [scale * g + shift for g in g1[:2]], rtol=1e-12)
    np.testing.assert_allclose(g2[2:], [scale * g1[2], g1[3]], rtol=1e-12)


def test_a_fixed_unit_replaces_the_tails_spread():
    """spread=d: the priors are set in the unit d, not the tail's standard
    deviation: sigma = d exp(log_sigma) and beta - t = d exp(log_beta_gap)."""
    tail = SIM.scores[SIM.scores > THRESHOLD]
    own, fixed = build_model(SIM.scores, THRESHOLD), build_model(SIM.scores, THRESHOLD, spread=0.05)
    point = random_points(own, 1, seed=4)[0]
    names = ["beta", "gamma", "sigma", "log_sigma", "log_beta_gap"]
    _, g1, s1, ls1, lg1 = deterministics(own, names, point)
    b2, g2, s2, ls2, lg2 = deterministics(fixed, names, point)
    np.testing.assert_allclose([ls2, lg2, g2], [ls1, lg1, g1], rtol=1e-12)
    np.testing.assert_allclose(s1, np.std(tail, ddof=1) * np.exp(ls1), rtol=1e-12)
    np.testing.assert_allclose(s2, 0.05 * np.exp(ls2), rtol=1e-12)
    np.testing.assert_allclose(b2 - THRESHOLD, 0.05 * np.exp(lg2), rtol=1e-12)
    for bad in (0.0, -1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match=r"spread .* finite and positive"):
            build_model(SIM.scores, THRESHOLD, spread=bad)


@pytest.mark.parametrize("scales", [(-1.4, 0.0), (-8.0, 3.0), (2.0, -7.0), (0.6, -2.0), (-30.0, 1.0)])
def test_polar_coordinates_round_trip_with_their_jacobian(scales):
    """(log sigma/d, log gap/d) -> (log r, logit of the angle) and back, and the
    log Jacobian determinant of the way back against central differences."""
    polar = NoiseSignalPolar()
    x = np.array(scales)
    u = polar.forward(x).eval()
    np.testing.assert_allclose(polar.backward(u).eval(), x, rtol=1e-12, atol=1e-12)
    radius = np.hypot(np.exp(x[0]), np.exp(x[1]) / SIGNAL_SCALE)
    assert u[0] == pytest.approx(np.log(radius), rel=1e-12)
    h = 1e-6
    jac = np.column_stack(
        [(polar.backward(u + h * e).eval() - polar.backward(u - h * e).eval()) / (2 * h) for e in np.eye(2)]
    )
    assert polar.log_jac_det(u).eval() == pytest.approx(np.log(abs(np.linalg.det(jac))), abs=1e-7)


def test_polar_sampling_keeps_the_normal_priors_of_the_two_scales():
    priors = Priors(sigma_log_mean=-1.0, sigma_log_sd=0.5, beta_gap_log_mean=0.3, beta_gap_log_sd=2.0)
    model = build_model(SIM.scores, THRESHOLD, priors=priors)
    value = model.rvs_to_values[model["log_scales"]]
    prior = model.compile_fn(model.logp(vars=[model["log_scales"]], jacobian=False), inputs=[value])
    for point in random_points(model, 3):
        log_sigma, log_gap = deterministics(model, ["log_sigma", "log_beta_gap"], point)
        expected = stats.norm(-1.0, 0.5).logpdf(log_sigma) + stats.norm(0.3, 2.0).logpdf(log_gap)
        assert prior({value.name: point[value.name]}) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("maximize", [True, False])
def test_data_model_fed_a_search_is_its_build_model(maximize):
    """data_model's shared data set to a search's values (distinct tail scores and their
    counts): the log density equals build_model's at random points; fed another search
    (other length, other threshold and unit, no censored run), it is that search's model,
    nothing left over."""
    sign = 1.0 if maximize else -1.0
    priors = Priors(gamma_median=1.5)
    model, shared = data_model(maximize, 4.0, priors)
    logp = model.compile_logp()  # compiled once, before any data are set, as nutpie does
    for scores, threshold in (
        (np.round(SIM.scores, 3), THRESHOLD),
        (np.round(2 * SIM.scores[:200] + 1, 3), 2.7),
        (np.round(SIM.scores[:100], 2), 0.0),  # no censored run
    ):
        y, t = sign * scores, sign * threshold
        values = data_values(prepare_scores(y, t, maximize))
        assert values["tail_counts"].sum() == np.sum(sign * y > sign * t) > values["tail_scores"].size
        for name, value in values.items():
            shared[name].set_value(value)
        reference = build_model(y, t, maximize, n_hyperparameters=4.0, priors=priors)
        expected = reference.compile_logp()
        for point in random_points(reference, 3):
            assert logp(point) == pytest.approx(expected(point), rel=1e-12)


def test_minimizing_mirrors_maximizing():
    m_max = build_model(SIM.scores, THRESHOLD, maximize=True)
    m_min = build_model(-SIM.scores, -THRESHOLD, maximize=False)
    f_max, f_min = m_max.compile_logp(), m_min.compile_logp()
    for point in random_points(m_max):
        assert f_min(point) == pytest.approx(f_max(point), rel=1e-11)
    point = m_max.initial_point()
    a1, b1 = deterministics(m_max, ["alpha", "beta"], point)
    a2, b2 = deterministics(m_min, ["alpha", "beta"], point)
    assert (a2, b2) == pytest.approx((-b1, -a1), rel=1e-12)


def test_bounded_gamma_and_prior_overrides():
    priors = Priors(sigma_log_sd=0.5, gamma_median=1.0)
    model = build_model(SIM.scores, THRESHOLD, n_hyperparameters=5, priors=priors)
    assert "gamma_logit" in model.named_vars
    with model:
        prior = pm.sample_prior_predictive(
            draws=2000, random_seed=1, var_names=["gamma", "log_sigma", "alpha", "beta"]
        ).prior
    gamma = prior["gamma"].values
    assert gamma.min() > 0 and gamma.max() < 5
    # the overrides take effect: gamma's prior median is gamma_median, log(sigma/d)'s sd is sigma_log_sd
    assert np.median(gamma) == pytest.approx(1.0, abs=0.1)
    assert np.std(prior["log_sigma"].values) == pytest.approx(0.5, abs=0.03)
    assert np.mean(prior["log_sigma"].values) == pytest.approx(priors.sigma_log_mean, abs=0.04)
    assert np.all(prior["alpha"].values < THRESHOLD) and np.all(prior["beta"].values > THRESHOLD)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(scores=np.full(20, np.nan)), r"all 20 runs failed \(NaN or infinite scores\)"),
        (dict(threshold=0.95), f"need at least {MIN_TAIL}"),
        (dict(threshold=np.nan), "threshold must be a finite number"),
        (dict(scores=np.r_[np.zeros(10), np.ones(10)], threshold=0.5), "no spread"),
        (dict(n_hyperparameters=0), "n_hyperparameters must be positive"),
    ],
)
def test_bad_input_is_named(kwargs, match):
    args = dict(scores=SIM.scores, threshold=THRESHOLD) | kwargs
    priors = args.pop("priors", None)
    with pytest.raises(ValueError, match=match):
        build_model(**args, priors=priors)


def test_bad_prior_settings_are_named():
    with pytest.raises(ValueError, match="gamma_median must be positive"):
        Priors(gamma_median=-1.0)
    with pytest.raises(ValueError, match="sigma_log_mean must be finite"):
        Priors(sigma_log_mean=np.inf)
    with pytest.raises(TypeError, match=r"priors must be a bayesq\.Priors"):
        build_model(SIM.scores, THRESHOLD, priors={"gamma": 1})


def test_model_gradient_does_not_differentiate_the_integration_window():
    """The quadrature's window is chosen without gradient (bayesq.logdensity). PyMC's
    dlogp rewrites the log density before differentiating it, which once dropped the
    stops: every gradient then also ran the window's unrolled Newton steps backwards
    (a warm default fit of deberta-base 16.1 s before, 14.0 s after, measured)."""
    model, _ = data_model(True)
    ops = {str(v.owner.op) for v in ancestors([model.dlogp()]) if v.owner is not None}
    assert any(op.startswith("window_pdf") for op in ops)
    assert not [op for op in ops if op.startswith("window") and "LOp" in op]
