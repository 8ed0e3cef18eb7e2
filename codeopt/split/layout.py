"""The editable layout file of a split (``codeopt split --plan`` writes it, ``--layout`` reads it).

TOML, written by hand (no writer dependency; ``tomllib`` reads it): one table per new submodule
listing the ids of the definitions it receives, and a ``[facade]`` table for the definitions that
stay in the old module. Reading validates everything a user can get wrong and raises
``LayoutError(message, path)`` naming the first problem; a valid layout is applied as given.
"""

from __future__ import annotations

import builtins
import json
import keyword
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from codeopt.errors import LayoutError
from codeopt.split.naming import RESERVED, sibling_names
from codeopt.split.plan import Plan, build_plan, movable_units
from codeopt.split.repair import import_time_deps
from codeopt.split.unit_model import Inventory, Unit

VERSION = 1
_HEADER = """\
# codeopt split layout for {module} ({path})
#
# How to edit: each [submodules."NAME"] table is one new module of the package that replaces the
# module; NAME is dotted relative to that package ("core.git_operations" is core/git_operations.py).
# Move a definition by moving its id to another table's list; add a table to add a module; drop a
# table by moving all its ids away. Every id must be listed exactly once. Ids in [facade] stay in the
# old module (it becomes the package's __init__.py); the "pinned" ones cannot move. Imports are not
# listed: each module gets the imports it uses.
# Apply with: codeopt split {path} --layout THIS_FILE
"""


def dump_layout(plan: Plan, inv: Inventory | None = None) -> str:
    """The plan as an editable TOML layout; with ``inv``, each id carries its kind and size."""
    out = [_HEADER.format(module=plan.module_name or plan.source_path.stem, path=plan.source_path.as_posix())]
    out.append(f"version = {VERSION}")
    out.append(f"module = {_string(plan.module_name)}")
    out.append(f"source = {_string(plan.source_path.as_posix())}")
    units = {unit.id: unit for unit in inv.units} if inv is not None else {}
    pinned = [unit_id for unit_id in plan.facade if unit_id in units and units[unit_id].pinned]
    kept = [unit_id for unit_id in plan.facade if unit_id not in pinned]
    out.append("\n[facade]")
    if inv is not None:
        out.append("# pinned: informative only, these cannot move")
        out.append(f"pinned = {_list(pinned, units)}")
    out.append(f"units = {_list(kept, units)}")
    for submodule in plan.submodules:
        out.append(f"\n[submodules.{_string(submodule.name)}]")
        out.append(f"units = {_list(list(submodule.units), units)}")
    for note in plan.notes:
        out.append(f"# note: {note}")
    return "\n".join(out) + "\n"


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _list(ids: list[str], units: Mapping[str, Unit]) -> str:
    if not ids:
        return "[]"
    rows = []
    for unit_id in ids:
        unit = units.get(unit_id)
        comment = (
            f"  # {unit.pinned or unit.kind}, line {unit.first_line}, {_size(unit.lines)}" if unit else ""
        )
        rows.append(f"    {_string(unit_id)},{comment}")
    return "[\n" + "\n".join(rows) + "\n]"


def _size(lines: int) -> str:
    return "1 line" if lines == 1 else f"{lines} lines"


