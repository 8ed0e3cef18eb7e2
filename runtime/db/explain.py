"""What the SQLite and PostgreSQL index advisors share: the result type and reading predicates.

Why suggestions are verified rather than inferred: "a sequential scan with a filter" is a signal,
not a diagnosis. The column may be too unselective for any planner to use an index, the predicate
may not be sargable (``LIKE '%x'``, ``a = ? OR b = ?``, a function of the column), or the planner
may already have a better plan. So each advisor builds the candidate index where it is cheap and
harmless (a scratch copy of the SQLite schema; a rolled-back transaction in PostgreSQL) and keeps
the suggestion only if the planner then actually uses the index for the flagged table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .fingerprint import Token, in_from_list, tokenize

__all__ = ["IndexSuggestion", "Predicate", "aliases", "index_name", "order_by", "predicates", "quote_ident"]

_EQUALITY = frozenset({"=", "==", "in", "is"})
_RANGE = frozenset({"<", ">", "<=", ">=", "between", "like", "glob"})
_NOT_NAMES = frozenset(
    {
        "select",
        "from",
        "where",
        "and",
        "or",
        "not",
        "null",
        "is",
        "in",
        "like",
        "glob",
        "between",
        "as",
        "on",
        "join",
        "case",
        "when",
        "then",
        "else",
        "end",
        "exists",
        "true",
        "false",
        "distinct",
        "all",
        "any",
    }
)
_SIMPLE_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class IndexSuggestion:
    """A ``CREATE INDEX`` that the planner was seen to use for ``fingerprint`` on a scratch schema."""

    dialect: str
    table: str
    columns: tuple[str, ...]
    statement: str
    fingerprint: str
    reason: str
    plan_before: tuple[str, ...]
    plan_after: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.statement}  -- {self.reason}; verified: {' | '.join(self.plan_after)}"


@dataclass(frozen=True)
class Predicate:
    """A column compared in a condition: ``qualifier.column op ...`` (``kind``: eq or range)."""

    qualifier: str | None
    column: str
    kind: str
    constant: bool = True  # compared with a literal/parameter (not another column)


def quote_ident(name: str) -> str:
    if _SIMPLE_IDENT.match(name):
        return name
    return '"' + name.replace('"', '""') + '"'


def index_name(table: str, columns: tuple[str, ...], taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9_]+", "_", f"idx_{table}_{'_'.join(columns)}".lower())[:58]
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    return name


def _name_token(token: Token) -> str | None:
    if token.kind == "qident":
        return token.text[1:-1]
    if token.kind == "word" and token.lower not in _NOT_NAMES:
        return token.lower
    return None


def _starts_item(tokens: list[Token], i: int) -> bool:
    """Whether a FROM/JOIN/UPDATE item follows ``tokens[i]``."""
    word = tokens[i].lower
    if word in ("from", "join"):
        return True
    if word == "update":
        return i == 0 or tokens[i - 1].lower not in ("for", "key", "no")
    return tokens[i].text == "," and in_from_list(tokens, i)


def _item_at(tokens: list[Token], j: int) -> tuple[str, str | None] | None:
    """``(table, alias or None)`` of the FROM item starting at ``tokens[j]``."""
    table = _name_token(tokens[j]) if j < len(tokens) else None
    if table is None:
        return None
    while j + 2 < len(tokens) and tokens[j + 1].text == "." and _name_token(tokens[j + 2]):
        table = _name_token(tokens[j + 2]) or table  # schema.table: keep the table
        j += 2
    k = j + 2 if j + 1 < len(tokens) and tokens[j + 1].lower == "as" else j + 1
    alias = _name_token(tokens[k]) if k < len(tokens) else None
    if alias is not None and tokens[k].lower in _CLAUSE_WORDS:
        alias = None
    return table, alias


def aliases(sql: str) -> dict[str, str]:
    """``alias -> table`` (and ``table -> table``) for every FROM/JOIN item of ``sql``."""
    tokens = tokenize(sql)
    found: dict[str, str] = {}
    for i in range(len(tokens)):
        item = _item_at(tokens, i + 1) if _starts_item(tokens, i) else None
        if item is not None:
            table, alias = item
            found[table] = table
            if alias is not None:
                found[alias] = table
    return found


_CLAUSE_WORDS = frozenset(
    {
        "where",
        "group",
        "order",
        "limit",
        "having",
        "inner",
        "left",
        "right",
        "full",
        "cross",
        "natural",
        "union",
    }
    | {"using", "window", "offset", "set", "values", "returning", "indexed", "except", "intersect", "for"}
)


def _column_ref(tokens: list[Token], i: int) -> tuple[str | None, str, int] | None:
    """``(qualifier, column, index after)`` for a column reference starting at ``i``."""
    first = _name_token(tokens[i])
    if first is None:
        return None
    if i + 2 < len(tokens) and tokens[i + 1].text == "." and _name_token(tokens[i + 2]):
        second = _name_token(tokens[i + 2])
        assert second is not None
        end = i + 3
        if end < len(tokens) and tokens[end].text == "(":
            return None
        return first, second, end
    if i + 1 < len(tokens) and tokens[i + 1].text in ("(", "."):
        return None  # a function call, or the middle of a longer name
    if i > 0 and tokens[i - 1].text == ".":
        return None
    return None, first, i + 1


def _operator_after(tokens: list[Token], j: int) -> str | None:
    if j >= len(tokens):
        return None
    text = tokens[j].lower
    if text == "not":
        return None
    return text if text in _EQUALITY or text in _RANGE else None


def predicates(sql: str) -> list[Predicate]:
    """Columns compared with ``=``/``IN``/``IS`` (eq) or ``<``, ``>``, ``BETWEEN``, ``LIKE`` (range)."""
    tokens = _without_set_clause(tokenize(sql))
    found: list[Predicate] = []
    i = 0
    while i < len(tokens):
        ref = _column_ref(tokens, i)
        if ref is None:
            i += 1
            continue
        qualifier, column, end = ref
        op = _operator_after(tokens, end)
        other = tokens[end + 1] if op is not None and end + 1 < len(tokens) else None
        if op is None and i > 0 and tokens[i - 1].text in ("=", "==", "<", ">", "<=", ">="):
            op = tokens[i - 1].text
            other = tokens[i - 2] if i > 1 else None
        if op is not None:
            constant = other is None or other.kind in ("str", "num", "param", "dollar") or other.text == "("
            found.append(Predicate(qualifier, column, "eq" if op in _EQUALITY else "range", constant))
        i = end
    return found


def _without_set_clause(tokens: list[Token]) -> list[Token]:
    """Drop ``SET a = ?, b = ?`` of an UPDATE: assignments are not conditions."""
    lowered = [t.lower for t in tokens]
    if "set" not in lowered:
        return tokens
    start = lowered.index("set")
    end = lowered.index("where", start) if "where" in lowered[start:] else len(tokens)
    return tokens[:start] + tokens[end:]


def _order_start(tokens: list[Token]) -> int:
    """Index after the top-level ``ORDER BY``, or -1."""
    depth, start = 0, -1
    for i, token in enumerate(tokens):
        depth += {"(": 1, ")": -1}.get(token.text, 0)
        if depth == 0 and token.lower == "order" and i + 1 < len(tokens) and tokens[i + 1].lower == "by":
            start = i + 2
    return start


def _order_item(tokens: list[Token], i: int) -> tuple[tuple[str | None, str, bool], int] | None:
    ref = _column_ref(tokens, i)
    if ref is None:
        return None
    qualifier, column, i = ref
    descending = False
    if i < len(tokens) and tokens[i].lower in ("asc", "desc"):
        descending = tokens[i].lower == "desc"
        i += 1
    return (qualifier, column, descending), i


def order_by(sql: str) -> list[tuple[str | None, str, bool]]:
    """The top-level ``ORDER BY`` items that are plain columns: ``(qualifier, column, descending)``.

    Empty when any item is an expression (an index cannot serve it).
    """
    tokens = tokenize(sql)
    i = _order_start(tokens)
    if i < 0:
        return []
    items: list[tuple[str | None, str, bool]] = []
    while True:
        parsed = _order_item(tokens, i)
        if parsed is None:
            return []
        item, i = parsed
        items.append(item)
        if i < len(tokens) and tokens[i].text == ",":
            i += 1
            continue
        ends = i >= len(tokens) or tokens[i].lower in ("limit", "offset", ";")
        return items if ends else []


def choose_columns(preds: list[Predicate], belongs: set[str], qualifiers: set[str]) -> tuple[str, ...]:
    """Equality columns first (in order of appearance), then one range column: the B-tree rule."""
    eq: list[str] = []
    ranged: list[str] = []
    for pred in sorted(preds, key=lambda p: not p.constant):  # stable: constants first
        if pred.column not in belongs or (pred.qualifier is not None and pred.qualifier not in qualifiers):
            continue
        target = eq if pred.kind == "eq" else ranged
        if pred.column not in target:
            target.append(pred.column)
    columns = list(eq)
    for column in ranged:
        if column not in columns:
            columns.append(column)
            break
    return tuple(columns)
