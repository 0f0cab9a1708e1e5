import json
import pathlib
import warnings

import numpy as np
import pytest

warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", message=".*BLAS.*")

REFERENCE = pathlib.Path(__file__).parent / "reference" / "noisy_quadratic.json"


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
