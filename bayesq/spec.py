"""Declarative analyses: a TOML file says what to fit and how.

``models/`` holds one file per analysis (the demo and the real data sets);
``bayesq run models/deberta-base.toml`` runs one. The format::

    name = "deberta-base"
    description = "..."

    [data]                       # exactly one of dataset / file / simulate
    dataset = "deberta-base"     # a named real data set (bayesq.data.DATASETS)
    # file = "runs.jsonl"        # a score file, relative to the spec's folder
    # extract = "best_matched"   # JSONL score extraction (bayesq.data.EXTRACTORS)
    # column = "accuracy"        # CSV column
    # simulate = { n = 512, alpha = 0.8, beta = 0.9, gamma = 2.0, sigma = 0.002, random_seed = 0 }

    [analysis]
    threshold = 0.87
    maximize = true
    # n_hyperparameters = 6

    [priors]                     # optional: fields of bayesq.Priors

    [sampler]                    # optional: keywords of bayesq.fit
    name = "auto"
    draws = 1000
    random_seed = 1
    # extend = true              # sample on until the convergence standard holds
    # max_draws = 5000           # ... at most this many draws per chain

Unknown keys are errors (a misspelled setting must not be ignored).
"""

from __future__ import annotations

import dataclasses
import inspect
import pathlib
import tomllib

import numpy as np

from bayesq import validate
from bayesq.data import DATASETS, load_dataset, read_scores
from bayesq.exceptions import InputError
from bayesq.priors import Priors
from bayesq.samplers.options import check_budget, check_nuts
from bayesq.single import fit

__all__ = ["DEMO", "Analysis", "load_spec"]

_SAMPLER_KEYS = {
    "name",
    "draws",
    "tune",
    "chains",
    "target_accept",
    "max_tree_depth",
    "random_seed",
    "extend",
    "max_draws",
    "time_limit",
}
_BUDGET_KEYS = ("max_draws", "time_limit")  # the budget of extend=True
_SIMULATE_KEYS = {"n", "alpha", "beta", "gamma", "sigma", "failure_rate", "random_seed"}


@dataclasses.dataclass(frozen=True)
class Analysis:
    """One analysis: where the scores come from, the model settings, the sampler settings.

    What :func:`load_spec` returns; the fields are the TOML file's.

    Attributes
    ----------
    name : str
        The analysis's name (the file's stem unless the file names it).
    data : dict
        Exactly one of ``dataset``, ``file`` or ``simulate``, with
        ``extract`` or ``column`` for a file.
    threshold : float or "auto"
        The threshold of :func:`bayesq.fit` (``"auto"``: stacked over
        candidates, :mod:`bayesq.stacking`).
    maximize : bool or None
        The direction, or ``None`` when unstated.
    n_hyperparameters : float or None
        The nominal number of hyperparameters.
    priors : bayesq.Priors
        The prior settings.
    sampler : dict
        Keywords of :func:`bayesq.fit` (``name`` is its ``sampler``).
    description : str
        Free text.
    base_dir : pathlib.Path
        The folder a ``file`` is relative to.
    """

    name: str
    data: dict
    threshold: float | str
    maximize: bool | None = None  # unstated: higher is better, and a reversed-looking tail is an error
    n_hyperparameters: float | None = None
    priors: Priors = dataclasses.field(default_factory=Priors)
    sampler: dict = dataclasses.field(default_factory=dict)
    description: str = ""
    base_dir: pathlib.Path = pathlib.Path(".")

    def __post_init__(self):
        sources = [k for k in ("dataset", "file", "simulate") if k in self.data]
        if len(sources) != 1:
            raise ValueError(
                f"{self.name}: [data] needs exactly one of dataset, file, simulate; got {sources}"
            )
        _unknown(self.name, "data", self.data, {"dataset", "file", "simulate", "extract", "column"})
        _unknown(self.name, "sampler", self.sampler, _SAMPLER_KEYS)
        _check_sampler(self.name, self.sampler)
        if "simulate" in self.data:
            _unknown(self.name, "data.simulate", self.data["simulate"], _SIMULATE_KEYS)
        if "dataset" in self.data and self.data["dataset"] not in DATASETS:
            raise ValueError(
                f"{self.name}: unknown dataset {self.data['dataset']!r}; known: {', '.join(DATASETS)}"
            )

    def scores(self) -> np.ndarray:
        """The scores this analysis fits."""
        if "dataset" in self.data:
            return load_dataset(self.data["dataset"])
        if "file" in self.data:
            path = self.base_dir / self.data["file"]
            return read_scores(path, extract=self.data.get("extract"), column=self.data.get("column"))
        return self.simulation().scores

    def files(self) -> list[pathlib.Path]:
        """The score file this analysis reads (none for a simulation or a data set not found)."""
        if "file" in self.data:
            return [self.base_dir / self.data["file"]]
        if "dataset" in self.data:
            from bayesq.data import data_dir

            try:
                return [data_dir() / DATASETS[self.data["dataset"]][0]]
            except FileNotFoundError:
                return []
        return []

    def simulation(self):
        """The simulated search of a ``simulate`` analysis (with its truth)."""
        from bayesq.simulate import simulate_random_search

        if "simulate" not in self.data:
            raise ValueError(f"{self.name} is not a simulation")
        return simulate_random_search(maximize=self.maximize is not False, **self.data["simulate"])

    def fit_kwargs(self, **overrides) -> dict:
        """Keywords of :func:`bayesq.fit` for this analysis, ``overrides`` (e.g. the flags) replacing them.

        An override of the extension replaces the file's whole say on it: ``extend=False`` drops
        the file's budget (``max_draws``, ``time_limit``), and a budget overriding drops the
        file's ``extend = false``.
        """
        kwargs = {k: v for k, v in self.sampler.items() if k != "name"}
        if "name" in self.sampler:
            kwargs["sampler"] = self.sampler["name"]
        if overrides.get("extend") is False:
            kwargs = {k: v for k, v in kwargs.items() if k not in _BUDGET_KEYS}
        elif any(overrides.get(k) is not None for k in _BUDGET_KEYS):
            kwargs.pop("extend", None)
        return dict(
            threshold=self.threshold,
            maximize=self.maximize,
            n_hyperparameters=self.n_hyperparameters,
            priors=self.priors,
            **{**kwargs, **overrides},
        )

    def run(self, **overrides):
        """Fit the analysis; ``overrides`` replace keywords of :func:`bayesq.fit`."""
        return fit(self.scores(), **self.fit_kwargs(**overrides))


