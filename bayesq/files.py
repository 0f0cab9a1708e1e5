r"""Files and directories written whole or not at all, and saved fits that prove they are whole.

Nothing a user has is lost, and nothing bayesq writes is ever half there:

* :func:`atomic_file`: a file is written beside its destination and renamed
  onto it at the end, so the destination holds the old file or the whole new
  one.
* :class:`OutputDirectory`: an output directory (the command line's
  ``--out``) is filled in a hidden temporary directory beside it and renamed
  into place at the end. Every directory bayesq writes carries a marker file
  (:data:`MARKER`) listing what bayesq put there, and bayesq replaces only
  such a directory, only when asked (``replace=True``, the CLI's
  ``--force``), and never one that holds other files, the working directory
  or a parent of it, or the input of the command. Whether the destination can
  be written is checked when the directory is prepared, before any work. The
  final rename is atomic (Linux ``renameat2``: ``RENAME_NOREPLACE`` for a new
  directory, ``RENAME_EXCHANGE`` for a replaced one, whose identity and
  marker are checked again after the exchange), so a directory that appears
  or changes while bayesq works is left as it is; elsewhere a plain rename,
  which cannot replace a directory holding files, does the same for all but
  an empty directory.
* :func:`save_netcdf` / :func:`read_netcdf`: a fit's netCDF file records a
  SHA-256 checksum of its contents (:func:`checksum`), which reading
  verifies: a truncated, empty, foreign or corrupted file is refused with one
  message naming it (:class:`~bayesq.exceptions.SavedFitError`).

Files and directories get the permissions of any the user creates (the
umask's). Interrupts (``KeyboardInterrupt``) are held back while a rename
and its clean-up run, so that they cannot leave a half-moved directory.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import pathlib
import shutil

import numpy as np

from bayesq.exceptions import OutputConflictError, OutputError, SavedFitError
from bayesq.settings import ATTR, ATTR_0_1_JOINT
from bayesq.signals import held

__all__ = ["MARKER", "OutputDirectory", "atomic_file", "checksum", "read_netcdf", "save_netcdf"]

MARKER = ".bayesq-output.json"  # in every directory bayesq writes: what it wrote, so it may replace it
CHECKSUM_ATTR = "bayesq_checksum"  # the posterior's attribute holding the checksum of a saved fit


def _fresh(parent: pathlib.Path, prefix: str, suffix: str, make) -> pathlib.Path:
    """A new entry of a random name in ``parent``, made by ``make(path)`` (which fails if it exists).

    ``make`` creates it with mode 0666 or 0777 and the kernel applies the
    umask, as for anything the user creates (``tempfile`` would make it
    private, and reading the umask means setting it, process-wide).
    """
    for _ in range(100):
        path = parent / f"{prefix}{os.urandom(6).hex()}{suffix}"
        try:
            make(path)
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {parent}")


def _new_file(path: pathlib.Path):
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))


def _fsync(path: pathlib.Path):
    """Flush a file, or a directory's entries, to the disk (so a rename after it never lands first)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_file(path, overwrite: bool = True):
    """A temporary file beside ``path`` to write, moved onto ``path`` only if the block succeeds.

    So ``path`` holds the old file or the whole new one, never a part: the
    new file reaches the disk before the rename. It gets the permissions of
    any file the user creates (the umask's). With ``overwrite=False`` the
    rename refuses a file that appeared at ``path`` meanwhile
    (``FileExistsError``).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
    >>> with atomic_file(path) as tmp:
    ...     _ = pathlib.Path(tmp).write_text("k,value\\n1,0.5\\n")
    >>> path.read_text()
    'k,value\\n1,0.5\\n'
    """
    path = pathlib.Path(path)
    tmp = _fresh(path.parent, f".{path.name}.", ".tmp", _new_file)
    try:
        yield str(tmp)
        _fsync(tmp)
        with held():
            if overwrite or not _rename2(tmp, path, _RENAME_NOREPLACE):
                if not overwrite and path.exists():
                    raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
                os.replace(tmp, path)
        _fsync(path.parent)
    finally:
        with held():
            if tmp.exists():
                tmp.unlink()


# -- renames that never replace what they were not meant to ----------------------------------
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
try:
    _renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
except (AttributeError, OSError):  # not glibc >= 2.28 (or not Linux)
    _renameat2 = None


