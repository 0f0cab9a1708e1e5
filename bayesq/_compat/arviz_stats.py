"""Simultaneous ECDF bands from ``arviz_stats.ecdf_utils``.

ArviZ's own plots use this module, but its functions are not in ArviZ's API
reference (ArviZ 0.x had it under ``arviz.stats.ecdf_utils``, with an
"optimized" method that ArviZ 1 dropped; the simulated band remains).
Upstream: arviz-devs/arviz-stats, simultaneous ECDF bands as public API.
"""

from __future__ import annotations

import numpy as np

from bayesq._compat import moved

__all__ = ["ecdf_band"]


def ecdf_band(n: int, eval_points, prob: float, n_simulations: int = 2000, random_seed: int = 0):
    r"""Simultaneous ``prob`` band of the ECDF of ``n`` uniform draws, at ``eval_points`` in (0, 1).

    The band is the pointwise binomial interval whose level is raised until
    the ECDFs of ``n_simulations`` simulated uniform samples stay inside it
    everywhere with probability ``prob`` (the simulation method of
    Säilynoja et al. 2022, "Graphical test for discrete uniformity and its
    applications in goodness-of-fit evaluation and multiple sample
    comparison", Statistics and Computing 32). Seeded: the same arguments
    give the same band.

    Returns
    -------
    lower, upper : ndarray
        The band's ends at ``eval_points``.
    """
    try:
        from arviz_stats.ecdf_utils import get_pointwise_confidence_band, simulate_confidence_bands
    except ImportError as err:
        raise moved("arviz-stats", "arviz_stats.ecdf_utils' confidence bands", err) from None
    eval_points = np.asarray(eval_points, dtype=float)
    rng = np.random.default_rng(random_seed)
    pointwise = simulate_confidence_bands(n, 1, eval_points, prob, n_simulations, rng)
    lower, upper = get_pointwise_confidence_band(pointwise, n, eval_points)
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
