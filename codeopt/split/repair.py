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

from codeopt.split.cluster import cluster_factor, connected_parts, edge_list
from codeopt.split.unit_model import Inventory

COMMON = -1
STATE = -2
SPECIAL = (COMMON, STATE)
_MAX_ROUNDS = 200
_CENTRAL = 3  # users inside its own module that make a unit central to it
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
        self.design_deps = _deps(inv, self.order, _STATE_KINDS)
        self.import_deps = _executed_deps(inv, _deps(inv, self.order, frozenset({"import-time"})), self.order)

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

    def module_graph(self, design: bool = False) -> nx.DiGraph:
        """Import-time (or, with ``design``, all code) dependencies between modules."""
        graph = nx.DiGraph()
        graph.add_nodes_from(sorted(set(self.home.values())))
        for unit, targets in (self.design_deps if design else self.import_deps).items():
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


def _deps(inv: Inventory, order: dict[str, int], kinds: frozenset[str]) -> dict[str, set[str]]:
    deps: dict[str, set[str]] = {}
    for edge in inv.edges:
        known = edge.source in order and edge.target in order
        if edge.kind in kinds and known and edge.source != edge.target:
            deps.setdefault(edge.source, set()).add(edge.target)
    return deps


def import_time_deps(inv: Inventory, units: Iterable[str]) -> dict[str, set[str]]:
    """Unit -> the units (of ``units``) that must exist when it is imported, what runs included."""
    order = {unit: position for position, unit in enumerate(units)}
    return _executed_deps(inv, _deps(inv, order, frozenset({"import-time"})), order)


def _executed_deps(
    inv: Inventory, direct: dict[str, set[str]], placed: dict[str, int]
) -> dict[str, set[str]]:
    """Import-time dependencies including what runs while importing: a function used at import time
    (a decorator, ``X = f()``) is called then, so what it uses -- transitively, through functions --
    must exist by then too (what its nested functions use runs later)."""
    closed: dict[str, set[str]] = {}
    for unit, targets in direct.items():
        found = set(targets)
        stack = [target for target in targets if inv.unit(target).kind == "function"]
        seen = set(stack)
        while stack:
            for used in inv.executes.get(stack.pop(), ()):
                if used != unit and used in placed:
                    found.add(used)
                if used not in seen and inv.unit(used).kind == "function":
                    seen.add(used)
                    stack.append(used)
        closed[unit] = found
    return closed


def repair(
    inv: Inventory, graph: nx.Graph, parts: Sequence[Sequence[str]], min_lines: int, max_lines: int, seed: int
) -> Repaired:
    partition = Partition(inv, graph, parts)
    notes: list[str] = []
    merge_small(partition, min_lines, max_lines)
    split_large(partition, min_lines, max_lines, seed, notes)
    improve(partition, min_lines, max_lines)
    extract_state(partition, notes)
    extract_common(partition, min_lines, max_lines, seed, notes)
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
        design = partition.module_graph(design=True)
        small = [
            key
            for key in keys
            if sizes[key] < min_lines and not _small_but_clear(design, key, sizes[key], min_lines)
        ]
        if not small:
            return
        smallest = min(small, key=lambda key: (sizes[key], keys.index(key)))
        target = _merge_target(partition, design, smallest, keys, sizes, max_lines)
        partition.merge(target, smallest)


