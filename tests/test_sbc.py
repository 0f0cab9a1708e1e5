"""bayesq.sbc: simulation-based calibration of the fit."""

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from conftest import SIM_SPEC

from bayesq.sbc import SBCResult, prior_datasets, run_sbc
from bayesq.simulate import simulate_random_search

pytestmark = pytest.mark.jax

SEARCHES = [simulate_random_search(**{**SIM_SPEC, "random_seed": s}).scores for s in (5, 6)]


def test_sbc_with_separate_fits():
    """``run_sbc(method="separate")``: one bayesq.fit per prior data set, in the prior's fixed unit."""
    with pytest.raises(ValueError, match="method must be 'batch' or 'separate'"):
        run_sbc(2, 64, method="each")
    result = run_sbc(
        3, 64, draws=100, tune=100, chains=2, n_draws=50, method="separate", random_seed=1, quiet=True
    )
    truth, scores, _ = prior_datasets(3, 64, random_seed=np.random.default_rng(1))
    assert len(result.fits) == 3 and result.fits.settings["fixed_spread"]
    for i in range(3):
        np.testing.assert_array_equal(result.fits.prepared[i].scores, scores[i])  # the same prior draws
        assert result.fits.prepared[i].spread == 1.0
    pd.testing.assert_frame_equal(result.truth, truth)
    assert result.ranks.shape == (3, 4) and ((result.ranks >= 0) & (result.ranks <= 50)).all().all()
    assert result.fits.result(2).settings["threshold"] == 0.0


def test_sbc_of_default_fits_thins_the_extended_chains_to_the_draws_asked():
    """``extend=True``: each fit samples on as bayesq.fit does (2 x 100 draws cannot give an ESS of 400),
    and its chains are thinned evenly back to 100 draws, so every data set's ranks count alike."""
    result = run_sbc(
        2,
        64,
        draws=100,
        tune=100,
        chains=2,
        n_draws=50,
        method="separate",
        extend=True,
        random_seed=1,
        quiet=True,
    )
    for i in range(2):
        fitted = result.fits.result(i)
        assert fitted.idata.posterior.sizes == {"chain": 2, "draw": 100}
        assert fitted.idata.sample_stats.sizes["draw"] == 100
        np.testing.assert_array_equal(fitted.idata.posterior["draw"], np.arange(100))
        assert fitted.settings["draws"] == 100 and fitted.settings["max_draws"] == 500
    assert result.ranks.shape == (2, 4) and ((result.ranks >= 0) & (result.ranks <= 50)).all().all()


def test_prior_datasets_follow_the_model():
    truth, scores, redrawn = prior_datasets(400, 64, random_seed=1)
    assert scores.shape == (400, 64) and len(truth) == 400
    assert ((scores > 0).sum(axis=1) >= 8).all()  # every kept data set can be fitted
    # the model's relation alpha = beta - beta * p^(-2/gamma) (threshold 0, unit 1)
    np.testing.assert_allclose(
        truth.alpha, truth.beta - truth.beta * truth.tail_mass ** (-2 / truth.gamma), rtol=1e-9
    )
    np.testing.assert_allclose(truth.sigma, np.exp(truth.log_sigma), rtol=1e-12)
    # priors: gamma log-normal(log 2, 0.75)
    assert np.median(truth.gamma) == pytest.approx(2.0, rel=0.15)
    assert np.std(np.log(truth.gamma)) == pytest.approx(0.75, rel=0.15)
    assert 0 < redrawn < 200
    with pytest.raises(ValueError, match="n_scores"):
        prior_datasets(3, 4)


def test_sbc_uniformity_test_bins_expect_five_data_sets_each():
    """The chi-square test uses min(20, n // 5) bins (at least 2); the ECDF band is ArviZ's."""
    rng = np.random.default_rng(0)
    for n, bins in ((16, 3), (9, 2), (200, 20), (60, 12)):
        u = pd.DataFrame({"alpha": rng.uniform(size=n), "beta": np.full(n, 0.01)})
        ranks_ = (u * 50).astype(int)
        table = SBCResult(truth=u, ranks=ranks_, n_draws=50, u=u, fits=None, redrawn=0).test(prob=0.99)
        counts = np.histogram(u["alpha"], bins=bins, range=(0, 1))[0]
        assert table.loc["alpha", "chi2_p"] == pytest.approx(scipy.stats.chisquare(counts).pvalue)
        assert table.loc["beta", "chi2_p"] < 0.01 and not table.loc["beta", "inside"]
        assert table.loc["alpha", "mean_u"] == pytest.approx(u["alpha"].mean())


@pytest.mark.slow
def test_sbc_small_cpu():
    """A small simulation-based calibration on CPU (the full study: benchmarks/bench_sbc.py)."""
    result = run_sbc(48, 64, draws=200, tune=300, chains=2, n_draws=50, random_seed=3, quiet=True)
    table = result.test(prob=0.99)
    assert table["inside"].all(), table
