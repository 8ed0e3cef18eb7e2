"""Carry out a lazy-import plan on one module with LibCST: proxies below 3.15, ``__lazy_modules__`` above.

Why LibCST and not text edits: comments, blank lines and formatting around the rewritten statements
survive, and the runtime import (plus ``from __future__ import annotations`` when annotations were the
only blocker) is scheduled through ``AddImportsVisitor``, which merges with existing imports and puts
``__future__`` first.

Below 3.15 the statement is replaced in place by module-level bindings::

    import requests               ->  requests = lazy_import("requests")
    import xml.dom.minidom        ->  xml = lazy_import("xml.dom.minidom", bind="top")
    from orjson import dumps      ->  dumps = lazy_from("orjson", "dumps")

From 3.15 (PEP 810) the imports stay as written and their modules are listed in ``__lazy_modules__``
(LibCST cannot parse the ``lazy import`` soft keyword yet, and ``__lazy_modules__`` is equivalent for
module-level imports and a plain variable on older Pythons).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import MetadataWrapper, PositionProvider

from codeopt.transforms.lazy_imports_plan import LazyBinding, LazyStatement

LAZY_MODULES = "__lazy_modules__"


def emit_proxies(
    module: cst.Module, statements: Sequence[LazyStatement], runtime: str, future: bool
) -> cst.Module:
    """Replace each planned statement by proxy bindings; add the runtime (and future) imports."""
    by_line: dict[int, dict[str, LazyBinding]] = {}
    for statement in statements:
        by_line.setdefault(statement.lineno, {}).update((b.name, b) for b in statement.bindings)
    wrapper = MetadataWrapper(module)
    rewriter = _ProxyRewriter(by_line, wrapper.resolve(PositionProvider))
    rewritten = wrapper.visit(rewriter)
    missing = sorted({(line, name) for line, names in by_line.items() for name in names} - rewriter.done)
    if missing:  # never emit the runtime import for a statement that was not replaced
        line, name = missing[0]
        raise ValueError(f"line {line}: the import of {name} is not where the analysis saw it")
    context = CodemodContext()
    helpers = sorted({"lazy_from" if b.imported else "lazy_import" for s in statements for b in s.bindings})
    for helper in helpers:
        AddImportsVisitor.add_needed_import(context, runtime, helper)
    if future:
        AddImportsVisitor.add_needed_import(context, "__future__", "annotations")
    return rewritten.visit(AddImportsVisitor(context))


def proxy_statement(binding: LazyBinding) -> cst.SimpleStatementLine:
    """``name = lazy_import("m")`` / ``name = lazy_from("m", "n")`` as a statement line."""
    if binding.imported:
        call = f"lazy_from({_quote(binding.module)}, {_quote(binding.imported)})"
    elif binding.bind_top:
        call = f'lazy_import({_quote(binding.module)}, bind="top")'
    else:
        call = f"lazy_import({_quote(binding.module)})"
    return cst.parse_statement(f"{binding.name} = {call}\n")  # type: ignore[return-value]


def _quote(text: str) -> str:
    return '"' + text + '"'


class _ProxyRewriter(cst.CSTTransformer):
    """Rewrites module-level statement lines holding planned imports (not nested blocks: candidates
    are never inside ``if``/``try``)."""

    def __init__(
        self, by_line: Mapping[int, Mapping[str, LazyBinding]], positions: Mapping[cst.CSTNode, object]
    ) -> None:
        self.by_line = by_line
        self.positions = positions
        self.done: set[tuple[int, str]] = set()

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        return False  # module level only

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.SimpleStatementLine]:
        line = self.positions[original_node].start.line  # type: ignore[attr-defined]
        names = self.by_line.get(line)
        if names is None:
            return updated_node
        lines: list[cst.SimpleStatementLine] = []
        kept: list[cst.BaseSmallStatement] = []
        for small in updated_node.body:
            small_kept, proxies = _replace(small, names)
            kept.extend(small_kept)
            lines.extend(proxies)
            self.done.update((line, _assigned_name(p)) for p in proxies)
        if kept:
            lines.insert(0, updated_node.with_changes(body=_strip_last_semicolon(kept)))
        if not lines:
            return updated_node
        lines[0] = lines[0].with_changes(leading_lines=updated_node.leading_lines)
        lines[-1] = lines[-1].with_changes(trailing_whitespace=updated_node.trailing_whitespace)
        return cst.FlattenSentinel(lines)


def _replace(
    small: cst.BaseSmallStatement, names: Mapping[str, LazyBinding]
) -> tuple[list[cst.BaseSmallStatement], list[cst.SimpleStatementLine]]:
    """(small statements kept, proxy lines) for one small statement of a planned line."""
    if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
        return _replace_from(small, names)
    if isinstance(small, cst.Import):
        return _replace_import(small, names)
    return [small], []


def _replace_from(
    small: cst.ImportFrom, names: Mapping[str, LazyBinding]
) -> tuple[list[cst.BaseSmallStatement], list[cst.SimpleStatementLine]]:
    assert not isinstance(small.names, cst.ImportStar)
    bound = [_bound_name(alias, from_import=True) for alias in small.names]
    planned = [names.get(n) for n in bound]
    if all(b is not None and b.imported and b.module == _module_of(small) for b in planned):
        return [], [proxy_statement(b) for b in planned if b is not None]
    return [small], []


def _replace_import(
    small: cst.Import, names: Mapping[str, LazyBinding]
) -> tuple[list[cst.BaseSmallStatement], list[cst.SimpleStatementLine]]:
    keep = [a for a in small.names if not _planned(a, names)]
    proxies = [proxy_statement(names[_bound_name(a, False)]) for a in small.names if _planned(a, names)]
    if not proxies:
        return [small], []
    if not keep:
        return [], proxies
    keep[-1] = keep[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return [small.with_changes(names=keep)], proxies


def _assigned_name(line: cst.SimpleStatementLine) -> str:
    assign = cst.ensure_type(line.body[0], cst.Assign)
    return cst.ensure_type(assign.targets[0].target, cst.Name).value


def _planned(alias: cst.ImportAlias, names: Mapping[str, LazyBinding]) -> bool:
    binding = names.get(_bound_name(alias, from_import=False))
    return binding is not None and binding.module == _dotted(alias.name)


def _bound_name(alias: cst.ImportAlias, from_import: bool) -> str:
    if alias.asname is not None:
        return cst.ensure_type(alias.asname.name, cst.Name).value
    dotted = _dotted(alias.name)
    return dotted if from_import else dotted.split(".", 1)[0]


def _module_of(node: cst.ImportFrom) -> str:
    """The module as written, relative dots included (``from ..a import b`` -> ``..a``)."""
    return "." * len(node.relative) + (_dotted(node.module) if node.module is not None else "")


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    raise TypeError(f"not a dotted name: {node!r}")


def _strip_last_semicolon(body: list[cst.BaseSmallStatement]) -> list[cst.BaseSmallStatement]:
    body[-1] = body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
    return body


# -- PEP 810 ----------------------------------------------------------------------------------------


def emit_lazy_modules(module: cst.Module, names: Sequence[str]) -> cst.Module:
    """List ``names`` in the module's ``__lazy_modules__`` (created before the first import if absent)."""
    present = _existing_lazy_modules(module)
    missing = [n for n in names if n not in (present or ())]
    if not missing:
        return module
    if present is None:
        return _insert_lazy_modules(module, missing)
    return module.visit(_ExtendLazyModules(missing))


