"""bayesq.validate and bayesq.exceptions: argument checks that name the argument, in Python and the CLI."""

import numpy as np
import pytest

from bayesq import validate
from bayesq.exceptions import InputError, InputTypeError


def test_each_check_returns_the_canonical_value():
    assert validate.boolean(np.bool_(False), "maximize") is False
    assert validate.probability(np.float32(0.5), "ci") == 0.5
    assert validate.integer(1000.0, "draws", 1) == 1000 and isinstance(validate.integer(3.0, "d"), int)
    assert validate.number(2, "k_max", low=1) == 2.0


@pytest.mark.parametrize(
    ("check", "value", "error", "message"),
    [
        (lambda v: validate.boolean(v, "maximize"), "no", InputTypeError, "maximize must be True or False"),
        (lambda v: validate.boolean(v, "maximize"), 1, InputTypeError, "maximize must be True or False"),
        (
            lambda v: validate.probability(v, "prob"),
            1.5,
            InputError,
            "prob must lie strictly between 0 and 1",
        ),
        (lambda v: validate.probability(v, "ci"), "0.9", InputTypeError, "ci must be a number"),
        (lambda v: validate.probability(v, "ci"), True, InputTypeError, "ci must be a number"),
        (lambda v: validate.integer(v, "draws", 1), 0, InputError, "draws must be an integer >= 1, got 0"),
        (
            lambda v: validate.integer(v, "draws", 1),
            2.5,
            InputError,
            "draws must be an integer >= 1, got 2.5",
        ),
        (lambda v: validate.number(v, "threshold"), np.nan, InputError, "threshold must be a finite number"),
        (lambda v: validate.number(v, "k_max", low=1), 0.5, InputError, "k_max must be >= 1, got 0.5"),
    ],
)
def test_a_bad_value_names_its_argument(check, value, error, message):
    with pytest.raises(error, match=message) as caught:
        check(value)
    assert isinstance(caught.value, ValueError)  # what callers already catch
    assert issubclass(InputTypeError, TypeError)


def test_an_error_renders_the_argument_as_the_command_line_spells_it():
    with pytest.raises(InputError) as caught:
        validate.probability(1.5, "target_accept")
    err = caught.value
    assert err.argument == "target_accept"
    assert err.naming("--target-accept") == "--target-accept must lie strictly between 0 and 1, got 1.5"
