"""Which module-level imports of one file may become lazy, decided from the analysis facts alone.

Why apart from the rewrite: the decision is the part that must be right (a wrong "yes" breaks user
code at import or at first use), so it is plain data in, plain data out, tested on its own, and the
LibCST side only executes it. Every rejected candidate carries the reason the user sees.

An import statement is a *candidate* when it is a module-level import of a module (not a project
module, not the runtime itself) whose cost is at or above the threshold; cheap imports are not
reported at all. A candidate is made lazy when every condition of ``docs/optimize.md`` holds; the
first failing condition is its reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from codeopt.analysis.facts import ImportBinding, ModuleFacts, UseContext, UseRole
from codeopt.analysis.import_cost import estimate_import_cost
from codeopt.analysis.side_effects import IMPORTED_FOR_EFFECT

# Contexts whose code runs after the module finished importing, where a proxy is used like the module.
_RUNTIME_CONTEXTS = frozenset({UseContext.FUNCTION_BODY, UseContext.MAIN_BLOCK})
# Roles a call-forwarding proxy (``lazy_from``) serves exactly like the real object.
_FORWARDED_ROLES = frozenset({UseRole.CALL, UseRole.ATTRIBUTE})
_CONTEXT_TEXT = {
    UseContext.MODULE_LEVEL: "used in module-level code",
    UseContext.CLASS_BODY: "used in a class body",
    UseContext.DECORATOR: "used in a decorator",
    UseContext.DEFAULT_VALUE: "used in a default value",
    UseContext.BASE_CLASS: "used as a base class",
    UseContext.ANNOTATION: "used in an annotation evaluated at definition time",
    UseContext.EXPORT: "exported in __all__",
}
_ROLE_TEXT = {
    UseRole.ISINSTANCE: "used in isinstance/issubclass",
    UseRole.EXCEPT: "used in an except clause",
    UseRole.SUBCLASS: "subclassed",
    UseRole.DECORATOR: "used as a decorator",
    UseRole.REFERENCE: "passed or compared as an object",
}


@dataclass(frozen=True)
class LazyBinding:
    """One name bound to a proxy: ``name = lazy_import(module)`` / ``name = lazy_from(module, imported)``."""

    name: str
    module: str  # as the proxy needs it: absolute, or relative as written (".sub")
    imported: str  # "" for ``import m``
    absolute: str  # the absolute module name (for ``__lazy_modules__``), "" when unknown
    bind_top: bool = False  # ``import a.b`` binds ``a``


@dataclass(frozen=True)
class LazyStatement:
    """A whole import statement that becomes lazy (every name it binds)."""

    lineno: int
    bindings: tuple[LazyBinding, ...]
    cost_ms: float
    needs_future_annotations: bool = False

    def describe(self) -> str:
        names = ", ".join(b.name for b in self.bindings)
        module = self.bindings[0].absolute or self.bindings[0].module
        return f"lazy import {module} ({names}, ~{self.cost_ms:.0f} ms)"


@dataclass(frozen=True)
class Rejection:
    line: int
    name: str
    reason: str


@dataclass(frozen=True)
class PlanSettings:
    min_cost_ms: float = 5.0
    never_lazy: tuple[str, ...] = IMPORTED_FOR_EFFECT
    measured: tuple[tuple[str, float], ...] = ()
    internal_prefixes: tuple[str, ...] = ()  # top-level names of the project's own packages
    runtime_modules: tuple[str, ...] = ()  # modules the emitted code imports the runtime from
    future_annotations_safe: bool = True  # the module does not introspect its annotations at run time
    forwarding: bool = True  # from-imports become call-forwarding proxies (False: PEP 810 reifies them)
    module: str = ""  # the module being planned (dotted), to resolve relative imports
    is_package: bool = False
    project: tuple[tuple[str, float, str], ...] = ()  # project modules: (name, cost ms, blocker)
    loaded_anyway: tuple[tuple[str, str], ...] = ()  # module -> why importing this file loads it anyway


@dataclass(frozen=True)
class Plan:
    lazy: tuple[LazyStatement, ...]
    rejected: tuple[Rejection, ...]

    @property
    def needs_future_annotations(self) -> bool:
        return any(s.needs_future_annotations for s in self.lazy)


def plan_module(facts: ModuleFacts, settings: PlanSettings) -> Plan:
    """Decide every module-level import statement of one module."""
    lazy: dict[tuple[int, str], LazyStatement] = {}
    rejected: list[Rejection] = []
    statements = facts.import_statements()
    for key, bindings in sorted(statements.items()):
        cost = _candidate_cost(bindings, settings)
        if cost is None:
            continue
        reason = _statement_reason(facts, bindings, settings)
        if reason is not None:
            rejected.append(reason)
            continue
        lazy[key] = LazyStatement(
            key[0],
            tuple(_lazy_binding(b, settings) for b in bindings),
            cost,
            needs_future_annotations=any(_annotation_blocked(b) for b in bindings),
        )
    rejected.extend(_drop_loaded_anyway(lazy, statements, settings))
    return Plan(tuple(lazy[k] for k in sorted(lazy)), tuple(sorted(rejected, key=lambda r: r.line)))


def _loads(binding: ImportBinding, settings: PlanSettings) -> str:
    """The module an import statement makes Python load (``from pkg import sub`` -> ``pkg.sub``)."""
    if binding.level or binding.module.split(".", 1)[0] in settings.internal_prefixes:
        known = {name for name, _, _ in settings.project}
        candidate = f"{binding.module}.{binding.imported}" if binding.is_from else binding.module
        return candidate if candidate in known else binding.module
    return _cost_module(binding)


def _covers(loaded: str, module: str) -> bool:
    return loaded == module or loaded.startswith(module + ".")


def _drop_loaded_anyway(
    lazy: dict[tuple[int, str], LazyStatement],
    statements: Mapping[tuple[int, str], Sequence[ImportBinding]],
    settings: PlanSettings,
) -> list[Rejection]:
    """Remove (until nothing changes) lazy statements whose module an eager import of the file loads
    anyway: ``from jinja2 import Template`` gains nothing while ``import jinja2.ext`` stays eager."""
    dropped: list[Rejection] = []
    changed = True
    while changed:
        changed = False
        eager = [
            bindings[0]
            for key, bindings in statements.items()
            if key not in lazy and not bindings[0].type_checking and not bindings[0].main_block
        ]
        for key, statement in list(lazy.items()):
            module = _loads(statements[key][0], settings)
            loader = next((b for b in eager if _covers(_loads(b, settings), module)), None)
            if loader is not None:
                del lazy[key]
                reason = f"loaded anyway by the eager import at line {loader.lineno}"
                dropped.append(Rejection(key[0], statement.bindings[0].name, reason))
                changed = True
    return dropped


def _candidate_cost(bindings: Sequence[ImportBinding], settings: PlanSettings) -> float | None:
    """The statement's import cost when it is worth a decision; None for what is not a candidate."""
    first = bindings[0]
    if first.type_checking or first.main_block or first.fallback:
        return None  # never runs at import (already lazy), or the fallback half of a try
    module = first.module
    if not module or _is_runtime(module, settings) or module.startswith("."):
        return None
    if first.level or module.split(".", 1)[0] in settings.internal_prefixes:
        target = project_target(first, settings)
        if target is None:
            return None
        cost = dict((name, ms) for name, ms, _ in settings.project)[target]
    else:
        cost = _cost(_cost_module(first), settings)
    return cost if cost >= settings.min_cost_ms else None


