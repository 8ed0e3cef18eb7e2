"""The pooled rewrite, run: same results as the original, nothing uncommitted leaks between callers,
connections are really reused, threads are safe. Both versions are real modules imported from a temp dir;
the rewritten one is produced by ``pool_file`` from the original's source."""

from __future__ import annotations

import ast
import importlib.util
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from codeopt.analysis.facts import facts_from_tree
from codeopt.transforms.base import Changed, FileInput
from codeopt.transforms.pooling import pool_file

SOURCE = """
import sqlite3
from contextlib import closing

DB_PATH = {path!r}
SCHEMA = "create table if not exists t (x integer)"


def setup():
    conn = sqlite3.connect(DB_PATH)
    try:
        conn.execute(SCHEMA)
        conn.commit()
    finally:
        conn.close()


def add(value):
    conn = sqlite3.connect(DB_PATH, timeout=10)
    try:
        cursor = conn.execute("insert into t values (?)", (value,))
        conn.commit()
        return cursor.lastrowid
    finally:
        conn.close()


def add_without_commit(value):
    conn = sqlite3.connect(DB_PATH, timeout=10)
    try:
        conn.execute("insert into t values (?)", (value,))
    finally:
        conn.close()


def add_then_fail(value):
    with closing(sqlite3.connect(DB_PATH, timeout=10)) as conn:
        conn.execute("insert into t values (?)", (value,))
        raise ValueError("boom")


def total():
    with closing(sqlite3.connect(DB_PATH, timeout=10)) as conn:
        return conn.execute("select count(*), coalesce(sum(x), 0) from t").fetchone()


def first_row():
    conn = sqlite3.connect(DB_PATH, timeout=10)
    rows = conn.execute("select x from t order by x")
    first = rows.fetchone()
    conn.close()
    return first
"""


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def rewrite(source: str) -> Changed:
    facts = facts_from_tree(ast.parse(source), source.splitlines(), module="shop")
    result = pool_file(FileInput(Path("shop.py"), source, "shop", facts))
    assert isinstance(result, Changed), result
    return result


@pytest.fixture
def modules(tmp_path: Path) -> Iterator[tuple[ModuleType, ModuleType]]:
    """(original, pooled) on two databases of their own."""
    original_source = SOURCE.format(path=str(tmp_path / "original.db"))
    pooled_source = rewrite(SOURCE.format(path=str(tmp_path / "pooled.db"))).after
    (tmp_path / "shop_original.py").write_text(original_source)
    (tmp_path / "shop_pooled.py").write_text(pooled_source)
    original = _load(tmp_path / "shop_original.py", "shop_original")
    pooled = _load(tmp_path / "shop_pooled.py", "shop_pooled")
    original.setup()
    pooled.setup()
    yield original, pooled
    pooled._sqlite3_pools.close()
    sys.modules.pop("shop_original", None)
    sys.modules.pop("shop_pooled", None)


def test_every_function_is_rewritten() -> None:
    changed = rewrite(SOURCE.format(path="/tmp/x.db"))
    functions = {a.split(" in ")[1].split(" ")[0] for a in changed.applied}
    assert functions == {"setup", "add", "add_without_commit", "add_then_fail", "total", "first_row"}
    assert "sqlite3.connect(" not in changed.after.replace("sqlite3.connect,", "")


def _script(module: ModuleType) -> list[Any]:
    """A sequence of calls; each result (or exception type) is recorded."""
    seen: list[Any] = []
    steps: list[Callable[[], Any]] = [
        lambda: module.add(1),
        lambda: module.add_without_commit(5),
        module.total,
        lambda: module.add_then_fail(7),
        module.total,
        lambda: module.add(2),
        module.first_row,
        lambda: module.add(3),
        module.total,
    ]
    for step in steps:
        try:
            seen.append(step())
        except Exception as exc:
            seen.append(type(exc).__name__)
    return seen


def test_same_results_as_the_original(modules: tuple[ModuleType, ModuleType]) -> None:
    original, pooled = modules
    expected = _script(original)
    assert expected == [1, None, (1, 1), "ValueError", (1, 1), 2, (1,), 3, (3, 6)]
    assert _script(pooled) == expected
    (pool,) = pooled._sqlite3_pools.pools()[-1:]
    assert pool.stats().created == 1  # one thread, one connection, reused by every call


def test_uncommitted_writes_do_not_leak_to_the_next_caller(modules: tuple[ModuleType, ModuleType]) -> None:
    """Caller A writes without committing and gives the connection back; caller B gets that very
    connection and must not see A's row (closing discarded it before the rewrite; the reset must too)."""
    _, pooled = modules
    pooled.add(10)  # the first connection (a 3-argument pool key: DB_PATH, timeout, thread flag)
    pool = pooled._sqlite3_pools.pools()[-1]
    created = pool.stats().created
    pooled.add_without_commit(99)
    seen_by_b = pooled.total()
    assert seen_by_b == (1, 10)
    assert pool.stats().created == created  # B really reused A's connection
    assert pool.stats().idle == 1


def test_uncommitted_writes_do_not_leak_across_threads(modules: tuple[ModuleType, ModuleType]) -> None:
    _, pooled = modules
    a_done = threading.Event()
    results: dict[str, Any] = {}

    def caller_a() -> None:
        pooled.add_without_commit(42)
        a_done.set()

    def caller_b() -> None:
        a_done.wait(10)
        results["b"] = pooled.total()

    threads = [threading.Thread(target=caller_a), threading.Thread(target=caller_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert results["b"] == (0, 0)
    assert pooled._sqlite3_pools.pools()[-1].stats().created == 1  # B got A's connection, rolled back


def test_concurrent_callers(modules: tuple[ModuleType, ModuleType]) -> None:
    _, pooled = modules
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for i in range(10):
                pooled.add(offset + i)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k * 100,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert pooled.total() == (40, sum(k * 100 + i for k in range(4) for i in range(10)))
    created = sum(p.stats().created for p in pooled._sqlite3_pools.pools())
    assert created <= 4 + 1  # at most one connection per thread (+ the total() key)


def test_a_deleted_database_is_recreated_like_the_original(tmp_path: Path) -> None:
    source = SOURCE.format(path=str(tmp_path / "gone.db"))
    (tmp_path / "shop_gone.py").write_text(rewrite(source).after)
    pooled = _load(tmp_path / "shop_gone.py", "shop_gone")
    try:
        pooled.setup()
        pooled.add(1)
        (tmp_path / "gone.db").unlink()
        pooled.setup()
        assert pooled.total() == (0, 0)  # not the unlinked file's row
    finally:
        pooled._sqlite3_pools.close()
        sys.modules.pop("shop_gone", None)
