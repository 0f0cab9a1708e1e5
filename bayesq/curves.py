r"""Tuning curves and the best achievable score, from posterior draws.

The best score after :math:`k` iterations of random search is
:math:`T_k = \max(Y_1, \dots, Y_k)` (``min`` when minimizing), with
:math:`P(T_k \le y \mid \theta) = F(y \mid \theta)^k`, which defines it for
real :math:`k \ge 1` (Lourie et al., section 3; THEORY.md). For one parameter
draw :math:`\theta`:

* the **median tuning curve** is :math:`F^{-1}(2^{-1/k})` (maximizing) or
  :math:`F^{-1}(1 - 2^{-1/k})` (minimizing);
* the **expected tuning curve** is
  :math:`E[T_k \mid \theta] = \int_0^1 F^{-1}(u^{1/k})\,du` (maximizing).

Across posterior draws these give credible bands (:func:`tuning_curve`); the
posterior predictive distribution of :math:`T_k` itself is the mixture
:math:`P(T_k \le y \mid \text{data}) = E_\theta[F(y \mid \theta)^k]`
(:func:`best_after`).

Numerics
--------
Everything is computed in the maximizing frame (a minimized score :math:`y`
is the maximized score :math:`-y` of :math:`\mathcal Q(-\beta, -\alpha,
\gamma, \sigma)`), in the upper-tail variable
:math:`w = \log(-\log S(y))`, :math:`S = 1 - F`, in which the quantile
function is smooth from the lower tail to far beyond :math:`\beta`. For each
draw, :class:`QuantileTable` evaluates :math:`\log S` and :math:`\log f` of
:mod:`bayesq.logdensity` at scores spaced about ``step`` apart in :math:`w`
(placed by a first, coarse pass) and interpolates :math:`y(w)` with cubic
Hermite polynomials using the exact slopes :math:`dy/dw = t\,S/f`,
:math:`t = -\log S`. Median curves then take one Newton step on
:math:`\log S(y) = \log p` from the interpolated start, which leaves them at
the accuracy of the distribution's own :math:`\log S` (tested against
:meth:`bayesq.stats.QuadraticFamily.isf` to 1e-8 of :math:`\beta - \alpha`).
Expected curves integrate the interpolated quantile function over
:math:`u` with a tanh-sinh rule (accuracy measured in
``benchmarks/bench_curves.py``).

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
from bayesq.special import tanh_sinh_rule
from bayesq.stats import noisy_quadratic

__all__ = [
    "BestAfter",
    "BestScore",
    "QuantileTable",
    "TuningCurve",
    "best_after",
    "best_score",
    "central_interval",
    "check_ci",
    "expected_tuning_curves",
    "flat_draws",
    "median_tuning_curves",
    "tuning_curve",
]

_LOG_HALF = np.log(0.5)
_MEAN_STEP = 0.05  # node spacing in w for expected curves (no Newton step to polish them)
_W_LOW = -16.0  # w of the tables' lowest node: F = 1e-7
# tanh-sinh rule on u in (0, 1) for the expected curve: the integrand has
# logarithmic singularities at both ends; nodes reach 1e-15 of them.
_U_LEFT, _U_RIGHT, _U_LOGW = tanh_sinh_rule(0.1, 30, 30)


def _check_ks(k) -> np.ndarray:
    k = np.asarray(k, dtype=float)
    if k.ndim > 1:
        raise ValueError(f"k must be a number or a 1-d array, got shape {k.shape}")
    if np.any(~np.isfinite(k)) or np.any(k < 1):
        raise ValueError(f"k must be finite and >= 1 (the number of iterations), got {k.min()}")
    return np.atleast_1d(k)


def check_ci(ci, name: str = "ci") -> float:
    """Return ``ci`` as a float; :class:`~bayesq.exceptions.InputError` unless strictly between 0 and 1."""
    return validate.probability(ci, name)


def _max_frame(alpha, beta, maximize):
    """Ends of the support in the maximizing frame (``y -> -y`` when minimizing)."""
    alpha, beta = (np.asarray(x, dtype=float).reshape(-1) for x in (alpha, beta))
    return (alpha, beta) if maximize else (-beta, -alpha)


def _row_searchsorted(nodes: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per row, the index ``i`` with ``nodes[i] <= x < nodes[i + 1]`` (clipped to the rows' ends)."""
    m = nodes.shape[1]
    lo = np.zeros(x.shape, dtype=np.intp)
    hi = np.full(x.shape, m - 1, dtype=np.intp)
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        right = np.take_along_axis(nodes, mid, axis=1) <= x
        lo = np.where(right, mid, lo)
        hi = np.where(right, hi, mid)
    return lo


