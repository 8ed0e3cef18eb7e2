"""Missing-index advice for PostgreSQL from ``EXPLAIN (FORMAT JSON)``, verified in a rolled-back transaction.

Signal: a ``Seq Scan`` node with a ``Filter`` on a table of at least ``min_rows`` rows (small
tables are scanned faster than they are searched, so a scan there is no problem). The candidate
columns come from the node's filter, as the planner printed it: equality columns first, then one
range column (the B-tree rule).

Verification: ``CREATE INDEX`` inside a transaction (a savepoint when the connection is already in
one), ``EXPLAIN`` again, ``ROLLBACK``: nothing is left behind, and the planner judges the index with
the table's real statistics, so an index on an unselective column is rejected because PostgreSQL
keeps the sequential scan. The build does read the table and takes a SHARE lock for its duration:
run the advisor against a replica or staging copy for large tables (hypopg would avoid the build but
is an extension most servers do not have).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from .explain import IndexSuggestion, Predicate, choose_columns, index_name, quote_ident
from .fingerprint import Token, tokenize

__all__ = ["postgres_plan", "suggest_postgres_indexes"]

_INDEX_NODES = ("Index Scan", "Index Only Scan", "Bitmap Index Scan")


def postgres_plan(
    conn: Any, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
) -> dict[str, Any]:
    """The root ``Plan`` node of ``EXPLAIN (FORMAT JSON)``."""
    with conn.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params or None)
        document = cursor.fetchone()[0]
    if isinstance(document, str):
        import json

        document = json.loads(document)
    return dict(document[0]["Plan"])


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from _nodes(child)


def render_plan(node: dict[str, Any]) -> tuple[str, ...]:
    """One line per node: type, relation, index, filter/condition."""
    lines = []
    for item in _nodes(node):
        text = str(item["Node Type"])
        if "Relation Name" in item:
            text += f" on {item['Relation Name']}"
        if "Index Name" in item:
            text += f" using {item['Index Name']}"
        for key in ("Index Cond", "Filter"):
            if key in item:
                text += f" ({key.lower()}: {item[key]})"
        lines.append(text)
    return tuple(lines)


_TWO_WORD_TYPES = frozenset({"character", "double", "timestamp", "time"})


def _strip_casts(tokens: list[Token]) -> list[Token]:
    """Drop ``::type`` casts, parentheses and array brackets from a plan expression."""
    cleaned = []
    skip_type = False
    for token in tokens:
        if token.text == "::":
            skip_type = True
        elif skip_type and token.kind == "word":
            skip_type = token.lower in _TWO_WORD_TYPES  # "character varying", "double precision"
        elif token.text not in ("(", ")", "[", "]"):
            skip_type = False
            cleaned.append(token)
    return cleaned


def _comparison(cleaned: list[Token], i: int) -> str | None:
    """``eq``/``range`` when ``cleaned[i]`` is the left side of a comparison (``~~`` is LIKE)."""
    nxt = cleaned[i + 1].text
    after = cleaned[i + 2].text if i + 2 < len(cleaned) else ""
    if nxt == "=" and (i == 0 or cleaned[i - 1].text not in ("=", "<", ">")):
        return "eq"
    if nxt in ("<", ">", "<=", ">=") or (nxt == "~" and after == "~"):
        return "range"
    return None


def filter_predicates(expression: str) -> list[Predicate]:
    """Columns compared in a plan's ``Filter`` (casts and parentheses stripped)."""
    cleaned = _strip_casts(tokenize(expression))
    found = []
    for i in range(len(cleaned) - 1):
        token = cleaned[i]
        if token.kind not in ("word", "qident") or token.lower in ("and", "or", "not", "any", "all"):
            continue
        kind = _comparison(cleaned, i)
        if kind is None:
            continue
        at = i + 3 if cleaned[i + 1].text == "~" else i + 2  # the value after "=", "<", "~~", ...
        after = cleaned[at] if at < len(cleaned) else None
        constant = after is None or after.kind in ("str", "num", "param", "dollar") or after.lower == "any"
        name = token.text[1:-1] if token.kind == "qident" else token.lower
        found.append(Predicate(None, name, kind, constant))
    return found


