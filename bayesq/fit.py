r"""Posterior inference for a random search: :func:`fit` and its result.

:func:`fit` builds the censored-tail model (:func:`bayesq.build_model`),
samples it with NUTS on one of four samplers, adds the pointwise
log-likelihood and the settings of the analysis, and checks convergence:

* ``"nutpie"`` (nutpie, the default when installed, with its low-rank mass
  matrix adaptation, which triples the effective sample size here): on a
  Numba program of the model compiled once per process and setting, the data
  its inputs (:func:`_nutpie_search`), so that only a setting's first fit
  compiles; ``backend="jax"`` compiles the fit's own model to JAX instead
  (seconds to compile, twice the time to sample),
* ``"pymc"`` (PyMC's own NUTS, one process per chain),
* ``"numpyro"`` and ``"blackjax"`` (JAX: the GPU path; chains are mapped
  over JAX's devices when there are enough, else drawn in turn (numpyro) or
  vectorized (blackjax); splitting a 2-core CPU into two JAX devices made
  numpyro slower, so bayesq leaves JAX's device count alone).

Every sampler explores the same posterior; they differ in speed only.

The result's ``idata`` (:class:`xarray.DataTree`) has the groups
``posterior`` (``alpha``, ``beta``, ``gamma``, ``sigma``, the model's
coordinates ``tail_mass``, ``log_beta_gap`` and ``log_sigma``, the last two
also as the vector ``log_scales`` that NUTS samples in polar coordinates, and
``gamma_logit`` when ``n_hyperparameters`` bounds gamma), ``sample_stats``,
``log_likelihood`` (a point per run: ``tail`` holds
:math:`\log f(y_i\mid\theta)` for each tail score, ``censored`` holds
:math:`\log F(t\mid\theta)` for each censored run), ``observed_data`` (every
score, split at the threshold) and the settings in
``idata.posterior.attrs["bayesq"]`` (JSON), so a saved fit can be reloaded
and extended (:func:`load`). :meth:`FitResult.prior_sensitivity` adds
``log_prior`` (the priors' log density at each draw) and
:meth:`FitResult.sample_prior` adds ``prior``.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import json
import logging
import math
import os
import pathlib
import signal
import sys
import threading
import time
import warnings
from contextlib import contextmanager

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import pytensor.tensor as pt
import xarray as xr

from bayesq import curves, validate
from bayesq._compat.libmvec import libmvec
from bayesq.data import read_scores
from bayesq.exceptions import DirectionError, InputError
from bayesq.files import read_netcdf, save_netcdf
from bayesq.logdensity import noisy_quadratic_logcdf, noisy_quadratic_logpdf, noisy_quadratic_logsf
from bayesq.model import Priors, build_model, data_model, data_values, prepare_scores, search_model

__all__ = ["PARAMETERS", "SAMPLERS", "Diagnostics", "FitResult", "available_samplers", "fit", "load"]

_log = logging.getLogger("bayesq")

PARAMETERS = ("alpha", "beta", "gamma", "sigma")
SAMPLERS = ("nutpie", "pymc", "numpyro", "blackjax")
_NEEDS = {
    "nutpie": ("nutpie", "numba"),
    "pymc": (),
    "numpyro": ("jax", "numpyro"),
    "blackjax": ("jax", "blackjax"),
}

# convergence standard (issue 3): what fit() checks and warns about
MAX_RHAT = 1.01
MIN_ESS = 400
NOISE_SHARE_NAMED = 0.01  # a noise share from this to 1 minus it is named in R-hat and ESS advice
# NUTS target acceptance of fit(). AlexNet (93 tail scores), 8 seeds of a
# default fit with nutpie: at 0.9, 1 divergence in 4,000 draws in 2 of them (a
# trajectory from sigma/d = 0.02, where beta must hug the best score); at
# 0.95 none, for 14 % more leapfrog steps (24 % on deberta-base).
TARGET_ACCEPT = 0.95
# power-scaling sensitivity from which a parameter is flagged (Kallioinen et al.'s
# rule of thumb, as in arviz.psense): FitResult.prior_sensitivity
SENSITIVITY = 0.05
PSENSE_DELTA = 0.01  # the power-scaling step: powers 1/(1 + delta) and 1 + delta


def available_samplers() -> list[str]:
    """The samplers whose packages are installed, in order of preference."""
    return [s for s in SAMPLERS if all(importlib.util.find_spec(p) for p in _NEEDS[s])]


def _resolve_sampler(sampler: str) -> str:
    if sampler == "auto":
        return available_samplers()[0]
    if sampler not in SAMPLERS:
        raise InputError(
            f"unknown {{arg}} {sampler!r}; choose one of {', '.join(SAMPLERS)} or 'auto'", "sampler"
        )
    missing = [p for p in _NEEDS[sampler] if importlib.util.find_spec(p) is None]
    if missing:
        extra = "nutpie" if sampler == "nutpie" else "jax"
        raise ImportError(
            f"sampler {sampler!r} needs {', '.join(missing)}: pip install 'bayesq[{extra}]' "
            f"(installed samplers: {', '.join(available_samplers())})"
        )
    return sampler


def check_sampling(sampler, draws, tune, chains, target_accept) -> str:
    """Validate the sampling settings; return the sampler's name."""
    for name, value, low in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1)):
        validate.integer(value, name, low)
    validate.probability(target_accept, "target_accept")
    return _resolve_sampler(sampler)


