"""bayesq._compat: each use of another library's unpublished internals works, or says what moved
(libmvec's: tests/test_compat_libmvec.py)."""

import importlib.metadata

import numpy as np
import pytest

from bayesq import _compat
from bayesq._compat.arviz_stats import ecdf_band
from bayesq._compat.blackjax import window_adaptation


def test_the_ecdf_band_is_a_seeded_simultaneous_band_of_the_right_level():
    grid = np.arange(1, 100) / 100
    lower, upper = ecdf_band(200, grid, 0.95)
    again = ecdf_band(200, grid, 0.95)
    np.testing.assert_array_equal(lower, again[0])  # seeded
    assert np.all(lower <= grid) and np.all(grid <= upper)
    # simultaneous coverage: uniform samples stay inside everywhere about 95 % of the time
    rng = np.random.default_rng(1)
    inside = [
        np.all((e >= lower) & (e <= upper))
        for e in (
            np.searchsorted(np.sort(rng.uniform(size=200)), grid, side="right") / 200 for _ in range(400)
        )
    ]
    assert 0.92 <= np.mean(inside) <= 0.98
    # wider than a pointwise 95 % band: the half width at 1/2 exceeds 1.96 binomial sds
    assert upper[49] - grid[49] > 1.96 * np.sqrt(0.25 / 200)


def test_blackjax_window_adaptation_is_there_in_the_tested_releases():
    pytest.importorskip("blackjax")
    low, high = _compat.TESTED["blackjax"]
    base, build_schedule = window_adaptation()
    init, update, final = base(True, target_acceptance_rate=0.8)
    schedule = np.array(build_schedule(100))
    assert schedule.shape[0] == 100 and callable(init) and callable(update) and callable(final)
    from packaging.version import Version

    assert Version(low) <= Version(importlib.metadata.version("blackjax")) < Version(high)


def test_a_moved_upstream_name_is_reported_with_the_tested_releases(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def without_ecdf_utils(name, *args, **kwargs):
        if name == "arviz_stats.ecdf_utils":
            raise ImportError("no module named arviz_stats.ecdf_utils")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_ecdf_utils)
    with pytest.raises(_compat.UpstreamChanged, match=r"arviz-stats .* tested with arviz-stats >= 1.3"):
        ecdf_band(10, [0.5], 0.9)
