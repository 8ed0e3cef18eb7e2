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


def _collect(
    graph: dict[str, Any], sloc_by_path: dict[str, int], depth: int | None
) -> tuple[dict[str, _Node], dict[tuple[str, str], _Edge]]:
    key = _group_key(depth)
    scc_of = {m: i for i, component in enumerate(graph["import_time_sccs"]) for m in component}
    self_cycles = {c["modules"][0] for c in graph["cycles"] if len(c["modules"]) == 1}
    nodes: dict[str, _Node] = {}
    for module in graph["modules"]:
        node = nodes.setdefault(key(module["name"]), _Node(key(module["name"])))
        node.sloc += sloc_by_path.get(module["path"], 0)
        node.cost_ms = max(node.cost_ms, float(module["import_cost_ms"]))
        node.members += 1
        if depth is None and (module["name"] in scc_of or module["name"] in self_cycles):
            node.cycle = True
    edges: dict[tuple[str, str], _Edge] = {}
    for edge in graph["edges"]:
        source, target = edge["source"], edge["target"]
        import_time = edge["kind"] == "import-time"
        in_cycle = import_time and (
            (source in scc_of and scc_of[source] == scc_of.get(target))
            or (source == target and source in self_cycles)
        )
        if edge["kind"] == "type-checking" or (edge["implicit"] and not in_cycle):
            continue
        a, b = key(source), key(target)
        if a == b:
            if in_cycle:
                nodes[a].cycle = True
            continue
        drawn = edges.setdefault((a, b), _Edge())
        drawn.count += edge["count"]
        drawn.import_time |= import_time
        drawn.cycle |= in_cycle
    return nodes, edges


def _radius(sloc: int, biggest: int) -> float:
    if biggest <= 0:
        return R_MIN
    return round(R_MIN + (R_MAX - R_MIN) * math.sqrt(sloc / biggest), 1)


def _label(name: str, depth: int | None) -> str:
    parts = name.split(".")
    return ".".join(parts[-2:]) if depth is not None and depth >= 2 and len(parts) > 1 else parts[-1]


def draw(graph: dict[str, Any], files: list[dict[str, Any]]) -> GraphDrawing:
    """Lay out the JSON ``graph`` (``files`` give the SLOC) as an SVG drawing."""
    names = [m["name"] for m in graph["modules"]]
    depth = _choose_depth(names)
    sloc_by_path = {f["path"]: int(f["raw"]["sloc"]) for f in files}
    nodes, edges = _collect(graph, sloc_by_path, depth)
    hidden = 0
    if len(nodes) > MAX_NODES:
        keep = sorted(nodes.values(), key=lambda n: (-n.sloc, n.name))[:MAX_NODES]
        hidden = len(nodes) - len(keep)
        nodes = {n.name: n for n in keep}
        edges = {k: e for k, e in edges.items() if k[0] in nodes and k[1] in nodes}
    rows = layered(sorted(nodes), sorted(edges), max_row=MAX_ROW)
    biggest = max((n.sloc for n in nodes.values()), default=0)
    max_cost = max((n.cost_ms for n in nodes.values()), default=0.0)
    radius = {name: _radius(node.sloc, biggest) for name, node in nodes.items()}
    labels = {name: _label(name, depth) for name in nodes}

    def slot(name: str) -> float:
        return max(2 * radius[name], len(labels[name]) * CHAR_PX) + GAP_X

    widths = [sum(slot(n) for n in row) for row in rows]
    width = max(widths, default=0) + 2 * PAD
    placed: dict[str, tuple[float, float, int]] = {}
    y = float(PAD)
    for index, row in enumerate(rows):
        tallest = max((radius[n] for n in row), default=R_MIN)
        x = PAD + (width - 2 * PAD - widths[index]) / 2
        for name in row:
            placed[name] = (round(x + slot(name) / 2, 1), round(y + tallest, 1), index)
            x += slot(name)
        y += 2 * tallest + FONT_PX + GAP_Y
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
    drawn_edges = tuple(
        sorted(
            (_edge(a, b, e, placed, radius) for (a, b), e in edges.items()),
            key=lambda d: d.kind == "cycle",  # cycles on top
        )
    )
    return GraphDrawing(
        width=math.ceil(width),
        height=math.ceil(y - GAP_Y + PAD),
        nodes=drawn_nodes,
        edges=drawn_edges,
        modules=len(names),
        depth=depth,
        hidden=hidden,
        max_cost_ms=max_cost,
    )


def _node_title(node: _Node, depth: int | None) -> str:
    what = f"{node.name}: {node.sloc:,} SLOC"
    if depth is not None:
        what = f"{node.name} ({node.members} module{'s' if node.members != 1 else ''}): {node.sloc:,} SLOC"
    cost = f", import cost ~{node.cost_ms:,.1f} ms" + (" (heaviest module)" if depth is not None else "")
    return what + cost + (", in an import-time cycle" if node.cycle else "")


def _edge(
    a: str, b: str, edge: _Edge, placed: dict[str, tuple[float, float, int]], radius: dict[str, float]
) -> DrawnEdge:
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
    return DrawnEdge(path, kind, title, round(min(4.0, 0.8 + math.log2(edge.count) / 2), 2))
