"""bayesq.loglik: the pointwise log-likelihood, a point per run."""

import warnings

import numpy as np
import pytest
from conftest import SIM_SPEC, THRESHOLD

from bayesq.loglik import loglik_function, pointwise_log_likelihood
from bayesq.model import PARAMETERS, prepare_scores
from bayesq.priors import NoiseSignalPolar
from bayesq.simulate import simulate_random_search
from bayesq.stats import noisy_quadratic

SIM = simulate_random_search(**SIM_SPEC)


@pytest.fixture(scope="module")
def result(short_fit):
    return short_fit


def test_log_likelihood_is_the_censored_likelihood_of_each_draw(result):
    post = result.idata.posterior
    a, b, g, s = (float(post[n].values[1, 17]) for n in PARAMETERS)
    d = noisy_quadratic(a, b, g, s)
    tail = SIM.scores[SIM.scores > THRESHOLD]
    ll = result.idata.log_likelihood
    np.testing.assert_allclose(ll["tail"].values[1, 17], d.logpdf(tail), rtol=1e-10)
    np.testing.assert_allclose(ll["censored"].values[1, 17], d.logcdf(THRESHOLD), rtol=1e-10)
    # and sums to the model's likelihood at that point
    model = result.model
    point = {
        "tail_mass_logodds__": np.log(
            post["tail_mass"].values[1, 17] / (1 - post["tail_mass"].values[1, 17])
        ),
        "gamma_log__": np.log(g),
        "log_scales_polar__": NoiseSignalPolar().forward(post["log_scales"].values[1, 17]).eval(),
    }
    logps = model.point_logps(point, round_vals=14)
    assert logps["tail"] == pytest.approx(ll["tail"].values[1, 17].sum(), rel=1e-9)


def test_pointwise_log_likelihood_mirrors_for_minimization():
    scores = -SIM.scores
    pre_min = prepare_scores(scores, -THRESHOLD, maximize=False)
    pre_max = prepare_scores(SIM.scores, THRESHOLD, maximize=True)
    a, b, g, s = np.array([0.78, 0.80]), np.array([0.9, 0.91]), np.array([1.5, 2.5]), np.array([0.003, 0.005])
    t_max, c_max = pointwise_log_likelihood(pre_max, a, b, g, s)
    t_min, c_min = pointwise_log_likelihood(pre_min, -b, -a, g, s)
    np.testing.assert_allclose(t_min, t_max, rtol=1e-11)
    np.testing.assert_allclose(c_min, c_max, rtol=1e-11)


def test_pointwise_log_likelihood_is_the_same_in_any_chunks():
    """Draws go in padded chunks of one shape; each comes back in its place."""
    pre = prepare_scores(SIM.scores, THRESHOLD)
    rng = np.random.default_rng(1)
    shape = (2, 5)
    a, b = rng.uniform(0.78, 0.80, shape), rng.uniform(0.90, 0.91, shape)
    g, s = rng.uniform(1.0, 3.0, shape), rng.uniform(0.002, 0.006, shape)
    whole = pointwise_log_likelihood(pre, a, b, g, s, chunk=10)
    for chunk in (None, 1, 3, 4, 99):
        for got, want in zip(pointwise_log_likelihood(pre, a, b, g, s, chunk=chunk), whole, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-13)
    with pytest.raises(ValueError, match="chunk must be a whole number of draws >= 1, got 0"):
        pointwise_log_likelihood(pre, a, b, g, s, chunk=0)
    d = noisy_quadratic(a[1, 4], b[1, 4], g[1, 4], s[1, 4])
    np.testing.assert_allclose(whole[0][1, 4], d.logpdf(pre.tail), rtol=1e-10)
    np.testing.assert_allclose(whole[1][1, 4], d.logcdf(THRESHOLD), rtol=1e-10)


def test_pointwise_log_likelihood_of_tied_scores_is_each_scores_density():
    """Computed once per distinct tail score, returned for every run in its place."""
    pre = prepare_scores(np.round(SIM.scores, 3), THRESHOLD)
    assert np.unique(pre.tail).size < pre.tail.size / 2
    a, b = np.array([0.79, 0.785]), np.array([0.9, 0.905])
    g, s = np.array([1.5, 2.5]), np.array([0.003, 0.005])
    tail, censored = pointwise_log_likelihood(pre, a, b, g, s)
    assert tail.shape == (2, pre.tail.size) and censored.shape == (2, pre.censored.size)
    for i in range(2):
        want = noisy_quadratic(a[i], b[i], g[i], s[i]).logpdf(pre.tail)
        np.testing.assert_allclose(tail[i], want, rtol=1e-10)


def test_log_likelihood_function_compiles_without_warnings():
    """The draws enter as one matrix: no broadcasting checks for JAX to skip with a UserWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message=".*BLAS.*")
        f = loglik_function.__wrapped__(True)  # a fresh compilation, not the cached one
        draws = np.array([[0.78, 0.9, 2.0, 0.004], [0.79, 0.91, 1.5, 0.003]])
        tail, side = f(np.array([0.88, 0.89]), THRESHOLD, draws)
    assert np.shape(tail) == (2, 2) and np.shape(side) == (2,)
    d = noisy_quadratic(0.79, 0.91, 1.5, 0.003)
    np.testing.assert_allclose(tail[1], d.logpdf([0.88, 0.89]), rtol=1e-10)
