"""Cut a module into units: the pieces a split moves whole, or pins to the facade.

The LibCST module decides *what* a unit is made of (its ``Module.body`` statements, whose
``leading_lines`` carry the comments above a definition, so comments travel with it) and the line
spans. Scope analysis for the edges runs on the ``ast`` tree of the same text (see
:mod:`codeopt.split.edges`): LibCST's ScopeProvider and PositionProvider cost ~4 s on a 5,600-line
module, the ``ast`` walk ~0.3 s, and the split of ``more_itertools/more.py`` has a 10 s budget in all.

Statements binding the same module-level name join one unit (``def f`` ... ``f = wrap(f)``), so a
definition exists exactly once after the split; compound statements that define names
(``if sys.version_info ...``, ``try: import x except ImportError``) are one unit, never cut.
"""

from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from codeopt.source.parsing import SourceFile
from codeopt.split.edges import find_edges
from codeopt.split.plan_statements import Piece, classify
from codeopt.split.unit_model import Edge, Inventory, Unit

if TYPE_CHECKING:
    import libcst

__all__ = ["Edge", "Inventory", "Unit", "build_inventory"]


@dataclass(frozen=True)
class _Span:
    start: int  # first line of the statement's text, leading blank lines and comments included
    first: int  # first comment or code line (leading blank lines skipped)
    last: int


@dataclass
class _Group:
    """Pieces joined into one unit, in source order."""

    indexes: list[int] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)


def build_inventory(source: str, path: Path, module_name: str) -> Inventory:
    """Units and typed edges of one module; raises ``ParseFailure`` (naming ``path``) on bad input."""
    parsed = SourceFile(path, str(path), module_name, False, source)
    module = parsed.cst_module
    tree = parsed.ast_tree
    statements = _ast_by_body_statement(module, tree)
    if statements is not None:
        spans = _spans_from_lines(module, statements, source)
    else:  # the host ast does not mirror LibCST's statements (lowered syntax): render to count
        spans = _spans(module)
        statements = _ast_by_body_index(tree, spans)
    pieces = [classify(statements[index], index) for index in range(len(spans))]
    groups, reassigned = _merge(pieces)
    units = _units(groups, spans)
    future = tuple(
        alias.name
        for stmt in tree.body
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"
        for alias in stmt.names
    )
    found = find_edges(units, statements, deferred_annotations="annotations" in future)
    return Inventory(
        path=path,
        module_name=module_name,
        source=source,
        units=units,
        edges=found.edges,
        future_imports=future,
        rebound_globals=frozenset(reassigned) | frozenset(found.global_writers),
        global_writers=found.global_writers,
        executes=found.executes,
        cst_module=module,
    )


def _ast_by_body_statement(module: libcst.Module, tree: ast.Module) -> list[list[ast.stmt]] | None:
    """The ``ast`` statements of each LibCST body statement: ``a = 1; b = 2`` is one LibCST line
    holding two small statements, every other statement maps one to one."""
    import libcst

    grouped: list[list[ast.stmt]] = []
    position = 0
    for node in module.body:
        count = len(node.body) if isinstance(node, libcst.SimpleStatementLine) else 1
        grouped.append(tree.body[position : position + count])
        position += count
    if position != len(tree.body) or not all(grouped):
        return None
    return grouped


def _spans_from_lines(module: libcst.Module, statements: list[list[ast.stmt]], source: str) -> list[_Span]:
    """Spans from the ``ast`` line numbers: a statement starts its ``leading_lines`` before its first
    code line (its first decorator) and ends where the next one starts; no code generation needed."""
    if not module.body:
        return []
    starts = []
    for node, group in zip(module.body, statements, strict=True):
        first = group[0]
        code = min([first.lineno, *(decorator.lineno for decorator in getattr(first, "decorator_list", ()))])
        starts.append(code - len(getattr(node, "leading_lines", ())))
    total = source.count("\n") + (0 if source.endswith("\n") or not source else 1)
    ends = [start - 1 for start in starts[1:]] + [total - len(module.footer)]
    spans = []
    for node, start, last in zip(module.body, starts, ends, strict=True):
        leading = list(getattr(node, "leading_lines", ()))
        skip = next((i for i, empty in enumerate(leading) if empty.comment is not None), len(leading))
        spans.append(_Span(start, start + skip, max(last, start + skip)))
    return spans


