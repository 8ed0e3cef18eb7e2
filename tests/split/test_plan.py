"""The planner: determinism, idempotence, repair steps, and the fixture's plan."""

from __future__ import annotations

import textwrap
from pathlib import Path

import networkx as nx
import pytest

from codeopt.split.cluster import unit_graph
from codeopt.split.layout import dump_layout
from codeopt.split.plan import Plan, PlanOptions, movable_units, propose
from codeopt.split.repair import COMMON, STATE, Partition, break_cycles, extract_common, extract_state
from codeopt.split.units import Inventory, build_inventory

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "gitkit" / "gitkit" / "git_advanced.py"


def inventory(source: str) -> Inventory:
    return build_inventory(textwrap.dedent(source).lstrip("\n"), Path("pkg/mod.py"), "pkg.mod")


def partition(inv: Inventory, parts: list[list[str]]) -> Partition:
    movable, _, _ = movable_units(inv)
    return Partition(inv, unit_graph(inv, movable), parts)


@pytest.fixture(scope="module")
def gitkit() -> tuple[Inventory, Plan]:
    inv = build_inventory(FIXTURE.read_text(), FIXTURE, "gitkit.git_advanced")
    return inv, propose(inv)


def test_same_input_same_plan(gitkit: tuple[Inventory, Plan]) -> None:
    inv, plan = gitkit
    again = build_inventory(FIXTURE.read_text(), FIXTURE, "gitkit.git_advanced")
    assert propose(again) == plan
    assert dump_layout(propose(again), again) == dump_layout(plan, inv)


def test_every_movable_unit_placed_once_and_pinned_ones_stay(gitkit: tuple[Inventory, Plan]) -> None:
    inv, plan = gitkit
    placed = [unit for submodule in plan.submodules for unit in submodule.units]
    assert len(placed) == len(set(placed))
    movable = {unit.id for unit in inv.units if unit.movable}
    assert movable == set(placed) | (movable & set(plan.facade))
    assert {unit.id for unit in inv.units if unit.pinned} <= set(plan.facade)
    assert not any(inv.unit(unit).kind == "import" for unit in placed)
    names = [submodule.name for submodule in plan.submodules]
    assert names == sorted(names)


def test_fixture_plan_is_a_nested_layout_a_reviewer_accepts(gitkit: tuple[Inventory, Plan]) -> None:
    _, plan = gitkit
    home = plan.home_of
    assert {name.split(".")[0] for name in (sub.name for sub in plan.submodules)} >= {
        "core",
        "workflows",
        "utils",
    }
    assert (home("_run_git") or "").startswith("core.")
    assert (home("create_branch") or "").startswith("core.")
    assert home("create_branch") == home("BranchNamingPolicy") == home("find_stale_branches")
    assert (home("GitError") or "").startswith("core.")
    assert home("GitError") == home("GitCommandError") == home("CIConfigError")
    assert (home("validate_ref_name") or "").startswith("utils.")
    for workflow in ("PullRequestStore", "CodeReviewer", "run_pipeline"):
        assert (home(workflow) or "").startswith("workflows."), workflow
    assert home("PullRequestStore") != home("CodeReviewer") != home("run_pipeline")
    assert home("_config") == "_state"  # rebound by configure(), read everywhere
    assert plan.after.largest_lines <= 600
    assert plan.after.modularity > plan.before.modularity


def test_no_import_time_cycle_between_new_modules(gitkit: tuple[Inventory, Plan]) -> None:
    inv, plan = gitkit
    graph = nx.DiGraph()
    for edge in inv.edges:
        a, b = plan.home_of(edge.source), plan.home_of(edge.target)
        if edge.kind == "import-time" and a and b and a != b:
            graph.add_edge(a, b)
    assert nx.is_directed_acyclic_graph(graph)


def test_small_or_cohesive_module_proposes_nothing() -> None:
    inv = inventory(
        """
        def a():
            return b()


        def b():
            return 1
        """
    )
    plan = propose(inv)
    assert plan.submodules == ()
    assert plan.after == plan.before
    assert any("nothing to split" in note for note in plan.notes)
    assert set(plan.facade) == {"a", "b"}


def test_each_proposed_submodule_proposes_nothing_again(gitkit: tuple[Inventory, Plan]) -> None:
    """Idempotence: what a split produces is small enough to be left alone by the next run."""
    inv, plan = gitkit
    lines = inv.source.splitlines()
    for submodule in plan.submodules[:4]:
        text = "\n".join(
            "\n".join(lines[inv.unit(unit).first_line - 1 : inv.unit(unit).last_line])
            for unit in submodule.units
        )
        again = build_inventory(text + "\n", Path("sub.py"), "sub")
        assert propose(again).submodules == (), submodule.name


def test_facade_of_a_split_package_proposes_nothing() -> None:
    inv = inventory(
        '''
        """The facade."""

        from .core.git import run_git, GitResult
        from .workflows.pull_request import PullRequest

        __all__ = ["run_git", "GitResult", "PullRequest"]
        '''
    )
    assert propose(inv).submodules == ()


def test_definition_needing_a_pinned_one_at_import_time_stays() -> None:
    body = "\n\n".join(f"def f{i}():\n" + "    x = 1\n" * 40 + "    return x" for i in range(20))
    inv = inventory(f'__version__ = "1.0"\nBANNER = "v" + __version__\n\n{body}\n')
    movable, kept, _notes = movable_units(inv)
    assert kept == ["BANNER"] and "BANNER" not in movable
    plan = propose(inv)
    assert plan.home_of("BANNER") is None and "BANNER" in plan.facade


