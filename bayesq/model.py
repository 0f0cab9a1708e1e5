r"""The censored-tail model of a random search: its variables and the likelihood.

Likelihood
----------
Scores beyond the threshold :math:`t` (above it when maximizing, below it when
minimizing) follow the noisy quadratic distribution (Lourie, He and Cho,
"Hyperparameter Loss Surfaces Are Simple Near their Optima", COLM 2025, who
fit the same censored tail by maximum product of spacings) and enter
exactly; every other run only says that it fell on the other side (the
theory page of the documentation, docs/theory.md, "The censored
likelihood"):

.. math::

    \log L = \sum_{y_i > t} \log f(y_i \mid \theta) + n_{\le t}\,\log F(t \mid \theta)

(mirrored when minimizing). The model has two observed variables: ``tail``
(:class:`bayesq.NoisyQuadratic`, one log-likelihood term per tail score) and
``censored`` (one term :math:`\log F(t\mid\theta)` per censored run, computed
once and shared), so the ``log_likelihood`` group of the fit has a point per
run.

The priors and their parametrization are :mod:`bayesq.priors`'s.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt

from bayesq import validate
from bayesq.distributions import NoisyQuadratic, Quadratic
from bayesq.exceptions import InputError
from bayesq.logdensity import noisy_quadratic_logcdf, noisy_quadratic_logsf, quadratic_logcdf, quadratic_logsf
from bayesq.priors import GAMMA_LOGIT_SD, NoiseSignalPolar, Priors, check_priors
from bayesq.sources import read_search

__all__ = [
    "COORDINATES",
    "MIN_TAIL",
    "PARAMETERS",
    "POOLABLE",
    "POOLING",
    "build_model",
    "data_model",
    "data_template",
    "data_values",
    "prepare_scores",
    "search_model",
    "tail_support",
]

# The variables the models declare, named once here; everything that reads a posterior reads these.
PARAMETERS = ("alpha", "beta", "gamma", "sigma")  # the noisy quadratic's, in the user's frame
COORDINATES = ("tail_mass", "log_beta_gap", "log_sigma")  # what NUTS samples, one set per search
GAMMA_LOGIT = "gamma_logit"  # sampled instead of gamma when n_hyperparameters bounds it
POOLABLE = ("gamma", "sigma")  # what build_joint_model can pool across searches
POOLING_PARTS = ("tau", "level", "contrast")  # pooled_logs' variables, e.g. gamma_tau
POOLING = tuple(f"{p}_{part}" for p in POOLABLE for part in POOLING_PARTS)
MIN_TAIL = 8  # fewer tail scores cannot inform four parameters
DATA = ("tail_scores", "tail_counts", "n_censored", "threshold", "spread")  # data_model's inputs


@dataclasses.dataclass(frozen=True)
class PreparedScores:
    """Validated scores split at the threshold (in the user's frame)."""

    scores: np.ndarray
    threshold: float
    maximize: bool
    tail: np.ndarray
    censored: np.ndarray
    spread: float


def prepare_scores(scores, threshold, maximize=True, spread=None) -> PreparedScores:
    r"""Validate scores and threshold, and split the scores at the threshold.

    ``spread``, the priors' unit, is the standard deviation of the tail
    scores unless given (a fixed unit, chosen before seeing the data).

    A failed run (a NaN or infinite score: :mod:`bayesq.sources`, "Failed
    runs") is a run of the search that scored nothing usable. It is counted
    on the bad side of the threshold, among the censored runs, and kept as
    the worst score there is (:math:`-\infty` when maximizing,
    :math:`+\infty` when minimizing).

    Parameters
    ----------
    scores : array_like, path or any source of :func:`bayesq.sources.read_search`
        One score per run.
    threshold : float
        Scores beyond it (above when maximizing) form the tail.
    maximize : bool
        Whether higher scores are better.
    spread : float, optional
        The priors' unit.

    Returns
    -------
    PreparedScores
        The scores, the threshold, the direction, the tail, the censored
        runs and the unit.

    Raises
    ------
    ValueError
        No run with a score, a non-finite threshold,
        fewer than :data:`MIN_TAIL` scores beyond the threshold, a tail
        without spread, or a given ``spread`` that is not finite and positive.
    """
    if spread is not None and not (np.isfinite(spread) and spread > 0):
        raise InputError(f"{{arg}} (the priors' unit) must be finite and positive, got {spread}", "spread")
    maximize = validate.boolean(maximize, "maximize")
    threshold = validate.number(threshold, "threshold")
    search = read_search(scores, maximize=maximize)
    if search.maximize is not None and search.maximize != maximize:
        recorded = "maximizes" if search.maximize else "minimizes"
        raise InputError(f"{search.origin} {recorded}: pass maximize={search.maximize}", "maximize")
    y = search.scores
    failed = ~np.isfinite(y)
    if failed.all():
        raise InputError(f"all {y.size} runs failed (NaN or infinite scores): there is nothing to fit")
    # a failed run scored the worst possible: it falls on the bad side of any threshold
    y = np.where(failed, -np.inf if maximize else np.inf, y)
    beyond = y > threshold if maximize else y < threshold
    side = "above" if maximize else "below"
    n_tail = int(beyond.sum())
    if n_tail < MIN_TAIL:
        raise InputError(
            f"only {n_tail} of {y.size} scores lie {side} the threshold {threshold} "
            f"(need at least {MIN_TAIL}); move the threshold {'down' if maximize else 'up'}"
        )
    tail = y[beyond]
    spread = float(np.std(tail, ddof=1)) if spread is None else float(spread)
    # equal up to rounding (the std of equal floats can be 1e-16, not 0)
    if not np.ptp(tail) > 1e-12 * max(1.0, float(np.max(np.abs(tail)))):
        raise InputError(
            f"the {n_tail} scores {side} the threshold are all equal ({tail[0]}): the tail has no spread"
        )
    return PreparedScores(y, float(threshold), bool(maximize), tail, y[~beyond], spread)


def build_model(
    scores, threshold, maximize=True, n_hyperparameters=None, priors=None, spread=None
) -> pm.Model:
    r"""The PyMC model of a random search's censored tail.

    The model :func:`bayesq.fit` samples: the scores beyond ``threshold``
    follow :class:`bayesq.NoisyQuadratic` and enter with their density, the
    others through :math:`\log F(t \mid \theta)` each (module docstring),
    with the priors and coordinates of :mod:`bayesq.priors`, all in units
    of the tail's spread :math:`d`. Build it to inspect the model, to draw
    from its prior, or to sample it with settings :func:`bayesq.fit` does
    not offer.

    Parameters
    ----------
    scores : array_like, pandas.Series or path
        One score per run: an array, a Series, or a CSV / one-score-per-line
        file (:func:`bayesq.data.read_scores`; read a JSONL file with it
        first, with its ``extract``).
    threshold : float
        Start of the asymptotic regime: scores beyond it enter exactly.
    maximize : bool
        Whether larger scores are better (concave form, best score ``beta``).
    n_hyperparameters : float, optional
        Nominal number of hyperparameters searched: an upper bound on gamma.
    priors : Priors, optional
        Prior settings (:mod:`bayesq.priors`); defaults are weakly informative.
    spread : float, optional
        The priors' unit :math:`d`; by default the standard deviation of the
        tail scores. Fixing it in advance makes the prior independent of the
        data (simulation-based calibration, calibration benchmarks).

    Returns
    -------
    pymc.Model
        With free variables ``tail_mass``, ``gamma`` (or ``gamma_logit``) and
        ``log_scales`` (``log_sigma`` and ``log_beta_gap``, sampled in polar
        coordinates), deterministics ``alpha``, ``beta``, ``sigma``,
        ``log_sigma``, ``log_beta_gap`` (and ``gamma`` when
        ``n_hyperparameters`` bounds it), and observed ``tail`` and
        ``censored``.

    Raises
    ------
    bayesq.exceptions.InputError
        Scores or a threshold that cannot be used: non-finite scores, fewer
        than :data:`MIN_TAIL` (8) scores beyond the threshold, a tail without
        spread, a ``spread`` that is not positive.

    See Also
    --------
    bayesq.fit : Samples this model and checks the draws.
    build_joint_model : Several searches in one model.

    Examples
    --------
    >>> import bayesq
    >>> from bayesq.simulate import simulate_random_search
    >>> scores = simulate_random_search(n=200, random_seed=0).scores
    >>> model = bayesq.build_model(scores, 0.85)
    >>> [rv.name for rv in model.free_RVs]
    ['tail_mass', 'gamma', 'log_scales']
    >>> [rv.name for rv in model.observed_RVs]
    ['tail', 'censored']
    >>> bayesq.build_model(scores, 0.85, n_hyperparameters=3).free_RVs[1].name
    'gamma_logit'
    """
    return search_model(prepare_scores(scores, threshold, maximize, spread), n_hyperparameters, priors)


def search_model(
    data: PreparedScores, n_hyperparameters=None, priors: Priors | None = None, weights=None
) -> pm.Model:
    """:func:`build_model` on scores already split at the threshold.

    ``data.tail``, ``data.threshold`` and ``data.spread`` may be PyTensor
    variables (shared or symbolic), and ``weights`` the counts of the tail
    scores and the number of censored runs (:func:`data_model`, which builds
    this one model once for many data sets).
    """
    priors = check_priors(priors)
    check_n_hyperparameters(n_hyperparameters)
    coords = {
        "scale": ["log_sigma", "log_beta_gap"],
        "tail_run": np.arange(_length(data.tail)),
        "censored_run": np.arange(_length(data.censored)),
    }
    with pm.Model(coords=coords) as model:
        tail_mass = pm.Beta("tail_mass", priors.tail_mass_a, priors.tail_mass_b)
        if n_hyperparameters is None:
            gamma = pm.LogNormal("gamma", np.log(priors.gamma_median), priors.gamma_log_sd)
        else:
            gamma = bounded_gamma(priors, n_hyperparameters)
        log_sigma, log_gap = log_scales(priors)
        sigma = pm.Deterministic("sigma", data.spread * pt.exp(log_sigma))
        alpha, beta = tail_support(data, tail_mass, gamma, log_gap, noise=True)
        alpha, beta = pm.Deterministic("alpha", alpha), pm.Deterministic("beta", beta)
        add_likelihood(data, alpha, beta, gamma, sigma, weights=weights)
    return model


def _length(values) -> int:
    """Number of scores in an array or a shared variable."""
    return len(values.get_value() if hasattr(values, "get_value") else values)


def check_n_hyperparameters(n_hyperparameters) -> None:
    """``InputError`` unless ``n_hyperparameters`` is None or a finite positive number."""
    if n_hyperparameters is not None:
        validate.number(n_hyperparameters, "n_hyperparameters", low=0, open_low=True)


def tail_support(data: PreparedScores, tail_mass, gamma, log_gap, noise: bool):
    """alpha and beta (user's frame) of one search from its tail mass, gamma and log gap.

    The gap is counted from the threshold (noisy model) or from the best
    tail score (noiseless model, whose support must contain every score).
    """
    sign = 1.0 if data.maximize else -1.0
    if noise:
        anchor = sign * data.threshold
    elif isinstance(data.tail, np.ndarray):
        anchor = float(np.max(sign * data.tail))
    else:  # the distinct tail scores of a data model, a shared variable (no padding)
        anchor = pt.max(sign * data.tail)
    t = sign * data.threshold
    best = anchor + data.spread * pt.exp(log_gap)  # beta in the maximized frame
    worst = best - (best - t) * tail_mass ** (-2.0 / gamma)
    return (worst, best) if data.maximize else (-best, -worst)


def add_likelihood(
    data: PreparedScores, alpha, beta, gamma, sigma=None, suffix: str = "", weights=None
) -> None:
    r"""The censored-tail likelihood of one search, in the current model context.

    Adds ``tail{suffix}`` (one density term per tail score; the quadratic
    distribution when ``sigma`` is None, else the noisy quadratic) and
    ``censored{suffix}`` (:math:`\log F(t\mid\theta)` per censored run,
    mirrored when minimizing), with dims ``tail_run{suffix}`` and
    ``censored_run{suffix}``.

    With ``weights=(counts, n_censored)`` the tail holds distinct scores
    :math:`u_j` and the two terms are potentials of the summed log-likelihood,
    :math:`\sum_j c_j \log f(u_j\mid\theta) + n_c \log F(t\mid\theta)`,
    where a count of 0 (padding, or no censored run) contributes nothing,
    even where its log-likelihood is not finite (:func:`data_model`).
    """
    maximize = data.maximize
    noiseless = sigma is None
    params = (alpha, beta, gamma) if noiseless else (alpha, beta, gamma, sigma)
    if noiseless:
        dist, side = Quadratic, (quadratic_logcdf if maximize else quadratic_logsf)
    else:
        dist, side = NoisyQuadratic, (noisy_quadratic_logcdf if maximize else noisy_quadratic_logsf)
    if weights is not None:
        counts, n_censored = weights
        terms = pm.logp(dist.dist(*params, maximize=maximize), data.tail)
        pm.Potential(f"tail{suffix}", pt.sum(pt.switch(counts > 0, counts * terms, 0.0)))
        censored = side(data.threshold, *params, maximize)
        pm.Potential(f"censored{suffix}", pt.switch(n_censored > 0, n_censored * censored, 0.0))
        return
    dist(f"tail{suffix}", *params, maximize=maximize, observed=data.tail, dims=f"tail_run{suffix}")
    if _length(data.censored):

        def censored_logp(value, *params):
            # P(a run falls on the censored side): one scalar, shared by every censored run
            return pt.zeros_like(value) + side(data.threshold, *params, maximize)

        pm.CustomDist(
            f"censored{suffix}",
            *params,
            logp=censored_logp,
            observed=data.censored,
            dims=f"censored_run{suffix}",
        )


def data_model(maximize: bool, n_hyperparameters=None, priors: Priors | None = None):
    r"""The model of :func:`search_model` with the data left open: compiled once, fed many searches.

    The data are shared variables (names :data:`DATA`): the distinct tail
    scores ``tail_scores`` with their counts ``tail_counts`` (count 0 for
    padding), the number of censored runs ``n_censored``, ``threshold`` and
    ``spread``. The likelihood is
    :math:`\sum_j c_j \log f(u_j\mid\theta) + n_c \log F(t\mid\theta)`
    (:func:`add_likelihood` with ``weights``), equal to :func:`search_model`'s
    for the same scores, with each repeated score computed once. Set the data
    with ``set_value``, replace them by symbolic inputs
    (:mod:`bayesq.batch`), or hand the compiled model new values (nutpie's
    ``with_data``, :func:`bayesq.fit`).

    Returns
    -------
    model : pymc.Model
    data : dict
        The shared variables by name.
    """
    template, shared, weights = data_template(maximize)
    return search_model(template, n_hyperparameters, priors, weights=weights), shared


def data_template(maximize: bool, suffix: str = ""):
    """One search's data as shared variables, named :data:`DATA` with ``suffix``: the data of a data model.

    Returns
    -------
    template : PreparedScores
        Its tail (the distinct tail scores), threshold and spread the shared variables.
    shared : dict
        The shared variables by name.
    weights : tuple
        The counts of the tail scores and the number of censored runs (:func:`add_likelihood`'s ``weights``).
    """
    shared = {
        f"{name}{suffix}": pytensor.shared(
            np.ones(1) if name.startswith("tail") else np.array(1.0), name=f"{name}{suffix}"
        )
        for name in DATA
    }
    template = PreparedScores(
        scores=None,
        threshold=shared[f"threshold{suffix}"],
        maximize=bool(maximize),
        tail=shared[f"tail_scores{suffix}"],
        censored=np.zeros(0),
        spread=shared[f"spread{suffix}"],
    )
    return template, shared, (shared[f"tail_counts{suffix}"], shared[f"n_censored{suffix}"])


def data_values(data: PreparedScores) -> dict[str, np.ndarray]:
    """The values of :func:`data_model`'s shared variables for one search."""
    values, counts = np.unique(data.tail, return_counts=True)
    return {
        "tail_scores": values,
        "tail_counts": counts.astype(float),
        "n_censored": np.array(float(data.censored.size)),
        "threshold": np.array(float(data.threshold)),
        "spread": np.array(float(data.spread)),
    }


def log_scales(priors: Priors, dims: str | None = None):
    """``log_sigma`` and ``log_beta_gap``: independent normals, sampled in polar coordinates.

    One pair, or one per entry of ``dims`` (the joint model's ``"search"``).
    """
    mean = np.array([priors.sigma_log_mean, priors.beta_gap_log_mean])
    sd = np.array([priors.sigma_log_sd, priors.beta_gap_log_sd])
    outer = () if dims is None else (dims,)
    scales = pm.MvNormal(
        "log_scales", mean, np.diag(sd**2), transform=NoiseSignalPolar(), dims=(*outer, "scale")
    )
    return (
        pm.Deterministic("log_sigma", scales[..., 0], dims=dims),
        pm.Deterministic("log_beta_gap", scales[..., 1], dims=dims),
    )


def bounded_gamma(priors: Priors, n_hyperparameters, dims: str | None = None, pooled: int = 0):
    r"""``gamma`` bounded by ``h``: :math:`h\,\operatorname{logistic}(\eta)` (:mod:`bayesq.priors`).

    :math:`\eta \sim \mathcal N(\operatorname{logit}(\min(m, h/2)/h), 1.5)`
    (``gamma_logit``), one per entry of ``dims``; with ``pooled=n``, the
    hierarchical normals of :func:`pooled_logs` across ``n`` searches.
    """
    h = float(n_hyperparameters)
    share = min(priors.gamma_median, h / 2) / h
    center = float(np.log(share / (1 - share)))
    if pooled:
        eta = pooled_logs("gamma", pooled, center, GAMMA_LOGIT_SD, priors)
    else:
        eta = pm.Normal(GAMMA_LOGIT, center, GAMMA_LOGIT_SD, dims=dims)
    return pm.Deterministic("gamma", h * pm.math.sigmoid(eta), dims=dims)


def pooled_logs(name, n, center, scale, priors):
    r"""Hierarchical normals: :math:`x_j \sim \mathcal N(\mu, \tau)`, :math:`\mu \sim \mathcal N(c, s)`.

    Sampled without the funnels of the textbook forms: :math:`\mu` is
    integrated out (:math:`x \sim \mathcal N(c\,1, \tau^2 I + s^2 1 1^\top)`),
    and :math:`x` is split along an orthonormal basis into its mean
    component (sd :math:`\sqrt{\tau^2 + n s^2}`, sampled as is: the data pin it)
    and its :math:`n-1` contrasts (sd :math:`\tau`, sampled as
    :math:`\tau w`, :math:`w \sim \mathcal N(0, 1)`). Adds ``{name}_tau``,
    ``{name}_level`` and ``{name}_contrast``.
    """
    basis = np.linalg.qr(np.column_stack([np.ones(n), np.eye(n)[:, : n - 1]]))[0]
    basis[:, 0] = np.abs(basis[:, 0])
    tau_name, level_name, contrast_name = (f"{name}_{part}" for part in POOLING_PARTS)
    tau = pm.HalfNormal(tau_name, priors.pool_log_sd)
    level = pm.Normal(level_name, 0.0, pt.sqrt(tau**2 + n * scale**2))
    contrast = pm.Normal(contrast_name, 0.0, 1.0, shape=n - 1)
    return center + basis[:, 0] * level + pt.dot(basis[:, 1:], tau * contrast)
