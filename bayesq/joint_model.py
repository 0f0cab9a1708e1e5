r"""Several searches in one model: the joint model of :func:`bayesq.fit_joint`, with partial pooling.

:func:`build_joint_model` is the model of named searches split at their
thresholds; :func:`joint_data_model` is the same model with the data left
open (shared variables), which nutpie compiles once per setting and feeds
any searches (:func:`bayesq.samplers.nutpie.joint_program`), as
:func:`bayesq.model.data_model` does for one search.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from bayesq.model import (
    POOLABLE,
    PreparedScores,
    add_likelihood,
    bounded_gamma,
    check_n_hyperparameters,
    data_template,
    data_values,
    log_scales,
    pooled_logs,
    prepare_scores,
    tail_support,
)
from bayesq.priors import check_priors

__all__ = [
    "build_joint_model",
    "check_pool",
    "check_searches",
    "joint_data_model",
    "joint_data_values",
    "joint_model",
]


def check_searches(searches, thresholds, maximize=True) -> dict[str, PreparedScores]:
    """Validate several searches and their thresholds: ``{name: PreparedScores}``.

    ``thresholds`` is one number for all or a mapping with one per search.
    """
    if not isinstance(searches, Mapping) or not searches:
        raise ValueError("searches must be a non-empty mapping {name: scores}")
    names = list(searches)
    for name in names:
        if not isinstance(name, str) or not name:
            raise ValueError(f"search names must be non-empty strings, got {name!r}")
    if isinstance(thresholds, Mapping):
        missing = [n for n in names if n not in thresholds]
        extra = [n for n in thresholds if n not in searches]
        if missing or extra:
            raise ValueError(
                f"thresholds must name every search: missing {missing or 'none'}, unknown {extra or 'none'}"
            )
    else:
        thresholds = dict.fromkeys(names, thresholds)
    prepared = {}
    for name in names:
        try:
            prepared[name] = prepare_scores(searches[name], thresholds[name], maximize)
        except ValueError as err:
            raise ValueError(f"search {name!r}: {err}") from None
    return prepared


def build_joint_model(
    searches, thresholds, maximize=True, pool=("gamma",), noise=True, priors=None, n_hyperparameters=None
) -> pm.Model:
    r"""One model of several searches, with partial pooling across them.

    Each search :math:`j` keeps its own tail mass, best score and threshold
    (:mod:`bayesq.priors`); with ``"gamma"`` in ``pool`` the log of the
    effective number of hyperparameters is hierarchical,

    .. math::

        \log\gamma_j = \mu_\gamma + \tau_\gamma z_j,\quad
        \mu_\gamma \sim \mathcal N(\log\gamma_\text{med}, s_\gamma),\quad
        \tau_\gamma \sim \text{HalfNormal}(s_\text{pool}),\quad
        z_j \sim \mathcal N(0, 1)

    sampled with :math:`\mu_\gamma` integrated out and the vector of
    :math:`\log\gamma_j` split into its mean and its contrasts
    (:func:`bayesq.model.pooled_logs`: ``gamma_tau``, ``gamma_level``,
    ``gamma_contrast``), and likewise
    :math:`\log(\sigma_j/\bar d) = \mu_\sigma + \tau_\sigma z^\sigma_j`
    with ``"sigma"`` in ``pool`` (:math:`\bar d` the geometric mean of the
    tails' spreads, so seed noise is pooled in the scores' own units, as
    when several architectures are scored on one benchmark). Without
    pooling, each search has the priors of :func:`bayesq.build_model`: the model is
    the separate fits side by side (one posterior, for model comparison).
    In the noisy model, unless sigma is pooled, each search's ``log_sigma`` and ``log_beta_gap``
    are sampled in the polar coordinates of :func:`bayesq.build_model`.

    The spread's prior is :math:`\tau \sim \text{HalfNormal}(0.3)`
    (``pool_log_sd``): architectures on one search space have gammas within
    a factor of about 1.8 of each other (95 % prior mass); with two
    searches the data say little about :math:`\tau`, and a scale of 0.5
    let NUTS diverge twice in 4,000 draws on the DeBERTas.

    With ``n_hyperparameters=h`` (searches on one search space share its
    nominal count), gamma is bounded as in :func:`bayesq.build_model`,
    :math:`\gamma_j = h\,\operatorname{logistic}(\eta_j)`, and the
    :math:`\eta_j` take the place of the :math:`\log\gamma_j` above: pooled
    with centre :math:`\operatorname{logit}(\min(m, h/2)/h)` and scale 1.5,
    or, unpooled, ``gamma_logit`` with that prior, search by search.

    ``noise=False`` is the noiseless quadratic (:math:`\sigma = 0`): its
    support must contain every score, so its best score is counted from the
    best tail score, :math:`\log((\beta - \max y)/d) \sim
    \mathcal N(\mu_0, s_0)` (``noiseless_gap_log_mean``,
    ``noiseless_gap_log_sd``), maximized frame.

    Parameters
    ----------
    searches : mapping
        ``{name: scores}``, two or more searches (one works too).
    thresholds : float or mapping
        The threshold of every search, or one per name.
    maximize : bool
        Direction, shared by all searches.
    pool : iterable of {"gamma", "sigma"}
        What to pool; empty for separate searches.
    noise : bool
        Noisy (default) or noiseless quadratic.
    priors : Priors, optional
        ``pool_log_sd`` is the scale of the half-normal prior on the
        :math:`\tau`.
    n_hyperparameters : float, optional
        Nominal number of hyperparameters, shared by the searches: an upper
        bound on every gamma.

    Returns
    -------
    pymc.Model
        Variables with dim ``search``: ``alpha``, ``beta``, ``gamma``,
        ``sigma``, ``tail_mass``, ``log_beta_gap`` (and ``log_sigma``);
        observed ``tail_{j}`` and ``censored_{j}`` for the ``j``-th search.
    """
    return joint_model(check_searches(searches, thresholds, maximize), pool, noise, priors, n_hyperparameters)


def check_pool(pool, noise: bool = True) -> tuple:
    """``pool`` as a tuple, checked against :data:`~bayesq.model.POOLABLE` and ``noise``."""
    pool = tuple(pool)
    unknown = [p for p in pool if p not in POOLABLE]
    if unknown:
        raise ValueError(f"cannot pool {unknown}: choose from {POOLABLE}")
    if "sigma" in pool and not noise:
        raise ValueError("the noiseless model has no sigma to pool")
    return pool


def joint_model(data, pool, noise, priors, n_hyperparameters=None, weights=None) -> pm.Model:
    """:func:`build_joint_model` on searches already split at their thresholds (the other arguments checked).

    ``data`` is one :class:`~bayesq.model.PreparedScores` per search, in
    order; its tails, thresholds and spreads may be shared variables, with
    ``weights`` the counts of each search's distinct tail scores and its
    number of censored runs (:func:`joint_data_model`, as
    :func:`bayesq.model.search_model` does for one search). Its keys name
    the searches (the ``search`` coordinate).
    """
    priors = check_priors(priors)
    check_n_hyperparameters(n_hyperparameters)
    pool = check_pool(pool, noise)
    if pool and len(data) < 2:
        raise ValueError(f"pooling {', '.join(pool)} needs two or more searches, got {len(data)}")
    parts = list(data.values())
    names = list(data)
    n_search = len(parts)
    polar = noise and "sigma" not in pool
    coords = {"search": names}
    if polar:
        coords["scale"] = ["log_sigma", "log_beta_gap"]
    if weights is None:
        for j, d in enumerate(parts):
            coords[f"tail_run_{j}"] = np.arange(d.tail.size)
            coords[f"censored_run_{j}"] = np.arange(d.censored.size)
    spreads = pt.stack([pt.as_tensor(d.spread, dtype="float64") for d in parts])
    with pm.Model(coords=coords) as model:
        tail_mass = pm.Beta("tail_mass", priors.tail_mass_a, priors.tail_mass_b, dims="search")
        if polar:
            # the separate models' priors and polar coordinates, search by search
            log_sigma, log_gap = log_scales(priors, dims="search")
        elif noise:
            log_gap = pm.Normal(
                "log_beta_gap", priors.beta_gap_log_mean, priors.beta_gap_log_sd, dims="search"
            )
        else:
            log_gap = pm.Normal(
                "log_beta_gap", priors.noiseless_gap_log_mean, priors.noiseless_gap_log_sd, dims="search"
            )
        if n_hyperparameters is None and "gamma" in pool:
            log_gamma = pooled_logs(
                "gamma", n_search, np.log(priors.gamma_median), priors.gamma_log_sd, priors
            )
            gamma = pm.Deterministic("gamma", pt.exp(log_gamma), dims="search")
        elif n_hyperparameters is None:
            gamma = pm.LogNormal("gamma", np.log(priors.gamma_median), priors.gamma_log_sd, dims="search")
        else:
            gamma = bounded_gamma(priors, n_hyperparameters, "search", n_search if "gamma" in pool else 0)
        if not noise:
            sigma = pm.Deterministic("sigma", pt.zeros(n_search), dims="search")
        elif "sigma" in pool:
            log_sigma = pooled_logs("sigma", n_search, priors.sigma_log_mean, priors.sigma_log_sd, priors)
            typical = pt.exp(pt.mean(pt.log(spreads)))
            sigma = pm.Deterministic("sigma", typical * pt.exp(log_sigma), dims="search")
        else:
            sigma = pm.Deterministic("sigma", spreads * pt.exp(log_sigma), dims="search")
        ends = [tail_support(d, tail_mass[j], gamma[j], log_gap[j], noise) for j, d in enumerate(parts)]
        alpha = pm.Deterministic("alpha", pt.stack([a for a, _ in ends]), dims="search")
        beta = pm.Deterministic("beta", pt.stack([b for _, b in ends]), dims="search")
        for j, d in enumerate(parts):
            w = None if weights is None else weights[j]
            add_likelihood(d, alpha[j], beta[j], gamma[j], sigma[j] if noise else None, f"_{j}", w)
    return model


def joint_data_model(
    n_search: int, maximize: bool, pool=("gamma",), noise=True, priors=None, n_hyperparameters=None
):
    r"""The joint model of ``n_search`` searches with the data left open: compiled once, fed many.

    As :func:`bayesq.model.data_model` for one search: search :math:`j`'s
    data are the shared variables ``{name}_{j}`` for each name of
    :data:`bayesq.model.DATA` (its distinct tail scores and their counts,
    its censored count, threshold and spread), its likelihood
    :math:`\sum_i c_{ji} \log f(u_{ji}\mid\theta_j) + n_{cj} \log F(t_j\mid\theta_j)`,
    equal to :func:`build_joint_model`'s. The ``search`` coordinate is
    ``0, 1, ...``: the fit names the searches (:func:`bayesq.fit_joint`).

    Returns
    -------
    model : pymc.Model
    data : dict
        The shared variables by name (:func:`joint_data_values` sets them).

    Examples
    --------
    >>> from bayesq.joint_model import joint_data_model
    >>> model, shared = joint_data_model(2, maximize=True)
    >>> sorted(shared)[:3], model.coords["search"]
    (['n_censored_0', 'n_censored_1', 'spread_0'], ('0', '1'))
    """
    shared, parts, weights = {}, {}, []
    for j in range(n_search):
        parts[str(j)], one, weights_j = data_template(maximize, f"_{j}")
        shared.update(one)
        weights.append(weights_j)
    return joint_model(parts, pool, noise, priors, n_hyperparameters, weights), shared


def joint_data_values(data) -> dict[str, np.ndarray]:
    """The values of :func:`joint_data_model`'s shared variables for ``{name: PreparedScores}``, in order."""
    return {
        f"{name}_{j}": value for j, d in enumerate(data.values()) for name, value in data_values(d).items()
    }
