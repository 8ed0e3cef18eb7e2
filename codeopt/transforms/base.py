"""The contract every ``codeopt optimize`` transform implements, and the registry the use case iterates.

Why a contract: ``codeopt optimize`` runs several independent rewrites (lazy imports, lazy attributes,
pooling) over the same files, in worker processes, and must show one diff, write one atomic change set,
and report every site it did *not* rewrite with the reason. Each transform therefore is a pure function
from one file's source (plus the analysis facts already computed for it) to one picklable result; the
use case (``codeopt.commands.optimize``) owns reading, ordering, chaining, diffing, writing, verifying.

How to implement a transform (e.g. ``codeopt/transforms/pooling.py``)::

    from codeopt.transforms.base import (
        Changed, FileInput, FileResult, SiteSkip, Skipped, Transform, Unchanged, register,
    )

    def pool_file(file: FileInput) -> FileResult:
        module = libcst.parse_module(file.source)        # or file.cst() (parses once per call)
        facts = file.facts                               # ModuleFacts of *this* source text
        ...                                              # decide per site, build the new module
        if not applied:
            return Skipped(file.path, skips) if skips else Unchanged(file.path)
        return Changed(file.path, file.source, new_source, applied=("pool sqlite3.connect in load",),
                       skips=skips)

    POOLING = register(Transform(name="pool", flag="--pool", rules=("CO301",), run=pool_file,
                                 summary="Acquire per-call connections/sessions from a module-level pool."))

Rules for a transform function:

* **Pure and picklable**: module-level function, no global state, no I/O beyond what ``FileInput``
  carries (it runs in a process pool; its result crosses the process boundary).
* **Never raises for user code**: return ``Failed(path, reason)`` (one line, no traceback text) for an
  unexpected problem; return ``Skipped`` with per-site reasons when the file had candidates that the
  conditions rejected; ``Unchanged`` when nothing in the file concerns the transform.
* **Idempotent**: running it on its own output returns ``Unchanged`` (or ``Skipped``), never ``Changed``.
* **Rewrites with LibCST** (codemods, ``AddImportsVisitor``/``RemoveImportsVisitor`` for imports), never
  string editing; ``after`` must parse (the use case re-parses and turns a non-parsing output into
  ``Failed``).
* **Reports every rejected candidate** as a :class:`SiteSkip` (``path:line: name: reason``); reasons
  are short lower-case phrases that say *why the rewrite would not be safe* ("used in a base class at
  line 12"), not what the code is.
* **Chaining**: the use case runs the selected transforms one after the other on the same file, feeding
  each ``Changed.after`` (with facts recomputed from it) to the next. Do not assume you see the original.
* **Runtime**: emitted code needs ``codeopt_runtime``'s helpers; import them from
  ``file.options.runtime_import("pool")`` (``"codeopt_runtime.pool"`` by default, or a vendored copy
  such as ``"pkg._codeopt_pool"`` when the project does not depend on codeopt-runtime), and list the
  helper modules you used in ``Changed.runtime`` (e.g. ``("lazy",)``, ``("pool",)``) so the use case
  writes the vendored copies. Never treat an import of that module as a candidate of your own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst

    from codeopt.analysis.facts import ModuleFacts


OptionValue = str | float | bool | tuple[str, ...]


@dataclass(frozen=True)
class TransformOptions:
    """Run-wide settings every transform may read; plain data so it pickles.

    ``target_version`` is the lowest Python the rewritten code must run on (from ``requires-python``
    of the nearest ``pyproject.toml`` or ``--target-version``); ``values`` holds per-transform options
    by ``"<transform>.<option>"`` (e.g. ``"lazy-imports.min-cost-ms"``), already validated by the CLI.
    """

    target_version: tuple[int, int] = (3, 9)
    # helper ("lazy", "pool") -> module emitted code imports it from; missing: "codeopt_runtime.<helper>".
    # The use case maps a helper to a vendored copy ("pkg._codeopt_lazy") when the project does not
    # depend on codeopt-runtime.
    runtime: tuple[tuple[str, str], ...] = ()
    min_cost_ms: float = 5.0
    never_lazy: tuple[str, ...] = ()
    measured_costs: tuple[tuple[str, float], ...] = ()  # module -> cumulative ms, when --measure ran
    # the project's own modules as lazy-import targets: (module, estimated cost ms, blocker or "")
    project_modules: tuple[tuple[str, float, str], ...] = ()
    values: tuple[tuple[str, OptionValue], ...] = ()

    def value(self, key: str, default: OptionValue) -> OptionValue:
        return dict(self.values).get(key, default)

    def runtime_import(self, helper: str) -> str:
        """Where to import ``helper``'s names from: ``"pool"`` -> ``"codeopt_runtime.pool"`` (or vendored)."""
        return dict(self.runtime).get(helper, f"codeopt_runtime.{helper}")


