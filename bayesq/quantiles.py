r"""Per-draw quantile functions of the noisy quadratic, and the tuning curves computed from them.

For each posterior draw, a table of the quantile function in the upper-tail variable, from which
median and expected tuning curves, and the iterations to reach a score, are computed for all
draws at once (:mod:`bayesq.curves` summarizes them across the posterior).

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
"""

from __future__ import annotations

import hashlib
import threading

import numba
import numpy as np

from bayesq.special import tanh_sinh_rule
from bayesq.stats import noisy_quadratic

__all__ = ["QuantileTable", "expected_tuning_curves", "median_tuning_curves", "mixture_quantiles"]

LOG_HALF = np.log(0.5)
TABLES_KEPT = 4  # quantile tables kept for reuse (each about 20 MB for 4,000 draws)
_TABLES: dict = {}  # key -> QuantileTable, oldest first (quantile_table)
_TABLES_LOCK = threading.Lock()
BODY_T = (1e-6, 40.0)  # the widest range of t = -log S the first pass of a table covers in the body
BODY_DENSITY = 2.3  # its points per unit of log t
PREDICTIVE_NEGLECT = 1e-4  # a draw's F(y)^k below it (or 1 minus it above) counts as 0 (1) in best_after
MEAN_STEP = 0.05  # node spacing in w for expected curves (no Newton step to polish them)
_W_LOW = -16.0  # w of the tables' lowest node: F = 1e-7
# tanh-sinh rule on u in (0, 1) for the expected curve: the integrand has
# logarithmic singularities at both ends; nodes reach 1e-15 of them.
_U_LEFT, _U_RIGHT, _U_LOGW = tanh_sinh_rule(0.1, 30, 30)


def check_ks(k) -> np.ndarray:
    k = np.asarray(k, dtype=float)
    if k.ndim > 1:
        raise ValueError(f"k must be a number or a 1-d array, got shape {k.shape}")
    if np.any(~np.isfinite(k)) or np.any(k < 1):
        raise ValueError(f"k must be finite and >= 1 (the number of iterations), got {k.min()}")
    return np.atleast_1d(k)


