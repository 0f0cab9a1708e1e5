r"""The threshold left to the data: candidate fits weighted by how well they predict the best runs.

A fit at threshold :math:`t` models the scores beyond :math:`t` as the tail of
:math:`\mathcal Q(\alpha, \beta, \gamma, \sigma)`. Too low a threshold lets
scores that are not yet quadratic-like bend the fit; too high a one leaves few
scores. ``bayesq.fit(scores, threshold="auto")`` fits the candidates
:math:`u_1 < \dots < u_K` of :func:`candidate_thresholds` and averages them by
**stacking of predictive distributions** (Yao, Vehtari, Simpson and Gelman,
"Using stacking to average Bayesian predictive distributions", Bayesian
Analysis 13, 2018).

What the candidates are scored on
    Their censored likelihoods are not densities of the same data: each
    candidate models a different set of runs exactly. The runs beyond the
    highest candidate :math:`u_K` are modelled exactly by all of them, so
    every candidate is scored on those :math:`m` runs, with the density it
    predicts for a run *given that it lies beyond* :math:`u_K`
    (maximizing; mirrored when minimizing):

    .. math::

        p_j(y \mid \theta) = \frac{f(y \mid \theta)}{S(u_K \mid \theta)},
        \qquad y > u_K,

    a density of the same :math:`m` values for every :math:`j`
    (:func:`conditional_log_density`).

Leave-one-out
    Each candidate's likelihood holds, for every run beyond :math:`u_K`, the
    factor :math:`S(u_K \mid \theta)` (it passed :math:`u_K`) times
    :math:`p_j(y_i \mid \theta)` (where it landed). Leaving out where run
    :math:`i` landed divides the posterior by :math:`p_j(y_i \mid \theta)`,
    and its leave-one-out predictive density is estimated by
    Pareto-smoothed importance sampling (Vehtari, Gelman and Gabry 2017;
    Vehtari et al. 2024) from the candidate's own draws: ordinary PSIS-LOO
    of the pointwise log density :math:`\log p_j(y_i \mid \theta_s)`
    (:func:`arviz_stats.loo`, :func:`candidate_elpd`),

    .. math::

        \widehat{\mathrm{elpd}}_{j,i} = \log \sum_s w_{j,i,s}\, p_j(y_i \mid \theta_s),
        \qquad w_{j,i,s} \propto \text{PSIS}\big(1 / p_j(y_i \mid \theta_s)\big).

Weights
    The stacking weights maximize the leave-one-out log score of the mixture,
    :math:`\max_{w \in \Delta_K} \sum_i \log \sum_j w_j \exp \widehat{\mathrm{elpd}}_{j,i}`
    (the objective of :func:`arviz_stats.compare`'s ``method="stacking"``).
    Estimated from a few dozen runs, they are averaged over the Bayesian
    bootstrap of those runs (:func:`stacking_weights`), so that the
    uncertainty of which candidate predicts best is carried too.

The answer
    The posterior of a stacked fit is the mixture :math:`\sum_j w_j\, p_j(\theta \mid y)`
    (:func:`mixture_posterior`); its best score, tuning curves and comparisons
    integrate over the threshold. How much they owe to it is the share of the
    best score's posterior variance that lies *between* candidates,
    :math:`\sum_j w_j (\mu_j - \bar\mu)^2 / \operatorname{Var}`
    (:attr:`StackedFit.threshold_share`).

Candidates whose chains disagree (R-hat above :data:`STACKED_RHAT`, 1.05: a
chain caught in another mode, whose draws no weight can make right) get
weight 0, as do those whose importance ratios PSIS cannot smooth;
:meth:`StackedFit.thresholds` lists them, with their R-hat and an ``elpd``
of NaN.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import xarray as xr

from bayesq import validate
from bayesq.diagnostics import SENSITIVITY, Diagnostics
from bayesq.exceptions import InputError
from bayesq.loglik import log_likelihood_group
from bayesq.model import PARAMETERS, prepare_scores
from bayesq.results import FitResult, Result, format_summary
from bayesq.stats import noisy_quadratic

__all__ = [
    "BOOTSTRAP",
    "CANDIDATES",
    "HIGHEST_TAIL",
    "LOWEST_TAIL",
    "MIN_SCORED",
    "STACKED_RHAT",
    "StackedFit",
    "candidate_elpd",
    "candidate_thresholds",
    "conditional_log_density",
    "mixture_posterior",
    "stack",
    "stacking_weights",
]

CANDIDATES = 5  # candidate thresholds of threshold="auto"
BOOTSTRAP = 200  # Bayesian-bootstrap replicates of the stacking weights
HIGHEST_TAIL = 0.6  # the lowest candidate keeps this share of the runs beyond it
LOWEST_TAIL = 0.1  # the highest keeps this share of them ...
MIN_SCORED = 16  # ... and at least this many: the runs every candidate is scored on
STACKED_RHAT = 1.05  # a candidate whose chains disagree more than this is left out of the stacking
SAMPLE_DIMS = ("chain", "draw")


def candidate_thresholds(scores, maximize: bool = True, n_candidates: int = CANDIDATES) -> np.ndarray:
    r"""The candidate thresholds of ``threshold="auto"``, from the most runs beyond them to the fewest.

    The candidates keep tail counts spaced evenly in log between
    :data:`HIGHEST_TAIL` (60 %) of the runs and the larger of
    :data:`LOWEST_TAIL` (10 %) of them and :data:`MIN_SCORED` (16) runs;
    each threshold lies midway between the score of its count and the next
    lower distinct score, so that exactly that many scores lie beyond it, or
    more where scores tie. Thresholds that coincide are kept once.

    Parameters
    ----------
    scores : array_like
        Every run's score; NaN and infinite scores are failed runs (on the
        bad side of every candidate).
    maximize : bool
        Whether higher scores are better.
    n_candidates : int
        How many candidates, at least 2.

    Returns
    -------
    numpy.ndarray
        The thresholds, lowest tail count last (ascending when maximizing).

    Raises
    ------
    bayesq.exceptions.InputError
        Fewer than :data:`MIN_SCORED` + 1 scores, or ``n_candidates`` below 2.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesq.stacking import candidate_thresholds
    >>> scores = np.arange(200) / 200
    >>> t = candidate_thresholds(scores)
    >>> [int(np.sum(scores > u)) for u in t]
    [120, 77, 49, 31, 20]
    """
    if int(n_candidates) != n_candidates or n_candidates < 2:
        raise InputError(f"{{arg}} must be a whole number >= 2, got {n_candidates!r}", "n_candidates")
    scores = np.asarray(scores, dtype=float).ravel()
    sign = 1.0 if maximize else -1.0  # in the frame where higher is better
    good = np.sort(sign * scores[np.isfinite(scores)])[::-1]  # best first
    if good.size <= MIN_SCORED:
        raise InputError(
            f'threshold="auto" needs more than {MIN_SCORED} scored runs to choose among thresholds, got '
            f"{good.size}",
            "threshold",
        )
    n = scores.size
    high = min(round(HIGHEST_TAIL * n), good.size - 1)
    low = min(max(round(LOWEST_TAIL * n), MIN_SCORED), high)
    counts = np.round(np.geomspace(high, low, int(n_candidates))).astype(int)
    # each threshold lies midway between the count's score and the next lower distinct score, so that
    # tied scores stay on one side (and at least that many scores lie beyond it)
    distinct = np.unique(good)[::-1]
    at = np.searchsorted(-distinct, -good[counts - 1])  # the count's score among the distinct ones
    keep = at + 1 < distinct.size
    thresholds = np.unique((distinct[at[keep]] + distinct[at[keep] + 1]) / 2)  # ascending: most runs first
    return sign * thresholds


def conditional_log_density(posterior, top, cutoff: float, maximize: bool) -> xr.DataArray:
    r""":math:`\log f(y_i \mid \theta) - \log S(u \mid \theta)` of each run beyond ``cutoff``, per draw.

    The density of a run given that it lies beyond :math:`u` (``cutoff``;
    :math:`F(u)` in place of :math:`S(u)` when minimizing): the same data
    for every candidate threshold below :math:`u`.

    Parameters
    ----------
    posterior : xarray.Dataset or DataTree node
        Draws of ``alpha``, ``beta``, ``gamma``, ``sigma`` over ``chain`` and ``draw``.
    top : array_like
        The scores beyond ``cutoff``.
    cutoff : float
        The highest candidate threshold.
    maximize : bool
        Direction of the scores.

    Returns
    -------
    xarray.DataArray
        Dims ``chain``, ``draw``, ``top_run``.
    """
    draws = [np.asarray(posterior[name].values, dtype=float) for name in PARAMETERS]
    dist = noisy_quadratic(*(d[..., None] for d in draws), maximize=maximize)
    top = np.asarray(top, dtype=float)
    beyond = dist.logsf(cutoff) if maximize else dist.logcdf(cutoff)
    values = dist.logpdf(top) - beyond
    return xr.DataArray(values, dims=(*SAMPLE_DIMS, "top_run"), coords={"top_run": np.arange(top.size)})


def candidate_elpd(posterior, top, cutoff: float, maximize: bool):
    r"""PSIS-LOO of one candidate's conditional density of the runs beyond ``cutoff``.

    Leaving run :math:`i` out of what the candidate learnt about *where* the
    runs beyond :math:`u` land, while keeping that it lies beyond (the
    count, which the yardstick leaves out), divides the posterior by
    :math:`p_j(y_i \mid \theta) = f(y_i \mid \theta)/S(u \mid \theta)`. Its
    leave-one-out predictive density is then
    :math:`1 / E_{\theta \mid y}[1 / p_j(y_i \mid \theta)]`, estimated with
    Pareto-smoothed importance weights: ordinary PSIS-LOO
    (:func:`arviz_stats.loo`) of the pointwise log density of
    :func:`conditional_log_density`.

    Returns
    -------
    arviz_stats.ELPDData
        Pointwise (``elpd_i``, ``pareto_k``) over ``top_run``.
    """
    import arviz_stats

    conditional = conditional_log_density(posterior, top, cutoff, maximize)
    tree = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset({name: posterior[name] for name in PARAMETERS}),
            "log_likelihood": xr.Dataset({"top": conditional}),
        }
    )
    return arviz_stats.loo(tree, pointwise=True, var_name="top")


def stacking_weights(elpd_i, bootstrap: int = BOOTSTRAP, random_seed=0) -> np.ndarray:
    r"""Stacking weights of candidates from their pointwise leave-one-out log densities, bootstrapped.

    Plain stacking (``bootstrap=0``) maximizes the leave-one-out log score
    of the mixture over the simplex,

    .. math::

        \hat w(a) = \arg\max_{w \in \Delta_K} \sum_{i=1}^m a_i \log \sum_j w_j
        \exp \widehat{\mathrm{elpd}}_{j,i},

    with every :math:`a_i = 1` (the objective of :func:`arviz_stats.compare`'s
    ``method="stacking"``, solved the same way, by SLSQP). Fitted to
    :math:`m` runs, a few dozen, :math:`\hat w` is itself uncertain, and it
    tends to put all weight on one candidate that happened to predict those
    runs best. The weights returned are therefore averaged over
    ``bootstrap`` replicates of the Bayesian bootstrap of the runs (Rubin
    1981), :math:`a \sim m\,\mathrm{Dirichlet}(1, \dots, 1)`: the
    expected stacking weights given the runs, as Yao et al. (2018) average
    pseudo-BMA weights over it. Where one candidate predicts clearly
    best, they stay on it; where the runs cannot tell, they spread.

    Parameters
    ----------
    elpd_i : array_like, shape (m, K)
        :math:`\widehat{\mathrm{elpd}}_{j,i}` of each run (row) and candidate (column).
    bootstrap : int
        Bayesian-bootstrap replicates; 0 for plain stacking.
    random_seed : int, optional
        Seed of the replicates.

    Returns
    -------
    numpy.ndarray
        The weights of the candidates, summing to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesq.stacking import stacking_weights
    >>> elpd_i = np.log([[0.9, 0.5], [0.8, 0.6], [0.2, 0.7]])
    >>> w = stacking_weights(elpd_i, bootstrap=0)
    >>> bool(0 < w[1] < 1), round(float(w.sum()), 6)
    (True, 1.0)
    """
    elpd_i = np.asarray(elpd_i, dtype=float)
    if elpd_i.ndim != 2:
        raise ValueError(f"elpd_i must be runs x candidates, got shape {elpd_i.shape}")
    m, k = elpd_i.shape
    if k == 1:
        return np.ones(1)
    dens = np.exp(elpd_i - elpd_i.max(axis=1, keepdims=True))  # each run rescaled: the argmax is the same
    if bootstrap == 0:
        return _stack(dens, np.ones(m))
    rng = np.random.default_rng(random_seed)
    return np.mean([_stack(dens, m * rng.dirichlet(np.ones(m))) for _ in range(int(bootstrap))], axis=0)


def _stack(dens, a) -> np.ndarray:
    """The simplex point maximizing ``sum(a * log(dens @ w))`` (SLSQP, from equal weights)."""
    from scipy.optimize import minimize

    k = dens.shape[1]

    def loss(w):
        return -np.sum(a * np.log(np.maximum(dens @ w, 1e-300)))

    def grad(w):
        return -(a / np.maximum(dens @ w, 1e-300)) @ dens

    found = minimize(
        loss,
        np.full(k, 1 / k),
        jac=grad,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * k,
        constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1.0}],
    )
    w = np.clip(found.x, 0.0, None)
    if not (np.all(np.isfinite(w)) and w.sum() > 0):  # (SLSQP failed: the start, equal weights)
        return np.full(k, 1 / k)
    return w / w.sum()


def mixture_posterior(posteriors, weights) -> xr.Dataset:
    r"""Draws of the mixture :math:`\sum_j w_j\, p_j(\theta \mid y)`, chain by chain.

    Each chain of the mixture holds, of every candidate :math:`j`,
    :math:`n_j \approx w_j D` draws of that candidate's same chain, taken at
    evenly spaced positions (:math:`D` the fewest draws of a candidate's
    chain; the :math:`n_j` are rounded by largest remainder so that they sum
    to :math:`D`). The variables kept are those every candidate has over
    ``chain`` and ``draw`` alone.

    Parameters
    ----------
    posteriors : sequence of xarray.Dataset
        The candidates' posteriors.
    weights : array_like
        Their weights (summing to 1).

    Returns
    -------
    xarray.Dataset
        ``chain`` x ``draw`` draws of the mixture, and the variable ``candidate``:
        the index of the candidate each draw came from.
    """
    weights = np.asarray(weights, dtype=float)
    chains = min(p.sizes["chain"] for p in posteriors)
    size = min(p.sizes["draw"] for p in posteriors)
    exact = weights * size
    counts = np.floor(exact).astype(int)
    counts[np.argsort(counts - exact)[: size - counts.sum()]] += 1  # largest remainders
    names = [
        v
        for v in posteriors[0].data_vars
        if posteriors[0][v].dims == SAMPLE_DIMS and all(v in p for p in posteriors)
    ]
    parts = {v: [] for v in [*names, "candidate"]}
    for j, (posterior, n) in enumerate(zip(posteriors, counts, strict=True)):
        if n == 0:
            continue
        at = np.floor((np.arange(n) + 0.5) * posterior.sizes["draw"] / n).astype(int)
        for v in names:
            parts[v].append(np.asarray(posterior[v].values[:chains, at], dtype=float))
        parts["candidate"].append(np.full((chains, n), j))
    data = {v: (SAMPLE_DIMS, np.concatenate(p, axis=1)) for v, p in parts.items()}
    return xr.Dataset(data, coords={"chain": np.arange(chains), "draw": np.arange(size)})


def _worst(diagnostics) -> Diagnostics:
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


class StackedFit(FitResult, kind="stacked"):
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

    @property
    def weights(self) -> np.ndarray:
        """The candidates' stacking weights, in the order of :meth:`thresholds`."""
        return self.idata.stacking["weight"].values

    @property
    def candidates(self) -> list[FitResult]:
        """The candidates' fits, from the lowest threshold (most tail runs) to the highest."""
        return [FitResult(self.idata[f"candidates/c{j}"]) for j in range(self.weights.size)]

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
        names = ("n_tail", "weight", "elpd", "elpd_se", "max_pareto_k", "max_rhat")
        columns = {name: s[name].values for name in names}
        columns.update(best_lower=bounds[:, 0], best_median=bounds[:, 1], best_upper=bounds[:, 2])
        return pd.DataFrame(columns, index=pd.Index(s["threshold"].values, name="threshold"))

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
        candidates = self.candidates
        used = np.unique(self.draws("candidate"))
        return _worst([candidates[j].diagnostics() for j in used])

    @property
    def favoured(self) -> FitResult:
        """The candidate of largest weight, whose threshold, runs and model the stacked fit shows."""
        return self.candidates[int(np.argmax(self.weights))]

    @property
    def model(self):
        """The favoured candidate's PyMC model (:attr:`favoured`): each candidate has its own."""
        if self._model is None:
            self._model = self.favoured.model
        return self._model

    def prior_sensitivity(self, var_names=PARAMETERS, threshold: float = SENSITIVITY) -> pd.DataFrame:
        """Power-scaling sensitivity of the favoured candidate (:meth:`bayesq.FitResult.prior_sensitivity`).

        Power-scaling perturbs one model's prior and likelihood; the
        candidate of largest weight is the one the stacked fit shows. Its
        pointwise log-likelihood is computed on a copy of its draws: the
        stacked fit is left as it is.
        """
        j = int(np.argmax(self.weights))
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


