from __future__ import annotations

from pathlib import Path

from codeopt.source.cache import ResultCache, RunCache


def test_result_cache_round_trip_and_corrupt_entry_is_a_miss(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / ".codeopt_cache", "salt")
    key = cache.key(b"x = 1\n", "m", "m.py")
    assert cache.get(key) is None
    cache.put(key, {"answer": 42})
    assert cache.get(key) == {"answer": 42}
    assert key != ResultCache(tmp_path / ".codeopt_cache", "other").key(b"x = 1\n", "m", "m.py")
    entry = next((tmp_path / ".codeopt_cache").rglob(key))
    entry.write_bytes(b"not a pickle")
    assert cache.get(key) is None
    assert not list((tmp_path / ".codeopt_cache").rglob(".tmp-*"))


def test_unwritable_cache_does_not_fail(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    cache = ResultCache(blocker, "salt")
    cache.put("abcd", 1)  # no exception; later puts are skipped
    assert cache.get("abcd") is None


def test_run_cache_checks_the_key_and_distrusts_fresh_files(tmp_path: Path) -> None:
    source = tmp_path / "a.py"
    source.write_text("x = 1\n")
    run = RunCache(tmp_path / ".codeopt_cache")
    assert run.key([source], "s") is None  # modified just now: racy
    old = 1_600_000_000
    import os

    os.utime(source, (old, old))
    key = run.key([source], "s")
    assert key is not None and key != run.key([source], "t")
    run.put(key, ("results",))
    assert run.get(key) == ("results",)
    assert run.get("another") is None
    assert not list((tmp_path / ".codeopt_cache").rglob(".tmp-*"))