class QuantileTable:
    r"""Per-draw cubic Hermite table of the upper-tail quantile :math:`y(w)`.

    In the maximizing frame, :math:`w = \log(-\log S(y))` with
    :math:`S(y) = P(Y > y \mid \theta)`. Nodes are exact pairs
    :math:`(w_j, y_j)` with slopes :math:`dy/dw = t\,S(y)/f(y)`,
    :math:`t = e^{w}`; they are placed about ``step`` apart in :math:`w`
    between ``w_low`` and ``w_high`` (coarser below :math:`w = -3`).

    Parameters
    ----------
    alpha, beta, gamma, sigma : array_like
        One value per draw, in the maximizing frame.
    w_low, w_high : float
        Range of :math:`w` to cover. Beyond it :meth:`quantile` extrapolates
        linearly in :math:`w` (callers keep inside).
    step : float
        Target spacing of the nodes in :math:`w`.
    """

    def __init__(self, alpha, beta, gamma, sigma, w_low: float, w_high: float, step: float = 0.1):
        a, b, g, s = (np.asarray(x, dtype=float).reshape(-1, 1) for x in (alpha, beta, gamma, sigma))
        self.dist = noisy_quadratic(a, b, g, s, maximize=True)
        width, noise = b - a, s / (b - a)
        # First pass: scores covering the noiseless body, the noise-dominated
        # neighbourhood of beta and the region below alpha.
        t_body = np.geomspace(1e-6, 40.0, 40)
        z = np.concatenate(
            [
                np.broadcast_to(-np.expm1(-2.0 * t_body / g), (a.shape[0], t_body.size)),
                1.0 + noise * np.linspace(-6.0, 40.0, 48),
                -noise * np.linspace(0.25, 8.0, 8),
            ],
            axis=1,
        )
        y0 = np.sort(a + width * z, axis=1)
        w0 = np.maximum.accumulate(self._w(self.dist.logsf(y0)), axis=1)
        # Second pass: exact nodes at the first pass's estimate of a w grid.
        coarse = np.arange(min(w_low, -3.0), -3.0, 4 * step)
        fine = np.arange(max(w_low, -3.0), w_high + step, step)
        grid = np.unique(np.concatenate([coarse, fine, [w_low, w_high]]))
        y = np.empty((a.shape[0], grid.size))
        for i in range(a.shape[0]):
            finite = np.isfinite(w0[i])
            y[i] = np.interp(grid, w0[i][finite], y0[i][finite])
        logsf, logpdf = self.dist.logsf(y), self.dist.logpdf(y)
        w = self._w(logsf)
        order = np.argsort(w, axis=1)
        self.w = np.take_along_axis(w, order, axis=1)
        self.y = np.take_along_axis(y, order, axis=1)
        t = -np.take_along_axis(logsf, order, axis=1)
        self.slope = t * np.exp(-t - np.take_along_axis(logpdf, order, axis=1))
        if not (np.all(np.isfinite(self.w)) and np.all(np.isfinite(self.slope))):
            raise FloatingPointError("quantile table has non-finite nodes: draws too extreme to tabulate")

    @staticmethod
    def _w(logsf):
        with np.errstate(divide="ignore"):
            return np.log(-logsf)

    def quantile(self, w) -> np.ndarray:
        r"""Interpolated :math:`y(w)`; ``w`` has one row per draw (or broadcasts to it)."""
        return _hermite(self.w, self.y, self.slope, w)

    def tail_index(self, y) -> np.ndarray:
        r"""Interpolated :math:`w(y) = \log(-\log S(y))`, the inverse of :meth:`quantile`.

        Hermite in :math:`y` with slopes :math:`1/(dy/dw)`; ``-inf`` and
        ``inf`` below and above the table.
        """
        y = np.broadcast_to(np.asarray(y, dtype=float), (self.y.shape[0], np.shape(y)[-1]))
        w = _hermite(self.y, self.w, 1.0 / self.slope, y)
        return np.where(y < self.y[:, :1], -np.inf, np.where(y > self.y[:, -1:], np.inf, w))


