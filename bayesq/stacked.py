r"""The result of ``bayesq.fit(scores, threshold="auto")``: candidate fits stacked into one.

:func:`stack` scores the candidate fits of one search and mixes them
(the method and its formulas: :mod:`bayesq.stacking`); :class:`StackedFit`
is what it returns, a :class:`bayesq.FitResult` whose posterior is the
mixture and which keeps the candidates.
"""

from __future__ import annotations

import dataclasses
import functools
import warnings

import numpy as np
import pandas as pd
import xarray as xr

from bayesq import validate
from bayesq.diagnostics import SENSITIVITY, Diagnostics
from bayesq.exceptions import InputError
from bayesq.loglik import log_likelihood_group
from bayesq.model import PARAMETERS, prepare_scores
from bayesq.pit import pit_pvalue, pit_test
from bayesq.results import FitResult, Result, format_summary
from bayesq.stacking import MIN_PIT_PVALUE, STACKED_RHAT, candidate_elpd, mixture_posterior, stacking_weights

__all__ = [
    "Stacked",
    "StackedFit",
    "considered_candidates",
    "favoured_index",
    "fit_candidates",
    "misfit_draws",
    "stack",
    "stacked_posterior",
    "stacked_tree",
    "weigh",
    "worst",
]

STACKING_NUMBERS = ("elpd", "elpd_se", "max_pareto_k", "max_rhat", "pit_pvalue")  # per candidate, from weigh


def worst(diagnostics) -> Diagnostics:
    """One :class:`~bayesq.diagnostics.Diagnostics` for several fits: the worst of each number."""
    return dataclasses.replace(
        diagnostics[0],
        divergences=sum(d.divergences for d in diagnostics),
        draws=sum(d.draws for d in diagnostics),
        max_rhat=max(d.max_rhat for d in diagnostics),
        min_ess_bulk=min(d.min_ess_bulk for d in diagnostics),
        min_ess_tail=min(d.min_ess_tail for d in diagnostics),
        max_tree_depth_hits=sum(d.max_tree_depth_hits for d in diagnostics),
        min_bfmi=min(d.min_bfmi for d in diagnostics),
        depth_capped=any(d.depth_capped for d in diagnostics),
        noise_share=max(d.noise_share for d in diagnostics),
        max_draws=max((d.max_draws for d in diagnostics if d.max_draws is not None), default=None),
    )


class Stacked:
    """What a stacked fit adds to its kind of result, single or joint: the candidates and their weights.

    Its summary is the mixture's mean, sd and HDI; R-hat and ESS belong to
    the candidates' chains, and :meth:`diagnostics` reports the worst of
    the candidates that contribute draws.
    """

    _candidate: type  # the result class of a candidate

    @property
    def weights(self) -> np.ndarray:
        """The candidates' stacking weights, from the lowest threshold (most tail runs) to the highest."""
        return self.idata.stacking["weight"].values

    @functools.cached_property
    def candidates(self) -> list:
        """The candidates' fits, from the lowest threshold (most tail runs) to the highest."""
        return [self._candidate(self.idata[f"candidates/c{j}"]) for j in range(self.weights.size)]

    @property
    def favoured(self):
        """The candidate of largest weight, whose threshold, runs and model the stacked fit shows."""
        return self.candidates[favoured_index(self.weights)]

    @property
    def model(self):
        """The favoured candidate's PyMC model (:attr:`favoured`): each candidate has its own."""
        if self._model is None:
            self._model = self.favoured.model
        return self._model

    def summary(self, var_names=None, hdi_prob: float = 0.9, **kwargs) -> pd.DataFrame:
        """Posterior summary of the mixture: mean, sd and HDI (:func:`arviz.summary`, ``kind="stats"``).

        R-hat and ESS belong to the candidates' chains, not to the mixture's
        draws: :meth:`diagnostics` reports them.
        """
        kwargs.setdefault("kind", "stats")
        return super().summary(var_names, hdi_prob, **kwargs)

    def diagnostics(self) -> Diagnostics:
        """The worst divergences, R-hat, ESS and E-BFMI of the candidates that contribute draws
        (``draws``: theirs, summed)."""
        used = np.unique(self.draws("candidate"))
        return worst([self.candidates[j].diagnostics() for j in used])


