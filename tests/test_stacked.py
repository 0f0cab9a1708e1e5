"""bayesq.stacked: ``bayesq.fit(..., threshold="auto")``, its StackedFit, save and load, report and plot."""

import types
import warnings

import numpy as np
import pytest
import xarray as xr
from conftest import SHORT, SIM_SPEC

from bayesq import stacked as stacked_module
from bayesq import stacking
from bayesq.exceptions import InputError


# -- bayesq.fit(threshold="auto") ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stacked():
    import bayesq
    from bayesq.simulate import simulate_random_search

    scores = simulate_random_search(**SIM_SPEC).scores
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return bayesq.fit(scores, "auto", random_seed=3, **SHORT)


def test_auto_fits_every_candidate_and_mixes_them_by_weight(stacked):
    table = stacked.thresholds()
    scores = stacked.candidates[0].scores
    assert np.allclose(table.index, stacking.candidate_thresholds(scores))
    assert table["weight"].sum() == pytest.approx(1.0)
    assert list(table["n_tail"]) == [int(np.sum(scores > t)) for t in table.index]
    favoured = int(np.argmax(table["weight"]))
    assert stacked.threshold == table.index[favoured]
    used = np.bincount(stacked.draws("candidate").ravel(), minlength=len(table)) / stacked.draws("beta").size
    assert np.allclose(used, table["weight"], atol=2 / SHORT["draws"])
    assert 0.0 <= stacked.threshold_share <= 1.0
    best = stacked.best_score()
    assert table["best_lower"].min() <= best.lower <= best.upper <= table["best_upper"].max()


def test_a_stacked_fit_reports_its_candidates_and_the_worst_diagnostics(stacked):
    text = str(stacked)
    assert "stacked over" in text and "share of the best score's variance" in text
    worst = stacked.diagnostics()
    each = [c.diagnostics() for c, w in zip(stacked.candidates, stacked.weights, strict=True) if w > 0]
    assert worst.max_rhat == max(d.max_rhat for d in each)
    assert worst.min_ess_bulk == min(d.min_ess_bulk for d in each)
    assert "r_hat" not in stacked.summary().columns  # the mixture's draws are no chain of one sampler
    favoured = stacked.favoured
    assert favoured.threshold == stacked.threshold
    assert stacked.model.named_vars.keys() == favoured.model.named_vars.keys()
    table = stacked.prior_sensitivity()
    assert list(table.index) == ["alpha", "beta", "gamma", "sigma"]


def test_a_stacked_fit_saves_and_loads_with_its_candidates(stacked, tmp_path):
    import bayesq

    groups = set(stacked.idata.groups)
    stacked.prior_sensitivity()  # on a copy of the favoured candidate: nothing is added to the fit
    assert set(stacked.idata.groups) == groups
    again = bayesq.load(stacked.save(tmp_path / "fit.nc"))
    assert type(again).__name__ == "StackedFit"
    assert again.settings == stacked.settings
    assert np.array_equal(again.draws("beta"), stacked.draws("beta"))
    assert np.array_equal(again.weights, stacked.weights)
    assert np.array_equal(again.candidates[-1].draws("gamma"), stacked.candidates[-1].draws("gamma"))


def test_the_checksum_covers_the_candidates_settings(stacked, tmp_path):
    import bayesq
    from bayesq.exceptions import SavedFitError

    path = stacked.save(tmp_path / "fit.nc")
    tree = xr.load_datatree(path, engine="h5netcdf")
    node = tree["candidates/c0/posterior"]
    node.attrs["bayesq"] = node.attrs["bayesq"].replace('"thresholds": [', '"thresholds": [1')
    tree.to_netcdf(tmp_path / "edited.nc", engine="h5netcdf")
    with pytest.raises(SavedFitError, match="corrupted"):
        bayesq.load(tmp_path / "edited.nc")


def test_model_comparison_and_stacking_refuse_what_they_cannot_use(stacked):
    import bayesq

    with pytest.raises(InputError, match=r"models 'auto', 'fixed': no pointwise log-likelihood"):
        bayesq.compare_models({"auto": stacked, "fixed": stacked.candidates[0]})
    with pytest.raises(InputError, match="fits is empty"):
        stacked_module.stack([])
    first = stacked.candidates[0]

    class Reversed:  # the same scores, read the other way round
        maximize = not first.maximize
        scores = first.scores

    with pytest.raises(InputError, match="same scores in the same direction"):
        stacked_module.stack([first, Reversed()])


def test_a_threshold_that_is_neither_a_number_nor_auto_is_refused():
    import bayesq

    with pytest.raises(InputError, match="threshold"):
        bayesq.fit(np.arange(100.0), "best", **SHORT)


