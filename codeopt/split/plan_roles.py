"""Nested layouts: group the new modules of a large split into ``core/``, ``workflows/``, ``utils/``.

Roles come from the dependency structure between the new modules, not from names:
- utils: low-level modules made mostly of functions that others use -- helpers, validation;
- core: what other modules depend on (git operations, branch management, error types);
- workflows: what nothing else uses -- orchestration on top of core (and entry points).
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
ENTRY_POINTS = frozenset({"main", "cli"})
NESTED_MIN_LINES = 1200
NESTED_MIN_MODULES = 6


def wants_nesting(total_lines: int, modules: int, nested: bool | None) -> bool:
    if nested is not None:
        return nested
    return total_lines >= NESTED_MIN_LINES and modules >= NESTED_MIN_MODULES


def assign_roles(inv: Inventory, clusters: Sequence[Sequence[str]]) -> list[str]:
    """A role per cluster (same order), from who uses whom among the new modules.

    Entry points (a module used by none that holds ``main``: the command line) do not count as users.
    utils: used by others, low in the layering (depending on at most plain leaves), mostly
    functions; core: used by other modules; workflows: used by nobody but entry points.
    """
    graph = _module_graph(inv, clusters)
    entries = {node for node in graph if graph.in_degree(node) == 0 and _has_entry_point(inv, clusters[node])}
    levels = _levels(graph)
    roles = []
    for node in range(len(clusters)):
        users = set(graph.predecessors(node)) - entries
        if users and levels[node] <= 1 and _class_share(inv, clusters[node]) < 0.5:
            roles.append("utils")
        elif users:
            roles.append("core")
        else:
            roles.append("workflows")
    return roles


def _has_entry_point(inv: Inventory, cluster: Sequence[str]) -> bool:
    return any(name in ENTRY_POINTS for unit in cluster for name in inv.unit(unit).names)


def _module_graph(inv: Inventory, clusters: Sequence[Sequence[str]]) -> nx.DiGraph:
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
    return graph


def _levels(graph: nx.DiGraph) -> dict[int, int]:
    """Longest dependency chain below each module (modules on one cycle share a level)."""
    dag = nx.condensation(graph)
    level: dict[int, int] = {}
    for component in reversed(list(nx.topological_sort(dag))):
        level[component] = max((level[dep] + 1 for dep in dag.successors(component)), default=0)
    return {node: level[dag.graph["mapping"][node]] for node in graph}


def _class_share(inv: Inventory, cluster: Sequence[str]) -> float:
    total = sum(inv.unit(unit).lines for unit in cluster) or 1
    return sum(inv.unit(unit).lines for unit in cluster if inv.unit(unit).kind == "class") / total
