"""decide_links: whatever the needs, no from-import (strong edge) ends up on an import cycle."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from codeopt.split.emit_links import (
    FROM_IMPORT,
    LOCAL_IMPORT,
    MODULE_IMPORT,
    TYPE_CHECKING_IMPORT,
    Need,
    decide_links,
    strong_cycles,
)

MODULES = ("a", "b", "c", "d", "e")


def need(
    source: str, target: str, *, import_time: bool = False, call: bool = True, state: bool = False
) -> Need:
    return Need(
        source,
        target,
        frozenset({"x"}) if import_time else frozenset(),
        frozenset({"y"}) if call else frozenset(),
        frozenset(),
        frozenset({"S"}) if state else frozenset(),
        False,
    )


def test_acyclic_call_time_uses_are_plain_from_imports() -> None:
    links = decide_links([need("a", "b"), need("b", "c")], MODULES)
    assert [link.mode for link in links] == [FROM_IMPORT, FROM_IMPORT]


def test_mutual_call_time_uses_are_module_imports_on_both_sides() -> None:
    links = decide_links([need("a", "b"), need("b", "a")], MODULES)
    assert [link.mode for link in links] == [MODULE_IMPORT, MODULE_IMPORT]


def test_reverse_of_an_import_time_use_is_imported_locally() -> None:
    links = decide_links([need("a", "b"), need("b", "a", import_time=True)], MODULES)
    assert [(link.source, link.mode) for link in links] == [("a", LOCAL_IMPORT), ("b", FROM_IMPORT)]


def test_annotation_only_uses_go_under_type_checking() -> None:
    only = Need("a", "b", frozenset(), frozenset(), frozenset({"T"}), frozenset(), False)
    (link,) = decide_links([only], MODULES)
    assert (link.mode, link.annotation_only) == (TYPE_CHECKING_IMPORT, ("T",))


pairs = st.tuples(st.sampled_from(MODULES), st.sampled_from(MODULES), st.booleans(), st.booleans()).filter(
    lambda pair: pair[0] != pair[1]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(pairs, max_size=14, unique_by=lambda pair: (pair[0], pair[1])))
def test_no_strong_edge_lies_on_a_cycle(raw: list[tuple[str, str, bool, bool]]) -> None:
    order = {name: index for index, name in enumerate(MODULES)}
    # import-time uses only "downwards" so that they form a DAG, as the planner guarantees
    needs = [
        need(source, target, import_time=import_time and order[source] > order[target], state=state)
        for source, target, import_time, state in raw
    ]
    links = decide_links(needs, MODULES)
    edges = [
        (link.source, link.target, link.mode == FROM_IMPORT)
        for link in links
        if link.mode in {FROM_IMPORT, MODULE_IMPORT}
    ]
    assert strong_cycles(edges) == ()
    forced = {(n.source, n.target) for n in needs if n.import_time}
    assert all(link.mode == FROM_IMPORT for link in links if (link.source, link.target) in forced)
    graph: nx.DiGraph[str] = nx.DiGraph([(s, t) for s, t, strong in edges if strong])
    assert nx.is_directed_acyclic_graph(graph)
