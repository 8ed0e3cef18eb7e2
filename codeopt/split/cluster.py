"""First cut of a split: communities of the weighted unit graph.

Edge weights say how costly it is to cut a dependency: import-time and state edges most (they must
stay acyclic or together), call-time less, annotations and doctest/``__all__`` strings little.
Identifier-name similarity adds a small weight between units sharing a distinctive token
(``create_branch`` and ``delete_branch``): the published accuracy of purely structural clustering
against experts is modest, and names are what reviewers read.

Louvain runs over a small resolution sweep with fixed seeds; the best candidate by TurboMQ plus
modularity wins, ties going to the first tried, so the same input always gives the same partition.
Communities that are not connected are split (Louvain can return those).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

import networkx as nx

from codeopt.split.metrics import design_pairs
from codeopt.split.unit_model import Inventory

KIND_WEIGHTS = {"import-time": 3.0, "state": 3.0, "call-time": 2.0, "annotation": 0.5, "string": 0.25}
RESOLUTIONS = (3.0, 2.0, 1.5, 1.0)  # fine to coarse
SEEDS = 3
NAME_WEIGHT = 1.0
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
STOP_TOKENS = frozenset(
    "get set is has to from of the a an and or for in on by with as at do make new run init self".split()  # noqa: SIM905
)
ADJACENT_WEIGHT = 1.0
EXCEPTION_FACTOR = 0.25
_EXCEPTION_SUFFIXES = ("Error", "Exception", "Warning")
SECTION_WEIGHT = 2.0
_SECTION = re.compile(r"^\s*#\s*(?:[-=#*~_]{3,}|.*\S\s*[-=#*~]{4,}\s*$)")


def tokens(name: str) -> list[str]:
    """Lower-case word tokens of an identifier: ``_parse_HTTPHeader2`` -> parse, http, header, 2."""
    return [token.lower() for part in name.split("_") for token in _CAMEL.findall(part)]


def stem(token: str) -> str:
    """A crude singular, so ``branches`` and ``branch`` count as one word."""
    if len(token) > 4 and token.endswith("es") and token[-3] in "sxzh":
        return token[:-2]
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def unit_graph(inv: Inventory, units: Sequence[str]) -> nx.Graph:
    """Undirected weighted graph of ``units`` (source order), dependency plus name-similarity edges."""
    graph = nx.Graph()
    graph.add_nodes_from((unit, {"lines": inv.unit(unit).lines}) for unit in units)
    for edge in inv.edges:
        if edge.source in graph and edge.target in graph and edge.source != edge.target:
            weight = KIND_WEIGHTS[edge.kind]
            if _is_exception(inv, edge.target) and not _is_exception(inv, edge.source):
                weight *= EXCEPTION_FACTOR  # raising an error type everyone raises says little
            _add(graph, edge.source, edge.target, weight)
    _name_similarity(graph, units)
    _adjacency(inv, graph, units)
    return graph


def _adjacency(inv: Inventory, graph: nx.Graph, units: Sequence[str]) -> None:
    """Units of one source section lean together: neighbours directly, the whole section a little.

    Sections are parted by rule comments (``# ---- X ----``): the author's own grouping is the
    cheapest signal there is, and the one a reviewer checks the plan against.
    """
    lines = inv.source.splitlines()
    data = {unit for unit in units if inv.unit(unit).kind == "assignment"}  # constants follow their users
    sections: list[list[str]] = [[]]
    for position, unit in enumerate(units):
        if position and _section_break(lines, inv.unit(unit).first_line):
            sections.append([])
        elif position and not (unit in data and units[position - 1] in data):
            _add(graph, units[position - 1], unit, ADJACENT_WEIGHT)
        if unit not in data:
            sections[-1].append(unit)
    if len(sections) >= 3:
        for section in sections:
            _clique(graph, section, SECTION_WEIGHT)


def _clique(graph: nx.Graph, group: Sequence[str], total: float) -> None:
    """Join every pair of ``group``; each member gets about ``total`` extra weight in all."""
    if len(group) < 2:
        return
    weight = total / math.sqrt(len(group) - 1)
    for position, a in enumerate(group):
        for b in group[position + 1 :]:
            _add(graph, a, b, weight)


def _section_break(lines: Sequence[str], first_line: int) -> bool:
    """Whether the comment block opening a unit (from ``first_line``) holds a section rule."""
    for line in lines[first_line - 1 :]:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return False
        if _SECTION.match(stripped):
            return True
    return False


def _is_exception(inv: Inventory, unit_id: str) -> bool:
    unit = inv.unit(unit_id)
    return unit.kind == "class" and unit_id.endswith(_EXCEPTION_SUFFIXES)


def _add(graph: nx.Graph, a: str, b: str, weight: float) -> None:
    if graph.has_edge(a, b):
        graph[a][b]["weight"] += weight
    else:
        graph.add_edge(a, b, weight=weight)


def _name_similarity(graph: nx.Graph, units: Sequence[str]) -> None:
    holders: dict[str, list[str]] = {}
    for unit_id in units:
        for token in dict.fromkeys(stem(token) for token in tokens(unit_id)):
            if len(token) > 2 and token not in STOP_TOKENS and not token.isdigit():
                holders.setdefault(token, []).append(unit_id)
    limit = max(3, len(units) // 8)  # a token half the module shares says nothing
    for token in sorted(holders):
        if len(holders[token]) <= limit:
            _clique(graph, holders[token], NAME_WEIGHT)


def lcom4_parts(
    inv: Inventory, units: Sequence[str], min_lines: int, max_lines: int
) -> list[list[str]] | None:
    """The connected components of the dependency graph when they already make a split: two or
    more of reviewable size, none too big, little left over. LCOM4 > 1 means the module falls apart
    at zero cost, and no clustering can beat a split with no edge across it."""
    graph = nx.Graph()
    graph.add_nodes_from(units)
    graph.add_edges_from(design_pairs(inv, units))
    order = {unit: position for position, unit in enumerate(units)}
    parts = connected_parts(graph, [list(units)], order)
    sizes = [sum(inv.unit(unit).lines for unit in part) for part in parts]
    large = [size for size in sizes if size >= min_lines]
    if len(large) < 2 or max(sizes) > max_lines or sum(large) < 0.75 * sum(sizes):
        return None
    return parts


def communities(
    graph: nx.Graph, seed: int, satellites: Iterable[str] = (), typical: float = 0.0
) -> list[list[str]]:
    """A Louvain partition, connected parts only, each in source order.

    Resolutions are tried fine to coarse; at each, the seed with the best TurboMQ plus modularity
    wins. The finest partition whose median part holds ``typical`` lines is taken (else the
    coarsest): fine communities are what a reviewer recognises (one per concern), and the size
    repair that follows joins the small ones to what they are tied to.

    ``satellites`` (small data: constants, compiled patterns) do not take part in the community
    search -- a constant used by three sections would glue them -- and are adopted afterwards by the
    community that uses them most.
    """
    order = {node: position for position, node in enumerate(graph)}
    outer = set(satellites)
    core = graph.subgraph([node for node in graph if node not in outer]).copy() if outer else graph
    lines = {node: graph.nodes[node].get("lines", 1) for node in graph}
    parts = [list(core)]
    for resolution in RESOLUTIONS:
        parts = _best_of_seeds(core, resolution, seed, order)
        sizes = sorted(sum(lines[node] for node in part) for part in parts)
        if sizes[len(sizes) // 2] >= typical:
            break
    if core is graph:
        return parts
    return adopt(graph, parts, [node for node in graph if node in outer], order)


def _best_of_seeds(graph: nx.Graph, resolution: float, seed: int, order: dict[str, int]) -> list[list[str]]:
    best: list[list[str]] = [list(graph)]
    best_score = float("-inf")
    for offset in range(SEEDS):
        found = nx.community.louvain_communities(
            graph, weight="weight", resolution=resolution, seed=seed + offset
        )
        parts = connected_parts(graph, found, order)
        score = weighted_turbo_mq(graph, parts) + _modularity(graph, parts)
        if score > best_score + 1e-9:
            best, best_score = parts, score
    return best


def adopt(
    graph: nx.Graph, parts: list[list[str]], satellites: list[str], order: dict[str, int]
) -> list[list[str]]:
    """Give each satellite to the part it is most tied to; untied ones follow their source neighbour."""
    home = {node: index for index, part in enumerate(parts) for node in part}
    pending = list(satellites)
    while pending:
        left = [node for node in pending if not _adopt_one(graph, node, home)]
        if len(left) == len(pending):  # tied to nothing placed: follow the source neighbour
            for node in left:
                home[node] = _nearest(node, home, order)
            break
        pending = left
    grouped: dict[int, list[str]] = {}
    for node in sorted(home, key=order.__getitem__):
        grouped.setdefault(home[node], []).append(node)
    return sorted(grouped.values(), key=lambda part: order[part[0]])


def _adopt_one(graph: nx.Graph, node: str, home: dict[str, int]) -> bool:
    ties: dict[int, float] = {}
    for other, data in graph[node].items():
        if other in home:
            ties[home[other]] = ties.get(home[other], 0.0) + data["weight"]
    if ties:
        home[node] = max(sorted(ties), key=ties.__getitem__)
    return bool(ties)


def _nearest(node: str, home: dict[str, int], order: dict[str, int]) -> int:
    placed = sorted(home, key=lambda other: (abs(order[other] - order[node]), order[other]))
    return home[placed[0]] if placed else 0


def connected_parts(
    graph: nx.Graph, groups: Iterable[Iterable[str]], order: dict[str, int]
) -> list[list[str]]:
    """Each group cut into its connected components; groups sorted by their first unit."""
    parts: list[list[str]] = []
    for group in groups:
        for component in nx.connected_components(graph.subgraph(group)):
            parts.append(sorted(component, key=order.__getitem__))
    parts.sort(key=lambda part: order[part[0]])
    return parts


def weighted_turbo_mq(graph: nx.Graph, parts: Sequence[Sequence[str]]) -> float:
    """Mean cluster factor 2 mu / (2 mu + eps) over ``parts``, on edge weights."""
    home = {node: index for index, part in enumerate(parts) for node in part}
    internal = [0.0] * len(parts)
    border = [0.0] * len(parts)
    for a, b, weight in edge_list(graph):
        if home[a] == home[b]:
            internal[home[a]] += weight
        else:
            border[home[a]] += weight
            border[home[b]] += weight
    factors = [cluster_factor(mu, eps) for mu, eps in zip(internal, border, strict=True)]
    return sum(factors) / len(factors) if factors else 0.0


def cluster_factor(internal: float, border: float) -> float:
    return 2 * internal / (2 * internal + border) if internal else 0.0


def edge_list(graph: nx.Graph) -> list[tuple[str, str, float]]:
    """The graph's weighted edges as plain tuples, cached on the graph (networkx views are slow)."""
    if nx.is_frozen(graph):  # a subgraph view shares its parent's attribute dict: never cache there
        return [(a, b, float(weight)) for a, b, weight in graph.edges(data="weight")]
    cached: list[tuple[str, str, float]] | None = graph.graph.get("edge_list")
    if cached is None:
        cached = [(a, b, float(weight)) for a, b, weight in graph.edges(data="weight")]
        graph.graph["edge_list"] = cached
    return cached


def _modularity(graph: nx.Graph, parts: Sequence[Sequence[str]]) -> float:
    """Newman's modularity on edge weights (networkx's definition, without its per-call overhead)."""
    edges = edge_list(graph)
    total = sum(weight for _, _, weight in edges)
    if not total:
        return 0.0
    home = {node: index for index, part in enumerate(parts) for node in part}
    inside = [0.0] * len(parts)
    degree = [0.0] * len(parts)
    for a, b, weight in edges:
        degree[home[a]] += weight
        degree[home[b]] += weight
        if home[a] == home[b]:
            inside[home[a]] += weight
    return sum(inside[k] / total - (degree[k] / (2 * total)) ** 2 for k in range(len(parts)))
