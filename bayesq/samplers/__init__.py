"""NUTS on four samplers, one module each, as PyMC's ``sampling`` package keeps its external samplers.

:func:`sample` draws a model's posterior with the sampler its
:class:`SamplerOptions` name:

* ``"nutpie"`` (:mod:`bayesq.samplers.nutpie`; the default when installed),
  on the cached Numba program of :mod:`bayesq.samplers.nutpie`'s
  :func:`~bayesq.samplers.nutpie.search_program`, or on the model compiled to
  JAX (``backend="jax"``);
* ``"pymc"`` (:mod:`bayesq.samplers.pymc`): PyMC's own NUTS;
* ``"numpyro"`` and ``"blackjax"`` (:mod:`bayesq.samplers.jax`): PyMC's JAX
  bridge, the GPU path.

Every sampler explores the same posterior; they differ in speed only
(``benchmarks/bench_fit.py``). While one samples, Ctrl-C stops it
(:func:`bayesq.signals.raised`) and ``quiet`` silences the libraries' logging.
"""

from __future__ import annotations

import contextlib
import logging
import warnings

from bayesq import signals
from bayesq.samplers.options import (
    DEPTH_KEYWORDS,
    EXTEND_FACTOR,
    SAMPLERS,
    TARGET_ACCEPT,
    SamplerOptions,
    available_samplers,
    user_depth_cap,
)

__all__ = [
    "DEPTH_KEYWORDS",
    "EXTEND_FACTOR",
    "SAMPLERS",
    "TARGET_ACCEPT",
    "SamplerOptions",
    "available_samplers",
    "note",
    "quiet_logging",
    "sample",
    "user_depth_cap",
]

_log = logging.getLogger("bayesq")


def note(options, text: str) -> None:
    """One of bayesq's progress notes ("sampling 4 chains ..."), unless ``options.quiet``: a message of
    the ``bayesq`` logger at level INFO, which the command line prints to stderr."""
    if not options.quiet:
        _log.info(text)


# the libraries that log while they compile and sample ("Sampling: [...]"): quiet silences them
CHATTY_LOGGERS = ("pymc", "pytensor", "jax", "numpyro", "nutpie", "arviz")


@contextlib.contextmanager
def quiet_logging(enabled: bool):
    """Silence PyMC's and the samplers' informational logging (warnings stay)."""
    if not enabled:
        yield
        return
    loggers = [logging.getLogger(name) for name in CHATTY_LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def sample(model, options: SamplerOptions, compiled=None, marks=None, stop=None, watch: bool = False):
    """The posterior of ``model`` drawn with NUTS as ``options`` say (an :class:`xarray.DataTree`).

    ``compiled``, for nutpie: the model already compiled by nutpie (the
    cached program of :func:`bayesq.samplers.nutpie.search_program`),
    sampled instead of compiling ``model``, which still names the observed
    data. ``marks`` and ``stop``, for nutpie: draws per chain at which the
    draws so far are judged, the last one the draws made at most, and the
    judge (:func:`bayesq.samplers.nutpie.sample`); the sampling ends at the
    first mark at which ``stop`` says so
    (:func:`bayesq.samplers.extension.sample_until`); ``watch``: a chain
    that gets stuck raises :class:`bayesq.samplers.nutpie.StuckChain`.
    """
    budget = (
        f"; on to {options.max_draws} until the convergence standard holds"
        if options.max_draws is not None and options.max_draws > options.draws
        else ""
    )
    note(
        options,
        f"sampling {options.chains} chains x {options.draws} draws (tune {options.tune}{budget}) "
        f"with {options.sampler}",
    )
    with quiet_logging(options.quiet), signals.raised(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not enough devices.*")
        if options.sampler == "nutpie":
            from bayesq.samplers import nutpie

            return nutpie.sample(model, options, compiled, marks, stop, watch=watch)
        if options.sampler == "pymc":
            from bayesq.samplers import pymc

            return pymc.sample(model, options)
        from bayesq.samplers import jax

        return jax.sample(model, options)
