"""The few places where bayesq uses what other libraries do not publish as API, one module each.

Each use has a guard that checks it still works (a version guard, or a probe of
the behaviour) and says what moved instead of failing somewhere deep
(:class:`UpstreamChanged`), the reason it is needed, and the upstream issue it
waits on; ``tests/test_compat*.py`` fail loudly when an upstream release
changes one of them.

* :mod:`bayesq._compat.arviz_stats`: the simultaneous band of an ECDF
  (:func:`~bayesq._compat.arviz_stats.ecdf_band`, SBC and the tail PIT).
* :mod:`bayesq._compat.blackjax`: blackjax's steppable window adaptation,
  for :func:`bayesq.fit_batch`.
* :mod:`bayesq._compat.nutpie_program`: nutpie's compiled model of a fit
  kept on disk, so that a new process loads it instead of compiling it
  (nutpie's model class, built with callbacks of our own); outside the
  tested nutpie releases, nutpie compiles in each process as it does by
  default.
* :mod:`bayesq._compat.kept_functions`: the Numba code PyTensor compiles
  for a whole function (``Function.vm.jit_fn``), kept on disk for the
  distribution's and the log-likelihood's functions; where a function has
  none, the PyTensor function is used.
* :mod:`bayesq._compat.libmvec`: glibc's SIMD ``exp``/``log`` for the Numba
  program of a fit (an LLVM option and PyTensor's Numba cache path), used
  only where a probe shows that LLVM obeys it.
"""

from __future__ import annotations

import importlib.metadata

__all__ = ["TESTED", "UpstreamChanged", "moved"]

# the releases these uses were written against and tested with (lower bound) and the first that may
# move them (upper bound: a newer release is tried, and a missing name raises UpstreamChanged)
TESTED = {"arviz-stats": ("1.3", "2"), "blackjax": ("1.2", "1.6"), "nutpie": ("0.16", "0.17")}


class UpstreamChanged(ImportError):
    """A library changed what bayesq relies on (module docstring); the message says what."""


def moved(package: str, what: str, err: Exception) -> UpstreamChanged:
    """The error that says ``package`` no longer has ``what``, and which releases bayesq was tested with."""
    low, high = TESTED[package]
    try:
        installed = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return UpstreamChanged(f"{package} is not installed ({what}): pip install 'bayesq[jax]'")
    return UpstreamChanged(
        f"{package} {installed} no longer has {what} ({err}); bayesq was tested "
        f"with {package} >= {low}, < {high}: install such a release, or report it to bayesq"
    )
