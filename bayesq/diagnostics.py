r"""Convergence of a fit: the standard it is held to, the numbers, the advice, and prior sensitivity.

The standard (what :func:`bayesq.fit` checks and warns about): no
divergences, R-hat at most :data:`MAX_RHAT` and bulk and tail ESS at least
:data:`MIN_ESS` for every parameter and sampled coordinate
(:data:`CHECKED`), no trajectory cut at the maximum tree depth (unless the
user lowered it) and E-BFMI at least 0.3. :func:`diagnose` computes the
numbers (:class:`Diagnostics`), whose :meth:`Diagnostics.problems` words
each shortfall with advice. :func:`prior_sensitivity` says how much of a
posterior the priors decide.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from bayesq.model import COORDINATES, GAMMA_LOGIT, PARAMETERS, POOLING

__all__ = [
    "CHECKED",
    "MAX_RHAT",
    "MIN_ESS",
    "SENSITIVITY",
    "Diagnostics",
    "diagnose",
    "noise_share",
    "prior_sensitivity",
    "warn_problems",
]

# the convergence standard
MAX_RHAT = 1.01
MIN_ESS = 400
NOISE_SHARE_NAMED = 0.01  # a noise share from this to 1 minus it is named in R-hat and ESS advice
# power-scaling sensitivity from which a parameter is flagged (Kallioinen et al.'s rule of thumb)
SENSITIVITY = 0.05
PSENSE_DELTA = 0.01  # the power-scaling step: powers 1/(1 + delta) and 1 + delta
# the variables whose convergence counts: reported and sampled ones (single and joint models)
CHECKED = (*PARAMETERS, *COORDINATES, GAMMA_LOGIT, *POOLING)
# the sample stat that flags a trajectory cut at the maximum tree depth: PyMC's (and fit_batch's), nutpie's
MAX_DEPTH_STATS = ("reached_max_treedepth", "maxdepth_reached")


@dataclasses.dataclass(frozen=True)
class Diagnostics:
    """Convergence of a fit: the numbers :func:`bayesq.fit` checks.

    What :meth:`bayesq.FitResult.diagnostics` returns. The standard: no
    divergences, R-hat at most :data:`MAX_RHAT` (1.01), bulk and tail ESS at
    least :data:`MIN_ESS` (400) for every parameter and sampled coordinate,
    no trajectory cut at the maximum tree depth (unless the user lowered
    it), E-BFMI at least 0.3. :meth:`problems` words each shortfall with
    advice; ``str`` gives the numbers on one line.

    Attributes
    ----------
    divergences : int
        Divergent transitions after tuning, all chains.
    draws : int
        Draws after tuning, all chains.
    max_rhat : float
        The largest rank-normalized split R-hat.
    min_ess_bulk, min_ess_tail : float
        The smallest bulk and tail effective sample sizes.
    max_tree_depth_hits : int
        Draws whose trajectory stopped at the maximum tree depth.
    min_bfmi : float
        The smallest E-BFMI of a chain (NaN without energy statistics).
    depth_capped : bool
        Whether the user lowered the maximum tree depth (its hits are then
        not a problem: R-hat and ESS measure what they cost).
    noise_share : float
        Share of draws in which the seed noise exceeds the best score's
        lead over the threshold (:func:`noise_share`).

    Examples
    --------
    >>> from bayesq.diagnostics import Diagnostics
    >>> fine = Diagnostics(
    ...     divergences=0, draws=4000, max_rhat=1.002, min_ess_bulk=1850.0,
    ...     min_ess_tail=1620.0, max_tree_depth_hits=0, min_bfmi=0.95,
    ... )
    >>> fine.problems()
    []
    >>> print(fine)
    divergences 0/4000, max R-hat 1.0020, min ESS bulk 1850, tail 1620, E-BFMI >= 0.95
    >>> short = Diagnostics(
    ...     divergences=0, draws=4000, max_rhat=1.002, min_ess_bulk=350.0,
    ...     min_ess_tail=1620.0, max_tree_depth_hits=0, min_bfmi=0.95, max_draws=5000,
    ... )
    >>> print(short.problems()[0])  # doctest: +NORMALIZE_WHITESPACE
    effective sample size down to 350 (bulk 350, tail 1620; want >= 400): the fit sampled on
    to its budget: raise max_draws (5000 here) or time_limit, or add chains
    """

    divergences: int
    draws: int
    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    max_tree_depth_hits: int
    min_bfmi: float
    depth_capped: bool = False  # the user lowered the maximum tree depth
    noise_share: float = float("nan")  # share of draws with sigma > |best - t| (:func:`noise_share`)
    max_draws: int | None = None  # the budget of a fit that sampled on; None: drawn once as asked

    def _more(self, also: str) -> str:
        """Advice for more draws: a larger budget if the fit sampled on, else more draws or sampling on."""
        if self.max_draws is None:
            return (
                f"draw more (draws) or {also}, or let the fit sample on until the standard holds "
                "(extend=True)"
            )
        return (
            f"the fit sampled on to its budget: raise max_draws ({self.max_draws} here) or "
            f"time_limit, or {also}"
        )

    def problems(self) -> list[str]:
        """What falls short of the standard (0 divergences, R-hat <= 1.01, ESS >= 400), with advice.

        Returns
        -------
        list of str
            One sentence per shortfall (divergences, R-hat, ESS, tree depth,
            E-BFMI), empty when the fit meets the standard.
        """
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
                f"R-hat up to {self.max_rhat:.4f} (> {MAX_RHAT}): the chains disagree; "
                + self._more("tune longer")
                + "; or inspect the trace (arviz.plot_trace(result.idata))"
                + why
            )
            why = ""
        if not min(self.min_ess_bulk, self.min_ess_tail) >= MIN_ESS:
            # rounded down, so that an ESS of 399.7 does not read as the 400 wanted
            bulk, tail = math.floor(self.min_ess_bulk), math.floor(self.min_ess_tail)
            out.append(
                f"effective sample size down to {min(bulk, tail)} "
                f"(bulk {bulk}, tail {tail}; want >= {MIN_ESS}): "
                + self._more("add chains")
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
    def wants_draws(self) -> bool:
        """Whether R-hat or an ESS falls short of the standard: what more draws can cure."""
        return not (self.max_rhat <= MAX_RHAT and min(self.min_ess_bulk, self.min_ess_tail) >= MIN_ESS)

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
            "reaching past the threshold, and NUTS passes between the two slowly; more draws (e.g. "
            f"{'extend=True with ' if self.max_draws is None else ''}max_draws="
            f"{max(10000, 2 * (self.max_draws or 0))}) let the chains cross more often (docs: validation, "
            "convergence), and "
            "result.prior_sensitivity() shows how much of this posterior the priors decide"
        )

    def __str__(self) -> str:
        return (
            f"divergences {self.divergences}/{self.draws}, max R-hat {self.max_rhat:.4f}, "
            f"min ESS bulk {self.min_ess_bulk:.0f}, tail {self.min_ess_tail:.0f}, "
            f"E-BFMI >= {self.min_bfmi:.2f}"
            + (f", noise share {self.noise_share:.0%}" if self.splits_draws else "")
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

    Parameters
    ----------
    posterior : xarray.Dataset or xarray.DataTree
        A fit's posterior, with ``log_sigma`` and ``log_beta_gap``.

    Returns
    -------
    float
    """
    if "log_sigma" not in posterior or "log_beta_gap" not in posterior:
        return float("nan")
    noisy = (posterior["log_sigma"] > posterior["log_beta_gap"]).mean(("chain", "draw")).values
    shares = np.atleast_1d(noisy).ravel()
    return float(shares[np.argmax(np.minimum(shares, 1 - shares))])


