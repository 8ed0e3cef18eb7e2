"""The ``move`` use case: move named definitions out of a module into a new submodule of it.

It is a split whose plan the user dictates: the named definitions go to one submodule, everything else
stays in the old module, which becomes the package's ``__init__.py`` and keeps re-exporting every name.
So ``codeopt move`` inherits the split's guarantees (verbatim copy, cycle-free links, write-forwarding
facade, static and import checks, ``--verify`` with rollback) instead of re-implementing them.

Limit (said in the error): the destination must be a new submodule of the module's own package
(``pkg.mod.hooks`` for ``pkg/mod.py``); moving into an unrelated existing module is not supported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codeopt.commands.split import Proposal, SplitRequest, propose_split
from codeopt.errors import ConfigError
from codeopt.split.naming import is_legal
from codeopt.split.plan import Plan, build_plan
from codeopt.split.unit_model import Inventory

SOURCE_ROOTS = ("", "src", "lib")


@dataclass(frozen=True)
class MoveTarget:
    module_path: Path  # the module the names are in
    module_name: str  # its dotted name
    names: tuple[str, ...]  # the definitions, unqualified
    submodule: str  # dotted, relative to the module's new package


def parse_move(names: tuple[str, ...], target: str, source: Path | None, cwd: Path) -> MoveTarget:
    """Where the names live and where they go.

    NAMEs are qualified (``pkg.mod.helper``) unless ``--from MODULE_PATH`` says which module they are
    in; ``--to`` is ``pkg.mod.sub`` or just ``sub`` (relative to the module's package).
    """
    if source is not None:
        from codeopt.commands.split_location import locate_module

        location = locate_module(source, cwd)
        module, path = location.module_name, source
        bare = tuple(name.removeprefix(module + ".") for name in names)
    else:
        module, bare = _common_module(names)
        path = find_module(module, cwd)
    submodule = target.removeprefix(module + ".")
    if "." in target and not target.startswith(module + "."):
        raise ConfigError(
            f"--to {target}: the destination must be a new submodule of {module} ({module}.NAME); "
            "moving into another existing module is not supported"
        )
    if not all(is_legal(part) for part in submodule.split(".")):
        raise ConfigError(f"--to {target}: {submodule!r} is not a legal module name")
    return MoveTarget(path, module, bare, submodule)


def _common_module(names: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    modules = {name.rpartition(".")[0] for name in names}
    if "" in modules:
        raise ConfigError("qualify each NAME with its module (pkg.mod.NAME), or say --from MODULE_PATH")
    if len(modules) > 1:
        raise ConfigError(
            f"the names come from several modules ({', '.join(sorted(modules))}): move one at a time"
        )
    return modules.pop(), tuple(name.rpartition(".")[2] for name in names)


def find_module(dotted: str, cwd: Path) -> Path:
    """``pkg.mod`` -> ``pkg/mod.py`` (or ``pkg/mod/__init__.py``) under the cwd, ``src/`` or ``lib/``."""
    relative = Path(*dotted.split("."))
    for root in SOURCE_ROOTS:
        base = cwd / root / relative
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate.relative_to(cwd)
    raise ConfigError(f"cannot find module {dotted} under {cwd} (also looked in src/ and lib/)")


def move_planner(move: MoveTarget) -> _MovePlanner:
    return _MovePlanner(move)


class _MovePlanner:
    """The plan ``codeopt move`` dictates: the named units to one submodule, the rest stays."""

    def __init__(self, move: MoveTarget) -> None:
        self.move = move

    def __call__(self, inventory: Inventory) -> Plan:
        units: dict[str, str] = {}
        notes = []
        for name in self.move.names:
            unit = inventory.unit_of(name)
            if unit is None or unit.kind == "import":
                raise ConfigError(f"{self.move.module_name} defines no {name!r}", inventory.path)
            if unit.pinned is not None:
                raise ConfigError(
                    f"{name} cannot move: it is pinned to the module ({unit.pinned})", inventory.path
                )
            others = [other for other in unit.names if other != name and other not in self.move.names]
            if others:
                notes.append(f"{name} moves together with {', '.join(others)} (one statement binds them all)")
            units[unit.id] = self.move.submodule
        return build_plan(inventory, units, notes)


def propose_move(move: MoveTarget, request: SplitRequest) -> Proposal:
    """The move as a split proposal (diff, checks); apply it with ``apply_split``."""
    return propose_split(request, planner=move_planner(move))
