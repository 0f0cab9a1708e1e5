"""Threshold choice: the scan across thresholds and the documented suggestion rule."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from bayesq import thresholds
from bayesq.cli import main
from bayesq.pit import tail_pit
from bayesq.simulate import simulate_random_search


def fake_scan(n_tail, best, pvalue, divergences=None):
    best = np.asarray(best, dtype=float)
    return thresholds.ThresholdScan(
        thresholds=np.linspace(0.80, 0.80 + 0.01 * (len(n_tail) - 1), len(n_tail)),
        n_tail=np.asarray(n_tail),
        intervals={"best": best},
        pit_distance=np.zeros(len(n_tail)),
        pit_pvalue=np.asarray(pvalue, dtype=float),
        divergences=np.zeros(len(n_tail), int) if divergences is None else np.asarray(divergences),
        results=[],
        ci=0.9,
        maximize=True,
    )


def test_suggestion_rule_takes_the_most_data_that_fit_and_agree_with_stricter_thresholds():
    # the lowest threshold fits badly; the next agrees with all stricter ones
    scan = fake_scan(
        [400, 300, 200, 100],
        [[0.80, 0.81, 0.82], [0.88, 0.89, 0.90], [0.885, 0.892, 0.90], [0.88, 0.893, 0.91]],
        [0.001, 0.5, 0.6, 0.7],
    )
    assert thresholds._suggest(scan, 0.05) == pytest.approx(0.81)
    # ... unless its best score falls outside a stricter threshold's interval
    scan.intervals["best"][1] = [0.86, 0.87, 0.875]
    assert thresholds._suggest(scan, 0.05) == pytest.approx(0.82)
    # a divergent fit does not count: the next passing one is the strictest
    scan.divergences[:] = [0, 0, 3, 0]
    assert thresholds._suggest(scan, 0.05) == pytest.approx(0.83)
    # nothing passing gives None
    scan.pit_pvalue[:] = 0.0
    assert thresholds._suggest(scan, 0.05) is None


def test_scan_fits_each_threshold(tmp_path, monkeypatch, capsys):
    """Run through ``bayesq thresholds --out``: the scan's table and figure are written whole."""
    sim = simulate_random_search(n=160, alpha=0.8, beta=0.9, gamma=2.0, sigma=0.004, random_seed=8)
    scores = tmp_path / "scores.txt"
    np.savetxt(scores, sim.scores)
    scans = []
    real_scan = thresholds.scan_thresholds

    def keep_scan(*args, **kwargs):  # the CLI's own scan, kept for the checks below
        scans.append(real_scan(*args, **kwargs))
        return scans[-1]

    monkeypatch.setattr(thresholds, "scan_thresholds", keep_scan)
    out = tmp_path / "scan"
    argv = ["thresholds", str(scores), "--thresholds", "0.84,0.86", "--out", str(out)]
    argv += ["--draws", "100", "--tune", "100", "--chains", "2", "--seed", "1"]
    assert main(argv) == 0
    (scan,) = scans
    table = scan.to_dataframe()
    assert sorted(p.name for p in out.iterdir()) == [
        ".bayesq-output.json",
        "thresholds.csv",
        "thresholds.png",
    ]
    written = pd.read_csv(out / "thresholds.csv", index_col=0)
    pd.testing.assert_frame_equal(written, table, check_names=False, check_dtype=False)
    assert f"results written to {out.resolve()}" in capsys.readouterr().out
    # an existing directory is kept: the CLI refuses before fitting anything
    before = (out / "thresholds.csv").read_bytes()
    assert main(argv) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "thresholds.csv").read_bytes() == before and len(scans) == 1
    assert list(table.index) == [0.84, 0.86]
    assert table["n_tail"].tolist() == [int(np.sum(sim.scores > t)) for t in (0.84, 0.86)]
    for name in ("beta", "gamma", "sigma"):  # each fit's central 90 % interval and median
        expected = [np.quantile(r.draws(name), [0.05, 0.5, 0.95]) for r in scan.results]
        np.testing.assert_allclose(scan.intervals[name], expected)
    np.testing.assert_array_equal(scan.intervals["best"], scan.intervals["beta"])  # maximizing
    for r, p in zip(scan.results, scan.pit_pvalue, strict=True):
        assert r.threshold in (0.84, 0.86)
        assert p == pytest.approx(stats.kstest(tail_pit(r), "uniform").pvalue)
    assert scan.suggested == thresholds._suggest(scan, 0.05)  # the documented rule, default level
    from bayesq.plots import plot_thresholds

    assert len(plot_thresholds(scan)) == 4


@pytest.mark.parametrize(
    "candidates, message",
    [([], "non-empty"), ([0.8, np.nan], "finite"), ([0.95], "threshold")],
)
def test_scan_errors_name_the_problem(candidates, message):
    sim = simulate_random_search(n=100, random_seed=2)
    with pytest.raises(ValueError, match=message):
        thresholds.scan_thresholds(sim.scores, candidates, draws=50, tune=50, chains=1)


def test_candidates_fitted_on_an_executor_give_the_scan_fitted_here():
    import concurrent.futures
    import warnings

    sim = simulate_random_search(n=200, random_seed=2)
    options = dict(draws=100, tune=100, chains=2, random_seed=1, extend=False)  # short: it warns
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        here = thresholds.scan_thresholds(sim.scores, [0.85, 0.86], **options)
    assert any(str(w.message).startswith("threshold 0.85: bayesq.fit:") for w in caught)
    with concurrent.futures.ThreadPoolExecutor(2) as pool, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        there = thresholds.scan_thresholds(sim.scores, [0.85, 0.86], executor=pool, **options)
    pd.testing.assert_frame_equal(here.to_dataframe(), there.to_dataframe())
    with pytest.raises(ValueError, match="only 0 of 200 scores") as info:
        thresholds.scan_thresholds(sim.scores, [0.85, 0.99], **options)
    assert "(bayesq: the threshold 0.99)" in info.value.__notes__