def _is_runtime(module: str, settings: PlanSettings) -> bool:
    """codeopt_runtime (any submodule: the pool transform imports ``codeopt_runtime.pooled``) and the
    vendored copies are what rewritten code runs on: never candidates, never reported."""
    if module in settings.runtime_modules or module == "codeopt_runtime":
        return True
    return module.startswith("codeopt_runtime.") or module.rsplit(".", 1)[-1].startswith("_codeopt_")


def project_target(binding: ImportBinding, settings: PlanSettings) -> str | None:
    """The project module a project import loads (``from pkg import sub`` loads ``pkg.sub``); None when
    it is not a candidate: unknown, or a package the importing module is inside (loaded anyway)."""
    known = {name for name, _, _ in settings.project}
    candidate = f"{binding.module}.{binding.imported}" if binding.imported else binding.module
    target = candidate if candidate in known else binding.module
    if target not in known or settings.module == target or settings.module.startswith(target + "."):
        return None
    return target


def _cost(module: str, settings: PlanSettings) -> float:
    measured = dict(settings.measured)
    if module in measured:
        return measured[module]
    return estimate_import_cost(module).ms


def _cost_module(binding: ImportBinding) -> str:
    """``from pkg import sub`` may load ``pkg.sub``: use its figure when the table knows it."""
    if binding.imported and binding.imported != "*":
        candidate = f"{binding.module}.{binding.imported}"
        if not estimate_import_cost(candidate).estimated:
            return candidate
    return binding.module


