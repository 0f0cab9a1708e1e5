r"""Many posteriors at once: the censored-tail model of :func:`bayesq.fit`,
sampled for many data sets by one compiled JAX program.

One fit of a few hundred scores is small work for an accelerator: its
gradient is latency bound, no faster on a GPU than on a CPU. Studies that
need hundreds of posteriors -- simulation-based calibration
(:mod:`bayesq.sbc`), subsample studies, many architectures -- are where the
GPU pays: :func:`fit_batch` maps NUTS over data sets and chains with
``jax.vmap`` inside one ``jax.jit``, so every lane of the device works on
one chain of one data set.

The model is the one of :func:`bayesq.build_model`, built once by
:func:`bayesq.model.search_model` with the data as symbolic inputs (the
distinct tail scores with their counts, padded to a common length with
count 0; threshold, spread, count of censored runs) and compiled to JAX by
PyMC; its log density at a point equals ``build_model``'s for the same data
(tested). The sampler is blackjax's NUTS
(multinomial, maximum tree depth 10) with Stan's windowed adaptation of the
step size and a diagonal mass matrix (blackjax's ``window_adaptation``
schedule and updates), written as one ``lax.scan`` over tuning and sampling so
that the log density is compiled into the program once, not once for
tuning and once for sampling.

Under ``vmap`` the NUTS trajectories of all lanes advance in lockstep: an
iteration costs the longest trajectory among the lanes of a batch. Data sets
of similar difficulty batch best; ``batch_size`` bounds the memory.
"""

from __future__ import annotations

import dataclasses
import functools
import time

import numpy as np
import pandas as pd
import xarray as xr

from bayesq.diagnostics import MAX_DEPTH_STATS, Diagnostics, diagnose, warn_problems
from bayesq.exceptions import InputError
from bayesq.loglik import log_likelihood_group
from bayesq.model import (
    COORDINATES,
    DATA,
    GAMMA_LOGIT,
    PARAMETERS,
    check_n_hyperparameters,
    data_model,
    data_values,
    prepare_scores,
)
from bayesq.priors import check_priors
from bayesq.results import FitResult, Result
from bayesq.samplers.options import TARGET_ACCEPT, check_nuts
from bayesq.settings import DataSettings, ModelSettings, SamplerSettings, Settings

__all__ = ["BatchFit", "fit_batch"]

SAMPLER = "blackjax-batched"
DEFAULT_DEPTH = 10  # blackjax's default maximum number of trajectory doublings
REPORTED = (*PARAMETERS, *COORDINATES, GAMMA_LOGIT)


def _jax():
    try:
        import jax
    except ImportError:  # pragma: no cover - the jax extra is part of the test install
        raise ImportError("the batched fitter needs JAX and blackjax: pip install 'bayesq[jax]'") from None
    jax.config.update("jax_enable_x64", True)  # the likelihood is accurate to 1e-10 in float64 only
    return jax


@dataclasses.dataclass(frozen=True, eq=False)
class _Program:
    """The model's log density and reported variables as JAX functions of (point, data).

    Compared and hashed by identity: it keys the cache of :func:`_sampler`.
    """

    names: tuple[str, ...]  # value variables, flattened into the point vector in this order
    initial: np.ndarray
    logp: object
    reported: tuple[str, ...]
    report: object


@functools.lru_cache(maxsize=8)
def _program(maximize: bool, n_hyperparameters, priors) -> _Program:
    """Compile the model of one search, its data left symbolic, to JAX (cached: one per setting)."""
    import pytensor.tensor as pt
    from pymc.sampling.jax import get_jaxified_graph
    from pytensor.graph.replace import graph_replace

    model, shared = data_model(maximize, n_hyperparameters, priors)
    inputs = {
        "tail_scores": pt.dvector("tail"),
        "tail_counts": pt.dvector("counts"),
        "n_censored": pt.dscalar("n_censored"),
        "threshold": pt.dscalar("threshold"),
        "spread": pt.dscalar("spread"),
    }
    logp = model.logp()
    reported = tuple(name for name in REPORTED if name in model.named_vars)
    values = model.replace_rvs_by_values([model[name] for name in reported])
    outputs = graph_replace([logp, *values], {shared[k]: v for k, v in inputs.items()}, strict=False)
    inputs = [*model.value_vars, *(inputs[k] for k in DATA)]
    logp_fn = get_jaxified_graph(inputs=inputs, outputs=outputs[:1])
    report_fn = get_jaxified_graph(inputs=inputs, outputs=outputs[1:])
    point = model.initial_point()
    shapes = [np.shape(point[v.name]) for v in model.value_vars]
    ends = np.cumsum([int(np.prod(shape)) for shape in shapes])

    def split(x):
        # the point vector is the value variables, flattened and concatenated
        return [
            x[end - size : end].reshape(shape)
            for end, size, shape in zip(ends, np.diff(ends, prepend=0), shapes, strict=True)
        ]

    return _Program(
        names=tuple(v.name for v in model.value_vars),
        initial=np.concatenate([np.ravel(point[v.name]) for v in model.value_vars]).astype(float),
        logp=lambda x, data: logp_fn(*split(x), *data)[0],
        reported=reported,
        report=lambda x, data: report_fn(*split(x), *data),
    )


