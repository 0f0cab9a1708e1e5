"""bayesq.settings: one frozen settings type for every kind of fit, written with its schema."""

import dataclasses
import json

import pytest

from bayesq.exceptions import SavedFitError
from bayesq.priors import Priors
from bayesq.settings import SCHEMA, DataSettings, ModelSettings, SamplerSettings, Settings

SAMPLER = SamplerSettings("nutpie", 1000, 1000, 4, 0.95, random_seed=1, backend="numba")


def single(**more):
    model = ModelSettings(maximize=True, priors=Priors(gamma_median=1.5))
    return Settings.single(model, SAMPLER, 0.87, 1024, 556, 0.004, **more)


def test_the_settings_round_trip_through_the_posterior_attributes_with_their_schema():
    settings = single()
    attrs = settings.to_attrs()
    assert json.loads(attrs["bayesq"])["schema"] == SCHEMA
    assert Settings.from_attrs(attrs) == settings
    joint = Settings(
        "joint",
        ModelSettings(maximize=False, pool=("gamma",), n_hyperparameters=3.0),
        SAMPLER,
        DataSettings(("a", "b"), (0.1, 0.2), (100, 120), (40, 50), (0.01, 0.02)),
    )
    assert Settings.from_attrs(joint.to_attrs()) == joint
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.kind = "joint"


def test_one_search_of_a_joint_fit_is_a_replace_not_a_copy_of_keys():
    joint = Settings(
        "joint",
        ModelSettings(maximize=True),
        SAMPLER,
        DataSettings(("a", "b"), (0.1, 0.2), (100, 120), (40, 50), (0.01, 0.02)),
    )
    one = joint.replace(kind="single", data=joint.data.select(1), search="b")
    assert (one.data.threshold, one.data.n_censored, one.search) == (0.2, (70,), "b")
    assert one.model == joint.model and one.sampler == joint.sampler
    with pytest.raises(AttributeError, match="2 searches"):
        joint.data.threshold  # noqa: B018 (the property raises)


def test_the_flat_keys_of_bayesq_0_1_still_read():
    settings = single()
    assert settings["threshold"] == 0.87 and settings["n_censored"] == 468 and settings["backend"] == "numba"
    assert settings["priors"]["gamma_median"] == 1.5 and settings.get("no-such-key", 7) == 7


def test_settings_written_by_bayesq_0_1_are_converted():
    flat = {
        "threshold": 0.85,
        "maximize": True,
        "n_hyperparameters": None,
        "priors": Priors().__dict__,
        "sampler": "nutpie",
        "draws": 20,
        "tune": 20,
        "chains": 2,
        "target_accept": 0.95,
        "random_seed": 1,
        "backend": "numba",
        "max_tree_depth": None,
        "n_scores": 40,
        "n_tail": 20,
        "n_censored": 20,
        "tail_spread": 0.017,
        "fixed_spread": False,
        "bayesq_version": "0.1.0",
    }
    settings = Settings.from_attrs({"bayesq": json.dumps(flat)})
    assert (settings.kind, settings.schema, settings.version) == ("single", 1, "0.1.0")
    assert settings.data.threshold == 0.85 and settings.sampler.backend == "numba"
    joint = {
        **flat,
        "names": ["a", "b"],
        "thresholds": {"a": 0.8, "b": 0.9},
        "pool": ["gamma"],
        "noise": True,
    }
    joint.update(n_tail=[10, 12], n_censored=[30, 28], spreads=[0.01, 0.02])
    settings = Settings.from_attrs({"bayesq_joint": json.dumps(joint)})
    assert (
        settings.kind == "joint"
        and settings.data.thresholds == (0.8, 0.9)
        and settings.model.pool == ("gamma",)
    )
    assert settings.data.n_scores == (40, 40)


def test_a_newer_schema_or_no_settings_is_refused_with_a_message():
    newer = single().to_dict() | {"schema": SCHEMA + 1, "bayesq_version": "9.0"}
    with pytest.raises(SavedFitError, match=r"written by bayesq 9.0 with settings schema 3.*upgrade bayesq"):
        Settings.from_attrs({"bayesq": json.dumps(newer)})
    with pytest.raises(SavedFitError, match="no bayesq settings"):
        Settings.from_attrs({})


def test_damaged_settings_are_a_saved_fit_error_not_a_crash():
    for attrs in ({"bayesq": "{not json"}, {"bayesq": json.dumps({"schema": 2, "kind": "single"})}):
        with pytest.raises(SavedFitError, match="its bayesq settings cannot be read"):
            Settings.from_attrs(attrs)
