"""Which names in a unit's code are the module's globals, where exactly, and when they are evaluated.

The emitter rewrites a few references (``name`` -> ``other.name`` for state and cycle-breaking links)
and shifts relative imports, so it needs the *nodes*, not only the names: their line and column, the
innermost function around them (where a function-local import can go) and whether the use runs at
import time, at call time or only inside a deferred annotation. Python's scoping rules decide: a
parameter, a local or an enclosing function's variable hides a module name; class bodies do not
enclose their methods; ``global`` makes a function's stores module stores; comprehensions have their
own scope except for the first iterable.

The standard ``ast`` is used (not LibCST's ScopeProvider) because it is an order of magnitude faster on
5,000-line modules and gives exact positions; edits are applied at those positions only, so names in
strings and docstrings are never touched.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

IMPORT_TIME = "import-time"
CALL_TIME = "call-time"
ANNOTATION = "annotation"

_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class FunctionSite:
    """Where a function-local import can be inserted: before ``line`` (1-based), indented by ``indent``."""

    def_line: int
    line: int
    indent: int  # columns (the body is indented with spaces or tabs; see ``indent_text``)
    indent_text: str
    one_liner: bool  # ``def f(): return x`` has no line to insert into


@dataclass(frozen=True)
class Ref:
    """One use (load, store or delete) of a module-level name inside a unit."""

    name: str
    line: int
    col: int  # UTF-8 byte offset, as ast reports it
    end_col: int
    when: str  # IMPORT_TIME | CALL_TIME | ANNOTATION
    store: bool
    site: FunctionSite | None  # innermost enclosing def; None at module or class level (or in a lambda only)
    in_lambda: bool = False
    in_string: bool = False  # a name inside a string annotation: never rewritten, never evaluated


@dataclass(frozen=True)
class GlobalDecl:
    """A ``global`` statement inside a function of the unit."""

    names: tuple[str, ...]
    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class RelativeImport:
    """A relative ``from . import x`` anywhere in the unit (its dots move one level per package added)."""

    level: int
    line: int
    col: int


@dataclass(frozen=True)
class UnitScan:
    refs: tuple[Ref, ...]
    globals: tuple[GlobalDecl, ...]
    relative_imports: tuple[RelativeImport, ...]


@dataclass(eq=False)
class _Frame:
    kind: str  # "module" | "function" | "class" | "comprehension" | "lambda"
    locals: set[str] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)
    site: FunctionSite | None = None


def scan_unit(
    statements: Sequence[ast.stmt], module_names: frozenset[str], lines: Sequence[str], deferred: bool
) -> UnitScan:
    """References to ``module_names`` in top-level ``statements``; ``lines`` is the module's source."""
    scanner = _Scanner(module_names, lines, deferred)
    module_frame = _Frame("module")
    for stmt in statements:
        scanner.visit(stmt, [module_frame], IMPORT_TIME)
    return UnitScan(tuple(scanner.refs), tuple(scanner.globals), tuple(scanner.relative))


def local_bindings(body: Iterable[ast.AST]) -> tuple[set[str], set[str]]:
    """Names bound in a function body (not in nested scopes), and those declared ``global``."""
    bound: set[str] = set()
    declared: set[str] = set()
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Global):
            declared.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            bound.update(node.names)
        elif isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
            bound.add(node.name)
            stack.extend(_evaluated_outside(node))
            continue
        elif isinstance(node, ast.Lambda):
            stack.extend(node.args.defaults)
            stack.extend(default for default in node.args.kw_defaults if default is not None)
            continue
        elif isinstance(node, _COMPREHENSIONS):
            stack.extend(_walrus_targets(node))
            stack.append(node.generators[0].iter)
            continue
        else:
            bound.update(_bound_by(node))
        stack.extend(ast.iter_child_nodes(node))
    return bound - declared, declared


def _bound_by(node: ast.AST) -> Iterable[str]:
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
        return (node.id,)
    if isinstance(node, ast.Import | ast.ImportFrom):
        return tuple(
            alias.asname or (alias.name.split(".")[0] if isinstance(node, ast.Import) else alias.name)
            for alias in node.names
            if alias.name != "*"
        )
    if isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
        return (node.name,)
    if isinstance(node, ast.MatchMapping) and node.rest:
        return (node.rest,)
    return ()


def _walrus_targets(node: ast.AST) -> list[ast.AST]:
    """Walrus targets inside a comprehension bind in the enclosing function."""
    return [inner.target for inner in ast.walk(node) if isinstance(inner, ast.NamedExpr)]


