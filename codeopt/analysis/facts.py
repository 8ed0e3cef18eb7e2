"""Facts about one module that rules and transforms need beyond metrics, from one walk of the ``ast``.

Metrics say *how big*; facts say *what the code does with its names*, which is what decides whether a
rewrite is safe:

* **import bindings** (:class:`ImportBinding`): every name bound by a module-level import, how the
  import is guarded (``try``/``except ImportError``, ``TYPE_CHECKING``, ``if``), and every place the
  name is used, classified by *when* that place runs (:class:`UseContext`) and *how* the name is used
  (:class:`UseRole`). An import may become lazy only when every use runs after import time, which is
  exactly what :attr:`ImportBinding.runtime_contexts` answers.
* **resource creations** (:class:`ResourceCreation`): calls in function bodies whose callee resolves
  through the module's imports to a dotted name (``import sqlite3 as s; s.connect()`` is
  ``sqlite3.connect``), bound to a variable or a ``with`` target, and what happens to that object in the
  function: closed, committed, returned, stored, passed on. Facts record every such call; *which*
  callees are expensive is a rule option, so changing it never invalidates the per-file cache.
* **eager attributes** (:class:`EagerAttribute`): ``self.x = <call>`` in ``__init__``, with the
  methods that read ``self.x`` and what the class is made of (``__slots__``, dataclass).
* **function shapes** (:class:`FunctionShape`): where each function nests deepest and which block
  carries most of its complexity, with the block's inputs and outputs, so a complexity finding can
  propose a concrete extract-function.

Everything here is frozen plain data (enums, strings, ints, tuples): it crosses process boundaries and
lives in the on-disk cache. No AST node survives the walk.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from codeopt.source.parsing import SourceFile


# ------------------------------------------------------------------------------------------------
# The data model
# ------------------------------------------------------------------------------------------------


class UseContext(StrEnum):
    """When the code that uses a name runs, relative to the import of the module that holds it."""

    FUNCTION_BODY = "function-body"  # inside a def or lambda body: runs when called
    MODULE_LEVEL = "module-level"  # a module-level statement: runs at import time
    CLASS_BODY = "class-body"  # a class body statement (outside methods): runs at import time
    DECORATOR = "decorator"  # a decorator of a module-level def/class or of a method
    DEFAULT_VALUE = "default-value"  # a parameter default of a module-level def or method
    BASE_CLASS = "base-class"  # a base class or class keyword (metaclass=...)
    ANNOTATION = "annotation"  # an annotation evaluated at definition time
    DEFERRED_ANNOTATION = "deferred-annotation"  # never evaluated at run time (future import, string, local)
    TYPE_CHECKING = "type-checking"  # under ``if TYPE_CHECKING:``: never runs
    MAIN_BLOCK = "main-block"  # under ``if __name__ == "__main__":``: runs only as a script, after import
    EXPORT = "export"  # listed in ``__all__``

    @property
    def at_import_time(self) -> bool:
        """Whether code in this context runs while the module is being imported."""
        return self in _IMPORT_TIME


_IMPORT_TIME = frozenset(
    {
        UseContext.MODULE_LEVEL,
        UseContext.CLASS_BODY,
        UseContext.DECORATOR,
        UseContext.DEFAULT_VALUE,
        UseContext.BASE_CLASS,
        UseContext.ANNOTATION,
    }
)

# Contexts in which a lazily imported name is still correct: nothing there runs at import time, and
# the name is not part of the module's public surface.
LAZY_SAFE_CONTEXTS = frozenset(
    {
        UseContext.FUNCTION_BODY,
        UseContext.DEFERRED_ANNOTATION,
        UseContext.TYPE_CHECKING,
        UseContext.MAIN_BLOCK,
    }
)


class UseRole(StrEnum):
    """How a name is used; decides which lazy form works for ``from m import Name``."""

    CALL = "call"  # Name(...)
    ATTRIBUTE = "attribute"  # name.attr (the attribute is recorded)
    ISINSTANCE = "isinstance"  # second argument of isinstance/issubclass
    EXCEPT = "except"  # an ``except`` clause type
    SUBCLASS = "subclass"  # a base class
    DECORATOR = "decorator"  # @name
    REFERENCE = "reference"  # anything else (passed, returned, compared, ...)
    EXPORT = "export"  # a string in __all__


@dataclass(frozen=True)
class NameUse:
    """One read of a module-level name."""

    context: UseContext
    role: UseRole
    lineno: int
    attribute: str = ""  # the first attribute read from the name (``np.array(...)`` -> "array")
    scope: str = ""  # qualname of the function the use is in ("" outside functions)


@dataclass(frozen=True)
class ImportBinding:
    """A name bound by a module-level import statement, with every use of that name in the module.

    ``import a.b.c`` binds ``a`` (``module="a.b.c"``); ``import a.b as ab`` binds ``ab``;
    ``from m import n as k`` binds ``k`` (``module="m"``, ``imported="n"``). Relative imports are resolved
    against the file's module name when it is known (``resolved=True``).
    """

    name: str  # the local name bound
    module: str  # dotted module imported from (absolute when resolved)
    imported: str  # for ``from m import n``: "n" ("*" for star); "" for ``import m``
    alias: str  # the ``as`` name, "" when none
    lineno: int
    end_lineno: int
    level: int = 0  # relative level as written
    statement_names: int = 1  # how many names the whole statement binds
    in_try: bool = False  # inside a ``try`` body or handler at module level
    optional: bool = False  # guarded by ``except ImportError`` (or broader): an optional dependency
    fallback: bool = False  # inside the ``except`` handler itself (the fallback import)
    type_checking: bool = False  # under ``if TYPE_CHECKING:``
    conditional: bool = False  # under another module-level ``if`` (version/platform checks)
    main_block: bool = False  # under ``if __name__ == "__main__":``: never runs on import
    star: bool = False
    uses: tuple[NameUse, ...] = ()
    rebound_lines: tuple[int, ...] = ()  # other module-level bindings of the same name
    fallback_lines: tuple[int, ...] = ()  # bindings in the ``except`` of this import's ``try``
    try_line: int = 0  # the module-level ``try`` whose body holds the import (0: none)

    @property
    def is_from(self) -> bool:
        return bool(self.imported)

    @property
    def target(self) -> str:
        """The dotted name the binding refers to: ``m.n`` for from-imports, the bound module otherwise."""
        if self.imported and self.imported != "*":
            return f"{self.module}.{self.imported}" if self.module else self.imported
        if self.alias or self.star:
            return self.module
        return self.module.split(".", 1)[0]  # ``import a.b`` binds the top package ``a``

    @property
    def contexts(self) -> frozenset[UseContext]:
        return frozenset(use.context for use in self.uses)

    @property
    def roles(self) -> frozenset[UseRole]:
        return frozenset(use.role for use in self.uses)

    @property
    def unused(self) -> bool:
        """Never read in this module: the import is there for its side effect (or a re-export)."""
        return not self.uses

    @property
    def import_time_uses(self) -> tuple[NameUse, ...]:
        return tuple(u for u in self.uses if u.context not in LAZY_SAFE_CONTEXTS)

    @property
    def functions(self) -> tuple[str, ...]:
        """The functions that use the name, in order of first use."""
        return tuple(dict.fromkeys(u.scope for u in self.uses if u.context is UseContext.FUNCTION_BODY))

    @property
    def used_only_in_functions(self) -> bool:
        """Used, and only in places that run after import (function bodies, never-evaluated hints)."""
        return bool(self.uses) and not self.import_time_uses and UseContext.FUNCTION_BODY in self.contexts


@dataclass(frozen=True)
class ResourceCreation:
    """A call in a function body, to an imported callee, whose result is kept (variable or ``with``).

    ``callee`` is resolved through the imports (``s.connect`` with ``import sqlite3 as s`` is
    ``sqlite3.connect``). The flags describe the object's life inside the function; they are what
    decides whether a pool can take over its creation without changing behaviour.
    """

    function: str  # qualname of the enclosing function
    function_lineno: int
    lineno: int
    end_lineno: int
    callee: str  # resolved dotted name
    call_text: str  # the call as written (source segment, one line, shortened)
    binding: str  # the variable bound ("" when the object is only a ``with`` subject or stored)
    via_with: bool = False  # ``with callee(...) [as binding]:``
    via_closing: bool = False  # ``with contextlib.closing(callee(...)) as binding:``
    is_async: bool = False  # the enclosing function is ``async def``
    in_loop: bool = False  # created inside a loop of the function
    in_generator: bool = False  # the function yields: the object lives across yields
    is_method: bool = False
    in_init: bool = False  # created in ``__init__`` (per instance, not per call)
    methods: tuple[str, ...] = ()  # methods called on the object, in order of first call
    closed: bool = False  # ``.close()`` (or aclose/terminate/shutdown) called on it
    closed_in_finally: bool = False
    used_as_context: bool = False  # ``with binding:`` later in the function
    returned: bool = False  # the object itself is returned
    returned_derived: str = ""  # e.g. "cursor": a method result tied to the object is returned
    escapes: tuple[str, ...] = ()  # how it leaves the function: "stored on self.conn", "yielded", ...
    passed_to: tuple[str, ...] = ()  # callees it is passed to as an argument
    arg_names: tuple[str, ...] = ()  # names the call's arguments read
    param_args: tuple[str, ...] = ()  # of those, the enclosing function's parameters and locals
    called_in_loop: bool = False  # the enclosing function is called inside a loop in this module

    @property
    def commits(self) -> bool:
        return "commit" in self.methods

    @property
    def rollbacks(self) -> bool:
        return "rollback" in self.methods

    @property
    def escaped(self) -> bool:
        return self.returned or bool(self.returned_derived) or bool(self.escapes)


@dataclass(frozen=True)
class EagerAttribute:
    """``self.name = <expression with a call>`` in ``__init__`` (or ``__post_init__``)."""

    class_name: str  # qualname of the class
    class_lineno: int
    init_lineno: int
    attribute: str
    lineno: int
    end_lineno: int
    value_text: str  # the expression as written (may span lines)
    callee: str  # resolved dotted name of the outermost call ("" when not resolvable)
    calls: tuple[str, ...]  # every resolvable callee inside the value, outermost first
    reads_file: bool  # the value opens or reads a file
    init_names: tuple[str, ...]  # parameters/locals of __init__ the value reads (must be kept on self)
    conditional: bool  # assigned inside an if/for/while/try/with of __init__
    used_in_init: bool  # __init__ reads self.<attribute> after assigning it
    used_by: tuple[str, ...]  # other methods that read or write self.<attribute>
    methods: int  # methods of the class other than __init__/__post_init__
    has_slots: bool
    is_dataclass: bool
    frozen_dataclass: bool
    custom_getattr: bool  # the class defines __getattr__/__getattribute__/__setattr__
    bases: tuple[str, ...]  # base classes as written


@dataclass(frozen=True)
class Block:
    """A compound statement inside a function: the candidate for an extract-function proposal."""

    kind: str  # "for", "if", "while", "try", "with", "match"
    head: str  # the block's first line as code, shortened: "for branch in branches"
    lineno: int
    end_lineno: int
    weight: int  # nesting-weighted decision points inside (cognitive-style)
    decisions: int  # decision points inside (cyclomatic-style)
    inputs: tuple[str, ...] = ()  # local names read in the block and defined before it
    outputs: tuple[str, ...] = ()  # names assigned in the block and read after it
    exits: tuple[str, ...] = ()  # "return", "break", "continue", "yield": make extraction harder


@dataclass(frozen=True)
class FunctionShape:
    """Where a function's complexity lives."""

    qualname: str
    lineno: int
    end_lineno: int
    max_depth: int  # deepest nesting of compound statements (0 = flat)
    deepest_line: int  # a line at that depth
    decisions: int  # decision points in the body (excluding nested defs)
    block: Block | None  # the block carrying most of the complexity, if any
    weight: int = 0  # nesting-weighted decisions of its own body (cognitive-style, nested defs excluded)


