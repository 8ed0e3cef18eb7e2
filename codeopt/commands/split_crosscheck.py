"""An independent second opinion on the facade, from rope (``codeopt split --cross-check``).

The facade must re-export every name the rest of the project uses from the old module. codeopt's
emitter decides that from its own LibCST/ast facts; rope resolves references with a different engine
(its own static object analysis). Asking rope, for every moved definition, where else in the project it
is referenced, and checking that the facade binds each such name, catches a blind spot in either. rope
is used only as this finder, never to move code (design/split.md says why).

It is opt-in because rope is slow at it: each name is a separate whole-project occurrence search
(measured ~0.4 s per name on the gitkit fixture, 111 names in ~40 s on a shared 2-core machine).
"""

from __future__ import annotations

import ast
import os
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from codeopt.split.plan import Plan
from codeopt.split.unit_model import Inventory

# folders never searched: environments, build output, caches, VCS data
_SKIP_DIRS = {"node_modules", "site-packages", "build", "dist", "__pycache__", "venv", "env"}


@dataclass(frozen=True)
class CrossCheck:
    used_outside: dict[str, tuple[str, ...]]  # moved name -> project files (relative) that reference it
    missing: tuple[str, ...]  # referenced elsewhere per rope, but not bound by the facade
    failures: tuple[str, ...]  # names rope could not search (syntax it does not know, ...)
    names: int
    seconds: float

    def notes(self) -> tuple[str, ...]:
        used = len(self.used_outside)
        head = (
            f"rope cross-check: {used} of {self.names} moved names are referenced elsewhere in the project; "
            + ("the facade re-exports all of them" if not self.missing else f"{len(self.missing)} are NOT")
            + f" ({self.seconds:.1f} s)"
        )
        missing = [
            f"rope finds {name} used in {', '.join(self.used_outside[name][:3])}, "
            "but the facade does not re-export it"
            for name in self.missing
        ]
        failed = [f"rope could not check {failure}" for failure in self.failures[:5]]
        return (head, *missing, *failed)

    def compare(self, used_names: frozenset[str], plan: Plan, inventory: Inventory) -> tuple[str, ...]:
        """Where rope and codeopt's own reference scan disagree about which moved names are used."""
        moved = {name for unit in inventory.units if plan.home_of(unit.id) for name in unit.names}
        ours = used_names & moved
        only_rope = sorted(set(self.used_outside) - ours)
        only_ours = sorted(ours - set(self.used_outside))
        if not only_rope and not only_ours:
            return (f"rope and codeopt agree on the {len(ours)} moved names used elsewhere",)
        notes = []
        if only_rope:
            notes.append(f"only rope finds uses of: {', '.join(only_rope[:10])}")
        if only_ours:
            notes.append(
                f"only codeopt finds uses of: {', '.join(only_ours[:10])} (dynamic or attribute uses)"
            )
        return tuple(notes)


def rope_cross_check(
    project_root: Path, module_path: Path, inventory: Inventory, plan: Plan, facade_text: str
) -> CrossCheck:
    """Where rope says each moved name is used outside the module, and which of those the facade lacks."""
    from rope.base.project import Project
    from rope.contrib.findit import find_occurrences

    start = time.perf_counter()
    offsets = dict(_binding_offsets(inventory, plan))
    with warnings.catch_warnings():  # rope 1.x warns about its own deprecated internals
        warnings.simplefilter("ignore", DeprecationWarning)
        project = Project(str(project_root), ropefolder=None)
    used: dict[str, tuple[str, ...]] = {}
    failures: list[str] = []
    try:
        module = project.get_resource(os.path.relpath(module_path, project_root))
        texts = _project_sources(project_root, module_path)
        for name, offset in offsets.items():
            candidates = [module, *(project.get_resource(rel) for rel, text in texts.items() if name in text)]
            if len(candidates) == 1:
                continue
            try:
                found = find_occurrences(project, module, offset, unsure=False, resources=candidates)
            except Exception as exc:  # rope raises its own errors for code it cannot analyse
                failures.append(f"{name}: {type(exc).__name__}: {exc}"[:200])
                continue
            files = sorted({hit.resource.path for hit in found if hit.resource != module})
            if files:
                used[name] = tuple(files)
    finally:
        project.close()
    bound = facade_bindings(facade_text)
    served_by_getattr = "__getattr__" in bound  # a module __getattr__ may serve any name
    missing = tuple(sorted(name for name in used if name not in bound and not served_by_getattr))
    return CrossCheck(used, missing, tuple(failures), len(offsets), time.perf_counter() - start)


def facade_bindings(text: str) -> set[str]:
    """Module-level names the facade binds (imports, definitions, assignments, also under if/try)."""
    names: set[str] = set()
    for stmt in ast.parse(text).body:
        names.update(_bound(stmt))
    return names


def _bound(stmt: ast.stmt) -> Iterator[str]:
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        yield stmt.name
    elif isinstance(stmt, ast.Import | ast.ImportFrom):
        yield from (alias.asname or alias.name.split(".")[0] for alias in stmt.names)
    elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        yield from (node.id for target in targets for node in ast.walk(target) if isinstance(node, ast.Name))
    elif isinstance(stmt, ast.If | ast.Try):
        for inner in _nested_statements(stmt):
            yield from _bound(inner)


def _nested_statements(stmt: ast.If | ast.Try) -> Iterator[ast.stmt]:
    """The statements of every branch (if/else, try/except/else/finally) at module level."""
    for child in ast.iter_child_nodes(stmt):
        if isinstance(child, ast.stmt):
            yield child
        elif isinstance(child, ast.ExceptHandler):
            yield from child.body


def _binding_offsets(inventory: Inventory, plan: Plan) -> Iterator[tuple[str, int]]:
    """(name, character offset of its definition) for every name bound by a moved unit."""
    moved = {unit_id for sub in plan.submodules for unit_id in sub.units}
    lines = inventory.source.splitlines(keepends=True)
    starts = [0]
    for text in lines:
        starts.append(starts[-1] + len(text))
    wanted = {name for unit in inventory.units if unit.id in moved for name in unit.names}
    seen: set[str] = set()
    for node in _module_level(ast.parse(inventory.source).body):
        for name, lineno, col in _definition_sites(node, lines):
            if name in wanted and name not in seen:
                seen.add(name)
                yield name, starts[lineno - 1] + _char_offset(lines[lineno - 1], col)


def _char_offset(line: str, byte_col: int) -> int:
    """ast columns are UTF-8 byte offsets; rope wants character offsets."""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _module_level(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If | ast.Try | ast.With):
            yield from _module_level(s for s in ast.iter_child_nodes(stmt) if isinstance(s, ast.stmt))
            for handler in getattr(stmt, "handlers", []):
                yield from _module_level(handler.body)


def _definition_sites(node: ast.stmt, lines: list[str]) -> Iterator[tuple[str, int, int]]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        keyword = "class" if isinstance(node, ast.ClassDef) else "def"
        line = node.lineno
        text = lines[line - 1]
        col = text.encode("utf-8").find(f"{keyword} {node.name}".encode()) if keyword in text else -1
        if col >= 0:
            yield node.name, line, col + len(keyword) + 1
    elif isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name):
                    yield name.id, name.lineno, name.col_offset


def _project_sources(root: Path, module_path: Path) -> dict[str, str]:
    """Relative path -> text of the project's Python files (no virtualenvs, builds or hidden folders)."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS)
        for name in files:
            path = Path(folder) / name
            if name.endswith(".py") and path != module_path:
                try:
                    found[os.path.relpath(path, root)] = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
    return found
