"""Cross-check with the peer library opda where opda is accurate."""

import numpy as np
import opda.parametric as opda_parametric
import pytest

from bayesq import noisy_quadratic


@pytest.mark.parametrize("convex", [False, True])
@pytest.mark.parametrize(("gamma", "sigma"), [(2, 0.05), (2, 0.2), (4, 0.1), (6, 0.1)])
def test_agrees_with_opda_for_even_gamma_and_moderate_noise(gamma, sigma, convex):
    """Even gamma has closed forms in opda: agreement to 1e-9 relative."""
    a, b = 0.0, 1.0
    theirs = opda_parametric.NoisyQuadraticDistribution(a, b, gamma, sigma, convex=convex)
    ours = noisy_quadratic(a, b, gamma, sigma, maximize=not convex)
    y = np.linspace(a - 3 * sigma, b + 3 * sigma, 41)
    np.testing.assert_allclose(ours.pdf(y), theirs.pdf(y), rtol=1e-9)
    np.testing.assert_allclose(ours.cdf(y), theirs.cdf(y), rtol=1e-9, atol=1e-14)
    q = np.array([0.05, 0.5, 0.95])
    np.testing.assert_allclose(ours.ppf(q), theirs.ppf(q), rtol=1e-6)


def test_agrees_with_opda_in_the_bulk_for_odd_gamma():
    """gamma = 1: opda's density is approximate (2.4e-3 relative in the bulk, against mpmath): to 1e-2."""
    a, b, sigma = 0.829, 0.887, 0.05 * 0.058
    theirs = opda_parametric.NoisyQuadraticDistribution(a, b, 1, sigma)
    ours = noisy_quadratic(a, b, 1.0, sigma)
    y = np.linspace(a + 0.1 * (b - a), b - 0.1 * (b - a), 21)
    np.testing.assert_allclose(ours.pdf(y), theirs.pdf(y), rtol=1e-2)
    np.testing.assert_allclose(ours.cdf(y), theirs.cdf(y), rtol=1e-3)