def _table_rows(conn: Any, relation: str) -> int:
    with conn.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", (relation,))
        row = cursor.fetchone()
        if row is not None and row[0] is not None and row[0] >= 0:
            return int(row[0])
        cursor.execute(f"SELECT count(*) FROM {quote_ident(relation)}")  # never analyzed
        return int(cursor.fetchone()[0])


def _table_columns(conn: Any, relation: str) -> set[str]:
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
            (relation,),
        )
        return {str(row[0]) for row in cursor.fetchall()}


def _existing_indexes(conn: Any) -> set[str]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes")
        return {str(row[0]) for row in cursor.fetchall()}


def _candidates(conn: Any, plan: dict[str, Any], min_rows: int) -> list[tuple[str, tuple[str, ...], str]]:
    found = []
    for node in _nodes(plan):
        if node.get("Node Type") != "Seq Scan" or "Filter" not in node or "Relation Name" not in node:
            continue
        relation = str(node["Relation Name"])
        rows = _table_rows(conn, relation)
        if rows < min_rows:
            continue
        columns = choose_columns(
            filter_predicates(str(node["Filter"])), _table_columns(conn, relation), set()
        )
        if columns:
            reason = f"Seq Scan on {relation} ({rows} rows) with filter {node['Filter']}"
            found.append((relation, columns, reason))
    return found


def _uses(plan: dict[str, Any], name: str) -> bool:
    return any(
        node.get("Node Type") in _INDEX_NODES and node.get("Index Name") == name for node in _nodes(plan)
    )


def _verify(conn: Any, sql: str, params: Any, statement: str, name: str) -> dict[str, Any] | None:
    """The plan with the candidate index built inside a transaction that is always rolled back,
    or None when the planner does not use the index."""
    import psycopg

    try:
        with conn.transaction(force_rollback=True):
            with conn.cursor() as cursor:
                cursor.execute(statement)
            after = postgres_plan(conn, sql, params)
    except psycopg.Error:
        return None
    return after if _uses(after, name) else None


def suggest_postgres_indexes(
    conn: Any,
    sql: str,
    params: Sequence[Any] | dict[str, Any] | None = None,
    *,
    fingerprint: str = "",
    min_rows: int = 1000,
    min_gain: float = 2.0,
) -> list[IndexSuggestion]:
    """Verified ``CREATE INDEX`` suggestions for one statement (``conn``: a psycopg 3 connection).

    Kept only when the planner uses the index and its estimated total cost drops at least
    ``min_gain``-fold (an index the planner would use for a marginal gain still costs every write).
    The connection is left in the transaction state it was found in.
    """
    idle = conn.info.transaction_status == 0
    try:
        plan = postgres_plan(conn, sql, params)
        before = render_plan(plan)
        taken = _existing_indexes(conn)
        suggestions = []
        for relation, columns, reason in _candidates(conn, plan, min_rows):
            name = index_name(relation, columns, taken)
            statement = (
                f"CREATE INDEX {name} ON {quote_ident(relation)} ({', '.join(map(quote_ident, columns))})"
            )
            after = _verify(conn, sql, params, statement, name)
            if after is not None and float(after["Total Cost"]) * min_gain <= float(plan["Total Cost"]):
                reason += f"; estimated cost {plan['Total Cost']} -> {after['Total Cost']}"
                taken.add(name)
                suggestions.append(
                    IndexSuggestion(
                        "postgresql",
                        relation,
                        columns,
                        statement + ";",
                        fingerprint,
                        reason,
                        before,
                        render_plan(after),
                    )
                )
        return suggestions
    finally:
        if idle and conn.info.transaction_status != 0:
            conn.rollback()
