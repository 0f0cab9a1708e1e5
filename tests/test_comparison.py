"""bayesq.comparison: is one search better than another, tuning effort accounted for."""

import dataclasses
import warnings

import numpy as np
import pytest
from conftest import SHORT, SIM_SPEC, THRESHOLD, searches

import bayesq
from bayesq import curves
from bayesq.comparison import _crossings, _single_loglik, compare_models
from bayesq.model import PARAMETERS
from bayesq.pit import tail_pit


def test_comparison_of_independent_fits(short_fit, other_fit):
    cmp = bayesq.compare({"a": short_fit, "b": other_fit})
    assert cmp.paired == "independent"
    size = min(short_fit.draws("beta").size, other_fit.draws("beta").size)
    # paired draws are the fits' own draws, reordered: whole draws (alpha, beta, gamma, sigma together)
    assert cmp.draws("a").size == size and np.isin(cmp.draws("a"), short_fit.draws("beta")).all()
    own = {tuple(row) for row in np.column_stack([short_fit.draws(p).ravel() for p in PARAMETERS])}
    paired = np.column_stack([cmp.draws("a", p) for p in PARAMETERS])
    assert all(tuple(row) in own for row in paired)
    diff = cmp.difference("b", "a")
    assert cmp.prob_better("b", "a") == pytest.approx(np.mean(diff > 0))
    assert cmp.prob_better("a", "b") + cmp.prob_better("b", "a") == pytest.approx(1.0)
    # b's true best score is 0.01 higher: with 100+ tail scores each the posterior sees it
    assert cmp.prob_better("b", "a") > 0.9
    assert 0.0 < np.median(diff) < 0.02
    assert cmp.prob_greater("a", "b", "gamma") == pytest.approx(
        np.mean(cmp.difference("a", "b", "gamma") > 0)
    )
    g = cmp.draws("a", "gamma")
    assert cmp.prob_between("a", "gamma", 1.5, 2.5) == pytest.approx(np.mean((g > 1.5) & (g < 2.5)))
    table = cmp.summary(ci=0.8)
    assert list(table.index) == ["a", "b"]
    lo, mid, hi = np.quantile(cmp.draws("b"), [0.1, 0.5, 0.9])
    assert table.loc["b", ["best_lower", "best", "best_upper"]].tolist() == pytest.approx([lo, mid, hi])
    pairs = cmp.pairs()
    assert pairs.loc[0, "P(a better)"] == pytest.approx(cmp.prob_better("a", "b"))
    assert "bayesq comparison" in str(cmp)


def _mirrored(result):
    """The fit of the losses -y: the same posterior, alpha and beta swapped and negated."""
    idata = result.idata.copy()
    post = idata.posterior
    alpha, beta = post["alpha"].copy(), post["beta"].copy()
    post["alpha"], post["beta"] = -beta, -alpha
    for name in list(idata.observed_data.data_vars):
        idata.observed_data[name] = -idata.observed_data[name]
    s = result.settings
    mirrored = s.replace(
        model=dataclasses.replace(s.model, maximize=False),
        data=dataclasses.replace(s.data, thresholds=(-result.threshold,)),
    )
    post.attrs.update(mirrored.to_attrs())
    return bayesq.FitResult(idata)


def test_minimizing_is_maximizing_mirrored(short_fit, other_fit):
    """Losses -y: the probabilities, best scores and tail PIT of the scores y, mirrored."""
    up = bayesq.compare({"a": short_fit, "b": other_fit}, random_seed=5)
    mirrored = {"a": _mirrored(short_fit), "b": _mirrored(other_fit)}
    down = bayesq.compare(mirrored, random_seed=5)
    assert not down.maximize
    assert down.prob_better("b", "a") == up.prob_better("b", "a") > 0.9
    np.testing.assert_array_equal(down.difference("b", "a"), -up.difference("b", "a"))
    k = np.geomspace(1, 1e4, 9)
    np.testing.assert_allclose(
        down.curve_probability("b", "a", k).prob, up.curve_probability("b", "a", k).prob
    )
    best_up, best_down = short_fit.best_score(eps=0.005), mirrored["a"].best_score(eps=0.005)
    assert best_down.estimate == pytest.approx(-best_up.estimate)
    assert (best_down.lower, best_down.upper) == pytest.approx((-best_up.upper, -best_up.lower))
    assert best_down.more_iterations == best_up.more_iterations
    # the PIT of -y is one minus that of y: P(-Y < -y) = P(Y > y)
    np.testing.assert_allclose(tail_pit(mirrored["a"]), np.sort(1 - tail_pit(short_fit)), atol=1e-10)
    with pytest.raises(ValueError, match="share a direction"):
        bayesq.compare({"a": short_fit, "b": mirrored["b"]})


