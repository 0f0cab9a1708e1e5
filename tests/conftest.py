import json
import pathlib
import warnings

import numpy as np
import pytest
from filelock import FileLock

warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", message=".*BLAS.*")

REFERENCE = pathlib.Path(__file__).parent / "reference" / "noisy_quadratic.json"

# A short fit of a simulated search with known truth, shared by the tests of
# bayesq.fit and of what is computed from a fit (curves, plots).
SIM_SPEC = dict(n=200, alpha=0.80, beta=0.90, gamma=2.0, sigma=0.004, random_seed=5)
THRESHOLD = 0.85
SHORT = dict(draws=300, tune=300, chains=2, extend=False, quiet=True)  # one run of 2 x 300 draws


# the longest tests (whole notebooks, the README's examples) first, so that the
# workers of ``pytest -n`` do not wait on one of them at the end
FIRST = ("test_notebooks.py", "test_docs_guide.py", "test_readme.py")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.path.name not in FIRST)


def _short_fit():
    from bayesq.simulate import simulate_random_search
    from bayesq.single import fit

    sim = simulate_random_search(**SIM_SPEC)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # short chains may fall short of ESS 400
        return fit(sim.scores, THRESHOLD, random_seed=3, **SHORT)


@pytest.fixture(scope="session")
def short_fit(tmp_path_factory, worker_id):
    """``bayesq.fit`` of the simulated search ``SIM_SPEC`` above ``THRESHOLD`` (2 x 300 draws).

    Under ``pytest -n`` the first worker to need it fits and saves it; the
    others load the saved fit (the round trip :func:`bayesq.load` promises).
    """
    return saved_once(tmp_path_factory, worker_id, "short_fit", _short_fit)


def saved_once(tmp_path_factory, worker_id, name: str, make):
    """``make()`` once per test session: under ``pytest -n`` the first worker to need it makes and
    saves it (as ``name.nc``), the others load it."""
    if worker_id == "master":
        return make()
    from bayesq.persistence import load

    path = tmp_path_factory.getbasetemp().parent / f"{name}.nc"
    with FileLock(f"{path}.lock"):
        if path.is_file():
            return load(path)
        result = make()
        result.save(path)
        return result


# a second simulated architecture: the same search space, a better best score
OTHER_SPEC = dict(SIM_SPEC, beta=0.91, random_seed=6)


def searches():
    """Two simulated searches, ``a`` (``SIM_SPEC``) and ``b`` (``OTHER_SPEC``)."""
    from bayesq.simulate import simulate_random_search

    return {
        "a": simulate_random_search(**SIM_SPEC).scores,
        "b": simulate_random_search(**OTHER_SPEC).scores,
    }


@pytest.fixture(scope="session")
def joint_fit():
    """``bayesq.fit_joint`` of :func:`searches` with gamma pooled (2 x 300 draws)."""
    from bayesq.joint import fit_joint

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # short chains may fall short of ESS 400
        return fit_joint(searches(), THRESHOLD, random_seed=2, **SHORT)


@pytest.fixture(scope="session")
def other_fit():
    """``bayesq.fit`` of search ``b`` alone (2 x 300 draws)."""
    from bayesq.single import fit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fit(searches()["b"], THRESHOLD, random_seed=4, **SHORT)


@pytest.fixture(scope="session")
def reference():
    """mpmath reference values (tests/reference/generate.py)."""
    data = json.loads(REFERENCE.read_text())
    return data


def as_columns(cases):
    """Columns y, alpha, beta, gamma, sigma, maximize of a list of reference cases."""
    params = np.array([c["params"] for c in cases], dtype=float)
    maximize = np.array([c["maximize"] for c in cases], dtype=np.int8)
    return [params[:, i] for i in range(5)] + [maximize]


def spread_points(n: int, seed: int):
    """``n`` points (y, alpha, beta, gamma, sigma) spread across the parameter space: gamma 0.3-12,
    sigma 1e-5 to 0.1 of beta - alpha (0 for 5 %), y from below the support to beyond it."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.7, 0.8, n)
    b = a + rng.uniform(0.05, 0.2, n)
    g = rng.uniform(0.3, 12.0, n)
    s = np.where(rng.uniform(size=n) < 0.05, 0.0, 10 ** rng.uniform(-5, -1, n) * (b - a))
    y = rng.uniform(a - 0.1, b + 0.1)
    return y, a, b, g, s


def with_depth_cap(result, depth: int):
    """``result`` as if the user had lowered the maximum tree depth to ``depth`` (its settings say so)."""
    import dataclasses

    s = result.settings
    idata = result.idata.copy(deep=True)
    idata.posterior.attrs.update(
        s.replace(sampler=dataclasses.replace(s.sampler, max_tree_depth=depth)).to_attrs()
    )
    return type(result)(idata)


def random_points(model, n=5, seed=0):
    """``n`` points of ``model``'s unconstrained space near its initial point (sd 0.3)."""
    rng = np.random.default_rng(seed)
    base = model.initial_point()
    return [{k: v + rng.normal(scale=0.3, size=np.shape(v)) for k, v in base.items()} for _ in range(n)]


def assert_same_log_density(model, other, n_points: int = 3):
    """Two PyMC models' log densities agree at random points of the unconstrained space."""
    logp, logp_other = model.compile_logp(), other.compile_logp()
    for point in random_points(model, n_points):
        assert logp(point) == pytest.approx(logp_other(point), rel=1e-12)
