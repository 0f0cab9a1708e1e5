"""nutpie's NUTS with its low-rank mass matrix adaptation, and the compiled program it samples.

A fit's log density and gradient are compiled once per machine and setting
(direction, ``n_hyperparameters``, priors), with the data as inputs
(:func:`bayesq.model.data_model`: each distinct tail score once, times its
count; for a joint fit, :func:`bayesq.joint_model.joint_data_model`, once
per number of searches and setting), and kept on disk (:mod:`bayesq._compat.nutpie_program`), so a later
fit of any scores, in this process or another, skips the compilation
(:func:`search_program`). It runs on nutpie's Numba backend, the faster of
nutpie's two on a CPU: its gradient runs in nutpie's threads, not through
Python.
"""

from __future__ import annotations

import functools
import logging
import time

import numpy as np
import pymc as pm

from bayesq._compat import nutpie_program
from bayesq._compat.libmvec import libmvec
from bayesq.cache import programs_dir
from bayesq.joint_model import joint_data_model, joint_data_values
from bayesq.model import data_model, data_values
from bayesq.priors import Priors
from bayesq.samplers.options import installed

__all__ = [
    "NUMBA_DEFAULT",
    "STUCK_AFTER",
    "STUCK_STEP_RATIO",
    "StuckChain",
    "backend",
    "joint_program",
    "name_searches",
    "sample",
    "search_program",
    "seed_for",
    "stuck",
    "uses_program",
]

log = logging.getLogger("bayesq")

NUMBA_DEFAULT = {"backend": "numba", "gradient_backend": "pytensor"}  # the cached program's


def backend(kwargs, compiled=None) -> str:
    """The backend nutpie samples on: the cached Numba program, else the model compiled as ``kwargs`` say
    (JAX, when it is installed and they say nothing)."""
    if compiled is not None:
        return "numba"
    return kwargs.get("backend", "jax" if installed("jax") else "numba")


def uses_program(kwargs) -> bool:
    """Whether nutpie's keywords leave it the cached Numba program (the default), not a backend of its own."""
    return kwargs.get("backend", "numba") == "numba" and kwargs.get("gradient_backend", "pytensor") in (
        "pytensor",
        None,
    )


@functools.lru_cache(maxsize=8)
def _program(maximize: bool, n_hyperparameters, priors: Priors):
    """:func:`bayesq.model.data_model` compiled by nutpie's Numba backend, once per machine and setting."""
    model, shared = data_model(maximize, n_hyperparameters, priors)
    return _compiled(model, shared, (maximize, n_hyperparameters, priors))


@functools.lru_cache(maxsize=8)
def _joint_program(n_search: int, maximize: bool, pool: tuple, noise: bool, hyper, priors: Priors):
    """:func:`bayesq.joint_model.joint_data_model` compiled, once per machine and setting."""
    model, shared = joint_data_model(n_search, maximize, pool, noise, priors, hyper)
    return _compiled(model, shared, ("joint", n_search, maximize, pool, noise, hyper, priors))


def _compiled(model, shared, setting):
    """A data model compiled by nutpie's Numba backend, kept on disk under its ``setting``.

    Kept on disk (:mod:`bayesq._compat.nutpie_program`, in
    :func:`bayesq.cache.programs_dir`): a new process loads it instead of
    compiling. Where that cannot be (a nutpie it is not tested with, a
    cache folder that cannot be written), nutpie compiles it in the process.
    Compiled with glibc's SIMD ``exp``/``log`` where LLVM obeys
    (:func:`bayesq._compat.libmvec.libmvec`; nutpie compiles its C callback,
    and with it every Numba function of the program, before returning).
    """
    import nutpie

    with libmvec() as vectorized:
        if nutpie_program.supported():
            setting = (*setting, tuple(sorted(NUMBA_DEFAULT.items())))
            try:
                return nutpie_program.load_program(
                    model, shared, setting, NUMBA_DEFAULT, programs_dir(), vectorized
                )
            except OSError as err:
                log.warning("the compiled program cannot be kept in %s (%s)", programs_dir(), err)
        return nutpie.compile_pymc_model(model, **NUMBA_DEFAULT)


def search_program(prepared, n_hyperparameters, priors: Priors):
    """The model of one search compiled for nutpie: the cached program fed this search's data."""
    hyper = None if n_hyperparameters is None else float(n_hyperparameters)
    return _program(bool(prepared.maximize), hyper, priors).with_data(**data_values(prepared))


