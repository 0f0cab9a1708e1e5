"""The same graphs compile and agree on PyTensor's C, Numba and JAX backends."""

import importlib.util

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import pytest
from conftest import as_columns
from test_logdensity import compiled

import bayesq
from bayesq import logdensity as ld

BACKENDS = [
    "NUMBA",
    pytest.param("JAX", marks=pytest.mark.skipif(not importlib.util.find_spec("jax"), reason="no jax")),
]


def subset(reference, kind, n=300):
    cases = [c for c in reference["values"] if c["kind"] == kind]
    rng = np.random.default_rng(0)
    return [cases[i] for i in rng.choice(len(cases), size=n, replace=False)]


@pytest.fixture(scope="module", autouse=True)
def float64_jax():
    if importlib.util.find_spec("jax"):
        import jax

        jax.config.update("jax_enable_x64", True)


@pytest.mark.parametrize("mode", BACKENDS)
@pytest.mark.parametrize("kind", ["pdf", "cdf", "sf"])
def test_backend_agrees_with_c(reference, kind, mode):
    cols = as_columns(subset(reference, kind))
    ref_value, *ref_grad = compiled(kind, with_grad=True)(*cols)
    value, *grad = (np.asarray(o) for o in compiled(kind, with_grad=True, mode=mode)(*cols))
    np.testing.assert_allclose(value, ref_value, rtol=1e-10, atol=1e-10)
    for g, r in zip(grad, ref_grad, strict=True):
        # element by element: a gradient of 1e9 far in the tail must not excuse an error in one of 1
        np.testing.assert_allclose(g, r, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize(
    "mode",
    [
        "CVM",
        pytest.param("JAX", marks=pytest.mark.skipif(not importlib.util.find_spec("jax"), reason="no jax")),
    ],
)
@pytest.mark.parametrize("kind", ["pdf", "cdf", "sf"])
def test_gradients_are_finite_where_branches_underflow(kind, mode):
    """Unused branches of ``where`` must not poison gradients.

    A posterior draw of deberta-base (s = sigma/(beta-alpha) = 0.011) with the
    threshold 70 s inside the support: the log CDF adds a term of -2450 to
    one of -1.6, and a softplus branch that overflowed there made JAX's
    automatic derivative nan (NUTS divergences under numpyro, blackjax and
    nutpie's JAX backend, which differentiate the JAX graph, not PyTensor's
    symbolic gradient). Scalar inputs, as in a model's censored term; y from
    far below to far above the support, s from 1e-6 to 10.
    """
    names = ("y", "alpha", "beta", "gamma", "sigma")
    inputs = [pt.dscalar(n) for n in names]
    func = {
        "pdf": ld.noisy_quadratic_logpdf,
        "cdf": ld.noisy_quadratic_logcdf,
        "sf": ld.noisy_quadratic_logsf,
    }
    alpha, beta = 0.861452753, 0.872366823
    grid = np.array(
        [
            (y, alpha, beta, gamma, s * (beta - alpha))
            for y in (0.70, 0.86, 0.87, 0.8723, 0.88, 1.0)
            for s in (1e-6, 0.011166, 1.0, 10.0)
            for gamma in (0.7, 2.087, 6.0)
        ]
    )
    for maximize in (True, False):
        out = func[kind](*inputs, maximize)
        if mode == "JAX":
            import jax
            from pymc.sampling.jax import get_jaxified_graph

            f = get_jaxified_graph(inputs, [out])
            grad = jax.jit(jax.vmap(jax.grad(lambda *a, f=f: f(*a)[0], argnums=tuple(range(5)))))
            grads = np.column_stack([np.asarray(g) for g in grad(*grid.T)])
        else:
            fn = pytensor.function(inputs, pytensor.grad(out, inputs))
            grads = np.array([fn(*row) for row in grid], dtype=float)
        bad = ~np.isfinite(grads).all(axis=1)
        assert not bad.any(), grid[bad][:5]


@pytest.mark.parametrize("mode", BACKENDS)
def test_draws_compile_on_backend(mode):
    rv = bayesq.NoisyQuadratic.dist(alpha=0.0, beta=1.0, gamma=2.0, sigma=0.01, size=1000)
    fn = pm.compile([], rv, mode=mode, random_seed=1)
    x = np.asarray(fn())
    assert x.shape == (1000,) and np.all(np.isfinite(x))
    assert -0.1 < x.min() and x.max() < 1.1


@pytest.mark.parametrize(
    "sampler",
    [
        pytest.param(
            "numpyro", marks=pytest.mark.skipif(not importlib.util.find_spec("numpyro"), reason="no numpyro")
        ),
        pytest.param(
            "nutpie", marks=pytest.mark.skipif(not importlib.util.find_spec("nutpie"), reason="no nutpie")
        ),
    ],
)
def test_external_nuts_samplers_run(sampler):
    """numpyro (JAX) and nutpie (Numba) sample a NoisyQuadratic likelihood."""
    y = bayesq.noisy_quadratic(0.0, 1.0, 2.0, 0.05).sample(size=200, random_state=7)
    with pm.Model():
        gamma = pm.LogNormal("gamma", 0.5, 1.0)
        bayesq.NoisyQuadratic("y", alpha=0.0, beta=1.0, gamma=gamma, sigma=0.05, observed=y)
        idata = pm.sample(
            draws=100, tune=100, chains=1, nuts_sampler=sampler, random_seed=8, progressbar=False
        )
    assert 1.3 < float(idata.posterior["gamma"].mean()) < 2.8
