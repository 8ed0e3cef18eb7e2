"""Missing-index advice for SQLite from ``EXPLAIN QUERY PLAN``, verified on a scratch schema.

Signals (SQLite's own words in the plan): ``SCAN t`` on a table the statement filters,
``SEARCH t USING AUTOMATIC [PARTIAL] COVERING INDEX (col=?)`` (SQLite builds a throw-away index for
every execution: a permanent one is cheaper), and ``USE TEMP B-TREE FOR ORDER BY`` (a sort an index
on the filter and order columns would make unnecessary).

Verification: the schema (tables, indexes, views) is copied into an in-memory database together
with the source's ``sqlite_stat1`` rows, and for the candidate index a statistics row computed from
the source's data, when the source has statistics. The planner of the scratch database therefore
sees what the source's planner would see after ``CREATE INDEX``; with no statistics in the source
both use SQLite's defaults. The suggestion is kept only if the scratch plan reproduces the signal
without the index and, with it, searches (or orders) the flagged table through it.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from .explain import IndexSuggestion, aliases, choose_columns, index_name, order_by, predicates, quote_ident

__all__ = ["sqlite_plan", "suggest_sqlite_indexes"]

_SCAN = re.compile(r"^SCAN (?:TABLE )?(\S+)(?: AS (\S+))?$")
_AUTO = re.compile(
    r"^SEARCH (?:TABLE )?(\S+)(?: AS (\S+))? USING AUTOMATIC (?:PARTIAL )?COVERING INDEX \((.*)\)$"
)
_TEMP_ORDER = "USE TEMP B-TREE FOR ORDER BY"


def sqlite_plan(conn: Any, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[str]:
    """The ``detail`` column of ``EXPLAIN QUERY PLAN``, one line per plan step."""
    return [str(row[3]) for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


def _candidates(conn: Any, sql: str, plan: list[str]) -> list[tuple[str, tuple[str, ...], str, str]]:
    """``(table, columns, alias-in-plan, reason)`` for every signal in ``plan``."""
    names = aliases(sql)
    preds = predicates(sql)
    found: list[tuple[str, tuple[str, ...], str, str]] = []
    for line in plan:
        scan = _SCAN.match(line)
        auto = _AUTO.match(line)
        if scan:
            shown = scan.group(2) or scan.group(1)
            table = names.get(shown.lower(), shown)
            columns = choose_columns(preds, _columns(conn, table), {shown.lower(), table.lower()})
            if columns:
                found.append(
                    (table, columns, shown, f"full scan of {table} filtered on {', '.join(columns)}")
                )
        elif auto:
            shown = auto.group(2) or auto.group(1)
            table = names.get(shown.lower(), shown)
            columns = tuple(re.split(r"[=<>]", part.strip())[0] for part in auto.group(3).split(" AND "))
            found.append(
                (table, columns, shown, f"SQLite builds an automatic index on {table} per execution")
            )
        elif line == _TEMP_ORDER:
            found.extend(_order_candidate(conn, names, preds, sql))
    return found


def _order_table(names: dict[str, str], items: list[tuple[str | None, str, bool]]) -> str | None:
    """The one table every ORDER BY item belongs to (qualified, or the only table), else None."""
    tables = {names.get(q, q) for q, _, _ in items if q} or set(names.values())
    return tables.pop() if len(tables) == 1 else None


def _order_candidate(
    conn: Any, names: dict[str, str], preds: list[Any], sql: str
) -> list[tuple[str, tuple[str, ...], str, str]]:
    """Equality filter columns then the ORDER BY columns, when they all belong to one table."""
    items = order_by(sql)
    table = _order_table(names, items) if items else None
    if table is None:
        return []
    own = _columns(conn, table)
    order_columns = [column for _, column, _ in items]
    if not set(order_columns) <= own:
        return []
    quals = {alias for alias, t in names.items() if t == table}
    eq = list(choose_columns([p for p in preds if p.kind == "eq"], own, quals))
    columns = _with_directions(tuple(eq + [column for column in order_columns if column not in eq]), items)
    return [(table, columns, table, f"sort for ORDER BY {', '.join(order_columns)} on {table}")]


def _with_directions(columns: tuple[str, ...], items: list[tuple[str | None, str, bool]]) -> tuple[str, ...]:
    """Mixed ASC/DESC orders need the directions in the index (a uniform one is scanned backwards)."""
    descending = {column for _, column, desc in items if desc}
    if not descending or len(descending) == len(items):
        return columns
    return tuple(f"{c} DESC" if c in descending else c for c in columns)


def _columns(conn: Any, table: str) -> set[str]:
    try:
        return {str(row[1]).lower() for row in conn.execute(f"PRAGMA table_info({quote_ident(table)})")}
    except sqlite3.Error:
        return set()


def _scratch(conn: Any) -> sqlite3.Connection:
    """An in-memory database with ``conn``'s schema and statistics (no rows)."""
    scratch = sqlite3.connect(":memory:")
    rows = conn.execute(
        "SELECT type, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
        "AND type IN ('table', 'index', 'view') "
        "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END"
    ).fetchall()
    for _, sql in rows:
        try:
            scratch.execute(sql)
        except sqlite3.Error:  # virtual tables and the like: the statement may still plan without them
            continue
    if _has_stats(conn):
        scratch.execute("ANALYZE")
        stats = conn.execute("SELECT tbl, idx, stat FROM sqlite_stat1").fetchall()
        scratch.executemany("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", stats)
        scratch.execute("ANALYZE sqlite_schema")  # reload the statistics
    return scratch


