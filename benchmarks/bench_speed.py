"""What a user waits for, as a user meets it: the CLI in fresh processes, and everything after the fit.

Measured side by side in one run, on deberta-base (``models/deberta-base.toml``), each as seconds
and as a ratio to opda's point fit of the same data timed in this run (``NoisyQuadraticDistribution
.fit``, the median of two timings):

* ``help``: ``bayesq --help`` in a fresh process;
* ``fit_cli``: ``bayesq run models/deberta-base.toml --out DIR`` in a fresh process, run twice; the
  second run is the one reported (PyTensor's and Numba's disk caches filled by the first);
* ``curves_cli``: ``bayesq curves DIR --out DIR2`` on the saved fit, in a fresh process;
* ``thresholds_cli``: ``bayesq thresholds`` with 3 candidates (0.86, 0.87, 0.88), in a fresh
  process, also as a ratio to one warm fit;
* ``demo_cli``: ``bayesq demo`` in a fresh process;
* in this process, after a warm default fit (also timed): ``tuning_curve`` at 50 values of k from
  1 to 4,096 for the fit's 4,000 draws, and its largest distance to the direct inversion of each
  draw's CDF (:meth:`bayesq.stats.QuadraticFamily.isf`, Newton in log space), in units of
  ``beta - alpha``; ``best_after`` on the same k; ``best_score(predictive=True)``.

``--empty-cache`` adds ``fit_cli_empty_cache``: the same first CLI fit with PyTensor's compile
directory and bayesq's cache (:mod:`bayesq.cache`) empty (a new machine). Writes
``benchmarks/results/bench_speed.json``. Run: ``python benchmarks/bench_speed.py [--empty-cache]``.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import recording
from bench_fit import opda_fit, timed

import bayesq
from bayesq.data import data_dir
from bayesq.quantiles import median_tuning_curves
from bayesq.spec import load_spec
from bayesq.stats import noisy_quadratic

ROOT = pathlib.Path(__file__).parents[1]
SPEC = ROOT / "models" / "deberta-base.toml"
BAYESQ = [sys.executable, "-m", "bayesq"]


def run(args, env=None) -> float:
    """Wall time of ``python -m bayesq ARGS`` in a fresh process (it must succeed)."""
    start = time.perf_counter()
    done = subprocess.run([*BAYESQ, *args], capture_output=True, text=True, env=env, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"bayesq {' '.join(args)} failed:\n{done.stderr}")
    return elapsed


def curve_accuracy(result, k) -> float:
    """Largest |tuning curve - direct inversion| over draws and k, in units of beta - alpha."""
    post = result.idata.posterior
    a, b, g, s = (post[name].values.reshape(-1) for name in ("alpha", "beta", "gamma", "sigma"))
    curves = median_tuning_curves(a, b, g, s, k, maximize=result.maximize)
    dist = noisy_quadratic(a[:, None], b[:, None], g[:, None], s[:, None])
    direct = dist.isf(-np.expm1(np.log(0.5) / np.asarray(k))[None, :])  # P(Y > y) = 1 - 2^(-1/k)
    return float(np.max(np.abs(curves - direct) / (b - a)[:, None]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--empty-cache", action="store_true", help="also a first fit with no compile cache")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    spec = load_spec(SPEC)
    scores = spec.scores()
    t_opda = [timed(lambda: opda_fit(scores, spec.threshold))[0] for _ in range(2)]
    opda = float(np.median(t_opda))
    print(f"opda's point fit: {', '.join(f'{t:.2f}' for t in t_opda)} s")
    rows = {}
    work = pathlib.Path(tempfile.mkdtemp(prefix="bench_speed."))
    try:
        rows["help"] = run(["--help"])
        run(["run", str(SPEC), "--out", str(work / "first"), "--quiet"])
        rows["fit_cli"] = run(["run", str(SPEC), "--out", str(work / "fit"), "--quiet"])
        rows["curves_cli"] = run(["curves", str(work / "fit"), "--out", str(work / "curves"), "--quiet"])
        data = data_dir() / "deberta" / "deberta-base_tuning.results.jsonl"
        candidates = ["--extract", "best_matched", "--thresholds", "0.86,0.87,0.88", "--seed", "1"]
        out = ["--quiet", "--out", str(work / "thresholds")]
        rows["thresholds_cli"] = run(["thresholds", str(data), *candidates, *out])
        rows["demo_cli"] = run(["demo", "--quiet", "--out", str(work / "demo")])
        if args.empty_cache:
            env = {
                **os.environ,
                "PYTENSOR_FLAGS": f"base_compiledir={work / 'empty-cache'}",
                "BAYESQ_CACHE_DIR": str(work / "empty-bayesq-cache"),
            }
            rows["fit_cli_empty_cache"] = run(["run", str(SPEC), "--out", str(work / "cold"), "--quiet"], env)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    fit = lambda: bayesq.fit(scores, spec.threshold, maximize=True, random_seed=1, quiet=True)  # noqa: E731
    fit()  # compiles
    rows["warm_fit"], result = timed(fit)
    k = np.geomspace(1, 4096, 50)
    rows["tuning_curve"], _ = timed(lambda: result.tuning_curve(k))
    rows["best_after"], _ = timed(lambda: result.best_after(k))
    rows["best_score_predictive"], _ = timed(lambda: result.best_score(predictive=True))
    error = curve_accuracy(result, k)
    print(f"tuning curve against direct inversion: {error:.2e} of beta - alpha")
    print("| what | seconds | / opda's fit | / warm fit |\n|---|---|---|---|")
    for name, seconds in rows.items():
        print(f"| {name} | {seconds:.2f} | {seconds / opda:.2f} | {seconds / rows['warm_fit']:.2f} |")
    recording.write(
        "bench_speed",
        {
            "dataset": "deberta-base",
            "opda_seconds": t_opda,
            "seconds": rows,
            "over_opda": {name: seconds / opda for name, seconds in rows.items()},
            "thresholds_over_warm_fit": rows["thresholds_cli"] / rows["warm_fit"],
            "tuning_curve": {"draws": int(np.prod(list(result.idata.posterior["beta"].shape))), "k": k.size},
            "tuning_curve_error": error,
        },
    )


if __name__ == "__main__":
    main()