def _evaluated_outside(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[ast.AST]:
    """Parts of a nested def/class evaluated in the enclosing scope (may bind through walrus)."""
    parts: list[ast.AST] = list(node.decorator_list)
    if isinstance(node, ast.ClassDef):
        parts.extend(node.bases)
        parts.extend(keyword.value for keyword in node.keywords)
    else:
        parts.extend(node.args.defaults)
        parts.extend(default for default in node.args.kw_defaults if default is not None)
    return parts


class _Scanner:
    """Walks one unit with an explicit scope chain; records module-level references and sites."""

    def __init__(self, module_names: frozenset[str], lines: Sequence[str], deferred: bool) -> None:
        self.module_names = module_names
        self.lines = lines
        self.deferred = deferred
        self.refs: list[Ref] = []
        self.globals: list[GlobalDecl] = []
        self.relative: list[RelativeImport] = []

    def visit(self, node: ast.AST, frames: list[_Frame], when: str) -> None:
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node, frames, when)
            return
        for child in ast.iter_child_nodes(node):
            self.visit(child, frames, when)

    def visit_all(self, nodes: Iterable[ast.AST | None], frames: list[_Frame], when: str) -> None:
        for node in nodes:
            if node is not None:
                self.visit(node, frames, when)

    def annotation(self, node: ast.AST | None, frames: list[_Frame], when: str) -> None:
        if node is not None:
            self.visit(node, frames, ANNOTATION if self.deferred else when)
            self.string_annotations(node, frames)

    def string_annotations(self, node: ast.AST, frames: list[_Frame]) -> None:
        """``-> 'Markdown'``: the names type checkers resolve in this module's namespace."""
        for inner in ast.walk(node):
            if not (isinstance(inner, ast.Constant) and isinstance(inner.value, str)):
                continue
            try:
                parsed = ast.parse(inner.value.strip(), mode="eval")
            except SyntaxError:
                continue
            for name in ast.walk(parsed):
                if isinstance(name, ast.Name) and self.resolve(name.id, frames, False) is not None:
                    ref = Ref(
                        name.id, inner.lineno, inner.col_offset, inner.col_offset, ANNOTATION, False, None
                    )
                    self.refs.append(dataclasses.replace(ref, in_string=True))

    def name(self, node: ast.AST, frames: list[_Frame], when: str) -> None:
        assert isinstance(node, ast.Name)
        store = not isinstance(node.ctx, ast.Load)
        frame = self.resolve(node.id, frames, store)
        if frame is None:
            return
        site = next((f.site for f in reversed(frames) if f.kind == "function"), None)
        in_lambda = any(f.kind == "lambda" for f in frames)
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        self.refs.append(Ref(node.id, node.lineno, node.col_offset, end_col, when, store, site, in_lambda))

    def resolve(self, name: str, frames: list[_Frame], store: bool) -> _Frame | None:
        """The module frame when ``name`` refers to a module-level name here, else None."""
        if name not in self.module_names:
            return None
        innermost = frames[-1]
        if store:
            return frames[0] if innermost.kind == "module" or name in innermost.globals else None
        for depth, frame in enumerate(reversed(frames)):
            if frame.kind == "module" or name in frame.globals:
                return frames[0]
            if name in frame.locals and (frame.kind != "class" or depth == 0):
                return None
        return None

    def function(self, node: ast.AST, frames: list[_Frame], when: str) -> None:
        assert isinstance(node, _FUNCTIONS)
        self.visit_all(node.decorator_list, frames, when)
        self.arguments_outside(node.args, frames, when)
        self.annotation(node.returns, frames, when)
        bound, declared = local_bindings(node.body)
        bound.update(_parameters(node.args))
        site = _site(node, self.lines)
        inner = _Frame("function", bound, declared, site)
        self.visit_all(node.body, [*frames, inner], CALL_TIME)

    def lambda_(self, node: ast.AST, frames: list[_Frame], when: str) -> None:
        assert isinstance(node, ast.Lambda)
        self.visit_all(node.args.defaults, frames, when)
        self.visit_all(node.args.kw_defaults, frames, when)
        bound, _ = local_bindings([node.body])
        inner = _Frame("lambda", bound | _parameters(node.args))
        self.visit(node.body, [*frames, inner], CALL_TIME)

    def arguments_outside(self, args: ast.arguments, frames: list[_Frame], when: str) -> None:
        self.visit_all(args.defaults, frames, when)
        self.visit_all(args.kw_defaults, frames, when)
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                self.annotation(arg.annotation, frames, when)

    def class_(self, node: ast.AST, frames: list[_Frame], when: str) -> None:
        assert isinstance(node, ast.ClassDef)
        self.visit_all(node.decorator_list, frames, when)
        self.visit_all(node.bases, frames, when)
        self.visit_all((keyword.value for keyword in node.keywords), frames, when)
        # A class body looks a name up in the class namespace, then in the module: a read before the
        # class assigns the name (``_template = _template``) is a module reference.
        frame = _Frame("class")
        for stmt in node.body:
            self.visit(stmt, [*frames, frame], when)
            frame.locals |= local_bindings([stmt])[0]

    def comprehension(self, node: ast.AST, frames: list[_Frame], when: str) -> None:
        assert isinstance(node, _COMPREHENSIONS)
        generators = node.generators
        self.visit(generators[0].iter, frames, when)
        targets: set[str] = set()
        for generator in generators:
            targets.update(
                inner.id
                for inner in ast.walk(generator.target)
                if isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Store)
            )
        inner_frames = [*frames, _Frame("comprehension", targets)]
        for position, generator in enumerate(generators):
            self.visit(generator.target, inner_frames, when)
            if position:
                self.visit(generator.iter, inner_frames, when)
            self.visit_all(generator.ifs, inner_frames, when)
        elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        self.visit_all(elements, inner_frames, when)

    def ann_assign(self, node: ast.AST, frames: list[_Frame], when: str) -> None:
        assert isinstance(node, ast.AnnAssign)
        in_function = any(frame.kind in {"function", "lambda"} for frame in frames)
        self.visit(node.annotation, frames, ANNOTATION if in_function or self.deferred else when)
        self.string_annotations(node.annotation, frames)
        self.visit(node.target, frames, when)
        if node.value is not None:
            self.visit(node.value, frames, when)

    def global_decl(self, node: ast.AST, frames: list[_Frame], when: str) -> None:
        assert isinstance(node, ast.Global)
        end_line = node.end_lineno or node.lineno
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        self.globals.append(GlobalDecl(tuple(node.names), node.lineno, node.col_offset, end_line, end_col))

    def import_from(self, node: ast.AST, frames: list[_Frame], when: str) -> None:
        assert isinstance(node, ast.ImportFrom)
        if node.level:
            self.relative.append(RelativeImport(node.level, node.lineno, node.col_offset))


