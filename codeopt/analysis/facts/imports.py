"""Import bindings and their uses: the part of the walk behind :class:`ImportBinding`.

A shallow pre-pass binds every module-level import first (so that a call in a function resolves an
import written below it); the walk then records each import with its guards (``try``/``except
ImportError``, ``TYPE_CHECKING``, ``if``, ``__main__``), reads annotations as uses (also inside
strings), and follows ``__all__``. Uses themselves are queued by :meth:`WalkerBase.read` and resolved
when their scope ends.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from codeopt.analysis.facts.model import ImportBinding, NameUse, UseContext, UseRole
from codeopt.analysis.facts.state import WalkerBase
from codeopt.analysis.facts.syntax import decorator_name

_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_NO_BLOCKS: tuple[list[ast.stmt], ...] = ()


class ImportTracking(WalkerBase):
    """Import statements, guards, annotations and ``__all__``."""

    # -- the pre-pass -----------------------------------------------------------------------------
    def collect_module_imports(self, body: Iterable[ast.stmt]) -> None:
        """A shallow pre-pass so calls in functions resolve imports written below the function."""
        for stmt in body:
            if isinstance(stmt, ast.Import):
                self.prebind_import(stmt)
            elif isinstance(stmt, ast.ImportFrom):
                self.prebind_import_from(stmt)
            else:
                for block in _module_level_blocks(stmt):
                    self.collect_module_imports(block)

    def prebind_import(self, stmt: ast.Import) -> None:
        for alias in stmt.names:
            bound = alias.asname or alias.name.split(".", 1)[0]
            self.module_imports.setdefault(bound, alias.name if alias.asname else bound)

    def prebind_import_from(self, stmt: ast.ImportFrom) -> None:
        base = self.resolve_relative(stmt.level, stmt.module)
        for alias in stmt.names:
            if alias.name != "*":
                self.module_imports.setdefault(alias.asname or alias.name, _from_target(base, alias.name))

    # -- import statements ------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".", 1)[0]
            target = alias.name if alias.asname else bound
            self.add_import(node, bound, alias.name, "", alias.asname or "", target)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self.resolve_relative(node.level, node.module)
        for alias in node.names:
            full = _from_target(base, alias.name)
            self.add_import(node, alias.asname or alias.name, base, alias.name, alias.asname or "", full)

    def add_import(
        self,
        node: ast.Import | ast.ImportFrom,
        bound: str,
        module: str,
        imported: str,
        alias: str,
        target: str,
    ) -> None:
        scope = self.scope
        if module == "__future__":
            return  # a compiler directive, not a binding
        if scope.kind != "module":
            if imported != "*":
                scope.imports[bound] = target
                if scope.kind == "function":
                    scope.tracked.pop(bound, None)
            return
        star = imported == "*"
        if not star:
            plain_package = isinstance(node, ast.Import) and not alias
            self.module_stores.setdefault(bound, []).append((node.lineno, self.store_tag(), plain_package))
        self.rows.append(
            {
                "name": bound,
                "module": module,
                "imported": imported,
                "alias": alias,
                "lineno": node.lineno,
                "end_lineno": node.end_lineno or node.lineno,
                "level": node.level if isinstance(node, ast.ImportFrom) else 0,
                "statement_names": len(node.names),
                **self.import_guards(),
                "star": star,
            }
        )

    def import_guards(self) -> dict[str, Any]:
        """How the module-level import being recorded is guarded (the ImportBinding flags)."""
        return {
            "in_try": self.try_depth > 0,
            "optional": self.optional_depth > 0,
            "fallback": self.handler_depth > 0,
            "type_checking": self.type_checking > 0,
            "conditional": self.if_depth > 0,
            "main_block": self.main_block,
            "try_line": next((line for line, handler in reversed(self.tries) if not handler), 0),
        }

    # -- guards -----------------------------------------------------------------------------------
    def visit_guard(self, node: ast.If) -> bool:
        """Visit ``if TYPE_CHECKING:`` (outside functions) or ``if __name__ == "__main__":`` (at
        module level) with its guard noted; False, and nothing visited, for any other ``if``."""
        if not self.in_function() and _is_type_checking(node.test):
            self.visit(node.test)
            self.type_checking += 1
            try:
                self.visit_body(node.body)
            finally:
                self.type_checking -= 1
        elif self.scope.kind == "module" and _is_main_guard(node.test):
            self.visit(node.test)
            self.main_block = True
            try:
                self.visit_body(node.body)
            finally:
                self.main_block = False
        else:
            return False
        self.visit_body(node.orelse)
        return True

    # -- annotations ------------------------------------------------------------------------------
    def signature_annotation_context(self) -> UseContext:
        if self.future_annotations:
            return UseContext.DEFERRED_ANNOTATION
        return UseContext.FUNCTION_BODY if self.in_function() else UseContext.ANNOTATION

    def visit_annotation(self, node: ast.expr | None, context: UseContext) -> None:
        """Annotations are read, not visited: their names (also inside strings) are recorded as uses."""
        if node is None:
            return
        if self.type_checking and context is not UseContext.DEFERRED_ANNOTATION:
            context = UseContext.TYPE_CHECKING
        for sub in _annotation_names(node):
            if isinstance(sub, ast.Name):
                self.read(sub.id, sub.lineno, UseRole.REFERENCE, "", context)
            else:
                root, first = _attribute_root(sub)
                if root is not None:
                    self.read(root.id, root.lineno, UseRole.ATTRIBUTE, first, context)

    # -- __all__ ----------------------------------------------------------------------------------
    def note_exports(self, targets: Sequence[ast.expr], value: ast.expr) -> None:
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            self.exports = []
            self.extend_exports(value)

    def note_exports_call(self, call: ast.expr) -> None:
        """``__all__.append(name)`` and ``__all__.extend(names)`` at module level."""
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id == "__all__"
            and call.args
        ):
            return
        if call.func.attr == "append":
            self.extend_exports(ast.List(elts=[call.args[0]]))
        elif call.func.attr == "extend":
            self.extend_exports(call.args[0])

    def extend_exports(self, value: ast.expr) -> None:
        names = _string_list(value)
        if self.exports is None:
            self.exports = []
        if names is None:
            self.exports_dynamic = True
        else:
            self.exports.extend(names)

    # -- results ----------------------------------------------------------------------------------
    def import_bindings(self) -> Iterator[ImportBinding]:
        exported = set(self.exports or ())
        for row in self.rows:
            name = row["name"]
            uses = [] if row["star"] else sorted(self.uses.get(name, ()), key=lambda u: u.lineno)
            if name in exported:
                uses.append(NameUse(UseContext.EXPORT, UseRole.EXPORT, 0))
            rebound, fallback = self.other_bindings(name, row)
            yield ImportBinding(**row, uses=tuple(uses), rebound_lines=rebound, fallback_lines=fallback)

    def other_bindings(self, name: str, row: Mapping[str, Any]) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(rebinding lines, fallback lines) of an imported name, besides its own import.

        Another plain ``import a.x`` binds the same package ``a`` as ``import a.b``: not a rebinding.
        A binding inside an ``except`` of the import's own ``try`` is the optional-dependency fallback.
        """
        if row["star"]:
            return (), ()
        plain = not row["imported"] and not row["alias"]
        # only an ``except ImportError`` makes a binding the optional-dependency fallback
        own_try = f"handler:{row['try_line']}" if row["try_line"] and row["optional"] else None
        rebound: set[int] = set()
        fallback: set[int] = set()
        for line, tag, plain_package in self.module_stores.get(name, ()):
            if line == row["lineno"] or (plain and plain_package):
                continue
            (fallback if own_try is not None and tag == own_try else rebound).add(line)
        return tuple(sorted(rebound)), tuple(sorted(fallback))


