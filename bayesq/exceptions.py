"""The exceptions bayesq raises for what a user gave it.

Each subclasses the built-in exception a caller already catches
(``ValueError`` for bad arguments and data, ``OSError`` for places on disk),
so ``except ValueError`` keeps working; :class:`BayesqError` catches them
all. The command line turns them into one line and an exit code (2 for
input errors, :mod:`bayesq.cli`).

An error about an argument knows the argument's name (:attr:`InputError.argument`):
Python messages name the keyword (``ci must lie strictly between 0 and 1``),
the command line renders the same error with its flag (``--ci must ...``).

Examples
--------
>>> from bayesq.exceptions import InputError
>>> err = InputError("{arg} must lie strictly between 0 and 1, got 1.5", argument="ci")
>>> str(err)
'ci must lie strictly between 0 and 1, got 1.5'
>>> err.naming("--ci")
'--ci must lie strictly between 0 and 1, got 1.5'
>>> isinstance(err, ValueError)
True
"""

from __future__ import annotations

__all__ = [
    "BayesqError",
    "DirectionError",
    "InputError",
    "InputTypeError",
    "OutputConflictError",
    "OutputError",
    "SavedFitError",
]


class BayesqError(Exception):
    """Base of the errors bayesq raises about what a user gave it."""


class InputError(BayesqError, ValueError):
    """An argument or a data set that bayesq cannot use.

    Parameters
    ----------
    message : str
        The explanation; ``{arg}`` in it stands for the argument's name.
    argument : str, optional
        The Python keyword at fault (``"ci"``), rendered in place of ``{arg}``.
    cli : str, optional
        The whole message as the command line says it, where it differs
        beyond the argument's name (e.g. ``--minimize`` for ``maximize=False``).

    Attributes
    ----------
    template : str
        ``message``, with ``{arg}`` unrendered.
    argument : str or None
        The Python keyword at fault.
    cli : str or None
        The command line's message, where it differs.
    """

    def __init__(self, message: str, argument: str | None = None, cli: str | None = None):
        self.template = message
        self.argument = argument
        self.cli = cli
        super().__init__(self.naming(argument))

    def naming(self, name: str | None) -> str:
        """The message with ``{arg}`` rendered as ``name``.

        Parameters
        ----------
        name : str or None
            The argument's name as the caller knows it (a keyword, a flag);
            ``None`` renders "the argument".

        Returns
        -------
        str
        """
        return self.template.replace("{arg}", name or "the argument")


class InputTypeError(InputError, TypeError):
    """An argument of the wrong type (a string where a bool or a number belongs)."""


class DirectionError(InputError):
    """The tail of the scores lies on the side a random search calls bad (``maximize`` reversed?)."""


class SavedFitError(BayesqError, ValueError):
    """A file that is not a whole, unaltered fit saved by bayesq (truncated, foreign, corrupted)."""


class OutputError(BayesqError, OSError):
    """An output place that bayesq refuses to write or replace (the user's files stay as they are)."""


class OutputConflictError(OutputError):
    """The output place changed while bayesq worked (it is left as it is; nothing was written)."""