def _hermite(nodes, values, slopes, x) -> np.ndarray:
    """Per row, the cubic Hermite interpolant of ``values`` (slopes ``slopes``) at ``x``; linear outside."""
    x = np.broadcast_to(np.asarray(x, dtype=float), (nodes.shape[0], np.shape(x)[-1]))
    i = np.clip(_row_searchsorted(nodes, x), 0, nodes.shape[1] - 2)
    x0, x1 = np.take_along_axis(nodes, i, 1), np.take_along_axis(nodes, i + 1, 1)
    f0, f1 = np.take_along_axis(values, i, 1), np.take_along_axis(values, i + 1, 1)
    d0, d1 = np.take_along_axis(slopes, i, 1), np.take_along_axis(slopes, i + 1, 1)
    h = x1 - x0
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.where(h > 0, (x - x0) / h, 0.0)  # repeated nodes: take the left one
    # cubic Hermite basis on [0, 1]
    h00, h10 = (1 + 2 * u) * (1 - u) ** 2, u * (1 - u) ** 2
    h01, h11 = u**2 * (3 - 2 * u), u**2 * (u - 1)
    inside = (u >= 0) & (u <= 1)
    linear = np.where(u < 0, f0 + d0 * h * u, f1 + d1 * h * (u - 1))
    return np.where(inside, h00 * f0 + h10 * h * d0 + h01 * f1 + h11 * h * d1, linear)


# ------------------------------------------------------------ per-draw curves
def _median_targets(k):
    """Upper-tail probability :math:`p_k = 1 - 2^{-1/k}` of the median of :math:`T_k`, and its ``w``."""
    log_p = np.log(-np.expm1(_LOG_HALF / k))
    return log_p, np.log(-log_p)


def _mean_targets(k):
    """``w`` at the tanh-sinh nodes of the expected curve's integral, shape ``k.shape + (nodes,)``."""
    log_u = np.where(_U_LEFT < 0.5, np.log(_U_LEFT), np.log1p(-_U_RIGHT))
    log_v = log_u / np.asarray(k)[..., None]
    with np.errstate(divide="ignore"):
        return np.log(-np.log(-np.expm1(log_v)))


def _table(alpha, beta, gamma, sigma, maximize, w_low, w_high, step=0.1) -> QuantileTable:
    a, b = _max_frame(alpha, beta, maximize)
    g, s = (np.asarray(x, dtype=float).reshape(-1) for x in (gamma, sigma))
    return QuantileTable(a, b, g, s, w_low, w_high, step)


def _median_from_table(table: QuantileTable, k) -> np.ndarray:
    """Median of :math:`T_k` for each draw (rows) and ``k`` (columns, or per row), maximizing frame."""
    log_p, w = _median_targets(k)
    y = table.quantile(w)
    # one Newton step on log S(y) = log p: S / f is the inverse slope
    logsf, logpdf = table.dist.logsf(y), table.dist.logpdf(y)
    with np.errstate(over="ignore", invalid="ignore"):
        step = (logsf - log_p) * np.exp(logsf - logpdf)
    return np.where(np.isfinite(step), y + step, y)


