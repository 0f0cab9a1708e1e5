"""bayesq.NoisyQuadratic and bayesq.Quadratic as PyMC distributions."""

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest
import scipy.stats as st
from pymc.logprob.utils import ParameterValueError
from pymc.testing import BaseTestDistributionRandom
from pytensor.graph.traversal import ancestors

import bayesq
from bayesq import noisy_quadratic, quadratic

PARAMS = dict(alpha=0.829, beta=0.887, gamma=1.3, sigma=1.9e-3)
Y = np.array([0.8, 0.85, 0.87, 0.886, 0.89, 0.9])


@pytest.mark.parametrize("maximize", [True, False])
def test_logp_logcdf_logccdf_are_the_math(maximize):
    rv = bayesq.NoisyQuadratic.dist(**PARAMS, maximize=maximize)
    d = noisy_quadratic(**PARAMS, maximize=maximize)
    np.testing.assert_allclose(pm.logp(rv, Y).eval(), d.logpdf(Y), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(pm.logcdf(rv, Y).eval(), d.logcdf(Y), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(pm.logccdf(rv, Y).eval(), d.logsf(Y), rtol=1e-13, atol=1e-15)


def test_quadratic_logp_matches_genpareto():
    rv = bayesq.Quadratic.dist(alpha=0.1, beta=0.6, gamma=3.0)
    g = st.genpareto(c=-2 / 3.0, loc=0.1, scale=2 * 0.5 / 3.0)
    y = np.array([0.2, 0.4, 0.59])
    np.testing.assert_allclose(pm.logp(rv, y).eval(), g.logpdf(y), rtol=1e-12)
    np.testing.assert_allclose(pm.logcdf(rv, y).eval(), g.logcdf(y), rtol=1e-12)
    np.testing.assert_allclose(pm.logccdf(rv, y).eval(), g.logsf(y), rtol=1e-12)
    rv_min = bayesq.Quadratic.dist(alpha=-0.6, beta=-0.1, gamma=3.0, maximize=False)
    np.testing.assert_allclose(pm.logp(rv_min, -y).eval(), g.logpdf(y), rtol=1e-12)


@pytest.mark.parametrize("maximize", [True, False])
def test_censoring_uses_logcdf_and_logccdf(maximize):
    d = noisy_quadratic(**PARAMS, maximize=maximize)
    t = 0.87
    lower = pm.Censored.dist(bayesq.NoisyQuadratic.dist(**PARAMS, maximize=maximize), lower=t, upper=None)
    upper = pm.Censored.dist(bayesq.NoisyQuadratic.dist(**PARAMS, maximize=maximize), lower=None, upper=t)
    y = np.array([t, 0.875, 0.88])
    got_lower = pm.logp(lower, y).eval()
    got_upper = pm.logp(upper, np.array([t, 0.86, 0.85])).eval()
    assert got_lower[0] == pytest.approx(d.logcdf(t), rel=1e-12)
    np.testing.assert_allclose(got_lower[1:], d.logpdf(y[1:]), rtol=1e-12)
    assert got_upper[0] == pytest.approx(d.logsf(t), rel=1e-12)
    np.testing.assert_allclose(got_upper[1:], d.logpdf([0.86, 0.85]), rtol=1e-12)


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (dict(alpha=0.9, beta=0.8), "alpha < beta"),
        (dict(gamma=0.0), "gamma > 0"),
        (dict(gamma=-1.0), "gamma > 0"),
        (dict(sigma=-1e-3), "sigma >= 0"),
    ],
)
def test_invalid_parameters_raise_in_eval_and_give_minus_inf_in_models(bad, match):
    params = {**PARAMS, **bad}
    rv = bayesq.NoisyQuadratic.dist(**params)
    for fn in (pm.logp, pm.logcdf, pm.logccdf):
        with pytest.raises(ParameterValueError, match=match):
            fn(rv, Y).eval()
    # inside a model compiled for sampling, the check becomes -inf
    with pm.Model() as model:
        bayesq.NoisyQuadratic("y", **params, observed=Y)
    assert model.compile_logp()({}) == -np.inf


def test_random_draws_shapes_seeds_and_prior_predictive():
    rv = bayesq.NoisyQuadratic.dist(**PARAMS, size=(3, 5))
    a = pm.draw(rv, random_seed=1)
    b = pm.draw(rv, random_seed=1)
    assert a.shape == (3, 5) and np.array_equal(a, b)
    assert not np.array_equal(a, pm.draw(rv, random_seed=2))
    # batched parameters broadcast like PyMC's own distributions
    rv2 = bayesq.NoisyQuadratic.dist(alpha=[0.0, 10.0], beta=[1.0, 11.0], gamma=2.0, sigma=0.0)
    draws = pm.draw(rv2, draws=200, random_seed=3)
    assert draws.shape == (200, 2)
    assert np.all((draws[:, 0] >= 0) & (draws[:, 0] <= 1) & (draws[:, 1] >= 10) & (draws[:, 1] <= 11))
    with pm.Model():
        gamma = pm.Gamma("gamma", 2.0, 1.0)
        bayesq.NoisyQuadratic("y", alpha=0.0, beta=1.0, gamma=gamma, sigma=0.01, shape=10)
        prior = pm.sample_prior_predictive(draws=50, random_seed=4)
    assert prior.prior["y"].shape == (1, 50, 10)


