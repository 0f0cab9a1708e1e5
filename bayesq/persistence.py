"""Reading a saved fit back: :func:`load` returns the result of the kind its settings name.

A fit is written by its result's ``save`` (:func:`bayesq.files.save_netcdf`:
netCDF, atomically, with a checksum). :func:`load` verifies the file
(:func:`bayesq.files.read_netcdf`), reads its settings
(:class:`bayesq.settings.Settings`, refusing a newer schema) and builds the
result class of their ``kind``.
"""

from __future__ import annotations

import pathlib

from bayesq.batch import BatchFit
from bayesq.exceptions import SavedFitError
from bayesq.files import read_netcdf
from bayesq.jointfit import JointFit
from bayesq.results import FitResult, Result
from bayesq.settings import Settings
from bayesq.stacked import StackedFit
from bayesq.stacked_joint import StackedJointFit

__all__ = ["RESULTS", "load", "saved_fit_path"]

# the class that reads each kind
RESULTS = {cls.kind: cls for cls in (FitResult, JointFit, BatchFit, StackedFit, StackedJointFit)}


def saved_fit_path(where) -> pathlib.Path:
    """``where``, or the ``fit.nc`` in it when it is a directory holding one (what ``--out`` writes).

    Anything else is left for :func:`bayesq.files.read_netcdf` to refuse, with its message.
    """
    path = pathlib.Path(where)
    return path / "fit.nc" if (path / "fit.nc").is_file() else path


def load(path) -> Result:
    """Read a fit saved by :meth:`Result.save` (or ``bayesq fit --out``): single, joint, stacked or batch.

    Returns the result class its settings name (:class:`FitResult`,
    :class:`bayesq.stacked.StackedFit`, :class:`bayesq.jointfit.JointFit`,
    :class:`bayesq.stacked_joint.StackedJointFit`, :class:`bayesq.batch.BatchFit`). The
    file's checksum is verified (:func:`bayesq.files.read_netcdf`), and its
    settings schema (:mod:`bayesq.settings`). The result has the saved
    draws and settings; its PyMC model is rebuilt from them when asked for.

    Parameters
    ----------
    path : str or path
        A file written by ``save``, or an output directory of the command
        line (its ``fit.nc`` is read).

    Returns
    -------
    FitResult, StackedFit, JointFit, StackedJointFit or BatchFit

    Raises
    ------
    FileNotFoundError
        Nothing at ``path``.
    bayesq.exceptions.SavedFitError
        ``path`` is not a whole, unaltered fit saved by bayesq (empty,
        truncated, corrupted, another kind of file), or was saved by a newer
        bayesq; the message names it.

    See Also
    --------
    bayesq.FitResult.save : Writes the file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import bayesq
    >>> from bayesq.simulate import simulate_random_search
    >>> scores = simulate_random_search(n=200, random_seed=0).scores
    >>> result = bayesq.fit(
    ...     scores, 0.85, draws=200, tune=200, chains=2, extend=False, random_seed=1, quiet=True
    ... )
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = result.save(pathlib.Path(folder) / "fit.nc")
    ...     again = bayesq.load(path)
    >>> type(again).__name__, again.threshold, again.settings == result.settings
    ('FitResult', 0.85, True)
    >>> bool((again.draws("beta") == result.draws("beta")).all())
    True
    """
    path = saved_fit_path(path)
    idata = read_netcdf(path)
    try:
        kind = Settings.from_attrs(idata.posterior.attrs).kind
    except SavedFitError as err:
        raise SavedFitError(f"{path}: {err}") from None
    if kind not in RESULTS:
        raise SavedFitError(
            f"{path}: a fit of kind {kind!r}, which this bayesq does not know: upgrade bayesq"
        )
    return RESULTS[kind](idata)