def _check_sampler(name: str, sampler: dict) -> None:
    """The ``[sampler]`` table's settings checked as :func:`bayesq.fit` checks them, each error naming
    the analysis and the key (not a flag or keyword the user did not give)."""
    defaults = {k: p.default for k, p in inspect.signature(fit).parameters.items()}

    def value(key):
        return sampler.get(key, defaults[key])

    try:
        draws = check_nuts(
            *map(value, ("draws", "tune", "chains", "target_accept", "max_tree_depth", "random_seed"))
        )[0]
        check_budget(value("extend"), draws, value("max_draws"), value("time_limit"))
    except InputError as err:
        raise type(err)(f"{name}: " + err.naming(f"[sampler] {err.argument}")) from None


def _unknown(name, table, given, allowed):
    extra = set(given) - set(allowed)
    if extra:
        raise ValueError(
            f"{name}: unknown key(s) {', '.join(sorted(extra))} in [{table}]; "
            f"allowed: {', '.join(sorted(allowed))}"
        )


def _threshold(path, value) -> float | str:
    """The spec's threshold: a number or ``"auto"``; anything else a ``ValueError`` naming the file."""
    try:
        return validate.threshold(value, "[analysis] threshold")
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def load_spec(path) -> Analysis:
    r"""Read an analysis from a TOML file, validating every key.

    The file says where the scores come from (``[data]``: exactly one of
    ``dataset``, ``file`` or ``simulate``), the model (``[analysis]``:
    ``threshold``, ``maximize``, ``n_hyperparameters``), ``[priors]``
    (fields of :class:`bayesq.Priors`) and ``[sampler]`` (keywords of
    :func:`bayesq.fit`). Unknown keys are errors, so that a misspelled
    setting is not ignored.

    Parameters
    ----------
    path : str or path
        The TOML file; a ``file`` in its ``[data]`` is relative to the
        file's folder.

    Returns
    -------
    Analysis
        ``.scores()`` reads the data, ``.run()`` fits them with
        :func:`bayesq.fit`.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        Not valid TOML, a missing threshold, an unknown key anywhere, or a
        ``[data]`` table without exactly one source.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from bayesq.spec import load_spec
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "demo.toml"
    ...     _ = path.write_text(
    ...         '[data]\nsimulate = { n = 200, random_seed = 0 }\n\n[analysis]\nthreshold = 0.85\n'
    ...     )
    ...     analysis = load_spec(path)
    >>> analysis.name, analysis.threshold, analysis.scores().shape
    ('demo', 0.85, (200,))
    >>> analysis.fit_kwargs()["threshold"]
    0.85
    """
    path = pathlib.Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"no such analysis spec: {path}") from None
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: not valid TOML ({err})") from None
    name = raw.get("name", path.stem)
    _unknown(name, "top level", raw, {"name", "description", "data", "analysis", "priors", "sampler"})
    analysis = raw.get("analysis", {})
    _unknown(name, "analysis", analysis, {"threshold", "maximize", "n_hyperparameters"})
    if "threshold" not in analysis:
        raise ValueError(f"{path}: [analysis] needs a threshold")
    priors = raw.get("priors", {})
    _unknown(name, "priors", priors, {f.name for f in dataclasses.fields(Priors)})
    return Analysis(
        name=name,
        description=raw.get("description", ""),
        data=raw.get("data", {}),
        threshold=_threshold(path, analysis["threshold"]),
        maximize=None if "maximize" not in analysis else validate.boolean(analysis["maximize"], "maximize"),
        n_hyperparameters=analysis.get("n_hyperparameters"),
        priors=Priors(**priors),
        sampler=raw.get("sampler", {}),
        base_dir=path.parent,
    )


# The main job's embedded default: a seeded simulated random search with known
# truth (models/demo.toml writes out the same analysis; a test keeps them equal).
DEMO = Analysis(
    name="demo",
    description="A simulated random search of 512 runs (10 % failed) with known truth.",
    data={
        "simulate": {"n": 512, "alpha": 0.80, "beta": 0.90, "gamma": 2.0, "sigma": 0.002, "random_seed": 0}
    },
    threshold=0.85,
    maximize=True,
    sampler={"random_seed": 1},
)