@dataclass(frozen=True)
class ModuleFacts:
    """Everything the facts walk learns about one module; see the module docstring."""

    future_annotations: bool = False
    imports: tuple[ImportBinding, ...] = ()
    exports: tuple[str, ...] | None = None  # the names in ``__all__``; None when not defined
    exports_dynamic: bool = False  # ``__all__`` built by code we could not read
    module_getattr: bool = False  # PEP 562 ``__getattr__`` defined at module level
    dynamic_lines: tuple[int, ...] = ()  # module-level ``globals()``/``exec``/``eval``/``vars()``
    resources: tuple[ResourceCreation, ...] = ()
    attributes: tuple[EagerAttribute, ...] = ()
    functions: tuple[FunctionShape, ...] = ()

    def bindings(self, name: str) -> tuple[ImportBinding, ...]:
        return tuple(b for b in self.imports if b.name == name)

    def function(self, qualname: str) -> FunctionShape | None:
        return next((f for f in self.functions if f.qualname == qualname), None)

    def import_statements(self) -> dict[tuple[int, str], tuple[ImportBinding, ...]]:
        """Bindings grouped by statement (line, module): one lazy-import decision per statement."""
        grouped: dict[tuple[int, str], list[ImportBinding]] = {}
        for binding in self.imports:
            grouped.setdefault((binding.lineno, binding.module), []).append(binding)
        return {key: tuple(value) for key, value in grouped.items()}


# ------------------------------------------------------------------------------------------------
# The walk
# ------------------------------------------------------------------------------------------------

_BUILTINS = frozenset(dir(builtins))
_CLOSERS = frozenset({"close", "aclose", "terminate", "shutdown", "disconnect", "quit"})
# Method results that keep the object that produced them in use (a cursor needs its connection).
_DERIVED = frozenset(
    {"cursor", "execute", "executemany", "executescript", "pipeline", "pubsub", "stream", "blobopen"}
)
_IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})
_DYNAMIC = frozenset({"globals", "exec", "eval", "vars", "locals"})
_INIT_NAMES = frozenset({"__init__", "__post_init__"})
_PROPAGATED_ROLES = frozenset({UseRole.ISINSTANCE, UseRole.EXCEPT, UseRole.SUBCLASS, UseRole.DECORATOR})
_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_SHAPE_DETAIL_MIN = 8  # functions with fewer decision points get no inputs/outputs analysis


@dataclass(eq=False)
class _Creation:
    """A resource creation being followed through its function (mutable until the function ends)."""

    lineno: int
    end_lineno: int
    callee: str
    root: str  # the local name the callee resolved through
    call_text: str
    binding: str
    via_with: bool
    via_closing: bool
    in_loop: bool
    arg_names: tuple[str, ...]
    methods: list[str] = field(default_factory=list)
    closed: bool = False
    closed_in_finally: bool = False
    used_as_context: bool = False
    returned: bool = False
    returned_derived: str = ""
    escapes: list[str] = field(default_factory=list)
    passed_to: list[str] = field(default_factory=list)

    def escape(self, how: str) -> None:
        if how not in self.escapes:
            self.escapes.append(how)


