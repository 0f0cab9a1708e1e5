"""bayesq.stacked_joint: ``fit_joint(..., "auto")``, its StackedJointFit and per-search parts, save, load."""

import warnings

import numpy as np
import pytest
from conftest import SHORT, THRESHOLD, saved_once, searches

import bayesq
from bayesq import stacking
from bayesq.exceptions import InputError
from bayesq.joint import _candidates
from bayesq.pit import pit_test
from bayesq.stacked import StackedFit
from bayesq.stacked_joint import StackedJointFit, stack_joint


def _stacked_joint():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # short chains may fall short of ESS 400
        return bayesq.fit_joint(searches(), "auto", random_seed=2, **SHORT)


@pytest.fixture(scope="session")
def stacked_joint(tmp_path_factory, worker_id):
    """``fit_joint`` of the two simulated searches with ``thresholds="auto"`` (2 x 300 draws each)."""
    return saved_once(tmp_path_factory, worker_id, "stacked_joint", _stacked_joint)


def test_candidate_j_fits_every_auto_search_at_its_jth_candidate_and_the_others_as_given():
    s = searches()
    both, fallback = _candidates(s, "auto", ["a", "b"], True)
    assert len(both) == stacking.CANDIDATES and fallback is None  # (200 runs: one ladder)
    for name in s:
        expected = stacking.candidate_thresholds(s[name], True, distinct=False)
        assert [c[name] for c in both] == pytest.approx(expected)
    mixed, _ = _candidates(s, {"a": "auto", "b": THRESHOLD}, ["a"], True)
    assert [c["b"] for c in mixed] == [THRESHOLD] * stacking.CANDIDATES
    assert [c["a"] for c in mixed] == [c["a"] for c in both]


def test_the_joint_fallback_candidates_take_each_small_searchs_ladder_down_to_8_runs():
    s = dict(searches(), small=searches()["b"][:48])
    first, fallback = _candidates(s, {"a": "auto", "b": THRESHOLD, "small": "auto"}, ["a", "small"], True)
    assert [c["small"] for c in fallback] == pytest.approx(
        stacking.candidate_thresholds(s["small"], True, distinct=False, floor=8)
    )
    assert [c["a"] for c in fallback] == [c["a"] for c in first]  # (200 runs: its one ladder)
    assert [c["b"] for c in fallback] == [THRESHOLD] * stacking.CANDIDATES
    assert fallback[0] == first[0] and fallback[-1] != first[-1]