def _mean_from_table(table: QuantileTable, k, chunk: int = 8) -> np.ndarray:
    """Expected :math:`T_k` for each draw (rows) and ``k`` (columns, or per row), maximizing frame."""
    k = np.broadcast_to(np.asarray(k, dtype=float), (table.w.shape[0], np.shape(k)[-1]))
    out = np.empty(k.shape)
    weights = np.exp(_U_LOGW)
    w_min, w_max = table.w[:, :1], table.w[:, -1:]
    for start in range(0, k.shape[1], chunk):
        part = k[:, start : start + chunk]
        w = _mean_targets(part).reshape(k.shape[0], -1)
        y = table.quantile(np.clip(w, w_min, w_max))
        out[:, start : start + chunk] = y.reshape(*part.shape, -1) @ weights
    return out


def _solve_k(curve, level: np.ndarray, k_max: float = 1e12, iterations: int = 60) -> np.ndarray:
    """Per draw, the k >= 1 where the increasing ``curve(k)`` reaches ``level`` (bisection in log k).

    ``inf`` where it is not reached by ``k_max``; 1 where it is reached at once.
    """
    lo = np.zeros(level.shape)
    hi = np.full(level.shape, np.log(k_max))
    reached_hi = curve(np.exp(hi)[:, None])[:, 0] >= level
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        up = curve(np.exp(mid)[:, None])[:, 0] >= level
        hi = np.where(up, mid, hi)
        lo = np.where(up, lo, mid)
    k = np.exp(hi)
    k[curve(np.ones((level.size, 1)))[:, 0] >= level] = 1.0
    k[~reached_hi] = np.inf
    return k


def _w_range(kind: str, k: np.ndarray) -> tuple[float, float]:
    if kind == "median":
        _, w = _median_targets(np.array([k.min(), k.max()]))
        return float(w[0]) - 0.2, float(w[1]) + 0.2
    # up to k = 1e12 at least, where per-draw searches for k (k_regime, best_score) may go
    return _W_LOW, float(np.log(np.log(max(k.max(), 1e12)) + 36.0))


def median_tuning_curves(alpha, beta, gamma, sigma, k, maximize: bool = True) -> np.ndarray:
    r"""Median tuning curve of each parameter draw: :math:`F^{-1}(2^{-1/k})` (mirrored when minimizing).

    Parameters
    ----------
    alpha, beta, gamma, sigma : array_like
        Parameter draws, one value each per draw (flattened).
    k : array_like
        Numbers of iterations, real, ``>= 1``.
    maximize : bool
        Direction of the search.

    Returns
    -------
    ndarray, shape ``(draws, len(k))``
    """
    k = _check_ks(k)
    table = _table(alpha, beta, gamma, sigma, maximize, *_w_range("median", k))
    y = _median_from_table(table, k)
    return y if maximize else -y


def expected_tuning_curves(alpha, beta, gamma, sigma, k, maximize: bool = True) -> np.ndarray:
    r"""Expected tuning curve of each parameter draw: :math:`E[T_k \mid \theta]`.

    :math:`E[T_k] = \int_0^1 F^{-1}(u^{1/k})\,du` when maximizing (the
    expected minimum, mirrored, when minimizing), by a tanh-sinh rule on the
    tabulated quantile function. Arguments and result as
    :func:`median_tuning_curves`.
    """
    k = _check_ks(k)
    table = _table(alpha, beta, gamma, sigma, maximize, *_w_range("mean", k), step=_MEAN_STEP)
    y = _mean_from_table(table, k)
    return y if maximize else -y


# ------------------------------------------------------------ summaries
def flat_draws(posterior) -> dict:
    """Flattened draws of alpha, beta, gamma, sigma from a posterior (xarray or dict)."""
    return {name: np.asarray(posterior[name]).reshape(-1) for name in ("alpha", "beta", "gamma", "sigma")}


def central_interval(draws: np.ndarray, ci: float, axis: int = 0):
    """Lower end, median and upper end of the central ``ci`` interval of ``draws`` along ``axis``."""
    lower, estimate, upper = np.quantile(draws, [(1 - ci) / 2, 0.5, (1 + ci) / 2], axis=axis)
    return lower, estimate, upper


