"""Import cycles: strongly connected components, a shortest cycle, and the imports that break them.

Everything here works on plain adjacency lists (module -> sorted targets), so it knows nothing of how
the graph was built; :mod:`codeopt.analysis.graph` calls it for the import-time components. The
results are frozen dataclasses of plain data (cached, pickled and rendered to JSON with the graph).

- Components come from a local iterative Tarjan, checked against networkx in the tests, because
  filling a networkx graph costs more than all the rest of the graph build.
- Breakers come from a greedy hitting set over sampled short cycles on small components and from the
  Eades-Lin-Smyth ordering on big ones; both then put back every removed edge that closes no cycle
  any more, and the result is verified acyclic.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

# Cycle breaking effort bounds: exact-ish greedy on small components, a linear heuristic on big ones.
GREEDY_MAX_EDGES = 400  # components with more edges go straight to Eades-Lin-Smyth
CYCLE_SAMPLE = 500  # simple cycles enumerated per greedy round
SHORT_CYCLE = 4  # ... of at most this many edges, when there are any
GREEDY_ROUNDS = 8
MINIMIZE_BUDGET = 3_000_000  # removed edges x component size, for the redundant-edge pass

_Arc = tuple[str, str]


@dataclass(frozen=True)
class ChainLink:
    source: str
    target: str
    lineno: int


@dataclass(frozen=True)
class CycleBreaker:
    """An import whose removal (or move into a function body) is part of breaking a cycle."""

    source: str
    target: str
    linenos: tuple[int, ...]
    movable: bool  # could become a call-time import without touching module-level code
    implicit: bool  # a parent-package edge: move the import of the submodule instead


@dataclass(frozen=True)
class ImportCycle:
    """An import-time strongly connected component (or a self-import): it can fail at import."""

    modules: tuple[str, ...]  # sorted
    chain: tuple[ChainLink, ...]  # a shortest cycle through the component, as a path back home
    breakers: tuple[CycleBreaker, ...]  # removing all of these leaves the component acyclic
    method: str  # how the breakers were chosen: "self-import", "greedy", "eades-lin-smyth"
    # some import in the component is eager, so importing one of its modules first can fail; when
    # False the cycle is real but only binds partially initialized modules, which works
    can_fail: bool = True


class CycleEdge(Protocol):
    """What a cycle needs to know of an import edge (:class:`codeopt.analysis.graph.Edge` has it)."""

    @property
    def lineno(self) -> int: ...
    @property
    def linenos(self) -> tuple[int, ...]: ...
    @property
    def movable(self) -> bool: ...
    @property
    def implicit(self) -> bool: ...
    @property
    def eager(self) -> bool: ...


# -- components -----------------------------------------------------------------------------------


def restrict(adj: Mapping[str, Sequence[str]], nodes: Iterable[str]) -> dict[str, list[str]]:
    """The subgraph on ``nodes``, in name order."""
    members = set(nodes)
    return {name: [t for t in adj[name] if t in members] for name in sorted(members)}


def nontrivial_sccs(adj: Mapping[str, Sequence[str]]) -> tuple[tuple[str, ...], ...]:
    """Components with a cycle (size > 1, or a self-loop), each sorted; biggest first, then by name."""
    found = []
    for component in strongly_connected_components(adj):
        if len(component) > 1 or component[0] in adj[component[0]]:
            found.append(tuple(sorted(component)))
    return tuple(sorted(found, key=lambda c: (-len(c), c)))


def strongly_connected_components(adj: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative, straight on the adjacency lists.

    The same answer as ``networkx.strongly_connected_components`` (the tests compare them), at a
    fraction of the cost: filling a networkx DiGraph takes longer than the whole rest of the graph
    build on a 3,000-module project.
    """
    return _Tarjan(adj).components()


