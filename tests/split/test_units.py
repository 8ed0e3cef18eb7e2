"""Units: what moves whole, what stays in the facade, and where each begins and ends."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from codeopt.errors import ParseFailure
from codeopt.split.units import Inventory, Unit, build_inventory


def inventory(source: str) -> Inventory:
    return build_inventory(textwrap.dedent(source).lstrip("\n"), Path("pkg/mod.py"), "pkg.mod")


def by_id(inv: Inventory) -> dict[str, Unit]:
    return {unit.id: unit for unit in inv.units}


SAMPLE = '''
"""Module docstring."""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["helper", "Thing"]
__version__ = "1.0"

# A constant with a comment above it.
LIMIT = 10
A, B = 1, 2


# Section header for the helper
@staticmethod
@other
def helper(x: int) -> int:
    return x + LIMIT


class Thing:
    size = LIMIT


if sys.version_info >= (3, 11):
    def compat() -> int:
        return 1
else:
    def compat() -> int:
        return 2

try:
    import json
except ImportError:
    json = None

try:
    import tomllib
except ImportError:
    import tomli as tomllib

print("side effect")


def __getattr__(name: str) -> Any:
    raise AttributeError(name)


if __name__ == "__main__":
    helper(1)
'''


def test_each_kind_of_unit() -> None:
    units = by_id(inventory(SAMPLE))
    assert units["statement@1"].pinned == "docstring"
    assert units["annotations"].kind == "import" and units["annotations"].pinned == "future-import"
    assert units["os"].kind == "import" and units["os"].pinned is None
    assert units["Any"].names == ("Any",)
    assert units["__all__"].pinned == "__all__"
    assert units["__version__"].pinned == "dunder"
    assert units["LIMIT"].kind == "assignment" and units["LIMIT"].pinned is None
    assert units["A"].names == ("A", "B")
    assert units["helper"].kind == "function"
    assert units["Thing"].kind == "class"
    assert units["__getattr__"].pinned == "__getattr__"
    main = next(unit for unit in units.values() if unit.pinned == "main-block")
    assert main.kind == "statement"
    side = next(unit for unit in units.values() if unit.pinned == "side-effect")
    assert side.first_line == side.last_line


def test_comments_and_decorators_travel_with_the_definition() -> None:
    inv = inventory(SAMPLE)
    lines = inv.source.splitlines()
    helper = inv.unit("helper")
    assert lines[helper.first_line - 1] == "# Section header for the helper"
    assert lines[helper.last_line - 1] == "    return x + LIMIT"
    assert helper.lines == 5
    limit = inv.unit("LIMIT")
    assert lines[limit.first_line - 1] == "# A constant with a comment above it."


def test_conditional_blocks_are_one_unit() -> None:
    inv = inventory(SAMPLE)
    compat = inv.unit("compat")
    assert compat.kind == "conditional" and compat.pinned is None
    assert len(compat.body_indexes) == 1
    assert inv.source.splitlines()[compat.first_line - 1].startswith("if sys.version_info")
    json_unit = inv.unit_of("json")
    assert json_unit is not None and json_unit.kind == "conditional"  # binds json by assignment too
    toml = inv.unit_of("tomllib")
    assert toml is not None and toml.kind == "import"  # only imports: copied like an import


def test_statements_binding_one_name_join_one_unit() -> None:
    inv = inventory(
        """
        def f():
            return 1


        def g():
            return f()


        f = wrap(f)
        COUNT = 0
        COUNT += 1
        """
    )
    f = inv.unit("f")
    assert f.body_indexes == (0, 2)
    assert inv.unit("COUNT").body_indexes == (3, 4)
    assert {"f", "COUNT"} <= inv.rebound_globals


def test_statements_that_only_mutate_a_definition_travel_with_it() -> None:
    # dateutil's rrule: `M365MASK = list(...)` ... `del M365MASK[59]` ... `M365MASK = tuple(M365MASK)`
    inv = inventory(
        """
        import atexit

        MASK = list(range(10))
        HANDLERS = []


        def handler():
            pass


        TMP = 1
        del TMP, MASK[5]
        HANDLERS.append(handler)
        MASK[0] = -1
        atexit.register(handler)
        print("loaded")
        """
    )
    assert inv.unit("MASK").body_indexes == (1, 4, 5, 7)  # with TMP, which the same `del` unbinds
    assert inv.unit("MASK").pinned is None
    assert inv.unit("HANDLERS").body_indexes == (2, 6)
    # a call on an imported module and a bare call stay where they are, in the facade
    pinned = [unit for unit in inv.units if unit.pinned == "side-effect"]
    assert [unit.body_indexes for unit in pinned] == [(8,), (9,)]


def test_units_are_in_source_order_with_unique_ids() -> None:
    inv = inventory(SAMPLE)
    ids = [unit.id for unit in inv.units]
    assert len(ids) == len(set(ids))
    firsts = [unit.first_line for unit in inv.units]
    assert firsts == sorted(firsts)
    assert inv.future_imports == ("annotations",)
    assert inv.module_name == "pkg.mod"


def test_definition_claims_its_name_over_an_import() -> None:
    inv = inventory(
        """
        from os.path import join

        def join(*parts):
            return "/".join(parts)
        """
    )
    assert inv.unit("join").kind == "function"
    assert inv.unit_of("join") == inv.unit("join")
    assert inv.unit("import@1").kind == "import"


def test_same_input_same_inventory() -> None:
    assert inventory(SAMPLE) == inventory(SAMPLE)


def test_bad_source_raises_parse_failure_naming_the_file() -> None:
    with pytest.raises(ParseFailure, match=r"pkg/mod\.py"):
        inventory("def broken(:\n")


@pytest.mark.parametrize("source", ["", "# only a comment\n", "x = 1", "a = 1; b = 2\n"])
def test_degenerate_modules(source: str) -> None:
    inv = build_inventory(source, Path("m.py"), "m")
    assert all(unit.first_line <= unit.last_line for unit in inv.units)
    assert len({unit.id for unit in inv.units}) == len(inv.units)


def test_newer_syntax_is_read_through_the_lowered_tree() -> None:
    inv = inventory(
        """
        type Alias = list[int]


        def first[T](xs: list[T]) -> T:
            return xs[0]
        """
    )
    assert [unit.id for unit in inv.units] == ["Alias", "first"]
