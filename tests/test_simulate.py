"""bayesq.simulate: simulated searches, and the truth a censored fit is held to."""

import numpy as np
import pytest

from bayesq.simulate import simulate_random_search
from bayesq.stats import noisy_quadratic


@pytest.mark.parametrize("maximize", [True, False])
@pytest.mark.parametrize("gamma", [1.0, 4.0])
def test_failures_make_the_tail_of_a_noisy_quadratic_with_a_stretched_far_end(maximize, gamma):
    sim = simulate_random_search(
        n=10, alpha=0.8, beta=0.9, gamma=gamma, sigma=0.002, maximize=maximize, failure_rate=0.2
    )
    fitted = noisy_quadratic(**sim.tail_truth, maximize=maximize)
    generating = noisy_quadratic(**sim.truth, maximize=maximize)
    # beyond thresholds well inside the support (far from its far end in units of sigma)
    if maximize:
        y = np.linspace(0.83, 0.905, 7)
        np.testing.assert_allclose(fitted.sf(y), 0.8 * generating.sf(y), rtol=1e-9)
        np.testing.assert_allclose(fitted.pdf(y), 0.8 * generating.pdf(y), rtol=1e-9)
        assert sim.tail_truth["alpha"] < sim.alpha and sim.tail_truth["beta"] == sim.beta
    else:
        y = np.linspace(0.795, 0.87, 7)
        np.testing.assert_allclose(fitted.cdf(y), 0.8 * generating.cdf(y), rtol=1e-9)
        np.testing.assert_allclose(fitted.pdf(y), 0.8 * generating.pdf(y), rtol=1e-9)
        assert sim.tail_truth["beta"] > sim.beta and sim.tail_truth["alpha"] == sim.alpha


def test_without_failures_the_tail_truth_is_the_truth():
    sim = simulate_random_search(n=50, failure_rate=0.0, random_seed=1)
    assert sim.tail_truth == sim.truth and not sim.failed.any()


def test_failed_runs_score_beyond_the_far_end():
    sim = simulate_random_search(n=2000, failure_rate=0.1, random_seed=2)
    assert 0.08 < sim.failed.mean() < 0.12
    assert np.all(sim.scores[sim.failed] < sim.alpha) and np.all(sim.scores[~sim.failed] > sim.alpha - 0.05)
    with pytest.raises(ValueError, match="failure_rate"):
        simulate_random_search(failure_rate=1.0)


def _tail_ks(search, threshold):
    """KS p-value of the scores beyond ``threshold`` against the conditional tail of ``tail_truth``."""
    from scipy import stats as scipy_stats

    from bayesq.stats import noisy_quadratic

    dist = noisy_quadratic(**search.tail_truth, maximize=search.maximize)
    beyond = (
        search.scores[search.scores > threshold]
        if search.maximize
        else search.scores[search.scores < threshold]
    )

    def conditional_cdf(y):
        if search.maximize:
            return 1.0 - np.exp(dist.logsf(y) - dist.logsf(threshold))
        return np.exp(dist.logcdf(y) - dist.logcdf(threshold))  # P(Y <= y | Y < t)

    return scipy_stats.kstest(beyond, conditional_cdf).pvalue


@pytest.mark.parametrize("maximize", [True, False])
def test_a_surface_search_follows_its_tail_truth_where_the_surface_is_a_bowl(maximize):
    from bayesq.simulate import simulate_surface_search

    sign = 1 if maximize else -1
    bowl = simulate_surface_search(n=200_000, dims=3, quartic=0.0, maximize=maximize, random_seed=2)
    # beyond beta -+ (c - 6 sigma) every score comes from the ball inside the cube: the noisy quadratic
    # of tail_truth exactly (its alpha from the ball's share of the cube, its gamma the dimension)
    assert _tail_ks(bowl, bowl.beta - sign * (bowl.curvature - 6 * bowl.sigma)) > 0.01
    # the quartic term bends the tail away from it: the top half does not follow it
    bent = simulate_surface_search(n=200_000, dims=3, quartic=0.2, maximize=maximize, random_seed=2)
    assert _tail_ks(bent, np.median(bent.scores)) < 1e-6
    assert _tail_ks(bent, bent.beta - sign * 0.04) < _tail_ks(bowl, bowl.beta - sign * 0.04)


def test_without_the_quartic_term_a_threshold_inside_the_ball_is_exactly_right():
    from bayesq.simulate import simulate_surface_search

    search = simulate_surface_search(n=100_000, dims=2, curvature=0.05, quartic=0.0, sigma=0.0, random_seed=4)
    # beyond beta - c the region is a whole ball inside the cube: exactly the quadratic distribution
    assert _tail_ks(search, search.beta - 0.04) > 0.01
    with pytest.raises(ValueError, match="curvature must be positive"):
        simulate_surface_search(curvature=0.0)