class StackedFit(Stacked, FitResult, kind="stacked"):
    r"""A random search fitted at several thresholds and stacked (``bayesq.fit(..., threshold="auto")``).

    A :class:`~bayesq.FitResult` whose posterior is the stacking mixture of
    candidate fits (module :mod:`bayesq.stacking`): its best score, tuning
    curves, predictive intervals and comparisons integrate over the
    threshold. Besides what a fit reports, it shows what the data say about
    the threshold (:meth:`thresholds`: the candidates and their weights) and
    how much the answer owes to it (:attr:`threshold_share`); the
    candidates' fits are :attr:`candidates`.

    Its :attr:`threshold`, tail and censored runs are those of the
    candidate of largest weight; its diagnostics are the worst of the
    candidates that contribute draws, each fitted to the convergence
    standard of :func:`bayesq.fit`.

    The ``idata`` groups: ``posterior`` (the mixture, with the variable
    ``candidate``: the candidate each draw came from), ``observed_data`` (as
    for the favoured candidate), ``stacking`` (per ``candidate``: its
    ``threshold``, ``n_tail``, ``weight``, ``elpd``, ``elpd_se``,
    ``max_pareto_k``, and ``elpd_i`` per ``top_run``: a run beyond the
    highest candidate), and ``candidates/c0``, ``candidates/c1``, ... (each
    candidate's ``posterior``, ``sample_stats`` and ``observed_data``).

    Examples
    --------
    >>> import bayesq
    >>> from bayesq.simulate import simulate_random_search
    >>> search = simulate_random_search(n=200, random_seed=0)
    >>> result = bayesq.fit(
    ...     search.scores, "auto", draws=200, tune=200, chains=2, extend=False, random_seed=1, quiet=True
    ... )
    >>> table = result.thresholds()
    >>> list(table.columns[:3]), round(float(table["weight"].sum()), 6)
    (['n_tail', 'weight', 'elpd'], 1.0)
    >>> 0 <= result.threshold_share <= 1
    True
    >>> len(result.candidates) == len(table)
    True
    """

    _who = 'bayesq.fit(threshold="auto")'
    _candidate = FitResult

    @property
    def threshold_share(self) -> float:
        r"""Share of the best score's posterior variance that lies between candidates.

        :math:`\sum_j w_j (\mu_j - \bar\mu)^2 / \operatorname{Var}`, with
        :math:`\mu_j` each candidate's posterior mean of the best score and
        the variance the mixture's: 0 when the threshold does not matter, 1
        when the candidates' posteriors are points that disagree.
        """
        best = "beta" if self.maximize else "alpha"
        means = np.array([c.draws(best).mean() for c in self.candidates])
        variances = np.array([c.draws(best).var() for c in self.candidates])
        w = self.weights
        mean = np.sum(w * means)
        between = np.sum(w * (means - mean) ** 2)
        total = between + np.sum(w * variances)
        return float(between / total) if total > 0 else 0.0

    def thresholds(self, ci: float = 0.9) -> pd.DataFrame:
        """The candidates: tail runs, stacking weight, leave-one-out score, and their best-score intervals.

        Parameters
        ----------
        ci : float
            Mass of each candidate's equal-tailed interval of the best score.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``threshold``; columns ``n_tail``, ``weight``,
            ``elpd`` and ``elpd_se`` (the leave-one-out log score of the runs
            beyond the highest candidate, module :mod:`bayesq.stacking`),
            ``max_pareto_k`` (PSIS's reliability: above 0.7 the score of
            some run is unreliable), ``max_rhat`` (above
            :data:`STACKED_RHAT` the candidate is left out: weight 0),
            ``best_lower``, ``best_median``, ``best_upper``.
        """
        ci = validate.probability(ci, "ci")
        s = self.idata.stacking
        best = "beta" if self.maximize else "alpha"
        q = [(1 - ci) / 2, 0.5, (1 + ci) / 2]
        bounds = np.array([np.quantile(c.draws(best).ravel(), q) for c in self.candidates])
        names = ("n_tail", "weight", *STACKING_NUMBERS)
        columns = {name: s[name].values for name in names}
        columns.update(best_lower=bounds[:, 0], best_median=bounds[:, 1], best_upper=bounds[:, 2])
        return pd.DataFrame(columns, index=pd.Index(s["threshold"].values, name="threshold"))

    def prior_sensitivity(self, var_names=PARAMETERS, threshold: float = SENSITIVITY) -> pd.DataFrame:
        """Power-scaling sensitivity of the favoured candidate (:meth:`bayesq.FitResult.prior_sensitivity`).

        Power-scaling perturbs one model's prior and likelihood; the
        candidate of largest weight is the one the stacked fit shows. Its
        pointwise log-likelihood is computed on a copy of its draws: the
        stacked fit is left as it is.
        """
        j = favoured_index(self.weights)
        favoured = FitResult(self.idata[f"candidates/c{j}"].copy(), self.model)  # (the saved tree unchanged)
        if "log_likelihood" not in favoured.idata:
            m = favoured.settings.model
            spread = favoured.settings.data.tail_spread if m.fixed_spread else None
            prepared = prepare_scores(favoured.scores, favoured.threshold, m.maximize, spread)
            favoured.idata["log_likelihood"] = log_likelihood_group(prepared, favoured.idata.posterior)
        return favoured.prior_sensitivity(var_names, threshold)

    def headline(self) -> str:
        """One line: the candidates, the favoured threshold and its weight, and the threshold's share."""
        d, m = self.settings.data, self.settings.model
        w = self.weights
        side = "above" if m.maximize else "below"
        return (
            f"bayesq fit, threshold stacked over {w.size} candidates: {d.n_tail[0]} of {d.n_scores[0]} "
            f"scores {side} the favoured threshold {d.threshold:g} (weight {w.max():.2f}; "
            f"{'maximize' if m.maximize else 'minimize'}); sampler {Result.headline(self)}"
        )

    def __str__(self) -> str:
        table = self.thresholds()
        shown = table[["n_tail", "weight", "best_lower", "best_median", "best_upper"]].to_string(
            float_format=lambda v: f"{v:.6g}"
        )
        return (
            f"{self.headline()}\n{format_summary(self.summary())}\n"
            f"the candidate thresholds (weights: stacking of the runs beyond the highest):\n{shown}\n"
            f"share of the best score's variance between thresholds: {self.threshold_share:.0%}\n"
            f"{self.diagnostics()}"
        )


