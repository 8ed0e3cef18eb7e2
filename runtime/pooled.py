"""Pools keyed by constructor arguments, and the resets that make pooled objects safe to share.

Why: ``codeopt optimize --pool`` turns ``conn = sqlite3.connect(DB_PATH) ... conn.close()`` into
``with _sqlite3_pools.acquire(sqlite3.connect, DB_PATH, check_same_thread=False) as conn:``. The
rewritten code must behave like the original for every caller, so the pool is chosen *at call time*
from the constructor and its arguments (a module constant reassigned by a test, or ``sqlite3.connect``
patched by ``mock.patch``, gets its own pool instead of a stale connection), and whatever a caller left
in the object is undone on return (``reset``), as closing it would have.

Safety nets for what a static rewrite cannot see:

* an ``identity`` hook adds run-time facts to the key: for SQLite, the working directory (relative
  paths) and the database file's device/inode, so a deleted and re-created database file gets fresh
  connections (the old pool is closed) instead of connections to the unlinked file;
* the hook can answer :data:`UNPOOLED` (``":memory:"`` databases, whose content must not survive the
  call), and unhashable arguments are never pooled: then the object is created and closed per call,
  exactly as before the rewrite.

Stdlib only; the pools are :class:`codeopt_runtime.pool.ObjectPool` (fork-safe, bounded, LIFO).
"""

from __future__ import annotations

import _thread
import os

from .pool import ObjectPool, close_if_possible

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Hashable
    from types import TracebackType
    from typing import Any

__all__ = [
    "UNPOOLED",
    "PoolMap",
    "reset_psycopg",
    "reset_sqlite3",
    "rollback",
    "sqlite3_identity",
    "validate_psycopg",
]


