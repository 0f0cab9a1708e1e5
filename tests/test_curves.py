"""Tuning curves and the best score: per-draw accuracy, closed forms, mirrors, summaries and errors."""

import numpy as np
import pytest
from scipy import integrate, special

from bayesq import curves
from bayesq.stats import noisy_quadratic

# draws spanning the posteriors seen in practice and beyond: gamma 0.6-6,
# sigma from 1e-4 to 0.3 of beta - alpha
DRAWS = {
    "alpha": np.array([0.80, 0.83, 0.10, 0.86, 0.75]),
    "beta": np.array([0.90, 0.887, 0.58, 0.905, 0.95]),
    "gamma": np.array([2.0, 1.18, 2.0, 0.6, 6.0]),
    "sigma": np.array([0.002, 0.0017, 0.006, 1e-5, 0.06]),
}
PARAMS = tuple(DRAWS.values())
KS = np.array([1.0, 1.5, 2.0, 7.3, 48.0, 300.0, 1e4, 1e6])


@pytest.mark.parametrize("maximize", [True, False])
def test_median_curves_are_the_quantiles_of_the_best_score(maximize):
    got = curves.median_tuning_curves(*PARAMS, KS, maximize=maximize)
    dist = noisy_quadratic(*(p[:, None] for p in PARAMS), maximize=maximize)
    q = 0.5 ** (1 / KS)
    direct = dist.ppf(q[None, :]) if maximize else dist.isf(q[None, :])
    np.testing.assert_allclose(got, direct, rtol=0, atol=1e-8)
    # the median tuning curve at k = 1 is the median
    np.testing.assert_allclose(got[:, 0], dist.median()[:, 0], atol=1e-8)


def test_curves_rise_with_k_and_mirror_for_minimization():
    k = np.geomspace(1, 1e5, 60)
    up = curves.median_tuning_curves(*PARAMS, k)
    assert np.all(np.diff(up, axis=1) > 0)
    a, b, g, s = PARAMS
    down = curves.median_tuning_curves(-b, -a, g, s, k, maximize=False)
    np.testing.assert_allclose(down, -up, atol=1e-12)
    mean_up = curves.expected_tuning_curves(*PARAMS, k)
    assert np.all(np.diff(mean_up, axis=1) > 0)
    np.testing.assert_allclose(
        curves.expected_tuning_curves(-b, -a, g, s, k, maximize=False), -mean_up, atol=1e-12
    )


def test_expected_curve_at_one_iteration_is_the_mean():
    mean = curves.expected_tuning_curves(*PARAMS, [1.0])[:, 0]
    width = DRAWS["beta"] - DRAWS["alpha"]
    np.testing.assert_allclose(mean, noisy_quadratic(*PARAMS).mean(), rtol=0, atol=2e-6 * width.max())


def test_expected_curve_matches_adaptive_quadrature_of_the_density():
    # E[T_k] = int y k F(y)^(k-1) f(y) dy, by scipy's adaptive quadrature
    k = np.array([2.0, 9.0, 100.0])
    got = curves.expected_tuning_curves(*PARAMS, k)
    for i in range(3):
        a, b, g, s = (p[i] for p in PARAMS)
        d = noisy_quadratic(a, b, g, s)
        for j, kk in enumerate(k):
            integrand = lambda y, d=d, kk=kk: y * kk * np.exp((kk - 1) * d.logcdf(y) + d.logpdf(y))  # noqa: E731
            ref, _ = integrate.quad(integrand, a - 15 * s, b + 15 * s, points=[a, b], limit=500, epsabs=1e-12)
            assert abs(got[i, j] - ref) < 1e-6 * (b - a), (i, kk)


def test_expected_curve_of_a_nearly_noiseless_quadratic_has_its_closed_form():
    # noiseless: E[T_k] = beta - (beta - alpha) k B(k, 2/gamma + 1)
    a, b, k = 0.0, 1.0, np.array([1.0, 4.0, 30.0, 500.0])
    for g in (1.0, 2.0, 5.0):
        got = curves.expected_tuning_curves([a], [b], [g], [1e-7], k)[0]
        exact = b - (b - a) * k * special.beta(k, 2 / g + 1)
        np.testing.assert_allclose(got, exact, atol=2e-6)


