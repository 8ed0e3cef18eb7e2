"""Turn raw communities into a split that can be applied: sizes, shared leaves, an acyclic import order.

Steps, in order (each deterministic: candidates are tried in source order, ties go to the first):
1. size bounds: communities under ``min_lines`` join the community they are most tied to (or their
   neighbour in the source); communities over ``max_lines`` are cut again at a finer resolution;
2. ``_state``: a module variable rebound through ``global`` whose writers and readers ended up in
   different modules moves to a ``_state`` leaf (the emitter makes everyone access it as
   ``_state.NAME``, so readers see the writes);
3. ``_common``: helpers used by two or more other modules, living in a module that itself depends on
   others, move to a ``_common`` leaf (ACDC's "support library"), so users depend on a leaf only;
4. import-time DAG: import-time edges between modules must not form a cycle (a partially initialised
   module at import); single units move to the other side of a cyclic edge, or, when no move removes
   the cycle, the two modules merge;
5. single-unit moves that raise TurboMQ and keep the DAG and the size bounds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx

from codeopt.split.cluster import connected_parts, weighted_turbo_mq
from codeopt.split.unit_model import Inventory

COMMON = -1
STATE = -2
SPECIAL = (COMMON, STATE)
_MAX_ROUNDS = 200
_STATE_KINDS = frozenset({"state", "call-time", "import-time"})


@dataclass(frozen=True)
class Repaired:
    clusters: tuple[tuple[str, ...], ...]  # regular modules, each in source order, sorted by first unit
    common: tuple[str, ...]
    state: tuple[str, ...]
    notes: tuple[str, ...]


class Partition:
    """Unit -> module key; keys >= 0 are regular modules, COMMON and STATE the shared leaves."""

    def __init__(self, inv: Inventory, graph: nx.Graph, parts: Sequence[Sequence[str]]) -> None:
        self.inv = inv
        self.graph = graph
        self.order = {node: position for position, node in enumerate(graph)}
        self.lines = {node: inv.unit(node).lines for node in graph}
        self.home = {unit: key for key, part in enumerate(parts) for unit in part}
        self.import_deps = _import_deps(inv, self.order)

    def members(self, key: int) -> list[str]:
        return sorted((unit for unit, home in self.home.items() if home == key), key=self.order.__getitem__)

    def module_keys(self) -> list[int]:
        """Regular module keys ordered by their first unit."""
        first: dict[int, int] = {}
        for unit, key in self.home.items():
            if key >= 0:
                first[key] = min(first.get(key, self.order[unit]), self.order[unit])
        return sorted(first, key=first.__getitem__)

    def size(self, key: int) -> int:
        return sum(self.lines[unit] for unit, home in self.home.items() if home == key)

    def new_key(self) -> int:
        return max((key for key in self.home.values()), default=-1) + 1

    def merge(self, into: int, other: int) -> None:
        for unit, key in list(self.home.items()):
            if key == other:
                self.home[unit] = into

    def ties(self, units: Iterable[str]) -> dict[int, float]:
        """Edge weight from ``units`` to each module (their own included)."""
        found: dict[int, float] = {}
        for unit in units:
            for other, data in self.graph[unit].items():
                key = self.home[other]
                found[key] = found.get(key, 0.0) + data["weight"]
        return found

    def module_graph(self) -> nx.DiGraph:
        """Import-time dependencies between modules."""
        graph = nx.DiGraph()
        graph.add_nodes_from(sorted(set(self.home.values())))
        for unit, targets in self.import_deps.items():
            for target in targets:
                a, b = self.home[unit], self.home[target]
                if a != b:
                    graph.add_edge(a, b)
        return graph

    def cyclic_edges(self) -> list[tuple[str, str]]:
        """Import-time unit edges between two modules of one import cycle."""
        graph = self.module_graph()
        cyclic: dict[int, int] = {}
        for number, component in enumerate(nx.strongly_connected_components(graph)):
            if len(component) > 1:
                cyclic.update(dict.fromkeys(component, number))
        found = []
        for unit in sorted(self.import_deps, key=self.order.__getitem__):
            for target in sorted(self.import_deps[unit], key=self.order.__getitem__):
                a, b = self.home[unit], self.home[target]
                if a != b and a in cyclic and cyclic.get(b) == cyclic[a]:
                    found.append((unit, target))
        return found

    def as_repaired(self, notes: list[str]) -> Repaired:
        clusters = tuple(tuple(self.members(key)) for key in self.module_keys())
        return Repaired(clusters, tuple(self.members(COMMON)), tuple(self.members(STATE)), tuple(notes))


def _import_deps(inv: Inventory, order: dict[str, int]) -> dict[str, set[str]]:
    deps: dict[str, set[str]] = {}
    for edge in inv.edges:
        known = edge.source in order and edge.target in order
        if edge.kind == "import-time" and known and edge.source != edge.target:
            deps.setdefault(edge.source, set()).add(edge.target)
    return deps


def repair(
    inv: Inventory, graph: nx.Graph, parts: Sequence[Sequence[str]], min_lines: int, max_lines: int, seed: int
) -> Repaired:
    partition = Partition(inv, graph, parts)
    notes: list[str] = []
    merge_small(partition, min_lines, max_lines)
    split_large(partition, min_lines, max_lines, seed, notes)
    extract_state(partition, notes)
    extract_common(partition, notes)
    break_cycles(partition, notes)
    improve(partition, min_lines, max_lines)
    merge_small(partition, min_lines, max_lines)
    break_cycles(partition, notes)
    return partition.as_repaired(notes)


def merge_small(partition: Partition, min_lines: int, max_lines: int) -> None:
    """Join every module under ``min_lines`` to the module it is most tied to (fitting if possible)."""
    for _ in range(_MAX_ROUNDS):
        keys = partition.module_keys()
        if len(keys) < 2:
            return
        sizes = {key: partition.size(key) for key in keys}
        small = [key for key in keys if sizes[key] < min_lines]
        if not small:
            return
        smallest = min(small, key=lambda key: (sizes[key], keys.index(key)))
        target = _merge_target(partition, smallest, keys, sizes, max_lines)
        partition.merge(target, smallest)


def _merge_target(
    partition: Partition, key: int, keys: list[int], sizes: dict[int, int], max_lines: int
) -> int:
    ties = partition.ties(partition.members(key))
    others = [other for other in keys if other != key]

    def rank(other: int) -> tuple[bool, float, int]:
        fits = sizes[other] + sizes[key] <= max_lines
        return (fits, ties.get(other, 0.0), -_distance(partition, key, other))

    best = max(others, key=rank)
    if ties.get(best, 0.0) == 0.0:  # nothing ties it anywhere: its neighbour in the source
        best = max(
            others,
            key=lambda other: (sizes[other] + sizes[key] <= max_lines, -_distance(partition, key, other)),
        )
    return best


def _distance(partition: Partition, a: int, b: int) -> int:
    first = [partition.order[unit] for unit in partition.members(a)]
    second = [partition.order[unit] for unit in partition.members(b)]
    return min(abs(x - y) for x in first for y in second)


def split_large(partition: Partition, min_lines: int, max_lines: int, seed: int, notes: list[str]) -> None:
    """Cut modules over ``max_lines`` with Louvain at finer resolutions; note the ones that resist."""
    for key in partition.module_keys():
        if partition.size(key) <= max_lines:
            continue
        members = partition.members(key)
        sub = partition.graph.subgraph(members)
        for resolution in (1.5, 2.5, 4.0, 8.0):
            found = nx.community.louvain_communities(sub, weight="weight", resolution=resolution, seed=seed)
            parts = connected_parts(sub, found, partition.order)
            if len(parts) > 1 and max(sum(partition.lines[u] for u in part) for part in parts) <= max_lines:
                break
        if len(parts) < 2:
            notes.append(f"{members[0]} and the units tied to it stay together over {max_lines} lines")
            continue
        for part in parts[1:]:
            new = partition.new_key()
            for unit in part:
                partition.home[unit] = new
    merge_small(partition, min_lines, max_lines)


def extract_state(partition: Partition, notes: list[str]) -> None:
    """Rebound module variables shared across modules go to the ``_state`` leaf."""
    inv = partition.inv
    for name, writers in inv.global_writers.items():
        owner = inv.unit_of(name)
        if owner is None or owner.id not in partition.home:
            continue
        users = {edge.source for edge in inv.edges if edge.target == owner.id and name in edge.names}
        users.update(writer for writer in writers if writer in partition.home)
        homes = {partition.home[unit] for unit in users if unit in partition.home}
        homes.discard(partition.home[owner.id])
        if not homes and partition.home[owner.id] != STATE:
            continue
        if partition.import_deps.get(owner.id):
            notes.append(f"{name} is rebound from several modules but its value needs other units; kept")
            continue
        partition.home[owner.id] = STATE


def extract_common(partition: Partition, notes: list[str]) -> None:
    """Helpers used by two or more other modules whose own module is not a leaf go to ``_common``."""
    graph = partition.module_graph()
    users = _users(partition)
    candidates: set[str] = set()
    for unit in partition.graph:
        key = partition.home[unit]
        if key in SPECIAL or graph.out_degree(key) == 0:
            continue
        other_homes = {partition.home[user] for user in users.get(unit, ())} - {key}
        if len(other_homes - set(SPECIAL)) >= 2:
            candidates.add(unit)
    candidates = _leaf_closure(partition, candidates)
    for unit in sorted(candidates, key=partition.order.__getitem__):
        partition.home[unit] = COMMON
    if candidates:
        notes.append(f"{len(candidates)} helper(s) used across modules moved to the shared leaf _common")


def _users(partition: Partition) -> dict[str, set[str]]:
    users: dict[str, set[str]] = {}
    for edge in partition.inv.edges:
        known = edge.source in partition.home and edge.target in partition.home
        if edge.kind in _STATE_KINDS and known and edge.source != edge.target:
            users.setdefault(edge.target, set()).add(edge.source)
    return users


def _leaf_closure(partition: Partition, candidates: set[str]) -> set[str]:
    """The candidates whose design dependencies are all candidates (or imports): a leaf module."""
    deps: dict[str, set[str]] = {}
    for edge in partition.inv.edges:
        known = edge.source in candidates and edge.target in partition.home
        if edge.kind in _STATE_KINDS and known and partition.home[edge.target] != STATE:
            deps.setdefault(edge.source, set()).add(edge.target)
    kept = set(candidates)
    changed = True
    while changed:
        changed = False
        for unit in sorted(kept, key=partition.order.__getitem__):
            if not deps.get(unit, set()) <= kept:
                kept.discard(unit)
                changed = True
    return kept


def break_cycles(partition: Partition, notes: list[str]) -> None:
    """Make import-time dependencies between modules acyclic: move a unit, else merge two modules."""
    for _ in range(_MAX_ROUNDS):
        cyclic = partition.cyclic_edges()
        if not cyclic:
            return
        move = _best_move(partition, cyclic)
        if move is not None:
            unit, key = move
            partition.home[unit] = key
            continue
        source, target = cyclic[0]
        a, b = partition.home[source], partition.home[target]
        into, other = (a, b) if a not in SPECIAL else (b, a)
        if into in SPECIAL:  # both shared leaves: give the state its users back
            into = partition.new_key()
        partition.merge(into, other)
        notes.append(f"merged two modules to break an import-time cycle through {source} -> {target}")
    notes.append("could not remove every import-time cycle")


def _best_move(partition: Partition, cyclic: list[tuple[str, str]]) -> tuple[str, int] | None:
    """The single-unit move that removes the most cyclic edges (cheapest cut on ties), if any helps."""
    baseline = len(cyclic)
    best: tuple[int, float, int] | None = None
    chosen: tuple[str, int] | None = None
    seen: set[tuple[str, int]] = set()
    for source, target in cyclic:
        for unit, key in ((source, partition.home[target]), (target, partition.home[source])):
            if (unit, key) in seen or partition.home[unit] in SPECIAL or key in SPECIAL:
                continue
            seen.add((unit, key))
            old = partition.home[unit]
            if len(partition.members(old)) == 1:
                continue
            partition.home[unit] = key
            remaining = len(partition.cyclic_edges())
            ties = partition.ties([unit])
            partition.home[unit] = old
            rank = (remaining, ties.get(old, 0.0) - ties.get(key, 0.0), partition.order[unit])
            if remaining < baseline and (best is None or rank < best):
                best, chosen = rank, (unit, key)
    return chosen


def improve(partition: Partition, min_lines: int, max_lines: int, passes: int = 3) -> None:
    """Hill-climb: move single units where TurboMQ rises, keeping sizes and an acyclic import graph."""
    for _ in range(passes):
        moved = False
        current = _score(partition)
        for unit in list(partition.graph):
            old = partition.home[unit]
            if old in SPECIAL or len(partition.members(old)) == 1:
                continue
            ties = partition.ties([unit])
            for key in sorted(
                (key for key in ties if key != old and key not in SPECIAL), key=ties.__getitem__, reverse=True
            )[:3]:
                if partition.size(key) + partition.lines[unit] > max_lines:
                    continue
                if partition.size(old) - partition.lines[unit] < min_lines:
                    continue
                partition.home[unit] = key
                score = _score(partition)
                if score > current + 1e-6 and not partition.cyclic_edges():
                    current, moved, old = score, True, key
                    break
                partition.home[unit] = old
        if not moved:
            return


def _score(partition: Partition) -> float:
    groups: dict[int, list[str]] = {}
    for unit, key in partition.home.items():
        groups.setdefault(key, []).append(unit)
    return weighted_turbo_mq(partition.graph, list(groups.values()))
