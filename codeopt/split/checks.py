"""Checks run on a split before anything is kept: static (the text) and dynamic (fresh interpreters).

``static_checks`` re-reads the generated files independently of how the emitter wrote them: every
definition of the old module must appear exactly once across the new files and be AST-equal to the
original, modulo imports and the two rewrites the emitter makes (``global NAME`` dropped,
``module.NAME`` for ``NAME``); the from-imports between new modules must not sit on an import cycle.
A copy left behind would break ``isinstance`` and ``except`` (pitfall 9); a changed body would change
behaviour; a from-import on a cycle fails depending on which module is imported first.

``import_check`` imports each new module in its own fresh interpreter (one process per module, a few
at a time), because a module that only imports after a sibling has been imported hides in a single
process that imports them all.
"""

from __future__ import annotations

import ast
import builtins
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from codeopt.split.emit_links import strong_cycles
from codeopt.split.emit_model import unit_statements

if TYPE_CHECKING:
    from codeopt.split.plan import Plan
    from codeopt.split.unit_model import Inventory, Unit

_GENERATED_PREFIXES = ("_codeopt", "_Codeopt")


@dataclass
class _File:
    key: str  # dotted, relative to the new package ("" = facade)
    package: list[str]  # the file's package, relative to the new package
    tree: ast.Module
    aliases: set[str] = field(default_factory=set)  # names bound to sibling module objects


def static_checks(inv: Inventory, plan: Plan, files: Mapping[Path, str]) -> tuple[str, ...]:
    """Problems found in the generated files; an empty tuple when the split is sound."""
    package_dir = inv.path.with_suffix("")
    parsed: dict[Path, _File] = {}
    problems: list[str] = []
    for path, text in sorted(files.items()):
        if path.suffix != ".py":
            continue
        try:
            tree = ast.parse(text)
        except SyntaxError as error:
            problems.append(f"{path}: does not parse (line {error.lineno}): {error.msg}")
            continue
        key, package = _key_of(path, package_dir)
        parsed[path] = _File(key, package, tree)
    keys = {item.key for item in parsed.values()}
    for item in parsed.values():
        item.aliases = _module_aliases(item, keys, inv.module_name or inv.path.stem)
        if not item.key:  # the facade reaches submodules as package attributes (``_state.NAME``)
            item.aliases |= {key for key in keys if key and not key.endswith("__main__")}
    problems.extend(_name_problems(inv, keys))
    problems.extend(_unit_problems(inv, parsed))
    problems.extend(_cycle_problems(parsed, keys))
    return tuple(problems)


def _name_problems(inv: Inventory, keys: Iterable[str]) -> list[str]:
    """A submodule named like a builtin or a module-level name shadows it in the facade (pitfall 11).

    Importing ``pkg.mod.map`` sets the attribute ``map`` on the package, i.e. a global of the facade, so
    doctests and pinned code running there would call the module instead of ``map()``.
    """
    module_names = {name for unit in inv.units for name in unit.names}
    problems = []
    for top in sorted({key.split(".")[0] for key in keys if key and not key.endswith("__main__")}):
        if top in module_names:
            problems.append(f"submodule {top!r} has the name of a module-level name of {inv.path.name}")
        elif hasattr(builtins, top):
            problems.append(f"submodule {top!r} would shadow the builtin {top}() in the facade's namespace")
    return problems


def _key_of(path: Path, package_dir: Path) -> tuple[str, list[str]]:
    relative = path.relative_to(package_dir)
    parts = list(relative.parts)
    if parts[-1] in {"__init__.py", "__main__.py"}:
        package = parts[:-1]
        key = ".".join(package) if parts[-1] == "__init__.py" else ".".join([*package, "__main__"])
        return key, package
    return ".".join([*parts[:-1], parts[-1].removesuffix(".py")]), parts[:-1]


def _resolve(item: _File, node: ast.ImportFrom) -> list[str] | None:
    """The target of a relative import as parts relative to the new package; None when outside it."""
    if not node.level:
        return None
    drop = node.level - 1
    if drop > len(item.package):
        return None
    base = item.package[: len(item.package) - drop]
    return base + (node.module.split(".") if node.module else [])


