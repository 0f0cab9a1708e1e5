r"""Several searches in one posterior: partial pooling across architectures.

:func:`fit_joint` samples :func:`bayesq.model.build_joint_model`: searches
that share a search space (DeBERTa and DeBERTaV3 on one grid of
hyperparameters) are expected to share the effective number of
hyperparameters :math:`\gamma`; a hierarchical prior lets the data say how
much. The result, :class:`JointFit`, holds one :class:`xarray.DataTree` whose
variables have a ``search`` dimension, with

* ``log_likelihood["scores"]``: one point per run of every search, in order
  (search by search: its tail scores, then its censored runs;
  ``run_search`` names the search of each point). A tail score's point is
  :math:`\log f(y_i\mid\theta)`, a censored run's is
  :math:`\log F(t\mid\theta)` (mirrored when minimizing): leaving a
  censored run out removes one factor of the censored likelihood, so its
  PSIS-LOO term is the predictive probability that a new run lands on the
  censored side. Models compared with :func:`bayesq.comparison.compare_models`
  must split the same scores at the same thresholds.
* one :class:`bayesq.FitResult` per search (:meth:`JointFit.result`) for
  tuning curves and the best score, and :func:`bayesq.compare` for
  probabilities across searches (the joint draws are paired).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from bayesq import validate
from bayesq.diagnostics import SENSITIVITY, prior_sensitivity
from bayesq.exceptions import InputError
from bayesq.loglik import pointwise_log_likelihood
from bayesq.model import COORDINATES, PARAMETERS, build_joint_model, check_n_hyperparameters, check_searches
from bayesq.priors import Priors, check_priors
from bayesq.results import FitResult, Result
from bayesq.samplers import TARGET_ACCEPT, SamplerOptions
from bayesq.samplers.extension import sample_until
from bayesq.samplers.nutpie import backend as nutpie_backend
from bayesq.settings import DataSettings, ModelSettings, Settings

__all__ = ["JointFit", "fit_joint"]

_SEARCH_VARIABLES = (*PARAMETERS, *COORDINATES)  # one per search


class JointFit(Result, kind="joint"):
    """The posterior of several searches fitted together (:func:`fit_joint`).

    ``idata`` holds the posterior (dim ``search``), the sample stats,
    ``log_likelihood["scores"]`` (one point per run of every search, search
    by search, its tail scores then its censored runs; the coordinate
    ``run_search`` names each point's search) and the observed data
    ``tail_{j}`` / ``censored_{j}``; ``settings`` the names, thresholds,
    direction, pooling, noise, priors and sampler. Each search's part is a
    :class:`bayesq.FitResult` (:meth:`result`), for its tuning curves and
    best score; :func:`bayesq.compare` compares the searches on the joint
    draws, and :func:`bayesq.compare_models` compares joint fits of the same
    scores (pooled or not, noisy or not) by PSIS-LOO.

    Parameters
    ----------
    idata : xarray.DataTree
        The joint posterior, with its settings in the attributes of its
        ``posterior`` group.
    model : pymc.Model, optional
        The PyMC model that drew it; rebuilt on demand otherwise.

    Attributes
    ----------
    idata : xarray.DataTree
        The posterior and its companions.
    settings : bayesq.settings.Settings
        The model, sampler and data settings the fit ran with.

    See Also
    --------
    fit_joint : Makes one; its example uses one.
    """

    _who = "bayesq.fit_joint"

    @property
    def names(self) -> list[str]:
        """The searches' names, in the order given to :func:`fit_joint`."""
        return list(self.settings.data.names)

    @property
    def maximize(self) -> bool:
        """Whether higher scores are better (shared by the searches)."""
        return self.settings.model.maximize

    def scores(self, name: str) -> np.ndarray:
        """Every score of one search (tail first, then the censored runs).

        Parameters
        ----------
        name : str
            A search.

        Returns
        -------
        numpy.ndarray

        Raises
        ------
        KeyError
            No search of that name.
        """
        j = self._index(name)
        obs = self.idata.observed_data
        parts = [obs[f"tail_{j}"].values]
        if f"censored_{j}" in obs:
            parts.append(obs[f"censored_{j}"].values)
        return np.concatenate(parts)

    def _index(self, name: str) -> int:
        if name not in self.names:
            raise KeyError(f"no search {name!r} in this fit; searches: {', '.join(self.names)}")
        return self.names.index(name)

    @property
    def model(self):
        """The PyMC model (rebuilt from the data and settings after :func:`bayesq.load`)."""
        if self._model is None:
            m, d = self.settings.model, self.settings.data
            self._model = build_joint_model(
                {n: self.scores(n) for n in self.names},
                dict(zip(d.names, d.thresholds, strict=True)),
                m.maximize,
                m.pool,
                m.noise,
                m.priors,
                m.n_hyperparameters,
            )
        return self._model

    def result(self, name: str) -> FitResult:
        """One search's posterior as a :class:`bayesq.FitResult` (tuning curves, best score).

        Its draws are the joint posterior's (pooling included); its
        ``model`` is not available on its own.

        Parameters
        ----------
        name : str
            A search.

        Returns
        -------
        bayesq.FitResult

        Raises
        ------
        KeyError
            No search of that name.
        """
        j = self._index(name)
        s = self.settings
        post = self.idata.posterior.to_dataset()
        part = post[[v for v in _SEARCH_VARIABLES if v in post]].sel(search=name, drop=True)
        loglik = self.idata.log_likelihood["scores"]
        mine = loglik.isel(run=np.flatnonzero(loglik["run_search"].values == name))
        n_tail = s.data.n_tail[j]
        groups = {
            "tail": mine.isel(run=slice(0, n_tail)).rename(run="tail_run").drop_vars("run_search"),
        }
        if s.data.n_censored[j]:
            cens = mine.isel(run=slice(n_tail, None)).rename(run="censored_run").drop_vars("run_search")
            groups["censored"] = cens
        obs = {"tail": self.idata.observed_data[f"tail_{j}"].rename({f"tail_run_{j}": "tail_run"})}
        if f"censored_{j}" in self.idata.observed_data:
            obs["censored"] = self.idata.observed_data[f"censored_{j}"].rename(
                {f"censored_run_{j}": "censored_run"}
            )
        one = s.replace(kind="single", data=s.data.select(j), search=name)
        part = part.assign_attrs(one.to_attrs())
        idata = xr.DataTree.from_dict(
            {
                "posterior": part,
                "sample_stats": self.idata.sample_stats.to_dataset(),
                "log_likelihood": xr.Dataset(groups),
                "observed_data": xr.Dataset(obs),
            }
        )
        return FitResult(idata)

    @property
    def results(self) -> dict[str, FitResult]:
        """:meth:`result` of every search, ``{name: FitResult}``."""
        return {name: self.result(name) for name in self.names}

    def reported(self) -> list[str]:
        """The parameters (sigma when noisy) and the pooling's spreads: what the tables show."""
        post = self.idata.posterior
        names = [v for v in (*PARAMETERS, "gamma_tau", "sigma_tau") if v in post]
        return names if self.settings.model.noise else [v for v in names if v != "sigma"]

    def prior_sensitivity(self, var_names=None, threshold: float = SENSITIVITY):
        """Power-scaling sensitivity to the prior and the likelihood, search by search.

        :func:`bayesq.diagnostics.prior_sensitivity` of the joint posterior: one row
        per search and parameter (``beta[name]``), and one per pooling
        spread (``gamma_tau``); adds the ``log_prior`` group the first time.

        Parameters
        ----------
        var_names : iterable of str, optional
            The posterior variables to report; by default :meth:`reported`.
        threshold : float
            Sensitivity from which a variable is flagged.

        Returns
        -------
        pandas.DataFrame
            Columns ``prior``, ``likelihood`` and ``diagnosis``.
        """
        return prior_sensitivity(self.idata, self.model, var_names or self.reported(), threshold)

    def loo(self, **kwargs):
        """PSIS-LOO of every run (:func:`arviz.loo` with ``pointwise=True``).

        Parameters
        ----------
        **kwargs
            Passed to :func:`arviz.loo`.

        Returns
        -------
        arviz_stats.ELPDData
            The estimate of the expected log predictive density, with the
            Pareto-k of every run.
        """
        import arviz as az

        return az.loo(self.idata, var_name="scores", pointwise=True, **kwargs)

    def headline(self) -> str:
        """One line about the fit: the searches, the model and the sampler."""
        m, names = self.settings.model, self.names
        pool = ", ".join(m.pool) or "nothing"
        return (
            f"bayesq joint fit of {len(names)} searches ({', '.join(names)}); "
            f"{'noisy' if m.noise else 'noiseless'} quadratic, pooling {pool}; sampler {super().headline()}"
        )


def fit_joint(
    searches,
    thresholds,
    maximize: bool = True,
    pool=("gamma",),
    noise: bool = True,
    priors: Priors | None = None,
    n_hyperparameters: float | None = None,
    *,
    sampler: str = "auto",
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = TARGET_ACCEPT,
    max_tree_depth: int | None = None,
    random_seed: int | None = None,
    extend: bool = True,
    max_draws: int | None = None,
    time_limit: float | None = None,
    quiet: bool = False,
    progressbar: bool | None = None,
    **sampler_kwargs,
) -> JointFit:
    r"""Posterior of several searches in one model, with partial pooling.

    Searches on one search space (architectures tuned over the same
    hyperparameters) are expected to share the effective number of
    hyperparameters :math:`\gamma`. With ``"gamma"`` in ``pool`` its log is
    hierarchical across searches,
    :math:`\log\gamma_j = \mu_\gamma + \tau_\gamma z_j`,
    :math:`\tau_\gamma \sim \text{HalfNormal}(0.3)`, so the data say how
    much the searches share (:func:`bayesq.model.build_joint_model`); each
    search keeps its own tail mass, best score and threshold. The joint
    draws are paired across searches, which :func:`bayesq.compare` uses,
    and the pointwise log-likelihood (one point per run) serves
    :func:`bayesq.compare_models`.

    Parameters
    ----------
    searches : mapping
        ``{name: scores}``: arrays, Series, CSV / one-score-per-line files,
        Optuna studies, or :class:`bayesq.sources.Search` (a source that
        needs options, such as a JSONL file's ``extract``, is read first
        with :func:`bayesq.sources.read_search`). Failed runs count as
        censored runs.
    thresholds : float or mapping
        One threshold for all, or one per name. ``"auto"`` (:mod:`bayesq.stacking`)
        is not available for joint fits yet: an ``InputError`` says so.
    maximize : bool
        Direction, shared by all searches.
    pool : iterable of {"gamma", "sigma"}
        Parameters with a hierarchical prior across searches
        (:func:`bayesq.model.build_joint_model`); ``()`` fits the searches
        separately (in one posterior, for model comparison).
    noise : bool
        The noisy quadratic (default) or the noiseless one (``sigma = 0``).
    priors : bayesq.Priors, optional
        Prior settings.
    n_hyperparameters : float, optional
        Nominal number of hyperparameters of the (shared) search space: an
        upper bound on every gamma (:func:`bayesq.model.build_joint_model`).
    sampler : {"auto", "nutpie", "pymc", "numpyro", "blackjax"}
        NUTS implementation, as for :func:`bayesq.fit`.
    draws, tune, chains : int
        Draws kept per chain, tuning steps per chain, number of chains.
    target_accept : float
        NUTS target acceptance rate; :data:`bayesq.samplers.TARGET_ACCEPT` (0.95)
        by default, as for :func:`bayesq.fit` (the pooled DeBERTa
        model at 0.95: 2 divergences in 4,000 draws with the prior scale of
        tau at 0.5, none with 0.3, the default; at 0.9 and 300 tuning steps,
        3 in 1,200).
    max_tree_depth : int, optional
        Cap on the NUTS tree depth, as for :func:`bayesq.fit`.
    random_seed : int, optional
        Seed for reproducible draws.
    extend, max_draws, time_limit
        Sample until the convergence standard holds, within a budget, as
        :func:`bayesq.fit` does (:mod:`bayesq.samplers.extension`).
    quiet : bool
        No progress bars or informational logging (diagnostic warnings stay).
    progressbar : bool, optional
        Override the progress bar alone (default: ``not quiet``).
    **sampler_kwargs
        Passed to the sampler, as for :func:`bayesq.fit`.

    Returns
    -------
    JointFit

    Raises
    ------
    bayesq.exceptions.InputError
        An argument or a search's scores cannot be used; the message names it.

    Warns
    -----
    RuntimeWarning
        When the draws fall short of 0 divergences, R-hat <= 1.01 and ESS >= 400,
        hit the maximum tree depth, or have an E-BFMI below 0.3
        (:meth:`bayesq.diagnostics.Diagnostics.problems`).

    See Also
    --------
    bayesq.fit : One search.
    bayesq.compare : Probabilities that one search beats another.

    Examples
    --------
    Two simulated searches of one search space (gamma 2 for both), with
    best achievable scores 0.90 and 0.92:

    >>> import bayesq
    >>> from bayesq.simulate import simulate_random_search
    >>> searches = {
    ...     "a": simulate_random_search(n=200, beta=0.90, random_seed=0).scores,
    ...     "b": simulate_random_search(n=200, beta=0.92, random_seed=1).scores,
    ... }
    >>> joint = bayesq.fit_joint(
    ...     searches, 0.85, draws=200, tune=200, chains=2, extend=False, random_seed=1, quiet=True
    ... )
    >>> joint.names, joint.draws("gamma").shape  # (chains, draws, search)
    (['a', 'b'], (2, 200, 2))
    >>> list(joint.summary().index[-3:])  # one row per search, and the pooling's spread
    ['sigma[a]', 'sigma[b]', 'gamma_tau']
    >>> best_b = joint.result("b").best_score()  # one search, as a FitResult
    >>> bool(best_b.lower < 0.92 < best_b.upper)
    True
    >>> comparison = bayesq.compare(joint)  # the joint draws, paired as sampled
    >>> comparison.paired, bool(comparison.prob_better("b", "a") > 0.95)
    ('joint', True)
    """
    options = SamplerOptions.checked(
        sampler,
        draws,
        tune,
        chains,
        target_accept,
        max_tree_depth,
        random_seed,
        quiet,
        progressbar,
        extend=extend,
        max_draws=max_draws,
        time_limit=time_limit,
        **sampler_kwargs,
    )
    priors = check_priors(priors)
    check_n_hyperparameters(n_hyperparameters)
    given = thresholds.values() if isinstance(thresholds, Mapping) else [thresholds]
    if any(isinstance(t, str) and t == validate.AUTO for t in given):
        raise InputError(
            '{arg}="auto" is not available for joint fits yet: fit each search with '
            'bayesq.fit(scores, threshold="auto") (or fit_many), or give fit_joint thresholds',
            "thresholds",
        )
    data = check_searches(searches, thresholds, maximize)
    names = list(data)
    scores = {n: d.scores for n, d in data.items()}
    model = build_joint_model(scores, thresholds, maximize, pool, noise, priors, n_hyperparameters)
    idata, drawn = sample_until(model, options)
    post = idata.posterior
    points, owner = [], []
    for name, d in data.items():
        params = (post[p].sel(search=name).values for p in PARAMETERS)
        tail, censored = pointwise_log_likelihood(d, *params)
        points += [tail, censored]
        owner += [name] * (tail.shape[-1] + censored.shape[-1])
    loglik = xr.Dataset(
        {"scores": (("chain", "draw", "run"), np.concatenate(points, axis=-1))},
        coords={
            "chain": post.chain.values,
            "draw": post.draw.values,
            "run": np.arange(len(owner)),
            "run_search": ("run", np.array(owner)),
        },
    )
    if "log_likelihood" in idata:
        del idata["log_likelihood"]
    idata["log_likelihood"] = loglik
    model_settings = ModelSettings(
        maximize=bool(maximize),
        priors=priors,
        n_hyperparameters=None if n_hyperparameters is None else float(n_hyperparameters),
        noise=bool(noise),
        pool=tuple(pool),
    )
    backend = nutpie_backend(options.kwargs) if options.sampler == "nutpie" else None
    recorded = drawn.recorded(backend, asked=options)
    settings = Settings("joint", model_settings, recorded, DataSettings.of(names, data.values()))
    post.attrs.update(settings.to_attrs())
    result = JointFit(idata, model)
    result.check()
    return result
