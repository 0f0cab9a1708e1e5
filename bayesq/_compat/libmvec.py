r"""SIMD exponentials and logarithms for the Numba program of a fit: glibc's libmvec.

A fit's time is the log density and gradient of the likelihood, and most of
that is one ``exp`` and one ``log`` for each of 86 quadrature nodes of each
tail score (:mod:`bayesq.logdensity`). Numba compiles them to scalar calls
of the C library's ``exp``/``log``, because
the vector math library it used to ask LLVM for (Intel's SVML) is absent
from PyPI's llvmlite. LLVM's loop vectorizer knows a second one, glibc's
``libmvec`` (``-vector-library=LIBMVEC-X86``; ``LIBMVEC`` from LLVM 21),
which every x86-64 Linux with glibc >= 2.22 has: with it, the loops over
quadrature nodes call ``_ZGVdN4v_exp`` and ``_ZGVdN4v_log`` (four values a
call, at most 4 ulp from the correctly rounded result: far inside the
rule's 5e-11).

:func:`libmvec` turns this on *only while a program is compiled*, and keeps
what it compiles apart:

* the LLVM option is process-wide, so it is set on entry and reset to
  ``none`` on exit (under a lock): code a user compiles in the process
  before or after is not affected (Numba code another thread compiles
  during the window is vectorized and cached apart too: safe, since
  libmvec stays loaded);
* PyTensor caches each compiled Numba function on disk by a key that knows
  nothing of vector libraries; a cached function that calls libmvec would
  fail to link in a process that has not loaded it. While the option is
  set, PyTensor's Numba cache directory is redirected to a sibling,
  ``<base_compiledir>/numba-libmvec``, which only this context reads and
  writes.

Anything else (another OS or CPU, no libmvec, a PyTensor whose cache module
moved) makes :func:`libmvec` a no-op, as does the environment variable
``BAYESQ_LIBMVEC=0``. So does an LLVM that accepts the option and ignores it
(llvmlite >= 0.48, LLVM 22, does): before first use, a probe loop of
``exp`` is compiled with the option set, and :func:`libmvec` is used only if
its machine code calls libmvec. The wiring follows the approach discussed for
llvmlite (numba/llvmlite#1441) and PyTensor (pymc-devs/pytensor#2246), which
do not ship it yet.
"""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import threading

__all__ = ["libmvec", "libmvec_available"]

_LOCK = threading.RLock()  # re-entrant: a nested libmvec() in the same thread must not deadlock
_ACTIVE = [False]

# A fused loop of the gradient reads 17 arrays and writes 7; LLVM vectorizes a loop only if it can check at
# run time that none of them overlap, and by default gives up beyond 8 such
# checks (LoopAccessAnalysis) or 128 (LoopVectorize): then the loop stays
# scalar even with libmvec.
_MEMORY_CHECKS = {
    "runtime-memory-check-threshold": 1024,
    "vectorize-memory-check-threshold": 1024,
    "memory-check-merge-threshold": 1024,
}
_LLVM_DEFAULT_MEMORY_CHECKS = {
    "runtime-memory-check-threshold": 8,
    "vectorize-memory-check-threshold": 128,
    "memory-check-merge-threshold": 100,
}


def _set_options(llvm, options):
    for name, value in options.items():
        llvm.set_option("", f"-{name}={value}")


def _option_value() -> str:
    import llvmlite.binding as llvm

    return "LIBMVEC" if llvm.llvm_version_info[0] >= 21 else "LIBMVEC-X86"


@functools.cache
def _load() -> str | None:
    """Why libmvec cannot be used here, or None once it is loaded into the process."""
    if os.environ.get("BAYESQ_LIBMVEC", "1").strip() == "0":
        return "disabled by BAYESQ_LIBMVEC=0"
    if platform.system() != "Linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        return f"libmvec is for x86-64 Linux, not {platform.system()} {platform.machine()}"
    try:
        import llvmlite.binding as llvm
        import pytensor.link.numba.cache as numba_cache
    except ImportError as err:
        return f"Numba is not installed ({err})"
    if not hasattr(numba_cache, "NUMBA_CACHE_PATH"):
        return "this PyTensor's Numba cache cannot be kept apart"
    try:
        llvm.load_library_permanently("libmvec.so.1")
    except RuntimeError as err:
        return f"libmvec.so.1 could not be loaded ({err})"
    if not _probe_vectorizes(llvm):
        return (
            f"LLVM {'.'.join(map(str, llvm.llvm_version_info))} ignores -vector-library "
            "(a probe loop of exp compiled with it calls no libmvec function)"
        )
    return None


def _probe_vectorizes(llvm) -> bool:
    """Whether Numba code compiled with the vector-library option calls libmvec (its ``_ZGV`` symbols)."""
    import numba
    import numpy as np

    with _LOCK:
        _set_options(llvm, {"vector-library": _option_value()})
        try:

            @numba.njit(fastmath=True, cache=False)
            def probe(x, out):  # pragma: no cover (compiled by Numba)
                for i in range(x.size):
                    out[i] = np.exp(x[i])

            probe(np.zeros(8), np.empty(8))
            machine_code = "\n".join(probe.inspect_asm().values())
        finally:
            _set_options(llvm, {"vector-library": "none"})
    return "_ZGV" in machine_code


def libmvec_available() -> bool:
    """Whether :func:`libmvec` vectorizes here (x86-64 Linux, glibc's libmvec, Numba, an LLVM that obeys).

    The reason it does not is ``bayesq._compat.libmvec._load()``.
    """
    return _load() is None


@contextlib.contextmanager
def libmvec():
    """Within: Numba code compiled through PyTensor calls libmvec's SIMD ``exp``/``log``.

    Yields True when the vector library is in use, False where it is not
    available (then nothing changes). The module docstring says what is set
    and restored.
    """
    if _load() is not None:
        yield False
        return
    import llvmlite.binding as llvm
    import pytensor.link.numba.cache as numba_cache

    with _LOCK:
        if _ACTIVE[0]:  # nested in this thread: already set, and restored by the outer one
            yield True
            return
        _ACTIVE[0] = True
        default_path = numba_cache.NUMBA_CACHE_PATH
        separate = default_path.with_name(default_path.name + "-libmvec")
        separate.mkdir(parents=True, exist_ok=True)
        numba_cache.NUMBA_CACHE_PATH = separate
        _set_options(llvm, {"vector-library": _option_value(), **_MEMORY_CHECKS})
        try:
            yield True
        finally:
            _set_options(llvm, {"vector-library": "none", **_LLVM_DEFAULT_MEMORY_CHECKS})
            numba_cache.NUMBA_CACHE_PATH = default_path
            _ACTIVE[0] = False
