"""Reading a saved fit back: :func:`load` returns the result of the kind its settings name.

A fit is written by its result's ``save`` (:func:`bayesq.files.save_netcdf`:
netCDF, atomically, with a checksum). :func:`load` verifies the file
(:func:`bayesq.files.read_netcdf`), reads its settings
(:class:`bayesq.settings.Settings`, refusing a newer schema) and builds the
result class of their ``kind``.
"""

from __future__ import annotations

from bayesq.batch import BatchFit
from bayesq.exceptions import SavedFitError
from bayesq.files import read_netcdf
from bayesq.joint import JointFit
from bayesq.results import FitResult, Result
from bayesq.settings import Settings

__all__ = ["RESULTS", "load"]

RESULTS = {cls.kind: cls for cls in (FitResult, JointFit, BatchFit)}  # the class that reads each kind


def load(path) -> Result:
    """Read a fit saved by :meth:`Result.save` (or ``bayesq fit --out``): single, joint or batch.

    Returns the result class its settings name (:class:`FitResult`,
    :class:`bayesq.joint.JointFit`, :class:`bayesq.batch.BatchFit`). The
    file's checksum is verified (:func:`bayesq.files.read_netcdf`), and its
    settings schema (:mod:`bayesq.settings`).

    Raises
    ------
    FileNotFoundError
        Nothing at ``path``.
    bayesq.exceptions.SavedFitError
        ``path`` is not a whole, unaltered fit saved by bayesq (empty,
        truncated, corrupted, another kind of file), or was saved by a newer
        bayesq; the message names it.
    """
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
