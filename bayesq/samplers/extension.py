r"""Sampling until the convergence standard holds, or until a budget runs out.

A fit is held to a standard (:mod:`bayesq.diagnostics`: no divergences,
R-hat :math:`\le 1.01`, bulk and tail ESS :math:`\ge 400`). Where the
posterior is hard (a tail of a few dozen scores, seed noise a large share
of the range, many effective hyperparameters) the default draws fall short
of it, mostly because the chains pass slowly between the two explanations
of a tail that :mod:`bayesq.model` describes. :func:`sample_until` then
does what a careful user would do by hand:

1. **More draws where R-hat or ESS fall short.** The draws are judged at
   checkpoints, every half of the draws asked for (1,000, 1,500, 2,000,
   ... per chain by default), up to ``max_draws`` per chain or
   ``time_limit`` seconds, and the sampling stops at the first checkpoint
   that meets the standard. nutpie samples ``max_draws`` per chain in the
   background, and the draws up to a checkpoint are exactly those a fit
   asking for that many draws gets (its adaptation depends on the tuning
   steps alone), so a seeded fit gives the same draws every time. The
   other samplers cannot be extended in place: each extension is a new run
   of as many chains (tuned and compiled anew), seeded from the fit's seed,
   whose chains join the old ones, and the draws are judged after each run.
2. **A retune where draws diverge.** More draws do not cure divergences,
   which mean that the step size is too large for the posterior's
   curvature somewhere. A run that diverges is discarded and drawn again,
   tuning included, with the target acceptance raised to
   :data:`RETUNE_ACCEPT` (smaller steps), once, with the same budget (so a
   fit draws at most twice ``max_draws`` per chain in all). On the 9
   simulated searches of 48 runs of ``benchmarks/bench_convergence.py``
   whose default fits diverged 1-3 times in 4,000 draws, none diverged at
   0.99, for 1.5 times the time. A run that diverges after its retune (or
   whose target acceptance was at least 0.99 already) is extended as far
   as R-hat and ESS ask.

What remains short after the budget is reported by the fit's usual
warnings. The fit records what was asked and what was drawn
(:class:`bayesq.settings.SamplerSettings`), and its headline says so.

Stopping at the first checkpoint that passes is a data-dependent stopping
rule, and the diagnostics at the stopping point lean optimistic; the
checkpoints are therefore few (9 with the default draws and budget), and
the standard itself is strict. Whether the posterior stays calibrated under
the rule is measured by simulation-based calibration of default fits
(``benchmarks/bench_sbc.py --method separate --extend``; the validation
pages).

3. **A new seed where a chain gets stuck** (nutpie). A chain whose step size
   collapses (:func:`bayesq.samplers.nutpie.stuck`: below a millionth of
   another chain's) makes trajectories of the maximum depth that go
   nowhere: on one simulated search, a fit took 250 s instead of 4 and
   its R-hat was 1.53. The run is cancelled as soon as that is seen and
   drawn again with a seed derived from the fit's, at most
   :data:`STUCK_RESTARTS` times; the fit records the seed it used
   (``random_seed``) beside the one it was given (``asked_random_seed``).

4. **Nothing more for draws no weight will take.** A candidate of
   ``threshold="auto"`` whose tail the PIT rejects gets weight 0 whatever
   its draws (:mod:`bayesq.stacking`); its fit passes ``hopeless``, and
   draws that it finds hopeless are kept as they are, neither retuned nor
   extended (unless every candidate is rejected, they get no weight). A
   threshold reaching into diverged runs is such a candidate, and its
   draws diverge: on AlexNet its retune took most of the time of
   ``"auto"``.

A seeded fit keeps the same draws every time, unless ``time_limit`` cut it,
which depends on the machine.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from bayesq.diagnostics import diagnose
from bayesq.samplers.options import EXTEND_FACTOR

STUCK_RESTARTS = 2  # runs drawn again with a new seed after a chain got stuck (nutpie)

__all__ = [
    "EXTEND_FACTOR",
    "RETUNE_ACCEPT",
    "STUCK_RESTARTS",
    "Verdict",
    "checkpoints",
    "judge",
    "sample_until",
]

RETUNE_ACCEPT = 0.99  # the target acceptance of a run drawn again after divergences


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What the draws up to a checkpoint say: diverged, short of R-hat or ESS, or neither."""

    diverged: bool
    wants_draws: bool

    @property
    def stop(self) -> bool:
        """Whether more draws are pointless: the standard holds, or the draws diverged."""
        return self.diverged or not self.wants_draws


def judge(idata, options) -> Verdict:
    """The verdict on ``idata`` by the standard of :func:`bayesq.diagnostics.diagnose`."""
    d = diagnose(idata, depth_capped=options.max_tree_depth is not None)
    return Verdict(diverged=d.divergences > 0, wants_draws=d.wants_draws)