def _max_frame(alpha, beta, maximize):
    """Ends of the support in the maximizing frame (``y -> -y`` when minimizing)."""
    alpha, beta = (np.asarray(x, dtype=float).reshape(-1) for x in (alpha, beta))
    return (alpha, beta) if maximize else (-beta, -alpha)


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
        # First pass: scores covering the noiseless body where w is asked for
        # (t = e^w, a factor 3 either side; about 2.3 points per unit of log t),
        # the noise-dominated neighbourhood of beta and the region below alpha.
        t_low = max(BODY_T[0], np.exp(min(w_low, -3.0)) / 3.0)
        t_high = min(BODY_T[1], 3.0 * np.exp(w_high))
        t_body = np.geomspace(t_low, t_high, max(12, int(np.ceil(BODY_DENSITY * np.log(t_high / t_low)))))
        z = np.concatenate(
            [
                np.broadcast_to(-np.expm1(-2.0 * t_body / g), (a.shape[0], t_body.size)),
                1.0 + noise * np.linspace(-6.0, 40.0, 32),
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

    def quantile(self, w, slope: bool = False):
        r"""Interpolated :math:`y(w)`; ``w`` has one row per draw (or broadcasts to it).

        With ``slope=True``, also the interpolant's derivative :math:`dy/dw` there.
        """
        return _hermite(self.w, self.y, self.slope, w, slope)

    def tail_index(self, y, slope: bool = False):
        r"""Interpolated :math:`w(y) = \log(-\log S(y))`, the inverse of :meth:`quantile`.

        Hermite in :math:`y` with slopes :math:`1/(dy/dw)`; ``-inf`` and
        ``inf`` below and above the table. With ``slope=True``, also the
        interpolant's :math:`dw/dy` (0 outside the table).
        """
        y = np.broadcast_to(np.asarray(y, dtype=float), (self.y.shape[0], np.shape(y)[-1]))
        w, dw = _hermite(self.y, self.w, 1.0 / self.slope, y, slope=True)
        below, above = y < self.y[:, :1], y > self.y[:, -1:]
        w = np.where(below, -np.inf, np.where(above, np.inf, w))
        return (w, np.where(below | above, 0.0, dw)) if slope else w


def _hermite(nodes, values, slopes, x, slope: bool = False):
    """Per row, the cubic Hermite interpolant of ``values`` (slopes ``slopes``) at ``x``; linear outside.

    ``x`` has one row per row of ``nodes`` (or broadcasts to it). Each row's interval is found by
    bisection, in compiled code (:func:`_hermite_rows`): the tables of a posterior have thousands of
    rows, and the curves ask for hundreds of points in each, many times over. With ``slope=True``
    the interpolant's derivative at ``x`` is returned too.
    """
    shape = (nodes.shape[0], np.shape(x)[-1])
    x = np.ascontiguousarray(np.broadcast_to(np.asarray(x, dtype=float), shape))
    out, derivative = np.empty(shape), np.empty(shape if slope else (0, 0))
    _hermite_rows(nodes, values, slopes, x, out, derivative)
    return (out, derivative) if slope else out


@numba.njit(cache=True, nogil=True)
def _hermite_rows(nodes, values, slopes, x, out, derivative):  # pragma: no cover (compiled)
    m = nodes.shape[1]
    with_slope = derivative.shape[0] > 0
    for r in range(nodes.shape[0]):
        for j in range(x.shape[1]):
            xj = x[r, j]
            # the interval i with nodes[i] <= x < nodes[i + 1], clipped to the row's ends
            lo, hi = 0, m - 1
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if nodes[r, mid] <= xj:
                    lo = mid
                else:
                    hi = mid
            x0, x1 = nodes[r, lo], nodes[r, lo + 1]
            f0, f1 = values[r, lo], values[r, lo + 1]
            d0, d1 = slopes[r, lo], slopes[r, lo + 1]
            h = x1 - x0
            u = (xj - x0) / h if h > 0 else 0.0  # repeated nodes: take the left one
            if u < 0:
                out[r, j] = f0 + d0 * h * u
                dy = d0
            elif u > 1:
                out[r, j] = f1 + d1 * h * (u - 1)
                dy = d1
            else:  # cubic Hermite basis on [0, 1] (a NaN x gives NaN here too)
                h00, h10 = (1 + 2 * u) * (1 - u) ** 2, u * (1 - u) ** 2
                h01, h11 = u**2 * (3 - 2 * u), u**2 * (u - 1)
                out[r, j] = h00 * f0 + h10 * h * d0 + h01 * f1 + h11 * h * d1
                # derivative of the basis in u, divided by h
                dy = 6 * u * (u - 1) * (f0 - f1) / h if h > 0 else d0
                dy += (3 * u * u - 4 * u + 1) * d0 + (3 * u * u - 2 * u) * d1
            if with_slope:
                derivative[r, j] = dy


def _median_targets(k):
    """Upper-tail probability :math:`p_k = 1 - 2^{-1/k}` of the median of :math:`T_k`, and its ``w``."""
    log_p = np.log(-np.expm1(LOG_HALF / k))
    return log_p, np.log(-log_p)


def _mean_targets(k):
    """``w`` at the tanh-sinh nodes of the expected curve's integral, shape ``k.shape + (nodes,)``."""
    log_u = np.where(_U_LEFT < 0.5, np.log(_U_LEFT), np.log1p(-_U_RIGHT))
    log_v = log_u / np.asarray(k)[..., None]
    with np.errstate(divide="ignore"):
        return np.log(-np.log(-np.expm1(log_v)))


def quantile_table(alpha, beta, gamma, sigma, maximize, w_low, w_high, step=0.1) -> QuantileTable:
    """The :class:`QuantileTable` of these draws, built once for the last few asked for.

    A result's best score after ``k`` runs and its predictive check ask for
    the same table, as do repeated calls in a session; the tables of the
    :data:`TABLES_KEPT` most recent settings are kept, keyed by a hash of
    the draws (the draws are not copied: a table holds what it needs).
    """
    a, b = _max_frame(alpha, beta, maximize)
    g, s = (np.asarray(x, dtype=float).reshape(-1) for x in (gamma, sigma))
    digest = hashlib.blake2b(digest_size=16)
    for x in (a, b, g, s):
        digest.update(np.ascontiguousarray(x, dtype=float).tobytes())
    key = (digest.digest(), a.size, float(w_low), float(w_high), float(step))
    with _TABLES_LOCK:
        table = _TABLES.pop(key, None)
    if table is None:
        table = QuantileTable(a, b, g, s, w_low, w_high, step)
    with _TABLES_LOCK:  # (threads of one process may share the cache)
        _TABLES[key] = table  # (the most recent last)
        while len(_TABLES) > TABLES_KEPT:
            _TABLES.pop(next(iter(_TABLES)))
    return table


def median_from_table(table: QuantileTable, k) -> np.ndarray:
    r"""Median of :math:`T_k` for each draw (rows) and ``k`` (columns, or per row), maximizing frame.

    The interpolated :math:`y(w_k)` takes one Newton step on
    :math:`w(y) = \log(-\log S(y)) = w_k`, with the exact :math:`\log S` and
    the interpolant's own slope :math:`dy/dw`: the step multiplies the
    interpolation error (about 1e-6 of :math:`\beta - \alpha` at the
    default spacing) by the slope's relative error (about 1e-4), which
    leaves it well below 1e-8 without evaluating the density.
    """
    _, w = _median_targets(k)
    y, slope = table.quantile(w, slope=True)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        step = (w - np.log(-table.dist.logsf(y))) * slope
    return np.where(np.isfinite(step), y + step, y)


def mean_from_table(table: QuantileTable, k, chunk: int = 8) -> np.ndarray:
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


def mixture_quantiles(table: QuantileTable, k, targets, iterations: int = 60) -> np.ndarray:
    r"""Quantiles ``targets`` of the best of ``k`` runs under the mixture of the table's draws.

    Solves :math:`E_\theta[F(y\mid\theta)^k] = q` for each ``k`` (rows) and
    ``q`` in ``targets`` (columns), maximizing frame, by Newton steps on the
    mixture's density :math:`E_\theta[k F^{k-1} f]` (:math:`f = t e^{-t}\,dw/dy`,
    :math:`t = e^w`, from :meth:`QuantileTable.tail_index`), each kept inside
    the bracket of the values tried so far, else a bisection. At most
    ``iterations`` steps; it stops once every quantile moves by less than
    1e-12 of the table's range of scores.
    """
    k, targets = np.asarray(k, dtype=float), np.asarray(targets, dtype=float)
    lo = np.broadcast_to(table.y[:, :1].min(), (k.size, targets.size)).copy()
    hi = np.broadcast_to(table.y[:, -1:].max(), (k.size, targets.size)).copy()
    powers = np.repeat(k, targets.size)[None, :]
    tolerance = 1e-12 * (hi[0, 0] - lo[0, 0])
    y = 0.5 * (lo + hi)
    for _ in range(iterations):
        w, dw = table.tail_index(y.reshape(1, -1), slope=True)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            t = np.exp(w)
            log_cdf = np.log(-np.expm1(-t))
            power = np.exp(powers * log_cdf)
            density = np.where(dw > 0, powers * np.exp((powers - 1) * log_cdf - t) * t * dw, 0.0)
        residual = np.mean(power, axis=0).reshape(y.shape) - targets[None, :]
        below = residual < 0
        lo = np.where(below, y, lo)
        hi = np.where(below, hi, y)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            newton = y - residual / np.mean(density, axis=0).reshape(y.shape)
        inside = np.isfinite(newton) & (newton >= lo) & (newton <= hi)  # (at a root: y itself)
        step = np.where(inside, newton, 0.5 * (lo + hi))
        done = np.all(np.abs(step - y) <= tolerance) or np.all(hi - lo <= tolerance)
        y = step
        if done:
            break
    return y


def solve_k(curve, level: np.ndarray, k_max: float = 1e12, iterations: int = 36) -> np.ndarray:
    r"""Per draw, the k >= 1 where the increasing ``curve(k)`` reaches ``level`` (bisection in log k).

    ``inf`` where it is not reached by ``k_max``; 1 where it is reached at once. The default
    36 halvings of :math:`[0, \log k_{max}]` give k to a relative 4e-10.
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


def w_range(kind: str, k: np.ndarray) -> tuple[float, float]:
    r"""The range of :math:`w` a table must cover for ``kind`` of curve at ``k`` iterations.

    ``"median"``: the medians' :math:`w_k`, 0.2 either side. ``"predictive"``
    (:func:`bayesq.curves.best_after`): where a draw's
    :math:`F(y)^k` is between :data:`PREDICTIVE_NEGLECT` and 1 minus it for
    some :math:`1 \le k \le \max(k, 10^6)` (beyond, it counts as 0 or 1:
    an error far below the Monte Carlo error of a mixture of draws):
    :math:`F = \epsilon` at :math:`k = 1` and :math:`S \approx \epsilon/k` at the
    largest. ``"mean"``: from :math:`F = 10^{-7}` to :math:`k = 10^{12}` at least.
    """
    if kind == "median":
        _, w = _median_targets(np.array([k.min(), k.max()]))
        return float(w[0]) - 0.2, float(w[1]) + 0.2
    if kind == "predictive":
        log_eps = np.log(PREDICTIVE_NEGLECT)
        return float(np.log(-np.log1p(-PREDICTIVE_NEGLECT))), float(
            np.log(np.log(max(k.max(), 1e6)) - log_eps) + 0.2
        )
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
    k = check_ks(k)
    table = quantile_table(alpha, beta, gamma, sigma, maximize, *w_range("median", k))
    y = median_from_table(table, k)
    return y if maximize else -y


def expected_tuning_curves(alpha, beta, gamma, sigma, k, maximize: bool = True) -> np.ndarray:
    r"""Expected tuning curve of each parameter draw: :math:`E[T_k \mid \theta]`.

    :math:`E[T_k] = \int_0^1 F^{-1}(u^{1/k})\,du` when maximizing (the
    expected minimum, mirrored, when minimizing), by a tanh-sinh rule on the
    tabulated quantile function. Arguments and result as
    :func:`median_tuning_curves`.
    """
    k = check_ks(k)
    table = quantile_table(alpha, beta, gamma, sigma, maximize, *w_range("mean", k), step=MEAN_STEP)
    y = mean_from_table(table, k)
    return y if maximize else -y