@dataclass(eq=False)
class _Frame:
    """A compound statement of the function being walked, with the complexity found inside it."""

    node: ast.stmt
    depth: int  # 1 = directly in the function body; -1 = not in a function (not measured)
    weight: int = 0
    decisions: int = 0
    exits: set[str] = field(default_factory=set)  # return/yield/break/continue leaving the statement


@dataclass(eq=False)
class _Class:
    qualname: str
    lineno: int
    bases: tuple[str, ...]
    has_slots: bool = False
    is_dataclass: bool = False
    frozen_dataclass: bool = False
    custom_getattr: bool = False
    methods: list[str] = field(default_factory=list)
    touched: dict[str, set[str]] = field(default_factory=dict)  # method -> self attributes it touches
    init_reads: dict[str, list[int]] = field(default_factory=dict)  # attribute -> lines read in __init__
    eager: list[tuple[ast.Attribute, ast.expr, ast.stmt, _Scope, bool]] = field(default_factory=list)


@dataclass(eq=False)
class _Scope:
    kind: str  # module | class | function | lambda | comprehension
    qualname: str
    node: ast.AST | None = None
    stores: set[str] = field(default_factory=set)
    params: set[str] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    pending: list[tuple[str, NameUse]] = field(default_factory=list)  # reads not resolved yet
    imports: dict[str, str] = field(default_factory=dict)  # function-local imports: name -> dotted
    # function scopes
    is_async: bool = False
    is_method: bool = False  # has an instance first parameter (not static/class methods)
    is_init: bool = False
    self_name: str = ""
    has_yield: bool = False
    tracked: dict[str, _Creation] = field(default_factory=dict)  # variable -> the resource it holds
    derived: dict[str, tuple[_Creation, str]] = field(default_factory=dict)  # cursor -> (conn, "cursor")
    creations: list[_Creation] = field(default_factory=list)
    loads: list[tuple[str, int]] = field(default_factory=list)  # every read (for block outputs)
    decisions: int = 0
    weight: int = 0
    max_depth: int = 0
    deepest_line: int = 0
    blocks: list[_Frame] = field(default_factory=list)
    # class scopes
    cls: _Class | None = None


