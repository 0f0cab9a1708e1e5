r"""NumPy-level (``scipy.stats``-like) interface to the quadratic distributions.

For use outside PyMC models: tuning curves, plots, simulation. Every function
here is the PyTensor graph of :mod:`bayesq.logdensity` compiled once per
machine (by PyTensor's default backend, Numba; its code kept on disk by
:mod:`bayesq._compat.kept_functions`) and called on broadcast NumPy arrays,
so there is exactly one implementation of each formula. Draws use the PyMC random variables of
:mod:`bayesq.distributions`.

>>> from bayesq import noisy_quadratic
>>> d = noisy_quadratic(alpha=0.83, beta=0.89, gamma=1.0, sigma=0.002)
>>> float(d.cdf(0.88)) > 0.5
True
"""

from __future__ import annotations

import functools

import numpy as np
import pytensor
import pytensor.tensor as pt

from bayesq import logdensity as ld

__all__ = ["QuadraticFamily", "noisy_quadratic", "quadratic"]

_FUNCS = {
    "noisy": {
        "logpdf": ld.noisy_quadratic_logpdf,
        "logcdf": ld.noisy_quadratic_logcdf,
        "logsf": ld.noisy_quadratic_logsf,
    },
    "quadratic": {
        "logpdf": lambda y, a, b, g, s, m: ld.quadratic_logpdf(y, a, b, g, m),
        "logcdf": lambda y, a, b, g, s, m: ld.quadratic_logcdf(y, a, b, g, m),
        "logsf": lambda y, a, b, g, s, m: ld.quadratic_logsf(y, a, b, g, m),
    },
}
# a tail probability this close to 1/2 or above is completed by the other side's (_call)
_DIRECT_ABOVE = -np.log(2.0) - 1e-3


_PARAMETERS = ("y", "alpha", "beta", "gamma", "sigma")  # the inputs of the distribution's functions


def _function(name: str, inputs, make):
    """The compiled function of ``make``'s graph, kept on disk (:mod:`bayesq._compat.kept_functions`).

    ``make(*vectors)`` gets one float64 vector per name of ``inputs``.
    """
    from bayesq._compat.kept_functions import kept_function

    def build():
        vectors = [pt.dvector(n) for n in inputs]
        return pytensor.function(vectors, make(*vectors), on_unused_input="ignore")  # (sigma: "quadratic")

    return kept_function(f"bayesq.stats.{name}({', '.join(inputs)})", build)


@functools.cache
def _compiled(family: str, name: str, maximize: bool):
    """``_FUNCS[family][name]`` compiled for one direction (a constant: the branch not taken is not built)."""
    return _function(
        f"{family}_{name}_{'max' if maximize else 'min'}",
        _PARAMETERS,
        lambda y, a, b, g, s: _FUNCS[family][name](y, a, b, g, s, bool(maximize)),
    )


@functools.cache
def _compiled_direct(kind: str, maximize: bool):
    """The noisy quadratic's log CDF (``kind="cdf"``) or log SF ("sf") by its own integral (:meth:`_call`)."""
    return _function(
        f"noisy_log{kind}_direct_{'max' if maximize else 'min'}",
        _PARAMETERS,
        lambda y, a, b, g, s: ld.noisy_quadratic_log_tail_direct(kind, y, a, b, g, s, maximize),
    )


@functools.cache
def _compiled_completion():
    """:func:`bayesq.logdensity.log_tail_completed`, compiled."""
    return _function("log_tail_completed", ("direct", "other", "sigma"), ld.log_tail_completed)


def _check_parameters(alpha, beta, gamma, sigma):
    if np.any(~np.isfinite(alpha)) or np.any(~np.isfinite(beta)):
        raise ValueError("alpha and beta must be finite")
    if np.any(alpha >= beta):
        raise ValueError("alpha must be smaller than beta (alpha < beta)")
    if np.any(~(gamma > 0)) or np.any(~np.isfinite(gamma)):
        raise ValueError("gamma must be finite and positive (gamma > 0)")
    if np.any(~(sigma >= 0)) or np.any(~np.isfinite(sigma)):
        raise ValueError("sigma must be finite and non-negative (sigma >= 0)")


