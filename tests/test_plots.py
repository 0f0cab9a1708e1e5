"""Plots of a fit: each takes the fit (or a scan) and returns matplotlib axes with what it promises."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bayesq import plots


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def labels(ax):
    return ax.get_legend_handles_labels()[1]


def test_cdf_panel_shows_the_posterior_band_beside_opda(short_fit):
    ax = plots.plot_cdf(short_fit, ci=0.8, support=(0, 1))
    assert {"bayesq 80% credible band", "empirical CDF", "opda 80% confidence band", "opda point fit"} <= set(
        labels(ax)
    )
    assert "asymptotic regime" in labels(ax)
    only_ours = plots.plot_cdf(short_fit, frequentist=False)
    assert not any("opda" in label for label in labels(only_ours))


def test_tuning_curve_panel_extrapolates_and_marks_the_regime(short_fit):
    k = np.geomspace(1, 2000, 40)
    ax = plots.plot_tuning_curve(short_fit, k=k, ci=0.8, support=(0, 1))
    assert ax.get_xscale() == "log"
    assert {"bayesq 80% band", "bayesq posterior median", "empirical (data)", "opda point fit"} <= set(
        labels(ax)
    )
    # the empirical curve stops at the number of runs; ours goes on
    empirical = next(line for line in ax.get_lines() if line.get_label() == "empirical (data)")
    assert empirical.get_xdata().max() <= short_fit.scores.size
    ours = next(line for line in ax.get_lines() if line.get_label() == "bayesq posterior median")
    assert np.nanmax(ours.get_xdata()) == pytest.approx(2000)
    curve = short_fit.tuning_curve(k, kind="mean")
    ax = plots.plot_tuning_curve(short_fit, curve=curve, frequentist=False)
    assert "bayesq posterior mean" in labels(ax)


def test_pit_plot_and_bad_ci(short_fit):
    ax = plots.plot_pit(short_fit)
    assert ax.get_xlabel() == "PIT of the tail scores"
    with pytest.raises(ValueError, match="ci must lie strictly between 0 and 1"):
        plots.plot_cdf(short_fit, ci=1.2)
    with pytest.raises(ValueError, match="ci must lie strictly between 0 and 1"):
        plots.plot_tuning_curve(short_fit, ci=0)