def test_the_plot_shows_each_candidates_interval_and_weight_and_the_stacked_interval(stacked):
    import matplotlib.pyplot as plt

    from bayesq.plots import plot_stacking

    axes = plot_stacking(stacked)
    heights = [bar.get_height() for bar in axes[1].patches]
    assert np.allclose(heights, stacked.weights)
    best = stacked.best_score(ci=0.9)
    span = axes[0].patches[0]  # the stacked interval, shaded across
    assert np.allclose([span.get_y(), span.get_y() + span.get_height()], [best.lower, best.upper])
    plt.close("all")


def _constant_posterior():
    values = {"alpha": 0.8, "beta": 0.9, "gamma": 2.0, "sigma": 0.004}
    return xr.Dataset(
        {n: (("chain", "draw"), np.full((2, 100), v)) for n, v in values.items()},
        coords={"chain": np.arange(2), "draw": np.arange(100)},
    )


class _Candidate:
    """What :func:`bayesq.stacked.weigh` reads of a fit: its draws and its R-hat."""

    def __init__(self, posterior, rhat=1.0):
        self.idata = xr.DataTree.from_dict({"posterior": posterior})
        self.rhat = rhat

    def diagnostics(self):
        return types.SimpleNamespace(max_rhat=self.rhat)


def _moving_posterior(seed, shift=0.0):
    rng = np.random.default_rng(seed)
    values = {"alpha": 0.8, "beta": 0.9 + shift, "gamma": 2.0, "sigma": 0.004}
    return xr.Dataset(
        {n: (("chain", "draw"), v * (1 + 0.002 * rng.standard_normal((2, 200)))) for n, v in values.items()},
        coords={"chain": np.arange(2), "draw": np.arange(200)},
    )


def test_candidates_that_cannot_be_scored_disagree_or_misfit_their_tail_get_no_weight():
    from bayesq.stacking import MIN_PIT_PVALUE, candidate_elpd

    top = np.array([0.885, 0.89, 0.895, 0.9, 0.891, 0.887, 0.893, 0.898])
    fits = [
        _Candidate(_constant_posterior()),  # constant draws: PSIS cannot smooth them
        _Candidate(_moving_posterior(1), rhat=1.2),  # chains that disagree
        _Candidate(_moving_posterior(2)),  # its tail's PIT rejects (below)
        _Candidate(_moving_posterior(3)),
        _Candidate(_moving_posterior(4, shift=0.001)),
    ]
    pvalues = [0.5, 0.5, MIN_PIT_PVALUE / 2, 0.5, 0.5]
    weights, numbers = stacked_module.weigh(
        fits,
        lambda f: candidate_elpd(f.idata.posterior, top, 0.88, True),
        lambda f: pvalues[fits.index(f)],
        random_seed=0,
    )
    assert weights[:3].tolist() == [0.0, 0.0, 0.0] and weights.sum() == pytest.approx(1.0)
    assert np.isnan(numbers["elpd"][:3]).all() and np.isfinite(numbers["elpd"][3:]).all()
    assert numbers["max_rhat"].tolist() == [1.0, 1.2, 1.0, 1.0, 1.0]
    assert numbers["pit_pvalue"].tolist() == pvalues
    assert numbers["elpd_i"].shape == numbers["pareto_k"].shape == (5, top.size)
    # when every candidate fails a check, all are considered (the fit warns of what failed)
    weights, _ = stacked_module.weigh(
        fits[3:],
        lambda f: candidate_elpd(f.idata.posterior, top, 0.88, True),
        lambda f: 0.0,
        random_seed=0,
    )
    assert weights.sum() == pytest.approx(1.0)


# -- which ladder is fitted ------------------------------------------------------------------------------
def test_the_fallback_ladder_is_fitted_only_where_the_pit_rejects_a_candidate_and_shared_ones_once():
    from bayesq.stacking import MIN_PIT_PVALUE

    first, fallback = [0.1, 0.2, 0.3], [0.1, 0.25, 0.35]
    fitted = []

    def fit_at(c):
        fitted.append(c)
        return types.SimpleNamespace(threshold=c)

    pvalues = {0.1: 0.5, 0.2: 0.5, 0.3: 0.5}
    fits = stacked_module.fit_candidates(first, fallback, fit_at, lambda f: pvalues[f.threshold])
    assert [f.threshold for f in fits] == first and fitted == first
    fitted.clear()
    pvalues[0.1] = MIN_PIT_PVALUE / 2  # the lowest reaches into the bulk
    said = []
    fits = stacked_module.fit_candidates(
        first, fallback, fit_at, lambda f: pvalues.get(f.threshold, 0.5), said.append
    )
    assert [f.threshold for f in fits] == fallback and fitted == [*first, 0.25, 0.35]
    assert said == [
        "the tail PIT rejects candidate 1 of 3 (p < 0.01): fitting the candidates of the ladder down to "
        "8 runs instead (bayesq.stacking.candidate_ladders)"
    ]
    fitted.clear()
    fits = stacked_module.fit_candidates(first, None, fit_at, lambda f: 0.0)  # no other ladder
    assert [f.threshold for f in fits] == first
    # a joint fit's candidates are mappings {search: threshold}
    joint = [{"a": 0.1, "b": 0.5}, {"a": 0.2, "b": 0.5}]
    fits = stacked_module.fit_candidates(joint, [joint[0], {"a": 0.3, "b": 0.5}], fit_at, lambda f: 0.0)
    assert [f.threshold for f in fits] == [joint[0], {"a": 0.3, "b": 0.5}]
    assert fitted[-3:] == [*joint, {"a": 0.3, "b": 0.5}]


