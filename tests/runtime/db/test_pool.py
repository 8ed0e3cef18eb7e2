"""AdaptiveConnectionPool: sizing rules with an injected clock, waiting, repair on return, outages."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from codeopt_runtime.db.errors import ConnectionPoolClosed, ConnectionPoolTimeout
from codeopt_runtime.db.pool import AdaptiveConnectionPool
from codeopt_runtime.errors import PoolTimeout
from tests.runtime.helpers import FakeClock

from .conftest import PostgresServer


class FakeConn:
    """A DB-API-ish connection whose health and transaction state the test controls."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.in_transaction = False
        self.healthy = True
        self.closed = False
        self.rollbacks = 0

    def cursor(self) -> Any:
        conn = self

        class Cursor:
            def execute(self, sql: str) -> None:
                if not conn.healthy:
                    raise OSError("connection reset")

            def fetchall(self) -> list[Any]:
                return [(1,)]

            def close(self) -> None:
                pass

        return Cursor()

    def rollback(self) -> None:
        self.rollbacks += 1
        self.in_transaction = False

    def commit(self) -> None:
        self.in_transaction = False

    def close(self) -> None:
        self.closed = True


class Server:
    """A connect() that can be switched off, counting attempts and concurrent connects."""

    def __init__(self, delay: float = 0.0) -> None:
        self.up = True
        self.attempts = 0
        self.made: list[FakeConn] = []
        self.delay = delay
        self.concurrent = 0
        self.max_concurrent = 0
        self._lock = threading.Lock()

    def connect(self) -> FakeConn:
        with self._lock:
            self.attempts += 1
            self.concurrent += 1
            self.max_concurrent = max(self.max_concurrent, self.concurrent)
        try:
            if self.delay:
                time.sleep(self.delay)
            if not self.up:
                raise ConnectionRefusedError("server down")
            conn = FakeConn(len(self.made))
            self.made.append(conn)
            return conn
        finally:
            with self._lock:
                self.concurrent -= 1


def make_pool(server: Server, clock: FakeClock, **kwargs: Any) -> AdaptiveConnectionPool:
    kwargs.setdefault("rand", lambda: 0.5)  # no jitter: exact delays
    kwargs.setdefault("max_lifetime", None)
    return AdaptiveConnectionPool(server.connect, clock=clock, **kwargs)


def test_grows_only_when_no_idle_connection_and_reuses_lifo(clock: FakeClock) -> None:
    server = Server()
    pool = make_pool(server, clock, max_size=3)
    a, b = pool.getconn(), pool.getconn()
    assert server.attempts == 2
    pool.putconn(a)
    pool.putconn(b)
    assert pool.getconn() is b  # last in, first out: the idle tail is what shrinking removes
    assert pool.getconn() is a
    assert server.attempts == 2
    stats = pool.stats()
    assert (stats.size, stats.in_use, stats.idle, stats.created) == (2, 2, 0, 2)


def test_timeout_is_typed_and_says_why(clock: FakeClock) -> None:
    pool = make_pool(Server(), clock, max_size=1)
    pool.getconn()
    with pytest.raises(ConnectionPoolTimeout) as info:
        pool.getconn(timeout=0)
    assert isinstance(info.value, PoolTimeout) and isinstance(info.value, TimeoutError)
    assert "all 1 connections in use" in str(info.value)
    assert info.value.last_error is None
    assert pool.stats().timeouts == 1


def test_concurrent_callers_grow_the_pool_one_connection_at_a_time() -> None:
    server = Server(delay=0.05)
    pool = AdaptiveConnectionPool(server.connect, max_size=4, timeout=10)
    got: list[Any] = []
    threads = [threading.Thread(target=lambda: got.append(pool.getconn())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(conn) for conn in got}) == 4
    assert server.max_concurrent == 1
    assert pool.stats().size == 4


def test_waiting_caller_gets_the_returned_connection() -> None:
    pool = AdaptiveConnectionPool(Server().connect, max_size=1, timeout=10)
    held = pool.getconn()
    result: list[Any] = []
    waiter = threading.Thread(target=lambda: result.append(pool.getconn()))
    waiter.start()
    deadline = time.monotonic() + 5
    while pool.stats().waiting != 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert pool.stats().waiting == 1
    time.sleep(0.05)
    pool.putconn(held)
    waiter.join(5)
    assert result == [held]
    stats = pool.stats()
    assert stats.wait.count == 2 and stats.wait.max >= 0.04
    assert stats.created == 1


def test_shrinks_one_connection_per_idle_period_down_to_min_size(clock: FakeClock) -> None:
    server = Server()
    pool = make_pool(server, clock, max_size=4, min_size=1, max_idle=10)
    conns = [pool.getconn() for _ in range(3)]
    for conn in conns:
        pool.putconn(conn)
    assert pool.stats().size == 3
    clock.advance(10)  # the period in which they were created had waiters: nothing idle all along
    pool.maintain()
    assert pool.stats().size == 3
    clock.advance(10)
    pool.maintain()
    assert pool.stats().size == 2
    assert conns[0].closed  # the bottom of the stack: idle the longest
    clock.advance(10)
    pool.maintain()
    clock.advance(10)
    pool.maintain()
    assert pool.stats().size == 1  # min_size holds
    clock.advance(100)
    pool.maintain()
    assert pool.stats().size == 1