def _module_aliases(item: _File, keys: set[str], facade: str) -> set[str]:
    """Names bound to module objects of the split: siblings, and the facade (state kept there)."""
    aliases: set[str] = set()
    for node in ast.walk(item.tree):
        if isinstance(node, ast.Import):
            aliases.update(alias.asname or alias.name for alias in node.names if alias.name == facade)
        elif isinstance(node, ast.ImportFrom):
            aliases.update(_from_aliases(item, node, keys, facade))
    return aliases


def _from_aliases(item: _File, node: ast.ImportFrom, keys: set[str], facade: str) -> list[str]:
    parent, _, last = facade.rpartition(".")
    if node.level == len(item.package) + 2 and node.module is None and parent:
        return [alias.asname or alias.name for alias in node.names if alias.name == last]
    base = _resolve(item, node)
    if base is None:
        return []
    return [alias.asname or alias.name for alias in node.names if ".".join([*base, alias.name]) in keys]


class _Normalise(ast.NodeTransformer):
    """Forget what a split may change: imports, ``global`` statements, ``sibling.NAME`` qualifiers."""

    def __init__(self, aliases: set[str]) -> None:
        self.aliases = aliases

    def visit_Import(self, node: ast.Import) -> None:
        return None

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        return None

    def visit_Global(self, node: ast.Global) -> None:
        return None

    def visit_Pass(self, node: ast.Pass) -> None:
        return None

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if _dotted(node.value) in self.aliases:
            return ast.Name(id=node.attr, ctx=node.ctx)
        self.generic_visit(node)
        return node


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def _dump(stmt: ast.stmt, aliases: set[str]) -> str:
    normalised = _Normalise(aliases).visit(stmt)  # in place: every tree here is parsed for this check only
    return ast.dump(normalised) if normalised is not None else ""


def _unit_problems(inv: Inventory, parsed: Mapping[Path, _File]) -> list[str]:
    original = ast.parse(inv.source)
    expected = _expected_dumps(inv, original)
    found: dict[str, list[Path]] = {}
    for path, item in parsed.items():
        generated_all = "__all__" not in {name for unit in inv.units for name in unit.names}
        for stmt in _definitions(item.tree, generated_all, path.name == "__init__.py" and not item.package):
            found.setdefault(_dump(stmt, item.aliases), []).append(path)
    problems = []
    counts = Counter({dump: len(paths) for dump, paths in found.items()})
    for unit, dumps in expected:
        for dump in dumps:
            seen = counts.get(dump, 0)
            if seen == 0:
                problems.append(f"{_describe(unit)} is missing from the split or differs from the original")
            elif seen > 1:
                where = ", ".join(sorted({str(path) for path in found[dump]}))
                problems.append(f"{_describe(unit)} appears {seen} times ({where})")
            counts[dump] = 0
    for dump, left in counts.items():
        if left:
            problems.append(f"{found[dump][0]}: a definition that is not in the original module")
    return problems


def _describe(unit: Unit) -> str:
    return f"{unit.id} (line {unit.first_line})"


def _expected_dumps(inv: Inventory, original: ast.Module) -> list[tuple[Unit, list[str]]]:
    by_unit = unit_statements(inv, original)
    result = []
    for unit in inv.units:
        if unit.kind == "import":
            continue
        dumps = [_dump(stmt, set()) for stmt in by_unit[unit.id]]
        result.append((unit, [dump for dump in dumps if dump]))
    return result


def _definitions(tree: ast.Module, generated_all: bool, is_facade: bool) -> Iterable[ast.stmt]:
    """Top-level statements that are not imports nor code the emitter generated."""
    for position, stmt in enumerate(tree.body):
        if _only_imports(stmt):
            continue
        if position == 0 and not is_facade and _is_docstring(stmt):
            continue  # the one-line docstring the emitter gives every submodule
        if is_facade and _is_generated(stmt, generated_all):
            continue
        yield stmt


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _only_imports(stmt: ast.stmt) -> bool:
    """Imports, also inside ``if``/``try`` (``try: import x except ImportError: x = None`` is code)."""
    simple = [
        node
        for node in ast.walk(stmt)
        if isinstance(node, ast.stmt) and not isinstance(node, ast.If | ast.Try)
    ]
    return all(isinstance(node, ast.Import | ast.ImportFrom | ast.Pass | ast.Raise) for node in simple)