def test_a_joint_fit_whose_small_search_reaches_into_diverged_runs_stacks_the_fallback_candidates():
    from test_stacked import diverged

    s = {"a": searches()["a"], "small": diverged()}
    _, fallback = _candidates(s, "auto", ["a", "small"], True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        joint = bayesq.fit_joint(s, "auto", random_seed=2, **dict(SHORT, draws=200, tune=200))
    table = joint.idata.stacking
    assert np.allclose(table["threshold"].sel(search="small").values, [c["small"] for c in fallback])
    assert int(table["n_tail"].sel(search="small").values[-1]) == 8
    assert table["pit_pvalue"].values[0] < stacking.MIN_PIT_PVALUE and joint.weights[0] == 0.0


def test_the_stacked_joint_fit_weighs_joint_candidates_on_every_searchs_best_runs(stacked_joint):
    assert isinstance(stacked_joint, StackedJointFit) and stacked_joint.names == ["a", "b"]
    s = stacked_joint.idata.stacking
    w = stacked_joint.weights
    assert w.sum() == pytest.approx(1.0) and w.size == stacking.CANDIDATES
    highest = {n: float(s["threshold"].sel(search=n).values[-1]) for n in ("a", "b")}
    for name, scores in searches().items():  # the runs beyond each search's highest candidate, scored
        mine = s["top_search"].values == name
        assert np.array_equal(np.sort(s["top"].values[mine]), np.sort(scores[scores > highest[name]]))
        assert mine.sum() >= stacking.MIN_SCORED
    used = np.bincount(stacked_joint.draws("candidate").ravel(), minlength=w.size)
    assert np.allclose(used / stacked_joint.draws("candidate").size, w, atol=2 / SHORT["draws"])
    assert stacked_joint.draws("beta").shape[-1] == 2 and "gamma_tau" in stacked_joint.idata.posterior
    # a candidate's tail-PIT p-value is the worst of the scored searches'
    np.testing.assert_array_equal(s["pit_pvalue"].values, s["search_pit_pvalue"].min("search").values)
    favoured = int(np.argmax(w))
    assert stacked_joint.settings.data.thresholds == tuple(s["threshold"].values[favoured])
    # its diagnostics are the worst of the candidates that give it draws
    worst = max(stacked_joint.candidates[j].diagnostics().max_rhat for j in np.flatnonzero(used))
    assert stacked_joint.diagnostics().max_rhat == worst


def test_each_searchs_part_is_a_stacked_fit_with_the_joint_weights_and_paired_draws(stacked_joint):
    parts = stacked_joint.results
    for name, part in parts.items():
        assert isinstance(part, StackedFit)
        assert np.array_equal(part.weights, stacked_joint.weights)
        np.testing.assert_array_equal(
            part.draws("beta"), stacked_joint.idata.posterior["beta"].sel(search=name).values
        )
        np.testing.assert_array_equal(part.draws("candidate"), stacked_joint.draws("candidate"))
        table = part.thresholds()
        s = stacked_joint.idata.stacking
        assert np.allclose(table.index, s["threshold"].sel(search=name).values)
        mine = s["top_search"].values == name
        scored = np.isfinite(s["elpd"].values)
        assert np.allclose(table["elpd"][scored], s["elpd_i"].values[scored][:, mine].sum(axis=1))
        # each search's tail PIT p-value at each candidate, as the check computed it (stored, not redone)
        expected = [pit_test(c.result(name)).pvalue for c in stacked_joint.candidates]
        assert table["pit_pvalue"].to_numpy() == pytest.approx(expected, rel=1e-12)
    joint_table = stacked_joint.thresholds()
    assert joint_table.index.names == ["search", "threshold"] and len(joint_table) == 2 * stacking.CANDIDATES
    assert set(stacked_joint.threshold_share) == {"a", "b"}
    comparison = bayesq.compare(stacked_joint)  # the mixture's draws, paired across searches
    assert comparison.paired == "joint" and comparison.prob_better("b", "a") > 0.9  # beta 0.91 vs 0.90


def test_the_stacked_joint_fit_saves_and_loads_with_its_candidates(stacked_joint, tmp_path):
    path = stacked_joint.save(tmp_path / "joint_auto.nc")
    back = bayesq.load(path)
    assert isinstance(back, StackedJointFit)
    np.testing.assert_array_equal(back.weights, stacked_joint.weights)
    np.testing.assert_array_equal(back.draws("beta"), stacked_joint.draws("beta"))
    assert back.thresholds().equals(stacked_joint.thresholds())
    text = str(back)
    assert "thresholds stacked over 5 candidates" in text and "between thresholds: a " in text


def test_a_stacked_joint_fit_has_no_pointwise_log_likelihood_to_compare_models_by(stacked_joint):
    with pytest.raises(InputError, match="no pointwise log-likelihood"):
        stacked_joint.loo()
    with pytest.raises(InputError, match="log"):
        bayesq.compare_models({"auto": stacked_joint, "again": stacked_joint})


def test_its_prior_sensitivity_is_the_favoured_candidates_and_leaves_it_unchanged(stacked_joint):
    table = stacked_joint.prior_sensitivity(var_names=["beta"])
    assert list(table.index) == ["beta[a]", "beta[b]"]
    assert "log_likelihood" not in stacked_joint.idata[f"candidates/c{int(np.argmax(stacked_joint.weights))}"]


def test_stacking_joint_fits_refuses_what_it_cannot_stack(stacked_joint):
    with pytest.raises(InputError, match="empty"):
        stack_joint([], ["a"])
    with pytest.raises(InputError, match="scored"):
        stack_joint(stacked_joint.candidates, ["c"])


def test_a_search_at_a_given_threshold_has_no_scored_runs_and_no_leave_one_out_score(stacked_joint):
    """As with ``fit_joint(searches, {"a": "auto", "b": 0.85})``: only a's runs score the candidates."""
    idata = stacked_joint.idata.copy()
    s = idata.stacking.to_dataset()
    only_a = s.isel(top_run=np.flatnonzero(s["top_search"].values == "a"))
    idata["stacking"] = only_a.assign_coords(top_run=np.arange(only_a.sizes["top_run"]))
    b = StackedJointFit(idata).result("b")
    table = b.thresholds()
    assert table["elpd"].isna().all() and table["max_pareto_k"].isna().all()
    assert b.idata.stacking.sizes["top_run"] == 0
    assert np.array_equal(b.weights, stacked_joint.weights)
