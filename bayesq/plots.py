r"""Plots of a fit (matplotlib; each function takes data and returns its axes).

* :func:`plot_tail`: the tail's goodness of fit. The fraction of runs better
  than :math:`y` (the empirical survival function when maximizing, the
  empirical CDF when minimizing) against the model's
  :math:`P(Y \text{ better than } y \mid \theta)` for posterior (or prior)
  draws of :math:`\theta`: median and a credible band. With ``group="prior"``
  it is the prior predictive check.
* :func:`plot_posterior`: ArviZ's posterior plot of alpha, beta, gamma, sigma.
* :func:`plot_trace`: ArviZ's trace plot of the same.
"""

from __future__ import annotations

import arviz as az
import numpy as np

from bayesq.fit import PARAMETERS
from bayesq.stats import noisy_quadratic

__all__ = ["plot_posterior", "plot_tail", "plot_trace"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    return ax


def _thin(group, n_draws: int, rng) -> dict:
    """``n_draws`` random draws of each parameter from an InferenceData group."""
    stacked = {name: np.asarray(group[name].values).reshape(-1) for name in PARAMETERS}
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

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not 0 < ci < 1:
        raise ValueError(f"ci must lie in (0, 1), got {ci}")
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
    # empirical P(better than y) at the tail scores (plotting positions i / (n + 1))
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
    ax.set_xlabel("score")
    ax.set_ylabel("fraction of runs " + ("above" if maximize else "below") + " the score")
    ax.legend(loc="lower left" if maximize else "lower right", fontsize="small")
    return ax


def plot_posterior(result, hdi_prob: float = 0.9, **kwargs):
    """Posterior densities of alpha, beta, gamma, sigma (:func:`arviz.plot_posterior`)."""
    return az.plot_posterior(result.idata, var_names=list(PARAMETERS), hdi_prob=hdi_prob, **kwargs)


def plot_trace(result, **kwargs):
    """Trace plot of alpha, beta, gamma, sigma (:func:`arviz.plot_trace`)."""
    return az.plot_trace(result.idata, var_names=list(PARAMETERS), **kwargs)