class _Tarjan:
    """The state of one run of Tarjan's algorithm; nodes are indexed in visiting order."""

    def __init__(self, adj: Mapping[str, Sequence[str]]) -> None:
        self.adj = adj
        self.index: dict[str, int] = {}
        self.low: dict[str, int] = {}
        self.on_stack: set[str] = set()
        self.stack: list[str] = []
        self.out: list[list[str]] = []

    def components(self) -> list[list[str]]:
        for root in self.adj:
            if root not in self.index:
                self.search(root)
        return self.out

    def search(self, root: str) -> None:
        """Depth-first from ``root`` with an explicit stack of (node, its children left to see).

        The hot loop of the graph build: entering a node (numbering it, pushing it on the stack) is
        written out rather than called.
        """
        adj, index, low, on_stack, stack = self.adj, self.index, self.low, self.on_stack, self.stack
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(adj[root]))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(adj[child])))
                    break
                if child in on_stack and index[child] < low[node]:
                    low[node] = index[child]  # a way back to a node still on the stack
            else:
                work.pop()
                if work and low[node] < low[work[-1][0]]:
                    low[work[-1][0]] = low[node]  # the parent reaches as far back as its child
                if low[node] == index[node]:
                    self.out.append(self.pop_component(node))

    def pop_component(self, node: str) -> list[str]:
        """The component rooted at ``node``: the stack down to it."""
        stack, on_stack = self.stack, self.on_stack
        component = []
        while True:
            member = stack.pop()
            on_stack.discard(member)
            component.append(member)
            if member == node:
                return component


# -- one cycle ------------------------------------------------------------------------------------


def describe_cycle(
    scc: tuple[str, ...], graph_adj: Mapping[str, Sequence[str]], edges: Mapping[_Arc, CycleEdge]
) -> ImportCycle:
    """The chain, breakers and failure mode of one import-time component (``edges``: its edges)."""
    adj = restrict(graph_adj, scc)
    inside = {(u, v): edges[(u, v)] for u in scc for v in adj[u]}
    path = shortest_cycle(scc, adj)
    chain = tuple(ChainLink(u, v, inside[(u, v)].lineno) for u, v in itertools.pairwise(path))
    preference = {pair: ((2 if e.eager else 1) if e.movable else 0) for pair, e in inside.items()}
    arcs, method = feedback_arc_set(scc, adj, preference)
    breakers = tuple(
        CycleBreaker(u, v, inside[(u, v)].linenos, inside[(u, v)].movable, inside[(u, v)].implicit)
        for u, v in sorted(arcs)
    )
    can_fail = any(edge.eager for edge in inside.values())
    return ImportCycle(modules=scc, chain=chain, breakers=breakers, method=method, can_fail=can_fail)


def shortest_cycle(nodes: Sequence[str], adj: Mapping[str, Sequence[str]]) -> list[str]:
    """A shortest cycle as a closed path ``[a, ..., a]``; ties go to the smallest start node, then to
    the BFS order of sorted neighbours. BFS from each node, cut off at the best length so far."""
    ordered = sorted(nodes)
    for node in ordered:
        if node in adj.get(node, ()):
            return [node, node]
    best: list[str] = []
    for start in ordered:
        cycle = _cycle_through(start, adj, len(best) - 1 if best else None)
        if cycle and (not best or len(cycle) < len(best)):
            best = cycle
    return best


def _cycle_through(start: str, adj: Mapping[str, Sequence[str]], limit: int | None) -> list[str]:
    """A shortest cycle through ``start`` as a closed path, by BFS; [] when there is none, or none
    shorter than ``limit`` edges (None: no limit)."""
    parent: dict[str, str] = {start: start}
    depth = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if limit is not None and depth[node] + 1 >= limit:
            return []
        for nxt in adj.get(node, ()):
            if nxt == start:
                return _path_back(parent, node, start)
            if nxt not in parent:
                parent[nxt] = node
                depth[nxt] = depth[node] + 1
                queue.append(nxt)
    return []


def _path_back(parent: Mapping[str, str], last: str, start: str) -> list[str]:
    """``start -> ... -> last -> start`` from the BFS parents of ``last``."""
    path = [last]
    while path[-1] != start:
        path.append(parent[path[-1]])
    return [*reversed(path), start]


# -- breakers -------------------------------------------------------------------------------------


