r"""Plots of a fit (matplotlib; each function takes data and returns its axes).

* :func:`plot_tail`: the tail's goodness of fit. The fraction of runs better
  than :math:`y` (the empirical survival function when maximizing, the
  empirical CDF when minimizing) against the model's
  :math:`P(Y \text{ better than } y \mid \theta)` for posterior (or prior)
  draws of :math:`\theta`: median and a credible band. With ``group="prior"``
  it is the prior predictive check.
* :func:`plot_cdf`: the CDF panel of Lourie et al.'s figures: the empirical
  CDF with opda's nonparametric confidence band and parametric point fit,
  beside the posterior band of :math:`F(y \mid \theta)`, the asymptotic
  regime shaded.
* :func:`plot_tuning_curve`: the tuning-curve panel: bayesq's credible band
  (beyond the data too) beside opda's nonparametric band, its point fit and
  the empirical curve; the curve dashed where it leaves the asymptotic regime.
* :func:`plot_pit`: the tail's probability integral transform as an
  eCDF-difference plot with ArviZ's simultaneous band (uniform = flat).
* :func:`plot_thresholds`: posteriors of the best score, gamma and sigma and
  the PIT p-value against the threshold (parameter stability), the
  suggested threshold marked.
* :func:`plot_comparison`: a forest plot of the best score, gamma and sigma
  of several searches (:func:`bayesq.compare`), one panel each.
* :func:`plot_compare_curves`: their tuning curves overlaid with credible
  bands, and the probability that one is better than the other after
  :math:`k` runs, the budgets where the ranking flips marked.
* :func:`plot_sbc`: simulation-based calibration (:mod:`bayesq.sbc`), the
  ECDF difference of each parameter's ranks inside its simultaneous band.
* :func:`plot_posterior`: the posterior densities of alpha, beta, gamma,
  sigma with their HDIs.
* :func:`plot_trace`: their per-chain densities and draws.

bayesq's results are :class:`xarray.DataTree` objects that ArviZ's own plots
(arviz-plots: ``plot_dist``, ``plot_trace_dist``, ``plot_forest``, ...) take
as they are; these functions draw the panels bayesq's outputs need on
matplotlib axes you may pass.
"""

from __future__ import annotations

import arviz as az
import numpy as np
from matplotlib.ticker import MaxNLocator

from bayesq import frequentist as opda_analysis
from bayesq import validate
from bayesq.curves import flat_draws
from bayesq.model import PARAMETERS
from bayesq.stats import noisy_quadratic

__all__ = [
    "plot_cdf",
    "plot_compare_curves",
    "plot_comparison",
    "plot_pit",
    "plot_posterior",
    "plot_sbc",
    "plot_stacking",
    "plot_tail",
    "plot_thresholds",
    "plot_trace",
    "plot_tuning_curve",
]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    return ax


def _thin(group, n_draws: int, rng) -> dict:
    """``n_draws`` random draws of each parameter from a group of the fit (posterior or prior)."""
    stacked = flat_draws(group)
    size = stacked["alpha"].size
    pick = rng.choice(size, size=min(n_draws, size), replace=False)
    return {name: values[pick] for name, values in stacked.items()}


