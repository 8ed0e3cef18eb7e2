"""Before/after numbers for a split, so a plan shows what it buys instead of claiming it.

The graph measured is the design graph of the movable units: one edge per (user, used) pair with a
code dependency (import-time, call-time, annotation, state). String edges (``__all__``, doctests) are
left out of LCOM4, TurboMQ and modularity -- they are references, not design coupling -- but they are
counted in the cross-module edges, because the emitter has to honour every one of them.

- LCOM4: connected components of the units of one module (joined by a use, or by sharing a mutable
  module variable); after a split, the worst module's value.
- TurboMQ (normalised): mean over modules of CF = 2 mu / (2 mu + eps) (mu internal edges, eps edges
  crossing the module's border; CF = 0 for a module without internal edges). One module scores 1.0
  when it has any edge: the number is meant for comparing candidate splits, not for before vs after.
- Modularity Q (networkx), cross-module edges by kind, the largest module in lines, the module count.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx

from codeopt.split.unit_model import EDGE_KINDS, Inventory

DESIGN_KINDS = frozenset({"import-time", "call-time", "annotation", "state"})
FACADE = ""  # the module name metrics use for units that stay in the old module


@dataclass(frozen=True)
class SplitMetrics:
    lcom4: int
    turbo_mq: float
    modularity: float
    cross_edges: dict[str, int] = field(hash=False)
    largest_lines: int
    modules: int


def design_pairs(inv: Inventory, units: Iterable[str]) -> list[tuple[str, str]]:
    """Distinct (user, used) pairs among ``units`` with a design dependency, in edge order."""
    members = set(units)
    seen: dict[tuple[str, str], None] = {}
    for edge in inv.edges:
        if edge.kind in DESIGN_KINDS and edge.source in members and edge.target in members:
            seen.setdefault((edge.source, edge.target), None)
    return list(seen)


def measure(inv: Inventory, home: Mapping[str, str], module_count: int | None = None) -> SplitMetrics:
    """Metrics of the modules ``home`` assigns the units to (unit id -> module name).

    ``module_count`` defaults to the distinct module names; pass it when some module holds none of the
    measured units (the facade of a package whose units all moved).
    """
    pairs = design_pairs(inv, home)
    modules: dict[str, list[str]] = {}
    for unit_id, module in home.items():
        modules.setdefault(module, []).append(unit_id)
    sizes = {module: sum(inv.unit(unit_id).lines for unit_id in ids) for module, ids in modules.items()}
    largest = len(inv.source.splitlines()) if len(modules) <= 1 else max(sizes.values(), default=0)
    return SplitMetrics(
        lcom4=max(
            (lcom4(ids, [*pairs, *shared_state_pairs(inv, home)]) for ids in modules.values()), default=0
        ),
        turbo_mq=round(turbo_mq(home, pairs), 4),
        modularity=round(modularity(home, pairs), 4),
        cross_edges=cross_edges(inv, home),
        largest_lines=largest,
        modules=module_count if module_count is not None else max(1, len(modules)),
    )


def shared_state_pairs(inv: Inventory, units: Iterable[str]) -> list[tuple[str, str]]:
    """Units reading or writing the same mutable module variable are one responsibility, wherever
    the variable itself lives (LCOM4's "both use the same attribute")."""
    members = set(units)
    users: dict[str, list[str]] = {}
    for edge in inv.edges:
        if edge.kind == "state" and edge.source in members:
            group = users.setdefault(edge.target, [])
            if edge.source not in group:
                group.append(edge.source)
    return [(a, b) for group in users.values() for a, b in itertools.pairwise(group)]


def lcom4(units: Iterable[str], pairs: Iterable[tuple[str, str]]) -> int:
    """Connected components of ``units`` joined by ``pairs`` (pairs leaving the set are ignored)."""
    graph = nx.Graph()
    graph.add_nodes_from(units)
    graph.add_edges_from((a, b) for a, b in pairs if a in graph and b in graph)
    return int(nx.number_connected_components(graph)) if len(graph) else 0


def turbo_mq(home: Mapping[str, str], pairs: Iterable[tuple[str, str]]) -> float:
    """Mean cluster factor over the modules in ``home``."""
    internal: dict[str, float] = dict.fromkeys(home.values(), 0.0)
    border: dict[str, float] = dict.fromkeys(home.values(), 0.0)
    for source, target in pairs:
        a, b = home[source], home[target]
        if a == b:
            internal[a] += 1
        else:
            border[a] += 1
            border[b] += 1
    if not internal:
        return 0.0
    factors = [
        2 * internal[module] / (2 * internal[module] + border[module]) if internal[module] else 0.0
        for module in internal
    ]
    return sum(factors) / len(factors)


def modularity(home: Mapping[str, str], pairs: Iterable[tuple[str, str]]) -> float:
    graph = nx.Graph()
    graph.add_nodes_from(home)
    graph.add_edges_from((a, b) for a, b in pairs if a != b)
    if graph.number_of_edges() == 0:
        return 0.0
    groups: dict[str, set[str]] = {}
    for unit_id, module in home.items():
        groups.setdefault(module, set()).add(unit_id)
    return float(nx.community.modularity(graph, list(groups.values())))


def cross_edges(inv: Inventory, home: Mapping[str, str]) -> dict[str, int]:
    """Edges (every kind) whose ends are measured units in different modules."""
    counts = dict.fromkeys(EDGE_KINDS, 0)
    for edge in inv.edges:
        a, b = home.get(edge.source), home.get(edge.target)
        if a is not None and b is not None and a != b:
            counts[edge.kind] += 1
    return counts
