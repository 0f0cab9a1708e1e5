"""Simulation-based calibration and batched-fit throughput (issue 6).

Runs where JAX finds its device: on a GPU machine (``pip install 'bayesq[jax]'``
plus the CUDA JAX wheel, e.g. ``pip install 'jax[cuda12]'``) the batched
fitter runs there; on a CPU-only machine it runs on the CPU.

Two measurements, in one run:

1. SBC: ``--datasets`` data sets of ``--scores`` scores from the prior
   predictive, fitted by ``bayesq.batch.fit_batch`` (``--chains`` x
   ``--draws``, ``--tune``), ranks of alpha, beta, gamma, sigma among
   ``--rank-draws`` thinned posterior draws, the ECDF test (99 % simultaneous
   band) and chi-square p-values, written to ``--out`` (CSV of ranks) and
   ``--plot`` (ECDF-difference panels); existing files are kept unless
   ``--force`` (checked before any fit), and each is written whole or not
   at all. ``--method separate`` fits the data
   sets one by one with ``bayesq.fit`` instead (nutpie's program, compiled
   once: the faster path on a CPU) and skips the throughput part; with
   ``--extend`` each fit samples on until the convergence standard holds, as
   ``bayesq.fit`` does by default, and is thinned evenly to ``--draws`` per
   chain (does the data-dependent stopping keep the ranks uniform?).
2. Throughput: fits per minute of the batched fitter (the SBC's wall time,
   compilation included, and a second call of the compiled program) against
   ``bayesq.fit`` (default sampler, same chains/draws/tune) on
   ``--compare-fits`` of the same data sets, one after another.

Examples::

    python benchmarks/bench_sbc.py                                  # full study (GPU)
    python benchmarks/bench_sbc.py --datasets 32 --compare-fits 2   # CPU-sized
    python benchmarks/bench_sbc.py --method separate --chains 2 --draws 1000 --tune 500 --rank-draws 100
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import time
import warnings

import numpy as np
import recording


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=int, default=500)
    parser.add_argument("--scores", type=int, default=256)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--rank-draws", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument(
        "--method",
        choices=("batch", "separate"),
        default="batch",
        help="fit_batch (one JAX program; the GPU path) or one bayesq.fit per data set (CPU)",
    )
    parser.add_argument(
        "--compare-fits", type=int, default=2, help="bayesq.fit runs for the throughput ratio"
    )
    parser.add_argument(
        "--extend",
        action="store_true",
        help="--method separate: fit as bayesq.fit does by default, sampling on until the standard holds",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--warm", action="store_true", help="time a second call of the compiled program too")
    parser.add_argument("--out", default="sbc_ranks.csv")
    parser.add_argument("--plot", default="sbc_ecdf.png")
    parser.add_argument("--force", action="store_true", help="replace existing --out and --plot files")
    parser.add_argument("--name", default="bench_sbc", help="summary file benchmarks/results/NAME.json")
    args = parser.parse_args()
    for path in (args.out, args.plot):
        if os.path.exists(path) and not args.force:
            parser.error(f"{path} exists; pass --force to replace it (or choose another --out / --plot)")

    import jax

    import bayesq
    from bayesq.batch import fit_batch
    from bayesq.files import atomic_file
    from bayesq.sbc import ranks, run_sbc

    device = jax.devices()[0]
    print(f"JAX device: {device.platform} ({device.device_kind}), {jax.device_count()} device(s)")
    print(f"host: {platform.machine()}, {os.cpu_count()} cores")
    settings = dict(draws=args.draws, tune=args.tune, chains=args.chains)
    print(
        f"SBC: {args.datasets} data sets x {args.scores} scores, {settings}, ranks among {args.rank_draws}, "
        f"method {args.method}"
    )

    start = time.perf_counter()
    result = run_sbc(
        args.datasets,
        args.scores,
        n_draws=args.rank_draws,
        method=args.method,
        extend=args.extend,
        batch_size=args.batch_size,
        random_seed=args.seed,
        **settings,
    )
    cold = time.perf_counter() - start
    print(f"{len(result.truth)} fits in {cold:.1f} s")
    table = result.fits.table()
    print(f"prior draws replaced (fewer than 8 tail scores): {result.redrawn}")
    print(
        f"fits: divergences in {int((table.divergences > 0).sum())} of {len(table)} "
        f"(total {int(table.divergences.sum())} of {int(table.draws.sum())} draws); "
        f"R-hat > 1.01 in {int((table.max_rhat > 1.01).sum())}; "
        f"median min ESS bulk {table.min_ess_bulk.median():.0f}, tail {table.min_ess_tail.median():.0f}"
    )
    print("rank uniformity (ECDF inside its 99% simultaneous band; chi-square over min(20, n/5) bins):")
    print(result.test(prob=0.99).to_string())
    # the same test within groups chosen by the data alone (here: by how the fit went), where ranks
    # stay uniform if the sampler is right; groups chosen by the truth would not (shrinkage)
    groups = {
        "fits with divergences": table.divergences.values > 0,
        "fits with R-hat > 1.01": table.max_rhat.values > 1.01,
        "fits meeting the standard": np.array([not d.problems() for d in result.fits.diagnostics()]),
    }
    for name, mask in groups.items():
        if mask.sum() >= 10:
            part = dataclasses.replace(
                result, truth=result.truth[mask], ranks=result.ranks[mask], u=result.u[mask]
            )
            print(f"{name} ({int(mask.sum())}):")
            print(part.test(prob=0.99).to_string())
    truth = result.truth.rename(columns={p: f"{p}_true" for p in result.ranks.columns})
    diagnostics = table[["n_tail", "divergences", "max_rhat", "min_ess_bulk", "min_ess_tail"]]
    with atomic_file(args.out) as tmp:
        result.ranks.join(truth).join(diagnostics.set_index(result.ranks.index)).to_csv(tmp)
    print(f"ranks written to {args.out}")

    from bayesq.plots import plot_sbc

    axes = plot_sbc(result)
    with atomic_file(args.plot) as tmp:
        axes.ravel()[0].figure.savefig(tmp, dpi=120, format=os.path.splitext(args.plot)[1][1:] or "png")
    print(f"ECDF-difference plot written to {args.plot}")
    summary = {
        "settings": {
            k: getattr(args, k) for k in ("datasets", "scores", "rank_draws", "method", "extend", "seed")
        }
        | settings,
        "seconds": cold,
        "redrawn": result.redrawn,
        "fits_with_divergences": int((table.divergences > 0).sum()),
        "fits_rhat_above_1.01": int((table.max_rhat > 1.01).sum()),
        "ranks_file": args.out,
        "test": result.test(prob=0.99).reset_index().to_dict(orient="records"),
    }
    if args.method == "separate":
        recording.write(args.name, summary)
        return

    # throughput: optionally the compiled program again (warm), then bayesq.fit one data set at a time
    scores = [result.fits.prepared[i].scores for i in range(len(result.fits))]
    warm = cold
    if args.warm:
        start = time.perf_counter()
        again = fit_batch(
            scores, 0.0, spread=1.0, batch_size=args.batch_size, random_seed=1, quiet=True, **settings
        )
        warm = time.perf_counter() - start
        r_warm, _ = ranks(again, result.truth, args.rank_draws)
        print(f"(warm repeat: mean rank of beta {r_warm.beta.mean() / args.rank_draws:.3f} of its range)")
    per_min_cold = 60 * len(scores) / cold
    per_min_warm = 60 * len(scores) / warm
    print(f"batched ({device.platform}): {len(scores)} fits in {cold:.1f} s cold, {warm:.1f} s warm")

    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for i in range(args.compare_fits):
            start = time.perf_counter()
            bayesq.fit(scores[i], 0.0, spread=1.0, quiet=True, random_seed=i, **settings)
            times.append(time.perf_counter() - start)
    per_min_fit = 60 / np.median(times[1:] if len(times) > 1 else times)
    print(f"bayesq.fit ({bayesq.fit.__module__}, default sampler): {', '.join(f'{t:.1f}' for t in times)} s")
    print(
        f"fits per minute: batched {per_min_warm:.2f} warm ({per_min_cold:.2f} with compilation), "
        f"bayesq.fit {per_min_fit:.2f}; ratio {per_min_warm / per_min_fit:.2f} "
        f"({per_min_cold / per_min_fit:.2f} cold)"
    )
    summary["throughput"] = {
        "device": device.platform,
        "batched_fits_per_minute_warm": per_min_warm,
        "batched_fits_per_minute_cold": per_min_cold,
        "bayesq_fit_per_minute": per_min_fit,
        "bayesq_fit_seconds": times,
    }
    recording.write(args.name, summary)


if __name__ == "__main__":
    main()
