"""Propose how to split a module into a package: which definitions go to which new submodule.

Pipeline: units and typed edges (:mod:`codeopt.split.units`) -> weighted unit graph and Louvain
communities (:mod:`codeopt.split.cluster`) -> repair: sizes, ``_state`` and ``_common`` leaves, an
acyclic import-time graph, TurboMQ-raising moves (:mod:`codeopt.split.repair`) -> roles for a nested
layout (:mod:`codeopt.split.plan_roles`) -> names (:mod:`codeopt.split.naming`) -> metrics.

A module that is already small or cohesive gets an empty plan and a note saying why: that is what
makes ``codeopt split`` idempotent on the package it produced. The same input always gives the same
plan (fixed seeds, source-order tie breaks, sorted output).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from codeopt.split.cluster import communities, lcom4_parts, unit_graph
from codeopt.split.metrics import FACADE, SplitMetrics, measure
from codeopt.split.naming import name_modules, pick_name, taken_names
from codeopt.split.plan_roles import ALTERNATIVES, ROLES, assign_roles, wants_nesting
from codeopt.split.repair import Repaired, repair
from codeopt.split.unit_model import Inventory, Unit

__all__ = ["Plan", "PlanOptions", "SplitMetrics", "Submodule", "build_plan", "propose"]


@dataclass(frozen=True)
class Submodule:
    name: str  # dotted, relative to the new package: "core.git_operations", "_common", "_state"
    units: tuple[str, ...]  # unit ids, source order


@dataclass(frozen=True)
class PlanOptions:
    min_lines: int = 80
    max_lines: int = 600
    nested: bool | None = None  # None: nest when the module is large enough
    seed: int = 0


@dataclass(frozen=True)
class Plan:
    module_name: str
    source_path: Path
    submodules: tuple[Submodule, ...]  # sorted by name; empty = nothing worth splitting
    facade: tuple[str, ...]  # ids of units that stay in the old module, source order
    before: SplitMetrics
    after: SplitMetrics
    notes: tuple[str, ...]

    def home_of(self, unit_id: str) -> str | None:
        """The submodule a unit goes to; None when it stays in the facade (or is an import)."""
        return self._homes.get(unit_id)

    @cached_property
    def _homes(self) -> dict[str, str]:
        return {unit: submodule.name for submodule in self.submodules for unit in submodule.units}


def propose(inv: Inventory, options: PlanOptions = PlanOptions()) -> Plan:
    """The proposed split of ``inv``'s module (empty, with a note, when there is nothing to gain)."""
    movable, _kept, notes = movable_units(inv)
    total = sum(inv.unit(unit).lines for unit in movable)
    if total <= options.max_lines:
        return build_plan(inv, {}, [*notes, f"nothing to split: {total} lines of movable definitions "
                                          f"(a module may hold {options.max_lines})"])  # fmt: skip
    graph = unit_graph(inv, movable)
    satellites = [
        unit for unit in movable if inv.unit(unit).kind == "assignment" and inv.unit(unit).lines < 15
    ]
    parts = lcom4_parts(inv, movable, options.min_lines, options.max_lines)
    if parts is not None:
        notes.append(
            f"the definitions fall apart into {len(parts)} independent groups (LCOM4 = {len(parts)})"
        )
    else:
        parts = communities(graph, options.seed, satellites, typical=options.min_lines)
    repaired = repair(inv, graph, parts, options.min_lines, options.max_lines, options.seed)
    notes.extend(repaired.notes)
    if len(repaired.clusters) + bool(repaired.common) + bool(repaired.state) < 2:
        return build_plan(inv, {}, [*notes, "nothing to split: the definitions form one cohesive module"])
    assignment = _name(inv, repaired, total, options, notes)
    return build_plan(inv, assignment, notes)


def movable_units(inv: Inventory) -> tuple[list[str], list[str], list[str]]:
    """Units the planner places, units that must stay in the facade although movable, and notes.

    A definition that needs a pinned one while the module is being imported (``X = __version__``)
    stays: the facade imports the submodules first, so the pinned name would not exist yet.
    """
    kept = _needing_pinned(inv)
    movable = [unit.id for unit in inv.units if unit.movable and unit.id not in kept]
    stay = [unit.id for unit in inv.units if unit.id in kept]
    notes = [f"{unit} stays in the module: it needs a pinned definition at import time" for unit in stay]
    return movable, stay, notes