def _spans(module: libcst.Module) -> list[_Span]:
    """Line spans of ``module.body`` by rendering each statement: cheaper than PositionProvider."""
    line = 1 + len(module.header)
    spans = []
    for stmt in module.body:
        count = max(1, module.code_for_node(stmt).count("\n"))
        leading = list(getattr(stmt, "leading_lines", ()))
        skip = next((i for i, empty in enumerate(leading) if empty.comment is not None), len(leading))
        spans.append(_Span(line, line + skip, line + count - 1))
        line += count
    return spans


def _ast_by_body_index(tree: ast.Module, spans: list[_Span]) -> list[list[ast.stmt]]:
    """The ``ast`` statements of each LibCST body statement (``a = 1; b = 2`` is one LibCST line)."""
    starts = [span.start for span in spans]
    statements: list[list[ast.stmt]] = [[] for _ in spans]
    for stmt in tree.body:
        index = bisect.bisect_right(starts, stmt.end_lineno or stmt.lineno) - 1
        statements[max(index, 0)].append(stmt)
    return statements


def _merge(pieces: list[Piece]) -> tuple[list[_Group], set[str]]:
    """Join pieces binding the same name (imports stay apart); also the names bound more than once."""
    parent = list(range(len(pieces)))
    owner: dict[str, int] = {}
    reassigned: set[str] = set()
    for index, piece in enumerate(pieces):
        if piece.kind == "import":
            continue
        if piece.mutates and all(name in owner for name in piece.mutates):
            pieces[index] = replace(piece, pinned=None)  # travels with what it mutates
            for name in piece.mutates:
                _union(parent, index, owner[name])
        for name in piece.names:
            if name in owner:
                reassigned.add(name)
                _union(parent, index, owner[name])
            else:
                owner[name] = index
    groups: dict[int, _Group] = {}
    for index, piece in enumerate(pieces):
        group = groups.setdefault(_find(parent, index), _Group())
        group.indexes.append(index)
        group.pieces.append(piece)
    return sorted(groups.values(), key=lambda group: group.indexes[0]), reassigned


def _units(groups: list[_Group], spans: list[_Span]) -> tuple[Unit, ...]:
    """Units in source order; definitions claim their name as id before imports do."""
    taken: set[str] = set()
    ids: dict[int, str] = {}
    for phase in ("definitions", "imports"):
        for position, group in enumerate(groups):
            is_import = group.pieces[0].kind == "import"
            if is_import != (phase == "imports"):
                continue
            ids[position] = _unit_id(group, spans, taken)
            taken.add(ids[position])
    return tuple(_unit(ids[position], group, spans) for position, group in enumerate(groups))


def _unit_id(group: _Group, spans: list[_Span], taken: set[str]) -> str:
    names = [name for piece in group.pieces for name in piece.names if name != "*"]
    if names and names[0] not in taken:
        return names[0]
    return f"{group.pieces[0].kind}@{spans[group.indexes[0]].first}"


def _unit(unit_id: str, group: _Group, spans: list[_Span]) -> Unit:
    names = tuple(dict.fromkeys(name for piece in group.pieces for name in piece.names if name != "*"))
    pinned = next((piece.pinned for piece in group.pieces if piece.pinned), None)
    first = spans[group.indexes[0]].first
    last = spans[group.indexes[-1]].last
    return Unit(
        id=unit_id,
        kind=group.pieces[0].kind,
        names=names,
        first_line=first,
        last_line=last,
        body_indexes=tuple(group.indexes),
        pinned=pinned,
        lines=sum(spans[index].last - spans[index].first + 1 for index in group.indexes),
    )


def _find(parent: list[int], index: int) -> int:
    while parent[index] != index:
        parent[index] = parent[parent[index]]
        index = parent[index]
    return index


def _union(parent: list[int], first: int, second: int) -> None:
    root_a, root_b = _find(parent, first), _find(parent, second)
    if root_a != root_b:
        parent[max(root_a, root_b)] = min(root_a, root_b)
