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

import re
from collections.abc import Iterable, Sequence

import networkx as nx

from codeopt.split.unit_model import Inventory

KIND_WEIGHTS = {"import-time": 3.0, "state": 3.0, "call-time": 2.0, "annotation": 0.5, "string": 0.25}
RESOLUTIONS = (0.7, 1.0, 1.3, 1.7)
SEEDS = 3
NAME_WEIGHT = 0.6
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
STOP_TOKENS = frozenset(
    [
        "get",
        "set",
        "is",
        "has",
        "to",
        "from",
        "of",
        "the",
        "a",
        "an",
        "and",
        "or",
        "for",
        "in",
        "on",
        "by",
        "with",
        "as",
        "at",
        "do",
        "make",
        "new",
        "run",
        "init",
        "self",
    ]
)


def tokens(name: str) -> list[str]:
    """Lower-case word tokens of an identifier: ``_parse_HTTPHeader2`` -> parse, http, header, 2."""
    return [token.lower() for part in name.split("_") for token in _CAMEL.findall(part)]


def unit_graph(inv: Inventory, units: Sequence[str]) -> nx.Graph:
    """Undirected weighted graph of ``units`` (source order), dependency plus name-similarity edges."""
    graph = nx.Graph()
    graph.add_nodes_from(units)
    for edge in inv.edges:
        if edge.source in graph and edge.target in graph and edge.source != edge.target:
            _add(graph, edge.source, edge.target, KIND_WEIGHTS[edge.kind])
    _name_similarity(graph, units)
    return graph


def _add(graph: nx.Graph, a: str, b: str, weight: float) -> None:
    if graph.has_edge(a, b):
        graph[a][b]["weight"] += weight
    else:
        graph.add_edge(a, b, weight=weight)


def _name_similarity(graph: nx.Graph, units: Sequence[str]) -> None:
    holders: dict[str, list[str]] = {}
    for unit_id in units:
        for token in dict.fromkeys(tokens(unit_id)):
            if len(token) > 2 and token not in STOP_TOKENS and not token.isdigit():
                holders.setdefault(token, []).append(unit_id)
    limit = max(3, len(units) // 8)  # a token half the module shares says nothing
    for token in sorted(holders):
        group = holders[token]
        if 2 <= len(group) <= limit:
            weight = NAME_WEIGHT / (len(group) - 1)
            for position, a in enumerate(group):
                for b in group[position + 1 :]:
                    _add(graph, a, b, weight)


def communities(graph: nx.Graph, seed: int) -> list[list[str]]:
    """The best Louvain partition of the sweep, connected parts only, each in source order."""
    order = {node: position for position, node in enumerate(graph)}
    best: list[list[str]] | None = None
    best_score = float("-inf")
    for resolution in RESOLUTIONS:
        for offset in range(SEEDS):
            found = nx.community.louvain_communities(
                graph, weight="weight", resolution=resolution, seed=seed + offset
            )
            parts = connected_parts(graph, found, order)
            score = weighted_turbo_mq(graph, parts) + _modularity(graph, parts)
            if score > best_score + 1e-9:
                best, best_score = parts, score
    return best if best is not None else [list(graph)]


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
    home = {node: index for index, part in enumerate(parts) for node in part}
    internal = [0.0] * len(parts)
    border = [0.0] * len(parts)
    for a, b, weight in graph.edges(data="weight"):
        if home[a] == home[b]:
            internal[home[a]] += weight
        else:
            border[home[a]] += weight
            border[home[b]] += weight
    factors = [2 * mu / (2 * mu + eps) if mu else 0.0 for mu, eps in zip(internal, border, strict=True)]
    return sum(factors) / len(factors) if factors else 0.0


def _modularity(graph: nx.Graph, parts: Sequence[Sequence[str]]) -> float:
    if graph.number_of_edges() == 0:
        return 0.0
    return float(nx.community.modularity(graph, [set(part) for part in parts], weight="weight"))
