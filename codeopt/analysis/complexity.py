"""Cyclomatic complexity with radon's definition, and the functions and classes of a module.

radon's ``ComplexityVisitor`` attributes every decision point to the nearest enclosing ``def`` or
``class`` (lambdas are not scopes) and visits only their bodies: decorators, default values,
annotations and base classes count nowhere, and nothing inside an ``assert`` counts beyond the
assert itself. Its numbers follow from those per-scope counts (docs/metrics.md has the formulas), so
one iterative walk reproduces them for every function, including the nested ones radon drops, and
cannot hit the recursion limit on the deep trees (~3000 levels) that ``ast.parse`` accepts.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from codeopt.analysis.model import ClassMetrics, FunctionKind

# Fields that never hold statements or expressions: skipping them saves visiting ``Load()`` & co.
_SKIPPED_FIELDS = frozenset({"ctx", "op", "ops", "type_comment", "kind", "conversion", "simple", "level"})
# Per node type, fields that hold only names or flags (``Name.id``, ``Global.names``, ...).
_SCALAR_FIELDS: dict[type, frozenset[str]] = {
    node_type: frozenset(names)
    for node_type, names in (
        (ast.Name, ("id",)),
        (ast.Attribute, ("attr",)),
        (ast.arg, ("arg",)),
        (ast.keyword, ("arg",)),
        (ast.alias, ("name", "asname")),
        (ast.FunctionDef, ("name",)),
        (ast.AsyncFunctionDef, ("name",)),
        (ast.ClassDef, ("name",)),
        (ast.ExceptHandler, ("name",)),
        (ast.ImportFrom, ("module",)),
        (ast.Global, ("names",)),
        (ast.Nonlocal, ("names",)),
        (ast.comprehension, ("is_async",)),
        (ast.MatchAs, ("name",)),
        (ast.MatchStar, ("name",)),
        (ast.MatchMapping, ("rest",)),
        (ast.MatchClass, ("kwd_attrs",)),
    )
}


class _ChildFields(dict[type, tuple[str, ...]]):
    def __missing__(self, node_type: type) -> tuple[str, ...]:
        skipped = _SKIPPED_FIELDS | _SCALAR_FIELDS.get(node_type, frozenset())
        fields = (
            ()
            if node_type is ast.Constant
            else tuple(name for name in getattr(node_type, "_fields", ()) if name not in skipped)
        )
        self[node_type] = fields
        return fields


CHILD_FIELDS: dict[type, tuple[str, ...]] = _ChildFields()
"""Per AST node type, the fields that may hold child nodes (shared by the metric walkers).

A field holds a node, ``None`` or a list. Lists hold nodes, except that ``Dict.keys`` and
``arguments.kw_defaults`` may hold ``None``: walkers push list items unchecked and treat a ``None``
as a leaf (``CHILD_FIELDS[type(None)]`` is empty, and no walker handles ``NoneType``).
"""

FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
_TRY_TYPES = (ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))


@dataclass(eq=False, slots=True)
class Scope:
    """A ``def`` or ``class`` (or the module, ``node is None``) and its own decision points."""

    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None
    qualname: str
    kind: FunctionKind | None  # None for classes and the module
    parent: Scope | None
    points: int = 0
    methods: list[Scope] = field(default_factory=list)  # classes only: functions directly inside

    @property
    def is_class(self) -> bool:
        return isinstance(self.node, ast.ClassDef)

    @property
    def cc(self) -> int:
        """A function's complexity: 1 + its decision points (nested functions' excluded)."""
        return 1 + self.points

    @property
    def class_real_cc(self) -> int:
        """radon's ``Class.real_complexity``: 1 + own points + the methods' complexities."""
        return 1 + self.points + sum(method.cc for method in self.methods)

    @property
    def class_cc(self) -> int:
        """radon's ``Class.complexity`` (what ``radon cc`` prints for a class)."""
        count = len(self.methods)
        real = self.class_real_cc
        return real if not count else int(real / count) + (count > 1)


@dataclass(frozen=True, slots=True)
class Cyclomatic:
    """Every function and class (source order) and radon's module total (the MI input)."""

    functions: tuple[Scope, ...]
    classes: tuple[Scope, ...]
    total: int

    def class_metrics(self) -> tuple[ClassMetrics, ...]:
        return tuple(
            ClassMetrics(
                name=scope.node.name,
                lineno=scope.node.lineno,
                end_lineno=scope.node.end_lineno or scope.node.lineno,
                methods=len(scope.methods),
                cc=scope.class_cc,
                qualname=scope.qualname,
            )
            for scope in self.classes
            if isinstance(scope.node, ast.ClassDef)
        )


