"""Which module-level names are constants, and what literal expressions evaluate to.

Why: the pooling and lazy-attribute rewrites move *when* an expression is evaluated (a pool key is read at
each call instead of once per object; a lazy attribute's constructor runs at first access instead of in
``__init__``). That is only invisible when the expression reads nothing that can change in between:
literals, and module-level names bound exactly once at module level and never declared ``global`` by a
function. Rebinding from outside the module (a test's ``monkeypatch.setattr``) is still possible; the
pool rewrite reads the name at call time, so it follows such a rebinding.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import libcst as cst


@dataclass(frozen=True)
class ModuleScope:
    """Module-level constant names with their literal values (``None`` when not a literal)."""

    constants: dict[str, object] = field(default_factory=dict)
    literal_constants: frozenset[str] = frozenset()
    bound: frozenset[str] = frozenset()  # every name bound at module level
    imported: frozenset[str] = frozenset()  # bound once, by an import (``from psycopg.rows import dict_row``)

    def is_constant(self, name: str) -> bool:
        return name in self.constants or name in self.imported


def module_scope(module: cst.Module | str) -> ModuleScope:
    """Constants of ``module``: names bound once at module level by a plain assignment."""
    tree = ast.parse(module.code if isinstance(module, cst.Module) else module)
    bound: Counter[str] = Counter()
    values: dict[str, ast.expr | None] = {}
    by_import: set[str] = set()
    for stmt in _module_level_statements(tree.body):
        for name, value in _bindings(stmt):
            bound[name] += 1
            values[name] = value
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                by_import.add(name)
    declared_global = {
        name for node in ast.walk(tree) if isinstance(node, ast.Global | ast.Nonlocal) for name in node.names
    }
    once = {name for name, count in bound.items() if count == 1 and name not in declared_global}
    constants, literals = _constants({name: values[name] for name in once})
    return ModuleScope(constants, literals, frozenset(bound), frozenset(once & by_import))


def _constants(values: dict[str, ast.expr | None]) -> tuple[dict[str, object], frozenset[str]]:
    """(name -> literal value or None, names whose value is a literal) of plain assignments."""
    constants: dict[str, object] = {}
    literals = set()
    for name, value in values.items():
        if value is None:
            continue
        literal = literal_of(value)
        constants[name] = literal
        if literal is not None or _is_none(value):
            literals.add(name)
    return constants, frozenset(literals)


def _module_level_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements that run at module level, including those inside top-level if/try/with/for blocks."""
    found: list[ast.stmt] = []
    for stmt in body:
        found.append(stmt)
        if isinstance(stmt, ast.If | ast.For | ast.While | ast.With | ast.AsyncFor | ast.AsyncWith):
            found.extend(_module_level_statements([*stmt.body, *getattr(stmt, "orelse", [])]))
        elif isinstance(stmt, ast.Try | ast.TryStar):
            inner = [*stmt.body, *stmt.orelse, *stmt.finalbody]
            inner.extend(s for handler in stmt.handlers for s in handler.body)
            found.extend(_module_level_statements(inner))
    return found


def _bindings(stmt: ast.stmt) -> list[tuple[str, ast.expr | None]]:
    """(name, value) for each name ``stmt`` binds; value None when it is not a plain assignment."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return [(stmt.targets[0].id, stmt.value)]
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        return [(stmt.target.id, stmt.value)]
    return [(name, None) for name in _bound_names(stmt)]


def _bound_names(stmt: ast.stmt) -> list[str]:
    """Names bound by ``stmt`` itself (for compound statements: by their header only)."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [stmt.name]
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        return [(a.asname or a.name).split(".")[0] for a in stmt.names]
    heads = _HEADS.get(type(stmt))
    nodes: list[ast.AST] = heads(stmt) if heads is not None else [stmt]
    return [n.id for node in nodes for n in _target_names(node) if isinstance(n.ctx, ast.Store | ast.Del)]


_HEADS: dict[type, Callable[[Any], list[ast.AST]]] = {
    ast.If: lambda s: [s.test],
    ast.While: lambda s: [s.test],
    ast.For: lambda s: [s.target, s.iter],
    ast.AsyncFor: lambda s: [s.target, s.iter],
    ast.With: lambda s: [i.optional_vars for i in s.items if i.optional_vars is not None],
    ast.AsyncWith: lambda s: [i.optional_vars for i in s.items if i.optional_vars is not None],
    ast.Try: lambda s: [],
    ast.TryStar: lambda s: [],
}


def _target_names(target: ast.AST) -> list[ast.Name]:
    return [n for n in ast.walk(target) if isinstance(n, ast.Name)]


def _is_none(value: ast.expr) -> bool:
    return isinstance(value, ast.Constant) and value.value is None


def literal_of(value: ast.expr) -> object:
    """The value of a literal expression (strings, numbers, tuples of them...); None otherwise."""
    try:
        return ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def cst_literal(node: cst.BaseExpression) -> tuple[bool, object]:
    """(is a literal, its value) for a LibCST expression."""
    code = cst.Module(body=[]).code_for_node(node)
    try:  # parenthesised: implicitly concatenated strings may span lines
        return True, ast.literal_eval(f"(\n{code}\n)")
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None
