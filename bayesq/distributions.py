r"""PyMC distributions for the quadratic and noisy quadratic families.

Thin declarations over :mod:`bayesq.logdensity` (the math) in the pattern of
PyMC's own ``ExGaussian``: a :class:`pymc.Continuous` over a
:class:`~pymc.distributions.distribution.SymbolicRandomVariable` whose draws are
built from PyTensor's ``uniform`` and ``normal`` ops, so that prior and
posterior predictive sampling work on every backend (C, Numba, JAX).

``maximize=True`` is the concave form (the upper tail of a score that is
maximized, best score :math:`\beta`); ``maximize=False`` is the convex form
(best score :math:`\alpha`). By duality,
:math:`Y \sim \mathcal Q_\max(\alpha,\beta,\gamma,\sigma) \iff
-Y \sim \mathcal Q_\min(-\beta,-\alpha,\gamma,\sigma)`.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pymc.distributions.continuous import Continuous
from pymc.distributions.dist_math import check_parameters
from pymc.distributions.distribution import SymbolicRandomVariable
from pymc.distributions.shape_utils import implicit_size_from_params, rv_size_is_none
from pymc.pytensorf import normalize_rng_param
from pytensor.tensor.random.basic import normal, uniform
from pytensor.tensor.random.utils import normalize_size_param

from bayesq import logdensity as ld

__all__ = ["NoisyQuadratic", "Quadratic"]

_PARAM_MSG = "alpha < beta, gamma > 0, sigma >= 0"


def _per_distinct_value(fn, value, *params):
    r"""``fn(value, *params)``, evaluated once per distinct value of observed data.

    Scores are often rounded: an accuracy on a validation set of :math:`N`
    examples is a multiple of :math:`1/N`, so deberta-base's 556 tail scores
    take 182 distinct values. When ``value`` is a constant (observed data)
    with repeated values and every parameter is a scalar, ``fn`` is
    evaluated at the distinct values :math:`u_j` and gathered back,
    :math:`\ell_i = \ell(u_{j(i)})`: the same elementwise result, and the
    same gradient up to rounding (the gather's adjoint adds the repeated
    terms back, in another order), for the work of the distinct values
    only, which matters because the noisy quadratic's density is a
    quadrature per value. Any other ``value`` (a variable, parameters that
    vary by element) gets ``fn(value, *params)``.
    """
    if isinstance(value, pt.TensorConstant) and all(pt.as_tensor_variable(p).type.ndim == 0 for p in params):
        data = np.asarray(value.data)
        distinct, index = np.unique(data, return_inverse=True)
        if distinct.size < data.size:
            return fn(pt.constant(distinct), *params)[index.reshape(data.shape)]
    return fn(value, *params)


def _quadratic_draws(alpha, beta, gamma, maximize, size, rng):
    """Draw V ~ Beta(gamma/2, 1) as U^(2/gamma) and place it in [alpha, beta]."""
    next_rng, u = uniform(0.0, 1.0, size=size, rng=rng, return_next_rng=True)
    v = u ** (2.0 / gamma)
    draws = pt.switch(maximize, beta - (beta - alpha) * v, alpha + (beta - alpha) * v)
    return next_rng, draws


def _median_point(alpha, beta, gamma, maximize, size):
    alpha, beta, gamma, maximize = pt.broadcast_arrays(alpha, beta, gamma, maximize)
    v = 0.5 ** (2.0 / gamma)
    point = pt.switch(maximize, beta - (beta - alpha) * v, alpha + (beta - alpha) * v)
    if not rv_size_is_none(size):
        point = pt.full(size, point)
    return point


class QuadraticRV(SymbolicRandomVariable):
    name = "quadratic"
    extended_signature = "[rng],[size],(),(),(),()->[rng],()"
    _print_name = ("Quadratic", "\\operatorname{Quadratic}")

    @classmethod
    def rv_op(cls, alpha, beta, gamma, maximize, *, size=None, rng=None):
        alpha, beta, gamma = ld.as_float(alpha, beta, gamma)
        maximize = ld.as_direction(maximize)
        rng = normalize_rng_param(rng)
        size = normalize_size_param(size)
        if rv_size_is_none(size):
            size = implicit_size_from_params(alpha, beta, gamma, ndims_params=cls.ndims_params)
        next_rng, draws = _quadratic_draws(alpha, beta, gamma, maximize, size, rng)
        return cls(inputs=[rng, size, alpha, beta, gamma, maximize], outputs=[next_rng, draws])(
            rng, size, alpha, beta, gamma, maximize
        )


class NoisyQuadraticRV(SymbolicRandomVariable):
    name = "noisy_quadratic"
    extended_signature = "[rng],[size],(),(),(),(),()->[rng],()"
    _print_name = ("NoisyQuadratic", "\\operatorname{NoisyQuadratic}")

    @classmethod
    def rv_op(cls, alpha, beta, gamma, sigma, maximize, *, size=None, rng=None):
        alpha, beta, gamma, sigma = ld.as_float(alpha, beta, gamma, sigma)
        maximize = ld.as_direction(maximize)
        rng = normalize_rng_param(rng)
        size = normalize_size_param(size)
        if rv_size_is_none(size):
            size = implicit_size_from_params(alpha, beta, gamma, sigma, ndims_params=cls.ndims_params)
        next_rng, quad = _quadratic_draws(alpha, beta, gamma, maximize, size, rng)
        final_rng, noise = normal(0.0, sigma, size=size, rng=next_rng, return_next_rng=True)
        return cls(
            inputs=[rng, size, alpha, beta, gamma, sigma, maximize],
            outputs=[final_rng, quad + noise],
        )(rng, size, alpha, beta, gamma, sigma, maximize)


class Quadratic(Continuous):
    r"""Quadratic distribution :math:`\mathcal Q(\alpha, \beta, \gamma)`.

    The score distribution of random search on a quadratic bowl with
    :math:`\gamma` effective hyperparameters. Concave form (``maximize=True``):

    .. math::

        F(y) = 1 - \left(\frac{\beta - y}{\beta - \alpha}\right)^{\gamma/2},
        \qquad
        f(y) = \frac{\gamma}{2(\beta-\alpha)}
               \left(\frac{\beta - y}{\beta - \alpha}\right)^{\gamma/2 - 1},
        \qquad \alpha \le y \le \beta.

    Convex form (``maximize=False``):
    :math:`F(y) = ((y-\alpha)/(\beta-\alpha))^{\gamma/2}`. The concave form is
    ``scipy.stats.genpareto(c=-2/gamma, loc=alpha, scale=2*(beta-alpha)/gamma)``.

    ========  ==========================================
    Support   :math:`y \in [\alpha, \beta]`
    Mean      :math:`\beta - (\beta-\alpha)\frac{\gamma}{\gamma+2}` (concave)
    ========  ==========================================

    Parameters
    ----------
    alpha, beta : tensor_like of float
        Ends of the support, ``alpha < beta``.
    gamma : tensor_like of float
        Effective number of hyperparameters, any real ``gamma > 0``.
    maximize : bool, default True
        Concave (``True``) or convex (``False``) form.

    See Also
    --------
    NoisyQuadratic : With seed noise.
    bayesq.quadratic : The same distribution outside PyMC models (NumPy).

    Examples
    --------
    With :math:`\gamma = 2` the quadratic distribution is uniform on
    :math:`[\alpha, \beta]`:

    >>> import numpy as np, pymc as pm, bayesq
    >>> y = bayesq.Quadratic.dist(alpha=0.8, beta=0.9, gamma=2.0)
    >>> round(float(pm.logp(y, 0.85).eval()), 6)  # log(1 / 0.1)
    2.302585
    >>> round(float(np.exp(pm.logcdf(y, 0.85).eval())), 6)
    0.5
    >>> draws = pm.draw(y, draws=1000, random_seed=0)
    >>> bool(np.all((0.8 <= draws) & (draws <= 0.9)))
    True
    """

    rv_type = QuadraticRV
    rv_op = QuadraticRV.rv_op

    @classmethod
    def dist(cls, alpha, beta, gamma, *, maximize=True, **kwargs):
        """The distribution outside a model (``Quadratic.dist(alpha, beta, gamma)``)."""
        return super().dist([alpha, beta, gamma, ld.as_direction(maximize)], **kwargs)

    def support_point(rv, size, alpha, beta, gamma, maximize):
        """The median, where NUTS starts."""
        return _median_point(alpha, beta, gamma, maximize, size)

    def logp(value, alpha, beta, gamma, maximize):
        """Log density (:func:`bayesq.logdensity.quadratic_logpdf`); use ``pm.logp``."""
        res = _per_distinct_value(ld.quadratic_logpdf, value, alpha, beta, gamma, maximize)
        return check_parameters(res, alpha < beta, gamma > 0, msg="alpha < beta, gamma > 0")

    def logcdf(value, alpha, beta, gamma, maximize):
        """Log CDF; use ``pm.logcdf``."""
        res = _per_distinct_value(ld.quadratic_logcdf, value, alpha, beta, gamma, maximize)
        return check_parameters(res, alpha < beta, gamma > 0, msg="alpha < beta, gamma > 0")

    def logccdf(value, alpha, beta, gamma, maximize):
        """Log survival function, without cancellation."""
        res = _per_distinct_value(ld.quadratic_logsf, value, alpha, beta, gamma, maximize)
        return check_parameters(res, alpha < beta, gamma > 0, msg="alpha < beta, gamma > 0")


class NoisyQuadratic(Continuous):
    r"""Noisy quadratic distribution :math:`\mathcal Q(\alpha, \beta, \gamma, \sigma)`.

    The quadratic distribution (:class:`Quadratic`) plus independent
    :math:`\mathcal N(0, \sigma^2)` retraining noise: the law of the scores in
    the tail of a random search (Lourie, He and Cho, "Hyperparameter Loss
    Surfaces Are Simple Near their Optima", COLM 2025). Concave form,
    with :math:`V \sim \mathcal N(m, s)`, :math:`m = (\beta-y)/(\beta-\alpha)`,
    :math:`s = \sigma/(\beta-\alpha)`:

    .. math::

        f(y) = \frac{\gamma}{2(\beta-\alpha)}\,
               \mathbb E\!\left[V^{\gamma/2-1}\,\mathbf 1\{0<V<1\}\right],
        \qquad
        F(y) = \Phi\!\left(\frac{y-\alpha}{\sigma}\right)
               - \mathbb E\!\left[V^{\gamma/2}\,\mathbf 1\{0<V<1\}\right].

    The log density, log CDF and log survival function are computed without
    cancellation by adaptive-window quadrature (:mod:`bayesq.logdensity`),
    checked against a 50-digit mpmath reference (the accuracy page of the
    documentation's validation section); :math:`\sigma = 0` gives :class:`Quadratic`.

    ========  ==========================================
    Support   :math:`y \in \mathbb R` (:math:`[\alpha, \beta]` if :math:`\sigma = 0`)
    Mean      that of :class:`Quadratic` (the noise has mean 0)
    Variance  that of :class:`Quadratic` plus :math:`\sigma^2`
    ========  ==========================================

    Parameters
    ----------
    alpha, beta : tensor_like of float
        Ends of the support of the noiseless part, ``alpha < beta``.
    gamma : tensor_like of float
        Effective number of hyperparameters, any real ``gamma > 0``.
    sigma : tensor_like of float
        Standard deviation of the retraining noise, ``sigma >= 0``.
    maximize : bool, default True
        Concave (``True``, best score ``beta``) or convex (``False``, best
        score ``alpha``) form.

    See Also
    --------
    Quadratic : Without noise.
    bayesq.noisy_quadratic : The same distribution outside PyMC models (NumPy).
    bayesq.build_model : The censored-tail model of a random search built on it.

    Examples
    --------
    Away from the ends of the support the noise hardly changes the density
    of the uniform quadratic (:math:`\gamma = 2`), :math:`\log 10`:

    >>> import numpy as np, pymc as pm, bayesq
    >>> y = bayesq.NoisyQuadratic.dist(alpha=0.8, beta=0.9, gamma=2.0, sigma=0.002)
    >>> round(float(pm.logp(y, 0.85).eval()), 3)
    2.303
    >>> float(pm.logp(y, 0.95).eval()) < -100  # 25 sigma beyond beta
    True

    In a model, as the likelihood of observed scores:

    >>> with pm.Model() as model:
    ...     beta = pm.Uniform("beta", 0.88, 0.95)
    ...     scores = bayesq.NoisyQuadratic(
    ...         "scores", alpha=0.8, beta=beta, gamma=2.0, sigma=0.002, observed=[0.87, 0.89, 0.9]
    ...     )
    >>> [rv.name for rv in model.observed_RVs]
    ['scores']
    """

    rv_type = NoisyQuadraticRV
    rv_op = NoisyQuadraticRV.rv_op

    @classmethod
    def dist(cls, alpha, beta, gamma, sigma, *, maximize=True, **kwargs):
        """The distribution outside a model (``NoisyQuadratic.dist(alpha, beta, gamma, sigma)``)."""
        return super().dist([alpha, beta, gamma, sigma, ld.as_direction(maximize)], **kwargs)

    def support_point(rv, size, alpha, beta, gamma, sigma, maximize):
        """The noiseless part's median, where NUTS starts."""
        return _median_point(alpha, beta, gamma, maximize, size)

    def logp(value, alpha, beta, gamma, sigma, maximize):
        """Log density (:func:`bayesq.logdensity.noisy_quadratic_logpdf`); use ``pm.logp``."""
        res = _per_distinct_value(ld.noisy_quadratic_logpdf, value, alpha, beta, gamma, sigma, maximize)
        return check_parameters(res, alpha < beta, gamma > 0, sigma >= 0, msg=_PARAM_MSG)

    def logcdf(value, alpha, beta, gamma, sigma, maximize):
        """Log CDF, without cancellation; use ``pm.logcdf``."""
        res = _per_distinct_value(ld.noisy_quadratic_logcdf, value, alpha, beta, gamma, sigma, maximize)
        return check_parameters(res, alpha < beta, gamma > 0, sigma >= 0, msg=_PARAM_MSG)

    def logccdf(value, alpha, beta, gamma, sigma, maximize):
        """Log survival function, without cancellation."""
        res = _per_distinct_value(ld.noisy_quadratic_logsf, value, alpha, beta, gamma, sigma, maximize)
        return check_parameters(res, alpha < beta, gamma > 0, sigma >= 0, msg=_PARAM_MSG)