def cyclomatic(tree: ast.Module) -> Cyclomatic:
    """radon's cyclomatic complexity for every function and class of ``tree``, and the module total."""
    return _CyclomaticWalk().run(tree)


def _one(node: ast.AST) -> int:
    return 1


def _bool_op_points(node: ast.BoolOp) -> int:
    return len(node.values) - 1


def _comprehension_points(node: ast.comprehension) -> int:
    return 1 + len(node.ifs)


def _loop_points(node: ast.For | ast.AsyncFor | ast.While) -> int:
    return 1 + bool(node.orelse)


def _try_points(node: ast.Try) -> int:
    # radon 6.0.1 predates except* (TryStar); counted like try (see docs)
    return len(node.handlers) + bool(node.orelse)


def _match_points(node: ast.Match) -> int:
    cases = node.cases
    # radon: a capture-all case (`case _:` or `case name:`) is the `else`, not a decision.
    catch_all = any(isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None for case in cases)
    return max(0, len(cases) - catch_all)


_DECISION_POINTS: dict[type, Callable[[Any], int]] = {
    ast.If: _one,
    ast.IfExp: _one,
    ast.BoolOp: _bool_op_points,
    ast.comprehension: _comprehension_points,
    ast.For: _loop_points,
    ast.AsyncFor: _loop_points,
    ast.While: _loop_points,
    ast.Match: _match_points,
    **dict.fromkeys(_TRY_TYPES, _try_points),
}
"""radon's increments per decision-point node type (other nodes add nothing)."""


class _CyclomaticWalk:
    """One iterative walk that attributes each decision point to its innermost ``def`` or ``class``."""

    __slots__ = ("classes", "functions", "handlers", "stack")

    def __init__(self) -> None:
        self.functions: list[Scope] = []
        self.classes: list[Scope] = []
        self.stack: list[tuple[ast.AST, Scope]] = []
        # Node types whose children are not walked the generic way: scopes, and asserts.
        self.handlers: dict[type, Callable[[Any, Scope], None]] = {
            ast.FunctionDef: self._enter,
            ast.AsyncFunctionDef: self._enter,
            ast.ClassDef: self._enter,
            ast.Assert: self._assert,
        }

    def run(self, tree: ast.Module) -> Cyclomatic:
        module = Scope(None, "", None, None)
        stack = self.stack
        stack.extend((stmt, module) for stmt in tree.body)
        pop, push, child_fields = stack.pop, stack.append, CHILD_FIELDS
        handlers, decision_points = self.handlers, _DECISION_POINTS
        while stack:
            node, scope = pop()
            node_type = type(node)
            handler = handlers.get(node_type)
            if handler is not None:
                handler(node, scope)
                continue
            points = decision_points.get(node_type)
            if points is not None:
                scope.points += points(node)
            for name in child_fields[node_type]:
                value = getattr(node, name)
                if type(value) is list:
                    for item in value:
                        push((item, scope))
                elif value is not None:
                    push((value, scope))
        functions, classes = self.functions, self.classes
        return Cyclomatic(
            _in_source_order(functions), _in_source_order(classes), _module_total(module, functions, classes)
        )

    def _enter(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, scope: Scope) -> None:
        inner = _new_scope(node, scope)
        (self.classes if inner.is_class else self.functions).append(inner)
        if inner.kind is FunctionKind.METHOD:
            scope.methods.append(inner)
        self.stack.extend((stmt, inner) for stmt in node.body)

    def _assert(self, node: ast.Assert, scope: Scope) -> None:
        scope.points += 1  # radon does not look inside an assert


def _new_scope(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, parent: Scope) -> Scope:
    if parent.node is None:
        qualname = node.name
    elif parent.is_class:
        qualname = f"{parent.qualname}.{node.name}"
    else:
        qualname = f"{parent.qualname}.<locals>.{node.name}"
    if isinstance(node, ast.ClassDef):
        kind = None
    elif parent.node is None:
        kind = FunctionKind.FUNCTION
    else:
        kind = FunctionKind.METHOD if parent.is_class else FunctionKind.NESTED
    return Scope(node, qualname, kind, parent)


def _module_total(module: Scope, functions: list[Scope], classes: list[Scope]) -> int:
    """radon's ``total_complexity``: module points, top-level functions' points, top-level classes.

    Nested functions and classes inside functions do not count (radon discards them).
    """
    total = 1 + module.points
    total += sum(scope.points for scope in functions if scope.parent is module)
    total += sum(scope.class_real_cc - 1 for scope in classes if scope.parent is module)
    return total


def _in_source_order(scopes: list[Scope]) -> tuple[Scope, ...]:
    return tuple(sorted(scopes, key=lambda scope: _position(scope.node)))


def _position(node: ast.AST | None) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