def checkpoints(draws: int, max_draws: int) -> tuple[int, ...]:
    """The draws per chain at which a fit is judged: ``draws``, then every half of it, up to ``max_draws``.

    Examples
    --------
    >>> from bayesq.samplers.extension import checkpoints
    >>> checkpoints(1000, 5000)
    (1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000)
    >>> checkpoints(1000, 1000)
    (1000,)
    >>> checkpoints(300, 1000)
    (300, 450, 600, 750, 900, 1000)
    """
    step = max(draws // 2, 1)
    out = list(range(draws, max_draws, step))
    return (*out, max_draws) if not out or out[-1] != max_draws else tuple(out)


def sample_until(model, options, compiled=None, hopeless=None):
    """The posterior of ``model`` drawn until the standard holds or the budget runs out (module docstring).

    Parameters
    ----------
    model : pymc.Model
    options : bayesq.samplers.SamplerOptions
        ``max_draws`` (``None``: no extension and no retune, one run as
        asked) and ``time_limit`` set the budget.
    compiled : optional
        nutpie's compiled program (:func:`bayesq.samplers.sample`).
    hopeless : callable, optional
        ``hopeless(idata)``: whether draws that want a retune or more draws
        are not worth them (item 4 of the module docstring).

    Returns
    -------
    idata : xarray.DataTree
    options : bayesq.samplers.SamplerOptions
        The options the kept draws were made with: ``draws`` and ``chains``
        as drawn, ``target_accept`` as raised.
    """
    from bayesq.samplers import sample

    if options.max_draws is None:
        return sample(model, options, compiled), options
    if options.sampler == "nutpie" and compiled is None:
        from bayesq.samplers.nutpie import compile_model

        compiled = compile_model(model, options)  # once, for a retune too
    deadline = None if options.time_limit is None else time.monotonic() + options.time_limit
    while True:
        retune = options.target_accept < RETUNE_ACCEPT
        idata, drawn, verdict = _extended(model, options, compiled, deadline, retune, hopeless)
        if not (verdict.diverged and retune) or (hopeless is not None and hopeless(idata)):
            return idata, drawn
        if deadline is not None and time.monotonic() >= deadline:
            return idata, drawn
        options = dataclasses.replace(options, target_accept=RETUNE_ACCEPT)


def _extended(model, options, compiled, deadline, retune: bool, hopeless=None):
    """One run judged at its checkpoints: the draws kept, the options they were drawn with, the verdict.

    With ``retune``, divergences end the run at once (it is to be drawn
    again); without, only R-hat and ESS decide, as more draws are all that
    is left to try; and draws that ``hopeless`` finds so end it too.
    """
    from bayesq.samplers import sample

    def enough(verdict, idata):
        done = verdict.stop if retune else not verdict.wants_draws
        return done or (hopeless is not None and hopeless(idata))

    if options.sampler == "nutpie":

        def stop(idata):
            return enough(judge(idata, options), idata) or (
                deadline is not None and time.monotonic() >= deadline
            )

        from bayesq.samplers.nutpie import StuckChain

        marks = checkpoints(options.draws, options.max_draws)
        for attempt in range(STUCK_RESTARTS + 1):
            try:
                watch = attempt < STUCK_RESTARTS
                idata = sample(model, options, compiled, marks=marks, stop=stop, watch=watch)
                break
            except StuckChain:
                seed = _another_seed(options.random_seed, attempt)
                options = dataclasses.replace(options, random_seed=seed)
        drawn = dataclasses.replace(options, draws=idata.posterior.sizes["draw"])
        return idata, drawn, judge(idata, options)
    # the others: runs of as many chains, seeded anew, joined along the chains
    idata = sample(model, options, compiled)
    runs = [idata]
    verdict = judge(idata, options)
    seeds = None if options.random_seed is None else np.random.SeedSequence(options.random_seed)
    while (
        not enough(verdict, idata)
        and options.draws * (len(runs) + 1) <= options.max_draws
        and (deadline is None or time.monotonic() < deadline)
    ):
        seed = None if seeds is None else int(seeds.spawn(1)[0].generate_state(1)[0])
        runs.append(sample(model, dataclasses.replace(options, random_seed=seed), compiled))
        idata = _join_chains(runs)
        verdict = judge(idata, options)
    return idata, dataclasses.replace(options, chains=options.chains * len(runs)), verdict


def _another_seed(seed, attempt: int):
    """The seed of a run drawn again after a chain got stuck, derived from the last run's (``None`` stays)."""
    if seed is None:
        return None
    return int(np.random.SeedSequence([int(seed), attempt + 1]).generate_state(1)[0] % 2**31)


def _join_chains(runs):
    """Runs of the same model as one posterior: their chains side by side, numbered 0, 1, ..."""
    import xarray as xr

    first = runs[0]
    out = first.copy()
    for name, node in first.children.items():
        if "chain" not in node.dims:
            continue
        parts = [run[name].to_dataset() for run in runs]
        joined = xr.concat(parts, dim="chain", combine_attrs="override")
        out[name] = xr.DataTree(joined.assign_coords(chain=range(joined.sizes["chain"])))
    return out
