"""Optuna random searches of a known objective, fitted from the study: do the 90 % intervals hold the truth?

Each search is a real Optuna study (``RandomSampler``) of 300 trials on [-1, 1]^2 with

    score = 0.9 - 0.1 |x|^2 + N(0, 0.002^2),

5 % of its trials failing (the objective raises, Optuna records FAIL). Within the unit disk the
score's upper tail is exactly a noisy quadratic with ``beta = 0.9`` and ``gamma = 2``, the number
of hyperparameters; the threshold 0.86 keeps the tail in it. The minimized twin of each study
scores ``1 - score`` (best achievable loss ``alpha = 0.1``, threshold 0.14). Each study is fitted
with :func:`bayesq.fit` straight from the ``Study`` (its direction read from it, its failed trials
counted as censored runs), 4 chains x 500 draws (tune 500), and the benchmark counts how often the
central 90 % interval of the best score, and of gamma, holds the truth.

Writes ``benchmarks/results/bench_optuna.json``. Run: ``python benchmarks/bench_optuna.py [--seeds N]``.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import optuna
import recording

import bayesq

N_TRIALS = 300
BEST, REACH, NOISE = 0.9, 0.1, 0.002  # score = BEST - REACH |x|^2 + N(0, NOISE^2)
FAILURE_RATE = 0.05
GAMMA = 2.0  # two hyperparameters
THRESHOLD = 0.86  # of the score; 1 - THRESHOLD for the loss
FIT = dict(draws=500, tune=500, chains=4, random_seed=1, quiet=True)


def known_study(storage, name, direction, seed, objectives=1):
    """A random search of the known objective in ``storage`` (None: in memory), and its number of failures.

    ``direction`` is "maximize" (the score) or "minimize" (the loss, ``1 - score``). With
    ``objectives=2`` the study has a second objective, the first coordinate of ``x``.
    """
    rng = np.random.default_rng(seed)
    fails = rng.random(N_TRIALS) < FAILURE_RATE
    noise = rng.normal(0, NOISE, N_TRIALS)
    study = optuna.create_study(
        storage=storage,
        study_name=name,
        directions=[direction] * objectives,
        sampler=optuna.samplers.RandomSampler(seed=seed),
    )

    def objective(trial):
        x = np.array([trial.suggest_float(f"x{i}", -1, 1) for i in range(2)])
        if fails[trial.number]:
            raise RuntimeError("training diverged")
        score = BEST - REACH * float(x @ x) + noise[trial.number]
        value = score if direction == "maximize" else 1 - score
        return value if objectives == 1 else (value, float(x[0]))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's log of each failed trial
        study.optimize(objective, n_trials=N_TRIALS, catch=(RuntimeError,))
    return study, int(fails.sum())


def covered(draws, truth, ci=0.9) -> bool:
    lo, hi = np.quantile(draws, [(1 - ci) / 2, (1 + ci) / 2])
    return bool(lo < truth < hi)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    seeds = parser.parse_args().seeds
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    rows = []
    for seed in range(seeds):
        for direction in ("maximize", "minimize"):
            study, failed = known_study(None, f"seed-{seed}", direction, seed)
            threshold = THRESHOLD if direction == "maximize" else 1 - THRESHOLD
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                result = bayesq.fit(study, threshold, **FIT)
            best, truth = ("beta", BEST) if direction == "maximize" else ("alpha", 1 - BEST)
            row = dict(
                seed=seed,
                direction=direction,
                failed=failed,
                runs=int(result.scores.size),
                tail=int(result.settings.data.n_tail[0]),
                best_covered=covered(result.draws(best).ravel(), truth),
                gamma_covered=covered(result.draws("gamma").ravel(), GAMMA),
                divergences=int(result.diagnostics().divergences),
            )
            rows.append(row)
            print(row, flush=True)
    summary = {
        "searches": len(rows),
        "best_coverage": float(np.mean([r["best_covered"] for r in rows])),
        "gamma_coverage": float(np.mean([r["gamma_covered"] for r in rows])),
        "every_trial_a_run": all(r["runs"] == N_TRIALS for r in rows),
    }
    print(summary)
    settings = dict(
        trials=N_TRIALS,
        failure_rate=FAILURE_RATE,
        best=BEST,
        gamma=GAMMA,
        noise=NOISE,
        threshold=THRESHOLD,
        fit=FIT,
        seeds=seeds,
    )
    recording.write("bench_optuna", {"settings": settings, "summary": summary, "searches": rows})


if __name__ == "__main__":
    main()
