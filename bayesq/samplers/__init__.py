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
(:func:`interrupts_raised`) and ``quiet`` silences the libraries' logging.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import warnings

from bayesq.samplers.options import (
    DEPTH_KEYWORDS,
    SAMPLERS,
    TARGET_ACCEPT,
    SamplerOptions,
    available_samplers,
    user_depth_cap,
)

__all__ = [
    "DEPTH_KEYWORDS",
    "SAMPLERS",
    "TARGET_ACCEPT",
    "SamplerOptions",
    "available_samplers",
    "interrupts_raised",
    "quiet_logging",
    "sample",
    "user_depth_cap",
]

_log = logging.getLogger("bayesq")


@contextlib.contextmanager
def quiet_logging(enabled: bool):
    """Silence PyMC's and the samplers' informational logging (warnings stay)."""
    if not enabled:
        yield
        return
    loggers = [logging.getLogger(name) for name in ("pymc", "jax", "numpyro")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


@contextlib.contextmanager
def interrupts_raised():
    """Make Ctrl-C stop the block, even where a library would drop or absorb it.

    Ctrl-C raises ``KeyboardInterrupt`` at once, as always, but two places
    would lose it: PyMC's samplers catch it and return the draws made so
    far (a fit of part of its draws would pass for a whole one), and an
    interrupt that lands in a ctypes callback of Numba's compiler (LLVM's
    object cache) is printed as "Exception ignored" and dropped. So the
    handler records each interrupt; a dropped one is signalled again (it
    lands, at the latest, when the compiler is back in Python), and the
    block raises ``KeyboardInterrupt`` when it ends if one came. Main
    thread only (where Python handles signals), and not where the user made
    the process ignore SIGINT.
    """
    default = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or default is signal.SIG_IGN:
        yield
        return
    came = []
    unraisable = sys.unraisablehook

    def record(signum, frame):
        came.append(signum)
        raise KeyboardInterrupt

    def dropped(info):
        if issubclass(info.exc_type, KeyboardInterrupt):
            # again, soon: from another thread, so that it lands outside the callback that dropped it
            threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGINT)).start()
        else:
            unraisable(info)

    signal.signal(signal.SIGINT, record)
    sys.unraisablehook = dropped
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, default)
        sys.unraisablehook = unraisable
    if came:
        raise KeyboardInterrupt


def sample(model, options: SamplerOptions, compiled=None):
    """The posterior of ``model`` drawn with NUTS as ``options`` say (an :class:`xarray.DataTree`).

    ``compiled``, for nutpie: the model already compiled by nutpie (the
    cached program of :func:`bayesq.samplers.nutpie.search_program`),
    sampled instead of compiling ``model``, which still names the observed
    data.
    """
    if not options.quiet:
        _log.info(
            f"sampling {options.chains} chains x {options.draws} draws (tune {options.tune}) "
            f"with {options.sampler}"
        )
    with quiet_logging(options.quiet), interrupts_raised(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not enough devices.*")
        if options.sampler == "nutpie":
            from bayesq.samplers import nutpie

            return nutpie.sample(model, options, compiled)
        if options.sampler == "pymc":
            from bayesq.samplers import pymc

            return pymc.sample(model, options)
        from bayesq.samplers import jax

        return jax.sample(model, options)
