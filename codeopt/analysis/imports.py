"""Every import a file makes, with *when* it runs, from one walk over the ``ast`` tree.

When matters more than what: only imports that run while the module is being imported
(:attr:`EdgeKind.IMPORT_TIME`) can fail in an import cycle or slow start-up down; an import in a
function body runs when the function is called, one under ``if __name__ == "__main__":`` when the
module runs as a script (both :attr:`EdgeKind.CALL_TIME`: later, if ever); one under
``if TYPE_CHECKING:`` never runs.

Cheap by construction (it runs on every file of every run): statements are walked everywhere,
since imports can hide in any block, but expressions only where they run at import time (to learn
which imported names are used there: see ``ImportRecord.module_level_use``) or, when the text
mentions ``__import__``/``import_module`` at all, everywhere (to find dynamic imports). Function
bodies, the bulk of most files, otherwise cost one type check per statement.

``from pkg import sub`` is recorded as ``target="pkg", names=("sub",)``: whether ``sub`` is a
submodule is only known to the graph builder, which knows the project's modules.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from codeopt.analysis.model import EdgeKind, ImportRecord
from codeopt.source.parsing import SourceFile

_IMPORT = EdgeKind.IMPORT_TIME
_CALL = EdgeKind.CALL_TIME
_TC = EdgeKind.TYPE_CHECKING

_BLOCK_FIELDS = frozenset({"body", "orelse", "finalbody"})
# Expression nodes with nothing below them worth a visit (and the str/None items of some lists).
_SKIP = frozenset({ast.Constant, ast.Load, ast.Store, ast.Del, str, type(None)})
_LEAVES = _SKIP | {ast.Name}  # a name read is recorded before; a name written has nothing below it

_Block = tuple[list[ast.stmt], EdgeKind, bool]  # statements, when they run, inside a try
_Push = Callable[[_Block], None]


def extract_imports(source: SourceFile) -> tuple[ImportRecord, ...]:
    """All imports of ``source`` in source order (see the module docstring for what is recorded)."""
    text = source.text
    walker = _Walker(
        module=source.module,
        is_package=source.is_package,
        dynamic="__import__" in text or "import_module" in text,
    )
    walker.walk(source.ast_tree)
    return walker.records()


def resolve_relative(name: str, level: int, anchor: str) -> str | None:
    """``<level dots><name>`` seen from package ``anchor``; None when it climbs above the top.

    The rule of ``importlib.util.resolve_name``: one dot is the anchor itself, each further dot drops
    one trailing component.
    """
    if not anchor:
        return None
    bits = anchor.rsplit(".", level - 1)
    if len(bits) < level:
        return None
    return f"{bits[0]}.{name}" if name else bits[0]


def package_of(module: str, is_package: bool) -> str:
    """The package relative imports are resolved against (the module's ``__package__``)."""
    return module if is_package else module.rpartition(".")[0]


@lru_cache(maxsize=1 << 16)
def ancestors(module: str) -> tuple[str, ...]:
    """``a.b.c`` -> ``("a", "a.b")``: the packages Python imports first."""
    parts = module.split(".")
    return tuple(".".join(parts[:i]) for i in range(1, len(parts)))


@dataclass(slots=True)
class _Raw:
    """An import found by the walk; frozen into an ImportRecord once all name uses are known."""

    target: str
    lineno: int
    col: int
    kind: EdgeKind
    in_try: bool
    names: tuple[str, ...] = ()
    bound: tuple[str, ...] = ()
    level: int = 0
    resolved: bool = True
    dynamic: bool = False


class _Walker:
    """An explicit-stack walk over statement *lists*: no recursion limit, few stack operations.

    Visiting order is free: records are sorted by position at the end, and the two facts that
    depend on order (``from __future__ import annotations``, aliases of ``import_module``) are
    looked up before the walk or resolved after it.
    """

    def __init__(self, module: str, is_package: bool, dynamic: bool) -> None:
        self.module = module
        self.is_package = is_package
        self.package = package_of(module, is_package)
        self.dynamic = dynamic
        self.dynamic_call: type[ast.AST] | None = ast.Call if dynamic else None  # may be one, if any
        self.raw: list[_Raw] = []
        self.used: set[str] = set()  # names read where code runs at import time, or in __all__
        self.future_annotations = False
        self.importlib_aliases = {"importlib"}
        self.import_module_aliases: set[str] = set()
        # calls of a bare name with a literal first argument: maybe import_module under an alias
        self.bare_calls: list[tuple[ast.Call, str, EdgeKind, bool]] = []

    # -- statements -----------------------------------------------------------------------------

    def walk(self, tree: ast.Module) -> None:
        self.future_annotations = _has_future_annotations(tree)
        stack: list[_Block] = [(tree.body, _IMPORT, False)]
        pop, push = stack.pop, stack.append
        compound = self._COMPOUND
        while stack:
            body, kind, in_try = pop()
            exprs = kind is _IMPORT or (self.dynamic and kind is _CALL)
            for node in body:
                node_type = type(node)
                if node_type is ast.Import:
                    self._import(node, kind, in_try)  # type: ignore[arg-type]
                elif node_type is ast.ImportFrom:
                    self._import_from(node, kind, in_try)  # type: ignore[arg-type]
                elif node_type in compound:
                    compound[node_type](self, node, kind, in_try, exprs, push)
                elif exprs:
                    self._simple_statement(node, kind, in_try)

    def _simple_statement(self, node: ast.stmt, kind: EdgeKind, in_try: bool) -> None:
        """A statement without a body, where its expressions are worth a scan."""
        if kind is _IMPORT:
            self._note_all(node)
        if isinstance(node, ast.AnnAssign) and self.future_annotations:
            self._scan([node.value] if node.value else [], kind, in_try)  # the annotation is never run
        else:
            self._scan([node], kind, in_try)

    def _def(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        kind: EdgeKind,
        in_try: bool,
        exprs: bool,
        push: _Push,
    ) -> None:
        if exprs:  # decorators, defaults and (unless postponed) annotations run at def time
            self._scan(self._definition_time(node), kind, in_try)
        push((node.body, _TC if kind is _TC else _CALL, in_try))

    def _if(self, node: ast.If, kind: EdgeKind, in_try: bool, exprs: bool, push: _Push) -> None:
        guard = _type_checking_guard(node.test)
        if exprs:
            self._scan([node.test], kind, in_try)
        body_kind = _TC if guard > 0 else kind
        if body_kind is _IMPORT and _is_main_guard(node.test):
            body_kind = _CALL  # runs only when the module runs as a script, never on import
        push((node.body, body_kind, in_try))
        push((node.orelse, _TC if guard < 0 else kind, in_try))

    def _try(
        self, node: ast.Try | ast.TryStar, kind: EdgeKind, in_try: bool, exprs: bool, push: _Push
    ) -> None:
        # body, handlers and else make the optional-dependency pattern; finally always runs
        push((node.body, kind, True))
        for handler in node.handlers:
            if exprs and handler.type is not None:
                self._scan([handler.type], kind, in_try)
            push((handler.body, kind, True))
        push((node.orelse, kind, True))
        push((node.finalbody, kind, in_try))

    def _match(self, node: ast.Match, kind: EdgeKind, in_try: bool, exprs: bool, push: _Push) -> None:
        if exprs:
            self._scan([node.subject], kind, in_try)
        for case in node.cases:
            if exprs and case.guard is not None:
                self._scan([case.guard], kind, in_try)
            push((case.body, kind, in_try))

    def _block(self, node: ast.stmt, kind: EdgeKind, in_try: bool, exprs: bool, push: _Push) -> None:
        """ClassDef (a class body runs when the class statement does), For, While, With."""
        for field in node._fields:
            value = getattr(node, field)
            if field in _BLOCK_FIELDS:
                push((value, kind, in_try))
            elif exprs and value:
                self._scan(value if isinstance(value, list) else [value], kind, in_try)

    # Statements holding other statements, each with what to do with it (its blocks are pushed, its
    # expressions scanned when they run now); every other statement is a leaf of the statement walk.
    _COMPOUND: ClassVar[Mapping[type[ast.AST], Callable[..., None]]] = {
        ast.FunctionDef: _def,
        ast.AsyncFunctionDef: _def,
        ast.If: _if,
        ast.Try: _try,
        ast.TryStar: _try,
        ast.Match: _match,
        ast.ClassDef: _block,
        ast.For: _block,
        ast.AsyncFor: _block,
        ast.While: _block,
        ast.With: _block,
        ast.AsyncWith: _block,
    }

    def _definition_time(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
        args = node.args
        out: list[ast.AST] = [*node.decorator_list, *args.defaults]
        out.extend(default for default in args.kw_defaults if default is not None)
        if not self.future_annotations:
            for arg in (*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg):
                if arg is not None and arg.annotation is not None:
                    out.append(arg.annotation)
            if node.returns is not None:
                out.append(node.returns)
        return out

    def _note_all(self, node: ast.stmt) -> None:
        """Names listed in a literal ``__all__`` are re-exported: that is a use at import time."""
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        if not any(_is_name(target, "__all__") for target in targets):
            return
        value = getattr(node, "value", None)
        if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
            for elt in value.elts:
                if isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                    self.used.add(elt.value)

    # -- import statements ----------------------------------------------------------------------

    def _import(self, node: ast.Import, kind: EdgeKind, in_try: bool) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name.partition(".")[0]  # `import a.b.c` binds `a`
            if alias.name == "importlib":
                self.importlib_aliases.add(bound)
            self.raw.append(_Raw(alias.name, node.lineno, node.col_offset, kind, in_try, bound=(bound,)))

    def _import_from(self, node: ast.ImportFrom, kind: EdgeKind, in_try: bool) -> None:
        level = node.level or 0
        written = node.module or ""
        names = tuple(alias.name for alias in node.names)
        if written == "importlib" and not level:
            self.import_module_aliases.update(
                alias.asname or alias.name for alias in node.names if alias.name == "import_module"
            )
        target = resolve_relative(written, level, self.package) if level else written
        self.raw.append(
            _Raw(
                target if target is not None else "." * level + written,
                node.lineno,
                node.col_offset,
                kind,
                in_try,
                names=names,
                bound=tuple(alias.asname or alias.name for alias in node.names if alias.name != "*"),
                level=level,
                resolved=target is not None,
            )
        )

    # -- expressions ----------------------------------------------------------------------------

    def _scan(self, roots: list[ast.AST], kind: EdgeKind, in_try: bool) -> None:
        """Record names read at import time, and dynamic imports, in the expressions ``roots``.

        The walk's hot loop: no call per node, and the per-scan decisions are taken up front.
        """
        stack = list(roots)
        pop, extend, push = stack.pop, stack.extend, stack.append
        reads = self.used if kind is _IMPORT else set()  # reads at call time are not recorded
        dynamic_call = self.dynamic_call
        while stack:
            node = pop()
            node_type = type(node)
            if node_type is ast.Name and type(node.ctx) is ast.Load:  # type: ignore[attr-defined]
                reads.add(node.id)  # type: ignore[attr-defined]
            elif node_type is ast.Lambda:
                self._scan_lambda(node, kind, extend)  # type: ignore[arg-type]
            elif node_type not in _LEAVES:
                if node_type is dynamic_call:
                    self._dynamic_call(node, kind, in_try)  # type: ignore[arg-type]
                for field in node._fields:
                    value = getattr(node, field)
                    if type(value) is list:
                        extend(value)
                    elif isinstance(value, ast.AST):
                        push(value)

    def _scan_lambda(
        self, node: ast.Lambda, kind: EdgeKind, extend: Callable[[Iterable[ast.AST]], None]
    ) -> None:
        """Defaults run now; the body only when called, outside any try around the lambda."""
        extend(d for d in (*node.args.defaults, *node.args.kw_defaults) if d is not None)
        if self.dynamic and kind is not _TC:
            self._scan([node.body], _CALL, False)

    def _dynamic_call(self, node: ast.Call, kind: EdgeKind, in_try: bool) -> None:
        if not node.args:
            return
        first = node.args[0]
        if not isinstance(first, ast.Constant) or not isinstance(first.value, str) or not first.value:
            return  # only literal names can be followed statically
        func = node.func
        if isinstance(func, ast.Name):
            if func.id == "__import__":
                self._add_dynamic(node, first.value, kind, in_try, anchor=None)
            else:  # maybe `from importlib import import_module as x`: known after the walk
                self.bare_calls.append((node, first.value, kind, in_try))
        elif (
            isinstance(func, ast.Attribute)
            and func.attr in ("import_module", "__import__")
            and isinstance(func.value, ast.Name)
            and func.value.id in self.importlib_aliases
        ):
            anchor = self._package_argument(node) if func.attr == "import_module" else None
            self._add_dynamic(node, first.value, kind, in_try, anchor)

    def _add_dynamic(
        self, node: ast.Call, name: str, kind: EdgeKind, in_try: bool, anchor: str | None
    ) -> None:
        level = len(name) - len(name.lstrip("."))
        target: str | None = name
        if level:
            target = resolve_relative(name[level:], level, anchor) if anchor else None
        self.raw.append(
            _Raw(
                target if target is not None else name,
                node.lineno,
                node.col_offset,
                kind,
                in_try,
                level=level,
                resolved=target is not None,
                dynamic=True,
            )
        )

    def _package_argument(self, node: ast.Call) -> str | None:
        """The anchor of ``import_module(".x", package)``, when it is knowable statically."""
        arg: ast.expr | None = node.args[1] if len(node.args) > 1 else None
        for keyword in node.keywords:
            if keyword.arg == "package":
                arg = keyword.value
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
        if _is_name(arg, "__name__"):
            return self.module or None
        if _is_name(arg, "__package__"):
            return self.package or None
        return None

    # -- result ---------------------------------------------------------------------------------

    def records(self) -> tuple[ImportRecord, ...]:
        for node, name, kind, in_try in self.bare_calls:
            if isinstance(node.func, ast.Name) and node.func.id in self.import_module_aliases:
                self._add_dynamic(node, name, kind, in_try, self._package_argument(node))
        self.raw.sort(key=lambda raw: (raw.lineno, raw.col))  # stable: `import a, b` keeps its order
        return tuple(self._record(raw) for raw in self.raw)

    def _record(self, raw: _Raw) -> ImportRecord:
        module_level_use = raw.kind is _IMPORT and (
            raw.names == ("*",)
            or any(name in self.used for name in raw.bound)
            # a from-import in an __init__ is the package's public API: a re-export
            or (self.is_package and bool(raw.names))
        )
        return ImportRecord(
            target=raw.target,
            names=raw.names,
            bound=raw.bound,
            lineno=raw.lineno,
            kind=raw.kind,
            level=raw.level,
            in_try=raw.in_try,
            resolved=raw.resolved,
            dynamic=raw.dynamic,
            module_level_use=module_level_use,
        )


def _is_name(node: ast.AST | None, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _has_future_annotations(tree: ast.Module) -> bool:
    """``from __future__ import annotations`` (only allowed before any other statement)."""
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            if any(alias.name == "annotations" for alias in node.names):
                return True
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):  # docstring
            return False
    return False


def _is_main_guard(test: ast.expr) -> bool:
    """``if __name__ == "__main__":`` (either way round)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = (test.left, test.comparators[0])
    return any(_is_name(side, "__name__") for side in sides) and any(
        isinstance(side, ast.Constant) and side.value == "__main__" for side in sides
    )


def _type_checking_guard(test: ast.expr) -> int:
    """+1 for ``if TYPE_CHECKING:`` (or any ``x.TYPE_CHECKING``), -1 for ``if not ...:``, else 0."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return -_type_checking_guard(test.operand)
    if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
        return 1
    if isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING":
        return 1
    return 0
