"""Frozen, picklable results of the per-file analyses.

They cross process boundaries (worker -> parent) and live in the on-disk cache, so they hold plain
data only: no AST nodes, no open files. They are deliberately not ``slots=True``: a frozen slotted
dataclass unpickles through a Python ``__setstate__`` (5x slower on a warm run over Django + the
stdlib), while a plain one unpickles with a C-level ``__dict__`` update.

Field names are part of the JSON schema (docs/json-output.md); add fields, never rename them within
a schema version.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

from codeopt.analysis.facts import ModuleFacts


@dataclass(frozen=True)
class RawMetrics:
    """Line counts, as radon defines them (see docs/metrics.md).

    loc: physical lines; lloc: logical lines (statements); sloc: lines holding code;
    comments: comment lines (including trailing comments); single_comments: lines that are only a
    comment; multi: lines inside multi-line strings used as docstrings/expressions; blank: blank lines.
    """

    loc: int
    lloc: int
    sloc: int
    comments: int
    single_comments: int
    multi: int
    blank: int


@dataclass(frozen=True)
class Halstead:
    """Halstead counts; derived measures are properties so they never disagree with the counts."""

    h1: int  # distinct operators
    h2: int  # distinct operands
    N1: int  # total operators
    N2: int  # total operands

    @property
    def vocabulary(self) -> int:
        return self.h1 + self.h2

    @property
    def length(self) -> int:
        return self.N1 + self.N2

    @property
    def volume(self) -> float:
        return self.length * math.log2(self.vocabulary) if self.vocabulary else 0.0

    @property
    def difficulty(self) -> float:
        return (self.h1 / 2) * (self.N2 / self.h2) if self.h2 else 0.0

    @property
    def effort(self) -> float:
        return self.difficulty * self.volume

    @property
    def time(self) -> float:
        return self.effort / 18

    @property
    def bugs(self) -> float:
        return self.volume / 3000


ZERO_HALSTEAD = Halstead(0, 0, 0, 0)


class FunctionKind(str, Enum):
    FUNCTION = "function"
    METHOD = "method"
    NESTED = "nested"


@dataclass(frozen=True)
class FunctionMetrics:
    """One function or method, nested ones included (qualname shows the nesting)."""

    name: str
    qualname: str  # e.g. "Repo.commit" or "outer.<locals>.inner"
    kind: FunctionKind
    lineno: int
    end_lineno: int
    is_async: bool
    cc: int  # cyclomatic complexity, radon's definition
    cognitive: int  # cognitive complexity, SonarSource's definition
    sloc: int
    halstead: Halstead


@dataclass(frozen=True)
class ClassMetrics:
    name: str
    lineno: int
    end_lineno: int
    methods: int
    cc: int  # radon's Class.complexity, what `radon cc` prints (docs/metrics.md)
    qualname: str = ""  # e.g. "Outer.Inner" or "factory.<locals>.Local"


@dataclass(frozen=True)
class Cohesion:
    """LCOM4 over the module's top-level definitions (units).

    An edge joins two units when one uses the other, or both use the same module variable.
    ``components`` lists the unit names of every connected component, largest first.
    """

    lcom4: int
    units: int
    components: tuple[tuple[str, ...], ...]
    # the unit graph itself (sorted name pairs), for split proposals; undirected
    edges: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ModuleMetrics:
    raw: RawMetrics
    halstead: Halstead
    mi: float  # maintainability index, radon's (0-100) scale
    cc_total: int
    cc_max: int
    cc_avg: float
    cognitive_total: int
    cognitive_max: int
    definitions: int  # top-level def/class/assignment units
    functions: tuple[FunctionMetrics, ...]
    classes: tuple[ClassMetrics, ...]
    cohesion: Cohesion
    # (metric, why) for metrics that could not be computed exactly for this file: information only
    unavailable: tuple[tuple[str, str], ...] = ()


class EdgeKind(str, Enum):
    """When an import runs: only import-time edges can make a module fail to import."""

    IMPORT_TIME = "import-time"
    CALL_TIME = "call-time"  # inside a function body
    TYPE_CHECKING = "type-checking"  # under `if TYPE_CHECKING:`


@dataclass(frozen=True)
class ImportRecord:
    """One imported module as written in a file, relative imports already resolved."""

    target: str  # absolute dotted name of the imported module ("pkg.sub")
    names: tuple[str, ...]  # names taken by `from target import ...` ("*" for a star import)
    bound: tuple[str, ...]  # local names the statement binds
    lineno: int
    kind: EdgeKind
    level: int = 0  # the relative level as written (0 = absolute)
    in_try: bool = False  # inside a try block (optional-dependency pattern)
    # False when a relative import climbs above the top-level package (or the file's module is
    # unknown): ``target`` then holds the import as written (".." + name) and no edge is drawn.
    resolved: bool = True
    dynamic: bool = False  # importlib.import_module("literal") / __import__("literal")
    # A bound name is read outside function bodies (module level, class bodies, decorators,
    # defaults, evaluated annotations), listed in ``__all__``, or re-exported from an ``__init__``:
    # the import cannot simply move into the functions that use it. Always True for star imports.
    module_level_use: bool = False


@dataclass(frozen=True)
class Note:
    """Information about a file that is neither a finding nor an error (e.g. syntax lowered)."""

    code: str
    message: str
    lineno: int = 0


@dataclass(frozen=True)
class FileAnalysis:
    """Everything the per-file stage learns about one module; rules and reports read only this."""

    path: str  # as given/discovered, relative to the project root when possible (posix)
    module: str  # dotted module name ("gitkit.git_advanced"); "" when unknown
    is_package: bool  # an __init__.py
    metrics: ModuleMetrics
    imports: tuple[ImportRecord, ...]
    facts: ModuleFacts
    suppressions: tuple[tuple[int, tuple[str, ...]], ...]  # (line, rule ids; () = all)
    notes: tuple[Note, ...] = field(default=())
    content_hash: str = ""
