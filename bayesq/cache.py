"""Where bayesq keeps what it compiles: one folder per machine and user, safe to delete.

A fit's program (its log density and gradient, compiled by Numba for
nutpie) is compiled by the first process that needs it and kept in
``programs/`` of this folder (:mod:`bayesq._compat.nutpie_program`); later
processes load it in a fraction of a second. Deleting the folder, or any part
of it, is safe at any time: what is missing is compiled again (and the
first fit after takes as long as on a new machine). PyTensor keeps its own
compiled functions apart, in its ``compiledir``.

The folder is ``$BAYESQ_CACHE_DIR`` if set, else ``bayesq`` in
``$XDG_CACHE_HOME`` (``~/.cache`` by default).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.metadata
import importlib.util
import os
import pathlib
import pickle
import platform
import shutil
import sys

__all__ = [
    "cache_dir",
    "clear_cache",
    "compiled_folders",
    "compiled_key",
    "functions_dir",
    "import_file",
    "package_version",
    "programs_dir",
    "read_meta",
    "write_meta",
    "write_source",
]

_FORMAT = 2  # of the folders; a change of layout changes every key
# what compiled code depends on besides bayesq's own text
_VERSIONED = ("numpy", "numba", "llvmlite", "pytensor", "pymc", "nutpie", "bayesq")


def cache_dir() -> pathlib.Path:
    """The folder bayesq caches compiled programs in (module docstring).

    Examples
    --------
    >>> from bayesq.cache import cache_dir, functions_dir, programs_dir
    >>> programs_dir().parent == cache_dir() == functions_dir().parent
    True
    """
    given = os.environ.get("BAYESQ_CACHE_DIR", "").strip()
    if given:
        return pathlib.Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or pathlib.Path.home() / ".cache"
    return pathlib.Path(base).expanduser() / "bayesq"


def programs_dir() -> pathlib.Path:
    """The folder of compiled fit programs, one subfolder per program."""
    return cache_dir() / "programs"


def functions_dir() -> pathlib.Path:
    """The folder of compiled functions of the distribution (:mod:`bayesq._compat.kept_functions`)."""
    return cache_dir() / "functions"


def compiled_folders() -> list[pathlib.Path]:
    """The folder of each compiled program and function kept now."""
    kinds = (programs_dir(), functions_dir())
    return [entry for kind in kinds if kind.is_dir() for entry in kind.iterdir() if entry.is_dir()]


def clear_cache() -> int:
    """Delete the compiled programs and functions; returns how many there were (compiled again when used)."""
    count = len(compiled_folders())
    for kind in (programs_dir(), functions_dir()):
        shutil.rmtree(kind, ignore_errors=True)
    return count


def package_version(name: str) -> str:
    """The installed version of the distribution ``name``, or ``"absent"``."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


@functools.cache
def _sources_digest() -> str:
    """Digest of the text of bayesq's modules (any edit of the code is new compiled code)."""
    root = pathlib.Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def compiled_key(*parts) -> str:
    """The name of a cached compiled program: a digest of all it depends on, and of ``parts``.

    The versions of Python, NumPy, Numba, llvmlite, PyTensor, PyMC, nutpie
    and bayesq, the text of bayesq's modules, ``PYTENSOR_FLAGS``, and each
    part's ``repr``.
    """
    lines = [
        f"format={_FORMAT}",
        f"python={sys.version}",
        f"machine={platform.machine()}",
        *(f"{name}={package_version(name)}" for name in _VERSIONED),
        f"sources={_sources_digest()}",
        f"PYTENSOR_FLAGS={os.environ.get('PYTENSOR_FLAGS', '')}",
        *(repr(part) for part in parts),
    ]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]


def import_file(path: pathlib.Path, name: str):
    """The Python file ``path`` imported as the module ``name`` (kept in ``sys.modules``: Numba's cache
    finds the module of a cached function by name)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def write_source(path: pathlib.Path, text: str) -> None:
    """Write the generated Python file ``path`` whole, unless it already holds ``text``.

    Left as it is when unchanged: Numba's cache of its functions is valid only
    for the file's timestamp.
    """
    from bayesq.files import atomic_file

    if not path.exists() or path.read_text() != text:
        with atomic_file(path) as tmp:
            pathlib.Path(tmp).write_text(text)


def write_meta(folder: pathlib.Path, meta) -> None:
    """Pickle ``meta`` as ``folder/meta.pkl``, whole: written last, it marks the folder complete."""
    from bayesq.files import atomic_file

    with atomic_file(folder / "meta.pkl") as tmp:
        pathlib.Path(tmp).write_bytes(pickle.dumps(meta))


def read_meta(folder: pathlib.Path, kind: type):
    """The ``meta.pkl`` of ``folder``, if it is a complete ``kind`` (a dataclass); raises otherwise."""
    meta = pickle.loads((folder / "meta.pkl").read_bytes())
    if not isinstance(meta, kind) or not all(hasattr(meta, f.name) for f in dataclasses.fields(kind)):
        raise TypeError(f"{folder / 'meta.pkl'} holds no {kind.__name__} of this format")
    return meta