def test_curve_probability_is_the_fraction_of_paired_curves(short_fit, other_fit):
    cmp = bayesq.compare({"a": short_fit, "b": other_fit})
    k = np.geomspace(1, 1e4, 9)
    cp = cmp.curve_probability("b", "a", k)
    ta = curves.tuning_curve(cmp._draws["a"], k, threshold=THRESHOLD).draws
    tb = curves.tuning_curve(cmp._draws["b"], k, threshold=THRESHOLD).draws
    np.testing.assert_allclose(cp.prob, np.mean(tb > ta, axis=0))
    assert cp.to_dataframe().shape == (9, 1)
    band = cmp.tuning_curve("a", k)
    np.testing.assert_allclose(band.draws, ta)


def test_crossings_are_interpolated_in_log_k():
    k = np.array([1.0, 10.0, 100.0, 1000.0])
    prob = np.array([0.2, 0.4, 0.6, 0.3])
    flips = _crossings(k, prob)
    assert flips == pytest.approx([10**1.5, 10 ** (2 + 1 / 3)])
    assert _crossings(k, np.full(4, 0.7)).size == 0
    # noise around 1/2 (a tie) decides no ranking: no flips within the margin
    assert _crossings(k, np.array([0.49, 0.51, 0.495, 0.505]), margin=0.02).size == 0
    # decided at k = 1 (0.3) and k = 1000 (0.7): one flip, where 1/2 is first crossed between them
    assert _crossings(k, np.array([0.3, 0.51, 0.49, 0.7]), margin=0.02) == pytest.approx([10 ** (0.2 / 0.21)])


def test_a_search_compared_with_itself_is_a_tie_with_no_flips(short_fit, tmp_path, capsys):
    cmp = bayesq.compare({"a": short_fit, "b": short_fit})  # independent pairing: shuffled draws
    assert abs(cmp.prob_better("a", "b") - 0.5) < 0.05
    cp = cmp.curve_probability("a", "b", np.geomspace(1, 1e4, 60))
    assert cp.flips.size == 0 and np.all(np.abs(cp.prob - 0.5) < 0.05)
    # exactly paired draws (the same draw on both sides) tie: 1/2, not 0
    same = bayesq.compare({"a": short_fit, "b": short_fit})
    same._draws["b"] = same._draws["a"]
    assert same.prob_better("a", "b") == 0.5
    from bayesq.cli import main

    path = short_fit.save(tmp_path / "a.nc")
    assert main(["compare", str(path), str(path), "--names", "a,b", "--k-max", "1000"]) == 0
    assert "the ranking flips at k = none" in capsys.readouterr().out


def test_compare_rejects_bad_input(short_fit, joint_fit):
    with pytest.raises(ValueError, match="two or more"):
        bayesq.compare({"a": short_fit})
    with pytest.raises(TypeError, match=r"not a bayesq\.FitResult"):
        bayesq.compare({"a": short_fit, "b": 3})
    with pytest.raises(TypeError, match="JointFit"):
        bayesq.compare([short_fit, short_fit])
    cmp = bayesq.compare(joint_fit)
    assert cmp.paired == "joint"
    np.testing.assert_array_equal(
        cmp.draws("b", "gamma"), joint_fit.idata.posterior["gamma"].values[..., 1].ravel()
    )
    with pytest.raises(KeyError, match="no search"):
        cmp.draws("c")
    with pytest.raises(ValueError, match="unknown quantity"):
        cmp.draws("a", "delta")
    with pytest.raises(ValueError, match="low < high"):
        cmp.prob_between("a", "gamma", 2, 1)


