r"""Log density, log CDF and log survival function of the (noisy) quadratic
distribution, in pure PyTensor: the single source of truth for the math.

Definitions
-----------
The noisy quadratic distribution is Lourie, He and Cho's ("Hyperparameter
Loss Surfaces Are Simple Near their Optima", COLM 2025); the theory page of
the documentation (docs/theory.md) derives what follows.

The quadratic distribution :math:`\mathcal{Q}(\alpha, \beta, \gamma)` is the
law of the score of a uniformly random point on a :math:`\gamma`-dimensional
quadratic bowl. With :math:`k = \gamma/2` and :math:`V \sim \operatorname{Beta}(k, 1)`
on :math:`[0, 1]` (density :math:`k v^{k-1}`),

* concave form (a score being **maximized**): :math:`Y = \beta - (\beta-\alpha) V`,
  :math:`F(y) = 1 - ((\beta - y)/(\beta - \alpha))^{\gamma/2}`;
* convex form (a score being **minimized**): :math:`Y = \alpha + (\beta-\alpha) V`,
  :math:`F(y) = ((y - \alpha)/(\beta - \alpha))^{\gamma/2}`.

The noisy quadratic distribution adds seed noise:
:math:`Y + \sigma Z`, :math:`Z \sim \mathcal N(0, 1)`. Both forms reduce to one
standardized variable :math:`X = V + sZ`, :math:`s = \sigma/(\beta-\alpha)`,
evaluated at :math:`x = (\beta - y)/(\beta-\alpha)` (concave) or
:math:`x = (y - \alpha)/(\beta - \alpha)` (convex); the CDF of a concave
:math:`Y` is the survival function of :math:`X` and vice versa.

Every quantity of :math:`X` is a sum of *positive* terms (no cancellation):

.. math::

    f_X(x) &= \int_0^1 k v^{k-1}\,\varphi_s(x - v)\,dv,\\
    F_X(x) &= \Phi\!\left(\tfrac{x-1}{s}\right) + \int_0^1 v^{k}\,\varphi_s(x - v)\,dv,\\
    1 - F_X(x) &= \Phi\!\left(-\tfrac{x}{s}\right) + \int_0^1 (1 - v^{k})\,\varphi_s(x - v)\,dv,

with :math:`\varphi_s(t) = \varphi(t/s)/s`. (The CDF identity follows from
:math:`F_X(x) = E_Z[F_V(x - sZ)]` split where :math:`F_V` is 0, a power, and 1.)

Numerics
--------
Each integral is evaluated in log space as a weighted log-sum-exp over
quadrature nodes. In the variable :math:`z = (v - x)/s` the integrand is
:math:`w(x + sz)\,\varphi(z)`; its log is concave whenever the log weight is
(always for :math:`v^k`; for :math:`k v^{k-1}` when :math:`k \ge 1`), with
curvature at least 1. We therefore

1. find a window :math:`[A, B] \subset [z_\text{lo}, z_\text{hi}]` outside of
   which the log integrand is more than :math:`\Delta = 32` below its maximum:
   in closed form for the Gaussian factor, refined by Newton steps on the full
   log integrand when it is concave (each Newton step from outside keeps the
   bound valid, so the window is never too small);
2. split the window into ``N_PANELS`` equal panels: a tanh-sinh panel first
   (it integrates the endpoint singularity :math:`v^{k-1}`, and
   :math:`v^{k-1}\log v` for the gradient in :math:`\gamma`, at an
   exponential rate), then Gauss-Legendre panels;
3. place nodes by their distances to both ends of the support, so that
   :math:`v` and :math:`1 - v` are exact even :math:`10^{-83}` from an end.

The window is chosen without gradient (:func:`stop_gradient`), and its ends
are pinned to the support's ends where it reaches them, so the domain of
integration in :math:`v` is exactly :math:`[0, 1]` and the derivative of the
rule is the rule applied to the derivative. Gradients are therefore as
accurate as values; in particular the derivative in :math:`\sigma` is taken
with nodes fixed in :math:`z` (see :func:`_log_smoothed`) and keeps its
relative accuracy as :math:`\sigma \to 0`. The rule uses ``N_NODES`` (86) nodes per
integral. Measured against a 50-digit mpmath reference (``tests/reference/``,
``benchmarks/bench_accuracy.py``) on gamma in [0.5, 20], sigma/(beta-alpha) in
[1e-6, 10], y up to 37 sigma beyond the support: log values within 5e-11
relative (``max(1, |ref|)``), every partial derivative within 2e-9 relative.

Below gamma 0.5 the density loses accuracy at the singular end: its first
node lies :math:`\epsilon \approx 10^{-83}` of the first panel's width from
:math:`v = 0`, and the weight :math:`k v^{k-1}` puts a share of order
:math:`\epsilon^k` of the integral closer than that. Measured (mpmath at 30
digits, sigma/(beta-alpha) in {1e-3, 0.047, 1}, y near the best end): log
density within 1.1e-11 at gamma 0.25 to 0.35, 4e-10 at 0.2, 2e-5 at 0.1;
its derivative in gamma (against central differences of mpmath's values),
where the missing share is weighted by :math:`\log v`, within 1e-10 at
0.3, 1e-9 at 0.25, 3e-7 at 0.2, 2e-2 at 0.1. The prior on gamma puts 0.1 %
of its mass below 0.2.

The tanh-sinh panel therefore puts more of its nodes towards the singular
end (24 left of its centre, 13 right of it, :math:`h = 0.2`) than towards
the smooth one: with fewer on the left, the density at small gamma was
less accurate, and NUTS, on searches with large noise, diverged in
trajectories that ran towards gamma below 0.15. Moving one more node to
the left costs accuracy above gamma 0.5; adding nodes costs time in every
gradient.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor import config
from pytensor.compile.builders import OpFromGraph

from bayesq.special import gauss_legendre_rule, log_ndtr, logaddexp, tanh_sinh_rule

__all__ = [
    "N_NODES",
    "as_direction",
    "as_float",
    "log_tail_completed",
    "noisy_quadratic_log_tail_direct",
    "noisy_quadratic_logcdf",
    "noisy_quadratic_logpdf",
    "noisy_quadratic_logsf",
    "quadratic_logcdf",
    "quadratic_logpdf",
    "quadratic_logsf",
]

_DELTA = 32.0  # log-integrand drop that bounds the window: e^-32 ~ 1e-14
# Newton steps on each end of the window: benchmarks/bench_accuracy.py
# gives the same table with 3 to 6 steps, 4.7e-11 (values) with 2,
# 3.8e-10 with 1, 1.8e-5 with none; each step costs time in every gradient
_NEWTON_STEPS = 3
N_PANELS = 7
# more nodes towards the singular end than the smooth one (module docstring: gamma < 0.5)
_TS = tanh_sinh_rule(h=0.2, n_left=24, n_right=13)
_GL = gauss_legendre_rule(8)
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
_LN2 = np.log(2.0)
_TINY = 1e-300


def _node_table():
    panel, from_left, from_right, log_w = [], [], [], []
    for p in range(N_PANELS):
        fl, fr, lw = _TS if p == 0 else _GL
        panel.append(np.full(fl.shape, float(p)))
        from_left.append(fl)
        from_right.append(fr)
        log_w.append(lw)
    return tuple(np.concatenate(a) for a in (panel, from_left, from_right, log_w))


_PANEL, _FROM_LEFT, _FROM_RIGHT, _LOG_W = _node_table()
N_NODES = _PANEL.size

# --------------------------------------------------------------------------
# The three weights w(v) of the integrals, as functions of the log weight.
# ``e`` is the exponent of the power weight v^e that sets the concave mode
# (None when the log weight is not concave: then the Gaussian sets the window).


def _log_weight(kind, v, one_minus_v, k):
    # Every log sees a positive argument, in the branch used and the one not
    # used: JAX differentiates both sides of a ``where``, and 0 * (1/0) = nan.
    # (v and 1 - v are at least 1e-83 panel widths at real nodes; they reach 0
    # only at nodes of a window of zero width, whose terms are -inf and weigh nothing.)
    log_v = pt.log(pt.maximum(v, _TINY))
    if kind == "pdf":
        return pt.log(k) + (k - 1.0) * log_v
    if kind == "cdf":
        return k * log_v
    # 1 - v^k, with log v taken from whichever of v, 1 - v is accurate
    log_v = pt.switch(v < 0.5, log_v, pt.log1p(-pt.minimum(one_minus_v, 0.5)))
    return pt.log(-pt.expm1(pt.minimum(k * log_v, -_TINY)))


def _window(kind, zlo, zhi, k):
    """Integration window [A, B] in z (module docstring, step 1); no gradient flows through it.

    One opaque node of the graph (an ``OpFromGraph``): its elementwise
    operations (the unrolled Newton steps, 164 for the density's window) are
    rewritten once on their own, not with every graph that uses them, which
    keeps the compilation of a model's log density and gradient short.
    """
    inputs = [t.type() for t in (zlo, zhi, k)]
    op = OpFromGraph(
        inputs, list(_window_graph(kind, *inputs)), name=f"window_{kind}", on_unused_input="ignore"
    )
    return op(zlo, zhi, k)


def _window_graph(kind, zlo, zhi, k):
    c0 = pt.clip(0.0, zlo, zhi)
    root = pt.sqrt(c0 * c0 + 2.0 * _DELTA)
    gauss_a = pt.maximum(zlo, c0 - 2.0 * _DELTA / (root - c0))
    gauss_b = pt.minimum(zhi, c0 + 2.0 * _DELTA / (root + c0))
    if kind == "sf":
        return gauss_a, gauss_b
    e = k - 1.0 if kind == "pdf" else k
    e_pos = pt.maximum(e, 1e-300)
    # exact mode of e*log(z - zlo) - z^2/2, clipped to the support
    mode = pt.minimum(zhi, 0.5 * (zlo + pt.sqrt(zlo * zlo + 4.0 * e_pos)))

    def log_h(z):
        return e_pos * pt.log(pt.maximum(z - zlo, 1e-300)) - 0.5 * z * z

    target = log_h(mode) - _DELTA
    half = np.sqrt(2.0 * _DELTA)  # valid by strong concavity (curvature >= 1)
    left, right = mode - half, mode + half
    for _ in range(_NEWTON_STEPS):
        step_r = (target - log_h(right)) / (e_pos / (right - zlo) - right)
        right = pt.switch(right < zhi, right + step_r, right)
        inside = left > zlo
        safe_left = pt.switch(inside, left, zlo + 1.0)
        step_l = (target - log_h(safe_left)) / (e_pos / (safe_left - zlo) - safe_left)
        left = pt.switch(inside, pt.maximum(left + step_l, zlo), left)
    newton_a = pt.maximum(zlo, left)
    newton_b = pt.minimum(zhi, right)
    concave = e > 0.0
    return pt.switch(concave, newton_a, gauss_a), pt.switch(concave, newton_b, gauss_b)


def stop_gradient(x):
    """``x``, through which no gradient flows back, even after PyMC's pre-gradient rewrites.

    PyTensor's ``disconnected_grad`` is a ``ViewOp``, and the ``canonicalize``
    rewrites remove every ``ViewOp`` (``local_view_op``); PyMC's
    ``Model.logp``/``dlogp`` and nutpie apply them before differentiating
    (``pymc.pytensorf.rewrite_pregrad``), so the gradient used to flow
    through the window and the values below after all (measured: every
    model's program differentiated the window's unrolled Newton steps). An
    inline ``OpFromGraph`` declared unconnected to its input survives those
    rewrites, and is inlined (an identity) only when the function is
    compiled, after the gradient is built.
    """
    x = pt.as_tensor_variable(x)
    inner = x.type()
    op = OpFromGraph(
        [inner], [pt.identity(inner)], inline=True, connection_pattern=[[False]], name="stop_gradient"
    )
    return op(x)


def _value_with_grad_of(value, expression):
    """``value`` in the forward pass, the gradient of ``expression`` in the backward pass.

    The two are equal mathematically; ``value`` is the more accurate number,
    ``expression`` the better-conditioned derivative.
    """
    return stop_gradient(value) + (expression - stop_gradient(expression))


def _log_smoothed(kind, x, x1, s, k):
    r"""log of :math:`\int_0^1 w(v)\,\varphi_s(x - v)\,dv` for the weight ``kind``.

    ``x1`` is :math:`1 - x`, computed by the caller without cancellation.
    In :math:`z = (v - x)/s` this is :math:`\int w(x + sz)\,\varphi(z)\,dz`
    over :math:`[z_\text{lo}, z_\text{hi}] = [-x/s, (1-x)/s]`. The window is
    chosen without gradient; its ends are pinned to the live
    :math:`z_\text{lo}` / :math:`z_\text{hi}` where it reaches the support's
    ends (so the domain in :math:`v` stays exactly :math:`[0, 1]`) and are
    constants elsewhere (where the integrand is below :math:`e^{-\Delta}`).
    Nodes inside the window are therefore fixed in :math:`z`, and the
    derivative in :math:`s` is the well-conditioned
    :math:`\int z\,w'(x+sz)\,\varphi(z)\,dz` rather than a difference of
    large terms of size :math:`1/s`.
    """
    xc, x1c, sc, kc = (stop_gradient(t) for t in (x, x1, s, k))
    zlo_c, zhi_c = -xc / sc, x1c / sc
    a_win, b_win = _window(kind, zlo_c, zhi_c, kc)
    pinned_lo, pinned_hi = a_win <= zlo_c, b_win >= zhi_c
    zlo, zhi = -x / s, x1 / s
    left = pt.switch(pinned_lo, zlo, a_win)
    right = pt.switch(pinned_hi, zhi, b_win)
    width = (right - left) / N_PANELS  # constant unless pinned
    # nodes on a new trailing axis: each score's nodes are contiguous, so the
    # Numba loops over them vectorize (bayesq._compat.libmvec); a leading axis made
    # the innermost loop run over scores with a stride known only at run time
    ex = (..., None)
    ndim = x.ndim

    def nodes(c):
        return pt.as_tensor(c.reshape((1,) * ndim + (-1,)))

    steps_lo = nodes(_PANEL + _FROM_LEFT)  # node position in panel widths from the left end
    steps_hi = nodes(N_PANELS - 1 - _PANEL + _FROM_RIGHT)
    # every node's z, v and 1 - v is affine in its (constant) position, with
    # per-score coefficients: the gradient then flows through a few per-score
    # sums, not through a switch at each node
    z = left[ex] + width[ex] * steps_lo
    # v and 1 - v: values as sums of positive terms (exact 1e-83 from an end),
    # gradients from v = x + s z and 1 - v = x1 - s z, whose parts at the ends
    # of the window are exactly 0 where those ends are pinned
    gap_lo = pt.switch(pinned_lo, 0.0, a_win - zlo_c)
    gap_hi = pt.switch(pinned_hi, 0.0, zhi_c - b_win)
    v_at_left = pt.switch(pinned_lo, 0.0, x + s * left)
    v1_at_right = pt.switch(pinned_hi, 0.0, x1 - s * right)
    s_width = s * width
    v = _value_with_grad_of(
        sc[ex] * (gap_lo[ex] + width[ex] * steps_lo), v_at_left[ex] + s_width[ex] * steps_lo
    )
    one_minus_v = _value_with_grad_of(
        sc[ex] * (gap_hi[ex] + width[ex] * steps_hi), v1_at_right[ex] + s_width[ex] * steps_hi
    )
    log_w = _log_weight(kind, v, one_minus_v, k[ex])
    # log of panel width x integrand at each node (the width inside the sum)
    log_f = pt.log(pt.maximum(width[ex], _TINY)) + log_w - 0.5 * z * z
    # log-sum-exp of the weighted nodes, shifted by the largest term. The shift
    # carries no gradient (it cancels), so the gradient is the softmax-weighted
    # mean of the terms' gradients; PyTensor's own log(sum(exp(.))) rewrite
    # would differentiate its max too (a mask and a reduction more per
    # gradient). The rule's weights enter as factors, which that rewrite
    # leaves alone.
    top = stop_gradient(pt.max(log_f + nodes(_LOG_W), axis=-1))
    top = pt.switch(pt.isinf(top), 0.0, top)  # every term -inf: a log of 0 below, -inf
    total = pt.sum(nodes(np.exp(_LOG_W)) * pt.exp(log_f - top[ex]), axis=-1)
    return top + pt.log(total) - _LOG_SQRT_2PI


# --------------------------------------------------------------------------
# Standardized X = V + sZ


def _std_logpdf(x, x1, s, k):
    return _log_smoothed("pdf", x, x1, s, k)


def _std_logcdf(x, x1, s, k):
    return logaddexp(log_ndtr(-x1 / s), _log_smoothed("cdf", x, x1, s, k))


def _std_logsf(x, x1, s, k):
    return logaddexp(log_ndtr(-x / s), _log_smoothed("sf", x, x1, s, k))


def _std_quadratic(kind, x, x1, k):
    inside = (x > 0.0) & (x1 >= 0.0)
    safe_x = pt.switch(inside, x, 0.5)
    log_x = pt.log(safe_x)
    if kind == "pdf":
        return pt.switch(inside, pt.log(k) + (k - 1.0) * log_x, -np.inf)
    if kind == "cdf":
        return pt.switch(x1 <= 0.0, 0.0, pt.switch(inside, k * log_x, -np.inf))
    return pt.switch(x1 <= 0.0, -np.inf, pt.switch(inside, pt.log1mexp(k * log_x), 0.0))


def as_float(*tensors):
    """Tensors cast to a common float dtype: ``floatX``, or float64 if any input is.

    Python floats such as ``3.0`` would otherwise become float32 constants.
    """
    tensors = [pt.as_tensor_variable(t) for t in tensors]
    dtype = (
        "float64"
        if config.floatX == "float64" or any(t.dtype == "float64" for t in tensors)
        else config.floatX
    )
    return [t if t.dtype == dtype else pt.cast(t, dtype) for t in tensors]


def as_direction(maximize):
    """``maximize`` (a Python bool or a tensor) as a boolean tensor.

    A Python bool becomes a constant, so the branch not taken is removed from
    the compiled graph.
    """
    if isinstance(maximize, bool | np.bool_):
        return pt.as_tensor_variable(np.array(bool(maximize)))
    return pt.neq(pt.as_tensor_variable(maximize), 0)


def _standardize(y, alpha, beta, maximize):
    y, alpha, beta, maximize = pt.broadcast_arrays(*as_float(y, alpha, beta), as_direction(maximize))
    width = beta - alpha
    x = pt.switch(maximize, beta - y, y - alpha) / width
    x1 = pt.switch(maximize, y - alpha, beta - y) / width
    return x, x1, width


def _wants_upper(kind, maximize):
    """Whether P(Y <= y) ("cdf") or P(Y > y) ("sf") is an upper tail of X."""
    maximize = as_direction(maximize)
    return maximize if kind == "cdf" else pt.eq(maximize, 0)


def _from_complement(direct, complement):
    """log P from its own integral, or as 1 minus the other side's probability where that one is below 1/2.

    A probability near 1 is taken as 1 minus the other (small, accurate) one,
    so its log and gradient keep their relative accuracy too.
    """
    return pt.switch(complement < -_LN2, pt.log1mexp(pt.minimum(complement, -_LN2)), direct)


def _noisy(kind, y, alpha, beta, gamma, sigma, maximize, direct: bool = False):
    """The log density (``kind="pdf"``), ``log P(Y <= y)`` ("cdf") or ``log P(Y > y)`` ("sf").

    A probability is the integral of its own side, or 1 minus the other
    side's where that one is below 1/2 (:func:`_from_complement`).
    ``direct=True`` computes the first alone: the same value wherever it is
    below 1/2, for one integral instead of two when the direction is a
    constant (:func:`noisy_quadratic_log_tail_direct`).
    """
    x, x1, width = _standardize(y, alpha, beta, maximize)
    gamma, sigma = as_float(gamma, sigma, x)[:2]
    x, x1, width, k, sigma = pt.broadcast_arrays(x, x1, width, 0.5 * gamma, sigma)
    s = sigma / width
    noisy = s > 0.0
    s_safe = pt.switch(noisy, s, 1.0)
    if kind == "pdf":
        value = _std_logpdf(x, x1, s_safe, k)
        quad = _std_quadratic("pdf", x, x1, k)
        return pt.switch(noisy, value, quad) - pt.log(width)
    want_upper = _wants_upper(kind, maximize)
    if direct:
        value = pt.switch(want_upper, _std_logsf(x, x1, s_safe, k), _std_logcdf(x, x1, s_safe, k))
        quad = pt.switch(want_upper, _std_quadratic("sf", x, x1, k), _std_quadratic("cdf", x, x1, k))
        return pt.switch(noisy, value, quad)
    lower = _std_logcdf(x, x1, s_safe, k)  # P(X <= x)
    upper = _std_logsf(x, x1, s_safe, k)  # P(X >= x)
    lower, upper = _from_complement(lower, upper), _from_complement(upper, lower)
    q_lower, q_upper = _std_quadratic("cdf", x, x1, k), _std_quadratic("sf", x, x1, k)
    # concave Y: P(Y <= y) = P(X >= x)
    return pt.switch(noisy, pt.switch(want_upper, upper, lower), pt.switch(want_upper, q_upper, q_lower))


def noisy_quadratic_logpdf(y, alpha, beta, gamma, sigma, maximize=True):
    r"""Log density of :math:`\mathcal{Q}(\alpha, \beta, \gamma, \sigma)` at ``y``.

    .. math::

        f_Y(y) = \frac{\gamma}{2(\beta-\alpha)}
        \int_0^1 v^{\gamma/2-1}\,\varphi_s(x - v)\,dv

    in the notation of the module docstring. ``sigma == 0`` gives the
    quadratic distribution. Parameters are assumed valid
    (:math:`\alpha < \beta`, :math:`\gamma > 0`, :math:`\sigma \ge 0`); the PyMC
    classes in :mod:`bayesq.distributions` add the checks.
    """
    return _noisy("pdf", y, alpha, beta, gamma, sigma, maximize)


def noisy_quadratic_logcdf(y, alpha, beta, gamma, sigma, maximize=True):
    r""":math:`\log P(Y \le y)`, accurate far into both tails (a sum of
    positive terms; see the module docstring)."""
    return _noisy("cdf", y, alpha, beta, gamma, sigma, maximize)


def noisy_quadratic_logsf(y, alpha, beta, gamma, sigma, maximize=True):
    r""":math:`\log P(Y > y)`, accurate far into both tails."""
    return _noisy("sf", y, alpha, beta, gamma, sigma, maximize)


def noisy_quadratic_log_tail_direct(kind, y, alpha, beta, gamma, sigma, maximize=True):
    r""":math:`\log P(Y \le y)` (``kind="cdf"``) or :math:`\log P(Y > y)` (``"sf"``) by its own integral.

    Equal to :func:`noisy_quadratic_logcdf` / :func:`noisy_quadratic_logsf`
    wherever the probability is below 1/2; above, its log loses relative
    accuracy as the probability nears 1 (those take it from the other
    side there). With a constant direction it computes one integral where
    they compute two: :class:`bayesq.stats.QuadraticFamily` evaluates it
    first, and the other side's (then :func:`log_tail_completed`) only where
    it is above about :math:`\log(1/2)`.
    """
    return _noisy(kind, y, alpha, beta, gamma, sigma, maximize, direct=True)


def log_tail_completed(direct, other, sigma):
    r"""A tail's log probability from both sides' :func:`noisy_quadratic_log_tail_direct`.

    ``direct`` is the wanted side's, ``other`` the other side's: where that
    one is below 1/2 the wanted log probability is :math:`\log(1 - \text{other})`
    (the rule of :func:`noisy_quadratic_logcdf` / :func:`noisy_quadratic_logsf`,
    applied afterwards). Noiseless points (``sigma == 0``: closed form) keep
    ``direct``.
    """
    direct, other, sigma = pt.broadcast_arrays(*as_float(direct, other, sigma))
    return pt.switch(sigma > 0.0, _from_complement(direct, other), direct)


def _quadratic(kind, y, alpha, beta, gamma, maximize):
    x, x1, width = _standardize(y, alpha, beta, maximize)
    k = 0.5 * as_float(gamma, x)[0]
    if kind == "pdf":
        return _std_quadratic("pdf", x, x1, k) - pt.log(width)
    want_upper = _wants_upper(kind, maximize)
    return pt.switch(want_upper, _std_quadratic("sf", x, x1, k), _std_quadratic("cdf", x, x1, k))


def quadratic_logpdf(y, alpha, beta, gamma, maximize=True):
    r"""Log density of the (noiseless) quadratic distribution.

    Concave: :math:`f(y) = \frac{\gamma}{2(\beta-\alpha)}
    \left(\frac{\beta-y}{\beta-\alpha}\right)^{\gamma/2-1}` on
    :math:`[\alpha, \beta]`; convex: the mirror image.
    """
    return _quadratic("pdf", y, alpha, beta, gamma, maximize)


def quadratic_logcdf(y, alpha, beta, gamma, maximize=True):
    r"""Concave: :math:`\log(1 - ((\beta-y)/(\beta-\alpha))^{\gamma/2})`;
    convex: :math:`\tfrac\gamma2\log((y-\alpha)/(\beta-\alpha))`."""
    return _quadratic("cdf", y, alpha, beta, gamma, maximize)


def quadratic_logsf(y, alpha, beta, gamma, maximize=True):
    r""":math:`\log P(Y > y)` of the quadratic distribution."""
    return _quadratic("sf", y, alpha, beta, gamma, maximize)
