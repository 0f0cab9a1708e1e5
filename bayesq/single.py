r""":func:`fit`: the posterior of one random search, from its scores to a :class:`~bayesq.results.FitResult`.

The path of a fit, one module per step: the scores are read
(:mod:`bayesq.data`) and split at the threshold (:func:`bayesq.model.prepare_scores`),
the direction checked (:func:`check_direction`), the model built
(:mod:`bayesq.model`, priors from :mod:`bayesq.priors`), sampled
(:mod:`bayesq.samplers`), its pointwise log-likelihood added
(:mod:`bayesq.loglik`), its settings recorded (:mod:`bayesq.settings`), and
its convergence checked (:mod:`bayesq.diagnostics`) as the result is made
(:mod:`bayesq.results`).
"""

from __future__ import annotations

import numpy as np

from bayesq import signals, validate
from bayesq.exceptions import DirectionError, InputError
from bayesq.loglik import log_likelihood_group
from bayesq.model import check_n_hyperparameters, prepare_scores, search_model
from bayesq.pit import pit_test
from bayesq.priors import Priors, check_priors
from bayesq.results import FitResult
from bayesq.samplers import TARGET_ACCEPT, SamplerOptions, note
from bayesq.samplers import nutpie as nutpie_sampler
from bayesq.samplers.extension import sample_until
from bayesq.settings import ModelSettings, Settings
from bayesq.sources import read_search
from bayesq.stacked import fit_candidates, misfit_draws, stack
from bayesq.stacking import candidate_ladders

__all__ = ["DIRECTION_REACH", "check_direction", "fit"]

MIN_CENSORED_FOR_DIRECTION = 10
DIRECTION_REACH = 3.0  # how many times further the tail must reach than the censored side to be refused


def check_direction(prepared, stated: bool) -> None:
    r"""Refuse a tail that looks like the *bad* side of a random search, unless the direction was stated.

    A random search has its long tail on the bad side (diverged runs, bad
    learning rates); its good side is compact and ends near the best score.
    When the scores beyond the threshold reach more than
    :data:`DIRECTION_REACH` times as far from it as the censored ones, the
    direction is probably reversed, and a fit of it would describe the bad
    side (slowly, and with a best score far out). The quadratic part alone
    can reach further on the good side: at tail mass :math:`p` its reaches
    are in the ratio :math:`(\beta - t)/(t - \alpha) = p^{2/\gamma}/(1 - p^{2/\gamma})`,
    2.4 for :math:`\gamma = 4` with the threshold at the median, hence a
    bar above 1. Measured: the three real searches read the wrong way round
    reach 24 (DeBERTa), 32 (DeBERTaV3) and 5.8 (AlexNet) times as far; read
    the right way, 0.03-0.17; the 36 simulated searches of
    ``benchmarks/bench_convergence.py`` (no failed runs, threshold at the
    median) up to 2.25.

    Parameters
    ----------
    prepared : bayesq.model.PreparedScores
        The scores split at the threshold, in the direction assumed.
    stated : bool
        Whether the user gave the direction (then nothing is refused).

    Raises
    ------
    bayesq.exceptions.DirectionError
        Unless ``stated`` (the user gave ``maximize`` explicitly): which
        direction the data suggest, and how to say either.
    """
    if stated or prepared.censored.size < MIN_CENSORED_FOR_DIRECTION:
        return
    t = prepared.threshold
    scored = prepared.censored[np.isfinite(prepared.censored)]  # failed runs say nothing of the reach
    if scored.size < MIN_CENSORED_FOR_DIRECTION:
        return
    beyond = float(np.max(np.abs(prepared.tail - t)))
    within = float(np.max(np.abs(scored - t)))
    if beyond > DIRECTION_REACH * within:
        side, other = ("above", "below") if prepared.maximize else ("below", "above")
        better, worse = ("higher", "lower") if prepared.maximize else ("lower", "higher")
        found = (
            f"the scores {side} the threshold {t:g} reach {beyond:.4g} beyond it, more than "
            f"{DIRECTION_REACH:g} times as far as those {other} it ({within:.4g}): random searches have "
            f"their long tail on the bad side, so the data suggest that {worse} scores are better. "
        )
        raise DirectionError(
            found + f"If so, pass maximize={not prepared.maximize}; if {better} scores are better, "
            f"confirm it with maximize={prepared.maximize}",
            "maximize",
            cli=found + f"If so, pass {'--minimize' if prepared.maximize else '--maximize'}; if {better} "
            f"scores are better, confirm it with {'--maximize' if prepared.maximize else '--minimize'}",
        )