class _Walker(ast.NodeVisitor):
    """One pass over the module. Reads are queued per scope and resolved when the scope ends, so a
    local variable that shadows an import (``def f(json): ...``) is never counted as a use of it."""

    def __init__(self, lines: Sequence[str], module: str, is_package: bool) -> None:
        self.lines = lines
        self.module = module
        self.is_package = is_package
        self.future_annotations = False
        self.scopes: list[_Scope] = [_Scope("module", "")]
        self.functions: list[_Scope] = []  # the function scopes among ``scopes``
        self.function_depth = 0  # function and lambda scopes among ``scopes``
        self.position: UseContext | None = None  # set while visiting decorators, defaults, bases, ...
        self.type_checking = 0
        self.main_block = False  # inside ``if __name__ == "__main__":`` at module level
        self.try_depth = 0
        self.optional_depth = 0
        self.handler_depth = 0
        self.if_depth = 0
        self.loop_depth = 0
        self.finally_depth = 0
        self.depth = 0  # compound-statement nesting inside the current function
        self.frames: list[_Frame] = []
        self.hints: dict[int, tuple[UseRole, str]] = {}  # Name/Attribute node id -> how it is used
        self.flows: dict[int, str] = {}  # Name node id -> where a tracked object goes
        self.module_imports: dict[str, str] = {}
        self.rows: list[dict[str, Any]] = []
        # module-level bindings of each name: (line, handler tag, plain package import); the tag is
        # "handler:<try line>" inside an except; ``import a.b`` binds the same package object as any
        # other plain ``import a.x``
        self.module_stores: dict[str, list[tuple[int, str, bool]]] = {}
        self.tries: list[tuple[int, bool]] = []  # module-level try statements: (line, in a handler)
        self.uses: dict[str, list[NameUse]] = {}
        self.exports: list[str] | None = None
        self.exports_dynamic = False
        self.module_getattr = False
        self.dynamic_lines: list[int] = []
        self.loop_called: set[str] = set()
        self.pending_resources: list[tuple[_Creation, _Scope]] = []
        self.classes: list[_Class] = []
        self.shapes: list[FunctionShape] = []

    # -- scopes and contexts ----------------------------------------------------------------------
    @property
    def scope(self) -> _Scope:
        return self.scopes[-1]

    def function_scope(self) -> _Scope | None:
        return self.functions[-1] if self.functions else None

    def push(self, scope: _Scope) -> None:
        self.scopes.append(scope)
        if scope.kind == "function":
            self.functions.append(scope)
        if scope.kind in ("function", "lambda"):
            self.function_depth += 1

    def pop(self) -> None:
        scope = self.scopes.pop()
        if scope.kind == "function":
            self.functions.pop()
        if scope.kind in ("function", "lambda"):
            self.function_depth -= 1

    def visit(self, node: ast.AST) -> None:
        """``NodeVisitor.visit`` with the method lookup cached per node type (the walk's hot path)."""
        kind = type(node)
        method = self._dispatch.get(kind)
        if method is None:
            found: Callable[[_Walker, Any], None] = getattr(
                type(self), "visit_" + kind.__name__, _Walker.generic_visit
            )
            method = self._dispatch[kind] = found
        method(self, node)

    _dispatch: ClassVar[dict[type[ast.AST], Callable[[_Walker, Any], None]]] = {}

    def own_function(self) -> _Scope | None:
        """The current scope when it is a function body (not a lambda/comprehension inside one)."""
        scope = self.scope
        return scope if scope.kind == "function" else None

    def in_function(self) -> bool:
        return self.function_depth > 0

    def context(self) -> UseContext:
        if self.in_function():
            return UseContext.FUNCTION_BODY
        if self.type_checking:
            return UseContext.TYPE_CHECKING
        if self.main_block:
            return UseContext.MAIN_BLOCK
        if self.position is not None:
            return self.position
        return UseContext.CLASS_BODY if self.scope.kind == "class" else UseContext.MODULE_LEVEL

    def with_position(self, position: UseContext, nodes: Iterable[ast.AST | None]) -> None:
        previous, self.position = self.position, position
        try:
            for node in nodes:
                if node is not None:
                    self.visit(node)
        finally:
            self.position = previous

    def segment(self, node: ast.AST, *, one_line: bool = True, limit: int = 120) -> str:
        """The node's source text (joined to one line and shortened unless ``one_line`` is False)."""
        lineno: int = getattr(node, "lineno", 0)
        end: int = getattr(node, "end_lineno", None) or lineno
        col: int = getattr(node, "col_offset", 0)
        end_col: int | None = getattr(node, "end_col_offset", None)
        if not lineno or end > len(self.lines):
            return ""
        if lineno == end:
            text = self.lines[lineno - 1][col:end_col]
        else:
            chunk = [
                self.lines[lineno - 1][col:],
                *self.lines[lineno : end - 1],
                self.lines[end - 1][:end_col],
            ]
            text = " ".join(part.strip() for part in chunk) if one_line else "\n".join(chunk)
        if one_line and len(text) > limit:
            text = text[: limit - 3] + "..."
        return text

    # -- name resolution --------------------------------------------------------------------------
    def resolve_relative(self, level: int, name: str | None) -> str:
        """``from ..x import y`` against the file's module; kept as written ("..x") when unknown."""
        if not level:
            return name or ""
        parts = self.module.split(".") if self.module else []
        if not self.is_package:
            parts = parts[:-1]
        if not self.module or level - 1 > len(parts):
            return "." * level + (name or "")
        parts = parts[: len(parts) - (level - 1)]
        return ".".join([*parts, *([name] if name else [])])

    def lookup_import(self, name: str) -> str | None:
        for scope in reversed(self.scopes):
            if scope.kind == "class" and scope is not self.scope:
                continue  # class namespaces are invisible from nested scopes
            if name in scope.imports:
                return scope.imports[name]
            if scope.kind in ("function", "lambda", "comprehension") and (
                name in scope.params or name in scope.stores
            ):
                return None
        return self.module_imports.get(name)

    def dotted(self, node: ast.expr) -> tuple[str, str]:
        """(resolved dotted name, local root name) of a Name/Attribute chain; ("", "") if unknown."""
        attrs: list[str] = []
        while isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return "", ""
        target = self.lookup_import(node.id)
        if target is None:
            shadowed = node.id in self.module_stores or any(
                node.id in s.stores or node.id in s.params for s in self.scopes[1:]
            )
            if node.id not in _BUILTINS or shadowed:
                return "", ""
            target = node.id
        return ".".join([target, *reversed(attrs)]), node.id

    def hint(self, node: ast.AST | None, role: UseRole, attribute: str = "") -> None:
        if node is None:
            return
        for elt in node.elts if isinstance(node, ast.Tuple) else [node]:
            self.hints[id(elt)] = (role, attribute)

    def store(self, name: str, lineno: int) -> None:
        scope = self.scope
        if scope.kind in ("function", "lambda") and name in scope.globals:
            self.module_stores.setdefault(name, []).append((lineno, "", False))
            return
        scope.stores.add(name)
        if scope.kind == "module":
            self.module_stores.setdefault(name, []).append((lineno, self.store_tag(), False))
        elif scope.kind == "function":
            scope.tracked.pop(name, None)
            scope.derived.pop(name, None)

    def read(self, name: str, lineno: int, role: UseRole, attribute: str, context: UseContext) -> None:
        fn = self.function_scope()
        where = fn.qualname if fn is not None else ""
        self.scope.pending.append((name, NameUse(context, role, lineno, attribute, where)))
        if fn is not None:
            fn.loads.append((name, lineno))

    def finish_scope(self, scope: _Scope) -> None:
        """Resolve the scope's queued reads: local ones vanish, free ones move outwards."""
        if scope.kind == "module":
            for name, use in scope.pending:
                self.uses.setdefault(name, []).append(use)
            return
        target = self.scope  # the scope list no longer holds ``scope``
        if scope.kind != "class":
            target = next(s for s in reversed(self.scopes) if s.kind != "class")
        local = (scope.stores | scope.params | set(scope.imports)) - scope.nonlocals
        for name, use in scope.pending:
            if name in scope.globals:
                self.uses.setdefault(name, []).append(use)
            elif name not in local:
                target.pending.append((name, use))
        for creation in scope.creations:
            if creation.root not in scope.stores or creation.root in scope.imports:
                self.pending_resources.append((creation, scope))

    # -- module -----------------------------------------------------------------------------------
    def run(self, tree: ast.Module) -> None:
        self.future_annotations = _has_future_annotations(tree)
        self.collect_module_imports(tree.body)
        for stmt in tree.body:
            self.visit(stmt)
        self.finish_scope(self.scopes[0])

    def collect_module_imports(self, body: Iterable[ast.stmt]) -> None:
        """A shallow pre-pass so calls in functions resolve imports written below the function."""
        for stmt in body:
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    bound = alias.asname or alias.name.split(".", 1)[0]
                    self.module_imports.setdefault(bound, alias.name if alias.asname else bound)
            elif isinstance(stmt, ast.ImportFrom):
                base = self.resolve_relative(stmt.level, stmt.module)
                for alias in stmt.names:
                    if alias.name != "*":
                        full = (
                            f"{base}.{alias.name}" if base and not base.endswith(".") else base + alias.name
                        )
                        self.module_imports.setdefault(alias.asname or alias.name, full)
            elif isinstance(stmt, ast.If):
                self.collect_module_imports(stmt.body)
                self.collect_module_imports(stmt.orelse)
            elif isinstance(stmt, ast.With):
                self.collect_module_imports(stmt.body)
            elif isinstance(stmt, ast.Try | ast.TryStar):
                self.collect_module_imports(stmt.body)
                for handler in stmt.handlers:
                    self.collect_module_imports(handler.body)
                self.collect_module_imports(stmt.orelse)
                self.collect_module_imports(stmt.finalbody)

    # -- imports ----------------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".", 1)[0]
            target = alias.name if alias.asname else bound
            self.add_import(node, bound, alias.name, "", alias.asname or "", target)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self.resolve_relative(node.level, node.module)
        for alias in node.names:
            full = f"{base}.{alias.name}" if base and not base.endswith(".") else base + alias.name
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
                "in_try": self.try_depth > 0,
                "optional": self.optional_depth > 0,
                "fallback": self.handler_depth > 0,
                "type_checking": self.type_checking > 0,
                "conditional": self.if_depth > 0,
                "main_block": self.main_block,
                "star": star,
                "try_line": next((line for line, handler in reversed(self.tries) if not handler), 0),
            }
        )

    # -- definitions ------------------------------------------------------------------------------
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

    def visit_decorators(self, decorators: list[ast.expr]) -> None:
        for decorator in decorators:
            self.hint(decorator.func if isinstance(decorator, ast.Call) else decorator, UseRole.DECORATOR)
        self.with_position(UseContext.DECORATOR, decorators)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.visit_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.visit_function(node)

    def visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer = self.scope
        self.visit_decorators(node.decorator_list)
        self.with_position(UseContext.DEFAULT_VALUE, [*node.args.defaults, *node.args.kw_defaults])
        annotation_context = self.signature_annotation_context()
        for arg in _all_args(node.args):
            self.visit_annotation(arg.annotation, annotation_context)
        self.visit_annotation(node.returns, annotation_context)
        self.store(node.name, node.lineno)
        if outer.kind == "module" and node.name == "__getattr__":
            self.module_getattr = True
        scope = _Scope("function", _qualname(outer, node.name), node)
        scope.is_async = isinstance(node, ast.AsyncFunctionDef)
        scope.params = {a.arg for a in _all_args(node.args)}
        if outer.cls is not None:
            outer.cls.methods.append(node.name)
            if node.name in ("__getattr__", "__getattribute__", "__setattr__"):
                outer.cls.custom_getattr = True
            positional = [*node.args.posonlyargs, *node.args.args]
            kinds = {_decorator_name(d) for d in node.decorator_list}
            if positional and not kinds & {"staticmethod", "classmethod"}:
                scope.is_method = True
                scope.self_name = positional[0].arg
                scope.is_init = node.name in _INIT_NAMES
        saved = (self.frames, self.depth, self.loop_depth, self.finally_depth, self.position)
        self.frames, self.depth, self.loop_depth, self.finally_depth, self.position = [], 0, 0, 0, None
        self.push(scope)
        try:
            for stmt in node.body:
                self.visit(stmt)
        finally:
            self.pop()
            self.frames, self.depth, self.loop_depth, self.finally_depth, self.position = saved
        self.finish_scope(scope)
        self.shapes.append(_shape(scope, node))

    def visit_Lambda(self, node: ast.Lambda) -> None:
        defaults = [*node.args.defaults, *node.args.kw_defaults]
        if self.in_function():
            for default in defaults:
                if default is not None:
                    self.visit(default)
        else:
            self.with_position(UseContext.DEFAULT_VALUE, defaults)
        scope = _Scope("lambda", _qualname(self.scope, "<lambda>"), node)
        scope.params = {a.arg for a in _all_args(node.args)}
        self.push(scope)
        try:
            self.visit(node.body)
        finally:
            self.pop()
        self.finish_scope(scope)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        outer = self.scope
        self.visit_decorators(node.decorator_list)
        self.hint(ast.Tuple(elts=list(node.bases)), UseRole.SUBCLASS)
        self.with_position(UseContext.BASE_CLASS, [*node.bases, *(k.value for k in node.keywords)])
        self.store(node.name, node.lineno)
        cls = _Class(_qualname(outer, node.name), node.lineno, tuple(self.segment(b) for b in node.bases))
        for decorator in node.decorator_list:
            if _decorator_name(decorator) == "dataclass":
                cls.is_dataclass = True
                for kw in decorator.keywords if isinstance(decorator, ast.Call) else ():
                    cls.has_slots |= kw.arg == "slots" and _is_true(kw.value)
                    cls.frozen_dataclass |= kw.arg == "frozen" and _is_true(kw.value)
        cls.has_slots |= any(_assigns_name(stmt, "__slots__") for stmt in node.body)
        scope = _Scope("class", cls.qualname, node, cls=cls)
        saved, self.position = self.position, None
        self.push(scope)
        try:
            for stmt in node.body:
                self.visit(stmt)
        finally:
            self.pop()
            self.position = saved
        self.finish_scope(scope)
        self.classes.append(cls)

    def visit_comprehension_scope(
        self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, elements: list[ast.expr]
    ) -> None:
        self.visit(node.generators[0].iter)  # evaluated in the enclosing scope
        scope = _Scope("comprehension", self.scope.qualname, node)
        self.push(scope)
        self.loop_depth += 1
        try:
            for index, generator in enumerate(node.generators):
                self.decision()  # each ``for`` of a comprehension is a loop (radon counts it too)
                if index:
                    self.visit(generator.iter)
                self.visit(generator.target)
                for condition in generator.ifs:
                    self.decision()
                    self.visit(condition)
            for element in elements:
                self.visit(element)
        finally:
            self.loop_depth -= 1
            self.pop()
        self.finish_scope(scope)

    def visit_ListComp(self, node: ast.ListComp) -> None:
        self.visit_comprehension_scope(node, [node.elt])

    def visit_SetComp(self, node: ast.SetComp) -> None:
        self.visit_comprehension_scope(node, [node.elt])

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> None:
        self.visit_comprehension_scope(node, [node.elt])

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self.visit_comprehension_scope(node, [node.key, node.value])

    def visit_Global(self, node: ast.Global) -> None:
        self.scope.globals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.scope.nonlocals.update(node.names)

    # -- names ------------------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.store(node.id, node.lineno)
            return
        role, attribute = self.hints.pop(id(node), (UseRole.REFERENCE, ""))
        self.read(node.id, node.lineno, role, attribute, self.context())
        self.follow_resource(node, attribute)
        if node.id in _DYNAMIC and role is UseRole.CALL and not self.in_function():
            self.dynamic_lines.append(node.lineno)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        role, _ = self.hints.pop(id(node), (UseRole.ATTRIBUTE, ""))
        passed = role if role in _PROPAGATED_ROLES else UseRole.ATTRIBUTE
        self.hints[id(node.value)] = (passed, node.attr if isinstance(node.value, ast.Name) else "")
        if isinstance(node.value, ast.Name):
            self.note_self_attribute(node.value.id, node.attr, node.lineno, isinstance(node.ctx, ast.Load))
        self.visit(node.value)

    def visit_Constant(self, node: ast.Constant) -> None:
        return

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        self.hints.setdefault(id(func), (UseRole.CALL, ""))
        if isinstance(func, ast.Name) and func.id in ("isinstance", "issubclass") and len(node.args) == 2:
            self.hint(node.args[1], UseRole.ISINSTANCE)
        if self.loop_depth:
            called = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if called:
                self.loop_called.add(called)
        fn = self.own_function()
        if fn is not None and fn.tracked:
            callee = self.segment(func, limit=60)
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                inner = arg.value if isinstance(arg, ast.Starred) else arg
                if isinstance(inner, ast.Name) and inner.id in fn.tracked:
                    self.flows[id(inner)] = f"passed:{callee}"
        if (
            isinstance(func, ast.Name)
            and func.id in ("getattr", "setattr", "hasattr")
            and len(node.args) >= 2
        ):
            owner, key = node.args[0], node.args[1]
            if isinstance(owner, ast.Name) and isinstance(key, ast.Constant) and isinstance(key.value, str):
                self.note_self_attribute(owner.id, key.value, node.lineno, func.id != "setattr")
        self.generic_visit(node)

    # -- statements -------------------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        if self.scope.kind == "module":
            self.note_exports(node.targets, node.value)
        fn = self.own_function()
        creation = None
        if fn is not None:
            self.note_flows_into(node.targets, node.value, fn)
            if len(node.targets) == 1:
                creation = self.maybe_creation(node.value, node.targets[0], fn, via_with=False)
            if fn.is_init:
                for target in node.targets:
                    self.maybe_eager(target, node.value, node, fn)
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)
        if fn is not None:
            self.after_assign(node.targets, node.value, fn, creation)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        fn = self.own_function()
        creation = None
        if fn is not None and node.value is not None:
            self.note_flows_into([node.target], node.value, fn)
            creation = self.maybe_creation(node.value, node.target, fn, via_with=False)
            if fn.is_init:
                self.maybe_eager(node.target, node.value, node, fn)
        if self.in_function() or self.future_annotations:
            self.visit_annotation(node.annotation, UseContext.DEFERRED_ANNOTATION)  # never evaluated
        else:
            self.visit_annotation(node.annotation, UseContext.ANNOTATION)
        if node.value is not None:
            self.visit(node.value)
            if self.scope.kind == "module":
                self.note_exports([node.target], node.value)
        self.visit(node.target)
        if fn is not None and node.value is not None:
            self.after_assign([node.target], node.value, fn, creation)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        target = node.target
        if self.scope.kind == "module" and isinstance(target, ast.Name) and target.id == "__all__":
            self.extend_exports(node.value)
        self.visit(node.value)
        if isinstance(target, ast.Name):
            self.read(target.id, node.lineno, UseRole.REFERENCE, "", self.context())
            self.store(target.id, node.lineno)
        else:
            self.visit(target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        scope = next(s for s in reversed(self.scopes) if s.kind != "comprehension")
        scope.stores.add(node.target.id)
        if scope.kind == "module":
            self.module_stores.setdefault(node.target.id, []).append((node.lineno, self.store_tag(), False))

    def note_exit(self, kind: str) -> None:
        """Control leaves the enclosing statements: a loop keeps its own break/continue inside."""
        frames = [f for f in self.frames if f.depth >= 0]
        if kind in ("break", "continue"):
            loops = [i for i, f in enumerate(frames) if isinstance(f.node, _LOOPS)]
            frames = frames[loops[-1] + 1 :] if loops else frames
        for frame in frames:
            frame.exits.add(kind)

    def visit_Break(self, node: ast.Break) -> None:
        self.note_exit("break")

    def visit_Continue(self, node: ast.Continue) -> None:
        self.note_exit("continue")

    def visit_Return(self, node: ast.Return) -> None:
        self.note_exit("return")
        fn = self.own_function()
        if node.value is not None:
            if fn is not None:
                self.note_return(node.value, fn)
            self.visit(node.value)

    def visit_Yield(self, node: ast.Yield) -> None:
        self.note_yield(node.value)

    def visit_YieldFrom(self, node: ast.YieldFrom) -> None:
        self.note_yield(node.value)

    def note_yield(self, value: ast.expr | None) -> None:
        self.note_exit("yield")
        fn = self.function_scope()
        if fn is not None:
            fn.has_yield = True
            if value is not None and self.scope is fn:
                for name in _names_in_container(value):
                    if name.id in fn.tracked:
                        self.flows[id(name)] = "escape:yielded"
        if value is not None:
            self.visit(value)

    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value
        if (
            self.scope.kind == "module"
            and isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and isinstance(call.func.value, ast.Name)
            and call.func.value.id == "__all__"
            and call.args
        ):
            if call.func.attr == "append":
                self.extend_exports(ast.List(elts=[call.args[0]]))
            elif call.func.attr == "extend":
                self.extend_exports(call.args[0])
        self.visit(node.value)

    def visit_If(self, node: ast.If) -> None:
        if not self.in_function() and _is_type_checking(node.test):
            self.visit(node.test)
            self.type_checking += 1
            try:
                self.visit_body(node.body)
            finally:
                self.type_checking -= 1
            self.visit_body(node.orelse)
            return
        if self.scope.kind == "module" and _is_main_guard(node.test):
            self.visit(node.test)
            self.main_block = True
            try:
                self.visit_body(node.body)
            finally:
                self.main_block = False
            self.visit_body(node.orelse)
            return
        self.visit(node.test)
        module_level = not self.in_function()
        self.if_depth += module_level
        self.open_block(node)
        try:
            self.decision()
            self.visit_body(node.body)
            if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
                self.depth -= 1  # ``elif`` continues the chain at the same depth
                try:
                    self.visit(node.orelse[0])
                finally:
                    self.depth += 1
            else:
                self.visit_body(node.orelse)
        finally:
            self.close_block()
            self.if_depth -= module_level

    def visit_For(self, node: ast.For) -> None:
        self.visit_loop(node, [node.iter, node.target])

    def visit_AsyncFor(self, node: ast.AsyncFor) -> None:
        self.visit_loop(node, [node.iter, node.target])

    def visit_While(self, node: ast.While) -> None:
        self.visit_loop(node, [node.test])

    def visit_loop(self, node: ast.For | ast.AsyncFor | ast.While, heads: list[ast.expr]) -> None:
        for head in heads:
            self.visit(head)
        self.open_block(node)
        self.loop_depth += 1
        try:
            self.decision()
            self.visit_body(node.body)
        finally:
            self.loop_depth -= 1
            self.close_block()
        self.visit_body(node.orelse)

    def visit_With(self, node: ast.With) -> None:
        self.visit_with(node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> None:
        self.visit_with(node)

    def visit_with(self, node: ast.With | ast.AsyncWith) -> None:
        fn = self.own_function()
        for item in node.items:
            expr = item.context_expr
            creation = None
            if fn is not None:
                if isinstance(expr, ast.Name) and expr.id in fn.tracked:
                    fn.tracked[expr.id].used_as_context = True
                creation = self.maybe_creation(expr, item.optional_vars, fn, via_with=True)
            self.visit(expr)
            if item.optional_vars is not None:
                self.visit(item.optional_vars)
            if fn is not None and creation is not None and creation.binding:
                fn.tracked[creation.binding] = creation
        self.open_block(node)
        try:
            self.visit_body(node.body)
        finally:
            self.close_block()

    def visit_Try(self, node: ast.Try) -> None:
        self.visit_try(node)

    def visit_TryStar(self, node: ast.TryStar) -> None:
        self.visit_try(node)

    def visit_try(self, node: ast.Try | ast.TryStar) -> None:
        module_level = not self.in_function()
        optional = module_level and any(_catches_import_error(h) for h in node.handlers)
        self.open_block(node)
        if module_level:
            self.tries.append((node.lineno, False))
        try:
            self.try_depth += module_level
            self.optional_depth += optional
            try:
                self.visit_body(node.body)
                if module_level:
                    self.tries[-1] = (node.lineno, True)
                for handler in node.handlers:
                    self.decision()
                    self.hint(handler.type, UseRole.EXCEPT)
                    if handler.type is not None:
                        self.visit(handler.type)
                    if handler.name:
                        self.store(handler.name, handler.lineno)
                    self.handler_depth += module_level
                    try:
                        self.visit_body(handler.body)
                    finally:
                        self.handler_depth -= module_level
            finally:
                self.try_depth -= module_level
                self.optional_depth -= optional
                if module_level:
                    self.tries.pop()
            self.visit_body(node.orelse)
            self.finally_depth += 1
            try:
                self.visit_body(node.finalbody)
            finally:
                self.finally_depth -= 1
        finally:
            self.close_block()

    def visit_Match(self, node: ast.Match) -> None:
        self.visit(node.subject)
        self.open_block(node)
        try:
            for case in node.cases:
                self.decision()
                self.visit(case.pattern)
                if case.guard is not None:
                    self.visit(case.guard)
                self.visit_body(case.body)
        finally:
            self.close_block()

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self.store(node.name, node.lineno)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self.store(node.name, node.lineno)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self.generic_visit(node)
        if node.rest:
            self.store(node.rest, node.lineno)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self.decision(len(node.values) - 1)
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.decision()
        self.generic_visit(node)

    def visit_body(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.visit(stmt)

    # -- complexity shape -------------------------------------------------------------------------
    def open_block(self, node: ast.stmt) -> None:
        fn = self.own_function()
        if fn is None:
            self.frames.append(_Frame(node, -1))
            return
        self.depth += 1
        if self.depth > fn.max_depth:
            fn.max_depth, fn.deepest_line = self.depth, node.lineno
        self.frames.append(_Frame(node, self.depth))

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

    # -- resources --------------------------------------------------------------------------------
    def maybe_creation(
        self, value: ast.expr, target: ast.expr | None, fn: _Scope, *, via_with: bool
    ) -> _Creation | None:
        """Start following ``value`` when it is a call to an imported callee whose result is kept."""
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            return None
        call, closing = value, False
        callee, root = self.dotted(call.func)
        if callee in ("contextlib.closing", "contextlib.aclosing") and call.args:
            inner = call.args[0]
            if isinstance(inner, ast.Await):
                inner = inner.value
            if not isinstance(inner, ast.Call):
                return None
            call, closing = inner, True
            callee, root = self.dotted(call.func)
        if not callee or self.lookup_import(root) is None:
            return None  # builtins and local names are not resources we can name
        binding, escape = "", ""
        if isinstance(target, ast.Name):
            binding = target.id
            if binding in fn.globals:
                binding, escape = "", f"assigned to global {target.id}"
        elif isinstance(target, ast.Attribute | ast.Subscript):
            escape = f"stored on {self.segment(target, limit=40)}"
        elif target is not None:
            return None  # unpacked: not one object we can follow
        creation = _Creation(
            lineno=call.lineno,
            end_lineno=call.end_lineno or call.lineno,
            callee=callee,
            root=root,
            call_text=self.segment(call),
            binding=binding,
            via_with=via_with,
            via_closing=closing,
            in_loop=self.loop_depth > 0,
            arg_names=tuple(sorted({n.id for a in _arguments(call) for n in _loads(a)})),
            closed=closing,
        )
        if escape:
            creation.escape(escape)
        fn.creations.append(creation)
        return creation

    def after_assign(
        self, targets: Sequence[ast.expr], value: ast.expr, fn: _Scope, creation: _Creation | None
    ) -> None:
        if creation is not None:
            if creation.binding:
                fn.tracked[creation.binding] = creation
            return
        if len(targets) != 1 or not isinstance(targets[0], ast.Name):
            return
        name = targets[0].id
        if isinstance(value, ast.Name) and value.id in fn.tracked:
            fn.tracked[name] = fn.tracked[value.id]  # an alias of the same object
            return
        root, method = _method_call_root(value)
        if root is not None and root.id in fn.tracked and method in _DERIVED:
            fn.derived[name] = (fn.tracked[root.id], method)

    def note_flows_into(self, targets: Sequence[ast.expr], value: ast.expr, fn: _Scope) -> None:
        names = [n for n in _names_in_container(value) if n.id in fn.tracked]
        for target in targets if names else ():
            if isinstance(target, ast.Attribute | ast.Subscript):
                where = f"escape:stored on {self.segment(target, limit=40)}"
            elif isinstance(target, ast.Name) and target.id in fn.globals:
                where = f"escape:assigned to global {target.id}"
            else:
                continue
            for name in names:
                self.flows[id(name)] = where

    def note_return(self, value: ast.expr, fn: _Scope) -> None:
        for name in _names_in_container(value):
            if name.id in fn.tracked:
                self.flows[id(name)] = "returned"
            elif name.id in fn.derived:
                creation, method = fn.derived[name.id]
                creation.returned_derived = creation.returned_derived or f"{method}() result"
        root, method = _method_call_root(value)
        if root is not None and root.id in fn.tracked and method in _DERIVED:
            creation = fn.tracked[root.id]
            creation.returned_derived = creation.returned_derived or f"{method}() result"

    def follow_resource(self, node: ast.Name, attribute: str) -> None:
        """Record what a read of a tracked variable does with the object it holds."""
        fn = self.function_scope()
        creation = fn.tracked.get(node.id) if fn is not None else None
        if fn is None or creation is None:
            return
        if self.scope is not fn:
            inner = self.scope
            if inner.kind != "comprehension" and node.id not in inner.stores | inner.params:
                creation.escape("captured by a nested function")
            return
        flow = self.flows.pop(id(node), "")
        if flow == "returned":
            creation.returned = True
        elif flow.startswith("escape:"):
            creation.escape(flow.removeprefix("escape:"))
        elif flow.startswith("passed:"):
            callee = flow.removeprefix("passed:")
            if callee not in creation.passed_to:
                creation.passed_to.append(callee)
        if attribute:
            if attribute not in creation.methods:
                creation.methods.append(attribute)
            if attribute in _CLOSERS:
                creation.closed = True
                creation.closed_in_finally |= self.finally_depth > 0

    # -- classes and eager attributes ------------------------------------------------------------
    def method_scope(self) -> tuple[_Scope, _Class] | None:
        """The innermost enclosing method (closures inside a method count as that method)."""
        for index in range(len(self.scopes) - 1, 0, -1):
            scope = self.scopes[index]
            if scope.kind == "function" and scope.is_method:
                owner = self.scopes[index - 1].cls
                return (scope, owner) if owner is not None else None
            if scope.kind == "class":
                return None
        return None

    def note_self_attribute(self, owner: str, attribute: str, lineno: int, read: bool) -> None:
        found = self.method_scope()
        if found is None or found[0].self_name != owner:
            return
        method, cls = found
        if method.is_init:
            if read:
                cls.init_reads.setdefault(attribute, []).append(lineno)
            return
        cls.touched.setdefault(method.qualname.rsplit(".", 1)[-1], set()).add(attribute)

    def maybe_eager(self, target: ast.expr, value: ast.expr, stmt: ast.stmt, fn: _Scope) -> None:
        if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)):
            return
        if target.value.id != fn.self_name or not any(isinstance(n, ast.Call) for n in ast.walk(value)):
            return
        found = self.method_scope()
        if found is not None:
            found[1].eager.append((target, value, stmt, fn, self.depth > 0))

    def note_exports(self, targets: Sequence[ast.expr], value: ast.expr) -> None:
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            self.exports = []
            self.extend_exports(value)

    def extend_exports(self, value: ast.expr) -> None:
        names = _string_list(value)
        if self.exports is None:
            self.exports = []
        if names is None:
            self.exports_dynamic = True
        else:
            self.exports.extend(names)

    # -- results ----------------------------------------------------------------------------------
    def facts(self) -> ModuleFacts:
        exported = set(self.exports or ())
        imports = []
        for row in self.rows:
            name = row["name"]
            uses = [] if row["star"] else sorted(self.uses.get(name, ()), key=lambda u: u.lineno)
            if name in exported:
                uses.append(NameUse(UseContext.EXPORT, UseRole.EXPORT, 0))
            rebound, fallback = self.other_bindings(name, row)
            imports.append(
                ImportBinding(**row, uses=tuple(uses), rebound_lines=rebound, fallback_lines=fallback)
            )
        return ModuleFacts(
            future_annotations=self.future_annotations,
            imports=tuple(imports),
            exports=tuple(self.exports) if self.exports is not None else None,
            exports_dynamic=self.exports_dynamic,
            module_getattr=self.module_getattr,
            dynamic_lines=tuple(self.dynamic_lines),
            resources=tuple(sorted(self.resource_facts(), key=lambda r: (r.lineno, r.callee))),
            attributes=tuple(self.eager_attributes()),
            functions=tuple(sorted(self.shapes, key=lambda s: s.lineno)),
        )

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

    def store_tag(self) -> str:
        for line, in_handler in reversed(self.tries):
            if in_handler:
                return f"handler:{line}"
        return ""

    def resource_facts(self) -> Iterator[ResourceCreation]:
        for creation, scope in self.pending_resources:
            local = scope.params | scope.stores
            yield ResourceCreation(
                function=scope.qualname,
                function_lineno=getattr(scope.node, "lineno", 0),
                lineno=creation.lineno,
                end_lineno=creation.end_lineno,
                callee=creation.callee,
                call_text=creation.call_text,
                binding=creation.binding,
                via_with=creation.via_with,
                via_closing=creation.via_closing,
                is_async=scope.is_async,
                in_loop=creation.in_loop,
                in_generator=scope.has_yield,
                is_method=scope.is_method,
                in_init=scope.is_init,
                methods=tuple(creation.methods),
                closed=creation.closed,
                closed_in_finally=creation.closed_in_finally,
                used_as_context=creation.used_as_context,
                returned=creation.returned,
                returned_derived=creation.returned_derived,
                escapes=tuple(creation.escapes),
                passed_to=tuple(creation.passed_to),
                arg_names=creation.arg_names,
                param_args=tuple(n for n in creation.arg_names if n in local),
                called_in_loop=scope.qualname.rsplit(".", 1)[-1] in self.loop_called,
            )

    def eager_attributes(self) -> Iterator[EagerAttribute]:
        for cls in self.classes:
            others = [m for m in cls.methods if m not in _INIT_NAMES]
            for target, value, stmt, init, conditional in cls.eager:
                calls = [name for name in self.calls_in(value)]
                outer = value.value if isinstance(value, ast.Await) else value
                callee = self.dotted(outer.func)[0] if isinstance(outer, ast.Call) else ""
                end = stmt.end_lineno or stmt.lineno
                init_locals = init.params | init.stores
                yield EagerAttribute(
                    class_name=cls.qualname,
                    class_lineno=cls.lineno,
                    init_lineno=getattr(init.node, "lineno", 0),
                    attribute=target.attr,
                    lineno=stmt.lineno,
                    end_lineno=end,
                    value_text=self.segment(value, one_line=False),
                    callee=callee,
                    calls=tuple(calls),
                    reads_file=_reads_file(value, calls),
                    init_names=tuple(sorted({n.id for n in _loads(value) if n.id in init_locals})),
                    conditional=conditional,
                    used_in_init=any(line > end for line in cls.init_reads.get(target.attr, ())),
                    used_by=tuple(m for m in others if target.attr in cls.touched.get(m, set())),
                    methods=len(others),
                    has_slots=cls.has_slots,
                    is_dataclass=cls.is_dataclass,
                    frozen_dataclass=cls.frozen_dataclass,
                    custom_getattr=cls.custom_getattr,
                    bases=cls.bases,
                )

    def calls_in(self, value: ast.expr) -> Iterator[str]:
        """Callees inside an expression, outermost first; method calls on results as ``().name``.

        Resolution here sees module-level imports only (the walk is over); ``__init__``-local
        imports of heavy constructors are rare enough not to matter.
        """
        for node in ast.walk(value):
            if isinstance(node, ast.Call):
                name, _ = self.dotted(node.func)
                if name:
                    yield name
                elif isinstance(node.func, ast.Attribute):
                    yield f"().{node.func.attr}"


# ------------------------------------------------------------------------------------------------
# Small pure helpers
# ------------------------------------------------------------------------------------------------


def _has_future_annotations(tree: ast.Module) -> bool:
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            if any(alias.name == "annotations" for alias in stmt.names):
                return True
        elif not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            return False  # __future__ imports must come first
    return False


def _qualname(scope: _Scope, name: str) -> str:
    if scope.kind == "module":
        return name
    if scope.kind == "class":
        return f"{scope.qualname}.{name}"
    return f"{scope.qualname}.<locals>.{name}"


def _all_args(args: ast.arguments) -> list[ast.arg]:
    found = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    found.extend(a for a in (args.vararg, args.kwarg) if a is not None)
    return found


def _arguments(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(k.value for k in call.keywords)]


def _decorator_name(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _is_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _assigns_name(stmt: ast.stmt, name: str) -> bool:
    if isinstance(stmt, ast.Assign):
        return any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets)
    if isinstance(stmt, ast.AnnAssign):
        return isinstance(stmt.target, ast.Name) and stmt.target.id == name
    return False


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


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(_decorator_name(kind) in _IMPORT_ERRORS for kind in kinds)


def _string_list(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        names = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return names if len(names) == len(node.elts) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string_list(node.left), _string_list(node.right)
        return None if left is None or right is None else left + right
    return None


def _names_in_container(node: ast.expr) -> list[ast.Name]:
    if isinstance(node, ast.Name):
        return [node]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [n for elt in node.elts for n in _names_in_container(elt)]
    if isinstance(node, ast.Dict):
        return [n for v in node.values for n in _names_in_container(v)]
    if isinstance(node, ast.Starred):
        return _names_in_container(node.value)
    return []


def _method_call_root(node: ast.expr) -> tuple[ast.Name | None, str]:
    """``conn.execute(q)`` -> (conn, "execute"): a method called directly on a name."""
    if isinstance(node, ast.Await):
        node = node.value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
    ):
        return node.func.value, node.func.attr
    return None, ""


def _loads(node: ast.AST) -> Iterator[ast.Name]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            yield sub


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
        if isinstance(current, ast.Name):
            yield current
        elif isinstance(current, ast.Attribute):
            if _attribute_root(current)[0] is not None:
                yield current
            else:
                stack.append(current.value)
        elif isinstance(current, ast.Constant) and isinstance(current.value, str):
            try:
                parsed = ast.parse(current.value.strip(), mode="eval")
            except SyntaxError:
                continue
            for sub in ast.walk(parsed):
                if hasattr(sub, "lineno"):
                    sub.lineno = current.lineno
            stack.append(parsed.body)
        elif isinstance(current, ast.Subscript):
            stack.append(current.value)
            special = _decorator_name(current.value)
            if special == "Annotated" and isinstance(current.slice, ast.Tuple) and current.slice.elts:
                stack.append(current.slice.elts[0])
            elif special != "Literal":
                stack.append(current.slice)
        else:
            stack.extend(ast.iter_child_nodes(current))


def _reads_file(value: ast.expr, calls: Sequence[str]) -> bool:
    if any(c in ("open", "io.open", "codecs.open") for c in calls):
        return True
    return any(
        c in ("().read_text", "().read_bytes") or c.endswith((".read_text", ".read_bytes")) for c in calls
    )


def _shape(scope: _Scope, node: ast.FunctionDef | ast.AsyncFunctionDef) -> FunctionShape:
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


def _main_block(scope: _Scope, node: ast.FunctionDef | ast.AsyncFunctionDef) -> Block | None:
    """The block to extract: the heaviest top-level block, or inside it when it spans the function."""
    frames = {id(frame.node): frame for frame in scope.blocks}
    body_span = max((node.end_lineno or node.lineno) - node.body[0].lineno + 1, 1)
    candidates = [frames[id(s)] for s in node.body if id(s) in frames]
    best: _Frame | None = None
    while candidates:
        best = max(candidates, key=lambda f: (f.weight, -f.node.lineno))
        size = (best.node.end_lineno or best.node.lineno) - best.node.lineno + 1
        if size * 10 < body_span * 8:  # under 80% of the body: a real part of the function
            break
        inner = [frames[id(s)] for s in _child_statements(best.node) if id(s) in frames]
        candidates = [f for f in inner if f.weight > 0]
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
        end_lineno=best.node.end_lineno or best.node.lineno,
        weight=best.weight,
        decisions=best.decisions,
        inputs=inputs,
        outputs=outputs,
        exits=tuple(sorted(best.exits)),
    )


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


