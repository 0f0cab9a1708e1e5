"""bayesq.stacking: candidate thresholds, their leave-one-out scores, stacking weights and the mixture."""

import numpy as np
import pytest
import xarray as xr
from scipy import integrate

from bayesq import stacking
from bayesq.exceptions import InputError
from bayesq.stats import noisy_quadratic

TRUTH = dict(alpha=0.80, beta=0.90, gamma=2.0, sigma=0.004)


def _posterior(chains=2, draws=300, seed=0, shift=0.0, spread=0.0):
    """Draws near TRUTH (beta moved by ``shift``), as a fit's posterior."""
    rng = np.random.default_rng(seed)
    values = {}
    for name, value in TRUTH.items():
        value = value + (shift if name == "beta" else 0.0)
        values[name] = (("chain", "draw"), value * (1 + spread * rng.standard_normal((chains, draws))))
    return xr.Dataset(values, coords={"chain": np.arange(chains), "draw": np.arange(draws)})


# -- candidate_thresholds --------------------------------------------------------------------------
def test_candidates_keep_tail_counts_spaced_in_log_from_60_to_10_percent():
    scores = np.random.default_rng(0).permutation(np.arange(1000) / 1000)
    t = stacking.candidate_thresholds(scores)
    counts = [int(np.sum(scores > u)) for u in t]
    assert counts == sorted(counts, reverse=True)
    assert counts[0] == 600 and counts[-1] == 100
    assert np.allclose(np.diff(np.log(counts)), np.log(100 / 600) / 4, atol=0.01)


def test_candidates_mirror_when_minimizing_and_leave_failed_runs_censored():
    scores = np.arange(300) / 300.0
    failed = np.concatenate([scores, [np.nan, np.inf, -np.inf]])
    up = stacking.candidate_thresholds(failed, maximize=True)
    down = stacking.candidate_thresholds(-failed, maximize=False)
    assert np.allclose(down, -up)
    assert [int(np.sum(-failed < u)) for u in down] == [int(np.sum(failed > u)) for u in up]


def test_small_searches_keep_at_least_min_scored_runs_beyond_the_highest_candidate():
    scores = np.random.default_rng(1).normal(size=48)
    t = stacking.candidate_thresholds(scores)
    assert int(np.sum(scores > t[-1])) == stacking.MIN_SCORED == 16
    assert int(np.sum(scores > t[0])) == round(0.6 * 48)


@pytest.mark.parametrize(
    ("n", "floor"),
    [(20, 8), (27, 9), (40, 13), (48, 16), (64, 16), (160, 16), (200, 20)],  # (200: 10 % is more)
)
def test_the_floor_keeps_the_ladder_spread_in_a_small_search(n, floor):
    scores = np.arange(float(n))
    counts = [int(np.sum(scores > u)) for u in stacking.candidate_thresholds(scores)]
    assert counts[-1] == floor and counts[0] == round(0.6 * n)


def test_a_given_floor_sets_the_fewest_runs_beyond_the_highest_candidate():
    scores = np.arange(64.0)
    counts = [int(np.sum(scores > u)) for u in stacking.candidate_thresholds(scores, floor=8)]
    assert counts == [38, 26, 17, 12, 8]
    from bayesq.model import MIN_TAIL

    for floor in (MIN_TAIL - 1, 8.5, True):
        with pytest.raises(InputError, match=r"floor must be a whole number >= 8"):
            stacking.candidate_thresholds(scores, floor=floor)


def test_the_fallback_ladder_reaches_down_to_8_runs_and_shares_the_lowest_candidate():
    scores = np.random.default_rng(3).normal(size=64)
    first, fallback = stacking.candidate_ladders(scores)
    assert np.array_equal(first, stacking.candidate_thresholds(scores))
    assert np.array_equal(fallback, stacking.candidate_thresholds(scores, floor=8))
    assert first[0] == fallback[0] and int(np.sum(scores > fallback[-1])) == 8
    down = stacking.candidate_ladders(-scores, maximize=False, distinct=False)
    assert np.allclose(down[0], -stacking.candidate_thresholds(scores, distinct=False))
    assert np.allclose(down[1], -stacking.candidate_thresholds(scores, distinct=False, floor=8))
    # where 10 % of the runs is 16 or more, both ladders are one
    assert stacking.candidate_ladders(np.arange(160.0))[1] is None
    assert stacking.candidate_ladders(np.arange(20.0))[1] is None  # (and where the floor is 8 already)


def test_tied_scores_stay_on_one_side_of_every_candidate():
    scores = np.r_[np.random.default_rng(2).uniform(0, 0.9, 170), np.full(30, 0.95)]  # 30 tied best scores
    t = stacking.candidate_thresholds(scores)
    counts = [int(np.sum(scores > u)) for u in t]
    assert counts == [120, 77, 49, 31, 30]  # the last would hold 20 runs but for the tie
    assert not np.isin(t, scores).any()


