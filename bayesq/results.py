r"""The results of bayesq's fits: one base (:class:`Result`), and :class:`FitResult` for one search.

Every result holds the posterior as an :class:`xarray.DataTree` (``idata``),
its :class:`bayesq.settings.Settings` (``settings``, written in the
posterior's attributes) and, where it was built in this process, the PyMC
model. The base gives each kind the same summary, diagnostics, check, save
and printing; ``repr`` computes nothing (one line from the settings),
``print`` the whole report. :func:`bayesq.load` (:mod:`bayesq.persistence`)
reads any kind back.

The groups of a single fit's ``idata``: ``posterior`` (``alpha``, ``beta``,
``gamma``, ``sigma``, the model's coordinates ``tail_mass``,
``log_beta_gap`` and ``log_sigma``, the last two also as the vector
``log_scales`` that NUTS samples in polar coordinates, and ``gamma_logit``
when ``n_hyperparameters`` bounds gamma), ``sample_stats``,
``log_likelihood`` (a point per run, :mod:`bayesq.loglik`),
``observed_data`` (every score, split at the threshold);
:meth:`FitResult.prior_sensitivity` adds ``log_prior`` and
:meth:`FitResult.sample_prior` adds ``prior``.
"""

from __future__ import annotations

import math
import pathlib
from typing import ClassVar

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import xarray as xr

from bayesq import curves
from bayesq.diagnostics import SENSITIVITY, Diagnostics, diagnose, prior_sensitivity, warn_problems
from bayesq.files import save_netcdf
from bayesq.model import PARAMETERS, build_model
from bayesq.priors import Priors
from bayesq.settings import Settings

__all__ = ["FitResult", "Result", "format_summary", "summary_table"]


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


