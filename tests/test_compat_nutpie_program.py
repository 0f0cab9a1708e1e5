"""bayesq._compat.nutpie_program: a fit's compiled program is kept on disk, loads in a new process, and
samples exactly as the program nutpie compiles itself."""

import dataclasses
import logging
import os
import pathlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from bayesq._compat import nutpie_program
from bayesq.model import data_model, data_values, prepare_scores
from bayesq.priors import Priors
from bayesq.samplers.nutpie import NUMBA_DEFAULT, _program

pytestmark = pytest.mark.skipif(not nutpie_program.supported(), reason="nutpie outside the tested releases")

SETTING = (True, None, Priors())


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A cache folder holding the program of ``SETTING``, compiled once for this module's tests."""
    folder = tmp_path_factory.mktemp("bayesq-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BAYESQ_CACHE_DIR", str(folder))
        _program.__wrapped__(*SETTING)
    return folder


def _prepared():
    scores = np.random.default_rng(0).normal(size=60)
    return prepare_scores(scores, float(np.quantile(scores, 0.3)), True)


def test_the_disk_program_samples_the_draws_of_nutpies_own_program(cache, monkeypatch):
    import nutpie

    monkeypatch.setenv("BAYESQ_CACHE_DIR", str(cache))
    values = data_values(_prepared())
    disk = _program.__wrapped__(*SETTING).with_data(**values)
    assert isinstance(disk, nutpie.compile_pymc.CompiledPyMCModel) and disk.data_names
    model, _ = data_model(*SETTING)
    own = nutpie.compile_pymc_model(model, **NUMBA_DEFAULT).with_data(**values)
    for seed in (0, 7):
        np.testing.assert_array_equal(disk.initial_point_func(seed), own.initial_point_func(seed))
    runs = [nutpie.sample(p, draws=100, tune=100, chains=2, seed=3, progress_bar=False) for p in (disk, own)]
    for group in ("posterior", "sample_stats"):
        mine, theirs = (run[group].to_dataset() for run in runs)
        assert list(mine.data_vars) == list(theirs.data_vars)
        for name in mine.data_vars:
            a, b = mine[name].values, theirs[name].values
            if a.dtype == object:  # (divergence messages: missing, None or NaN, where a draw did not diverge)
                missing = pd.isna(a)
                np.testing.assert_array_equal(missing, pd.isna(b), err_msg=f"{group}.{name}")
                a, b = a[~missing], b[~missing]
            np.testing.assert_array_equal(a, b, err_msg=f"{group}.{name}")
    # every field of nutpie's model is set, as nutpie sets the ones that describe the variables
    for field in dataclasses.fields(own):
        if field.name not in nutpie_program._MADE_HERE:
            assert repr(getattr(disk, field.name)) == repr(getattr(own, field.name)), field.name


_COUNT_COMPILES = """
import sys
from bayesq._compat import nutpie_program
from bayesq.priors import Priors
from bayesq.samplers.nutpie import _program
calls = []
compile_ = nutpie_program._compile
nutpie_program._compile = lambda *a: calls.append(1) or compile_(*a)
_program(True, None, Priors())
print(len(calls))
"""


def test_a_second_process_loads_the_program_instead_of_compiling_it(cache):
    (folder,) = (cache / "programs").iterdir()  # compiled by this process, callbacks in Numba's cache
    assert {p.name for p in folder.iterdir()} >= {"program.py", "meta.pkl", "__pycache__"}
    stamp = (folder / "program.py").stat().st_mtime_ns
    env = {**os.environ, "BAYESQ_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", _COUNT_COMPILES], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == "0"  # loaded, not compiled
    assert (folder / "program.py").stat().st_mtime_ns == stamp


def test_a_damaged_or_deleted_cache_is_compiled_again(cache, tmp_path, monkeypatch):
    import shutil

    shutil.copytree(cache, tmp_path, dirs_exist_ok=True)
    monkeypatch.setenv("BAYESQ_CACHE_DIR", str(tmp_path))
    (folder,) = (tmp_path / "programs").iterdir()
    intact = nutpie_program._load(folder, folder.name)
    (folder / "meta.pkl").write_bytes(b"not a pickle")
    calls = []
    monkeypatch.setattr(nutpie_program, "_compile", lambda *args: calls.append(args[:2]) or intact)
    again = _program.__wrapped__(*SETTING)
    assert calls == [(folder, folder.name)] and again.n_dim == 4
    from bayesq.cache import clear_cache

    assert clear_cache() == 1 and not (tmp_path / "programs").exists()
    assert clear_cache() == 0


def test_a_cache_that_cannot_be_written_leaves_nutpie_to_compile(tmp_path, monkeypatch, caplog):
    import nutpie

    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("BAYESQ_CACHE_DIR", str(blocked))
    compiled = object()
    monkeypatch.setattr(nutpie, "compile_pymc_model", lambda model, **kwargs: compiled)
    with caplog.at_level(logging.WARNING, logger="bayesq"):
        assert _program.__wrapped__(*SETTING) is compiled
    assert "cannot be kept" in caplog.text and str(blocked) in caplog.text


def test_data_are_fed_by_name_with_their_rank(cache, monkeypatch):
    monkeypatch.setenv("BAYESQ_CACHE_DIR", str(cache))
    program = _program.__wrapped__(*SETTING)
    fed = program.with_data(**data_values(_prepared()))
    assert fed.shared_data["tail_scores"].size == _prepared().tail.size  # distinct tail scores
    assert fed.user_data[0] == fed.shared_data[fed.data_names[0]].ctypes.data
    with pytest.raises(KeyError, match="unknown data: scores"):
        program.with_data(scores=np.ones(3))
    with pytest.raises(ValueError, match="'threshold' must have rank 0, not 1"):
        program.with_data(threshold=np.ones(2))


def test_the_key_changes_with_what_the_program_depends_on(monkeypatch):
    key = nutpie_program.program_key(SETTING, False)
    assert key == nutpie_program.program_key(SETTING, False)
    assert key != nutpie_program.program_key((False, None, Priors()), False)
    assert key != nutpie_program.program_key(SETTING, True)
    monkeypatch.setenv("PYTENSOR_FLAGS", "floatX=float32")
    assert key != nutpie_program.program_key(SETTING, False)


@pytest.mark.parametrize(("version", "expected"), [("0.16.11", True), ("0.17.0", False), ("absent", False)])
def test_the_disk_program_is_used_only_with_the_tested_nutpie(monkeypatch, version, expected):
    monkeypatch.setattr(nutpie_program, "_version", lambda name: version)
    assert nutpie_program.supported() is expected


def test_the_program_source_is_valid_python_for_any_data_ranks():
    source = nutpie_program._source("k", 3, 5, ["b", "a"], ["a"], ("a", "b"), {"a": 0, "b": 2})
    compile(source, "program.py", "exec")
    assert "table = numba.carray(data_, (4,), np.int64)" in source  # a: address; b: address, 2 lengths
    assert "d0 = numba.carray(address(table[1]), (table[2], table[3], ), np.float64)" in source
    assert pathlib.Path(nutpie_program.__file__).name == "nutpie_program.py"
