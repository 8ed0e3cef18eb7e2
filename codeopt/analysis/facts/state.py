"""The walk's mutable state and the machinery every part of it shares.

:class:`WalkerBase` holds the state of the one walk (scopes, the statement frames of the current
function, module-level guards, what each part collects) and the helpers every part uses: the scope
stack, *when* the current code runs (:meth:`WalkerBase.context`), name resolution through the
imports, and the queued reads that are resolved when a scope ends. The parts of the walk
(:mod:`.imports`, :mod:`.resources`, :mod:`.attributes`, :mod:`.shapes`) extend it, and
:mod:`.walker` combines them into the one visitor.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from codeopt.analysis.facts.model import FunctionShape, NameUse, UseContext, UseRole

_BUILTINS = frozenset(dir(builtins))


@dataclass(eq=False)
class Creation:
    """A resource creation being followed through its function (mutable until the function ends)."""

    lineno: int
    end_lineno: int
    callee: str
    root: str  # the local name the callee resolved through
    call_text: str
    binding: str
    via_with: bool
    via_closing: bool
    in_loop: bool
    arg_names: tuple[str, ...]
    methods: list[str] = field(default_factory=list)
    closed: bool = False
    closed_in_finally: bool = False
    used_as_context: bool = False
    returned: bool = False
    returned_derived: str = ""
    escapes: list[str] = field(default_factory=list)
    passed_to: list[str] = field(default_factory=list)

    def escape(self, how: str) -> None:
        if how not in self.escapes:
            self.escapes.append(how)


@dataclass(eq=False)
class Frame:
    """A compound statement of the function being walked, with the complexity found inside it."""

    node: ast.stmt
    depth: int  # 1 = directly in the function body; -1 = not in a function (not measured)
    weight: int = 0
    decisions: int = 0
    exits: set[str] = field(default_factory=set)  # return/yield/break/continue leaving the statement


@dataclass(eq=False)
class ClassInfo:
    qualname: str
    lineno: int
    bases: tuple[str, ...]
    has_slots: bool = False
    is_dataclass: bool = False
    frozen_dataclass: bool = False
    custom_getattr: bool = False
    methods: list[str] = field(default_factory=list)
    touched: dict[str, set[str]] = field(default_factory=dict)  # method -> self attributes it touches
    init_reads: dict[str, list[int]] = field(default_factory=dict)  # attribute -> lines read in __init__
    eager: list[tuple[ast.Attribute, ast.expr, ast.stmt, Scope, bool]] = field(default_factory=list)


@dataclass(eq=False)
class Scope:
    kind: str  # module | class | function | lambda | comprehension
    qualname: str
    node: ast.AST | None = None
    stores: set[str] = field(default_factory=set)
    params: set[str] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    pending: list[tuple[str, NameUse]] = field(default_factory=list)  # reads not resolved yet
    imports: dict[str, str] = field(default_factory=dict)  # function-local imports: name -> dotted
    # function scopes
    is_async: bool = False
    is_method: bool = False  # has an instance first parameter (not static/class methods)
    is_init: bool = False
    self_name: str = ""
    has_yield: bool = False
    tracked: dict[str, Creation] = field(default_factory=dict)  # variable -> the resource it holds
    derived: dict[str, tuple[Creation, str]] = field(default_factory=dict)  # cursor -> (conn, "cursor")
    creations: list[Creation] = field(default_factory=list)
    loads: list[tuple[str, int]] = field(default_factory=list)  # every read (for block outputs)
    decisions: int = 0
    weight: int = 0
    max_depth: int = 0
    deepest_line: int = 0
    blocks: list[Frame] = field(default_factory=list)
    # class scopes
    cls: ClassInfo | None = None


def qualname(scope: Scope, name: str) -> str:
    """The qualified name of ``name`` defined in ``scope``."""
    if scope.kind == "module":
        return name
    if scope.kind == "class":
        return f"{scope.qualname}.{name}"
    return f"{scope.qualname}.<locals>.{name}"


class WalkerBase(ast.NodeVisitor):
    """The state of the one pass over a module, and the helpers all its parts share. Reads are
    queued per scope and resolved when the scope ends, so a local variable that shadows an import
    (``def f(json): ...``) is never counted as a use of it."""

    # ``visit`` caches the method of each node type here; the concrete walker owns the dict
    _dispatch: ClassVar[dict[type[ast.AST], Callable[[Any, Any], None]]]

    def __init__(self, lines: Sequence[str], module: str, is_package: bool) -> None:
        self.lines = lines
        self.module = module
        self.is_package = is_package
        self.future_annotations = False
        self.scopes: list[Scope] = [Scope("module", "")]
        self.functions: list[Scope] = []  # the function scopes among ``scopes``
        self.function_depth = 0  # function and lambda scopes among ``scopes``
        self.position: UseContext | None = None  # set while visiting decorators, defaults, bases, ...
        # module-level guards around the current statement
        self.type_checking = 0
        self.main_block = False  # inside ``if __name__ == "__main__":`` at module level
        self.try_depth = 0
        self.optional_depth = 0
        self.handler_depth = 0
        self.if_depth = 0
        # the current function's statements
        self.loop_depth = 0
        self.finally_depth = 0
        self.depth = 0  # compound-statement nesting inside the current function
        self.frames: list[Frame] = []
        self.hints: dict[int, tuple[UseRole, str]] = {}  # Name/Attribute node id -> how it is used
        self.flows: dict[int, str] = {}  # Name node id -> where a tracked object goes
        # imports and exports
        self.module_imports: dict[str, str] = {}
        self.rows: list[dict[str, Any]] = []
        # module-level bindings of each name: (line, handler tag, plain package import); the tag is
        # "handler:<try line>" inside an except; ``import a.b`` binds the same package object as any
        # other plain ``import a.x``
        self.module_stores: dict[str, list[tuple[int, str, bool]]] = {}
        self.tries: list[tuple[int, bool]] = []  # module-level try statements: (line, in a handler)
        self.uses: dict[str, list[NameUse]] = {}
        self.exports: list[str] | None = None
        self.exports_dynamic = False
        self.module_getattr = False
        self.dynamic_lines: list[int] = []
        # resources, classes, functions
        self.loop_called: set[str] = set()
        self.pending_resources: list[tuple[Creation, Scope]] = []
        self.classes: list[ClassInfo] = []
        self.shapes: list[FunctionShape] = []

    # -- scopes and contexts ----------------------------------------------------------------------
    @property
    def scope(self) -> Scope:
        return self.scopes[-1]

    def function_scope(self) -> Scope | None:
        return self.functions[-1] if self.functions else None

    def push(self, scope: Scope) -> None:
        self.scopes.append(scope)
        if scope.kind == "function":
            self.functions.append(scope)
        if scope.kind in ("function", "lambda"):
            self.function_depth += 1

    def pop(self) -> None:
        scope = self.scopes.pop()
        if scope.kind == "function":
            self.functions.pop()
        if scope.kind in ("function", "lambda"):
            self.function_depth -= 1

    def visit(self, node: ast.AST) -> None:
        """``NodeVisitor.visit`` with the method lookup cached per node type (the walk's hot path)."""
        kind = type(node)
        method = self._dispatch.get(kind)
        if method is None:
            found: Callable[[Any, Any], None] = getattr(
                type(self), "visit_" + kind.__name__, WalkerBase.generic_visit
            )
            method = self._dispatch[kind] = found
        method(self, node)

    def visit_body(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.visit(stmt)

    def own_function(self) -> Scope | None:
        """The current scope when it is a function body (not a lambda/comprehension inside one)."""
        scope = self.scope
        return scope if scope.kind == "function" else None

    def in_function(self) -> bool:
        return self.function_depth > 0

    def context(self) -> UseContext:
        if self.in_function():
            return UseContext.FUNCTION_BODY
        if self.type_checking:
            return UseContext.TYPE_CHECKING
        if self.main_block:
            return UseContext.MAIN_BLOCK
        if self.position is not None:
            return self.position
        return UseContext.CLASS_BODY if self.scope.kind == "class" else UseContext.MODULE_LEVEL

    def with_position(self, position: UseContext, nodes: Iterable[ast.AST | None]) -> None:
        previous, self.position = self.position, position
        try:
            for node in nodes:
                if node is not None:
                    self.visit(node)
        finally:
            self.position = previous

    def segment(self, node: ast.AST, *, one_line: bool = True, limit: int = 120) -> str:
        """The node's source text (joined to one line and shortened unless ``one_line`` is False)."""
        lineno: int = getattr(node, "lineno", 0)
        end: int = getattr(node, "end_lineno", None) or lineno
        col: int = getattr(node, "col_offset", 0)
        end_col: int | None = getattr(node, "end_col_offset", None)
        if not lineno or end > len(self.lines):
            return ""
        if lineno == end:
            text = self.lines[lineno - 1][col:end_col]
        else:
            chunk = [
                self.lines[lineno - 1][col:],
                *self.lines[lineno : end - 1],
                self.lines[end - 1][:end_col],
            ]
            text = " ".join(part.strip() for part in chunk) if one_line else "\n".join(chunk)
        if one_line and len(text) > limit:
            text = text[: limit - 3] + "..."
        return text

    # -- name resolution --------------------------------------------------------------------------
    def resolve_relative(self, level: int, name: str | None) -> str:
        """``from ..x import y`` against the file's module; kept as written ("..x") when unknown."""
        if not level:
            return name or ""
        parts = self.module.split(".") if self.module else []
        if not self.is_package:
            parts = parts[:-1]
        if not self.module or level - 1 > len(parts):
            return "." * level + (name or "")
        parts = parts[: len(parts) - (level - 1)]
        return ".".join([*parts, *([name] if name else [])])

    def lookup_import(self, name: str) -> str | None:
        for scope in reversed(self.scopes):
            if scope.kind == "class" and scope is not self.scope:
                continue  # class namespaces are invisible from nested scopes
            if name in scope.imports:
                return scope.imports[name]
            if scope.kind in ("function", "lambda", "comprehension") and (
                name in scope.params or name in scope.stores
            ):
                return None
        return self.module_imports.get(name)

    def dotted(self, node: ast.expr) -> tuple[str, str]:
        """(resolved dotted name, local root name) of a Name/Attribute chain; ("", "") if unknown."""
        attrs: list[str] = []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return "", ""
        target = self.lookup_import(node.id)
        if target is None:
            shadowed = node.id in self.module_stores or any(
                node.id in s.stores or node.id in s.params for s in self.scopes[1:]
            )
            if node.id not in _BUILTINS or shadowed:
                return "", ""
            target = node.id
        return ".".join([target, *reversed(attrs)]), node.id

    # -- reads and writes -------------------------------------------------------------------------
    def hint(self, node: ast.AST | None, role: UseRole, attribute: str = "") -> None:
        if node is None:
            return
        for elt in node.elts if isinstance(node, ast.Tuple) else [node]:
            self.hints[id(elt)] = (role, attribute)

    def store(self, name: str, lineno: int) -> None:
        scope = self.scope
        if scope.kind in ("function", "lambda") and name in scope.globals:
            self.module_stores.setdefault(name, []).append((lineno, "", False))
            return
        scope.stores.add(name)
        if scope.kind == "module":
            self.module_stores.setdefault(name, []).append((lineno, self.store_tag(), False))
        elif scope.kind == "function":
            scope.tracked.pop(name, None)
            scope.derived.pop(name, None)

    def store_tag(self) -> str:
        """The tag of a module-level binding: ``handler:<try line>`` inside an ``except``, else empty."""
        for line, in_handler in reversed(self.tries):
            if in_handler:
                return f"handler:{line}"
        return ""

    def read(self, name: str, lineno: int, role: UseRole, attribute: str, context: UseContext) -> None:
        fn = self.function_scope()
        where = fn.qualname if fn is not None else ""
        self.scope.pending.append((name, NameUse(context, role, lineno, attribute, where)))
        if fn is not None:
            fn.loads.append((name, lineno))

    def finish_scope(self, scope: Scope) -> None:
        """Resolve the scope's queued reads: local ones vanish, free ones move outwards."""
        if scope.kind == "module":
            for name, use in scope.pending:
                self.uses.setdefault(name, []).append(use)
            return
        target = self.scope  # the scope list no longer holds ``scope``
        if scope.kind != "class":
            target = next(s for s in reversed(self.scopes) if s.kind != "class")
        local = (scope.stores | scope.params | set(scope.imports)) - scope.nonlocals
        for name, use in scope.pending:
            if name in scope.globals:
                self.uses.setdefault(name, []).append(use)
            elif name not in local:
                target.pending.append((name, use))
        for creation in scope.creations:
            if creation.root not in scope.stores or creation.root in scope.imports:
                self.pending_resources.append((creation, scope))