class QuadraticFamily:
    """A frozen (noisy) quadratic distribution with array parameters.

    Use :func:`noisy_quadratic` or :func:`quadratic` to make one. Parameters
    broadcast against each other and against the arguments of each method,
    as in ``scipy.stats``.

    Parameters
    ----------
    family : {"noisy", "quadratic"}
        With or without seed noise.
    alpha, beta, gamma, sigma : array_like
        The parameters (``sigma`` is ignored by ``"quadratic"``).
    maximize : bool
        Concave (``True``) or convex (``False``) form.

    Attributes
    ----------
    family : str
    alpha, beta, gamma, sigma : numpy.ndarray
    maximize : bool

    Raises
    ------
    ValueError
        ``alpha >= beta``, a ``gamma`` that is not positive, a negative
        ``sigma``, or a parameter that is not finite.
    """

    def __init__(self, family, alpha, beta, gamma, sigma, maximize):
        alpha, beta, gamma, sigma = (np.asarray(p, dtype=float) for p in (alpha, beta, gamma, sigma))
        _check_parameters(alpha, beta, gamma, sigma)
        self.family = family
        self.alpha, self.beta, self.gamma, self.sigma = alpha, beta, gamma, sigma
        self.maximize = bool(maximize)

    def __repr__(self):
        name = "noisy_quadratic" if self.family == "noisy" else "quadratic"
        sigma = f", sigma={self.sigma}" if self.family == "noisy" else ""
        return (
            f"{name}(alpha={self.alpha}, beta={self.beta}, gamma={self.gamma}{sigma}, "
            f"maximize={self.maximize})"
        )

    def _call(self, name, y):
        y = np.asarray(y, dtype=float)
        arrays = np.broadcast_arrays(y, self.alpha, self.beta, self.gamma, self.sigma)
        shape = arrays[0].shape
        flat = [np.ascontiguousarray(a, dtype=float).ravel() for a in arrays]
        if self.family == "noisy" and name != "logpdf":
            out = self._tail(name, flat, np.broadcast_to(self.mean(), shape).ravel())
        else:
            out = _compiled(self.family, name, self.maximize)(*flat)
        return out.reshape(shape)

    def _tail(self, name, flat, mean):
        """``log P(Y <= y)`` or ``log P(Y > y)`` from the two sides' integrals, each only where needed.

        A side's own integral is the answer where its probability is below
        1/2; above, the answer comes from the other side's
        (:func:`bayesq.logdensity.log_tail_completed`). The side likely to be
        the small one is computed first: the wanted one beyond the mean (the
        median is near it), the other one before it; the second side only
        where the first is not below about 1/2. Noiseless points (closed form)
        take the wanted side.
        """
        kind, other = ("cdf", "sf") if name == "logcdf" else ("sf", "cdf")
        y, sigma = flat[0], flat[-1]
        beyond = (y > mean) == (kind == "sf")  # where P(wanted) is likely below 1/2
        wanted_first = beyond | (sigma == 0)
        wanted, opposite = np.full(y.shape, np.nan), np.full(y.shape, np.nan)
        have_wanted, have_other = wanted_first.copy(), ~wanted_first
        for values, side, where in ((wanted, kind, have_wanted), (opposite, other, have_other)):
            if where.any():
                values[where] = _compiled_direct(side, self.maximize)(*(f[where] for f in flat))
        # the second side, where the first is not below 1/2
        more_other = have_wanted & ~(wanted < _DIRECT_ABOVE)
        more_wanted = have_other & ~(opposite < _DIRECT_ABOVE)
        for values, side, where in ((opposite, other, more_other), (wanted, kind, more_wanted)):
            if where.any():
                values[where] = _compiled_direct(side, self.maximize)(*(f[where] for f in flat))
        both = have_other | more_other
        out = wanted
        if both.any():  # (where only the other side is known it is below 1/2, and decides)
            out[both] = _compiled_completion()(wanted[both], opposite[both], sigma[both])
        return out

    def logpdf(self, y):
        """Log density at ``y`` (an array broadcast against the parameters).

        Parameters
        ----------
        y : array_like
            Scores, broadcast against the parameters.

        Returns
        -------
        numpy.ndarray
            The log density, of the broadcast shape.
        """
        return self._call("logpdf", y)

    def pdf(self, y):
        """Density at ``y``.

        Parameters
        ----------
        y : array_like
            Scores, broadcast against the parameters.

        Returns
        -------
        numpy.ndarray
            The density, of the broadcast shape.
        """
        return np.exp(self.logpdf(y))

    def logcdf(self, y):
        r""":math:`\log P(Y \le y)`.

        Parameters
        ----------
        y : array_like
            Scores, broadcast against the parameters.

        Returns
        -------
        numpy.ndarray
            The log CDF, of the broadcast shape.
        """
        return self._call("logcdf", y)

    def cdf(self, y):
        r""":math:`P(Y \le y)`.

        Parameters
        ----------
        y : array_like
            Scores, broadcast against the parameters.

        Returns
        -------
        numpy.ndarray
            The CDF, of the broadcast shape.
        """
        return np.exp(self.logcdf(y))

    def logsf(self, y):
        r""":math:`\log P(Y > y)`.

        Parameters
        ----------
        y : array_like
            Scores, broadcast against the parameters.

        Returns
        -------
        numpy.ndarray
            The log survival function, computed without cancellation.
        """
        return self._call("logsf", y)

    def sf(self, y):
        r""":math:`P(Y > y)`.

        Parameters
        ----------
        y : array_like
            Scores, broadcast against the parameters.

        Returns
        -------
        numpy.ndarray
            The survival function, of the broadcast shape.
        """
        return np.exp(self.logsf(y))

    # ------------------------------------------------------------------ moments
    def mean(self):
        r"""Mean: :math:`\beta - (\beta-\alpha)\,\frac{k}{k+1}` (concave),
        :math:`\alpha + (\beta-\alpha)\,\frac{k}{k+1}` (convex), :math:`k=\gamma/2`;
        the noise has mean zero."""
        k = self.gamma / 2
        ev = k / (k + 1)
        width = self.beta - self.alpha
        return self.beta - width * ev if self.maximize else self.alpha + width * ev

    def var(self):
        r"""Variance: :math:`(\beta-\alpha)^2 \frac{k}{(k+1)^2(k+2)} + \sigma^2`."""
        k = self.gamma / 2
        return (self.beta - self.alpha) ** 2 * k / ((k + 1) ** 2 * (k + 2)) + self.sigma**2

    def std(self):
        """Standard deviation."""
        return np.sqrt(self.var())

    # ---------------------------------------------------------------- quantiles
    def ppf(self, q):
        r"""Quantile function :math:`F^{-1}(q)`.

        Solved in log space, on :math:`\log F(y) = \log q` for :math:`q \le 1/2`
        and on :math:`\log(1 - F(y)) = \log(1-q)` above, so quantiles deep in
        either tail keep full relative accuracy (see :meth:`isf` to pass
        :math:`1-q` itself when it is tiny).

        Parameters
        ----------
        q : array_like
            Probabilities in [0, 1].

        Returns
        -------
        numpy.ndarray
            The quantiles (:math:`\pm\infty` at 0 and 1 for the noisy
            family, the ends of the support for the quadratic one).

        Raises
        ------
        ValueError
            A probability outside [0, 1].
        """
        q = np.asarray(q, dtype=float)
        _check_probability(q)
        with np.errstate(divide="ignore"):
            return self._solve(np.log(q), np.log1p(-q), q <= 0.5)

    def isf(self, p):
        r"""Inverse survival function: :math:`y` with :math:`P(Y > y) = p`.

        Parameters
        ----------
        p : array_like
            Tail probabilities in [0, 1].

        Returns
        -------
        numpy.ndarray
        """
        p = np.asarray(p, dtype=float)
        _check_probability(p)
        with np.errstate(divide="ignore"):
            return self._solve(np.log1p(-p), np.log(p), p >= 0.5)

    def median(self):
        """Median."""
        return self.ppf(0.5)

    def _solve(self, log_lower, log_upper, use_lower):
        """Root of logcdf(y) = log_lower (where use_lower) or logsf(y) = log_upper.

        Bracketing, then Newton steps in log space safeguarded by bisection.
        """
        arrays = np.broadcast_arrays(
            log_lower, log_upper, use_lower, self.alpha, self.beta, self.gamma, self.sigma
        )
        shape = arrays[0].shape
        tl, tu, low, a, b, g, s = (np.array(x, dtype=float).ravel() for x in arrays)
        low = low.astype(bool)
        out = np.full(tl.shape, np.nan)
        out[(low & np.isneginf(tl)) | (~low & (tu == 0))] = -np.inf
        out[(low & (tl == 0)) | (~low & np.isneginf(tu))] = np.inf
        todo = np.isnan(out)
        if not todo.any():
            return _finish(out, a, b, self.family, shape)
        idx = np.flatnonzero(todo)
        sub = QuadraticFamily(self.family, a[idx], b[idx], g[idx], s[idx], self.maximize)
        target = np.where(low[idx], tl[idx], tu[idx])
        lower_branch = low[idx]

        def resid(y):
            # increasing in y in both branches
            return np.where(lower_branch, sub.logcdf(y) - target, target - sub.logsf(y))

        scale = np.maximum(s[idx], 1e-3 * (b[idx] - a[idx]))
        lo, hi = a[idx] - scale, b[idx] + scale
        if self.family == "quadratic":
            lo, hi = a[idx], b[idx]
        else:
            for _ in range(64):  # expand the bracket geometrically
                rlo, rhi = resid(lo), resid(hi)
                if np.all(rlo < 0) and np.all(rhi > 0):
                    break
                step = hi - lo
                lo = np.where(rlo < 0, lo, lo - step)
                hi = np.where(rhi > 0, hi, hi + step)
        y = 0.5 * (lo + hi)
        for _ in range(200):
            r = resid(y)
            lo = np.where(r < 0, y, lo)
            hi = np.where(r > 0, y, hi)
            logf = sub.logpdf(y)
            slope = np.exp(logf - np.where(lower_branch, sub.logcdf(y), sub.logsf(y)))
            with np.errstate(divide="ignore", invalid="ignore"):
                newton = y - r / slope
            ok = np.isfinite(newton) & (newton > lo) & (newton < hi)
            y_new = np.where(ok, newton, 0.5 * (lo + hi))
            y_new = np.where(r == 0, y, y_new)
            done = np.abs(y_new - y) <= 4 * np.finfo(float).eps * np.maximum(np.abs(y), b[idx] - a[idx])
            y = y_new
            if np.all(done | (hi - lo <= 4 * np.finfo(float).eps * np.abs(y))):
                break
        out[idx] = y
        return _finish(out, a, b, self.family, shape)

    # ------------------------------------------------------------------ draws
    def sample(self, size=None, random_state=None):
        """Random draws, through the PyMC random variable (``pm.draw``).

        Parameters
        ----------
        size : int or tuple of int, optional
            Shape of the draws (by default the parameters' broadcast shape).
        random_state : int or numpy.random.Generator, optional
            Seed or generator.

        Returns
        -------
        numpy.ndarray
        """
        import pymc as pm

        from bayesq.distributions import NoisyQuadratic, Quadratic

        if self.family == "noisy":
            rv = NoisyQuadratic.dist(
                self.alpha, self.beta, self.gamma, self.sigma, maximize=self.maximize, size=size
            )
        else:
            rv = Quadratic.dist(self.alpha, self.beta, self.gamma, maximize=self.maximize, size=size)
        return pm.draw(rv, random_seed=random_state)

    rvs = sample


