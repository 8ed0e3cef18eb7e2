"""SQL fingerprints and the facts the analyzer and the result cache need from a statement.

Why a tokenizer and not a parser: every statement the application runs passes through here, so it
must be fast and must never fail. A tolerant lexer (strings, quoted identifiers, comments, dollar
quotes, every DB-API placeholder style) gives what pg_stat_statements and Sentry group by: literals
and placeholders become ``?``, ``IN (?, ?, ?)`` lists collapse to ``IN (...)``, multi-row
``VALUES`` collapse to their first row, keywords and unquoted identifiers are lower-cased and
whitespace/comments disappear. The table lists are a best effort over the same tokens (``FROM``/
``JOIN`` items, DML targets, CTE names excluded): good enough to tag cache entries, and the result
cache refuses what it cannot read with confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["QueryInfo", "Token", "fingerprint", "parse", "tokenize"]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>--[^\n]*|/\*.*?\*/)
  | (?P<str>[eEbBxXnN]?'(?:[^']|'')*')
  | (?P<dollar>\$(?P<tag>[A-Za-z_]\w*)?\$.*?\$(?P=tag)?\$)
  | (?P<qident>"(?:[^"]|"")*"|`[^`]*`)
  | (?P<cast>::)
  | (?P<param>\?\d*|:[A-Za-z_]\w*|@[A-Za-z_]\w*|\$\d+|%\(\w+\)s|%s)
  | (?P<num>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_][\w$]*)
  | (?P<op><=|>=|<>|!=|==|\|\||->>|->|[-+*/%<>=~!&|^])
  | (?P<punct>[(),;.\[\]{}])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_LITERAL_KINDS = frozenset({"str", "dollar", "param", "num"})
_WRITE_VERBS = frozenset({"insert", "update", "delete", "replace", "merge", "upsert"})
_DDL_VERBS = frozenset({"create", "drop", "alter", "truncate"})


@dataclass(frozen=True)
class Token:
    kind: str
    text: str

    @property
    def lower(self) -> str:
        return self.text.lower()


@dataclass(frozen=True)
class QueryInfo:
    """What one statement does, as far as the tokens tell.

    ``kind``: the main verb (``select``, ``insert``, ``update``, ``delete``, ``create``, ...);
    ``tables_read``/``tables_written``: lower-cased, schema-qualified when written so;
    ``functions``: every ``name(`` called; ``strings``: the string literals (``'now'`` matters);
    ``locking``: ``FOR UPDATE``/``FOR SHARE``; ``select_into``: ``SELECT ... INTO`` creates a table;
    ``temp_created``: the table a ``CREATE TEMP TABLE`` makes.
    """

    sql: str
    fingerprint: str
    kind: str
    tables_read: frozenset[str]
    tables_written: frozenset[str]
    functions: frozenset[str]
    strings: tuple[str, ...]
    locking: bool
    select_into: bool
    temp_created: str | None

    @property
    def is_select(self) -> bool:
        return self.kind == "select"

    @property
    def is_write(self) -> bool:
        return self.kind in _WRITE_VERBS or self.kind in _DDL_VERBS or self.select_into


def tokenize(sql: str) -> list[Token]:
    """Significant tokens of ``sql`` (whitespace and comments dropped)."""
    tokens = []
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup or "other"
        if kind == "tag":  # pragma: no cover - a named sub-group never ends a match
            kind = "dollar"
        if kind in ("ws", "comment"):
            continue
        tokens.append(Token(kind, match.group(kind if kind != "dollar" else 0)))
    return tokens


def _normalise(tokens: list[Token]) -> list[str]:
    out: list[str] = []
    previous: Token | None = None
    for token in tokens:
        if token.kind in _LITERAL_KINDS:
            # A unary minus before a number belongs to the literal: "= -5" and "= 5" group together.
            if out and out[-1] == "-" and previous is not None and _unary_context(out[:-1]):
                out.pop()
            out.append("?")
        elif token.kind == "word":
            out.append(token.lower)
        else:
            out.append(token.text)
        previous = token
    while out and out[-1] == ";":
        out.pop()
    return _collapse_values(_collapse_in_lists(out))


def _unary_context(before: list[str]) -> bool:
    if not before:
        return True
    last = before[-1]
    return last in ("(", ",", "=", "<", ">", "<=", ">=", "<>", "!=", "in", "and", "or", "then", "else")


def _collapse_in_lists(tokens: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i] == "in" and i + 1 < len(tokens) and tokens[i + 1] == "(":
            j = i + 2
            while j < len(tokens) and tokens[j] in ("?", ","):
                j += 1
            if j < len(tokens) and tokens[j] == ")" and j > i + 2:
                out += ["in", "(", "...", ")"]
                i = j + 1
                continue
        out.append(tokens[i])
        i += 1
    return out


def _row_end(tokens: list[str], start: int) -> int:
    """Index after a ``( ? , ? )`` row starting at ``start``, or -1 when it is not one."""
    if start >= len(tokens) or tokens[start] != "(":
        return -1
    j = start + 1
    while j < len(tokens) and tokens[j] in ("?", ","):
        j += 1
    return j + 1 if j < len(tokens) and tokens[j] == ")" else -1


def _collapse_values(tokens: list[str]) -> list[str]:
    if "values" not in tokens:
        return tokens
    at = tokens.index("values")
    end = _row_end(tokens, at + 1)
    if end < 0:
        return tokens
    rows_end = end
    more = False
    while rows_end < len(tokens) and tokens[rows_end] == ",":
        nxt = _row_end(tokens, rows_end + 1)
        if nxt < 0:
            break
        rows_end, more = nxt, True
    if not more:
        return tokens
    return [*tokens[:end], ",", "...", *tokens[rows_end:]]


def _render(tokens: list[str]) -> str:
    parts: list[str] = []
    for token in tokens:
        if parts and token not in (")", ",", ".", "::") and parts[-1] not in ("(", ".", "::"):
            parts.append(" ")
        parts.append(token)
    return "".join(parts)


def fingerprint(sql: str) -> str:
    """The statement with literals/placeholders as ``?``, ``IN`` lists collapsed, normalised case/spaces."""
    return parse(sql).fingerprint


def _qualified_name(tokens: list[Token], i: int) -> tuple[str | None, int]:
    """A (possibly schema-qualified) table name starting at ``tokens[i]``; (None, i) if none."""
    if i >= len(tokens) or tokens[i].kind not in ("word", "qident"):
        return None, i
    parts = [_ident(tokens[i])]
    i += 1
    while i + 1 < len(tokens) and tokens[i].text == "." and tokens[i + 1].kind in ("word", "qident"):
        parts.append(_ident(tokens[i + 1]))
        i += 2
    return ".".join(parts), i


def _ident(token: Token) -> str:
    if token.kind == "qident":
        return token.text[1:-1].replace('""', '"')
    return token.lower


def _skip_words(tokens: list[Token], i: int, words: tuple[str, ...]) -> int:
    while i < len(tokens) and tokens[i].kind == "word" and tokens[i].lower in words:
        i += 1
    return i


def in_from_list(tokens: list[Token], i: int) -> bool:
    """Whether the comma at ``i`` separates FROM items: the clause it belongs to is FROM (or a
    JOIN's ON condition), at the same parenthesis depth."""
    depth = 0
    for j in range(i - 1, -1, -1):
        text = tokens[j].lower
        if text == ")":
            depth += 1
        elif text == "(":
            if depth == 0:
                return False
            depth -= 1
        elif depth == 0 and text in _NOT_FROM:
            return False
        elif depth == 0 and text == "from":
            return True
    return False


_NOT_FROM = frozenset(
    {"select", "where", "set", "order", "group", "values", "having", "limit", "returning", "window", "into"}
)


def _add_table(tokens: list[Token], i: int, found: set[str]) -> None:
    """The FROM item at ``i``: a table name (not a sub-query, not a table-valued function)."""
    name, end = _qualified_name(tokens, i)
    if name is not None and not (end < len(tokens) and tokens[end].text == "("):
        found.add(name)


def _cte_names(tokens: list[Token]) -> set[str]:
    names: set[str] = set()
    if not tokens or tokens[0].lower != "with":
        return names
    for i in range(1, len(tokens) - 2):
        if tokens[i].kind in ("word", "qident") and tokens[i + 1].lower == "as" and tokens[i + 2].text == "(":
            names.add(_ident(tokens[i]))
        elif tokens[i].kind in ("word", "qident") and tokens[i + 1].text == "(":
            # WITH name(col, ...) AS (...)
            depth, j = 0, i + 1
            while j < len(tokens):
                depth += {"(": 1, ")": -1}.get(tokens[j].text, 0)
                j += 1
                if depth == 0:
                    break
            if j < len(tokens) and tokens[j].lower == "as":
                names.add(_ident(tokens[i]))
    return names


def _write_target(tokens: list[Token], i: int, verb: str) -> tuple[str | None, str | None]:
    """(table written, temp table created) for the DML/DDL verb at ``tokens[i]``."""
    j = i + 1
    temp = None
    if verb in ("insert", "replace", "merge"):
        j = _skip_words(tokens, j, ("or", "replace", "ignore", "abort", "fail", "rollback", "into"))
    elif verb == "update":
        j = _skip_words(tokens, j, ("or", "replace", "ignore", "abort", "fail", "rollback", "only"))
    elif verb == "delete":
        j = _skip_words(tokens, j, ("from", "only"))
    elif verb == "truncate":
        j = _skip_words(tokens, j, ("table", "only"))
    elif verb in ("create", "drop", "alter"):
        k = _skip_words(tokens, j, ("temp", "temporary", "unlogged", "global", "local", "or", "replace"))
        is_temp = any(t.lower in ("temp", "temporary") for t in tokens[j:k])
        if k >= len(tokens) or tokens[k].lower not in ("table", "view"):
            return None, None
        j = _skip_words(tokens, k + 1, ("if", "not", "exists"))
        name, _ = _qualified_name(tokens, j)
        return name, (name if is_temp and verb == "create" else None)
    name, _ = _qualified_name(tokens, j)
    return name, temp


def _is_write_verb(tokens: list[Token], i: int, word: str, nxt: str) -> bool:
    """A DML verb (not ``FOR UPDATE``, not the ``replace()`` function) or a leading DDL verb."""
    if word in _DDL_VERBS:
        return i == 0 or tokens[i - 1].text == ";"
    if word not in _WRITE_VERBS or nxt == "(":
        return False
    if word == "replace" and nxt != "into" and i > 0 and tokens[i - 1].lower != "or":
        return False
    previous = tokens[i - 1].lower if i > 0 else ""
    return previous not in ("for", "key", "no", "on", "do")


_NOT_FUNCTIONS = frozenset({"in", "values", "as", "exists", "and", "or", "not", "on", "using"})


class _Walk:
    """One pass over the tokens collecting tables, functions, locking and the statement kind."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.read: set[str] = set()
        self.written: set[str] = set()
        self.functions: set[str] = set()
        self.locking = False
        self.select_into = False
        self.temp_created: str | None = None
        self.kind = ""
        for i, token in enumerate(tokens):
            if token.text == "," and in_from_list(tokens, i):
                _add_table(tokens, i + 1, self.read)
            if token.kind == "word":
                self._word(i, token.lower)
        self.kind = self.kind or "unknown"

    def _word(self, i: int, word: str) -> None:
        tokens = self.tokens
        nxt = tokens[i + 1].lower if i + 1 < len(tokens) else ""
        self._note(word, nxt)
        if word in ("from", "join") and not (word == "from" and self.kind == "delete" and i <= 1):
            _add_table(tokens, i + 1, self.read)
        elif _is_write_verb(tokens, i, word, nxt):
            self._write(i, word)
        elif word == "for" and nxt in ("update", "share", "no", "key"):
            self.locking = True
        elif word == "into" and self.kind == "select" and tokens[0].lower == "select":
            self.select_into = True

    def _note(self, word: str, nxt: str) -> None:
        if not self.kind:
            self.kind = "select" if word == "with" else word
        if nxt == "(" and word not in _NOT_FUNCTIONS:
            self.functions.add(word)

    def _write(self, i: int, word: str) -> None:
        if word in _WRITE_VERBS and self.kind not in _WRITE_VERBS:
            self.kind = word
        target, temp = _write_target(self.tokens, i, word)
        if target:
            self.written.add(target)
        self.temp_created = self.temp_created or temp


@lru_cache(maxsize=4096)
def parse(sql: str) -> QueryInfo:
    """Fingerprint and facts of one statement (memoised: applications repeat their SQL strings)."""
    tokens = tokenize(sql)
    fp = _render(_normalise(tokens))
    walk = _Walk(tokens)
    ctes = _cte_names(tokens)
    strings = tuple(t.text.split("'", 1)[1][:-1].replace("''", "'") for t in tokens if t.kind == "str")
    return QueryInfo(
        sql=sql,
        fingerprint=fp,
        kind=walk.kind,
        tables_read=frozenset(walk.read - ctes),
        tables_written=frozenset(walk.written),
        functions=frozenset(walk.functions),
        strings=strings,
        locking=walk.locking,
        select_into=walk.select_into,
        temp_created=walk.temp_created,
    )