def plot_tail(result, group: str = "posterior", ci: float = 0.9, n_draws: int = 200, ax=None, random_seed=0):
    r"""Observed fraction of runs better than ``y`` against the model's, on a log scale.

    Parameters
    ----------
    result : bayesq.FitResult
        The fit; ``group="prior"`` needs ``result.sample_prior()`` first.
    group : {"posterior", "prior"}
        Which draws of :math:`\theta` make the band.
    ci : float
        Probability of the band, in (0, 1).
    n_draws : int
        Draws used for the band.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: new ones).
    random_seed : int, optional
        Seed of the choice of draws.

    Returns
    -------
    matplotlib.axes.Axes
    """
    validate.probability(ci, "ci")
    if group not in result.idata:
        raise ValueError(
            f"the fit has no {group!r} group"
            + ("; call result.sample_prior() first" if group == "prior" else "")
        )
    ax = _axes(ax)
    scores = np.sort(result.scores)
    n = scores.size
    maximize, t = result.maximize, result.threshold
    tail = scores[scores > t] if maximize else scores[scores < t]
    # empirical P(better than y) at the tail scores: (i - 1/2) / (n + 1), i the rank from the best
    if maximize:
        grid_obs = np.sort(tail)
        frac = (n - np.searchsorted(scores, grid_obs, side="right") + 0.5) / (n + 1)
    else:
        grid_obs = np.sort(tail)
        frac = (np.searchsorted(scores, grid_obs, side="left") + 0.5) / (n + 1)
    draws = _thin(result.idata[group], n_draws, np.random.default_rng(random_seed))
    lo_y, hi_y = (t, tail.max()) if maximize else (tail.min(), t)
    pad = 0.05 * (hi_y - lo_y)
    grid = np.linspace(lo_y, hi_y + pad, 200) if maximize else np.linspace(lo_y - pad, hi_y, 200)
    dist = noisy_quadratic(*(draws[name][:, None] for name in PARAMETERS), maximize=maximize)
    better = dist.sf(grid[None, :]) if maximize else dist.cdf(grid[None, :])
    lower, median, upper = np.quantile(better, [(1 - ci) / 2, 0.5, (1 + ci) / 2], axis=0)
    label = "posterior" if group == "posterior" else "prior predictive"
    ax.fill_between(grid, lower, upper, alpha=0.3, color="C0", label=f"{label} {ci:.0%} band")
    ax.plot(grid, median, color="C0", label=f"{label} median")
    ax.plot(grid_obs, frac, ".", color="k", ms=3, label="observed")
    ax.axvline(t, color="0.5", ls="--", lw=1, label="threshold")
    ax.set_yscale("log")
    # the band of a prior can reach 1e-300: show the range of the data (a run in n+1 down to the
    # fraction at the threshold, a decade either side)
    ax.set_ylim(0.1 * min(frac.min(), 1 / (n + 1)), 1.0)
    ax.set_xlabel("score")
    ax.set_ylabel("fraction of runs " + ("above" if maximize else "below") + " the score")
    ax.legend(loc="lower left" if maximize else "lower right", fontsize="small")
    return ax


def plot_cdf(
    result, ci: float = 0.8, frequentist: bool = True, support=(-np.inf, np.inf), n_draws=400, ax=None
):
    r"""CDF panel: empirical CDF and opda's band and fit beside the posterior band of :math:`F`.

    Parameters
    ----------
    result : bayesq.FitResult
    ci : float
        Mass of the credible and confidence bands, in (0, 1).
    frequentist : bool
        Draw opda's nonparametric band and parametric point fit.
    support : (float, float)
        Range scores can take, for opda's band.
    n_draws : int
        Posterior draws for the band.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: new ones).

    Returns
    -------
    matplotlib.axes.Axes
    """
    validate.probability(ci, "ci")
    ax = _axes(ax)
    scores, t, maximize = np.sort(result.scores), result.threshold, result.maximize
    # the tail and as wide a stretch of the censored side
    if maximize:
        reach = scores[-1] - t
        grid = np.linspace(max(t - reach, scores[0]), scores[-1] + 0.1 * reach, 300)
    else:
        reach = t - scores[0]
        grid = np.linspace(scores[0] - 0.1 * reach, min(t + reach, scores[-1]), 300)
    draws = _thin(result.idata.posterior, n_draws, np.random.default_rng(0))
    cdf = noisy_quadratic(*(draws[name][:, None] for name in PARAMETERS), maximize=maximize).cdf(
        grid[None, :]
    )
    lower, median, upper = np.quantile(cdf, [(1 - ci) / 2, 0.5, (1 + ci) / 2], axis=0)
    ax.fill_between(grid, lower, upper, color="C0", alpha=0.3, label=f"bayesq {ci:.0%} credible band")
    ax.plot(grid, median, color="C0", label="bayesq posterior median")
    ecdf = np.arange(1, scores.size + 1) / scores.size
    ax.step(scores, ecdf, where="post", color="k", lw=1, label="empirical CDF")
    if frequentist:
        low_band, _, high_band = opda_analysis.cdf_bands(scores, ci, support)
        ax.plot(grid, low_band.cdf(grid), color="C1", ls="--", lw=1, label=f"opda {ci:.0%} confidence band")
        ax.plot(grid, high_band.cdf(grid), color="C1", ls="--", lw=1)
        fit = opda_analysis.point_fit(scores, t, maximize)
        ax.plot(grid, fit.cdf(grid), color="C2", lw=1, label="opda point fit")
    ax.axvline(t, color="0.5", ls=":", lw=1)
    regime = (t, grid[-1]) if maximize else (grid[0], t)
    ax.axvspan(*regime, color="0.9", zorder=0, label="asymptotic regime")
    ax.set_xlabel("score")
    ax.set_ylabel("CDF")
    ax.set_xlim(grid[0], grid[-1])
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize="small", loc="upper left")
    return ax


