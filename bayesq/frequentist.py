r"""The frequentist analysis of the same search, by opda (Lourie et al.), for comparison.

bayesq does not re-implement it; these are thin calls into :mod:`opda`:

* :func:`cdf_bands`: opda's simultaneous nonparametric confidence bands for
  the CDF of the scores (``EmpiricalDistribution.confidence_bands``): the
  highest-density Learned-Miller--DeWitt band (the paper's) up to
  :data:`LD_MAX_RUNS` runs, the Dvoretzky-Kiefer-Wolfowitz band (instant,
  more conservative) beyond, where the LD band takes minutes;
* :func:`tuning_curve_band`: the median tuning curve of those bands. The upper
  CDF band gives the lower tuning curve and vice versa; the band becomes
  trivial (the end of the support, ``b``) once :math:`k` exceeds a few times
  the number of runs' worth of information in the tail;
* :func:`point_fit`: opda's parametric point fit of the noisy quadratic to the
  tail (``NoisyQuadraticDistribution.fit``, censored maximum spacing);
  :func:`start_point_fit` starts it in a process of its own.
"""

from __future__ import annotations

import concurrent.futures
import functools
import multiprocessing
import os
import signal
import threading
import warnings

import numpy as np

from bayesq import validate

__all__ = ["LD_MAX_RUNS", "cdf_bands", "point_fit", "start_point_fit", "tuning_curve_band"]

LD_MAX_RUNS = 128


def cdf_bands(scores, ci: float = 0.8, support=(-np.inf, np.inf), method: str = "auto", random_seed=0):
    """opda's nonparametric ``ci`` confidence bands for the CDF: (lower, point, upper) distributions.

    ``support`` is the range scores can take (e.g. ``(0, 1)`` for
    accuracies); with infinite ends the band's tuning curves become infinite.
    ``method`` is one of opda's (``"ld_highest_density"``, ``"dkw"``, ...)
    or ``"auto"`` (module docstring). Results are cached per input.
    """
    validate.probability(ci, "ci")
    scores = np.asarray(scores, dtype=float)
    # failed runs (infinite: bayesq.model.prepare_scores) at the end of a finite support
    scores = np.sort(np.where(np.isinf(scores), np.clip(scores, *support), scores))  # (order: no matter)
    if method == "auto":
        method = "ld_highest_density" if scores.size <= LD_MAX_RUNS else "dkw"
    return _bands(scores.tobytes(), float(ci), float(support[0]), float(support[1]), method, random_seed)


@functools.lru_cache(maxsize=16)
def _bands(data: bytes, ci, a, b, method, random_seed):
    from opda.nonparametric import EmpiricalDistribution

    with warnings.catch_warnings():
        # accuracies repeat; opda notes that exact coverage assumes no ties
        warnings.filterwarnings("ignore", message="Duplicates detected")
        return EmpiricalDistribution.confidence_bands(
            np.frombuffer(data), ci, a=a, b=b, method=method, generator=np.random.default_rng(random_seed)
        )


def tuning_curve_band(
    scores, k, ci: float = 0.8, maximize: bool = True, support=(-np.inf, np.inf), method="auto"
):
    """opda's nonparametric ``ci`` band and point estimate of the median tuning curve at ``k``.

    Returns
    -------
    lower, estimate, upper : ndarray
    """
    lower_cdf, point, upper_cdf = cdf_bands(scores, ci, support, method)
    k = np.asarray(k, dtype=float)
    # a higher CDF means lower scores, so a lower best (or lowest) score in either direction
    return tuple(d.quantile_tuning_curve(k, minimize=not maximize) for d in (upper_cdf, point, lower_cdf))


def _fit_key(scores, threshold, maximize, constraints) -> tuple:
    constraints = dict(constraints or {})
    constraints.setdefault("convex", not maximize)
    frozen = tuple(
        sorted((k, tuple(v) if isinstance(v, list | tuple) else v) for k, v in constraints.items())
    )
    data = np.sort(np.asarray(scores, dtype=float)).tobytes()  # (the fit ignores the order: one cache entry)
    return data, float(threshold), bool(maximize), frozen


def point_fit(scores, threshold: float, maximize: bool = True, constraints=None):
    """opda's parametric fit of the noisy quadratic to the scores beyond ``threshold`` (cached per input).

    A fit started by :func:`start_point_fit` is waited for, not computed again.
    """
    key = _fit_key(scores, threshold, maximize, constraints)
    with _FITS_LOCK:
        found = _FITS.get(key)
    if isinstance(found, concurrent.futures.Future):
        try:
            found = found.result()
        except Exception:  # (the helper process failed: its fit is computed here, errors and all)
            found = None
    if found is None:
        found = _point_fit(*key)
    with _FITS_LOCK:
        _FITS[key] = found
        while len(_FITS) > _FITS_KEPT:
            _FITS.pop(next(iter(_FITS)))
    return found


def start_point_fit(scores, threshold: float, maximize: bool = True, constraints=None) -> bool:
    """Start :func:`point_fit` in a process of its own, to run beside other work; False if it does not.

    opda's fit takes seconds of one core (a differential evolution); a
    command that will draw it (``bayesq curves``) starts it first and
    computes its curves meanwhile. Nothing is started on a single core, or
    for a fit already made or started. The helper process ignores Ctrl-C
    (the command handles it) and ends with its fit.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if cores < 2:
        return False
    key = _fit_key(scores, threshold, maximize, constraints)
    with _FITS_LOCK:
        if key in _FITS:
            return False
        context = multiprocessing.get_context("spawn")  # (no fork of a process with threads)
        executor = concurrent.futures.ProcessPoolExecutor(
            1, mp_context=context, initializer=_ignore_interrupts
        )
        _FITS[key] = executor.submit(_point_fit, *key)
    executor.shutdown(wait=False)
    return True


def _ignore_interrupts():
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_FITS: dict = {}  # key -> opda fit, or the Future of one (start_point_fit); oldest first
_FITS_KEPT = 16
_FITS_LOCK = threading.Lock()


def _point_fit(data: bytes, threshold, maximize, constraints):
    from opda.parametric import NoisyQuadraticDistribution

    limits = (threshold, np.inf) if maximize else (-np.inf, threshold)
    return NoisyQuadraticDistribution.fit(
        np.frombuffer(data), limits=limits, constraints=dict(constraints), generator=np.random.default_rng(0)
    )
