r"""Comparing searches: is architecture A better than B, tuning effort accounted for?

:func:`compare` takes fits of several searches (``{name: FitResult}``, or a
:class:`bayesq.JointFit`) and answers with posterior probabilities:

* ``prob_better(a, b)``: :math:`P(\text{best}_a \text{ better than } \text{best}_b \mid \text{data})`,
  the best achievable score being :math:`\beta` (maximizing) or
  :math:`\alpha` (minimizing);
* ``difference(a, b, param)``: draws of :math:`\theta_a - \theta_b` for
  ``"best"``, ``"gamma"`` or ``"sigma"`` (or ``"alpha"``, ``"beta"``);
  ``prob_greater`` for any of them;
* ``curve_probability(a, b, k)``: :math:`P(\tau_a(k) \text{ better than }
  \tau_b(k))` for the median (or expected) tuning curves: which is better
  *after k runs of random search*, and the budgets where the ranking flips;
* ``summary()`` and ``pairs()``: tables.

Searches fitted separately have independent posteriors, so their draws are
paired by shuffling each one's draws (seeded): the pairs are draws from the
product of the posteriors. A joint fit's draws are already paired.
Probabilities are Monte Carlo estimates over the :math:`S` pairs (standard
error at most :math:`0.5/\sqrt S`, 0.008 for 4,000 draws).

:func:`compare_models` ranks model variants (noisy or noiseless, pooled or
separate) fitted to the same scores by PSIS-LOO (:func:`arviz.compare`),
with Pareto-k diagnostics.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import typing
import warnings
from collections.abc import Mapping

import numpy as np

from bayesq import curves, validate
from bayesq.exceptions import InputError, InputTypeError
from bayesq.jointfit import JointFit
from bayesq.results import FitResult

__all__ = ["Comparison", "CurveProbability", "Ranking", "compare", "compare_models"]

QUANTITIES = ("best", "gamma", "sigma")


class Ranking(typing.NamedTuple):
    r"""The three-way answer of :meth:`Comparison.prob_better` with a region of practical equivalence.

    With :math:`\delta` the lead of ``a``'s best achievable score over
    ``b``'s and :math:`\epsilon` the ``rope``, the three probabilities sum
    to 1.

    Attributes
    ----------
    a_better : float
        :math:`P(\delta > \epsilon \mid \text{data})`.
    equivalent : float
        :math:`P(|\delta| \le \epsilon \mid \text{data})`.
    b_better : float
        :math:`P(\delta < -\epsilon \mid \text{data})`.
    """

    a_better: float
    equivalent: float
    b_better: float


@dataclasses.dataclass(frozen=True)
class CurveProbability:
    r""":math:`P(\tau_a(k) \text{ better than } \tau_b(k) \mid \text{data})` along ``k``.

    Attributes
    ----------
    a, b : str
        The two searches.
    k : ndarray
        Numbers of iterations.
    prob : ndarray
        The probability at each ``k`` (a tie counts half: a search compared
        with itself gives 1/2).
    flips : ndarray
        Budgets where the ranking changes: ``prob`` passes from one side
        of 1/2 to the other by more than its Monte Carlo error on both
        (:func:`_crossings`), located where it crosses 1/2, interpolated
        linearly in :math:`\log k`. Empty for ties and self-comparisons.
    kind : {"median", "mean"}
        Which tuning curve.
    """

    a: str
    b: str
    k: np.ndarray
    prob: np.ndarray
    flips: np.ndarray
    kind: str

    def to_dataframe(self):
        """The probability along ``k`` as a :class:`pandas.DataFrame`.

        Returns
        -------
        pandas.DataFrame
            One column, ``P(a better than b)`` with the searches' names,
            indexed by ``k``.
        """
        import pandas as pd

        return pd.DataFrame(
            {f"P({self.a} better than {self.b})": self.prob}, index=pd.Index(self.k, name="k")
        )


def _crossings(k: np.ndarray, prob: np.ndarray, margin: float = 0.0) -> np.ndarray:
    r"""Budgets where ``prob`` passes from one side of 1/2 to the other, beyond ``margin`` on both.

    A point decides the ranking when :math:`|p - 1/2| > \text{margin}`;
    a flip lies between consecutive deciding points of opposite sides, at
    the first crossing of 1/2 between them (linear in :math:`\log k`).
    Points within the margin (a tie, Monte Carlo noise around 1/2) decide
    nothing, so noise alone reports no flip.
    """
    side = np.where(prob > 0.5 + margin, 1, np.where(prob < 0.5 - margin, -1, 0))
    decided = np.flatnonzero(side)
    out = []
    for i, j in itertools.pairwise(decided):
        if side[i] == side[j]:
            continue
        signs = np.sign(prob[i : j + 1] - 0.5)
        m = i + int(np.flatnonzero(signs[:-1] * signs[1:] <= 0)[0])
        p0, p1 = prob[m], prob[m + 1]
        x0, x1 = np.log(k[m]), np.log(k[m + 1])
        x = x0 if p1 == p0 else x0 + (0.5 - p0) * (x1 - x0) / (p1 - p0)
        out.append(float(np.exp(x)))
    return np.array(out)


class Comparison:
    """Posterior comparison of several searches (:func:`compare`).

    Holds paired posterior draws of every search (:func:`compare`) and
    answers with posterior probabilities: :meth:`prob_better` (whose best
    achievable score is better), :meth:`difference` and
    :meth:`prob_greater` (any parameter), :meth:`curve_probability` (whose
    tuning curve is better after ``k`` runs), and the tables
    :meth:`summary` and :meth:`pairs`. Probabilities are Monte Carlo
    estimates over the paired draws.

    Attributes
    ----------
    names : list of str
        The searches, in order.
    maximize : bool
        Whether higher scores are better.
    paired : str
        ``"joint"`` (draws of one posterior) or ``"independent"`` (separate
        fits, paired by shuffling).
    results : dict
        The :class:`bayesq.FitResult` of each search.

    See Also
    --------
    compare : Makes one.
    bayesq.plots.plot_comparison : Draws the differences.
    """

    def __init__(self, results: dict, draws: dict, maximize: bool, paired: str):
        self.results = results
        self.names = list(results)
        self.maximize = maximize
        self.paired = paired
        self._draws = draws

    def draws(self, name: str, param: str = "best") -> np.ndarray:
        """The paired draws of ``param`` (``"best"``, ``"alpha"``, ``"beta"``, ``"gamma"``, ``"sigma"``).

        A 1-D array, paired with the other searches' draws by position;
        ``"best"`` is ``beta`` when maximizing, ``alpha`` when minimizing.
        An unknown search is a ``KeyError``, an unknown parameter a ``ValueError``.
        """
        if name not in self._draws:
            raise KeyError(f"no search {name!r}; searches: {', '.join(self.names)}")
        if param == "best":
            param = "beta" if self.maximize else "alpha"
        if param not in self._draws[name]:
            raise ValueError(f"unknown quantity {param!r}; choose best, alpha, beta, gamma or sigma")
        return self._draws[name][param]

    def difference(self, a: str, b: str, param: str = "best") -> np.ndarray:
        r"""Draws of :math:`\theta_a - \theta_b` (for ``"best"`` in score units: when
        minimizing, a negative difference means ``a`` is better).

        ``param`` is one of :meth:`draws`'; the result is a 1-D array.
        """
        return self.draws(a, param) - self.draws(b, param)

    def prob_greater(self, a: str, b: str, param: str = "best") -> float:
        r""":math:`P(\theta_a > \theta_b \mid \text{data})` (a tie counts half).

        ``param`` is one of :meth:`draws`'. Not direction-aware: for the
        best score, :meth:`prob_better` is.
        """
        diff = self.difference(a, b, param)
        return float(np.mean(diff > 0) + 0.5 * np.mean(diff == 0))

    def prob_better(self, a: str, b: str, rope: float | None = None):
        r"""Posterior probability that ``a``'s best achievable score beats ``b``'s (direction-aware).

        Without ``rope``, one probability; a tie counts half, so a search
        compared with itself gives 1/2. With ``rope=eps`` (a difference too
        small to matter, in score units), the three-way answer of Benavoli
        et al. (2017, "Time for a change: a tutorial for comparing multiple
        classifiers through Bayesian analysis", JMLR 18): with
        :math:`\delta` the lead of ``a``'s best score over ``b``'s,
        :math:`P(\delta > \epsilon)`, :math:`P(|\delta| \le \epsilon)`
        and :math:`P(\delta < -\epsilon)`, which sum to 1.

        Parameters
        ----------
        a, b : str
            Two searches.
        rope : float, optional
            Half-width :math:`\epsilon` of the region of practical
            equivalence, in score units (``>= 0``).

        Returns
        -------
        float, or Ranking
            ``Ranking(a_better, equivalent, b_better)`` when ``rope`` is given.

        Examples
        --------
        >>> import numpy as np
        >>> from bayesq.comparison import Comparison
        >>> rng = np.random.default_rng(0)
        >>> draws = {n: {"beta": rng.normal(m, 0.001, 4000)} for n, m in (("a", 0.9), ("b", 0.899))}
        >>> cmp = Comparison(dict.fromkeys(draws), draws, maximize=True, paired="independent")
        >>> round(cmp.prob_better("a", "b"), 2)
        0.75
        >>> [round(p, 2) for p in cmp.prob_better("a", "b", rope=0.002)]
        [0.23, 0.75, 0.02]
        """
        lead = self.difference(a, b, "best") * (1 if self.maximize else -1)
        if rope is None:
            return float(np.mean(lead > 0) + 0.5 * np.mean(lead == 0))
        eps = validate.number(rope, "rope", low=0)
        return Ranking(
            float(np.mean(lead > eps)), float(np.mean(np.abs(lead) <= eps)), float(np.mean(lead < -eps))
        )

    def prob_between(self, name: str, param: str, low: float, high: float) -> float:
        r""":math:`P(\text{low} < \theta < \text{high} \mid \text{data})`, e.g. gamma in (0.5, 1.5).

        ``param`` is one of :meth:`draws`'; ``low < high``.
        """
        if not low < high:
            raise ValueError(f"need low < high, got ({low}, {high})")
        x = self.draws(name, param)
        return float(np.mean((x > low) & (x < high)))

    def summary(self, ci: float = 0.9):
        """Per search: median and equal-tailed ``ci`` interval of the best score, gamma and sigma.

        Parameters
        ----------
        ci : float
            Mass of the intervals, in (0, 1).

        Returns
        -------
        pandas.DataFrame
            One row per search: ``runs``, ``threshold``, and for ``best``,
            ``gamma`` and ``sigma`` the median and the interval's ends
            (``best_lower``, ``best_upper``, ...).
        """
        import pandas as pd

        ci = validate.probability(ci, "ci")
        rows = {}
        for name in self.names:
            row = {"runs": self.results[name].scores.size, "threshold": self.results[name].threshold}
            for q in QUANTITIES:
                lower, median, upper = curves.central_interval(self.draws(name, q), ci)
                row.update({q: median, f"{q}_lower": lower, f"{q}_upper": upper})
            rows[name] = row
        return pd.DataFrame.from_dict(rows, orient="index")

    def pairs(self, ci: float = 0.9, rope: float | None = None):
        """Per pair (a, b): P(a better), the difference of best scores, gamma and sigma (median, interval).

        With ``rope``, also the three-way probabilities of :meth:`prob_better`
        (``P(a better by > rope)``, ``P(equivalent)``, ``P(b better by > rope)``).

        Parameters
        ----------
        ci : float
            Mass of the intervals of the differences, in (0, 1).
        rope : float, optional
            Half-width of the region of practical equivalence, in score units.

        Returns
        -------
        pandas.DataFrame
            One row per pair of searches.
        """
        import pandas as pd

        ci = validate.probability(ci, "ci")
        rows = []
        for a, b in itertools.combinations(self.names, 2):
            row = {"a": a, "b": b, "P(a better)": self.prob_better(a, b)}
            if rope is not None:
                three = self.prob_better(a, b, rope)
                row.update(
                    {
                        "P(a better by > rope)": three.a_better,
                        "P(equivalent)": three.equivalent,
                        "P(b better by > rope)": three.b_better,
                    }
                )
            for q in QUANTITIES:
                lower, median, upper = curves.central_interval(self.difference(a, b, q), ci)
                row.update({f"{q} a-b": median, f"{q} a-b lower": lower, f"{q} a-b upper": upper})
                if q != "best":
                    row[f"P({q} a>b)"] = self.prob_greater(a, b, q)
            rows.append(row)
        return pd.DataFrame(rows)

    def tuning_curve(self, name: str, k, kind: str = "median", ci: float = 0.8) -> curves.TuningCurve:
        """The tuning curve of one search over the paired draws (:func:`bayesq.curves.tuning_curve`).

        Parameters
        ----------
        name : str
            A search.
        k : array_like
            Numbers of iterations, real, ``>= 1``.
        kind : {"median", "mean"}
            The median or the expected best score after ``k`` iterations.
        ci : float
            Mass of the credible band, in (0, 1).

        Returns
        -------
        bayesq.curves.TuningCurve
        """
        return self._curve(name, tuple(np.atleast_1d(np.asarray(k, dtype=float))), kind, ci)

    @functools.lru_cache(maxsize=32)  # noqa: B019 (a comparison is immutable and short-lived)
    def _curve(self, name, k, kind, ci):
        result = self.results[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return curves.tuning_curve(
                self._draws[name],
                np.array(k),
                kind=kind,
                ci=ci,
                threshold=result.threshold,
                maximize=self.maximize,
            )

    def curve_probability(self, a: str, b: str, k, kind: str = "median") -> CurveProbability:
        r""":math:`P(\tau_a(k) \text{ better than } \tau_b(k))` at each ``k``, and where it crosses 1/2.

        Draws whose curve is not finite (extreme parameters) count as
        neither better nor worse (they are left out).

        Parameters
        ----------
        a, b : str
            Two searches.
        k : array_like
            Numbers of iterations, real, ``>= 1``; a grid, to locate where
            the ranking flips.
        kind : {"median", "mean"}
            Which tuning curve.

        Returns
        -------
        CurveProbability
            The probability at each ``k`` and the budgets where it crosses 1/2.
        """
        ta, tb = self.tuning_curve(a, k, kind).draws, self.tuning_curve(b, k, kind).draws
        ok = np.isfinite(ta) & np.isfinite(tb)
        better = (ta > tb) if self.maximize else (ta < tb)
        wins = np.sum(better & ok, axis=0) + 0.5 * np.sum((ta == tb) & ok, axis=0)
        n = np.maximum(np.sum(ok, axis=0), 1)
        prob = wins / n
        k = np.atleast_1d(np.asarray(k, dtype=float))
        # Monte Carlo error of a probability near 1/2 from n paired draws: 0.5 / sqrt(n); 3 of them
        margin = 3 * 0.5 / np.sqrt(n.min())
        return CurveProbability(a, b, k, prob, _crossings(k, prob, margin), kind)

    def __str__(self) -> str:
        with_pairs = self.pairs().iloc[:, :6].to_string(index=False, float_format=lambda x: f"{x:.5g}")
        table = self.summary().to_string(float_format=lambda x: f"{x:.5g}")
        return f"bayesq comparison ({self.paired} draws)\n{table}\n{with_pairs}"

    __repr__ = __str__


def compare(fits, random_seed=0) -> Comparison:
    r"""Compare searches: posterior probabilities that one is better than another.

    Is architecture A better than B, tuning effort accounted for? Each
    search's best achievable score (:math:`\beta` when maximizing,
    :math:`\alpha` when minimizing) has a posterior; pairing the draws of
    two searches gives draws of their difference, and
    :math:`P(\text{best}_a \text{ better than } \text{best}_b \mid
    \text{data})` is the share of pairs in which ``a`` leads. Separate fits
    have independent posteriors, whose draws are paired by a seeded shuffle;
    a joint fit's draws are paired as sampled. With :math:`S` pairs the
    Monte Carlo standard error of a probability is at most
    :math:`0.5/\sqrt S`.

    Parameters
    ----------
    fits : mapping or JointFit
        ``{name: FitResult}`` of searches fitted separately (two or more,
        one direction), or a :class:`bayesq.JointFit`.
    random_seed : int
        Seed of the shuffle that pairs independent posteriors' draws.

    Returns
    -------
    Comparison

    Raises
    ------
    bayesq.exceptions.InputTypeError
        ``fits`` is neither a mapping nor a :class:`~bayesq.JointFit`, or
        holds something other than :class:`~bayesq.FitResult`.
    ValueError
        Fewer than two searches, or searches of different directions.

    See Also
    --------
    bayesq.fit_joint : One posterior for several searches (pooled gamma).
    compare_models : Ranks model variants of the same scores.

    Examples
    --------
    Two simulated searches whose best achievable scores are 0.90 and 0.92:

    >>> import bayesq
    >>> from bayesq.simulate import simulate_random_search
    >>> a = simulate_random_search(n=200, beta=0.90, random_seed=0).scores
    >>> b = simulate_random_search(n=200, beta=0.92, random_seed=1).scores
    >>> short = dict(draws=200, tune=200, chains=2, extend=False, quiet=True)
    >>> fits = {
    ...     "a": bayesq.fit(a, 0.85, random_seed=1, **short),
    ...     "b": bayesq.fit(b, 0.85, random_seed=2, **short),
    ... }
    >>> comparison = bayesq.compare(fits)
    >>> comparison.names, comparison.paired
    (['a', 'b'], 'independent')
    >>> bool(comparison.prob_better("b", "a") > 0.95)
    True
    >>> ranking = comparison.prob_better("b", "a", rope=0.005)  # within 0.005: equivalent
    >>> bool(ranking.a_better > 0.9), round(sum(ranking), 6)
    (True, 1.0)
    >>> comparison.difference("b", "a").shape  # paired draws of beta_b - beta_a
    (400,)
    >>> comparison.curve_probability("b", "a", [1, 10, 100]).prob.shape
    (3,)
    """
    if isinstance(fits, JointFit):
        results, paired = fits.results, "joint"
    elif isinstance(fits, Mapping):
        results, paired = dict(fits), "independent"
    else:
        raise InputTypeError(
            f"compare takes {{name: FitResult}} or a JointFit, got {type(fits).__name__}", "fits"
        )
    if len(results) < 2:
        raise ValueError(f"compare needs two or more searches, got {len(results)}")
    for name, result in results.items():
        if not isinstance(result, FitResult):
            raise InputTypeError(f"{name!r} is a {type(result).__name__}, not a bayesq.FitResult", "fits")
    directions = {name: r.maximize for name, r in results.items()}
    if len(set(directions.values())) > 1:
        raise ValueError(f"the searches must share a direction (maximize): {directions}")
    flat = {name: curves.flat_draws(r.idata.posterior) for name, r in results.items()}
    if paired == "independent":
        size = min(d["beta"].size for d in flat.values())
        rng = np.random.default_rng(random_seed)
        for name, d in flat.items():
            order = rng.permutation(d["beta"].size)[:size]
            flat[name] = {p: v[order] for p, v in d.items()}
    return Comparison(results, flat, next(iter(directions.values())), paired)


def _single_loglik(idata):
    """The DataTree with one log-likelihood variable ``scores`` (one point per run)."""
    import xarray as xr

    ll = idata.log_likelihood
    if "scores" in ll:
        return idata
    parts = [ll["tail"].rename(tail_run="run")]
    if "censored" in ll:
        parts.append(ll["censored"].rename(censored_run="run"))
    stacked = xr.concat(parts, dim="run").drop_vars("run", errors="ignore")
    out = idata.copy()
    del out["log_likelihood"]
    out["log_likelihood"] = xr.Dataset({"scores": stacked})
    return out


def compare_models(models: Mapping, **kwargs):
    r"""Rank model variants fitted to the same scores by PSIS-LOO (:func:`arviz.compare`).

    Pareto-smoothed importance sampling leave-one-out cross-validation
    estimates each model's expected log predictive density (elpd) of a new
    run from the pointwise log-likelihood the fits store: one point per run,
    a tail score's :math:`\log f(y_i \mid \theta)` or a censored run's
    :math:`\log F(t \mid \theta)`.

    Parameters
    ----------
    models : mapping
        ``{label: FitResult or JointFit}``, all fitted to the same scores
        split at the same thresholds (one point per run; :mod:`bayesq.joint`
        says what a censored run's point is).
    **kwargs
        Passed to :func:`arviz.compare` (``method``, ``reference``).

    Returns
    -------
    pandas.DataFrame
        :func:`arviz.compare`'s table, unrounded (``rank``, ``elpd``, ``p``,
        ``elpd_diff``, ``dse``, ``weight``, ...) with the Pareto-k
        diagnostics of each model added: ``pareto_k_max`` and
        ``pareto_k_bad`` (points with k > 0.7, whose LOO estimate is
        unreliable; ArviZ's own flag, in ``diag_elpd``, uses the sample-size
        dependent bound :math:`\min(1 - 1/\log_{10} S, 0.7)`).

    Raises
    ------
    ValueError
        Fewer than two models, or models fitted to different numbers of runs.

    See Also
    --------
    bayesq.fit_joint : Fits the noiseless (``noise=False``) and unpooled
        (``pool=()``) variants of several searches.

    Examples
    --------
    The same search with the priors' unit taken from the tail (the default)
    and fixed in advance (``spread``); ``n_hyperparameters`` or other
    ``priors`` make variants too:

    >>> import bayesq
    >>> from bayesq.simulate import simulate_random_search
    >>> scores = simulate_random_search(n=200, random_seed=0).scores
    >>> short = dict(draws=200, tune=200, chains=2, extend=False, random_seed=1, quiet=True)
    >>> models = {
    ...     "default": bayesq.fit(scores, 0.85, **short),
    ...     "fixed unit": bayesq.fit(scores, 0.85, spread=0.01, **short),
    ... }
    >>> table = bayesq.compare_models(models)
    >>> sorted(table.index), int(table["rank"].min())
    (['default', 'fixed unit'], 0)
    >>> {"elpd_diff", "weight", "pareto_k_max", "pareto_k_bad"} <= set(table.columns)
    True
    """
    import arviz as az

    if not isinstance(models, Mapping) or len(models) < 2:
        raise ValueError("compare_models needs a mapping of two or more fits")
    stacked = [label for label, m in models.items() if "log_likelihood" not in m.idata]
    if stacked:
        raise InputError(
            f"{{arg}} {', '.join(map(repr, stacked))}: no pointwise log-likelihood (a fit with "
            'threshold="auto" mixes models of different thresholds, and its candidates keep none); '
            "compare fits at one threshold",
            "models",
        )
    data = {label: _single_loglik(m.idata) for label, m in models.items()}
    sizes = {label: d.log_likelihood["scores"].shape[-1] for label, d in data.items()}
    if len(set(sizes.values())) > 1:
        raise ValueError(f"the models must be fitted to the same runs; points per model: {sizes}")
    kwargs.setdefault("round_to", "none")
    table = az.compare(data, var_name="scores", **kwargs)
    ks = {label: az.loo(d, var_name="scores", pointwise=True).pareto_k.values for label, d in data.items()}
    table["pareto_k_max"] = [float(np.max(ks[label])) for label in table.index]
    table["pareto_k_bad"] = [int(np.sum(ks[label] > 0.7)) for label in table.index]
    return table
