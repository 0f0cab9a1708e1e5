"""bayesq.batch: many posteriors in one compiled JAX program."""

import dataclasses
import warnings

import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
from conftest import SIM_SPEC, THRESHOLD, assert_same_log_density, with_depth_cap

from bayesq.batch import BatchFit, _program, _sampler, fit_batch
from bayesq.diagnostics import diagnose
from bayesq.model import PARAMETERS, build_model, prepare_scores
from bayesq.priors import Priors
from bayesq.results import FitResult
from bayesq.samplers import TARGET_ACCEPT
from bayesq.sbc import ranks
from bayesq.simulate import simulate_random_search
from bayesq.stats import noisy_quadratic

pytestmark = pytest.mark.jax

SEARCHES = [simulate_random_search(**{**SIM_SPEC, "random_seed": s}).scores for s in (5, 6)]


@pytest.fixture(scope="module")
def batch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fit_batch(SEARCHES, THRESHOLD, draws=150, tune=150, chains=2, random_seed=2, quiet=True)


@pytest.mark.parametrize("maximize", [True, False])
def test_batched_density_is_build_models(maximize):
    """The batched log density of each data set (its distinct tail scores weighted by their
    counts, padded with count 0) equals build_model's on all its scores, at random points."""
    searches = [np.round(y, 3) for y in SEARCHES]  # ties, as in rounded accuracies
    searches = searches if maximize else [-y for y in searches]
    t = THRESHOLD if maximize else -THRESHOLD
    prepared = [prepare_scores(y, t, maximize) for y in searches]
    distinct = [np.unique(p.tail, return_counts=True) for p in prepared]
    assert all(values.size < p.tail.size for (values, _), p in zip(distinct, prepared, strict=True))
    length = max(values.size for values, _ in distinct) + 3  # padding present for every data set
    program = _program(maximize, None, None)
    rng = np.random.default_rng(0)
    for y, p, (values, counts) in zip(searches, prepared, distinct, strict=True):
        model = build_model(y, t, maximize)
        reference = model.compile_logp()
        shapes = [np.shape(model.initial_point()[name]) for name in program.names]
        data = (
            np.resize(values, length),
            np.pad(counts, (0, length - counts.size)) * 1.0,
            p.censored.size,
            t,
            p.spread,
        )
        for _ in range(3):
            x = rng.normal(scale=0.7, size=program.initial.size)  # the value variables, flattened
            parts = np.split(x, np.cumsum([np.prod(shape, dtype=int) for shape in shapes])[:-1])
            point = {n: v.reshape(shape) for n, v, shape in zip(program.names, parts, shapes, strict=True)}
            expected = reference(point)
            assert float(program.logp(jnp.asarray(x), data)) == pytest.approx(expected, rel=1e-12, abs=1e-10)


def test_batch_fit(batch, short_fit):
    """Layout, per-fit results and diagnostics, agreement with bayesq.fit, ranks (one fitted batch)."""
    post = batch.idata.posterior
    assert dict(post.sizes) == {"chain": 2, "draw": 150, "fit": 2}
    for name in ("alpha", "beta", "gamma", "sigma", "tail_mass", "log_beta_gap", "log_sigma"):
        assert name in post
    assert batch.draws("beta").shape == (2, 2, 150)
    diags = batch.diagnostics()
    assert len(diags) == 2
    for i, diag in enumerate(diags):
        assert diag == diagnose(batch.idata_of(i))  # vectorized diagnostics = one fit's
    # the default depth is blackjax's, not one the user lowered: hits on it are problems
    assert batch.settings["max_tree_depth"] is None
    assert not any(d.depth_capped for d in diags) and not batch.result(0).diagnostics().depth_capped
    lowered = with_depth_cap(batch, 3)
    assert all(d.depth_capped for d in lowered.diagnostics()) and lowered.result(1).diagnostics().depth_capped
    table = batch.table()
    assert list(table.index) == [0, 1] and {"divergences", "max_rhat", "beta"} <= set(table.columns)
    result = batch.result(1)
    assert isinstance(result, FitResult)
    np.testing.assert_array_equal(np.sort(result.scores), np.sort(SEARCHES[1]))
    assert result.threshold == THRESHOLD and result.settings["sampler"] == "blackjax-batched"
    # the best score's posterior sits at the truth (0.90) within the noise of a 200-run search
    assert result.best_score(ci=0.9).estimate == pytest.approx(SIM_SPEC["beta"], abs=0.01)
    with pytest.raises(IndexError, match="out of range"):
        batch.idata_of(2)

    # each fit's log_likelihood: the censored-tail likelihood of its own scores, draw by draw
    ll, one = result.idata.log_likelihood, result.idata.posterior
    a, b, g, s = (float(one[n].values[1, 40]) for n in PARAMETERS)
    d, y = noisy_quadratic(a, b, g, s), SEARCHES[1]
    np.testing.assert_allclose(ll["tail"].values[1, 40], d.logpdf(y[y > THRESHOLD]), rtol=1e-10)
    np.testing.assert_allclose(ll["censored"].values[1, 40], d.logcdf(THRESHOLD), rtol=1e-10)
    assert ll["censored"].sizes["censored_run"] == (y <= THRESHOLD).sum()

    # same model, same data as bayesq.fit (SIM_SPEC, seed 5): posterior means agree within MCSE
    mine, theirs = batch.result(0), short_fit
    for name in ("beta", "gamma"):
        a, b = (r.summary(var_names=[name], round_to="none").iloc[0] for r in (mine, theirs))
        se = np.hypot(a["mcse_mean"], b["mcse_mean"])
        assert abs(a["mean"] - b["mean"]) < 4 * se, (name, a["mean"], b["mean"], se)

    # a fit with a fixed prior unit rebuilds its model in that unit
    s = batch.result(0).settings
    fixed = s.replace(
        model=dataclasses.replace(s.model, fixed_spread=True),
        data=dataclasses.replace(s.data, spreads=(0.03,)),
    )
    idata = batch.idata_of(0)
    idata.posterior.attrs.update(fixed.to_attrs())
    assert_same_log_density(FitResult(idata).model, build_model(SEARCHES[0], THRESHOLD, spread=0.03))

    # ranks count the draws below the truth: at each fit's posterior 10 % quantile, about 10 of 101
    truth = pd.DataFrame({p: np.quantile(batch.draws(p), 0.1, axis=(1, 2)) for p in PARAMETERS})
    r, u = ranks(batch, truth, n_draws=101, random_seed=0)
    assert ((r >= 3) & (r <= 18)).all().all()  # 101 of 300 draws: about 2.4 s.d. either side
    assert ((u > r / 102) & (u < (r + 1) / 102)).all().all()
    with pytest.raises(ValueError, match="n_draws"):
        ranks(batch, truth, n_draws=10_000)


