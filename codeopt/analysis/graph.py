"""The project's import graph: typed edges, fan-in/out, externals, cycles that break, import cost.

Built once per run from every file's :class:`~codeopt.analysis.model.ImportRecord` tuple. The
results are frozen dataclasses of plain str/int/float/tuples (they are cached, pickled and rendered
to JSON); the networkx graph is rebuilt on demand by :meth:`ImportGraph.to_networkx`.

Decisions (docs/import-graph.md has the long form):

- ``from pkg import sub`` points at ``pkg.sub`` when that is a project module, else at ``pkg``.
- Importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first, so edges to those parents are
  added too (same kind as the import, marked ``implicit``), except to the importer's own ancestors:
  those are necessarily imported already when the importer's body runs, so such an edge never runs
  any code.
- Only import-time edges can fail at import: their strongly connected components are the *breaking*
  cycles, each with a shortest chain and a verified set of breakers. Components over all edges are
  informational. A cycle ``can_fail`` when one of its imports is *eager* (reads the target's
  contents while importing); components come from a local iterative Tarjan, checked against
  networkx in the tests, because filling a networkx graph costs more than all the rest.
- Fan-in/fan-out count distinct project modules over explicit import-time and call-time edges,
  self-imports excluded: what the code names, not what the import system does on the side.
"""

from __future__ import annotations

import heapq
import itertools
import sys
from bisect import bisect_left
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from codeopt.analysis.import_cost import estimate_import_cost, load_estimates
from codeopt.analysis.model import EdgeKind, FileAnalysis, ImportRecord

if TYPE_CHECKING:
    import networkx as nx

_IMPORT = EdgeKind.IMPORT_TIME
_CALL = EdgeKind.CALL_TIME
_KINDS = (EdgeKind.IMPORT_TIME, EdgeKind.CALL_TIME, EdgeKind.TYPE_CHECKING)  # earliest-running first
_KIND_ORDER = {kind: rank for rank, kind in enumerate(_KINDS)}

# Cycle breaking effort bounds: exact-ish greedy on small components, a linear heuristic on big ones.
GREEDY_MAX_EDGES = 400  # components with more edges go straight to Eades-Lin-Smyth
CYCLE_SAMPLE = 500  # simple cycles enumerated per greedy round
SHORT_CYCLE = 4  # ... of at most this many edges, when there are any
GREEDY_ROUNDS = 8
MINIMIZE_BUDGET = 3_000_000  # removed edges x component size, for the redundant-edge pass
COST_TOP = 3  # heaviest externals listed per module


# -- results --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Edge:
    """Imports of ``target`` by ``source`` of one kind; ``count`` statements (multiplicity)."""

    source: str
    target: str
    kind: EdgeKind
    lineno: int  # the first of ``linenos``
    linenos: tuple[int, ...]  # one per import statement making this edge, sorted
    count: int
    implicit: bool  # only a parent package of what is imported (`import a.b` runs `a`)
    movable: bool  # every such import could move into the functions using it (see ImportRecord)
    # Reads the target's contents while the importer is being imported (`from target import name`
    # of a non-module name, or a module-level use of the bound name): in a cycle, these are the
    # imports that fail ("partially initialized module"); a plain `import target` never does.
    eager: bool = False


@dataclass(frozen=True, slots=True)
class ExternalImport:
    """Imports of a module outside the project (stdlib or third party) of one kind."""

    source: str
    module: str  # as imported: "rich.console"
    top: str  # top-level (distribution-ish) name: "rich"
    kind: EdgeKind
    lineno: int
    count: int
    stdlib: bool
    in_try: bool  # every such import sits in a try block (optional dependency)


@dataclass(frozen=True, slots=True)
class ModuleNode:
    """One project module with its coupling numbers and estimated import cost."""

    name: str
    path: str
    is_package: bool
    fan_in: int  # distinct project modules importing this one (import- or call-time, explicit)
    fan_out: int  # distinct project modules this one imports (same rule)
    externals: tuple[str, ...]  # top-level external names imported at import or call time, sorted
    import_cost_ms: float  # estimated ms of the externals `import name` loads, transitively
    import_cost_top: tuple[tuple[str, float], ...]  # the heaviest of those externals, (module, ms)


