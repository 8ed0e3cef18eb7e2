"""``QueryAnalyzer``: per-fingerprint latency, slow queries, N+1 patterns and verified index advice.

Wrap a DB-API connection (``analyzer.wrap(conn)``) and use it as before: every statement is timed
from ``execute`` until its rows are consumed (SQLite computes rows lazily while they are fetched, so
timing ``execute`` alone would hide most of a full scan), grouped by fingerprint into a constant-size
latency histogram, checked against the slow-query threshold and fed to the N+1 detector. Other
integrations (an ORM's before/after-execute hooks) can call ``record()`` directly.

``suggest_indexes(conn)`` replays the slowest example of each fingerprint through the SQLite or
PostgreSQL advisor, which verifies every candidate index before suggesting it (see ``explain``).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .explain import IndexSuggestion
from .fingerprint import parse
from .histogram import LatencyHistogram, LatencySummary
from .nplusone import NPlusOne, NPlusOneDetector

__all__ = ["AnalyzedConnection", "AnalyzedCursor", "QueryAnalyzer", "QueryStats", "SlowQuery"]

_OVERFLOW = "<other fingerprints>"


@dataclass(frozen=True)
class QueryStats:
    """Latency of one fingerprint, in seconds."""

    fingerprint: str
    count: int
    errors: int
    slow: int
    total: float
    p50: float
    p95: float
    p99: float
    max: float


@dataclass(frozen=True)
class SlowQuery:
    fingerprint: str
    sql: str
    params: Any
    duration: float


class _Record:
    __slots__ = ("errors", "example", "hist", "kind", "slow", "worst")

    def __init__(self, kind: str) -> None:
        self.hist = LatencyHistogram()
        self.errors = 0
        self.slow = 0
        self.worst = -1.0
        self.example: tuple[str, Any] | None = None
        self.kind = kind


def _copy_params(params: Any) -> Any:
    if isinstance(params, Mapping):
        return dict(params)
    if isinstance(params, list | tuple):
        return tuple(params)
    return params


def _sql_text(sql: Any, conn: Any) -> str:
    if isinstance(sql, str):
        return sql
    if isinstance(sql, bytes):
        return sql.decode("utf-8", "replace")
    as_string = getattr(sql, "as_string", None)  # psycopg.sql.Composed
    if callable(as_string):
        try:
            return str(as_string(conn))
        except Exception:  # an object we cannot render: its repr still groups identical statements
            return repr(sql)
    return str(sql)


class QueryAnalyzer:
    """Collects query statistics from wrapped connections (thread-safe).

    ``slow_threshold``: seconds from which a statement is a slow query (the last ``max_slow`` are
    kept). ``nplusone``: the detector (Sentry's defaults: 5 repeats, 50 ms); ``None`` disables it.
    ``max_fingerprints`` bounds memory: further fingerprints share one overflow bucket.
    """

    def __init__(
        self,
        *,
        slow_threshold: float = 0.1,
        max_slow: int = 100,
        nplusone: NPlusOneDetector | bool | None = True,
        max_fingerprints: int = 5000,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.slow_threshold = slow_threshold
        self.max_fingerprints = max_fingerprints
        self.clock = clock
        if nplusone is True:
            nplusone = NPlusOneDetector()
        self.nplusone: NPlusOneDetector | None = nplusone or None
        self._records: dict[str, _Record] = {}
        self._all = LatencyHistogram()
        self._slow: deque[SlowQuery] = deque(maxlen=max_slow)
        self._lock = threading.Lock()

    def wrap(self, conn: Any) -> AnalyzedConnection:
        """A proxy of ``conn`` whose statements are recorded."""
        return AnalyzedConnection(conn, self)

    def begin(self, sql: str, params: Any) -> list[float] | None:
        """Sequence a statement for N+1 detection when it starts (see ``NPlusOneDetector.start``);
        pass the returned cell to ``record``."""
        if self.nplusone is None:
            return None
        return self.nplusone.start(parse(sql).fingerprint, params)

    def record(
        self,
        sql: str,
        params: Any,
        duration: float,
        *,
        error: bool = False,
        started: list[float] | None = None,
    ) -> None:
        """Account one executed statement (``duration`` in seconds; ``started``: from ``begin``)."""
        info = parse(sql)
        fp = info.fingerprint
        with self._lock:
            record = self._records.get(fp)
            if record is None:
                if len(self._records) >= self.max_fingerprints:
                    fp = _OVERFLOW
                    record = self._records.get(fp)
                if record is None:
                    record = self._records[fp] = _Record(info.kind)
            record.errors += error
            if duration > record.worst and not error:
                record.worst = duration
                record.example = (sql, _copy_params(params))
            if duration >= self.slow_threshold:
                record.slow += 1
                self._slow.append(SlowQuery(fp, sql, _copy_params(params), duration))
        record.hist.record(duration)
        self._all.record(duration)
        if started is not None:
            started[0] += duration
        elif self.nplusone is not None:
            self.nplusone.feed(fp, duration, params)

    @contextmanager
    def unit(self) -> Iterator[None]:
        """A unit of work (a request, a job): N+1 runs never span two units."""
        if self.nplusone is not None:
            self.nplusone.flush()
        try:
            yield
        finally:
            if self.nplusone is not None:
                self.nplusone.flush()

    # -- results -----------------------------------------------------------------------------------

    def stats(self) -> list[QueryStats]:
        """Per-fingerprint statistics, the largest total time first."""
        with self._lock:
            items = list(self._records.items())
        result = []
        for fp, record in items:
            summary = record.hist.summary()
            result.append(
                QueryStats(
                    fp,
                    summary.count,
                    record.errors,
                    record.slow,
                    summary.total,
                    summary.p50,
                    summary.p95,
                    summary.p99,
                    summary.max,
                )
            )
        return sorted(result, key=lambda s: -s.total)

    def overall(self) -> LatencySummary:
        """Latency over every recorded statement."""
        return self._all.summary()

    def slow_queries(self) -> list[SlowQuery]:
        with self._lock:
            return list(self._slow)

    def nplusones(self) -> list[NPlusOne]:
        return [] if self.nplusone is None else self.nplusone.findings()

    def suggest_indexes(self, conn: Any, *, min_rows: int = 1000) -> list[IndexSuggestion]:
        """Verified index suggestions for the recorded statements, the costliest first.

        ``conn``: a SQLite or psycopg connection (wrapped or not) to the database the statements ran
        on. ``min_rows``: tables smaller than this are not worth an index (a scan is as cheap).
        """
        raw = conn.raw if isinstance(conn, AnalyzedConnection) else conn
        advise = _advisor(raw, min_rows)
        with self._lock:
            examples = [
                (fp, record.example, record.hist.total)
                for fp, record in self._records.items()
                if record.example is not None
                and record.kind in ("select", "update", "delete")
                and fp != _OVERFLOW
            ]
        suggestions: list[IndexSuggestion] = []
        for fp, (sql, params), _ in sorted(examples, key=lambda item: -item[2]):
            suggestions.extend(advise(sql, params, fp))
        return _deduplicate(suggestions)

    def report(self, top: int = 10) -> str:
        """A plain-text summary: overall percentiles, top fingerprints, slow queries, N+1."""
        overall = self.overall()
        lines = [
            f"{overall.count} statements, P50 {overall.p50 * 1e3:.2f} ms, P95 {overall.p95 * 1e3:.2f} ms, "
            f"P99 {overall.p99 * 1e3:.2f} ms",
            f"{'count':>7} {'total ms':>10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  fingerprint",
        ]
        for stat in self.stats()[:top]:
            lines.append(
                f"{stat.count:>7} {stat.total * 1e3:>10.1f} {stat.p50 * 1e3:>8.2f} {stat.p95 * 1e3:>8.2f} "
                f"{stat.p99 * 1e3:>8.2f}  {stat.fingerprint[:120]}"
            )
        slow = self.slow_queries()
        if slow:
            lines.append(f"{len(slow)} slow statement(s) >= {self.slow_threshold * 1e3:.0f} ms")
        lines.extend(str(finding) for finding in self.nplusones())
        return "\n".join(lines)

    def reset(self) -> None:
        with self._lock:
            self._records.clear()
            self._slow.clear()
            self._all = LatencyHistogram()
        if self.nplusone is not None:
            self.nplusone.reset()


def _advisor(raw: Any, min_rows: int) -> Callable[[str, Any, str], list[IndexSuggestion]]:
    import sqlite3

    if isinstance(raw, sqlite3.Connection):
        from .explain_sqlite import suggest_sqlite_indexes

        def sqlite_advice(sql: str, params: Any, fp: str) -> list[IndexSuggestion]:
            try:
                args = params if params is not None else ()
                return suggest_sqlite_indexes(raw, sql, args, fingerprint=fp, min_rows=min_rows)
            except sqlite3.Error:
                return []

        return sqlite_advice
    if type(raw).__module__.startswith("psycopg"):
        import psycopg

        from .explain_postgres import suggest_postgres_indexes

        def postgres_advice(sql: str, params: Any, fp: str) -> list[IndexSuggestion]:
            try:
                return suggest_postgres_indexes(raw, sql, params, fingerprint=fp, min_rows=min_rows)
            except psycopg.Error:
                return []

        return postgres_advice
    raise TypeError(f"index advice supports sqlite3 and psycopg connections, not {type(raw).__name__}")


def _deduplicate(suggestions: list[IndexSuggestion]) -> list[IndexSuggestion]:
    """One suggestion per index; drop an index whose columns lead a longer suggested one."""
    kept: list[IndexSuggestion] = []
    for suggestion in suggestions:
        if any(s.table == suggestion.table and s.columns == suggestion.columns for s in kept):
            continue
        kept.append(suggestion)
    return [
        s
        for s in kept
        if not any(
            o.table == s.table
            and len(o.columns) > len(s.columns)
            and o.columns[: len(s.columns)] == s.columns
            for o in kept
        )
    ]


class AnalyzedCursor:
    """A cursor proxy timing each statement until its rows are consumed (or the cursor moves on)."""

    _cursor: Any = None  # class defaults: __getattr__/__del__ stay safe on a half-built instance
    _pending: list[Any] | None = None

    def __init__(self, cursor: Any, analyzer: QueryAnalyzer, conn: Any) -> None:
        self._cursor = cursor
        self._analyzer = analyzer
        self._conn = conn
        self._pending = None  # [sql, params, seconds so far, N+1 cell]

    def _finish(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._analyzer.record(pending[0], pending[1], pending[2], started=pending[3])

    def _run(self, method: str, sql: Any, params: Any, kwargs: dict[str, Any]) -> AnalyzedCursor:
        self._finish()
        text = _sql_text(sql, self._conn)
        example = params
        if method == "executemany":
            example = None if params is None else next(iter(list(params)[:1]), None)
        cell = self._analyzer.begin(text, example)
        clock = self._analyzer.clock
        started = clock()
        try:
            if params is None:
                getattr(self._cursor, method)(sql, **kwargs)
            else:
                getattr(self._cursor, method)(sql, params, **kwargs)
        except Exception:
            self._analyzer.record(text, params, clock() - started, error=True, started=cell)
            raise
        self._pending = [text, example, clock() - started, cell]
        return self

    def execute(self, sql: Any, params: Any = None, **kwargs: Any) -> AnalyzedCursor:
        return self._run("execute", sql, params, kwargs)

    def executemany(self, sql: Any, seq_of_params: Any, **kwargs: Any) -> AnalyzedCursor:
        return self._run("executemany", sql, list(seq_of_params), kwargs)

    def _timed(self, method: str, *args: Any) -> Any:
        clock = self._analyzer.clock
        started = clock()
        result = getattr(self._cursor, method)(*args)
        if self._pending is not None:
            self._pending[2] += clock() - started
        return result

    def fetchone(self) -> Any:
        row = self._timed("fetchone")
        if row is None:
            self._finish()
        return row

    def fetchmany(self, *args: Any) -> list[Any]:
        rows = self._timed("fetchmany", *args)
        if not rows:
            self._finish()
        return list(rows)

    def fetchall(self) -> list[Any]:
        rows = self._timed("fetchall")
        self._finish()
        return list(rows)

    def __iter__(self) -> Iterator[Any]:
        while True:
            row = self.fetchone()
            if row is None:
                return
            yield row

    def close(self) -> None:
        self._finish()
        self._cursor.close()

    def __enter__(self) -> AnalyzedCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if self._pending is not None:
            self._finish()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class AnalyzedConnection:
    """A connection proxy: cursors and ``execute`` shortcuts are recorded; the rest is delegated."""

    def __init__(self, conn: Any, analyzer: QueryAnalyzer) -> None:
        self._conn = conn
        self.analyzer = analyzer

    @property
    def raw(self) -> Any:
        """The wrapped connection (its statements are not recorded)."""
        return self._conn

    def cursor(self, *args: Any, **kwargs: Any) -> AnalyzedCursor:
        return AnalyzedCursor(self._conn.cursor(*args, **kwargs), self.analyzer, self._conn)

    def execute(self, sql: Any, params: Any = None, **kwargs: Any) -> AnalyzedCursor:
        return self.cursor().execute(sql, params, **kwargs)

    def executemany(self, sql: Any, seq_of_params: Any, **kwargs: Any) -> AnalyzedCursor:
        return self.cursor().executemany(sql, seq_of_params, **kwargs)

    def __enter__(self) -> AnalyzedConnection:
        self._conn.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._conn.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)