def weigh(fits, score, pit_pvalue, random_seed=None):
    """Stacking weights of candidate fits, with the numbers :meth:`StackedFit.thresholds` reports.

    Candidates whose chains disagree (R-hat above :data:`~bayesq.stacking.STACKED_RHAT`),
    whose tail's PIT rejects the fit (p-value below
    :data:`~bayesq.stacking.MIN_PIT_PVALUE`), and those ``score`` cannot
    score get weight 0. When every candidate fails one of the first two
    checks, all are considered (the fit warns of what failed); when none
    can be scored, the considered ones are mixed equally (with a warning).

    Parameters
    ----------
    fits : sequence of Result
        The candidates.
    score : callable
        ``score(fit)``: its :class:`arviz_stats.ELPDData` over the scored runs.
    pit_pvalue : callable
        ``pit_pvalue(fit)``: the p-value of its tail PIT (:func:`bayesq.pit.pit_test`).
    random_seed : int, optional
        Seed of the bootstrap of the weights (:func:`~bayesq.stacking.stacking_weights`).

    Returns
    -------
    weights : numpy.ndarray
    numbers : dict
        ``elpd``, ``elpd_se``, ``max_pareto_k``, ``max_rhat``, ``pit_pvalue`` per candidate,
        and ``elpd_i`` and ``pareto_k`` per candidate and scored run (NaN
        where not scored).
    """
    rhat = np.array([f.diagnostics().max_rhat for f in fits])
    pvalue = np.array([pit_pvalue(f) for f in fits])
    considered = considered_candidates(rhat, pvalue)
    elpds = [_scored(score, f) if c else None for f, c in zip(fits, considered, strict=True)]
    usable = np.array([e is not None for e in elpds])
    weights = np.zeros(len(fits))
    if usable.any():
        pointwise = np.stack([e.elpd_i.values for e in elpds if e is not None], axis=1)
        weights[usable] = stacking_weights(pointwise, random_seed=random_seed)
        m = pointwise.shape[0]
    else:
        warnings.warn(
            f"{StackedFit._who}: no candidate could be scored (PSIS failed); they are mixed equally",
            RuntimeWarning,
            stacklevel=3,
        )
        weights[considered] = 1 / considered.sum()
        m = 0
    nan = np.full(m, np.nan)
    numbers = {
        "elpd": np.array([np.nan if e is None else e.elpd for e in elpds]),
        "elpd_se": np.array([np.nan if e is None else e.se for e in elpds]),
        "max_pareto_k": np.array([np.nan if e is None else float(e.pareto_k.max()) for e in elpds]),
        "max_rhat": rhat,
        "pit_pvalue": pvalue,
        "elpd_i": np.array([nan if e is None else e.elpd_i.values for e in elpds]).reshape(len(fits), m),
        "pareto_k": np.array([nan if e is None else e.pareto_k.values for e in elpds]).reshape(len(fits), m),
    }
    return weights, numbers


def fit_candidates(first, fallback, fit_at, pit_pvalue, say=None) -> list:
    """The candidate fits of ``"auto"``: those of ``first``, or of ``fallback`` where the tail PIT
    rejects one of them (:func:`~bayesq.stacking.candidate_ladders`).

    Parameters
    ----------
    first, fallback : sequence
        The candidates (a threshold, or a joint fit's thresholds), most tail
        runs first; ``fallback`` may be ``None`` (no other ladder).
    fit_at : callable
        ``fit_at(candidate)``: its fit.
    pit_pvalue : callable
        ``pit_pvalue(fit)``: the p-value of its tail PIT (:func:`bayesq.pit.pit_test`).
    say : callable, optional
        ``say(text)``: told when the fit falls back, and why (the fit's
        progress notes; ``None``: quiet).

    Returns
    -------
    list
        The fits of ``first`` when every one has a p-value of at least
        :data:`~bayesq.stacking.MIN_PIT_PVALUE` (or there is no
        ``fallback``); else those of ``fallback``, each candidate the two
        ladders share fitted once.
    """
    fitted = []  # (candidate, fit): each candidate fitted once, whichever ladder repeats it

    def fit(c):
        shared = [f for c0, f in fitted if c0 == c]  # (thresholds, or mappings of them: compared as such)
        if not shared:
            fitted.append((c, fit_at(c)))
        return shared[0] if shared else fitted[-1][1]

    fits = [fit(c) for c in first]
    if fallback is None:
        return fits
    rejected = np.flatnonzero(_rejects([pit_pvalue(f) for f in fits]))
    if rejected.size == 0:
        return fits
    if say is not None:
        say(
            f"the tail PIT rejects candidate{'s' if rejected.size > 1 else ''} "
            f"{', '.join(str(j + 1) for j in rejected)} of {len(fits)} (p < {MIN_PIT_PVALUE:g}): fitting "
            "the candidates of the ladder down to 8 runs instead (bayesq.stacking.candidate_ladders)"
        )
    return [fit(c) for c in fallback]


def misfit_draws(parts, maximize: bool):
    """The ``hopeless`` of :func:`bayesq.samplers.extension.sample_until` for a candidate of ``"auto"``.

    A candidate whose tail the PIT rejects gets weight 0 whatever its draws
    (:func:`weigh`), so its draws are not worth a retune or more draws;
    unless every candidate is rejected, when all are mixed as drawn (and the
    fit warns of their divergences or short chains).

    Parameters
    ----------
    parts : sequence of (int or None, array_like, float)
        Per scored search: its position along the posterior's ``search``
        dimension (``None`` for a single fit), its tail scores, its threshold.
    maximize : bool
        Direction of the scores.

    Returns
    -------
    callable
        ``hopeless(idata)``: whether the p-value of the tail PIT of the draws
        (:func:`bayesq.pit.pit_pvalue`, as :func:`bayesq.pit.pit_test`) is
        below :data:`~bayesq.stacking.MIN_PIT_PVALUE` (or NaN) for one of ``parts``.
    """

    def hopeless(idata) -> bool:
        posterior = idata.posterior.to_dataset()
        for search, tail, threshold in parts:
            draws = posterior if search is None else posterior.isel(search=search)
            if _rejects(pit_pvalue(draws, tail, threshold, maximize)):
                return True
        return False

    return hopeless


def considered_candidates(rhat, pvalue) -> np.ndarray:
    """Which candidates the stacking considers: R-hat at most :data:`~bayesq.stacking.STACKED_RHAT` and a
    tail-PIT p-value at least :data:`~bayesq.stacking.MIN_PIT_PVALUE`; all of them when none passes
    (the fit then warns of what failed)."""
    sound = (np.asarray(rhat) <= STACKED_RHAT) & ~_rejects(pvalue)
    return sound if sound.any() else np.ones_like(sound)