@dataclass(frozen=True, slots=True)
class ChainLink:
    source: str
    target: str
    lineno: int


@dataclass(frozen=True, slots=True)
class CycleBreaker:
    """An import whose removal (or move into a function body) is part of breaking a cycle."""

    source: str
    target: str
    linenos: tuple[int, ...]
    movable: bool  # could become a call-time import without touching module-level code
    implicit: bool  # a parent-package edge: move the import of the submodule instead


@dataclass(frozen=True, slots=True)
class ImportCycle:
    """An import-time strongly connected component (or a self-import): it can fail at import."""

    modules: tuple[str, ...]  # sorted
    chain: tuple[ChainLink, ...]  # a shortest cycle through the component, as a path back home
    breakers: tuple[CycleBreaker, ...]  # removing all of these leaves the component acyclic
    method: str  # how the breakers were chosen: "self-import", "greedy", "eades-lin-smyth"
    # some import in the component is eager, so importing one of its modules first can fail; when
    # False the cycle is real but only binds partially initialized modules, which works
    can_fail: bool = True


@dataclass(frozen=True, slots=True)
class UnresolvedImport:
    source: str
    target: str
    lineno: int
    reason: str


@dataclass(frozen=True, slots=True)
class ImportGraph:
    """Everything codeopt knows about how the project's modules import each other."""

    modules: tuple[ModuleNode, ...]  # sorted by name
    edges: tuple[Edge, ...]  # sorted by (source, target, kind)
    externals: tuple[ExternalImport, ...]  # sorted by (source, module, kind)
    import_time_sccs: tuple[tuple[str, ...], ...]  # non-trivial components, breaking ones
    all_sccs: tuple[tuple[str, ...], ...]  # non-trivial components over every edge kind
    cycles: tuple[ImportCycle, ...]  # one per import-time component, same order
    unresolved: tuple[UnresolvedImport, ...]

    def module(self, name: str) -> ModuleNode | None:
        at = bisect_left(self.modules, name, key=lambda node: node.name)
        return self.modules[at] if at < len(self.modules) and self.modules[at].name == name else None

    def edges_of(self, kinds: Iterable[EdgeKind] | None = None) -> tuple[Edge, ...]:
        wanted = set(kinds) if kinds is not None else set(EdgeKind)
        return tuple(edge for edge in self.edges if edge.kind in wanted)

    def to_networkx(self, kinds: Iterable[EdgeKind] | None = None) -> nx.DiGraph:
        """A DiGraph of the project modules; parallel kinds merge into one edge whose ``kind`` is
        the earliest-running one and whose ``kinds``/``linenos`` keep the details."""
        import networkx as nx

        graph = nx.DiGraph()
        for node in self.modules:
            graph.add_node(node.name, path=node.path, is_package=node.is_package)
        for edge in self.edges_of(kinds):
            data = graph.get_edge_data(edge.source, edge.target)
            if data is None:
                graph.add_edge(
                    edge.source, edge.target, kind=edge.kind, kinds=(edge.kind,), linenos=edge.linenos
                )
            else:
                data["kinds"] = (*data["kinds"], edge.kind)
                data["linenos"] = tuple(sorted({*data["linenos"], *edge.linenos}))
                data["kind"] = min(data["kinds"], key=_KIND_ORDER.__getitem__)
        return graph

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON (edge kinds are str enums, so ``json.dumps`` writes their values)."""
        return asdict(self)


# -- building -------------------------------------------------------------------------------------


def build_graph(files: Sequence[FileAnalysis], *, costs: Mapping[str, float] | None = None) -> ImportGraph:
    """The import graph of ``files``; ``costs`` (module -> ms, e.g. measured) beats the estimates.

    Files without a module name are left out; when two files claim one module name, the first by
    path wins (the other cannot be imported under that name anyway).
    """
    by_name: dict[str, FileAnalysis] = {}
    for analysis in sorted(files, key=lambda f: (f.module, f.path)):
        if analysis.module and analysis.module not in by_name:
            by_name[analysis.module] = analysis
    builder = _Builder(by_name)
    for name, analysis in by_name.items():
        builder.add_module(name, analysis.is_package, analysis.imports)
    edges = tuple(builder.edge_list)
    externals = tuple(builder.external_list)
    names = list(by_name)  # sorted above

    import_time_adj = _adjacency(names, (e for e in edges if e.kind is _IMPORT))
    all_adj = _adjacency(names, edges)
    all_sccs = _nontrivial_sccs(all_adj)
    # an import-time cycle is a cycle over all edges too: only look inside those components
    import_time_sccs = tuple(
        sorted(
            (c for scc in all_sccs for c in _nontrivial_sccs(_restrict(import_time_adj, scc))),
            key=lambda c: (-len(c), c),
        )
    )
    import_time_edges = {(e.source, e.target): e for e in edges if e.kind is _IMPORT}
    cycles = tuple(_describe_cycle(scc, import_time_adj, import_time_edges) for scc in import_time_sccs)

    fan_in, fan_out = _fans(edges)
    cost = _ImportCosts(names, import_time_adj, import_time_sccs, externals, costs or {})
    used_externals: dict[str, set[str]] = defaultdict(set)
    for ext in externals:
        if ext.kind is not EdgeKind.TYPE_CHECKING:
            used_externals[ext.source].add(ext.top)
    modules = []
    for name in names:
        total, top = cost.total(name)
        modules.append(
            ModuleNode(
                name=name,
                path=by_name[name].path,
                is_package=by_name[name].is_package,
                fan_in=fan_in.get(name, 0),
                fan_out=fan_out.get(name, 0),
                externals=tuple(sorted(used_externals.get(name, ()))),
                import_cost_ms=total,
                import_cost_top=top,
            )
        )
    return ImportGraph(
        modules=tuple(modules),
        edges=edges,
        externals=externals,
        import_time_sccs=import_time_sccs,
        all_sccs=all_sccs,
        cycles=cycles,
        unresolved=tuple(sorted(builder.unresolved, key=lambda u: (u.source, u.lineno, u.target))),
    )


_Occurrence = tuple[int, bool, bool, bool]  # lineno, implicit (a parent package only), movable, eager


class _Builder:
    """Turns import records into edge occurrences, external imports and unresolved imports."""

    def __init__(self, by_name: Mapping[str, FileAnalysis]) -> None:
        self.modules = by_name.keys()
        self.tops = {name.partition(".")[0] for name in by_name}
        # every proper prefix of a module: a package, a regular one or a namespace one
        self.prefixes = {p for name in by_name for p in _ancestors(name)}
        self.edge_list: list[Edge] = []
        self.external_list: list[ExternalImport] = []
        self.unresolved: list[UnresolvedImport] = []

    def add_module(self, source: str, is_package: bool, records: Iterable[ImportRecord]) -> None:
        """Modules come in name order, so sorting each module's own edges sorts them all."""
        own_ancestors = {source, *_ancestors(source)}
        # keyed by (target, kind rank): small plain tuples sort fast
        occurrences: dict[tuple[str, int], list[_Occurrence]] = defaultdict(list)
        external: dict[tuple[str, int], list[tuple[int, bool]]] = defaultdict(list)
        for record in records:
            if record.resolved:
                self._add(source, is_package, own_ancestors, record, occurrences, external)
            else:
                why = "relative import beyond the top-level package"
                self.unresolved.append(UnresolvedImport(source, record.target, record.lineno, why))
        for (target, rank), seen in sorted(occurrences.items()):
            if len(seen) == 1:
                lineno, implicit, movable, eager = seen[0]
                linenos: tuple[int, ...] = (lineno,)
            else:
                linenos = tuple(sorted({o[0] for o in seen}))
                implicit = all(o[1] for o in seen)
                movable = all(o[2] for o in seen)
                eager = any(o[3] for o in seen)
            self.edge_list.append(
                Edge(
                    source, target, _KINDS[rank], linenos[0], linenos, len(linenos), implicit, movable, eager
                )
            )
        stdlib = sys.stdlib_module_names
        for (module, rank), found in sorted(external.items()):
            top = module.partition(".")[0]
            lines = sorted({lineno for lineno, _ in found})
            in_try = all(o[1] for o in found)
            self.external_list.append(
                ExternalImport(source, module, top, _KINDS[rank], lines[0], len(lines), top in stdlib, in_try)
            )

    def _add(
        self,
        source: str,
        is_package: bool,
        own_ancestors: set[str],
        record: ImportRecord,
        occurrences: dict[tuple[str, int], list[_Occurrence]],
        external: dict[tuple[str, int], list[tuple[int, bool]]],
    ) -> None:
        target, kind, lineno = record.target, record.kind, record.lineno
        rank = _KIND_ORDER[kind]
        if target.partition(".")[0] not in self.tops:  # the common case first: stdlib, third party
            if target != "__future__":  # a compiler directive, not a dependency
                external[(target, rank)].append((lineno, record.in_try))
            return
        import_time = kind is _IMPORT
        movable = import_time and not (record.module_level_use or record.in_try or record.dynamic)
        uses_early = import_time and record.module_level_use
        reads_target = import_time and bool(record.names)  # star, or names that are not modules
        explicit = [target]
        if record.names and record.names != ("*",):
            prefix = target + "."
            subs = [sub for sub in (prefix + n for n in record.names) if sub in self.modules]
            # names that are not submodules are attributes of `target`: it is imported explicitly
            explicit = subs if len(subs) == len(record.names) else [target, *subs]
            if is_package and target == source:
                # `from . import x` in an __init__: the package is in sys.modules already; an `x`
                # that is no project module is an extension or generated module, or an attribute.
                explicit = subs
        for module in explicit:
            if module in self.modules:
                eager = uses_early or (reads_target and module == target)
                occurrences[(module, rank)].append((lineno, False, movable, eager))
            elif module not in self.prefixes:  # a namespace package runs no code: nothing to say
                why = "not a module of the project (an extension or generated module, or a typo?)"
                self.unresolved.append(UnresolvedImport(source, module, lineno, why))
            for parent in _ancestors(module):
                if parent in self.modules and parent not in own_ancestors and parent not in explicit:
                    occurrences[(parent, rank)].append((lineno, True, movable, False))


