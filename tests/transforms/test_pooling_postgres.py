"""The pooled psycopg rewrite against a real PostgreSQL server: same results as the original, nothing
uncommitted leaks to the next caller, and a server restart costs the caller nothing (the dead
connection fails validation on checkout and is replaced, as a fresh connect would have been)."""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from codeopt.analysis.facts import facts_from_tree
from codeopt.transforms.base import Changed, FileInput
from codeopt.transforms.pooling import pool_file
from tests.runtime.db.conftest import PostgresServer, _has_user, find_pg_bin

psycopg = pytest.importorskip("psycopg")

SOURCE = """
import psycopg

DSN = {dsn!r}


def setup():
    conn = psycopg.connect(DSN)
    try:
        conn.execute("create table if not exists t (x integer)")
        conn.commit()
    finally:
        conn.close()


def add(value):
    conn = psycopg.connect(DSN)
    try:
        conn.execute("insert into t values (%s)", (value,))
        conn.commit()
    finally:
        conn.close()


def add_uncommitted(value):
    conn = psycopg.connect(DSN)
    try:
        conn.execute("insert into t values (%s)", (value,))
    finally:
        conn.close()


def add_then_fail(value):
    conn = psycopg.connect(DSN)
    try:
        conn.execute("insert into t values (%s)", (value,))
        raise ValueError("boom")
    finally:
        conn.close()


def total():
    conn = psycopg.connect(DSN)
    try:
        return conn.execute("select count(*), coalesce(sum(x), 0) from t").fetchone()
    finally:
        conn.close()
"""


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    """A private server for this module (the restart test must not disturb anyone else's)."""
    bindir = find_pg_bin()
    problem = ""
    if bindir is None:
        problem = "PostgreSQL (initdb, pg_ctl, postgres) not installed"
    elif os.geteuid() == 0 and not _has_user("postgres"):
        problem = "running as root needs the 'postgres' system user to run the server"
    if problem or bindir is None:
        if os.environ.get("CODEOPT_REQUIRE_SERVERS") == "1":
            pytest.fail(f"{problem} but CODEOPT_REQUIRE_SERVERS=1")
        pytest.skip(problem)
    workdir = Path(tempfile.mkdtemp(prefix="codeopt-pool-pg-"))
    pg = PostgresServer(bindir, workdir)
    try:
        pg.init()
        pg.start()
        yield pg
    finally:
        with contextlib.suppress(RuntimeError, subprocess.SubprocessError):
            pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _database(server: PostgresServer) -> str:
    name = f"p_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server.conninfo(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return server.conninfo(name)


def _load(folder: Path, name: str, source: str) -> ModuleType:
    path = folder / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _rewrite(source: str) -> Changed:
    facts = facts_from_tree(ast.parse(source), source.splitlines(), module="orders")
    result = pool_file(FileInput(Path("orders.py"), source, "orders", facts))
    assert isinstance(result, Changed), result
    return result


@pytest.fixture
def modules(server: PostgresServer, tmp_path: Path) -> Iterator[tuple[ModuleType, ModuleType]]:
    original = _load(tmp_path, "orders_original", SOURCE.format(dsn=_database(server)))
    changed = _rewrite(SOURCE.format(dsn=_database(server)))
    assert len(changed.applied) == 5
    pooled = _load(tmp_path, "orders_pooled", changed.after)
    original.setup()
    pooled.setup()
    yield original, pooled
    pooled._psycopg_pools.close()
    for name in ("orders_original", "orders_pooled"):
        sys.modules.pop(name, None)


def _script(module: ModuleType) -> list[Any]:
    seen: list[Any] = []
    for step in (
        lambda: module.add(1),
        lambda: module.add_uncommitted(5),
        module.total,
        lambda: module.add_then_fail(7),
        module.total,
        lambda: module.add(2),
        module.total,
    ):
        try:
            seen.append(step())
        except Exception as exc:
            seen.append(type(exc).__name__)
    return seen


def test_same_results_as_the_original(modules: tuple[ModuleType, ModuleType]) -> None:
    original, pooled = modules
    expected = _script(original)
    assert expected == [None, None, (1, 1), "ValueError", (1, 1), None, (2, 3)]
    assert _script(pooled) == expected
    (pool,) = pooled._psycopg_pools.pools()
    assert pool.stats().created == 1  # every call reused one connection


def test_uncommitted_writes_do_not_leak_to_the_next_caller(modules: tuple[ModuleType, ModuleType]) -> None:
    _, pooled = modules
    pooled.add(10)
    (pool,) = pooled._psycopg_pools.pools()
    pooled.add_uncommitted(99)  # caller A: writes, never commits, gives the connection back
    assert pooled.total() == (1, 10)  # caller B, on that very connection, does not see it
    assert pool.stats().created == 1


def test_server_restart_costs_the_caller_nothing(
    server: PostgresServer, modules: tuple[ModuleType, ModuleType]
) -> None:
    _, pooled = modules
    pooled.add(1)
    (pool,) = pooled._psycopg_pools.pools()
    server.stop()
    server.start()
    pooled.add(2)  # the idle connection died with the server: validated, replaced, no error
    assert pooled.total() == (2, 3)
    stats = pool.stats()
    assert stats.created == 2 and stats.destroyed == 1
