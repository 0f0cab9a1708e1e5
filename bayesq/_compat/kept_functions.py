r"""PyTensor functions whose Numba code is kept on disk: loaded by a new process, not compiled again.

A compiled PyTensor function (Numba backend) costs a new process 0.3 to 0.8 s
before its first call, however warm PyTensor's own disk cache: the graph is
built and rewritten, then linked. The functions of the distribution
(:mod:`bayesq.stats`: log density, the one-sided tails) and of the pointwise
log-likelihood (:mod:`bayesq.loglik`) are the same in every process, so
:func:`kept_function` keeps each as a Numba function of its own file, named
by a key of all it depends on (:func:`bayesq.cache.compiled_key`, with the
function's name), in :func:`bayesq.cache.functions_dir`:

* ``function.py``: ``call(*inputs)``, which calls PyTensor's compiled graph
  (``FN``, set only while it compiles);
* Numba's cache of it (``__pycache__``);
* ``meta.pkl``: the inputs' ranks and the number of outputs, written last.

A later process imports the file and calls ``call`` once on small arrays of
the inputs' ranks (4 values along each axis): Numba loads it from its cache
without building the graph. Anything missing or stale (the probe fails) is compiled again; the folder
can be deleted at any time. Inputs are passed as C-contiguous float64 arrays
of the declared ranks (the one signature compiled).

This uses the Numba function PyTensor compiles for the whole graph
(``Function.vm.jit_fn``, as nutpie does); where a function has none, or the
cache cannot be written, the PyTensor function itself is used.
"""

from __future__ import annotations

import dataclasses
import logging
import pathlib
import sys
import threading
from collections.abc import Callable

import numpy as np

__all__ = ["kept_function"]

log = logging.getLogger("bayesq")
_LOCK = threading.Lock()


@dataclasses.dataclass(frozen=True)
class _Meta:
    ndims: tuple  # of the inputs
    n_outputs: int


def _source(name: str, n_inputs: int) -> str:
    args = ", ".join(f"x{i}" for i in range(n_inputs))
    return (
        f'"""bayesq\'s kept function {name!r} (written by bayesq._compat.kept_functions)."""\n\n'
        "FN = None  # PyTensor's compiled graph: set only while call compiles\n\n\n"
        f"def call({args}):\n"
        f"    return FN({args})\n"
    )


def _probe(meta: _Meta) -> list:
    """Inputs to load (or compile) the function with: 4 increasing values in (0, 1) along each axis."""
    return [np.linspace(0.2, 0.8, 4**ndim).reshape((4,) * ndim) for ndim in meta.ndims]


class KeptFunction:
    """A compiled function of float64 arrays: the cached Numba code of a PyTensor function."""

    def __init__(self, dispatcher, meta: _Meta):
        self._dispatcher = dispatcher
        self.meta = meta

    def __call__(self, *inputs):
        if len(inputs) != len(self.meta.ndims):
            raise TypeError(f"expected {len(self.meta.ndims)} inputs, got {len(inputs)}")
        arrays = []
        for x, ndim in zip(inputs, self.meta.ndims, strict=True):
            x = np.asarray(x, dtype=np.float64)  # (not ascontiguousarray: it makes a 0-d array 1-d)
            if not x.flags.c_contiguous:
                x = x.copy(order="C")
            if x.ndim != ndim:
                raise ValueError(f"an input of rank {ndim} was given rank {x.ndim}")
            arrays.append(x)
        try:
            outputs = self._dispatcher(*arrays)
        except SystemError as err:
            # Ctrl-C (or SIGTERM) handled while the compiled code was in Python (Numba unpickles its
            # constants on first use): Numba reports the interrupt as a SystemError caused by it
            cause = err.__cause__
            if isinstance(cause, BaseException) and not isinstance(cause, Exception):
                raise cause from None
            raise
        return outputs[0] if self.meta.n_outputs == 1 else list(outputs)


def _compile(folder: pathlib.Path, module_name: str, name: str, build):
    import numba

    from bayesq.cache import import_file, write_meta, write_source

    folder.mkdir(parents=True, exist_ok=True)
    function = build()
    inputs = function.maker.fgraph.inputs
    if any(getattr(v.type, "dtype", None) != "float64" for v in inputs):
        raise TypeError("only functions of float64 inputs are kept")
    meta = _Meta(ndims=tuple(int(v.type.ndim) for v in inputs), n_outputs=len(function.maker.fgraph.outputs))
    jit = function.vm.jit_fn
    source = _source(name, len(inputs))
    write_source(folder / "function.py", source)
    module = import_file(folder / "function.py", module_name)
    module.FN = jit
    try:
        dispatcher = numba.njit(cache=True)(module.call)
        dispatcher(*_probe(meta))  # compiles, and saves to Numba's cache
    finally:
        module.FN = None
    write_meta(folder, meta)
    return dispatcher, meta


def _load(folder: pathlib.Path, module_name: str):
    import numba

    from bayesq.cache import import_file, read_meta

    meta = read_meta(folder, _Meta)
    module = import_file(folder / "function.py", module_name)
    dispatcher = numba.njit(cache=True)(module.call)
    dispatcher(*_probe(meta))  # with FN unset, Numba can only load it
    return dispatcher, meta


def kept_function(name: str, build: Callable):
    """The PyTensor function ``build()`` as Numba code kept on disk (module docstring).

    Parameters
    ----------
    name : str
        What the function computes, unique among bayesq's kept functions
        (with bayesq's sources, it names the function's folder).
    build : callable
        Makes the PyTensor function (Numba backend; float64 inputs, no
        shared variables), called only when it must be compiled.

    Returns
    -------
    callable
        Takes the inputs (array-likes of the declared ranks), returns the
        output (a list of them if several). ``build()`` itself where the
        function cannot be kept.
    """
    from bayesq.cache import compiled_key, functions_dir

    key = compiled_key("kept function", name)
    folder = functions_dir() / key
    module_name = f"bayesq_function_{key}"
    with _LOCK:
        try:
            return KeptFunction(*_load(folder, module_name))
        except Exception as err:  # (anything missing or stale is compiled afresh)
            log.debug("kept function %s (%s) compiled: %s: %s", name, key, type(err).__name__, err)
        sys.modules.pop(module_name, None)
        try:
            return KeptFunction(*_compile(folder, module_name, name, build))
        except Exception as err:  # (a folder that cannot be written, a graph Numba cannot take)
            log.debug("kept function %s not kept (%s: %s)", name, type(err).__name__, err)
            return build()
