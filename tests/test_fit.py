"""bayesq.fit: the posterior, its InferenceData, the samplers, units, persistence and errors."""

import json
import sys
import warnings

import numpy as np
import pytest
from conftest import SHORT, SIM_SPEC, THRESHOLD, assert_same_log_density
from scipy import stats

import bayesq
from bayesq.fit import (
    PARAMETERS,
    TARGET_ACCEPT,
    Diagnostics,
    _loglik_function,
    _nutpie_program,
    available_samplers,
    fit,
    load,
    noise_share,
    pointwise_log_likelihood,
    user_depth_cap,
    with_depth_cap,
)
from bayesq.model import NoiseSignalPolar, prepare_scores
from bayesq.simulate import simulate_random_search
from bayesq.stats import noisy_quadratic

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
    s = json.loads(idata.posterior.attrs["bayesq"])
    assert s["threshold"] == THRESHOLD and s["maximize"] is True and s["n_tail"] == n_tail
    assert s["sampler"] in available_samplers() and s["priors"]["gamma_median"] == 2.0
    assert s["target_accept"] == TARGET_ACCEPT  # the default
    assert s["max_tree_depth"] is None  # the sampler's own
    # what pm.sample records, whichever sampler drew the posterior
    assert idata.posterior.attrs["tuning_steps"] == 300 and idata.posterior.attrs["sampling_time"] > 0
    # the truth is well inside the (wide) posterior of a short run
    for name, value in SIM.tail_truth.items():
        lo, hi = np.quantile(result.draws(name), [0.005, 0.995])
        assert lo < value < hi, name


def test_log_likelihood_is_the_censored_likelihood_of_each_draw(result):
    post = result.idata.posterior
    a, b, g, s = (float(post[n].values[1, 17]) for n in PARAMETERS)
    d = noisy_quadratic(a, b, g, s)
    tail = SIM.scores[SIM.scores > THRESHOLD]
    ll = result.idata.log_likelihood
    np.testing.assert_allclose(ll["tail"].values[1, 17], d.logpdf(tail), rtol=1e-10)
    np.testing.assert_allclose(ll["censored"].values[1, 17], d.logcdf(THRESHOLD), rtol=1e-10)
    # and sums to the model's likelihood at that point
    model = result.model
    point = {
        "tail_mass_logodds__": np.log(
            post["tail_mass"].values[1, 17] / (1 - post["tail_mass"].values[1, 17])
        ),
        "gamma_log__": np.log(g),
        "log_scales_polar__": NoiseSignalPolar().forward(post["log_scales"].values[1, 17]).eval(),
    }
    logps = model.point_logps(point, round_vals=14)
    assert logps["tail"] == pytest.approx(ll["tail"].values[1, 17].sum(), rel=1e-9)


def test_log_prior_is_the_priors_density_at_each_draw(result):
    """pymc.compute_log_prior works on the model (its polar transform's name has
    no underscore, which PyMC would cut) and gives the priors of bayesq.model."""
    copy = bayesq.FitResult(result.idata.copy(), model=result.model)
    copy.prior_sensitivity()
    assert "log_prior" in copy.idata and "log_prior" not in result.idata
    lp, post, priors = copy.idata.log_prior, result.idata.posterior, result.priors
    at = {"chain": 1, "draw": 17}
    log_sigma, log_gap = (float(post[n].isel(at)) for n in ("log_sigma", "log_beta_gap"))
    expected = stats.norm.logpdf(log_sigma, priors.sigma_log_mean, priors.sigma_log_sd) + stats.norm.logpdf(
        log_gap, priors.beta_gap_log_mean, priors.beta_gap_log_sd
    )
    assert float(lp["log_scales"].isel(at)) == pytest.approx(expected, rel=1e-10)
    gamma = float(post["gamma"].isel(at))
    expected = stats.lognorm.logpdf(gamma, priors.gamma_log_sd, scale=priors.gamma_median)
    # PyMC's LogNormal log density differs from SciPy's by a constant 1.4e-8
    assert float(lp["gamma"].isel(at)) == pytest.approx(expected, abs=1e-7)
    mass = float(post["tail_mass"].isel(at))
    expected = stats.beta.logpdf(mass, priors.tail_mass_a, priors.tail_mass_b)
    assert float(lp["tail_mass"].isel(at)) == pytest.approx(expected, abs=1e-12)