@pytest.mark.parametrize("maximize", [True, False])
def test_support_point_is_the_median_of_the_quadratic(maximize):
    with pm.Model() as model:
        bayesq.NoisyQuadratic("y", **PARAMS, maximize=maximize)
        bayesq.Quadratic("q", alpha=0.1, beta=0.6, gamma=3.0, maximize=maximize)
    point = model.initial_point()
    q = quadratic(PARAMS["alpha"], PARAMS["beta"], PARAMS["gamma"], maximize)
    assert point["y"] == pytest.approx(q.median(), rel=1e-12)
    assert np.isfinite(model.compile_logp()(point))


def test_gradients_flow_to_every_parameter():
    alpha, beta, gamma, sigma = (pt.dscalar(n) for n in "abgs")
    rv = bayesq.NoisyQuadratic.dist(alpha, beta, gamma, sigma)
    logp = pm.logp(rv, Y).sum()
    grads = pt.grad(logp, [alpha, beta, gamma, sigma])
    values = [g.eval({alpha: 0.829, beta: 0.887, gamma: 1.3, sigma: 1.9e-3}) for g in grads]
    assert all(np.isfinite(v) and v != 0 for v in values)


def _float_constant_sizes(expr):
    return {
        c.data.size for c in ancestors([expr]) if isinstance(c, pt.TensorConstant) and c.dtype == "float64"
    }


@pytest.mark.filterwarnings("ignore:Skipping Check")
@pytest.mark.parametrize("noisy", [True, False])
def test_observed_ties_are_evaluated_once_per_distinct_value(noisy):
    """Rounded scores (accuracies are multiples of 1/N): the log density, CDF and SF of
    observed data are computed at the distinct values and equal the math at every score,
    in value and in gradient."""
    y = np.round(np.random.default_rng(3).uniform(0.85, 0.9, 300), 3)
    distinct = np.unique(y)
    assert distinct.size < 60
    names = ("alpha", "beta", "gamma", "sigma") if noisy else ("alpha", "beta", "gamma")
    params = [pt.dscalar(n) for n in names]
    point = {n: PARAMS[n] for n in names}
    rv = (bayesq.NoisyQuadratic if noisy else bayesq.Quadratic).dist(*params)
    symbolic = pt.dvector("y")
    once = [fn(rv, y) for fn in (pm.logp, pm.logcdf, pm.logccdf)]
    each = [fn(rv, symbolic) for fn in (pm.logp, pm.logcdf, pm.logccdf)]
    for expr in once:
        assert distinct.size in _float_constant_sizes(expr)
        assert y.size not in _float_constant_sizes(expr)
    # values of all three, gradient of the log density (what a fit uses), in one compiled function
    outputs = [*once, *each, *pt.grad(once[0].sum(), params), *pt.grad(each[0].sum(), params)]
    got = pytensor.function([*params, symbolic], outputs, mode="JAX")(*point.values(), y)
    k = len(params)
    for a, b in zip(got[:3], got[3:6], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(got[6 : 6 + k], got[6 + k :], rtol=1e-11)
    # parameters that vary by element (a symbolic alpha per score): evaluated at every score
    rv_each = bayesq.NoisyQuadratic.dist(pt.dvector("alpha_each"), 0.887, 1.3, 1.9e-3)
    sizes = _float_constant_sizes(pm.logp(rv_each, y))
    assert y.size in sizes and distinct.size not in sizes


def test_model_with_gamma_free_samples_with_pymc_nuts():
    """A short NUTS run on a NoisyQuadratic likelihood (the full fit is bayesq.fit)."""
    rng = np.random.default_rng(5)
    y = noisy_quadratic(0.0, 1.0, 2.0, 0.05).sample(size=300, random_state=rng)
    with pm.Model():
        gamma = pm.LogNormal("gamma", 0.5, 1.0)
        bayesq.NoisyQuadratic("y", alpha=0.0, beta=1.0, gamma=gamma, sigma=0.05, observed=y)
        idata = pm.sample(draws=200, tune=200, chains=2, cores=1, random_seed=6, progressbar=False)
    post = idata.posterior["gamma"].values
    assert int(idata.sample_stats["diverging"].sum()) == 0
    assert 1.5 < post.mean() < 2.6


class TestNoisyQuadraticRandomVariable(BaseTestDistributionRandom):
    """PyMC's own checks: parameters reach the rv_op, sizes broadcast."""

    pymc_dist = bayesq.NoisyQuadratic
    pymc_dist_params = {"alpha": 0.1, "beta": 0.6, "gamma": 3.0, "sigma": 0.01, "maximize": False}
    expected_rv_op_params = {"alpha": 0.1, "beta": 0.6, "gamma": 3.0, "sigma": 0.01, "maximize": False}
    checks_to_run = ["check_pymc_params_match_rv_op", "check_rv_size"]


class TestQuadraticRandomVariable(BaseTestDistributionRandom):
    pymc_dist = bayesq.Quadratic
    pymc_dist_params = {"alpha": 0.1, "beta": 0.6, "gamma": 3.0}
    expected_rv_op_params = {"alpha": 0.1, "beta": 0.6, "gamma": 3.0, "maximize": True}
    checks_to_run = ["check_pymc_params_match_rv_op", "check_rv_size"]


def test_pymc_helper_checks_are_really_run():
    """The trap of PyMC's helper: a misspelled attribute silently runs nothing."""
    for cls in (TestNoisyQuadraticRandomVariable, TestQuadraticRandomVariable):
        assert cls.checks_to_run and all(callable(getattr(cls, name)) for name in cls.checks_to_run)
