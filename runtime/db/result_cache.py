"""``QueryResultCache``: cache SELECT results, invalidated by table versions (django-cachalot's rule).

Key: namespace + fingerprint + parameters. Each entry stores the versions of the tables it read,
taken *before* the query ran; a write to a table bumps the table's version, which invalidates every
entry that read it in O(1) (nothing is scanned). Taking the snapshot before the query closes the
race where a write commits while the query runs: the entry is then born stale and never served.

Writes are seen on the wrapped connection. Their version bumps wait for the commit (another session
cannot see the rows before it, and a rollback discards them, so bumping early would only cost hits
and bumping on rollback would be wrong), except in autocommit mode, where each statement commits.
Inside a transaction that wrote a table, reads of that table bypass the cache: the connection must
see its own uncommitted rows.

Refused (run uncached, counted by reason; ``strict=True`` raises ``UncachableQuery``): anything but
SELECT; ``FOR UPDATE``/``FOR SHARE``; ``SELECT ... INTO``; time and randomness (``now()``,
``random()``, ``CURRENT_TIMESTAMP``, ``date('now')``, sequences, session functions; add your own
non-deterministic functions with ``uncachable_functions``); temporary tables; system catalogs.

Limits, as in every table-version cache: writes made by other programs, by triggers on other
tables, or to the tables under a view, are not seen; call ``invalidate(table)`` for those, and the
TTL bounds how stale such an entry can get.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from .errors import UncachableQuery
from .fingerprint import QueryInfo, parse

__all__ = ["CachingConnection", "QueryResultCache", "ResultCursor", "default_query_class"]

NONDETERMINISTIC = frozenset(
    {
        "now",
        "random",
        "randomblob",
        "rand",
        "uuid",
        "newid",
        "gen_random_uuid",
        "uuid_generate_v1",
        "uuid_generate_v4",
        "clock_timestamp",
        "statement_timestamp",
        "transaction_timestamp",
        "timeofday",
        "sysdate",
        "getdate",
        "unix_timestamp",
        "nextval",
        "currval",
        "lastval",
        "setval",
        "setseed",
        "txid_current",
        "pg_current_xact_id",
        "pg_backend_pid",
        "pg_sleep",
        "current_setting",
        "set_config",
        "inet_client_addr",
        "changes",
        "total_changes",
        "last_insert_rowid",
    }
)
_DATE_FUNCTIONS = frozenset({"date", "time", "datetime", "julianday", "strftime", "unixepoch", "timezone"})
_MOVING_LITERALS = frozenset({"now", "today", "tomorrow", "yesterday", "localtime"})
_SESSION_WORDS = re.compile(
    r"\b(current_timestamp|current_date|current_time|localtimestamp|localtime|current_user|session_user)\b"
)
_AGGREGATE = re.compile(r"\b(count|sum|avg|min|max|group_concat|string_agg|array_agg) \(|\bgroup by\b")
_MISS = object()


def default_query_class(info: QueryInfo) -> str:
    """``aggregate`` (GROUP BY or aggregate functions), ``lookup`` (equality filter), else ``list``."""
    if _AGGREGATE.search(info.fingerprint):
        return "aggregate"
    if " where " in info.fingerprint and "= ?" in info.fingerprint:
        return "lookup"
    return "list"


def _table_tag(namespace: str, table: str) -> str:
    """One tag per bare table name: ``public.t`` and ``t`` must invalidate each other."""
    return f"{namespace}:table:{table.rsplit('.', 1)[-1]}"


def _params_key(params: Any) -> tuple[Any, ...] | None:
    if params is None:
        return ()
    if isinstance(params, Mapping):
        key: tuple[Any, ...] = tuple(sorted(params.items()))
    else:
        key = tuple(params)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _string_params(params: Any) -> list[str]:
    values = params.values() if isinstance(params, Mapping) else params
    if not isinstance(values, list | tuple) and not isinstance(params, Mapping):
        return []
    return [v for v in values if isinstance(v, str)]


def _table_refusal(info: QueryInfo, temp_tables: Iterable[str]) -> str | None:
    temp = {t.lower() for t in temp_tables}
    for table in sorted(info.tables_read):
        bare = table.rsplit(".", 1)[-1]
        if table.startswith(("temp.", "pg_temp")) or bare in temp:
            return f"reads the temporary table {table}"
        if bare.startswith(("pg_", "sqlite_")) or table.startswith(("information_schema.", "pg_catalog.")):
            return f"reads the system catalog {table}"
    return None


class _Versions:
    """Per-table version counters (used when the backend has no ``tag_versions``)."""

    def __init__(self) -> None:
        self._v: dict[str, int] = {}

    def snapshot(self, tags: Iterable[str]) -> tuple[tuple[str, int], ...]:
        return tuple((tag, self._v.get(tag, 0)) for tag in sorted(set(tags)))

    def valid(self, snapshot: tuple[tuple[str, int], ...]) -> bool:
        return all(self._v.get(tag, 0) == version for tag, version in snapshot)

    def bump(self, tag: str) -> int:
        self._v[tag] = self._v.get(tag, 0) + 1
        return self._v[tag]


class QueryResultCache:
    """Result cache for wrapped DB-API connections (``cache.wrap(conn)``).

    ``backend``: any cache with ``get(key, default)`` and ``set(key, value, ttl=...)``; the
    runtime's ``MemoryCache`` (default, 10,000 entries) or ``MultiLevelCache`` share table versions
    through their ``tag_versions``/``invalidate_tag``, so a ``MultiLevelCache`` invalidates across
    processes. ``ttl``: seconds (None: until invalidated); ``class_ttl`` overrides it per query class
    (``classify``, default ``default_query_class``). ``max_rows``: larger results are not stored.
    """

    def __init__(
        self,
        backend: Any = None,
        *,
        ttl: float | None = 300.0,
        class_ttl: Mapping[str, float | None] | None = None,
        classify: Callable[[QueryInfo], str] = default_query_class,
        namespace: str = "db",
        uncachable_functions: Iterable[str] = (),
        max_rows: int = 10_000,
        strict: bool = False,
    ) -> None:
        if backend is None:
            from ..cache.memory import MemoryCache

            backend = MemoryCache(maxsize=10_000)
        self.backend = backend
        self.versions: Any = getattr(backend, "tag_versions", None) or _Versions()
        self.ttl = ttl
        self.class_ttl = dict(class_ttl or {})
        self.classify = classify
        self.namespace = namespace
        self.nondeterministic = NONDETERMINISTIC | {name.lower() for name in uncachable_functions}
        self.max_rows = max_rows
        self.strict = strict
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(("hits", "misses", "stores", "bypassed", "invalidations"), 0)
        self._refused: dict[str, int] = {}

    def wrap(self, conn: Any) -> CachingConnection:
        return CachingConnection(conn, self)

    # -- policy ------------------------------------------------------------------------------------

    def refusal(self, info: QueryInfo, params: Any = None, temp_tables: Iterable[str] = ()) -> str | None:
        """Why the statement must not be cached, or None when it may be."""
        if not info.is_select:
            return f"not a SELECT ({info.kind})"
        if info.locking:
            return "FOR UPDATE/SHARE takes row locks"
        if info.select_into:
            return "SELECT INTO creates a table"
        return self._clock_refusal(info, params) or _table_refusal(info, temp_tables)

    def _clock_refusal(self, info: QueryInfo, params: Any) -> str | None:
        called = sorted(info.functions & self.nondeterministic)
        if called:
            return f"non-deterministic function {called[0]}()"
        moving = _SESSION_WORDS.search(info.fingerprint)
        if moving:
            return f"depends on the session or the clock ({moving.group(1).upper()})"
        literal = any(v.strip().lower() in _MOVING_LITERALS for v in info.strings)
        passed = any(v.strip().lower() in _MOVING_LITERALS for v in _string_params(params))
        if literal or (passed and info.functions & _DATE_FUNCTIONS):
            return "depends on the clock ('now')"
        return None

    def ttl_for(self, info: QueryInfo) -> float | None:
        return self.class_ttl.get(self.classify(info), self.ttl)

    # -- invalidation ------------------------------------------------------------------------------

    def invalidate(self, *tables: str) -> None:
        """Invalidate every entry that read one of ``tables`` (writes the wrapper could not see)."""
        bump = getattr(self.backend, "invalidate_tag", None)
        for table in tables:
            tag = _table_tag(self.namespace, table.lower())
            if callable(bump) and getattr(self.backend, "tag_versions", None) is self.versions:
                bump(tag)
            else:
                self.versions.bump(tag)
        with self._lock:
            self._counts["invalidations"] += len(tables)

    # -- reads -------------------------------------------------------------------------------------

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def _refuse(self, reason: str) -> None:
        with self._lock:
            self._refused[reason] = self._refused.get(reason, 0) + 1
        if self.strict:
            raise UncachableQuery(f"not cacheable: {reason}")

    def lookup(self, info: QueryInfo, params: Any) -> tuple[Any, Any, tuple[Any, ...]] | None:
        """``(key, cached value or _MISS, snapshot)`` for a cacheable read, None when refused."""
        key_params = _params_key(params)
        if key_params is None:
            self._refuse("unhashable parameters")
            return None
        key = (self.namespace, info.fingerprint, key_params)
        value = self.backend.get(key, _MISS)  # may refresh the versions from a shared tier: first
        snapshot = self.versions.snapshot(_table_tag(self.namespace, t) for t in info.tables_read)
        if (
            value is not _MISS
            and isinstance(value, tuple | list)
            and len(value) == 3
            and self.versions.valid(value[0])
        ):
            self._count("hits")
            return key, value, snapshot
        self._count("misses")
        return key, _MISS, snapshot

    def store(self, key: Any, info: QueryInfo, snapshot: Any, description: Any, rows: list[Any]) -> None:
        if len(rows) > self.max_rows:
            return
        value = (snapshot, description, rows)
        tags = sorted(_table_tag(self.namespace, t) for t in info.tables_read)
        try:  # the runtime caches check the tags themselves, and refresh them from shared tiers
            self.backend.set(key, value, ttl=self.ttl_for(info), tags=tags)
        except TypeError:  # a backend without tags: the snapshot in the value is the only check
            self.backend.set(key, value, ttl=self.ttl_for(info))
        self._count("stores")

    def stats(self) -> dict[str, Any]:
        with self._lock:
            counts: dict[str, Any] = dict(self._counts)
            counts["refused"] = dict(self._refused)
        lookups = counts["hits"] + counts["misses"]
        counts["hit_rate"] = counts["hits"] / lookups if lookups else 0.0
        return counts


class ResultCursor:
    """A read-only cursor over a materialised result (what a cache hit, or a stored miss, returns)."""

    def __init__(self, description: Any, rows: list[Any], *, cached: bool) -> None:
        self.description = description
        self._rows = rows
        self._at = 0
        self.rowcount = len(rows)
        self.arraysize = 1
        self.lastrowid = None
        #: Whether the rows came from the cache.
        self.cached = cached

    def fetchone(self) -> Any:
        if self._at >= len(self._rows):
            return None
        row = self._rows[self._at]
        self._at += 1
        return row

    def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        rows = self._rows[self._at : self._at + count]
        self._at += len(rows)
        return list(rows)

    def fetchall(self) -> list[Any]:
        rows = self._rows[self._at :]
        self._at = len(self._rows)
        return list(rows)

    def __iter__(self) -> Iterator[Any]:
        while True:
            row = self.fetchone()
            if row is None:
                return
            yield row

    def close(self) -> None:
        self._at = len(self._rows)

    def __enter__(self) -> ResultCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _state(conn: Any) -> str:
    from .pool import _transaction_state

    return _transaction_state(conn)


class CachingConnection:
    """A connection proxy: cacheable SELECTs go through the cache, writes bump table versions at
    commit. Everything else is delegated to the wrapped connection."""

    def __init__(self, conn: Any, cache: QueryResultCache) -> None:
        self._conn = conn
        self.cache = cache
        self._pending: set[str] = set()  # tables written in the open transaction
        self._temp: set[str] = set()

    @property
    def raw(self) -> Any:
        return self._conn

    def execute(self, sql: str, params: Any = None) -> Any:
        info = parse(sql)
        if info.is_select:
            return self._read(sql, info, params)
        return self._write(sql, info, params)

    def _run(self, sql: str, params: Any) -> Any:
        cursor = self._conn.cursor()
        if params is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, params)
        return cursor

    def _read(self, sql: str, info: QueryInfo, params: Any) -> Any:
        cache = self.cache
        reason = cache.refusal(info, params, self._temp)
        if reason is not None:
            cache._refuse(reason)
            return self._run(sql, params)
        if {t.rsplit(".", 1)[-1] for t in info.tables_read} & self._pending:
            cache._count("bypassed")  # this transaction wrote them: it must see its own rows
            return self._run(sql, params)
        found = cache.lookup(info, params)
        if found is None:
            return self._run(sql, params)
        key, value, snapshot = found
        if value is not _MISS:
            return ResultCursor(value[1], value[2], cached=True)
        cursor = self._run(sql, params)
        rows = list(cursor.fetchall())
        description = cursor.description
        cursor.close()
        cache.store(key, info, snapshot, description, rows)
        return ResultCursor(description, rows, cached=False)

    def executemany(self, sql: str, seq_of_params: Any) -> Any:
        """Writes only (a SELECT through executemany returns nothing to cache)."""
        cursor = self._conn.cursor()
        cursor.executemany(sql, seq_of_params)
        self._written(parse(sql))
        return cursor

    def executescript(self, script: str) -> Any:
        """sqlite3's script runner: every table the script writes is invalidated now and at commit
        (the script commits first and may or may not leave a transaction open)."""
        cursor = self._conn.executescript(script)
        info = parse(script)
        written = {t.rsplit(".", 1)[-1] for t in info.tables_written}
        if written:
            self.cache.invalidate(*sorted(written))
            if _state(self._conn) != "idle":
                self._pending |= written
        return cursor

    def _write(self, sql: str, info: QueryInfo, params: Any) -> Any:
        cursor = self._run(sql, params)
        self._written(info)
        return cursor

    def _written(self, info: QueryInfo) -> None:
        if info.temp_created:
            self._temp.add(info.temp_created.rsplit(".", 1)[-1])
        written = {t.rsplit(".", 1)[-1] for t in info.tables_written}
        if info.kind in ("commit", "end"):
            self._settle(committed=True)
        elif info.kind == "rollback" and " to " not in info.fingerprint:
            self._settle(committed=False)
        elif written:
            state = _state(self._conn)
            if state != "idle":  # inside a transaction: wait for the commit
                self._pending |= written
            if state in ("idle", "unknown"):  # committed already (autocommit), or cannot tell
                self.cache.invalidate(*written)

    def _settle(self, *, committed: bool) -> None:
        pending, self._pending = self._pending, set()
        if committed and pending:
            self.cache.invalidate(*sorted(pending))

    def commit(self) -> None:
        self._conn.commit()
        self._settle(committed=True)

    def rollback(self) -> None:
        self._conn.rollback()
        self._settle(committed=False)

    def cursor(self) -> CachingCursor:
        return CachingCursor(self)

    def __enter__(self) -> CachingConnection:
        self._conn.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        try:
            return self._conn.__exit__(*exc)
        finally:  # sqlite3 and psycopg commit on success and roll back on error
            self._settle(committed=exc[0] is None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class CachingCursor:
    """``conn.cursor()`` of a ``CachingConnection``: each ``execute`` goes through the cache."""

    def __init__(self, conn: CachingConnection) -> None:
        self._conn = conn
        self._current: Any = None
        self.arraysize = 1

    def execute(self, sql: str, params: Any = None) -> CachingCursor:
        self._current = self._conn.execute(sql, params)
        return self

    def _cursor(self) -> Any:
        if self._current is None:
            raise RuntimeError("execute() a statement first")
        return self._current

    @property
    def description(self) -> Any:
        return self._cursor().description

    @property
    def rowcount(self) -> int:
        return int(self._cursor().rowcount)

    def fetchone(self) -> Any:
        return self._cursor().fetchone()

    def fetchmany(self, size: int | None = None) -> list[Any]:
        return list(self._cursor().fetchmany(self.arraysize if size is None else size))

    def fetchall(self) -> list[Any]:
        return list(self._cursor().fetchall())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cursor())

    def close(self) -> None:
        if self._current is not None:
            self._current.close()

    def __enter__(self) -> CachingCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