@lru_cache(maxsize=1 << 16)
def _ancestors(module: str) -> tuple[str, ...]:
    """``a.b.c`` -> ``("a", "a.b")``: the packages Python imports first."""
    parts = module.split(".")
    return tuple(".".join(parts[:i]) for i in range(1, len(parts)))


def _restrict(adj: Mapping[str, Sequence[str]], nodes: Iterable[str]) -> dict[str, list[str]]:
    members = set(nodes)
    return {name: [t for t in adj[name] if t in members] for name in sorted(members)}


def _adjacency(names: Sequence[str], edges: Iterable[Edge]) -> dict[str, list[str]]:
    adj: dict[str, set[str]] = {name: set() for name in names}
    for edge in edges:
        adj[edge.source].add(edge.target)
    return {name: sorted(targets) for name, targets in adj.items()}


def _fans(edges: Sequence[Edge]) -> tuple[dict[str, int], dict[str, int]]:
    ins: dict[str, set[str]] = defaultdict(set)
    outs: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        if edge.kind is EdgeKind.TYPE_CHECKING or edge.implicit or edge.source == edge.target:
            continue
        outs[edge.source].add(edge.target)
        ins[edge.target].add(edge.source)
    return {k: len(v) for k, v in ins.items()}, {k: len(v) for k, v in outs.items()}


