"""How each new module reaches the names it uses from a sibling, without an import-time cycle.

Three forms, in order of preference:

* ``from .other import name`` (*from-import*): plain, but ``other`` must have finished executing when
  this module starts, so it is a *strong* edge;
* ``from . import other`` and ``other.name`` at the use (*module-import*): the module object is bound
  even while ``other`` is still executing, so the name is looked up when the code runs (a *weak* edge);
* ``from .other import name`` inside the function that uses it (*local-import*): no edge at import time.

Import-time uses force strong edges; the planner guarantees they form a DAG. Every other use takes the
first form that keeps this invariant: **no strong edge lies on a cycle** of the module graph. Python
always executes the facade (the package ``__init__``) first, all imports sit at the top of each file,
and a from-import only fails when its target is on the import stack still executing its imports; that
requires a cycle through a strong edge. Cycles made only of module-imports are safe because
``from . import other`` falls back to ``sys.modules`` for a module that is still initialising.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx

from codeopt.errors import TransformError

FROM_IMPORT = "from-import"
MODULE_IMPORT = "module-import"
LOCAL_IMPORT = "local-import"
TYPE_CHECKING_IMPORT = "type-checking"


@dataclass(frozen=True)
class Need:
    """What ``source`` needs from ``target``: names by when they are used, and state names."""

    source: str
    target: str
    import_time: frozenset[str]
    call_time: frozenset[str]
    annotation: frozenset[str]
    state: frozenset[str]  # module state rebound through ``global``: always read as ``target.NAME``
    state_import_time: bool


@dataclass(frozen=True)
class Link:
    """The form chosen for one (source, target) pair."""

    source: str
    target: str
    mode: str  # FROM_IMPORT | MODULE_IMPORT | LOCAL_IMPORT | TYPE_CHECKING_IMPORT
    names: tuple[str, ...]  # names imported by name (from-import / local / type-checking)
    state: tuple[str, ...]  # names read through the module object
    annotation_only: tuple[str, ...]  # names needed only by deferred annotations


def decide_links(needs: Sequence[Need], order: Sequence[str]) -> tuple[Link, ...]:
    """One link per pair, deterministic (pairs in ``order`` of source then target)."""
    rank = {name: position for position, name in enumerate(order)}
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(order)
    ordered = sorted(needs, key=lambda need: (rank[need.source], rank[need.target]))
    everything: nx.DiGraph[str] = nx.DiGraph()
    everything.add_nodes_from(order)
    for need in ordered:
        if need.import_time or need.state_import_time:
            graph.add_edge(need.source, need.target, strong=True)
        if need.import_time or need.call_time or need.state:
            everything.add_edge(need.source, need.target)
    _require_dag(graph)
    component = {
        node: index
        for index, members in enumerate(nx.strongly_connected_components(everything))
        for node in members
    }
    return tuple(_link(graph, need, component[need.source] != component[need.target]) for need in ordered)


def _require_dag(graph: nx.DiGraph[str]) -> None:
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    chain = " -> ".join([edge[0] for edge in cycle] + [cycle[0][0]])
    raise TransformError(f"the layout makes an import-time cycle between submodules: {chain}")


def _link(graph: nx.DiGraph[str], need: Need, acyclic: bool) -> Link:
    """``acyclic``: source and target are in different strongly connected parts of all the needs.

    Names in annotations stay bare (never ``module.NAME``): unless they are from-imported anyway they
    are imported under ``TYPE_CHECKING`` (``annotation_only``), so type checkers and linters see them.
    """
    names = tuple(sorted(need.import_time | need.call_time))
    mode = _mode(graph, need, names, acyclic)
    annotated = need.annotation - set(names) if mode == FROM_IMPORT else need.annotation
    state = () if mode == TYPE_CHECKING_IMPORT else tuple(sorted(need.state))
    kept = () if mode == TYPE_CHECKING_IMPORT else names
    return Link(need.source, need.target, mode, kept, state, tuple(sorted(annotated)))


def _mode(graph: nx.DiGraph[str], need: Need, names: tuple[str, ...], acyclic: bool) -> str:
    source, target = need.source, need.target
    if graph.has_edge(source, target) and graph.edges[source, target]["strong"]:
        return FROM_IMPORT
    if not names and not need.state:
        return TYPE_CHECKING_IMPORT
    if names and acyclic and not _closes_cycle(graph, source, target):
        graph.add_edge(source, target, strong=True)
        return FROM_IMPORT
    if _weak_edge_allowed(graph, source, target):
        if not graph.has_edge(source, target):
            graph.add_edge(source, target, strong=False)
        return MODULE_IMPORT
    return LOCAL_IMPORT


def _closes_cycle(graph: nx.DiGraph[str], source: str, target: str) -> bool:
    return source == target or bool(nx.has_path(graph, target, source))


def _weak_edge_allowed(graph: nx.DiGraph[str], source: str, target: str) -> bool:
    """A weak edge may close cycles only if every edge on them is weak too."""
    if not nx.has_path(graph, target, source):
        return True
    after_target = nx.descendants(graph, target) | {target}
    before_source = nx.ancestors(graph, source) | {source}
    return not any(
        data["strong"] and u in after_target and v in before_source for u, v, data in graph.edges(data=True)
    )


def strong_cycles(edges: Iterable[tuple[str, str, bool]]) -> tuple[tuple[str, ...], ...]:
    """Cycles of a module graph that contain a strong (from-import) edge: import-time failures."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    for source, target, strong in edges:
        if graph.has_edge(source, target):
            graph.edges[source, target]["strong"] = graph.edges[source, target]["strong"] or strong
        else:
            graph.add_edge(source, target, strong=strong)
    found: list[tuple[str, ...]] = []
    for component in nx.strongly_connected_components(graph):
        members = set(component)
        inner = [
            (u, v)
            for u, v, data in graph.edges(data=True)
            if data["strong"] and u in members and v in members
        ]
        if inner and (len(members) > 1 or any(u == v for u, v in inner)):
            found.append(tuple(sorted(members)))
    return tuple(sorted(found))


def module_alias(target: str, taken: Mapping[str, object] | frozenset[str] | set[str]) -> str:
    """A name for ``from . import target`` that no code of the importing file already uses."""
    last = target.rsplit(".", 1)[-1]
    candidates = [last, f"_{last}_module"] + [f"_{last}_module{number}" for number in range(2, 100)]
    for candidate in candidates:
        if candidate not in taken:
            return candidate
    raise TransformError(f"no free name to import submodule {target}")
