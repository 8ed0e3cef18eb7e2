"""Cognitive complexity (SonarSource whitepaper, version 1.7) for every function and the module.

Increments, as the whitepaper defines them for Python's constructs (docs/metrics.md has the table):

* +1 plus the nesting level: ``if``, conditional expression, ``for``/``async for``, ``while``,
  ``except``/``except*`` clause, ``match``;
* +1 flat: ``elif``, every ``else`` (of ``if``, loops and ``try``), each run of like boolean
  operators (``a and b and c or d`` is +2), a function that calls itself directly (recursion);
* nesting grows inside the bodies of those structures, inside conditional expressions, lambdas and
  nested functions; not inside ``try``, ``finally``, ``with`` or class bodies.

Python specifics follow SonarSource's own Python analyzer: a class body starts again at nesting 0; a
function nested in a *wrapper* (a function whose body is only that ``def`` and ``return name``
statements: decorators) is not nested deeper; comprehensions add nothing. A function's score
includes its nested functions, each increment raised by the nesting at which it is defined.

The walk is iterative. Each function keeps ``score`` (its own value) and ``nesting_increments``
(how many increments grow with nesting), so folding a nested function into its parent at nesting
offset ``k`` adds ``score + k * nesting_increments``.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

from codeopt.analysis.complexity import CHILD_FIELDS

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

_IN_CLASS = 1  # directly in a class body (until the next def): defs there start at nesting 0
_ELIF = 2  # this `If` is the `elif` of its parent
_IN_BOOL_RUN = 4  # this BoolOp's operators were counted with the enclosing BoolOp's
_TRY_TYPES = (ast.Try, *((ast.TryStar,) if hasattr(ast, "TryStar") else ()))


@dataclass(eq=False, slots=True)
class _Score:
    node: FunctionNode | None  # None for the module
    parent: _Score | None
    offset: int = 0  # nesting of this function's body within its parent's
    self_name: str | None = None  # a method's first parameter (for `self.name(...)` recursion)
    score: int = 0
    nesting_increments: int = 0
    recursive: bool = False
    wrapped: ast.stmt | None = None  # the def this function only wraps (decorator pattern)


_Item = tuple[ast.AST, _Score, int, int]  # node, function (or module) scored, nesting, flags


@dataclass(frozen=True, slots=True)
class CognitiveResult:
    module: int  # the whole file: module-level code plus every top-level function and method
    functions: dict[FunctionNode, int]  # every function, its nested functions included


def cognitive(tree: ast.Module) -> CognitiveResult:
    """Cognitive complexity of every function (nested ones included) and of the whole module."""
    module = _Score(None, None)
    created: list[_Score] = []
    stack: list[_Item] = [(stmt, module, 0, 0) for stmt in tree.body]
    pop, push, child_fields = stack.pop, stack.append, CHILD_FIELDS
    while stack:
        node, scope, nesting, flags = pop()
        node_type = type(node)
        inherited = flags & _IN_CLASS
        if node_type is ast.FunctionDef or node_type is ast.AsyncFunctionDef:
            inner = _function_scope(node, scope, nesting, inherited)  # type: ignore[arg-type]
            created.append(inner)
            for child in _function_parts(node):  # type: ignore[arg-type]
                push((child, inner, 0, 0))
            continue
        if node_type is ast.ClassDef:
            for child in _class_parts(node):  # type: ignore[arg-type]
                push((child, scope, 0, _IN_CLASS))
            continue
        if node_type is ast.If:
            if flags & _ELIF:
                scope.score += 1
            else:
                _nested_increment(scope, nesting)
            push((node.test, scope, nesting, inherited))  # type: ignore[attr-defined]
            _push_block(stack, node.body, scope, nesting + 1, inherited)  # type: ignore[attr-defined]
            orelse = node.orelse  # type: ignore[attr-defined]
            if len(orelse) == 1 and type(orelse[0]) is ast.If and orelse[0].col_offset == node.col_offset:  # type: ignore[attr-defined]
                push((orelse[0], scope, nesting, inherited | _ELIF))
            elif orelse:
                scope.score += 1
                _push_block(stack, orelse, scope, nesting + 1, inherited)
            continue
        if node_type is ast.For or node_type is ast.AsyncFor or node_type is ast.While:
            _nested_increment(scope, nesting)
            for child in (node.test,) if node_type is ast.While else (node.target, node.iter):  # type: ignore[attr-defined]
                push((child, scope, nesting, inherited))
            _push_block(stack, node.body, scope, nesting + 1, inherited)  # type: ignore[attr-defined]
            if node.orelse:  # type: ignore[attr-defined]
                scope.score += 1
                _push_block(stack, node.orelse, scope, nesting + 1, inherited)  # type: ignore[attr-defined]
            continue
        if node_type in _TRY_TYPES:
            _push_block(stack, node.body, scope, nesting, inherited)  # type: ignore[attr-defined]
            _push_block(stack, node.handlers, scope, nesting, inherited)  # type: ignore[attr-defined]
            if node.orelse:  # type: ignore[attr-defined]
                scope.score += 1
                _push_block(stack, node.orelse, scope, nesting + 1, inherited)  # type: ignore[attr-defined]
            _push_block(stack, node.finalbody, scope, nesting, inherited)  # type: ignore[attr-defined]
            continue
        if node_type is ast.ExceptHandler:
            _nested_increment(scope, nesting)
            if node.type is not None:  # type: ignore[attr-defined]
                push((node.type, scope, nesting, inherited))  # type: ignore[attr-defined]
            _push_block(stack, node.body, scope, nesting + 1, inherited)  # type: ignore[attr-defined]
            continue
        if node_type is ast.Match:
            _nested_increment(scope, nesting)
            push((node.subject, scope, nesting, inherited))  # type: ignore[attr-defined]
            _push_block(stack, node.cases, scope, nesting + 1, inherited)  # type: ignore[attr-defined]
            continue
        if node_type is ast.IfExp:
            _nested_increment(scope, nesting)
            nesting += 1
        elif node_type is ast.Lambda:
            push((node.args, scope, nesting, inherited))  # type: ignore[attr-defined]
            push((node.body, scope, nesting + 1, inherited))  # type: ignore[attr-defined]
            continue
        elif node_type is ast.BoolOp:
            if not flags & _IN_BOOL_RUN:
                scope.score += _operator_runs(node)  # type: ignore[arg-type]
            for value in node.values:  # type: ignore[attr-defined]
                push((value, scope, nesting, inherited | (_IN_BOOL_RUN if type(value) is ast.BoolOp else 0)))
            continue
        elif node_type is ast.Call and scope.node is not None and not scope.recursive:
            scope.recursive = _calls_itself(node, scope)  # type: ignore[arg-type]
        for name in child_fields[node_type]:
            value = getattr(node, name)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        push((item, scope, nesting, inherited))
            elif isinstance(value, ast.AST):
                push((value, scope, nesting, inherited))
    functions: dict[FunctionNode, int] = {}
    for scope in reversed(created):  # children were created after their parents
        scope.score += scope.recursive
        assert scope.node is not None and scope.parent is not None
        functions[scope.node] = scope.score
        scope.parent.score += scope.score + scope.offset * scope.nesting_increments
        scope.parent.nesting_increments += scope.nesting_increments
    return CognitiveResult(module.score, functions)


def _nested_increment(scope: _Score, nesting: int) -> None:
    scope.score += 1 + nesting
    scope.nesting_increments += 1


def _push_block(
    stack: list[_Item], nodes: Sequence[ast.AST], scope: _Score, nesting: int, flags: int
) -> None:
    stack.extend([(node, scope, nesting, flags) for node in nodes])


def _function_scope(node: FunctionNode, parent: _Score, nesting: int, in_class: int) -> _Score:
    if parent.node is None or in_class:
        offset = 0  # top level, or a method: classes restart nesting
    elif parent.wrapped is node:
        offset = nesting  # the decorator pattern: the wrapper is the point, not extra nesting
    else:
        offset = nesting + 1
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    self_name = positional[0].arg if in_class and positional else None
    return _Score(node, parent, offset, self_name, wrapped=_wrapped_def(node))


def _wrapped_def(node: FunctionNode) -> ast.stmt | None:
    """The single nested def when the body is only that def plus ``return name`` statements."""
    others = [stmt for stmt in node.body if not (type(stmt) is ast.Return and type(stmt.value) is ast.Name)]
    if len(others) == 1 and type(others[0]) in (ast.FunctionDef, ast.AsyncFunctionDef):
        return others[0]
    return None


def _function_parts(node: FunctionNode) -> list[ast.AST]:
    """Decorators, defaults, annotations and body: Sonar scores a def's header with the def."""
    parts: list[ast.AST] = [*node.decorator_list, node.args, *node.body]
    if node.returns is not None:
        parts.append(node.returns)
    return parts