class _Unpooled:
    """Marker type of :data:`UNPOOLED`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNPOOLED"


UNPOOLED = _Unpooled()
"""Returned by an ``identity`` hook: create and close the object per call, as the original code did."""


class _OneShot:
    """The un-pooled lease: creates the object on entry and closes it on exit."""

    __slots__ = ("_args", "_destroy", "_factory", "_kwargs", "_obj")

    def __init__(
        self, factory: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], destroy: Any
    ) -> None:
        self._factory = factory
        self._args = args
        self._kwargs = kwargs
        self._destroy = destroy
        self._obj: Any = None

    def __enter__(self) -> Any:
        self._obj = self._factory(*self._args, **self._kwargs)
        return self._obj

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        obj, self._obj = self._obj, None
        if self._destroy is not None:
            self._destroy(obj)


# Callers never wait by default: code that opened one object per call never waited for one either.
# Objects beyond ``max_size`` are made on demand and destroyed when returned.
_NO_LIMIT = 1 << 30


class PoolMap:
    """One :class:`ObjectPool` per distinct ``(constructor, arguments)``, chosen at call time.

    ::

        _sqlite3_pools = PoolMap(reset=reset_sqlite3, identity=sqlite3_identity)

        def count(table):
            with _sqlite3_pools.acquire(sqlite3.connect, DB_PATH, check_same_thread=False) as conn:
                return conn.execute(f"select count(*) from {table}").fetchone()[0]

    ``acquire(factory, *args, **kwargs)`` returns the pool's lease (a context manager): the object
    comes from the pool for that key, created by ``factory(*args, **kwargs)`` when the pool is empty,
    and goes back on exit after ``reset``. ``identity(args, kwargs)`` adds run-time facts to the key;
    when they change, the previous pool for the same arguments is closed. Keys should be few (module
    constants): each distinct key keeps up to ``max_size`` objects until ``max_idle`` shrinks them.
    By default callers never wait (``max_overflow`` is unlimited: the code being replaced opened one
    object per call and never waited either); extra objects are closed when returned. Other keyword
    options are passed to every ``ObjectPool``.
    """

    __slots__ = ("_destroy", "_identity", "_lock", "_options", "_pid", "_pools", "_reset", "_validate")

    def __init__(
        self,
        *,
        reset: Callable[[Any], object] | None = None,
        validate: Callable[[Any], bool] | None = None,
        destroy: Callable[[Any], object] | None = close_if_possible,
        identity: Callable[[tuple[Any, ...], dict[str, Any]], Hashable] | None = None,
        max_size: int = 8,
        max_overflow: int = _NO_LIMIT,
        timeout: float | None = 30.0,
        max_lifetime: float | None = None,
        max_idle: float | None = 300.0,
    ) -> None:
        self._reset = reset
        self._validate = validate
        self._destroy = destroy
        self._identity = identity
        self._options: dict[str, Any] = {
            "max_size": max_size,
            "max_overflow": max_overflow,
            "timeout": timeout,
            "max_lifetime": max_lifetime,
            "max_idle": max_idle,
        }
        self._lock = _thread.allocate_lock()
        self._pid = os.getpid()
        # (factory, args, kwargs) -> (identity, pool): the identity of the pool currently serving the key
        self._pools: dict[Hashable, tuple[Hashable, ObjectPool[Any]]] = {}

    def acquire(self, factory: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """A context manager lending an object made by ``factory(*args, **kwargs)``."""
        extra: Hashable = None
        if self._identity is not None:
            extra = self._identity(args, kwargs)
            if extra is UNPOOLED:
                return _OneShot(factory, args, kwargs, self._destroy)
        key = (factory, args, tuple(kwargs.items()))  # one call site always passes them in one order
        try:
            entry = self._pools.get(key)
        except TypeError:  # unhashable arguments: nothing to key a pool on
            return _OneShot(factory, args, kwargs, self._destroy)
        if entry is None or entry[0] != extra:
            entry = self._replace(key, extra, factory, args, kwargs)
        return entry[1].acquire()

    def _replace(
        self,
        key: Hashable,
        extra: Hashable,
        factory: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> tuple[Hashable, ObjectPool[Any]]:
        """Install the pool for ``key`` with identity ``extra``; close the one it supersedes."""
        if self._pid != os.getpid():  # a forked child: another thread may have held the lock at fork
            self._lock = _thread.allocate_lock()
            self._pid = os.getpid()
        with self._lock:
            old = self._pools.get(key)
            if old is not None and old[0] == extra:  # another thread got here first
                return old
            pool: ObjectPool[Any] = ObjectPool(
                lambda: factory(*args, **kwargs),
                reset=self._reset,
                validate=self._validate,
                destroy=self._destroy,
                name=f"{getattr(factory, '__qualname__', factory)!s}{args!r}",
                **self._options,
            )
            entry = self._pools[key] = (extra, pool)
        if old is not None:
            old[1].close()  # idle objects now; checked-out ones when they come back
        return entry

    def pools(self) -> list[ObjectPool[Any]]:
        """The pools currently in use (for stats and tests)."""
        with self._lock:
            return [pool for _, pool in self._pools.values()]

    def close(self) -> None:
        """Close every pool (idle objects are destroyed now, checked-out ones when returned)."""
        with self._lock:
            entries = list(self._pools.values())
            self._pools.clear()
        for _, pool in entries:
            pool.close()


def rollback(conn: Any) -> None:
    """DB-API reset: undo what the last user left uncommitted (closing the connection would have)."""
    conn.rollback()


def reset_sqlite3(conn: Any) -> None:
    """``rollback`` plus a check that no transaction survived it; raising makes the pool drop ``conn``."""
    conn.rollback()
    if conn.in_transaction:
        raise RuntimeError("sqlite3 connection still in a transaction after rollback")


def reset_psycopg(conn: Any) -> None:
    """psycopg 3: roll back, and drop (by raising) a connection that is not idle afterwards."""
    conn.rollback()
    status = conn.info.transaction_status
    if status != 0:  # psycopg.pq.TransactionStatus.IDLE
        raise RuntimeError(f"PostgreSQL connection not idle after rollback (status {status})")


def validate_psycopg(conn: Any) -> bool:
    """psycopg 3, on checkout: one empty round trip outside any transaction (psycopg_pool's check).

    A connection the server dropped (restart, idle timeout) fails here and is replaced, so the caller
    connects as the original code did instead of getting an error the original would not have had.
    """
    if conn.closed or conn.broken:
        return False
    autocommit = conn.autocommit
    if not autocommit:
        conn.autocommit = True
    try:
        conn.execute("")
    finally:
        if not autocommit:
            conn.autocommit = False
    return True


_URI_POSITION = 7  # sqlite3.connect(database, timeout, detect_types, isolation_level,
#                   check_same_thread, factory, cached_statements, uri)


def sqlite3_identity(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Hashable:
    """Which database ``sqlite3.connect(*args, **kwargs)`` opens *now*.

    In-memory and temporary databases are :data:`UNPOOLED` (each call must start empty), and so is a
    file that does not exist yet (that connect creates it). A file is identified by the working
    directory (relative paths resolve against it) and its device/inode, so connections to a deleted
    or replaced file are never handed out.
    """
    database = args[0] if args else kwargs.get("database", "")
    if type(database) is str:  # the common case, without fsdecode's checks
        path = database
    else:
        try:
            path = os.fsdecode(database)
        except TypeError:
            return UNPOOLED
    if (args[_URI_POSITION] if len(args) > _URI_POSITION else kwargs.get("uri")) and path:
        path = _uri_path(path)
    if path in ("", ":memory:"):  # also what _uri_path answers for in-memory URIs
        return UNPOOLED
    try:
        st = os.stat(path)
    except OSError:  # not there yet: this connect creates it; pool from the next call on
        return UNPOOLED
    return (None if os.path.isabs(path) else os.getcwd(), st.st_dev, st.st_ino)


def _uri_path(uri: str) -> str:
    """The file a ``file:`` URI names ("" for in-memory databases and URIs we cannot read)."""
    if not uri.startswith("file:") or "mode=memory" in uri or uri.startswith("file::memory:"):
        return ""
    from urllib.parse import unquote  # only URI databases pay for it

    path = unquote(uri[len("file:") :].split("?", 1)[0].split("#", 1)[0])
    if path.startswith("//"):  # file://host/path: the authority must be empty or localhost
        path = "/" + path[2:].partition("/")[2]
    return path