def fit(
    scores,
    threshold: float | str,
    maximize: bool | None = None,
    n_hyperparameters: float | None = None,
    priors: Priors | None = None,
    *,
    spread: float | None = None,
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
    extract=None,
    column: str | None = None,
    study: str | None = None,
    objective: int | str | None = None,
    experiment: str | None = None,
    curve: str = "best",
    **sampler_kwargs,
) -> FitResult:
    r"""Posterior of the noisy quadratic tail of a random search.

    Fits the censored-tail model of :func:`bayesq.build_model`: the scores
    beyond ``threshold`` (above it when maximizing) follow the noisy
    quadratic distribution :math:`\mathcal Q(\alpha, \beta, \gamma, \sigma)`
    (:class:`bayesq.NoisyQuadratic`) and enter the likelihood with their
    density; every other run enters only through the probability of falling
    short of the threshold,

    .. math::

        \log L(\theta) = \sum_{i:\, y_i > t} \log f(y_i \mid \theta)
                         + (n - n_t)\,\log F(t \mid \theta),

    with :math:`n_t` the number of tail scores (mirrored when minimizing).
    The posterior is drawn with NUTS until it meets the convergence
    standard (0 divergences, R-hat :math:`\le 1.01`, bulk and tail ESS
    :math:`\ge 400`) or the budget runs out (``extend``), with a
    ``RuntimeWarning`` for each shortfall that remains.
    The parameters are the best achievable score :math:`\beta`
    (:math:`\alpha` when minimizing), the effective number of
    hyperparameters :math:`\gamma`, the far end of the quadratic's support
    :math:`\alpha` (:math:`\beta` when minimizing) and the seed noise
    :math:`\sigma` (Lourie, He and Cho,
    "Hyperparameter Loss Surfaces Are Simple Near their Optima", COLM 2025;
    the theory page of the documentation, docs/theory.md, derives the
    likelihood and the priors).

    Parameters
    ----------
    scores : array_like, path, pandas.DataFrame, optuna.study.Study or str
        One score per run, from where the search is kept
        (:func:`bayesq.sources.read_search`): an array or Series; a CSV,
        text or JSONL file (``extract`` says how to read a score from a
        JSONL record); a table of runs (a DataFrame or CSV with ``column``,
        e.g. a W&B or MLflow export); an Optuna study, or a storage URL
        with ``study``; an MLflow tracking URI with ``experiment``; a Ray
        Tune experiment directory (``column``: the metric; each trial's
        best value). A failed run (Optuna's FAIL or
        PRUNED, a failed state, a NaN or infinite score) counts as a run
        on the bad side of the threshold (:func:`bayesq.model.prepare_scores`).
    threshold : float or "auto"
        Start of the asymptotic regime. Scores beyond it (above when
        maximizing) enter the likelihood exactly, the others as censored.
        At least 8 scores must lie beyond it; :func:`bayesq.scan_thresholds`
        helps to choose it. ``"auto"`` leaves the choice to the data: the
        search is fitted at 5 candidate thresholds
        (:func:`bayesq.stacking.candidate_ladders`; a small search whose
        tail PIT rejects one of them is fitted at up to 4 more), which are
        stacked by how well they predict the best runs
        (:mod:`bayesq.stacking`), and a :class:`bayesq.stacked.StackedFit`
        is returned, whose answers integrate over the threshold (5 fits'
        time or up to 9; each candidate has the budget of ``extend``,
        ``max_draws`` and ``time_limit`` to itself).
    maximize : bool, optional
        Whether higher scores are better (best achievable score ``beta``);
        ``False`` for losses (best score ``alpha``). Unstated, the
        direction an Optuna study records, else higher is better, and a
        tail that looks like the bad side of the search
        (:func:`check_direction`) is an error; stated, it is fitted as told
        (and must agree with a study's).
    n_hyperparameters : float, optional
        Nominal number of hyperparameters searched: bounds gamma above.
    priors : bayesq.Priors, optional
        Prior settings (:class:`bayesq.Priors`); the defaults are weakly
        informative and unit-free.
    spread : float, optional
        The priors' unit; by default the standard deviation of the tail
        scores (:func:`bayesq.build_model`). Give it to fix the prior before
        seeing the data, as calibration studies do.
    sampler : {"auto", "nutpie", "pymc", "numpyro", "blackjax"}
        NUTS implementation; ``"auto"`` takes the first installed in that order.
    draws : int
        Draws kept per chain.
    tune : int
        Tuning steps per chain. ``tune=300`` (nutpie's own default) is
        quicker, and kept the diagnostics as good on the real and simulated
        searches bayesq is validated on.
    chains : int
        Number of chains.
    target_accept : float
        NUTS target acceptance rate, in (0, 1); 0.95 by default
        (:data:`bayesq.samplers.TARGET_ACCEPT`: at 0.9 AlexNet's tail diverged
        once in 4,000 draws for 2 of 8 seeds).
    max_tree_depth : int, optional
        Cap on the NUTS tree depth (at most :math:`2^d - 1` leapfrog steps per
        draw) for nutpie, PyMC's NUTS and numpyro; by default the sampler's
        own (10). Trajectories cut at a depth given here (or in the
        sampler's own keyword, :data:`bayesq.samplers.DEPTH_KEYWORDS`) are not
        reported as a problem: R-hat and ESS measure what they cost. With
        ``tune=300``, ``max_tree_depth=2`` is a fast setting for tails whose
        posterior is well scaled.
    random_seed : int, optional
        Seed for reproducible draws.
    extend : bool
        Sample until the convergence standard holds (no divergences, R-hat
        :math:`\le 1.01`, bulk and tail ESS :math:`\ge 400`), or until the
        budget (``max_draws``, ``time_limit``) runs out: where R-hat or ESS
        fall short, the chains draw on, judged every ``draws // 2`` draws
        (nutpie; the other samplers add runs of as many chains); where
        draws diverge, the run is drawn again once with
        ``target_accept=0.99`` (:mod:`bayesq.samplers.extension`). What the
        fit drew beyond what was asked is recorded in its settings and shown
        in its headline. ``False``: one run, as asked.
    max_draws : int, optional
        The budget of ``extend``: draws per chain at most; by default 5
        times ``draws`` (:data:`bayesq.samplers.EXTEND_FACTOR`).
    time_limit : float, optional
        The budget of ``extend`` in seconds: no checkpoint after it extends
        the sampling (the run under way is finished or cut at its next
        checkpoint). By default none.
    quiet : bool
        No progress bars or informational logging (diagnostic warnings stay).
    progressbar : bool, optional
        Override the progress bar alone (default: ``not quiet``).
    extract : str or callable, optional
        Score extraction for JSONL input (:data:`bayesq.data.EXTRACTORS`).
    column : str, optional
        The column of the scores in a CSV file or DataFrame, or the metric
        of a Ray Tune experiment.
    study : str, optional
        The study's name in an Optuna storage URL (needed when the storage
        holds several).
    objective : int or str, optional
        The objective of a multi-objective Optuna study (index or name).
    experiment : str, optional
        An MLflow experiment's name, ``scores`` its tracking URI
        (``column``: the metric).
    curve : {"best", "last"}
        A Ray Tune trial's or MLflow run's score: the best value of its
        learning curve (in the direction ``maximize``, which must then be
        given), or the last.
    **sampler_kwargs
        Passed to the sampler: ``nutpie.sample``, ``pm.sample`` (``"pymc"``)
        or PyMC's ``sample_jax_nuts`` (numpyro, blackjax); for nutpie,
        ``backend="jax"`` samples the model compiled to JAX instead of the
        cached Numba program.

    Returns
    -------
    FitResult
        The posterior (``.idata``, an :class:`xarray.DataTree`), its
        settings, and the reports on it: ``.summary()``,
        ``.diagnostics()``, ``.best_score()``, ``.tuning_curve(k)``,
        ``.save(path)``. With ``threshold="auto"``, its subclass
        :class:`bayesq.stacked.StackedFit`, which adds ``.thresholds()``
        (the candidates and their weights), ``.threshold_share`` and
        ``.candidates``.

    Raises
    ------
    bayesq.exceptions.InputError
        An argument or the scores cannot be used; the message names it.
    bayesq.exceptions.DirectionError
        ``maximize`` unstated and the tail looks like the bad side of the
        search (:func:`check_direction`).
    KeyboardInterrupt
        Ctrl-C while sampling: the sampler stops, and no partial fit is returned.

    Warns
    -----
    RuntimeWarning
        With numbers and advice, when the draws kept (after any extension)
        fall short of 0 divergences, R-hat <= 1.01 and ESS >= 400, hit the
        maximum tree depth, or have an E-BFMI below 0.3
        (:meth:`bayesq.diagnostics.Diagnostics.problems`).

    See Also
    --------
    bayesq.FitResult : What the fit returns.
    bayesq.scan_thresholds : Fits at several candidate thresholds.
    bayesq.fit_joint : Several searches in one posterior.
    bayesq.fit_batch : Many data sets in one compiled program.
    bayesq.build_model : The PyMC model alone.

    Examples
    --------
    A simulated search of 200 runs whose true best achievable score is 0.9,
    fitted above 0.85 with short chains, drawn once (the defaults, 4 chains
    of 1,000 draws extended until the standard holds, are what a real
    analysis wants; short chains may fall short of the ESS standard and
    warn):

    >>> import bayesq
    >>> from bayesq.simulate import simulate_random_search
    >>> search = simulate_random_search(n=200, random_seed=0)
    >>> result = bayesq.fit(
    ...     search.scores, 0.85, draws=200, tune=200, chains=2, extend=False, random_seed=1, quiet=True
    ... )
    >>> result.draws("beta").shape
    (2, 200)
    >>> best = result.best_score()  # the posterior of beta
    >>> bool(best.lower < search.beta < best.upper)
    True
    >>> print(result)  # doctest: +ELLIPSIS
    bayesq fit: 91 of 200 scores above the threshold 0.85 (maximize); sampler ...
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
    stated = maximize is not None
    maximize = validate.boolean(maximize, "maximize") if stated else None
    search = read_search(
        scores,
        extract=extract,
        column=column,
        study=study,
        objective=objective,
        experiment=experiment,
        curve=curve,
        maximize=maximize,
    )
    if stated and search.maximize is not None and search.maximize != maximize:
        recorded = "maximizes" if search.maximize else "minimizes"
        flag = "--maximize" if maximize else "--minimize"
        raise InputError(
            f"{search.origin} {recorded}, and {{arg}}={maximize} says otherwise; leave it out",
            "maximize",
            cli=f"{search.origin} {recorded}, and {flag} says otherwise; leave it out",
        )
    if not stated:
        stated, maximize = search.maximize is not None, search.maximize is not False
    at = dict(
        maximize=maximize,
        stated=stated,
        spread=spread,
        n_hyperparameters=n_hyperparameters,
        priors=priors,
        options=options,
    )
    threshold = validate.threshold(threshold)
    if threshold == validate.AUTO:
        first, fallback = candidate_ladders(search.scores, maximize)
        # the direction is checked once, at the highest candidate: a lower one may reach into the bulk
        check_direction(prepare_scores(search.scores, float(first[-1]), maximize, spread), stated)
        at["stated"] = True
        fits = fit_candidates(
            [float(t) for t in first],
            None if fallback is None else [float(t) for t in fallback],
            lambda t: _fit_at(search.scores, t, **at, loglik=False),
            lambda f: pit_test(f).pvalue,
            lambda text: note(options, text),
        )
        result = stack(fits, random_seed=random_seed)
    else:
        result = _fit_at(search.scores, threshold, **at)
    result.check()
    return result


def _fit_at(
    scores, threshold, *, maximize, stated, spread, n_hyperparameters, priors, options, loglik=True
) -> FitResult:
    """The fit of ``scores`` at one threshold (unchecked: :func:`fit` warns about its convergence).

    ``loglik=False`` leaves out the ``log_likelihood`` group (a candidate of
    ``threshold="auto"``, scored by :mod:`bayesq.stacking` on its own terms),
    and draws whose tail the PIT rejects are neither retuned nor extended
    (:func:`bayesq.stacked.misfit_draws`).
    """
    prepared = prepare_scores(scores, threshold, maximize, spread)
    check_direction(prepared, stated)
    model = search_model(prepared, n_hyperparameters, priors)
    compiled = None
    with signals.raised():  # Numba's compiler drops a Ctrl-C that lands in its callbacks
        if options.sampler == "nutpie" and nutpie_sampler.uses_program(options.kwargs):
            compiled = nutpie_sampler.search_program(prepared, n_hyperparameters, priors)
        hopeless = None if loglik else misfit_draws([(None, prepared.tail, prepared.threshold)], maximize)
        idata, drawn = sample_until(model, options, compiled, hopeless)
    if loglik:
        idata["log_likelihood"] = log_likelihood_group(prepared, idata.posterior)
    backend = nutpie_sampler.backend(options.kwargs, compiled) if options.sampler == "nutpie" else None
    settings = Settings.single(
        ModelSettings(
            maximize=prepared.maximize,
            priors=priors,
            n_hyperparameters=None if n_hyperparameters is None else float(n_hyperparameters),
            fixed_spread=spread is not None,
        ),
        drawn.recorded(backend, asked=options),
        prepared.threshold,
        prepared.scores.size,
        prepared.tail.size,
        prepared.spread,
    )
    idata.posterior.attrs.update(settings.to_attrs())
    return FitResult(idata, model)
