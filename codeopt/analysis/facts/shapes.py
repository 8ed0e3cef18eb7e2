"""Function shapes: where each function nests deepest and which block carries most of its complexity.

While a function is walked, every compound statement opens a :class:`Frame` that collects the
decision points inside it (nesting-weighted, cognitive-style, and plain, cyclomatic-style) and the
ways control leaves it. When the function ends, the heaviest block becomes the extract-function
candidate of its :class:`FunctionShape`, with its inputs and outputs for big enough functions.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from codeopt.analysis.facts.model import Block, FunctionShape
from codeopt.analysis.facts.state import Frame, Scope, WalkerBase

_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_SHAPE_DETAIL_MIN = 8  # functions with fewer decision points get no inputs/outputs analysis
_FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class ShapeTracking(WalkerBase):
    """The frames of the current function's compound statements, and its decision points."""

    def open_block(self, node: ast.stmt) -> None:
        fn = self.own_function()
        if fn is None:
            self.frames.append(Frame(node, -1))
            return
        self.depth += 1
        if self.depth > fn.max_depth:
            fn.max_depth, fn.deepest_line = self.depth, node.lineno
        self.frames.append(Frame(node, self.depth))

    def close_block(self) -> None:
        frame = self.frames.pop()
        fn = self.own_function()
        if frame.depth >= 0 and fn is not None:
            self.depth -= 1
            fn.blocks.append(frame)

    def decision(self, count: int = 1) -> None:
        """A decision point (branch, loop, handler, boolean operator) in the current function."""
        fn = self.function_scope()  # comprehension conditions count for their function
        if count <= 0 or fn is None:
            return
        fn.decisions += count
        weight = count * (1 + max(self.depth - 1, 0))  # nested decisions weigh more (cognitive-style)
        fn.weight += weight
        for frame in self.frames:
            if frame.depth >= 0:
                frame.weight += weight
                frame.decisions += count

    def note_exit(self, kind: str) -> None:
        """Control leaves the enclosing statements: a loop keeps its own break/continue inside."""
        frames = [f for f in self.frames if f.depth >= 0]
        if kind in ("break", "continue"):
            loops = [i for i, f in enumerate(frames) if isinstance(f.node, _LOOPS)]
            frames = frames[loops[-1] + 1 :] if loops else frames
        for frame in frames:
            frame.exits.add(kind)


def function_shape(scope: Scope, node: _FunctionNode) -> FunctionShape:
    return FunctionShape(
        qualname=scope.qualname,
        lineno=node.lineno,
        end_lineno=node.end_lineno or node.lineno,
        max_depth=scope.max_depth,
        deepest_line=scope.deepest_line or node.lineno,
        decisions=scope.decisions,
        block=_main_block(scope, node),
        weight=scope.weight,
    )


def _main_block(scope: Scope, node: _FunctionNode) -> Block | None:
    """The block to extract: the heaviest top-level block, or inside it when it spans the function."""
    best = _heaviest_block(scope, node)
    if best is None or best.weight == 0:
        return None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    if scope.decisions >= _SHAPE_DETAIL_MIN:
        inputs, outputs = _block_interface(best.node, scope)
    return Block(
        kind=_block_kind(best.node),
        head=_block_head(best.node),
        lineno=best.node.lineno,
        end_lineno=_end(best.node),
        weight=best.weight,
        decisions=best.decisions,
        inputs=inputs,
        outputs=outputs,
        exits=tuple(sorted(best.exits)),
    )


def _heaviest_block(scope: Scope, node: _FunctionNode) -> Frame | None:
    """The heaviest block of the body; while it spans 80% of the body or more, the heaviest inside."""
    frames = {id(frame.node): frame for frame in scope.blocks}
    body_span = max(_end(node) - node.body[0].lineno + 1, 1)
    candidates = [frames[id(s)] for s in node.body if id(s) in frames]
    best: Frame | None = None
    while candidates:
        best = max(candidates, key=lambda f: (f.weight, -f.node.lineno))
        size = _end(best.node) - best.node.lineno + 1
        if size * 10 < body_span * 8:  # under 80% of the body: a real part of the function
            break
        inner = [frames[id(s)] for s in _child_statements(best.node) if id(s) in frames]
        candidates = [f for f in inner if f.weight > 0]
    return best


def _end(node: ast.stmt) -> int:
    return node.end_lineno or node.lineno