def test_a_connection_in_use_every_period_is_not_shrunk(clock: FakeClock) -> None:
    pool = make_pool(Server(), clock, max_size=4, max_idle=10)
    a, b = pool.getconn(), pool.getconn()
    pool.putconn(a)
    pool.putconn(b)
    clock.advance(10)
    pool.maintain()  # closes the period in which both were created
    for _ in range(3):
        conn = pool.getconn()
        pool.putconn(conn)
        clock.advance(10)
        pool.maintain()
    assert pool.stats().size == 1  # one idle all along went; the one used every period stayed
    clock.advance(10)
    pool.maintain()
    assert pool.stats().size == 0  # ... until it too stayed idle for a whole period


def test_reconnects_with_exponential_backoff(clock: FakeClock) -> None:
    server = Server()
    server.up = False
    pool = make_pool(server, clock, max_size=2)
    with pytest.raises(ConnectionPoolTimeout) as info:
        pool.getconn(timeout=0)
    assert isinstance(info.value.last_error, ConnectionRefusedError)
    assert "unreachable" in str(info.value)
    assert pool.stats().retry_in == pytest.approx(1.0)
    clock.advance(0.5)
    with pytest.raises(ConnectionPoolTimeout):
        pool.getconn(timeout=0)
    assert server.attempts == 1  # still backing off: no attempt
    delays = []
    for _ in range(4):
        clock.advance(pool.stats().retry_in or 0.0)
        with pytest.raises(ConnectionPoolTimeout):
            pool.getconn(timeout=0)
        delays.append(pool.stats().retry_in)
    assert delays == pytest.approx([2.0, 4.0, 8.0, 16.0])
    server.up = True
    clock.advance(16)
    conn = pool.getconn(timeout=0)
    assert isinstance(conn, FakeConn)
    stats = pool.stats()
    assert (stats.reconnects, stats.connect_failures, stats.retry_in) == (1, 5, None)


def test_backoff_has_jitter_and_a_cap() -> None:
    pool = AdaptiveConnectionPool(Server().connect, reconnect_max=10.0, rand=lambda: 0.0)
    assert pool.backoff_delay(1) == pytest.approx(0.9)
    pool = AdaptiveConnectionPool(Server().connect, reconnect_max=10.0, rand=lambda: 1.0)
    assert pool.backoff_delay(3) == pytest.approx(4.4)
    assert pool.backoff_delay(30) == pytest.approx(11.0)


def test_health_check_only_after_idle_and_broken_connections_are_replaced(clock: FakeClock) -> None:
    server = Server()
    pool = make_pool(server, clock, max_size=2, check_after=5)
    conn = pool.getconn()
    pool.putconn(conn)
    conn.healthy = False
    assert pool.getconn() is conn  # idle < check_after: no round trip on the hot path
    pool.putconn(conn)
    clock.advance(6)
    fresh = pool.getconn()
    assert fresh is not conn and conn.closed
    stats = pool.stats()
    assert (stats.health_checks, stats.discarded, stats.size) == (1, 1, 1)


def test_connection_broken_on_return_makes_older_idle_ones_suspect(clock: FakeClock) -> None:
    server = Server()
    pool = make_pool(server, clock, max_size=3, check_after=60)
    a, b = pool.getconn(), pool.getconn()
    pool.putconn(a)
    a.healthy = False  # e.g. the server restarted: every socket is dead
    b.closed = True
    pool.putconn(b)  # discarded, and everything created before it must be checked
    got = pool.getconn()
    assert got is not a and a.closed
    assert pool.stats().discarded == 2


def test_max_lifetime_replaces_old_connections(clock: FakeClock) -> None:
    server = Server()
    pool = make_pool(server, clock, max_size=2, max_lifetime=100, lifetime_jitter=0.0)
    conn = pool.getconn()
    pool.putconn(conn)
    clock.advance(101)
    assert pool.getconn() is not conn
    assert conn.closed


