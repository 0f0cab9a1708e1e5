"""bayesq.frequentist: opda's analysis of the same search, and its point fit made beside other work."""

import concurrent.futures

import numpy as np
import pytest

from bayesq import frequentist
from bayesq.simulate import simulate_random_search


@pytest.fixture
def search():
    sim = simulate_random_search(n=120, alpha=0.80, beta=0.90, gamma=2.0, sigma=0.004, random_seed=11)
    return sim.scores, 0.85


def _parameters(fit):
    return np.array([fit.a, fit.b, fit.c, fit.o])


def test_a_point_fit_started_in_its_own_process_is_the_fit_made_here(search, monkeypatch):
    monkeypatch.setattr(frequentist, "_FITS", {})
    monkeypatch.setattr(frequentist.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    scores, threshold = search
    assert frequentist.start_point_fit(scores, threshold)
    assert not frequentist.start_point_fit(scores[::-1], threshold)  # the same data: already started
    (pending,) = frequentist._FITS.values()
    assert isinstance(pending, concurrent.futures.Future)
    there = frequentist.point_fit(scores, threshold)
    assert frequentist.point_fit(scores, threshold) is there  # kept
    here = frequentist._point_fit(*frequentist._fit_key(scores, threshold, True, None))
    np.testing.assert_array_equal(_parameters(there), _parameters(here))  # seeded: the same fit


def test_nothing_is_started_on_one_core(search, monkeypatch):
    monkeypatch.setattr(frequentist, "_FITS", {})
    monkeypatch.setattr(frequentist.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert not frequentist.start_point_fit(*search)
    assert frequentist._FITS == {}


def test_a_helper_that_failed_leaves_the_fit_to_this_process(search, monkeypatch):
    scores, threshold = search
    failed = concurrent.futures.Future()
    failed.set_exception(concurrent.futures.process.BrokenProcessPool("the helper died"))
    key = frequentist._fit_key(scores, threshold, True, None)
    monkeypatch.setattr(frequentist, "_FITS", {key: failed})
    fit = frequentist.point_fit(scores, threshold)
    assert 0.88 < fit.b < 0.92 and frequentist._FITS[key] is fit
