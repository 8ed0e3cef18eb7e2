"""The import graph as drawing instructions for an inline SVG, computed from the JSON.

Nodes are sized by SLOC (area) and coloured by estimated import cost (fixed millisecond bands, so
colours mean the same in every report); import-time edges are solid,
call-time edges dashed, edges inside an import-time cycle red. Type-checking imports never run and
implicit parent-package edges only repeat what the explicit ones say, so neither is drawn unless it
is part of a cycle.

Past ``MAX_NODES`` modules a drawing is no longer legible, so modules are collapsed into their
packages: the finest package depth (two components or more) that fits, each package node with the
summed SLOC, its module count and the number of imports behind each edge. Everything is positioned
here, in Python: the page needs no script to show it.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from codeopt.report.layout import layered

MAX_NODES = 250
MAX_ROW = 24
FONT_PX = 11
CHAR_PX = 6.4  # average advance of the sans-serif label font at FONT_PX
GAP_X = 14
GAP_Y = 56
PAD = 20
R_MIN, R_MAX = 4.0, 26.0
HEAT_MS = (10.0, 50.0, 100.0, 250.0)  # colour class boundaries for the estimated import cost


def heat_legend() -> list[tuple[int, str]]:
    """(colour class, label) for each import-cost band, for the legend."""
    bounds = [f"{ms:g}" for ms in HEAT_MS]
    labels = [
        f"< {bounds[0]} ms",
        *(f"{a}–{b}" for a, b in itertools.pairwise(bounds)),
        f"≥ {bounds[-1]} ms",
    ]
    return list(enumerate(labels))


@dataclass(frozen=True, slots=True)
class DrawnNode:
    name: str
    label: str
    title: str
    x: float
    y: float
    r: float
    heat: int  # 0..len(HEAT_MS): how many HEAT_MS boundaries the import cost reaches
    cycle: bool  # in (or, for a package, containing) an import-time cycle


@dataclass(frozen=True, slots=True)
class DrawnEdge:
    path: str  # SVG path data
    kind: str  # "import" | "call" | "cycle"
    title: str
    width: float


@dataclass(frozen=True)
class GraphDrawing:
    width: int
    height: int
    nodes: tuple[DrawnNode, ...]
    edges: tuple[DrawnEdge, ...]
    modules: int  # project modules in the graph
    depth: int | None  # package depth the modules were collapsed to, None when not collapsed
    hidden: int  # nodes left out because even the coarsest grouping was too large
    max_cost_ms: float


@dataclass
class _Node:
    name: str
    sloc: int = 0
    cost_ms: float = 0.0
    members: int = 0
    cycle: bool = False


@dataclass
class _Edge:
    count: int = 0
    import_time: bool = False
    cycle: bool = False


def _group_key(depth: int | None) -> Any:
    if depth is None:
        return lambda name: name
    return lambda name: ".".join(name.split(".")[:depth])


def _choose_depth(names: list[str]) -> int | None:
    """None (one node per module) when it fits, else the finest package depth that fits (at least 1)."""
    if len(names) <= MAX_NODES:
        return None
    deepest = max(name.count(".") + 1 for name in names)
    for depth in range(deepest, 0, -1):
        if len({".".join(n.split(".")[:depth]) for n in names}) <= MAX_NODES:
            return depth
    return 1


@dataclass(frozen=True)
class _Cycles:
    """Which import-time edges lie on a cycle: inside one import-time SCC, or a self-import."""

    scc_of: dict[str, int]
    self_importing: frozenset[str]

    @classmethod
    def of(cls, graph: dict[str, Any]) -> _Cycles:
        scc_of = {m: i for i, component in enumerate(graph["import_time_sccs"]) for m in component}
        return cls(scc_of, frozenset(c["modules"][0] for c in graph["cycles"] if len(c["modules"]) == 1))

    def has(self, module: str) -> bool:
        return module in self.scc_of or module in self.self_importing

    def on_cycle(self, edge: dict[str, Any]) -> bool:
        source, target = edge["source"], edge["target"]
        if edge["kind"] != "import-time":
            return False
        if source == target:
            return source in self.self_importing
        return source in self.scc_of and self.scc_of[source] == self.scc_of.get(target)


def _collect_nodes(
    graph: dict[str, Any], sloc_by_path: dict[str, int], depth: int | None, cycles: _Cycles
) -> dict[str, _Node]:
    key = _group_key(depth)
    nodes: dict[str, _Node] = {}
    for module in graph["modules"]:
        node = nodes.setdefault(key(module["name"]), _Node(key(module["name"])))
        node.sloc += sloc_by_path.get(module["path"], 0)
        node.cost_ms = max(node.cost_ms, float(module["import_cost_ms"]))
        node.members += 1
        node.cycle |= depth is None and cycles.has(module["name"])
    return nodes


def _collect_edges(
    graph: dict[str, Any], nodes: dict[str, _Node], depth: int | None, cycles: _Cycles
) -> dict[tuple[str, str], _Edge]:
    """Edges between drawn nodes; a cycle inside one package marks the package instead."""
    key = _group_key(depth)
    edges: dict[tuple[str, str], _Edge] = {}
    for edge in graph["edges"]:
        in_cycle = cycles.on_cycle(edge)
        if edge["kind"] == "type-checking" or (edge["implicit"] and not in_cycle):
            continue
        a, b = key(edge["source"]), key(edge["target"])
        if a == b:
            nodes[a].cycle |= in_cycle
            continue
        drawn = edges.setdefault((a, b), _Edge())
        drawn.count += edge["count"]
        drawn.import_time |= edge["kind"] == "import-time"
        drawn.cycle |= in_cycle
    return edges


def _radius(sloc: int, biggest: int) -> float:
    if biggest <= 0:
        return R_MIN
    return round(R_MIN + (R_MAX - R_MIN) * math.sqrt(sloc / biggest), 1)


def _labels(names: list[str]) -> dict[str, str]:
    """The shortest dotted suffix of each name that no other drawn node shares (``base`` is
    ambiguous in Django; ``postgresql.base`` is not)."""
    labels: dict[str, str] = {}
    parts = {name: name.split(".") for name in names}
    width = 1
    pending = list(names)
    while pending:
        suffixes = {name: ".".join(parts[name][-width:]) for name in pending}
        taken = Counter(".".join(p[-width:]) for p in parts.values())
        for name in pending:
            if taken[suffixes[name]] == 1 or width >= len(parts[name]):
                labels[name] = suffixes[name]
        pending = [name for name in pending if name not in labels]
        width += 1
    return labels


def _largest(
    nodes: dict[str, _Node], edges: dict[tuple[str, str], _Edge]
) -> tuple[dict[str, _Node], dict[tuple[str, str], _Edge], int]:
    """At most MAX_NODES nodes, the largest by SLOC, and the edges between them; how many were left."""
    if len(nodes) <= MAX_NODES:
        return nodes, edges, 0
    keep = {n.name: n for n in sorted(nodes.values(), key=lambda n: (-n.sloc, n.name))[:MAX_NODES]}
    return keep, {k: e for k, e in edges.items() if k[0] in keep and k[1] in keep}, len(nodes) - len(keep)


Placed = dict[str, tuple[float, float, int]]  # name -> (x, y, row)


def _place(
    rows: list[list[str]], radius: dict[str, float], labels: dict[str, str]
) -> tuple[Placed, float, float]:
    """Centres of the nodes, row by row, each wide enough for its circle and its label."""

    def slot(name: str) -> float:
        return max(2 * radius[name], len(labels[name]) * CHAR_PX) + GAP_X

    widths = [sum(slot(n) for n in row) for row in rows]
    width = max(widths, default=0) + 2 * PAD
    placed: Placed = {}
    y = float(PAD)
    for index, row in enumerate(rows):
        tallest = max((radius[n] for n in row), default=R_MIN)
        x = PAD + (width - 2 * PAD - widths[index]) / 2
        for name in row:
            placed[name] = (round(x + slot(name) / 2, 1), round(y + tallest, 1), index)
            x += slot(name)
        y += 2 * tallest + FONT_PX + GAP_Y
    return placed, width, y - GAP_Y + PAD


def draw(graph: dict[str, Any], files: list[dict[str, Any]]) -> GraphDrawing:
    """Lay out the JSON ``graph`` (``files`` give the SLOC) as an SVG drawing."""
    names = [m["name"] for m in graph["modules"]]
    depth = _choose_depth(names)
    cycles = _Cycles.of(graph)
    nodes = _collect_nodes(graph, {f["path"]: int(f["raw"]["sloc"]) for f in files}, depth, cycles)
    nodes, edges, hidden = _largest(nodes, _collect_edges(graph, nodes, depth, cycles))
    biggest = max((n.sloc for n in nodes.values()), default=0)
    radius = {name: _radius(node.sloc, biggest) for name, node in nodes.items()}
    labels = _labels(sorted(nodes))
    placed, width, height = _place(layered(sorted(nodes), sorted(edges), max_row=MAX_ROW), radius, labels)
    drawn_nodes = tuple(
        DrawnNode(
            name=name,
            label=labels[name],
            title=_node_title(node, depth),
            x=placed[name][0],
            y=placed[name][1],
            r=radius[name],
            heat=sum(1 for limit in HEAT_MS if node.cost_ms >= limit),
            cycle=node.cycle,
        )
        for name, node in sorted(nodes.items())
    )
    cycles_last = sorted(edges.items(), key=lambda item: item[1].cycle)  # drawn last: on top
    return GraphDrawing(
        width=math.ceil(width),
        height=math.ceil(height),
        nodes=drawn_nodes,
        edges=tuple(_edge(a, b, e, placed, radius) for (a, b), e in cycles_last),
        modules=len(names),
        depth=depth,
        hidden=hidden,
        max_cost_ms=max((n.cost_ms for n in nodes.values()), default=0.0),
    )


def _node_title(node: _Node, depth: int | None) -> str:
    what = f"{node.name}: {node.sloc:,} SLOC"
    if depth is not None:
        what = f"{node.name} ({node.members} module{'s' if node.members != 1 else ''}): {node.sloc:,} SLOC"
    cost = f", import cost ~{node.cost_ms:,.1f} ms" + (" (heaviest module)" if depth is not None else "")
    return what + cost + (", in an import-time cycle" if node.cycle else "")


def _edge(a: str, b: str, edge: _Edge, placed: Placed, radius: dict[str, float]) -> DrawnEdge:
    (x1, y1, row1), (x2, y2, row2) = placed[a], placed[b]
    r1, r2 = radius[a], radius[b]
    if row2 > row1:  # down: bottom of the importer to the top of the imported
        y1, y2 = y1 + r1, y2 - r2
        bend = (y2 - y1) / 2
        path = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y2 - bend:.1f} {x2:.1f},{y2:.1f}"
    elif row2 < row1:  # up (inside a cycle): top to bottom
        y1, y2 = y1 - r1, y2 + r2
        bend = (y1 - y2) / 2
        path = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 - bend:.1f} {x2:.1f},{y2 + bend:.1f} {x2:.1f},{y2:.1f}"
    else:  # same row: an arc above
        lift = 12 + min(60.0, abs(x2 - x1) / 4)
        y1, y2 = y1 - r1, y2 - r2
        path = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 - lift:.1f} {x2:.1f},{y2 - lift:.1f} {x2:.1f},{y2:.1f}"
    kind = "cycle" if edge.cycle else ("import" if edge.import_time else "call")
    when = "at import time" if edge.import_time else "inside functions only"
    title = f"{a} imports {b} ({edge.count} import{'s' if edge.count != 1 else ''}, {when})"
    if edge.cycle:
        title += "; part of an import-time cycle"
    return DrawnEdge(path, kind, title, round(min(3.0, 0.7 + math.log2(edge.count) / 3), 2))