def test_break_import_time_cycle() -> None:
    inv = inventory(
        """
        class Base:
            pass


        class Child(Base):
            pass


        INSTANCE = Child()


        def use():
            return INSTANCE
        """
    )
    # Base and INSTANCE in one module, Child in the other: Child needs Base, INSTANCE needs Child.
    part = partition(inv, [["Base", "INSTANCE", "use"], ["Child"]])
    assert part.cyclic_edges()
    notes: list[str] = []
    break_cycles(part, notes)
    assert part.cyclic_edges() == []
    assert set(part.home) == {"Base", "Child", "INSTANCE", "use"}


def test_extract_state_for_a_rebound_global_read_elsewhere() -> None:
    inv = inventory(
        """
        _config = None


        def configure(value):
            global _config
            _config = value


        def read():
            return _config
        """
    )
    part = partition(inv, [["_config", "configure"], ["read"]])
    extract_state(part, [])
    assert part.home["_config"] == STATE
    kept = partition(inv, [["_config", "configure", "read"]])
    extract_state(kept, [])
    assert kept.home["_config"] != STATE  # writer and readers together: nothing to do


def test_extract_common_for_a_helper_used_across_modules() -> None:
    inv = inventory(
        """
        def helper(x):
            return x + 1


        def a_main():
            return helper(1) + b_main() + c_main()


        def b_main():
            return helper(2)


        def c_main():
            return helper(3)
        """
    )
    part = partition(inv, [["helper", "a_main"], ["b_main"], ["c_main"]])
    notes: list[str] = []
    extract_common(part, 80, 600, 0, notes)
    assert part.home["helper"] == COMMON
    assert part.home["a_main"] != COMMON
    assert notes


def test_options_bound_module_sizes(gitkit: tuple[Inventory, Plan]) -> None:
    inv, _ = gitkit
    plan = propose(inv, PlanOptions(min_lines=150, max_lines=450, nested=False))
    assert all("." not in submodule.name for submodule in plan.submodules)
    sizes = [sum(inv.unit(unit).lines for unit in sub.units) for sub in plan.submodules]
    assert max(sizes) <= 450
    assert len(plan.submodules) < len(propose(inv).submodules)


def test_lcom4_components_are_the_split_when_the_module_already_falls_apart() -> None:
    def family(prefix: str) -> str:
        funcs = [
            f"def {prefix}_{i}():\n" + "    x = 1\n" * 30 + f"    return {prefix}_{i + 1}()\n"
            for i in range(4)
        ]
        return "\n\n".join(funcs) + f"\n\ndef {prefix}_4():\n    return 0\n"

    inv = inventory(family("alpha") + "\n\n" + family("beta"))
    plan = propose(inv, PlanOptions(min_lines=60, max_lines=200))
    groups = sorted(tuple(sorted(sub.units)) for sub in plan.submodules)
    assert groups == [tuple(f"alpha_{i}" for i in range(5)), tuple(f"beta_{i}" for i in range(5))]
    assert any("LCOM4 = 2" in note for note in plan.notes)
    assert sum(plan.after.cross_edges.values()) == 0


def test_what_runs_at_import_time_counts_as_import_time() -> None:
    inv = inventory(
        """
        def helper():
            return 1


        def deco(func):
            helper()
            return func


        @deco
        def decorated():
            return 2
        """
    )
    part = partition(inv, [["deco", "decorated"], ["helper"]])
    # `decorated` needs `deco` when imported, and `deco` then calls `helper`.
    assert part.import_deps["decorated"] == {"deco", "helper"}


def test_a_definition_over_half_the_limit_gets_a_module_of_its_own() -> None:
    methods = "\n".join(
        f"    def m{i}(self):\n" + "        x = 1\n" * 8 + "        return helper_0()\n" for i in range(40)
    )
    helpers = "\n\n".join(
        f"def helper_{i}():\n" + "    y = 2\n" * 20 + f"    return helper_{i + 1}()\n" for i in range(10)
    )
    inv = inventory(f"class Giant:\n{methods}\n\n{helpers}\n\n\ndef helper_10():\n    return 0\n")
    plan = propose(inv, PlanOptions(min_lines=80, max_lines=300))
    giant = plan.home_of("Giant")
    assert giant is not None
    assert [sub.units for sub in plan.submodules if sub.name == giant] == [("Giant",)]
    assert any("Giant" in note and "over 300 lines" in note for note in plan.notes)


def test_a_call_at_import_time_to_a_function_needing_a_pinned_unit_stays() -> None:
    body = "\n\n".join(f"def f{i}():\n" + "    x = 1\n" * 40 + "    return x" for i in range(20))
    source = '__version__ = "1.0"\n\n\ndef banner():\n    return "v" + __version__\n\n\nBANNER = banner()\n'
    inv = inventory(source + "\n\n" + body + "\n")
    _, kept, _ = movable_units(inv)
    assert kept == ["BANNER"]  # banner() itself may move: it reads __version__ only when called


def test_byte_identical_layout_across_hash_seeds() -> None:
    """Set iteration order changes with PYTHONHASHSEED; the plan must not."""
    import os
    import subprocess
    import sys

    script = (
        "import sys; from pathlib import Path\n"
        "from codeopt.split.units import build_inventory\n"
        "from codeopt.split.plan import propose\n"
        "from codeopt.split.layout import dump_layout\n"
        "p = Path(sys.argv[1]); inv = build_inventory(p.read_text(), p, 'gitkit.git_advanced')\n"
        "sys.stdout.write(dump_layout(propose(inv), inv))\n"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", script, str(FIXTURE)], capture_output=True, text=True, env=env, check=True
        )
        outputs.add(run.stdout)
    assert len(outputs) == 1
