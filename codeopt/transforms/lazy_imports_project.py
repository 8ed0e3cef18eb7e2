"""Which of the project's own modules may be imported lazily by the others, and what that saves.

Why: in a package, the costly third-party imports usually sit a few modules deep
(``main -> generate -> jinja2``); a module that must import ``jinja2`` eagerly (a class derives from
it) is still cheap to *reach* lazily. Deferring ``from pkg.generate import generate_files`` in
``pkg.main`` defers everything ``pkg.generate`` loads.

Deferring a project module moves its import-time code to first use, so a module qualifies only when
it is *declarative*, and so is every project module it imports eagerly (transitively): its top level
only imports, defines functions and classes, and assigns values computed without calls, except calls
known to be pure (``logging.getLogger``, ``re.compile``, ``TypeVar``, ...). Module-level calls,
decorators other than the known pure ones (``@app.route`` registers), classes deriving from frameworks
that register subclasses (Django models, SQLAlchemy declarative, marshmallow schemas), star imports,
``globals()``/``exec``, and never-lazy modules make it stay eager, with the reason reported.

The cost of a project module is the largest estimated cost of a third-party or standard-library module
its eager closure imports: an under-estimate, so the threshold errs on the side of not rewriting.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from codeopt.analysis.import_cost import estimate_import_cost

# Calls that compute a value without effects outside the module (allow-list; anything else counts).
PURE_CALLS = frozenset(
    {
        "logging.getLogger",
        "getLogger",
        "re.compile",
        "TypeVar",
        "typing.TypeVar",
        "ParamSpec",
        "NewType",
        "typing.NewType",
        "namedtuple",
        "collections.namedtuple",
        "object",
        "frozenset",
        "set",
        "dict",
        "list",
        "tuple",
        "str",
        "int",
        "float",
        "bool",
        "bytes",
        "Path",
        "pathlib.Path",
        "field",
        "dataclasses.field",
        "cast",
        "typing.cast",
        "contextvars.ContextVar",
        "ContextVar",
        "threading.Lock",
        "threading.RLock",
        "Lock",
        "RLock",
        "partial",
        "functools.partial",
        "sys.intern",
        "enum.auto",
        "auto",
        "struct.Struct",
        "os.path.join",
        "os.path.dirname",
        "os.path.abspath",
        "re.escape",
        "str.maketrans",
        "Enum",
        "lazy_import",  # codeopt's own declarations: a re-run sees the same module as the first run
        "lazy_from",
    }
)
PURE_DECORATORS = frozenset(
    {
        "property",
        "staticmethod",
        "classmethod",
        "abstractmethod",
        "abc.abstractmethod",
        "overload",
        "typing.overload",
        "final",
        "typing.final",
        "override",
        "dataclass",
        "dataclasses.dataclass",
        "total_ordering",
        "functools.total_ordering",
        "wraps",
        "functools.wraps",
        "cache",
        "functools.cache",
        "lru_cache",
        "functools.lru_cache",
        "cached_property",
        "functools.cached_property",
        "singledispatch",
        "functools.singledispatch",
        "contextmanager",
        "contextlib.contextmanager",
        "asynccontextmanager",
        "contextlib.asynccontextmanager",
        "unique",
        "enum.unique",
        "runtime_checkable",
        "typing.runtime_checkable",
    }
)
# Base classes from frameworks whose metaclass or __init_subclass__ registers every subclass.
REGISTERING_BASES = (
    "django",
    "sqlalchemy",
    "marshmallow",
    "peewee",
    "mongoengine",
    "pony",
    "graphene",
    "wtforms",
)


@dataclass(frozen=True)
class ProjectModule:
    """A project module as a lazy-import target: its estimated cost, and why it must stay eager."""

    name: str
    cost_ms: float
    blocker: str = ""  # "" when it may be deferred


def project_modules(
    sources: Mapping[str, tuple[str, str, bool]], never_lazy: Iterable[str] = ()
) -> tuple[ProjectModule, ...]:
    """``sources`` maps module name -> (display path, text, is_package); unparsable modules are left out."""
    scans: dict[str, _Scan] = {}
    for name, (shown, text, is_package) in sources.items():
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError):
            continue
        scans[name] = _scan(name, shown, tree, tuple(never_lazy), is_package)
    return tuple(_summarise(name, scans) for name in sorted(scans))


@dataclass(frozen=True)
class _Scan:
    imports: tuple[str, ...]  # modules imported at import time (absolute)
    blocker: str


def _summarise(name: str, scans: Mapping[str, _Scan]) -> ProjectModule:
    # the top-level package is loaded before any of its modules can import another: not a cost
    seen: set[str] = {name.split(".", 1)[0]} if "." in name else set()
    stack = [name]
    cost = 0.0
    blocker = ""
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        scan = scans.get(current)
        if scan is None:
            cost = max(cost, estimate_import_cost(current).ms)
            continue
        if scan.blocker and not blocker:
            blocker = scan.blocker if current == name else f"imports {current}, which {scan.blocker}"
        stack.extend(scan.imports)
    return ProjectModule(name, cost, blocker)


def _scan(name: str, shown: str, tree: ast.Module, never_lazy: tuple[str, ...], is_package: bool) -> _Scan:
    walker = _TopLevel(name if not is_package else f"{name}.__init__", shown, never_lazy)
    for statement in tree.body:
        walker.statement(statement)
    return _Scan(tuple(dict.fromkeys(walker.imports)), walker.blocker)


class _TopLevel:
    """The module's top level, statement by statement: what it imports eagerly and the first effect."""

    def __init__(self, name: str, shown: str, never_lazy: tuple[str, ...]) -> None:
        self.name = name
        self.shown = shown
        self.never_lazy = never_lazy
        self.imports: list[str] = []
        self.aliases: dict[str, str] = {}  # bound name -> dotted module or object it stands for
        self.blocker = ""

    def block(self, node: ast.AST, what: str) -> None:
        if not self.blocker:
            self.blocker = f"{what} at import ({self.shown}:{getattr(node, 'lineno', 0)})"

    def statement(self, node: ast.stmt) -> None:
        handler = getattr(self, f"on_{type(node).__name__}", None)
        if handler is None:
            self.block(node, "runs code")
        else:
            handler(node)

    def on_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imported(node, alias.name)
            bound = alias.asname or alias.name.split(".", 1)[0]
            self.aliases[bound] = alias.name if alias.asname else bound

    def on_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _resolve(self.name, node.level, node.module)
        if base is None:
            self.block(node, "has a relative import beyond its package")
            return
        if base == "__future__":
            return
        for alias in node.names:
            if alias.name == "*":
                self.block(node, "has a star import")
            self.imported(node, base)
            self.imported(node, f"{base}.{alias.name}", optional=True)
            self.aliases[alias.asname or alias.name] = f"{base}.{alias.name}"

    def imported(self, node: ast.AST, module: str, optional: bool = False) -> None:
        if not optional and any(module == m or module.startswith(m + ".") for m in self.never_lazy):
            self.block(node, f"imports never-lazy {module}")
        self.imports.append(module)

    def on_Expr(self, node: ast.Expr) -> None:
        if not isinstance(node.value, ast.Constant):  # a docstring is fine, a call is not
            self.check_value(node, node.value)

    def on_Assign(self, node: ast.Assign) -> None:
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return
        self.check_value(node, node.value)

    def on_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.check_value(node, node.value)

    def on_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.check_decorators(node.decorator_list)
        for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]:
            self.check_value(node, default)

    on_AsyncFunctionDef = on_FunctionDef

    def on_ClassDef(self, node: ast.ClassDef) -> None:
        self.check_decorators(node.decorator_list)
        for base in [*node.bases, *(k.value for k in node.keywords)]:
            dotted = self.resolve(_dotted(base))
            if dotted is not None and dotted.split(".", 1)[0] in REGISTERING_BASES:
                self.block(node, f"defines a class on {dotted}, which registers subclasses,")
        for statement in node.body:
            self.statement(statement)

    def resolve(self, dotted: str | None) -> str | None:
        """``models.Model`` with ``from django.db import models`` -> ``django.db.models.Model``."""
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        full = self.aliases.get(head, head)
        return f"{full}.{rest}" if rest else full

    def on_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            return
        if _is_main_guard(node.test):
            return
        self.block(node, "runs a module-level if")

    def on_Try(self, node: ast.Try) -> None:
        catches_import_error = all(
            h.type is not None and _dotted(h.type) in ("ImportError", "ModuleNotFoundError")
            for h in node.handlers
        )
        if not catches_import_error or node.finalbody:
            self.block(node, "runs a module-level try")
            return
        for statement in [*node.body, *node.orelse, *(s for h in node.handlers for s in h.body)]:
            self.statement(statement)

    def on_Pass(self, node: ast.Pass) -> None:
        return None

    def check_decorators(self, decorators: list[ast.expr]) -> None:
        for decorator in decorators:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            dotted = _dotted(target)
            if dotted not in PURE_DECORATORS:
                self.block(decorator, f"applies the decorator {dotted or 'expression'}")

    def check_value(self, node: ast.AST, value: ast.AST) -> None:
        for sub in ast.walk(value):
            if isinstance(sub, ast.Call):
                dotted = _dotted(sub.func)
                if dotted not in PURE_CALLS:
                    self.block(node, f"calls {dotted or 'an expression'}")
                    return
            elif isinstance(sub, ast.Await | ast.Yield | ast.YieldFrom | ast.NamedExpr):
                self.block(node, "runs code")
                return


def _resolve(module: str, level: int, name: str | None) -> str | None:
    if not level:
        return name or ""
    parts = module.split(".")
    if len(parts) < level:
        return None
    base = ".".join(parts[: len(parts) - level])
    return f"{base}.{name}" if name and base else (name or base)


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner is not None else None
    if isinstance(node, ast.Subscript):
        return _dotted(node.value)
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return _dotted(test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )
