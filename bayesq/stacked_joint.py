r"""The result of ``bayesq.fit_joint(searches, "auto")``: joint candidate fits stacked into one.

Candidate :math:`j` fits every search jointly, each ``"auto"`` search at
its :math:`j`-th candidate threshold
(:func:`bayesq.stacking.candidate_ladders`), the others at their given
thresholds. All candidates are scored on the same runs: every ``"auto"``
search's runs beyond its highest candidate :math:`u_{K,s}`, each with the
density the candidate's joint posterior predicts for it given that it lies
there, :math:`f(y \mid \theta_s)/S(u_{K,s} \mid \theta_s)`
(:func:`bayesq.stacking.conditional_log_density` of that search's draws).
The joint posterior conditions on all of them, so one PSIS-LOO per
candidate over the union of the scored runs gives the pointwise
leave-one-out densities that :func:`bayesq.stacking.stacking_weights`
weighs. One set of weights mixes the joint draws
(:func:`bayesq.stacking.mixture_posterior`): the searches stay paired, so
:func:`bayesq.compare` of a :class:`StackedJointFit` compares them with the
thresholds' uncertainty integrated over.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from bayesq.diagnostics import SENSITIVITY
from bayesq.exceptions import InputError
from bayesq.joint_model import check_searches
from bayesq.jointfit import JointFit
from bayesq.loglik import joint_log_likelihood_group
from bayesq.pit import pit_test
from bayesq.results import Result, format_summary
from bayesq.stacked import (
    STACKING_NUMBERS,
    Stacked,
    StackedFit,
    favoured_index,
    stacked_posterior,
    stacked_tree,
    weigh,
)
from bayesq.stacking import conditional_elpd, conditional_log_density

__all__ = ["StackedJointFit", "stack_joint"]


class StackedJointFit(Stacked, JointFit, kind="stacked_joint"):
    r"""Several searches fitted jointly at candidate thresholds and stacked (``fit_joint(..., "auto")``).

    A :class:`~bayesq.JointFit` whose posterior is the stacking mixture of
    joint candidate fits (module :mod:`bayesq.stacked_joint`). Each
    search's part, :meth:`result`, is a :class:`bayesq.stacked.StackedFit`
    with the joint weights and that search's candidates and scored runs;
    :func:`bayesq.compare` compares the searches on the mixture's paired
    draws.

    Its thresholds, runs and model are those of the candidate of largest
    weight (:attr:`favoured`); its diagnostics are the worst of the
    candidates that contribute draws. It has no pointwise log-likelihood
    (each candidate splits the scores differently): :meth:`loo` and
    :func:`bayesq.compare_models` take fits at given thresholds.

    The ``idata`` groups: ``posterior`` (the mixture, with ``candidate``),
    ``observed_data`` (the favoured candidate's), ``stacking`` (per
    ``candidate`` and ``search``: ``threshold``, ``n_tail`` and
    ``search_pit_pvalue`` (the p-value of that search's tail PIT,
    :func:`bayesq.pit.pit_test`); per ``candidate``: ``weight``, ``elpd``,
    ``elpd_se``, ``max_pareto_k``, ``max_rhat``, ``pit_pvalue`` (the
    smallest of the scored searches');
    per ``candidate`` and ``top_run``: ``elpd_i`` and ``pareto_k``; per
    ``top_run``: ``top`` and ``top_search``), and ``candidates/c0``,
    ``candidates/c1``, ... (each joint candidate's ``posterior``,
    ``sample_stats`` and ``observed_data``).

    Examples
    --------
    >>> import bayesq
    >>> from bayesq.simulate import simulate_random_search
    >>> searches = {
    ...     "a": simulate_random_search(n=120, beta=0.90, random_seed=0).scores,
    ...     "b": simulate_random_search(n=120, beta=0.92, random_seed=1).scores,
    ... }
    >>> joint = bayesq.fit_joint(
    ...     searches, "auto", draws=200, tune=200, chains=2, extend=False, random_seed=1, quiet=True
    ... )
    >>> round(float(joint.weights.sum()), 6), list(joint.thresholds().index.names)
    (1.0, ['search', 'threshold'])
    >>> part = joint.result("b")  # one search: a StackedFit with the joint weights
    >>> bool((part.weights == joint.weights).all())
    True
    """

    _who = 'bayesq.fit_joint(thresholds="auto")'
    _candidate = JointFit

    def result(self, name: str) -> StackedFit:
        """One search's part: a :class:`bayesq.stacked.StackedFit` of its candidates, with the joint weights.

        Its posterior is the joint mixture's draws of that search (paired
        with the other searches'); its ``stacking`` group lists that
        search's thresholds, tail runs and PIT p-values, and the
        leave-one-out scores of its own scored runs (NaN for a search at a
        given threshold).

        Parameters
        ----------
        name : str
            A search.

        Returns
        -------
        bayesq.stacked.StackedFit

        Raises
        ------
        KeyError
            No search of that name.
        """
        self._index(name)
        parts = [c.result(name) for c in self.candidates]
        s = self.idata.stacking
        mine = s["top_search"].values == name
        elpd_i = s["elpd_i"].values[:, mine]
        m = int(mine.sum())
        scored = (m > 0) & np.isfinite(elpd_i).all(axis=1)  # (none for a search at a given threshold)
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # (the variance of no runs)
            sums = np.where(scored, elpd_i.sum(axis=1), np.nan)
            se = np.where(scored, np.sqrt(m * elpd_i.var(axis=1)), np.nan)
        k = np.where(scored, s["pareto_k"].values[:, mine].max(axis=1, initial=-np.inf), np.nan)
        stacking = xr.Dataset(
            {
                "threshold": ("candidate", s["threshold"].sel(search=name).values),
                "n_tail": ("candidate", s["n_tail"].sel(search=name).values),
                "weight": ("candidate", self.weights),
                "elpd": ("candidate", sums),
                "elpd_se": ("candidate", se),
                "max_pareto_k": ("candidate", k),
                "max_rhat": ("candidate", s["max_rhat"].values),
                "pit_pvalue": ("candidate", s["search_pit_pvalue"].sel(search=name).values),
                "elpd_i": (("candidate", "top_run"), elpd_i),
                "top": ("top_run", s["top"].values[mine]),
            },
            coords={"candidate": s["candidate"].values, "top_run": np.arange(m)},
        )
        return StackedFit(stacked_tree(parts, stacked_posterior(parts, self.weights, "stacked"), stacking))

    def thresholds(self, ci: float = 0.9) -> pd.DataFrame:
        """:meth:`bayesq.stacked.StackedFit.thresholds` of every search, by ``search`` and ``threshold``.

        Parameters
        ----------
        ci : float
            Mass of each candidate's equal-tailed interval of the best score.

        Returns
        -------
        pandas.DataFrame
        """
        return pd.concat({name: self.result(name).thresholds(ci) for name in self.names}, names=["search"])

    @property
    def threshold_share(self) -> dict[str, float]:
        """:attr:`bayesq.stacked.StackedFit.threshold_share` of every search, ``{name: share}``."""
        return {name: self.result(name).threshold_share for name in self.names}

    def prior_sensitivity(self, var_names=None, threshold: float = SENSITIVITY) -> pd.DataFrame:
        """Power-scaling sensitivity of the favoured candidate (:meth:`bayesq.JointFit.prior_sensitivity`),
        on a copy of its draws with their pointwise log-likelihood."""
        j = favoured_index(self.weights)
        favoured = JointFit(self.idata[f"candidates/c{j}"].copy(), self.model)
        d = favoured.settings.data
        prepared = check_searches(
            {n: favoured.scores(n) for n in d.names},
            dict(zip(d.names, d.thresholds, strict=True)),
            favoured.maximize,
        )
        favoured.idata["log_likelihood"] = joint_log_likelihood_group(prepared, favoured.idata.posterior)
        return favoured.prior_sensitivity(var_names, threshold)

    def loo(self, **kwargs):
        """Not available: the candidates split the scores at different thresholds.

        Raises
        ------
        bayesq.exceptions.InputError
            Always; fit at given thresholds to compare models by PSIS-LOO.
        """
        raise InputError(
            'a joint fit with thresholds="auto" has no pointwise log-likelihood (its candidates split '
            "the scores differently): fit at given thresholds to compare models by PSIS-LOO"
        )

    def headline(self) -> str:
        """One line: the searches, the candidates, the favoured one's weight, and the sampler."""
        m, names = self.settings.model, self.names
        pool = ", ".join(m.pool) or "nothing"
        w = self.weights
        return (
            f"bayesq joint fit of {len(names)} searches ({', '.join(names)}), thresholds stacked over "
            f"{w.size} candidates (favoured weight {w.max():.2f}); "
            f"{'noisy' if m.noise else 'noiseless'} quadratic, pooling {pool}; "
            f"sampler {Result.headline(self)}"
        )

    def __str__(self) -> str:
        parts = self.results  # (each search's part built once for the table and the shares)
        table = pd.concat({n: p.thresholds() for n, p in parts.items()}, names=["search"])
        table = table[["n_tail", "weight", "best_lower", "best_median", "best_upper"]]
        shares = ", ".join(f"{n} {p.threshold_share:.0%}" for n, p in parts.items())
        return (
            f"{self.headline()}\n{format_summary(self.summary())}\n"
            f"the candidate thresholds (weights: stacking of the runs beyond the highest):\n"
            f"{table.to_string(float_format=lambda v: f'{v:.6g}')}\n"
            f"share of the best score's variance between thresholds: {shares}\n{self.diagnostics()}"
        )


def stack_joint(fits, scored, random_seed=None) -> StackedJointFit:
    """A :class:`StackedJointFit` of joint candidate fits (what ``fit_joint(..., "auto")`` returns).

    Parameters
    ----------
    fits : sequence of JointFit
        Joint fits of the same searches, in the same direction, at the
        candidates' thresholds (the last: the highest of each ``"auto"`` search).
    scored : sequence of str
        The ``"auto"`` searches, whose runs beyond their highest candidate
        score the candidates.
    random_seed : int, optional
        Seed of the bootstrap of the weights.

    Returns
    -------
    StackedJointFit

    Raises
    ------
    bayesq.exceptions.InputError
        No fits, fits of different searches or directions, or no search to score on.
    """
    fits = list(fits)
    if not fits:
        raise InputError("{arg} is empty: stacking needs at least one candidate fit", "fits")
    names, maximize = fits[0].names, fits[0].maximize
    if any(f.names != names or f.maximize != maximize for f in fits[1:]):
        raise InputError("{arg} must be joint fits of the same searches in the same direction", "fits")
    if not scored or any(n not in names for n in scored):
        raise InputError(f"{{arg}} must name some of the searches {names}, got {list(scored)}", "scored")
    highest = fits[-1]
    tops, cutoffs = {}, {}
    for name in scored:
        scores = highest.scores(name)
        cutoffs[name] = highest.settings.data.thresholds[names.index(name)]
        beyond = (scores > cutoffs[name]) if maximize else (scores < cutoffs[name])
        tops[name] = np.sort(scores[beyond & np.isfinite(scores)])

    def score(fit):
        post = fit.idata.posterior.to_dataset()
        parts = [
            conditional_log_density(post.sel(search=n, drop=True), tops[n], cutoffs[n], maximize)
            for n in scored
        ]
        conditional = xr.concat(parts, dim="top_run").assign_coords(
            top_run=np.arange(sum(t.size for t in tops.values()))
        )
        return conditional_elpd(post, conditional)

    # each search's tail PIT p-value at each candidate; a candidate's is the worst of the scored searches'
    pit = np.array([[pit_test(f.result(n)).pvalue for n in names] for f in fits])
    position = {id(f): j for j, f in enumerate(fits)}
    columns = [names.index(n) for n in scored]
    weights, numbers = weigh(fits, score, lambda f: pit[position[id(f)], columns].min(), random_seed)
    thresholds = np.array([f.settings.data.thresholds for f in fits])
    stacking = xr.Dataset(
        {
            "threshold": (("candidate", "search"), thresholds),
            "n_tail": (("candidate", "search"), np.array([f.settings.data.n_tail for f in fits])),
            "search_pit_pvalue": (("candidate", "search"), pit),
            "weight": ("candidate", weights),
            **{name: ("candidate", numbers[name]) for name in STACKING_NUMBERS},
            "elpd_i": (("candidate", "top_run"), numbers["elpd_i"]),
            "pareto_k": (("candidate", "top_run"), numbers["pareto_k"]),
            "top": ("top_run", np.concatenate([tops[n] for n in scored])),
            "top_search": ("top_run", np.concatenate([[n] * tops[n].size for n in scored])),
        },
        coords={
            "candidate": np.arange(len(fits)),
            "search": names,
            "top_run": np.arange(numbers["elpd_i"].shape[1]),
        },
    )
    posterior = stacked_posterior(fits, weights, "stacked_joint")
    return StackedJointFit(stacked_tree(fits, posterior, stacking))
