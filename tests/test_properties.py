"""Properties of the (noisy) quadratic distributions: the specification that
needs no reference table (normalization, duality, location-scale, limits,
inverse, sampling, moments)."""

import itertools

import numpy as np
import pytest
import scipy.integrate as si
import scipy.stats as st

from bayesq import noisy_quadratic, quadratic

CASES = [  # alpha, beta, gamma, sigma
    (0.829, 0.887, 1.0, 1.9e-3),
    (0.135, 0.582, 2.0, 6.2e-3),
    (0.0, 1.0, 0.5, 0.3),
    (3.5, 4.2, 12.0, 0.007),
    (0.82, 0.89, 2.5, 7e-8),
]


@pytest.mark.parametrize("maximize", [True, False])
@pytest.mark.parametrize(("alpha", "beta", "gamma", "sigma"), CASES)
def test_density_integrates_to_one_and_to_the_cdf(alpha, beta, gamma, sigma, maximize):
    d = noisy_quadratic(alpha, beta, gamma, sigma, maximize)
    lo, hi = alpha - 12 * sigma, beta + 12 * sigma
    # breakpoints graded geometrically towards both ends of the support, where
    # the density changes on the scale of sigma
    offsets = sigma * np.logspace(0, 8, 17)
    pts = np.concatenate([[alpha, beta], alpha + offsets, alpha - offsets, beta + offsets, beta - offsets])
    edges = np.unique(np.clip(pts, lo, hi))
    total = sum(
        si.quad(d.pdf, a, b, epsabs=0, epsrel=1e-12, limit=200)[0] for a, b in itertools.pairwise(edges)
    )
    mass_outside = d.cdf(lo) + d.sf(hi)
    assert total + mass_outside == pytest.approx(1.0, abs=1e-10)
    y = np.linspace(lo, hi, 7)[1:-1]
    np.testing.assert_allclose(d.cdf(y) + d.sf(y), 1.0, rtol=1e-10)


