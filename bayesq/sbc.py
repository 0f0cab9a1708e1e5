r"""Simulation-based calibration (SBC) of the censored-tail model.

Talts, Betancourt, Simpson, Vehtari & Gelman (2018), "Validating Bayesian
inference algorithms with simulation-based calibration", arXiv:1804.06788:
draw :math:`\tilde\theta \sim p(\theta)`, then data
:math:`\tilde y \sim p(y \mid \tilde\theta)`, then :math:`L` posterior draws
:math:`\theta_1, \dots, \theta_L` given :math:`\tilde y`. If the sampler
draws from the exact posterior, the rank
:math:`r = \#\{l : \theta_l < \tilde\theta\}` of every scalar parameter is
uniform on :math:`\{0, \dots, L\}`. Ranks bunched at the ends mean a
posterior too narrow, in the middle too wide, on one side biased.

What SBC checks here, and what it cannot
----------------------------------------
The priors of :func:`bayesq.fit` are set in units of the tail's spread
:math:`d`, computed from the data (:mod:`bayesq.model`), and the threshold
:math:`t` is the user's choice: neither is a generative prior. SBC draws
from the same priors with the unit and the threshold fixed in advance
(:func:`run_sbc` uses :math:`t = 0`, :math:`d = 1`; :func:`prior_datasets`
takes others: by the model's invariance to the score's units, any other
choice is the same study) and fits with that fixed
unit (:func:`bayesq.batch.fit_batch` or :func:`bayesq.fit` with ``spread``). It therefore checks
the likelihood (the censored term, the noisy quadratic's density), the
parametrization and the sampler -- everything but the data-dependent unit,
which :func:`bayesq.fit` adds on top.

Data sets with fewer than :data:`bayesq.model.MIN_TAIL` scores beyond the
threshold cannot be fitted and are drawn again; selecting on the data alone
leaves the ranks uniform (the posterior of each kept data set is unchanged).

Ranks are made continuous, :math:`u = (r + U)/(L + 1)` with
:math:`U \sim \mathcal U(0, 1)`, which is uniform on :math:`(0, 1)` exactly
when :math:`r` is uniform; the test is the ECDF of the :math:`u` inside its
simultaneous band (:func:`bayesq._compat.arviz_stats.ecdf_band`, by simulation: Säilynoja,
Bürkner & Vehtari 2022), with a chi-square test of the binned ranks beside it.
"""

from __future__ import annotations

import dataclasses
import time
import warnings

import numpy as np
import pandas as pd
import pymc as pm
import scipy.stats
import xarray as xr

from bayesq import validate
from bayesq.batch import BatchFit, fit_batch
from bayesq.distributions import NoisyQuadratic
from bayesq.model import MIN_TAIL, PARAMETERS, PreparedScores, prepare_scores, search_model
from bayesq.priors import check_priors
from bayesq.samplers import TARGET_ACCEPT, available_samplers
from bayesq.single import fit

__all__ = ["SBCResult", "prior_datasets", "rank_uniformity", "run_sbc"]


