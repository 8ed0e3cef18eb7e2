"""What one top-level statement is to a split: its kind, the names it binds, why it is pinned.

Pinned statements stay in the facade (the old module): the docstring, ``from __future__`` imports,
``__all__`` and other dunder assignments, module ``__getattr__``/``__dir__``, the ``__main__`` block
and bare statements run for their side effects (moving those would change when or where they run).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

_COMPOUND = (
    ast.If,
    ast.Try,
    ast.TryStar,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Match,
)
_PINNED_FUNCTIONS = frozenset({"__getattr__", "__dir__"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@dataclass(frozen=True)
class Piece:
    """One LibCST body statement (possibly ``a = 1; b = 2``) as the planner sees it."""

    kind: str
    names: tuple[str, ...]
    pinned: str | None
    # module names a bare statement only mutates (`del TABLE[59]`, `REGISTRY["x"] = f`, `HANDLERS.append(h)`):
    # it belongs with the unit that defines them, or it would run in the facade after the definition moved
    mutates: tuple[str, ...] = ()


def classify(stmts: list[ast.stmt], index: int) -> Piece:
    """The piece for the ``ast`` statements of body statement ``index``."""
    if not stmts:  # only possible for a body statement the host ast lowered away
        return Piece("statement", (), "side-effect")
    if index == 0 and _is_docstring(stmts[0]):
        return Piece("statement", (), "docstring")
    if all(isinstance(stmt, ast.Import | ast.ImportFrom) for stmt in stmts):
        future = all(isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__" for stmt in stmts)
        return Piece("import", _bound_names(stmts), "future-import" if future else None)
    return _combine([_classify_one(stmt) for stmt in stmts])


def _combine(pieces: list[Piece]) -> Piece:
    """One piece for ``a = 1; b = 2``: every name, the first definition's kind, any pin."""
    names = tuple(dict.fromkeys(name for piece in pieces for name in piece.names))
    lead = next((piece for piece in pieces if piece.kind != "import"), pieces[0])
    pinned = next((piece.pinned for piece in pieces if piece.pinned), None)
    # a line of mutations only (`a[0] = 1; b.append(2)`) still travels with a and b; anything else pins it
    only_mutations = all(piece.mutates for piece in pieces)
    mutates = tuple(dict.fromkeys(n for piece in pieces for n in piece.mutates)) if only_mutations else ()
    return Piece(lead.kind, names, pinned, mutates)


def _classify_one(stmt: ast.stmt) -> Piece:
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
        pinned = f"{stmt.name}" if stmt.name in _PINNED_FUNCTIONS else None
        return Piece("function", (stmt.name,), pinned)
    if isinstance(stmt, ast.ClassDef):
        return Piece("class", (stmt.name,), None)
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        return Piece("import", _bound_names([stmt]), None)
    if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
        return _assignment(stmt)
    if isinstance(stmt, _COMPOUND):
        return _compound(stmt)
    return _bare_statement(stmt)


def _bare_statement(stmt: ast.stmt) -> Piece:
    """A statement that defines nothing: pinned, unless it only changes names defined earlier."""
    if isinstance(stmt, ast.Delete):  # `del M29, MASK[59]`: unbinds M29, mutates MASK
        plain = [target.id for target in stmt.targets if isinstance(target, ast.Name)]
        others = [target for target in stmt.targets if not isinstance(target, ast.Name)]
        mutated = _mutated(others) if others else ()
        changed = tuple(dict.fromkeys([*plain, *mutated])) if mutated or not others else ()
        return Piece("statement", _bound_names([stmt]), "side-effect", changed)
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        return Piece("statement", (), "side-effect", _mutated([stmt.value.func]))
    return Piece("statement", (), "side-effect")


def _mutated(targets: Sequence[ast.expr]) -> tuple[str, ...]:
    """The module names behind ``X[...]``/``X.attr`` targets (or a method call ``X.add(...)``); empty when any
    target is something else, so only plain mutations of named objects qualify."""
    names = []
    for target in targets:
        base = target.value if isinstance(target, ast.Subscript | ast.Attribute) else None
        if not isinstance(base, ast.Name):
            return ()
        names.append(base.id)
    return tuple(dict.fromkeys(names))


def _assignment(stmt: ast.Assign | ast.AnnAssign | ast.AugAssign) -> Piece:
    names = _bound_names([stmt])
    if "__all__" in names:
        return Piece("assignment", names, "__all__")
    if not names:  # `obj.attr = 1`, `table[key] = 2`: a mutation of something else
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return Piece("statement", (), "side-effect", _mutated(targets))
    if all(_is_dunder(name) for name in names):
        return Piece("assignment", names, "dunder")
    return Piece("assignment", names, None)


def _compound(stmt: ast.stmt) -> Piece:
    if isinstance(stmt, ast.If) and _is_main_guard(stmt.test):
        return Piece("statement", (), "main-block")
    names = _bound_names([stmt])
    if not names:
        return Piece("statement", (), "side-effect")
    if _only_imports(stmt):  # `try: import x except ImportError: import y`, `if TYPE_CHECKING: ...`
        return Piece("import", names, None)
    if "__all__" in names:
        return Piece("conditional", names, "__all__")
    return Piece("conditional", names, None)


def _bound_names(stmts: list[ast.stmt]) -> tuple[str, ...]:
    """Module-level names the statements bind, in order (not inside nested scopes)."""
    found: list[str] = []
    stack: list[ast.AST] = list(reversed(stmts))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.extend(_alias_name(alias, isinstance(node, ast.Import)) for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.append(node.name)  # its body is another scope
        elif not isinstance(node, (ast.Lambda, ast.Attribute, ast.Subscript, *_COMPREHENSIONS)):
            found.extend(_target_name(node))  # `a.b = 1` binds nothing at module level
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return tuple(dict.fromkeys(found))


def _target_name(node: ast.AST) -> list[str]:
    """The name a node binds in its scope, if it binds one."""
    if isinstance(node, ast.Name):
        return [node.id] if isinstance(node.ctx, ast.Store | ast.Del) else []
    if isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
        return [node.name] if node.name else []
    if isinstance(node, ast.MatchMapping):
        return [node.rest] if node.rest else []
    if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _alias_name(alias: ast.alias, plain_import: bool) -> str:
    if alias.asname:
        return alias.asname
    return alias.name.split(".")[0] if plain_import else alias.name


def _only_imports(stmt: ast.stmt) -> bool:
    """Whether every simple statement inside is an import, ``pass``, ``...`` or a raise."""
    for node in ast.walk(stmt):
        if isinstance(node, ast.stmt) and not isinstance(
            node, (ast.Import, ast.ImportFrom, ast.Pass, ast.Raise, *_COMPOUND)
        ):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue
            return False
    return True


def _is_main_guard(test: ast.expr) -> bool:
    if not isinstance(test, ast.Compare) or len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    has_name = any(isinstance(side, ast.Name) and side.id == "__name__" for side in sides)
    has_main = any(isinstance(side, ast.Constant) and side.value == "__main__" for side in sides)
    return has_name and has_main


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _is_dunder(name: str) -> bool:
    return len(name) > 4 and name.startswith("__") and name.endswith("__")
