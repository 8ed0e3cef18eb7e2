"""``AdaptiveConnectionPool``: a DB-API connection pool that sizes itself and survives outages.

The rules are psycopg_pool's, because they are the ones with years of production behind them:

* grow **one connection at a time, only while callers wait** (no thundering herd of connects when a
  burst arrives, and no connection opened that nobody asked for); waiting callers are served
  **first come, first served**: a returned connection goes straight to the longest waiter, so a
  newcomer cannot barge in and starve it;
* every ``max_idle`` seconds close **one** connection if at least one stayed idle for the whole
  period (down to ``min_size``): the pool follows load down slowly, so a short lull does not cost a
  burst of reconnects afterwards;
* when connecting fails, retry with exponential **backoff** (1 s, x2, +-10% jitter, capped) instead
  of hammering a server that is restarting; callers keep waiting until their own timeout and then
  get ``ConnectionPoolTimeout`` carrying the last connection error;
* **health check on checkout** only when a connection sat idle longer than ``check_after`` seconds
  (or when another connection was just found broken: everything older is then suspect), so the hot
  path costs no round trip;
* **rollback on return**: a connection handed back inside a transaction is rolled back (counted as
  ``repaired``); one that cannot be rolled back, is broken, or is mid-query is closed instead, so no
  transaction state ever leaks from one caller to the next;
* ``max_lifetime`` with jitter (connections do not all expire together), fork safety (a child never
  uses its parent's sockets), stats with a wait-time histogram, an injectable clock.

No background thread (as in ``codeopt_runtime.pool``): shrinking, expiry and backoff are applied
when the pool is used or when ``maintain()`` is called, so an idle pool costs nothing.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .errors import ConnectionPoolClosed, ConnectionPoolTimeout
from .histogram import LatencyHistogram, LatencySummary

__all__ = ["AdaptiveConnectionPool", "ConnectionPoolStats"]

_GROW = object()  # "you may open a connection" (the reservation is already counted in size)


class _Waiter:
    """A caller queued for a connection; ``result`` is set (under the pool lock) when served."""

    __slots__ = ("result",)

    def __init__(self) -> None:
        self.result: Any = None  # an _Entry, or _GROW


@dataclass(frozen=True)
class ConnectionPoolStats:
    """A snapshot of the pool. Gauges: ``size`` (open or opening), ``idle``, ``in_use``, ``waiting``.
    Counters: ``requests``, ``created``, ``closed``, ``errors`` (connect/check/rollback failures),
    ``connect_failures``, ``reconnects`` (successful connects after failures), ``timeouts``,
    ``repaired`` (returned inside a transaction and rolled back), ``discarded`` (broken on return
    or check), ``health_checks``. ``wait``: checkout wait-time percentiles. ``retry_in``: seconds
    until the next connection attempt while backing off, else None."""

    size: int
    idle: int
    in_use: int
    waiting: int
    requests: int
    created: int
    closed: int
    errors: int
    connect_failures: int
    reconnects: int
    timeouts: int
    repaired: int
    discarded: int
    health_checks: int
    wait: LatencySummary
    retry_in: float | None


class _Entry:
    __slots__ = ("conn", "created", "expires", "last_used", "seq")

    def __init__(self, conn: Any, created: float, expires: float, seq: int) -> None:
        self.conn = conn
        self.seq = seq
        self.created = created
        self.expires = expires
        self.last_used = created


def _transaction_state(conn: Any) -> str:
    """``idle``, ``intrans`` (or failed transaction), ``active`` (query running) or ``unknown``."""
    info = getattr(conn, "info", None)
    status = getattr(info, "transaction_status", None)
    if status is not None:  # psycopg 3: IDLE=0, ACTIVE=1, INTRANS=2, INERROR=3, UNKNOWN=4
        return {0: "idle", 1: "active", 2: "intrans", 3: "intrans"}.get(int(status), "unknown")
    in_transaction = getattr(conn, "in_transaction", None)  # sqlite3
    if isinstance(in_transaction, bool):
        return "intrans" if in_transaction else "idle"
    return "unknown"


def _is_broken(conn: Any) -> bool:
    return bool(getattr(conn, "broken", False) or getattr(conn, "closed", False))


def default_check(conn: Any) -> None:
    """``SELECT 1`` (then roll back the transaction a non-autocommit driver opened for it)."""
    cursor = conn.cursor()
    try:
        cursor.execute("SELECT 1")
        cursor.fetchall()
    finally:
        cursor.close()
    if _transaction_state(conn) != "idle":
        conn.rollback()


def _close_quietly(conn: Any) -> None:
    with contextlib.suppress(Exception):  # a broken connection may fail to close: gone anyway
        conn.close()


class AdaptiveConnectionPool:
    """Thread-safe pool of DB-API connections made by ``connect()``.

    ``getconn()``/``putconn(conn)`` are the explicit form; ``with pool.connection() as conn:``
    commits on success and rolls back on error, like psycopg_pool. ``AdaptiveConnectionPool.sqlite``
    and ``.postgres`` build the ``connect`` callable for the two drivers it is tested with.
    """

    def __init__(
        self,
        connect: Callable[[], Any],
        *,
        min_size: int = 0,
        max_size: int = 10,
        timeout: float = 30.0,
        max_idle: float | None = 600.0,
        max_lifetime: float | None = 3600.0,
        lifetime_jitter: float = 0.1,
        check_after: float | None = 5.0,
        check: Callable[[Any], object] | None = default_check,
        reset: Callable[[Any], object] | None = None,
        reconnect_initial: float = 1.0,
        reconnect_factor: float = 2.0,
        reconnect_jitter: float = 0.1,
        reconnect_max: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
        name: str | None = None,
    ) -> None:
        if max_size < 1 or not 0 <= min_size <= max_size:
            raise ValueError(f"need 0 <= min_size <= max_size and max_size >= 1 (got {min_size}, {max_size})")
        if timeout < 0 or (max_idle is not None and max_idle <= 0):
            raise ValueError("timeout must be >= 0 and max_idle > 0 or None")
        self._connect = connect
        self.min_size = min_size
        self.max_size = max_size
        self.timeout = timeout
        self.max_idle = max_idle
        self.max_lifetime = max_lifetime
        self.lifetime_jitter = lifetime_jitter
        self.check_after = check_after
        self._check = check
        self._reset = reset
        self.reconnect_initial = reconnect_initial
        self.reconnect_factor = reconnect_factor
        self.reconnect_jitter = reconnect_jitter
        self.reconnect_max = reconnect_max
        self._clock = clock
        self._rand = rand
        self.name = name or getattr(connect, "__qualname__", "pool")
        # Plain "with self._lock" (C level) everywhere; the Condition over the same lock only to wait.
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._wait_hist = LatencyHistogram()
        self._init_state()
        if min_size:
            self.fill()

    def _init_state(self) -> None:
        self._pid = os.getpid()
        self._idle: list[_Entry] = []
        self._out: dict[int, _Entry] = {}
        self._size = 0
        self._growing = False
        self._waiters: deque[_Waiter] = deque()  # FIFO: the longest waiter is served first
        self._closed = False
        self._failures = 0  # consecutive connect failures
        self._next_attempt = float("-inf")
        self._last_error: BaseException | None = None
        self._seq = 0  # creation sequence number of the newest connection
        self._suspect_upto = 0  # connections with seq <= this are checked before reuse
        self._idle_min = 0
        self._shrink_at = None if self.max_idle is None else self._clock() + self.max_idle
        self._counts = dict.fromkeys(
            (
                "requests",
                "created",
                "closed",
                "errors",
                "connect_failures",
                "reconnects",
                "timeouts",
                "repaired",
                "discarded",
                "health_checks",
            ),
            0,
        )

    # -- constructors for the tested drivers ------------------------------------------------------

    @classmethod
    def sqlite(cls, database: str, **kwargs: Any) -> AdaptiveConnectionPool:
        """A pool of ``sqlite3`` connections usable from any thread (one thread at a time)."""
        import sqlite3

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(database, check_same_thread=False)

        kwargs.setdefault("name", f"sqlite:{database}")
        return cls(connect, **kwargs)

    @classmethod
    def postgres(cls, conninfo: str, *, connect_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        """A pool of psycopg 3 connections (the ``postgres`` extra)."""
        extra = dict(connect_kwargs or {})
        extra.setdefault("connect_timeout", 5)

        def connect() -> Any:
            import psycopg

            return psycopg.connect(conninfo, **extra)

        kwargs.setdefault("name", "postgres")
        return cls(connect, **kwargs)

    # -- policy -------------------------------------------------------------------------------------

    def backoff_delay(self, failures: int) -> float:
        """Delay before the next connect after ``failures`` consecutive failures (>= 1)."""
        base = self.reconnect_initial * self.reconnect_factor ** max(failures - 1, 0)
        base = min(base, self.reconnect_max)
        return base * (1 + self.reconnect_jitter * (2 * self._rand() - 1))

    # -- checkout -----------------------------------------------------------------------------------

    def getconn(self, timeout: float | None = None) -> Any:
        """Check a connection out, waiting up to ``timeout`` seconds (default: the pool's)."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        started = self._clock()
        lock = self._lock
        with lock:
            self._counts["requests"] += 1
            entry = self._fast_take_locked(started)
        if entry is not None and self._usable(entry):
            with lock:
                self._out[id(entry.conn)] = entry
            self._wait_hist.record(max(self._clock() - started, 0.0))
            return entry.conn
        retry = entry is not None
        while True:
            victims: list[_Entry] = []
            try:
                with self._lock:
                    if os.getpid() != self._pid:
                        self._init_state()  # forked child: forget the parent's sockets, never close them
                    victims = self._maintain_locked()
                    got = self._take_locked(deadline, limit, front=retry)
            finally:
                self._close_entries(victims)  # outside the lock: closing may wait on the network
            entry = self._grow() if got is _GROW else got
            if entry is None or not self._usable(entry):
                retry = True  # keep our place at the head of the queue
                continue
            with self._lock:
                self._out[id(entry.conn)] = entry
            self._wait_hist.record(max(self._clock() - started, 0.0))
            return entry.conn

    def _fast_take_locked(self, now: float) -> _Entry | None:
        """The top idle connection when nobody waits and no sizing rule is due, else None."""
        if not self._idle or self._waiters or self._closed or self._pid != os.getpid():
            return None
        if self._shrink_at is not None and now >= self._shrink_at:
            return None
        entry = self._idle.pop()
        if len(self._idle) < self._idle_min:
            self._idle_min = len(self._idle)
        return entry

    def _take_locked(self, deadline: float, limit: float, *, front: bool = False) -> Any:
        """An idle entry, ``_GROW``, or wait in FIFO order (no barging past earlier callers)."""
        if self._closed:
            raise ConnectionPoolClosed(f"{self!r} is closed")
        if not self._waiters:
            if self._idle:
                entry = self._idle.pop()
                self._idle_min = min(self._idle_min, len(self._idle))
                return entry
            if self._can_grow_locked():
                return self._reserve_locked()
        waiter = _Waiter()
        if front:
            self._waiters.appendleft(waiter)
        else:
            self._waiters.append(waiter)
        self._idle_min = 0
        try:
            return self._wait_locked(waiter, deadline, limit)
        finally:
            if waiter.result is None:
                self._waiters.remove(waiter)

    def _wait_locked(self, waiter: _Waiter, deadline: float, limit: float) -> Any:
        while True:
            self._grant_locked()
            if waiter.result is not None:
                return waiter.result
            if self._closed:
                raise ConnectionPoolClosed(f"{self!r} is closed")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._counts["timeouts"] += 1
                raise self._timeout_error(limit)
            if self._size < self.max_size and not self._growing:  # backing off: wake for the retry
                remaining = min(remaining, max(self._next_attempt - self._clock(), 0.001))
            try:
                self._cond.wait(remaining)
            except BaseException:  # interrupted after being served: pass it on, do not lose it
                if waiter.result is not None:
                    self._give_back_locked(waiter.result)
                    waiter.result = None
                raise

    def _can_grow_locked(self) -> bool:
        return self._size < self.max_size and not self._growing and self._clock() >= self._next_attempt

    def _reserve_locked(self) -> Any:
        self._growing = True
        self._size += 1
        return _GROW

    def _grant_locked(self) -> None:
        """Serve the head of the queue: an idle connection, else the right to open one."""
        served = False
        while self._waiters and self._idle:
            self._waiters.popleft().result = self._idle.pop()
            self._idle_min = min(self._idle_min, len(self._idle))
            served = True
        if self._waiters and self._can_grow_locked():
            self._waiters.popleft().result = self._reserve_locked()
            served = True
        if served:
            self._cond.notify_all()

    def _give_back_locked(self, result: Any) -> None:
        if result is _GROW:
            self._size -= 1
            self._growing = False
        else:
            self._idle.append(result)
        self._grant_locked()

    def _store_locked(self, entry: _Entry, *, bottom: bool = False) -> None:
        """An available connection: to the longest waiter, else onto the idle stack."""
        if bottom:
            self._idle.insert(0, entry)
        else:
            self._idle.append(entry)
        self._grant_locked()

    def _timeout_error(self, limit: float) -> ConnectionPoolTimeout:
        error = self._last_error
        if error is not None and self._failures:
            reason = f"the database is unreachable ({self._failures} failed attempts, last: {error!r})"
        else:
            reason = f"all {self._size} connections in use (max_size={self.max_size})"
            error = None
        message = f"no connection from {self!r} within {limit} s: {reason}"
        exc = ConnectionPoolTimeout(message, last_error=error)
        exc.__cause__ = error
        return exc

    def _grow(self) -> _Entry | None:
        """Open one connection under the reservation taken in ``_take_locked``."""
        try:
            conn = self._connect()
        except BaseException as exc:
            with self._lock:
                self._size -= 1
                self._growing = False
                if isinstance(exc, Exception):
                    self._failures += 1
                    self._last_error = exc
                    self._counts["errors"] += 1
                    self._counts["connect_failures"] += 1
                    self._next_attempt = self._clock() + self.backoff_delay(self._failures)
                self._grant_locked()
                self._cond.notify_all()  # waiters recompute when to retry
            if isinstance(exc, Exception):
                return None
            raise
        now = self._clock()
        expires = float("inf")
        if self.max_lifetime is not None:
            expires = now + self.max_lifetime * (1 - self.lifetime_jitter * self._rand())
        with self._lock:
            self._seq += 1
            seq = self._seq
            self._growing = False
            self._counts["created"] += 1
            if self._failures:
                self._counts["reconnects"] += 1
            self._failures = 0
            self._next_attempt = float("-inf")
            self._last_error = None
            self._grant_locked()  # the next waiter may open the next one
        return _Entry(conn, now, expires, seq)

    def _usable(self, entry: _Entry) -> bool:
        """Expiry and (when due) the health check; a failing entry is closed and forgotten."""
        now = self._clock()
        if now >= entry.expires:
            self._forget(entry)
            return False
        due = self.check_after is not None and now - entry.last_used >= self.check_after
        if self._check is None or not (due or entry.seq <= self._suspect_upto):
            return True
        try:
            self._check(entry.conn)
        except Exception:
            with self._lock:
                self._counts["health_checks"] += 1
                self._counts["errors"] += 1
                self._counts["discarded"] += 1
                self._suspect_upto = self._seq  # whatever existed when it broke is suspect
            self._forget(entry)
            return False
        with self._lock:
            self._counts["health_checks"] += 1
        return True

    def _forget(self, entry: _Entry) -> None:
        with self._lock:
            self._size -= 1
            self._counts["closed"] += 1
            self._grant_locked()
        _close_quietly(entry.conn)

    # -- return -------------------------------------------------------------------------------------

    def putconn(self, conn: Any) -> None:
        """Return a connection: rolled back if left in a transaction, closed if broken or expired."""
        with self._lock:
            entry = self._out.pop(id(conn), None)
            if entry is None or entry.conn is not conn:
                if entry is not None:
                    self._out[id(conn)] = entry
                raise ValueError(f"{conn!r} is not checked out from {self!r}")
        keep = not self._closed and self._repair(entry)
        now = self._clock()
        with self._lock:
            if keep and now < entry.expires and os.getpid() == self._pid and not self._closed:
                entry.last_used = now
                self._store_locked(entry)
                victims = self._maintain_locked()
            else:
                victims = [entry]
                self._size -= 1
                self._counts["closed"] += 1
                self._grant_locked()
        for victim in victims:
            _close_quietly(victim.conn)

    def _repair(self, entry: _Entry) -> bool:
        conn = entry.conn
        state = "broken" if _is_broken(conn) else _transaction_state(conn)
        if state in ("broken", "active"):
            self._count_discard(entry, error=False)
            return False
        try:
            if state != "idle":
                conn.rollback()
            if self._reset is not None:
                self._reset(conn)
        except Exception:
            self._count_discard(entry, error=True)
            return False
        if state == "intrans":
            with self._lock:
                self._counts["repaired"] += 1
        return True

    def _count_discard(self, entry: _Entry, *, error: bool) -> None:
        with self._lock:
            self._counts["discarded"] += 1
            self._counts["errors"] += error
            self._suspect_upto = self._seq

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[Any]:
        """Check out; commit when the block succeeds, roll back when it raises; always return."""
        conn = self.getconn(timeout)
        try:
            yield conn
            conn.commit()
        finally:
            self.putconn(conn)  # rolls back whatever the block or a failed commit left open

    # -- sizing -------------------------------------------------------------------------------------

    def _maintain_locked(self, *, sweep: bool = False) -> list[_Entry]:
        """One idle connection per idle period elapsed (psycopg_pool's rule), and the expired idle
        ones when sweeping (``maintain()``, or once per period; checkouts catch the others)."""
        now = self._clock()
        due = self._shrink_at is not None and now >= self._shrink_at
        if not (sweep or due):
            return []
        victims = [entry for entry in self._idle if now >= entry.expires]
        if victims:
            self._idle = [entry for entry in self._idle if now < entry.expires]
        if due and self._shrink_at is not None and self.max_idle is not None:
            periods = int((now - self._shrink_at) // self.max_idle) + 1
            self._shrink_at += periods * self.max_idle
            count = min(periods, self._idle_min, len(self._idle), self._size - len(victims) - self.min_size)
            for _ in range(max(count, 0)):
                victims.append(self._idle.pop(0))  # bottom of the LIFO stack: idle the longest
            self._idle_min = len(self._idle)
        self._size -= len(victims)
        self._counts["closed"] += len(victims)
        if victims:
            self._grant_locked()
        return victims

    def _close_entries(self, entries: list[_Entry]) -> None:
        for entry in entries:
            _close_quietly(entry.conn)

    def maintain(self) -> None:
        """Apply expiry and the idle rule now, then open connections up to ``min_size``."""
        with self._lock:
            victims = self._maintain_locked(sweep=True)
        self._close_entries(victims)
        self.fill()

    def fill(self) -> int:
        """Open connections until ``min_size`` exist; stops at the first failure (backoff applies)."""
        opened = 0
        while True:
            with self._lock:
                if self._closed or self._size >= self.min_size or self._growing:
                    return opened
                if self._clock() < self._next_attempt:
                    return opened
                self._growing = True
                self._size += 1
            entry = self._grow()
            if entry is None:
                return opened
            with self._lock:
                self._store_locked(entry, bottom=True)
            opened += 1

    # -- lifecycle and stats -------------------------------------------------------------------------

    def close(self) -> None:
        """Close idle connections now; checked-out ones are closed when returned."""
        with self._lock:
            self._closed = True
            victims, self._idle = self._idle, []
            self._size -= len(victims)
            self._counts["closed"] += len(victims)
            self._cond.notify_all()
        self._close_entries(victims)

    def __enter__(self) -> AdaptiveConnectionPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def stats(self) -> ConnectionPoolStats:
        with self._lock:
            retry_in = None
            if self._failures:
                retry_in = max(self._next_attempt - self._clock(), 0.0)
            counts = dict(self._counts)
            gauges = (self._size, len(self._idle), len(self._out), len(self._waiters))
        return ConnectionPoolStats(
            size=gauges[0],
            idle=gauges[1],
            in_use=gauges[2],
            waiting=gauges[3],
            wait=self._wait_hist.summary(),
            retry_in=retry_in,
            **counts,
        )

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return (
            f"<AdaptiveConnectionPool {self.name!r} {state} size={self._size} idle={len(self._idle)} "
            f"in_use={len(self._out)} max_size={self.max_size}>"
        )