def _rejects(pvalue):
    """Whether tail-PIT p-values reject their candidates: below :data:`~bayesq.stacking.MIN_PIT_PVALUE`,
    or NaN (one check for :func:`considered_candidates`, :func:`fit_candidates` and :func:`misfit_draws`)."""
    return ~(np.asarray(pvalue, dtype=float) >= MIN_PIT_PVALUE)


def _scored(score, fit):
    """``score(fit)``, or ``None`` where PSIS cannot smooth its ratios (constant draws) or a run's
    density is not finite."""
    try:
        elpd = score(fit)
    except ValueError:
        return None
    return elpd if np.all(np.isfinite(elpd.elpd_i.values)) else None


def stacked_posterior(fits, weights, kind: str) -> xr.Dataset:
    """The mixture posterior of candidate fits (:func:`~bayesq.stacking.mixture_posterior`), with the
    favoured candidate's settings (of ``kind``) in its attributes and its draws and chains."""
    mixture = mixture_posterior([f.idata.posterior.to_dataset() for f in fits], weights)
    chosen = fits[favoured_index(weights)].settings
    sampler = dataclasses.replace(
        chosen.sampler,
        draws=mixture.sizes["draw"],
        chains=mixture.sizes["chain"],
        asked_draws=None,
        asked_chains=None,
        asked_target_accept=None,
    )
    mixture.attrs.update(chosen.replace(kind=kind, sampler=sampler).to_attrs())
    return mixture


def favoured_index(weights) -> int:
    """The candidate of largest weight (the first of equals)."""
    return int(np.argmax(weights))


def stacked_tree(fits, posterior, stacking: xr.Dataset) -> xr.DataTree:
    """The tree of a stacked fit: ``posterior`` (the mixture), the favoured candidate's
    ``observed_data``, ``stacking``, and ``candidates/c{j}`` (each candidate's posterior, sample
    stats and observed data)."""
    favoured = fits[favoured_index(stacking["weight"].values)]
    tree = {
        "posterior": posterior,
        "observed_data": favoured.idata.observed_data.to_dataset(),
        "stacking": stacking,
    }
    for j, f in enumerate(fits):
        for group in ("posterior", "sample_stats", "observed_data"):
            tree[f"candidates/c{j}/{group}"] = f.idata[group].to_dataset()
    return xr.DataTree.from_dict(tree)


def stack(fits, random_seed=None) -> StackedFit:
    """A :class:`StackedFit` of candidate fits of one search (what ``threshold="auto"`` returns).

    Parameters
    ----------
    fits : sequence of FitResult
        Fits of the same scores in the same direction at different
        thresholds, lowest tail count last.
    random_seed : int, optional
        Seed of the bootstrap of the weights (:func:`stacking_weights`); the
        fit's own, so that a seeded fit gives the same weights every time.

    Returns
    -------
    StackedFit

    Raises
    ------
    bayesq.exceptions.InputError
        No fits, or fits of different scores or directions.
    """
    fits = list(fits)
    if not fits:
        raise InputError("{arg} is empty: stacking needs at least one candidate fit", "fits")
    maximize = fits[0].maximize
    scores = np.sort(fits[0].scores)
    for f in fits[1:]:
        if f.maximize != maximize or not np.array_equal(np.sort(f.scores), scores, equal_nan=True):
            raise InputError("{arg} must be fits of the same scores in the same direction", "fits")
    cutoff = fits[-1].threshold
    beyond = (scores > cutoff) if maximize else (scores < cutoff)
    top = scores[beyond & np.isfinite(scores)]  # (a failed run is censored at every candidate)
    weights, numbers = weigh(
        fits,
        lambda f: candidate_elpd(f.idata.posterior, top, cutoff, maximize),
        lambda f: pit_test(f).pvalue,
        random_seed,
    )
    stacking = xr.Dataset(
        {
            "threshold": ("candidate", np.array([f.threshold for f in fits])),
            "n_tail": ("candidate", np.array([f.settings.data.n_tail[0] for f in fits])),
            "weight": ("candidate", weights),
            **{name: ("candidate", numbers[name]) for name in STACKING_NUMBERS},
            "elpd_i": (("candidate", "top_run"), numbers["elpd_i"]),
            "top": ("top_run", top),
        },
        coords={"candidate": np.arange(len(fits)), "top_run": np.arange(top.size)},
    )
    return StackedFit(stacked_tree(fits, stacked_posterior(fits, weights, "stacked"), stacking))
