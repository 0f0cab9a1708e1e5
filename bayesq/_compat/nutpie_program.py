r"""nutpie's compiled program of a fit, kept on disk: compiled once per machine, not once per process.

:func:`nutpie.compile_pymc_model` (Numba backend) builds a PyMC model's log
density and gradient in PyTensor, rewrites and compiles them with Numba
(PyTensor caches that step on disk), then wraps them in two C callbacks with
``numba.cfunc``: one the sampler calls for :math:`(\log p, \nabla\log p)`, one
that maps a draw to the variables of the trace. The wrapping is not cached,
and the graph must be built and rewritten again before it: in every new
process, longer than the sampling of a default fit
(docs/validation/performance.md).

:func:`load_program` keeps the callbacks in a folder of the cache
(:func:`bayesq.cache.cache_dir`), named by a key of all the program depends
on (:func:`program_key`): the versions of Python, NumPy, Numba, llvmlite,
PyTensor, PyMC, nutpie and bayesq, the text of bayesq's modules, the model's
setting (direction, ``n_hyperparameters``, priors), ``PYTENSOR_FLAGS`` and
whether glibc's vector library is used. The folder holds

* ``program.py``: the two callbacks, written for this model (how many draws
  coordinates, which data arrays each reads and their ranks);
* Numba's cache of them (``__pycache__``, by Numba's rules: the CPU, the
  signature and the text of the file);
* ``meta.pkl``: what nutpie needs beside them (names, shapes and slices of
  the variables, dims and coords), written last.

The data stay inputs: each callback reads them through a pointer (its
``user_data``), a table of ``int64``: for each data array in
:data:`bayesq.model.DATA` order, its address, then its shape. The first
process compiles the callbacks against PyTensor's compiled function (they
call it); a later one loads them from Numba's cache without building the
graph. If anything is missing or does not load, the program is compiled
again and the folder rewritten: the cache can be deleted at any time.

A return code other than 0 tells nutpie that the log density failed: a
positive one (an exception, a value or gradient not finite) is taken as a
divergence, a negative one (the wrong number of coordinates) as an error.

This uses nutpie's internals (:class:`nutpie.compile_pymc.CompiledPyMCModel`,
built with fields of our own; its steps before the callbacks,
``_make_functions`` and ``_prepare_dims_and_coords``; and the ``vm.jit_fn``
of PyTensor's Numba function that nutpie itself calls): ``bayesq._compat.TESTED["nutpie"]`` is
the range of nutpie releases it is tested with (:func:`supported`); outside
it, :func:`load_program` is not used and nutpie compiles in each process, as
it does by default.
"""

from __future__ import annotations

import dataclasses
import logging
import pathlib
import sys
import threading

import numpy as np

from bayesq.cache import package_version as _version

__all__ = ["address", "load_program", "program_key", "supported"]

log = logging.getLogger("bayesq")

_LOCK = threading.Lock()  # one compilation at a time in a process


def supported() -> bool:
    """Whether the installed nutpie is a release :mod:`bayesq._compat.nutpie_program` is tested with."""
    from bayesq._compat import TESTED

    def release(version: str) -> tuple:
        return tuple(int(part) for part in version.split(".")[:2])

    low, high = TESTED["nutpie"]
    try:
        return release(low) <= release(_version("nutpie")) < release(high)
    except ValueError:  # (not installed, or not a release number)
        return False


def program_key(setting, vectorized: bool) -> str:
    """The name of a program's folder (:func:`bayesq.cache.compiled_key` of the setting and ``vectorized``).

    ``setting`` is the model's (hashable, with a faithful ``repr``), ``vectorized``
    whether it is compiled with libmvec.
    """
    from bayesq.cache import compiled_key

    return compiled_key("nutpie program", setting, f"libmvec={vectorized}")


def _address_intrinsic():
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    @intrinsic
    def address(typingctx, value):
        """The ``void *`` at the integer ``value`` (an address read from the data table)."""

        def codegen(context, builder, signature, args):
            return builder.inttoptr(args[0], cgutils.voidptr_t)

        return types.voidptr(value), codegen

    return address