@contextmanager
def quiet_logging(enabled: bool):
    """Silence PyMC's and the samplers' informational logging (warnings stay)."""
    if not enabled:
        yield
        return
    loggers = [logging.getLogger(name) for name in ("pymc", "jax", "numpyro")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def sample(
    model,
    sampler,
    draws,
    tune,
    chains,
    target_accept,
    random_seed,
    quiet,
    progressbar,
    sampler_kwargs,
    compiled=None,
):
    """``pm.sample`` with NUTS on ``sampler`` (progress bar default: ``not quiet``).

    ``compiled``, for nutpie: the model already compiled by nutpie (the
    cached program of :func:`_nutpie_search`), sampled instead of compiling
    ``model``, which still names the observed data.
    """
    progressbar = (not quiet) if progressbar is None else progressbar
    if not quiet:
        _log.info(f"sampling {chains} chains x {draws} draws (tune {tune}) with {sampler}")
    with quiet_logging(quiet), interrupts_raised():
        return _sample(
            model,
            sampler,
            int(draws),
            int(tune),
            int(chains),
            target_accept,
            random_seed,
            progressbar,
            sampler_kwargs,
            compiled,
        )


@contextmanager
def interrupts_raised():
    """Make Ctrl-C stop the block, even where a library would drop or absorb it.

    Ctrl-C raises ``KeyboardInterrupt`` at once, as always, but two places
    would lose it: PyMC's samplers catch it and return the draws made so
    far (a fit of part of its draws would pass for a whole one), and an
    interrupt that lands in a ctypes callback of Numba's compiler (LLVM's
    object cache) is printed as "Exception ignored" and dropped. So the
    handler records each interrupt; a dropped one is signalled again (it
    lands, at the latest, when the compiler is back in Python), and the
    block raises ``KeyboardInterrupt`` when it ends if one came. Main
    thread only (where Python handles signals), and not where the user made
    the process ignore SIGINT.
    """
    default = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or default is signal.SIG_IGN:
        yield
        return
    came = []
    unraisable = sys.unraisablehook

    def record(signum, frame):
        came.append(signum)
        raise KeyboardInterrupt

    def dropped(info):
        if issubclass(info.exc_type, KeyboardInterrupt):
            # again, soon: from another thread, so that it lands outside the callback that dropped it
            threading.Timer(0.01, os.kill, (os.getpid(), signal.SIGINT)).start()
        else:
            unraisable(info)

    signal.signal(signal.SIGINT, record)
    sys.unraisablehook = dropped
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, default)
        sys.unraisablehook = unraisable
    if came:
        raise KeyboardInterrupt


def sampling_settings(sampler, draws, tune, chains, target_accept, random_seed) -> dict:
    """The sampler's settings as recorded in a fit."""
    return {
        "sampler": sampler,
        "draws": int(draws),
        "tune": int(tune),
        "chains": int(chains),
        "target_accept": float(target_accept),
        "random_seed": random_seed,
    }


def _sample(
    model, sampler, draws, tune, chains, target_accept, random_seed, progressbar, sampler_kwargs, compiled
):
    # what PyMC's own sampler and its JAX bridge are both told (nutpie names them otherwise)
    pymc_settings = {
        "draws": draws,
        "tune": tune,
        "chains": chains,
        "target_accept": target_accept,
        "random_seed": random_seed,
        "model": model,
        "progressbar": progressbar,
        "compute_convergence_checks": False,
    }
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not enough devices.*")
        if sampler == "pymc":
            # PyMC 6 hands NUTS to nutpie whenever nutpie is installed: ask for its own
            cores = min(chains, os.cpu_count() or 1)
            return pm.sample(**pymc_settings, nuts_sampler="pymc", cores=cores, **sampler_kwargs)
        # the external samplers are called directly: pm.sample would first
        # assign PyMC's own step methods, compiling a gradient it never uses
        # (2-4 s of a 2 x 600-iteration fit that took 35-41 s)
        if sampler == "nutpie":
            return _sample_nutpie(
                model,
                draws,
                tune,
                chains,
                target_accept,
                random_seed,
                progressbar,
                sampler_kwargs,
                compiled,
            )
        return _sample_jax(sampler, pymc_settings, sampler_kwargs)


def _sample_nutpie(
    model, draws, tune, chains, target_accept, random_seed, progressbar, sampler_kwargs, compiled=None
):
    """nutpie's NUTS with the low-rank mass matrix adaptation.

    On ``compiled`` when given, else on ``model`` compiled to JAX (when JAX
    is installed; else Numba), which compiles in seconds.
    """
    import nutpie
    from pymc.backends.arviz import coords_and_dims_for_inferencedata, dict_to_dataset, find_observations

    options = {"adaptation": "low_rank"}
    if compiled is None and importlib.util.find_spec("jax"):
        options.update(backend="jax", gradient_backend="jax")
    options.update(sampler_kwargs)
    compile_options = {k: options.pop(k) for k in ("backend", "gradient_backend") if k in options}
    if compiled is None:
        compiled = nutpie.compile_pymc_model(model, **compile_options)
    start = time.perf_counter()
    sampler = nutpie.sample(
        compiled,
        draws=draws,
        tune=tune,
        chains=chains,
        target_accept=target_accept,
        seed=nutpie_seed(random_seed),
        progress_bar=progressbar,
        blocking=False,
        **options,
    )
    # nutpie's blocking call turns Ctrl-C into a partial trace; bayesq stops with nothing instead
    try:
        idata = sampler.wait()
    except BaseException:
        sampler.cancel()
        raise
    # what pm.sample records with every posterior, whichever sampler drew it
    idata.posterior.attrs.update(sampling_time=time.perf_counter() - start, tuning_steps=tune)
    coords, dims = coords_and_dims_for_inferencedata(model)
    observations = find_observations(model)
    idata["observed_data"] = dict_to_dataset(
        observations, inference_library=pm, coords=coords, dims=dims, sample_dims=[]
    )
    return idata


def nutpie_seed(random_seed) -> int:
    """The seed ``pm.sample(nuts_sampler="nutpie", random_seed=...)`` gives nutpie (PyMC >= 6).

    PyMC spawns one generator per chain from the seed and draws an integer
    below :math:`2^{30}` from each; nutpie gets the first chain's.
    """
    from pymc.util import get_random_generator

    return int(get_random_generator(random_seed).spawn(1)[0].integers(2**30))