def _from_target(base: str, name: str) -> str:
    """The dotted name ``from base import name`` binds (``base`` may be a relative "..")."""
    return f"{base}.{name}" if base and not base.endswith(".") else base + name


def _module_level_blocks(stmt: ast.stmt) -> Sequence[list[ast.stmt]]:
    """The statement lists of a module-level ``if``/``with``/``try`` that can hold imports, in order."""
    if isinstance(stmt, ast.If):
        return stmt.body, stmt.orelse
    if isinstance(stmt, ast.With):
        return (stmt.body,)
    if isinstance(stmt, ast.Try | ast.TryStar):
        return stmt.body, *(handler.body for handler in stmt.handlers), stmt.orelse, stmt.finalbody
    return _NO_BLOCKS


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def catches_import_error(handler: ast.ExceptHandler) -> bool:
    """An ``except`` that catches ImportError (bare, or a base of it): the optional-dependency form."""
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(decorator_name(kind) in _IMPORT_ERRORS for kind in kinds)


def _string_list(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        names = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return names if len(names) == len(node.elts) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string_list(node.left), _string_list(node.right)
        return None if left is None or right is None else left + right
    return None


def _attribute_root(node: ast.Attribute) -> tuple[ast.Name | None, str]:
    """``a.b.c`` -> (a, "b")."""
    first = node.attr
    value: ast.expr = node
    while isinstance(value, ast.Attribute):
        first = value.attr
        value = value.value
    return (value, first) if isinstance(value, ast.Name) else (None, "")


def _annotation_names(node: ast.expr) -> Iterator[ast.Name | ast.Attribute]:
    """Names an annotation refers to, also inside string annotations; not inside ``Literal[...]`` nor
    the metadata of ``Annotated[...]`` (strings there are values, not type expressions)."""
    stack: list[ast.AST] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Name) or (
            isinstance(current, ast.Attribute) and _attribute_root(current)[0] is not None
        ):
            yield current
        else:
            stack.extend(_annotation_parts(current))


def _annotation_parts(node: ast.AST) -> list[ast.AST]:
    """What to look into for names, in an annotation node that is not itself a (dotted) name."""
    if isinstance(node, ast.Attribute):
        return [node.value]  # a chain on a call or subscript: ``a().b``
    if isinstance(node, ast.Constant):
        return _string_annotation(node.value, node.lineno) if isinstance(node.value, str) else []
    if isinstance(node, ast.Subscript):
        special = decorator_name(node.value)
        if special == "Annotated" and isinstance(node.slice, ast.Tuple) and node.slice.elts:
            return [node.value, node.slice.elts[0]]  # the type, not its metadata
        return [node.value] if special == "Literal" else [node.value, node.slice]
    return list(ast.iter_child_nodes(node))


def _string_annotation(text: str, lineno: int) -> list[ast.AST]:
    """The expression of a string annotation, every node of it on the string's line; [] if invalid."""
    try:
        parsed = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return []
    for sub in ast.walk(parsed):
        if hasattr(sub, "lineno"):
            sub.lineno = lineno
    return [parsed.body]