def _parameters(args: ast.arguments) -> set[str]:
    every = (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg)
    return {arg.arg for arg in every if arg is not None}


def _site(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: Sequence[str]) -> FunctionSite:
    """The line before which a function-local import goes: after the docstring, at the body's indent."""
    body = node.body
    first = body[0]
    first_text = lines[first.lineno - 1].encode()[: first.col_offset]
    one_liner = bool(first_text.strip())
    anchor = body[1] if _is_docstring(first) and len(body) > 1 else first
    line = min([anchor.lineno, *(d.lineno for d in getattr(anchor, "decorator_list", ()))])
    text = lines[anchor.lineno - 1]
    indent_text = text[: len(text) - len(text.lstrip(" \t"))]
    return FunctionSite(node.lineno, line, len(indent_text), indent_text, one_liner)


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


_HANDLERS = {
    ast.Name: _Scanner.name,
    ast.FunctionDef: _Scanner.function,
    ast.AsyncFunctionDef: _Scanner.function,
    ast.Lambda: _Scanner.lambda_,
    ast.ClassDef: _Scanner.class_,
    ast.ListComp: _Scanner.comprehension,
    ast.SetComp: _Scanner.comprehension,
    ast.DictComp: _Scanner.comprehension,
    ast.GeneratorExp: _Scanner.comprehension,
    ast.AnnAssign: _Scanner.ann_assign,
    ast.ImportFrom: _Scanner.import_from,
    ast.Global: _Scanner.global_decl,
}


def definitely_bound(statements: Sequence[ast.stmt]) -> set[str]:
    """Module names a run of statements binds on every path (``if`` without ``else`` binds maybe).

    Names bound on some paths only (platform branches, ``except ImportError`` fallbacks without an
    assignment, ``except ... as err`` targets, loop variables) cannot be imported by name from the
    module that defines them: ``from .x import name`` would fail where the original simply lacked it.
    """
    bound = _bound_sequence(statements)
    return set() if bound is None else bound


def _bound_sequence(statements: Sequence[ast.stmt]) -> set[str] | None:
    """None stands for "every name": the block cannot complete normally (it raises or returns)."""
    bound: set[str] = set()
    for stmt in statements:
        if isinstance(stmt, ast.Raise | ast.Return | ast.Continue | ast.Break):
            return None
        if isinstance(stmt, ast.Delete):
            bound -= {target.id for target in stmt.targets if isinstance(target, ast.Name)}
            continue
        inner = _bound_statement(stmt)
        if inner is None:
            return None
        bound |= inner
    return bound


def _bound_statement(stmt: ast.stmt) -> set[str] | None:
    if isinstance(stmt, ast.If):
        return _meet(_bound_sequence(stmt.body), _bound_sequence(stmt.orelse) if stmt.orelse else set())
    if isinstance(stmt, ast.Try | ast.TryStar):
        return _bound_try(stmt)
    if isinstance(stmt, ast.With | ast.AsyncWith):
        body = _bound_sequence(stmt.body)
        targets = {n.id for item in stmt.items for n in ast.walk(item) if isinstance(n, ast.Name)}
        return None if body is None else body | targets
    if isinstance(stmt, ast.For | ast.AsyncFor | ast.While | ast.Match):
        return set()
    names, _ = local_bindings([stmt])
    return names


def _bound_try(stmt: ast.Try | ast.TryStar) -> set[str] | None:
    success = _bound_sequence([*stmt.body, *stmt.orelse])
    for handler in stmt.handlers:
        success = _meet(success, _bound_sequence(handler.body))
    final = _bound_sequence(stmt.finalbody)
    if final is None:
        return None
    return None if success is None else success | final


def _meet(first: set[str] | None, second: set[str] | None) -> set[str] | None:
    if first is None:
        return second
    if second is None:
        return first
    return first & second