def diverged(n=48):
    """A small simulated search half of whose runs diverged (0.001 and 0, as AlexNet's do)."""
    from bayesq.simulate import simulate_random_search

    scores = np.sort(simulate_random_search(**dict(SIM_SPEC, n=n)).scores)
    scores[: n // 2] = np.r_[np.zeros(n // 6), np.full(n // 2 - n // 6, 0.001)]
    return scores


def test_a_small_search_whose_ladder_reaches_into_diverged_runs_stacks_the_ladder_down_to_8_runs():
    import bayesq

    scores = diverged()
    first, fallback = stacking.candidate_ladders(scores)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = bayesq.fit(scores, "auto", random_seed=3, **SHORT)
    table = result.thresholds()
    assert int(np.sum(scores > first[-1])) == 16  # the first ladder stops at 16 runs ...
    assert np.allclose(table.index, fallback) and table["n_tail"].iloc[-1] == 8  # ... the fitted one at 8
    lowest = table.iloc[0]  # the candidate that takes in the diverged runs at 0.001
    assert lowest["n_tail"] > 24 and lowest["pit_pvalue"] < stacking.MIN_PIT_PVALUE
    assert lowest["weight"] == 0.0 and table["weight"].sum() == pytest.approx(1.0)


def test_draws_whose_tail_the_pit_rejects_are_found_hopeless_for_every_scored_search():
    from bayesq.stats import noisy_quadratic

    truth = dict(alpha=0.80, beta=0.90, gamma=2.0, sigma=0.004)
    tail = np.sort(noisy_quadratic(**truth).rvs(400, random_state=0))
    tail = tail[tail > 0.87]
    bent = np.r_[np.full(tail.size, 0.001), tail]  # a threshold that takes in as many diverged runs

    def draws(search=None):
        shape = (2, 50) if search is None else (2, 50, search)
        dims = ["chain", "draw"] if search is None else ["chain", "draw", "search"]
        return xr.DataTree.from_dict(
            {"posterior": xr.Dataset({n: (dims, np.full(shape, v)) for n, v in truth.items()})}
        )

    good = stacked_module.misfit_draws([(None, tail, 0.87)], maximize=True)
    bad = stacked_module.misfit_draws([(None, bent, 0.0005)], maximize=True)
    assert not good(draws()) and bad(draws())
    joint = stacked_module.misfit_draws([(0, tail, 0.87), (1, bent, 0.0005)], maximize=True)
    assert joint(draws(2)) and not stacked_module.misfit_draws([(0, tail, 0.87)], True)(draws(2))


def test_the_hopeless_check_of_a_fits_draws_is_the_pit_check_that_weighs_it(short_fit, joint_fit):
    from bayesq.pit import pit_test
    from bayesq.stacking import MIN_PIT_PVALUE

    for fit, parts in [
        (short_fit, [(None, short_fit.idata.observed_data["tail"].values, short_fit.threshold)]),
        *[
            (joint_fit.result(name), [(j, joint_fit.result(name).idata.observed_data["tail"].values, t)])
            for j, (name, t) in enumerate(
                zip(joint_fit.names, joint_fit.settings.data.thresholds, strict=True)
            )
        ],
    ]:
        pvalue = pit_test(fit).pvalue
        for level in (pvalue * 0.99, pvalue * 1.01):  # either side of the fit's own p-value
            with pytest.MonkeyPatch.context() as m:
                m.setattr(stacked_module, "MIN_PIT_PVALUE", level)
                source = joint_fit if parts[0][0] is not None else fit
                assert stacked_module.misfit_draws(parts, fit.maximize)(source.idata) == (pvalue < level)
    assert MIN_PIT_PVALUE == stacked_module.MIN_PIT_PVALUE