def diagnose(idata: xr.DataTree, by: str | None = None, depth_capped: bool = False, max_draws=None):
    """Divergences, R-hat, ESS and E-BFMI of a fit's posterior (constant variables left out).

    With ``by`` (a dimension of the posterior, e.g. ``"fit"`` of
    :func:`bayesq.batch.fit_batch`), one :class:`Diagnostics` per coordinate
    along it, from one vectorized ArviZ call per statistic.

    Parameters
    ----------
    idata : xarray.DataTree
        A fit's posterior and sample stats.
    by : str, optional
        A dimension of the posterior to diagnose along.
    depth_capped : bool
        Whether the user lowered the maximum tree depth (trajectories cut
        there are then not a problem: R-hat and ESS measure what they cost).
    max_draws : int, optional
        The budget of a fit that sampled on until the standard held
        (:mod:`bayesq.samplers.extension`), which the advice names;
        ``None``: the fit drew once as asked.

    Returns
    -------
    Diagnostics or list of Diagnostics
        One, or one per coordinate of ``by``.
    """
    post = idata.posterior.to_dataset()
    # constant variables have no R-hat (the noiseless model's sigma); a NaN or inf draw keeps one checked
    names = [v for v in CHECKED if v in post and not np.all(post[v].values == post[v].values.flat[0])]
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
                depth_capped=depth_capped,
                max_draws=max_draws,
                noise_share=noise_share(post if g is None else post.isel({by: g})),
            )
        )
    return out[0] if by is None else out


def warn_problems(diagnostics: Diagnostics, who: str = "bayesq.fit") -> list[str]:
    """Warn (``RuntimeWarning``) about every convergence problem; return them.

    Parameters
    ----------
    diagnostics : Diagnostics
        The numbers.
    who : str
        The name each warning starts with.

    Returns
    -------
    list of str
        :meth:`Diagnostics.problems`.
    """
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