def test_prior_sensitivity_tells_a_prior_dominated_search_from_an_informed_one(result):
    informed = result.prior_sensitivity()
    assert list(informed.index) == list(PARAMETERS)
    assert list(informed.columns) == ["prior", "likelihood", "diagnosis"]
    # 200 runs, 100 above the threshold: the data move beta more than the prior does
    assert informed.loc["beta", "likelihood"] > informed.loc["beta", "prior"]
    # 24 runs, 12 above the threshold: gamma is mostly the prior's
    small = SIM.scores[:24]
    few = fit(small, float(np.sort(small)[-13]), draws=300, tune=300, chains=2, random_seed=1, quiet=True)
    weak = few.prior_sensitivity()
    assert weak.loc["gamma", "prior"] > max(0.15, 2 * weak.loc["gamma", "likelihood"])
    assert weak.loc["gamma", "prior"] > 3 * informed.loc["gamma", "prior"]
    # the diagnosis is the rule of Kallioinen et al. at the threshold
    for table, threshold in ((weak, 0.05), (few.prior_sensitivity(threshold=0.2), 0.2)):
        for _, row in table.iterrows():
            if row.prior < threshold:
                assert row.diagnosis == "-"
            else:
                conflict = row.likelihood >= threshold
                assert row.diagnosis == ("potential prior-data conflict" if conflict else "prior dominates")
    assert set(few.prior_sensitivity(threshold=1.0).diagnosis) == {"-"}
    with pytest.raises(ValueError, match="threshold must be a positive number"):
        few.prior_sensitivity(threshold=0)


def test_summary_and_diagnostics(result):
    table = result.summary()
    assert list(table.index) == list(PARAMETERS)
    assert {"mean", "sd", "hdi90_lb", "hdi90_ub", "ess_bulk", "ess_tail", "r_hat"} <= set(table.columns)
    diag = result.diagnostics()
    assert diag.draws == 600 and diag.max_rhat < 1.1
    text = str(result)
    assert "above the threshold 0.85" in text and "divergences" in text and "beta" in text


def test_diagnostics_name_the_numbers_and_the_advice():
    bad = Diagnostics(
        divergences=12,
        draws=4000,
        max_rhat=1.05,
        min_ess_bulk=120,
        min_ess_tail=300,
        max_tree_depth_hits=3,
        min_bfmi=0.2,
    )
    problems = bad.problems()
    assert len(problems) == 5
    assert "12 of 4000 draws diverged" in problems[0] and "target_accept" in problems[0]
    assert "1.050" in problems[1] and "120" in problems[2]
    good = Diagnostics(0, 4000, 1.002, 900, 800, 0, 0.9)
    assert good.problems() == []


def test_slow_mixing_between_noise_and_signal_is_explained_with_its_share():
    # draws split between "mostly noise" and "a quadratic past the threshold": the advice says so
    split = Diagnostics(0, 4000, 1.03, 150, 90, 0, 0.9, noise_share=0.08)
    rhat, ess = split.problems()
    assert "two explanations" in rhat and "8%" in rhat and "draws=4000" in rhat
    assert "prior_sensitivity()" in rhat
    assert "two explanations" not in ess  # named once, with the first problem it explains
    assert split.splits_draws and str(split).endswith(", noise share 8%")
    # with R-hat within the standard, the ESS problem names it
    (ess,) = Diagnostics(0, 4000, 1.004, 150, 90, 0, 0.9, noise_share=0.08).problems()
    assert "two explanations" in ess and "8%" in ess
    # an ESS just short of the standard does not round up to it
    (ess,) = Diagnostics(0, 4000, 1.002, 399.7, 791, 0, 0.9).problems()
    assert "down to 399 (bulk 399, tail 791" in ess
    # a share near 0 or 1, or none recorded, is not named
    for share in (0.001, 0.995, float("nan")):
        one_sided = Diagnostics(0, 4000, 1.002, 150, 90, 0, 0.9, noise_share=share)
        (ess,) = one_sided.problems()
        assert "two explanations" not in ess and not one_sided.splits_draws
        assert "noise share" not in str(one_sided)


