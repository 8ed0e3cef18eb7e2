"""Which lazy imports of a rewrite gain nothing, because another module loads the same module anyway.

Why: deferring ``import requests`` in ``pkg/cli.py`` saves nothing when ``import pkg.cli`` still loads
``requests`` through ``pkg.models`` (whose class derives from ``requests.Session``). Such a rewrite only
adds churn, and hides the real reason the package stays slow. This check runs over the whole rewritten
project (the per-file transform cannot see other files): for every lazy declaration in a module, it
follows what importing that module still loads eagerly (its parent packages and its remaining eager
imports, through project modules, transitively) and reports the declarations whose target is in there.
The use case then re-plans those files with the imports kept eager, until nothing changes.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

_DECLARATIONS = frozenset({"lazy_import", "lazy_from"})


@dataclass(frozen=True)
class ModuleText:
    text: str
    is_package: bool
    shown: str  # the path users see


@dataclass(frozen=True)
class _Module:
    eager: tuple[str, ...]  # modules its import-time statements load (absolute)
    lazy: tuple[str, ...]  # targets of its lazy declarations (absolute)
    names: tuple[tuple[str, str], ...] = ()  # (module, name) pairs it imports by name: ``from m import n``
    declared: tuple[str, ...] = ()  # the names its lazy declarations bind


NAME_KEY = "name:"  # entries keyed by a bound name rather than a module: "name:Session"


def pointless(
    modules: Mapping[str, ModuleText], importers: Mapping[str, ModuleText] | None = None
) -> dict[str, tuple[tuple[str, str], ...]]:
    """module -> ((lazy target or ``name:N``, why it must stay eager), ...).

    Two reasons: the target is loaded anyway when the module is imported; or another module (``importers``
    adds ones that are not rewritten, such as tests) imports the proxy's *name* from this module, where it
    would receive a proxy instead of the object (``isinstance(x, pkg.mod.Session)`` would fail)."""
    scanned = {name: _scan(name, item) for name, item in modules.items()}
    others = {name: _scan(name, item) for name, item in (importers or {}).items()}
    by_name = _imported_by_name({**others, **scanned}, {**(importers or {}), **modules})
    result: dict[str, tuple[tuple[str, str], ...]] = {}
    for name, module in scanned.items():
        if not module.lazy:
            continue
        loaders = _eager_closure(name, scanned)
        found = tuple(
            (target, _reason(name, target, loaders[target], modules))
            for target in module.lazy
            if target in loaders
        )
        found += tuple(
            (
                f"{NAME_KEY}{bound}",
                f"imported by name from {name} in {by_name[name, bound]}: it would get the proxy",
            )
            for bound in module.declared
            if (name, bound) in by_name
        )
        if found:
            result[name] = found
    return result


def _imported_by_name(
    scanned: Mapping[str, _Module], texts: Mapping[str, ModuleText]
) -> dict[tuple[str, str], str]:
    """(module, name) -> the first importer's path, for every ``from module import name`` in the project."""
    found: dict[tuple[str, str], str] = {}
    for importer, module in sorted(scanned.items()):
        for pair in module.names:
            found.setdefault(pair, texts[importer].shown)
    return found


def _reason(name: str, target: str, loader: str, modules: Mapping[str, ModuleText]) -> str:
    where = modules[loader].shown if loader in modules else loader
    if loader == name:
        return f"loaded anyway: this module imports {target} eagerly elsewhere"
    return f"loaded anyway when {name} is imported: {loader} ({where}) imports {target} eagerly"


def _eager_closure(name: str, scanned: Mapping[str, _Module]) -> dict[str, str]:
    """Every module importing ``name`` loads -> the project module whose eager import loads it."""
    loaders: dict[str, str] = {}
    parts = name.split(".")
    queue: deque[tuple[str, str]] = deque((".".join(parts[:i]), name) for i in range(1, len(parts)))
    queue.extend((target, name) for target in scanned[name].eager)
    while queue:
        module, loader = queue.popleft()
        for loaded in _with_parents(module):
            if loaded in loaders:
                continue
            loaders[loaded] = loader
            inner = scanned.get(loaded)
            if inner is not None and loaded != name:
                queue.extend((target, loaded) for target in inner.eager)
    return loaders


def _with_parents(module: str) -> Iterator[str]:
    parts = module.split(".")
    for i in range(1, len(parts) + 1):
        yield ".".join(parts[:i])


def _scan(name: str, item: ModuleText) -> _Module:
    try:
        tree = ast.parse(item.text)
    except (SyntaxError, ValueError, RecursionError):
        return _Module((), ())
    package = name if item.is_package else name.rpartition(".")[0]
    eager: list[str] = []
    lazy: list[str] = []
    declared: list[str] = []
    for statement in _import_time_statements(tree.body):
        if isinstance(statement, ast.Import):
            eager.extend(alias.name for alias in statement.names)
        elif isinstance(statement, ast.ImportFrom):
            base = _absolute(package, statement.level, statement.module)
            eager.append(base)
            eager.extend(f"{base}.{alias.name}" for alias in statement.names if alias.name != "*")
        else:
            target = _declared(statement, package)
            if target is not None:
                lazy.append(target)
                declared.extend(t.id for t in statement.targets if isinstance(t, ast.Name))  # type: ignore[attr-defined]
    return _Module(
        tuple(dict.fromkeys(e for e in eager if e)),
        tuple(dict.fromkeys(lazy)),
        _names_imported(tree, package),
        tuple(declared),
    )


def _names_imported(tree: ast.Module, package: str) -> tuple[tuple[str, str], ...]:
    """Every ``from m import n`` anywhere in the module (functions included): (absolute m, n)."""
    pairs: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = _absolute(package, node.level, node.module)
            pairs.extend((base, alias.name) for alias in node.names if alias.name != "*")
    return tuple(pairs)


def _import_time_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements that run at import, through ``if``/``try`` (not TYPE_CHECKING/__main__)."""
    for statement in body:
        if isinstance(statement, ast.If):
            test = ast.unparse(statement.test)
            if "TYPE_CHECKING" in test or "__main__" in test:
                yield from _import_time_statements(statement.orelse)
                continue
            yield from _import_time_statements(statement.body)
            yield from _import_time_statements(statement.orelse)
        elif isinstance(statement, ast.Try):
            for block in (statement.body, statement.orelse, statement.finalbody):
                yield from _import_time_statements(block)
            for handler in statement.handlers:
                yield from _import_time_statements(handler.body)
        else:
            yield statement


def _declared(statement: ast.stmt, package: str) -> str | None:
    """The absolute target of ``name = lazy_import("m")`` / ``name = lazy_from("m", "n")``."""
    if not isinstance(statement, ast.Assign) or not isinstance(statement.value, ast.Call):
        return None
    call = statement.value
    func = call.func
    called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    if called not in _DECLARATIONS or not call.args:
        return None
    first = call.args[0]
    if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
        return None
    written = first.value
    stripped = written.lstrip(".")
    level = len(written) - len(stripped)
    return _absolute(package, level, stripped or None)


def _absolute(package: str, level: int, module: str | None) -> str:
    if not level:
        return module or ""
    parts = package.split(".") if package else []
    base = ".".join(parts[: len(parts) - (level - 1)]) if level > 1 else package
    return f"{base}.{module}" if module and base else (module or base)