def test_a_later_fit_batch_reuses_the_compiled_program(batch):
    """The program and its JAX compilation are cached by settings and batch shape: the
    fixture's call compiled them once, and the same settings find that compilation."""
    program = _program(True, None, Priors())
    assert _program(True, None, Priors()) is program
    run = _sampler(program, 150, 150, TARGET_ACCEPT, 10)
    assert run._cache_size() == 1


def test_separate_fits_stacked_keep_their_draws_and_diagnostics(short_fit):
    """``BatchFit.stack``: fits of bayesq.fit, one per data set, as one BatchFit whose draws and
    diagnostics are each fit's own."""
    p = prepare_scores(short_fit.scores, THRESHOLD)
    stacked = BatchFit.stack([short_fit, short_fit], [p, p])
    assert dict(stacked.idata.posterior.sizes) == {"chain": 2, "draw": 300, "fit": 2}
    np.testing.assert_array_equal(stacked.draws("beta")[1], short_fit.idata.posterior["beta"].values)
    assert stacked.diagnostics()[1] == short_fit.diagnostics()
    assert stacked.table().loc[0, "n_tail"] == p.tail.size
    with pytest.raises(ValueError, match="one fit per data set: 1 fits, 2 data sets"):
        BatchFit.stack([short_fit], [p, p])
    shorter = FitResult(short_fit.idata.isel(draw=slice(0, 100)))
    with pytest.raises(ValueError, match=r"differ in \(chains, draws\)"):
        BatchFit.stack([short_fit, shorter], [p, p])


def test_batch_bad_input():
    with pytest.raises(ValueError, match="data set 1: only 0 of"):
        fit_batch([SEARCHES[0], SEARCHES[1] - 1], THRESHOLD)
    with pytest.raises(ValueError, match="one per data set"):
        fit_batch(SEARCHES, [THRESHOLD])
    with pytest.raises(
        ValueError, match=r"data set 1: spread \(the priors' unit\) must be finite and positive"
    ):
        fit_batch(SEARCHES, THRESHOLD, spread=[1.0, -1.0])
    with pytest.raises(ValueError, match="searches is empty"):
        fit_batch([], THRESHOLD)
    with pytest.raises(ValueError, match="draws must be"):
        fit_batch(SEARCHES, THRESHOLD, draws=0)
    with pytest.raises(ValueError, match="batch_size"):
        fit_batch(SEARCHES, THRESHOLD, batch_size=0)
    for depth in (0, 2.5, True):
        with pytest.raises(ValueError, match="max_tree_depth must be an integer >= 1"):
            fit_batch(SEARCHES, THRESHOLD, max_tree_depth=depth)


def test_a_batch_fit_saves_and_loads_with_its_data(batch, tmp_path):
    from bayesq import load

    again = load(batch.save(tmp_path / "batch.nc"))
    assert isinstance(again, BatchFit) and again.settings == batch.settings and len(again) == 2
    np.testing.assert_array_equal(again.draws("beta"), batch.draws("beta"))
    np.testing.assert_array_equal(again.prepared[1].scores, batch.prepared[1].scores)
    np.testing.assert_array_equal(again.result(1).draws("beta"), batch.result(1).draws("beta"))
