"""The settings of a fit: one frozen type for single, joint and batch fits, saved with a schema version.

:class:`Settings` has three parts, each its own frozen dataclass:

* ``model`` (:class:`ModelSettings`): direction, priors, the bound on gamma,
  whether the priors' unit was fixed, noise and pooling;
* ``sampler`` (:class:`SamplerSettings`): the sampler and its NUTS settings;
* ``data`` (:class:`DataSettings`): per search (one for a single fit, one per
  search of a joint fit, one per data set of a batch), its name, threshold,
  counts and tail spread;

and ``kind`` (``"single"``, ``"joint"``, ``"batch"``, ``"stacked"``: a fit with
``threshold="auto"``, whose data settings are those of its favoured candidate;
``"stacked_joint"``: a joint fit with ``thresholds="auto"``, likewise), which
:func:`bayesq.load` dispatches on. A fit's settings are written as JSON into
``idata.posterior.attrs["bayesq"]`` with the schema version
(:data:`SCHEMA`) and the bayesq version; :meth:`Settings.from_attrs` reads
them back, those of bayesq 0.1 (a flat JSON, ``bayesq_joint`` for joint fits)
included, and refuses a newer schema with a message. ``settings["threshold"]``
still reads the flat keys of 0.1 (:meth:`Settings.flat`).

Examples
--------
>>> from bayesq.settings import Settings
>>> from bayesq.priors import Priors
>>> settings = Settings.single(
...     model=ModelSettings(maximize=True, priors=Priors()),
...     sampler=SamplerSettings("nutpie", 1000, 1000, 4, 0.95, random_seed=1, backend="numba"),
...     threshold=0.87, n_scores=1024, n_tail=556, tail_spread=0.004,
... )
>>> settings.data.threshold, settings["n_censored"]
(0.87, 468)
>>> Settings.from_attrs(settings.to_attrs()) == settings
True
"""

from __future__ import annotations

import dataclasses
import json

from bayesq.exceptions import SavedFitError
from bayesq.priors import Priors

__all__ = ["ATTR", "SCHEMA", "DataSettings", "ModelSettings", "SamplerSettings", "Settings"]

SCHEMA = 2  # 1: bayesq 0.1's flat JSON; 2: this module's nested one
ATTR = "bayesq"  # the posterior attribute holding the settings
ATTR_0_1_JOINT = "bayesq_joint"  # where bayesq 0.1 kept a joint fit's
KINDS = ("single", "joint", "batch", "stacked", "stacked_joint")  # stacked: bayesq.stacking


@dataclasses.dataclass(frozen=True)
class ModelSettings:
    """The model: direction, priors, gamma's bound, the priors' unit, noise and pooling."""

    maximize: bool
    priors: Priors = dataclasses.field(default_factory=Priors)
    n_hyperparameters: float | None = None
    fixed_spread: bool = False
    noise: bool = True
    pool: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "pool": list(self.pool)}

    @classmethod
    def from_dict(cls, d: dict) -> ModelSettings:
        return cls(**{**d, "priors": Priors(**d["priors"]), "pool": tuple(d.get("pool", ()))})


@dataclasses.dataclass(frozen=True)
class SamplerSettings:
    """The sampler that drew the posterior and its settings (``backend``: nutpie's program).

    ``draws``, ``chains`` and ``target_accept`` are those of the draws kept.
    A fit that extends its sampling until the convergence standard holds
    (:mod:`bayesq.samplers.extension`) records its budget (``max_draws`` per
    chain, ``time_limit`` seconds) and, where it drew otherwise than asked,
    what was asked (``asked_draws``, ``asked_chains``,
    ``asked_target_accept``, ``asked_random_seed``; ``None`` where unchanged).
    """

    sampler: str
    draws: int
    tune: int
    chains: int
    target_accept: float
    random_seed: int | None = None
    max_tree_depth: int | None = None
    backend: str | None = None
    max_draws: int | None = None
    time_limit: float | None = None
    asked_draws: int | None = None
    asked_chains: int | None = None
    asked_target_accept: float | None = None
    asked_random_seed: int | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def extension(self) -> str:
        """How the sampling went beyond what was asked, in words (``""`` where it did not)."""
        out = []
        if self.asked_target_accept is not None:
            out.append(
                f"target_accept raised from {self.asked_target_accept:g} to {self.target_accept:g} after "
                "divergences"
            )
        if self.asked_draws is not None:
            out.append(f"extended from {self.asked_draws} draws per chain")
        if self.asked_chains is not None:
            out.append(f"extended from {self.asked_chains} chains")
        if self.asked_random_seed is not None:
            out.append(f"drawn again with seed {self.random_seed} after a chain got stuck")
        return "; ".join(out)