def _has_stats(conn: Any) -> bool:
    row = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone()
    return bool(row[0]) and bool(conn.execute("SELECT count(*) FROM sqlite_stat1").fetchone()[0])


def _index_stat(conn: Any, table: str, columns: tuple[str, ...]) -> str:
    """A ``sqlite_stat1`` row for an index on ``columns``: rows, then average rows per prefix."""
    quoted = quote_ident(table)
    total = int(conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])
    parts = [str(total)]
    for n in range(1, len(columns) + 1):
        prefix = ", ".join(quote_ident(c.split()[0]) for c in columns[:n])
        distinct = int(
            conn.execute(f"SELECT count(*) FROM (SELECT DISTINCT {prefix} FROM {quoted})").fetchone()[0]
        )
        parts.append(str(max(1, math.ceil(total / max(distinct, 1)))))
    return " ".join(parts)


def _uses_index(plan: list[str], shown: str, name: str, reason: str) -> bool:
    if reason.startswith("sort for"):
        return _TEMP_ORDER not in plan and any(f"INDEX {name}" in line for line in plan)
    pattern = re.compile(
        rf"^(SEARCH|SCAN) (TABLE )?{re.escape(shown)}( AS \S+)? USING (COVERING )?INDEX {name}\b"
    )
    return any(pattern.match(line) for line in plan)


def _existing_names(conn: Any) -> set[str]:
    return {str(row[0]) for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def _verify(
    scratch: sqlite3.Connection, conn: Any, sql: str, params: Any, candidate: tuple[Any, ...], name: str
) -> tuple[str, list[str]] | None:
    """Create the candidate on the scratch schema, plan, drop it; ``(statement, plan)`` if used."""
    table, columns, shown, reason = candidate
    cols = ", ".join(quote_ident(c) if " " not in c else c for c in columns)
    statement = f"CREATE INDEX {name} ON {quote_ident(table)} ({cols})"
    stats = _has_stats(scratch)
    try:
        scratch.execute(statement)
        if stats:
            row = (table, name, _index_stat(conn, table, columns))
            scratch.execute("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", row)
            scratch.execute("ANALYZE sqlite_schema")
        after = sqlite_plan(scratch, sql, params)
    except sqlite3.Error:
        return None
    finally:
        scratch.execute(f"DROP INDEX IF EXISTS {name}")
        if stats:
            scratch.execute("DELETE FROM sqlite_stat1 WHERE idx = ?", (name,))
            scratch.execute("ANALYZE sqlite_schema")
    return (statement, after) if _uses_index(after, shown, name, reason) else None


def _rows(conn: Any, table: str) -> int:
    return int(conn.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()[0])


def suggest_sqlite_indexes(
    conn: Any,
    sql: str,
    params: Sequence[Any] | dict[str, Any] = (),
    *,
    fingerprint: str = "",
    min_rows: int = 0,
) -> list[IndexSuggestion]:
    """Verified ``CREATE INDEX`` suggestions for one statement run with ``params``.

    ``min_rows``: tables with fewer rows are skipped (scanning them is as cheap as searching).
    """
    candidates = _candidates(conn, sql, sqlite_plan(conn, sql, params))
    if min_rows:
        candidates = [c for c in candidates if _rows(conn, c[0]) >= min_rows]
    if not candidates:
        return []
    taken = _existing_names(conn)
    suggestions = []
    scratch = _scratch(conn)
    try:
        before = sqlite_plan(scratch, sql, params)
        seen = {(t, c) for t, c, _, _ in _candidates(conn, sql, before)}
        for candidate in candidates:
            table, columns, _, reason = candidate
            if (table, columns) not in seen:
                continue  # the scratch planner does not see the problem: nothing to verify against
            name = index_name(table, tuple(c.split()[0] for c in columns), taken)
            verified = _verify(scratch, conn, sql, params, candidate, name)
            if verified is not None:
                taken.add(name)
                statement, after = verified
                suggestions.append(
                    IndexSuggestion(
                        "sqlite",
                        table,
                        columns,
                        statement + ";",
                        fingerprint,
                        reason,
                        tuple(before),
                        tuple(after),
                    )
                )
    finally:
        scratch.close()
    return suggestions
