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