@dataclasses.dataclass(frozen=True)
class DataSettings:
    """Per search: name, threshold, number of runs, of tail scores and of censored runs, tail spread."""

    names: tuple[str, ...]
    thresholds: tuple[float, ...]
    n_scores: tuple[int, ...]
    n_tail: tuple[int, ...]
    spreads: tuple[float, ...]

    def __post_init__(self):
        sizes = {len(getattr(self, f.name)) for f in dataclasses.fields(self)}
        if len(sizes) != 1:
            raise ValueError(f"the data settings need one entry per search in every field: {self}")

    @classmethod
    def of(cls, names, prepared) -> DataSettings:
        """From the :class:`bayesq.model.PreparedScores` of each search."""
        prepared = list(prepared)
        return cls(
            tuple(names),
            tuple(float(p.threshold) for p in prepared),
            tuple(int(p.scores.size) for p in prepared),
            tuple(int(p.tail.size) for p in prepared),
            tuple(float(p.spread) for p in prepared),
        )

    @property
    def n_censored(self) -> tuple[int, ...]:
        return tuple(n - t for n, t in zip(self.n_scores, self.n_tail, strict=True))

    def _one(self, values):
        if len(values) != 1:
            raise AttributeError(f"{len(values)} searches: read the tuple (e.g. thresholds), not one value")
        return values[0]

    @property
    def threshold(self) -> float:
        return self._one(self.thresholds)

    @property
    def tail_spread(self) -> float:
        return self._one(self.spreads)

    def select(self, i: int) -> DataSettings:
        """Search ``i`` alone."""
        return DataSettings(*((getattr(self, f.name)[i],) for f in dataclasses.fields(self)))

    def to_dict(self) -> dict:
        return {f.name: list(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, d: dict) -> DataSettings:
        return cls(**{f.name: tuple(d[f.name]) for f in dataclasses.fields(cls)})


@dataclasses.dataclass(frozen=True)
class Settings:
    """A fit's settings (module docstring).

    Attributes
    ----------
    kind : {"single", "joint", "batch", "stacked", "stacked_joint"}
    model : ModelSettings
    sampler : SamplerSettings
    data : DataSettings
    search : str or None
        For a single search taken from a joint fit: its name.
    fit : int or None
        For one fit taken from a batch: its index.
    seconds : float or None
        A batch's sampling time.
    version : str
        The bayesq that wrote them.
    schema : int
    """

    kind: str
    model: ModelSettings
    sampler: SamplerSettings
    data: DataSettings
    search: str | None = None
    fit: int | None = None
    seconds: float | None = None
    version: str = ""
    schema: int = SCHEMA

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if not self.version:
            from bayesq import __version__

            object.__setattr__(self, "version", __version__)

    @classmethod
    def single(cls, model, sampler, threshold, n_scores, n_tail, tail_spread, **more) -> Settings:
        """The settings of a fit of one search."""
        data = DataSettings(
            ("search",), (float(threshold),), (int(n_scores),), (int(n_tail),), (float(tail_spread),)
        )
        return cls("single", model, sampler, data, **more)

    def replace(self, **changes) -> Settings:
        """A copy with ``changes`` (:func:`dataclasses.replace`)."""
        return dataclasses.replace(self, **changes)

    # -- JSON -----------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "schema": self.schema,
            "bayesq_version": self.version,
            "kind": self.kind,
            "model": self.model.to_dict(),
            "sampler": self.sampler.to_dict(),
            "data": self.data.to_dict(),
            **{k: v for k in ("search", "fit", "seconds") if (v := getattr(self, k)) is not None},
        }

    def to_attrs(self) -> dict:
        """The posterior attributes that hold these settings."""
        return {ATTR: json.dumps(self.to_dict())}

    @classmethod
    def from_attrs(cls, attrs) -> Settings:
        """The settings in a posterior's attributes (this schema or bayesq 0.1's).

        Raises
        ------
        bayesq.exceptions.SavedFitError
            None there, or written by a newer bayesq (a newer schema).
        """
        try:
            return cls._from_attrs(attrs)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            if isinstance(err, SavedFitError):
                raise
            raise SavedFitError(f"its bayesq settings cannot be read ({type(err).__name__}: {err})") from None

    @classmethod
    def _from_attrs(cls, attrs) -> Settings:
        if ATTR in attrs:
            d = json.loads(attrs[ATTR])
            if "schema" not in d:
                return cls._from_flat(d, "single")
        elif ATTR_0_1_JOINT in attrs:
            return cls._from_flat(json.loads(attrs[ATTR_0_1_JOINT]), "joint")
        else:
            raise SavedFitError("not a bayesq fit: its posterior has no bayesq settings")
        if d["schema"] > SCHEMA:
            raise SavedFitError(
                f"written by bayesq {d.get('bayesq_version')} with settings schema {d['schema']}; this "
                f"bayesq reads schema {SCHEMA} and older: upgrade bayesq"
            )
        extra = {k: d[k] for k in ("search", "fit", "seconds") if k in d}
        return cls(
            d["kind"],
            ModelSettings.from_dict(d["model"]),
            SamplerSettings(**d["sampler"]),
            DataSettings.from_dict(d["data"]),
            version=d.get("bayesq_version", ""),
            schema=d["schema"],
            **extra,
        )

    @classmethod
    def _from_flat(cls, d: dict, kind: str) -> Settings:
        """Settings of schema 1 (bayesq 0.1's flat JSON)."""
        sampler = SamplerSettings(
            d["sampler"],
            d["draws"],
            d["tune"],
            d["chains"],
            d["target_accept"],
            d.get("random_seed"),
            d.get("max_tree_depth"),
            d.get("backend"),
        )
        model = ModelSettings(
            bool(d["maximize"]),
            Priors(**d["priors"]),
            d.get("n_hyperparameters"),
            bool(d.get("fixed_spread", False)),
            bool(d.get("noise", d.get("joint", {}).get("noise", True))),
            tuple(d.get("pool", d.get("joint", {}).get("pool", ()))),
        )
        if kind == "joint":
            names = tuple(d["names"])
            n_tail, n_censored = d["n_tail"], d["n_censored"]
            data = DataSettings(
                names,
                tuple(float(d["thresholds"][n]) for n in names),
                tuple(t + c for t, c in zip(n_tail, n_censored, strict=True)),
                tuple(n_tail),
                tuple(d["spreads"]),
            )
            return cls("joint", model, sampler, data, version=d.get("bayesq_version", ""), schema=1)
        search = d.get("joint", {}).get("search")
        return cls.single(
            model,
            sampler,
            d["threshold"],
            d["n_scores"],
            d["n_tail"],
            d["tail_spread"],
            search=search,
            fit=d.get("fit"),
            version=d.get("bayesq_version", ""),
            schema=1,
        )

    # -- the flat view of bayesq 0.1 ----------------------------------------------------------------
    def flat(self) -> dict:
        """The settings as bayesq 0.1's flat dictionary (``threshold``, ``n_tail``, ``draws``, ...)."""
        out = {
            "maximize": self.model.maximize,
            "n_hyperparameters": self.model.n_hyperparameters,
            "priors": dataclasses.asdict(self.model.priors),
            "fixed_spread": self.model.fixed_spread,
            **self.sampler.to_dict(),
            "bayesq_version": self.version,
        }
        if out["backend"] is None:
            del out["backend"]
        if self.kind in ("joint", "stacked_joint"):
            d = self.data
            out.update(
                names=list(d.names),
                thresholds=dict(zip(d.names, d.thresholds, strict=True)),
                pool=list(self.model.pool),
                noise=self.model.noise,
                n_tail=list(d.n_tail),
                n_censored=list(d.n_censored),
                spreads=list(d.spreads),
            )
        elif self.kind in ("single", "stacked"):
            d = self.data
            out.update(
                threshold=d.threshold,
                n_scores=d.n_scores[0],
                n_tail=d.n_tail[0],
                n_censored=d.n_censored[0],
                tail_spread=d.tail_spread,
            )
        for key in ("search", "fit", "seconds"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    def __getitem__(self, key: str):
        return self.flat()[key]

    def get(self, key: str, default=None):
        return self.flat().get(key, default)
