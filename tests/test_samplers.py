"""bayesq.samplers: the options of a fit, each sampler's own keywords, the sampler that runs."""

import pytest

from bayesq.samplers import SAMPLERS, TARGET_ACCEPT, SamplerOptions, available_samplers, user_depth_cap
from bayesq.settings import SamplerSettings


def test_max_tree_depth_reaches_each_sampler_in_its_own_keyword():
    def kwargs(sampler, depth, **given):
        return dict(SamplerOptions.checked(sampler, max_tree_depth=depth, **given).kwargs)

    assert kwargs("nutpie", None, backend="jax") == {"backend": "jax"}
    assert kwargs("nutpie", 2, backend="jax") == {"backend": "jax", "maxdepth": 2}
    assert kwargs("pymc", 3) == {"max_treedepth": 3}
    if "numpyro" in available_samplers():
        assert kwargs("numpyro", 4, nuts_kwargs={"dense_mass": True}) == {
            "nuts_kwargs": {"dense_mass": True, "max_tree_depth": 4}
        }
    if "blackjax" in available_samplers():
        with pytest.raises(ValueError, match="max_tree_depth is not available with blackjax"):
            SamplerOptions.checked("blackjax", max_tree_depth=2)
    with pytest.raises(ValueError, match="given twice"):
        SamplerOptions.checked("nutpie", max_tree_depth=2, maxdepth=3)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="max_tree_depth must be an integer"):
            SamplerOptions.checked("nutpie", max_tree_depth=bad)
    # a depth given in the sampler's own keyword is the user's cap too
    assert SamplerOptions.checked("nutpie", maxdepth=5).max_tree_depth == 5
    assert user_depth_cap({"nuts_kwargs": {"max_tree_depth": 3}}) == 3


def test_options_are_validated_frozen_and_recorded():
    options = SamplerOptions.checked("auto", draws=500.0, chains=2, random_seed=7, quiet=True)
    assert options.sampler == available_samplers()[0] and options.sampler in SAMPLERS
    assert (options.draws, options.tune, options.chains) == (500, 1000, 2) and isinstance(options.draws, int)
    assert options.target_accept == TARGET_ACCEPT and options.shows_progress is False
    with pytest.raises(AttributeError):
        options.draws = 10  # frozen
    with pytest.raises(TypeError):
        options.kwargs["maxdepth"] = 3  # read-only
    recorded = options.recorded(backend="numba")
    assert recorded == SamplerSettings(options.sampler, 500, 1000, 2, TARGET_ACCEPT, 7, None, "numba")
    for kwargs, message in (
        ({"draws": 0}, "draws must be an integer >= 1"),
        ({"tune": -1}, "tune must be an integer >= 0"),
        ({"target_accept": 1.0}, "target_accept must lie strictly between 0 and 1"),
        ({"sampler": "stan"}, "unknown sampler 'stan'"),
        ({"random_seed": -2}, "random_seed must be an integer >= 0"),
        ({"quiet": "yes"}, "quiet must be True or False"),
    ):
        with pytest.raises(ValueError, match=message):
            SamplerOptions.checked(**kwargs)
