"""Accuracy of the noisy quadratic against the mpmath reference, as a table.

Errors are |log value - reference| / max(1, |reference|) for values and
|derivative - reference| / |reference| for the gradient in each parameter,
over tests/reference/noisy_quadratic.json (see tests/reference/generate.py).
Run: ``python benchmarks/bench_accuracy.py``.
"""

from __future__ import annotations

import json
import pathlib
import warnings

import numpy as np
import pytensor
import pytensor.tensor as pt

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


def main():
    warnings.simplefilter("ignore")
    ref = json.loads(REFERENCE.read_text())
    print(
        "| function | values (n) | max value error | gradient cases | "
        + " | ".join(f"d/d{p}" for p in PARAMS)
        + " |"
    )
    print("|---|---|---|---|" + "---|" * len(PARAMS))
    for name, (kind, fn) in FUNCS.items():
        inputs = [pt.dvector(p) for p in PARAMS]
        maximize = pt.bvector("maximize")
        out = fn(*inputs, maximize)
        f = pytensor.function([*inputs, maximize], [out, *pytensor.grad(out.sum(), inputs)])
        vcases = [c for c in ref["values"] if c["kind"] == kind]
        value = f(*columns(vcases))[0]
        r = np.array([c["value"] for c in vcases])
        verr = np.max(np.abs(value - r) / np.maximum(1.0, np.abs(r)))
        gcases = [c for c in ref["gradients"] if c["kind"] == kind]
        _, *grads = f(*columns(gcases))
        g_ref = np.array([c["grad"] for c in gcases])
        gerr = np.max(np.abs(np.column_stack(grads) - g_ref) / np.abs(g_ref), axis=0)
        cells = " | ".join(f"{e:.1e}" for e in gerr)
        print(f"| {name} | {len(vcases)} | {verr:.1e} | {len(gcases)} | {cells} |")


if __name__ == "__main__":
    main()