@pytest.mark.parametrize(("alpha", "beta", "gamma", "sigma"), CASES)
def test_duality_between_concave_and_convex(alpha, beta, gamma, sigma):
    """Y ~ Qmax(a, b, g, s)  <=>  -Y ~ Qmin(-b, -a, g, s)."""
    dmax = noisy_quadratic(alpha, beta, gamma, sigma, maximize=True)
    dmin = noisy_quadratic(-beta, -alpha, gamma, sigma, maximize=False)
    y = np.linspace(alpha - 20 * sigma, beta + 20 * sigma, 41)
    np.testing.assert_allclose(dmax.logpdf(y), dmin.logpdf(-y), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dmax.logcdf(y), dmin.logsf(-y), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dmax.logsf(y), dmin.logcdf(-y), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("maximize", [True, False])
@pytest.mark.parametrize(("alpha", "beta", "gamma", "sigma"), CASES)
def test_location_scale(alpha, beta, gamma, sigma, maximize):
    """alpha + (beta - alpha) Y0, Y0 ~ Q(0, 1, g, s0), is Q(alpha, beta, g, (beta - alpha) s0)."""
    width = beta - alpha
    d = noisy_quadratic(alpha, beta, gamma, sigma, maximize)
    d0 = noisy_quadratic(0.0, 1.0, gamma, sigma / width, maximize)
    y0 = np.linspace(-0.2, 1.2, 29)
    y = alpha + width * y0
    np.testing.assert_allclose(d.logpdf(y), d0.logpdf(y0) - np.log(width), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(d.logcdf(y), d0.logcdf(y0), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(d.logsf(y), d0.logsf(y0), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("maximize", [True, False])
@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0, 3.0, 7.0])
def test_small_noise_limit_is_the_quadratic(gamma, maximize):
    alpha, beta = 0.82, 0.89
    q = quadratic(alpha, beta, gamma, maximize)
    y = np.linspace(alpha, beta, 23)[1:-1]
    for sigma in (1e-7, 1e-9):
        d = noisy_quadratic(alpha, beta, gamma, sigma, maximize)
        np.testing.assert_allclose(d.logpdf(y), q.logpdf(y), atol=1e-5)
        np.testing.assert_allclose(d.logcdf(y), q.logcdf(y), atol=1e-5)
    # sigma = 0 exactly is the quadratic distribution
    d0 = noisy_quadratic(alpha, beta, gamma, 0.0, maximize)
    np.testing.assert_allclose(d0.logpdf(y), q.logpdf(y), rtol=1e-14)
    np.testing.assert_allclose(d0.logsf(y), q.logsf(y), rtol=1e-14)


@pytest.mark.parametrize("gamma", [0.5, 1.0, 2.0, 5.0, 20.0])
def test_quadratic_is_a_generalized_pareto(gamma):
    """The concave quadratic is genpareto(c=-2/gamma, loc=alpha, scale=2 (beta-alpha)/gamma)."""
    alpha, beta = 0.135, 0.582
    q = quadratic(alpha, beta, gamma)
    g = st.genpareto(c=-2 / gamma, loc=alpha, scale=2 * (beta - alpha) / gamma)
    y = np.linspace(alpha, beta, 31)[1:-1]
    np.testing.assert_allclose(q.logpdf(y), g.logpdf(y), rtol=1e-12)
    np.testing.assert_allclose(q.logcdf(y), g.logcdf(y), rtol=1e-12)
    np.testing.assert_allclose(q.logsf(y), g.logsf(y), rtol=1e-12)
    p = np.array([1e-12, 0.01, 0.3, 0.5, 0.9, 0.999])
    np.testing.assert_allclose(q.ppf(p), g.ppf(p), rtol=1e-12)
    assert np.isneginf(q.logpdf(beta + 1e-9)) and np.isneginf(q.logpdf(alpha - 1e-9))
    assert q.logcdf(beta + 0.1) == 0.0 and np.isneginf(q.logcdf(alpha - 0.1))


@pytest.mark.parametrize("maximize", [True, False])
@pytest.mark.parametrize(("alpha", "beta", "gamma", "sigma"), CASES)
def test_ppf_inverts_the_cdf_into_the_tails(alpha, beta, gamma, sigma, maximize):
    d = noisy_quadratic(alpha, beta, gamma, sigma, maximize)
    q = np.array([1e-300, 1e-30, 1e-6, 0.1, 0.5, 0.9, 1 - 1e-9])
    y = d.ppf(q)
    assert np.all(np.diff(y) > 0)
    low = q <= 0.5
    # F(y) = q up to the function's own conditioning: a change of y by a few
    # ulps moves log F by |d log F/dy| * ulp(y)
    slack = np.exp(d.logpdf(y) - np.where(low, d.logcdf(y), d.logsf(y))) * 4 * np.spacing(np.abs(y))
    np.testing.assert_array_less(np.abs(d.logcdf(y[low]) - np.log(q[low])), 1e-10 + slack[low])
    np.testing.assert_array_less(np.abs(d.logsf(y[~low]) - np.log1p(-q[~low])), 1e-10 + slack[~low])
    p = np.array([1e-250, 1e-12])
    yp = d.isf(p)
    slack = np.exp(d.logpdf(yp) - d.logsf(yp)) * 4 * np.spacing(np.abs(yp))
    np.testing.assert_array_less(np.abs(d.logsf(yp) - np.log(p)), 1e-10 + slack)
    assert d.ppf(0.0) == -np.inf and d.ppf(1.0) == np.inf


@pytest.mark.parametrize("maximize", [True, False])
@pytest.mark.parametrize(("alpha", "beta", "gamma", "sigma"), CASES[:4])
def test_draws_follow_the_cdf(alpha, beta, gamma, sigma, maximize):
    d = noisy_quadratic(alpha, beta, gamma, sigma, maximize)
    x = d.sample(size=4000, random_state=20261122)
    assert st.kstest(x, d.cdf).pvalue > 1e-3
    # and the moments
    assert abs(x.mean() - d.mean()) < 5 * d.std() / np.sqrt(x.size)


@pytest.mark.parametrize(("alpha", "beta", "gamma", "sigma"), CASES[:4])
def test_moments_match_numerical_integration(alpha, beta, gamma, sigma):
    d = noisy_quadratic(alpha, beta, gamma, sigma)
    lo, hi = alpha - 15 * sigma, beta + 15 * sigma
    pts = [alpha, beta, beta - sigma, beta + sigma]
    m1 = si.quad(lambda y: y * d.pdf(y), lo, hi, points=pts, limit=200, epsrel=1e-12)[0]
    m2 = si.quad(lambda y: (y - m1) ** 2 * d.pdf(y), lo, hi, points=pts, limit=200, epsrel=1e-12)[0]
    assert d.mean() == pytest.approx(m1, rel=1e-8)
    assert d.var() == pytest.approx(m2, rel=1e-6)


def test_bad_parameters_are_named():
    with pytest.raises(ValueError, match="alpha < beta"):
        noisy_quadratic(0.9, 0.8, 1.0, 0.01)
    with pytest.raises(ValueError, match="gamma > 0"):
        noisy_quadratic(0.8, 0.9, 0.0, 0.01)
    with pytest.raises(ValueError, match="sigma >= 0"):
        noisy_quadratic(0.8, 0.9, 1.0, -0.01)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        noisy_quadratic(0.8, 0.9, 1.0, 0.01).ppf(1.5)
