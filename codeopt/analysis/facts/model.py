"""The facts' data model: frozen plain data (enums, strings, ints, tuples), no AST node.

It crosses process boundaries and lives in the on-disk cache, so the dataclasses are ``frozen=True``
but deliberately not slotted: see the note in :mod:`codeopt.analysis.model` (a plain frozen dataclass
unpickles with a C-level ``__dict__`` update, a slotted one through a Python ``__setstate__``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