@dataclasses.dataclass(frozen=True)
class TuningCurve:
    r"""A tuning curve with its credible band.

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
        quadratic to the censored side (module docstring).
    maximize : bool
        Direction of the search.
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
        """The band as a :class:`pandas.DataFrame` indexed by ``k``."""
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
    """
    k = _check_ks(k)
    ci = check_ci(ci)
    if kind not in ("median", "mean"):
        raise ValueError(f"kind must be 'median' or 'mean', got {kind!r}")
    p = flat_draws(posterior)
    w_low, w_high = _w_range(kind, np.append(k, 1.0))
    if kind == "mean":
        table = _table(*p.values(), maximize, w_low, w_high, step=_MEAN_STEP)
        curve = functools.partial(_mean_from_table, table)
    else:
        table = _table(*p.values(), maximize, w_low, w_high)
        curve = functools.partial(_median_from_table, table)
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
            per_draw = np.where(log_cdf_t < 0, _LOG_HALF / np.minimum(log_cdf_t, -1e-300), np.inf)
        else:
            per_draw = _solve_k(curve, level)
        k_regime = float(max(1.0, np.median(per_draw)))
    lower, estimate, upper = central_interval(draws[~bad], ci)
    return TuningCurve(k, lower, estimate, upper, kind, ci, draws, threshold, k_regime, bool(maximize))


@dataclasses.dataclass(frozen=True)
class BestAfter:
    r"""Posterior predictive distribution of the best score after ``k`` iterations.

    ``lower``, ``estimate``, ``upper`` are the ``(1 - ci)/2``, 0.5 and
    ``(1 + ci)/2`` quantiles of :math:`P(T_k \le y \mid \text{data}) =
    E_\theta[F(y \mid \theta)^k]` at each ``k``.
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
    averaged over the posterior draws and its quantiles found by bisection
    in :math:`y`; :math:`F(y \mid \theta)` comes from each draw's
    :class:`QuantileTable` (:meth:`QuantileTable.tail_index`).
    """
    k = _check_ks(k)
    ci = check_ci(ci)
    p = flat_draws(posterior)
    probs = np.array([(1 - ci) / 2, 0.5, (1 + ci) / 2])
    # in the maximizing frame the predictive quantile q of the max is wanted;
    # when minimizing, quantile q of the min is minus quantile 1 - q of the max.
    targets = probs if maximize else 1 - probs
    table = _table(*p.values(), maximize, *_w_range("mean", np.append(k, 1.0)))
    lo = np.broadcast_to(table.y[:, :1].min(), (k.size, probs.size)).copy()
    hi = np.broadcast_to(table.y[:, -1:].max(), (k.size, probs.size)).copy()
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        w = table.tail_index(mid.reshape(1, -1))
        with np.errstate(divide="ignore"):
            log_cdf = np.log(-np.expm1(-np.exp(w)))  # log F = log(1 - exp(-t)), t = e^w
        mixture = np.mean(np.exp(np.repeat(k, probs.size)[None, :] * log_cdf), axis=0).reshape(mid.shape)
        below = mixture < targets[None, :]
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    q = 0.5 * (lo + hi)
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

    Attributes
    ----------
    estimate, lower, upper : float
        Posterior median and equal-tailed ``ci`` credible interval.
    ci : float
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
    ci = check_ci(ci)
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
    eps, prob = float(eps), check_ci(prob, "prob")
    if not eps > 0:
        raise InputError(f"{{arg}} must be positive, got {eps}", "eps")
    table = _table(*p.values(), maximize, *_w_range("mean", np.array([1e12])), step=_MEAN_STEP)
    level = (best if maximize else -best) - eps
    per_draw = _solve_k(functools.partial(_mean_from_table, table), level)
    iterations = float(np.quantile(per_draw, prob))
    more = max(0.0, iterations - n_runs)
    return BestScore(*interval, eps, prob, iterations, more, **seen)