class Result:
    """What every fit returns: the posterior, its settings, and the reports on them.

    The base of :class:`FitResult` (one search, :func:`bayesq.fit`),
    :class:`bayesq.JointFit` (:func:`bayesq.fit_joint`) and
    :class:`bayesq.BatchFit` (:func:`bayesq.fit_batch`). A result is made by
    the fit, or read back from a file by :func:`bayesq.load`; ``repr``
    computes nothing (one line from the settings), ``print`` shows the
    summary table and the convergence diagnostics.

    Parameters
    ----------
    idata : xarray.DataTree
        The posterior, with the settings in the attributes of its
        ``posterior`` group.
    model : pymc.Model, optional
        The PyMC model that drew it, where it was built in this process.

    Attributes
    ----------
    idata : xarray.DataTree
        The posterior and its companions (:class:`FitResult` lists a single fit's groups).
    settings : bayesq.settings.Settings
        The model, sampler and data settings the fit ran with.

    See Also
    --------
    bayesq.load : Reads a saved result back.
    """

    kind: ClassVar[str] = ""  # the settings' kind this class reads (bayesq.persistence.load)
    _who: ClassVar[str] = "bayesq.fit"  # who warns

    def __init_subclass__(cls, kind: str = "", **kwargs):
        super().__init_subclass__(**kwargs)
        cls.kind = kind or cls.kind

    def __init__(self, idata: xr.DataTree, model: pm.Model | None = None):
        self.idata = idata
        self.settings = Settings.from_attrs(idata.posterior.attrs)
        self._model = model

    def __getstate__(self) -> dict:
        """What a pickle holds (an executor's worker sends results back so): all but the model,
        which is rebuilt from the data and settings when asked for."""
        return {**self.__dict__, "_model": None}

    def draws(self, name: str) -> np.ndarray:
        """Posterior draws of a variable.

        Parameters
        ----------
        name : str
            A variable of the posterior: ``"alpha"``, ``"beta"``,
            ``"gamma"``, ``"sigma"``, or one of the sampled coordinates
            (``"tail_mass"``, ``"log_beta_gap"``, ``"log_sigma"``).

        Returns
        -------
        numpy.ndarray
            Shape ``(chains, draws)``, and the variable's own dimensions after
            those (``search`` in a joint fit).
        """
        return self.idata.posterior[name].values

    def reported(self) -> list[str]:
        """The variables the summary shows by default.

        Returns
        -------
        list of str
            ``alpha``, ``beta``, ``gamma``, ``sigma``, those in the posterior.
        """
        return [v for v in PARAMETERS if v in self.idata.posterior]

    def summary(self, var_names=None, hdi_prob: float = 0.9, **kwargs) -> pd.DataFrame:
        """Posterior summary table (:func:`arviz.summary`): mean, sd, HDI, MCSE, ESS, R-hat.

        Unrounded; ``print(result)`` shows it at the digits each row needs
        (:func:`format_summary`).

        Parameters
        ----------
        var_names : list of str, optional
            The variables to summarize; by default :meth:`reported`.
        hdi_prob : float
            Mass of the highest-density interval, in (0, 1).
        **kwargs
            Passed to :func:`arviz.summary`.

        Returns
        -------
        pandas.DataFrame
            One row per variable; columns ``mean``, ``sd``, the interval's
            ends (``hdi90_lb``, ``hdi90_ub`` for ``hdi_prob=0.9``),
            ``ess_bulk``, ``ess_tail``, ``r_hat``, ``mcse_mean``, ``mcse_sd``.
        """
        return summary_table(self.idata, var_names or self.reported(), hdi_prob, **kwargs)

    def diagnostics(self) -> Diagnostics:
        """Divergences, R-hat, ESS and E-BFMI of the sampled and reported variables.

        Returns
        -------
        bayesq.diagnostics.Diagnostics
            The numbers; :meth:`~bayesq.diagnostics.Diagnostics.problems`
            words each shortfall of the convergence standard with advice.
        """
        return diagnose(
            self.idata,
            depth_capped=self.settings.sampler.max_tree_depth is not None,
            max_draws=self.settings.sampler.max_draws,
        )

    def check(self) -> list[str]:
        """Warn (``RuntimeWarning``) about every convergence problem; return them.

        The fits call it once; :func:`bayesq.load` does not.

        Returns
        -------
        list of str
            The problems (:meth:`bayesq.diagnostics.Diagnostics.problems`),
            empty when the fit meets the standard.
        """
        return warn_problems(self.diagnostics(), self._who)

    def save(self, path, overwrite: bool = False) -> pathlib.Path:
        """Write the fit to netCDF atomically, with a checksum (:func:`~bayesq.files.save_netcdf`).

        Refuses to replace an existing file unless ``overwrite``; :func:`bayesq.load` reads it back.

        Parameters
        ----------
        path : str or path
            The file to write (conventionally ``.nc``).
        overwrite : bool
            Replace an existing file.

        Returns
        -------
        pathlib.Path
            The file written.

        Raises
        ------
        FileExistsError
            ``path`` exists (or appears while the file is written) and
            ``overwrite`` is false.

        See Also
        --------
        bayesq.load : Its example saves a fit and reads it back.
        """
        return save_netcdf(self.idata, path, overwrite)

    def headline(self) -> str:
        """One line about the fit, from its settings alone (what ``repr`` shows)."""
        s = self.settings.sampler
        extension = s.extension()
        return f"{s.sampler}, {s.chains} chains x {s.draws} draws (tune {s.tune}" + (
            f"; {extension})" if extension else ")"
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.headline()}>"

    def __str__(self) -> str:
        return f"{self.headline()}\n{format_summary(self.summary())}\n{self.diagnostics()}"