def _rename2(src, dst, flags: int) -> bool:
    """``renameat2(src, dst, flags)``; ``False`` where the system or file system lacks it."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), os.fsdecode(dst))


def _marker(path: pathlib.Path) -> dict | None:
    """The marker of a directory bayesq wrote (``None`` when it has none, or not a readable one)."""
    try:
        data = json.loads((path / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("files"), list) else None


def _foreign(path: pathlib.Path) -> list[str]:
    """Entries of ``path`` that its marker does not list (everything, without a marker)."""
    marker = _marker(path)
    ours = set(marker["files"]) | {MARKER} if marker else set()
    return sorted(p.name for p in path.iterdir() if p.name not in ours)


def _within(path: pathlib.Path, parent: pathlib.Path) -> bool:
    return path == parent or parent in path.parents


class OutputDirectory:
    """An output directory written whole or not at all (module docstring).

    Parameters
    ----------
    path : path
        The directory to write.
    replace : bool
        Whether an existing directory may be replaced; only one that bayesq
        wrote (its marker lists every entry) is, and never the working
        directory, a parent of it, or one that holds ``inputs``.
    inputs : iterable of path
        The files the command reads: a directory holding one is not replaced.
    command : str
        What wrote the directory, recorded in its marker.

    Raises
    ------
    bayesq.exceptions.OutputError
        At construction, before any work: the path exists and may not be
        replaced (with the reason), or cannot be written.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "result"
    >>> with OutputDirectory(out, command="example") as tmp:
    ...     _ = (tmp / "summary.txt").write_text("beta 0.9")
    >>> sorted(p.name for p in out.iterdir())
    ['.bayesq-output.json', 'summary.txt']
    """

    def __init__(self, path, replace: bool = False, inputs=(), command: str = "bayesq"):
        self.path = pathlib.Path(path)
        self.command = command
        target = self.path.absolute()
        self._replaced = None  # (st_dev, st_ino) of the directory to replace
        if self.path.is_symlink():
            raise OutputError(f"{path} is a symbolic link: give the directory itself as the output")
        if self.path.exists():
            self._replaced = self._check_replaceable(target, replace, inputs)
        self._created = []  # parent directories made here, removed again if nothing is written
        parent = target.parent
        missing = [p for p in (parent, *parent.parents) if not p.exists()]
        try:
            for p in reversed(missing):
                p.mkdir()
                self._created.append(p)
            self.tmp = _fresh(parent, f".{target.name}.", ".tmp", lambda p: os.mkdir(p, 0o777))
        except OSError as err:
            self._remove_created()
            raise OutputError(f"cannot write the output {path}: {err.strerror or err}") from None
        self.target = target

    def _check_replaceable(self, target: pathlib.Path, replace: bool, inputs) -> tuple[int, int]:
        path = self.path
        if not path.is_dir():
            raise OutputError(f"{path} exists and is not a directory; choose another output")
        resolved = target.resolve()
        if _within(pathlib.Path.cwd().resolve(), resolved):
            raise OutputError(
                f"{path} is the working directory or a parent of it: bayesq never replaces it; "
                "choose a new directory for the output"
            )
        for item in inputs:
            if _within(pathlib.Path(item).resolve(), resolved):
                raise OutputError(
                    f"{path} holds the input {item}: bayesq never replaces its own input; "
                    "choose another output"
                )
        if _marker(path) is None:
            raise OutputError(
                f"{path} exists and was not written by bayesq (no {MARKER} in it): bayesq replaces only "
                "its own output directories; choose another output"
            )
        foreign = _foreign(path)
        if foreign:
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            raise OutputError(
                f"{path} holds files bayesq did not write ({shown}): bayesq does not replace it; move "
                "them or choose another output"
            )
        if not replace:
            raise OutputError(f"{path} exists (an earlier bayesq output); pass --force to replace it")
        if not os.access(path, os.W_OK | os.X_OK):
            raise OutputError(f"{path} cannot be replaced: its files cannot be removed (permission denied)")
        stat = path.stat()
        return stat.st_dev, stat.st_ino

    def _remove_created(self):
        for p in reversed(self._created):
            with contextlib.suppress(OSError):
                p.rmdir()

    def __enter__(self) -> pathlib.Path:
        return self.tmp

    def __exit__(self, kind, value, traceback):
        with held():
            if kind is None:
                self._commit()
            else:
                self.discard()
        return False

    def discard(self):
        """Remove the temporary directory (and any parent made for it): nothing is written."""
        with held():
            shutil.rmtree(self.tmp, ignore_errors=True)
            self._remove_created()

    def _commit(self):
        files = sorted(p.name for p in self.tmp.iterdir())
        from bayesq import __version__

        marker = {"written_by": f"bayesq {__version__}", "command": self.command, "files": files}
        (self.tmp / MARKER).write_text(json.dumps(marker, indent=1) + "\n")
        for entry in (*self.tmp.iterdir(), self.tmp):  # on the disk before the rename makes them visible
            _fsync(entry)
        try:
            if self._replaced is None:
                self._move_new()
            else:
                self._move_replacing()
        except BaseException:
            self.discard()
            raise

    def _conflict(self, what: str):
        raise OutputConflictError(
            f"{self.path} {what} while bayesq worked: it was left as it is and nothing was written; "
            "run again with another output"
        )

    def _move_new(self):
        try:
            if _rename2(self.tmp, self.target, _RENAME_NOREPLACE):
                return
        except FileExistsError:
            self._conflict("appeared")
        # without renameat2: a rename cannot replace a directory that holds files, nor a file
        if os.path.lexists(self.target):
            self._conflict("appeared")
        try:
            os.rename(self.tmp, self.target)
        except OSError:
            self._conflict("appeared")
        _fsync(self.target.parent)

    def _still_ours(self, path: pathlib.Path) -> bool:
        try:
            stat = path.lstat()
        except FileNotFoundError:
            return False
        same = (stat.st_dev, stat.st_ino) == self._replaced
        return bool(same and path.is_dir() and _marker(path) is not None and not _foreign(path))

    def _move_replacing(self):
        try:
            exchanged = _rename2(self.tmp, self.target, _RENAME_EXCHANGE)
        except FileNotFoundError:
            self._conflict("disappeared")
        if exchanged:  # self.tmp now holds the old directory: put it back unless it is checked to be ours
            try:
                ours = self._still_ours(self.tmp)
            except BaseException:
                _rename2(self.tmp, self.target, _RENAME_EXCHANGE)
                raise
            if not ours:
                _rename2(self.tmp, self.target, _RENAME_EXCHANGE)
                self._conflict("changed")
            shutil.rmtree(self.tmp)
            _fsync(self.target.parent)
            return
        aside = self.target.with_name(f".{self.target.name}.old-{os.getpid()}")
        try:
            os.rename(self.target, aside)
        except FileNotFoundError:
            self._conflict("disappeared")
        try:
            ours = self._still_ours(aside)
        except BaseException:
            os.rename(aside, self.target)
            raise
        if not ours:
            os.rename(aside, self.target)
            self._conflict("changed")
        try:
            os.rename(self.tmp, self.target)
        except OSError:
            os.rename(aside, self.target)
            self._conflict("appeared")
        shutil.rmtree(aside)


# -- saved fits --------------------------------------------------------------------------------
def _text(item) -> str:
    """An entry of a text array as netCDF gives it back: a missing one (None, NaN) as ""."""
    if item is None or (isinstance(item, float) and np.isnan(item)):
        return ""
    return item.decode() if isinstance(item, bytes) else str(item)


def _canonical(values: np.ndarray) -> bytes:
    """Bytes of an array that survive a netCDF round trip (dtype widths and string types may change).

    Text arrays (nutpie's ``divergence_message``: ``None`` or a message per
    draw) come back from netCDF with their missing entries as NaN or ``""``:
    they are hashed as text, missing entries as ``""``.
    """
    values = np.asarray(values)
    if values.dtype.kind in "USO":
        return "\0".join(map(_text, values.ravel().tolist())).encode()
    if values.dtype.kind == "b":
        values = values.astype(np.uint8)
    elif values.dtype.kind in "iu":
        values = values.astype(np.int64)
    elif values.dtype.kind == "f":
        values = values.astype(np.float64)
    return np.ascontiguousarray(values).tobytes()


def checksum(groups, settings: str = "") -> str:
    """SHA-256 of a fit's contents: every group's variables and coordinates, and its settings.

    Parameters
    ----------
    groups : mapping of str to xarray.Dataset
        The groups of the fit (``posterior``, ``sample_stats``, ...).
    settings : str
        The fit's settings (the JSON its posterior carries).

    Returns
    -------
    str
        ``"sha256:"`` and the hex digest. Names, shapes and values enter;
        attributes other than the settings do not, nor the storage types
        that a netCDF round trip may change (:func:`_canonical`).
    """
    digest = hashlib.sha256(settings.encode())
    for name in sorted(groups):
        ds = groups[name]
        for var in sorted(map(str, (*ds.data_vars, *ds.coords))):
            array = ds[var]
            digest.update(f"\0{name}/{var}{array.dims}{array.shape}".encode())
            digest.update(_canonical(array.values))
    return "sha256:" + digest.hexdigest()


def _groups(idata) -> dict:
    """The groups of a fit's DataTree, each as an :class:`xarray.Dataset`, by path (``posterior``,
    ``candidates/c0/posterior``: a stacked fit's candidates, :mod:`bayesq.stacking`)."""
    return {node.relative_to(idata): node.to_dataset() for node in idata.subtree if node is not idata}


