"""Typed edges between the units of one module: who uses whom, and *when*.

The kind decides what a split may do with an edge: import-time uses (base classes, decorators,
defaults, class bodies, module-level code, annotations evaluated at definition time) must not form a
cycle between new modules; call-time uses (inside function bodies) may, through ``from . import x``;
annotation-only uses need a ``TYPE_CHECKING`` import at most; state edges tie the units reading,
mutating or ``global``-rebinding one module variable; string edges come from ``__all__``,
``globals()["name"]``, ``getattr(sys.modules[__name__], "name")`` and the code in doctests.

Names are resolved with Python's scoping rules on the ``ast`` tree (a local, parameter or enclosing
function variable hides a module name; class bodies do not enclose their methods). ``ast`` rather than
LibCST's ScopeProvider for speed: see :mod:`codeopt.split.units`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from codeopt.split.unit_model import EDGE_KINDS, Edge, Unit

IMPORT_TIME = "import-time"
CALL_TIME = "call-time"
ANNOTATION = "annotation"
STATE = "state"
STRING = "string"
_MUTATE = "mutate"  # internal: a function mutating a module variable in place

_MUTATORS = frozenset(
    {
        "append", "extend", "insert", "remove", "pop", "clear", "update", "setdefault", "add", "discard",
        "popitem", "sort", "reverse", "appendleft", "extendleft", "popleft", "move_to_end", "__setitem__",
        "__delitem__",
    }
)  # fmt: skip
_DOCTEST_LINE = re.compile(r"^\s*(?:>>>|\.\.\.)\s?(.*)$", re.MULTILINE)
_IDENTIFIER = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass(frozen=True)
class FoundEdges:
    edges: tuple[Edge, ...]
    global_writers: Mapping[str, tuple[str, ...]]
    # function unit -> units its own body uses when it runs (nested functions and lambdas excluded)
    executes: Mapping[str, frozenset[str]]


@dataclass(eq=False, slots=True)
class _Scope:
    kind: str  # "module", "function", "class", "comprehension"
    parent: _Scope | None
    bound: set[str] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    uses: list[tuple[str, str]] = field(default_factory=list)  # (name, kind)
    # class bodies look names up at run time: a read before the body binds the name is the module's
    # (``class A: X = X``), so such reads resolve from the enclosing scope
    early: list[tuple[str, str]] = field(default_factory=list)
    runs: bool = True  # executed when the unit is (the module body, a top-level function's own body)


def find_edges(
    units: Sequence[Unit], statements: Sequence[Sequence[ast.stmt]], *, deferred_annotations: bool
) -> FoundEdges:
    """Edges between ``units`` (``statements[i]``: the ``ast`` statements of body statement ``i``)."""
    owner = _owners(units)
    uses: dict[str, list[tuple[str, str]]] = {}
    runs: dict[str, list[tuple[str, str]]] = {}
    writes: dict[str, set[str]] = {}
    for unit in units:
        walker = _Walker(deferred_annotations)
        for index in unit.body_indexes:
            for stmt in statements[index]:
                walker.statement(stmt)
        uses[unit.id] = walker.module_uses()
        writes[unit.id] = walker.global_writes
        runs[unit.id] = walker.module_uses(running_only=True)
    global_writers = _global_writers(units, writes)
    collector = _Collector(
        owner, global_writers, {u.id for u in units if u.kind in ("assignment", "conditional")}
    )
    for unit in units:
        for name, kind in uses[unit.id]:
            collector.use(unit.id, name, kind)
        for name in writes[unit.id]:
            collector.add(unit.id, name, STATE)
    executes = {
        unit.id: frozenset(
            target for name, _ in runs[unit.id] if (target := owner.get(name)) not in (None, unit.id)
        )
        for unit in units
        if unit.kind == "function"
    }
    return FoundEdges(_ordered(units, collector.collected), global_writers, executes)


class _Collector:
    """Turns (unit, name, kind) uses into edges to the unit owning the name."""

    def __init__(
        self, owner: dict[str, str], global_writers: Mapping[str, tuple[str, ...]], variables: set[str]
    ):
        self.owner = owner
        self.global_writers = global_writers
        self.variables = variables
        self.collected: dict[tuple[str, str, str], set[str]] = {}

    def use(self, source: str, name: str, kind: str) -> None:
        if kind == _MUTATE:  # mutating a function or class in place is not shared state
            if self.owner.get(name) in self.variables:
                self.add(source, name, STATE)
            return
        self.add(source, name, kind)
        if name in self.global_writers:
            self.add(source, name, STATE)

    def add(self, source: str, name: str, kind: str) -> None:
        target = self.owner.get(name) or _first(self.global_writers.get(name))
        if target is not None and target != source:
            self.collected.setdefault((source, target, kind), set()).add(name)


def _owners(units: Sequence[Unit]) -> dict[str, str]:
    """Module-level name -> unit id; a definition wins over an import of the same name."""
    owner: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for unit in units:
        for name in unit.names:
            if name not in owner or kinds[name] == "import" or unit.kind != "import":
                owner[name] = unit.id
                kinds[name] = unit.kind
    return owner


def _global_writers(units: Sequence[Unit], writes: dict[str, set[str]]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for unit in units:
        for name in sorted(writes[unit.id]):
            found.setdefault(name, []).append(unit.id)
    return {name: tuple(ids) for name, ids in sorted(found.items())}


def _first(ids: tuple[str, ...] | None) -> str | None:
    return ids[0] if ids else None


def _ordered(units: Sequence[Unit], collected: dict[tuple[str, str, str], set[str]]) -> tuple[Edge, ...]:
    position = {unit.id: index for index, unit in enumerate(units)}
    keys = sorted(collected, key=lambda key: (position[key[0]], position[key[1]], EDGE_KINDS.index(key[2])))
    return tuple(
        Edge(source, target, kind, tuple(sorted(collected[(source, target, kind)])))
        for source, target, kind in keys
    )


class _Walker:
    """Walks the statements of one unit and records the module-level names they use, with kinds."""

    def __init__(self, deferred_annotations: bool) -> None:
        self.deferred = deferred_annotations
        self.top = _Scope("module", None)
        self.scopes: list[_Scope] = [self.top]
        self.global_writes: set[str] = set()
        self._handlers: dict[type, Callable[[Any, _Scope, str], None]] = {
            ast.Name: self._name,
            ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function,
            ast.Lambda: self._lambda,
            ast.ClassDef: self._class,
            ast.Global: self._global,
            ast.Nonlocal: self._nonlocal,
            ast.Import: self._import,
            ast.ImportFrom: self._import,
            ast.AnnAssign: self._ann_assign,
            ast.Attribute: self._attribute,
            ast.Subscript: self._subscript,
            ast.Call: self._call,
            ast.NamedExpr: self._named_expr,
            ast.ExceptHandler: self._except_handler,
            ast.MatchAs: self._match_capture,
            ast.MatchStar: self._match_capture,
            ast.MatchMapping: self._match_mapping,
            ast.Assign: self._assign,
            ast.AugAssign: self._aug_assign,
            **{kind: self._comprehension for kind in _COMPREHENSIONS},
        }

    def statement(self, stmt: ast.stmt) -> None:
        self.visit(stmt, self.top, IMPORT_TIME)

    def module_uses(self, running_only: bool = False) -> list[tuple[str, str]]:
        """(name, kind) for every use that resolves to a module-level name, in walk order; with
        ``running_only``, only the uses in code that runs when the unit itself runs."""
        found: list[tuple[str, str]] = []
        for scope in self.scopes:
            if running_only and not scope.runs:
                continue
            for name, kind in scope.uses:
                if _resolves_to_module(scope, name):
                    found.append((name, kind))
            for name, kind in scope.early:
                if scope.parent is None or _resolves_to_module(scope.parent, name):
                    found.append((name, kind))
        return found

    def visit(self, node: ast.AST, scope: _Scope, kind: str) -> None:
        handler = self._handlers.get(type(node))
        if handler is not None:
            handler(node, scope, kind)
            return
        for child in ast.iter_child_nodes(node):
            self.visit(child, scope, kind)

    def visit_all(self, nodes: Sequence[ast.AST | None], scope: _Scope, kind: str) -> None:
        for node in nodes:
            if node is not None:
                self.visit(node, scope, kind)

    def _new_scope(self, kind: str, parent: _Scope) -> _Scope:
        # a function's body runs when the unit does only for the unit's own (top-level) function
        runs = parent.runs and (kind != "function" or parent is self.top)
        scope = _Scope(kind, parent, runs=runs)
        self.scopes.append(scope)
        return scope

    def _bind(self, scope: _Scope, name: str) -> None:
        if name in scope.globals and scope.kind != "module":
            self.global_writes.add(name)
            return
        scope.bound.add(name)

    def _name(self, node: ast.Name, scope: _Scope, kind: str) -> None:
        if isinstance(node.ctx, ast.Load):
            early = scope.kind == "class" and node.id not in scope.bound
            (scope.early if early else scope.uses).append((node.id, kind))
        else:
            self._bind(scope, node.id)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: _Scope, kind: str) -> None:
        self.visit_all(node.decorator_list, scope, kind)
        self._arguments(node.args, scope, kind)
        self._annotation(node.returns, scope, kind)
        self._bind(scope, node.name)
        inner = self._new_scope("function", scope)
        self._bind_parameters(node.args, inner)
        self._docstring(node.body)
        self.visit_all(node.body, inner, CALL_TIME)

    def _lambda(self, node: ast.Lambda, scope: _Scope, kind: str) -> None:
        self.visit_all([*node.args.defaults, *node.args.kw_defaults], scope, kind)
        inner = self._new_scope("function", scope)
        self._bind_parameters(node.args, inner)
        self.visit(node.body, inner, CALL_TIME)

    def _arguments(self, args: ast.arguments, scope: _Scope, kind: str) -> None:
        self.visit_all([*args.defaults, *args.kw_defaults], scope, kind)
        for arg in (*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg):
            if arg is not None:
                self._annotation(arg.annotation, scope, kind)

    def _bind_parameters(self, args: ast.arguments, scope: _Scope) -> None:
        for arg in (*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg):
            if arg is not None:
                scope.bound.add(arg.arg)

    def _annotation(self, node: ast.expr | None, scope: _Scope, kind: str) -> None:
        """Evaluated at definition time unless deferred (``from __future__ import annotations``)."""
        if node is None:
            return
        kind = ANNOTATION if self.deferred or kind == CALL_TIME else kind
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                self._string_annotation(sub.value, scope)
        self.visit(node, scope, kind)

    def _string_annotation(self, text: str, scope: _Scope) -> None:
        try:
            parsed = ast.parse(text.strip(), mode="eval")
        except (SyntaxError, ValueError):
            return
        for sub in ast.walk(parsed):
            if isinstance(sub, ast.Name):
                scope.uses.append((sub.id, ANNOTATION))

    def _class(self, node: ast.ClassDef, scope: _Scope, kind: str) -> None:
        self.visit_all([*node.decorator_list, *node.bases, *node.keywords], scope, kind)
        self._bind(scope, node.name)
        inner = self._new_scope("class", scope)
        self._docstring(node.body)
        self.visit_all(node.body, inner, kind)

    def _docstring(self, body: Sequence[ast.stmt]) -> None:
        """Names used by the doctests in a docstring: the doctest runs in the module's globals."""
        first = body[0] if body else None
        if not (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)):
            return
        text = first.value.value
        if not isinstance(text, str) or ">>>" not in text:
            return
        for line in _DOCTEST_LINE.findall(text):
            self.top.uses.extend((name, STRING) for name in _IDENTIFIER.findall(line))

    def _global(self, node: ast.Global, scope: _Scope, kind: str) -> None:
        scope.globals.update(node.names)

    def _nonlocal(self, node: ast.Nonlocal, scope: _Scope, kind: str) -> None:
        scope.nonlocals.update(node.names)

    def _import(self, node: ast.Import | ast.ImportFrom, scope: _Scope, kind: str) -> None:
        if scope is self.top:
            return
        for alias in node.names:
            if alias.name != "*":
                plain = isinstance(node, ast.Import) and not alias.asname
                self._bind(scope, alias.name.split(".")[0] if plain else (alias.asname or alias.name))

    def _ann_assign(self, node: ast.AnnAssign, scope: _Scope, kind: str) -> None:
        if scope.kind == "function":  # never evaluated inside a function body
            self._string_annotation(ast.unparse(node.annotation), scope)
            self.visit(node.annotation, scope, ANNOTATION)
        else:
            self._annotation(node.annotation, scope, kind)
        self.visit(node.target, scope, kind)
        if node.value is not None:
            self.visit(node.value, scope, kind)

    def _assign(self, node: ast.Assign, scope: _Scope, kind: str) -> None:
        if scope is self.top and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            self._all_strings(node.value)
        self.visit_all([node.value, *node.targets], scope, kind)  # Python's order: value first

    def _aug_assign(self, node: ast.AugAssign, scope: _Scope, kind: str) -> None:
        target = node.target
        if isinstance(target, ast.Name):
            if scope is self.top and target.id == "__all__":
                self._all_strings(node.value)
            scope.uses.append((target.id, kind))  # `x += 1` reads x first
        self.visit_all([target, node.value], scope, kind)

    def _all_strings(self, value: ast.AST) -> None:
        for sub in ast.walk(value):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                self.top.uses.append((sub.value, STRING))

    def _attribute(self, node: ast.Attribute, scope: _Scope, kind: str) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._mutation(node.value, scope)
        self.visit(node.value, scope, kind)

    def _subscript(self, node: ast.Subscript, scope: _Scope, kind: str) -> None:
        if not isinstance(node.ctx, ast.Load):
            self._mutation(node.value, scope)
        if _is_globals_call(node.value) and (literal := _literal(node.slice)) is not None:
            self.top.uses.append((literal, STRING))
        self.visit_all([node.value, node.slice], scope, kind)

    def _mutation(self, target: ast.expr, scope: _Scope) -> None:
        if scope.kind != "module" and isinstance(target, ast.Name):
            scope.uses.append((target.id, _MUTATE))

    def _call(self, node: ast.Call, scope: _Scope, kind: str) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _MUTATORS:
            self._mutation(func.value, scope)
            if scope is self.top and isinstance(func.value, ast.Name) and func.value.id == "__all__":
                for arg in node.args:
                    self._all_strings(arg)
        literal = _dynamic_lookup(node)
        if literal is not None:
            self.top.uses.append((literal, STRING))
        self.visit(func, scope, kind)
        self.visit_all([*node.args, *node.keywords], scope, kind)

    def _named_expr(self, node: ast.NamedExpr, scope: _Scope, kind: str) -> None:
        self.visit(node.value, scope, kind)
        target_scope = scope
        while target_scope.kind == "comprehension" and target_scope.parent is not None:
            target_scope = target_scope.parent
        self._bind(target_scope, node.target.id)

    def _except_handler(self, node: ast.ExceptHandler, scope: _Scope, kind: str) -> None:
        if node.type is not None:
            self.visit(node.type, scope, kind)
        if node.name:
            self._bind(scope, node.name)
        self.visit_all(node.body, scope, kind)

    def _match_capture(self, node: ast.MatchAs | ast.MatchStar, scope: _Scope, kind: str) -> None:
        if node.name:
            self._bind(scope, node.name)
        for child in ast.iter_child_nodes(node):
            self.visit(child, scope, kind)

    def _match_mapping(self, node: ast.MatchMapping, scope: _Scope, kind: str) -> None:
        if node.rest:
            self._bind(scope, node.rest)
        for child in ast.iter_child_nodes(node):
            self.visit(child, scope, kind)

    def _comprehension(self, node: ast.AST, scope: _Scope, kind: str) -> None:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        self.visit(generators[0].iter, scope, kind)  # evaluated in the enclosing scope
        inner = self._new_scope("comprehension", scope)
        for position, generator in enumerate(generators):
            self.visit(generator.target, inner, kind)
            if position:
                self.visit(generator.iter, inner, kind)
            self.visit_all(generator.ifs, inner, kind)
        if isinstance(node, ast.DictComp):
            self.visit_all([node.key, node.value], inner, kind)
        else:
            self.visit(node.elt, inner, kind)  # type: ignore[attr-defined]


def _dynamic_lookup(node: ast.Call) -> str | None:
    """The literal name in ``globals()["x"]``-like lookups: ``globals().get("x")``, ``getattr(mod, "x")``."""
    func = node.func
    first = node.args[0] if node.args else None
    if isinstance(func, ast.Attribute) and func.attr == "get" and _is_globals_call(func.value):
        return _literal(first)
    is_getattr = isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2
    if is_getattr and _is_this_module(node.args[0]):
        return _literal(node.args[1])
    return None


def _is_globals_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "globals"


def _is_this_module(node: ast.expr) -> bool:
    """``sys.modules[__name__]``."""
    return (
        isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Name)
        and node.slice.id == "__name__"
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "modules"
    )


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
        return node.value
    return None


def _resolves_to_module(scope: _Scope, name: str) -> bool:
    """Python's rule: the innermost function scope binding the name wins; class scopes only see
    their own body; ``global`` points at the module."""
    current: _Scope | None = scope
    first = True
    while current is not None and current.kind != "module":
        if name in current.globals:
            return True
        if (first or current.kind != "class") and (name in current.bound or name in current.nonlocals):
            return False
        first = False
        current = current.parent
    return True