address = _address_intrinsic()


def _table(names, ndims) -> dict[str, int]:
    """Where each data array's entry starts in the ``user_data`` table: its address, then its shape."""
    offsets, at = {}, 0
    for name in names:
        offsets[name] = at
        at += 1 + ndims[name]
    return offsets


def _arrays(args, offsets, ndims, indent: str) -> list[str]:
    lines = []
    for i, name in enumerate(args):
        start = offsets[name]
        shape = "".join(f"table[{start + 1 + d}], " for d in range(ndims[name]))
        lines.append(f"{indent}d{i} = numba.carray(address(table[{start}]), ({shape}), np.float64)")
    return lines


_HEADER = '''"""nutpie's C callbacks for bayesq's program {key} (written by bayesq._compat.nutpie_program)."""

import numba
import numpy as np

from bayesq._compat.nutpie_program import address

LOGP = None  # PyTensor's compiled (log p, gradient): set only while the callbacks compile
EXPAND = None  # PyTensor's compiled draw -> trace variables: the same
'''


def _source(key: str, n_dim: int, n_expanded: int, logp_args, expand_args, names, ndims) -> str:
    """The text of ``program.py``: the two callbacks, unrolled for this model's data."""
    offsets = _table(names, ndims)
    size = sum(1 + ndims[name] for name in names)
    logp_call = ", ".join(["x", *(f"d{i}" for i in range(len(logp_args)))])
    expand_call = ", ".join(["x", *(f"d{i}" for i in range(len(expand_args)))])
    body = [
        _HEADER.format(key=key),
        "",
        "def logp(n, x_, grad_, logp_, data_):",
        f"    if n != {n_dim}:",
        "        return -1",
        "    try:",
        f"        table = numba.carray(data_, ({size},), np.int64)",
        *_arrays(logp_args, offsets, ndims, "        "),
        f"        x = numba.carray(x_, ({n_dim},))",
        f"        value, gradient = LOGP({logp_call})",
        f"        grad = numba.carray(grad_, ({n_dim},))",
        "        grad[:] = gradient",
        "        total = numba.carray(logp_, ())",
        "        total[()] = value",
        "        if not np.all(np.isfinite(grad)):",
        "            return 3",
        "        if not np.isfinite(total[()]):",
        "            return 4",
        "    except Exception:",
        "        return 1",
        "    return 0",
        "",
        "",
        "def expand(n, n_out, x_, out_, data_):",
        f"    if n != {n_dim} or n_out != {n_expanded}:",
        "        return -1",
        "    try:",
        f"        table = numba.carray(data_, ({size},), np.int64)",
        *_arrays(expand_args, offsets, ndims, "        "),
        f"        x = numba.carray(x_, ({n_dim},))",
        f"        (values,) = EXPAND({expand_call})",
        f"        out = numba.carray(out_, ({n_expanded},))",
        "        out[:] = values",
        "    except Exception:",
        "        return -2",
        "    return 0",
        "",
    ]
    return "\n".join(body)


def _signatures():
    from numba import types

    double = types.CPointer(types.double)
    logp = types.int64(types.uint64, double, double, double, types.voidptr)
    expand = types.int64(types.uint64, types.uint64, double, double, types.voidptr)
    return logp, expand


def _module(folder: pathlib.Path, key: str):
    """``program.py`` of ``folder`` imported as a module of its own."""
    from bayesq.cache import import_file

    return import_file(folder / "program.py", f"bayesq_program_{key}")


def _callbacks(module):
    """The module's callbacks compiled as C functions, from Numba's cache when it has them."""
    import numba

    logp_sig, expand_sig = _signatures()
    return numba.cfunc(logp_sig, cache=True)(module.logp), numba.cfunc(expand_sig, cache=True)(module.expand)


