"""bayesq.single: fit(), from the scores to a result; samplers agree, units transform, bad input is named."""

import json
import sys
import warnings

import numpy as np
import pytest
from conftest import SHORT, SIM_SPEC, THRESHOLD

import bayesq
from bayesq import fit
from bayesq.model import PARAMETERS, prepare_scores
from bayesq.results import FitResult
from bayesq.samplers import TARGET_ACCEPT, available_samplers
from bayesq.samplers.nutpie import _program as nutpie_program
from bayesq.settings import Settings
from bayesq.simulate import simulate_random_search

SIM = simulate_random_search(**SIM_SPEC)


@pytest.fixture(scope="module")
def result(short_fit):
    return short_fit


def test_result_holds_the_posterior_the_data_and_the_settings(result):
    idata = result.idata
    for group in ("posterior", "sample_stats", "log_likelihood", "observed_data"):
        assert group in idata
    for name in (*PARAMETERS, "tail_mass", "log_beta_gap", "log_sigma"):
        assert idata.posterior[name].shape == (2, 300)
    n_tail = int(np.sum(SIM.scores > THRESHOLD))
    assert idata.log_likelihood["tail"].shape == (2, 300, n_tail)
    assert idata.log_likelihood["censored"].shape == (2, 300, SIM.scores.size - n_tail)
    np.testing.assert_array_equal(np.sort(result.scores), np.sort(SIM.scores))
    # the settings, written in the posterior's attributes with their schema
    s = result.settings
    assert (
        s == Settings.from_attrs(idata.posterior.attrs)
        and json.loads(idata.posterior.attrs["bayesq"])["schema"]
    )
    assert (s.kind, s.data.threshold, s.model.maximize, s.data.n_tail) == (
        "single",
        THRESHOLD,
        True,
        (n_tail,),
    )
    assert s.sampler.sampler in available_samplers() and s.model.priors.gamma_median == 2.0
    assert s.sampler.target_accept == TARGET_ACCEPT  # the default
    assert s.sampler.max_tree_depth is None  # the sampler's own
    # what pm.sample records, whichever sampler drew the posterior
    assert idata.posterior.attrs["tuning_steps"] == 300 and idata.posterior.attrs["sampling_time"] > 0
    # the truth is well inside the (wide) posterior of a short run
    for name, value in SIM.tail_truth.items():
        lo, hi = np.quantile(result.draws(name), [0.005, 0.995])
        assert lo < value < hi, name


@pytest.mark.parametrize(
    ("sampler", "options"),
    [("pymc", {}), ("nutpie", {"backend": "jax"}), ("numpyro", {}), ("blackjax", {})],
)
def test_every_sampler_gives_the_same_posterior(sampler, options, result):
    """Posterior means within 3 combined Monte Carlo standard errors of the reference fit
    (nutpie's cached Numba program; here nutpie's JAX backend and the other samplers), each drawn
    by the sampler asked for (PyMC 6 would hand "pymc" to nutpie, which is installed)."""
    if sampler not in available_samplers():
        pytest.skip(f"{sampler} not installed")
    assert (result.settings["sampler"], result.settings.get("backend")) == ("nutpie", "numba")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        other = fit(SIM.scores, THRESHOLD, sampler=sampler, random_seed=7, **SHORT, **options)
    assert other.settings["sampler"] == sampler
    assert other.settings.get("backend") == options.get("backend")
    assert other.idata.posterior.attrs["tuning_steps"] == SHORT["tune"]
    assert other.idata.posterior.attrs["sampling_time"] > 0
    stats = set(other.idata.sample_stats.data_vars)
    # nutpie's own statistics (its depth flag, its divergence messages) only where nutpie sampled
    assert ("maxdepth_reached" in stats) == (sampler == "nutpie"), stats
    names = ["beta", "gamma", "log_sigma", "tail_mass"]
    ref, new = (r.summary(var_names=names, round_to="none") for r in (result, other))
    for name in names:
        z = abs(ref.loc[name, "mean"] - new.loc[name, "mean"]) / np.hypot(
            ref.loc[name, "mcse_mean"], new.loc[name, "mcse_mean"]
        )
        assert z < 3, (name, ref.loc[name, "mean"], new.loc[name, "mean"])


