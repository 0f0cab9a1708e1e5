"""Accuracy of the noisy quadratic against the mpmath reference, as a table.

Errors are |log value - reference| / max(1, |reference|) for values and
|derivative - reference| / |reference| for the gradient in each parameter,
over tests/reference/noisy_quadratic.json (see tests/reference/generate.py),
on each of PyTensor's backends: C (``CVM``, what PyMC's own NUTS compiles to
when asked for C), Numba (PyTensor 3's default, nutpie's program) and JAX
(numpyro, blackjax, ``fit_batch``). Writes
``benchmarks/results/bench_accuracy.json``.
Run: ``python benchmarks/bench_accuracy.py [--backends c,numba,jax]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pathlib
import warnings

import numpy as np
import pytensor
import pytensor.tensor as pt
import recording

from bayesq import logdensity as ld

REFERENCE = pathlib.Path(__file__).parents[1] / "tests" / "reference" / "noisy_quadratic.json"
FUNCS = {
    "logpdf": ("pdf", ld.noisy_quadratic_logpdf),
    "logcdf": ("cdf", ld.noisy_quadratic_logcdf),
    "logsf (logccdf)": ("sf", ld.noisy_quadratic_logsf),
}
PARAMS = ("y", "alpha", "beta", "gamma", "sigma")


def columns(cases):
    params = np.array([c["params"] for c in cases], dtype=float)
    return [params[:, i] for i in range(5)] + [np.array([c["maximize"] for c in cases], dtype=np.int8)]


MODES = {"c": "CVM", "numba": "NUMBA", "jax": "JAX"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = [b for b in MODES if b != "jax" or importlib.util.find_spec("jax")]
    parser.add_argument("--backends", default=",".join(default))
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    ref = json.loads(REFERENCE.read_text())
    print(
        "| backend | function | values (n) | max value error | gradient cases | "
        + " | ".join(f"d/d{p}" for p in PARAMS)
        + " |"
    )
    print("|---|---|---|---|---|" + "---|" * len(PARAMS))
    rows = []
    for backend in args.backends.split(","):
        if backend == "jax":
            import jax

            jax.config.update("jax_enable_x64", True)
        for name, (kind, fn) in FUNCS.items():
            inputs = [pt.dvector(p) for p in PARAMS]
            maximize = pt.bvector("maximize")
            out = fn(*inputs, maximize)
            f = pytensor.function(
                [*inputs, maximize], [out, *pytensor.grad(out.sum(), inputs)], mode=MODES[backend]
            )
            vcases = [c for c in ref["values"] if c["kind"] == kind]
            value = np.asarray(f(*columns(vcases))[0])
            r = np.array([c["value"] for c in vcases])
            verr = np.max(np.abs(value - r) / np.maximum(1.0, np.abs(r)))
            gcases = [c for c in ref["gradients"] if c["kind"] == kind]
            _, *grads = (np.asarray(g) for g in f(*columns(gcases)))
            g_ref = np.array([c["grad"] for c in gcases])
            gerr = np.max(np.abs(np.column_stack(grads) - g_ref) / np.abs(g_ref), axis=0)
            cells = " | ".join(f"{e:.1e}" for e in gerr)
            print(
                f"| {backend} | {name} | {len(vcases)} | {verr:.1e} | {len(gcases)} | {cells} |", flush=True
            )
            rows.append(
                {
                    "backend": backend,
                    "function": name,
                    "values": len(vcases),
                    "max_value_error": float(verr),
                    "gradient_cases": len(gcases),
                    "max_gradient_error": dict(zip(PARAMS, map(float, gerr), strict=True)),
                }
            )
    recording.write("bench_accuracy", {"rows": rows})


if __name__ == "__main__":
    main()