def test_compare_models_by_loo(joint_fit, short_fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        noiseless = bayesq.fit_joint(
            searches(), THRESHOLD, pool=("gamma",), noise=False, random_seed=2, **SHORT
        )
        table = compare_models({"pooled": joint_fit, "noiseless": noiseless})
    assert set(table.index) == {"pooled", "noiseless"}
    assert {"elpd", "p", "elpd_diff", "dse", "weight", "pareto_k_max", "pareto_k_bad"} <= set(table.columns)
    assert table["elpd_diff"].iloc[0] == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # ArviZ's Pareto-k warning, if any
        for label, fitted in (("pooled", joint_fit), ("noiseless", noiseless)):
            loo = fitted.loo()  # each row is its own model's PSIS-LOO, Pareto k included
            assert table.loc[label, "elpd"] == pytest.approx(loo.elpd)
            assert table.loc[label, "pareto_k_max"] == pytest.approx(float(loo.pareto_k.max()))
            assert table.loc[label, "pareto_k_bad"] == int((loo.pareto_k > 0.7).sum())
    # the noiseless model's sigma is recorded as 0 and left out of the convergence checks
    assert float(noiseless.idata.posterior["sigma"].max()) == 0.0
    assert np.isfinite(noiseless.diagnostics().max_rhat)
    # a FitResult's tail and censored points concatenate to the same runs
    single = _single_loglik(short_fit.idata).log_likelihood["scores"]
    assert single.shape[-1] == SIM_SPEC["n"]
    with pytest.raises(ValueError, match="same runs"):
        compare_models({"joint": joint_fit, "single": short_fit})


def test_cli_compare_writes_tables_and_plots(short_fit, other_fit, joint_fit, tmp_path, capsys):
    from bayesq.cli import main

    a, b = short_fit.save(tmp_path / "a.nc"), other_fit.save(tmp_path / "b.nc")
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), "--out", str(out), "--k-max", "1000"]) == 0
    printed = capsys.readouterr().out
    assert "P(a's median tuning curve better than b's)" in printed
    expected = {"comparison.txt", "summary.csv", "pairs.csv", "curve_probability.csv", "forest.png"}
    assert expected | {"tuning_curves.png", ".bayesq-output.json"} == {p.name for p in out.iterdir()}
    import pandas as pd

    pairs = pd.read_csv(out / "pairs.csv")
    cmp = bayesq.compare({"a": short_fit, "b": other_fit})
    assert pairs.loc[0, "P(a better)"] == pytest.approx(cmp.prob_better("a", "b"))
    assert main(["compare", str(a), str(b), "--out", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["compare", str(a), str(b), "--names", "x"]) == 2
    assert "one distinct name per fit" in capsys.readouterr().err
    j = joint_fit.save(tmp_path / "joint.nc")
    assert main(["compare", str(j)]) == 0
    assert "joint draws" in capsys.readouterr().out
    assert main(["compare", str(j), str(a)]) == 2
    assert main(["curves", str(j)]) == 2
    assert "--search" in capsys.readouterr().err
    assert main(["curves", str(j), "--search", "b", "--k-max", "100"]) == 0


def test_prob_better_with_a_rope_is_baycomps_three_way_answer(short_fit, other_fit):
    cmp = bayesq.compare({"a": short_fit, "b": other_fit})
    lead = cmp.difference("b", "a")  # maximizing: b's lead over a
    three = cmp.prob_better("b", "a", rope=0.005)
    assert sum(three) == pytest.approx(1.0)
    # the first search named ("b" here) is the Ranking's a
    assert three.a_better == pytest.approx(np.mean(lead > 0.005))
    assert three.b_better == pytest.approx(np.mean(lead < -0.005))
    assert three.equivalent == pytest.approx(np.mean(np.abs(lead) <= 0.005))
    # a rope of 0 leaves no equivalence (but ties), and a huge one makes everything equivalent
    assert cmp.prob_better("b", "a", rope=0.0).a_better == pytest.approx(cmp.prob_better("b", "a"), abs=1e-12)
    assert cmp.prob_better("b", "a", rope=1.0).equivalent == 1.0
    table = cmp.pairs(rope=0.005)
    assert table.loc[0, "P(equivalent)"] == pytest.approx(cmp.prob_better("a", "b", rope=0.005).equivalent)
    with pytest.raises(ValueError, match="rope must be >= 0"):
        cmp.prob_better("a", "b", rope=-0.1)
