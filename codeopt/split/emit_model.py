"""What the emitter knows about the module before writing any file: homes, scans, state, paths.

Built once per emit from the inventory and the plan: which file every unit goes to, the ``ast``
statements and reference scan of every unit, where each ``global``-rebound variable lives, and how the
new files are laid out on disk (a submodule that is also a prefix of another becomes a package).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from codeopt.split.emit_scope import UnitScan, definitely_bound, scan_unit

if TYPE_CHECKING:
    from codeopt.split.plan import Plan
    from codeopt.split.unit_model import Inventory, Unit

FACADE = ""
MAIN = "__main__"
IMPORT = "<import>"


@dataclass
class EmitContext:
    """The module, the plan and everything derived from them that every file needs."""

    inv: Inventory
    plan: Plan
    lines: list[str] = field(init=False)
    tree: ast.Module = field(init=False)

    def __post_init__(self) -> None:
        self.lines = self.inv.source.splitlines(keepends=True)
        self.tree = ast.parse(self.inv.source)

    @cached_property
    def home(self) -> dict[str, str]:
        """unit id -> file key: a submodule name, FACADE, MAIN (the ``__main__`` block) or IMPORT."""
        placed = {unit_id: sub.name for sub in self.plan.submodules for unit_id in sub.units}
        homes: dict[str, str] = {}
        for unit in self.inv.units:
            if unit.pinned == "main-block":
                homes[unit.id] = MAIN
            elif unit.id in placed:
                homes[unit.id] = placed[unit.id]
            elif unit.kind == "import":
                homes[unit.id] = IMPORT
            else:
                homes[unit.id] = FACADE
        return homes

    @cached_property
    def position(self) -> dict[str, int]:
        """unit id -> its index in source order."""
        return {unit.id: index for index, unit in enumerate(self.inv.units)}

    @cached_property
    def submodules(self) -> tuple[str, ...]:
        return tuple(sub.name for sub in self.plan.submodules)

    @cached_property
    def files(self) -> tuple[str, ...]:
        """Every generated module's key, facade first, in a fixed order."""
        has_main = any(home == MAIN for home in self.home.values())
        return (FACADE, *self.submodules, *((MAIN,) if has_main else ()))

    def units_in(self, key: str) -> list[Unit]:
        return [unit for unit in self.inv.units if self.home[unit.id] == key]

    @cached_property
    def statements(self) -> dict[str, list[ast.stmt]]:
        """unit id -> its top-level ``ast`` statements, through the unit's body indexes."""
        return unit_statements(self.inv, self.tree)

    @cached_property
    def spans(self) -> dict[str, list[tuple[int, int]]]:
        """unit id -> the line ranges of its statements, comments above each included.

        A unit may gather statements that are not adjacent (``X = None`` early, ``class X`` later):
        only its own lines are copied, never the units between them.
        """
        groups = body_groups(self.tree)
        found: dict[str, list[tuple[int, int]]] = {}
        for unit in self.inv.units:
            ranges = []
            for position, index in enumerate(unit.body_indexes):
                end = groups[index][-1].end_lineno or groups[index][-1].lineno
                start = unit.first_line if position == 0 else self._leading_start(groups, index)
                ranges.append((start, end))
            found[unit.id] = ranges
        return found

    def _leading_start(self, groups: list[list[ast.stmt]], index: int) -> int:
        """The first comment or code line after the previous statement (blank lines skipped)."""
        previous = groups[index - 1][-1]
        line = (previous.end_lineno or previous.lineno) + 1
        code = _code_start(groups[index][0])
        while line < code and not self.lines[line - 1].strip():
            line += 1
        return line

    def contains(self, unit: Unit, line: int) -> bool:
        return any(start <= line <= end for start, end in self.spans[unit.id])

    def unit_source(self, unit: Unit) -> str:
        return "".join("".join(self.lines[start - 1 : end]) for start, end in self.spans[unit.id])

    @cached_property
    def module_names(self) -> frozenset[str]:
        names = {name for unit in self.inv.units for name in unit.names}
        return frozenset(names | set(self.inv.global_writers))

    @cached_property
    def deferred(self) -> bool:
        return "annotations" in self.inv.future_imports

    @cached_property
    def scans(self) -> dict[str, UnitScan]:
        return {
            unit.id: scan_unit(self.statements[unit.id], self.module_names, self.lines, self.deferred)
            for unit in self.inv.units
        }

    @cached_property
    def state(self) -> dict[str, str]:
        """Variables rebound through ``global`` -> the file that owns them (FACADE when it stays there)."""
        owners: dict[str, str] = {}
        for name, writers in sorted(self.inv.global_writers.items()):
            binder = self.inv.unit_of(name)
            if binder is not None and binder.kind != "import":
                owner = self.home[binder.id]
            else:
                owner = self.home[writers[0]] if writers else FACADE
            if owner in {MAIN, IMPORT}:
                owner = FACADE
            owners[name] = owner
        return owners

    @cached_property
    def moved_state(self) -> dict[str, str]:
        """State owned by a submodule (the facade reads and writes it there through a property)."""
        return {name: owner for name, owner in self.state.items() if owner != FACADE}

    @cached_property
    def conditional(self) -> dict[str, str]:
        """Names a moved unit binds on some paths only -> its file (read as ``module.NAME`` elsewhere)."""
        found: dict[str, str] = {}
        for unit in self.inv.units:
            key = self.home[unit.id]
            if key in {FACADE, MAIN, IMPORT}:
                continue
            definite = definitely_bound(self.statements[unit.id])
            for name in unit.names:
                if name not in definite and name not in self.state and self.binder(name) is unit:
                    found[name] = key
        return found

    def attribute_owner(self, name: str) -> str | None:
        """The file whose module object other files must read ``name`` through, if any."""
        owner = self.state.get(name)
        return owner if owner is not None else self.conditional.get(name)

    def facade_import(self, key: str, alias: str) -> str:
        """A module-level import binding the facade's module object in file ``key`` (safe mid-import:
        ``from pkg import mod`` falls back to ``sys.modules`` while ``pkg.mod`` is initialising)."""
        dotted = self.dotted(FACADE)
        parent, _, last = dotted.rpartition(".")
        if not parent:
            return f"import {dotted} as {alias}\n" if alias != dotted else f"import {dotted}\n"
        suffix = f" as {alias}" if alias != last else ""
        return f"from {self.dots(key)}. import {last}{suffix}\n"

    @cached_property
    def first_code_line(self) -> int:
        """The first line of code that is not the docstring or an import: imports after it are late."""
        for unit in self.inv.units:
            if unit.kind != "import" and unit.pinned not in {"docstring", "future-import"}:
                return unit.first_line
        return len(self.lines) + 1

    def is_late(self, unit: Unit) -> bool:
        """An import placed after code, usually to break a circular import with a sibling module.

        Copied to the top of a submodule it would run before the facade binds the names the sibling
        takes from it, so call-time uses take the name from the facade, inside the function, instead
        (which also keeps ``mock.patch("pkg.mod.name")`` effective for them).
        """
        statements = self.statements[unit.id]
        simple = len(statements) == 1 and isinstance(statements[0], ast.Import | ast.ImportFrom)
        return simple and unit.first_line > self.first_code_line and self._own_project(statements[0])

    def _own_project(self, stmt: ast.stmt) -> bool:
        """Only imports of the module's own project can import it back (stdlib ones cannot)."""
        top = (self.inv.module_name or self.inv.path.stem).split(".")[0]
        if isinstance(stmt, ast.ImportFrom):
            return bool(stmt.level) or (stmt.module or "").split(".")[0] == top
        assert isinstance(stmt, ast.Import)
        return any(alias.name.split(".")[0] == top for alias in stmt.names)

    def binder(self, name: str) -> Unit | None:
        return self.inv.unit_of(name)

    @cached_property
    def packages(self) -> frozenset[str]:
        """Submodules that are also packages (another submodule's name starts with theirs)."""
        names = set(self.submodules)
        prefixes = {
            ".".join(name.split(".")[:cut]) for name in names for cut in range(1, name.count(".") + 1)
        }
        return frozenset(prefixes)

    def package_parts(self, key: str) -> list[str]:
        """The file's package, relative to the new package (``[]`` for the facade and ``__main__``)."""
        if key in {FACADE, MAIN}:
            return []
        parts = key.split(".")
        return parts if key in self.packages else parts[:-1]

    def shift(self, key: str) -> int:
        """How many packages deeper than the old module the file sits (relative imports gain as many dots)."""
        return len(self.package_parts(key)) + 1

    def dots(self, key: str) -> str:
        """Relative-import dots from file ``key`` up to the new package (the facade)."""
        return "." * self.shift(key)

    def relative(self, key: str, target: str) -> str:
        """``from <this> import name`` for submodule ``target`` seen from file ``key``: fewest dots."""
        dots, path = self._relative_parts(key, target.split("."))
        return dots + ".".join(path)

    def relative_parent(self, key: str, target: str) -> tuple[str, str]:
        """``from <first> import <second>`` binding the module object of ``target`` in file ``key``."""
        parts = target.split(".")
        dots, path = self._relative_parts(key, parts)
        return dots + ".".join(path[:-1]), path[-1]

    def _relative_parts(self, key: str, target: list[str]) -> tuple[str, list[str]]:
        package = self.package_parts(key)
        common = 0
        while common < min(len(package), len(target) - 1) and package[common] == target[common]:
            common += 1
        return "." * (1 + len(package) - common), target[common:]

    @cached_property
    def package_dir(self) -> Path:
        return self.inv.path.with_suffix("")

    def path_of(self, key: str) -> Path:
        if key == FACADE:
            return self.package_dir / "__init__.py"
        if key == MAIN:
            return self.package_dir / "__main__.py"
        parts = key.split(".")
        if key in self.packages:
            return self.package_dir.joinpath(*parts, "__init__.py")
        return self.package_dir.joinpath(*parts[:-1], parts[-1] + ".py")

    def dotted(self, key: str) -> str:
        base = self.inv.module_name or self.inv.path.stem
        if key == FACADE:
            return base
        return f"{base}.{key}"


def body_groups(tree: ast.Module) -> list[list[ast.stmt]]:
    """``ast`` statements per LibCST body statement (``a = 1; b = 2`` is one body statement)."""
    groups: list[list[ast.stmt]] = []
    for stmt in tree.body:
        if groups and stmt.lineno == (groups[-1][-1].end_lineno or groups[-1][-1].lineno):
            groups[-1].append(stmt)
        else:
            groups.append([stmt])
    return groups


def unit_statements(inv: Inventory, tree: ast.Module) -> dict[str, list[ast.stmt]]:
    """unit id -> its ``ast`` statements in source order (shared with the static checks)."""
    groups = body_groups(tree)
    return {
        unit.id: [stmt for index in unit.body_indexes for stmt in groups[index]] for unit in unit_list(inv)
    }


def unit_list(inv: Inventory) -> tuple[Unit, ...]:
    return inv.units


def _code_start(stmt: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(stmt, "decorator_list", [])
    return min([stmt.lineno, *(decorator.lineno for decorator in decorators)])
