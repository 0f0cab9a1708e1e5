"""How a fit samples: one frozen :class:`SamplerOptions`, validated at the door.

The options cover the NUTS settings every sampler shares (draws, tuning
steps, chains, target acceptance, maximum tree depth, seed), the sampler's
own keywords, and what the fit prints. :meth:`SamplerOptions.recorded` is the
part a fit records in its settings (:class:`bayesq.settings.SamplerSettings`).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from collections.abc import Mapping
from types import MappingProxyType

from bayesq import validate
from bayesq.exceptions import InputError
from bayesq.settings import SamplerSettings

__all__ = [
    "DEPTH_KEYWORDS",
    "EXTEND_FACTOR",
    "SAMPLERS",
    "TARGET_ACCEPT",
    "SamplerOptions",
    "available_samplers",
    "check_budget",
    "check_nuts",
    "installed",
    "resolve_sampler",
    "user_depth_cap",
]

SAMPLERS = ("nutpie", "pymc", "numpyro", "blackjax")  # in order of preference ("auto": the first installed)
NEEDS = {
    "nutpie": ("nutpie", "numba"),
    "pymc": (),
    "numpyro": ("jax", "numpyro"),
    "blackjax": ("jax", "blackjax"),
}
# NUTS target acceptance of fit(). AlexNet (93 tail scores), 8 seeds of a default fit with nutpie: at
# 0.9, 1 divergence in 4,000 draws in 2 of them (a trajectory from sigma/d = 0.02, where beta must hug
# the best score); at 0.95 none, for 14 % more leapfrog steps (24 % on deberta-base).
TARGET_ACCEPT = 0.95
# the default budget of a fit that extends its sampling (bayesq.samplers.extension): this many times the
# draws asked for, per chain
EXTEND_FACTOR = 5
# each sampler's keyword for the maximum tree depth (numpyro's inside ``nuts_kwargs``); PyMC's
# blackjax bridge has none for the draws (it builds blackjax's kernel with its default, 10)
DEPTH_KEYWORDS = {"nutpie": "maxdepth", "pymc": "max_treedepth", "numpyro": "max_tree_depth"}


def installed(package: str) -> bool:
    """Whether ``package`` can be imported, without importing it.

    A package already in :data:`sys.modules` counts as installed without a
    look at its ``__spec__``: ArviZ registers JAX there as a lazy module
    (``lazy_loader``), and reading that module's attributes, as
    :func:`importlib.util.find_spec` does, imports all of JAX.
    """
    return package in sys.modules or importlib.util.find_spec(package) is not None


def available_samplers() -> list[str]:
    """The samplers whose packages are installed, in order of preference."""
    return [s for s in SAMPLERS if all(map(installed, NEEDS[s]))]


def resolve_sampler(sampler: str) -> str:
    """The sampler ``sampler`` names (``"auto"``: the first installed), checked to be installed."""
    if sampler == "auto":
        return available_samplers()[0]
    if sampler not in SAMPLERS:
        raise InputError(
            f"unknown {{arg}} {sampler!r}; choose one of {', '.join(SAMPLERS)} or 'auto'", "sampler"
        )
    missing = [p for p in NEEDS[sampler] if not installed(p)]
    if missing:
        extra = "nutpie" if sampler == "nutpie" else "jax"
        raise ImportError(
            f"sampler {sampler!r} needs {', '.join(missing)}: pip install 'bayesq[{extra}]' "
            f"(installed samplers: {', '.join(available_samplers())})"
        )
    return sampler


def _depth_home(sampler: str, kwargs: Mapping) -> Mapping:
    """Where ``sampler`` reads its depth keyword: numpyro's ``nuts_kwargs``, else the keywords themselves."""
    return (kwargs.get("nuts_kwargs") or {}) if sampler == "numpyro" else kwargs


def user_depth_cap(kwargs: Mapping) -> int | None:
    """The maximum tree depth given in a sampler's own keyword (:data:`DEPTH_KEYWORDS`), if any."""
    for sampler, key in DEPTH_KEYWORDS.items():
        value = _depth_home(sampler, kwargs).get(key)
        if value is not None:
            return int(value)
    return None


def _with_depth_cap(sampler: str, kwargs: Mapping, max_tree_depth: int | None) -> dict:
    """``kwargs`` with ``max_tree_depth`` in the sampler's own keyword (none: unchanged)."""
    kwargs = dict(kwargs)
    if max_tree_depth is None:
        return kwargs
    if user_depth_cap(kwargs) is not None:
        raise InputError(
            "the maximum tree depth is given twice: as {arg} and as the sampler's keyword", "max_tree_depth"
        )
    if sampler not in DEPTH_KEYWORDS:
        raise InputError(
            f"{{arg}} is not available with {sampler}: PyMC's bridge samples its draws at "
            f"blackjax's default depth (10); use one of {', '.join(DEPTH_KEYWORDS)}",
            "max_tree_depth",
        )
    home = {**_depth_home(sampler, kwargs), DEPTH_KEYWORDS[sampler]: max_tree_depth}
    return {**kwargs, "nuts_kwargs": home} if sampler == "numpyro" else home


def check_nuts(draws, tune, chains, target_accept, max_tree_depth=None, random_seed=None) -> tuple:
    """The NUTS settings every sampler shares, validated (each error names its argument)."""
    return (
        validate.integer(draws, "draws", 1),
        validate.integer(tune, "tune", 0),
        validate.integer(chains, "chains", 1),
        validate.probability(target_accept, "target_accept"),
        None if max_tree_depth is None else validate.integer(max_tree_depth, "max_tree_depth", 1),
        None if random_seed is None else validate.integer(random_seed, "random_seed", 0),
    )


