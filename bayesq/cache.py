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

import os
import pathlib
import shutil

__all__ = ["cache_dir", "clear_cache", "programs_dir"]


def cache_dir() -> pathlib.Path:
    """The folder bayesq caches compiled programs in (module docstring).

    Examples
    --------
    >>> import os
    >>> os.environ["BAYESQ_CACHE_DIR"] = "/tmp/bayesq-cache"
    >>> str(cache_dir())
    '/tmp/bayesq-cache'
    >>> del os.environ["BAYESQ_CACHE_DIR"]
    """
    given = os.environ.get("BAYESQ_CACHE_DIR", "").strip()
    if given:
        return pathlib.Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or pathlib.Path.home() / ".cache"
    return pathlib.Path(base).expanduser() / "bayesq"


def programs_dir() -> pathlib.Path:
    """The folder of compiled fit programs, one subfolder per program."""
    return cache_dir() / "programs"


def clear_cache() -> int:
    """Delete the compiled programs; returns how many there were. The next fit compiles afresh."""
    folder = programs_dir()
    if not folder.is_dir():
        return 0
    count = sum(1 for entry in folder.iterdir() if entry.is_dir())
    shutil.rmtree(folder)
    return count
