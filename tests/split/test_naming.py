"""Submodule names: distinctive, legal, and never colliding with what already exists."""

from __future__ import annotations

import textwrap
from pathlib import Path

from codeopt.split.cluster import stem, tokens
from codeopt.split.naming import is_legal, name_modules, snake_case, taken_names
from codeopt.split.units import Inventory, build_inventory


def inventory(source: str, path: Path = Path("pkg/mod.py")) -> Inventory:
    return build_inventory(textwrap.dedent(source).lstrip("\n"), path, "pkg.mod")


def test_tokens_and_snake_case() -> None:
    assert tokens("_parse_HTTPHeader2") == ["parse", "http", "header", "2"]
    assert snake_case("BranchManager") == "branch_manager"
    assert stem("branches") == "branch"
    assert stem("status") == "status"
    assert stem("rules") == "rule"


def test_distinctive_tokens_name_the_module() -> None:
    inv = inventory(
        """
        def create_branch(): pass
        def delete_branch(): pass
        def rename_branch(): pass
        def render_report(): pass
        def write_report(): pass
        def report_summary(): pass
        """
    )
    clusters = [
        ["create_branch", "delete_branch", "rename_branch"],
        ["render_report", "write_report", "report_summary"],
    ]
    names = name_modules(inv, clusters, taken_names(inv))
    assert names == ["branch", "report"]


def test_dominant_class_names_its_module() -> None:
    inv = inventory(
        """
        class BranchManager:
            def a(self): pass
            def b(self): pass
            def c(self): pass

        def branch_helper(): pass
        """
    )
    assert name_modules(inv, [["BranchManager", "branch_helper"]], taken_names(inv)) == ["branch_manager"]


def test_names_never_collide_with_module_names_stdlib_or_each_other() -> None:
    inv = inventory(
        """
        def json_dump(): pass
        def json_load(): pass
        def json_text(): pass
        def queue_put(): pass
        def queue_get_all(): pass
        def queue_size(): pass
        def queue_drain(): pass
        queue = None
        """
    )
    taken = taken_names(inv)
    clusters = [
        ["json_dump", "json_load", "json_text"],
        ["queue_put", "queue_get_all", "queue_size", "queue_drain"],
    ]
    names = name_modules(inv, clusters, taken)
    assert "json" not in names  # a stdlib module
    assert "queue" not in names  # a stdlib module and a module-level name
    assert len(set(names)) == 2
    assert all(is_legal(name) for name in names)
    assert set(names) <= taken  # chosen names are reserved for the next ones


def test_sibling_files_are_taken(tmp_path: Path) -> None:
    (tmp_path / "branch.py").write_text("")
    (tmp_path / "mod.py").write_text("")
    inv = inventory(
        """
        def create_branch(): pass
        def delete_branch(): pass
        """,
        tmp_path / "mod.py",
    )
    [name] = name_modules(inv, [["create_branch", "delete_branch"]], taken_names(inv))
    assert name != "branch" and is_legal(name)


def test_keywords_and_illegal_names_are_refused() -> None:
    assert not is_legal("class")
    assert "match" in taken_names(inventory("x = 1\n"))
    assert not is_legal("2fast")
    assert not is_legal("Has-Dash")
    assert is_legal("git_operations")


def test_a_family_of_classes_is_named_in_the_plural() -> None:
    inv = inventory(
        """
        class BaseRule: pass
        class LongLineRule(BaseRule): pass
        class TodoRule(BaseRule): pass
        class ParseError(Exception): pass
        class ReadError(ParseError): pass
        """
    )
    taken = taken_names(inv)
    assert name_modules(inv, [["BaseRule", "LongLineRule", "TodoRule"]], taken) == ["rules"]
    assert name_modules(inv, [["ParseError", "ReadError"]], taken) == ["errors"]


def test_builtins_are_taken() -> None:
    inv = inventory(
        """
        def map_keys(): pass
        def map_values(): pass
        def map_items(): pass
        """
    )
    taken = taken_names(inv)
    assert "map" in taken and "filter" in taken
    assert name_modules(inv, [["map_keys", "map_values", "map_items"]], taken) != ["map"]