def _settings(posterior) -> str:
    return str(posterior.attrs.get(ATTR, "")) + str(posterior.attrs.get(ATTR_0_1_JOINT, ""))


def _all_settings(groups, posterior) -> str:
    """The settings the checksum covers: the fit's, then those of every nested posterior (a stacked
    fit's candidates), by path."""
    nested = [_settings(groups[name]) for name in sorted(groups) if name.endswith("/posterior")]
    return _settings(posterior) + "".join(nested)


def save_netcdf(idata, path, overwrite: bool = False) -> pathlib.Path:
    """Write a fit's DataTree to netCDF atomically (:func:`atomic_file`), with its checksum.

    ``idata`` itself is left as it is: the file gets a copy that records the
    checksum and holds text arrays of Python objects (nutpie's divergence
    messages, ``None`` for most draws) as strings, so that it reads back
    what was written. Refuses to replace an existing file unless
    ``overwrite``, also one that appears while the file is written.
    """
    path = pathlib.Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    out = idata.copy(deep=False)
    for name, ds in _groups(idata).items():
        texts = [v for v in ds.data_vars if ds[v].dtype == object]
        if texts:
            out[name] = ds.assign(
                {v: ds[v].copy(data=np.vectorize(_text, otypes=[str])(ds[v].values)) for v in texts}
            )
    posterior = out.posterior.to_dataset()  # a copy: the caller's attributes stay as they are
    posterior.attrs.pop(CHECKSUM_ATTR, None)
    groups = _groups(out) | {"posterior": posterior}
    posterior.attrs[CHECKSUM_ATTR] = checksum(groups, _all_settings(groups, posterior))
    out["posterior"] = posterior
    with atomic_file(path, overwrite=overwrite) as tmp:
        out.to_netcdf(tmp, engine="h5netcdf")
    return path