def initial_point_function(model, names):
    """nutpie's default start (PyMC's initial point, every free variable jittered) as one flat array.

    The same function on a fresh compile and on a program loaded from disk, so
    that a seed gives the same draws in both.
    """
    from pymc.initial_point import make_initial_point_fn

    point = make_initial_point_fn(
        model=model, default_strategy="support_point", jitter_rvs=set(model.free_RVs), return_transformed=True
    )
    lock = threading.Lock()  # PyTensor functions are not thread-safe; nutpie calls this from its threads

    def start(seed=None):
        with lock:
            values = point(seed)
        return np.concatenate([np.asarray(values[n], dtype="float64").reshape(-1) for n in names])

    return start


# CompiledPyMCModel's fields that hold the compiled code and the data: made anew in each process
_MADE_HERE = (
    "compiled_logp_func",
    "compiled_expand_func",
    "initial_point_func",
    "shared_data",
    "shared_var_keys",
    "user_data",
    "logp_func",
    "expand_func",
)


@dataclasses.dataclass(frozen=True)
class _Meta:
    """What nutpie needs of a program beside its callbacks (pickled as ``meta.pkl``)."""

    fields: dict  # CompiledPyMCModel's other fields (shapes, names, dims, coords, ...), as nutpie made them
    names: tuple  # the data arrays, in the table's order
    ndims: dict


def _user_data(names, ndims, values: dict) -> tuple[np.ndarray, dict]:
    """The table the callbacks read (module docstring), and the arrays it points to (kept alive with it)."""
    arrays, table = {}, []
    for name in names:
        value = np.array(values[name], dtype="float64", order="C", copy=True)
        if value.ndim != ndims[name]:
            raise ValueError(f"data {name!r} must have rank {ndims[name]}, not {value.ndim}")
        value.flags.writeable = False
        arrays[name] = value
        table.extend([value.ctypes.data, *value.shape])
    return np.array(table, dtype=np.int64), arrays


def _program_class():
    from nutpie.compile_pymc import CompiledPyMCModel

    @dataclasses.dataclass(frozen=True)
    class DiskProgram(CompiledPyMCModel):
        """nutpie's compiled PyMC model whose callbacks come from the disk cache (:func:`load_program`)."""

        data_names: tuple = ()
        data_ndims: dict = dataclasses.field(default_factory=dict)

        def with_data(self, **updates):
            """The program fed other values of its data arrays (by name); the others are kept."""
            unknown = sorted(set(updates) - set(self.data_names))
            if unknown:
                raise KeyError(f"unknown data: {', '.join(unknown)} (known: {', '.join(self.data_names)})")
            values = {**self.shared_data, **updates}
            user_data, arrays = _user_data(self.data_names, self.data_ndims, values)
            return dataclasses.replace(self, shared_data=arrays, user_data=user_data)

    return DiskProgram


def _build(meta: _Meta, logp, expand, start, values: dict):
    user_data, arrays = _user_data(meta.names, meta.ndims, values)
    return _program_class()(
        **meta.fields,
        compiled_logp_func=logp,
        compiled_expand_func=expand,
        initial_point_func=start,
        shared_data=arrays,
        shared_var_keys={},
        user_data=user_data,
        logp_func=None,
        expand_func=None,
        data_names=meta.names,
        data_ndims=meta.ndims,
    )


