"""The tail's PIT: uniform under a fitting model, far from it when the threshold reaches into the bulk."""

import numpy as np

from bayesq import pit


def test_tail_pit_is_uniform_under_a_fitting_model(short_fit):
    u = pit.tail_pit(short_fit)
    assert u.size == short_fit.settings["n_tail"] and np.all(np.diff(u) >= 0)
    assert np.all((u > 0) & (u < 1))
    # ~90 tail scores of a correctly specified model: within KS's 1 % critical distance (~0.17)
    assert np.max(np.abs(u - (np.arange(1, u.size + 1) - 0.5) / u.size)) < 0.2
    test = pit.pit_test(short_fit)
    assert test.statistic == np.max(
        np.maximum(np.arange(1, u.size + 1) / u.size - u, u - np.arange(u.size) / u.size)
    )
    assert test.pvalue > 0.05