def _statement_reason(
    facts: ModuleFacts, bindings: Sequence[ImportBinding], settings: PlanSettings
) -> Rejection | None:
    """The first reason any name of the statement must stay eager (a partial statement gains nothing)."""
    for binding in bindings:
        reason = _binding_reason(facts, binding, settings)
        if reason is not None:
            return Rejection(binding.lineno, binding.name, reason)
    return None


def _binding_reason(facts: ModuleFacts, binding: ImportBinding, settings: PlanSettings) -> str | None:
    checks = (
        _guard_reason,
        _never_lazy_reason,
        _project_reason,
        _loaded_elsewhere_reason,
        _rebinding_reason,
        _use_reason,
        _role_reason,
    )
    for check in checks:
        reason = check(facts, binding, settings)
        if reason is not None:
            return reason
    return None


def _guard_reason(facts: ModuleFacts, binding: ImportBinding, settings: PlanSettings) -> str | None:
    if binding.star:
        return "star import (the names it binds are not known statically)"
    if binding.optional:
        return (
            "optional dependency (try/except ImportError): a find_spec probe plus a proxy is not "
            "equivalent (an installed module that fails to import would raise at first use instead of "
            "taking the except branch)"
        )
    if binding.in_try:
        return "inside a try block (its exceptions would move to first use)"
    if binding.conditional:
        return "under a module-level if (the import may be meant to fail or differ by platform)"
    if binding.unused:
        return "never read in this module: imported for its side effect or as a re-export"
    return None


def _project_reason(facts: ModuleFacts, binding: ImportBinding, settings: PlanSettings) -> str | None:
    if not (binding.level or binding.module.split(".", 1)[0] in settings.internal_prefixes):
        return None
    target = project_target(binding, settings)
    blocker = next((why for name, _, why in settings.project if name == target), "")
    return f"project module {target} {blocker}" if blocker else None


def _loaded_elsewhere_reason(
    facts: ModuleFacts, binding: ImportBinding, settings: PlanSettings
) -> str | None:
    """Found by the whole-project pass (``lazy_imports_gain``): another module loads it anyway."""
    reasons = dict(settings.loaded_anyway)
    return reasons.get(f"name:{binding.name}") or reasons.get(binding.module)


def _never_lazy_reason(facts: ModuleFacts, binding: ImportBinding, settings: PlanSettings) -> str | None:
    module = binding.module
    for entry in settings.never_lazy:
        if module == entry or module.startswith(entry + "."):
            return f"in the never-lazy list ({entry}): importing it has effects"
    return None


def _rebinding_reason(facts: ModuleFacts, binding: ImportBinding, settings: PlanSettings) -> str | None:
    if binding.rebound_lines:
        return f"the name is bound again at line {binding.rebound_lines[0]}"
    others = [b for b in facts.bindings(binding.name) if b.lineno != binding.lineno]
    if others:
        return _shared_package_reason(binding, others)
    if facts.dynamic_lines:
        return f"module-level globals()/exec/eval at line {facts.dynamic_lines[0]} may read the name"
    if facts.exports and binding.name in facts.exports:
        return "exported in __all__ (importers expect the real object)"
    return None