def test_noise_share_counts_draws_with_more_noise_than_lead():
    import xarray as xr

    rng = np.random.default_rng(0)
    log_gap = rng.normal(size=(4, 1000))
    noisy = rng.random((4, 1000)) < 0.3
    log_sigma = np.where(noisy, log_gap + 0.5, log_gap - 0.5)
    dims = ("chain", "draw")
    post = xr.Dataset({"log_sigma": (dims, log_sigma), "log_beta_gap": (dims, log_gap)})
    assert noise_share(post) == pytest.approx(noisy.mean())
    # several searches (a joint fit): the most evenly split one
    both = xr.Dataset(
        {
            "log_sigma": (("chain", "draw", "search"), np.stack([log_sigma, log_gap - 1], axis=-1)),
            "log_beta_gap": (("chain", "draw", "search"), np.stack([log_gap, log_gap], axis=-1)),
        }
    )
    assert noise_share(both) == pytest.approx(noisy.mean())
    assert np.isnan(noise_share(post.drop_vars("log_sigma")))


def test_a_fit_records_its_noise_share(result):
    post = result.idata.posterior
    share = float((post["log_sigma"] > post["log_beta_gap"]).mean())
    assert result.diagnostics().noise_share == share


def test_a_tree_depth_the_user_lowered_is_not_a_problem_but_its_cost_is(result):
    # trajectories cut at the user's depth: R-hat and ESS judge the draws
    capped = Diagnostics(0, 4000, 1.002, 900, 800, 3900, 0.9, depth_capped=True)
    assert capped.problems() == []
    assert "tree depth" in Diagnostics(0, 4000, 1.002, 900, 800, 3900, 0.9).problems()[0]
    short = Diagnostics(0, 4000, 1.002, 350, 800, 3900, 0.9, depth_capped=True).problems()
    assert len(short) == 1 and "350" in short[0] and "raise the maximum tree depth" in short[0]
    # each sampler's spelling of the cap
    assert user_depth_cap({}) is None and user_depth_cap({"backend": "jax"}) is None
    assert user_depth_cap({"maxdepth": 2}) == 2  # nutpie
    assert user_depth_cap({"max_treedepth": 3}) == 3  # PyMC
    assert user_depth_cap({"nuts_kwargs": {"max_tree_depth": 4}}) == 4  # numpyro, blackjax
    # a fit records the cap in its settings, and its diagnostics read it from there
    idata = result.idata.copy()
    settings = {**result.settings, "max_tree_depth": 2}
    idata.posterior.attrs = {**idata.posterior.attrs, "bayesq": json.dumps(settings)}
    assert type(result)(idata).diagnostics().depth_capped
    assert not result.diagnostics().depth_capped


def test_max_tree_depth_reaches_each_sampler_in_its_own_keyword():
    assert with_depth_cap("nutpie", {"backend": "jax"}, None) == {"backend": "jax"}
    assert with_depth_cap("nutpie", {"backend": "jax"}, 2) == {"backend": "jax", "maxdepth": 2}
    assert with_depth_cap("pymc", {}, 3) == {"max_treedepth": 3}
    assert with_depth_cap("numpyro", {"nuts_kwargs": {"dense_mass": True}}, 4) == {
        "nuts_kwargs": {"dense_mass": True, "max_tree_depth": 4}
    }
    with pytest.raises(ValueError, match="blackjax"):
        with_depth_cap("blackjax", {}, 2)
    with pytest.raises(ValueError, match="given twice"):
        with_depth_cap("nutpie", {"maxdepth": 3}, 2)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="max_tree_depth must be an integer"):
            with_depth_cap("nutpie", {}, bad)


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


