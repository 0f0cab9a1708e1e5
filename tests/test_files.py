"""bayesq.files: files and output directories written whole or not at all; saved fits that prove it."""

import json
import os
import pathlib
import stat

import h5py
import numpy as np
import pytest

from bayesq import files, load
from bayesq.exceptions import OutputConflictError, OutputError, SavedFitError


def snapshot(root: pathlib.Path) -> dict:
    """Every file under ``root`` with its bytes (what a user has, to check it is intact)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def umask_mode(directory: bool) -> int:
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if directory else 0o666) & ~mask


def write_output(path, names=("summary.txt",), **kwargs) -> pathlib.Path:
    with files.OutputDirectory(path, **kwargs) as tmp:
        for name in names:
            (tmp / name).write_text(f"{name} of this run")
    return pathlib.Path(path)


def test_atomic_file_leaves_the_old_file_or_the_whole_new_one(tmp_path):
    path = tmp_path / "ranks.csv"
    path.write_text("old\n")
    with pytest.raises(RuntimeError, match="interrupted"), files.atomic_file(path) as tmp:
        pathlib.Path(tmp).write_text("half")
        raise RuntimeError("interrupted")
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["ranks.csv"]
    with files.atomic_file(path) as tmp:
        pathlib.Path(tmp).write_text("new\n")
    assert path.read_text() == "new\n" and [p.name for p in tmp_path.iterdir()] == ["ranks.csv"]
    assert stat.S_IMODE(path.stat().st_mode) == umask_mode(directory=False)  # as any file the user makes


def test_an_output_directory_appears_whole_with_its_marker_and_the_umask_modes(tmp_path):
    out = tmp_path / "deep" / "result"
    with files.OutputDirectory(out, command="fit") as tmp:
        (tmp / "summary.txt").write_text("beta 0.9")
        assert not out.exists()  # nothing at the destination until the end
    marker = json.loads((out / files.MARKER).read_text())
    assert marker["files"] == ["summary.txt"] and marker["command"] == "fit"
    assert stat.S_IMODE(out.stat().st_mode) == umask_mode(directory=True)  # not mkdtemp's 0700
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep"]  # no temporary left


def test_a_failed_or_interrupted_block_writes_nothing_and_removes_the_parents_it_made(tmp_path):
    for error in (RuntimeError("boom"), KeyboardInterrupt()):
        with pytest.raises(type(error)), files.OutputDirectory(tmp_path / "new" / "result") as tmp:
            (tmp / "summary.txt").write_text("half")
            raise error
        assert list(tmp_path.iterdir()) == []


def test_only_a_directory_bayesq_wrote_is_replaced_and_only_when_asked(tmp_path, monkeypatch):
    old = write_output(tmp_path / "old", names=("summary.txt", "fit.nc"))
    with pytest.raises(OutputError, match=r"\(an earlier bayesq output\); pass --force"):
        files.OutputDirectory(old)
    write_output(old, names=("thresholds.csv",), replace=True)
    assert sorted(p.name for p in old.iterdir()) == [files.MARKER, "thresholds.csv"]

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes")
    (old / "notes.txt").write_text("added by the user")
    (tmp_path / "scores.txt").write_text("0.5\n")
    before = snapshot(tmp_path)
    refusals = [
        (mine, {}, "was not written by bayesq"),
        (old, {}, r"holds files bayesq did not write \(notes.txt\)"),
        (tmp_path / "scores.txt", {}, "is not a directory"),
        (tmp_path, {}, "working directory or a parent of it"),
        (tmp_path / "new", {"inputs": [tmp_path / "scores.txt"]}, None),  # a new directory: fine
    ]
    monkeypatch.chdir(tmp_path)
    for path, kwargs, message in refusals:
        if message is None:
            files.OutputDirectory(path, replace=True, **kwargs).discard()
            continue
        with pytest.raises(OutputError, match=message):
            files.OutputDirectory(path, replace=True, **kwargs)
    os.unlink(old / "notes.txt")
    with pytest.raises(OutputError, match="holds the input"):
        files.OutputDirectory(old, replace=True, inputs=[old / "fit.nc"])
    after = snapshot(tmp_path)
    before.pop("old/notes.txt")
    assert after == before  # byte for byte


def test_a_directory_that_appears_or_changes_meanwhile_is_left_as_it_is(tmp_path):
    out = tmp_path / "result"
    with pytest.raises(OutputConflictError, match="appeared while bayesq worked"):
        with files.OutputDirectory(out) as tmp:
            (tmp / "summary.txt").write_text("ours")
            out.mkdir()
            (out / "theirs.txt").write_text("someone else's")
    assert snapshot(out) == {"theirs.txt": b"someone else's"}
    # replacing: the directory checked at the start is swapped out for another meanwhile
    old = write_output(tmp_path / "old")
    with pytest.raises(OutputConflictError, match="changed while bayesq worked"):
        with files.OutputDirectory(old, replace=True) as tmp:
            (tmp / "summary.txt").write_text("ours")
            old.rename(tmp_path / "moved")
            old.mkdir()
            (old / "theirs.txt").write_text("someone else's")
    assert snapshot(old) == {"theirs.txt": b"someone else's"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["moved", "old", "result"]


def test_the_fallback_rename_without_renameat2_keeps_the_same_promises(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "_renameat2", None)
    old = write_output(tmp_path / "old")
    write_output(old, names=("new.txt",), replace=True)
    assert sorted(p.name for p in old.iterdir()) == [files.MARKER, "new.txt"]
    out = tmp_path / "result"
    with pytest.raises(OutputConflictError), files.OutputDirectory(out) as tmp:
        (tmp / "a.txt").write_text("ours")
        out.mkdir()
        (out / "theirs.txt").write_text("kept")
    assert snapshot(out) == {"theirs.txt": b"kept"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old", "result"]


def test_a_saved_fit_records_its_checksum_and_load_verifies_it(short_fit, tmp_path):
    path = short_fit.save(tmp_path / "fit.nc")
    recorded = load(path).idata.posterior.attrs[files.CHECKSUM_ATTR]
    assert recorded.startswith("sha256:")
    assert recorded == files.checksum(
        files._groups(short_fit.idata), files._settings(short_fit.idata.posterior)
    )
    # one draw changed inside the file, as a bad disk or a stray write would
    tampered = tmp_path / "tampered.nc"
    tampered.write_bytes(path.read_bytes())
    with h5py.File(tampered, "r+") as h5:
        h5["posterior/beta"][0, 0] += 1e-3
    with pytest.raises(
        SavedFitError, match=r"tampered\.nc is corrupted: its contents differ from the checksum"
    ):
        load(tampered)


@pytest.mark.parametrize("damage", ["truncated", "empty", "text", "directory", "foreign"])
def test_load_refuses_a_damaged_or_foreign_file_with_one_message_naming_it(short_fit, tmp_path, damage):
    import arviz as az

    data = short_fit.save(tmp_path / "fit.nc").read_bytes()
    bad = tmp_path / f"{damage}.nc"
    if damage == "truncated":
        bad.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        bad.write_bytes(b"")
    elif damage == "text":
        bad.write_text("0.85\n0.86\n")
    elif damage == "directory":
        bad.mkdir()
    else:
        az.from_dict({"posterior": {"x": np.zeros((1, 5))}}).to_netcdf(bad)
    with pytest.raises(SavedFitError, match=f"{damage}.nc") as err:
        load(bad)
    assert "\n" not in str(err.value)


def test_random_bytes_anywhere_in_a_saved_fit_never_load_as_a_different_fit(short_fit, tmp_path):
    data = short_fit.save(tmp_path / "fit.nc").read_bytes()
    original = files.checksum(files._groups(load(tmp_path / "fit.nc").idata))
    rng = np.random.default_rng(0)
    refused = 0
    for i, start in enumerate(np.linspace(0.02, 0.98, 25) * len(data)):
        start = int(start)
        damaged = bytearray(data)
        damaged[start : start + 64] = rng.integers(0, 256, 64, dtype=np.uint8).tobytes()
        path = tmp_path / f"damaged{i}.nc"
        path.write_bytes(bytes(damaged))
        try:
            again = load(path)
        except SavedFitError:
            refused += 1
            continue
        # bytes that landed in padding change nothing: the contents are the saved ones
        assert files.checksum(files._groups(again.idata)) == original
    assert refused >= 10


def test_a_fit_saved_by_bayesq_0_1_loads_verified_and_works():
    """tests/reference/fit-saved-by-0.1.0.nc: saved by bayesq 0.1.0 (Python 3.11, PyMC 5.28, ArviZ 0.23:
    an InferenceData netCDF) with ``simulate_random_search(n=40, random_seed=11)``, its median as the
    threshold, 2 chains x 20 draws (tune 20, seed 1), then ``sample_prior(20)`` and
    ``prior_sensitivity()``. It reads as a DataTree whose checksum, written by 0.1.0, still holds."""
    import xarray as xr

    from bayesq.simulate import simulate_random_search

    old = load(pathlib.Path(__file__).parent / "reference" / "fit-saved-by-0.1.0.nc")
    assert isinstance(old.idata, xr.DataTree)
    assert old.settings["bayesq_version"] == "0.1.0" and files.CHECKSUM_ATTR in old.idata.posterior.attrs
    assert {"posterior", "sample_stats", "log_likelihood", "observed_data", "prior", "log_prior"} <= set(
        old.idata.children
    )
    sim = simulate_random_search(n=40, random_seed=11)
    np.testing.assert_allclose(np.sort(old.scores), np.sort(sim.scores))
    assert old.draws("beta").shape == (2, 20)
    assert list(old.summary().index) == ["alpha", "beta", "gamma", "sigma"]
    assert old.model is not None and np.isfinite(old.tuning_curve([1, 10]).estimate).all()
    assert set(old.prior_sensitivity().columns) == {"prior", "likelihood", "diagnosis"}
