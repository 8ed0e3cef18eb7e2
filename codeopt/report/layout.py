"""A layered (Sugiyama-style) layout for import graphs, in pure Python.

Import graphs are mostly DAGs: a layered drawing with importers above what they import reads like the
architecture. networkx's force-directed layouts need numpy, which codeopt does not depend on, and
give a different picture each time; this one is deterministic. Steps: strongly connected components
share a layer; a layer is the longest path from the top; nodes in a layer are ordered by the
barycentre of their neighbours (a few sweeps, the usual crossing-reduction heuristic); a layer with
more than ``max_row`` nodes wraps onto several rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

SWEEPS = 4


def layers(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Nodes by layer, top first: every edge goes down a layer or more, except inside a cycle."""
    import networkx as nx  # heavy: only a report that draws a graph pays for it

    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from((s, t) for s, t in edges if s != t)
    condensed = nx.condensation(graph)
    depth: dict[int, int] = {}
    for component in nx.topological_sort(condensed):
        preds = list(condensed.predecessors(component))
        depth[component] = 1 + max(depth[p] for p in preds) if preds else 0
    out: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for component, level in depth.items():
        out[level].extend(condensed.nodes[component]["members"])
    return [sorted(layer) for layer in out]


def order(rows: list[list[str]], edges: Sequence[tuple[str, str]]) -> list[list[str]]:
    """Reorder each layer by the mean position of its neighbours in the layers above (then below)."""
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    for source, target in edges:
        if source != target:
            down.setdefault(source, []).append(target)
            up.setdefault(target, []).append(source)
    rows = [list(row) for row in rows]

    def position() -> dict[str, float]:
        return {n: (i + 0.5) / len(row) for row in rows for i, n in enumerate(row)}

    for sweep in range(SWEEPS):
        neighbours = up if sweep % 2 == 0 else down
        indices = range(1, len(rows)) if sweep % 2 == 0 else range(len(rows) - 2, -1, -1)
        for index in indices:
            where = position()
            current = {n: i for i, n in enumerate(rows[index])}

            rows[index].sort(key=partial(_barycentre, where=where, current=current, neighbours=neighbours))
    return rows


def _barycentre(
    node: str, where: dict[str, float], current: dict[str, int], neighbours: dict[str, list[str]]
) -> float:
    """Mean position of the node's neighbours in other layers; its own position when it has none."""
    near = [where[n] for n in neighbours.get(node, ()) if n in where and n not in current]
    return sum(near) / len(near) if near else (current[node] + 0.5) / len(current)


def wrap(rows: list[list[str]], max_row: int) -> list[list[str]]:
    """Split rows longer than ``max_row`` into balanced consecutive rows."""
    out: list[list[str]] = []
    for row in rows:
        parts = max(1, -(-len(row) // max_row))
        size = -(-len(row) // parts)
        out.extend(row[i : i + size] for i in range(0, len(row), size))
    return out


def layered(nodes: Sequence[str], edges: Sequence[tuple[str, str]], *, max_row: int = 24) -> list[list[str]]:
    """Rows of node names, top to bottom, left to right."""
    return wrap(order(layers(nodes, edges), edges), max_row)