def test_rollback_on_return_state_does_not_leak_sqlite(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite")
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE t (x INTEGER)")
    pool = AdaptiveConnectionPool.sqlite(path, max_size=1)
    first = pool.getconn()
    first.execute("INSERT INTO t VALUES (1)")  # opens a transaction, never committed
    pool.putconn(first)
    second = pool.getconn()
    assert second is first
    assert not second.in_transaction
    assert second.execute("SELECT count(*) FROM t").fetchone() == (0,)
    pool.putconn(second)
    with pool.connection() as conn:
        conn.execute("INSERT INTO t VALUES (2)")
    with pytest.raises(RuntimeError), pool.connection() as conn:
        conn.execute("INSERT INTO t VALUES (3)")
        raise RuntimeError("boom")
    with pool.connection() as conn:
        assert conn.execute("SELECT x FROM t").fetchall() == [(2,)]
    assert pool.stats().repaired == 2


def test_foreign_or_double_return_is_refused_and_closed_pool_refuses(clock: FakeClock) -> None:
    pool = make_pool(Server(), clock)
    conn = pool.getconn()
    pool.putconn(conn)
    with pytest.raises(ValueError):
        pool.putconn(conn)
    pool.close()
    with pytest.raises(ConnectionPoolClosed):
        pool.getconn(timeout=0)


def test_postgres_rollback_on_return_and_restart_recovery(
    pg_dsn: str, postgres_server: PostgresServer
) -> None:
    pool = AdaptiveConnectionPool.postgres(
        pg_dsn, max_size=3, timeout=20, reconnect_initial=0.2, check_after=30
    )
    with pool.connection() as conn:
        conn.execute("CREATE TABLE t (x int)")
    conn = pool.getconn()
    conn.execute("INSERT INTO t VALUES (1)")
    pool.putconn(conn)  # left inside a transaction
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
    assert pool.stats().repaired == 1
    held = [pool.getconn() for _ in range(3)]
    for conn in held:
        pool.putconn(conn)

    postgres_server.stop()
    failures = 0
    with pytest.raises(ConnectionPoolTimeout):
        for _ in range(5):  # the idle sockets are dead; then connecting fails and backs off
            try:
                with pool.connection(timeout=1) as conn:
                    conn.execute("SELECT 1")
            except Exception as exc:  # psycopg.OperationalError from a dead socket
                if isinstance(exc, ConnectionPoolTimeout):
                    raise
                failures += 1
    assert failures >= 1
    postgres_server.start()

    with pool.connection(timeout=20) as conn:
        assert conn.execute("SELECT 42").fetchone() == (42,)
    results = []

    def worker() -> None:
        with pool.connection(timeout=20) as conn:
            results.append(conn.execute("SELECT count(*) FROM t").fetchone())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [(0,)] * 6
    stats = pool.stats()
    assert stats.reconnects >= 1 and stats.connect_failures >= 1 and stats.discarded >= 1
    pool.close()


def test_maintain_refills_min_size_after_expiry(clock: FakeClock) -> None:
    server = Server()
    pool = make_pool(server, clock, min_size=2, max_size=4, max_lifetime=50, lifetime_jitter=0.0)
    assert pool.stats().size == 2 and server.attempts == 2
    clock.advance(51)
    pool.maintain()
    stats = pool.stats()
    assert (stats.size, stats.idle, stats.closed, stats.created) == (2, 2, 2, 4)


def test_many_threads_never_exceed_max_size_nor_leak() -> None:
    server = Server()
    pool = AdaptiveConnectionPool(server.connect, max_size=3, timeout=10, max_lifetime=None)
    errors: list[BaseException] = []
    in_use = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            for _ in range(200):
                conn = pool.getconn()
                with lock:
                    in_use.append(conn)
                    assert len(in_use) <= 3 and len(set(map(id, in_use))) == len(in_use)
                with lock:
                    in_use.remove(conn)
                pool.putconn(conn)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    stats = pool.stats()
    assert stats.size <= 3 and stats.in_use == 0 and stats.idle == stats.size
    assert stats.requests == 1600 and server.attempts == stats.created <= 3


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_never_uses_the_parents_connections(clock: FakeClock) -> None:
    server = Server()
    pool = make_pool(server, clock, max_size=2)
    parent_conn = pool.getconn()
    pool.putconn(parent_conn)
    pid = os.fork()
    if pid == 0:  # child
        child_conn = pool.getconn(timeout=0)
        os._exit(0 if child_conn is not parent_conn and not parent_conn.closed else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert pool.getconn(timeout=0) is parent_conn and not parent_conn.closed


def test_waiters_are_served_first_come_first_served_without_barging() -> None:
    pool = AdaptiveConnectionPool(Server().connect, max_size=1, timeout=10)
    held = pool.getconn()
    order: list[str] = []
    done = {name: threading.Event() for name in ("a", "b")}

    def waiter(name: str) -> None:
        conn = pool.getconn()
        order.append(name)
        done[name].wait(10)
        pool.putconn(conn)

    def wait_for_waiters(n: int) -> None:
        deadline = time.monotonic() + 5
        while pool.stats().waiting != n and time.monotonic() < deadline:
            time.sleep(0.005)
        assert pool.stats().waiting == n

    first = threading.Thread(target=waiter, args=("a",))
    first.start()
    wait_for_waiters(1)
    second = threading.Thread(target=waiter, args=("b",))
    second.start()
    wait_for_waiters(2)
    pool.putconn(held)  # goes to "a", the longest waiter
    wait_for_waiters(1)
    with pytest.raises(ConnectionPoolTimeout):
        pool.getconn(timeout=0)  # a newcomer does not jump the queue
    done["a"].set()
    first.join(5)
    done["b"].set()
    second.join(5)
    assert order == ["a", "b"]
