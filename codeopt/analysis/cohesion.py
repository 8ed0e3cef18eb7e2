"""Module cohesion as LCOM4: connected components of the module's top-level definitions.

A *unit* is one top-level ``def`` or ``class``, the assignments to one module variable (every
statement binding the same name joins one unit; ``a, b = ...`` joins ``a`` and ``b``), or one
compound statement at module level (``if``, ``try``, ``for``, ``with``, ...) that defines names. Not
units: imports (a name bound only by an import is not a definition), the module docstring, dunder
variables (``__all__``, ``__version__``, ...), bare expressions, and the ``if __name__ ==
"__main__":`` block, which is a script entry point rather than part of the module's design.

Two units are joined when one references a name the other defines -- anywhere: function and class
bodies, decorators, defaults, annotations -- or when both reference a module variable that only
functions assign (through ``global``). References are resolved with Python's scoping rules (a local,
parameter or enclosing-function variable hides a module name; class bodies do not enclose their
methods), so a local that happens to share a module variable's name creates no edge. A unit used by
nothing and using nothing is its own component: an unused constant is a separate responsibility.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from codeopt.analysis.complexity import CHILD_FIELDS
from codeopt.analysis.model import Cohesion

_COMPOUND = tuple(
    getattr(ast, name)
    for name in ("If", "Try", "TryStar", "For", "AsyncFor", "While", "With", "AsyncWith", "Match")
    if hasattr(ast, name)
)
_ASSIGNMENTS = tuple(
    getattr(ast, name) for name in ("Assign", "AnnAssign", "AugAssign", "TypeAlias") if hasattr(ast, name)
)
_UNIT_STATEMENTS = (*_ASSIGNMENTS, *_COMPOUND)
_NAMED_TARGETS = frozenset({ast.ExceptHandler, ast.MatchAs, ast.MatchStar, ast.MatchMapping})


@dataclass(eq=False, slots=True)
class _Scope:
    kind: str  # "module", "function", "class" or "comprehension"
    parent: _Scope | None
    bound: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)
    global_names: set[str] = field(default_factory=set)
    nonlocal_names: set[str] = field(default_factory=set)


@dataclass(eq=False, slots=True)
class _Unit:
    lineno: int
    names: list[str]  # names this unit defines, in order of appearance
    references: set[str] = field(default_factory=set)  # module-level names it reads or writes
    global_names: set[str] = field(default_factory=set)  # names its functions declare `global`


def lcom4(tree: ast.Module) -> Cohesion:
    """LCOM4 of ``tree``: the number of connected components of its units, their names and edges.

    Edges join unit labels (a unit's first name); a unit defining several names also links its label
    to each of them, so the edge graph over names has exactly the components listed.
    """
    walker = _ScopeWalker()
    statements = [
        unit for stmt in _candidate_statements(tree) if (unit := _unit_of(stmt, walker)) is not None
    ]
    units = _merge_same_names(statements)
    links = _links(units)
    edges = {tuple(sorted((units[a].names[0], units[b].names[0]))) for a, b in links}
    edges.update(tuple(sorted((unit.names[0], name))) for unit in units for name in unit.names[1:])
    components = _components(units, links)
    return Cohesion(
        lcom4=len(components),
        units=len(units),
        components=components,
        edges=tuple(sorted(edges)),  # type: ignore[arg-type]
    )


def _links(units: list[_Unit]) -> set[tuple[int, int]]:
    """Pairs of unit indexes (lower first) joined by a reference or a shared ``global`` variable."""
    definer = {name: index for index, unit in enumerate(units) for name in unit.names}
    declared_global = set().union(*(unit.global_names for unit in units)) if units else set()
    links: set[tuple[int, int]] = set()
    global_only: dict[str, int] = {}  # assigned only via `global`: the first unit referencing it
    for index, unit in enumerate(units):
        for name in sorted(unit.references):
            if name in definer:
                other = definer[name]
            elif name in declared_global and not _is_dunder(name):
                other = global_only.setdefault(name, index)
            else:
                continue
            if other != index:
                links.add((min(index, other), max(index, other)))
    return links


def _merge_same_names(statements: list[_Unit]) -> list[_Unit]:
    """Statements binding the same module variable are one unit (``X = 1`` ... ``X += 1``)."""
    parent = list(range(len(statements)))
    owner: dict[str, int] = {}
    for index, unit in enumerate(statements):
        for name in unit.names:
            if name in owner:
                _union(parent, index, owner[name])
            else:
                owner[name] = index
    merged: dict[int, _Unit] = {}
    for index, unit in enumerate(statements):  # in source order: the first statement leads
        root = _find(parent, index)
        if root not in merged:
            merged[root] = _Unit(unit.lineno, list(unit.names), set(unit.references), set(unit.global_names))
            continue
        target = merged[root]
        target.names.extend(name for name in unit.names if name not in target.names)
        target.references |= unit.references
        target.global_names |= unit.global_names
    return list(merged.values())


def _components(units: list[_Unit], links: set[tuple[int, int]]) -> tuple[tuple[str, ...], ...]:
    """Names per connected component: largest first, then by first line; names in source order."""
    parent = list(range(len(units)))
    for first, second in links:
        _union(parent, first, second)
    groups: dict[int, list[_Unit]] = {}
    for index, unit in enumerate(units):
        groups.setdefault(_find(parent, index), []).append(unit)
    ordered = []
    for members in groups.values():
        names = tuple(name for unit in sorted(members, key=lambda unit: unit.lineno) for name in unit.names)
        ordered.append((-len(names), min(unit.lineno for unit in members), names))
    ordered.sort()
    return tuple(names for _, _, names in ordered)


def _find(parent: list[int], index: int) -> int:
    while parent[index] != index:
        parent[index] = parent[parent[index]]
        index = parent[index]
    return index


def _union(parent: list[int], first: int, second: int) -> None:
    root_a, root_b = _find(parent, first), _find(parent, second)
    if root_a != root_b:
        parent[max(root_a, root_b)] = min(root_a, root_b)


def _candidate_statements(tree: ast.Module) -> list[ast.stmt]:
    body = list(tree.body)
    if body and _is_docstring(body[0]):
        body = body[1:]
    return [
        stmt
        for stmt in body
        if not isinstance(stmt, ast.Import | ast.ImportFrom) and not _is_main_guard(stmt)
    ]


def _unit_of(stmt: ast.stmt, walker: _ScopeWalker) -> _Unit | None:
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        names = [stmt.name]
    elif isinstance(stmt, _UNIT_STATEMENTS):
        names = []
    else:
        return None
    scopes, bindings = walker.run(stmt)
    if not names:
        bindings.sort()
        names = [name for name in dict.fromkeys(name for _, _, name in bindings) if not _is_dunder(name)]
        if not names:
            return None
    unit = _Unit(stmt.lineno, names)
    for scope in scopes:
        unit.global_names |= scope.global_names
        for name in scope.used:
            if _resolves_to_module(scope, name):
                unit.references.add(name)
    return unit


class _ScopeWalker:
    """An iterative walk (no recursion limit) that records, per scope, names bound and used.

    ``run`` handles one top-level statement and returns every scope it holds and the module-level
    bindings (position, name) that define the unit -- not imports, handler or pattern names.
    """

    def __init__(self) -> None:
        self.module = _Scope("module", None)
        self.scopes: list[_Scope] = []
        self.bindings: list[tuple[int, int, str]] = []
        self.stack: list[tuple[ast.AST, _Scope]] = []
        # Per node type, a handler that returns whether the node's children are still to be walked.
        self._special: dict[type, Callable[[Any, _Scope], bool]] = {
            ast.Name: self._name,
            ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function,
            ast.Lambda: self._function,
            ast.ClassDef: self._class,
            ast.ListComp: self._comprehension,
            ast.SetComp: self._comprehension,
            ast.DictComp: self._comprehension,
            ast.GeneratorExp: self._comprehension,
            ast.Global: self._declaration,
            ast.Nonlocal: self._declaration,
            ast.Import: self._import,
            ast.ImportFrom: self._import,
            ast.NamedExpr: self._walrus,
            **dict.fromkeys(_NAMED_TARGETS, self._named_target),
        }

    def run(self, stmt: ast.stmt) -> tuple[list[_Scope], list[tuple[int, int, str]]]:
        self.module = _Scope("module", None)
        self.scopes = [self.module]
        self.bindings = []
        stack = self.stack
        stack.append((stmt, self.module))
        pop, push, special, child_fields = stack.pop, stack.append, self._special, CHILD_FIELDS
        while stack:
            node, scope = pop()
            node_type = type(node)
            handler = special.get(node_type)
            if handler is not None and not handler(node, scope):
                continue
            for field_name in child_fields[node_type]:
                value = getattr(node, field_name)
                if type(value) is list:
                    for item in value:
                        push((item, scope))
                elif value is not None:
                    push((value, scope))
        return self.scopes, self.bindings

    def _name(self, node: ast.Name, scope: _Scope) -> bool:
        scope.used.add(node.id)
        if type(node.ctx) is not ast.Load:
            self._bind(scope, node.id, node)
        return False

    def _named_target(
        self, node: ast.ExceptHandler | ast.MatchAs | ast.MatchStar | ast.MatchMapping, scope: _Scope
    ) -> bool:
        name = node.rest if isinstance(node, ast.MatchMapping) else node.name
        if name is not None:
            scope.bound.add(name)  # exception and pattern names: not unit definitions
        return True

    def _bind(self, scope: _Scope, name: str, node: ast.AST) -> None:
        scope.bound.add(name)
        if scope is self.module:
            self.bindings.append((node.lineno, node.col_offset, name))  # type: ignore[attr-defined]

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, scope: _Scope) -> bool:
        push = self.stack.append
        if not isinstance(node, ast.Lambda):
            self._bind(scope, node.name, node)
            for decorator in node.decorator_list:
                push((decorator, scope))
            if node.returns is not None:
                push((node.returns, scope))
        inner = _Scope("function", scope)
        self.scopes.append(inner)
        _bind_arguments(node.args, scope, inner, self.stack)
        for child in node.body if isinstance(node.body, list) else [node.body]:
            push((child, inner))
        return False

    def _class(self, node: ast.ClassDef, scope: _Scope) -> bool:
        push = self.stack.append
        self._bind(scope, node.name, node)
        for child in (*node.decorator_list, *node.bases, *node.keywords):
            push((child, scope))
        inner = _Scope("class", scope)
        self.scopes.append(inner)
        for child in node.body:
            push((child, inner))
        return False

    def _comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp, scope: _Scope
    ) -> bool:
        push = self.stack.append
        inner = _Scope("comprehension", scope)
        self.scopes.append(inner)
        for index, generator in enumerate(node.generators):
            push((generator.iter, scope if index == 0 else inner))  # the first iterable: outside
            push((generator.target, inner))
            for condition in generator.ifs:
                push((condition, inner))
        for element in (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,):
            push((element, inner))
        return False

    def _declaration(self, node: ast.Global | ast.Nonlocal, scope: _Scope) -> bool:
        (scope.global_names if isinstance(node, ast.Global) else scope.nonlocal_names).update(node.names)
        return False

    def _import(self, node: ast.Import | ast.ImportFrom, scope: _Scope) -> bool:
        if scope is self.module:
            return False  # a module-level import defines no unit
        for alias in node.names:
            if alias.name != "*":
                scope.bound.add(alias.asname or alias.name.split(".")[0])
        return False

    def _walrus(self, node: ast.NamedExpr, scope: _Scope) -> bool:
        target = scope
        while target.kind == "comprehension" and target.parent is not None:
            target = target.parent  # `:=` in a comprehension binds in the enclosing scope
        target.used.add(node.target.id)
        self._bind(target, node.target.id, node)
        self.stack.append((node.value, scope))
        return False


def _bind_arguments(
    args: ast.arguments, outer: _Scope, inner: _Scope, stack: list[tuple[ast.AST, _Scope]]
) -> None:
    """Parameters bind in the function; defaults and annotations are evaluated outside it."""
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    every.extend(arg for arg in (args.vararg, args.kwarg) if arg is not None)
    for arg in every:
        inner.bound.add(arg.arg)
        if arg.annotation is not None:
            stack.append((arg.annotation, outer))
    stack.extend((default, outer) for default in args.defaults)
    stack.extend((default, outer) for default in args.kw_defaults if default is not None)


def _resolves_to_module(scope: _Scope, name: str) -> bool:
    """Whether ``name`` used in ``scope`` means the module-level binding (Python's LEGB minus B)."""
    if name in scope.global_names or scope.kind == "module":
        return True
    if name in scope.bound and name not in scope.nonlocal_names:
        return False
    outer = scope.parent
    while outer is not None:
        if outer.kind == "module" or name in outer.global_names:
            return True
        if outer.kind != "class" and name in outer.bound:
            return False
        outer = outer.parent
    return True


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _is_main_guard(stmt: ast.stmt) -> bool:
    if not isinstance(stmt, ast.If) or not isinstance(stmt.test, ast.Compare):
        return False
    test = stmt.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(side, ast.Name) and side.id == "__name__" for side in sides)
    has_main = any(isinstance(side, ast.Constant) and side.value == "__main__" for side in sides)
    return has_name and has_main


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")
