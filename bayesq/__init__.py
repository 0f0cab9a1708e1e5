"""bayesq: Bayesian analysis of hyperparameter random search.

The tail of the scores of a random search follows the noisy quadratic
distribution Q(alpha, beta, gamma, sigma) (Lourie et al.); bayesq makes it a
PyMC distribution and builds posterior inference on it.
"""

__version__ = "0.2.0.dev0"

from bayesq.batch import BatchFit, fit_batch
from bayesq.compare import compare, compare_models
from bayesq.distributions import NoisyQuadratic, Quadratic
from bayesq.joint import JointFit, fit_joint
from bayesq.model import build_model
from bayesq.priors import Priors
from bayesq.results import FitResult, load
from bayesq.single import fit
from bayesq.stats import noisy_quadratic, quadratic
from bayesq.thresholds import scan_thresholds

__all__ = [
    "BatchFit",
    "FitResult",
    "JointFit",
    "NoisyQuadratic",
    "Priors",
    "Quadratic",
    "build_model",
    "compare",
    "compare_models",
    "fit",
    "fit_batch",
    "fit_joint",
    "load",
    "noisy_quadratic",
    "quadratic",
    "scan_thresholds",
]
