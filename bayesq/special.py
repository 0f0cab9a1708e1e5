"""Special functions and quadrature rules in pure PyTensor.

Everything here compiles under PyTensor's C, Numba and JAX backends: only
elementwise ops with a dispatch on each backend are used (in particular no
``erfcx``, which PyTensor 2.38 cannot lower to JAX).
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt

__all__ = ["gauss_legendre_rule", "log_ndtr", "tanh_sinh_rule"]

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
_SQRT1_2 = np.sqrt(0.5)
# Asymptotic series of the Mills ratio, sum_j (-1)^j (2j-1)!! / z^(2j), j = 0..8.
_MILLS_COEFFS = [(-1.0) ** j * float(np.prod(np.arange(1, 2 * j, 2))) for j in range(9)]
_ASYMPTOTIC_BELOW = -30.0


def log_ndtr(z):
    r"""Logarithm of the standard normal CDF, accurate over the whole real line.

    .. math::

        \log\Phi(z) =
        \begin{cases}
        \operatorname{log1p}\!\left(-\tfrac12\operatorname{erfc}(z/\sqrt2)\right) & z > -1,\\
        \log\!\left(\tfrac12\operatorname{erfc}(-z/\sqrt2)\right) & -30 \le z \le -1,\\
        -\tfrac{z^2}{2} - \log(-z) - \log\sqrt{2\pi}
        + \log\sum_{j=0}^{8} (-1)^j \frac{(2j-1)!!}{z^{2j}} & z < -30.
        \end{cases}

    The asymptotic (Mills ratio) series is truncated after nine terms, where
    its next term is below :math:`10^{-17}` for :math:`z < -30`. Each branch
    sees an input clipped to its own range, so the unused branches never
    produce ``nan`` in values or gradients.
    """
    z = pt.as_tensor_variable(z)
    z_hi = pt.maximum(z, -1.0)
    z_mid = pt.clip(z, _ASYMPTOTIC_BELOW, -1.0)
    z_lo = pt.minimum(z, _ASYMPTOTIC_BELOW)
    upper = pt.log1p(-0.5 * pt.erfc(z_hi * _SQRT1_2))
    middle = pt.log(0.5 * pt.erfc(-z_mid * _SQRT1_2))
    inv2 = 1.0 / (z_lo * z_lo)
    series = _MILLS_COEFFS[-1]
    for c in reversed(_MILLS_COEFFS[:-1]):
        series = c + inv2 * series
    lower = -0.5 * z_lo * z_lo - pt.log(-z_lo) - _LOG_SQRT_2PI + pt.log(series)
    return pt.switch(z > -1.0, upper, pt.switch(z >= _ASYMPTOTIC_BELOW, middle, lower))


def logaddexp(a, b):
    r""":math:`\log(e^a + e^b)` with a gradient that is finite where both underflow.

    ``pytensor.tensor.logaddexp`` is :math:`\log(e^a + e^b)` as written: its
    gradient is ``nan`` once :math:`e^a` and :math:`e^b` underflow (below
    :math:`e^{-745}`), where our tail probabilities live. Here
    :math:`\operatorname{hi} + \operatorname{log1p}(e^{\operatorname{lo} - \operatorname{hi}})`,
    which also splits the gradient evenly at ties.

    The gap :math:`\operatorname{lo} - \operatorname{hi}` is clipped at -700
    (a change below :math:`10^{-304}` in the value): PyTensor rewrites
    ``log1p(exp(d))`` to a softplus whose JAX and Numba forms select among
    branches with ``where``, and the unused branch :math:`d + e^{-d}` overflows
    for :math:`d < -709`, turning the gradient into ``nan`` (seen as NUTS
    divergences on real data).
    """
    a, b = pt.as_tensor_variable(a), pt.as_tensor_variable(b)
    a_larger = a > b
    hi = pt.switch(a_larger, a, b)
    lo = pt.switch(a_larger, b, a)
    return hi + pt.log1p(pt.exp(pt.maximum(lo - hi, -700.0)))


def tanh_sinh_rule(h: float, n_left: int, n_right: int):
    r"""Tanh-sinh (double exponential) rule on [0, 1], possibly asymmetric.

    Nodes :math:`t_j = \tfrac12(1 + \tanh(\tfrac\pi2\sinh(jh)))`,
    :math:`j = -n_\text{left} .. n_\text{right}`, weights
    :math:`\tfrac h2 \tfrac\pi2 \cosh(jh) / \cosh^2(\tfrac\pi2\sinh(jh))`
    (Takahasi & Mori 1974). The rule integrates functions with algebraic or
    logarithmic endpoint singularities at an exponential rate; ``n_left`` is
    larger than ``n_right`` when only the left end is singular.

    Returns
    -------
    from_left, from_right, log_weights : ndarray
        Distances of the nodes from 0 and from 1, computed without
        cancellation (so a node :math:`10^{-60}` from an end is represented
        exactly), and the logarithms of the weights.
    """
    j = np.arange(-n_left, n_right + 1) * h
    u = 0.5 * np.pi * np.sinh(j)
    from_left = 1.0 / (1.0 + np.exp(-2.0 * u))
    from_right = 1.0 / (1.0 + np.exp(2.0 * u))
    log_w = (
        np.log(0.25 * h * np.pi)
        + np.log(np.cosh(j))
        - 2.0 * (np.abs(u) + np.log1p(np.exp(-2.0 * np.abs(u))) - np.log(2.0))
    )
    return from_left, from_right, log_w


def gauss_legendre_rule(n: int):
    """Gauss-Legendre rule on [0, 1]: distances from 0 and 1, log weights."""
    t, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (1.0 + t), 0.5 * (1.0 - t), np.log(0.5 * w)