def _elpd(fit, top, cutoff, maximize):
    """:func:`candidate_elpd` of a fit, or ``None`` where PSIS cannot smooth its ratios (constant draws)
    or a run's score is not finite."""
    try:
        elpd = candidate_elpd(fit.idata.posterior, top, cutoff, maximize)
    except ValueError:
        return None
    return elpd if np.all(np.isfinite(elpd.elpd_i.values)) else None


def stack(fits, random_seed=None) -> StackedFit:
    """A :class:`StackedFit` of candidate fits of one search (what ``threshold="auto"`` returns).

    Parameters
    ----------
    fits : sequence of FitResult
        Fits of the same scores in the same direction at different
        thresholds, lowest tail count last.

    Raises
    ------
    bayesq.exceptions.InputError
        No fits, or fits of different scores or directions.
    random_seed : int, optional
        Seed of the bootstrap of the weights (:func:`stacking_weights`); the
        fit's own, so that a seeded fit gives the same weights every time.

    Returns
    -------
    StackedFit
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
    rhat = np.array([f.diagnostics().max_rhat for f in fits])
    converged = rhat <= STACKED_RHAT
    considered = converged if converged.any() else np.ones_like(converged)  # else fit warns why
    elpds = [_elpd(f, top, cutoff, maximize) if c else None for f, c in zip(fits, considered, strict=True)]
    usable = np.array([e is not None for e in elpds])
    weights = np.zeros(len(fits))
    if usable.any():
        pointwise = np.stack([e.elpd_i.values for e in elpds if e is not None], axis=1)
        weights[usable] = stacking_weights(pointwise, random_seed=random_seed)
    else:
        warnings.warn(
            f"{StackedFit._who}: no candidate could be scored (PSIS failed); they are mixed equally",
            RuntimeWarning,
            stacklevel=3,
        )
        weights[considered] = 1 / considered.sum()
    nan = np.full(top.size, np.nan)
    favoured = int(np.argmax(weights))
    mixture = mixture_posterior([f.idata.posterior.to_dataset() for f in fits], weights)
    chosen = fits[favoured].settings
    sampler = dataclasses.replace(
        chosen.sampler,
        draws=mixture.sizes["draw"],
        chains=mixture.sizes["chain"],
        asked_draws=None,
        asked_chains=None,
        asked_target_accept=None,
    )
    mixture.attrs.update(chosen.replace(kind="stacked", sampler=sampler).to_attrs())
    stacking = xr.Dataset(
        {
            "threshold": ("candidate", np.array([f.threshold for f in fits])),
            "n_tail": ("candidate", np.array([f.settings.data.n_tail[0] for f in fits])),
            "weight": ("candidate", weights),
            "elpd": ("candidate", np.array([np.nan if e is None else e.elpd for e in elpds])),
            "elpd_se": ("candidate", np.array([np.nan if e is None else e.se for e in elpds])),
            "max_pareto_k": (
                "candidate",
                np.array([np.nan if e is None else float(e.pareto_k.max()) for e in elpds]),
            ),
            "max_rhat": ("candidate", rhat),
            "elpd_i": (
                ("candidate", "top_run"),
                np.array([nan if e is None else e.elpd_i.values for e in elpds]),
            ),
            "top": ("top_run", top),
        },
        coords={"candidate": np.arange(len(fits)), "top_run": np.arange(top.size)},
    )
    tree = {
        "posterior": mixture,
        "observed_data": fits[favoured].idata.observed_data.to_dataset(),
        "stacking": stacking,
    }
    for j, f in enumerate(fits):
        for group in ("posterior", "sample_stats", "observed_data"):
            tree[f"candidates/c{j}/{group}"] = f.idata[group].to_dataset()
    return StackedFit(xr.DataTree.from_dict(tree))
