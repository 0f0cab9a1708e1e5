"""Simulated random searches with known truth (the demo's data, and tests').

A random search whose scores near the optimum follow the noisy quadratic
distribution, plus a fraction of failed runs far below it (diverged training,
chance-level accuracy), as in real searches. The failures fall below any
sensible threshold and enter a censored fit only through their count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayesq.stats import noisy_quadratic

__all__ = ["SimulatedSearch", "simulate_random_search"]


@dataclass(frozen=True)
class SimulatedSearch:
    """Scores of a simulated random search and the truth that made them.

    What :func:`simulate_random_search` returns.

    Attributes
    ----------
    scores : numpy.ndarray
        One score per run, in run order.
    alpha, beta, gamma, sigma : float
        The noisy quadratic that scored the successful runs.
    maximize : bool
        Whether higher scores are better.
    failed : numpy.ndarray of bool
        Which runs failed.
    failure_rate : float
        The probability of a failure.
    """

    scores: np.ndarray
    alpha: float
    beta: float
    gamma: float
    sigma: float
    maximize: bool
    failed: np.ndarray
    failure_rate: float = 0.0

    @property
    def truth(self) -> dict[str, float]:
        """The parameters that generated the successful runs."""
        return dict(alpha=self.alpha, beta=self.beta, gamma=self.gamma, sigma=self.sigma)

    @property
    def tail_truth(self) -> dict[str, float]:
        r"""The parameters a censored fit of these scores estimates.

        Failures at rate :math:`r` scale the chance of scoring beyond any
        :math:`y` inside the support by :math:`1 - r`. For maximization,

        .. math::

            (1 - r)\left(\frac{\beta - y}{\beta - \alpha}\right)^{\gamma/2}
            = \left(\frac{\beta - y}{\beta - \alpha'}\right)^{\gamma/2},
            \qquad \beta - \alpha' = (\beta - \alpha)(1 - r)^{-2/\gamma},

        so beyond a threshold :math:`t` (with :math:`t - \alpha \gg \sigma`,
        where the noise no longer reaches the support's far end) the whole
        search, failures included, is exactly
        :math:`\mathcal Q(\alpha', \beta, \gamma, \sigma)`: the censored
        likelihood cannot tell the two apart, and :math:`\alpha'` is the truth
        for the fit. For minimization the far end :math:`\beta` moves the same
        way. With no failures this is :attr:`truth`.
        """
        stretch = (self.beta - self.alpha) * (1.0 - self.failure_rate) ** (-2.0 / self.gamma)
        if self.maximize:
            return dict(self.truth, alpha=self.beta - stretch)
        return dict(self.truth, beta=self.alpha + stretch)


def simulate_random_search(
    n: int = 512,
    alpha: float = 0.80,
    beta: float = 0.90,
    gamma: float = 2.0,
    sigma: float = 0.002,
    *,
    maximize: bool = True,
    failure_rate: float = 0.1,
    failure_score: float | None = None,
    random_seed: int | np.random.Generator | None = 0,
) -> SimulatedSearch:
    r"""Simulate ``n`` runs of random search.

    Each run succeeds with probability ``1 - failure_rate`` and then scores a
    draw of :math:`\mathcal Q(\alpha, \beta, \gamma, \sigma)`; a failed run
    scores ``failure_score`` plus a little noise (default: the worst end of
    the support pushed a further ``(beta - alpha)`` away).

    Parameters
    ----------
    n : int
        Number of runs.
    alpha, beta, gamma, sigma : float
        The noisy quadratic of the successful runs (:func:`bayesq.noisy_quadratic`).
    maximize : bool
        Whether higher scores are better (the concave form, best score ``beta``).
    failure_rate : float
        Probability that a run fails, in [0, 1).
    failure_score : float, optional
        The score of a failed run, before its noise of sd ``0.1 * (beta - alpha)``.
    random_seed : int or numpy.random.Generator, optional
        Seed of the simulation (0 by default, so that a call is reproducible).

    Returns
    -------
    SimulatedSearch
        ``scores`` in run order, the true parameters, the mask of failures
        and the failure rate; ``.tail_truth`` holds what a censored fit
        estimates (the failures stretch the support's far end).

    Raises
    ------
    ValueError
        ``n`` below 1 or ``failure_rate`` outside [0, 1).

    Examples
    --------
    >>> from bayesq.simulate import simulate_random_search
    >>> search = simulate_random_search(n=100, random_seed=0)
    >>> search.scores.shape, int(search.failed.sum())
    ((100,), 10)
    >>> search.truth
    {'alpha': 0.8, 'beta': 0.9, 'gamma': 2.0, 'sigma': 0.002}
    >>> round(search.tail_truth["alpha"], 4)  # what a censored fit estimates
    0.7889
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0 <= failure_rate < 1:
        raise ValueError(f"failure_rate must lie in [0, 1), got {failure_rate}")
    rng = np.random.default_rng(random_seed)
    dist = noisy_quadratic(alpha, beta, gamma, sigma, maximize)
    scores = np.asarray(dist.sample(size=n, random_state=rng), dtype=float)
    failed = rng.uniform(size=n) < failure_rate
    width = beta - alpha
    if failure_score is None:
        failure_score = alpha - width if maximize else beta + width
    scores[failed] = failure_score + 0.1 * width * rng.normal(size=failed.sum())
    return SimulatedSearch(scores, alpha, beta, gamma, sigma, maximize, failed, failure_rate)
