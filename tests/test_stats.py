"""bayesq.stats: the NumPy-level distribution computes each tail from the side that is accurate, and
only the integrals it needs."""

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from conftest import spread_points

from bayesq import logdensity as ld
from bayesq import stats
from bayesq.stats import noisy_quadratic


@pytest.mark.parametrize("maximize", [True, False])
@pytest.mark.parametrize("name", ["logcdf", "logsf"])
def test_tails_equal_the_full_functions_on_both_sides_of_the_median(name, maximize):
    y, a, b, g, s = spread_points(3000, seed=8)
    inputs = [pt.dvector(v) for v in "yabgs"]
    full = getattr(ld, f"noisy_quadratic_{name}")(*inputs, maximize)
    want = pytensor.function(inputs, full)(y, a, b, g, s)
    got = getattr(noisy_quadratic(a, b, g, s, maximize=maximize), name)(y)
    # the same integrals, compiled apart: equal to rounding (their accuracy is 5e-11, docs/theory.md)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert 0.2 < np.mean(want < -np.log(2)) < 0.8  # both sides of the median are tried


def test_each_side_is_integrated_only_where_it_is_needed(monkeypatch):
    calls = []
    direct = stats._compiled_direct

    def counted(side, maximize):
        f = direct(side, maximize)
        return lambda *xs: calls.append((side, xs[0].size)) or f(*xs)

    monkeypatch.setattr(stats, "_compiled_direct", counted)
    dist = noisy_quadratic(0.8, 0.9, 2.0, 0.004)
    far = np.linspace(0.895, 0.92, 50)  # beyond the median: P(Y > y) < 1/2, its own integral alone
    dist.logsf(far)
    assert calls == [("sf", 50)]
    calls.clear()
    dist.logsf(np.linspace(0.75, 0.84, 50))  # before it: the CDF's integral decides
    assert calls == [("cdf", 50)]