@functools.lru_cache(maxsize=8)
def _sampler(program: _Program, tune: int, draws: int, target_accept: float, max_tree_depth: int):
    """A jitted function (keys, starts, data) -> draws and statistics, mapped over data sets and chains.

    Cached, like :func:`_program`: a later :func:`fit_batch` with the same
    settings and batch shape runs the program JAX compiled for the first.
    """
    jax = _jax()
    import jax.numpy as jnp

    from bayesq._compat.blackjax import window_adaptation

    base, build_schedule = window_adaptation()
    from blackjax.mcmc import nuts

    kernel = nuts.build_kernel()
    adapt_init, adapt_update, adapt_final = base(True, target_acceptance_rate=target_accept)
    schedule = np.array(build_schedule(tune), dtype=int).reshape(-1, 2) if tune else np.zeros((0, 2), int)
    stage = jnp.asarray(np.concatenate([schedule[:, 0], np.zeros(draws, int)]))
    window_end = jnp.asarray(np.concatenate([schedule[:, 1], np.zeros(draws, int)]).astype(bool))
    tuning = jnp.arange(tune + draws) < tune

    def chain(key, start, data):
        def logdensity(x):
            return program.logp(x, data)

        state = nuts.init(start, logdensity)
        adaptation = adapt_init(start, 1.0)
        step_size, inv_mass = adapt_final(adaptation)

        def step(carry, xs):
            state, adaptation, step_size, inv_mass = carry
            key, stage, window_end, tuning = xs
            # during tuning: the adaptation's current values; after: its final ones
            eps = jnp.where(tuning, adaptation.step_size, step_size)
            metric = jnp.where(tuning, adaptation.inverse_mass_matrix, inv_mass)
            state, info = kernel(key, state, logdensity, eps, metric, max_num_doublings=max_tree_depth)
            updated = adapt_update(adaptation, (stage, window_end), state.position, info.acceptance_rate)
            adaptation = jax.tree.map(lambda new, old: jnp.where(tuning, new, old), updated, adaptation)
            final_eps, final_metric = adapt_final(adaptation)
            step_size = jnp.where(tuning, final_eps, step_size)
            inv_mass = jnp.where(tuning, final_metric, inv_mass)
            stats = {
                "diverging": info.is_divergent,
                "n_steps": info.num_integration_steps,
                "tree_depth": info.num_trajectory_expansions,
                "acceptance_rate": info.acceptance_rate,
                "energy": info.energy,
                "lp": state.logdensity,
                "step_size": eps,
            }
            return (state, adaptation, step_size, inv_mass), (state.position, stats)

        keys = jax.random.split(key, tune + draws)
        _, (positions, stats) = jax.lax.scan(
            step, (state, adaptation, step_size, inv_mass), (keys, stage, window_end, tuning)
        )
        positions, stats = jax.tree.map(lambda a: a[tune:], (positions, stats))
        reported = jax.vmap(lambda x: program.report(x, data))(positions)
        return reported, stats

    chains = jax.vmap(chain, in_axes=(0, 0, None))
    return jax.jit(jax.vmap(chains, in_axes=(0, 0, 0)))


def _as_list(value, n, name):
    if np.ndim(value) == 0:
        return [value] * n
    value = list(value)
    if len(value) != n:
        raise ValueError(f"{name} must be one value or one per data set ({n}), got {len(value)}")
    return value