def _shared_package_reason(binding: ImportBinding, others: Sequence[ImportBinding]) -> str | None:
    """``import urllib.error`` + ``import urllib.request`` both bind ``urllib``: the *last* of them may
    become ``urllib = lazy_import("urllib.request", bind="top")`` while the earlier ones stay eager (the
    proxy resolves to the package, which then holds every submodule). Any other shape stays eager."""
    group = [binding, *others]
    plain = all(
        not b.is_from and not b.alias and "." in b.module and not b.in_try and not b.conditional
        for b in group
    )
    later = [b.lineno for b in others if b.lineno > binding.lineno]
    if plain and not later:
        return None
    if plain:
        return f"a later import binds the same name at line {later[0]} (only the last one can be a proxy)"
    return f"another import binds the same name at line {others[0].lineno}"


def _use_reason(facts: ModuleFacts, binding: ImportBinding, settings: PlanSettings) -> str | None:
    """An import-time use; annotations alone are fixed by ``from __future__ import annotations``."""
    blocking = [u for u in binding.import_time_uses if u.context is not UseContext.ANNOTATION]
    if blocking:
        first = blocking[0]
        return f"{_CONTEXT_TEXT.get(first.context, 'used at import time')} at line {first.lineno}"
    annotations = [u for u in binding.import_time_uses if u.context is UseContext.ANNOTATION]
    if annotations and not settings.future_annotations_safe:
        return (
            f"used in an annotation evaluated at definition time at line {annotations[0].lineno}, and "
            "the module reads annotations at run time (dataclasses, typing.get_type_hints, pydantic, ...)"
        )
    return None


def _role_reason(facts: ModuleFacts, binding: ImportBinding, settings: PlanSettings) -> str | None:
    """A proxy forwards calls and attribute reads exactly; as a bare object (``isinstance(x, Name)``,
    ``except Name``, ``f(module)``) it is not the real thing. ``isinstance(x, mod.Cls)`` is fine: the
    attribute read returns the real class."""
    if not settings.forwarding:
        return None
    for use in binding.uses:
        if use.context not in _RUNTIME_CONTEXTS or use.attribute or use.role in _FORWARDED_ROLES:
            continue
        if not binding.is_from and use.role is UseRole.CALL:
            continue
        what = _ROLE_TEXT.get(use.role, f"used as {use.role}")
        proxy = "a call-forwarding proxy" if binding.is_from else "a module proxy"
        return f"{what} at line {use.lineno}: {proxy} is not the object itself"
    return None


def _annotation_blocked(binding: ImportBinding) -> bool:
    return any(u.context is UseContext.ANNOTATION for u in binding.import_time_uses)


def _lazy_binding(binding: ImportBinding, settings: PlanSettings) -> LazyBinding:
    """The proxy's arguments; relative imports stay relative (a vendored package keeps working)."""
    if binding.is_from:
        module = _relative_name(binding, settings) if binding.level else binding.module
        return LazyBinding(binding.name, module, binding.imported, binding.module)
    bind_top = not binding.alias and "." in binding.module
    return LazyBinding(binding.name, binding.module, "", binding.module, bind_top=bind_top)


def _relative_name(binding: ImportBinding, settings: PlanSettings) -> str:
    """``from ..x import y`` as written, rebuilt from the resolved module name."""
    parts = settings.module.split(".")
    base = parts if settings.is_package else parts[:-1]
    base = base[: len(base) - (binding.level - 1)]
    prefix = ".".join(base)
    rest = binding.module[len(prefix) :].lstrip(".") if binding.module.startswith(prefix) else binding.module
    return "." * binding.level + rest


def modules_for_lazy_modules(statements: Iterable[LazyStatement]) -> tuple[str, ...]:
    """The fully qualified names ``__lazy_modules__`` (PEP 810) needs for these statements."""
    names: dict[str, None] = {}
    for statement in statements:
        for binding in statement.bindings:
            if binding.absolute:
                names[binding.absolute] = None
    return tuple(names)