def joint_program(data, pool, noise: bool, n_hyperparameters, priors: Priors):
    """The joint model of ``{name: PreparedScores}`` compiled for nutpie: the cached program fed their data.

    Its ``search`` coordinate is ``0, 1, ...`` (:func:`bayesq.joint_model.joint_data_model`):
    :func:`name_searches` names the draws.
    """
    hyper = None if n_hyperparameters is None else float(n_hyperparameters)
    maximize = bool(next(iter(data.values())).maximize)
    program = _joint_program(len(data), maximize, tuple(pool), bool(noise), hyper, priors)
    return program.with_data(**joint_data_values(data))


def name_searches(idata, names):
    """``idata`` of a :func:`joint_program` with its ``search`` coordinate set to ``names``."""
    return idata.map_over_datasets(
        lambda ds: ds.assign_coords(search=list(names)) if "search" in ds.dims else ds
    )


def seed_for(random_seed) -> int:
    """The seed ``pm.sample(nuts_sampler="nutpie", random_seed=...)`` gives nutpie (PyMC >= 6).

    PyMC spawns one generator per chain from the seed and draws an integer
    below :math:`2^{30}` from each; nutpie gets the first chain's.
    """
    from pymc.util import get_random_generator

    return int(get_random_generator(random_seed).spawn(1)[0].integers(2**30))


BACKEND_KEYWORDS = ("backend", "gradient_backend")  # nutpie's keywords of the compilation, not the sampling


def compile_model(model, options):
    """``model`` compiled by nutpie as ``options.kwargs`` say (JAX when installed and they say nothing)."""
    import nutpie

    given = {k: options.kwargs[k] for k in BACKEND_KEYWORDS if k in options.kwargs}
    if backend(options.kwargs) == "jax":
        given = {"backend": "jax", "gradient_backend": "jax", **given}
    return nutpie.compile_pymc_model(model, **given)


def sample(model, options, compiled=None, marks=None, stop=None, watch: bool = False):
    """nutpie's NUTS on ``compiled`` if given, else on ``model`` compiled to JAX (if installed; else Numba).

    With ``marks`` (increasing draws per chain) and ``stop`` (a function of
    the draws so far): ``marks[-1]`` draws per chain are sampled in the
    background, all chains at once, and at each earlier mark that every
    chain has passed, ``stop`` is asked about the draws up to it; the first
    yes ends the sampling, and the draws up to that mark are kept. They are
    the draws a run of that many draws makes: nutpie's adaptation depends on
    the tuning steps alone, and each chain's random stream on the seed and
    the chain. The chains then run side by side (``cores=chains`` unless the
    keywords say otherwise: with fewer cores, the later chains start only
    when the first end, and reach no mark before).

    Ctrl-C cancels the sampler and raises: nutpie's blocking call would
    return the draws made so far. ``watch``: a chain that gets :func:`stuck`
    cancels the sampler and raises :class:`StuckChain`, while it runs or
    (should it end first) from the step sizes it kept.
    """
    import nutpie
    from pymc.backends.arviz import coords_and_dims_for_inferencedata, dict_to_dataset, find_observations

    # the tuning draws are not kept, as PyMC does not keep them (``discard_tuned_samples``)
    kwargs = {"adaptation": "low_rank", "save_warmup": False, **options.kwargs}
    for key in BACKEND_KEYWORDS:
        kwargs.pop(key, None)
    progress = _Progress(kwargs.pop("progress_callback", None))
    if marks is not None:
        kwargs.setdefault("cores", options.chains)  # every chain reaches each mark at about the same time
    if compiled is None:
        compiled = compile_model(model, options)
    marks = (options.draws,) if marks is None else tuple(marks)
    start = time.perf_counter()
    sampler = nutpie.sample(
        compiled,
        draws=marks[-1],
        tune=options.tune,
        chains=options.chains,
        target_accept=options.target_accept,
        seed=seed_for(options.random_seed),
        progress_bar=options.shows_progress,
        blocking=False,
        progress_callback=progress,
        **kwargs,
    )
    try:
        idata = _judged(sampler, progress, options.tune, marks, stop, watch)
    except BaseException:
        sampler.cancel()
        raise
    if watch and stuck(idata.sample_stats["step_size"].values[:, -1]):
        raise StuckChain("a chain's step size collapsed")
    # what pm.sample records with every posterior, whichever sampler drew it
    idata.posterior.attrs.update(sampling_time=time.perf_counter() - start, tuning_steps=options.tune)
    coords, dims = coords_and_dims_for_inferencedata(model)
    idata["observed_data"] = dict_to_dataset(
        find_observations(model), inference_library=pm, coords=coords, dims=dims, sample_dims=[]
    )
    return idata


