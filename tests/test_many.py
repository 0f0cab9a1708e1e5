"""bayesq.fit_many: one fit per search, here or on an executor (a real Dask cluster), errors kept apart."""

import concurrent.futures
import warnings

import numpy as np
import pandas as pd
import pytest

import bayesq
from bayesq.exceptions import InputError
from bayesq.simulate import simulate_random_search

THRESHOLD = 0.85
SHORT = dict(draws=200, tune=200, chains=2, extend=False, random_seed=1)
SEARCHES = {f"seed {s}": simulate_random_search(n=200, random_seed=s).scores for s in (0, 1)}
BROKEN = [0.5, 0.6, np.nan]  # no score above the threshold


def compilations() -> int:
    """How many times this process compiled the model's program (nutpie's, one per setting)."""
    from bayesq.samplers import nutpie

    return nutpie._program.cache_info().misses


def same_draws(a, b) -> bool:
    return all(np.array_equal(a.draws(name), b.draws(name)) for name in ("alpha", "beta", "gamma", "sigma"))


@pytest.fixture(scope="module")
def alone():
    """``bayesq.fit`` of each search with the same arguments, in this process."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {name: bayesq.fit(scores, THRESHOLD, quiet=True, **SHORT) for name, scores in SEARCHES.items()}


def test_in_this_process_each_search_gets_the_draws_of_its_own_fit(alone):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fits = bayesq.fit_many(
            {**SEARCHES, "broken": BROKEN}, THRESHOLD, errors="collect", progressbar=False, **SHORT
        )
    assert list(fits) == [*SEARCHES, "broken"]
    assert all(same_draws(fits[name], alone[name]) for name in SEARCHES)
    assert isinstance(fits["broken"], InputError) and "only 0 of 3 scores" in str(fits["broken"])
    # each fit's warnings are issued by fit_many, named by search
    assert any(str(w.message).startswith("search 'seed 0': bayesq.fit:") for w in caught)


def test_a_broken_search_raises_by_default_naming_it():
    with pytest.raises(InputError, match="only 0 of 3 scores") as info:
        bayesq.fit_many({"broken": BROKEN, **SEARCHES}, THRESHOLD, progressbar=False, **SHORT)
    assert "(bayesq: the search 'broken')" in info.value.__notes__


def test_thresholds_by_name_and_searches_grouped_in_one_frame(alone):
    frame = pd.concat(
        [pd.DataFrame({"model": name, "accuracy": scores}) for name, scores in SEARCHES.items()],
        ignore_index=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fits = bayesq.fit_many(
            frame,
            {name: THRESHOLD for name in SEARCHES},
            group="model",
            column="accuracy",
            progressbar=False,
            **SHORT,
        )
    assert all(same_draws(fits[name], alone[name]) for name in SEARCHES)
    with pytest.raises(InputError, match=r"threshold gives none for 'seed 1'"):
        bayesq.fit_many(SEARCHES, {"seed 0": THRESHOLD}, progressbar=False)
    with pytest.raises(InputError, match="no group column 'arch'"):
        bayesq.fit_many(frame, THRESHOLD, group="arch", progressbar=False)
    with pytest.raises(InputError, match="errors must be one of raise, collect"):
        bayesq.fit_many(SEARCHES, THRESHOLD, errors="ignore")
    with pytest.raises(InputError, match="non-empty mapping"):
        bayesq.fit_many({}, THRESHOLD)


def test_the_callers_keys_are_kept_and_a_frame_needs_a_group_for_every_run():
    scores = SEARCHES["seed 0"]
    fits = bayesq.fit_many(
        {1: BROKEN, "1": BROKEN}, {1: THRESHOLD, "1": THRESHOLD}, errors="collect", progressbar=False
    )
    assert list(fits) == [1, "1"] and all(isinstance(f, InputError) for f in fits.values())
    frame = pd.DataFrame({"model": ["a"] * 150 + [None] * 50, "accuracy": scores})
    with pytest.raises(InputError, match="50 runs have no group"):
        bayesq.fit_many(frame, THRESHOLD, group="model", column="accuracy", progressbar=False)


def test_any_executor_runs_them(alone):
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fits = bayesq.fit_many(SEARCHES, THRESHOLD, executor=pool, progressbar=False, **SHORT)
    assert all(same_draws(fits[name], alone[name]) for name in SEARCHES)


def test_a_dask_cluster_of_two_worker_processes_gives_the_same_draws_and_keeps_a_broken_search_apart(alone):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", RuntimeWarning)
        searches = {**SEARCHES, "broken": BROKEN}
        fits = bayesq.fit_many(
            searches, THRESHOLD, executor=client.get_executor(), errors="collect", progressbar=False, **SHORT
        )
        workers = client.run(lambda: __import__("os").getpid())
        compiled = client.run(compilations)
    assert len(workers) == 2
    assert sum(compiled.values()) <= 2 and max(compiled.values()) == 1  # once per worker, not per fit
    assert list(fits) == list(searches)
    assert all(same_draws(fits[name], alone[name]) for name in SEARCHES)
    assert isinstance(fits["broken"], InputError)
    assert fits["seed 0"].model is not None  # the model, left behind by the pickle, is rebuilt here


def test_auto_thresholds_stack_each_search_as_fit_does():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        thresholds = {"seed 0": "auto", "seed 1": THRESHOLD}
        fits = bayesq.fit_many(SEARCHES, threshold=thresholds, quiet=True, **SHORT)
        alone = bayesq.fit(SEARCHES["seed 0"], "auto", quiet=True, **SHORT)
    assert type(fits["seed 0"]).__name__ == "StackedFit" and type(fits["seed 1"]).__name__ == "FitResult"
    assert same_draws(fits["seed 0"], alone)
    assert np.array_equal(fits["seed 0"].weights, alone.weights)