def test_a_joint_fits_candidates_keep_one_threshold_per_count_even_where_scores_tie():
    scores = np.r_[np.random.default_rng(2).uniform(0, 0.9, 140), np.full(60, 0.95)]  # 60 tied best
    t = stacking.candidate_thresholds(scores, distinct=False)
    assert t.size == stacking.CANDIDATES and t[2] == t[3] == t[4]  # counts 49, 31, 20: the tie split off
    assert np.array_equal(np.unique(t), stacking.candidate_thresholds(scores))
    # a count reaching the lowest score (runs tied there, as diverged runs are) keeps all runs above it
    floor = np.r_[np.zeros(100), np.linspace(0.5, 0.9, 100)]
    t = stacking.candidate_thresholds(floor, distinct=False)
    assert t.size == stacking.CANDIDATES and int(np.sum(floor > t[0])) == 100
    assert stacking.candidate_thresholds(floor).size == stacking.CANDIDATES - 1  # (distinct: left out)


def test_too_few_runs_are_refused_with_the_number():
    with pytest.raises(InputError, match=r"more than 8 scored runs.*got 7"):
        stacking.candidate_thresholds(np.arange(7.0))
    with pytest.raises(InputError, match=r"at least 8 runs beyond its lowest candidate.*7 of 12"):
        stacking.candidate_thresholds(np.arange(12.0))
    with pytest.raises(InputError, match="no tail to choose"):
        stacking.candidate_thresholds(np.ones(20))
    with pytest.raises(InputError, match="n_candidates"):
        stacking.candidate_thresholds(np.arange(100.0), n_candidates=1)


# -- the conditional density and its leave-one-out score --------------------------------------------
def test_conditional_density_integrates_to_one_beyond_the_cutoff():
    cutoff = 0.88
    posterior = _posterior(chains=1, draws=1)
    d = noisy_quadratic(**TRUTH)
    total, _ = integrate.quad(
        lambda y: float(np.exp(stacking.conditional_log_density(posterior, [y], cutoff, True).values.item())),
        cutoff,
        TRUTH["beta"] + 10 * TRUTH["sigma"],
        points=[TRUTH["beta"]],
        limit=200,
    )
    assert total == pytest.approx(1.0, abs=1e-6)
    # and it is the density over the tail probability, mirrored when minimizing
    y = np.array([0.885, 0.895])
    got = stacking.conditional_log_density(posterior, y, cutoff, True).values[0, 0]
    assert np.allclose(got, d.logpdf(y) - d.logsf(cutoff))
    low = noisy_quadratic(**TRUTH, maximize=False)
    got = stacking.conditional_log_density(posterior, [0.801, 0.81], 0.82, False).values[0, 0]
    assert np.allclose(got, low.logpdf(np.array([0.801, 0.81])) - low.logcdf(0.82))


def test_elpd_of_a_nearly_point_posterior_is_the_conditional_log_density():
    cutoff = 0.88
    top = noisy_quadratic(**TRUTH).sample(40, random_state=2)
    top = top[top > cutoff]
    posterior = _posterior(chains=2, draws=100, spread=1e-7)  # leaving a run out changes next to nothing
    elpd = stacking.candidate_elpd(posterior, top, cutoff, True)
    expected = stacking.conditional_log_density(_posterior(chains=1, draws=1), top, cutoff, True)
    assert np.allclose(elpd.elpd_i.values, expected.values[0, 0], atol=1e-4)


def test_elpd_is_the_importance_weighted_leave_one_out_density():
    """With draws spread about the truth, the PSIS estimate is close to plain importance sampling:
    ratios 1 / p(y_i | theta), whose weighted mean of p is the harmonic mean of p."""
    cutoff = 0.88
    top = noisy_quadratic(**TRUTH).sample(200, random_state=3)
    top = top[top > cutoff][:20]
    posterior = _posterior(chains=4, draws=1000, spread=0.002, seed=4)
    elpd = stacking.candidate_elpd(posterior, top, cutoff, True)
    cond = stacking.conditional_log_density(posterior, top, cutoff, True).values.reshape(-1, top.size)
    harmonic = -np.log(np.mean(np.exp(-cond), axis=0))
    assert float(elpd.pareto_k.max()) < 0.7
    assert np.allclose(elpd.elpd_i.values, harmonic, atol=0.02)


