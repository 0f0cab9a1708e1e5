r"""Goodness of fit of a fitted tail: the probability integral transform (PIT) of its scores.

If the fitted tail describes the tail scores, each score mapped through the
fitted conditional CDF of the tail, :math:`G(y) = 1 - S(y)/S(t)`
(maximizing; :math:`F(y)/F(t)` minimizing), averaged over posterior draws,
is close to uniform on (0, 1) (:func:`tail_pit`). :func:`pit_test`
measures the distance from the uniform by the Kolmogorov-Smirnov
statistic. The posterior is fitted to the same scores, so its p-value is
conservative (it rejects less often than nominal): read it as a diagnostic,
not a test; a small one says that the tail is grossly misdescribed, as
when a threshold reaches into scores that are not quadratic-like.
:func:`bayesq.scan_thresholds` reports it per threshold,
:func:`bayesq.plots.plot_pit` draws the PIT, and ``threshold="auto"``
(:mod:`bayesq.stacking`) leaves out candidates whose p-value is below
:data:`bayesq.stacking.MIN_PIT_PVALUE`.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as scipy_stats

from bayesq.curves import flat_draws
from bayesq.stats import noisy_quadratic

__all__ = ["pit_pvalue", "pit_test", "pit_values", "tail_pit"]


def tail_pit(result, n_draws: int = 400, random_seed=0) -> np.ndarray:
    r"""Posterior-averaged PIT of the tail scores under the fitted conditional tail CDF.

    :math:`u_i = E_\theta[1 - S(y_i \mid \theta)/S(t \mid \theta)]` when
    maximizing, :math:`E_\theta[F(y_i \mid \theta)/F(t \mid \theta)]` when
    minimizing, over ``n_draws`` posterior draws; sorted. If the fitted
    tail describes the scores, these are close to uniform on (0, 1)
    (:func:`bayesq.plots.plot_pit` draws them; :func:`pit_test` tests them).

    Parameters
    ----------
    result : bayesq.FitResult
        A fit.
    n_draws : int
        Posterior draws to average over (chosen at random).
    random_seed : int, optional
        Seed of the choice of draws.

    Returns
    -------
    numpy.ndarray
        One value per tail score, in (0, 1), sorted.
    """
    tail = np.asarray(result.idata.observed_data["tail"].values, dtype=float)
    return pit_values(result.idata.posterior, tail, result.threshold, result.maximize, n_draws, random_seed)


def pit_values(
    posterior, tail, threshold: float, maximize: bool, n_draws: int = 400, random_seed=0
) -> np.ndarray:
    """:func:`tail_pit` of draws that are not yet a fit (a candidate of ``threshold="auto"`` being drawn).

    Parameters
    ----------
    posterior : xarray.Dataset or mapping
        Draws of ``alpha``, ``beta``, ``gamma``, ``sigma``, in any shape.
    tail : array_like
        The scores beyond ``threshold``.
    threshold : float
        The threshold.
    maximize : bool
        Whether higher scores are better.
    n_draws : int
        Posterior draws to average over (chosen at random).
    random_seed : int, optional
        Seed of the choice of draws.

    Returns
    -------
    numpy.ndarray
        One value per tail score, in (0, 1), sorted.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesq.pit import pit_values
    >>> draws = {"alpha": [0.8], "beta": [0.9], "gamma": [2.0], "sigma": [0.0]}
    >>> pit_values(draws, np.array([0.89, 0.895]), 0.85, True).round(3)  # S(y) = ((0.9 - y) / 0.1)^(2/2)
    array([0.8, 0.9])
    """
    flat = flat_draws(posterior)
    rng = np.random.default_rng(random_seed)
    pick = rng.choice(flat["alpha"].size, size=min(n_draws, flat["alpha"].size), replace=False)
    dist = noisy_quadratic(*(flat[name][pick, None] for name in flat), maximize=maximize)
    tail = np.asarray(tail, dtype=float)
    if maximize:
        u = -np.expm1(dist.logsf(tail[None, :]) - dist.logsf(threshold))
    else:
        u = np.exp(dist.logcdf(tail[None, :]) - dist.logcdf(threshold))
    return np.sort(u.mean(axis=0))


def pit_pvalue(posterior, tail, threshold: float, maximize: bool) -> float:
    """The p-value of :func:`pit_test` for draws that are not yet a fit (arguments of :func:`pit_values`)."""
    return float(_uniformity(pit_values(posterior, tail, threshold, maximize)).pvalue)


def _uniformity(u):
    """Kolmogorov-Smirnov test of ``u`` against the uniform on (0, 1)."""
    return scipy_stats.kstest(u, "uniform")


def pit_test(result, n_draws: int = 400, random_seed=0):
    """Kolmogorov-Smirnov test of :func:`tail_pit` against the uniform on (0, 1).

    Parameters
    ----------
    result : bayesq.FitResult
        A fit.
    n_draws : int
        Posterior draws the PIT averages over.
    random_seed : int, optional
        Seed of the choice of draws.

    Returns
    -------
    scipy.stats._result_classes.KstestResult
        ``statistic`` (the largest distance between the PIT's empirical CDF
        and the uniform's) and ``pvalue`` (conservative: module docstring).

    Examples
    --------
    >>> import bayesq
    >>> from bayesq.pit import pit_test
    >>> from bayesq.simulate import simulate_random_search
    >>> search = simulate_random_search(n=200, random_seed=0)
    >>> result = bayesq.fit(
    ...     search.scores, 0.85, draws=200, tune=200, chains=2, extend=False, random_seed=1, quiet=True
    ... )
    >>> bool(pit_test(result).pvalue > 0.05)  # the simulated tail is the model's
    True
    """
    return _uniformity(tail_pit(result, n_draws, random_seed))
