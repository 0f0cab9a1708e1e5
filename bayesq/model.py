r"""The censored-tail model of a random search: priors, parametrization, likelihood.

Likelihood (Lourie et al., section 4; THEORY.md)
------------------------------------------------
Scores beyond the threshold :math:`t` (above it when maximizing, below it when
minimizing) follow the noisy quadratic distribution and enter exactly; every
other run only says that it fell on the other side:

.. math::

    \log L = \sum_{y_i > t} \log f(y_i \mid \theta) + n_{\le t}\,\log F(t \mid \theta)

(mirrored when minimizing). The model has two observed variables: ``tail``
(:class:`bayesq.NoisyQuadratic`, one log-likelihood term per tail score) and
``censored`` (one term :math:`\log F(t\mid\theta)` per censored run, computed
once and shared), so the ``log_likelihood`` group of the fit has a point per
run.

Parametrization and priors
--------------------------
Geometry decides whether NUTS works here (THEORY.md: a naive model diverges
thousands of times). The data pin the *tail mass* :math:`p_t = P(Y > t)`
(the count of tail scores) and the tail's shape; :math:`\alpha` is seen only
through them. We therefore sample, in the frame where the score is maximized
(minimization is mirrored by :math:`y \to -y`) and in units of the tail's
spread :math:`d` (the standard deviation of the tail scores),

* ``tail_mass`` :math:`p_t \sim \operatorname{Beta}(a, b)`, default uniform;
* ``gamma`` :math:`\gamma \sim \operatorname{LogNormal}(\log 2, 0.75)`: the
  effective number of hyperparameters, median 2, 95 % within [0.46, 8.7]
  (the paper finds 1 for language models, 2 for vision models); with
  ``n_hyperparameters=h``, :math:`\gamma = h\,\operatorname{logistic}(\eta)`,
  :math:`\eta \sim \mathcal N(\operatorname{logit}(\min(2, h/2)/h), 1.5)`
  (the nominal count bounds the rank of the Hessian);
* ``log_beta_gap`` :math:`\log((\beta - t)/d) \sim \mathcal N(0, 1.5)`: the best
  score lies beyond the threshold, within a few tail spreads of it;
* ``log_sigma`` :math:`\log(\sigma/d) \sim \mathcal N(\log 0.25, 0.75)`: seed
  noise is a fraction of the tail's spread (95 % within [0.058, 1.09] of it;
  0.3-0.4 on the three real data sets); the log-normal keeps
  :math:`\sigma` away from 0, where the density is unbounded at the edge of
  the support for :math:`\gamma \le 2`;

The two log-scale widths were 1 and 1.5 at first: on AlexNet (93 tail
scores) NUTS then diverged 29-74 times in 4,000 draws, in trajectories that
started at :math:`\sigma/d < 0.04` (the funnel where :math:`\beta` must
hug the best score) or :math:`\sigma/d > 1.5` and flew off to
:math:`\gamma \approx 500`; with 0.75 for both it sampled without
divergence (``benchmarks/bench_convergence.py``).

Then set :math:`\alpha = \beta - (\beta - t)\,p_t^{-2/\gamma}`, the noiseless
relation :math:`p_t = ((\beta - t)/(\beta - \alpha))^{\gamma/2}`. Every prior
is on a unit-free quantity, so fitting :math:`c\,y + e` (:math:`c > 0`) gives
the correspondingly transformed posterior. ``alpha``, ``beta``, ``gamma`` and
``sigma`` are recorded as deterministics in the user's frame.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesq.data import read_scores
from bayesq.distributions import NoisyQuadratic
from bayesq.logdensity import noisy_quadratic_logcdf, noisy_quadratic_logsf

__all__ = ["MIN_TAIL", "Priors", "build_model", "prepare_scores"]

MIN_TAIL = 8  # fewer tail scores cannot inform four parameters


@dataclasses.dataclass(frozen=True)
class Priors:
    """Hyperparameters of the priors (module docstring), all unit-free.

    Override any of them: ``Priors(gamma_median=1.0)``.
    """

    tail_mass_a: float = 1.0
    tail_mass_b: float = 1.0
    gamma_median: float = 2.0
    gamma_log_sd: float = 0.75
    beta_gap_log_mean: float = 0.0
    beta_gap_log_sd: float = 1.5
    sigma_log_mean: float = float(np.log(0.25))
    sigma_log_sd: float = 0.75

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not np.isfinite(value):
                raise ValueError(f"prior setting {field.name} must be finite, got {value}")
        for name in (
            "tail_mass_a",
            "tail_mass_b",
            "gamma_median",
            "gamma_log_sd",
            "beta_gap_log_sd",
            "sigma_log_sd",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"prior setting {name} must be positive, got {getattr(self, name)}")


@dataclasses.dataclass(frozen=True)
class PreparedScores:
    """Validated scores split at the threshold (in the user's frame)."""

    scores: np.ndarray
    threshold: float
    maximize: bool
    tail: np.ndarray
    censored: np.ndarray
    spread: float


def prepare_scores(scores, threshold, maximize=True) -> PreparedScores:
    """Validate scores and threshold, and split the scores at the threshold.

    Raises
    ------
    ValueError
        Non-finite scores (with their positions), a non-finite threshold,
        fewer than :data:`MIN_TAIL` scores beyond the threshold, or a tail
        without spread.
    """
    y = read_scores(scores)
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        shown = ", ".join(str(i) for i in bad[:10]) + (" ..." if bad.size > 10 else "")
        raise ValueError(f"{bad.size} scores are NaN or infinite (positions {shown}); drop or fix them")
    if not np.isfinite(threshold):
        raise ValueError(f"threshold must be a finite number, got {threshold}")
    beyond = y > threshold if maximize else y < threshold
    side = "above" if maximize else "below"
    n_tail = int(beyond.sum())
    if n_tail < MIN_TAIL:
        raise ValueError(
            f"only {n_tail} of {y.size} scores lie {side} the threshold {threshold} "
            f"(need at least {MIN_TAIL}); move the threshold {'down' if maximize else 'up'}"
        )
    tail = y[beyond]
    spread = float(np.std(tail, ddof=1))
    # equal up to rounding (the std of equal floats can be 1e-16, not 0)
    if not np.ptp(tail) > 1e-12 * max(1.0, float(np.max(np.abs(tail)))):
        raise ValueError(
            f"the {n_tail} scores {side} the threshold are all equal ({tail[0]}): the tail has no spread"
        )
    return PreparedScores(y, float(threshold), bool(maximize), tail, y[~beyond], spread)


def build_model(scores, threshold, maximize=True, n_hyperparameters=None, priors=None) -> pm.Model:
    """The PyMC model of a random search's censored tail.

    Parameters
    ----------
    scores : array_like, pandas.Series or path
        One score per run (see :func:`bayesq.data.read_scores`).
    threshold : float
        Start of the asymptotic regime: scores beyond it enter exactly.
    maximize : bool
        Whether larger scores are better (concave form, best score ``beta``).
    n_hyperparameters : float, optional
        Nominal number of hyperparameters searched: an upper bound on gamma.
    priors : Priors, optional
        Prior settings (module docstring); defaults are weakly informative.

    Returns
    -------
    pymc.Model
        With free variables ``tail_mass``, ``gamma`` (or ``gamma_logit``),
        ``log_beta_gap``, ``log_sigma``, deterministics ``alpha``, ``beta``,
        ``gamma``, ``sigma``, and observed ``tail`` and ``censored``.
    """
    priors = Priors() if priors is None else priors
    if not isinstance(priors, Priors):
        raise TypeError(f"priors must be a bayesq.model.Priors, got {type(priors).__name__}")
    if n_hyperparameters is not None and not n_hyperparameters > 0:
        raise ValueError(f"n_hyperparameters must be positive, got {n_hyperparameters}")
    data = prepare_scores(scores, threshold, maximize)
    sign = 1.0 if maximize else -1.0
    t = sign * data.threshold  # threshold in the maximized frame
    d = data.spread
    coords = {"tail_run": np.arange(data.tail.size), "censored_run": np.arange(data.censored.size)}
    with pm.Model(coords=coords) as model:
        tail_mass = pm.Beta("tail_mass", priors.tail_mass_a, priors.tail_mass_b)
        if n_hyperparameters is None:
            gamma = pm.LogNormal("gamma", np.log(priors.gamma_median), priors.gamma_log_sd)
        else:
            h = float(n_hyperparameters)
            center = min(priors.gamma_median, h / 2) / h
            eta = pm.Normal("gamma_logit", np.log(center / (1 - center)), 1.5)
            gamma = pm.Deterministic("gamma", h * pm.math.sigmoid(eta))
        log_gap = pm.Normal("log_beta_gap", priors.beta_gap_log_mean, priors.beta_gap_log_sd)
        log_sigma = pm.Normal("log_sigma", priors.sigma_log_mean, priors.sigma_log_sd)
        best = t + d * pt.exp(log_gap)  # beta in the maximized frame
        worst = best - (best - t) * tail_mass ** (-2.0 / gamma)
        sigma = pm.Deterministic("sigma", d * pt.exp(log_sigma))
        alpha = pm.Deterministic("alpha", worst if maximize else -best)
        beta = pm.Deterministic("beta", best if maximize else -worst)
        NoisyQuadratic(
            "tail", alpha, beta, gamma, sigma, maximize=maximize, observed=data.tail, dims="tail_run"
        )
        if data.censored.size:
            side = noisy_quadratic_logcdf if maximize else noisy_quadratic_logsf

            def censored_logp(value, alpha, beta, gamma, sigma):
                # P(a run falls on the censored side): one scalar, shared by every censored run
                return pt.zeros_like(value) + side(data.threshold, alpha, beta, gamma, sigma, maximize)

            pm.CustomDist(
                "censored",
                alpha,
                beta,
                gamma,
                sigma,
                logp=censored_logp,
                observed=data.censored,
                dims="censored_run",
            )
    return model