def _small_but_clear(design: nx.DiGraph, key: int, size: int, min_lines: int) -> bool:
    """A small module may stay when its role is clear: used by several (error types, constants) or
    an entry point using several (a command line); merging it would tie others to whatever it joins."""
    if size < min_lines // 4:
        return False
    fan_in, fan_out = design.in_degree(key), design.out_degree(key)
    return fan_in >= 3 or (fan_in == 0 and fan_out >= 3 and size >= min_lines // 2)


def _merge_target(
    partition: Partition, design: nx.DiGraph, key: int, keys: list[int], sizes: dict[int, int], max_lines: int
) -> int:
    """Best target: fits, adds no mutual dependency between modules, most tied, nearest in source."""
    ties = partition.ties(partition.members(key))
    others = [other for other in keys if other != key]

    def rank(other: int) -> tuple[bool, bool, float, int]:
        fits = sizes[other] + sizes[key] <= max_lines
        return (
            fits,
            not _merge_makes_cycle(design, other, key),
            ties.get(other, 0.0),
            -_distance(partition, key, other),
        )

    return max(others, key=rank)


def _merge_makes_cycle(design: nx.DiGraph, into: int, other: int) -> bool:
    """Whether merging ``other`` into ``into`` puts the result on a design-level dependency cycle."""
    merged = nx.contracted_nodes(design, into, other, self_loops=False)
    before = {
        node
        for component in nx.strongly_connected_components(design)
        if len(component) > 1
        for node in component
    }
    after = {
        node
        for component in nx.strongly_connected_components(merged)
        if len(component) > 1
        for node in component
    }
    return into in after and into not in before and other not in before


def _distance(partition: Partition, a: int, b: int) -> int:
    first = [partition.order[unit] for unit in partition.members(a)]
    second = [partition.order[unit] for unit in partition.members(b)]
    return min(abs(x - y) for x in first for y in second)


def split_large(partition: Partition, min_lines: int, max_lines: int, seed: int, notes: list[str]) -> None:
    """Cut modules over ``max_lines``: a definition bigger than half the limit gets a module of its
    own (no split can cut a class), the rest is cut again with Louvain at finer resolutions."""
    for key in partition.module_keys():
        if partition.size(key) <= max_lines:
            continue
        members = partition.members(key)
        giants = [unit for unit in members if partition.lines[unit] > max_lines // 2]
        for giant in giants[1:] if len(giants) == len(members) else giants:
            partition.home[giant] = partition.new_key()
        rest = [unit for unit in members if unit not in giants] if len(giants) < len(members) else []
        if sum(partition.lines[unit] for unit in rest) > max_lines:
            _recut(partition, rest, max_lines, seed)
    merge_small(partition, min_lines, max_lines)
    for key in partition.module_keys():
        if partition.size(key) > max_lines:
            biggest = max(
                partition.members(key), key=lambda unit: (partition.lines[unit], -partition.order[unit])
            )
            notes.append(
                f"{biggest} ({partition.lines[biggest]} lines) and what is tied to it make a module over "
                f"{max_lines} lines"
            )


def _recut(partition: Partition, members: list[str], max_lines: int, seed: int) -> None:
    sub = partition.graph.subgraph(members)
    parts: list[list[str]] = [members]
    for resolution in (1.5, 2.5, 4.0, 8.0):
        found = nx.community.louvain_communities(sub, weight="weight", resolution=resolution, seed=seed)
        parts = connected_parts(sub, found, partition.order)
        if len(parts) > 1 and max(sum(partition.lines[u] for u in part) for part in parts) <= max_lines:
            break
    for part in parts[1:]:
        new = partition.new_key()
        for unit in part:
            partition.home[unit] = new


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


def extract_common(partition: Partition, min_lines: int, max_lines: int, seed: int, notes: list[str]) -> None:
    """Helpers used by two or more other modules, living in a module that depends on one of those
    users, move out with what they need (ACDC's "support library") -- to ``_common`` when small,
    else to leaf modules of their own -- so that users and home no longer depend on each other."""
    support = _support(partition, min_lines)
    if not support:
        return
    ordered = sorted(support, key=partition.order.__getitem__)
    if sum(partition.lines[unit] for unit in ordered) < 2 * min_lines:
        for unit in ordered:
            partition.home[unit] = COMMON
        notes.append(f"{len(ordered)} helper(s) used across modules moved to the shared leaf _common")
        return
    sub = partition.graph.subgraph(ordered)
    found = nx.community.louvain_communities(sub, weight="weight", resolution=1.0, seed=seed)
    for part in connected_parts(sub, found, partition.order):
        new = partition.new_key()
        for unit in part:
            partition.home[unit] = new
    notes.append(f"{len(ordered)} definition(s) used across modules moved to leaf modules of their own")


def _support(partition: Partition, min_lines: int) -> set[str]:
    """The shared helpers and what they need, within size caps (a helper, not a subsystem)."""
    graph = partition.module_graph(design=True)
    leaves = {key for key in graph if graph.out_degree(key) == 0}
    users = _users(partition)
    cap = max(min_lines, sum(partition.lines.values()) // 10)
    support: set[str] = set()
    for unit in partition.graph:
        if unit in support or not _shared_helper(partition, graph, users, unit, leaves):
            continue
        closure = _down_closure(partition, unit, leaves)
        if any(_is_central(partition, users, member) for member in closure - {unit}):
            continue  # it needs the heart of its module: it belongs there
        small = sum(partition.lines[member] for member in closure - support) <= min_lines
        if small and sum(partition.lines[member] for member in support | closure) <= cap:
            support |= closure
    return support


def _shared_helper(
    partition: Partition, graph: nx.DiGraph, users: dict[str, set[str]], unit: str, leaves: set[int]
) -> bool:
    key = partition.home[unit]
    if key in SPECIAL or key in leaves:
        return False
    homes = [partition.home[user] for user in users.get(unit, ())]
    other_homes = set(homes) - {key, *SPECIAL}
    if len(other_homes) < 2 or not any(graph.has_edge(key, other) for other in other_homes):
        return False  # users depending on a module that does not depend on them: layered already
    return homes.count(key) < _CENTRAL  # else the heart of its own module, not a helper


def _is_central(partition: Partition, users: dict[str, set[str]], unit: str) -> bool:
    key = partition.home[unit]
    return sum(1 for user in users.get(unit, ()) if partition.home[user] == key) >= _CENTRAL


def _down_closure(partition: Partition, unit: str, leaves: set[int]) -> set[str]:
    """``unit`` and what it needs, transitively, short of the state leaf and modules already leaves."""
    found = {unit}
    stack = [unit]
    while stack:
        for target in partition.design_deps.get(stack.pop(), ()):
            home = partition.home[target]
            if target not in found and home not in SPECIAL and home not in leaves:
                found.add(target)
                stack.append(target)
    return found


def _users(partition: Partition) -> dict[str, set[str]]:
    users: dict[str, set[str]] = {}
    for edge in partition.inv.edges:
        known = edge.source in partition.home and edge.target in partition.home
        if edge.kind in _STATE_KINDS and known and edge.source != edge.target:
            users.setdefault(edge.target, set()).add(edge.source)
    return users


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
    """Hill-climb: move single units where TurboMQ rises, keeping sizes and an acyclic import graph.

    Only the two modules a move touches change their cluster factor, so a move is scored from the
    unit's ties alone.
    """
    climber = _Climber(partition, max_lines)
    for _ in range(passes):
        moved = False
        for unit in list(partition.graph):
            moved = climber.try_unit(unit) or moved
        if not moved:
            return


class _Climber:
    def __init__(self, partition: Partition, max_lines: int) -> None:
        self.partition = partition
        self.max_lines = max_lines
        self.internal, self.border = _factors(partition)
        self.sizes: dict[int, int] = {}
        self.counts: dict[int, int] = {}
        for unit, key in partition.home.items():
            self.sizes[key] = self.sizes.get(key, 0) + partition.lines[unit]
            self.counts[key] = self.counts.get(key, 0) + 1

    def try_unit(self, unit: str) -> bool:
        """Move ``unit`` to the first of its three most tied modules where TurboMQ rises."""
        old = self.partition.home[unit]
        if old in SPECIAL or self.counts[old] == 1:
            return False
        ties = self.partition.ties([unit])
        targets = sorted((k for k in ties if k != old and k not in SPECIAL), key=lambda k: (-ties[k], k))
        return any(self._try_move(unit, old, key, ties) for key in targets[:3])

    def _try_move(self, unit: str, old: int, key: int, ties: dict[int, float]) -> bool:
        lines = self.partition.lines[unit]
        if self.sizes[key] + lines > self.max_lines:
            return False
        total, to_old, to_key = sum(ties.values()), ties.get(old, 0.0), ties[key]
        new_old = (self.internal[old] - to_old, self.border[old] - (total - to_old) + to_old)
        new_key = (self.internal[key] + to_key, self.border[key] - to_key + (total - to_key))
        before = cluster_factor(self.internal[old], self.border[old]) + cluster_factor(
            self.internal[key], self.border[key]
        )
        gain = cluster_factor(*new_old) + cluster_factor(*new_key) - before
        if gain <= 1e-6:
            return False
        self.partition.home[unit] = key
        if self.partition.cyclic_edges():
            self.partition.home[unit] = old
            return False
        (self.internal[old], self.border[old]), (self.internal[key], self.border[key]) = new_old, new_key
        self.sizes[old] -= lines
        self.sizes[key] += lines
        self.counts[old] -= 1
        self.counts[key] += 1
        return True


def _factors(partition: Partition) -> tuple[dict[int, float], dict[int, float]]:
    internal = dict.fromkeys(partition.home.values(), 0.0)
    border = dict.fromkeys(partition.home.values(), 0.0)
    for a, b, weight in edge_list(partition.graph):
        home_a, home_b = partition.home[a], partition.home[b]
        if home_a == home_b:
            internal[home_a] += weight
        else:
            border[home_a] += weight
            border[home_b] += weight
    return internal, border
