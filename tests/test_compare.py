"""bayesq.compare, bayesq.joint and the joint model: the specification of comparing searches."""

import json
import warnings

import numpy as np
import pytest
from conftest import SHORT, SIM_SPEC, THRESHOLD, assert_same_log_density

import bayesq
from bayesq import curves
from bayesq.compare import _crossings, _single_loglik, compare_models
from bayesq.fit import PARAMETERS
from bayesq.model import build_joint_model, build_model
from bayesq.simulate import simulate_random_search
from bayesq.thresholds import tail_pit

# a second simulated architecture: the same search space, a better best score
OTHER_SPEC = dict(SIM_SPEC, beta=0.91, random_seed=6)


def _searches():
    return {
        "a": simulate_random_search(**SIM_SPEC).scores,
        "b": simulate_random_search(**OTHER_SPEC).scores,
    }


@pytest.fixture(scope="module")
def joint_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # short chains may fall short of ESS 400
        return bayesq.fit_joint(_searches(), THRESHOLD, random_seed=2, **SHORT)


@pytest.fixture(scope="module")
def other_fit():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return bayesq.fit(_searches()["b"], THRESHOLD, random_seed=4, **SHORT)


def _logp(model, point):
    return float(model.compile_logp()(point))


@pytest.mark.parametrize("h", [None, 6.0])
def test_joint_model_without_pooling_is_the_separate_models_side_by_side(h):
    s = _searches()
    joint = build_joint_model(s, {"a": THRESHOLD, "b": 0.86}, pool=(), n_hyperparameters=h)
    singles = [
        build_model(s["a"], THRESHOLD, n_hyperparameters=h),
        build_model(s["b"], 0.86, n_hyperparameters=h),
    ]
    rng = np.random.default_rng(0)
    points = [{k: v + rng.normal(0, 0.1) for k, v in m.initial_point().items()} for m in singles]
    stacked = {k: np.array([p[k] for p in points]) for k in points[0]}
    assert _logp(joint, stacked) == pytest.approx(
        sum(_logp(m, p) for m, p in zip(singles, points, strict=True)), rel=1e-10
    )


@pytest.mark.parametrize("n, h", [(2, None), (3, None), (3, 3.0)])
def test_pooled_gamma_is_the_hierarchical_normal_prior_with_mu_integrated_out(n, h):
    """On log gamma; with n_hyperparameters h on logit(gamma / h), centred at logit(min(2, h/2) / h)."""
    from scipy import stats

    s = {
        name: simulate_random_search(**dict(SIM_SPEC, random_seed=i)).scores
        for i, name in enumerate("abc"[:n])
    }
    model = build_joint_model(s, THRESHOLD, pool=("gamma",), n_hyperparameters=h)
    names = {v.name for v in model.free_RVs}
    assert {"gamma_tau", "gamma_level", "gamma_contrast"} <= names and "gamma" not in names
    rng = np.random.default_rng(1)
    tau = 0.3
    point = model.initial_point()
    point.update(gamma_tau_log__=np.log(tau), gamma_level=rng.normal(), gamma_contrast=rng.normal(size=n - 1))
    gamma = model.replace_rvs_by_values([model["gamma"]])[0]
    g = model.compile_fn(gamma, inputs=model.value_vars, on_unused_input="ignore")(point)
    if h is None:
        x, center, scale = np.log(g), np.log(2.0), 0.75
    else:
        assert np.all((g > 0) & (g < h))
        x, center, scale = np.log(g / (h - g)), 0.0, 1.5  # logit(1.5 / 3) = 0
    parts = model.compile_logp(vars=[model["gamma_level"], model["gamma_contrast"]], jacobian=False)(point)
    # density of (level, contrast) = density of x times the Jacobian tau^(n-1)
    cov = tau**2 * np.eye(n) + scale**2 * np.ones((n, n))
    expected = stats.multivariate_normal(np.full(n, center), cov).logpdf(x) + (n - 1) * np.log(tau)
    assert parts == pytest.approx(expected, rel=1e-10)


def test_pooling_needs_two_searches():
    with pytest.raises(ValueError, match="two or more searches"):
        build_joint_model({"a": _searches()["a"]}, THRESHOLD, pool=("gamma",))


def test_noiseless_joint_model_starts_inside_the_support():
    model = build_joint_model(_searches(), THRESHOLD, pool=("gamma",), noise=False)
    logps = model.point_logps()
    assert all(np.isfinite(v) for v in logps.values())
    assert "log_sigma" not in {v.name for v in model.free_RVs}
    assert "scale" not in model.coords  # no dimension without a variable on it


