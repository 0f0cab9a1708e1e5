"""bayesq.cache: where compiled code is kept, what its key depends on, and clearing it."""

import pathlib

from bayesq import cache


def test_the_folder_is_the_users_choice_else_the_xdg_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("BAYESQ_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("BAYESQ_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "bayesq"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_dir() == pathlib.Path.home() / ".cache" / "bayesq"


def test_the_key_depends_on_its_parts_and_on_pytensor_flags(monkeypatch):
    monkeypatch.delenv("PYTENSOR_FLAGS", raising=False)
    key = cache.compiled_key("kept function", "f(y)")
    assert key == cache.compiled_key("kept function", "f(y)") and len(key) == 32
    assert key != cache.compiled_key("kept function", "g(y)")
    monkeypatch.setenv("PYTENSOR_FLAGS", "floatX=float32")
    assert key != cache.compiled_key("kept function", "f(y)")


def test_clearing_deletes_programs_and_functions_and_counts_them(monkeypatch, tmp_path):
    monkeypatch.setenv("BAYESQ_CACHE_DIR", str(tmp_path))
    for folder in (cache.programs_dir() / "a", cache.programs_dir() / "b", cache.functions_dir() / "c"):
        folder.mkdir(parents=True)
        (folder / "meta.pkl").write_bytes(b"")
    assert cache.clear_cache() == 3
    assert not cache.programs_dir().exists() and not cache.functions_dir().exists()
    assert cache.clear_cache() == 0
