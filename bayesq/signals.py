"""Ctrl-C and SIGTERM: held back while files are renamed, and never lost while a library samples.

Python runs signal handlers in the main thread only, so both helpers act
there and do nothing elsewhere. They manage the signals whose current
handler is a Python function (SIGINT's default raises
``KeyboardInterrupt``; the command line installs one for SIGTERM), and
leave a signal the user made the process ignore, or one handled outside
Python, alone. When a held or recorded signal is delivered again, it is
sent to the process (:func:`signal.raise_signal`) once its own handler is
back, so that handler decides what happens, as if nothing had intervened.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

__all__ = ["held", "raised"]

MANAGED = (signal.SIGINT, signal.SIGTERM)


def _handlers() -> dict:
    """The managed signals whose handler is a Python function, with that handler."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {s: h for s in MANAGED if callable(h := signal.getsignal(s))}


@contextlib.contextmanager
def held():
    """Hold SIGINT and SIGTERM back for the block; one that came is delivered when the block ends.

    For the few instructions of a rename and its clean-up, which an
    interrupt must not cut in two. If the block raises, the exception goes
    on and a held signal is dropped (an error is already on its way).
    """
    handlers = _handlers()
    came = []
    for s in handlers:
        signal.signal(s, lambda signum, frame: came.append(signum))
    try:
        yield
    finally:
        for s, h in handlers.items():
            signal.signal(s, h)
    for signum in dict.fromkeys(came):
        signal.raise_signal(signum)


@contextlib.contextmanager
def raised():
    """Make Ctrl-C (or SIGTERM) stop the block, even where a library would drop or absorb it.

    The signal's handler runs at once, as always (``KeyboardInterrupt``),
    but two places would lose what it raises: PyMC's samplers catch
    ``KeyboardInterrupt`` and return the draws made so far (a fit of part
    of its draws would pass for a whole one), and one that lands in a
    ctypes callback of Numba's compiler (LLVM's object cache) is printed as
    "Exception ignored" and dropped. So each signal is recorded; a dropped
    one is sent again shortly, from a timer thread (it lands, at the latest,
    when the compiler is back in Python; the timer does nothing once the
    block has ended); and if the block ends without raising, the recorded
    signals are delivered again.
    """
    handlers = _handlers()
    if not handlers:
        yield
        return
    came = []
    over = threading.Event()
    unraisable = sys.unraisablehook

    def record(signum, frame):
        came.append(signum)
        handlers[signum](signum, frame)

    def resend(signum):
        if not over.is_set():
            os.kill(os.getpid(), signum)

    def dropped(info):
        if came and isinstance(info.exc_value, KeyboardInterrupt):
            threading.Timer(0.01, resend, (came[-1],)).start()
        else:
            unraisable(info)

    for s in handlers:
        signal.signal(s, record)
    sys.unraisablehook = dropped
    try:
        yield
    finally:
        over.set()
        for s, h in handlers.items():
            signal.signal(s, h)
        sys.unraisablehook = unraisable
    for signum in dict.fromkeys(came):
        signal.raise_signal(signum)