def plot_tuning_curve(
    result,
    k=None,
    kind: str = "median",
    ci: float = 0.8,
    frequentist: bool = True,
    support=(-np.inf, np.inf),
    curve=None,
    ax=None,
):
    r"""Tuning-curve panel: bayesq's credible band beside opda's band, fit and the empirical curve.

    Parameters
    ----------
    result : bayesq.FitResult
    k : array_like, optional
        Iterations; default a log grid from 1 to 4 times the number of runs.
    kind : {"median", "mean"}
        Median or expected tuning curve (opda's curves are median curves).
    ci : float
        Mass of the bands, in (0, 1).
    frequentist : bool
        Draw opda's nonparametric band, its point fit and the empirical curve.
    support : (float, float)
        Range scores can take, for opda's band (its band reaches the end of
        the support once it is trivial).
    curve : bayesq.curves.TuningCurve, optional
        A curve already computed by ``result.tuning_curve`` (then ``k``,
        ``kind`` and ``ci`` are taken from it).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: new ones).

    Returns
    -------
    matplotlib.axes.Axes
    """
    validate.probability(ci, "ci")
    ax = _axes(ax)
    scores, t, maximize = result.scores, result.threshold, result.maximize
    if curve is None:
        if k is None:
            k = np.unique(np.geomspace(1, 4 * scores.size, 120))
        curve = result.tuning_curve(k, kind=kind, ci=ci)
    k, kind, ci, inside = curve.k, curve.kind, curve.ci, curve.in_regime
    ax.fill_between(
        k, curve.lower, curve.upper, where=inside, color="C0", alpha=0.3, label=f"bayesq {ci:.0%} band"
    )
    ax.fill_between(k, curve.lower, curve.upper, where=~inside, color="C0", alpha=0.1)
    ax.plot(np.where(inside, k, np.nan), curve.estimate, color="C0", label=f"bayesq posterior {kind}")
    ax.plot(
        np.where(inside, np.nan, k),
        curve.estimate,
        color="C0",
        ls="--",
        label="outside the asymptotic regime",
    )
    if frequentist:
        empirical_k = k[k <= scores.size]
        lower, point, upper = opda_analysis.tuning_curve_band(scores, k, ci, maximize, support)
        ax.plot(empirical_k, point[: empirical_k.size], color="k", lw=1, label="empirical (data)")
        ax.plot(k, lower, color="C1", ls="--", lw=1, label=f"opda {ci:.0%} confidence band")
        ax.plot(k, upper, color="C1", ls="--", lw=1)
        fit = opda_analysis.point_fit(scores, t, maximize)
        ax.plot(
            k, fit.quantile_tuning_curve(k, minimize=not maximize), color="C2", lw=1, label="opda point fit"
        )
    ax.axhline(t, color="0.5", ls=":", lw=1)
    ax.axvline(curve.k_regime, color="0.5", ls=":", lw=1)
    ax.axvline(scores.size, color="0.7", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("iterations k")
    ax.set_ylabel(("median" if kind == "median" else "expected") + " best score after k")
    finite = np.concatenate([curve.lower, curve.upper])
    pad = 0.1 * (finite.max() - finite.min())
    ax.set_ylim(finite.min() - pad, finite.max() + pad)
    ax.legend(fontsize="small", loc="lower right" if maximize else "upper right")
    return ax


def _ecdf_difference(ax, u, prob: float, grid):
    """The ECDF of ``u`` (in (0, 1)) minus the uniform CDF at ``grid``, inside its simultaneous band."""
    from bayesq._compat.arviz_stats import ecdf_band

    u = np.sort(np.asarray(u, dtype=float))
    lower, upper = ecdf_band(u.size, grid, prob)
    ecdf = np.searchsorted(u, grid, side="right") / u.size
    ax.fill_between(grid, lower - grid, upper - grid, step="mid", color="C0", alpha=0.25, lw=0)
    ax.step(grid, ecdf - grid, where="mid", color="C0", lw=1.2)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xlim(0, 1)
    return ax


def plot_pit(result, ci: float = 0.95, ax=None):
    """eCDF difference of the tail PIT (:func:`bayesq.pit.tail_pit`) with a simultaneous band.

    The eCDF of the PIT values minus the uniform CDF, inside the ``ci``
    simultaneous band of a uniform sample as large
    (:func:`bayesq._compat.arviz_stats.ecdf_band`); a curve leaving the band means the
    fitted noisy quadratic misdescribes the tail.
    """
    from bayesq.pit import tail_pit

    validate.probability(ci, "ci")
    ax = _axes(ax)
    _ecdf_difference(ax, tail_pit(result), ci, np.linspace(0.0025, 0.9975, 200))
    ax.set_xlabel("PIT of the tail scores")
    ax.set_ylabel("eCDF - uniform CDF")
    ax.set_title(f"tail goodness of fit ({ci:.0%} simultaneous band)", fontsize="medium")
    return ax


def plot_thresholds(scan, axes=None):
    """Parameter stability across thresholds (:func:`bayesq.thresholds.scan_thresholds`).

    Four panels: the best achievable score, gamma and sigma (posterior median
    and interval) and the tail PIT p-value, against the threshold; the
    suggested threshold dashed.

    Returns
    -------
    ndarray of matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 4, figsize=(14, 3.2), layout="constrained")
    axes = np.ravel(axes)
    t = scan.thresholds
    best = "beta" if scan.maximize else "alpha"
    labels = {"best": f"best score ({best})", "gamma": "gamma", "sigma": "sigma"}
    for ax, (name, label) in zip(axes[:3], labels.items(), strict=True):
        lo, mid, hi = scan.intervals[name].T
        ax.errorbar(t, mid, yerr=[mid - lo, hi - mid], fmt="o", ms=3, capsize=2)
        ax.set_ylabel(label)
    axes[3].plot(t, scan.pit_pvalue, "o-", ms=3)
    axes[3].axhline(0.05, color="0.5", ls=":", lw=1)
    axes[3].set_yscale("log")
    axes[3].set_ylabel("tail PIT p-value")
    for ax in axes:
        ax.set_xlabel("threshold")
        if scan.suggested is not None:
            ax.axvline(scan.suggested, color="C3", ls="--", lw=1)
    axes[0].set_title(f"{scan.ci:.0%} intervals; suggested threshold dashed", fontsize="medium", loc="left")
    return axes


def plot_stacking(stacked, ci: float = 0.9, axes=None):
    """What ``threshold="auto"`` made of the threshold (:class:`bayesq.stacked.StackedFit`): candidates'
    ``ci`` intervals of the best score (size: weight), the stacked one shaded (left); the weights (right).

    Returns
    -------
    ndarray of matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    axes = np.ravel(plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")[1] if axes is None else axes)
    table, best = stacked.thresholds(ci=ci), stacked.best_score(ci=ci)
    t, w = table.index.to_numpy(), table["weight"].to_numpy()
    lo, mid, hi = (table[f"best_{part}"].to_numpy() for part in ("lower", "median", "upper"))
    axes[0].axhspan(best.lower, best.upper, color="C1", alpha=0.25, lw=0, label=f'"auto", {ci:.0%}')
    axes[0].errorbar(t, mid, yerr=[mid - lo, hi - mid], fmt="none", ecolor="C0", capsize=2)
    axes[0].scatter(t, mid, s=12 + 120 * w, color="C0", zorder=3, label="candidates (size: weight)")
    axes[0].set(ylabel=f"best score ({'beta' if stacked.maximize else 'alpha'})", xlabel="threshold")
    axes[0].legend(fontsize="small")
    axes[0].set_title(f"variance between thresholds: {stacked.threshold_share:.0%}", fontsize="medium")
    axes[1].bar(t, w, width=0.6 * np.min(np.abs(np.diff(t))) if t.size > 1 else 0.01, color="C0")
    axes[1].set(ylim=(0, 1), ylabel="stacking weight", xlabel="threshold")
    return axes


def plot_sbc(result, prob: float = 0.99, n_points: int = 100, axes=None):
    """Simulation-based calibration (:func:`bayesq.sbc.run_sbc`): ECDF differences of the ranks.

    One panel per parameter: the ECDF of the continuous ranks minus the
    uniform CDF, inside its ``prob`` simultaneous band (the band of
    :meth:`bayesq.sbc.SBCResult.test`).

    Returns
    -------
    ndarray of matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    names = list(result.u.columns)
    if axes is None:
        _, axes = plt.subplots(
            1, len(names), figsize=(3.4 * len(names), 3), layout="constrained", sharey=True
        )
    axes = np.ravel(axes)
    grid = np.arange(1, n_points + 1) / (n_points + 1)
    inside = result.test(prob, n_points)["inside"]
    for ax, name in zip(axes, names, strict=True):
        _ecdf_difference(ax, result.u[name].values, prob, grid)
        ax.set_title(
            f"{name}: {'inside' if inside[name] else 'OUTSIDE'} the {prob:.0%} band", fontsize="medium"
        )
        ax.set_xlabel("fractional rank")
    axes[0].set_ylabel(f"ECDF - uniform ({len(result.u)} data sets)")
    return axes


def _label_digits(lower: float, upper: float) -> int:
    """Significant digits that tell ``lower`` and ``upper`` apart (at least 2)."""
    scale = max(abs(lower), abs(upper))
    if not (upper > lower and scale > 0):
        return 2
    return max(2, int(np.ceil(np.log10(scale / (upper - lower)))) + 2)


def _shown_range(draws) -> tuple[float, float]:
    """The range a panel shows: a few far draws (alpha's reach below the threshold) must not squash it."""
    lo, hi = np.quantile(draws, [0.002, 0.998])
    pad = 0.1 * (hi - lo) if hi > lo else 0.1 * max(abs(lo), 1e-12)
    return lo - pad, hi + pad


def _density(draws, lo: float, hi: float):
    """A kernel density of ``draws`` (:func:`arviz.kde`) on the panel's range."""
    grid, pdf, _ = az.kde(draws[(draws >= lo) & (draws <= hi)])
    return grid, pdf


def plot_posterior(result, hdi_prob: float = 0.9, axes=None):
    """Posterior densities of alpha, beta, gamma, sigma, with the mean and the ``hdi_prob`` HDI.

    Each panel labels the mean and the interval's ends with the significant
    digits that tell the ends apart (beta's ends of 0.8875 and 0.8887 do not
    both read 0.89), and shows the central 99.6 % of the draws.

    Returns
    -------
    ndarray of matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    validate.probability(hdi_prob, "hdi_prob")
    if axes is None:
        _, axes = plt.subplots(2, 2, figsize=(10, 6.5), layout="constrained")
    axes = np.ravel(axes)
    for ax, name in zip(axes, PARAMETERS, strict=True):
        draws = result.draws(name).ravel()
        lower, upper = (float(v) for v in az.hdi(draws, prob=hdi_prob))
        digits = _label_digits(lower, upper)
        lo, hi = _shown_range(draws)
        grid, pdf = _density(draws, lo, hi)
        ax.plot(grid, pdf, color="C0")
        top = pdf.max()
        ax.plot([lower, upper], [0, 0], color="k", lw=4, solid_capstyle="butt")
        ax.text(lower, 0.06 * top, f"{lower:.{digits}g}", ha="right", va="bottom", fontsize="small")
        ax.text(upper, 0.06 * top, f"{upper:.{digits}g}", ha="left", va="bottom", fontsize="small")
        ax.text(
            (lower + upper) / 2, 0.16 * top, f"{hdi_prob:.0%} HDI", ha="center", va="bottom", fontsize="small"
        )
        mean = float(draws.mean())
        ax.axvline(mean, color="0.4", ls=":", lw=1)
        ax.set_title(f"{name}   (mean {mean:.{digits}g})", fontsize="medium")
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, 1.1 * top)
        ax.set_yticks([])
        ax.ticklabel_format(axis="x", useOffset=False)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
    return axes


def plot_trace(result, axes=None):
    """Trace plot of alpha, beta, gamma, sigma: each chain's density (left) and its draws (right).

    Of a stacked fit (:class:`bayesq.stacked.StackedFit`), its favoured candidate's chains.

    Returns
    -------
    ndarray of matplotlib.axes.Axes, shape (4, 2)
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(len(PARAMETERS), 2, figsize=(11, 8), layout="constrained")
    axes = np.asarray(axes).reshape(len(PARAMETERS), 2)
    result = getattr(result, "favoured", result)  # a stacked fit: its favoured candidate's chains
    for (left, right), name in zip(axes, PARAMETERS, strict=True):
        chains = result.draws(name)
        lo, hi = _shown_range(chains.ravel())
        for c, draws in enumerate(chains):
            grid, pdf = _density(draws, lo, hi)
            left.plot(grid, pdf, color=f"C{c % 10}", lw=1)
            right.plot(draws, color=f"C{c % 10}", lw=0.5, alpha=0.7)
        left.set_xlim(lo, hi)
        left.set_yticks([])
        left.set_ylabel(name)
        right.set_ylim(lo, hi)
        for ax in (left, right):
            ax.ticklabel_format(axis="x" if ax is left else "y", useOffset=False)
    axes[0, 0].set_title("density, per chain", fontsize="medium")
    axes[0, 1].set_title("draws, per chain", fontsize="medium")
    axes[-1, 1].set_xlabel("draw")
    return axes


def plot_comparison(comparison, quantities=("best", "gamma", "sigma"), ci: float = 0.9, axes=None):
    """Forest plot of several searches: one panel per quantity.

    Per search, the posterior median (dot), the 50 % HDI (thick) and the
    ``ci`` HDI (thin).

    Parameters
    ----------
    comparison : bayesq.comparison.Comparison
    quantities : sequence of {"best", "alpha", "beta", "gamma", "sigma"}
    ci : float
        Mass of the thin highest-density intervals.
    axes : sequence of matplotlib.axes.Axes, optional

    Returns
    -------
    ndarray of matplotlib.axes.Axes
    """
    validate.probability(ci, "ci")
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(
            1,
            len(quantities),
            figsize=(3.4 * len(quantities), 0.6 * len(comparison.names) + 1.6),
            layout="constrained",
            squeeze=False,
            sharey=True,
        )
        axes = axes[0]
    axes = np.atleast_1d(axes)
    names = comparison.names
    rows = np.arange(len(names))[::-1]
    for ax, q in zip(axes, quantities, strict=True):
        for row, name in zip(rows, names, strict=True):
            draws = np.asarray(comparison.draws(name, q)).ravel()
            wide, narrow = az.hdi(draws, prob=ci), az.hdi(draws, prob=0.5)
            ax.plot(wide, [row, row], color=f"C{row % 10}", lw=1)
            ax.plot(narrow, [row, row], color=f"C{row % 10}", lw=4, solid_capstyle="butt")
            ax.plot([np.median(draws)], [row], "o", color="w", mec=f"C{row % 10}", ms=5)
        ax.set_yticks(rows, names)
        ax.set_ylim(-0.7, len(names) - 0.3)
        ax.set_title("best achievable score" if q == "best" else q, fontsize="medium")
        ax.ticklabel_format(axis="x", useOffset=False)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=4))  # long labels (0.00125) must not run together
        ax.grid(axis="x", color="0.9")
    axes[0].set_xlabel(f"median, 50 % and {ci:.0%} HDI", fontsize="small")
    return axes


def plot_compare_curves(comparison, k=None, a=None, b=None, kind: str = "median", ci: float = 0.8, axes=None):
    r"""Tuning curves of several searches overlaid, and :math:`P(\tau_a(k)` better than :math:`\tau_b(k))`.

    Parameters
    ----------
    comparison : bayesq.comparison.Comparison
    k : array_like, optional
        Iterations; default a log grid from 1 to 4 times the largest search.
    a, b : str, optional
        The pair of the lower panel (default the first two searches).
    kind : {"median", "mean"}
    ci : float
        Mass of the bands.
    axes : pair of matplotlib.axes.Axes, optional

    Returns
    -------
    ndarray of two matplotlib.axes.Axes
    """
    validate.probability(ci, "ci")
    names = comparison.names
    a = names[0] if a is None else a
    b = names[1] if b is None else b
    if k is None:
        n_max = max(r.scores.size for r in comparison.results.values())
        k = np.unique(np.geomspace(1, 4 * n_max, 80))
    if axes is None:
        import matplotlib.pyplot as plt

        _, axes = plt.subplots(2, 1, figsize=(6, 6), sharex=True, height_ratios=(2, 1), layout="constrained")
    top, bottom = axes
    for i, name in enumerate(names):
        curve = comparison.tuning_curve(name, k, kind, ci)
        top.fill_between(curve.k, curve.lower, curve.upper, color=f"C{i}", alpha=0.25)
        top.plot(curve.k, curve.estimate, color=f"C{i}", label=f"{name} ({ci:.0%} band)")
        top.axvline(curve.k_regime, color=f"C{i}", ls=":", lw=1)
    top.set_xscale("log")
    top.set_ylabel(("median" if kind == "median" else "expected") + " best score after k")
    top.legend(fontsize="small", loc="lower right" if comparison.maximize else "upper right")
    cp = comparison.curve_probability(a, b, k, kind)
    bottom.plot(cp.k, cp.prob, color="k")
    bottom.axhline(0.5, color="0.5", ls=":", lw=1)
    for flip in cp.flips:
        bottom.axvline(flip, color="C3", ls="--", lw=1)
    bottom.set_ylim(-0.02, 1.02)
    bottom.set_xlabel("iterations k")
    bottom.set_ylabel(f"P({a} better\nthan {b})")
    return np.array([top, bottom])