POLL = 0.1  # seconds between two looks at the chains' progress while waiting for a mark
INSPECT_WAIT = 0.25  # seconds between two copies of a trace that lags the progress


STUCK_STEP_RATIO = 1e-6  # a chain whose step size falls below this share of another chain's is stuck
STUCK_AFTER = 50  # draws (tuning included) a chain makes before its step size is compared


class StuckChain(RuntimeError):
    """A chain whose step size collapsed: it no longer moves, and no number of draws will mix it."""


def stuck(step_sizes) -> bool:
    r"""Whether one chain's step size is below :data:`STUCK_STEP_RATIO` times another's.

    The step sizes of chains of one posterior, adapted to the same target
    acceptance in a space that the mass matrix has scaled, stay within a
    factor of a few of each other. A chain whose step size has collapsed
    (seen: :math:`3 \times 10^{-12}` beside 0.45, at a point where
    :math:`\beta` met the threshold and :math:`\gamma \approx 90`) makes
    trajectories of the maximum depth that go nowhere: it costs minutes and
    mixes never.

    Step sizes that are not finite and positive (a chain that has not
    started reports 0) are left out.

    >>> stuck([0.45, 3e-12, 0.44, 0.49]), stuck([0.45, 0.1, 0.44]), stuck([0.0, 0.45])
    (True, False, False)
    """
    s = np.asarray(list(step_sizes), dtype=float)
    s = s[np.isfinite(s) & (s > 0)]
    return bool(s.size > 1 and s.min() < STUCK_STEP_RATIO * s.max())


class _Progress:
    """The draws every chain has made, tuning included, from nutpie's progress callback (its own thread),
    and whether a chain is :func:`stuck`."""

    def __init__(self, then=None):
        self.draws = 0
        self.stuck = False
        self.then = then  # the user's own callback, still called

    def __call__(self, chains):
        self.draws = min((c.finished_draws for c in chains), default=0)
        self.stuck = stuck(c.step_size for c in chains if c.finished_draws >= STUCK_AFTER)
        if self.then is not None:
            self.then(chains)


def _judged(sampler, progress, tune, marks, stop, watch: bool = False):
    """The draws of a background sampler, up to the first of ``marks`` at which ``stop`` says so.

    Every mark is judged on the draws up to it, whether the sampler is still
    running then or has finished (a quick run can end between two looks),
    so the draws kept do not depend on timing.
    """
    whole = None
    for mark in marks[:-1]:
        trace = whole if whole is not None else _passed(sampler, progress, tune + mark, mark, watch)
        if trace is None:
            trace = whole = sampler.wait()
        first = _first_draws(trace, mark)
        if stop(first):
            if whole is None:
                sampler.cancel()
            return first
    return whole if whole is not None else sampler.wait()


def _passed(sampler, progress, steps: int, draws: int, watch: bool = False):
    """The trace once every chain has made ``draws`` draws after tuning (``steps`` in all); ``None`` if
    the sampler finished first. ``watch``: raise :class:`StuckChain` as soon as a chain is stuck.

    The progress callback counts the draws made; the stored trace, which
    :meth:`inspect` copies, lags it by a few dozen draws, and at first by
    more.
    """
    while True:
        while progress.draws < steps and not _finished(sampler):
            if watch and progress.stuck:
                raise StuckChain("a chain's step size collapsed")
            time.sleep(POLL)
        if _finished(sampler):
            return None
        trace = sampler.inspect()
        if _draws_per_chain(trace) >= draws:
            return trace
        time.sleep(INSPECT_WAIT)


def _draws_per_chain(trace) -> int:
    """The draws after tuning that every chain of ``trace`` holds (nutpie pads shorter chains with NaN)."""
    stats = trace.sample_stats
    if "step_size" not in stats or stats.sizes.get("draw", 0) == 0:
        return 0
    return int(np.isfinite(stats["step_size"].values).sum(axis=1).min())


def _finished(sampler) -> bool:
    """Whether a background sampler is done (nutpie 0.16 answers ``TimeoutError`` while it runs)."""
    try:
        return bool(sampler.is_finished)
    except TimeoutError:
        return False


def _first_draws(trace, n: int):
    """The trace cut to its first ``n`` draws in every group of draws after tuning."""
    out = trace.copy()
    for name, node in trace.children.items():
        if "draw" in node.dims and not name.startswith("warmup_"):
            out[name] = node.isel(draw=slice(0, n))
    return out
