"""bayesq.diagnostics: the convergence numbers, their advice, the noise share and prior sensitivity."""

import numpy as np
import pytest
from conftest import SIM_SPEC, with_depth_cap
from scipy import stats

import bayesq
from bayesq import fit
from bayesq.diagnostics import Diagnostics, noise_share
from bayesq.model import PARAMETERS
from bayesq.samplers import user_depth_cap
from bayesq.simulate import simulate_random_search

SIM = simulate_random_search(**SIM_SPEC)


@pytest.fixture(scope="module")
def result(short_fit):
    return short_fit


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
    assert "two explanations" in rhat and "8%" in rhat and "max_draws=10000" in rhat
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


def test_the_advice_for_more_draws_follows_the_budget():
    # drawn once as asked: more draws, or sampling on; no budget to raise
    rhat, ess = Diagnostics(0, 4000, 1.03, 150, 90, 0, 0.9).problems()
    for problem in (rhat, ess):
        assert "(extend=True)" in problem and "max_draws" not in problem
    assert "tune longer" in rhat and "add chains" in ess
    # sampled on to a budget: raise it
    rhat, ess = Diagnostics(0, 20000, 1.03, 150, 90, 0, 0.9, max_draws=5000).problems()
    for problem in (rhat, ess):
        assert "raise max_draws (5000 here) or time_limit" in problem and "extend=True" not in problem
    # the two explanations ask for more than the budget spent
    (rhat, _) = Diagnostics(0, 32000, 1.03, 150, 90, 0, 0.9, noise_share=0.08, max_draws=8000).problems()
    assert "max_draws=16000" in rhat and "extend=True with" not in rhat
    (rhat, _) = Diagnostics(0, 4000, 1.03, 150, 90, 0, 0.9, noise_share=0.08).problems()
    assert "extend=True with max_draws=10000" in rhat


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
    assert with_depth_cap(result, 2).diagnostics().depth_capped
    assert not result.diagnostics().depth_capped


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
