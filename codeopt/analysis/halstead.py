"""Halstead counts with radon's operator and operand definitions (``radon.visitors.HalsteadVisitor``).

Operators are the ``BinOp``, ``UnaryOp``, ``BoolOp``, ``AugAssign`` and ``Compare`` operators; their
operands are the nodes they apply to. A distinct operand is keyed by its name (``Name.id``,
``Attribute.attr``, ``Constant.value``; any other node is distinct by identity) *and* by the name of
the innermost enclosing function, so ``x`` in two functions is two operands -- radon's choice, kept so
volumes (and the maintainability index) agree with radon. A function's counts include its nested
functions; its decorators, defaults and annotations count nowhere (radon visits only the body).

The walk is iterative (no recursion limit) and attributes each event to the innermost function;
functions are then folded into their parents, children first.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from codeopt.analysis.complexity import CHILD_FIELDS
from codeopt.analysis.model import Halstead

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(eq=False, slots=True)
class _Counts:
    context: str | None  # the innermost function's name, None at module level
    parent: _Counts | None
    operators: set[str] = field(default_factory=set)
    operands: set[object] = field(default_factory=set)
    n_operators: int = 0
    n_operands: int = 0

    def add(self, operators: list[str], operands: list[ast.expr]) -> None:
        self.operators.update(operators)
        self.n_operators += len(operators)
        self.n_operands += len(operands)
        context = self.context
        seen = self.operands
        for operand in operands:
            seen.add((context, _operand_key(operand)))

    def absorb(self, other: _Counts) -> None:
        self.operators |= other.operators
        self.operands |= other.operands
        self.n_operators += other.n_operators
        self.n_operands += other.n_operands

    def freeze(self) -> Halstead:
        return Halstead(len(self.operators), len(self.operands), self.n_operators, self.n_operands)


@dataclass(frozen=True, slots=True)
class HalsteadResult:
    module: Halstead
    functions: dict[FunctionNode, Halstead]  # every function, nested ones included


def _operand_key(operand: ast.expr) -> object:
    operand_type = type(operand)
    if operand_type is ast.Name:
        return operand.id  # type: ignore[attr-defined]
    if operand_type is ast.Constant:
        return operand.value  # type: ignore[attr-defined]
    if operand_type is ast.Attribute:
        return operand.attr  # type: ignore[attr-defined]
    return operand  # distinct by identity, as in radon


def _bin_op(node: ast.BinOp) -> tuple[list[str], list[ast.expr]]:
    return [type(node.op).__name__], [node.left, node.right]


def _compare(node: ast.Compare) -> tuple[list[str], list[ast.expr]]:
    return [type(op).__name__ for op in node.ops], [*node.comparators, node.left]


def _bool_op(node: ast.BoolOp) -> tuple[list[str], list[ast.expr]]:
    return [type(node.op).__name__], node.values


def _unary_op(node: ast.UnaryOp) -> tuple[list[str], list[ast.expr]]:
    return [type(node.op).__name__], [node.operand]


def _aug_assign(node: ast.AugAssign) -> tuple[list[str], list[ast.expr]]:
    return [type(node.op).__name__], [node.target, node.value]


_OPERATIONS: dict[type, Callable[[Any], tuple[list[str], list[ast.expr]]]] = {
    ast.BinOp: _bin_op,
    ast.Compare: _compare,
    ast.BoolOp: _bool_op,
    ast.UnaryOp: _unary_op,
    ast.AugAssign: _aug_assign,
}
"""Per operation node type: its operators and their operands."""
_FUNCTION_TYPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef})


def halstead(tree: ast.Module) -> HalsteadResult:
    """radon's Halstead counts for the module and for every function (nested ones included)."""
    module = _Counts(None, None)
    created: list[tuple[FunctionNode, _Counts]] = []
    stack: list[tuple[ast.AST, _Counts]] = [(stmt, module) for stmt in tree.body]
    pop, push, child_fields = stack.pop, stack.append, CHILD_FIELDS
    operations, function_types = _OPERATIONS, _FUNCTION_TYPES
    while stack:
        node, counts = pop()
        node_type = type(node)
        if node_type in function_types:
            inner = _Counts(node.name, counts)  # type: ignore[attr-defined]
            created.append((node, inner))  # type: ignore[arg-type]
            stack.extend((stmt, inner) for stmt in node.body)  # type: ignore[attr-defined]
            continue
        operation = operations.get(node_type)
        if operation is not None:
            counts.add(*operation(node))
        for name in child_fields[node_type]:
            value = getattr(node, name)
            if type(value) is list:
                for item in value:
                    push((item, counts))
            elif value is not None:
                push((value, counts))
    functions = _fold(created)  # first: it completes the module's counts
    return HalsteadResult(module.freeze(), functions)


def _fold(created: list[tuple[FunctionNode, _Counts]]) -> dict[FunctionNode, Halstead]:
    """Every function's own counts, each then folded into its parent's (children come last)."""
    functions: dict[FunctionNode, Halstead] = {}
    for node, counts in reversed(created):
        functions[node] = counts.freeze()
        assert counts.parent is not None
        counts.parent.absorb(counts)
    return functions