def _needing_pinned(inv: Inventory) -> set[str]:
    """Movable units that need a pinned unit (or another such unit) at import time."""
    pinned = {unit.id for unit in inv.units if unit.pinned is not None and unit.kind != "import"}
    users: dict[str, set[str]] = {}
    for edge in inv.edges:
        if edge.kind == "import-time":
            users.setdefault(edge.target, set()).add(edge.source)
    kept: set[str] = set()
    stack = list(pinned | _runs_pinned(inv, pinned))
    while stack:
        for user in users.get(stack.pop(), ()):
            if user not in kept and inv.unit(user).movable:
                kept.add(user)
                stack.append(user)
    return kept


def _runs_pinned(inv: Inventory, pinned: set[str]) -> set[str]:
    """Functions that, when they run, use a pinned unit (directly or through other such functions):
    whoever calls them at import time needs the pinned unit then."""
    needy: set[str] = set()
    changed = True
    while changed:
        changed = False
        for function, used in inv.executes.items():
            if function not in needy and used & (pinned | needy):
                needy.add(function)
                changed = True
    return needy


def _name(
    inv: Inventory, repaired: Repaired, total: int, options: PlanOptions, notes: list[str]
) -> dict[str, str]:
    """Unit id -> dotted submodule name."""
    taken = taken_names(inv)
    clusters = list(repaired.clusters)
    names = name_modules(inv, clusters, taken)
    if wants_nesting(total, len(clusters), options.nested):
        roles = assign_roles(inv, clusters)
        if _nesting_helps(roles) or options.nested:
            packages = {role: pick_name(ALTERNATIVES[role], taken) for role in ROLES if role in roles}
            names = [f"{packages[role]}.{name}" for role, name in zip(roles, names, strict=True)]
            notes.append(
                "nested layout: " + ", ".join(f"{packages[role]}/" for role in ROLES if role in packages)
            )
    assignment = {unit: name for cluster, name in zip(clusters, names, strict=True) for unit in cluster}
    assignment.update(dict.fromkeys(repaired.common, "_common"))
    assignment.update(dict.fromkeys(repaired.state, "_state"))
    return assignment


def _nesting_helps(roles: Sequence[str]) -> bool:
    """Subpackages pay when there is a core and two roles hold two or more modules each."""
    return "core" in roles and sum(1 for role in ROLES if roles.count(role) >= 2) >= 2


def build_plan(inv: Inventory, assignment: Mapping[str, str], notes: Sequence[str]) -> Plan:
    """The plan placing units as ``assignment`` says (unit id -> submodule); the rest stays."""
    members: dict[str, list[str]] = {}
    for unit in inv.units:
        if unit.id in assignment:
            members.setdefault(assignment[unit.id], []).append(unit.id)
    submodules = tuple(Submodule(name, tuple(members[name])) for name in sorted(members))
    before, after = _metrics(inv, assignment, len(submodules))
    return Plan(
        module_name=inv.module_name,
        source_path=inv.path,
        submodules=submodules,
        facade=tuple(unit.id for unit in inv.units if _stays(unit, assignment)),
        before=before,
        after=after,
        notes=tuple(notes),
    )


def _stays(unit: Unit, assignment: Mapping[str, str]) -> bool:
    """In the facade: every definition not placed, and pinned imports (``from __future__``)."""
    if unit.kind == "import":
        return unit.pinned is not None
    return unit.id not in assignment


def _metrics(
    inv: Inventory, assignment: Mapping[str, str], submodules: int
) -> tuple[SplitMetrics, SplitMetrics]:
    measured = [
        unit.id for unit in inv.units if unit.movable or (unit.kind != "import" and unit.id in assignment)
    ]
    before = measure(inv, dict.fromkeys(measured, FACADE))
    if not submodules:
        return before, before
    home = {unit: assignment.get(unit, FACADE) for unit in measured}
    return before, measure(inv, home, module_count=submodules + 1)
