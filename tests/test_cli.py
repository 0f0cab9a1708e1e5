"""The command line: ``bayesq demo`` runs end to end on simulated data."""

import pytest

from bayesq.cli import main
from bayesq.simulate import simulate_random_search


def test_demo_runs_and_reports_the_truth(capsys):
    assert main(["demo", "--n", "300", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "truth: alpha=0.8 beta=0.9 gamma=2.0 sigma=0.002" in out
    assert "maximized at gamma" in out


def test_simulation_is_seeded_and_validates_its_arguments():
    a = simulate_random_search(n=100, random_seed=1)
    b = simulate_random_search(n=100, random_seed=1)
    assert (a.scores == b.scores).all() and a.failed.sum() > 0
    assert (a.scores[a.failed] < a.alpha).all()
    with pytest.raises(ValueError, match="n must be at least 1"):
        simulate_random_search(n=0)
    with pytest.raises(ValueError, match="failure_rate"):
        simulate_random_search(failure_rate=1.5)