def feedback_arc_set(
    nodes: Sequence[str], adj: Mapping[str, Sequence[str]], preference: Mapping[_Arc, int]
) -> tuple[list[_Arc], str]:
    """A small set of edges whose removal leaves ``nodes`` acyclic, preferring movable edges.

    ``preference`` ranks edges for removal: 0 keep if possible, 1 movable (could become a
    call-time import), 2 movable and eager (removing it also removes a way the cycle fails).

    Small components: greedy hitting set over a bounded sample of simple cycles (the edge in most
    sampled cycles first, a movable edge counting double), re-sampled until acyclic. Big ones:
    Eades-Lin-Smyth ordering, backward edges removed. Both then re-add every removed edge that no
    longer closes a cycle, and the result is verified acyclic.
    """
    edges = [(u, v) for u in sorted(nodes) for v in adj.get(u, ())]
    removed = {(u, v) for u, v in edges if u == v}  # self-imports: nothing else breaks them
    rest = [(u, v) for u, v in edges if u != v]
    method = "self-import" if removed and not _has_cycle(nodes, rest) else ""
    if not method:
        if len(rest) <= GREEDY_MAX_EDGES:
            removed |= _greedy_cycle_cover(nodes, rest, preference)
            method = "greedy"
        else:
            removed |= _eades_lin_smyth(nodes, rest, preference)
            method = "eades-lin-smyth"
    removed = _drop_redundant(nodes, edges, removed, preference)
    kept = [e for e in edges if e not in removed]
    if _has_cycle(nodes, kept):  # cannot happen; never hand out a wrong answer if it does
        removed |= _eades_lin_smyth(nodes, kept, preference)
    return sorted(removed), method


def _score(edge: _Arc, count: int, preference: Mapping[_Arc, int]) -> tuple[int, int, str, str]:
    rank = preference.get(edge, 0)
    return (-count * (2 if rank else 1), -rank, *edge)


def _greedy_cycle_cover(nodes: Sequence[str], edges: list[_Arc], preference: Mapping[_Arc, int]) -> set[_Arc]:
    removed: set[_Arc] = set()
    current = list(edges)
    for _ in range(GREEDY_ROUNDS):
        cycles = _sample_cycles(nodes, current)
        if not cycles:
            return removed
        removed |= _hitting_set(cycles, preference)
        current = [e for e in current if e not in removed]
    if _has_cycle(nodes, current):  # effort bound reached: finish with the heuristic
        removed |= _eades_lin_smyth(nodes, current, preference)
    return removed


def _sample_cycles(nodes: Sequence[str], edges: Sequence[_Arc]) -> list[tuple[_Arc, ...]]:
    """Up to CYCLE_SAMPLE simple cycles as edge tuples: the short ones first, from everywhere.

    Short cycles come from the whole component (an unbounded enumeration would list thousands of
    cycles through its first node before any other); long ones only when there are no short ones.
    """
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(nodes))
    graph.add_edges_from(edges)
    found = list(itertools.islice(nx.simple_cycles(graph, length_bound=SHORT_CYCLE), CYCLE_SAMPLE))
    if not found:
        found = list(itertools.islice(nx.simple_cycles(graph), CYCLE_SAMPLE))
    return [tuple(zip(c, [*c[1:], c[0]], strict=True)) for c in found]


def _hitting_set(cycles: Sequence[tuple[_Arc, ...]], preference: Mapping[_Arc, int]) -> set[_Arc]:
    """Greedy: take the edge in most cycles not yet hit (movable ones count double), repeat."""
    counts: dict[_Arc, int] = defaultdict(int)
    member_of: dict[_Arc, list[int]] = defaultdict(list)
    for index, cycle in enumerate(cycles):
        for edge in cycle:
            counts[edge] += 1
            member_of[edge].append(index)
    alive = [True] * len(cycles)
    chosen: set[_Arc] = set()
    while counts:
        best = min(counts, key=lambda e: _score(e, counts[e], preference))
        chosen.add(best)
        for index in member_of[best]:
            if alive[index]:
                alive[index] = False
                for edge in cycles[index]:
                    counts[edge] -= 1
                    if not counts[edge]:
                        del counts[edge]
    return chosen


def _eades_lin_smyth(
    nodes: Sequence[str], edges: Sequence[_Arc], preference: Mapping[_Arc, int]
) -> set[_Arc]:
    """Backward edges of the Eades-Lin-Smyth vertex order; an unmovable edge weighs double."""
    weight = {e: (1 if preference.get(e, 0) else 2) for e in edges if e[0] != e[1]}
    order = _EadesLinSmythOrder(nodes, weight).order()
    return {(u, v) for u, v in weight if order[u] > order[v]}