def prior_datasets(
    n_datasets: int,
    n_scores: int,
    maximize: bool = True,
    priors=None,
    *,
    threshold: float = 0.0,
    spread: float = 1.0,
    random_seed=None,
):
    r"""Draw parameters from the prior and a random search's scores from each.

    The prior is the model's own (:func:`bayesq.model.search_model` with the
    unit ``spread`` and the ``threshold`` fixed); the scores are draws of
    :class:`bayesq.NoisyQuadratic`. A draw whose data have fewer than
    :data:`~bayesq.model.MIN_TAIL` scores beyond the threshold is replaced.

    Returns
    -------
    truth : pandas.DataFrame
        One row per data set: the model's variables (alpha, beta, gamma,
        sigma, tail_mass, ...).
    scores : ndarray, shape (n_datasets, n_scores)
    redrawn : int
        How many draws were replaced.
    """
    if int(n_datasets) != n_datasets or n_datasets < 1:
        raise ValueError(f"n_datasets must be a positive integer, got {n_datasets}")
    if int(n_scores) != n_scores or n_scores < MIN_TAIL:
        raise ValueError(f"n_scores must be an integer >= {MIN_TAIL}, got {n_scores}")
    if not (np.isfinite(spread) and spread > 0):
        raise ValueError(f"spread must be finite and positive, got {spread}")
    sign = 1.0 if maximize else -1.0
    template = PreparedScores(
        scores=None,
        threshold=float(threshold),
        maximize=maximize,
        tail=threshold + sign * spread * np.arange(1.0, MIN_TAIL + 1),  # not used by the prior
        censored=np.zeros(0),
        spread=float(spread),
    )
    model = search_model(template, None, check_priors(priors))
    names = ["alpha", "beta", "gamma", "sigma", "tail_mass", "log_beta_gap", "log_sigma"]
    rng = np.random.default_rng(random_seed)
    truth, scores, redrawn = [], [], 0
    while len(scores) < n_datasets:
        want = n_datasets - len(scores)
        draws = pm.draw([model[v] for v in names], draws=want, random_seed=rng)
        draws = dict(zip(names, (np.atleast_1d(d) for d in draws), strict=True))
        column = {k: draws[k][:, None] for k in PARAMETERS}
        y = pm.draw(
            NoisyQuadratic.dist(**column, maximize=maximize, size=(want, int(n_scores))), random_seed=rng
        )
        beyond = (sign * (y - threshold) > 0).sum(axis=1)
        keep = beyond >= MIN_TAIL
        redrawn += int((~keep).sum())
        truth.extend({k: float(v[i]) for k, v in draws.items()} for i in np.flatnonzero(keep))
        scores.extend(y[keep])
    return pd.DataFrame(truth).rename_axis("dataset"), np.array(scores), redrawn


@dataclasses.dataclass
class SBCResult:
    """Ranks of the true parameters among the posterior draws, one row per data set.

    Attributes
    ----------
    truth : pandas.DataFrame
        The parameters that made each data set.
    ranks : pandas.DataFrame
        :math:`r \\in \\{0, \\dots, L\\}` per data set and parameter.
    n_draws : int
        :math:`L`, the thinned posterior draws each rank is counted among.
    u : pandas.DataFrame
        Continuous ranks :math:`(r + U)/(L + 1)`, uniform under calibration.
    fits : BatchFit
        The posteriors.
    redrawn : int
        Prior draws replaced for having too few tail scores.
    """

    truth: pd.DataFrame
    ranks: pd.DataFrame
    n_draws: int
    u: pd.DataFrame
    fits: BatchFit
    redrawn: int

    def test(self, prob: float = 0.99, n_points: int = 100) -> pd.DataFrame:
        r"""Uniformity of the ranks, per parameter.

        ``inside`` is whether the ECDF of ``u`` stays inside its ``prob``
        simultaneous band at ``n_points`` evenly spaced points;
        ``max_ecdf_diff`` the largest :math:`|\hat F(u) - u|` there;
        ``band_half_width`` the band's largest half width;
        ``chi2_p`` the p-value of a chi-square test of the ranks in
        :math:`\min(20, \lfloor n/5 \rfloor)` equal bins (at least 2), so
        that each bin expects 5 or more of the :math:`n` data sets, the
        usual condition for the test's chi-square approximation;
        ``mean_u`` the mean continuous rank (1/2 when unbiased).

        Parameters
        ----------
        prob : float
            Mass of the simultaneous band, in (0, 1).
        n_points : int
            Points at which the ECDF is checked against the band.

        Returns
        -------
        pandas.DataFrame
            One row per parameter; columns ``inside``, ``max_ecdf_diff``,
            ``band_half_width``, ``chi2_p``, ``mean_u``.
        """
        return rank_uniformity(self.u, prob, n_points)

    def passed(self, prob: float = 0.99) -> bool:
        """Whether every parameter's ranks stay inside the ``prob`` band.

        Parameters
        ----------
        prob : float
            Mass of the simultaneous band (:meth:`test`).

        Returns
        -------
        bool
        """
        return bool(self.test(prob)["inside"].all())


