"""The split planner's vocabulary: units of a module, typed edges between them, the inventory.

Kept apart from :mod:`codeopt.split.units` (which builds them) so that the edge walker and the planner
can share the types without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import libcst

UNIT_KINDS = ("function", "class", "assignment", "conditional", "import", "statement")
EDGE_KINDS = ("import-time", "call-time", "annotation", "state", "string")


@dataclass(frozen=True)
class Unit:
    """One top-level piece of a module that moves as a whole (or is pinned to the facade)."""

    id: str  # unique, stable: the first name it binds, else f"{kind}@{first_line}"
    kind: str  # one of UNIT_KINDS
    names: tuple[str, ...]  # module-level names it binds
    first_line: int  # 1-based, inclusive; leading comments and decorators included
    last_line: int
    body_indexes: tuple[int, ...]  # indexes into libcst Module.body
    pinned: str | None  # why it stays in the facade; None = movable
    lines: int

    @property
    def movable(self) -> bool:
        """Whether the planner may place it in a submodule (imports are copied, never placed)."""
        return self.pinned is None and self.kind != "import"


@dataclass(frozen=True)
class Edge:
    """``source`` uses ``target`` (unit ids); the kind says when the use happens."""

    source: str
    target: str
    kind: str  # one of EDGE_KINDS
    names: tuple[str, ...]


@dataclass(frozen=True)
class Inventory:
    """Everything the planner and the emitter need to know about one module, from one parse."""

    path: Path
    module_name: str  # dotted; "" when unknown
    source: str
    units: tuple[Unit, ...]  # source order
    edges: tuple[Edge, ...]
    future_imports: tuple[str, ...]
    rebound_globals: frozenset[str]  # rebound after definition: `global x; x = ...`, module reassignment
    # name -> ids of units whose functions rebind it through `global` (the state a `_state` leaf may hold)
    global_writers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # function unit id -> unit ids its own body uses when called (not nested functions/lambdas): what
    # must exist when it runs at import time (as a decorator, in ``X = f()``)
    executes: Mapping[str, frozenset[str]] = field(default_factory=dict)
    cst_module: libcst.Module | None = field(default=None, compare=False, repr=False)

    def unit(self, unit_id: str) -> Unit:
        """The unit with this id; KeyError names the id when there is none."""
        return self._by_id[unit_id]

    def unit_of(self, name: str) -> Unit | None:
        """The unit binding a module-level name: a definition wins over an import of the same name."""
        return self._by_name.get(name)

    @cached_property
    def _by_id(self) -> dict[str, Unit]:
        return {unit.id: unit for unit in self.units}

    @cached_property
    def _by_name(self) -> dict[str, Unit]:
        found: dict[str, Unit] = {}
        for unit in self.units:
            for name in unit.names:
                current = found.get(name)
                if current is None or current.kind == "import" or unit.kind != "import":
                    found[name] = unit
        return found