class FitResult(Result, kind="single"):
    r"""A fitted random search (:func:`bayesq.fit`): posterior draws, data and settings.

    Made by :func:`bayesq.fit`, read back by :func:`bayesq.load`, and taken
    apart from a joint or batched fit by :meth:`bayesq.JointFit.result` and
    :meth:`bayesq.BatchFit.result`. Besides the reports every result has
    (:meth:`~Result.summary`, :meth:`~Result.diagnostics`,
    :meth:`~Result.save`), it answers the questions of a random search from
    the posterior of :math:`(\alpha, \beta, \gamma, \sigma)`: the best
    achievable score (:meth:`best_score`), the tuning curve after any number
    of runs (:meth:`tuning_curve`), the best score a search of ``k`` runs
    will observe (:meth:`best_after`), and how much of the posterior the
    priors decide (:meth:`prior_sensitivity`).

    Parameters
    ----------
    idata : xarray.DataTree
        The posterior of a single search, with its settings in the attributes
        of its ``posterior`` group.
    model : pymc.Model, optional
        The PyMC model that drew it; rebuilt on demand otherwise
        (:attr:`model`).

    Attributes
    ----------
    idata : xarray.DataTree
        The posterior and its companions, in the groups ``posterior``
        (``alpha``, ``beta``, ``gamma``, ``sigma``, the sampled coordinates
        ``tail_mass``, ``log_beta_gap``, ``log_sigma`` and ``log_scales``,
        and ``gamma_logit`` when ``n_hyperparameters`` bounds gamma),
        ``sample_stats``, ``log_likelihood`` (a point per run),
        ``observed_data`` (every score, split at the threshold into
        ``tail`` and ``censored``); :meth:`prior_sensitivity` adds
        ``log_prior`` and :meth:`sample_prior` adds ``prior``.
    settings : bayesq.settings.Settings
        The model, sampler and data settings the fit ran with.

    See Also
    --------
    bayesq.fit : Makes one.
    bayesq.compare : Compares the results of several searches.

    Examples
    --------
    >>> import bayesq
    >>> from bayesq.simulate import simulate_random_search
    >>> search = simulate_random_search(n=200, random_seed=0)
    >>> result = bayesq.fit(
    ...     search.scores, 0.85, draws=200, tune=200, chains=2, extend=False, random_seed=1, quiet=True
    ... )
    >>> result.threshold, result.maximize, result.scores.size
    (0.85, True, 200)
    >>> table = result.summary()
    >>> list(table.index), list(table.columns[:4])
    (['alpha', 'beta', 'gamma', 'sigma'], ['mean', 'sd', 'hdi90_lb', 'hdi90_ub'])
    >>> result.diagnostics().draws  # 2 chains x 200 draws
    400
    >>> after = result.best_after([10, 100])  # the best score 10 and 100 runs observe
    >>> bool(after.estimate[0] < after.estimate[1])
    True
    >>> list(result.prior_sensitivity().columns)
    ['prior', 'likelihood', 'diagnosis']
    """

    # -- data and model -------------------------------------------------
    @property
    def scores(self) -> np.ndarray:
        """Every score of the search (tail first, then the censored runs), a 1-D array."""
        obs = self.idata.observed_data
        parts = [obs["tail"].values]
        if "censored" in obs:
            parts.append(obs["censored"].values)
        return np.concatenate(parts)

    @property
    def threshold(self) -> float:
        """The threshold the scores were split at (start of the asymptotic regime)."""
        return self.settings.data.threshold

    @property
    def maximize(self) -> bool:
        """Whether higher scores are better (the best achievable score is ``beta``, else ``alpha``)."""
        return self.settings.model.maximize

    @property
    def priors(self) -> Priors:
        """The prior settings of the fit (:class:`bayesq.Priors`)."""
        return self.settings.model.priors

    @property
    def model(self) -> pm.Model:
        """The PyMC model (rebuilt from the data and settings after :func:`bayesq.load`).

        Raises
        ------
        ValueError
            The result is one search of a joint fit
            (:meth:`bayesq.JointFit.result`), whose model is the joint one.
        """
        if self._model is None:
            if self.settings.search is not None:
                raise ValueError(
                    "this search was fitted jointly with others; its model is the joint fit's "
                    "(bayesq.JointFit.model)"
                )
            m = self.settings.model
            self._model = build_model(
                self.scores,
                self.threshold,
                maximize=m.maximize,
                n_hyperparameters=m.n_hyperparameters,
                priors=m.priors,
                spread=self.settings.data.tail_spread if m.fixed_spread else None,
            )
        return self._model

    def sample_prior(self, draws: int = 500, random_seed=None) -> xr.DataTree:
        """Add a ``prior`` group (draws of alpha, beta, gamma, sigma from the priors).

        The prior predictive check is :func:`bayesq.plots.plot_tail` with
        ``group="prior"``: the tail the priors allow, against the data.

        Parameters
        ----------
        draws : int
            Number of prior draws.
        random_seed : int, optional
            Seed of the draws.

        Returns
        -------
        xarray.DataTree
            :attr:`idata`, with the ``prior`` group added (or replaced).
        """
        with self.model:
            prior = pm.sample_prior_predictive(
                draws=draws, var_names=list(PARAMETERS), random_seed=random_seed
            )
        self.idata["prior"] = prior["prior"]
        return self.idata

    def prior_sensitivity(self, var_names=PARAMETERS, threshold: float = SENSITIVITY) -> pd.DataFrame:
        """Power-scaling sensitivity of alpha, beta, gamma, sigma to the prior and the likelihood.

        See :func:`bayesq.diagnostics.prior_sensitivity` (Kallioinen et al.
        2023); adds the ``log_prior`` group to :attr:`idata` the first time.

        Parameters
        ----------
        var_names : iterable of str
            The posterior variables to report.
        threshold : float
            Sensitivity from which a variable is flagged (0.05, the paper's
            rule of thumb).

        Returns
        -------
        pandas.DataFrame
            One row per variable; columns ``prior``, ``likelihood`` and
            ``diagnosis`` (``"potential prior-data conflict"``, ``"prior
            dominates"`` or ``"-"``).
        """
        return prior_sensitivity(self.idata, self.model, var_names, threshold)

    # -- tuning curves and the best score ------------------------------------
    def tuning_curve(self, k, kind: str = "median", ci: float = 0.8) -> curves.TuningCurve:
        r"""Posterior tuning curve at ``k`` iterations (real, ``>= 1``, beyond the data too).

        See :func:`bayesq.curves.tuning_curve`: the median (``kind="median"``)
        or expected (``"mean"``) best score after ``k`` iterations for each
        posterior draw, summarized as ``lower`` / ``estimate`` / ``upper``,
        with the asymptotic regime (``k_regime``, ``in_regime``) marked.
        For a draw :math:`\theta` the median curve is
        :math:`F^{-1}(2^{-1/k} \mid \theta)` and the expected one
        :math:`\int_0^1 F^{-1}(u^{1/k} \mid \theta)\,du` (maximizing).

        Parameters
        ----------
        k : array_like
            Numbers of iterations, real, ``>= 1``; any size, beyond the data too.
        kind : {"median", "mean"}
            The median or the expected best score after ``k`` iterations.
        ci : float
            Mass of the equal-tailed credible band, in (0, 1).

        Returns
        -------
        bayesq.curves.TuningCurve
            ``lower``, ``estimate`` (posterior median) and ``upper`` at each
            ``k``, the per-draw curves, and ``in_regime``.

        See Also
        --------
        best_after : The best score observed after ``k`` runs, seed noise included.

        Examples
        --------
        >>> import bayesq
        >>> from bayesq.simulate import simulate_random_search
        >>> search = simulate_random_search(n=200, random_seed=0)
        >>> result = bayesq.fit(
        ...     search.scores, 0.85, draws=200, tune=200, chains=2, extend=False, random_seed=1, quiet=True
        ... )
        >>> curve = result.tuning_curve([1, 10, 100, 1000])
        >>> curve.estimate.shape, curve.draws.shape
        ((4,), (400, 4))
        >>> bool(curve.estimate[0] < curve.estimate[1] < curve.estimate[3])  # more runs, better
        True
        >>> curve.in_regime  # one run's median score lies below the threshold
        array([False,  True,  True,  True])
        >>> list(curve.to_dataframe().columns)
        ['lower', 'estimate', 'upper', 'in_regime']
        """
        return curves.tuning_curve(
            self.idata.posterior, k, kind=kind, ci=ci, threshold=self.threshold, maximize=self.maximize
        )

    def best_after(self, k, ci: float = 0.8) -> curves.BestAfter:
        r"""Predictive intervals of the best score after ``k`` runs (:func:`bayesq.curves.best_after`).

        The quantiles of the posterior predictive distribution of the best
        observed score, :math:`P(T_k \le y \mid \text{data}) =
        E_\theta[F(y \mid \theta)^k]`: seed noise included, unlike the
        tuning curve's band.

        Parameters
        ----------
        k : array_like
            Numbers of runs, real, ``>= 1``.
        ci : float
            Mass of the central predictive interval, in (0, 1).

        Returns
        -------
        bayesq.curves.BestAfter
            ``lower``, ``estimate`` (median) and ``upper`` at each ``k``.
        """
        return curves.best_after(self.idata.posterior, k, ci=ci, maximize=self.maximize)

    def best_score(
        self, ci: float = 0.9, eps=None, prob: float = 0.9, predictive: bool = False
    ) -> curves.BestScore:
        r"""Credible interval of the best achievable score; with ``eps``, the iterations to come within it.

        The best achievable score is :math:`\beta` when maximizing
        (:math:`\alpha` when minimizing): the expected score of the best
        configuration, free of seed noise. See
        :func:`bayesq.curves.best_score`; ``more_iterations`` counts from
        the runs of this search. The result also holds the best score this
        search observed, placed against the interval (``print`` says where);
        with ``predictive=True`` also the predictive interval of the best
        observed score after as many runs, seed noise included, which the
        best achievable score is free of (:meth:`best_after`).

        Parameters
        ----------
        ci : float
            Mass of the equal-tailed credible interval, in (0, 1).
        eps : float, optional
            A distance to the best achievable score, in score units: the
            result then holds the iterations after which the expected best
            score is within ``eps`` of it with posterior probability ``prob``.
        prob : float
            The posterior probability that goes with ``eps``, in (0, 1).
        predictive : bool
            Also compute the predictive interval of the best observed score
            after as many runs as this search made.

        Returns
        -------
        bayesq.curves.BestScore
            ``estimate``, ``lower``, ``upper``, the draws, and what
            ``eps``, ``observed`` and ``predictive`` add; ``print`` words it.

        Examples
        --------
        >>> import bayesq
        >>> from bayesq.simulate import simulate_random_search
        >>> search = simulate_random_search(n=200, random_seed=0)
        >>> result = bayesq.fit(
        ...     search.scores, 0.85, draws=200, tune=200, chains=2, extend=False, random_seed=1, quiet=True
        ... )
        >>> best = result.best_score(eps=0.005)
        >>> bool(best.lower < search.beta < best.upper)  # the truth, 0.9
        True
        >>> best.n_runs, bool(best.iterations >= 1), bool(best.more_iterations >= 0)
        (200, True, True)
        >>> print(best)  # doctest: +ELLIPSIS
        best achievable score (beta: the expected score of the best configuration, free of seed noise): ...
        best observed score of the 200 runs: ...
        expected best within 0.005 of it with probability 0.9 after ... iterations (... more)
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

    def headline(self) -> str:
        """One line about the fit: the tail, the threshold, the direction and the sampler."""
        d, m = self.settings.data, self.settings.model
        side = "above" if m.maximize else "below"
        failed = int(np.count_nonzero(np.isinf(self.scores)))
        runs = f"; {failed} failed runs among the censored" if failed else ""
        return (
            f"bayesq fit: {d.n_tail[0]} of {d.n_scores[0]} scores {side} the threshold {d.threshold:g} "
            f"({'maximize' if m.maximize else 'minimize'}{runs}); sampler {super().headline()}"
        )
