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
from dataclasses import dataclass, field

from codeopt.analysis.model import ClassMetrics, FunctionKind

# Fields that never hold statements or expressions: skipping them saves visiting ``Load()`` & co.
_SKIPPED_FIELDS = frozenset({"ctx", "op", "ops", "type_comment", "kind", "conversion", "simple", "level"})


class _ChildFields(dict[type, tuple[str, ...]]):
    def __missing__(self, node_type: type) -> tuple[str, ...]:
        fields = (
            ()
            if node_type is ast.Constant
            else tuple(name for name in getattr(node_type, "_fields", ()) if name not in _SKIPPED_FIELDS)
        )
        self[node_type] = fields
        return fields


CHILD_FIELDS: dict[type, tuple[str, ...]] = _ChildFields()
"""Per AST node type, the fields that may hold child nodes (shared by the metric walkers)."""

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
    module = Scope(None, "", None, None)
    functions: list[Scope] = []
    classes: list[Scope] = []
    stack: list[tuple[ast.AST, Scope]] = [(stmt, module) for stmt in tree.body]
    pop, push, child_fields = stack.pop, stack.append, CHILD_FIELDS
    while stack:
        node, scope = pop()
        node_type = type(node)
        if node_type is ast.FunctionDef or node_type is ast.AsyncFunctionDef or node_type is ast.ClassDef:
            inner = _new_scope(node, scope)  # type: ignore[arg-type]
            (classes if inner.is_class else functions).append(inner)
            if inner.kind is FunctionKind.METHOD:
                scope.methods.append(inner)
            for stmt in node.body:  # type: ignore[attr-defined]
                push((stmt, inner))
            continue
        if node_type is ast.Assert:
            scope.points += 1  # radon does not look inside an assert
            continue
        scope.points += _decision_points(node, node_type)
        for name in child_fields[node_type]:
            value = getattr(node, name)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        push((item, scope))
            elif isinstance(value, ast.AST):
                push((value, scope))
    return Cyclomatic(
        _in_source_order(functions), _in_source_order(classes), _module_total(module, functions, classes)
    )


def _decision_points(node: ast.AST, node_type: type) -> int:
    """radon's increments for one node (0 for nodes that are not decision points)."""
    if node_type is ast.If or node_type is ast.IfExp:
        return 1
    if node_type is ast.BoolOp:
        return len(node.values) - 1  # type: ignore[attr-defined]
    if node_type is ast.comprehension:
        return 1 + len(node.ifs)  # type: ignore[attr-defined]
    if node_type is ast.For or node_type is ast.While or node_type is ast.AsyncFor:
        return 1 + bool(node.orelse)  # type: ignore[attr-defined]
    if node_type in _TRY_TYPES:  # radon 6.0.1 predates except* (TryStar); counted like try (see docs)
        return len(node.handlers) + bool(node.orelse)  # type: ignore[attr-defined]
    if node_type is ast.Match:
        cases = node.cases  # type: ignore[attr-defined]
        # radon: a capture-all case (`case _:` or `case name:`) is the `else`, not a decision.
        catch_all = any(
            isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None for case in cases
        )
        return max(0, len(cases) - catch_all)
    return 0


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
