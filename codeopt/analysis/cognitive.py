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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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
    created = _CognitiveWalk().run(module, tree.body)
    functions = _fold(created)  # first: it completes the module's score
    return CognitiveResult(module.score, functions)


def _fold(created: list[_Score]) -> dict[FunctionNode, int]:
    """Every function's score, each then folded into its parent's at its nesting offset."""
    functions: dict[FunctionNode, int] = {}
    for scope in reversed(created):  # children were created after their parents
        scope.score += scope.recursive
        assert scope.node is not None and scope.parent is not None
        functions[scope.node] = scope.score
        scope.parent.score += scope.score + scope.offset * scope.nesting_increments
        scope.parent.nesting_increments += scope.nesting_increments
    return functions


class _CognitiveWalk:
    """The iterative walk: a handler per structure that scores, then pushes the children itself.

    A handler takes ``(node, scope, nesting, flags)`` and returns whether the node's children are
    still to be walked the generic way (at the same nesting, keeping only the ``_IN_CLASS`` flag).
    """

    __slots__ = ("created", "handlers", "stack")

    def __init__(self) -> None:
        self.created: list[_Score] = []
        self.stack: list[_Item] = []
        self.handlers: dict[type, Callable[[Any, _Score, int, int], bool]] = {
            ast.FunctionDef: self._function,
            ast.AsyncFunctionDef: self._function,
            ast.ClassDef: self._class,
            ast.If: self._if,
            ast.For: self._for,
            ast.AsyncFor: self._for,
            ast.While: self._while,
            **dict.fromkeys(_TRY_TYPES, self._try),
            ast.ExceptHandler: self._except,
            ast.Match: self._match,
            ast.IfExp: self._if_exp,
            ast.Lambda: self._lambda,
            ast.BoolOp: self._bool_op,
            ast.Call: self._call,
        }

    def run(self, module: _Score, body: list[ast.stmt]) -> list[_Score]:
        """Score ``body`` into ``module``; returns the function scores, parents before children."""
        stack = self.stack
        stack.extend((stmt, module, 0, 0) for stmt in body)
        pop, push, child_fields, handlers = stack.pop, stack.append, CHILD_FIELDS, self.handlers
        while stack:
            node, scope, nesting, flags = pop()
            node_type = type(node)
            handler = handlers.get(node_type)
            if handler is not None and not handler(node, scope, nesting, flags):
                continue
            inherited = flags & _IN_CLASS
            for name in child_fields[node_type]:
                value = getattr(node, name)
                if type(value) is list:
                    for item in value:
                        push((item, scope, nesting, inherited))
                elif value is not None:
                    push((value, scope, nesting, inherited))
        return self.created

    def _block(self, nodes: Sequence[ast.AST], scope: _Score, nesting: int, flags: int) -> None:
        self.stack.extend([(node, scope, nesting, flags) for node in nodes])

    def _function(self, node: FunctionNode, scope: _Score, nesting: int, flags: int) -> bool:
        inner = _function_scope(node, scope, nesting, flags & _IN_CLASS)
        self.created.append(inner)
        self._block(_function_parts(node), inner, 0, 0)
        return False

    def _class(self, node: ast.ClassDef, scope: _Score, nesting: int, flags: int) -> bool:
        self._block(_class_parts(node), scope, 0, _IN_CLASS)
        return False

    def _if(self, node: ast.If, scope: _Score, nesting: int, flags: int) -> bool:
        inherited = flags & _IN_CLASS
        if flags & _ELIF:
            scope.score += 1
        else:
            _nested_increment(scope, nesting)
        self.stack.append((node.test, scope, nesting, inherited))
        self._block(node.body, scope, nesting + 1, inherited)
        orelse = node.orelse
        if len(orelse) == 1 and type(orelse[0]) is ast.If and orelse[0].col_offset == node.col_offset:
            self.stack.append((orelse[0], scope, nesting, inherited | _ELIF))
        elif orelse:
            scope.score += 1
            self._block(orelse, scope, nesting + 1, inherited)
        return False

    def _for(self, node: ast.For | ast.AsyncFor, scope: _Score, nesting: int, flags: int) -> bool:
        return self._loop(node, (node.target, node.iter), scope, nesting, flags & _IN_CLASS)

    def _while(self, node: ast.While, scope: _Score, nesting: int, flags: int) -> bool:
        return self._loop(node, (node.test,), scope, nesting, flags & _IN_CLASS)

    def _loop(
        self,
        node: ast.For | ast.AsyncFor | ast.While,
        heads: tuple[ast.expr, ...],
        scope: _Score,
        nesting: int,
        inherited: int,
    ) -> bool:
        _nested_increment(scope, nesting)
        self._block(heads, scope, nesting, inherited)
        self._block(node.body, scope, nesting + 1, inherited)
        if node.orelse:
            scope.score += 1
            self._block(node.orelse, scope, nesting + 1, inherited)
        return False

    def _try(self, node: ast.Try, scope: _Score, nesting: int, flags: int) -> bool:
        inherited = flags & _IN_CLASS
        self._block(node.body, scope, nesting, inherited)
        self._block(node.handlers, scope, nesting, inherited)
        if node.orelse:
            scope.score += 1
            self._block(node.orelse, scope, nesting + 1, inherited)
        self._block(node.finalbody, scope, nesting, inherited)
        return False

    def _except(self, node: ast.ExceptHandler, scope: _Score, nesting: int, flags: int) -> bool:
        inherited = flags & _IN_CLASS
        _nested_increment(scope, nesting)
        if node.type is not None:
            self.stack.append((node.type, scope, nesting, inherited))
        self._block(node.body, scope, nesting + 1, inherited)
        return False

    def _match(self, node: ast.Match, scope: _Score, nesting: int, flags: int) -> bool:
        inherited = flags & _IN_CLASS
        _nested_increment(scope, nesting)
        self.stack.append((node.subject, scope, nesting, inherited))
        self._block(node.cases, scope, nesting + 1, inherited)
        return False

    def _if_exp(self, node: ast.IfExp, scope: _Score, nesting: int, flags: int) -> bool:
        _nested_increment(scope, nesting)
        self._block((node.test, node.body, node.orelse), scope, nesting + 1, flags & _IN_CLASS)
        return False

    def _lambda(self, node: ast.Lambda, scope: _Score, nesting: int, flags: int) -> bool:
        inherited = flags & _IN_CLASS
        self.stack.append((node.args, scope, nesting, inherited))
        self.stack.append((node.body, scope, nesting + 1, inherited))
        return False

    def _bool_op(self, node: ast.BoolOp, scope: _Score, nesting: int, flags: int) -> bool:
        if not flags & _IN_BOOL_RUN:
            scope.score += _operator_runs(node)
        inherited = flags & _IN_CLASS
        self.stack.extend(
            [
                (value, scope, nesting, inherited | (_IN_BOOL_RUN if type(value) is ast.BoolOp else 0))
                for value in node.values
            ]
        )
        return False

    def _call(self, node: ast.Call, scope: _Score, nesting: int, flags: int) -> bool:
        if scope.node is not None and not scope.recursive:
            scope.recursive = _calls_itself(node, scope)
        return True


def _nested_increment(scope: _Score, nesting: int) -> None:
    scope.score += 1 + nesting
    scope.nesting_increments += 1


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
