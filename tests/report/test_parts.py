"""The report's building blocks on small inputs: layout, package clustering, cycles, proposal text,
highlighting and split plans."""

from __future__ import annotations

from typing import Any

from codeopt.report.graph_svg import MAX_NODES, draw
from codeopt.report.highlight import highlight, split_lines
from codeopt.report.layout import layered
from codeopt.report.plans import split_plans
from codeopt.report.prose import Block, blocks, spans


def graph(
    modules: list[str], edges: list[tuple[str, str]], sccs: tuple[tuple[str, ...], ...] = ()
) -> dict[str, Any]:
    return {
        "modules": [
            {"name": m, "path": m.replace(".", "/") + ".py", "import_cost_ms": 1.0 + i}
            for i, m in enumerate(modules)
        ],
        "edges": [
            {"source": s, "target": t, "kind": "import-time", "implicit": False, "count": 1} for s, t in edges
        ],
        "import_time_sccs": [list(c) for c in sccs],
        "cycles": [{"modules": list(c)} for c in sccs],
    }


def files(modules: list[str], sloc: int = 10) -> list[dict[str, Any]]:
    return [{"path": m.replace(".", "/") + ".py", "raw": {"sloc": sloc}} for m in modules]


def test_layers_put_importers_above_what_they_import() -> None:
    edges = [
        ("app", "db"),
        ("app", "web"),
        ("web", "db"),
        ("db", "util"),
        ("cli", "app"),
        ("x", "y"),
        ("y", "x"),
    ]
    rows = layered(["app", "cli", "db", "util", "web", "x", "y"], edges, max_row=10)
    row = {name: index for index, names in enumerate(rows) for name in names}
    for source, target in edges:
        if {source, target} != {"x", "y"}:
            assert row[source] < row[target], (source, target, rows)
    assert row["x"] == row["y"]  # a cycle shares a layer
    assert sorted(n for r in rows for n in r) == ["app", "cli", "db", "util", "web", "x", "y"]


def test_long_layers_wrap() -> None:
    leaves = [f"m{i}" for i in range(30)]
    rows = layered(["root", *leaves], [("root", leaf) for leaf in leaves], max_row=12)
    assert [len(r) for r in rows] == [1, 10, 10, 10]


def test_cycle_edges_are_red_and_sizes_follow_sloc() -> None:
    modules = ["pkg.a", "pkg.b", "pkg.c"]
    drawing = draw(
        graph(modules, [("pkg.a", "pkg.b"), ("pkg.b", "pkg.a"), ("pkg.b", "pkg.c")], (("pkg.a", "pkg.b"),)),
        [
            {"path": "pkg/a.py", "raw": {"sloc": 400}},
            {"path": "pkg/b.py", "raw": {"sloc": 100}},
            {"path": "pkg/c.py", "raw": {"sloc": 0}},
        ],
    )
    kinds = sorted(e.kind for e in drawing.edges)
    assert kinds == ["cycle", "cycle", "import"]
    nodes = {n.name: n for n in drawing.nodes}
    assert nodes["pkg.a"].cycle and nodes["pkg.b"].cycle and not nodes["pkg.c"].cycle
    assert nodes["pkg.a"].r > nodes["pkg.b"].r > nodes["pkg.c"].r
    assert drawing.depth is None and drawing.width > 0 and drawing.height > 0


def test_large_graphs_collapse_into_packages_with_counts() -> None:
    modules = [f"app.part{i // 20}.mod{i}" for i in range(400)]  # 20 packages of 20 modules
    edges = [(modules[i], modules[i + 20]) for i in range(380)]  # each package imports the next 20 times
    drawing = draw(graph(modules, edges), files(modules))
    assert len(modules) > MAX_NODES
    assert drawing.depth == 2 and len(drawing.nodes) == 20 and drawing.modules == 400
    assert all("(20 modules): 200 SLOC" in n.title for n in drawing.nodes)
    assert len(drawing.edges) == 19
    assert all("(20 imports, at import time)" in e.title for e in drawing.edges)


def test_proposals_keep_code_blocks() -> None:
    text = (
        "Check one out of a pool:\n    import functools\n\n    @functools.cache\n    def pool():\n"
        "        return 1\nand in `f`, use it:\n    with pool() as x:\n        ..."
    )
    assert blocks(text) == [
        Block("text", "Check one out of a pool:"),
        Block("code", "import functools\n\n@functools.cache\ndef pool():\n    return 1"),
        Block("text", "and in `f`, use it:"),
        Block("code", "with pool() as x:\n    ..."),
    ]
    assert [(s.code, s.text) for s in spans("use `a` or ``b`c``")] == [
        (False, "use "),
        (True, "a"),
        (False, " or "),
        (True, "b`c"),
    ]


def test_highlighting_escapes_and_follows_multiline_strings() -> None:
    lines = split_lines('x = """a\n<b>\n"""  # c & d\ndef f(): return 1\r\nif x:\n')
    html = highlight(lines, 5)
    assert html[1] == '<span class="st">&lt;b&gt;</span>'  # inside the string that starts on line 1
    assert html[2] == '<span class="st">&#34;&#34;&#34;</span>  <span class="cm"># c &amp; d</span>'
    assert html[3].startswith('<span class="kw">def</span> <span class="fn">f</span>')
    assert html[4] == '<span class="kw">if</span> x:'


def test_untokenizable_code_stays_plain_and_escaped() -> None:
    html = highlight(split_lines('s = "<unterminated\nif <x>:'), 2)
    assert "<unterminated" not in "".join(html) and "&lt;x&gt;" in html[1]


def test_split_plans_read_the_groups_of_co101_proposals() -> None:
    proposal = (
        "Split into 3 submodules: {merge: _run_git, merge_branch, ... (+17)}, {pull: GitError}, "
        "and 1 smaller groups. `codeopt split a.py` plans this split."
    )
    (plan,) = split_plans(
        [
            {
                "rule": "CO101",
                "path": "a.py",
                "symbol": "a",
                "message": "m",
                "proposal": proposal,
                "fix": "f",
            },
            {
                "rule": "CO102",
                "path": "a.py",
                "symbol": "g",
                "message": "m",
                "proposal": "{x: y}",
                "fix": None,
            },
        ]
    )
    assert [(g.label, g.members, g.more) for g in plan.groups] == [
        ("merge", ("_run_git", "merge_branch"), 17),
        ("pull", ("GitError",), 0),
    ]
    assert plan.smaller_groups == 1 and plan.fix == "f"
    (unknown,) = split_plans([{"rule": "CO101", "path": "b.py", "message": "m", "proposal": "Split it."}])
    assert unknown.groups == () and unknown.proposal == "Split it."


def test_labels_are_the_shortest_unambiguous_suffix() -> None:
    modules = ["db.backends.mysql.base", "db.backends.sqlite3.base", "db.models", "base"]
    drawing = draw(graph(modules, []), files(modules))
    assert {n.name: n.label for n in drawing.nodes} == {
        "db.backends.mysql.base": "mysql.base",
        "db.backends.sqlite3.base": "sqlite3.base",
        "db.models": "models",
        "base": "base",
    }