def test_save_and_load_round_trip_refuses_to_overwrite(result, tmp_path):
    path = result.save(tmp_path / "fit.nc")
    again = load(path)
    np.testing.assert_array_equal(again.draws("beta"), result.draws("beta"))
    assert again.settings == result.settings
    # the model is rebuilt from the saved data and settings: the same log density
    assert set(again.model.named_vars) == set(result.model.named_vars)
    assert_same_log_density(again.model, result.model)
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=True"):
        result.save(path)
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name != "fit.nc"]  # no temporary left behind
    with pytest.raises(ValueError, match="not a bayesq fit"):
        import arviz as az

        az.from_dict({"posterior": {"x": np.zeros((1, 5))}}).to_netcdf(tmp_path / "other.nc")
        load(tmp_path / "other.nc")


def test_a_fit_saved_before_the_polar_transform_was_renamed_still_loads_and_works(result, tmp_path):
    """Fits saved before 2026-12-06 carry the transform's old name in their posterior
    (``log_scales_noise_signal_polar__``); the model is rebuilt from the settings and
    nothing reads that name, so the prior sensitivity and the curves still work."""
    idata = result.idata.copy()
    posterior = idata.posterior.to_dataset()
    posterior["log_scales_noise_signal_polar__"] = posterior["log_scales"]  # as such a fit carried it
    idata["posterior"] = posterior
    path = bayesq.FitResult(idata, model=result.model).save(tmp_path / "old.nc")
    old = load(path)
    assert "log_scales_noise_signal_polar__" in old.idata.posterior
    table = old.prior_sensitivity()
    expected = bayesq.FitResult(result.idata.copy(), model=result.model).prior_sensitivity()
    np.testing.assert_allclose(table[["prior", "likelihood"]], expected[["prior", "likelihood"]], rtol=1e-9)
    np.testing.assert_array_equal(old.tuning_curve([1, 10]).estimate, result.tuning_curve([1, 10]).estimate)


def test_prior_predictive_group(result):
    result.sample_prior(draws=100, random_seed=1)
    prior = result.idata.prior
    assert prior["beta"].shape == (1, 100)
    assert np.all(prior["beta"].values > THRESHOLD) and np.all(prior["alpha"].values < prior["beta"].values)


def test_pointwise_log_likelihood_mirrors_for_minimization():
    scores = -SIM.scores
    pre_min = prepare_scores(scores, -THRESHOLD, maximize=False)
    pre_max = prepare_scores(SIM.scores, THRESHOLD, maximize=True)
    a, b, g, s = np.array([0.78, 0.80]), np.array([0.9, 0.91]), np.array([1.5, 2.5]), np.array([0.003, 0.005])
    t_max, c_max = pointwise_log_likelihood(pre_max, a, b, g, s)
    t_min, c_min = pointwise_log_likelihood(pre_min, -b, -a, g, s)
    np.testing.assert_allclose(t_min, t_max, rtol=1e-11)
    np.testing.assert_allclose(c_min, c_max, rtol=1e-11)