def test_joint_model_samples_the_scales_jointly_unless_sigma_is_pooled():
    separate = build_joint_model(_searches(), THRESHOLD, pool=("gamma",))
    assert "log_scales" in {v.name for v in separate.free_RVs}
    assert separate.named_vars_to_dims["log_scales"] == ("search", "scale")
    pooled = build_joint_model(_searches(), THRESHOLD, pool=("gamma", "sigma"))
    assert "log_scales" not in {v.name for v in pooled.free_RVs}
    assert "scale" not in pooled.coords


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(pool=("alpha",)), "cannot pool"),
        (dict(pool=("sigma",), noise=False), "no sigma to pool"),
        (dict(thresholds={"a": 0.85}), "missing"),
        (dict(thresholds={"a": 0.85, "b": 0.85, "c": 0.8}), "unknown"),
        (dict(thresholds={"a": 0.85, "b": 0.99}), "search 'b'"),
        (dict(n_hyperparameters=0), "n_hyperparameters must be positive"),
    ],
)
def test_joint_model_rejects_bad_input(kwargs, message):
    kwargs = {"thresholds": THRESHOLD, **kwargs}
    with pytest.raises(ValueError, match=message):
        build_joint_model(_searches(), **kwargs)
    with pytest.raises(ValueError, match="non-empty mapping"):
        build_joint_model({}, THRESHOLD)


def test_joint_fit_records_a_point_per_run_and_splits_into_fit_results(joint_fit, tmp_path):
    post = joint_fit.idata.posterior
    assert list(post["search"].values) == ["a", "b"]
    ll = joint_fit.idata.log_likelihood["scores"]
    assert ll.shape[-1] == 2 * SIM_SPEC["n"]
    for j, name in enumerate(joint_fit.names):
        res = joint_fit.result(name)
        scores = _searches()[name]
        assert np.sort(res.scores).tolist() == np.sort(scores).tolist()
        assert res.settings["n_tail"] == int(np.sum(scores > THRESHOLD))
        np.testing.assert_array_equal(res.draws("beta"), post["beta"].values[..., j])
        # the per-search pieces are the joint points, in order
        mine = ll.values[..., ll["run_search"].values == name]
        np.testing.assert_array_equal(
            res.idata.log_likelihood["tail"].values, mine[..., : res.settings["n_tail"]]
        )
        curve = res.tuning_curve([1, 10, 100])
        assert np.all(np.diff(curve.estimate) > 0)
        with pytest.raises(ValueError, match="fitted jointly"):
            res.model  # noqa: B018
    with pytest.raises(KeyError, match="no search 'c'"):
        joint_fit.result("c")
    path = joint_fit.save(tmp_path / "joint.nc")
    again = bayesq.load(path)
    assert isinstance(again, bayesq.JointFit) and again.names == joint_fit.names
    assert [v.name for v in again.model.basic_RVs] == [v.name for v in joint_fit.model.basic_RVs]
    assert_same_log_density(again.model, joint_fit.model)  # thresholds, data, priors
    assert str(again.diagnostics()) == str(joint_fit.diagnostics())


def test_joint_prior_sensitivity_has_a_row_per_search_and_parameter(joint_fit):
    joint = bayesq.JointFit(joint_fit.idata.copy(), model=joint_fit.model)
    table = joint.prior_sensitivity()
    assert list(table.index) == [f"{p}[{n}]" for p in PARAMETERS for n in ("a", "b")] + ["gamma_tau"]
    # the pooled log gamma's priors, hyperprior included, enter the log prior
    assert {"gamma_tau", "gamma_level", "gamma_contrast", "log_scales", "tail_mass"} <= set(
        joint.idata.log_prior.data_vars
    )
    # two searches say little about the spread of their gammas: its prior moves it most
    tau = table.loc["gamma_tau"]
    assert tau.prior > max(0.05, tau.likelihood) and tau.diagnosis != "-"
    assert "log_prior" not in joint_fit.idata


def test_joint_fit_reads_a_lowered_tree_depth_from_its_settings(joint_fit):
    assert joint_fit.settings["max_tree_depth"] is None and not joint_fit.diagnostics().depth_capped
    idata = joint_fit.idata.copy()
    settings = {**joint_fit.settings, "max_tree_depth": 2}
    idata.posterior.attrs = {**idata.posterior.attrs, "bayesq_joint": json.dumps(settings)}
    capped = bayesq.JointFit(idata)
    assert capped.diagnostics().depth_capped
    assert (
        capped.result("a").settings["max_tree_depth"] == 2 and capped.result("a").diagnostics().depth_capped
    )
    # the cap is checked before anything is built
    with pytest.raises(ValueError, match="max_tree_depth must be an integer"):
        bayesq.fit_joint(_searches(), THRESHOLD, max_tree_depth=0)


def test_joint_fit_bounded_by_the_nominal_count_keeps_the_bound_through_save_and_load(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = bayesq.fit_joint(
            _searches(),
            THRESHOLD,
            pool=(),
            n_hyperparameters=3.0,
            random_seed=5,
            chains=1,
            draws=50,
            tune=50,
            quiet=True,
        )
    gamma = fit.idata.posterior["gamma"].values
    assert np.all((gamma > 0) & (gamma < 3.0))
    assert "gamma_logit" in fit.idata.posterior
    assert fit.settings["n_hyperparameters"] == 3.0
    assert fit.result("b").settings["n_hyperparameters"] == 3.0
    again = bayesq.load(fit.save(tmp_path / "bounded.nc"))
    assert "gamma_logit" in {v.name for v in again.model.free_RVs}
    assert_same_log_density(again.model, fit.model)


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
    settings = dict(result.settings, threshold=-result.threshold, maximize=False)
    post.attrs["bayesq"] = json.dumps(settings)
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
            _searches(), THRESHOLD, pool=("gamma",), noise=False, random_seed=2, **SHORT
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