def test_band_summarizes_the_draws_and_marks_the_regime():
    rng = np.random.default_rng(0)
    post = {
        "alpha": 0.80 + 0.005 * rng.standard_normal(300),
        "beta": 0.90 + 0.002 * rng.standard_normal(300),
        "gamma": np.exp(rng.normal(np.log(2), 0.1, 300)),
        "sigma": 0.003 * np.exp(rng.normal(0, 0.1, 300)),
    }
    k = np.geomspace(1, 500, 30)
    curve = curves.tuning_curve(post, k, ci=0.8, threshold=0.87)
    per_draw = curves.median_tuning_curves(*post.values(), k)
    np.testing.assert_allclose(curve.draws, per_draw)
    np.testing.assert_allclose(curve.lower, np.quantile(per_draw, 0.1, axis=0))
    np.testing.assert_allclose(curve.upper, np.quantile(per_draw, 0.9, axis=0))
    assert np.all(curve.lower <= curve.estimate) and np.all(curve.estimate <= curve.upper)
    # k_regime: where the posterior median curve crosses the threshold
    crossing = np.interp(0.87, curve.estimate, k)
    assert curve.k_regime == pytest.approx(crossing, rel=0.05)
    assert np.array_equal(curve.in_regime, k >= curve.k_regime)
    assert list(curve.to_dataframe().columns) == ["lower", "estimate", "upper", "in_regime"]


def test_regime_of_a_single_draw_is_where_its_curve_meets_the_threshold():
    one = {name: values[:1] for name, values in DRAWS.items()}
    for kind in ("median", "mean"):
        curve = curves.tuning_curve(one, [1.0], kind=kind, threshold=0.89)
        at = curves.tuning_curve(one, [curve.k_regime], kind=kind).estimate[0]
        assert at == pytest.approx(0.89, abs=1e-7), kind


@pytest.mark.parametrize("maximize", [True, False])
def test_predictive_of_one_draw_is_the_distribution_of_the_best_score(maximize):
    a, b, g, s = (p[:1] for p in PARAMS)
    if not maximize:
        a, b = -b, -a
    one = {"alpha": a, "beta": b, "gamma": g, "sigma": s}
    k = np.array([1.0, 5.0, 60.0])
    pred = curves.best_after(one, k, ci=0.8, maximize=maximize)
    dist = noisy_quadratic(a, b, g, s, maximize=maximize)
    for q, got in ((0.1, pred.lower), (0.5, pred.estimate), (0.9, pred.upper)):
        p = q ** (1 / k) if maximize else 1 - (1 - q) ** (1 / k)  # P(T_k <= y) = F^k, or 1 - S^k for the min
        np.testing.assert_allclose(got, dist.ppf(p), rtol=0, atol=3e-6 * (b - a)[0])


def test_predictive_is_wider_than_the_band_of_the_curve():
    rng = np.random.default_rng(1)
    post = {name: values[0] * np.exp(0.01 * rng.standard_normal(200)) for name, values in DRAWS.items()}
    k = np.array([4.0, 64.0])
    band = curves.tuning_curve(post, k, ci=0.8)
    pred = curves.best_after(post, k, ci=0.8)
    assert np.all(pred.lower < band.lower) and np.all(pred.upper > band.upper)


