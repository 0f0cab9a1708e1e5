"""Speed of bayesq.fit against opda's point fit, side by side in one run.

For deberta-base (threshold 0.87, maximize): opda's
``NoisyQuadraticDistribution.fit`` (censored maximum spacing, the paper's
frequentist fit) and a default ``bayesq.fit`` (4 chains x 1000 draws, tune
1000) on each installed sampler; ``nutpie:jax`` is nutpie on its JAX
backend (``backend="jax"``, what the CLI's single fits use) instead of
bayesq's cached Numba program. Cold = the first fit in this process (graph
compilation included); warm = the same fit again; new data = then a fit of
other scores (the same search above 0.875), which a compiled program cached
by setting serves too. Ratio = warm time / opda's time. The first sampler's
cold fit is the first fit of a fresh process (PyTensor's and Numba's disk
caches as this machine has them). Writes ``benchmarks/results/bench_fit.json``
(``--name`` to change). Run:
``python benchmarks/bench_fit.py [--samplers nutpie,nutpie:jax,pymc] [--target-accept 0.8]
[--tune 300] [--max-tree-depth 2]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import time
import warnings

import numpy as np
import recording
from opda.parametric import NoisyQuadraticDistribution

import bayesq
from bayesq.data import load_dataset
from bayesq.samplers import available_samplers


def opda_fit(scores, threshold):
    return NoisyQuadraticDistribution.fit(scores, limits=(threshold, np.inf), method="maximum_spacing")


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main():
    parser = argparse.ArgumentParser()
    default = available_samplers()
    if "nutpie" in default and importlib.util.find_spec("jax"):
        default.insert(default.index("nutpie") + 1, "nutpie:jax")
    parser.add_argument("--samplers", default=",".join(default))
    parser.add_argument("--dataset", default="deberta-base")
    parser.add_argument("--threshold", type=float, default=0.87)
    parser.add_argument("--target-accept", type=float, help="instead of bayesq.fit's default (0.95)")
    parser.add_argument("--tune", type=int, help="tuning steps instead of bayesq.fit's default (1000)")
    parser.add_argument("--max-tree-depth", type=int, help="cap on the NUTS tree depth (default: 10)")
    parser.add_argument("--name", default="bench_fit", help="results file benchmarks/results/NAME.json")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    scores = load_dataset(args.dataset)
    print(
        f"{args.dataset}: {scores.size} scores, threshold {args.threshold}; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    )
    t_opda = [timed(lambda: opda_fit(scores, args.threshold))[0] for _ in range(2)]
    opda_time = float(np.median(t_opda))
    print(f"opda NoisyQuadraticDistribution.fit: {', '.join(f'{t:.2f}' for t in t_opda)} s")
    print(
        "\n| sampler | cold fit (s) | warm fit (s) | warm / opda | new data (s) | divergences | max R-hat "
        "| min ESS bulk | min ESS tail |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    rows = []
    for name in args.samplers.split(","):
        sampler, _, backend = name.partition(":")
        options = dict(sampler=sampler, quiet=True, **({"backend": backend} if backend else {}))
        if args.target_accept is not None:
            options["target_accept"] = args.target_accept
        if args.tune is not None:
            options["tune"] = args.tune
        if args.max_tree_depth is not None:
            options["max_tree_depth"] = args.max_tree_depth
        cold, _ = timed(lambda o=options: bayesq.fit(scores, args.threshold, random_seed=1, **o))
        warm, result = timed(lambda o=options: bayesq.fit(scores, args.threshold, random_seed=2, **o))
        new, _ = timed(lambda o=options: bayesq.fit(scores, args.threshold + 0.005, random_seed=3, **o))
        d = result.diagnostics()
        rows.append(
            {
                "sampler": name,
                "cold_seconds": cold,
                "warm_seconds": warm,
                "warm_over_opda": warm / opda_time,
                "new_data_seconds": new,
                "divergences": d.divergences,
                "max_rhat": d.max_rhat,
                "min_ess_bulk": d.min_ess_bulk,
                "min_ess_tail": d.min_ess_tail,
            }
        )
        print(
            f"| {name} | {cold:.1f} | {warm:.1f} | {warm / opda_time:.1f} | {new:.1f} | {d.divergences} | "
            f"{d.max_rhat:.4f} | {d.min_ess_bulk:.0f} | {d.min_ess_tail:.0f} |",
            flush=True,
        )
    print(f"\nopda median {opda_time:.2f} s")
    settings = {
        k: getattr(args, k) for k in ("dataset", "threshold", "target_accept", "tune", "max_tree_depth")
    }
    recording.write(args.name, {"settings": settings, "opda_seconds": t_opda, "samplers": rows})


if __name__ == "__main__":
    main()