def test_fitting_rescaled_scores_gives_the_rescaled_posterior(result):
    """c y + e: alpha, beta, sigma transform with the scores, gamma is unchanged
    (here with the priors' unit fixed at c times the tail's spread of y)."""
    c, e = 100.0, -50.0
    unit = c * result.settings["tail_spread"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        other = fit(c * SIM.scores + e, c * THRESHOLD + e, spread=unit, random_seed=3, **SHORT)
    assert other.settings["fixed_spread"] and not result.settings["fixed_spread"]
    assert other.settings["tail_spread"] == unit
    for name, transform in (
        ("alpha", lambda v: c * v + e),
        ("beta", lambda v: c * v + e),
        ("sigma", lambda v: c * v),
        ("gamma", lambda v: v),
    ):
        ref, new = transform(result.draws(name).ravel()), other.draws(name).ravel()
        se = np.hypot(*(np.std(x) / np.sqrt(150) for x in (ref, new)))  # ESS >= 150 for these runs
        assert abs(ref.mean() - new.mean()) < 4 * se, name
        np.testing.assert_allclose(
            np.quantile(new, [0.1, 0.9]), np.quantile(ref, [0.1, 0.9]), atol=4 * se + 1e-12 * abs(e)
        )


def test_later_fits_reuse_the_compiled_program():
    """nutpie's program is compiled once per setting and fed each search's data: a fit of
    other scores (other length, ties) finds it in the cache."""
    short = dict(SHORT, draws=50, tune=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        first = fit(SIM.scores, THRESHOLD, random_seed=1, **short)
        hits, misses = nutpie_program.cache_info()[:2]
        other = fit(np.round(SIM.scores[:150], 3), THRESHOLD, random_seed=1, **short)
    assert nutpie_program.cache_info()[:2] == (hits + 1, misses)
    assert first.settings["backend"] == other.settings["backend"] == "numba"
    assert other.settings["n_scores"] == 150


def test_a_reversed_search_is_an_error_unless_the_direction_is_stated():
    from bayesq.exceptions import DirectionError
    from bayesq.single import DIRECTION_REACH, check_direction

    # read the wrong way round, the failed runs (accuracy 0) make the tail: refused, with the way out
    search = simulate_random_search(n=512, failure_score=0.0, random_seed=3)
    reversed_ = prepare_scores(search.scores, 0.85, maximize=False)
    with pytest.raises(DirectionError, match="data suggest that higher scores are better") as err:
        check_direction(reversed_, stated=False)
    assert "pass maximize=True" in str(err.value) and "confirm it with maximize=False" in str(err.value)
    assert "--maximize" in err.value.cli and "--minimize" in err.value.cli
    check_direction(reversed_, stated=True)  # the user said so: fitted as told
    check_direction(prepare_scores(search.scores, 0.85), stated=False)
    # the right way round, a gamma-4 quadratic cut at its median reaches further on its good
    # side than on its bad side, as the quadratic does (2.4x without noise): not refused
    steep = simulate_random_search(
        n=1024, alpha=0.8, beta=0.9, gamma=4, sigma=0.002, failure_rate=0.0, random_seed=1066
    ).scores
    t = float(np.median(steep))
    reach = np.max(steep - t) / np.max(t - steep)
    assert 1 < reach < DIRECTION_REACH
    check_direction(prepare_scores(steep, t), stated=False)


def test_fit_names_the_keyword_of_a_bad_argument():
    with pytest.raises(TypeError, match="maximize must be True or False, got 'no'"):
        fit(SIM.scores, THRESHOLD, maximize="no")
    with pytest.raises(ValueError, match="target_accept must lie strictly between 0 and 1"):
        fit(SIM.scores, THRESHOLD, target_accept=1.5)
    with pytest.raises(ValueError, match="unknown sampler 'stan'"):
        fit(SIM.scores, THRESHOLD, sampler="stan")
    with pytest.raises(ValueError, match="extract applies to JSONL files"):
        fit(SIM.scores, THRESHOLD, extract="best_matched")


def test_minimization_fits_losses():
    losses = 1.0 - SIM.scores
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = fit(losses, 1.0 - THRESHOLD, maximize=False, random_seed=3, **SHORT)
    best = res.draws("alpha").ravel()  # the best loss is alpha
    lo, hi = np.quantile(best, [0.005, 0.995])
    assert lo < 1.0 - SIM.beta < hi
    assert res.best_score().estimate == pytest.approx(np.median(best))


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"all 3 runs failed"):
        fit([np.nan, np.inf, -np.inf], THRESHOLD)
    with pytest.raises(ValueError, match=r"only 0 of 200 scores lie above the threshold 2\.0"):
        fit(SIM.scores, 2.0)
    with pytest.raises(ValueError, match="all equal"):
        fit(np.r_[np.full(20, 0.9), np.zeros(5)], 0.5)
    with pytest.raises(ValueError, match="unknown sampler 'stan'"):
        fit(SIM.scores, THRESHOLD, sampler="stan")
    with pytest.raises(ValueError, match="draws must be an integer >= 1"):
        fit(SIM.scores, THRESHOLD, draws=0)
    with pytest.raises(ValueError, match="target_accept"):
        fit(SIM.scores, THRESHOLD, target_accept=1.5)
    with pytest.raises(ValueError, match=r"spread \(the priors' unit\) must be finite and positive"):
        fit(SIM.scores, THRESHOLD, spread=0.0)


def test_a_reversed_direction_is_refused_before_sampling_unless_stated(monkeypatch):
    """Losses fitted as if higher were better: the tail is the long bad side."""
    from bayesq.exceptions import DirectionError

    class Sampled(Exception):
        pass

    def stop(*args, **kwargs):
        raise Sampled

    monkeypatch.setattr(sys.modules["bayesq.single"], "sample_until", stop)  # the check comes before sampling
    losses = 1.0 - SIM.scores  # good runs have small losses; failures have large ones
    with pytest.raises(DirectionError, match="If so, pass maximize=False"):
        fit(losses, np.quantile(losses, 0.5))
    with pytest.raises(Sampled):  # stated: fitted as told
        fit(losses, np.quantile(losses, 0.5), maximize=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the right direction: no warning
        with pytest.raises(Sampled):
            fit(SIM.scores, THRESHOLD)


def test_jsonl_input_with_named_extraction(tmp_path):
    path = tmp_path / "runs.jsonl"
    with path.open("w") as f:
        for score in SIM.scores:
            f.write(json.dumps({"learning_curve": [{"top_1": 0.1}, {"top_1": float(score)}]}) + "\n")
    scores = bayesq.data.read_scores(path, extract="best_top_1")
    np.testing.assert_array_equal(scores, SIM.scores)


def test_arviz_1_takes_the_fit_as_it_is(result, tmp_path):
    """The result is an xarray.DataTree that ArviZ 1's statistics and plots (arviz-plots) read."""
    import arviz as az
    import matplotlib
    import xarray as xr

    from bayesq.comparison import _single_loglik

    matplotlib.use("Agg")
    result = FitResult(result.idata.copy(), model=result.model)  # not the shared fixture: log_prior is added
    idata = result.idata
    assert isinstance(idata, xr.DataTree)
    assert {"posterior", "sample_stats", "log_likelihood", "observed_data"} <= set(idata.children)
    assert "bayesq" in idata.posterior.attrs
    table = az.summary(idata, var_names=["beta"], ci_prob=0.9, ci_kind="hdi")
    assert table.loc["beta", "ess_bulk"] > 100
    loo = az.loo(_single_loglik(idata), var_name="scores")
    assert np.isfinite(loo.elpd) and loo.n_data_points == SIM_SPEC["n"]
    result.prior_sensitivity()  # adds the log_prior group that power-scaling reads
    assert float(az.psense(idata, var_names=["beta"])["beta"]) >= 0
    for plot in (az.plot_dist(idata, var_names=["beta"]), az.plot_trace_dist(idata, var_names=["beta"])):
        plot.savefig(tmp_path / "plot.png")
        assert (tmp_path / "plot.png").stat().st_size > 1000


def test_a_fit_with_a_lowered_tree_depth_records_it_and_keeps_to_it():
    if "nutpie" not in available_samplers():
        pytest.skip("nutpie not installed")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        capped = fit(
            SIM.scores, THRESHOLD, sampler="nutpie", backend="jax", max_tree_depth=2, random_seed=5, **SHORT
        )
    # (a short run may warn of R-hat or ESS)
    assert not [w for w in caught if "hit the maximum tree depth" in str(w.message)]
    assert capped.settings["max_tree_depth"] == 2
    stats = capped.idata.sample_stats
    assert stats["n_steps"].values.max() <= 3  # 2**2 - 1 leapfrog steps
    d = capped.diagnostics()
    assert d.depth_capped and d.max_tree_depth_hits > 0
    assert not any("hit the maximum tree depth" in problem for problem in d.problems())