class _EadesLinSmythOrder:
    """Sinks go to the back, sources to the front, otherwise the vertex with the largest weighted
    out-minus-in degree goes to the front (its remaining in-edges become backward). O(E log V)."""

    def __init__(self, nodes: Sequence[str], weight: Mapping[_Arc, int]) -> None:
        self.outs: dict[str, dict[str, int]] = {n: {} for n in nodes}
        self.ins: dict[str, dict[str, int]] = {n: {} for n in nodes}
        for (u, v), w in weight.items():
            self.outs[u][v] = w
            self.ins[v][u] = w
        self.delta = {n: sum(self.outs[n].values()) - sum(self.ins[n].values()) for n in nodes}
        self.alive = set(nodes)
        self.front: list[str] = []
        self.back: list[str] = []
        self.heap = [(-self.delta[n], n) for n in sorted(nodes)]
        heapq.heapify(self.heap)
        self.pending = deque(sorted(n for n in nodes if self.is_end(n)))

    def is_end(self, node: str) -> bool:
        """A sink or a source among the vertices left."""
        return not self.outs[node] or not self.ins[node]

    def order(self) -> dict[str, int]:
        """Each vertex's position in the order."""
        while self.alive:
            self.peel_ends()
            if not self.alive:
                break
            node = self.pop_max_delta()
            self.front.append(node)
            self.remove(node)
        return {n: i for i, n in enumerate([*self.front, *reversed(self.back)])}

    def peel_ends(self) -> None:
        """Move sinks to the back and sources to the front while there are any."""
        while self.pending:
            node = self.pending.popleft()
            if node not in self.alive:
                continue
            if not self.outs[node]:
                self.back.append(node)
            elif not self.ins[node]:
                self.front.append(node)
            else:
                continue
            self.remove(node)

    def pop_max_delta(self) -> str:
        """The live vertex of the largest out-minus-in degree (heap entries go stale: skip those)."""
        while True:
            neg, node = heapq.heappop(self.heap)
            if node in self.alive and -neg == self.delta[node]:
                return node

    def remove(self, node: str) -> None:
        """Take ``node`` out: update its live neighbours' degrees, queue those that became ends."""
        self.alive.discard(node)
        touched = []
        for v, w in self.outs[node].items():
            if v in self.alive:
                del self.ins[v][node]
                self.delta[v] += w
                touched.append(v)
        for u, w in self.ins[node].items():
            if u in self.alive:
                del self.outs[u][node]
                self.delta[u] -= w
                touched.append(u)
        for n in touched:
            heapq.heappush(self.heap, (-self.delta[n], n))
        self.pending.extend(sorted(n for n in touched if self.is_end(n)))


def _drop_redundant(
    nodes: Sequence[str], edges: Sequence[_Arc], removed: set[_Arc], preference: Mapping[_Arc, int]
) -> set[_Arc]:
    """Put back every removed edge that closes no cycle any more (unmovable ones first)."""
    if len(removed) * (len(nodes) + len(edges)) > MINIMIZE_BUDGET:
        return removed
    adj: dict[str, set[str]] = {n: set() for n in nodes}
    for u, v in edges:
        if (u, v) not in removed:
            adj[u].add(v)
    result = set(removed)
    for u, v in sorted(removed, key=lambda e: (preference.get(e, 0), e)):
        if u != v and not _reaches(adj, v, u):
            adj[u].add(v)
            result.discard((u, v))
    return result


def _reaches(adj: Mapping[str, Iterable[str]], start: str, goal: str) -> bool:
    seen = {start}
    stack = [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for nxt in adj[node]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def _has_cycle(nodes: Iterable[str], edges: Iterable[_Arc]) -> bool:
    """Kahn's algorithm: a cycle remains when not every node can be peeled off."""
    indegree = {n: 0 for n in nodes}
    outs: dict[str, list[str]] = defaultdict(list)
    for u, v in edges:
        outs[u].append(v)
        indegree[v] += 1
    ready = [n for n, d in indegree.items() if d == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for v in outs[node]:
            indegree[v] -= 1
            if indegree[v] == 0:
                ready.append(v)
    return seen < len(indegree)