def _sample_jax(sampler, pymc_settings, sampler_kwargs):
    """numpyro's or blackjax's NUTS through PyMC's JAX bridge, with the settings ``pm.sample`` gets."""
    import jax
    from pymc.sampling.jax import sample_jax_nuts

    # "parallel" maps chains over JAX devices; with fewer devices than chains
    # numpyro draws them one after another, blackjax cannot (its pmap fails):
    # it vectorizes them instead
    parallel = sampler == "numpyro" or jax.local_device_count() >= pymc_settings["chains"]
    options = {"chain_method": "parallel" if parallel else "vectorized", **sampler_kwargs}
    return sample_jax_nuts(**pymc_settings, nuts_sampler=sampler, **options)


@functools.lru_cache(maxsize=8)
def _nutpie_program(maximize: bool, n_hyperparameters, priors: Priors):
    """:func:`bayesq.model.data_model` compiled by nutpie's Numba backend, once per setting.

    Compiled with glibc's SIMD ``exp``/``log`` where the host has them
    (:func:`bayesq._compat.libmvec.libmvec`; nutpie compiles its C callback, and
    with it every Numba function of the program, before returning).
    """
    import nutpie

    model, _ = data_model(maximize, n_hyperparameters, priors)
    with libmvec():
        return nutpie.compile_pymc_model(model, backend="numba", gradient_backend="pytensor")


def _nutpie_search(prepared, n_hyperparameters, priors: Priors):
    r"""The model of one search, compiled for nutpie: the cached program fed this search's data.

    A fit's log density and gradient are compiled once per process and
    setting (direction, ``n_hyperparameters``, priors), with the data as
    inputs (:func:`bayesq.model.data_model`: each distinct tail score once,
    times its count), so a later fit of any scores skips the compilation.
    Measured on deberta-base, 2-core Xeon host (``benchmarks/bench_fit.py``,
    2026-12-06, the README's table): a warm default fit takes 6.1 s against
    31.3 s on nutpie's JAX backend (its gradient runs in nutpie's threads,
    not through Python), a fit of other scores after it 6.2 s; the first
    fit in a process 78 s against 30 s (compilation, with the disk caches
    empty).
    """
    hyper = None if n_hyperparameters is None else float(n_hyperparameters)
    program = _nutpie_program(bool(prepared.maximize), hyper, priors)
    return program.with_data(**data_values(prepared))


