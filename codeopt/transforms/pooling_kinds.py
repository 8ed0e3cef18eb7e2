"""What the pooling rewrite knows about each expensive constructor.

Why a table: whether a pooled object can replace a per-call one depends on the constructor, not on the
call site: what must be undone when it comes back (``reset``), which calls change it for later users,
whether ``with X(...)`` closes it, how a thread-bound object is made shareable. Only constructors whose
reset is known *and* tested are ``automatic``; the others (and user-configured ones) are reported with
the code to aim for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Calls on a DB-API connection that only use it for the current caller.
_DB_METHODS = frozenset(
    {"execute", "executemany", "executescript", "cursor", "commit", "rollback", "iterdump"}
)
# Attributes read (not set) that mean the same on a pooled connection (not ``total_changes``: it
# counts since the connection was opened, so a pooled one would include earlier callers' rows).
_DB_READS = frozenset({"in_transaction", "isolation_level", "row_factory", "text_factory"})
# SQL that leaves state on the connection itself, which a rollback does not undo.
# (also SQL that reads per-connection history, which a fresh connection would not have)
_SQLITE_STATE_SQL = re.compile(
    r"\b(PRAGMA|ATTACH|DETACH|TEMP|TEMPORARY)\b|\b(last_insert_rowid|total_changes|changes)\s*\(",
    re.IGNORECASE,
)
_PG_STATE_SQL = re.compile(
    r"(?:^|;)\s*(SET|RESET|LISTEN|UNLISTEN|PREPARE|DEALLOCATE|DECLARE|DISCARD)\b"
    r"|\b(TEMP|TEMPORARY|set_config|pg_advisory_lock\w*|pg_try_advisory_lock\w*|dblink\w*)\b"
    r"|\b(lastval|currval)\s*\(",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PoolKind:
    """How to pool the objects of one constructor."""

    label: str
    pools_name: str  # module-level PoolMap variable the rewrite emits
    reset: str = ""  # codeopt_runtime.pooled helper run on return
    validate: str = ""  # codeopt_runtime.pooled helper run on checkout
    identity: str = ""  # codeopt_runtime.pooled helper adding run-time facts to the pool key
    thread_kwarg: str = ""  # keyword making the object usable from any thread ("check_same_thread")
    with_closes: bool = True  # ``with X(...) as x`` closes x (False: it ends a transaction only)
    with_commits: bool = False  # leaving ``with X(...) as x`` commits (psycopg 3)
    automatic: bool = False  # the rewrite is applied (otherwise reported with suggested code)
    methods: frozenset[str] = frozenset()  # calls allowed on the object inside the function
    reads: frozenset[str] = frozenset()  # attributes that may be read (never set)
    state_sql: re.Pattern[str] | None = None  # SQL that changes the connection for later users

    def runtime_names(self) -> tuple[str, ...]:
        return tuple(n for n in ("PoolMap", self.reset, self.validate, self.identity) if n)

    def options(self) -> list[str]:
        """``PoolMap(...)`` keyword arguments."""
        pairs = (("reset", self.reset), ("validate", self.validate), ("identity", self.identity))
        return [f"{key}={value}" for key, value in pairs if value]


SQLITE3 = PoolKind(
    "sqlite3 connection",
    "_sqlite3_pools",
    reset="reset_sqlite3",
    identity="sqlite3_identity",
    thread_kwarg="check_same_thread",
    with_closes=False,
    automatic=True,
    methods=_DB_METHODS,
    reads=_DB_READS,
    state_sql=_SQLITE_STATE_SQL,
)
_PSYCOPG = PoolKind(
    "PostgreSQL connection",
    "_psycopg_pools",
    reset="reset_psycopg",
    validate="validate_psycopg",
    with_commits=True,
    automatic=True,
    methods=frozenset({"execute", "cursor", "commit", "rollback"}),
    reads=frozenset({"closed", "broken"}),
    state_sql=_PG_STATE_SQL,
)

KINDS: dict[str, PoolKind] = {
    "sqlite3.connect": SQLITE3,
    "sqlite3.dbapi2.connect": SQLITE3,
    "psycopg.connect": _PSYCOPG,
    "psycopg.Connection.connect": _PSYCOPG,
    "psycopg2.connect": PoolKind(
        "PostgreSQL connection", "_psycopg2_pools", reset="rollback", with_closes=False
    ),
    "pymysql.connect": PoolKind("MySQL connection", "_pymysql_pools", reset="rollback"),
    "redis.Redis": PoolKind("Redis client", "_redis_pools"),
    "redis.StrictRedis": PoolKind("Redis client", "_redis_pools"),
    "redis.from_url": PoolKind("Redis client", "_redis_pools"),
    "redis.Redis.from_url": PoolKind("Redis client", "_redis_pools"),
    "requests.Session": PoolKind("HTTP session", "_requests_pools"),
    "requests.session": PoolKind("HTTP session", "_requests_pools"),
    "httpx.Client": PoolKind("HTTP client", "_httpx_pools"),
    "httpx.AsyncClient": PoolKind("async HTTP client", "_httpx_pools"),
    "urllib3.PoolManager": PoolKind("urllib3 pool manager", "_urllib3_pools"),
    "aiohttp.ClientSession": PoolKind("aiohttp session", "_aiohttp_pools"),
    "urllib.request.urlopen": PoolKind("urllib request", "_urllib3_pools"),
}

# Why a known kind is not rewritten automatically (shown with the suggested code).
NOT_AUTOMATIC = {
    "PostgreSQL connection": "session state (SET, autocommit) survives a rollback (psycopg2)",
    "MySQL connection": "session state (SET, autocommit) is not reset by a rollback",
    "Redis client": "the client is already a connection pool: reuse one client (module level) instead",
    "HTTP session": "cookies, auth and headers would carry over between callers",
    "HTTP client": "cookies, auth and headers would carry over between callers",
    "async HTTP client": "cookies, auth and headers would carry over between callers",
    "urllib3 pool manager": "the manager is already a pool: reuse one (module level) instead",
    "aiohttp session": "cookies and headers would carry over between callers",
    "urllib request": "urllib opens a new connection per request and has no connection object to pool",
}


def kind_for(callee: str, extra: tuple[str, ...]) -> PoolKind | None:
    """The kind of ``callee``, or a report-only kind when it is configured as expensive."""
    if callee in KINDS:
        return KINDS[callee]
    if callee in extra:
        stem = re.sub(r"\W+", "_", callee.split(".")[0]).strip("_") or "object"
        return PoolKind(f"`{callee}()` object", f"_{stem}_pools")
    return None