def _is_type_checking_block(stmt: ast.stmt) -> bool:
    """``if TYPE_CHECKING:`` / ``if typing.TYPE_CHECKING:``: never executed, so no import-time edge."""
    if not isinstance(stmt, ast.If):
        return False
    test = stmt.test
    name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else ""
    return name == "TYPE_CHECKING"


def _is_generated(stmt: ast.stmt, generated_all: bool) -> bool:
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and node.id.startswith(_GENERATED_PREFIXES):
            return True
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name.startswith(_GENERATED_PREFIXES):
            return True
    targets = stmt.targets if isinstance(stmt, ast.Assign) else []
    names = {target.id for target in targets if isinstance(target, ast.Name)}
    return generated_all and names == {"__all__"}


def _cycle_problems(parsed: Mapping[Path, _File], keys: set[str]) -> list[str]:
    edges: list[tuple[str, str, bool]] = []
    for item in parsed.values():
        if not item.key or item.key.endswith("__main__"):
            continue
        for node in _module_level_imports(item.tree.body):
            edges.extend(_edges_of(item, node, keys))
    return [f"import-time cycle among new modules: {' <-> '.join(cycle)}" for cycle in strong_cycles(edges)]


def _module_level_imports(body: Sequence[ast.stmt]) -> Iterable[ast.ImportFrom]:
    for stmt in body:
        if isinstance(stmt, ast.ImportFrom):
            yield stmt
        elif isinstance(stmt, ast.If | ast.Try) and not _is_type_checking_block(stmt):
            for block in (stmt.body, stmt.orelse, getattr(stmt, "finalbody", [])):
                yield from _module_level_imports(block)
            for handler in getattr(stmt, "handlers", []):
                yield from _module_level_imports(handler.body)


def _edges_of(item: _File, node: ast.ImportFrom, keys: set[str]) -> list[tuple[str, str, bool]]:
    base = _resolve(item, node)
    if base is None:
        return []
    edges = []
    module = ".".join(base)
    for alias in node.names:
        submodule = ".".join([*base, alias.name])
        if submodule in keys:
            edges.append((item.key, submodule, False))
        elif module in keys and module:
            edges.append((item.key, module, True))
    return edges


# dynamic ------------------------------------------------------------------------------------------


def import_check(
    sys_path_root: Path, module_names: Sequence[str], python: str = sys.executable, timeout: float = 120.0
) -> tuple[str, ...]:
    """Import every module on its own in a fresh interpreter; the problems, one line per module.

    Bytecode goes to a temporary ``PYTHONPYCACHEPREFIX``: nothing is written into the user's tree, and
    the first import compiles the package once for all the others (which then run in parallel).
    """
    if not module_names:
        return ()
    with tempfile.TemporaryDirectory(prefix="codeopt-pycache-") as cache:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(sys_path_root), env.get("PYTHONPATH", "")]))
        env["PYTHONPYCACHEPREFIX"] = cache
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        first, rest = module_names[0], module_names[1:]
        results = [_import_one(first, python, env, sys_path_root, timeout)]
        workers = max(1, min(4, os.cpu_count() or 1, len(rest)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results.extend(
                pool.map(lambda name: _import_one(name, python, env, sys_path_root, timeout), rest)
            )
    return tuple(problem for problem in results if problem)


def _import_one(name: str, python: str, env: dict[str, str], cwd: Path, timeout: float) -> str:
    code = f"import importlib; importlib.import_module({name!r})"
    try:
        proc = subprocess.run(
            [python, "-c", code],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"{name}: importing it took longer than {timeout:.0f}s"
    if proc.returncode == 0:
        return ""
    lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
    return f"{name}: {lines[-1] if lines else f'exit code {proc.returncode}'}"