def read_netcdf(path):
    """Read and verify a fit saved by :func:`save_netcdf`.

    Raises
    ------
    FileNotFoundError
        Nothing at ``path``.
    bayesq.exceptions.SavedFitError
        ``path`` is a directory, empty, not netCDF, not a bayesq fit, or its
        contents differ from the checksum written with them (truncated or
        corrupted). Files saved before checksums were recorded (before
        bayesq 0.1.0's data-safety fixes) are read unverified.

    Returns
    -------
    xarray.DataTree
        All groups, in memory. A file of bayesq 0.1 (an ArviZ 0.x
        ``InferenceData`` netCDF, one netCDF group per group) reads as the
        same DataTree.
    """
    import xarray as xr

    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no saved fit at {path}")
    if path.is_dir():
        raise SavedFitError(f"{path} is a directory, not a saved fit (a fit.nc file)")
    if path.stat().st_size == 0:
        raise SavedFitError(f"{path} is empty: not a saved bayesq fit")
    try:
        idata = xr.load_datatree(path, engine="h5netcdf")
        groups = _groups(idata)
    except Exception as err:  # h5py, netCDF and xarray say it each their own way
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise SavedFitError(
            f"{path} cannot be read as a saved bayesq fit (truncated, corrupted or not netCDF: {reason})"
        ) from None
    post = groups.get("posterior")
    if post is None or not _settings(post):
        raise SavedFitError(f"{path} is not a bayesq fit (no posterior with bayesq settings)")
    recorded = post.attrs.get(CHECKSUM_ATTR)
    if recorded is not None and recorded != checksum(groups, _all_settings(groups, post)):
        raise SavedFitError(
            f"{path} is corrupted: its contents differ from the checksum recorded when it was saved"
        )
    return idata