def _functions(model, compile_kwargs: dict):
    """What :func:`nutpie.compile_pymc_model` makes before its own C callbacks: the fields of its model
    that describe the variables, and PyTensor's compiled log density (with gradient) and trace map.

    Its steps for the Numba backend, without the callbacks (which :func:`_callbacks` replaces):
    ``_make_functions`` and ``_prepare_dims_and_coords`` of :mod:`nutpie.compile_pymc`.
    """
    from nutpie import compile_pymc

    if compile_kwargs.get("backend", "numba") != "numba" or compile_kwargs.get("gradient_backend") not in (
        None,
        "pytensor",
    ):
        raise ValueError(f"only nutpie's Numba backend is kept on disk, not {compile_kwargs}")
    n_dim, n_expanded, logp_function, expand_function, _, shape_info, reparameterized = (
        compile_pymc._make_functions(
            model,
            mode="NUMBA",
            compute_grad=True,
            join_expanded=True,
            pymc_initial_point_fn=None,  # (only wrapped there; the start is initial_point_function's)
        )
    )
    dims, coords = compile_pymc._prepare_dims_and_coords(model, shape_info, reparameterized)
    fields = dict(
        dims=dims,
        reparameterized_names=reparameterized,
        n_expanded=n_expanded,
        shape_info=shape_info,
        _n_dim=n_dim,
        _shapes={name: tuple(shape) for name, _, shape in zip(*shape_info, strict=True)},
        _coords=coords,
        _transform_adapt_args=None,
    )
    return fields, logp_function, expand_function


def _compile(folder: pathlib.Path, key: str, model, shared: dict, compile_kwargs: dict):
    """Compile the program's functions, write ``program.py``, compile its callbacks into Numba's cache."""
    from bayesq.cache import write_meta, write_source

    folder.mkdir(parents=True, exist_ok=True)  # (first: a folder that cannot be made fails at once)
    fields, logp_function, expand_function = _functions(model, compile_kwargs)
    names = tuple(shared)
    ndims = {name: int(np.ndim(shared[name].get_value())) for name in names}
    logp_args = [v.name for v in logp_function.get_shared()]
    expand_args = [v.name for v in expand_function.get_shared()]
    meta = _Meta(fields=fields, names=names, ndims=ndims)
    source = _source(key, fields["_n_dim"], fields["n_expanded"], logp_args, expand_args, names, ndims)
    write_source(folder / "program.py", source)
    module = _module(folder, key)
    module.LOGP = logp_function.vm.jit_fn
    module.EXPAND = expand_function.vm.jit_fn
    try:
        callbacks = _callbacks(module)
    finally:
        module.LOGP = module.EXPAND = None
    write_meta(folder, meta)
    return meta, callbacks


def _load(folder: pathlib.Path, key: str):
    """The program's metadata and callbacks from ``folder``; raises if either is missing or does not load."""
    from bayesq.cache import read_meta

    meta = read_meta(folder, _Meta)
    module = _module(folder, key)
    return meta, _callbacks(module)  # with LOGP unset, Numba can only load them, not compile them


def load_program(model, shared: dict, setting, compile_kwargs: dict, root: pathlib.Path, vectorized: bool):
    """nutpie's compiled ``model`` from the program folder of ``root``, compiling it there first if needed.

    Parameters
    ----------
    model : pymc.Model
        The model, its data the shared variables ``shared`` (name: variable).
    shared : dict
        The data, each a float64 PyTensor shared variable.
    setting : hashable
        What else makes the model (a part of :func:`program_key`).
    compile_kwargs : dict
        :func:`nutpie.compile_pymc_model`'s keywords (the Numba backend).
    root : pathlib.Path
        The cache's folder of programs.
    vectorized : bool
        Whether the program is compiled with libmvec (a part of the key).

    Returns
    -------
    nutpie.compile_pymc.CompiledPyMCModel
        With the data of ``shared`` as they are; ``with_data(name=values)`` feeds others.
    """
    key = program_key(setting, vectorized)
    folder = root / key
    with _LOCK:
        try:
            meta, (logp, expand) = _load(folder, key)
            log.debug("nutpie program %s loaded from %s", key, folder)
        except Exception as err:  # (anything missing or stale is compiled afresh)
            log.debug("nutpie program %s compiled (%s: %s)", key, type(err).__name__, err)
            sys.modules.pop(f"bayesq_program_{key}", None)
            meta, (logp, expand) = _compile(folder, key, model, shared, compile_kwargs)
    start = initial_point_function(model, meta.fields["shape_info"][0][: len(model.free_RVs)])
    return _build(meta, logp, expand, start, {name: var.get_value() for name, var in shared.items()})