def _existing_lazy_modules(module: cst.Module) -> tuple[str, ...] | None:
    for statement in module.body:
        value = _lazy_modules_value(statement)
        if value is not None:
            return tuple(
                e.value.evaluated_value
                for e in value.elements
                if isinstance(e.value, cst.SimpleString) and isinstance(e.value.evaluated_value, str)
            )
    return None


def _lazy_modules_value(statement: cst.CSTNode) -> cst.List | cst.Set | cst.Tuple | None:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if isinstance(target, cst.Name) and target.value == LAZY_MODULES:
            value = small.value
            return value if isinstance(value, cst.List | cst.Set | cst.Tuple) else None
    return None


def _insert_lazy_modules(module: cst.Module, names: Sequence[str]) -> cst.Module:
    listed = ", ".join(_quote(n) for n in names)
    statement = cst.parse_statement(f"{LAZY_MODULES} = [{listed}]\n")
    body = list(module.body)
    index = next((i for i, s in enumerate(body) if _is_import(s) and not _is_future(s)), len(body))
    if index < len(body):
        statement = statement.with_changes(leading_lines=body[index].leading_lines)
        body[index] = body[index].with_changes(leading_lines=())
    body.insert(index, statement)
    return module.with_changes(body=body)


def _is_import(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(s, cst.Import | cst.ImportFrom) for s in statement.body
    )


def _is_future(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(s, cst.ImportFrom) and s.module is not None and _dotted(s.module) == "__future__"
        for s in statement.body
    )


class _ExtendLazyModules(cst.CSTTransformer):
    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = missing

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        return False

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        value = _lazy_modules_value(updated_node)
        if value is None:
            return updated_node
        elements = list(value.elements)
        if elements:
            elements[-1] = elements[-1].with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
        elements += [cst.Element(cst.SimpleString(_quote(n))) for n in self.missing]
        elements[-1] = elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        assign = cst.ensure_type(updated_node.body[0], cst.Assign)
        return updated_node.with_changes(
            body=[assign.with_changes(value=value.with_changes(elements=elements))]
        )
