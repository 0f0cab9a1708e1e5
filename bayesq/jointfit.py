r"""The result of :func:`bayesq.fit_joint`: several searches in one posterior.

:class:`JointFit` holds one :class:`xarray.DataTree` whose variables have a
``search`` dimension (the model and the meaning of its pointwise
log-likelihood: :mod:`bayesq.joint`); :meth:`JointFit.result` gives one
search's part as a :class:`bayesq.FitResult`.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from bayesq.diagnostics import SENSITIVITY, prior_sensitivity
from bayesq.joint_model import build_joint_model
from bayesq.model import COORDINATES, PARAMETERS
from bayesq.results import FitResult, Result

__all__ = ["JointFit"]

_SEARCH_VARIABLES = (*PARAMETERS, *COORDINATES)  # one per search


class JointFit(Result, kind="joint"):
    """The posterior of several searches fitted together (:func:`fit_joint`).

    ``idata`` holds the posterior (dim ``search``), the sample stats,
    ``log_likelihood["scores"]`` (one point per run of every search, search
    by search, its tail scores then its censored runs; the coordinate
    ``run_search`` names each point's search) and the observed data
    ``tail_{j}`` / ``censored_{j}``; ``settings`` the names, thresholds,
    direction, pooling, noise, priors and sampler. Each search's part is a
    :class:`bayesq.FitResult` (:meth:`result`), for its tuning curves and
    best score; :func:`bayesq.compare` compares the searches on the joint
    draws, and :func:`bayesq.compare_models` compares joint fits of the same
    scores (pooled or not, noisy or not) by PSIS-LOO.

    Parameters
    ----------
    idata : xarray.DataTree
        The joint posterior, with its settings in the attributes of its
        ``posterior`` group.
    model : pymc.Model, optional
        The PyMC model that drew it; rebuilt on demand otherwise.

    Attributes
    ----------
    idata : xarray.DataTree
        The posterior and its companions.
    settings : bayesq.settings.Settings
        The model, sampler and data settings the fit ran with.

    See Also
    --------
    fit_joint : Makes one; its example uses one.
    """

    _who = "bayesq.fit_joint"

    @property
    def names(self) -> list[str]:
        """The searches' names, in the order given to :func:`fit_joint`."""
        return list(self.settings.data.names)

    @property
    def maximize(self) -> bool:
        """Whether higher scores are better (shared by the searches)."""
        return self.settings.model.maximize

    def scores(self, name: str) -> np.ndarray:
        """Every score of one search (tail first, then the censored runs).

        Parameters
        ----------
        name : str
            A search.

        Returns
        -------
        numpy.ndarray

        Raises
        ------
        KeyError
            No search of that name.
        """
        j = self._index(name)
        obs = self.idata.observed_data
        parts = [obs[f"tail_{j}"].values]
        if f"censored_{j}" in obs:
            parts.append(obs[f"censored_{j}"].values)
        return np.concatenate(parts)

    def _index(self, name: str) -> int:
        if name not in self.names:
            raise KeyError(f"no search {name!r} in this fit; searches: {', '.join(self.names)}")
        return self.names.index(name)

    @property
    def model(self):
        """The PyMC model (rebuilt from the data and settings after :func:`bayesq.load`)."""
        if self._model is None:
            m, d = self.settings.model, self.settings.data
            self._model = build_joint_model(
                {n: self.scores(n) for n in self.names},
                dict(zip(d.names, d.thresholds, strict=True)),
                m.maximize,
                m.pool,
                m.noise,
                m.priors,
                m.n_hyperparameters,
            )
        return self._model

    def result(self, name: str) -> FitResult:
        """One search's posterior as a :class:`bayesq.FitResult` (tuning curves, best score).

        Its draws are the joint posterior's (pooling included); its
        ``model`` is not available on its own.

        Parameters
        ----------
        name : str
            A search.

        Returns
        -------
        bayesq.FitResult

        Raises
        ------
        KeyError
            No search of that name.
        """
        j = self._index(name)
        s = self.settings
        post = self.idata.posterior.to_dataset()
        part = post[[v for v in _SEARCH_VARIABLES if v in post]].sel(search=name, drop=True)
        obs = {"tail": self.idata.observed_data[f"tail_{j}"].rename({f"tail_run_{j}": "tail_run"})}
        if f"censored_{j}" in self.idata.observed_data:
            obs["censored"] = self.idata.observed_data[f"censored_{j}"].rename(
                {f"censored_run_{j}": "censored_run"}
            )
        one = s.replace(kind="single", data=s.data.select(j), search=name)
        part = part.assign_attrs(one.to_attrs())
        tree = {
            "posterior": part,
            "sample_stats": self.idata.sample_stats.to_dataset(),
            "observed_data": xr.Dataset(obs),
        }
        if "log_likelihood" in self.idata:  # (a candidate of thresholds="auto" has none)
            loglik = self.idata.log_likelihood["scores"]
            mine = loglik.isel(run=np.flatnonzero(loglik["run_search"].values == name))
            n_tail = s.data.n_tail[j]
            groups = {"tail": mine.isel(run=slice(0, n_tail)).rename(run="tail_run").drop_vars("run_search")}
            if s.data.n_censored[j]:
                cens = mine.isel(run=slice(n_tail, None)).rename(run="censored_run").drop_vars("run_search")
                groups["censored"] = cens
            tree["log_likelihood"] = xr.Dataset(groups)
        return FitResult(xr.DataTree.from_dict(tree))

    @property
    def results(self) -> dict[str, FitResult]:
        """:meth:`result` of every search, ``{name: FitResult}``."""
        return {name: self.result(name) for name in self.names}

    def reported(self) -> list[str]:
        """The parameters (sigma when noisy) and the pooling's spreads: what the tables show."""
        post = self.idata.posterior
        names = [v for v in (*PARAMETERS, "gamma_tau", "sigma_tau") if v in post]
        return names if self.settings.model.noise else [v for v in names if v != "sigma"]

    def prior_sensitivity(self, var_names=None, threshold: float = SENSITIVITY):
        """Power-scaling sensitivity to the prior and the likelihood, search by search.

        :func:`bayesq.diagnostics.prior_sensitivity` of the joint posterior: one row
        per search and parameter (``beta[name]``), and one per pooling
        spread (``gamma_tau``); adds the ``log_prior`` group the first time.

        Parameters
        ----------
        var_names : iterable of str, optional
            The posterior variables to report; by default :meth:`reported`.
        threshold : float
            Sensitivity from which a variable is flagged.

        Returns
        -------
        pandas.DataFrame
            Columns ``prior``, ``likelihood`` and ``diagnosis``.
        """
        return prior_sensitivity(self.idata, self.model, var_names or self.reported(), threshold)

    def loo(self, **kwargs):
        """PSIS-LOO of every run (:func:`arviz.loo` with ``pointwise=True``).

        Parameters
        ----------
        **kwargs
            Passed to :func:`arviz.loo`.

        Returns
        -------
        arviz_stats.ELPDData
            The estimate of the expected log predictive density, with the
            Pareto-k of every run.
        """
        import arviz as az

        return az.loo(self.idata, var_name="scores", pointwise=True, **kwargs)

    def headline(self) -> str:
        """One line about the fit: the searches, the model and the sampler."""
        m, names = self.settings.model, self.names
        pool = ", ".join(m.pool) or "nothing"
        return (
            f"bayesq joint fit of {len(names)} searches ({', '.join(names)}); "
            f"{'noisy' if m.noise else 'noiseless'} quadratic, pooling {pool}; sampler {super().headline()}"
        )
