"""Speed of the noisy quadratic log density + gradient against opda's pdf.

For each reference fit (opda 0.8.0 on the real data, parameters below), 1,024
points drawn from the fitted distribution are evaluated, side by side in one
run:

* bayesq: the compiled sum of ``NoisyQuadratic`` log densities **and** its
  gradient in (alpha, beta, gamma, sigma), on PyTensor's C backend
  (``CVM``), on Numba (PyTensor 3's default, nutpie's program), on Numba
  compiled with glibc's SIMD exp/log (``numba-simd``,
  :func:`bayesq._compat.libmvec.libmvec`; left out where it cannot be used) and
  on JAX;
* opda: ``NoisyQuadraticDistribution.pdf`` on the same points (value only).

Prints the median of repeated timings and the ratio bayesq / opda (goal:
<= 1.0) and writes them to ``benchmarks/results/bench_logp.json``. Run:
``python benchmarks/bench_logp.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
import warnings

import numpy as np
import pytensor
import pytensor.tensor as pt
import recording

from bayesq._compat.libmvec import libmvec, libmvec_available
from bayesq.logdensity import noisy_quadratic_logpdf

FITS = {  # opda 0.8.0 fits of the real searches: alpha, beta, gamma, sigma
    "deberta-base": (0.829, 0.887, 1.0, 1.9e-3),
    "deberta-v3-base": (0.859, 0.905, 1.0, 1.1e-3),
    "alexnet": (0.135, 0.582, 2.0, 6.2e-3),
}


def median_time(fn, repeat):
    fn()  # warm up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def compile_logp_grad(backend):
    y = pt.dvector("y")
    params = [pt.dscalar(n) for n in ("alpha", "beta", "gamma", "sigma")]
    logp = noisy_quadratic_logpdf(y, *params, maximize=True).sum()
    mode = {"c": "CVM", "numba": "NUMBA", "numba-simd": "NUMBA", "jax": "JAX"}[backend]
    with libmvec() if backend == "numba-simd" else contextlib.nullcontext():
        fn = pytensor.function([y, *params], [logp, *pytensor.grad(logp, params)], mode=mode)
        fn(np.array([0.5]), 0.0, 1.0, 1.0, 0.1)  # Numba compiles at the first call
    return fn


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--backends", default="c,numba,numba-simd,jax")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    from opda.parametric import NoisyQuadraticDistribution

    chosen = [b for b in args.backends.split(",") if b and (b != "numba-simd" or libmvec_available())]
    if "jax" in chosen:
        import jax

        jax.config.update("jax_enable_x64", True)
    fns = {b: compile_logp_grad(b) for b in chosen}
    rng = np.random.default_rng(0)
    header = f"{'data set':<16} {'opda pdf':>10} " + " ".join(
        f"{b + ' logp+grad':>16} {'ratio':>6}" for b in chosen
    )
    print(f"n = {args.n} points, median of {args.repeat} runs, times in ms")
    print(header)
    rows = []
    for name, (a, b, g, s) in FITS.items():
        # points from the fitted distribution: Y = beta - (beta - alpha) U^(2/gamma) + sigma Z
        y = b - (b - a) * rng.uniform(size=args.n) ** (2 / g) + s * rng.normal(size=args.n)
        opda_dist = NoisyQuadraticDistribution(a, b, int(g), s, convex=False)
        t_opda = median_time(lambda d=opda_dist, y=y: d.pdf(y), args.repeat)
        cells = []
        for bk in chosen:
            fn = fns[bk]
            # np.asarray waits for JAX's asynchronous dispatch to finish
            t = median_time(lambda fn=fn, p=(y, a, b, g, s): [np.asarray(o) for o in fn(*p)], args.repeat)
            cells.append(f"{1e3 * t:>16.3f} {t / t_opda:>6.2f}")
            rows.append({"data": name, "backend": bk, "ms": 1e3 * t, "opda_ms": 1e3 * t_opda})
        print(f"{name:<16} {1e3 * t_opda:>10.3f} " + " ".join(cells))
    recording.write("bench_logp", {"n": args.n, "repeat": args.repeat, "rows": rows})


if __name__ == "__main__":
    main()
