"""numpyro's and blackjax's NUTS through PyMC's JAX bridge: the GPU path.

Chains are mapped over JAX's devices when there are enough, else drawn in
turn (numpyro) or vectorized (blackjax, whose ``pmap`` fails with fewer
devices than chains); splitting a 2-core CPU into two JAX devices made
numpyro slower, so bayesq leaves JAX's device count alone.
"""

from __future__ import annotations

from bayesq.samplers.pymc import bridge_settings

__all__ = ["sample"]


def sample(model, options):
    """numpyro's or blackjax's NUTS (``options.sampler``) with the settings ``pm.sample`` gets."""
    import jax
    from pymc.sampling.jax import sample_jax_nuts

    parallel = options.sampler == "numpyro" or jax.local_device_count() >= options.chains
    kwargs = {"chain_method": "parallel" if parallel else "vectorized", **options.kwargs}
    return sample_jax_nuts(**bridge_settings(model, options), nuts_sampler=options.sampler, **kwargs)
