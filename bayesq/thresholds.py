r"""Choosing the threshold of the asymptotic regime.

The threshold :math:`t` is the method's one subjective choice: too low and
scores that are not yet quadratic-like bias the fit; too high and too few
scores remain. Extreme-value practice answers with two diagnostics, both
computed by :func:`scan_thresholds` over a range of candidate thresholds:

* **parameter stability**: above the true start of the asymptotic regime the
  posteriors of :math:`\beta`, :math:`\gamma`, :math:`\sigma` no longer move
  with :math:`t` (beyond the growing width as data are dropped);
* **tail goodness of fit**: the tail scores, mapped through the fitted
  conditional CDF of the tail, :math:`G(y) = 1 - S(y)/S(t)` (maximizing;
  :math:`F(y)/F(t)` minimizing), averaged over posterior draws, should look
  uniform (the probability integral transform, PIT, of
  :mod:`bayesq.pit`); the scan records the Kolmogorov-Smirnov distance and
  p-value against the uniform (:func:`bayesq.pit.pit_test`).

Suggestion rule (:attr:`ThresholdScan.suggested`): among the candidates
whose fit sampled without divergences and whose PIT p-value is at least
``min_pvalue`` (0.05), the one keeping the most tail scores whose
posterior median of the best score lies inside the ``ci`` interval of the
best score at every stricter candidate that also passes. ``None`` when no
candidate passes; look at :func:`bayesq.plots.plot_thresholds` then.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from bayesq import validate
from bayesq.many import READ_OPTIONS, fit_jobs
from bayesq.pit import pit_test
from bayesq.sources import read_search

__all__ = ["ThresholdScan", "scan_thresholds"]

SCANNED = ("beta", "gamma", "sigma")


@dataclasses.dataclass
class ThresholdScan:
    """Fits across candidate thresholds, with their stability and goodness-of-fit diagnostics.

    What :func:`scan_thresholds` returns; :func:`bayesq.plots.plot_thresholds`
    draws it.

    Attributes
    ----------
    thresholds : ndarray
        The candidates, in the order given.
    n_tail : ndarray
        Scores beyond each.
    intervals : dict
        For ``beta``, ``gamma``, ``sigma`` (and ``best``, the best achievable
        score): an array of shape ``(len(thresholds), 3)`` with the lower end,
        median and upper end of the ``ci`` posterior interval.
    pit_distance, pit_pvalue : ndarray
        Kolmogorov-Smirnov distance of the tail PIT from uniform, and its p-value.
    divergences : ndarray
        Divergent transitions of each fit.
    results : list of FitResult
        The fits, one per candidate.
    ci : float
        Mass of the intervals.
    maximize : bool
        Direction of the scores.
    suggested : float or None
        The suggested threshold (:func:`scan_thresholds` gives the rule),
        None if no candidate qualifies.
    """

    thresholds: np.ndarray
    n_tail: np.ndarray
    intervals: dict
    pit_distance: np.ndarray
    pit_pvalue: np.ndarray
    divergences: np.ndarray
    results: list
    ci: float
    maximize: bool
    suggested: float | None = None

    def to_dataframe(self):
        """One row per threshold: tail size, intervals, PIT distance and p-value, divergences.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``threshold``; columns ``n_tail``, the intervals
            (``beta_lower``, ``beta_median``, ``beta_upper``, ... and
            ``best_*``), ``pit_distance``, ``pit_pvalue`` and ``divergences``.
        """
        import pandas as pd

        columns = {"n_tail": self.n_tail}
        for name, values in self.intervals.items():
            for j, part in enumerate(("lower", "median", "upper")):
                columns[f"{name}_{part}"] = values[:, j]
        columns.update(
            pit_distance=self.pit_distance, pit_pvalue=self.pit_pvalue, divergences=self.divergences
        )
        return pd.DataFrame(columns, index=pd.Index(self.thresholds, name="threshold"))


def _suggest(scan: ThresholdScan, min_pvalue: float) -> float | None:
    ok = (scan.pit_pvalue >= min_pvalue) & (scan.divergences == 0)
    order = np.argsort(-scan.n_tail)  # most tail scores first
    best = scan.intervals["best"]
    for pos, i in enumerate(order):
        if not ok[i]:
            continue
        stricter = [j for j in order[pos + 1 :] if ok[j]]
        if all(best[j, 0] <= best[i, 1] <= best[j, 2] for j in stricter):
            return float(scan.thresholds[i])
    return None


def scan_thresholds(
    scores,
    thresholds,
    maximize: bool | None = None,
    ci: float = 0.9,
    min_pvalue: float = 0.05,
    *,
    executor=None,
    **fit_kwargs,
) -> ThresholdScan:
    """Fit at each candidate threshold; collect stability and goodness-of-fit diagnostics.

    The threshold is the method's one subjective choice. Above the start of
    the asymptotic regime the posteriors of beta, gamma and sigma stop
    moving with the threshold (beyond the widening as scores are dropped),
    and the tail scores, mapped through the fitted conditional tail CDF
    (:func:`bayesq.pit.tail_pit`), look uniform. The scan records both for each
    candidate. It suggests, among the candidates whose fit sampled without
    divergences and whose PIT p-value is at least ``min_pvalue``, the one
    keeping the most tail scores whose posterior median of the best score
    lies inside the ``ci`` interval of the best score at every stricter
    candidate that also passes. The PIT's p-value is conservative (the
    posterior was fitted to the same scores): read it as a diagnostic, not a
    test.

    Parameters
    ----------
    scores : array_like, path or any source of :func:`bayesq.sources.read_search`
        All scores of the search, read once for all candidates.
    thresholds : sequence of float
        Candidates; each must leave enough tail scores (:func:`bayesq.fit` errors otherwise).
    maximize : bool, optional
        Direction of the search (:func:`bayesq.fit`: unstated, higher is
        better and a tail that looks reversed is an error).
    ci : float
        Mass of the posterior intervals, in (0, 1).
    min_pvalue : float
        PIT p-value a candidate needs for the suggestion rule.
    executor : concurrent.futures.Executor, optional
        Where the candidates' fits run, side by side (a process pool, Dask's
        ``Client.get_executor()``: :func:`bayesq.fit_many`); without one,
        one after the other in this process, all on one compiled program.
    **fit_kwargs
        Passed to :func:`bayesq.fit` (sampler, draws, chains, random_seed, ...);
        ``quiet`` is true unless given.

    Returns
    -------
    ThresholdScan
        The fits, the intervals, the PIT tests and ``suggested`` (``None``
        when no candidate passes).

    Raises
    ------
    ValueError
        ``thresholds`` empty or not finite.
    bayesq.exceptions.InputError
        A candidate :func:`bayesq.fit` refuses (too few tail scores, ...).

    See Also
    --------
    bayesq.plots.plot_thresholds : Draws the scan.

    Examples
    --------
    >>> import bayesq
    >>> from bayesq.simulate import simulate_random_search
    >>> scores = simulate_random_search(n=200, random_seed=0).scores
    >>> scan = bayesq.scan_thresholds(
    ...     scores, [0.85, 0.87], draws=200, tune=200, chains=2, extend=False, random_seed=1
    ... )
    >>> scan.n_tail  # scores above each candidate
    array([91, 57])
    >>> scan.intervals["beta"].shape  # (candidates, (lower, median, upper))
    (2, 3)
    >>> scan.suggested is None or scan.suggested in (0.85, 0.87)
    True
    >>> list(scan.to_dataframe().columns[-3:])
    ['pit_distance', 'pit_pvalue', 'divergences']
    """
    ci = validate.probability(ci, "ci")
    thresholds = np.atleast_1d(np.asarray(thresholds, dtype=float))
    if thresholds.ndim != 1 or thresholds.size == 0 or not np.all(np.isfinite(thresholds)):
        raise ValueError("thresholds must be a non-empty list of finite numbers")
    fit_kwargs.setdefault("quiet", True)
    read = {k: fit_kwargs.pop(k) for k in READ_OPTIONS if k in fit_kwargs}
    search = read_search(scores, **read, maximize=maximize)
    jobs = {
        float(t): (search, {**fit_kwargs, "threshold": float(t), "maximize": maximize}) for t in thresholds
    }
    fits = fit_jobs(jobs, executor=executor, label="threshold")
    results = [fits[float(t)] for t in thresholds]
    maximize = results[0].maximize
    q = [(1 - ci) / 2, 0.5, (1 + ci) / 2]
    intervals = {name: np.array([np.quantile(r.draws(name).ravel(), q) for r in results]) for name in SCANNED}
    intervals["best"] = (
        intervals["beta"]
        if maximize
        else np.array([np.quantile(r.draws("alpha").ravel(), q) for r in results])
    )
    tests = [pit_test(r) for r in results]
    scan = ThresholdScan(
        thresholds=thresholds,
        n_tail=np.array([r.settings.data.n_tail[0] for r in results]),
        intervals=intervals,
        pit_distance=np.array([t.statistic for t in tests]),
        pit_pvalue=np.array([t.pvalue for t in tests]),
        divergences=np.array([r.diagnostics().divergences for r in results]),
        results=results,
        ci=ci,
        maximize=bool(maximize),
    )
    scan.suggested = _suggest(scan, min_pvalue)
    return scan