# -- stacking weights and the mixture ----------------------------------------------------------------
def test_stacking_puts_the_weight_on_the_candidate_that_predicts_the_runs():
    cutoff = 0.885
    top = noisy_quadratic(**TRUTH).sample(2000, random_state=5)
    top = top[top > cutoff][:40]
    right = stacking.candidate_elpd(_posterior(draws=200, spread=0.001, seed=6), top, cutoff, True)
    wrong = _posterior(draws=200, spread=0.001, seed=7, shift=0.01)
    wrong = stacking.candidate_elpd(wrong, top, cutoff, True)
    elpd_i = np.stack([wrong.elpd_i.values, right.elpd_i.values], axis=1)
    plain = stacking.stacking_weights(elpd_i, bootstrap=0)
    assert plain[1] > 0.95 and stacking.stacking_weights(elpd_i)[1] > 0.9
    assert stacking.stacking_weights(elpd_i[:, 1:]).tolist() == [1.0]


def test_plain_stacking_is_arviz_stats_stacking():
    import arviz_stats

    cutoff = 0.885
    top = noisy_quadratic(**TRUTH).sample(3000, random_state=12)
    top = top[top > cutoff][:30]
    elpds = [
        stacking.candidate_elpd(_posterior(draws=200, spread=0.002, seed=s, shift=d), top, cutoff, True)
        for s, d in ((13, 0.0), (14, 0.002), (15, -0.003))
    ]
    names = ["a", "b", "c"]
    theirs = arviz_stats.compare(dict(zip(names, elpds, strict=True)), method="stacking")
    theirs = theirs.loc[names, "weight"].to_numpy(dtype=float)
    ours = stacking.stacking_weights(np.stack([e.elpd_i.values for e in elpds], axis=1), bootstrap=0)
    assert np.allclose(ours, theirs, atol=2e-3)


def test_bootstrapped_weights_spread_where_few_runs_barely_prefer_one_candidate():
    # B predicts 3 of 8 runs a little better and 5 a little worse: plain stacking takes A alone
    elpd_i = np.stack([np.zeros(8), np.r_[np.full(3, 0.1), np.full(5, -0.1)]], axis=1)
    assert np.allclose(stacking.stacking_weights(elpd_i, bootstrap=0), [1.0, 0.0], atol=1e-6)
    spread = stacking.stacking_weights(elpd_i, random_seed=1)
    assert spread.sum() == pytest.approx(1.0) and 0.1 < spread[1] < 0.5
    assert np.array_equal(spread, stacking.stacking_weights(elpd_i, random_seed=1))  # seeded: the same
    assert not np.array_equal(spread, stacking.stacking_weights(elpd_i, random_seed=2))


def test_the_mixture_takes_draws_in_proportion_to_the_weights_from_the_same_chain():
    a = _posterior(chains=2, draws=100, seed=8)
    b = _posterior(chains=3, draws=150, seed=9, shift=0.05)
    mix = stacking.mixture_posterior([a, b], [0.3, 0.7])
    assert dict(mix.sizes) == {"chain": 2, "draw": 100}
    from_b = mix["candidate"].values == 1
    assert from_b.sum(axis=1).tolist() == [70, 70]
    for c in range(2):  # every draw is one of its candidate's own chain
        assert np.isin(mix["beta"].values[c, ~from_b[c]], a["beta"].values[c]).all()
        assert np.isin(mix["beta"].values[c, from_b[c]], b["beta"].values[c]).all()
    only = stacking.mixture_posterior([a, b], [0.0, 1.0])
    assert (only["candidate"].values == 1).all()
    # a candidate of weight 0 (a rejected one, drawn short) does not cut the others' draws or chains
    assert dict(only.sizes) == {"chain": 3, "draw": 150}


def test_the_mixture_of_joint_fits_keeps_their_search_dimension_and_pairs_the_draws():
    def joint(seed, shift):
        a, b = (
            _posterior(draws=100, seed=seed, shift=shift),
            _posterior(draws=100, seed=seed + 1, shift=shift),
        )
        both = xr.concat([a, b], dim="search").assign_coords(search=["a", "b"])
        return both.assign(tau=(("chain", "draw"), np.ones((2, 100)) * seed)).transpose(
            "chain", "draw", "search"
        )

    x, y = joint(20, 0.0), joint(30, 0.05)
    mix = stacking.mixture_posterior([x, y], [0.4, 0.6])
    assert mix["beta"].dims == ("chain", "draw", "search") and list(mix["search"].values) == ["a", "b"]
    assert "tau" in mix
    from_y = mix["candidate"].values == 1
    for c in range(2):  # a draw of one candidate, for both searches at once (paired)
        for name in ("a", "b"):
            got = mix["beta"].sel(search=name).values[c]
            assert np.isin(got[from_y[c]], y["beta"].sel(search=name).values[c]).all()
            assert np.isin(got[~from_y[c]], x["beta"].sel(search=name).values[c]).all()
        assert (mix["tau"].values[c] == np.where(from_y[c], 30, 20)).all()