def _class_parts(node: ast.ClassDef) -> list[ast.AST]:
    return [*node.decorator_list, *node.bases, *node.keywords, *node.body]


def _operator_runs(node: ast.BoolOp) -> int:
    """Runs of like operators in the flattened operator sequence (``a and b or c and d`` -> 3).

    The AST has no parentheses, so directly nested boolean operations are one sequence.
    """
    runs = 0
    previous: type | None = None
    # Iterative in-order walk: items are either BoolOp nodes to expand or operator types to emit.
    pending: list[ast.AST | type] = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, type):
            if item is not previous:
                runs += 1
                previous = item
            continue
        assert isinstance(item, ast.BoolOp)
        op_type = type(item.op)
        sequence: list[ast.AST | type] = []
        for index, value in enumerate(item.values):
            if index:
                sequence.append(op_type)
            if type(value) is ast.BoolOp:
                sequence.append(value)
        pending.extend(reversed(sequence))
    return runs


def _calls_itself(call: ast.Call, scope: _Score) -> bool:
    func = call.func
    node = scope.node
    assert node is not None
    if scope.self_name is None:
        return type(func) is ast.Name and func.id == node.name
    return (
        type(func) is ast.Attribute
        and func.attr == node.name
        and type(func.value) is ast.Name
        and func.value.id == scope.self_name
    )
