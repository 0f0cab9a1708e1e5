r"""The priors of the censored-tail model and the coordinates NUTS samples.

Parametrization and priors
--------------------------
Geometry decides whether NUTS works here: with flat or half-normal priors
on :math:`(\alpha, \beta, \gamma, \sigma)` default NUTS diverges heavily (the
theory page of the documentation, docs/theory.md, "Priors and
parametrization"). The data pin the *tail mass* :math:`p_t = P(Y > t)`
(the count of tail scores) and the tail's shape; :math:`\alpha` is seen only
through them. We therefore sample, in the frame where the score is maximized
(minimization is mirrored by :math:`y \to -y`) and in units of the tail's
spread :math:`d` (the standard deviation of the tail scores),

* ``tail_mass`` :math:`p_t \sim \operatorname{Beta}(a, b)`, default uniform;
* ``gamma`` :math:`\gamma \sim \operatorname{LogNormal}(\log 2, 0.75)`: the
  effective number of hyperparameters, median 2, 95 % within [0.46, 8.7]
  (the paper finds 1 for language models, 2 for vision models); with
  ``n_hyperparameters=h``, :math:`\gamma = h\,\operatorname{logistic}(\eta)`,
  :math:`\eta \sim \mathcal N(\operatorname{logit}(\min(m, h/2)/h), 1.5)`,
  :math:`m` the median above (``gamma_median``; the scale 1.5 is fixed)
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

**Polar coordinates for the two scales.** When the seed noise is not small
against the tail's spread, the data admit two explanations of the tail: a
quadratic part reaching well beyond the threshold with little noise, or noise
alone (the upper tail of a normal centred near the threshold, :math:`\beta`
barely above it). In ``(log_sigma, log_beta_gap)`` the posterior is then an L
(the noise arm at :math:`\sigma \approx 1.8d`, the signal arm at
:math:`\beta - t \approx 4d`), and NUTS diverged at its corner: on a
simulated search with :math:`\gamma = 2`, :math:`\sigma` a fifth of
:math:`\beta - \alpha` and 256 runs, 143 divergences in 4,000 draws and
R-hat 1.16. The two normals are therefore sampled (``log_scales``, one
:class:`pymc.MvNormal` with diagonal covariance, so the prior is unchanged)
in the polar coordinates of the point :math:`(\sigma/d, (\beta - t)/(Kd))`,
:math:`K = 2` (:class:`NoiseSignalPolar`): the log radius, which the data
pin, and the logit of the angle, which moves along the L's bend. On that
search: 5 divergences and R-hat 1.04.

Then set :math:`\alpha = \beta - (\beta - t)\,p_t^{-2/\gamma}`, the noiseless
relation :math:`p_t = ((\beta - t)/(\beta - \alpha))^{\gamma/2}`. Every prior
is on a unit-free quantity, so fitting :math:`c\,y + e` (:math:`c > 0`) gives
the correspondingly transformed posterior. ``alpha``, ``beta``, ``gamma`` and
``sigma`` are recorded as deterministics in the user's frame.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytensor.tensor as pt
from pymc.logprob.transforms import Transform

from bayesq.exceptions import InputError, InputTypeError

__all__ = ["GAMMA_LOGIT_SD", "SIGNAL_SCALE", "NoiseSignalPolar", "Priors", "check_priors"]

SIGNAL_SCALE = 2.0  # K: beta - t = K d and sigma = d explain a tail's spread about equally
GAMMA_LOGIT_SD = 1.5  # prior scale of gamma_logit when gamma is bounded (module docstring)
_HALF_PI = 0.5 * np.pi


@dataclasses.dataclass(frozen=True)
class Priors:
    r"""Hyperparameters of the priors, all unit-free.

    Override any of them: ``Priors(gamma_median=1.0)``. The priors are set
    in the frame where the score is maximized and in units of the tail's
    spread :math:`d` (the standard deviation of the tail scores, or the
    ``spread`` given to :func:`bayesq.fit`), so they fit any score's scale:

    .. math::

        p_t &\sim \operatorname{Beta}(a_p, b_p),\\
        \gamma &\sim \operatorname{LogNormal}(\log \gamma_\text{med}, s_\gamma),\\
        \log((\beta - t)/d) &\sim \mathcal N(\mu_\beta, s_\beta),\\
        \log(\sigma/d) &\sim \mathcal N(\mu_\sigma, s_\sigma),

    with :math:`p_t = P(Y > t)` the tail mass and
    :math:`\alpha = \beta - (\beta - t)\,p_t^{-2/\gamma}`. The theory page
    of the documentation (docs/theory.md, "Priors and parametrization")
    explains each choice.

    Parameters
    ----------
    tail_mass_a, tail_mass_b : float
        :math:`a_p, b_p`: the Beta prior of the tail mass (default uniform).
    gamma_median : float
        :math:`\gamma_\text{med}`: the prior median of the effective number
        of hyperparameters (2; the paper finds about 1 for language models,
        2 for vision models). With ``n_hyperparameters=h`` it is the centre
        of the bounded prior, :math:`\min(\gamma_\text{med}, h/2)`.
    gamma_log_sd : float
        :math:`s_\gamma`: the log-normal's scale (95 % of the prior within
        [0.46, 8.7] at the defaults).
    beta_gap_log_mean, beta_gap_log_sd : float
        :math:`\mu_\beta, s_\beta`: how far beyond the threshold the best
        score lies, in tail spreads (log scale).
    sigma_log_mean, sigma_log_sd : float
        :math:`\mu_\sigma, s_\sigma`: the seed noise as a fraction of the
        tail's spread (log scale; median 0.25).
    pool_log_sd : float
        The scale of the half-normal prior on the spread :math:`\tau` of a
        pooled parameter across searches (:func:`bayesq.fit_joint`).
    noiseless_gap_log_mean, noiseless_gap_log_sd : float
        The prior of :math:`\log((\beta - \max y)/d)` in the noiseless model
        (``fit_joint(..., noise=False)``).

    Raises
    ------
    bayesq.exceptions.InputError
        A setting that is not finite, or a Beta parameter, median or scale
        that is not positive.

    Examples
    --------
    >>> import bayesq
    >>> priors = bayesq.Priors(gamma_median=1.0)  # language models: gamma near 1
    >>> priors.gamma_median, priors.gamma_log_sd
    (1.0, 0.75)
    >>> bayesq.Priors(sigma_log_sd=0)
    Traceback (most recent call last):
        ...
    bayesq.exceptions.InputError: prior setting sigma_log_sd must be positive, got 0

    A fit takes them as ``bayesq.fit(scores, threshold, priors=priors)``.
    """

    tail_mass_a: float = 1.0
    tail_mass_b: float = 1.0
    gamma_median: float = 2.0
    gamma_log_sd: float = 0.75
    beta_gap_log_mean: float = 0.0
    beta_gap_log_sd: float = 1.5
    sigma_log_mean: float = float(np.log(0.25))
    sigma_log_sd: float = 0.75
    pool_log_sd: float = 0.3
    noiseless_gap_log_mean: float = float(np.log(0.1))
    noiseless_gap_log_sd: float = 2.0

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not np.isfinite(value):
                raise InputError(f"prior setting {field.name} must be finite, got {value}", field.name)
        for name in (
            "tail_mass_a",
            "tail_mass_b",
            "gamma_median",
            "gamma_log_sd",
            "beta_gap_log_sd",
            "sigma_log_sd",
            "pool_log_sd",
            "noiseless_gap_log_sd",
        ):
            if getattr(self, name) <= 0:
                raise InputError(f"prior setting {name} must be positive, got {getattr(self, name)}", name)


class NoiseSignalPolar(Transform):
    r"""Polar coordinates of the noise and signal scales (module docstring).

    Maps :math:`(\ell_\sigma, \ell_g) = (\log(\sigma/d), \log((\beta - t)/d))`
    to :math:`(\log r, \operatorname{logit}(2\theta/\pi))`, where
    :math:`(r\cos\theta, r\sin\theta) = (\sigma/d, (\beta - t)/(K d))`,
    :math:`K` = :data:`SIGNAL_SCALE`. The log Jacobian determinant of the
    inverse map is

    .. math::

        \log\frac{\pi}{2} + \log\rho(u) + \log\rho(-u)
        - \log\sin\theta - \log\cos\theta,\quad
        \theta = \tfrac{\pi}{2}\rho(u),

    with :math:`\rho` the logistic function (:math:`\cos\theta` is taken as
    :math:`\sin(\tfrac\pi2\rho(-u))`, accurate near :math:`\theta = \pi/2`).
    """

    name = "polar"  # no underscore: PyMC strips a transformed name's last three "_" parts
    ndim_supp = 1

    def forward(self, value, *inputs):
        log_noise, log_signal = value[..., 0], value[..., 1] - np.log(SIGNAL_SCALE)
        log_r = 0.5 * pt.logaddexp(2.0 * log_noise, 2.0 * log_signal)
        noise, signal = pt.exp(log_noise - log_r), pt.exp(log_signal - log_r)
        # theta and pi/2 - theta, each from arctan2 (accurate near either end)
        return pt.stack(
            [log_r, pt.log(pt.arctan2(signal, noise)) - pt.log(pt.arctan2(noise, signal))], axis=-1
        )

    def backward(self, value, *inputs):
        log_r, log_sin, log_cos = _polar_parts(value)
        return pt.stack([log_r + log_cos, log_r + log_sin + np.log(SIGNAL_SCALE)], axis=-1)

    def log_jac_det(self, value, *inputs):
        _, log_sin, log_cos = _polar_parts(value)
        u = value[..., 1]
        return np.log(_HALF_PI) - pt.softplus(-u) - pt.softplus(u) - log_sin - log_cos


def _polar_parts(value):
    """log r, log sin(theta) and log cos(theta) of a point in the unconstrained polar coordinates."""
    u = value[..., 1]
    return value[..., 0], pt.log(pt.sin(_HALF_PI * pt.sigmoid(u))), pt.log(pt.sin(_HALF_PI * pt.sigmoid(-u)))


def check_priors(priors) -> Priors:
    """``priors`` if it is a :class:`Priors`, the defaults for ``None``; ``InputTypeError`` otherwise."""
    priors = Priors() if priors is None else priors
    if not isinstance(priors, Priors):
        raise InputTypeError(f"{{arg}} must be a bayesq.Priors, got {type(priors).__name__}", "priors")
    return priors
