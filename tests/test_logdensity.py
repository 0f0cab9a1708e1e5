"""The noisy quadratic's log density, log CDF and log SF against mpmath.

Reference values: tests/reference/noisy_quadratic.json, made by
tests/reference/generate.py (40/50-digit mpmath, independent quadrature).
Tolerance (issue 2): |log value - ref| <= 1e-10 * max(1, |ref|); gradients in
y, alpha, beta, gamma, sigma within 1e-6 relative.
"""

import functools

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest
from conftest import as_columns

from bayesq import logdensity as ld

FUNCS = {
    "pdf": ld.noisy_quadratic_logpdf,
    "cdf": ld.noisy_quadratic_logcdf,
    "sf": ld.noisy_quadratic_logsf,
}


@functools.cache
def compiled(kind, with_grad=False, mode=None):
    inputs = [pt.dvector(n) for n in ("y", "alpha", "beta", "gamma", "sigma")]
    maximize = pt.bvector("maximize")
    out = FUNCS[kind](*inputs, maximize)
    outputs = [out]
    if with_grad:
        # each output depends on its own row only: grad of the sum is elementwise
        outputs += pytensor.grad(out.sum(), inputs)
    return pytensor.function([*inputs, maximize], outputs, mode=mode)


@pytest.mark.parametrize("kind", ["pdf", "cdf", "sf"])
def test_values_match_mpmath(reference, kind):
    cases = [c for c in reference["values"] if c["kind"] == kind]
    assert len(cases) > 1000
    (got,) = compiled(kind)(*as_columns(cases))
    ref = np.array([c["value"] for c in cases])
    err = np.abs(got - ref) / np.maximum(1.0, np.abs(ref))
    worst = int(np.argmax(err))
    assert err[worst] <= 1e-10, f"worst case {cases[worst]}: got {got[worst]!r}"


def test_log_cdf_has_no_cancellation_at_1e_300(reference):
    """Values with CDF or SF below 1e-250 are in the reference set and pass."""
    deep = [c for c in reference["values"] if c["kind"] != "pdf" and c["value"] < np.log(1e-250)]
    assert len(deep) >= 20
    kinds = {c["kind"] for c in deep}
    for kind in kinds:
        sub = [c for c in deep if c["kind"] == kind]
        (got,) = compiled(kind)(*as_columns(sub))
        ref = np.array([c["value"] for c in sub])
        np.testing.assert_allclose(got, ref, rtol=1e-10)


@pytest.mark.parametrize("kind", ["pdf", "cdf", "sf"])
def test_gradients_match_mpmath(reference, kind):
    cases = [c for c in reference["gradients"] if c["kind"] == kind]
    assert len(cases) > 50
    value, *grads = compiled(kind, with_grad=True)(*as_columns(cases))
    ref = np.array([c["grad"] for c in cases])
    ref_value = np.array([c["value"] for c in cases])
    assert np.all(np.abs(value - ref_value) <= 1e-10 * np.maximum(1.0, np.abs(ref_value)))
    got = np.column_stack(grads)
    # relative to each derivative, including the ones that are tiny through
    # cancellation (d/dsigma in the bulk, any derivative where log F ~ 0)
    err = np.abs(got - ref) / np.abs(ref)
    worst = np.unravel_index(np.argmax(err), err.shape)
    assert err[worst] <= 1e-6, f"worst {cases[worst[0]]} d/d{'y a b g s'.split()[worst[1]]}: {got[worst]}"


@pytest.mark.parametrize("kind", ["pdf", "cdf", "sf"])
def test_values_and_gradients_stay_finite_where_nuts_may_wander(reference, kind):
    """Every reference point, and points far beyond them: finite logs, finite gradients."""
    cases = [c for c in reference["values"] if c["kind"] == kind]
    y, alpha, beta, gamma, sigma, maximize = as_columns(cases)
    extra = np.array([-1e4, -300.0, 300.0, 1e4])  # in units of sigma beyond the support
    y_far = np.concatenate(
        [alpha[:, None] + extra * sigma[:, None], beta[:, None] + extra * sigma[:, None]], axis=1
    )
    cols = [y_far.ravel()] + [np.repeat(c, 2 * extra.size) for c in (alpha, beta, gamma, sigma, maximize)]
    for columns in ([y, alpha, beta, gamma, sigma, maximize], cols):
        value, *grads = compiled(kind, with_grad=True)(*columns)
        assert np.all(np.isfinite(value) | (value == 0))
        assert all(np.all(np.isfinite(g)) for g in grads)
