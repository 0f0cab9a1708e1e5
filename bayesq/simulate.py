"""Simulated random searches with known truth (the demo's data, and tests').

* :func:`simulate_random_search`: scores that follow the noisy quadratic
  distribution, plus a fraction of failed runs far below it (diverged
  training, chance-level accuracy), as in real searches. The failures fall
  below any sensible threshold and enter a censored fit only through their
  count.
* :func:`simulate_surface_search`: random search on a loss surface that is
  quadratic only near its optimum (a quartic term bends it away), so that
  its scores follow the noisy quadratic distribution only in the limit of
  the best scores: no threshold is exactly right, and the truth of the
  limit is known in closed form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bayesq.stats import noisy_quadratic

__all__ = ["SimulatedSearch", "SurfaceSearch", "simulate_random_search", "simulate_surface_search"]


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


@dataclass(frozen=True)
class SurfaceSearch:
    r"""Scores of a random search on a loss surface, and the surface that made them.

    What :func:`simulate_surface_search` returns.

    Attributes
    ----------
    scores : numpy.ndarray
        One score per run, in run order.
    points : numpy.ndarray, shape ``(n, dims)``
        The hyperparameters of each run, uniform on :math:`[-1, 1]^d`.
    beta : float
        The best score (at the optimum, without noise).
    curvature, quartic : float
        :math:`c` and :math:`q` of the surface
        :math:`\beta \mp (c\,r^2 + q\,r^4)`, :math:`r = \lVert x\rVert`.
    sigma : float
        Sd of the seed noise of each run.
    maximize : bool
        Whether higher scores are better.
    """

    scores: np.ndarray
    points: np.ndarray
    beta: float
    curvature: float
    quartic: float
    sigma: float
    maximize: bool

    @property
    def tail_truth(self) -> dict[str, float]:
        r"""The noisy quadratic the best scores follow in the limit: what a censored fit estimates.

        Near the optimum the surface is :math:`\beta - c r^2` (maximizing),
        so for :math:`y \to \beta` the share of the cube :math:`[-1, 1]^d`
        scoring above :math:`y` is that of the ball of radius
        :math:`\sqrt{(\beta - y)/c}`:

        .. math::

            P(Y > y) \to \frac{V_d}{2^d}\left(\frac{\beta - y}{c}\right)^{d/2}
            = \left(\frac{\beta - y}{\beta - \alpha}\right)^{d/2},
            \qquad \beta - \alpha = c\left(\frac{2^d}{V_d}\right)^{2/d},

        with :math:`V_d = \pi^{d/2}/\Gamma(d/2 + 1)` the volume of the unit
        ball: :math:`\mathcal Q(\alpha, \beta, d, \sigma)`, the seed
        noise added. Farther from the optimum the quartic term (and, below
        :math:`\beta - c - q`, the cube's faces) bend the distribution away
        from it. Mirrored when minimizing (the best score is then ``alpha``).
        """
        d = self.points.shape[1]
        log_ball = 0.5 * d * np.log(np.pi) - math.lgamma(0.5 * d + 1.0)
        width = float(self.curvature * np.exp((2.0 / d) * (d * np.log(2.0) - log_ball)))
        gamma, sigma = float(d), self.sigma
        if self.maximize:
            return dict(alpha=self.beta - width, beta=self.beta, gamma=gamma, sigma=sigma)
        return dict(alpha=self.beta, beta=self.beta + width, gamma=gamma, sigma=sigma)


def simulate_surface_search(
    n: int = 512,
    dims: int = 3,
    beta: float = 0.90,
    curvature: float = 0.05,
    quartic: float = 0.05,
    sigma: float = 0.002,
    *,
    maximize: bool = True,
    random_seed: int | np.random.Generator | None = 0,
) -> SurfaceSearch:
    r"""Simulate ``n`` runs of random search on a surface quadratic only near its optimum.

    Each run draws hyperparameters :math:`x` uniformly from :math:`[-1, 1]^d`
    and scores :math:`\beta - c\,r^2 - q\,r^4 + \sigma\varepsilon`
    (:math:`r = \lVert x\rVert`, :math:`\varepsilon` standard normal;
    :math:`\beta + c\,r^2 + q\,r^4 + \sigma\varepsilon` when minimizing).
    With ``quartic > 0`` the scores follow the noisy quadratic distribution
    only in the limit of the best ones (:attr:`SurfaceSearch.tail_truth`):
    every finite threshold leaves some bend in the tail.

    Parameters
    ----------
    n : int
        Number of runs.
    dims : int
        Number of hyperparameters :math:`d` (the limit's :math:`\gamma`).
    beta : float
        The best score (the optimum's, without noise).
    curvature, quartic : float
        :math:`c > 0` and :math:`q \ge 0` of the surface.
    sigma : float
        Sd of each run's seed noise, ``>= 0``.
    maximize : bool
        Whether higher scores are better.
    random_seed : int or numpy.random.Generator, optional
        Seed of the simulation (0 by default, so that a call is reproducible).

    Returns
    -------
    SurfaceSearch

    Raises
    ------
    ValueError
        ``n`` or ``dims`` below 1, ``curvature`` not positive, ``quartic``
        or ``sigma`` negative.

    Examples
    --------
    >>> from bayesq.simulate import simulate_surface_search
    >>> search = simulate_surface_search(n=200, dims=2, random_seed=0)
    >>> search.scores.shape, bool(search.scores.max() < 0.91)
    ((200,), True)
    >>> {k: round(v, 4) for k, v in search.tail_truth.items()}  # beta - alpha = 4 c / pi for d = 2
    {'alpha': 0.8363, 'beta': 0.9, 'gamma': 2.0, 'sigma': 0.002}
    """
    if n < 1 or dims < 1:
        raise ValueError(f"n and dims must be at least 1, got n={n}, dims={dims}")
    if not curvature > 0 or not quartic >= 0 or not sigma >= 0:
        raise ValueError(
            f"curvature must be positive and quartic, sigma non-negative, got {curvature}, {quartic}, {sigma}"
        )
    rng = np.random.default_rng(random_seed)
    points = rng.uniform(-1.0, 1.0, size=(n, dims))
    r2 = np.sum(points**2, axis=1)
    loss = curvature * r2 + quartic * r2**2
    scores = (beta - loss if maximize else beta + loss) + sigma * rng.normal(size=n)
    return SurfaceSearch(
        scores, points, float(beta), float(curvature), float(quartic), float(sigma), maximize
    )
