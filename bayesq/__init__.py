"""bayesq: Bayesian analysis of hyperparameter random search.

The tail of the scores of a random search follows the noisy quadratic
distribution Q(alpha, beta, gamma, sigma) (Lourie et al.); bayesq makes it a
PyMC distribution and builds posterior inference on it.

The public names below are imported on first use (PEP 562), so that
``import bayesq`` and the command line's ``--help`` and ``--version`` do not
import PyMC.
"""

import importlib

__version__ = "0.2.0.dev0"

# each public name, and the module that defines it
_HOMES = {
    "BatchFit": "bayesq.batch",
    "FitResult": "bayesq.results",
    "JointFit": "bayesq.jointfit",
    "NoisyQuadratic": "bayesq.distributions",
    "Priors": "bayesq.priors",
    "Quadratic": "bayesq.distributions",
    "build_model": "bayesq.model",
    "compare": "bayesq.comparison",
    "compare_models": "bayesq.comparison",
    "fit": "bayesq.single",
    "fit_batch": "bayesq.batch",
    "fit_joint": "bayesq.joint",
    "fit_many": "bayesq.many",
    "load": "bayesq.persistence",
    "noisy_quadratic": "bayesq.stats",
    "quadratic": "bayesq.stats",
    "scan_thresholds": "bayesq.thresholds",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value  # later lookups are plain attribute reads
        return value
    raise AttributeError(f"module 'bayesq' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_HOMES])
