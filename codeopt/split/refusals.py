"""What a split cannot preserve: code that treats its own module as data.

A split moves definitions into new modules and leaves a facade at the old path. Anything that reaches
the module *object* or its namespace by reflection sees a different namespace afterwards: a
``globals()`` scan finds only the facade's names (or a submodule's), ``sys.modules[__name__] = ...``
replaces the facade, modules registered into ``sys.modules`` under ``__name__ + ".x"`` collide with the
new package's submodules (six), and ``exec``/``eval`` without an explicit namespace run against a
namespace that no longer holds every name. These are refused with the line and reason so the user can
decide (and override); guessing would silently change behaviour.

The scan is syntactic (the standard ``ast``): it looks at the shapes that matter and nothing else, so it
is cheap enough to run before planning.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class Refusal:
    """One construct the split cannot preserve: where it is and why."""

    line: int
    reason: str


class _HasSource(Protocol):
    @property
    def source(self) -> str: ...

    @property
    def path(self) -> Path: ...


def find_refusals(inv: _HasSource) -> tuple[Refusal, ...]:
    """Every construct of the module that a split would break, in line order (one per line and reason)."""
    return refusals_in_source(inv.source)


def refusals_in_source(source: str) -> tuple[Refusal, ...]:
    """The same scan over plain source text (used by tests and by callers without an inventory)."""
    tree = ast.parse(source)
    scanner = _Scanner(_sys_aliases(tree))
    scanner.visit(tree)
    unique = sorted(set(scanner.found), key=lambda refusal: (refusal.line, refusal.reason))
    return tuple(unique)


def _sys_aliases(tree: ast.Module) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Names bound to ``sys``, to ``sys.modules`` and to ``sys.meta_path`` anywhere in the module."""
    sys_names = {"sys"}
    modules_names: set[str] = set()
    meta_names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            sys_names.update(alias.asname or "sys" for alias in node.names if alias.name == "sys")
        elif isinstance(node, ast.ImportFrom) and node.module == "sys" and not node.level:
            for alias in node.names:
                if alias.name == "modules":
                    modules_names.add(alias.asname or alias.name)
                elif alias.name == "meta_path":
                    meta_names.add(alias.asname or alias.name)
    return frozenset(sys_names), frozenset(modules_names), frozenset(meta_names)


_REPLACES_ITSELF = (
    "replaces its own entry in sys.modules; after a split the old path is a package facade, so the"
    " replacement would hide the new submodules"
)
_REGISTERS = (
    "registers modules into sys.modules at run time; the names it registers can collide with the"
    " package the split creates, and code moved to a submodule would register them under another name"
)
_IMPORT_HOOK = (
    "installs an import hook (sys.meta_path) that serves this module's own dotted names; it would"
    " shadow or be shadowed by the new package's submodules"
)
_CLASS_SWAP = "assigns __class__ on a module object; the facade of a split replaces the module's class itself"
_GLOBALS_WRITE = (
    "writes module names through globals(); after a split they would land in one submodule and stay"
    " invisible to the others and to the facade"
)
_GLOBALS_SCAN = (
    "scans its own globals(); after a split each file sees only the names it defines or imports, so the"
    " scan would find fewer names"
)
_GLOBALS_READ = (
    "looks names up through globals(); after a split the lookup runs in one submodule's namespace and"
    " can miss names defined in the others"
)
_EXEC_MODULE = (
    "runs exec/eval at module level; the generated names and the code's view of the namespace cannot be"
    " divided between submodules"
)
_EXEC_IMPLICIT = (
    "calls exec/eval without an explicit namespace; the code would run against one submodule's globals"
    " instead of the whole module's"
)
_SCANNING_CALLS = frozenset({"items", "keys", "values", "copy"})
_WRITING_CALLS = frozenset({"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__"})


