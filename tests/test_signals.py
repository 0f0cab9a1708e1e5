"""bayesq.signals: Ctrl-C and SIGTERM held back during renames, and never lost while a library samples."""

import signal
import time

import pytest

from bayesq import signals


@pytest.fixture(autouse=True)
def ctrl_c_raises():
    """Ctrl-C as in a terminal (a test runner may ignore it), for the test's duration."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_held_delivers_an_interrupt_only_when_the_block_ends():
    done = []
    with pytest.raises(KeyboardInterrupt):
        with signals.held():
            signal.raise_signal(signal.SIGINT)
            time.sleep(0.05)
            done.append("the rename")
    assert done == ["the rename"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_held_leaves_an_ignored_signal_ignored():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with signals.held():
        signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_raised_stops_a_block_whose_library_swallowed_the_interrupt():
    caught = []
    with pytest.raises(KeyboardInterrupt):
        with signals.raised():
            try:  # what PyMC's samplers do with KeyboardInterrupt: return the draws made so far
                signal.raise_signal(signal.SIGINT)
                time.sleep(1)
            except KeyboardInterrupt:
                caught.append("partial draws")
    assert caught == ["partial draws"]


def test_raised_passes_a_custom_handler_s_own_exception_through():
    class Terminated(KeyboardInterrupt):
        pass

    def terminate(signum, frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        with pytest.raises(Terminated):
            with signals.raised():
                try:
                    signal.raise_signal(signal.SIGTERM)
                    time.sleep(1)
                except KeyboardInterrupt:
                    pass
    finally:
        signal.signal(signal.SIGTERM, previous)
