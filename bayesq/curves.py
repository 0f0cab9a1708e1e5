r"""Tuning curves and the best achievable score, from posterior draws.

The best score after :math:`k` iterations of random search is
:math:`T_k = \max(Y_1, \dots, Y_k)` (``min`` when minimizing), with
:math:`P(T_k \le y \mid \theta) = F(y \mid \theta)^k`, which defines it for
real :math:`k \ge 1` (Lourie, Cho and He, "Show Your Work with Confidence:
Confidence Bands for Tuning Curves", NAACL 2024, after Dodge et al. 2019;
the theory page of the documentation, docs/theory.md, "Tuning curves and the
best score"). For one parameter
draw :math:`\theta`:

* the **median tuning curve** is :math:`F^{-1}(2^{-1/k})` (maximizing) or
  :math:`F^{-1}(1 - 2^{-1/k})` (minimizing);
* the **expected tuning curve** is
  :math:`E[T_k \mid \theta] = \int_0^1 F^{-1}(u^{1/k})\,du` (maximizing).

Across posterior draws these give credible bands (:func:`tuning_curve`); the
posterior predictive distribution of :math:`T_k` itself is the mixture
:math:`P(T_k \le y \mid \text{data}) = E_\theta[F(y \mid \theta)^k]`
(:func:`best_after`).

The numerics are :mod:`bayesq.quantiles`'s.

The asymptotic regime
---------------------
The model describes only the scores beyond the threshold :math:`t`. A curve
value on the other side of :math:`t` (small :math:`k`) is still computed from
the fitted noisy quadratic, i.e. as if the whole score distribution were
that quadratic: an extrapolation outside the data the likelihood used. Each
result therefore says where the curve is in the asymptotic regime
(``in_regime``) and the :math:`k` at which its estimate crosses the
threshold (``k_regime``); read the empirical tuning curve below it.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings

import numpy as np

from bayesq import validate
from bayesq.exceptions import InputError
from bayesq.quantiles import (
    LOG_HALF,
    MEAN_STEP,
    QuantileTable,
    check_ks,
    expected_tuning_curves,
    mean_from_table,
    median_from_table,
    median_tuning_curves,
    mixture_quantiles,
    quantile_table,
    solve_k,
    w_range,
)

__all__ = [
    "BestAfter",
    "BestScore",
    "QuantileTable",
    "TuningCurve",
    "best_after",
    "best_score",
    "central_interval",
    "expected_tuning_curves",
    "flat_draws",
    "median_tuning_curves",
    "tuning_curve",
]


# ------------------------------------------------------------ per-draw curves


# ------------------------------------------------------------ summaries
def flat_draws(posterior) -> dict:
    """Flattened draws of alpha, beta, gamma, sigma from a posterior (xarray or dict).

    ``posterior`` holds the four parameters' draws in any shape (e.g.
    ``idata.posterior``); the result maps each name to its draws, 1-D.
    """
    return {name: np.asarray(posterior[name]).reshape(-1) for name in ("alpha", "beta", "gamma", "sigma")}


def central_interval(draws: np.ndarray, ci: float, axis: int = 0):
    """Lower end, median and upper end of the central ``ci`` interval of ``draws`` along ``axis``.

    Parameters
    ----------
    draws : numpy.ndarray
        Draws of one or more quantities.
    ci : float
        Mass of the interval, in (0, 1).
    axis : int
        The axis of the draws.

    Returns
    -------
    lower, estimate, upper : numpy.ndarray or float
        The ``(1 - ci)/2``, 0.5 and ``(1 + ci)/2`` quantiles.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesq.curves import central_interval
    >>> [float(x) for x in central_interval(np.arange(101.0), 0.5)]
    [25.0, 50.0, 75.0]
    """
    lower, estimate, upper = np.quantile(draws, [(1 - ci) / 2, 0.5, (1 + ci) / 2], axis=axis)
    return lower, estimate, upper


@dataclasses.dataclass(frozen=True)
class TuningCurve:
    r"""A tuning curve with its credible band.

    What :func:`tuning_curve` and :meth:`bayesq.FitResult.tuning_curve`
    return: for each number of iterations :math:`k`, the posterior median
    and an equal-tailed credible band of the median tuning curve
    :math:`F^{-1}(2^{-1/k} \mid \theta)` or of the expected one
    :math:`E[T_k \mid \theta]` (maximizing).

    Attributes
    ----------
    k : ndarray
        Numbers of iterations.
    lower, estimate, upper : ndarray
        Equal-tailed ``ci`` credible band and posterior median of the curve at each ``k``.
    kind : {"median", "mean"}
        The median or the expected best score after ``k`` iterations.
    ci : float
        Credible mass of the band.
    draws : ndarray, shape ``(draws, len(k))``
        The curve of each posterior draw.
    threshold : float or None
        Threshold of the asymptotic regime.
    k_regime : float
        Posterior median of the ``k`` at which each draw's curve crosses the
        threshold; below it the curve is an extrapolation of the fitted
        quadratic to the censored side, outside the data the likelihood used:
        read the empirical tuning curve there.
    maximize : bool
        Direction of the search.

    See Also
    --------
    bayesq.plots.plot_tuning_curve : Draws it.
    """

    k: np.ndarray
    lower: np.ndarray
    estimate: np.ndarray
    upper: np.ndarray
    kind: str
    ci: float
    draws: np.ndarray
    threshold: float | None
    k_regime: float
    maximize: bool = True

    @property
    def in_regime(self) -> np.ndarray:
        """Whether each ``k`` lies in the asymptotic regime (``k >= k_regime``)."""
        return self.k >= self.k_regime

    def to_dataframe(self):
        """The band as a :class:`pandas.DataFrame` indexed by ``k``.

        Returns
        -------
        pandas.DataFrame
            Columns ``lower``, ``estimate``, ``upper`` and ``in_regime``.
        """
        import pandas as pd

        return pd.DataFrame(
            {
                "lower": self.lower,
                "estimate": self.estimate,
                "upper": self.upper,
                "in_regime": self.in_regime,
            },
            index=pd.Index(self.k, name="k"),
        )


def tuning_curve(
    posterior, k, kind: str = "median", ci: float = 0.8, threshold=None, maximize=True
) -> TuningCurve:
    r"""Posterior tuning curve: per-draw curves summarized as a credible band.

    For each posterior draw :math:`\theta` the curve is the median
    :math:`F^{-1}(2^{-1/k} \mid \theta)` (``kind="median"``) or the
    expectation :math:`E[T_k \mid \theta] = \int_0^1 F^{-1}(u^{1/k} \mid
    \theta)\,du` (``kind="mean"``) of the best score after :math:`k`
    iterations (maximizing; mirrored when minimizing), computed from a
    table of each draw's quantile function (:mod:`bayesq.quantiles`). The
    band is the equal-tailed ``ci`` interval of the draws' curves at each
    :math:`k`. Draws whose curve is not finite (extreme parameters) are left
    out of the band, with a ``RuntimeWarning``.

    Parameters
    ----------
    posterior : mapping
        Draws of ``alpha``, ``beta``, ``gamma``, ``sigma`` (e.g. ``idata.posterior``).
    k : array_like
        Numbers of iterations, real, ``>= 1``; any size, beyond the data too.
    kind : {"median", "mean"}
        :math:`F^{-1}(2^{-1/k})` or :math:`E[T_k]` for each draw.
    ci : float
        Credible mass of the equal-tailed band, in (0, 1).
    threshold : float, optional
        Threshold of the fit, to locate the asymptotic regime.
    maximize : bool
        Direction of the search.

    Returns
    -------
    TuningCurve
        The band, the per-draw curves and the regime.

    Raises
    ------
    ValueError
        ``k`` below 1 or not finite, ``ci`` outside (0, 1), or an unknown ``kind``.

    See Also
    --------
    bayesq.FitResult.tuning_curve : The same for a fit.
    best_after : The predictive distribution of the best score, seed noise included.

    Examples
    --------
    A posterior given as draws (here made up; a fit's is ``result.idata.posterior``):

    >>> import numpy as np
    >>> from bayesq.curves import tuning_curve
    >>> rng = np.random.default_rng(0)
    >>> posterior = {
    ...     "alpha": 0.8 + 0.01 * rng.standard_normal(400),
    ...     "beta": 0.9 + 0.002 * rng.standard_normal(400),
    ...     "gamma": np.full(400, 2.0),
    ...     "sigma": np.full(400, 0.003),
    ... }
    >>> curve = tuning_curve(posterior, [1, 10, 100], threshold=0.87)
    >>> curve.estimate.round(3)
    array([0.85 , 0.893, 0.901])
    >>> curve.in_regime  # one run's median lies below the threshold 0.87
    array([False,  True,  True])
    >>> bool(np.all(curve.lower < curve.upper))
    True
    """
    k = check_ks(k)
    ci = validate.probability(ci, "ci")
    if kind not in ("median", "mean"):
        raise ValueError(f"kind must be 'median' or 'mean', got {kind!r}")
    p = flat_draws(posterior)
    w_low, w_high = w_range(kind, np.append(k, 1.0))
    if kind == "mean":
        table = quantile_table(*p.values(), maximize, w_low, w_high, step=MEAN_STEP)
        curve = functools.partial(mean_from_table, table)
    else:
        table = quantile_table(*p.values(), maximize, w_low, w_high)
        curve = functools.partial(median_from_table, table)
    sign = 1.0 if maximize else -1.0
    draws = sign * curve(k)
    bad = ~np.all(np.isfinite(draws), axis=1)
    if bad.any():
        warnings.warn(
            f"tuning curve not finite for {bad.sum()} of {bad.size} posterior draws (extreme parameters); "
            "they are left out of the band",
            RuntimeWarning,
            stacklevel=2,
        )
    k_regime = 1.0
    if threshold is not None:
        level = np.full(draws.shape[0], sign * float(threshold))
        if kind == "median":
            # the median of T_k passes t where 2^{-1/k} = F(t): k = log(1/2) / log F(t)
            log_cdf_t = np.log(-np.expm1(table.dist.logsf(level[:, None])[:, 0]))
            per_draw = np.where(log_cdf_t < 0, LOG_HALF / np.minimum(log_cdf_t, -1e-300), np.inf)
        else:
            per_draw = solve_k(curve, level)
        k_regime = float(max(1.0, np.median(per_draw)))
    lower, estimate, upper = central_interval(draws[~bad], ci)
    return TuningCurve(k, lower, estimate, upper, kind, ci, draws, threshold, k_regime, bool(maximize))


@dataclasses.dataclass(frozen=True)
class BestAfter:
    r"""Posterior predictive distribution of the best score after ``k`` iterations.

    What :func:`best_after` and :meth:`bayesq.FitResult.best_after` return.
    ``lower``, ``estimate``, ``upper`` are the ``(1 - ci)/2``, 0.5 and
    ``(1 + ci)/2`` quantiles of :math:`P(T_k \le y \mid \text{data}) =
    E_\theta[F(y \mid \theta)^k]` at each ``k``.

    Attributes
    ----------
    k : ndarray
        Numbers of iterations.
    lower, estimate, upper : ndarray
        The predictive interval's ends and median at each ``k``.
    ci : float
        Mass of the interval.
    maximize : bool
        Direction of the search.
    """

    k: np.ndarray
    lower: np.ndarray
    estimate: np.ndarray
    upper: np.ndarray
    ci: float
    maximize: bool = True


def best_after(posterior, k, ci: float = 0.8, maximize=True, iterations: int = 60) -> BestAfter:
    r"""Predictive intervals for the best score after ``k`` iterations.

    The mixture CDF :math:`\bar F_k(y) = E_\theta[F(y\mid\theta)^k]` is
    averaged over the posterior draws and its quantiles found by Newton
    steps in :math:`y` (on its density :math:`E_\theta[k F^{k-1} f]`),
    safeguarded by bisection; :math:`F(y \mid \theta)` and :math:`f` come
    from each draw's :class:`QuantileTable` (:meth:`QuantileTable.tail_index`). Unlike the
    tuning curve's credible band, the interval includes the seed noise of
    the runs: it says what a search of ``k`` runs will observe.

    Parameters
    ----------
    posterior : mapping
        Draws of ``alpha``, ``beta``, ``gamma``, ``sigma`` (e.g. ``idata.posterior``).
    k : array_like
        Numbers of iterations, real, ``>= 1``.
    ci : float
        Mass of the central predictive interval, in (0, 1).
    maximize : bool
        Direction of the search.
    iterations : int
        Most steps of the search for each quantile (it stops once every
        quantile is within 1e-12 of the scores' range).

    Returns
    -------
    BestAfter

    See Also
    --------
    tuning_curve : The credible band of the curve itself.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesq.curves import best_after
    >>> rng = np.random.default_rng(0)
    >>> posterior = {
    ...     "alpha": 0.8 + 0.01 * rng.standard_normal(400),
    ...     "beta": 0.9 + 0.002 * rng.standard_normal(400),
    ...     "gamma": np.full(400, 2.0),
    ...     "sigma": np.full(400, 0.003),
    ... }
    >>> after = best_after(posterior, [10, 100])
    >>> after.estimate.round(3)
    array([0.893, 0.901])
    >>> bool(np.all(after.lower < after.estimate)) and bool(np.all(after.estimate < after.upper))
    True
    """
    k = check_ks(k)
    ci = validate.probability(ci, "ci")
    p = flat_draws(posterior)
    probs = np.array([(1 - ci) / 2, 0.5, (1 + ci) / 2])
    # in the maximizing frame the predictive quantile q of the max is wanted;
    # when minimizing, quantile q of the min is minus quantile 1 - q of the max.
    targets = probs if maximize else 1 - probs
    table = quantile_table(*p.values(), maximize, *w_range("predictive", k))
    q = mixture_quantiles(table, k, targets, iterations)
    if not maximize:
        q = -q
    return BestAfter(k, q[:, 0], q[:, 1], q[:, 2], ci, bool(maximize))


def _decimals(width: float) -> int:
    """Decimals that show ``width`` (an interval's) to 2 significant digits."""
    if not (np.isfinite(width) and width > 0):
        return 6
    return max(0, 1 - int(np.floor(np.log10(width))))


@dataclasses.dataclass(frozen=True)
class BestScore:
    r"""The best achievable score: :math:`\beta` when maximizing, :math:`\alpha` when minimizing.

    The best achievable score is the expected score of the best
    configuration, free of seed noise. The best score a search *observes*
    carries one run's noise, so it can lie beyond the best achievable
    score; what the search can expect to observe is the predictive
    distribution of the best observed score after ``n_runs`` runs
    (``predicted``, :func:`best_after`), noise included.

    What :func:`best_score` and :meth:`bayesq.FitResult.best_score`
    return; ``print`` words it, placing the observed best against the
    intervals.

    Attributes
    ----------
    estimate, lower, upper : float
        Posterior median and equal-tailed ``ci`` credible interval.
    ci : float
        Mass of the intervals.
    draws : ndarray
        Posterior draws of the best score.
    eps, prob : float or None
        The question "within ``eps`` of the best, with probability ``prob``".
    iterations : float or None
        Smallest ``K`` such that, with posterior probability ``prob``, the
        expected best score after ``K`` iterations is within ``eps`` of the
        best achievable score (``inf`` beyond 1e12).
    more_iterations : float or None
        ``iterations`` minus the runs already made (at least 0).
    n_runs : int
        Runs of the search.
    observed : float or None
        The best score the search observed.
    predicted : (float, float, float) or None
        Lower end, median and upper end of the ``ci`` predictive interval of
        the best observed score after ``n_runs`` runs.
    maximize : bool
        Direction of the search (the best score is ``beta``, else ``alpha``).
    """

    estimate: float
    lower: float
    upper: float
    ci: float
    draws: np.ndarray
    eps: float | None = None
    prob: float | None = None
    iterations: float | None = None
    more_iterations: float | None = None
    n_runs: int = 0
    observed: float | None = None
    predicted: tuple[float, float, float] | None = None
    maximize: bool = True

    def __str__(self) -> str:
        d = _decimals(self.upper - self.lower)
        name = "beta" if self.maximize else "alpha"
        text = (
            f"best achievable score ({name}: the expected score of the best configuration, free of seed "
            f"noise): {self.estimate:.{d}f}, {self.ci:.0%} interval {self.lower:.{d}f} .. {self.upper:.{d}f}"
        )
        if self.predicted is not None:
            lo, mid, hi = self.predicted
            text += (
                f"\nbest observed score after {self.n_runs} runs, as predicted (one run's seed noise "
                f"included): {mid:.{d}f}, {self.ci:.0%} interval {lo:.{d}f} .. {hi:.{d}f}"
            )
        if self.observed is not None:
            text += (
                f"\nbest observed score of the {self.n_runs} runs: {self.observed:.{d}f}, " + self._place()
            )
        if self.eps is not None:
            text += (
                f"\nexpected best within {self.eps:g} of it with probability {self.prob:g} after "
                f"{self.iterations:.4g} iterations ({self.more_iterations:.4g} more)"
            )
        return text

    def _place(self) -> str:
        """Where the observed best lies against the two intervals."""
        sign = 1 if self.maximize else -1
        beyond = "above" if self.maximize else "below"
        short = "below" if self.maximize else "above"

        def where(lower, upper, what):
            if sign * (self.observed - (upper if self.maximize else lower)) > 0:
                return f"{beyond} {what}"
            if sign * ((lower if self.maximize else upper) - self.observed) > 0:
                return f"{short} {what}"
            return f"inside {what}"

        text = where(self.lower, self.upper, f"the interval of {'beta' if self.maximize else 'alpha'}")
        if self.predicted is not None:
            text += "; " + where(self.predicted[0], self.predicted[2], "the predictive interval")
        if text.startswith(beyond):
            text += " (seed noise: a lucky run scores beyond what its configuration achieves on average)"
        elif self.predicted is None:
            text += " (observed bests carry seed noise: best_score(predictive=True) predicts them)"
        return text


def best_score(
    posterior,
    ci: float = 0.9,
    eps=None,
    prob: float = 0.9,
    maximize=True,
    n_runs: int = 0,
    observed=None,
    predictive: bool = False,
) -> BestScore:
    r"""Credible interval of the best achievable score, and the iterations to come within ``eps`` of it.

    For each draw :math:`\theta`, :math:`K_\epsilon(\theta)` is the smallest
    (real) :math:`k` with :math:`E[T_k \mid \theta] \ge \beta - \epsilon`
    (:math:`\le \alpha + \epsilon` when minimizing), found by bisection in
    :math:`\log k`; the answer is the ``prob`` quantile of
    :math:`K_\epsilon` over the posterior, so that
    :math:`P(K_\epsilon \le K \mid \text{data}) = \text{prob}`.

    With ``observed`` (the search's scores, ``n_runs`` of them), the result
    also holds their best, and with ``predictive`` the ``ci`` predictive
    interval of the best observed score after ``n_runs`` runs
    (:func:`best_after`), which includes seed noise: the report places the
    observed best against both.

    Parameters
    ----------
    posterior : mapping
        Draws of ``alpha``, ``beta``, ``gamma``, ``sigma`` (e.g. ``idata.posterior``).
    ci : float
        Mass of the equal-tailed credible interval, in (0, 1).
    eps : float, optional
        Distance to the best achievable score, in score units, for the
        iterations to come within it.
    prob : float
        Posterior probability that goes with ``eps``, in (0, 1).
    maximize : bool
        Direction of the search.
    n_runs : int
        Runs the search made (``more_iterations`` counts from them).
    observed : array_like, optional
        The search's scores, whose best the result records.
    predictive : bool
        Also compute the predictive interval of the best observed score
        after ``n_runs`` runs.

    Returns
    -------
    BestScore

    Raises
    ------
    bayesq.exceptions.InputError
        ``ci`` or ``prob`` outside (0, 1), or ``eps`` not positive.

    See Also
    --------
    bayesq.FitResult.best_score : The same for a fit.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> draws = {"alpha": 0.8 + 0.01 * rng.standard_normal((2, 500)), "beta": 0.9 + 0.002 *
    ...     rng.standard_normal((2, 500)), "gamma": np.full((2, 500), 2.0), "sigma": np.full((2, 500), 0.003)}
    >>> best = best_score(xr.Dataset({k: (("chain", "draw"), v) for k, v in draws.items()}))
    >>> round(best.estimate, 2), best.lower < 0.9 < best.upper
    (0.9, True)
    """
    ci = validate.probability(ci, "ci")
    p = flat_draws(posterior)
    best = p["beta"] if maximize else p["alpha"]
    lower, estimate, upper = central_interval(best, ci)
    seen = {"n_runs": int(n_runs), "maximize": bool(maximize)}
    if observed is not None:
        observed = np.asarray(observed, dtype=float)
        seen["observed"] = float(np.max(observed) if maximize else np.min(observed))
    if predictive:
        after = best_after(posterior, [max(1, n_runs)], ci=ci, maximize=maximize)
        seen["predicted"] = (float(after.lower[0]), float(after.estimate[0]), float(after.upper[0]))
    interval = (float(estimate), float(lower), float(upper), ci, best)
    if eps is None:
        return BestScore(*interval, **seen)
    eps, prob = float(eps), validate.probability(prob, "prob")
    if not eps > 0:
        raise InputError(f"{{arg}} must be positive, got {eps}", "eps")
    table = quantile_table(*p.values(), maximize, *w_range("mean", np.array([1e12])), step=MEAN_STEP)
    level = (best if maximize else -best) - eps
    per_draw = solve_k(functools.partial(mean_from_table, table), level)
    iterations = float(np.quantile(per_draw, prob))
    more = max(0.0, iterations - n_runs)
    return BestScore(*interval, eps, prob, iterations, more, **seen)