def _nontrivial_sccs(adj: Mapping[str, Sequence[str]]) -> tuple[tuple[str, ...], ...]:
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
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in adj:
        if root in index:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(adj[root]))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(adj[child])))
                    break
                if child in on_stack and index[child] < low[node]:
                    low[node] = index[child]
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    if low[node] < low[parent]:
                        low[parent] = low[node]
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    out.append(component)
    return out


# -- cycles ---------------------------------------------------------------------------------------


def _describe_cycle(
    scc: tuple[str, ...], graph_adj: Mapping[str, Sequence[str]], import_time: Mapping[tuple[str, str], Edge]
) -> ImportCycle:
    adj = _restrict(graph_adj, scc)
    inside = {(u, v): import_time[(u, v)] for u in scc for v in adj[u]}
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
        limit = len(best) - 1 if best else len(ordered)  # edges in the best cycle so far
        parent: dict[str, str] = {start: start}
        depth = {start: 0}
        queue = deque([start])
        found: str | None = None
        while queue and found is None:
            node = queue.popleft()
            if depth[node] + 1 >= limit and best:
                break
            for nxt in adj.get(node, ()):
                if nxt == start:
                    found = node
                    break
                if nxt not in parent:
                    parent[nxt] = node
                    depth[nxt] = depth[node] + 1
                    queue.append(nxt)
        if found is not None:
            path = [found]
            while path[-1] != start:
                path.append(parent[path[-1]])
            cycle = [*reversed(path), start]
            if not best or len(cycle) < len(best):
                best = cycle
    return best


