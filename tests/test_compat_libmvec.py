"""bayesq._compat.libmvec, SIMD exp/log for the Numba program: used only where LLVM obeys (a probe says),
while compiling, kept apart, restored after, as accurate."""

import re

import numpy as np
import pytensor
import pytensor.link.numba.cache as numba_cache
import pytest
from conftest import as_columns
from test_backends import subset
from test_logdensity import compiled

from bayesq._compat import libmvec as vectormath
from bayesq._compat.libmvec import libmvec, libmvec_available

fresh = compiled.__wrapped__  # not the memoized function another test compiled outside the context
needs_libmvec = pytest.mark.skipif(not libmvec_available(), reason=f"no libmvec: {vectormath._load()}")


def _assembly(fn):
    """The machine code of a compiled Numba-mode PyTensor function (uncached, so inspectable)."""
    return "\n".join(fn.vm.jit_fn.inspect_asm().values())


@needs_libmvec
def test_program_compiled_inside_calls_libmvec_and_one_compiled_after_does_not(reference):
    # the log density's own graph and its gradient, for 182 points (deberta-base's tail)
    args = as_columns(subset(reference, "pdf", n=182))
    with pytensor.config.change_flags(numba__cache=False):
        with libmvec() as used:
            inside = fresh("pdf", with_grad=True, mode="NUMBA")
            inside(*args)  # Numba compiles at the first call
        outside = fresh("pdf", with_grad=True, mode="NUMBA")
        outside(*args)
    assert used is True
    assert re.search(r"_ZGV\w+_(exp|log)", _assembly(inside))
    assert "_ZGV" not in _assembly(outside)


@needs_libmvec
@pytest.mark.parametrize("kind", ["pdf", "cdf", "sf"])
def test_vectorized_program_agrees_with_c(reference, kind):
    """libmvec's exp/log (<= 4 ulp) leave values and gradients as accurate as the rule."""
    cols = as_columns(subset(reference, kind))
    ref_value, *ref_grad = compiled(kind, with_grad=True)(*cols)
    with libmvec():
        fn = fresh(kind, with_grad=True, mode="NUMBA")
        value, *grad = (np.asarray(o) for o in fn(*cols))
    np.testing.assert_allclose(value, ref_value, rtol=1e-10, atol=1e-10)
    for g, r in zip(grad, ref_grad, strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-8, atol=1e-9)


@needs_libmvec
def test_cache_is_kept_apart_and_restored_even_after_an_error():
    default = numba_cache.NUMBA_CACHE_PATH
    with pytest.raises(RuntimeError, match="boom"):
        with libmvec():
            inside = numba_cache.NUMBA_CACHE_PATH
            raise RuntimeError("boom")
    assert inside != default and inside.name == default.name + "-libmvec" and inside.is_dir()
    assert numba_cache.NUMBA_CACHE_PATH == default


@needs_libmvec
def test_nested_use_neither_deadlocks_nor_restores_early():
    default = numba_cache.NUMBA_CACHE_PATH
    with libmvec():
        outer = numba_cache.NUMBA_CACHE_PATH
        with libmvec() as used:
            assert used is True and numba_cache.NUMBA_CACHE_PATH == outer
        assert numba_cache.NUMBA_CACHE_PATH == outer != default
    assert numba_cache.NUMBA_CACHE_PATH == default


def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("BAYESQ_LIBMVEC", "0")
    assert vectormath._load.__wrapped__() == "disabled by BAYESQ_LIBMVEC=0"


def test_a_no_op_where_unavailable(monkeypatch):
    monkeypatch.setattr(vectormath, "_load", lambda: "not here")
    default = numba_cache.NUMBA_CACHE_PATH
    with libmvec() as used:
        assert numba_cache.NUMBA_CACHE_PATH == default
    assert used is False


def test_libmvec_says_whether_it_vectorizes_and_its_program_agrees(reference):
    """The truth: where libmvec() yields True, the program it compiles calls libmvec; else not."""
    args = as_columns(subset(reference, "pdf", n=16))
    with pytensor.config.change_flags(numba__cache=False):
        with libmvec() as used:
            inside = fresh("pdf", with_grad=False, mode="NUMBA")
            inside(*args)
    assert used is libmvec_available()
    assert bool(re.search(r"_ZGV\w+_(exp|log)", _assembly(inside))) is used