def _child_statements(stmt: ast.stmt) -> Iterator[ast.stmt]:
    for name in ("body", "orelse", "finalbody"):
        yield from getattr(stmt, name, ())
    for handler in getattr(stmt, "handlers", ()):
        yield from handler.body
    for case in getattr(stmt, "cases", ()):
        yield from case.body


def _block_kind(stmt: ast.stmt) -> str:
    kinds: dict[type[ast.stmt], str] = {
        ast.AsyncFor: "for",
        ast.Try: "try",
        ast.TryStar: "try",
        ast.AsyncWith: "with",
    }
    return kinds.get(type(stmt), type(stmt).__name__.lower())


def _block_head(stmt: ast.stmt, limit: int = 60) -> str:
    if isinstance(stmt, ast.For | ast.AsyncFor):
        text = f"for {ast.unparse(stmt.target)} in {ast.unparse(stmt.iter)}"
    elif isinstance(stmt, ast.If | ast.While):
        text = f"{_block_kind(stmt)} {ast.unparse(stmt.test)}"
    elif isinstance(stmt, ast.With | ast.AsyncWith):
        text = "with " + ", ".join(ast.unparse(item) for item in stmt.items)
    elif isinstance(stmt, ast.Match):
        text = f"match {ast.unparse(stmt.subject)}"
    else:
        text = _block_kind(stmt)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _block_interface(stmt: ast.stmt, scope: Scope) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Inputs (locals read before the block sets them) and outputs (set in it, read after it)."""
    local = scope.params | scope.stores
    stored: set[str] = set()
    inputs: list[str] = []
    for name, is_load in _names_in_order(stmt):
        if is_load:
            if name in local and name not in stored and name not in inputs:
                inputs.append(name)
        else:
            stored.add(name)
    end = _end(stmt)
    later = {name for name, line in scope.loads if line > end}
    outputs = sorted(name for name in stored if name in later and name in local)
    return tuple(inputs), tuple(outputs)


# -- names in evaluation order --------------------------------------------------------------------

_Names = Iterator[tuple[str, bool]]


def _names_in_order(node: ast.AST) -> _Names:
    """(name, is_read) in evaluation order: an assignment's value before its targets."""
    if isinstance(node, ast.Name):
        yield node.id, isinstance(node.ctx, ast.Load)
        return
    special = _IN_ORDER.get(type(node))
    if special is not None:
        yield from special(node)
        return
    for child in ast.iter_child_nodes(node):
        yield from _names_in_order(child)


def _names_of_all(nodes: Iterable[ast.AST]) -> _Names:
    for node in nodes:
        yield from _names_in_order(node)


def _nested_scope_reads(node: ast.AST) -> _Names:
    """A nested def, lambda or class: only its free reads matter, and they still need the value."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            yield sub.id, True


def _assignment_names(node: ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr) -> _Names:
    if node.value is not None:
        yield from _names_in_order(node.value)
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        yield node.target.id, True
    yield from _names_of_all(node.targets if isinstance(node, ast.Assign) else [node.target])


def _for_names(node: ast.For | ast.AsyncFor) -> _Names:
    yield from _names_in_order(node.iter)
    yield from _names_in_order(node.target)
    yield from _names_of_all([*node.body, *node.orelse])


def _handler_names(node: ast.ExceptHandler) -> _Names:
    if node.type is not None:
        yield from _names_in_order(node.type)
    if node.name:
        yield node.name, False
    yield from _names_of_all(node.body)


def _comprehension_names(node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> _Names:
    for generator in node.generators:
        yield from _names_in_order(generator)
    yield from _names_of_all([node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt])


# Nodes whose names are not simply their children's in field order (ast node types are never
# subclassed by the parser, so an exact-type lookup is an isinstance test).
_IN_ORDER: Mapping[type[ast.AST], Callable[[Any], _Names]] = {
    ast.FunctionDef: _nested_scope_reads,
    ast.AsyncFunctionDef: _nested_scope_reads,
    ast.Lambda: _nested_scope_reads,
    ast.ClassDef: _nested_scope_reads,
    ast.Assign: _assignment_names,
    ast.AnnAssign: _assignment_names,
    ast.AugAssign: _assignment_names,
    ast.NamedExpr: _assignment_names,
    ast.For: _for_names,
    ast.AsyncFor: _for_names,
    ast.ExceptHandler: _handler_names,
    ast.ListComp: _comprehension_names,
    ast.SetComp: _comprehension_names,
    ast.GeneratorExp: _comprehension_names,
    ast.DictComp: _comprehension_names,
}
