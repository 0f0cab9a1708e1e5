"""blackjax's staged window adaptation, stepped inside bayesq's own loop.

:func:`bayesq.fit_batch` steps ``blackjax.adaptation.window_adaptation.base``
and ``build_schedule`` inside its own ``jax.lax.scan``, so that every chain
of every data set adapts in one compiled program; the public
``blackjax.window_adaptation`` runs its own loop per chain. blackjax 1.7
deprecates ``base`` (bayesq stays below 1.6 for PyMC's JAX bridge,
``pyproject.toml``). Upstream: blackjax-devs/blackjax, a steppable public
window adaptation.
"""

from __future__ import annotations

from bayesq._compat import moved

__all__ = ["window_adaptation"]


def window_adaptation():
    """``(base, build_schedule)`` of blackjax's window adaptation."""
    try:
        from blackjax.adaptation.window_adaptation import base, build_schedule
    except ImportError as err:
        raise moved("blackjax", "blackjax.adaptation.window_adaptation.base/build_schedule", err) from None
    return base, build_schedule
