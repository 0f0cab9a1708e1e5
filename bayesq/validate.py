"""Checks of the arguments users give, one function per kind of value.

Every check returns the value in its canonical type and raises
:class:`~bayesq.exceptions.InputError` (a ``ValueError``) for a value out of
range, or :class:`~bayesq.exceptions.InputTypeError` (also a ``TypeError``)
for a value of the wrong type, naming the argument: the Python keyword, or
the command-line flag when :mod:`bayesq.cli` renders the error.

Examples
--------
>>> from bayesq import validate
>>> validate.probability(0.9, "ci")
0.9
>>> validate.probability(1.5, "ci")
Traceback (most recent call last):
    ...
bayesq.exceptions.InputError: ci must lie strictly between 0 and 1, got 1.5
>>> validate.boolean("no", "maximize")
Traceback (most recent call last):
    ...
bayesq.exceptions.InputTypeError: maximize must be True or False, got 'no' (a str)
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from bayesq.exceptions import InputError, InputTypeError

__all__ = ["AUTO", "boolean", "integer", "number", "probability", "threshold"]

AUTO = "auto"  # the threshold that leaves the choice to the data (bayesq.stacking)


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _shown(value) -> str:
    kind = type(value).__name__
    return f"{value!r} ({'an' if kind[0] in 'aeiou' else 'a'} {kind})"


def boolean(value, name: str) -> bool:
    """``value`` as a bool: ``True``, ``False`` (or NumPy's); anything else is refused."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise InputTypeError(f"{{arg}} must be True or False, got {_shown(value)}", name)


def number(value, name: str, *, low=None, high=None, open_low=False, open_high=False) -> float:
    """``value`` as a finite float inside ``[low, high]`` (a bound ``None``: none; ``open_*``: strict)."""
    if not _is_number(value):
        raise InputTypeError(f"{{arg}} must be a number, got {_shown(value)}", name)
    value = float(value)
    if not math.isfinite(value):
        raise InputError(f"{{arg}} must be a finite number, got {value}", name)
    below = low is not None and (value <= low if open_low else value < low)
    above = high is not None and (value >= high if open_high else value > high)
    if below or above:
        if low is not None and high is not None:
            where = f"lie {'strictly ' if open_low and open_high else ''}between {low:g} and {high:g}"
        elif low == 0 and open_low:
            where = "be positive"
        elif low is not None:
            where = f"be {'>' if open_low else '>='} {low:g}"
        else:
            where = f"be {'<' if open_high else '<='} {high:g}"
        raise InputError(f"{{arg}} must {where}, got {value:g}", name)
    return value


def threshold(value, name: str = "threshold") -> float | str:
    """A threshold: a finite number, or :data:`AUTO` (``"auto"``: the data choose, :mod:`bayesq.stacking`)."""
    if isinstance(value, str) and value == AUTO:
        return AUTO
    if isinstance(value, str):
        raise InputTypeError(f'{{arg}} must be a number or "{AUTO}", got {_shown(value)}', name)
    return number(value, name)


def probability(value, name: str) -> float:
    """``value`` as a float strictly between 0 and 1 (a credible mass, a probability level)."""
    return number(value, name, low=0, high=1, open_low=True, open_high=True)


def integer(value, name: str, low: int | None = None) -> int:
    """``value`` as an int (a whole float is accepted), at least ``low``."""
    wanted = "an integer" + ("" if low is None else f" >= {low}")
    if not _is_number(value):
        raise InputTypeError(f"{{arg}} must be {wanted}, got {_shown(value)}", name)
    if not (math.isfinite(value) and float(value).is_integer()):
        raise InputError(f"{{arg}} must be {wanted}, got {value}", name)
    value = int(value)
    if low is not None and value < low:
        raise InputError(f"{{arg}} must be {wanted}, got {value}", name)
    return value