def _block_interface(stmt: ast.stmt, scope: _Scope) -> tuple[tuple[str, ...], tuple[str, ...]]:
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
    end = stmt.end_lineno or stmt.lineno
    later = {name for name, line in scope.loads if line > end}
    outputs = sorted(name for name in stored if name in later and name in local)
    return tuple(inputs), tuple(outputs)


def _names_in_order(node: ast.AST) -> Iterator[tuple[str, bool]]:
    """(name, is_read) in evaluation order: an assignment's value before its targets."""
    if isinstance(node, ast.Name):
        yield node.id, isinstance(node.ctx, ast.Load)
        return
    if isinstance(node, _SCOPES):
        for sub in ast.walk(node):  # free reads of nested scopes still need the value
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                yield sub.id, True
        return
    if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
        if node.value is not None:
            yield from _names_in_order(node.value)
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            yield node.target.id, True
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            yield from _names_in_order(target)
        return
    if isinstance(node, ast.For | ast.AsyncFor):
        yield from _names_in_order(node.iter)
        yield from _names_in_order(node.target)
        for stmt in [*node.body, *node.orelse]:
            yield from _names_in_order(stmt)
        return
    if isinstance(node, ast.ExceptHandler):
        if node.type is not None:
            yield from _names_in_order(node.type)
        if node.name:
            yield node.name, False
        for stmt in node.body:
            yield from _names_in_order(stmt)
        return
    if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
        for generator in node.generators:
            yield from _names_in_order(generator)
        for element in (node.key, node.value) if isinstance(node, ast.DictComp) else (node.elt,):
            yield from _names_in_order(element)
        return
    for child in ast.iter_child_nodes(node):
        yield from _names_in_order(child)


# ------------------------------------------------------------------------------------------------
# Entry point
# ------------------------------------------------------------------------------------------------


def extract_facts(source: SourceFile, tree: ast.Module) -> ModuleFacts:
    """The facts of one module, from one walk over its (already parsed) ``ast`` tree."""
    return facts_from_tree(tree, source.lines, module=source.module, is_package=source.is_package)


def facts_from_tree(
    tree: ast.Module, lines: Sequence[str], *, module: str = "", is_package: bool = False
) -> ModuleFacts:
    """Like :func:`extract_facts` for callers holding only a tree and its lines."""
    walker = _Walker(lines, module, is_package)
    walker.run(tree)
    return walker.facts()