@dataclass(frozen=True)
class FindingHint:
    """An analyze finding for this file, reduced to plain data (transforms sit below the rules layer)."""

    rule_id: str
    line: int
    symbol: str = ""
    data: tuple[tuple[str, str | float | bool | tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class FileInput:
    """One file as a transform sees it: the text to rewrite and what the analysis knows about it.

    ``facts`` are computed from ``source`` (not from the file on disk when an earlier transform changed
    it); ``findings`` are the analyze findings of the transform's rules for this file (may be empty when
    the rule did not run: transforms must decide from ``facts`` themselves and use findings only as
    hints). ``module`` is the dotted module name ("" when unknown), ``package_root`` the directory of
    the top-level package holding the file (None for a loose module).
    """

    path: Path
    source: str
    module: str
    facts: ModuleFacts
    options: TransformOptions = field(default_factory=TransformOptions)
    findings: tuple[FindingHint, ...] = ()
    is_package: bool = False  # the file is a package ``__init__.py``
    package_root: Path | None = None

    def cst(self) -> libcst.Module:
        import libcst

        return libcst.parse_module(self.source)


@dataclass(frozen=True)
class SiteSkip:
    """A candidate site the transform did not rewrite, and why; shown as ``path:line: name: reason``."""

    path: Path
    line: int
    name: str
    reason: str

    def render(self, root: Path | None = None) -> str:
        shown = self.path
        if root is not None:
            with contextlib.suppress(ValueError):
                shown = self.path.resolve().relative_to(root.resolve())
        return f"{shown.as_posix()}:{self.line}: {self.name}: {self.reason}"


@dataclass(frozen=True)
class Changed:
    """The file was rewritten. ``applied`` describes each rewrite in one line ("lazy import requests")."""

    path: Path
    before: str
    after: str
    applied: tuple[str, ...]
    skips: tuple[SiteSkip, ...] = ()
    runtime: tuple[str, ...] = ()  # codeopt_runtime helper modules the new code imports ("lazy", "pool")


@dataclass(frozen=True)
class Unchanged:
    """Nothing in the file concerns the transform."""

    path: Path


@dataclass(frozen=True)
class Skipped:
    """The file had candidates, and every one was rejected; ``skips`` says where and why."""

    path: Path
    skips: tuple[SiteSkip, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(s.reason for s in self.skips)


@dataclass(frozen=True)
class Failed:
    """The transform could not process the file (unparsable output, an internal error); one line."""

    path: Path
    reason: str


FileResult = Changed | Unchanged | Skipped | Failed


def skips_of(result: FileResult) -> tuple[SiteSkip, ...]:
    if isinstance(result, Changed | Skipped):
        return result.skips
    return ()


@dataclass(frozen=True)
class Transform:
    """A registered transform: its CLI flag, the rules whose findings it fixes, and its function."""

    name: str  # "lazy-imports": stable, used in messages, options ("lazy-imports.min-cost-ms"), JSON
    flag: str  # "--lazy-imports"
    rules: tuple[str, ...]  # rule ids it consumes ("CO202",)
    run: Callable[[FileInput], FileResult]
    summary: str = ""

    @property
    def option_prefix(self) -> str:
        return f"{self.name}."


_REGISTRY: dict[str, Transform] = {}
# Modules that define transforms; imported on demand so ``codeopt analyze`` never pays for LibCST codemods.
KNOWN_MODULES: Mapping[str, str] = {
    "lazy-imports": "codeopt.transforms.lazy_imports",
    "lazy-attributes": "codeopt.transforms.lazy_attributes",
    "pool": "codeopt.transforms.pooling",
}


def register(transform: Transform) -> Transform:
    """Add ``transform`` to the registry (idempotent by name; the last registration wins)."""
    _REGISTRY[transform.name] = transform
    return transform


def available(name: str) -> Transform | None:
    """The transform called ``name``, importing its module if it exists; None when not available."""
    if name not in _REGISTRY and name in KNOWN_MODULES:
        from importlib import import_module

        try:
            import_module(KNOWN_MODULES[name])
        except ModuleNotFoundError as exc:
            if exc.name != KNOWN_MODULES[name]:
                raise
    return _REGISTRY.get(name)


def registered() -> tuple[Transform, ...]:
    return tuple(_REGISTRY.values())
