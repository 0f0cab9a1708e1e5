r"""Several searches in one posterior: partial pooling across architectures.

:func:`fit_joint` samples :func:`bayesq.joint_model.build_joint_model`: searches
that share a search space (DeBERTa and DeBERTaV3 on one grid of
hyperparameters) are expected to share the effective number of
hyperparameters :math:`\gamma`; a hierarchical prior lets the data say how
much. The result, :class:`bayesq.jointfit.JointFit`, holds one :class:`xarray.DataTree` whose
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

from bayesq import signals, validate
from bayesq.exceptions import InputError
from bayesq.joint_model import check_searches, joint_model
from bayesq.jointfit import JointFit
from bayesq.loglik import joint_log_likelihood_group
from bayesq.model import check_n_hyperparameters
from bayesq.pit import pit_test
from bayesq.priors import Priors, check_priors
from bayesq.samplers import TARGET_ACCEPT, SamplerOptions, note
from bayesq.samplers import nutpie as nutpie_sampler
from bayesq.samplers.extension import sample_until
from bayesq.settings import DataSettings, ModelSettings, Settings
from bayesq.sources import read_search
from bayesq.stacked import fit_candidates, misfit_draws
from bayesq.stacked_joint import stack_joint
from bayesq.stacking import CANDIDATES, candidate_ladders

__all__ = ["fit_joint"]


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
    much the searches share (:func:`bayesq.joint_model.build_joint_model`); each
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
    thresholds : float, "auto" or mapping
        One threshold for all, or one per name. ``"auto"`` leaves a
        search's threshold to the data: the searches are fitted jointly at
        5 candidates (up to 9 fits in a small search), the :math:`j`-th of each ``"auto"`` search's
        :func:`bayesq.stacking.candidate_ladders` together (the other
        searches at their given thresholds; where the tail PIT of a scored
        search rejects a candidate, at the fallback ladders' candidates),
        stacked by how well they
        predict every ``"auto"`` search's best runs
        (:mod:`bayesq.stacking`), and a
        :class:`bayesq.stacked_joint.StackedJointFit` is returned.
    maximize : bool
        Direction, shared by all searches.
    pool : iterable of {"gamma", "sigma"}
        Parameters with a hierarchical prior across searches
        (:func:`bayesq.joint_model.build_joint_model`); ``()`` fits the searches
        separately (in one posterior, for model comparison).
    noise : bool
        The noisy quadratic (default) or the noiseless one (``sigma = 0``).
    priors : bayesq.Priors, optional
        Prior settings.
    n_hyperparameters : float, optional
        Nominal number of hyperparameters of the (shared) search space: an
        upper bound on every gamma (:func:`bayesq.joint_model.build_joint_model`).
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
        With ``"auto"``, its subclass :class:`bayesq.stacked_joint.StackedJointFit`.

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
    at = dict(
        maximize=maximize,
        pool=pool,
        noise=noise,
        priors=priors,
        n_hyperparameters=n_hyperparameters,
        options=options,
    )
    auto = _auto(searches, thresholds)
    if auto:
        scores = {name: read_search(search, maximize=maximize).scores for name, search in searches.items()}
        first, fallback = _candidates(scores, thresholds, auto, maximize)
        fits = fit_candidates(
            first,
            fallback,
            lambda c: _joint_at(scores, c, **at, scored=auto),
            lambda f: min(pit_test(f.result(name)).pvalue for name in auto),
            lambda text: note(options, text),
        )
        result = stack_joint(fits, auto, random_seed=random_seed)
    else:
        result = _joint_at(searches, thresholds, **at)
    result.check()
    return result


def _auto(searches, thresholds) -> list[str]:
    """The searches whose threshold is ``"auto"`` (every one of a single ``"auto"``), checked."""
    if not isinstance(searches, Mapping) or not searches:
        raise InputError("{arg} must be a non-empty mapping {name: scores}", "searches")
    given = thresholds if isinstance(thresholds, Mapping) else dict.fromkeys(searches, thresholds)
    return [n for n, t in given.items() if validate.threshold(t, f"thresholds[{n!r}]") == validate.AUTO]


def _candidates(scores, thresholds, auto, maximize):
    """The joint candidates: the :math:`j`-th of every ``"auto"`` search's ladder
    (:func:`candidate_ladders`) together, the others' thresholds as given; and those of the fallback
    ladders, or ``None`` where no ``"auto"`` search has another ladder."""
    ladders = {name: candidate_ladders(scores[name], maximize, distinct=False) for name in auto}

    def joint(per):
        return [
            {name: float(per[name][j] if name in per else thresholds[name]) for name in scores}
            for j in range(CANDIDATES)
        ]

    first = joint({name: ladder[0] for name, ladder in ladders.items()})
    if all(ladder[1] is None for ladder in ladders.values()):
        return first, None
    return first, joint(
        {name: ladder[1] if ladder[1] is not None else ladder[0] for name, ladder in ladders.items()}
    )


def _joint_at(
    searches, thresholds, *, maximize, pool, noise, priors, n_hyperparameters, options, scored=None
):
    """The joint fit at the given thresholds (unchecked: :func:`fit_joint` warns about its convergence).

    ``scored``, the ``"auto"`` searches of a candidate of ``thresholds="auto"``,
    leaves out the ``log_likelihood`` group (the candidate is scored by
    :mod:`bayesq.stacking` on its own terms), and draws whose tail PIT
    rejects one of those searches are neither retuned nor extended
    (:func:`bayesq.stacked.misfit_draws`).
    """
    data = check_searches(searches, thresholds, maximize)
    model = joint_model(data, pool, noise, priors, n_hyperparameters)  # (data checked once, above)
    compiled = None
    with signals.raised():  # Numba's compiler drops a Ctrl-C that lands in its callbacks
        if options.sampler == "nutpie" and nutpie_sampler.uses_program(options.kwargs):
            compiled = nutpie_sampler.joint_program(data, pool, noise, n_hyperparameters, priors)
        hopeless = None
        if scored is not None:
            parts = [(j, d.tail, d.threshold) for j, (name, d) in enumerate(data.items()) if name in scored]
            hopeless = misfit_draws(parts, maximize)
        idata, drawn = sample_until(model, options, compiled, hopeless)
    if compiled is not None:
        idata = nutpie_sampler.name_searches(idata, list(data))
    if "log_likelihood" in idata:
        del idata["log_likelihood"]
    if scored is None:
        idata["log_likelihood"] = joint_log_likelihood_group(data, idata.posterior)
    model_settings = ModelSettings(
        maximize=bool(maximize),
        priors=priors,
        n_hyperparameters=None if n_hyperparameters is None else float(n_hyperparameters),
        noise=bool(noise),
        pool=tuple(pool),
    )
    backend = nutpie_sampler.backend(options.kwargs, compiled) if options.sampler == "nutpie" else None
    recorded = drawn.recorded(backend, asked=options)
    settings = Settings("joint", model_settings, recorded, DataSettings.of(list(data), data.values()))
    idata.posterior.attrs.update(settings.to_attrs())
    return JointFit(idata, model)
