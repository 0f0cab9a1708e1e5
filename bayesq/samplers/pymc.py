"""PyMC's own NUTS (chains in as many processes as there are cores, on PyTensor's default backend, Numba)."""

from __future__ import annotations

import os

import pymc as pm

__all__ = ["bridge_settings", "sample"]


def bridge_settings(model, options) -> dict:
    """The settings PyMC's own sampler and its JAX bridge are both told (nutpie names them otherwise)."""
    return {
        "draws": options.draws,
        "tune": options.tune,
        "chains": options.chains,
        "target_accept": options.target_accept,
        "random_seed": options.random_seed,
        "model": model,
        "progressbar": options.shows_progress,
        "compute_convergence_checks": False,
    }


def sample(model, options):
    """``pm.sample`` with PyMC's NUTS, asked for by name: PyMC 6 hands NUTS to nutpie when it is installed."""
    cores = min(options.chains, os.cpu_count() or 1)
    return pm.sample(**bridge_settings(model, options), nuts_sampler="pymc", cores=cores, **options.kwargs)
