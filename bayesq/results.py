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

    Attributes
    ----------
    idata : xarray.DataTree
        The posterior and its companions (the module docstring lists a single fit's groups).
    settings : bayesq.settings.Settings
        The model, sampler and data settings the fit ran with.
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

    def draws(self, name: str) -> np.ndarray:
        """Posterior draws of a variable, shape (chains, draws, ...)."""
        return self.idata.posterior[name].values

    def reported(self) -> list[str]:
        """The variables the summary shows by default."""
        return [v for v in PARAMETERS if v in self.idata.posterior]

    def summary(self, var_names=None, hdi_prob: float = 0.9, **kwargs) -> pd.DataFrame:
        """Posterior summary table (:func:`arviz.summary`): mean, sd, HDI, MCSE, ESS, R-hat.

        Unrounded; ``print(result)`` shows it at the digits each row needs
        (:func:`format_summary`).
        """
        return summary_table(self.idata, var_names or self.reported(), hdi_prob, **kwargs)

    def diagnostics(self) -> Diagnostics:
        """Divergences, R-hat, ESS and E-BFMI of the sampled and reported variables."""
        return diagnose(self.idata, depth_capped=self.settings.sampler.max_tree_depth is not None)

    def check(self) -> list[str]:
        """Warn (``RuntimeWarning``) about every convergence problem; return them."""
        return warn_problems(self.diagnostics(), self._who)

    def save(self, path, overwrite: bool = False) -> pathlib.Path:
        """Write the fit to netCDF atomically, with a checksum (:func:`~bayesq.files.save_netcdf`).

        Refuses to replace an existing file unless ``overwrite``; :func:`bayesq.load` reads it back.
        """
        return save_netcdf(self.idata, path, overwrite)

    def headline(self) -> str:
        """One line about the fit, from its settings alone."""
        s = self.settings.sampler
        return f"{s.sampler}, {s.chains} chains x {s.draws} draws (tune {s.tune})"

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.headline()}>"

    def __str__(self) -> str:
        return f"{self.headline()}\n{format_summary(self.summary())}\n{self.diagnostics()}"


class FitResult(Result, kind="single"):
    """A fitted random search (:func:`bayesq.fit`): posterior draws, data and settings."""

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
        return self.settings.data.threshold

    @property
    def maximize(self) -> bool:
        return self.settings.model.maximize

    @property
    def priors(self) -> Priors:
        return self.settings.model.priors

    @property
    def model(self) -> pm.Model:
        """The PyMC model (rebuilt from the data and settings after :func:`bayesq.load`)."""
        if self._model is None:
            if self.settings.search is not None:
                raise ValueError(
                    "this search was fitted jointly with others; its model is the joint fit's "
                    "(bayesq.joint.JointFit.model)"
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

    def headline(self) -> str:
        d, m = self.settings.data, self.settings.model
        side = "above" if m.maximize else "below"
        return (
            f"bayesq fit: {d.n_tail[0]} of {d.n_scores[0]} scores {side} the threshold {d.threshold:g} "
            f"({'maximize' if m.maximize else 'minimize'}); sampler {super().headline()}"
        )
