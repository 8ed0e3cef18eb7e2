"""The editable layout file: a round trip, and one LayoutError per thing a user can get wrong."""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest

from codeopt.errors import LayoutError
from codeopt.split.layout import dump_layout, load_layout
from codeopt.split.plan import Plan, PlanOptions, build_plan, propose
from codeopt.split.units import Inventory, build_inventory

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "gitkit" / "gitkit" / "git_advanced.py"
LAYOUT = Path("layout.toml")

SMALL = '''
"""Docstring."""

import os

__all__ = ["alpha", "beta"]


def alpha():
    return os.sep


def beta():
    return alpha()


def gamma():
    return 3
'''


@pytest.fixture(scope="module")
def gitkit() -> tuple[Inventory, Plan]:
    inv = build_inventory(FIXTURE.read_text(), FIXTURE, "gitkit.git_advanced")
    return inv, propose(inv)


def small(path: Path = Path("pkg/mod.py")) -> Inventory:
    return build_inventory(SMALL.lstrip("\n"), path, "pkg.mod")


def layout(body: str) -> str:
    return 'version = 1\nmodule = "pkg.mod"\n' + textwrap.dedent(body)


def test_round_trip(gitkit: tuple[Inventory, Plan]) -> None:
    inv, plan = gitkit
    text = dump_layout(plan, inv)
    assert tomllib.loads(text)["module"] == "gitkit.git_advanced"
    assert text.startswith("# codeopt split layout")
    loaded = load_layout(text, LAYOUT, inv)
    assert loaded.submodules == plan.submodules
    assert loaded.facade == plan.facade
    assert loaded.after == plan.after
    assert loaded.notes == (f"layout from {LAYOUT}",)


def test_round_trip_without_inventory_comments(gitkit: tuple[Inventory, Plan]) -> None:
    inv, plan = gitkit
    assert load_layout(dump_layout(plan), LAYOUT, inv).submodules == plan.submodules


def test_a_user_edit_is_applied_as_given() -> None:
    inv = small()
    plan = load_layout(
        layout(
            """
            [facade]
            units = ["gamma"]
            [submodules."core.letters"]
            units = ["beta", "alpha"]
            """
        ),
        LAYOUT,
        inv,
    )
    assert [(sub.name, sub.units) for sub in plan.submodules] == [("core.letters", ("alpha", "beta"))]
    assert plan.home_of("alpha") == "core.letters"
    assert plan.home_of("gamma") is None
    assert "gamma" in plan.facade


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[submodules.a\n", "not a valid TOML layout"),
        ('[submodules.one]\nunits = ["alpha", "beta", "gamma", "delta"]\n', "unknown definition id 'delta'"),
        (
            '[submodules.one]\nunits = ["alpha", "beta"]\n[submodules.two]\nunits = ["alpha", "gamma"]\n',
            "alpha is placed twice",
        ),
        (
            '[facade]\nunits = ["alpha"]\n[submodules.one]\nunits = ["alpha", "beta", "gamma"]\n',
            "placed twice",
        ),
        ('[submodules.one]\nunits = ["alpha", "beta", "gamma", "__all__"]\n', "__all__ is pinned"),
        ('[submodules.one]\nunits = ["alpha", "beta", "gamma", "os"]\n', "os is an import"),
        ('[submodules.one]\nunits = ["alpha", "beta"]\n', "not placed anywhere: gamma"),
        ('[submodules."2bad"]\nunits = ["alpha", "beta", "gamma"]\n', "'2bad' is not a legal identifier"),
        (
            '[submodules."core.class"]\nunits = ["alpha", "beta", "gamma"]\n',
            "'class' is not a legal identifier",
        ),
        ('[submodules.json]\nunits = ["alpha", "beta", "gamma"]\n', "'json' is a stdlib module name"),
        (
            '[submodules.alpha]\nunits = ["alpha", "beta", "gamma"]\n',
            "'alpha' is a name defined in the module",
        ),
        ('[submodules.map]\nunits = ["alpha", "beta", "gamma"]\n', "'map' would shadow the builtin"),
        (
            '[submodules.core]\nunits = ["alpha"]\n[submodules."core.x"]\nunits = ["beta", "gamma"]\n',
            "'core' is also the package of 'core.x'",
        ),
        ('[submodules.one]\nunits = "alpha"\n', "must be a list of definition ids"),
        ('[submodules.one]\nunits = ["alpha", "beta", "gamma"]\n[extra]\n', "unknown key(s): extra"),
    ],
)
def test_each_validation_error(body: str, message: str) -> None:
    with pytest.raises(LayoutError) as caught:
        load_layout(layout(body), LAYOUT, small())
    assert message in caught.value.reason
    assert caught.value.path == str(LAYOUT)


def test_wrong_module_and_version() -> None:
    with pytest.raises(LayoutError, match=r"layout is for module other\.mod"):
        load_layout('module = "other.mod"\n', LAYOUT, small())
    with pytest.raises(LayoutError, match="version 2 is not supported"):
        load_layout("version = 2\n", LAYOUT, small())


def test_sibling_collision(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("")
    inv = small(tmp_path / "mod.py")
    with pytest.raises(LayoutError, match="'helpers' already exists next to the module"):
        load_layout(layout('[submodules.helpers]\nunits = ["alpha", "beta", "gamma"]\n'), LAYOUT, inv)


def test_empty_tables_are_dropped() -> None:
    plan = load_layout(
        layout('[submodules.one]\nunits = ["alpha", "beta", "gamma"]\n[submodules.unused]\nunits = []\n'),
        LAYOUT,
        small(),
    )
    assert [sub.name for sub in plan.submodules] == ["one"]


def test_layout_of_an_empty_plan_round_trips() -> None:
    inv = small()
    plan = propose(inv, PlanOptions())
    assert plan.submodules == ()
    again = load_layout(dump_layout(plan, inv), LAYOUT, inv)
    assert again.submodules == () and again.facade == plan.facade
    assert build_plan(inv, {}, []).facade == plan.facade


def test_a_definition_needing_a_pinned_one_cannot_leave_the_facade() -> None:
    source = '__version__ = "1"\nBANNER = "v" + __version__\n\n\ndef f():\n    return BANNER\n'
    inv = build_inventory(source, Path("pkg/mod.py"), "pkg.mod")
    with pytest.raises(LayoutError, match="BANNER needs a definition that stays in the module"):
        load_layout(layout('[submodules.one]\nunits = ["BANNER", "f"]\n'), LAYOUT, inv)
    plan = load_layout(layout('[facade]\nunits = ["BANNER"]\n[submodules.one]\nunits = ["f"]\n'), LAYOUT, inv)
    assert plan.home_of("f") == "one" and "BANNER" in plan.facade


def test_an_import_time_cycle_between_submodules_is_refused() -> None:
    source = "class Base:\n    pass\n\n\nclass Child(Base):\n    pass\n\n\nINSTANCE = Child()\n"
    inv = build_inventory(source, Path("pkg/mod.py"), "pkg.mod")
    body = '[submodules.one]\nunits = ["Base", "INSTANCE"]\n[submodules.two]\nunits = ["Child"]\n'
    with pytest.raises(LayoutError, match=r"import-time cycle between submodules: .*Child uses Base"):
        load_layout(layout(body), LAYOUT, inv)
