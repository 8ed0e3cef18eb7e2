"""The lazy-imports transform (``codeopt optimize --lazy-imports``): defer costly module-level imports
that only function bodies need.

Why it exists: every module-level import is paid for by every process that imports the module, even
the ones that never call the functions needing it (a CLI's ``--help``, one test, a worker). Deferring
those imports cut start-up time 29-66% on real packages with their suites green.

The decision (:mod:`.lazy_imports_plan`) is made from the analysis facts; the rewrite
(:mod:`.lazy_imports_emit`) is a LibCST codemod. Below Python 3.15 the import becomes a module-level
proxy from ``codeopt_runtime.lazy`` (keeps ``mock.patch("pkg.mod.requests.get")`` working); from 3.15
the module is listed in ``__lazy_modules__`` (PEP 810).

``from __future__ import annotations`` is added when annotations evaluated at definition time are the
only thing that needs the import, unless the module reads annotations at run time: a dataclass, a
NamedTuple/TypedDict, pydantic/attrs/msgspec models, ``typing.get_type_hints``, ``singledispatch``,
``inspect.signature``/``get_annotations`` or ``__annotations__`` anywhere in the file make the import
stay eager (conservative: the module may introspect annotations that mention other names too).
"""

from __future__ import annotations

import re

import libcst as cst

from codeopt.analysis.side_effects import IMPORTED_FOR_EFFECT
from codeopt.transforms.base import (
    Changed,
    Failed,
    FileInput,
    FileResult,
    SiteSkip,
    Skipped,
    Transform,
    Unchanged,
    register,
)
from codeopt.transforms.lazy_imports_emit import emit_lazy_modules, emit_proxies
from codeopt.transforms.lazy_imports_plan import (
    Plan,
    PlanSettings,
    modules_for_lazy_modules,
    plan_module,
)

PEP810_VERSION = (3, 15)
# Identifiers that show a module evaluates annotations at run time (see the module docstring).
_ANNOTATION_READERS = re.compile(
    r"\b(dataclass|dataclasses|NamedTuple|TypedDict|pydantic|attrs|attr\.s|msgspec|cattrs|get_type_hints|"
    r"singledispatch|singledispatchmethod|get_annotations|signature|__annotations__|typer|beartype|typeguard|"
    r"fastapi|marshmallow_dataclass|strawberry|Mapped)\b"
)


def reads_annotations(source: str) -> bool:
    """True when the module may evaluate its annotations at run time (then they must stay evaluable)."""
    return _ANNOTATION_READERS.search(source) is not None


def plan_settings(file: FileInput) -> PlanSettings:
    options = file.options
    internal = {file.module.split(".", 1)[0]} if file.module else set()
    if file.package_root is not None:
        internal.add(file.package_root.name)
    extra = options.value("lazy-imports.internal", ())
    internal.update(extra if isinstance(extra, tuple) else ())
    runtime = options.runtime_import("lazy")
    return PlanSettings(
        min_cost_ms=options.min_cost_ms,
        never_lazy=IMPORTED_FOR_EFFECT + options.never_lazy,
        measured=options.measured_costs,
        internal_prefixes=tuple(sorted(internal - {""})),
        runtime_modules=(runtime, "codeopt_runtime.lazy", "codeopt_runtime"),
        future_annotations_safe=file.facts.future_annotations or not reads_annotations(file.source),
        forwarding=options.target_version < PEP810_VERSION,
        module=file.module,
        is_package=file.is_package,
        project=options.project_modules,
        loaded_anyway=_loaded_anyway(options.value("lazy-imports.loaded-anyway", ())),
    )


def _loaded_anyway(value: object) -> tuple[tuple[str, str], ...]:
    """``("module\treason", ...)`` as passed by the use case's whole-project pass."""
    entries = value if isinstance(value, tuple) else ()
    return tuple((module, reason) for module, _, reason in (str(e).partition("\t") for e in entries))


def lazy_imports_file(file: FileInput) -> FileResult:
    """Make the file's costly, function-only module-level imports lazy; see the module docstring."""
    try:
        plan = plan_module(file.facts, plan_settings(file))
        skips = tuple(SiteSkip(file.path, r.line, r.name, r.reason) for r in plan.rejected)
        if not plan.lazy:
            return Skipped(file.path, skips) if skips else Unchanged(file.path)
        after = _rewrite(file, plan)
    except (cst.ParserSyntaxError, TypeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Failed(file.path, f"lazy-imports: {first}")
    if after == file.source:
        return Skipped(file.path, skips) if skips else Unchanged(file.path)
    pep810 = file.options.target_version >= PEP810_VERSION
    return Changed(
        file.path,
        file.source,
        after,
        applied=tuple(s.describe() for s in plan.lazy),
        skips=skips,
        runtime=() if pep810 else ("lazy",),
    )


def _rewrite(file: FileInput, plan: Plan) -> str:
    module = file.cst()
    if file.options.target_version >= PEP810_VERSION:
        return emit_lazy_modules(module, modules_for_lazy_modules(plan.lazy)).code
    future = plan.needs_future_annotations and not file.facts.future_annotations
    return emit_proxies(module, plan.lazy, file.options.runtime_import("lazy"), future).code


LAZY_IMPORTS = register(
    Transform(
        name="lazy-imports",
        flag="--lazy-imports",
        rules=("CO202",),
        run=lazy_imports_file,
        summary="Defer costly module-level imports that only function bodies use.",
    )
)