def _finish(out, a, b, family, shape):
    if family == "quadratic":
        out = np.where(out == -np.inf, a, np.where(out == np.inf, b, out))
    return out.reshape(shape)


def _check_probability(q):
    if np.any(~((q >= 0) & (q <= 1))):
        raise ValueError("probabilities must lie in [0, 1]")


def noisy_quadratic(alpha, beta, gamma, sigma, maximize=True) -> QuadraticFamily:
    r"""The noisy quadratic distribution :math:`\mathcal Q(\alpha,\beta,\gamma,\sigma)`.

    The law of :math:`Y = Q + \sigma Z`, with :math:`Q` quadratic
    (:func:`quadratic`) and :math:`Z \sim \mathcal N(0, 1)` independent of
    it: the scores of random search near the optimum, each carrying its
    run's seed noise (Lourie, He and Cho, "Hyperparameter Loss Surfaces Are
    Simple Near their Optima", COLM 2025). With :math:`m = (\beta - y)/(\beta
    - \alpha)` and :math:`s = \sigma/(\beta - \alpha)` (concave form),

    .. math::

        f(y) = \frac{\gamma}{2(\beta - \alpha)} \int_0^1 v^{\gamma/2 - 1}\,
               \varphi_s(v - m)\,dv,

    :math:`\varphi_s(u) = \varphi(u/s)/s`, computed by quadrature in log
    space (:mod:`bayesq.logdensity`). A NumPy interface like
    ``scipy.stats``'s frozen distributions, for use outside PyMC models
    (:class:`bayesq.NoisyQuadratic` is the PyMC distribution).

    Parameters
    ----------
    alpha, beta : array_like
        Ends of the noiseless support, ``alpha < beta``.
    gamma : array_like
        Effective number of hyperparameters, ``gamma > 0`` (any real).
    sigma : array_like
        Retraining noise, ``sigma >= 0``.
    maximize : bool
        Concave form (``True``, best score ``beta``) or convex form.

    Returns
    -------
    QuadraticFamily
        With ``pdf``, ``logpdf``, ``cdf``, ``logcdf``, ``sf``, ``logsf``,
        ``ppf``, ``isf``, ``sample``, ``mean``, ``var``.

    Raises
    ------
    ValueError
        ``alpha >= beta``, ``gamma <= 0``, ``sigma < 0``, or a parameter
        that is not finite.

    See Also
    --------
    quadratic : Without noise.
    bayesq.NoisyQuadratic : The PyMC distribution.

    Examples
    --------
    >>> import bayesq
    >>> d = bayesq.noisy_quadratic(alpha=0.8, beta=0.9, gamma=2.0, sigma=0.002)
    >>> d.cdf([0.85, 0.9]).round(3)
    array([0.5  , 0.992])
    >>> float(d.ppf(0.5).round(4)), float(d.mean().round(4))
    (0.85, 0.85)
    >>> d.sample(size=5, random_state=0).shape
    (5,)

    Parameters broadcast, as in ``scipy.stats``:

    >>> bayesq.noisy_quadratic([0.8, 0.7], 0.9, 2.0, 0.002).mean()
    array([0.85, 0.8 ])
    """
    return QuadraticFamily("noisy", alpha, beta, gamma, sigma, maximize)


