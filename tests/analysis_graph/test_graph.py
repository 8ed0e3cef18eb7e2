from __future__ import annotations

import json
import pickle
import random
import time
from pathlib import Path

import networkx as nx
import pytest

from codeopt.analysis.graph import (
    GREEDY_MAX_EDGES,
    ChainLink,
    CycleBreaker,
    Edge,
    ImportGraph,
    build_graph,
    feedback_arc_set,
    shortest_cycle,
    strongly_connected_components,
)
from codeopt.analysis.import_cost import estimate_import_cost
from codeopt.analysis.model import EdgeKind
from tests.analysis_graph import analyze_project, record, synthetic, write_project

IMPORT, CALL, TC = EdgeKind.IMPORT_TIME, EdgeKind.CALL_TIME, EdgeKind.TYPE_CHECKING


def graph_of(root: Path, files: dict[str, str]) -> ImportGraph:
    return build_graph(analyze_project(write_project(root, files)))


def edge_set(graph: ImportGraph, source: str) -> set[tuple[str, EdgeKind, bool]]:
    return {(e.target, e.kind, e.implicit) for e in graph.edges if e.source == source}


def test_from_package_import_submodule_points_at_the_submodule(tmp_path: Path) -> None:
    graph = graph_of(
        tmp_path,
        {
            "pkg/__init__.py": "VERSION = 1\n",
            "pkg/sub.py": "",
            "pkg/user.py": "from . import sub\nfrom pkg import VERSION\n",
            "main.py": "from pkg import sub, user\n",
        },
    )
    # `from pkg import VERSION` names an attribute: an explicit edge to the package itself
    assert edge_set(graph, "pkg.user") == {("pkg.sub", IMPORT, False), ("pkg", IMPORT, False)}
    # `from pkg import sub` runs pkg/__init__ first: an implicit edge to the package
    assert edge_set(graph, "main") == {
        ("pkg.sub", IMPORT, False),
        ("pkg.user", IMPORT, False),
        ("pkg", IMPORT, True),
    }
    assert [m.name for m in graph.modules] == ["main", "pkg", "pkg.sub", "pkg.user"]


def test_importing_a_dotted_module_imports_its_parent_packages(tmp_path: Path) -> None:
    graph = graph_of(
        tmp_path,
        {
            "a/__init__.py": "",
            "a/b/__init__.py": "",
            "a/b/c.py": "",
            "a/x.py": "import a.b.c\n",
            "main.py": "import a.b.c\ndef later():\n    import a.b.c\n",
        },
    )
    assert edge_set(graph, "main") == {
        ("a.b.c", IMPORT, False),
        ("a.b", IMPORT, True),
        ("a", IMPORT, True),
        ("a.b.c", CALL, False),
        ("a.b", CALL, True),
        ("a", CALL, True),
    }
    # `a` is a.x's own package: already imported when a.x runs, so no edge to it
    assert edge_set(graph, "a.x") == {("a.b.c", IMPORT, False), ("a.b", IMPORT, True)}
    main_edges = {(e.target, e.kind): e for e in graph.edges if e.source == "main"}
    assert main_edges[("a.b.c", IMPORT)].linenos == (1,)
    assert main_edges[("a.b.c", CALL)].linenos == (3,)


def test_multiplicity_and_line_numbers(tmp_path: Path) -> None:
    graph = graph_of(
        tmp_path,
        {"m.py": "import n\nimport n as again\nfrom n import x\n", "n.py": "x = 1\n"},
    )
    (edge,) = graph.edges
    assert (edge.source, edge.target, edge.kind, edge.count, edge.linenos, edge.lineno) == (
        "m",
        "n",
        IMPORT,
        3,
        (1, 2, 3),
        1,
    )