def test_pointwise_log_likelihood_is_the_same_in_any_chunks():
    """Draws go in padded chunks of one shape; each comes back in its place."""
    pre = prepare_scores(SIM.scores, THRESHOLD)
    rng = np.random.default_rng(1)
    shape = (2, 5)
    a, b = rng.uniform(0.78, 0.80, shape), rng.uniform(0.90, 0.91, shape)
    g, s = rng.uniform(1.0, 3.0, shape), rng.uniform(0.002, 0.006, shape)
    whole = pointwise_log_likelihood(pre, a, b, g, s, chunk=10)
    for chunk in (None, 1, 3, 4, 99):
        for got, want in zip(pointwise_log_likelihood(pre, a, b, g, s, chunk=chunk), whole, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-13)
    with pytest.raises(ValueError, match="chunk must be a whole number of draws >= 1, got 0"):
        pointwise_log_likelihood(pre, a, b, g, s, chunk=0)
    d = noisy_quadratic(a[1, 4], b[1, 4], g[1, 4], s[1, 4])
    np.testing.assert_allclose(whole[0][1, 4], d.logpdf(pre.tail), rtol=1e-10)
    np.testing.assert_allclose(whole[1][1, 4], d.logcdf(THRESHOLD), rtol=1e-10)


def test_pointwise_log_likelihood_of_tied_scores_is_each_scores_density():
    """Computed once per distinct tail score, returned for every run in its place."""
    pre = prepare_scores(np.round(SIM.scores, 3), THRESHOLD)
    assert np.unique(pre.tail).size < pre.tail.size / 2
    a, b = np.array([0.79, 0.785]), np.array([0.9, 0.905])
    g, s = np.array([1.5, 2.5]), np.array([0.003, 0.005])
    tail, censored = pointwise_log_likelihood(pre, a, b, g, s)
    assert tail.shape == (2, pre.tail.size) and censored.shape == (2, pre.censored.size)
    for i in range(2):
        want = noisy_quadratic(a[i], b[i], g[i], s[i]).logpdf(pre.tail)
        np.testing.assert_allclose(tail[i], want, rtol=1e-10)


def test_log_likelihood_function_compiles_without_warnings():
    """The draws enter as one matrix: no broadcasting checks for JAX to skip with a UserWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", message=".*BLAS.*")
        f = _loglik_function.__wrapped__(True)  # a fresh compilation, not the cached one
        draws = np.array([[0.78, 0.9, 2.0, 0.004], [0.79, 0.91, 1.5, 0.003]])
        tail, side = f(np.array([0.88, 0.89]), THRESHOLD, draws)
    assert np.shape(tail) == (2, 2) and np.shape(side) == (2,)
    d = noisy_quadratic(0.79, 0.91, 1.5, 0.003)
    np.testing.assert_allclose(tail[1], d.logpdf([0.88, 0.89]), rtol=1e-10)


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
        hits, misses = _nutpie_program.cache_info()[:2]
        other = fit(np.round(SIM.scores[:150], 3), THRESHOLD, random_seed=1, **short)
    assert _nutpie_program.cache_info()[:2] == (hits + 1, misses)
    assert first.settings["backend"] == other.settings["backend"] == "numba"
    assert other.settings["n_scores"] == 150


def test_a_reversed_search_is_an_error_unless_the_direction_is_stated():
    from bayesq.exceptions import DirectionError
    from bayesq.fit import DIRECTION_REACH, check_direction

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


def test_print_shows_each_row_at_the_digits_its_sd_needs(result):
    text = str(result)
    table = result.summary()
    assert table.loc["beta", "mean"] != round(table.loc["beta", "mean"], 2)  # unrounded
    row = next(line for line in text.splitlines() if line.startswith("beta"))
    mean, sd, lower, upper = row.split()[1:5]
    assert float(sd) == pytest.approx(table.loc["beta", "sd"], rel=0.05)  # two significant digits
    assert float(lower) < float(mean) < float(upper)


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
    y = SIM.scores.copy()
    y[[3, 8]] = np.nan
    with pytest.raises(ValueError, match=r"2 scores are NaN or infinite \(positions 3, 8\)"):
        fit(y, THRESHOLD)
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

    monkeypatch.setattr(sys.modules["bayesq.fit"], "_sample", stop)  # the check comes before sampling
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

    from bayesq.compare import _single_loglik

    matplotlib.use("Agg")
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
