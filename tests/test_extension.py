"""bayesq.samplers.extension: sampling on until the convergence standard holds, within a budget."""

import dataclasses
import itertools
import warnings

import arviz as az
import numpy as np
import pytest
import xarray as xr

from bayesq.samplers import SamplerOptions, extension
from bayesq.samplers.extension import RETUNE_ACCEPT, Verdict, checkpoints, sample_until
from bayesq.simulate import simulate_random_search
from bayesq.single import fit

# the search of the shared short fit (conftest), whose 2 chains of 150 draws fall short of ESS 400
SEARCH = dict(n=200, alpha=0.80, beta=0.90, gamma=2.0, sigma=0.004, random_seed=5)
THRESHOLD = 0.85
SMALL = dict(draws=150, tune=300, chains=2, random_seed=3, quiet=True)


def small_fit(**kwargs):
    scores = simulate_random_search(**SEARCH).scores
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fit(scores, THRESHOLD, **{**SMALL, **kwargs})


@pytest.mark.parametrize(("draws", "max_draws"), [(1000, 5000), (300, 1000), (7, 7), (1, 4), (999, 1000)])
def test_checkpoints_run_from_the_draws_to_the_budget_in_half_steps(draws, max_draws):
    marks = checkpoints(draws, max_draws)
    assert marks[0] == draws and marks[-1] == max_draws
    assert all(0 < b - a <= max(draws // 2, 1) for a, b in itertools.pairwise(marks))


def test_an_extended_fit_keeps_the_draws_of_a_fit_asking_for_that_many():
    extended = small_fit()
    s = extended.settings.sampler
    assert s.asked_draws == 150 and s.draws in checkpoints(150, 750)[1:-1] and s.max_draws == 750
    assert "extended from 150 draws per chain" in extended.headline()
    # the kept draws are exactly those of one run of that many draws (nutpie's adaptation depends on tune)
    once = small_fit(draws=s.draws, target_accept=s.target_accept, extend=False)
    assert once.settings.sampler.asked_draws is None and once.settings.sampler.max_draws is None
    np.testing.assert_array_equal(extended.draws("beta"), once.draws("beta"))
    # it stopped at the first checkpoint that meets the standard
    assert not extended.diagnostics().wants_draws
    shorter = small_fit(draws=s.draws - 75, target_accept=s.target_accept, extend=False)
    assert shorter.diagnostics().wants_draws


def test_the_budget_bounds_the_extension_and_what_is_short_is_still_reported():
    scores = simulate_random_search(**SEARCH).scores
    with pytest.warns(RuntimeWarning, match="effective sample size"):
        result = fit(scores, THRESHOLD, **{**SMALL, "draws": 20}, max_draws=30)
    assert result.settings.sampler.draws == 30 and result.settings.sampler.max_draws == 30
    with pytest.warns(RuntimeWarning, match="effective sample size"):
        result = fit(scores, THRESHOLD, **{**SMALL, "draws": 20}, time_limit=1e-9)
    assert result.settings.sampler.draws == 20  # the first checkpoint is past the time limit


def test_the_budget_is_validated_and_needs_extend():
    for kwargs, message in (
        ({"extend": True, "max_draws": 50}, r"max_draws must be at least draws \(100\), got 50"),
        ({"extend": True, "max_draws": 0}, "max_draws must be an integer >= 1"),
        ({"extend": True, "time_limit": 0}, "time_limit must be positive"),
        ({"extend": "yes"}, "extend must be True or False"),
        ({"extend": False, "max_draws": 500}, "max_draws is a budget for extend=True"),
    ):
        with pytest.raises(ValueError, match=message):
            SamplerOptions.checked("nutpie", draws=100, **kwargs)
    assert SamplerOptions.checked("nutpie", draws=100).max_draws is None  # the options alone: one run
    assert SamplerOptions.checked("nutpie", draws=100, extend=True).max_draws == 500


# -- the policy, on a stand-in sampler -------------------------------------------------------------
class FakeSampler:
    """Runs that record what they were asked, and the verdicts a judge gives on them in turn."""

    def __init__(self, verdicts):
        self.verdicts = list(verdicts)
        self.calls = []

    def sample(self, model, options, compiled=None, marks=None, stop=None):
        self.calls.append(options)
        rng = np.random.default_rng(len(self.calls))
        return az.from_dict(
            {
                "posterior": {"beta": rng.normal(size=(options.chains, options.draws))},
                "sample_stats": {"diverging": np.zeros((options.chains, options.draws), bool)},
            }
        )

    def judge(self, idata, options):
        return self.verdicts.pop(0)


@pytest.fixture
def fake(monkeypatch):
    def install(*verdicts):
        sampler = FakeSampler(verdicts)
        monkeypatch.setattr("bayesq.samplers.sample", sampler.sample)
        monkeypatch.setattr(extension, "judge", sampler.judge)
        return sampler

    return install


MET, SHORT, DIVERGED = Verdict(False, False), Verdict(False, True), Verdict(True, True)


def options(**kwargs):
    return SamplerOptions.checked("pymc", draws=10, chains=2, random_seed=3, extend=True, **kwargs)


def test_other_samplers_extend_by_runs_of_as_many_chains_seeded_anew(fake):
    sampler = fake(SHORT, SHORT, MET)
    idata, drawn = sample_until(None, options())
    seeds = [o.random_seed for o in sampler.calls]
    assert seeds[0] == 3 and len(set(seeds)) == 3  # the fit's seed, then seeds spawned from it
    again = fake(SHORT, SHORT, MET)
    sample_until(None, options())
    assert [o.random_seed for o in again.calls] == seeds
    assert (drawn.chains, drawn.draws) == (6, 10)
    assert list(idata.posterior.chain.values) == list(range(6))
    first_run = np.random.default_rng(1).normal(size=(2, 10))
    np.testing.assert_array_equal(idata.posterior.beta.values[:2], first_run)


def test_other_samplers_stop_at_the_budget(fake):
    sampler = fake(*[SHORT] * 10)
    _, drawn = sample_until(None, options(max_draws=30))
    assert len(sampler.calls) == 3 and drawn.chains == 6


def test_a_run_that_diverges_is_drawn_again_once_with_smaller_steps(fake):
    sampler = fake(DIVERGED, MET)
    _, drawn = sample_until(None, options())
    assert [o.target_accept for o in sampler.calls] == [0.95, RETUNE_ACCEPT] and drawn.target_accept == 0.99
    assert drawn.recorded(asked=options()).asked_target_accept == 0.95
    # once only: a retuned run that diverges is extended as far as R-hat and ESS ask
    sampler = fake(DIVERGED, DIVERGED, Verdict(True, False))
    _, drawn = sample_until(None, options())
    assert [o.target_accept for o in sampler.calls] == [0.95, RETUNE_ACCEPT, RETUNE_ACCEPT]
    assert drawn.chains == 4 and drawn.target_accept == RETUNE_ACCEPT
    sampler = fake(Verdict(True, False))
    _, drawn = sample_until(None, options(target_accept=0.995))  # already smaller steps than a retune
    assert len(sampler.calls) == 1 and drawn.target_accept == 0.995


def test_draws_found_hopeless_are_kept_neither_retuned_nor_extended(fake):
    looked = []

    def hopeless(idata):
        looked.append(idata.posterior.sizes["chain"])
        return True

    sampler = fake(DIVERGED)
    _, drawn = sample_until(None, options(), hopeless=hopeless)
    assert len(sampler.calls) == 1 and drawn.target_accept == 0.95 and looked
    sampler = fake(SHORT)
    _, drawn = sample_until(None, options(), hopeless=hopeless)
    assert len(sampler.calls) == 1 and drawn.chains == 2
    # draws it passes are drawn on as ever, and draws that meet the standard are not looked at
    looked.clear()
    sampler = fake(DIVERGED, SHORT, MET)
    _, drawn = sample_until(None, options(), hopeless=lambda idata: looked.append(1) or False)
    assert [o.target_accept for o in sampler.calls] == [0.95, RETUNE_ACCEPT, RETUNE_ACCEPT]
    assert len(looked) == 2 and drawn.chains == 4


def test_without_extend_one_run_as_asked(fake):
    sampler = fake()
    plain = dataclasses.replace(options(), max_draws=None)
    _, drawn = sample_until(None, plain)
    assert len(sampler.calls) == 1 and drawn == plain


# -- nutpie's background sampler, judged at its marks ------------------------------------------
class FinishedSampler:
    """A background sampler that finished before anyone looked (a quick run)."""

    is_finished = True

    def __init__(self, draws):
        self.trace = az.from_dict(
            {
                "posterior": {"beta": np.arange(2 * draws, dtype=float).reshape(2, draws)},
                "sample_stats": {"step_size": np.ones((2, draws))},
            }
        )
        warmup = xr.Dataset({"beta": (("chain", "draw"), np.zeros((2, 3)))})
        self.trace["warmup_posterior"] = xr.DataTree(warmup)

    def wait(self):
        return self.trace

    def inspect(self):
        raise AssertionError("a finished run is read whole")


def test_a_run_that_finished_early_is_still_judged_at_every_mark():
    from bayesq.samplers.nutpie import _judged, _Progress

    judged = []

    def stop(idata):
        judged.append(idata.posterior.sizes["draw"])
        return idata.posterior.sizes["draw"] >= 15

    kept = _judged(FinishedSampler(30), _Progress(), tune=5, marks=(10, 15, 20, 30), stop=stop)
    assert judged == [10, 15] and kept.posterior.sizes["draw"] == 15
    np.testing.assert_array_equal(kept.posterior.beta.values[1], np.arange(30, 45))
    assert kept.warmup_posterior.sizes["draw"] == 3  # the tuning draws are not cut
    whole = _judged(FinishedSampler(30), _Progress(), tune=5, marks=(10, 30), stop=lambda idata: False)
    assert whole.posterior.sizes["draw"] == 30


def test_a_chain_whose_step_size_collapses_is_stuck():
    from bayesq.samplers.nutpie import stuck

    assert stuck([0.45, 3e-12, 0.44, 0.49])  # what a stuck chain looked like (module docstring)
    assert not stuck([0.45, 0.05, 0.6, 0.3]) and not stuck([0.4]) and not stuck([np.nan, 0.4])


def test_a_run_with_a_stuck_chain_is_drawn_again_with_a_seed_derived_from_the_fits(monkeypatch):
    from bayesq.samplers import nutpie

    watched = []
    sample = nutpie.sample

    def recording(*args, watch=False, **kwargs):
        watched.append(watch)
        return sample(*args, watch=watch, **kwargs)

    monkeypatch.setattr(nutpie, "sample", recording)
    monkeypatch.setattr(nutpie, "STUCK_STEP_RATIO", 2.0)  # every run looks stuck: each is drawn again
    result = small_fit()
    s = result.settings.sampler
    assert watched == [True] * extension.STUCK_RESTARTS + [False]  # the last run is kept, as it is
    assert s.asked_random_seed == SMALL["random_seed"] and s.random_seed != s.asked_random_seed
    assert f"drawn again with seed {s.random_seed} after a chain got stuck" in result.headline()
    monkeypatch.setattr(nutpie, "STUCK_STEP_RATIO", 1e-6)
    again = small_fit(random_seed=s.random_seed)  # the seed it records draws the same posterior
    np.testing.assert_array_equal(again.draws("beta")[:, : s.draws], result.draws("beta")[:, : s.draws])