def quadratic(alpha, beta, gamma, maximize=True) -> QuadraticFamily:
    r"""The quadratic distribution :math:`\mathcal Q(\alpha,\beta,\gamma)` (no noise).

    The score of a uniformly random point on a :math:`\gamma`-dimensional
    quadratic bowl. Concave form (``maximize=True``, best score
    :math:`\beta`):

    .. math::

        F(y) = 1 - \left(\frac{\beta - y}{\beta - \alpha}\right)^{\gamma/2},
        \qquad \alpha \le y \le \beta;

    convex form: :math:`F(y) = ((y - \alpha)/(\beta - \alpha))^{\gamma/2}`.

    Parameters
    ----------
    alpha, beta : array_like
        Ends of the support, ``alpha < beta``.
    gamma : array_like
        Effective number of hyperparameters, ``gamma > 0`` (any real).
    maximize : bool
        Concave form (``True``, best score ``beta``) or convex form (best
        score ``alpha``).

    Returns
    -------
    QuadraticFamily

    See Also
    --------
    noisy_quadratic : With seed noise.
    bayesq.Quadratic : The PyMC distribution.

    Examples
    --------
    >>> import bayesq
    >>> loss = bayesq.quadratic(alpha=0.1, beta=0.3, gamma=4.0, maximize=False)
    >>> float(loss.cdf(0.2))  # ((0.2 - 0.1) / 0.2) ** 2
    0.25
    >>> float(loss.ppf(0.25))
    0.2
    """
    return QuadraticFamily("quadratic", alpha, beta, gamma, 0.0, maximize)