def feedback_arc_set(
    nodes: Sequence[str], adj: Mapping[str, Sequence[str]], preference: Mapping[tuple[str, str], int]
) -> tuple[list[tuple[str, str]], str]:
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


def _score(
    edge: tuple[str, str], count: int, preference: Mapping[tuple[str, str], int]
) -> tuple[int, int, str, str]:
    rank = preference.get(edge, 0)
    return (-count * (2 if rank else 1), -rank, *edge)


def _greedy_cycle_cover(
    nodes: Sequence[str], edges: list[tuple[str, str]], preference: Mapping[tuple[str, str], int]
) -> set[tuple[str, str]]:
    removed: set[tuple[str, str]] = set()
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


def _sample_cycles(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]]
) -> list[tuple[tuple[str, str], ...]]:
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


def _hitting_set(
    cycles: Sequence[tuple[tuple[str, str], ...]], preference: Mapping[tuple[str, str], int]
) -> set[tuple[str, str]]:
    """Greedy: take the edge in most cycles not yet hit (movable ones count double), repeat."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    member_of: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, cycle in enumerate(cycles):
        for edge in cycle:
            counts[edge] += 1
            member_of[edge].append(index)
    alive = [True] * len(cycles)
    chosen: set[tuple[str, str]] = set()
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
    nodes: Sequence[str], edges: Sequence[tuple[str, str]], preference: Mapping[tuple[str, str], int]
) -> set[tuple[str, str]]:
    """Backward edges of the Eades-Lin-Smyth vertex order; an unmovable edge weighs double.

    Sinks go to the back, sources to the front, otherwise the vertex with the largest weighted
    out-minus-in degree goes to the front (its remaining in-edges become backward). O(E log V).
    """
    weight = {e: (1 if preference.get(e, 0) else 2) for e in edges if e[0] != e[1]}
    outs: dict[str, dict[str, int]] = {n: {} for n in nodes}
    ins: dict[str, dict[str, int]] = {n: {} for n in nodes}
    for (u, v), w in weight.items():
        outs[u][v] = w
        ins[v][u] = w
    delta = {n: sum(outs[n].values()) - sum(ins[n].values()) for n in nodes}
    alive = set(nodes)
    front: list[str] = []
    back: list[str] = []
    heap = [(-delta[n], n) for n in sorted(nodes)]
    heapq.heapify(heap)

    def remove(node: str) -> list[str]:
        alive.discard(node)
        touched = []
        for v, w in outs[node].items():
            if v in alive:
                del ins[v][node]
                delta[v] += w
                touched.append(v)
        for u, w in ins[node].items():
            if u in alive:
                del outs[u][node]
                delta[u] -= w
                touched.append(u)
        for n in touched:
            heapq.heappush(heap, (-delta[n], n))
        return touched

    pending = deque(sorted(n for n in nodes if not outs[n] or not ins[n]))
    while alive:
        while pending:
            node = pending.popleft()
            if node not in alive:
                continue
            if not outs[node]:
                back.append(node)
            elif not ins[node]:
                front.append(node)
            else:
                continue
            pending.extend(sorted(n for n in remove(node) if not outs[n] or not ins[n]))
        if not alive:
            break
        while True:
            neg, node = heapq.heappop(heap)
            if node in alive and -neg == delta[node]:
                break
        front.append(node)
        pending.extend(sorted(n for n in remove(node) if not outs[n] or not ins[n]))
    order = {n: i for i, n in enumerate([*front, *reversed(back)])}
    return {(u, v) for u, v in weight if order[u] > order[v]}


def _drop_redundant(
    nodes: Sequence[str],
    edges: Sequence[tuple[str, str]],
    removed: set[tuple[str, str]],
    preference: Mapping[tuple[str, str], int],
) -> set[tuple[str, str]]:
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


def _has_cycle(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> bool:
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


# -- import cost ----------------------------------------------------------------------------------


class _ImportCosts:
    """Cumulative external cost per module over the import-time closure, on the component DAG.

    Each external module gets a bit; a component's closure is the OR of its members' bits and its
    successors' closures (reverse topological order, so linear in the graph). A module's total adds
    its ancestors' closures (``import a.b`` runs ``a``). Within one top-level name the dearest
    module counts (``numpy.linalg`` includes ``numpy``); across names figures add up, which
    over-counts shared dependencies a little: an estimate, labelled so in the docs.
    """

    def __init__(
        self,
        names: Sequence[str],
        adj: Mapping[str, Sequence[str]],
        sccs: Sequence[tuple[str, ...]],
        externals: Sequence[ExternalImport],
        overrides: Mapping[str, float],
    ) -> None:
        bit_of: dict[str, int] = {}
        own: dict[str, int] = defaultdict(int)
        for ext in externals:
            if ext.kind is _IMPORT:
                bit = bit_of.setdefault(ext.module, len(bit_of))
                own[ext.source] |= 1 << bit
        self.externals = list(bit_of)
        table = None
        if overrides:  # measured figures stand in for their submodules too, like table entries
            table = {**load_estimates(), **{m: (ms, "given") for m, ms in overrides.items()}}
        self.ms = [estimate_import_cost(m, table).ms for m in bit_of]
        component = {name: name for name in names}
        for scc in sccs:
            for name in scc:
                component[name] = scc[0]
        members: dict[str, list[str]] = defaultdict(list)
        for name in names:
            members[component[name]].append(name)
        closure: dict[str, int] = {}
        for comp in _reverse_topological(members, adj, component):
            bits = 0
            for name in members[comp]:
                bits |= own.get(name, 0)
                for target in adj[name]:
                    other = component[target]
                    if other != comp:
                        bits |= closure[other]
            closure[comp] = bits
        self.closure = {name: closure[component[name]] for name in names}
        self.memo: dict[int, tuple[float, tuple[tuple[str, float], ...]]] = {}

    def total(self, name: str) -> tuple[float, tuple[tuple[str, float], ...]]:
        bits = self.closure[name]
        for parent in _ancestors(name):
            bits |= self.closure.get(parent, 0)
        if bits not in self.memo:
            self.memo[bits] = self._price(bits)
        return self.memo[bits]

    def _price(self, bits: int) -> tuple[float, tuple[tuple[str, float], ...]]:
        dearest: dict[str, tuple[float, str]] = {}
        index = 0
        while bits:
            if bits & 1:
                module = self.externals[index]
                top = module.partition(".")[0]
                candidate = (self.ms[index], module)
                if top not in dearest or candidate[0] > dearest[top][0]:
                    dearest[top] = candidate
            bits >>= 1
            index += 1
        ranked = sorted(dearest.values(), key=lambda c: (-c[0], c[1]))
        total = round(float(sum(ms for ms, _ in ranked)), 3)
        return total, tuple((module, ms) for ms, module in ranked[:COST_TOP])


def _reverse_topological(
    members: Mapping[str, Sequence[str]], adj: Mapping[str, Sequence[str]], component: Mapping[str, str]
) -> list[str]:
    """Components, every one after all the components it reaches (iterative DFS post-order)."""
    succ: dict[str, set[str]] = {comp: set() for comp in members}
    for comp, names in members.items():
        for name in names:
            for target in adj[name]:
                if component[target] != comp:
                    succ[comp].add(component[target])
    order: list[str] = []
    done: set[str] = set()
    for root in sorted(members):
        if root in done:
            continue
        done.add(root)
        stack = [(root, iter(sorted(succ[root])))]
        while stack:
            comp, children = stack[-1]
            for child in children:
                if child not in done:
                    done.add(child)
                    stack.append((child, iter(sorted(succ[child]))))
                    break
            else:
                stack.pop()
                order.append(comp)
    return order