class _Scanner(ast.NodeVisitor):
    """Collects refusals; tracks whether the walk is inside a function (module-level code is stricter)."""

    def __init__(self, aliases: tuple[frozenset[str], frozenset[str], frozenset[str]]) -> None:
        self.sys_names, self.modules_names, self.meta_names = aliases
        self.found: list[Refusal] = []
        self.function_depth = 0
        self.class_depth = 0  # inside a class body, locals()/vars() are the class namespace
        self.parents: dict[ast.AST, ast.AST] = {}

    def add(self, node: ast.AST, reason: str) -> None:
        self.found.append(Refusal(getattr(node, "lineno", 0), reason))

    def generic_visit(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            self.parents[child] = node
        super().generic_visit(node)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self.function_depth += 1
        self.generic_visit(node)
        self.function_depth -= 1

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for child in ast.iter_child_nodes(node):
            self.parents[child] = node
        for header in (*node.decorator_list, *node.bases, *node.keywords):
            self.visit(header)  # evaluated in the enclosing scope
        self.class_depth += 1
        for statement in node.body:
            self.visit(statement)
        self.class_depth -= 1

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function
    visit_Lambda = _visit_function

    def is_sys_attr(self, node: ast.AST, attr: str, aliases: frozenset[str]) -> bool:
        if isinstance(node, ast.Name):
            return node.id in aliases
        return (
            isinstance(node, ast.Attribute)
            and node.attr == attr
            and isinstance(node.value, ast.Name)
            and node.value.id in self.sys_names
        )

    def is_sys_modules(self, node: ast.AST) -> bool:
        return self.is_sys_attr(node, "modules", self.modules_names)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, ast.Store) and self.is_sys_modules(node.value):
            own = isinstance(node.slice, ast.Name) and node.slice.id == "__name__"
            self.add(node, _REPLACES_ITSELF if own else _REGISTERS)
        if isinstance(node.ctx, ast.Store) and self.is_sys_attr(node.value, "meta_path", self.meta_names):
            self.add(node, _IMPORT_HOOK)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if (
            isinstance(node.ctx, ast.Store)
            and node.attr == "__class__"
            and _mentions_module(node.value, self)
        ):
            self.add(node, _CLASS_SWAP)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            if self.is_sys_modules(func.value) and func.attr in _WRITING_CALLS - {"pop", "popitem", "clear"}:
                self.add(node, _REGISTERS)
            if self.is_sys_attr(func.value, "meta_path", self.meta_names) and func.attr in {
                "append",
                "insert",
            }:
                self.add(node, _IMPORT_HOOK)
        if isinstance(func, ast.Name):
            self._check_builtin_call(node, func.id)
        self.generic_visit(node)

    def _check_builtin_call(self, node: ast.Call, name: str) -> None:
        module_namespace = self.function_depth == 0 and self.class_depth == 0
        if name == "globals" or (name in {"vars", "locals"} and not node.args and module_namespace):
            self.add(node, self._namespace_use(node))
        elif name in {"exec", "eval"}:
            if self.function_depth == 0:
                self.add(node, _EXEC_MODULE)
            elif len(node.args) < 2 and not any(keyword.arg == "globals" for keyword in node.keywords):
                self.add(node, _EXEC_IMPLICIT)

    def _namespace_use(self, call: ast.Call) -> str:
        """Classify what the code does with the namespace dict returned by ``call``."""
        parent = self.parents.get(call)
        if isinstance(parent, ast.Subscript):
            grand = self.parents.get(parent)
            if isinstance(parent.ctx, ast.Store | ast.Del) or isinstance(grand, ast.AugAssign):
                return _GLOBALS_WRITE
            return _GLOBALS_READ
        if isinstance(parent, ast.Attribute):
            if parent.attr in _WRITING_CALLS:
                return _GLOBALS_WRITE
            if parent.attr in _SCANNING_CALLS:
                return _GLOBALS_SCAN
            return _GLOBALS_READ
        if isinstance(parent, ast.Call) and parent.func is not call and _is_exec(parent):
            return _EXEC_IMPLICIT
        return _GLOBALS_SCAN


def _is_exec(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Name) and call.func.id in {"exec", "eval"}


def _mentions_module(node: ast.AST, scanner: _Scanner) -> bool:
    """Whether an expression plausibly denotes a module object (``sys.modules[...]``, ``__name__``)."""
    for inner in ast.walk(node):
        if scanner.is_sys_modules(inner):
            return True
        if isinstance(inner, ast.Name) and inner.id == "__name__":
            return True
    return False
