"""Nested layouts: group the new modules of a large split into ``core/``, ``workflows/``, ``utils/``.

Roles come from the dependency structure between the new modules, not from names:
- utils: leaves (they depend on no other new module) made mostly of functions and constants --
  helpers, validation, formatting;
- core: what two or more other modules depend on (git operations, branch management, error types);
- workflows: the rest -- orchestration that depends on core and that little depends on.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from codeopt.split.metrics import DESIGN_KINDS
from codeopt.split.unit_model import Inventory

ROLES = ("core", "workflows", "utils")
ALTERNATIVES = {
    "core": ("core", "base", "kernel"),
    "workflows": ("workflows", "flows", "services"),
    "utils": ("utils", "helpers", "support"),
}
NESTED_MIN_LINES = 1200
NESTED_MIN_MODULES = 6


def wants_nesting(total_lines: int, modules: int, nested: bool | None) -> bool:
    if nested is not None:
        return nested
    return total_lines >= NESTED_MIN_LINES and modules >= NESTED_MIN_MODULES


def assign_roles(inv: Inventory, clusters: Sequence[Sequence[str]]) -> list[str]:
    """A role per cluster (same order)."""
    home = {unit: index for index, cluster in enumerate(clusters) for unit in cluster}
    graph = nx.DiGraph()
    graph.add_nodes_from(range(len(clusters)))
    for edge in inv.edges:
        a, b = home.get(edge.source), home.get(edge.target)
        if (
            edge.kind in DESIGN_KINDS
            and edge.kind != "annotation"
            and a is not None
            and b is not None
            and a != b
        ):
            graph.add_edge(a, b)
    core_fan_in = 2 if len(clusters) < 10 else 3
    roles = []
    for index, cluster in enumerate(clusters):
        fan_in, fan_out = graph.in_degree(index), graph.out_degree(index)
        if fan_out == 0 and _class_share(inv, cluster) < 0.5:
            roles.append("utils")
        elif fan_in >= core_fan_in or (fan_out == 0 and fan_in >= 1):
            roles.append("core")
        else:
            roles.append("workflows")
    return roles


def _class_share(inv: Inventory, cluster: Sequence[str]) -> float:
    total = sum(inv.unit(unit).lines for unit in cluster) or 1
    return sum(inv.unit(unit).lines for unit in cluster if inv.unit(unit).kind == "class") / total
