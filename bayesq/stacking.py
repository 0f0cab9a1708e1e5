r"""The threshold left to the data: candidate fits weighted by how well they predict the best runs.

A fit at threshold :math:`t` models the scores beyond :math:`t` as the tail of
:math:`\mathcal Q(\alpha, \beta, \gamma, \sigma)`. Too low a threshold lets
scores that are not yet quadratic-like bend the fit; too high a one leaves few
scores. ``bayesq.fit(scores, threshold="auto")`` fits the candidates
:math:`u_1 < \dots < u_K` of :func:`candidate_thresholds` (in a small search,
the first ladder of :func:`candidate_ladders`, or its fallback where the tail
PIT rejects one of the first's candidates) and averages them by
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
    (:attr:`bayesq.stacked.StackedFit.threshold_share`).

Candidates whose chains disagree (R-hat above :data:`STACKED_RHAT`, 1.05: a
chain caught in another mode, whose draws no weight can make right) get
weight 0, as do those that grossly misdescribe their own tail (the p-value
of their tail's PIT, :func:`bayesq.pit.pit_test`, below
:data:`MIN_PIT_PVALUE`, 0.01: a candidate reaching into scores that are not
quadratic-like, such as diverged runs) and those whose importance ratios
PSIS cannot smooth; :meth:`bayesq.stacked.StackedFit.thresholds` lists them,
with their R-hat, PIT p-value and an ``elpd`` of NaN where not scored.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from bayesq.exceptions import InputError
from bayesq.model import MIN_TAIL, PARAMETERS
from bayesq.stats import noisy_quadratic

__all__ = [
    "BOOTSTRAP",
    "CANDIDATES",
    "HIGHEST_TAIL",
    "LOWEST_TAIL",
    "MIN_PIT_PVALUE",
    "MIN_SCORED",
    "MIN_SPAN",
    "STACKED_RHAT",
    "candidate_elpd",
    "candidate_ladders",
    "candidate_thresholds",
    "conditional_elpd",
    "conditional_log_density",
    "mixture_posterior",
    "stacking_weights",
]

CANDIDATES = 5  # candidate thresholds of threshold="auto"
BOOTSTRAP = 200  # Bayesian-bootstrap replicates of the stacking weights
HIGHEST_TAIL = 0.6  # the lowest candidate keeps this share of the runs beyond it
LOWEST_TAIL = 0.1  # the highest keeps this share of them ...
MIN_SCORED = 16  # ... and at least this many (the runs every candidate is scored on) ...
MIN_SPAN = 1.8  # ... unless the ladder would then span less than this factor: then down to MIN_TAIL (8)
STACKED_RHAT = 1.05  # a candidate whose chains disagree more than this is left out of the stacking
MIN_PIT_PVALUE = 0.01  # ... as is one whose tail's PIT (bayesq.pit) is further from uniform than this
SAMPLE_DIMS = ("chain", "draw")


def candidate_thresholds(
    scores, maximize: bool = True, n_candidates: int = CANDIDATES, distinct: bool = True, floor=None
) -> np.ndarray:
    r"""The candidate thresholds of ``threshold="auto"``, from the most runs beyond them to the fewest.

    The candidates keep tail counts spaced evenly in log from
    :data:`HIGHEST_TAIL` (60 %) of the runs down to the larger of
    :data:`LOWEST_TAIL` (10 %) of them and ``floor`` runs; each threshold
    lies midway between the score of its count and the next lower distinct
    score, so that exactly that many scores lie beyond it, or more where
    scores tie. Thresholds that coincide are kept once, unless ``distinct``
    is false (a joint fit's candidate :math:`j` of every search is its
    :math:`j`-th: :func:`bayesq.fit_joint`).

    The floor is :data:`MIN_SCORED` (16) runs, so that at least that many
    runs score the candidates (:func:`candidate_ladders` falls back to 8),
    but no more than the highest count :math:`h` over :data:`MIN_SPAN`
    (1.8), and no fewer than
    :data:`~bayesq.model.MIN_TAIL` (8), the fewest a fit takes:
    :math:`\max(8, \min(16, \operatorname{round}(h / 1.8)))`. In a small
    search the candidates so still differ: 16 runs from 48 runs (:math:`h =
    29`), 8 from 20 (:math:`h = 12`).

    Parameters
    ----------
    scores : array_like
        Every run's score; NaN and infinite scores are failed runs (on the
        bad side of every candidate).
    maximize : bool
        Whether higher scores are better.
    n_candidates : int
        How many candidates, at least 2.
    distinct : bool
        Keep coinciding thresholds once (else one per count, ``n_candidates`` in all).
    floor : int, optional
        The fewest runs beyond the highest candidate, at least
        :data:`~bayesq.model.MIN_TAIL` (8); by default the rule above.

    Returns
    -------
    numpy.ndarray
        The thresholds, lowest tail count last (ascending when maximizing).

    Raises
    ------
    bayesq.exceptions.InputError
        Fewer than :data:`~bayesq.model.MIN_TAIL` + 1 scores, or so few that
        :data:`HIGHEST_TAIL` of them is fewer than :data:`~bayesq.model.MIN_TAIL`
        (8), ``n_candidates`` below 2, or ``floor`` below
        :data:`~bayesq.model.MIN_TAIL`.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesq.stacking import candidate_thresholds
    >>> scores = np.arange(200) / 200
    >>> t = candidate_thresholds(scores)
    >>> [int(np.sum(scores > u)) for u in t]
    [120, 77, 49, 31, 20]
    >>> [int(np.sum(scores[:48] > u)) for u in candidate_thresholds(scores[:48])]
    [29, 25, 22, 19, 16]
    >>> [int(np.sum(scores[:48] > u)) for u in candidate_thresholds(scores[:48], floor=8)]
    [29, 21, 15, 11, 8]
    """
    if int(n_candidates) != n_candidates or n_candidates < 2:
        raise InputError(f"{{arg}} must be a whole number >= 2, got {n_candidates!r}", "n_candidates")
    if floor is not None and (
        isinstance(floor, bool) or not isinstance(floor, int | np.integer) or floor < MIN_TAIL
    ):
        raise InputError(f"{{arg}} must be a whole number >= {MIN_TAIL}, got {floor!r}", "floor")
    scores = np.asarray(scores, dtype=float).ravel()
    sign = 1.0 if maximize else -1.0  # in the frame where higher is better
    good = np.sort(sign * scores[np.isfinite(scores)])[::-1]  # best first
    if good.size <= MIN_TAIL:
        raise InputError(
            f'threshold="auto" needs more than {MIN_TAIL} scored runs to choose among thresholds, got '
            f"{good.size}",
            "threshold",
        )
    n = scores.size
    high = min(round(HIGHEST_TAIL * n), good.size - 1)
    if high < MIN_TAIL:
        raise InputError(
            f'threshold="auto" needs at least {MIN_TAIL} runs beyond its lowest candidate, which keeps '
            f"{HIGHEST_TAIL:.0%} of the runs: {high} of {n}; give a threshold",
            "threshold",
        )
    if floor is None:
        floor = max(MIN_TAIL, min(MIN_SCORED, round(high / MIN_SPAN)))
    low = min(max(round(LOWEST_TAIL * n), int(floor)), high)
    counts = np.round(np.geomspace(high, low, int(n_candidates))).astype(int)
    # each threshold lies midway between the count's score and the next lower distinct score, so that
    # tied scores stay on one side (and at least that many scores lie beyond it)
    levels = np.unique(good)[::-1]  # the distinct scores, best first
    at = np.searchsorted(-levels, -good[counts - 1])  # the count's score among them
    if levels.size < 2:
        raise InputError("every scored run has the same score: there is no tail to choose", "scores")
    if not distinct:  # a count that reaches the lowest score keeps all runs above it
        at = np.minimum(at, levels.size - 2)
    keep = at + 1 < levels.size  # (else there is no lower score to split at: left out)
    thresholds = (levels[at[keep]] + levels[at[keep] + 1]) / 2  # ascending: most runs first
    return sign * (np.unique(thresholds) if distinct else thresholds)


def candidate_ladders(scores, maximize: bool = True, distinct: bool = True):
    r"""The candidates of ``threshold="auto"``, and those it falls back to where the tail PIT rejects one.

    A search of a few dozen runs leaves only a few runs beyond its highest
    candidate to score the candidates on, and none to spare: the first
    ladder stops at :data:`MIN_SCORED` (16) runs (:func:`candidate_thresholds`).
    Where the tail PIT rejects one of its candidates (p-value below
    :data:`MIN_PIT_PVALUE`: the bulk reaches into the ladder, as a cluster
    of diverged runs does), the quadratic-like tail is shorter than the
    ladder assumes, and the fit stacks the ladder that reaches down to
    :data:`~bayesq.model.MIN_TAIL` (8) runs instead
    (:func:`bayesq.stacked.fit_candidates`). From about 155 runs on, 10 %
    of the runs is 16 or more, and the two ladders are the same.

    Parameters
    ----------
    scores : array_like
        Every run's score (:func:`candidate_thresholds`).
    maximize : bool
        Whether higher scores are better.
    distinct : bool
        As for :func:`candidate_thresholds`.

    Returns
    -------
    first : numpy.ndarray
        The candidates, lowest tail count last.
    fallback : numpy.ndarray or None
        The candidates of the ladder down to the larger of 10 % of the runs
        and 8 (``floor=8``); ``None`` where it is ``first``.

    Examples
    --------
    >>> import numpy as np
    >>> from bayesq.stacking import candidate_ladders
    >>> first, fallback = candidate_ladders(np.arange(64) / 64)
    >>> first.size, fallback.size, float(first[0]) == float(fallback[0])
    (5, 5, True)
    >>> candidate_ladders(np.arange(512) / 512)[1] is None
    True
    """
    first = candidate_thresholds(scores, maximize, distinct=distinct)
    fallback = candidate_thresholds(scores, maximize, distinct=distinct, floor=MIN_TAIL)
    return first, None if np.array_equal(first, fallback) else fallback


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
    return conditional_elpd(posterior, conditional_log_density(posterior, top, cutoff, maximize))


def conditional_elpd(posterior, conditional: xr.DataArray):
    """PSIS-LOO (:func:`arviz_stats.loo`) of pointwise log densities ``conditional`` under ``posterior``.

    Parameters
    ----------
    posterior : xarray.Dataset or DataTree node
        The draws (``alpha``, ``beta``, ``gamma``, ``sigma``; a ``search``
        dimension is kept), whose effective sample size scales the Pareto
        smoothing.
    conditional : xarray.DataArray
        Dims ``chain``, ``draw``, ``top_run``: :func:`conditional_log_density`,
        or several of them concatenated along ``top_run`` (a joint fit).

    Returns
    -------
    arviz_stats.ELPDData
        Pointwise (``elpd_i``, ``pareto_k``) over ``top_run``.
    """
    import arviz_stats

    tree = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset({name: posterior[name] for name in PARAMETERS}),
            "log_likelihood": xr.Dataset({"top": conditional}),
        }
    )
    with warnings.catch_warnings():  # (the Pareto k of every run is returned, and the results list them)
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto", category=UserWarning)
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
    evenly spaced positions (:math:`D` the fewest draws of the chain of a
    candidate of positive weight, and the chains those such candidates all
    have; the :math:`n_j` are rounded by largest remainder so that they sum
    to :math:`D`). The variables kept are those every candidate has, with
    the same dimensions, starting with ``chain`` and ``draw`` (a joint fit's
    keep their ``search``, with its coordinate).

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
    weighted = [p for p, w in zip(posteriors, weights, strict=True) if w > 0]  # (the others give no draws)
    chains = min(p.sizes["chain"] for p in weighted)
    size = min(p.sizes["draw"] for p in weighted)
    exact = weights * size
    counts = np.floor(exact).astype(int)
    counts[np.argsort(counts - exact)[: size - counts.sum()]] += 1  # largest remainders
    first = posteriors[0]
    names = [
        v
        for v in first.data_vars
        if first[v].dims[:2] == SAMPLE_DIMS and all(v in p and p[v].dims == first[v].dims for p in posteriors)
    ]
    parts = {v: [] for v in [*names, "candidate"]}
    for j, (posterior, n) in enumerate(zip(posteriors, counts, strict=True)):
        if n == 0:
            continue
        at = np.floor((np.arange(n) + 0.5) * posterior.sizes["draw"] / n).astype(int)
        for v in names:
            parts[v].append(np.asarray(posterior[v].values[:chains, at], dtype=float))
        parts["candidate"].append(np.full((chains, n), j))
    dims = {v: first[v].dims for v in names} | {"candidate": SAMPLE_DIMS}
    data = {v: (dims[v], np.concatenate(p, axis=1)) for v, p in parts.items()}
    extra = {d: first[d].values for v in names for d in dims[v][2:] if d in first.coords}
    return xr.Dataset(data, coords={"chain": np.arange(chains), "draw": np.arange(size), **extra})