def rank_uniformity(u: pd.DataFrame, prob: float = 0.99, n_points: int = 100) -> pd.DataFrame:
    r"""Uniformity of continuous ranks ``u`` (one column per parameter): :meth:`SBCResult.test`.

    Parameters
    ----------
    u : pandas.DataFrame
        Continuous ranks in (0, 1), one row per data set and one column per parameter.
    prob : float
        Mass of the simultaneous band, in (0, 1).
    n_points : int
        Points at which the ECDF is checked against the band.

    Returns
    -------
    pandas.DataFrame
        One row per parameter; columns ``inside``, ``max_ecdf_diff``, ``band_half_width``,
        ``chi2_p``, ``mean_u`` (see :meth:`SBCResult.test`).
    """
    from bayesq._compat.arviz_stats import ecdf_band

    prob = validate.probability(prob, "prob")
    grid = np.arange(1, n_points + 1) / (n_points + 1)
    n = len(u)
    lower, upper = ecdf_band(n, grid, prob)
    bins = int(np.clip(n // 5, 2, 20))
    rows = {}
    for name in u.columns:
        ecdf = np.searchsorted(np.sort(u[name].values), grid, side="right") / n
        counts = np.histogram(u[name].values, bins=bins, range=(0, 1))[0]
        rows[name] = {
            "inside": bool(np.all((ecdf >= lower) & (ecdf <= upper))),
            "max_ecdf_diff": float(np.max(np.abs(ecdf - grid))),
            "band_half_width": float(np.max(upper - grid)),
            "chi2_p": float(scipy.stats.chisquare(counts).pvalue),
            "mean_u": float(u[name].mean()),
        }
    return pd.DataFrame(rows).T.rename_axis("parameter")


def ranks(fits: BatchFit, truth: pd.DataFrame, n_draws: int = 100, random_seed=None):
    """Ranks of ``truth`` among ``n_draws`` evenly thinned posterior draws of each fit."""
    rng = np.random.default_rng(random_seed)
    total = fits.idata.posterior.sizes["chain"] * fits.idata.posterior.sizes["draw"]
    if not 1 <= n_draws <= total:
        raise ValueError(f"n_draws must lie in [1, {total}] (the draws of a fit), got {n_draws}")
    keep = np.linspace(0, total - 1, n_draws).round().astype(int)
    r, u = {}, {}
    for name in PARAMETERS:
        draws = fits.draws(name).reshape(len(fits), total)[:, keep]
        r[name] = (draws < truth[name].values[:, None]).sum(axis=1)
        u[name] = (r[name] + rng.uniform(size=r[name].size)) / (n_draws + 1)
    return pd.DataFrame(r).rename_axis("dataset"), pd.DataFrame(u).rename_axis("dataset")


def run_sbc(
    n_datasets: int = 500,
    n_scores: int = 256,
    maximize: bool = True,
    priors=None,
    *,
    n_draws: int = 100,
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    target_accept: float = TARGET_ACCEPT,
    extend: bool = False,
    method: str = "batch",
    batch_size: int | None = None,
    random_seed=None,
    quiet: bool = False,
) -> SBCResult:
    """Simulation-based calibration: prior draws, fits, ranks.

    Draws ``n_datasets`` parameter sets from the priors (unit 1, threshold
    0, fixed in advance), a search of ``n_scores`` runs from each, fits each
    with that fixed unit, and ranks every true parameter among its
    posterior's draws. :meth:`SBCResult.test` and :meth:`SBCResult.passed`
    say whether the ranks are uniform, as they are when the sampler draws
    from the exact posterior.

    Parameters
    ----------
    n_datasets, n_scores : int
        Data sets drawn from the prior predictive, scores in each.
    maximize : bool
        Direction of the model.
    priors : bayesq.Priors, optional
        Prior settings of the model.
    n_draws : int
        Posterior draws each rank is counted among (thinned evenly from
        ``chains * draws``, which should exceed it several times so that the
        kept draws are nearly independent).
    draws, tune, chains : int
        Draws kept per chain, tuning steps per chain, number of chains.
    target_accept : float
        NUTS target acceptance rate, in (0, 1).
    extend : bool
        ``"separate"`` only: fit as :func:`bayesq.fit` does by default,
        sampling on until the convergence standard holds (up to 5 times
        ``draws``) and drawing again after divergences
        (:mod:`bayesq.samplers.extension`); each fit's chains are then
        thinned evenly to ``draws`` draws, so that the fits stack. This is
        the check that the data-dependent stopping leaves the posterior
        calibrated.
    method : {"batch", "separate"}
        ``"batch"``: all data sets in one compiled JAX program
        (:func:`bayesq.batch.fit_batch`, blackjax; the path for a GPU).
        ``"separate"``: one :func:`bayesq.fit` per data set, its default
        sampler (nutpie's program, compiled once per process): the faster
        path on a CPU. Either way ``fits`` is a :class:`~bayesq.batch.BatchFit`.
    batch_size : int, optional
        Data sets per compiled call (``"batch"`` only).
    random_seed : int, optional
        Seeds the prior draws, the data, the sampler and the rank jitter.
    quiet : bool
        No progress lines (``"separate"``: one per fit).

    Returns
    -------
    SBCResult
        The truth, the ranks and the fits.

    Raises
    ------
    ValueError
        An unknown ``method``, or ``n_draws`` beyond the draws of a fit.
    """
    if method not in ("batch", "separate"):
        raise ValueError(f"method must be 'batch' or 'separate', got {method!r}")
    if extend and (method != "separate" or available_samplers()[0] != "nutpie"):
        raise ValueError(
            "extend=True needs method='separate' and nutpie (the batched fitter draws once, as asked, "
            "and the other samplers extend by adding chains, which do not stack)"
        )
    rng = np.random.default_rng(random_seed)
    truth, scores, redrawn = prior_datasets(n_datasets, n_scores, maximize, priors, random_seed=rng)
    settings = dict(draws=draws, tune=tune, chains=chains, target_accept=target_accept)
    seed = int(rng.integers(2**31))
    if method == "batch":
        fits = fit_batch(
            list(scores),
            0.0,
            maximize,
            priors=priors,
            spread=1.0,
            batch_size=batch_size,
            random_seed=seed,
            quiet=quiet,
            **settings,
        )
    else:
        fits = _fit_separately(scores, maximize, priors, {**settings, "extend": extend}, seed, quiet)
    r, u = ranks(fits, truth, n_draws, random_seed=rng)
    return SBCResult(truth, r, n_draws, u, fits, redrawn)


def _thinned(result, draws: int):
    """``result`` with each chain thinned evenly to ``draws`` draws (unchanged if it has no more)."""
    total = result.idata.posterior.sizes["draw"]
    if total <= draws:
        return result
    keep = np.linspace(0, total - 1, draws).round().astype(int)
    idata = result.idata.copy()
    for name, node in result.idata.children.items():
        if "draw" in node.dims and not name.startswith("warmup_"):
            idata[name] = xr.DataTree(node.to_dataset().isel(draw=keep).assign_coords(draw=np.arange(draws)))
    sampler = dataclasses.replace(result.settings.sampler, draws=draws, asked_draws=None)
    idata.posterior.attrs.update(result.settings.replace(sampler=sampler).to_attrs())
    return type(result)(idata, result.model)


def _fit_separately(scores, maximize, priors, settings, seed, quiet) -> BatchFit:
    """One :func:`bayesq.fit` per data set (threshold 0, unit 1), stacked as a :class:`BatchFit`.

    Convergence warnings are not raised per fit: the diagnostics of every
    fit are in the result's ``table()``. Fits that sampled on
    (``settings["extend"]``) are thinned evenly to the draws asked for.
    """
    started = time.perf_counter()
    results = []
    for i, y in enumerate(scores):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = fit(
                y, 0.0, maximize, priors=priors, spread=1.0, random_seed=seed + i, quiet=True, **settings
            )
        results.append(_thinned(result, settings["draws"]))
        if not quiet:
            print(
                f"bayesq.sbc: {i + 1}/{len(scores)} fits, {time.perf_counter() - started:.1f} s", flush=True
            )
    prepared = [prepare_scores(y, 0.0, maximize, 1.0) for y in scores]
    return BatchFit.stack(results, prepared, seconds=time.perf_counter() - started)