def fit_batch(
    searches,
    threshold,
    maximize: bool = True,
    n_hyperparameters: float | None = None,
    priors=None,
    *,
    spread=None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    target_accept: float = TARGET_ACCEPT,
    max_tree_depth: int | None = None,
    batch_size: int | None = None,
    random_seed: int | None = None,
    quiet: bool = False,
) -> BatchFit:
    r"""Fit the model of :func:`bayesq.fit` to many searches in one compiled program.

    The model of :func:`bayesq.build_model` is compiled to JAX once per
    setting, with the data as inputs, and blackjax's NUTS (Stan's windowed
    adaptation of the step size and a diagonal mass matrix) is mapped over
    data sets and chains with ``jax.vmap`` inside one ``jax.jit``: every
    lane of the device samples one chain of one data set. The path for a
    GPU and for studies that need hundreds of posteriors (simulation-based
    calibration, :mod:`bayesq.sbc`); on a CPU, one :func:`bayesq.fit` per
    data set is usually faster. Under ``vmap`` the lanes advance in
    lockstep, so data sets of similar difficulty batch best.

    Parameters
    ----------
    searches : sequence of array_like
        One array of scores per data set (lengths may differ).
    threshold : float or sequence of float
        The threshold of every data set, or one per data set.
    maximize : bool
        Whether higher scores are better (shared by all data sets).
    n_hyperparameters : float, optional
        Nominal number of hyperparameters: bounds gamma above, as for
        :func:`bayesq.fit`.
    priors : bayesq.Priors, optional
        Prior settings, shared by all data sets.
    spread : float or sequence of float, optional
        The unit :math:`d` of the priors (:mod:`bayesq.model`). Default: the
        standard deviation of each tail, as :func:`bayesq.fit` does. Give it
        to fix the unit in advance: simulation-based calibration needs a
        prior that does not look at the data (:mod:`bayesq.sbc`).
    draws, tune, chains : int
        Draws kept per chain, tuning steps per chain, number of chains.
    target_accept : float
        NUTS target acceptance rate, in (0, 1), as for :func:`bayesq.fit`.
    max_tree_depth : int, optional
        NUTS's maximum number of trajectory doublings (default: blackjax's,
        10). A depth you give is recorded in ``settings`` and, as for
        :func:`bayesq.fit`, its cut trajectories are not reported as a
        problem by the diagnostics.
    batch_size : int, optional
        Data sets per compiled call (default: all); the last batch is padded
        with repeats, so the program compiles once.
    random_seed : int, optional
        Seed of the chains' starting points and of the sampler.
    quiet : bool
        No timing lines.

    Returns
    -------
    BatchFit
        ``.idata`` (posterior and sample_stats with a ``fit`` dimension),
        ``.result(i)`` (a :class:`bayesq.FitResult`), ``.diagnostics()``.

    Raises
    ------
    ImportError
        JAX or blackjax is not installed (``pip install 'bayesq[jax]'``).
    bayesq.exceptions.InputError
        An argument or a data set cannot be used; the message names it
        (``data set i: ...``).

    See Also
    --------
    BatchFit.stack : Separate :func:`bayesq.fit` results as one ``BatchFit``.
    bayesq.sbc.run_sbc : Simulation-based calibration, on batched fits.

    Examples
    --------
    JAX compiles the program on the first call (a minute or more on a small
    CPU), so the test suite runs these calls in tests/test_batch.py, not here:

    >>> import bayesq
    >>> from bayesq.simulate import simulate_random_search
    >>> searches = [simulate_random_search(n=200, random_seed=s).scores for s in range(3)]
    >>> batch = bayesq.fit_batch(searches, 0.85, draws=200, tune=200, chains=2)  # doctest: +SKIP
    >>> len(batch), batch.draws("beta").shape  # doctest: +SKIP
    (3, (3, 2, 200))
    >>> best = batch.result(0).best_score()  # one data set, as a FitResult  # doctest: +SKIP
    """
    jax = _jax()
    priors = check_priors(priors)
    draws, tune, chains, target_accept, depth, random_seed = check_nuts(
        draws, tune, chains, target_accept, max_tree_depth, random_seed
    )
    check_n_hyperparameters(n_hyperparameters)
    searches = list(searches)
    if not searches:
        raise InputError("{arg} is empty: give one array of scores per data set", "searches")
    thresholds = _as_list(threshold, len(searches), "threshold")
    units = [None] * len(searches) if spread is None else _as_list(spread, len(searches), "spread")
    prepared = []
    for i, (scores, t, unit) in enumerate(zip(searches, thresholds, units, strict=True)):
        try:
            prepared.append(prepare_scores(scores, t, maximize, unit))
        except ValueError as err:
            raise ValueError(f"data set {i}: {err}") from None
    n_fits = len(prepared)
    batch_size = n_fits if batch_size is None else int(batch_size)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    batch_size = min(batch_size, n_fits)

    # repeated scores (rounded accuracies, bootstrap resamples) enter once, weighted by their count
    values = [data_values(p) for p in prepared]
    length = max(v["tail_scores"].size for v in values)
    padded = {
        "tail_scores": lambda a: np.resize(a, length),  # padding repeats real scores, with count 0
        "tail_counts": lambda a: np.pad(a, (0, length - a.size)),
    }
    data = tuple(np.stack([padded.get(k, np.asarray)(v[k]) for v in values]) for k in DATA)
    hyper = None if n_hyperparameters is None else float(n_hyperparameters)
    program = _program(bool(maximize), hyper, priors)
    doublings = DEFAULT_DEPTH if depth is None else depth
    run = _sampler(program, int(tune), int(draws), float(target_accept), doublings)
    seed = np.random.default_rng(random_seed).integers(2**31) if random_seed is None else random_seed
    rng = np.random.default_rng(seed)
    starts = program.initial + rng.uniform(-1, 1, size=(n_fits, chains, program.initial.size))
    keys = np.asarray(jax.random.split(jax.random.PRNGKey(int(seed)), n_fits * chains)).reshape(
        n_fits, chains, -1
    )
    parts = []
    started = time.perf_counter()
    for lo in range(0, n_fits, batch_size):
        done = min(lo + batch_size, n_fits)
        index = np.resize(np.arange(lo, done), batch_size)
        out = run(keys[index], starts[index], tuple(a[index] for a in data))
        parts.append(jax.tree.map(lambda a: np.asarray(a)[: done - lo], out))  # noqa: B023 (used at once)
        if not quiet:
            print(
                f"bayesq.fit_batch: {done}/{n_fits} fits, {time.perf_counter() - started:.1f} s", flush=True
            )
    reported = [np.concatenate([p[0][j] for p in parts]) for j in range(len(program.reported))]
    stats = {k: np.concatenate([p[1][k] for p in parts]) for k in parts[0][1]}
    settings = Settings(
        "batch",
        ModelSettings(
            maximize=bool(maximize),
            priors=priors,
            n_hyperparameters=hyper,
            fixed_spread=spread is not None,
        ),
        SamplerSettings(SAMPLER, draws, tune, chains, target_accept, random_seed, depth),
        DataSettings.of([str(i) for i in range(n_fits)], prepared),
        seconds=time.perf_counter() - started,
    )
    return BatchFit(_idata(program.reported, reported, stats, doublings, prepared, settings))