def test_best_score_interval_and_iterations_to_come_within_eps():
    rng = np.random.default_rng(2)
    post = {
        "alpha": 0.80 + 0.001 * rng.standard_normal(400),
        "beta": 0.90 + 0.001 * rng.standard_normal(400),
        "gamma": np.full(400, 2.0),
        "sigma": np.full(400, 0.001),
    }
    best = curves.best_score(post, ci=0.9)
    assert (best.lower, best.estimate, best.upper) == pytest.approx(
        np.quantile(post["beta"], [0.05, 0.5, 0.95])
    )
    assert best.iterations is None
    found = curves.best_score(post, ci=0.9, eps=0.005, prob=0.75, n_runs=20)
    # by definition, 75 % of the draws' expected curves are within eps of their beta at K
    at = curves.expected_tuning_curves(*post.values(), [found.iterations])[:, 0]
    assert np.mean(at >= post["beta"] - 0.005) == pytest.approx(0.75, abs=2 / 400)
    assert found.more_iterations == pytest.approx(max(0.0, found.iterations - 20))
    single = {name: values[:1] for name, values in post.items()}
    k1 = curves.best_score(single, eps=0.005).iterations
    reached = curves.expected_tuning_curves(*single.values(), [k1])[0, 0]
    assert reached == pytest.approx(single["beta"][0] - 0.005, abs=1e-8)
    # minimizing: the best score is alpha
    low = curves.best_score(post, maximize=False)
    assert low.estimate == pytest.approx(np.median(post["alpha"]))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: curves.median_tuning_curves(*PARAMS, [0.5]), "k must be finite and >= 1"),
        (lambda: curves.median_tuning_curves(*PARAMS, [np.nan]), "k must be finite"),
        (lambda: curves.median_tuning_curves(*PARAMS, [[1.0, 2.0]]), "1-d"),
        (lambda: curves.tuning_curve(DRAWS, [1.0], ci=1.0), "ci must lie strictly between 0 and 1"),
        (lambda: curves.tuning_curve(DRAWS, [1.0], ci=0), "ci must lie"),
        (lambda: curves.tuning_curve(DRAWS, [1.0], kind="mode"), "kind must be 'median' or 'mean'"),
        (lambda: curves.best_after(DRAWS, [2.0], ci=-0.1), "ci must lie"),
        (lambda: curves.best_score(DRAWS, eps=-1.0), "eps must be positive"),
        (lambda: curves.best_score(DRAWS, eps=0.01, prob=1.5), "must lie strictly between 0 and 1"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------------------------------ from a fit
def test_fit_result_curves_are_those_of_its_posterior(short_fit):
    k = np.array([1.0, 10.0, 100.0, 1000.0])
    curve = short_fit.tuning_curve(k)
    direct = curves.tuning_curve(short_fit.idata.posterior, k, threshold=short_fit.threshold)
    np.testing.assert_allclose(curve.estimate, direct.estimate)
    assert curve.threshold == short_fit.threshold and curve.maximize and curve.kind == "median"
    best = short_fit.best_score(eps=0.01)
    assert best.more_iterations == pytest.approx(max(0.0, best.iterations - short_fit.scores.size))
    assert "best achievable score" in str(best) and "more" in str(best)
    after = short_fit.best_after(k)
    assert np.all(np.diff(after.estimate) > 0)


def test_posterior_band_holds_the_true_tuning_curve(short_fit):
    from conftest import SIM_SPEC

    from bayesq.simulate import simulate_random_search

    # the truth of the tail (the failures stretch alpha): it decides the curve where the band is drawn
    tail_truth = simulate_random_search(**SIM_SPEC).tail_truth
    truth = {name: np.array([tail_truth[name]]) for name in ("alpha", "beta", "gamma", "sigma")}
    k = np.geomspace(short_fit.tuning_curve([1.0]).k_regime, 4 * short_fit.scores.size, 12)
    band = short_fit.tuning_curve(k, ci=0.95)
    true_curve = curves.median_tuning_curves(*truth.values(), k)[0]
    assert np.all((band.lower <= true_curve) & (true_curve <= band.upper))


def test_a_quantile_table_is_built_once_for_the_same_draws_and_kept_for_the_last_few():
    from bayesq import quantiles

    rng = np.random.default_rng(3)
    draws = [0.8 + 0.01 * rng.random(50), 0.9 + 0.001 * rng.random(50), np.full(50, 2.0), np.full(50, 0.003)]
    first = quantiles.quantile_table(*draws, True, -1.0, 2.0)
    assert quantiles.quantile_table(*(d.copy() for d in draws), True, -1.0, 2.0) is first  # equal draws
    assert quantiles.quantile_table(*draws, False, -1.0, 2.0) is not first  # the other direction
    changed = [draws[0], draws[1] + 1e-9, *draws[2:]]
    assert quantiles.quantile_table(*changed, True, -1.0, 2.0) is not first
    for i in range(quantiles.TABLES_KEPT):
        quantiles.quantile_table(*draws, True, -1.0, 2.0 + 0.1 * (i + 1))
    rebuilt = quantiles.quantile_table(*draws, True, -1.0, 2.0)
    assert rebuilt is not first and np.array_equal(rebuilt.y, first.y)
