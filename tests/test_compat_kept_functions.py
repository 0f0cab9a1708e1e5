"""bayesq._compat.kept_functions: a PyTensor function's Numba code kept on disk, loaded by a new process."""

import os
import subprocess
import sys

import numpy as np
import pytensor
import pytensor.tensor as pt
import pytest

from bayesq._compat.kept_functions import KeptFunction, kept_function


def _build(mode="NUMBA"):
    y, t, m = pt.dvector("y"), pt.dscalar("t"), pt.dmatrix("m")
    return pytensor.function([y, t, m], [pt.exp(y) * t, m[:, 1].sum()], mode=mode)


def test_a_kept_function_computes_what_the_pytensor_function_does(tmp_path, monkeypatch):
    monkeypatch.setenv("BAYESQ_CACHE_DIR", str(tmp_path))
    kept = kept_function("test.exp_times(y, t, m)", _build)
    assert isinstance(kept, KeptFunction) and kept.meta.ndims == (1, 0, 2)
    y, m = np.linspace(-1, 1, 7), np.arange(12.0).reshape(4, 3)
    got, want = kept(y, 2.5, m), _build()(y, 2.5, m)
    assert len(got) == 2
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(kept(y[::2], 1.0, m)[0], np.exp(y[::2]))  # (strided: copied to C order)
    with pytest.raises(ValueError, match="an input of rank 0 was given rank 1"):
        kept(y, y, m)
    with pytest.raises(TypeError, match="expected 3 inputs, got 2"):
        kept(y, 1.0)


_LOAD = """
from bayesq._compat.kept_functions import kept_function
built = []
kept = kept_function("test.exp_times(y, t, m)", lambda: built.append(1))
print(type(kept).__name__, len(built))
"""


def test_a_second_process_loads_the_function_without_building_it(tmp_path, monkeypatch):
    monkeypatch.setenv("BAYESQ_CACHE_DIR", str(tmp_path))
    kept_function("test.exp_times(y, t, m)", _build)
    env = {**os.environ, "BAYESQ_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", _LOAD], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["KeptFunction", "0"]


def test_a_function_without_numba_code_is_used_as_it_is(tmp_path, monkeypatch):
    monkeypatch.setenv("BAYESQ_CACHE_DIR", str(tmp_path))
    plain = kept_function("test.exp_times_python(y, t, m)", lambda: _build(mode="FAST_COMPILE"))
    assert not isinstance(plain, KeptFunction) and hasattr(plain, "maker")  # a PyTensor Function
    assert plain(np.zeros(2), 3.0, np.ones((2, 2)))[0].tolist() == [3.0, 3.0]


def test_an_interrupt_inside_the_compiled_code_is_an_interrupt_not_a_system_error():
    from bayesq._compat.kept_functions import _Meta

    def interrupted(*arrays):  # what Numba raises when a signal handler raises in its callback
        raise SystemError("CPUDispatcher returned a result with an exception set") from KeyboardInterrupt()

    with pytest.raises(KeyboardInterrupt):
        KeptFunction(interrupted, _Meta(ndims=(1,), n_outputs=1))(np.zeros(2))

    def broken(*arrays):
        raise SystemError("something else")

    with pytest.raises(SystemError, match="something else"):
        KeptFunction(broken, _Meta(ndims=(1,), n_outputs=1))(np.zeros(2))