def test_type_checking_and_call_time_cycles_do_not_break(tmp_path: Path) -> None:
    graph = graph_of(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/engine.py": """
                from typing import TYPE_CHECKING
                from app import helpers
                if TYPE_CHECKING:
                    from app.models import Model
                def go():
                    return helpers
            """,
            "app/helpers.py": """
                def run():
                    from app.engine import go
                    return go()
            """,
            "app/models.py": "from app.engine import go\n",
        },
    )
    assert graph.import_time_sccs == ()
    assert graph.cycles == ()
    assert graph.all_sccs == (("app.engine", "app.helpers", "app.models"),)
    kinds = {(e.source, e.target): e.kind for e in graph.edges}
    assert kinds[("app.engine", "app.helpers")] is IMPORT
    assert kinds[("app.helpers", "app.engine")] is CALL
    assert kinds[("app.engine", "app.models")] is TC


CYCLE_PROJECT = {
    "cyc/__init__.py": "",
    # a -> b is used at module level (a base class): cannot move into a function
    "cyc/a.py": """
        from cyc.b import B
        import cyc.d
        class A(B):
            def other(self):
                return cyc.d
    """,
    # b -> c is used at module level
    "cyc/b.py": """
        import cyc.c
        B = cyc.c.make()
    """,
    # c -> a is used only inside a function: the one to move
    "cyc/c.py": """
        import os
        from cyc import a
        def make():
            return a.A
    """,
    # a longer cycle through the same c -> a edge: a -> d -> b -> c -> a
    "cyc/d.py": """
        from cyc.b import B
        class D(B):
            pass
    """,
}


def test_import_time_cycle_shortest_chain_and_breaker(tmp_path: Path) -> None:
    graph = graph_of(tmp_path, CYCLE_PROJECT)
    assert graph.import_time_sccs == (("cyc.a", "cyc.b", "cyc.c", "cyc.d"),)
    (cycle,) = graph.cycles
    assert cycle.modules == ("cyc.a", "cyc.b", "cyc.c", "cyc.d")
    assert cycle.chain == (
        ChainLink("cyc.a", "cyc.b", 1),
        ChainLink("cyc.b", "cyc.c", 1),
        ChainLink("cyc.c", "cyc.a", 2),
    )
    assert cycle.breakers == (CycleBreaker("cyc.c", "cyc.a", (2,), movable=True, implicit=False),)
    assert cycle.method == "greedy"
    assert cycle.can_fail  # `from cyc.b import B` reads B while cyc.a is being imported
    eager = {(e.source, e.target) for e in graph.edges if e.eager}
    assert eager == {("cyc.a", "cyc.b"), ("cyc.b", "cyc.c"), ("cyc.d", "cyc.b")}


def test_a_cycle_of_plain_imports_used_only_in_functions_cannot_fail(tmp_path: Path) -> None:
    graph = graph_of(
        tmp_path,
        {
            "p/__init__.py": "",
            "p/one.py": "import p.two\ndef f():\n    return p.two.g()\n",
            "p/two.py": "from p import one\ndef g():\n    return one.f\n",
        },
    )
    (cycle,) = graph.cycles
    assert cycle.modules == ("p.one", "p.two")
    assert not cycle.can_fail
    assert not any(e.eager for e in graph.edges)


def test_self_import_is_a_cycle_but_a_package_naming_its_own_attributes_is_not(tmp_path: Path) -> None:
    graph = graph_of(
        tmp_path,
        {
            "solo.py": "import solo\n",
            "pkg/__init__.py": "from . import _speedups\nfrom . import helpers\n",
            "pkg/helpers.py": "",
        },
    )
    (cycle,) = graph.cycles
    assert cycle.modules == ("solo",)
    assert cycle.chain == (ChainLink("solo", "solo", 1),)
    assert [(b.source, b.target) for b in cycle.breakers] == [("solo", "solo")]
    assert cycle.method == "self-import"
    assert not cycle.can_fail  # `import solo` in solo binds the module being imported: harmless
    assert edge_set(graph, "pkg") == {("pkg.helpers", IMPORT, False)}


def test_star_and_optional_imports(tmp_path: Path) -> None:
    graph = graph_of(
        tmp_path,
        {
            "lib/__init__.py": "",
            "lib/text.py": """
                try:
                    import ujson as json
                except ImportError:
                    import json
                import re
                import xml.etree.ElementTree as ET
                def parse(s):
                    return json.loads(s)
            """,
            "lib/use.py": "from lib.text import *\n",
        },
    )
    (star,) = [e for e in graph.edges if e.source == "lib.use"]
    assert (star.target, star.movable) == ("lib.text", False)
    ext = {e.module: e for e in graph.externals if e.source == "lib.text"}
    assert (ext["ujson"].stdlib, ext["ujson"].in_try) == (False, True)
    assert (ext["json"].stdlib, ext["json"].in_try) == (True, True)
    assert (ext["re"].stdlib, ext["re"].in_try) == (True, False)
    assert (ext["xml.etree.ElementTree"].top, ext["xml.etree.ElementTree"].stdlib) == ("xml", True)
    node = graph.module("lib.text")
    assert node is not None and node.externals == ("json", "re", "ujson", "xml")


def test_fan_in_and_fan_out(tmp_path: Path) -> None:
    graph = graph_of(
        tmp_path,
        {
            "hub/__init__.py": "",
            "hub/core.py": "",
            "hub/a.py": "from hub import core\nfrom hub import core as again\n",
            "hub/b.py": "import hub.core\ndef f():\n    import hub.a\n",
            "hub/c.py": """
                from typing import TYPE_CHECKING
                from hub.core import thing
                import hub
                if TYPE_CHECKING:
                    import hub.b
            """,
        },
    )
    fans = {m.name: (m.fan_in, m.fan_out) for m in graph.modules}
    assert fans == {
        "hub": (1, 0),  # only c names the package; implicit parent edges do not count
        "hub.core": (3, 0),
        "hub.a": (1, 1),  # b imports it at call time; two statements, one module
        "hub.b": (0, 2),  # c's type-checking import does not count
        "hub.c": (0, 2),
    }


def test_unresolved_imports_are_reported_not_fatal(tmp_path: Path) -> None:
    graph = graph_of(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/mod.py": "from ... import x\nimport pkg.nothere\nimport ns.inner.leaf\n",
            "ns/inner/leaf.py": "",  # namespace packages: no __init__, no code, nothing to report
        },
    )
    assert [(u.source, u.target, u.lineno) for u in graph.unresolved] == [
        ("pkg.mod", "...", 1),
        ("pkg.mod", "pkg.nothere", 2),
    ]
    assert "beyond the top-level package" in graph.unresolved[0].reason
    assert ("ns.inner.leaf", IMPORT, False) in edge_set(graph, "pkg.mod")


def test_import_cost_is_cumulative_over_the_import_time_closure(tmp_path: Path) -> None:
    files = {
        "costly/__init__.py": "import requests\n",
        "costly/base.py": """
            from typing import TYPE_CHECKING
            import numpy
            import numpy.linalg
            import json
            if TYPE_CHECKING:
                import torch
            def later():
                import pandas
        """,
        "costly/mid.py": "from costly import base\nimport numpy\n",
        "free.py": "def f():\n    import costly.mid\n",
    }
    graph = graph_of(tmp_path, files)
    numpy = estimate_import_cost("numpy").ms
    json_ms = estimate_import_cost("json").ms
    requests = estimate_import_cost("requests").ms
    typing = estimate_import_cost("typing").ms
    assert numpy == 120.0 and requests == 108.0  # the design note's figures
    cost = {m.name: m.import_cost_ms for m in graph.modules}
    # numpy once, although three statements and two modules import it; torch and pandas never
    assert cost["costly.base"] == pytest.approx(numpy + json_ms + typing + requests)
    assert cost["costly.mid"] == pytest.approx(numpy + json_ms + typing + requests)
    assert cost["costly"] == pytest.approx(requests)
    assert cost["free"] == 0.0 and isinstance(cost["free"], float)  # call-time: nothing at import
    base = graph.module("costly.base")
    assert base is not None and base.import_cost_top[0] == ("numpy", numpy)

    measured = build_graph(analyze_project(tmp_path), costs={"numpy": 50.0, "requests": 1.0})
    measured_cost = {m.name: m.import_cost_ms for m in measured.modules}
    assert measured_cost["costly.mid"] == pytest.approx(50.0 + json_ms + typing + 1.0)


def test_import_cost_follows_cycles(tmp_path: Path) -> None:
    graph = graph_of(
        tmp_path,
        {"p.py": "import q\nimport numpy\n", "q.py": "import p\nimport requests\n", "r.py": "import q\n"},
    )
    both = estimate_import_cost("numpy").ms + estimate_import_cost("requests").ms
    assert {m.name: m.import_cost_ms for m in graph.modules} == pytest.approx(
        {"p": both, "q": both, "r": both}
    )


def test_output_is_deterministic_picklable_and_json_friendly(tmp_path: Path) -> None:
    files = analyze_project(write_project(tmp_path, CYCLE_PROJECT))
    first = build_graph(files)
    shuffled = list(files)
    random.Random(4).shuffle(shuffled)
    assert build_graph(shuffled) == first
    assert pickle.loads(pickle.dumps(first)) == first
    data = json.loads(json.dumps(first.as_dict()))
    assert data["edges"][0]["kind"] == "import-time"
    assert data["cycles"][0]["chain"][0] == {"source": "cyc.a", "target": "cyc.b", "lineno": 1}


def test_networkx_view(tmp_path: Path) -> None:
    graph = graph_of(
        tmp_path,
        {"m.py": "import n\ndef f():\n    import n\n", "n.py": "from typing import TYPE_CHECKING\n"},
    )
    full = graph.to_networkx()
    assert set(full.nodes) == {"m", "n"}
    assert full.edges["m", "n"]["kind"] is IMPORT
    assert full.edges["m", "n"]["kinds"] == (IMPORT, CALL)
    assert full.edges["m", "n"]["linenos"] == (1, 3)
    assert graph.to_networkx([CALL]).edges["m", "n"]["kind"] is CALL


# -- cycle breaking at scale ------------------------------------------------------------------------


def assert_breaks_minimally(graph: ImportGraph) -> None:
    """Removing the breakers leaves each component acyclic; putting any single one back does not."""
    import_time = {(e.source, e.target) for e in graph.edges if e.kind is IMPORT}
    for cycle in graph.cycles:
        members = set(cycle.modules)
        inside = {(u, v) for u, v in import_time if u in members and v in members}
        arcs = {(b.source, b.target) for b in cycle.breakers}
        assert arcs <= inside
        sub = nx.DiGraph(list(inside - arcs))
        sub.add_nodes_from(members)
        assert nx.is_directed_acyclic_graph(sub)
        for arc in arcs:
            sub.add_edge(*arc)
            assert not nx.is_directed_acyclic_graph(sub), f"{arc} was not needed"
            sub.remove_edge(*arc)


def test_thirty_module_component_with_many_cycles(tmp_path: Path) -> None:
    n = 30
    files = {"big/__init__.py": ""}
    for i in range(n):
        targets = sorted({(i + 1) % n, (i + 7) % n, (i * 11 + 3) % n} - {i})
        lines = [f"from big import m{t:02d}" for t in targets]
        # every third import is used at module level, the others only in a function
        uses = [
            f"X{k} = m{t:02d}" if (i + k) % 3 == 0 else f"def f{k}():\n    return m{t:02d}"
            for k, t in enumerate(targets)
        ]
        files[f"big/m{i:02d}.py"] = "\n".join(lines + uses) + "\n"
    analyses = analyze_project(write_project(tmp_path, files))
    start = time.process_time()
    graph = build_graph(analyses)
    elapsed = time.process_time() - start
    (cycle,) = graph.cycles
    assert len(cycle.modules) == n
    assert len(cycle.chain) >= 2
    assert cycle.chain[0].source == cycle.chain[-1].target
    assert_breaks_minimally(graph)
    edges_inside = sum(1 for e in graph.edges if e.kind is IMPORT)
    assert len(cycle.breakers) < edges_inside / 2
    movable_share = sum(b.movable for b in cycle.breakers) / len(cycle.breakers)
    assert movable_share > 0.5  # two thirds of the edges are movable, and they are preferred
    assert elapsed < 1.0


def test_big_component_uses_the_linear_heuristic_and_stays_bounded() -> None:
    rng = random.Random(7)
    n = 400
    analyses = []
    for i in range(n):
        targets = {rng.randrange(n) for _ in range(5)} - {i}
        imports = tuple(record(f"m{t:03d}", lineno=k + 1) for k, t in enumerate(sorted(targets)))
        analyses.append(synthetic(f"m{i:03d}", imports))
    start = time.process_time()
    graph = build_graph(analyses)
    elapsed = time.process_time() - start
    biggest = graph.cycles[0]
    assert len(biggest.modules) > 300
    assert sum(1 for e in graph.edges if e.source in biggest.modules) > GREEDY_MAX_EDGES
    assert biggest.method == "eades-lin-smyth"
    assert_breaks_minimally(graph)
    assert elapsed < 10.0


def test_shortest_cycle_tie_break_is_by_name() -> None:
    adj = {"b": ["c"], "c": ["b", "a"], "a": ["c"]}
    assert shortest_cycle(["c", "b", "a"], adj) == ["a", "c", "a"]


def test_feedback_arc_set_prefers_movable_edges() -> None:
    adj = {"a": ["b"], "b": ["c"], "c": ["a"]}
    for movable_edge in [("a", "b"), ("b", "c"), ("c", "a")]:
        arcs, _ = feedback_arc_set(["a", "b", "c"], adj, {movable_edge: 1})
        assert arcs == [movable_edge]


# -- speed --------------------------------------------------------------------------------------


def test_three_thousand_modules_build_fast() -> None:
    rng = random.Random(1)
    names = [f"proj.p{i // 100:02d}.m{i:04d}" for i in range(3000)]
    packages = sorted({name.rpartition(".")[0] for name in names} | {"proj"})
    stdlib = ["os", "re", "json", "typing", "collections", "dataclasses", "logging", "pathlib"]
    analyses = [synthetic(p, (), is_package=True) for p in packages]
    for i, name in enumerate(names):
        # imports point to earlier modules only: no cycles, so this times the graph itself
        targets = {names[rng.randrange(i)] for _ in range(8)} if i else set()
        imports = [record(t, lineno=k + 1) for k, t in enumerate(sorted(targets))]
        imports += [record(m, lineno=20 + k) for k, m in enumerate(rng.sample(stdlib, 3))]
        imports.append(record(names[rng.randrange(3000)], lineno=40, kind=CALL))
        analyses.append(synthetic(name, tuple(imports)))
    start = time.process_time()
    graph = build_graph(analyses)
    elapsed = time.process_time() - start
    assert len(graph.modules) == 3000 + len(packages)
    assert graph.import_time_sccs == ()
    assert all(m.import_cost_ms > 0 for m in graph.modules if m.name in names[1:])
    assert isinstance(graph.edges[0], Edge)
    assert elapsed < 2.0, f"build_graph took {elapsed:.2f} s"


@pytest.mark.parametrize("seed", range(20))
def test_tarjan_agrees_with_networkx(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randrange(1, 60)
    nodes = [f"n{i}" for i in range(n)]
    adj = {u: sorted({rng.choice(nodes) for _ in range(rng.randrange(0, 4))}) for u in nodes}
    reference = nx.DiGraph([(u, v) for u, vs in adj.items() for v in vs])
    reference.add_nodes_from(nodes)
    expected = sorted(sorted(c) for c in nx.strongly_connected_components(reference))
    assert sorted(sorted(c) for c in strongly_connected_components(adj)) == expected


def test_a_long_ring_is_broken_by_one_import() -> None:
    n = 9  # longer than the short cycles sampled first
    analyses = [synthetic(f"r{i}", (record(f"r{(i + 1) % n}", module_level_use=i != 4),)) for i in range(n)]
    graph = build_graph(analyses)
    (cycle,) = graph.cycles
    assert len(cycle.chain) == n
    assert [(b.source, b.target, b.movable) for b in cycle.breakers] == [("r4", "r5", True)]
    assert cycle.can_fail  # the other imports use their module at import time
