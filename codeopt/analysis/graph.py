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

Cycle analysis (components, shortest chain, breakers) lives in :mod:`codeopt.analysis.cycles` and the
cumulative import cost in :mod:`codeopt.analysis.costs`; their public names are re-exported here.
"""

from __future__ import annotations

import sys
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from codeopt.analysis.costs import COST_TOP, ImportCosts
from codeopt.analysis.cycles import (
    CYCLE_SAMPLE,
    GREEDY_MAX_EDGES,
    GREEDY_ROUNDS,
    MINIMIZE_BUDGET,
    SHORT_CYCLE,
    ChainLink,
    CycleBreaker,
    ImportCycle,
    describe_cycle,
    feedback_arc_set,
    nontrivial_sccs,
    restrict,
    shortest_cycle,
    strongly_connected_components,
)
from codeopt.analysis.imports import ancestors
from codeopt.analysis.model import EdgeKind, FileAnalysis, ImportRecord

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "COST_TOP",
    "CYCLE_SAMPLE",
    "GREEDY_MAX_EDGES",
    "GREEDY_ROUNDS",
    "MINIMIZE_BUDGET",
    "SHORT_CYCLE",
    "ChainLink",
    "CycleBreaker",
    "Edge",
    "ExternalImport",
    "ImportCycle",
    "ImportGraph",
    "ModuleNode",
    "UnresolvedImport",
    "build_graph",
    "feedback_arc_set",
    "shortest_cycle",
    "strongly_connected_components",
]

_IMPORT = EdgeKind.IMPORT_TIME
_KINDS = (EdgeKind.IMPORT_TIME, EdgeKind.CALL_TIME, EdgeKind.TYPE_CHECKING)  # earliest-running first
_KIND_ORDER = {kind: rank for rank, kind in enumerate(_KINDS)}
_BEYOND_TOP = "relative import beyond the top-level package"
_NOT_A_MODULE = "not a module of the project (an extension or generated module, or a typo?)"


# -- results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class UnresolvedImport:
    source: str
    target: str
    lineno: int
    reason: str


@dataclass(frozen=True)
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
    by_name = _by_module_name(files)
    builder = _Builder(by_name)
    for name, analysis in by_name.items():
        builder.add_module(name, analysis.is_package, analysis.imports)
    edges = tuple(builder.edge_list)
    externals = tuple(builder.external_list)
    names = list(by_name)  # sorted
    import_time_adj = _adjacency(names, (e for e in edges if e.kind is _IMPORT))
    all_sccs = nontrivial_sccs(_adjacency(names, edges))
    import_time_sccs = _import_time_sccs(import_time_adj, all_sccs)
    import_time_edges = {(e.source, e.target): e for e in edges if e.kind is _IMPORT}
    cost = ImportCosts(
        names,
        import_time_adj,
        import_time_sccs,
        ((ext.source, ext.module) for ext in externals if ext.kind is _IMPORT),
        costs or {},
    )
    return ImportGraph(
        modules=tuple(_module_nodes(by_name, edges, externals, cost)),
        edges=edges,
        externals=externals,
        import_time_sccs=import_time_sccs,
        all_sccs=all_sccs,
        cycles=tuple(describe_cycle(scc, import_time_adj, import_time_edges) for scc in import_time_sccs),
        unresolved=tuple(sorted(builder.unresolved, key=lambda u: (u.source, u.lineno, u.target))),
    )


def _by_module_name(files: Sequence[FileAnalysis]) -> dict[str, FileAnalysis]:
    """Files by module name, in name order; the first by path wins a name claimed twice."""
    by_name: dict[str, FileAnalysis] = {}
    for analysis in sorted(files, key=lambda f: (f.module, f.path)):
        if analysis.module and analysis.module not in by_name:
            by_name[analysis.module] = analysis
    return by_name


def _import_time_sccs(
    import_time_adj: Mapping[str, Sequence[str]], all_sccs: Iterable[tuple[str, ...]]
) -> tuple[tuple[str, ...], ...]:
    """The breaking components. An import-time cycle is a cycle over all edges too: only look inside
    those components."""
    found = (c for scc in all_sccs for c in nontrivial_sccs(restrict(import_time_adj, scc)))
    return tuple(sorted(found, key=lambda c: (-len(c), c)))


def _module_nodes(
    by_name: Mapping[str, FileAnalysis],
    edges: Sequence[Edge],
    externals: Sequence[ExternalImport],
    cost: ImportCosts,
) -> Iterable[ModuleNode]:
    fan_in, fan_out = _fans(edges)
    used_externals: dict[str, set[str]] = defaultdict(set)
    for ext in externals:
        if ext.kind is not EdgeKind.TYPE_CHECKING:
            used_externals[ext.source].add(ext.top)
    for name, analysis in by_name.items():
        total, top = cost.total(name)
        yield ModuleNode(
            name=name,
            path=analysis.path,
            is_package=analysis.is_package,
            fan_in=fan_in.get(name, 0),
            fan_out=fan_out.get(name, 0),
            externals=tuple(sorted(used_externals.get(name, ()))),
            import_cost_ms=total,
            import_cost_top=top,
        )


_Occurrence = tuple[int, bool, bool, bool]  # lineno, implicit (a parent package only), movable, eager


class _Builder:
    """Turns import records into edge occurrences, external imports and unresolved imports."""

    def __init__(self, by_name: Mapping[str, FileAnalysis]) -> None:
        self.modules = by_name.keys()
        self.tops = {name.partition(".")[0] for name in by_name}
        # every proper prefix of a module: a package, a regular one or a namespace one
        self.prefixes = {p for name in by_name for p in ancestors(name)}
        self.edge_list: list[Edge] = []
        self.external_list: list[ExternalImport] = []
        self.unresolved: list[UnresolvedImport] = []

    def add_module(self, source: str, is_package: bool, records: Iterable[ImportRecord]) -> None:
        """Modules come in name order, so sorting each module's own edges sorts them all."""
        own_ancestors = {source, *ancestors(source)}
        # keyed by (target, kind rank): small plain tuples sort fast
        occurrences: dict[tuple[str, int], list[_Occurrence]] = defaultdict(list)
        external: dict[tuple[str, int], list[tuple[int, bool]]] = defaultdict(list)
        for record in records:
            target = record.target
            if not record.resolved:
                self.unresolved.append(UnresolvedImport(source, target, record.lineno, _BEYOND_TOP))
            elif target.partition(".")[0] not in self.tops:  # the common case first: stdlib, third party
                if target != "__future__":  # a compiler directive, not a dependency
                    external[(target, _KIND_ORDER[record.kind])].append((record.lineno, record.in_try))
            else:
                self._add_project_import(source, is_package, own_ancestors, record, occurrences)
        self._add_edges(source, occurrences)
        self._add_externals(source, external)

    def _add_project_import(
        self,
        source: str,
        is_package: bool,
        own_ancestors: set[str],
        record: ImportRecord,
        occurrences: dict[tuple[str, int], list[_Occurrence]],
    ) -> None:
        """The occurrences of an import of a project module, and of its parent packages."""
        lineno, rank = record.lineno, _KIND_ORDER[record.kind]
        movable, uses_early, reads_target = _import_flags(record)
        explicit = self._explicit_targets(source, is_package, record)
        for module in explicit:
            if module in self.modules:
                eager = uses_early or (reads_target and module == record.target)
                occurrences[(module, rank)].append((lineno, False, movable, eager))
            elif module not in self.prefixes:  # a namespace package runs no code: nothing to say
                self.unresolved.append(UnresolvedImport(source, module, lineno, _NOT_A_MODULE))
            for parent in ancestors(module):
                if parent in self.modules and parent not in own_ancestors and parent not in explicit:
                    occurrences[(parent, rank)].append((lineno, True, movable, False))

    def _explicit_targets(self, source: str, is_package: bool, record: ImportRecord) -> list[str]:
        """The modules an import names: ``from pkg import sub`` names ``pkg.sub`` when that is a
        project module; names that are not submodules are attributes of ``pkg``, which is then
        imported explicitly."""
        target = record.target
        if not record.names or record.names == ("*",):
            return [target]
        prefix = target + "."
        subs = [sub for sub in (prefix + n for n in record.names) if sub in self.modules]
        if is_package and target == source:
            # `from . import x` in an __init__: the package is in sys.modules already; an `x`
            # that is no project module is an extension or generated module, or an attribute.
            return subs
        return subs if len(subs) == len(record.names) else [target, *subs]

    def _add_edges(self, source: str, occurrences: Mapping[tuple[str, int], list[_Occurrence]]) -> None:
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

    def _add_externals(self, source: str, external: Mapping[tuple[str, int], list[tuple[int, bool]]]) -> None:
        stdlib = sys.stdlib_module_names
        for (module, rank), found in sorted(external.items()):
            top = module.partition(".")[0]
            lines = sorted({lineno for lineno, _ in found})
            in_try = all(o[1] for o in found)
            self.external_list.append(
                ExternalImport(source, module, top, _KINDS[rank], lines[0], len(lines), top in stdlib, in_try)
            )


def _import_flags(record: ImportRecord) -> tuple[bool, bool, bool]:
    """(movable, uses its names at import time, reads the target's contents) of a project import."""
    if record.kind is not _IMPORT:
        return False, False, False
    movable = not (record.module_level_use or record.in_try or record.dynamic)
    reads_target = bool(record.names)  # star, or names that are not modules
    return movable, record.module_level_use, reads_target


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