def _observed(prepared) -> xr.Dataset:
    """Every data set's scores, one row per fit (NaN after a shorter one's last)."""
    length = max(p.scores.size for p in prepared)
    rows = np.full((len(prepared), length), np.nan)
    for i, p in enumerate(prepared):
        rows[i, : p.scores.size] = p.scores
    return xr.Dataset({"scores": (("fit", "run"), rows)})


def _idata(names, reported, stats, max_tree_depth, prepared, settings) -> xr.DataTree:
    """Stacked posterior and sample stats: arrays (fit, chain, draw) -> dims (chain, draw, fit)."""

    def dataset(arrays):
        return xr.Dataset({k: (("chain", "draw", "fit"), np.moveaxis(v, 0, -1)) for k, v in arrays.items()})

    stats = dict(stats)
    stats["reached_max_treedepth"] = stats["tree_depth"] >= max_tree_depth
    posterior = dataset(dict(zip(names, reported, strict=True))).assign_attrs(settings.to_attrs())
    return xr.DataTree.from_dict(
        {"posterior": posterior, "sample_stats": dataset(stats), "observed_data": _observed(prepared)}
    )


class BatchFit(Result, kind="batch"):
    """Posteriors of many data sets, fitted by :func:`fit_batch` (or separate fits, :meth:`stack`).

    ``idata`` holds ``posterior`` and ``sample_stats`` with dims ``(chain,
    draw, fit)`` and ``observed_data["scores"]`` (one row per data set);
    ``settings`` the direction, priors and sampling settings the fits share
    and each data set's threshold and counts (``settings.data``). Its
    :meth:`diagnostics` and :meth:`summary` have one entry per data set;
    :meth:`result` gives one data set's posterior as a
    :class:`bayesq.FitResult`.

    Attributes
    ----------
    idata : xarray.DataTree
        The stacked posteriors and sample stats, and the data.
    settings : bayesq.settings.Settings
        The shared model and sampler settings, and each data set's.

    See Also
    --------
    fit_batch : Makes one with JAX.

    Examples
    --------
    Two separate fits as one batch (:meth:`stack`):

    >>> import bayesq
    >>> from bayesq.model import prepare_scores
    >>> from bayesq.simulate import simulate_random_search
    >>> searches = [simulate_random_search(n=200, random_seed=s).scores for s in (0, 1)]
    >>> short = dict(draws=200, tune=200, chains=2, extend=False, random_seed=1, quiet=True)
    >>> fits = [bayesq.fit(y, 0.85, **short) for y in searches]
    >>> batch = bayesq.BatchFit.stack(fits, [prepare_scores(y, 0.85) for y in searches])
    >>> len(batch), batch.draws("beta").shape, len(batch.diagnostics())  # (fits, chains, draws)
    (2, (2, 2, 200), 2)
    >>> list(batch.summary().columns[:4])
    ['n_scores', 'n_tail', 'threshold', 'alpha']
    >>> batch.result(1).draws("beta").shape  # one data set, as a FitResult
    (2, 200)
    """

    _who = "bayesq.fit_batch"

    @functools.cached_property
    def prepared(self) -> list:
        """Each data set's scores split at its threshold (:class:`bayesq.model.PreparedScores`)."""
        d, m = self.settings.data, self.settings.model
        rows = self.idata.observed_data["scores"].values
        return [
            prepare_scores(row[~np.isnan(row)], t, m.maximize, spread)
            for row, t, spread in zip(rows, d.thresholds, d.spreads, strict=True)
        ]

    @property
    def spreads(self) -> list[float]:
        """Each data set's unit of the priors (the tail's standard deviation, or the given ``spread``)."""
        return list(self.settings.data.spreads)

    @classmethod
    def stack(cls, results, prepared, seconds: float | None = None) -> BatchFit:
        """Separate fits (:class:`bayesq.FitResult`, one per data set) as one ``BatchFit``.

        The posterior keeps the variables a batched fit reports, the sample
        stats those its diagnostics read (``diverging``, ``energy``,
        ``reached_max_treedepth``), each with a last dimension ``fit``; all
        fits must have the same chains and draws, and share the first's
        model and sampler settings.

        Parameters
        ----------
        results : iterable of bayesq.FitResult
            One fit per data set.
        prepared : list of bayesq.model.PreparedScores
            Each data set's scores split at its threshold (:func:`bayesq.model.prepare_scores`).
        seconds : float, optional
            The time the fits took, recorded in the settings.

        Returns
        -------
        BatchFit
        """
        results = list(results)
        if not results or len(results) != len(prepared):
            raise ValueError(
                f"stack needs one fit per data set: {len(results)} fits, {len(prepared)} data sets"
            )
        shapes = {(r.idata.posterior.sizes["chain"], r.idata.posterior.sizes["draw"]) for r in results}
        if len(shapes) > 1:
            raise ValueError(f"the fits differ in (chains, draws): {sorted(shapes)}")
        names = [n for n in REPORTED if n in results[0].idata.posterior]

        def stats_of(result):
            stats = result.idata.sample_stats.to_dataset()
            kept = {k: stats[k] for k in ("diverging", "energy") if k in stats}
            for key in MAX_DEPTH_STATS:
                if key in stats:
                    kept["reached_max_treedepth"] = stats[key]
            return xr.Dataset(kept)

        def stacked(parts):
            parts = [p.reset_coords(drop=True).assign_coords(chain=range(p.sizes["chain"])) for p in parts]
            return xr.concat(parts, dim="fit").transpose("chain", "draw", "fit")

        first = results[0].settings
        data = DataSettings.of([str(i) for i in range(len(prepared))], prepared)
        settings = Settings("batch", first.model, first.sampler, data, seconds=seconds)
        posterior = stacked([r.idata.posterior.to_dataset()[names] for r in results])
        posterior.attrs = settings.to_attrs()
        stats = stacked([stats_of(r) for r in results])
        return cls(
            xr.DataTree.from_dict(
                {"posterior": posterior, "sample_stats": stats, "observed_data": _observed(prepared)}
            )
        )

    def __len__(self) -> int:
        """The number of data sets."""
        return len(self.settings.data.names)

    def draws(self, name: str) -> np.ndarray:
        """Posterior draws of a variable (``"beta"``, ...), an array of shape (fits, chains, draws)."""
        return np.moveaxis(self.idata.posterior[name].values, -1, 0)

    def diagnostics(self) -> list[Diagnostics]:
        """The convergence numbers of :func:`bayesq.fit`, a list of one Diagnostics per data set."""
        return diagnose(
            self.idata,
            by="fit",
            depth_capped=self.settings.sampler.max_tree_depth is not None,
            max_draws=self.settings.sampler.max_draws,
        )

    def check(self) -> list[str]:
        """Warn (``RuntimeWarning``) about every convergence problem of every fit; return them."""
        problems = []
        for i, diagnostics in enumerate(self.diagnostics()):
            problems += warn_problems(diagnostics, f"{self._who} (fit {i})")
        return problems

    def summary(self, var_names=None, hdi_prob: float = 0.9, **kwargs) -> pd.DataFrame:
        """One row per fit: its size, the posterior medians and the diagnostics (:meth:`table`).

        The arguments are ignored; ``result(i).summary()`` summarizes one data set.
        """
        return self.table()

    def table(self) -> pd.DataFrame:
        """One row per fit: its size, the posterior medians and the diagnostics.

        A :class:`pandas.DataFrame` indexed by ``fit``: ``n_scores``,
        ``n_tail``, ``threshold``, the medians of ``alpha``, ``beta``,
        ``gamma``, ``sigma``, and the fields of :class:`bayesq.diagnostics.Diagnostics`.
        """
        rows = []
        for i, diag in enumerate(self.diagnostics()):
            p = self.prepared[i]
            row = {"n_scores": p.scores.size, "n_tail": p.tail.size, "threshold": p.threshold}
            row.update({k: float(np.median(self.draws(k)[i])) for k in PARAMETERS})
            row.update(dataclasses.asdict(diag))
            rows.append(row)
        return pd.DataFrame(rows).rename_axis("fit")

    def idata_of(self, i: int) -> xr.DataTree:
        """The DataTree of fit ``i`` alone, as :func:`bayesq.fit` writes it.

        Its ``log_likelihood`` group (for :func:`arviz.loo`) is computed on
        each call, from the draws. ``i`` may be negative; out of range, an
        ``IndexError``.
        """
        if not -len(self) <= i < len(self):
            raise IndexError(f"fit {i} out of range: {len(self)} fits")
        i = i % len(self)
        p = self.prepared[i]
        posterior = self.idata.posterior.to_dataset().isel(fit=i, drop=True)
        observed = {"tail": xr.DataArray(p.tail, dims="tail_run")}
        if p.censored.size:
            observed["censored"] = xr.DataArray(p.censored, dims="censored_run")
        one = self.settings.replace(kind="single", data=self.settings.data.select(i), fit=i)
        posterior.attrs = one.to_attrs()
        return xr.DataTree.from_dict(
            {
                "posterior": posterior,
                "sample_stats": self.idata.sample_stats.to_dataset().isel(fit=i, drop=True),
                "log_likelihood": log_likelihood_group(p, posterior),
                "observed_data": xr.Dataset(observed),
            }
        )

    def result(self, i: int) -> FitResult:
        """Fit ``i`` (negative: from the end) as a :class:`bayesq.FitResult` (tuning curves, best score)."""
        return FitResult(self.idata_of(i))

    def headline(self) -> str:
        """One line about the batch: the number of fits, the sampler, the time."""
        seconds = "" if self.settings.seconds is None else f", {self.settings.seconds:.1f} s"
        return f"BatchFit: {len(self)} fits, {super().headline()}{seconds}"

    def __str__(self) -> str:
        return f"{self.headline()}\n{self.table().to_string()}"
