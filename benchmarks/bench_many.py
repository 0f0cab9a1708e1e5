"""Many searches: ``fit_many`` on a Dask cluster of worker processes, against the same fits in turn.

N simulated searches (200 runs each, seeds 0..N-1, threshold 0.85), default fits (4 chains x 1,000
draws, tune 1,000, nutpie), each timed as a user meets it, from a fresh start:

* ``serial``: ``bayesq.fit_many(searches, 0.85)`` in a new process (its imports and the one
  compilation of the program included);
* ``dask``: the same with ``executor=Client.get_executor()`` of a new ``LocalCluster`` of W worker
  processes (one thread each), started in the timing (each worker imports bayesq and compiles the
  program once, on its first fit).

Both give every search the draws of ``bayesq.fit`` with the same seed; the benchmark checks it.
nutpie samples a fit's chains in parallel threads, so a serial fit already uses several cores:
the cluster gains where there are more cores than one fit keeps busy.

Writes ``benchmarks/results/bench_many.json``. Run:
``python benchmarks/bench_many.py [--searches N] [--workers W]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import recording

CHILD = """
import sys, time, warnings
import numpy as np
start = time.perf_counter()
import bayesq
from bayesq.simulate import simulate_random_search
n, workers = int(sys.argv[1]), int(sys.argv[2])
searches = {f"seed {s}": simulate_random_search(n=200, random_seed=s).scores for s in range(n)}
warnings.simplefilter("ignore")
options = dict(progressbar=False, random_seed=1)
if workers:
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, Client(cluster) as client:
        fits = bayesq.fit_many(searches, 0.85, executor=client.get_executor(), **options)
else:
    fits = bayesq.fit_many(searches, 0.85, **options)
seconds = time.perf_counter() - start
# one row per search (the fits may extend to different lengths): its draws of beta, flattened
beta = np.concatenate([fits[k].draws("beta").ravel() for k in searches])
np.save(sys.argv[3], beta)
print(seconds)
"""


def timed_run(n: int, workers: int, out: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), str(workers), out], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return float(done.stdout.strip().splitlines()[-1])


def main():
    import tempfile

    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        serial_path, dask_path = os.path.join(folder, "serial.npy"), os.path.join(folder, "dask.npy")
        serial = timed_run(args.searches, 0, serial_path)
        print(f"serial: {serial:.1f} s", flush=True)
        dask = timed_run(args.searches, args.workers, dask_path)
        print(f"dask, {args.workers} workers: {dask:.1f} s", flush=True)
        same = bool(np.array_equal(np.load(serial_path), np.load(dask_path)))
    results = {
        "searches": args.searches,
        "workers": args.workers,
        "cores": os.cpu_count(),
        "seconds": {"serial": serial, "dask": dask},
        "serial_over_dask": serial / dask,
        "same_draws": same,
    }
    print(results)
    recording.write("bench_many", results)


if __name__ == "__main__":
    main()
