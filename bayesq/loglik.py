r"""The pointwise log-likelihood of a fit: one point per run, for every posterior draw.

A tail score's point is :math:`\log f(y_i\mid\theta)`, a censored run's
:math:`\log F(t\mid\theta)` (mirrored when minimizing), so that PSIS-LOO
(:func:`arviz.loo`) and power-scaling (:func:`arviz.psense`) see every run.
The function that computes them is compiled once per direction
(:func:`loglik_function`).
"""

from __future__ import annotations

import functools

import numpy as np
import pytensor
import pytensor.tensor as pt
import xarray as xr

from bayesq.exceptions import InputError
from bayesq.logdensity import noisy_quadratic_logcdf, noisy_quadratic_logpdf, noisy_quadratic_logsf
from bayesq.model import PARAMETERS

__all__ = [
    "joint_log_likelihood_group",
    "log_likelihood_group",
    "loglik_function",
    "pointwise_log_likelihood",
]


def pointwise_log_likelihood(prepared, alpha, beta, gamma, sigma, chunk: int | None = None):
    r"""Log-likelihood of every run for each parameter draw.

    Parameters
    ----------
    prepared : bayesq.model.PreparedScores
        The scores split at the threshold.
    alpha, beta, gamma, sigma : ndarray
        Parameter draws, all of one shape ``S``.
    chunk : int, optional
        Draws evaluated per call of the compiled function. By default about
        4,096 densities a call (86 quadrature nodes each): batches that
        outgrow the CPU's cache are memory-bound.
        The density is computed once per distinct tail score and repeated
        for its ties (as :class:`bayesq.NoisyQuadratic` does for observed
        data).

    Returns
    -------
    tail : ndarray, shape ``S + (n_tail,)``
        :math:`\log f(y_i \mid \theta)` for each tail score.
    censored : ndarray, shape ``S + (n_censored,)``
        :math:`\log F(t \mid \theta)` (maximizing) or :math:`\log(1 - F(t \mid \theta))`
        (minimizing), repeated for each censored run.
    """
    draws = [np.asarray(p, dtype=float) for p in (alpha, beta, gamma, sigma)]
    shape = draws[0].shape
    flat = [p.reshape(-1) for p in draws]
    f = loglik_function(prepared.maximize)
    size = flat[0].size
    distinct, index = np.unique(prepared.tail, return_inverse=True)
    # every call gets ``chunk`` draws (the last one padded with repeats of its
    # first): one input shape, which a backend that compiles per shape (JAX) needs
    if chunk is None:
        chunk = max(1, 4096 // max(1, distinct.size))
    elif int(chunk) != chunk or chunk < 1:
        raise InputError(f"{{arg}} must be a whole number of draws >= 1, got {chunk!r}", "chunk")
    chunk = min(int(chunk), size)
    tail_parts, cens_parts = [], []
    for start in range(0, size, chunk):
        take = np.arange(start, start + chunk)
        take[take >= size] = start
        tail, side = f(distinct, prepared.threshold, np.stack([p[take] for p in flat], axis=1))
        used = min(chunk, size - start)
        tail_parts.append(np.asarray(tail)[:used])
        cens_parts.append(np.asarray(side)[:used])
    tail = np.concatenate(tail_parts)[:, index].reshape(*shape, prepared.tail.size)
    side = np.concatenate(cens_parts).reshape(shape)
    censored = np.broadcast_to(side[..., None], (*shape, prepared.censored.size)).copy()
    return tail, censored


def log_likelihood_group(prepared, posterior) -> xr.Dataset:
    """The ``log_likelihood`` group of a fit: :func:`pointwise_log_likelihood` of every draw.

    Variables ``tail`` (dim ``tail_run``) and, when some runs are censored,
    ``censored`` (dim ``censored_run``), each with the posterior's
    ``chain`` and ``draw``.
    """
    tail, censored = pointwise_log_likelihood(prepared, *(posterior[name].values for name in PARAMETERS))
    dims = ("chain", "draw")
    loglik = {"tail": ((*dims, "tail_run"), tail)}
    if prepared.censored.size:
        loglik["censored"] = ((*dims, "censored_run"), censored)
    coords = {
        "chain": posterior.chain.values,
        "draw": posterior.draw.values,
        "tail_run": np.arange(prepared.tail.size),
        "censored_run": np.arange(prepared.censored.size),
    }
    return xr.Dataset(loglik, coords=coords)


@functools.cache
def loglik_function(maximize: bool):
    """One compiled function (PyTensor's Numba backend) for every draw at once.

    Numba, not JAX or C: the fastest of the three on this work; its code is
    kept on disk (:mod:`bayesq._compat.kept_functions`). The draws come as one matrix (a row per
    draw: alpha, beta, gamma, sigma), so their common length is known to the
    graph: four vectors would need run-time checks that they broadcast.
    """
    from bayesq._compat.kept_functions import kept_function

    def build():
        y, t, draws = pt.dvector("y"), pt.dscalar("t"), pt.dmatrix("draws")
        params = [draws[:, i] for i in range(len(PARAMETERS))]
        column = [p[:, None] for p in params]
        tail = noisy_quadratic_logpdf(y[None, :], *column, maximize=maximize)
        side = (noisy_quadratic_logcdf if maximize else noisy_quadratic_logsf)(t, *params, maximize=maximize)
        return pytensor.function([y, t, draws], [tail, side], mode="NUMBA")

    return kept_function(f"bayesq.loglik.pointwise_{'max' if maximize else 'min'}(y, t, draws)", build)


def joint_log_likelihood_group(prepared, posterior) -> xr.Dataset:
    """The ``log_likelihood`` group of a joint fit (:mod:`bayesq.joint`): one point per run of every search.

    ``scores`` over ``run``: search by search (in the order of ``prepared``),
    its tail scores, then its censored runs; the coordinate ``run_search``
    names each point's search.

    Parameters
    ----------
    prepared : mapping
        ``{name: PreparedScores}``, the searches split at their thresholds.
    posterior : xarray.Dataset or DataTree node
        Draws of ``alpha``, ``beta``, ``gamma``, ``sigma`` over ``chain``, ``draw`` and ``search``.
    """
    points, owner = [], []
    for name, d in prepared.items():
        params = (posterior[p].sel(search=name).values for p in PARAMETERS)
        tail, censored = pointwise_log_likelihood(d, *params)
        points += [tail, censored]
        owner += [name] * (tail.shape[-1] + censored.shape[-1])
    return xr.Dataset(
        {"scores": (("chain", "draw", "run"), np.concatenate(points, axis=-1))},
        coords={
            "chain": posterior.chain.values,
            "draw": posterior.draw.values,
            "run": np.arange(len(owner)),
            "run_search": ("run", np.array(owner)),
        },
    )