def load_layout(text: str, path: Path, inv: Inventory) -> Plan:
    """The plan an edited layout describes; ``LayoutError`` names the file and the first problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError(f"not a valid TOML layout: {exc}", path) from None
    _check_header(data, path, inv)
    facade_ids = _id_list(data.get("facade", {}), "facade", path)
    tables = data.get("submodules", {})
    if not isinstance(tables, dict):
        raise LayoutError("[submodules] must be a table of submodule tables", path)
    assignment: dict[str, str] = {}
    placed: dict[str, str] = dict.fromkeys(facade_ids, "[facade]")
    listed = {name: _id_list(tables[name], f"submodules.{name}", path) for name in sorted(tables)}
    names = [name for name, ids in listed.items() if ids]
    for name in names:
        check_module_name(name, names, inv, path)
        for unit_id in listed[name]:
            _check_placement(unit_id, name, placed, inv, path)
            placed[unit_id] = name
            assignment[unit_id] = name
    for unit_id in facade_ids:
        _check_known(unit_id, inv, path)
    missing = [unit.id for unit in inv.units if unit.movable and unit.id not in placed]
    if missing:
        raise LayoutError(f"not placed anywhere: {', '.join(missing)} (list each id once)", path)
    _check_import_time_needs(assignment, inv, path)
    _check_import_cycles(assignment, inv, path)
    return build_plan(inv, assignment, [f"layout from {path}"])


def _check_import_cycles(assignment: Mapping[str, str], inv: Inventory, path: Path) -> None:
    """Import-time uses between submodules must not form a cycle (a module would see another one
    half-initialised); name one cycle and a definition pair that makes it."""
    graph = nx.DiGraph()
    witness: dict[tuple[str, str], tuple[str, str]] = {}
    for unit, targets in sorted(import_time_deps(inv, assignment).items()):
        for target in sorted(targets):
            a, b = assignment[unit], assignment[target]
            if a != b:
                graph.add_edge(a, b)
                witness.setdefault((a, b), (unit, target))
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    steps = ", ".join(f"{a} needs {b} ({witness[(a, b)][0]} uses {witness[(a, b)][1]})" for a, b, *_ in cycle)
    raise LayoutError(f"import-time cycle between submodules: {steps}", path)


def _check_import_time_needs(assignment: Mapping[str, str], inv: Inventory, path: Path) -> None:
    """A definition that needs a pinned one while the module imports cannot leave the facade: the
    facade imports its submodules before it runs its own code."""
    _, kept, _ = movable_units(inv)
    moved = [unit_id for unit_id in kept if unit_id in assignment]
    if moved:
        raise LayoutError(
            f"{moved[0]} needs a definition that stays in the module while it is imported; "
            f"keep it under [facade] (it is in {assignment[moved[0]]})",
            path,
        )


def _check_header(data: Mapping[str, Any], path: Path, inv: Inventory) -> None:
    version = data.get("version", VERSION)
    if version != VERSION:
        raise LayoutError(f"layout version {version!r} is not supported (expected {VERSION})", path)
    module = data.get("module", "")
    if module and inv.module_name and module != inv.module_name:
        raise LayoutError(f"layout is for module {module}, not {inv.module_name}", path)
    unknown = sorted(set(data) - {"version", "module", "source", "facade", "submodules"})
    if unknown:
        raise LayoutError(f"unknown key(s): {', '.join(unknown)}", path)


def _id_list(table: Any, where: str, path: Path) -> list[str]:
    if not isinstance(table, dict):
        raise LayoutError(f"[{where}] must be a table with a 'units' list", path)
    ids = table.get("units", [])
    if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
        raise LayoutError(f"[{where}] units must be a list of definition ids (strings)", path)
    return list(ids)


def _check_known(unit_id: str, inv: Inventory, path: Path) -> Unit:
    try:
        return inv.unit(unit_id)
    except KeyError:
        raise LayoutError(f"unknown definition id {unit_id!r}", path) from None


def _check_placement(unit_id: str, name: str, placed: Mapping[str, str], inv: Inventory, path: Path) -> None:
    unit = _check_known(unit_id, inv, path)
    if unit_id in placed:
        raise LayoutError(f"{unit_id} is placed twice: in {placed[unit_id]} and in {name}", path)
    if unit.pinned:
        raise LayoutError(
            f"{unit_id} is pinned ({unit.pinned}) and stays in the module; remove it from {name}", path
        )
    if unit.kind == "import":
        raise LayoutError(
            f"{unit_id} is an import; imports are copied where needed, remove it from {name}", path
        )


def check_module_name(name: str, all_names: list[str], inv: Inventory, path: Path) -> None:
    """A dotted submodule name: legal parts, no collision with a module-level name, the stdlib, a
    sibling file, or another submodule used as both a module and a package."""
    parts = name.split(".")
    for part in parts:
        if not part.isidentifier() or keyword.iskeyword(part):
            raise LayoutError(f"submodule name {name!r}: {part!r} is not a legal identifier", path)
        if part in sys.stdlib_module_names:
            raise LayoutError(f"submodule name {name!r}: {part!r} is a stdlib module name", path)
    head = parts[0]
    if head in RESERVED - {"_common", "_state"}:
        raise LayoutError(f"submodule name {name!r}: {head!r} is reserved", path)
    module_names = {bound for unit in inv.units for bound in unit.names}
    if head in module_names:
        raise LayoutError(f"submodule name {name!r}: {head!r} is a name defined in the module", path)
    if hasattr(builtins, head):
        raise LayoutError(f"submodule name {name!r}: {head!r} would shadow the builtin in the package", path)
    if head in sibling_names(inv.path) - {inv.path.stem}:
        raise LayoutError(f"submodule name {name!r}: {head!r} already exists next to the module", path)
    for other in all_names:
        if other.startswith(name + "."):
            raise LayoutError(f"submodule name {name!r} is also the package of {other!r}", path)