def pointwise_log_likelihood(prepared, alpha, beta, gamma, sigma, chunk: int | None = None):
    r"""Log-likelihood of every run for each parameter draw.

    Parameters
    ----------
    prepared : bayesq.model.PreparedScores
        The scores split at the threshold.
    alpha, beta, gamma, sigma : ndarray
        Parameter draws, all of one shape ``S``.
    chunk : int, optional
        Draws evaluated per call of the compiled function. By default about
        4,096 densities a call (86 quadrature nodes each): batches that
        outgrow the CPU's cache are memory-bound (4,000 draws x 648 tail
        scores took 9.3 s in calls of 256 draws, 3.6 s in calls of 6).
        The density is computed once per distinct tail score and repeated
        for its ties (as :class:`bayesq.NoisyQuadratic` does for observed
        data).

    Returns
    -------
    tail : ndarray, shape ``S + (n_tail,)``
        :math:`\log f(y_i \mid \theta)` for each tail score.
    censored : ndarray, shape ``S + (n_censored,)``
        :math:`\log F(t \mid \theta)` (maximizing) or :math:`\log(1 - F(t \mid \theta))`
        (minimizing), repeated for each censored run.
    """
    draws = [np.asarray(p, dtype=float) for p in (alpha, beta, gamma, sigma)]
    shape = draws[0].shape
    flat = [p.reshape(-1) for p in draws]
    f = _loglik_function(prepared.maximize)
    size = flat[0].size
    distinct, index = np.unique(prepared.tail, return_inverse=True)
    # every call gets ``chunk`` draws (the last one padded with repeats of its
    # first): one input shape, which a backend that compiles per shape (JAX) needs
    if chunk is None:
        chunk = max(1, 4096 // max(1, distinct.size))
    elif int(chunk) != chunk or chunk < 1:
        raise ValueError(f"chunk must be a whole number of draws >= 1, got {chunk!r}")
    chunk = min(int(chunk), size)
    tail_parts, cens_parts = [], []
    for start in range(0, size, chunk):
        take = np.arange(start, start + chunk)
        take[take >= size] = start
        tail, side = f(distinct, prepared.threshold, np.stack([p[take] for p in flat], axis=1))
        used = min(chunk, size - start)
        tail_parts.append(np.asarray(tail)[:used])
        cens_parts.append(np.asarray(side)[:used])
    tail = np.concatenate(tail_parts)[:, index].reshape(*shape, prepared.tail.size)
    side = np.concatenate(cens_parts).reshape(shape)
    censored = np.broadcast_to(side[..., None], (*shape, prepared.censored.size)).copy()
    return tail, censored


def log_likelihood_group(prepared, posterior) -> xr.Dataset:
    """The ``log_likelihood`` group of a fit: :func:`pointwise_log_likelihood` of every draw.

    Variables ``tail`` (dim ``tail_run``) and, when some runs are censored,
    ``censored`` (dim ``censored_run``), each with the posterior's
    ``chain`` and ``draw``.
    """
    tail, censored = pointwise_log_likelihood(prepared, *(posterior[name].values for name in PARAMETERS))
    dims = ("chain", "draw")
    loglik = {"tail": ((*dims, "tail_run"), tail)}
    if prepared.censored.size:
        loglik["censored"] = ((*dims, "censored_run"), censored)
    coords = {
        "chain": posterior.chain.values,
        "draw": posterior.draw.values,
        "tail_run": np.arange(prepared.tail.size),
        "censored_run": np.arange(prepared.censored.size),
    }
    return xr.Dataset(loglik, coords=coords)


@functools.cache
def _loglik_function(maximize: bool):
    """One compiled function (PyTensor's Numba backend) for every draw at once.

    Numba, not JAX or C: on deberta-base's 556 tail scores and 4,000 draws it
    took 0.69 s against 1.53 s on JAX and 0.93 s on C (2-core host), and
    PyTensor caches it on disk. The draws come as one matrix (a row per
    draw: alpha, beta, gamma, sigma), so their common length is known to the
    graph: four vectors would need run-time checks that they broadcast.
    """
    y, t, draws = pt.dvector("y"), pt.dscalar("t"), pt.dmatrix("draws")
    params = [draws[:, i] for i in range(len(PARAMETERS))]
    column = [p[:, None] for p in params]
    tail = noisy_quadratic_logpdf(y[None, :], *column, maximize=maximize)
    side = (noisy_quadratic_logcdf if maximize else noisy_quadratic_logsf)(t, *params, maximize=maximize)
    return pytensor.function([y, t, draws], [tail, side], mode="NUMBA")


@dataclasses.dataclass(frozen=True)
class Diagnostics:
    """Convergence of a fit: the numbers :func:`fit` checks."""

    divergences: int
    draws: int
    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    max_tree_depth_hits: int
    min_bfmi: float
    depth_capped: bool = False  # the user lowered the maximum tree depth (:func:`user_depth_cap`)
    noise_share: float = float("nan")  # share of draws with sigma > |best - t| (:func:`noise_share`)

    def problems(self) -> list[str]:
        """What falls short of the standard (0 divergences, R-hat <= 1.01, ESS >= 400), with advice."""
        out = []
        why = self._two_explanations()  # named once: with R-hat if it falls short, else with the ESS
        if self.divergences:
            out.append(
                f"{self.divergences} of {self.draws} draws diverged after tuning: raise target_accept "
                "(e.g. to 0.99), or check the threshold (a tail with few scores or outside the "
                "asymptotic regime strains the geometry)"
            )
        if not self.max_rhat <= MAX_RHAT:
            out.append(
                f"R-hat up to {self.max_rhat:.3f} (> {MAX_RHAT}): the chains disagree; "
                "run longer (tune, draws) or inspect the trace (arviz.plot_trace(result.idata))" + why
            )
            why = ""
        if not min(self.min_ess_bulk, self.min_ess_tail) >= MIN_ESS:
            # rounded down, so that an ESS of 399.7 does not read as the 400 wanted
            bulk, tail = math.floor(self.min_ess_bulk), math.floor(self.min_ess_tail)
            out.append(
                f"effective sample size down to {min(bulk, tail)} "
                f"(bulk {bulk}, tail {tail}; want >= {MIN_ESS}): "
                "draw more (draws, chains)"
                + (", or raise the maximum tree depth you lowered" if self.depth_capped else "")
                + why
            )
        # trajectories cut at a depth the user chose cost mixing, which R-hat and ESS measure
        if self.max_tree_depth_hits and not self.depth_capped:
            out.append(
                f"{self.max_tree_depth_hits} draws hit the maximum tree depth: the posterior is "
                "badly scaled; tune longer"
            )
        if self.min_bfmi < 0.3:
            out.append(f"E-BFMI down to {self.min_bfmi:.2f} (< 0.3): heavy tails in the energy; tune longer")
        return out

    @property
    def splits_draws(self) -> bool:
        """Whether the draws split between noise and signal: a noise share in [1 %, 99 %]."""
        return NOISE_SHARE_NAMED <= self.noise_share <= 1 - NOISE_SHARE_NAMED

    def _two_explanations(self) -> str:
        """Why the chains mix slowly, when the draws split between noise and signal (else ``""``)."""
        if not self.splits_draws:
            return ""
        return (
            f". The data admit two explanations of the tail: {self.noise_share:.0%} of the draws make it "
            "mostly seed noise (sigma above the best score's lead over the threshold), the rest a quadratic "
            "reaching past the threshold, and NUTS passes between the two slowly; draws=4000 brought "
            "R-hat within 1.01 on each of 9 such simulated searches (README, Convergence), and "
            "result.prior_sensitivity() shows how much of this posterior the priors decide"
        )

    def __str__(self) -> str:
        return (
            f"divergences {self.divergences}/{self.draws}, max R-hat {self.max_rhat:.4f}, "
            f"min ESS bulk {self.min_ess_bulk:.0f}, tail {self.min_ess_tail:.0f}, "
            f"E-BFMI >= {self.min_bfmi:.2f}"
            + (f", noise share {self.noise_share:.0%}" if self.splits_draws else "")
        )


# the sample stat that flags a trajectory cut at the maximum tree depth: PyMC's (and fit_batch's), nutpie's
MAX_DEPTH_STATS = ("reached_max_treedepth", "maxdepth_reached")


# each sampler's keyword for the maximum tree depth (numpyro's inside ``nuts_kwargs``); PyMC's
# blackjax bridge has none for the draws (it builds blackjax's kernel with its default, 10)
DEPTH_KEYWORDS = {"nutpie": "maxdepth", "pymc": "max_treedepth", "numpyro": "max_tree_depth"}


def _depth_home(sampler: str, sampler_kwargs: dict) -> dict:
    """Where ``sampler`` reads its depth keyword: numpyro's ``nuts_kwargs``, else the keywords themselves."""
    return (sampler_kwargs.get("nuts_kwargs") or {}) if sampler == "numpyro" else sampler_kwargs


def user_depth_cap(sampler_kwargs: dict) -> int | None:
    """The maximum tree depth given in a sampler's own keyword (:data:`DEPTH_KEYWORDS`), if any."""
    for sampler, key in DEPTH_KEYWORDS.items():
        value = _depth_home(sampler, sampler_kwargs).get(key)
        if value is not None:
            return int(value)
    return None


def check_depth(max_tree_depth) -> int | None:
    """``max_tree_depth`` validated: ``None`` (the sampler's default, 10) or an integer >= 1."""
    return None if max_tree_depth is None else validate.integer(max_tree_depth, "max_tree_depth", 1)


def with_depth_cap(sampler: str, sampler_kwargs: dict, max_tree_depth) -> dict:
    """``sampler_kwargs`` with ``max_tree_depth`` in the sampler's own keyword (none: unchanged)."""
    max_tree_depth = check_depth(max_tree_depth)
    if max_tree_depth is None:
        return sampler_kwargs
    if user_depth_cap(sampler_kwargs) is not None:
        raise ValueError(
            "the maximum tree depth is given twice: as max_tree_depth and as the sampler's keyword"
        )
    if sampler not in DEPTH_KEYWORDS:
        raise ValueError(
            f"max_tree_depth is not available with {sampler}: PyMC's bridge samples its draws at "
            f"blackjax's default depth (10); use one of {', '.join(DEPTH_KEYWORDS)}"
        )
    home = {**_depth_home(sampler, sampler_kwargs), DEPTH_KEYWORDS[sampler]: max_tree_depth}
    return {**sampler_kwargs, "nuts_kwargs": home} if sampler == "numpyro" else home


# the variables whose convergence counts: reported and sampled ones (single and joint models)
CHECKED = (
    *PARAMETERS,
    "tail_mass",
    "log_beta_gap",
    "log_sigma",
    "gamma_logit",
    "gamma_tau",
    "gamma_level",
    "gamma_contrast",
    "sigma_tau",
    "sigma_level",
    "sigma_contrast",
)


def noise_share(posterior) -> float:
    r"""Share of draws in which the seed noise exceeds the best score's lead over the threshold.

    :math:`P(\sigma > |\text{best} - t| \mid \text{data})`, from the recorded
    ``log_sigma`` and ``log_beta_gap`` (both in the tail's spread :math:`d`),
    the best score being :math:`\beta` when maximizing and :math:`\alpha`
    when minimizing. Near 0 the tail is a quadratic's, with little noise; near 1
    mostly noise. In between, the posterior has both arms of the L that
    :mod:`bayesq.model` describes, and NUTS mixes slowly. With several
    searches (a joint fit), the share of the search most evenly split. NaN
    when the variables are missing.
    """
    if "log_sigma" not in posterior or "log_beta_gap" not in posterior:
        return float("nan")
    noisy = (posterior["log_sigma"] > posterior["log_beta_gap"]).mean(("chain", "draw")).values
    shares = np.atleast_1d(noisy).ravel()
    return float(shares[np.argmax(np.minimum(shares, 1 - shares))])


def diagnose(idata: xr.DataTree, by: str | None = None, settings: dict | None = None):
    """Divergences, R-hat, ESS and E-BFMI of a fit's posterior (constant variables left out).

    With ``by`` (a dimension of the posterior, e.g. ``"fit"`` of
    :func:`bayesq.batch.fit_batch`), one :class:`Diagnostics` per coordinate
    along it, from one vectorized ArviZ call per statistic. ``settings``: the
    fit's, whose ``max_tree_depth`` (a depth the user lowered) sets
    :attr:`Diagnostics.depth_capped`.
    """
    capped = (settings or {}).get("max_tree_depth") is not None
    post = idata.posterior.to_dataset()
    names = [v for v in CHECKED if v in post and float(np.ptp(post[v].values)) > 0]
    stats = idata.sample_stats.to_dataset()
    found = {
        "rhat": az.rhat(post, var_names=names),
        "ess_bulk": az.ess(post, var_names=names, method="bulk"),
        "ess_tail": az.ess(post, var_names=names, method="tail"),
        "diverging": stats["diverging"] if "diverging" in stats else xr.DataArray(np.zeros(1)),
    }
    for key in MAX_DEPTH_STATS:
        if key in stats:
            found["depth"] = stats[key]
    groups = [None] if by is None else list(range(post.sizes[by]))
    out = []
    for g in groups:
        part = {k: v if g is None else v.isel({by: g}) for k, v in found.items()}
        energy = (
            None if "energy" not in stats else stats["energy"] if g is None else stats["energy"].isel({by: g})
        )
        out.append(
            Diagnostics(
                divergences=int(part["diverging"].values.sum()),
                draws=int(post.sizes["chain"] * post.sizes["draw"]),
                max_rhat=float(max(part["rhat"][v].values.max() for v in names)),
                min_ess_bulk=float(min(part["ess_bulk"][v].values.min() for v in names)),
                min_ess_tail=float(min(part["ess_tail"][v].values.min() for v in names)),
                max_tree_depth_hits=int(part["depth"].values.sum()) if "depth" in part else 0,
                min_bfmi=float("nan") if energy is None else float(np.min(az.bfmi(energy.values))),
                depth_capped=capped,
                noise_share=noise_share(post if g is None else post.isel({by: g})),
            )
        )
    return out[0] if by is None else out


def warn_problems(diagnostics: Diagnostics, who: str = "bayesq.fit") -> list[str]:
    """Warn (``RuntimeWarning``) about every convergence problem; return them."""
    problems = diagnostics.problems()
    for problem in problems:
        warnings.warn(f"{who}: {problem}", RuntimeWarning, stacklevel=3)
    return problems


def prior_sensitivity(idata: xr.DataTree, model: pm.Model, var_names, threshold: float = SENSITIVITY):
    r"""How far the posterior moves when the prior or the likelihood is power-scaled.

    For each parameter, :func:`arviz.psense` (Kallioinen et al. 2023,
    "Detecting and diagnosing prior and likelihood sensitivity with
    power-scaling", Statistics and Computing 34) raises the prior
    :math:`p(\theta)` or the likelihood :math:`p(y\mid\theta)` to a power
    :math:`a` near 1, reweights the draws by Pareto-smoothed importance
    sampling (no refit), and reports the cumulative Jensen-Shannon
    distances from the posterior to the power-scaled posteriors at
    :math:`a = 1/(1 + \delta)` and :math:`1 + \delta`, summed and divided
    by :math:`2\log_2(1 + \delta)` (:math:`\delta = 0.01`): a derivative
    of the posterior in :math:`\log a`. The diagnosis follows the paper:
    both at or above ``threshold``, a potential prior-data conflict; the
    prior's alone, a prior that dominates a weak likelihood (the interval
    is largely the prior's). The paper's threshold, 0.05, is a rule of
    thumb, and the estimates carry Monte Carlo error.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit's posterior with its ``log_likelihood`` group; the log prior
        (:func:`pymc.stats.compute_log_prior`: the priors' log density at each
        draw, in the parameters the priors are written in, without the
        sampler's Jacobian) is added as the ``log_prior`` group if missing.
    model : pymc.Model
        The model that drew the posterior.
    var_names : iterable of str
        Posterior variables to report.
    threshold : float
        Sensitivity from which a variable is flagged.

    Returns
    -------
    pandas.DataFrame
        One row per variable (``beta``), or per entry of a variable with
        dims (``beta[deberta-base]``); columns ``prior``, ``likelihood``
        (sensitivities) and ``diagnosis`` (``"potential prior-data
        conflict"``, ``"prior dominates"`` or ``"-"``).
    """
    if not (np.isfinite(threshold) and threshold > 0):
        raise ValueError(f"threshold must be a positive number, got {threshold}")
    if "log_prior" not in idata:
        from pymc.stats import compute_log_prior

        idata["log_prior"] = compute_log_prior(
            idata, model=model, progressbar=False, extend_inferencedata=False
        )
    names = list(var_names)
    # the paper's powers 1/(1 + delta) and 1 + delta, delta = 0.01 (ArviZ 1's default is 0.99, 1.01)
    alphas = (1 / (1 + PSENSE_DELTA), 1 + PSENSE_DELTA)
    prior, likelihood = (
        az.psense(idata, group=part, var_names=names, alphas=alphas) for part in ("prior", "likelihood")
    )
    frames = []
    for name in names:
        values = xr.Dataset({"prior": prior[name], "likelihood": likelihood[name]})
        if not values.dims:
            frames.append(pd.DataFrame({k: [float(v)] for k, v in values.items()}, index=[name]))
            continue
        frame = values.to_dataframe()[["prior", "likelihood"]]
        frame.index = [f"{name}[{', '.join(map(str, np.atleast_1d(i)))}]" for i in frame.index]
        frames.append(frame)
    table = pd.concat(frames)
    conflict = np.where(table["likelihood"] >= threshold, "potential prior-data conflict", "prior dominates")
    table["diagnosis"] = np.where(table["prior"] >= threshold, conflict, "-")
    return table


def _decimals(scale: float) -> int:
    """Decimals that show ``scale`` (a standard deviation, an interval's width) to 2 significant digits."""
    if not (np.isfinite(scale) and scale > 0):
        return 4
    return max(0, 1 - math.floor(math.log10(scale)))


def summary_table(idata, var_names, hdi_prob: float = 0.9, **kwargs) -> pd.DataFrame:
    """:func:`arviz.summary` of ``var_names``: mean, sd, the ``hdi_prob`` HDI, ESS, R-hat, MCSE (unrounded).

    The HDI's columns are ArviZ's, e.g. ``hdi90_lb`` and ``hdi90_ub``.
    """
    kwargs.setdefault("round_to", "none")
    kwargs.setdefault("ci_kind", "hdi")
    return az.summary(idata, var_names=list(var_names), ci_prob=hdi_prob, fmt="wide", **kwargs)


def format_summary(table: pd.DataFrame) -> str:
    """A summary table as text, each row at the digits its posterior standard deviation needs.

    Mean, sd and interval ends get the decimals that show the sd to two
    significant digits (so an interval's ends differ: beta's sd of 0.0004
    prints as 0.00040, not 0.000); MCSE two significant digits; ESS whole;
    R-hat three decimals.
    """
    shown = pd.DataFrame(index=table.index)
    for column in table.columns:
        values = table[column].astype(float)
        if column.startswith("mcse"):
            shown[column] = [f"{v:.2g}" for v in values]
        elif column.startswith("ess"):
            shown[column] = [f"{v:.0f}" for v in values]
        elif column == "r_hat":
            shown[column] = [f"{v:.3f}" for v in values]
        else:
            shown[column] = [f"{v:.{_decimals(sd)}f}" for v, sd in zip(values, table["sd"], strict=True)]
    return shown.to_string()


class FitResult:
    """A fitted random search: posterior draws, data and settings.

    Attributes
    ----------
    idata : xarray.DataTree
        The posterior (module docstring lists the groups).
    settings : dict
        Threshold, direction, priors, sampler and its settings.
    """

    def __init__(self, idata: xr.DataTree, model: pm.Model | None = None):
        self.idata = idata
        self.settings = json.loads(idata.posterior.attrs["bayesq"])
        self._model = model

    # -- data and model -------------------------------------------------
    @property
    def scores(self) -> np.ndarray:
        """Every score of the search (tail first, then the censored runs)."""
        obs = self.idata.observed_data
        parts = [obs["tail"].values]
        if "censored" in obs:
            parts.append(obs["censored"].values)
        return np.concatenate(parts)

    @property
    def threshold(self) -> float:
        return float(self.settings["threshold"])

    @property
    def maximize(self) -> bool:
        return bool(self.settings["maximize"])

    @property
    def priors(self) -> Priors:
        return Priors(**self.settings["priors"])

    @property
    def model(self) -> pm.Model:
        """The PyMC model (rebuilt from the data and settings after :func:`load`)."""
        if self._model is None:
            if "joint" in self.settings:
                raise ValueError(
                    "this search was fitted jointly with others; its model is the joint fit's "
                    "(bayesq.joint.JointFit.model)"
                )
            self._model = build_model(
                self.scores,
                self.threshold,
                maximize=self.maximize,
                n_hyperparameters=self.settings["n_hyperparameters"],
                priors=self.priors,
                spread=self.settings["tail_spread"] if self.settings.get("fixed_spread") else None,
            )
        return self._model

    def sample_prior(self, draws: int = 500, random_seed=None) -> xr.DataTree:
        """Add a ``prior`` group (draws of alpha, beta, gamma, sigma from the priors).

        The prior predictive check is :func:`bayesq.plots.plot_tail` with
        ``group="prior"``: the tail the priors allow, against the data.
        """
        with self.model:
            prior = pm.sample_prior_predictive(
                draws=draws, var_names=list(PARAMETERS), random_seed=random_seed
            )
        self.idata["prior"] = prior["prior"]
        return self.idata

    def prior_sensitivity(self, var_names=PARAMETERS, threshold: float = SENSITIVITY) -> pd.DataFrame:
        """Power-scaling sensitivity of alpha, beta, gamma, sigma to the prior and the likelihood.

        See :func:`prior_sensitivity`; adds the ``log_prior`` group to
        :attr:`idata` the first time.
        """
        return prior_sensitivity(self.idata, self.model, var_names, threshold)

    def draws(self, name: str) -> np.ndarray:
        """Posterior draws of a variable, shape (chains, draws)."""
        return self.idata.posterior[name].values

    # -- reporting --------------------------------------------------------
    def summary(self, var_names=PARAMETERS, hdi_prob: float = 0.9, **kwargs):
        """Posterior summary table (:func:`arviz.summary`): mean, sd, HDI, MCSE, ESS, R-hat.

        Unrounded; ``print(result)`` shows it at the digits each row needs
        (:func:`format_summary`).
        """
        return summary_table(self.idata, var_names, hdi_prob, **kwargs)

    def diagnostics(self) -> Diagnostics:
        """Divergences, R-hat, ESS and E-BFMI of the sampled and reported variables."""
        return diagnose(self.idata, settings=self.settings)

    def check(self) -> list[str]:
        """Warn (``RuntimeWarning``) about every convergence problem; return them."""
        return warn_problems(self.diagnostics())

    # -- tuning curves and the best score ------------------------------------
    def tuning_curve(self, k, kind: str = "median", ci: float = 0.8) -> curves.TuningCurve:
        """Posterior tuning curve at ``k`` iterations (real, ``>= 1``, beyond the data too).

        See :func:`bayesq.curves.tuning_curve`: the median (``kind="median"``)
        or expected (``"mean"``) best score after ``k`` iterations for each
        posterior draw, summarized as ``lower`` / ``estimate`` / ``upper``,
        with the asymptotic regime (``k_regime``, ``in_regime``) marked.
        """
        return curves.tuning_curve(
            self.idata.posterior, k, kind=kind, ci=ci, threshold=self.threshold, maximize=self.maximize
        )

    def best_after(self, k, ci: float = 0.8) -> curves.BestAfter:
        """Predictive intervals of the best score after ``k`` runs (:func:`bayesq.curves.best_after`)."""
        return curves.best_after(self.idata.posterior, k, ci=ci, maximize=self.maximize)

    def best_score(
        self, ci: float = 0.9, eps=None, prob: float = 0.9, predictive: bool = False
    ) -> curves.BestScore:
        """Credible interval of the best achievable score; with ``eps``, the iterations to come within it.

        See :func:`bayesq.curves.best_score`; ``more_iterations`` counts from
        the runs of this search. The result also holds the best score this
        search observed, placed against the interval (``print`` says where);
        with ``predictive=True`` also the predictive interval of the best
        observed score after as many runs, seed noise included, which the
        best achievable score is free of (:meth:`best_after`; seconds for
        4,000 draws).
        """
        return curves.best_score(
            self.idata.posterior,
            ci=ci,
            eps=eps,
            prob=prob,
            maximize=self.maximize,
            n_runs=self.scores.size,
            observed=self.scores,
            predictive=predictive,
        )

    def __str__(self) -> str:
        s = self.settings
        side = "above" if s["maximize"] else "below"
        head = (
            f"bayesq fit: {s['n_tail']} of {s['n_scores']} scores {side} the threshold {s['threshold']:g} "
            f"({'maximize' if s['maximize'] else 'minimize'}); sampler {s['sampler']}, "
            f"{s['chains']} chains x {s['draws']} draws (tune {s['tune']})"
        )
        return f"{head}\n{format_summary(self.summary())}\n{self.diagnostics()}"

    def __repr__(self) -> str:
        return str(self)

    # -- persistence --------------------------------------------------------
    def save(self, path, overwrite: bool = False) -> pathlib.Path:
        """Write the fit (its DataTree) to netCDF atomically (a temporary file, then a rename).

        Refuses to replace an existing file unless ``overwrite``.
        """
        return save_netcdf(self.idata, path, overwrite)


def load(path):
    """Read a fit saved by :meth:`FitResult.save` (or ``bayesq fit --out``), or a joint fit.

    Returns a :class:`FitResult`, or a :class:`bayesq.joint.JointFit` for a
    file written by :meth:`bayesq.joint.JointFit.save`. The file's checksum
    is verified (:func:`bayesq.files.read_netcdf`).

    Raises
    ------
    FileNotFoundError
        Nothing at ``path``.
    bayesq.exceptions.SavedFitError
        ``path`` is not a whole, unaltered fit saved by bayesq: empty,
        truncated, corrupted, or another kind of file; the message names it.
    """
    idata = read_netcdf(path)
    if "bayesq_joint" in idata.posterior.attrs:
        from bayesq.joint import JointFit

        return JointFit(idata)
    return FitResult(idata)


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

    Raises
    ------
    bayesq.exceptions.DirectionError
        Unless ``stated`` (the user gave ``maximize`` explicitly): which
        direction the data suggest, and how to say either.
    """
    if stated or prepared.censored.size < MIN_CENSORED_FOR_DIRECTION:
        return
    t = prepared.threshold
    beyond = float(np.max(np.abs(prepared.tail - t)))
    within = float(np.max(np.abs(prepared.censored - t)))
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


MIN_CENSORED_FOR_DIRECTION = 10
DIRECTION_REACH = 3.0  # how many times further the tail must reach than the censored side to be warned about


def _numba_requested(sampler_kwargs) -> bool:
    """Whether nutpie's options leave it the Numba backend (:func:`_nutpie_search`), fit's default."""
    return sampler_kwargs.get("backend", "numba") == "numba" and sampler_kwargs.get(
        "gradient_backend", "pytensor"
    ) in ("pytensor", None)


def fit(
    scores,
    threshold: float,
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
    quiet: bool = False,
    progressbar: bool | None = None,
    extract=None,
    column: str | None = None,
    **sampler_kwargs,
) -> FitResult:
    r"""Posterior of the noisy quadratic tail of a random search.

    Parameters
    ----------
    scores : array_like, pandas.Series or path
        One score per run: an array, a Series, or a CSV / text / JSONL file
        (:func:`bayesq.data.read_scores`; ``extract`` says how to read a score
        from a JSONL record).
    threshold : float
        Start of the asymptotic regime. Scores beyond it (above when
        maximizing) enter the likelihood exactly, the others as censored.
    maximize : bool, optional
        Whether higher scores are better (best achievable score ``beta``);
        ``False`` for losses (best score ``alpha``). Unstated, higher is
        better, and a tail that looks like the bad side of the search
        (:func:`check_direction`) is an error; stated, it is fitted as told.
    n_hyperparameters : float, optional
        Nominal number of hyperparameters searched: bounds gamma above.
    priors : bayesq.Priors, optional
        Prior settings (:mod:`bayesq.model`).
    spread : float, optional
        The priors' unit; by default the standard deviation of the tail
        scores (:func:`bayesq.build_model`). Give it to fix the prior before
        seeing the data, as calibration studies do.
    sampler : {"auto", "nutpie", "pymc", "numpyro", "blackjax"}
        NUTS implementation; ``"auto"`` takes the first installed in that order.
    draws, tune, chains : int
        Draws kept per chain, tuning steps per chain, number of chains.
        ``tune=300`` (nutpie's own default) takes a third less time than
        the default 1,000 with diagnostics as good on the three real searches
        and the simulated study (README, "Speed").
    target_accept : float
        NUTS target acceptance rate, in (0, 1); 0.95 by default
        (:data:`TARGET_ACCEPT`: at 0.9 AlexNet's tail diverged once in 4,000
        draws for 2 of 8 seeds).
    max_tree_depth : int, optional
        Cap on the NUTS tree depth (at most :math:`2^d - 1` leapfrog steps per
        draw) for nutpie, PyMC's NUTS and numpyro; by default the sampler's
        own (10). Trajectories cut at a depth given here (or in the
        sampler's own keyword, :data:`DEPTH_KEYWORDS`) are not reported as
        a problem: R-hat and ESS measure what they cost. ``tune=300,
        max_tree_depth=2`` is the fast setting of README "Speed".
    random_seed : int, optional
        Seed for reproducible draws.
    quiet : bool
        No progress bars or informational logging (diagnostic warnings stay).
    progressbar : bool, optional
        Override the progress bar alone (default: ``not quiet``).
    extract : str or callable, optional
        Score extraction for JSONL input (:data:`bayesq.data.EXTRACTORS`).
    column : str, optional
        The CSV column of the scores.
    **sampler_kwargs
        Passed to the sampler (``pm.sample`` for ``"pymc"``, else as
        ``nuts_sampler_kwargs``); for nutpie, ``backend="jax"`` samples the
        model compiled to JAX instead of the cached Numba program.

    Returns
    -------
    FitResult
        ``.idata`` (:class:`xarray.DataTree`), ``.summary()``, ``.diagnostics()``, ``.model``.

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
        With numbers and advice, when the draws fall short of 0 divergences,
        R-hat <= 1.01 and ESS >= 400, hit the maximum tree depth, or have an
        E-BFMI below 0.3 (:meth:`Diagnostics.problems`).
    """
    sampler = check_sampling(sampler, draws, tune, chains, target_accept)
    sampler_kwargs = with_depth_cap(sampler, sampler_kwargs, max_tree_depth)
    priors = Priors() if priors is None else priors
    stated = maximize is not None
    maximize = validate.boolean(maximize, "maximize") if stated else True
    y = read_scores(scores, extract=extract, column=column)
    prepared = prepare_scores(y, threshold, maximize, spread)
    check_direction(prepared, stated)
    model = search_model(prepared, n_hyperparameters, priors)
    compiled = None
    with interrupts_raised():  # Numba's compiler swallows a Ctrl-C that lands in its callbacks
        if sampler == "nutpie" and _numba_requested(sampler_kwargs):
            compiled = _nutpie_search(prepared, n_hyperparameters, priors)
        idata = sample(
            model,
            sampler,
            draws,
            tune,
            chains,
            target_accept,
            random_seed,
            quiet,
            progressbar,
            sampler_kwargs,
            compiled,
        )
    post = idata.posterior
    idata["log_likelihood"] = log_likelihood_group(prepared, post)
    settings = {
        "threshold": prepared.threshold,
        "maximize": prepared.maximize,
        "n_hyperparameters": None if n_hyperparameters is None else float(n_hyperparameters),
        "priors": dataclasses.asdict(priors),
        **sampling_settings(sampler, draws, tune, chains, target_accept, random_seed),
        **({"backend": "numba" if compiled is not None else "jax"} if sampler == "nutpie" else {}),
        "max_tree_depth": user_depth_cap(sampler_kwargs),
        "n_scores": int(prepared.scores.size),
        "n_tail": int(prepared.tail.size),
        "n_censored": int(prepared.censored.size),
        "tail_spread": prepared.spread,
        "fixed_spread": spread is not None,
    }
    from bayesq import __version__

    settings["bayesq_version"] = __version__
    post.attrs["bayesq"] = json.dumps(settings)
    result = FitResult(idata, model)
    result.check()
    return result