def check_budget(extend, draws: int, max_draws, time_limit) -> tuple[int | None, float | None]:
    """The budget of a fit that extends its sampling: draws per chain at most, and seconds (validated).

    ``(None, None)`` when ``extend`` is false (a budget given with it is an error).
    """
    if not validate.boolean(extend, "extend"):
        given = [name for name, v in (("max_draws", max_draws), ("time_limit", time_limit)) if v is not None]
        if given:
            raise InputError("{arg} is a budget for extend=True, and extend is False", given[0])
        return None, None
    if max_draws is None:
        max_draws = EXTEND_FACTOR * draws
    max_draws = validate.integer(max_draws, "max_draws", 1)
    if max_draws < draws:
        raise InputError(f"{{arg}} must be at least draws ({draws}), got {max_draws}", "max_draws")
    if time_limit is not None:
        time_limit = validate.number(time_limit, "time_limit", low=0, open_low=True)
    return max_draws, time_limit


@dataclasses.dataclass(frozen=True)
class SamplerOptions:
    """The sampling settings of a fit (:meth:`checked` validates them and resolves the sampler).

    Attributes
    ----------
    sampler : str
        ``"nutpie"``, ``"pymc"``, ``"numpyro"`` or ``"blackjax"`` (resolved from ``"auto"``).
    draws, tune, chains : int
        Draws kept per chain, tuning steps per chain, number of chains.
    target_accept : float
        NUTS target acceptance rate, in (0, 1).
    max_tree_depth : int or None
        A cap on the tree depth given by the user (in ``max_tree_depth`` or in
        the sampler's own keyword); ``None``: the sampler's default (10).
    random_seed : int or None
    quiet : bool
        No progress bars or informational logging.
    progressbar : bool or None
        The progress bar alone (default: ``not quiet``).
    kwargs : mapping
        The sampler's own keywords (read-only), the depth cap included.
    max_draws : int or None
        Draws per chain a fit may extend to until the convergence standard
        holds (:func:`bayesq.samplers.extension.sample_until`); ``None``:
        one run as asked, neither extended nor retuned.
    time_limit : float or None
        Seconds after which a fit is no longer extended (``None``: no limit).

    Examples
    --------
    >>> from bayesq.samplers import SamplerOptions
    >>> options = SamplerOptions.checked(sampler="pymc", draws=500, chains=2, max_tree_depth=6)
    >>> options.draws, dict(options.kwargs)
    (500, {'max_treedepth': 6})
    """

    sampler: str
    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    target_accept: float = TARGET_ACCEPT
    max_tree_depth: int | None = None
    random_seed: int | None = None
    quiet: bool = False
    progressbar: bool | None = None
    kwargs: Mapping = dataclasses.field(default_factory=dict)
    max_draws: int | None = None
    time_limit: float | None = None

    def __post_init__(self):
        object.__setattr__(self, "kwargs", MappingProxyType(dict(self.kwargs)))

    @classmethod
    def checked(
        cls,
        sampler: str = "auto",
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        target_accept: float = TARGET_ACCEPT,
        max_tree_depth: int | None = None,
        random_seed: int | None = None,
        quiet: bool = False,
        progressbar: bool | None = None,
        *,
        extend: bool = False,
        max_draws: int | None = None,
        time_limit: float | None = None,
        **kwargs,
    ) -> SamplerOptions:
        """Validated options: arguments by type and value (named in errors), the sampler installed.

        ``extend``: sample until the convergence standard holds, up to
        ``max_draws`` per chain (by default :data:`EXTEND_FACTOR` times
        ``draws``) and
        ``time_limit`` seconds (:mod:`bayesq.samplers.extension`).
        """
        draws, tune, chains, target_accept, depth, seed = check_nuts(
            draws, tune, chains, target_accept, max_tree_depth, random_seed
        )
        max_draws, time_limit = check_budget(extend, draws, max_draws, time_limit)
        quiet = validate.boolean(quiet, "quiet")
        progressbar = None if progressbar is None else validate.boolean(progressbar, "progressbar")
        sampler = resolve_sampler(sampler)
        kwargs = _with_depth_cap(sampler, kwargs, depth)
        return cls(
            sampler,
            draws,
            tune,
            chains,
            target_accept,
            user_depth_cap(kwargs),
            seed,
            quiet,
            progressbar,
            kwargs,
            max_draws,
            time_limit,
        )

    @property
    def shows_progress(self) -> bool:
        return (not self.quiet) if self.progressbar is None else self.progressbar

    def recorded(self, backend: str | None = None, asked: SamplerOptions | None = None) -> SamplerSettings:
        """What a fit records of these options (``backend``: nutpie's, where it sampled).

        ``asked``: the options the fit was given, where these are the ones
        its draws were made with (:func:`bayesq.samplers.extension.sample_until`).
        """
        asked = self if asked is None else asked

        def changed(name):
            value = getattr(asked, name)
            return None if value == getattr(self, name) else value

        return SamplerSettings(
            sampler=self.sampler,
            draws=self.draws,
            tune=self.tune,
            chains=self.chains,
            target_accept=self.target_accept,
            random_seed=self.random_seed,
            max_tree_depth=self.max_tree_depth,
            backend=backend,
            max_draws=self.max_draws,
            time_limit=self.time_limit,
            asked_draws=changed("draws"),
            asked_chains=changed("chains"),
            asked_target_accept=changed("target_accept"),
            asked_random_seed=changed("random_seed"),
        )
