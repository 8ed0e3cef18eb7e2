"""codeopt_runtime.pooled: pools keyed by constructor arguments, SQLite identity and resets."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from codeopt_runtime.pooled import (
    UNPOOLED,
    PoolMap,
    reset_psycopg,
    reset_sqlite3,
    rollback,
    sqlite3_identity,
    validate_psycopg,
)


def _sqlite_pools() -> PoolMap:
    return PoolMap(reset=reset_sqlite3, identity=sqlite3_identity)


def _make_table(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("create table t (x integer)")
    conn.close()


def test_same_arguments_reuse_one_connection(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _make_table(db)
    pools = _sqlite_pools()
    with pools.acquire(sqlite3.connect, str(db), check_same_thread=False) as first:
        pass
    with pools.acquire(sqlite3.connect, str(db), check_same_thread=False) as second:
        assert second is first
    assert len(pools.pools()) == 1


def test_different_arguments_get_different_pools(tmp_path: Path) -> None:
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    _make_table(a)
    _make_table(b)
    pools = _sqlite_pools()
    with pools.acquire(sqlite3.connect, str(a), check_same_thread=False) as ca:
        ca.execute("insert into t values (1)")
        ca.commit()
    with pools.acquire(sqlite3.connect, str(b), check_same_thread=False) as cb:
        assert cb is not ca
        assert cb.execute("select count(*) from t").fetchone() == (0,)
    assert len(pools.pools()) == 2


def test_uncommitted_writes_are_rolled_back_for_the_next_caller(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _make_table(db)
    pools = _sqlite_pools()
    with pools.acquire(sqlite3.connect, str(db), check_same_thread=False) as conn:
        conn.execute("insert into t values (1)")  # no commit
        assert conn.in_transaction
    with pools.acquire(sqlite3.connect, str(db), check_same_thread=False) as again:
        assert again is conn
        assert not again.in_transaction
        assert again.execute("select count(*) from t").fetchone() == (0,)


def test_a_connection_that_cannot_be_reset_is_dropped() -> None:
    class Broken:
        closed = False

        def rollback(self) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        def close(self) -> None:
            self.closed = True

    made: list[Broken] = []

    def factory() -> Broken:
        made.append(Broken())
        return made[-1]

    pools = PoolMap(reset=rollback)
    with pools.acquire(factory) as first:
        pass
    assert first.closed
    with pools.acquire(factory) as second:
        assert second is not first
    assert len(made) == 2


def test_memory_databases_are_never_pooled() -> None:
    pools = _sqlite_pools()
    for database in (":memory:", "", "file::memory:?cache=shared"):
        uri = database.startswith("file:")
        with pools.acquire(sqlite3.connect, database, uri=uri) as conn:
            conn.execute("create table t (x)")  # would fail the second time if the object were reused
        with pytest.raises(sqlite3.ProgrammingError):
            conn.execute("select 1")  # closed on exit, as the original code did
    assert pools.pools() == []


def test_identity_sees_replaced_database_file(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _make_table(db)
    pools = _sqlite_pools()
    with pools.acquire(sqlite3.connect, str(db), check_same_thread=False) as old:
        old.execute("insert into t values (1)")
        old.commit()
    old_pool = pools.pools()[0]
    db.unlink()
    _make_table(db)
    with pools.acquire(sqlite3.connect, str(db), check_same_thread=False) as new:
        assert new is not old
        assert new.execute("select count(*) from t").fetchone() == (0,)  # the new file
    assert old_pool.closed
    with pytest.raises(sqlite3.ProgrammingError):
        old.execute("select 1")  # the superseded pool closed its idle connection


def test_identity_keys_relative_paths_by_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        _make_table(tmp_path / folder / "x.db")
    (tmp_path / "x.db").touch()
    monkeypatch.chdir(tmp_path / "one")
    first = sqlite3_identity(("x.db",), {})
    monkeypatch.chdir(tmp_path / "two")
    assert sqlite3_identity(("x.db",), {}) != first
    assert sqlite3_identity((str(tmp_path / "x.db"),), {})[0] is None  # absolute: cwd irrelevant


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((":memory:",), {}),
        ((), {"database": ""}),
        (("file:x?mode=memory",), {"uri": True}),
        ((b":memory:",), {}),
        ((object(),), {}),
    ],
)
def test_identity_unpooled_cases(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    assert sqlite3_identity(args, kwargs) is UNPOOLED


def test_a_database_that_does_not_exist_yet_is_not_pooled(tmp_path: Path) -> None:
    """That connect creates the file: a pool keyed before the file existed would be ambiguous (the same
    key again after the file is deleted), so the first call is made as the original code made it."""
    db = tmp_path / "new.db"
    assert sqlite3_identity((str(db),), {}) is UNPOOLED
    pools = _sqlite_pools()
    with pools.acquire(sqlite3.connect, str(db), check_same_thread=False) as conn:
        conn.execute("create table t (x)")
    assert pools.pools() == []
    with pools.acquire(sqlite3.connect, str(db), check_same_thread=False) as conn:
        assert conn.execute("select count(*) from t").fetchone() == (0,)
    assert len(pools.pools()) == 1


def test_identity_of_uri_file(tmp_path: Path) -> None:
    db = tmp_path / "a b.db"
    _make_table(db)
    st = os.stat(db)
    uri = "file:" + str(db).replace(" ", "%20") + "?mode=ro"
    assert sqlite3_identity((uri,), {"uri": True}) == (None, st.st_dev, st.st_ino)


def test_unhashable_arguments_create_and_close_per_call() -> None:
    closed: list[object] = []

    class Thing:
        def __init__(self, options: dict[str, int]) -> None:
            self.options = options

        def close(self) -> None:
            closed.append(self)

    pools = PoolMap()
    with pools.acquire(Thing, {"a": 1}) as thing:
        assert isinstance(thing, Thing)
    assert closed == [thing]
    assert pools.pools() == []


def test_patched_factory_gets_its_own_pool(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    _make_table(Path(db))
    pools = _sqlite_pools()
    with pools.acquire(sqlite3.connect, db, check_same_thread=False) as real:
        pass
    fake = mock.MagicMock(name="connection")
    fake.in_transaction = False
    with (
        mock.patch("sqlite3.connect", return_value=fake),
        pools.acquire(sqlite3.connect, db, check_same_thread=False) as got,
    ):
        assert got is fake
    with pools.acquire(sqlite3.connect, db, check_same_thread=False) as back:
        assert back is real


def test_threads_each_get_their_own_connection(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _make_table(db)
    pools = _sqlite_pools()
    barrier = threading.Barrier(4)
    seen: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with pools.acquire(sqlite3.connect, str(db), check_same_thread=False, timeout=10) as conn:
                barrier.wait(timeout=10)
                seen.append(id(conn))
                conn.execute("insert into t values (1)")
                conn.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(set(seen)) == 4
    with pools.acquire(sqlite3.connect, str(db), check_same_thread=False, timeout=10) as conn:
        assert conn.execute("select count(*) from t").fetchone() == (4,)


def test_close_closes_every_pool(tmp_path: Path) -> None:
    pools = _sqlite_pools()
    with pools.acquire(sqlite3.connect, str(tmp_path / "a.db"), check_same_thread=False) as conn:
        pass
    pools.close()
    assert pools.pools() == []
    with pytest.raises(sqlite3.ProgrammingError):
        conn.execute("select 1")


def test_callers_never_wait_beyond_max_size(tmp_path: Path) -> None:
    """The replaced code opened one connection per call: more concurrent callers than ``max_size``
    get extra connections (closed on return) instead of waiting for a PoolTimeout."""
    db = tmp_path / "a.db"
    _make_table(db)
    pools = PoolMap(reset=reset_sqlite3, identity=sqlite3_identity, max_size=2, timeout=0.01)
    leases = [pools.acquire(sqlite3.connect, str(db), check_same_thread=False) for _ in range(5)]
    conns = [lease.__enter__() for lease in leases]
    assert len({id(c) for c in conns}) == 5
    for lease in leases:
        lease.__exit__(None, None, None)
    (pool,) = pools.pools()
    assert pool.stats().idle == 2
    assert pool.stats().destroyed == 3


def test_fork_child_gets_fresh_connections(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    _make_table(db)
    pools = _sqlite_pools()
    with pools.acquire(sqlite3.connect, str(db), check_same_thread=False) as parent:
        pass
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            with pools.acquire(sqlite3.connect, str(db), check_same_thread=False) as child:
                child.execute("insert into t values (1)")
                child.commit()
                os.write(write, b"same" if child is parent else b"fresh")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 10)
    os.waitpid(pid, 0)
    os.close(read)
    assert answer == b"fresh"
    with pools.acquire(sqlite3.connect, str(db), check_same_thread=False) as again:
        assert again is parent
        assert again.execute("select count(*) from t").fetchone() == (1,)


class FakePg:
    """The psycopg 3 surface the helpers use (the real thing is exercised against a server in
    tests/transforms/test_pooling_postgres.py)."""

    def __init__(self, status: int = 0, closed: bool = False, broken: bool = False) -> None:
        self.info = mock.Mock(transaction_status=status)
        self.closed = closed
        self.broken = broken
        self.autocommit = False
        self.log: list[tuple[str, bool]] = []

    def rollback(self) -> None:
        self.log.append(("rollback", self.autocommit))

    def execute(self, query: str) -> None:
        self.log.append((f"execute {query!r}", self.autocommit))


def test_reset_psycopg_rolls_back_and_refuses_a_busy_connection() -> None:
    idle = FakePg()
    reset_psycopg(idle)
    assert idle.log == [("rollback", False)]
    with pytest.raises(RuntimeError, match="not idle"):
        reset_psycopg(FakePg(status=3))  # INERROR


def test_validate_psycopg_round_trips_outside_a_transaction() -> None:
    conn = FakePg()
    assert validate_psycopg(conn)
    assert conn.log == [("execute ''", True)]  # in autocommit: no transaction is opened
    assert conn.autocommit is False  # restored
    assert not validate_psycopg(FakePg(closed=True))
    assert not validate_psycopg(FakePg(broken=True))
