"""emit: before/after source of small splits, cross-module links, state, determinism."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from codeopt.errors import TransformError
from codeopt.split.checks import static_checks
from codeopt.split.emit import EmitOptions, emit_package
from codeopt.split.emit_links import FROM_IMPORT, LOCAL_IMPORT, MODULE_IMPORT
from codeopt.split.plan import build_plan
from codeopt.split.units import build_inventory
from tests.split.test_emit_helpers import run_python, split, write_project

SOURCE = '''\
"""Tools."""

from __future__ import annotations

import json
import os.path
from collections import OrderedDict as OD, defaultdict

from . import sibling

LIMIT = 3


# Formats a value.
def fmt(value):
    """Format at most LIMIT characters (the word LIMIT in here is never rewritten)."""
    return json.dumps(value)[:LIMIT]


class Store:
    def save(self, value):
        from .sibling import VALUE
        return fmt(value) + str(VALUE) + os.path.sep + str(OD())
'''

BASE_AFTER = '''\
from __future__ import annotations

import json


LIMIT = 3


# Formats a value.
def fmt(value):
    """Format at most LIMIT characters (the word LIMIT in here is never rewritten)."""
    return json.dumps(value)[:LIMIT]
'''

STORE_AFTER = """\
from __future__ import annotations

import os.path
from collections import OrderedDict as OD

from .base import fmt


class Store:
    def save(self, value):
        from ..sibling import VALUE
        return fmt(value) + str(VALUE) + os.path.sep + str(OD())
"""

SIBLING = {"pkg/sibling.py": "VALUE = 7\n"}


def test_units_are_copied_verbatim_with_only_the_imports_they_use(tmp_path: Path) -> None:
    result = split(tmp_path, SOURCE, {"LIMIT": "base", "fmt": "base", "Store": "store"}, extra=SIBLING)
    assert result.body("pkg/mod/base.py") == BASE_AFTER
    assert result.body("pkg/mod/store.py") == STORE_AFTER


def test_facade_keeps_docstring_imports_and_reexports_every_name(tmp_path: Path) -> None:
    result = split(tmp_path, SOURCE, {"LIMIT": "base", "fmt": "base", "Store": "store"}, extra=SIBLING)
    facade = result.text("pkg/mod/__init__.py")
    assert facade.startswith(
        '"""Tools."""\n\nfrom __future__ import annotations\n\nimport json\nimport os.path\n'
    )
    assert "from collections import OrderedDict as OD, defaultdict\n\nfrom .. import sibling\n" in facade
    assert "from .base import LIMIT, fmt\nfrom .store import Store\n" in facade
    out = run_python(
        tmp_path,
        """
        from pkg.mod import LIMIT, OD, Store, defaultdict, fmt, json, sibling
        print(Store().save([1, 2]), LIMIT, fmt.__module__)
        """,
    )
    assert out.split() == ["[1,7/OrderedDict()", "3", "pkg.mod.base"]


def test_nested_submodules_get_packages_and_deeper_relative_imports(tmp_path: Path) -> None:
    result = split(
        tmp_path, SOURCE, {"LIMIT": "core.base", "fmt": "core.base", "Store": "io.store"}, extra=SIBLING
    )
    assert result.text("pkg/mod/core/__init__.py") == '"""Submodules split out of pkg.mod."""\n'
    store = result.body("pkg/mod/io/store.py")
    assert "from ..core.base import fmt\n" in store
    assert "        from ...sibling import VALUE\n" in store
    assert (
        run_python(tmp_path, "from pkg.mod import Store; print(Store().save(1))").strip()
        == "17/OrderedDict()"
    )


def test_emit_is_deterministic(tmp_path: Path) -> None:
    path = write_project(tmp_path, SOURCE, SIBLING)
    inv = build_inventory(path.read_text(encoding="utf-8"), path, "pkg.mod")
    plan = build_plan(inv, {"LIMIT": "base", "fmt": "base", "Store": "store"}, [])
    first = emit_package(inv, plan)
    again = emit_package(build_inventory(path.read_text(encoding="utf-8"), path, "pkg.mod"), plan)
    assert first == again
    assert list(first) == sorted(first)


MUTUAL = """\
class Node:
    def render(self):
        return "node:" + helper(self)


def helper(node):
    return type(node).__name__ if isinstance(node, Node) else "?"


class Leaf(Node):
    def kind(self):
        return describe(self)


def describe(leaf):
    return "leaf:" + helper(leaf)
"""


def test_call_time_cycle_becomes_module_import_with_qualified_uses(tmp_path: Path) -> None:
    result = split(
        tmp_path, MUTUAL, {"Node": "nodes", "Leaf": "nodes", "helper": "helpers", "describe": "helpers"}
    )
    modes = {(link.source, link.target): link.mode for link in result.emitted.links}
    assert modes == {("nodes", "helpers"): MODULE_IMPORT, ("helpers", "nodes"): MODULE_IMPORT}
    nodes = result.body("pkg/mod/nodes.py")
    assert nodes.startswith("from . import helpers\n")
    assert 'return "node:" + helpers.helper(self)' in nodes
    assert "return helpers.describe(self)" in nodes
    helpers = result.body("pkg/mod/helpers.py")
    assert "isinstance(node, nodes.Node)" in helpers
    for module in ("pkg.mod.nodes", "pkg.mod.helpers", "pkg.mod"):
        out = run_python(tmp_path, f"import {module}; from pkg.mod import Leaf; print(Leaf().kind())")
        assert out.strip() == "leaf:Leaf"


BASE_CYCLE = """\
class Base:
    def run(self):
        return make()


class Child(Base):
    pass


def make():
    return Child()
"""


def test_import_time_edge_plus_reverse_call_uses_a_function_local_import(tmp_path: Path) -> None:
    """``child`` subclasses ``Base`` (import time); ``Base.run`` calls ``make`` in ``child``."""
    result = split(tmp_path, BASE_CYCLE, {"Base": "base", "Child": "child", "make": "child"})
    modes = {(link.source, link.target): link.mode for link in result.emitted.links}
    assert modes == {("base", "child"): LOCAL_IMPORT, ("child", "base"): FROM_IMPORT}
    assert result.body("pkg/mod/base.py") == textwrap.dedent(
        """\
        class Base:
            def run(self):
                from .child import make
                return make()
        """
    )
    assert any("inside the functions" in note for note in result.emitted.notes)
    assert (
        run_python(tmp_path, "import pkg.mod.base as b; print(type(b.Base().run()).__name__)").strip()
        == "Child"
    )


def test_an_import_time_cycle_in_the_layout_is_refused(tmp_path: Path) -> None:
    source = "class A:\n    pass\n\n\nclass B(A):\n    pass\n\n\nclass C(B):\n    pass\n"
    path = write_project(tmp_path, source)
    inv = build_inventory(path.read_text(encoding="utf-8"), path, "pkg.mod")
    with pytest.raises(TransformError, match="import-time cycle between submodules"):
        emit_package(inv, build_plan(inv, {"A": "one", "B": "two", "C": "one"}, []))


STATE = """\
_registry = {}
_mode = "plain"


def configure(mode):
    global _mode
    _mode = mode


def register(name):
    global _registry
    _registry = {**_registry, name: _mode}
    return _registry


def current():
    return _mode, len(_registry)
"""


def test_global_state_is_owned_by_one_module_and_read_through_it(tmp_path: Path) -> None:
    result = split(
        tmp_path,
        STATE,
        {
            "_registry": "_state",
            "_mode": "_state",
            "configure": "config",
            "register": "api",
            "current": "api",
        },
    )
    config = result.body("pkg/mod/config.py")
    assert config == "from . import _state\n\n\ndef configure(mode):\n    _state._mode = mode\n"
    api = result.body("pkg/mod/api.py")
    assert "    _state._registry = {**_state._registry, name: _state._mode}\n" in api
    assert "global" not in api
    out = run_python(
        tmp_path,
        """
        import pkg.mod as m
        m.configure("fancy"); m.register("a")
        print(m.current(), m._mode, sorted(m._registry.items()))
        m._mode = "set-on-facade"
        print(m.current()[0])
        """,
    )
    assert out.splitlines() == ["('fancy', 1) fancy [('a', 'fancy')]", "set-on-facade"]


def test_an_empty_plan_is_not_emitted(tmp_path: Path) -> None:
    path = write_project(tmp_path, "X = 1\n")
    inv = build_inventory(path.read_text(encoding="utf-8"), path, "pkg.mod")
    with pytest.raises(TransformError, match="nothing to split"):
        emit_package(inv, build_plan(inv, {}, []), EmitOptions())


PINNED = """\
__version__ = "1.2"


def version():
    return "v" + __version__
"""


def test_a_facade_name_used_at_call_time_is_imported_inside_the_function(tmp_path: Path) -> None:
    """The facade is still executing when submodules load, so a module-level import of it would fail."""
    result = split(tmp_path, PINNED, {"version": "info"})
    assert (
        result.body("pkg/mod/info.py")
        == 'def version():\n    from . import __version__\n    return "v" + __version__\n'
    )
    assert run_python(tmp_path, "import pkg.mod.info as i; print(i.version())") == "v1.2\n"


def test_a_facade_name_used_at_import_time_is_refused(tmp_path: Path) -> None:
    path = write_project(tmp_path, '__version__ = "1"\n\nLABEL = "v" + __version__\n')
    inv = build_inventory(path.read_text(encoding="utf-8"), path, "pkg.mod")
    with pytest.raises(TransformError, match="uses __version__ at import time"):
        emit_package(inv, build_plan(inv, {"LABEL": "labels"}, []))


INTERLEAVED = """\
Mode = None  # placeholder: helpers check it before the class exists


def helper(x):
    return x if Mode is None else Mode(x)


class Mode(int):
    pass


LABEL = helper(1)
"""


def test_a_unit_made_of_separate_statements_copies_only_its_own_lines(tmp_path: Path) -> None:
    """``Mode = None`` and ``class Mode`` are one unit (one name); ``helper`` between them is not in it."""
    result = split(tmp_path, INTERLEAVED, {"Mode": "modes", "helper": "helpers", "LABEL": "helpers"})
    modes = result.body("pkg/mod/modes.py")
    assert modes == INTERLEAVED.split("\n\n\ndef helper")[0] + "\n\n\nclass Mode(int):\n    pass\n"
    assert "def helper" not in modes
    assert run_python(tmp_path, "from pkg.mod import LABEL, Mode; print(type(LABEL).__name__)") == "Mode\n"


def test_statements_of_units_in_one_file_keep_their_original_order(tmp_path: Path) -> None:
    result = split(tmp_path, INTERLEAVED, {"Mode": "core", "helper": "core", "LABEL": "core"})
    assert result.body("pkg/mod/core.py") == INTERLEAVED


def test_header_and_footer_comments_stay_in_the_facade(tmp_path: Path) -> None:
    source = (
        "#!/usr/bin/env python\n# Copyright notice.\n\nX = 1\n\n\ndef f():\n    return X\n\n# end of module\n"
    )
    result = split(tmp_path, source, {"X": "core", "f": "core"})
    facade = result.text("pkg/mod/__init__.py")
    assert facade.startswith(
        "#!/usr/bin/env python\n# Copyright notice.\n\nfrom .core import X, f\n\n# end of module\n"
    )


FACADE_STATE = """\
def _make():
    return "first"


_current = _make()


def reset(value):
    global _current
    _current = value
    return _current


def current():
    return _current
"""


def test_state_that_stays_in_the_facade_is_read_and_written_through_the_facade(tmp_path: Path) -> None:
    """``_current`` stays (``_make`` runs at import time there); its writer and reader move."""
    result = split(tmp_path, FACADE_STATE, {"reset": "api", "current": "api"})
    api = result.body("pkg/mod/api.py")
    assert api.startswith("from .. import mod\n")
    assert "    mod._current = value\n    return mod._current\n" in api and "global" not in api
    assert static_checks(result.inv, result.plan, result.emitted.files) == ()
    out = run_python(
        tmp_path, "import pkg.mod as m; print(m.current()); m.reset('x'); print(m.current(), m._current)"
    )
    assert out == "first\nx x\n"


ANNOTATED = """\
from __future__ import annotations


class Node:
    parent: Tree | None = None

    def tree(self) -> "Tree":
        return Tree([self])


class Tree:
    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes

    def first(self) -> Node:
        return Node() if not self.nodes else self.nodes[0]
"""


def test_names_in_annotations_are_imported_for_type_checkers_without_cycles(tmp_path: Path) -> None:
    """Mutual call-time uses: module imports; annotation names (also in strings) under TYPE_CHECKING."""
    result = split(tmp_path, ANNOTATED, {"Node": "nodes", "Tree": "trees"})
    nodes = result.body("pkg/mod/nodes.py")
    assert "from . import trees\n" in nodes
    assert "if TYPE_CHECKING:\n    from .trees import Tree\n" in nodes
    assert "    parent: Tree | None = None\n" in nodes and "return trees.Tree([self])" in nodes
    assert "if TYPE_CHECKING:\n    from .nodes import Node\n" in result.body("pkg/mod/trees.py")
    out = run_python(tmp_path, "from pkg.mod import Node; print(type(Node().tree().first()).__name__)")
    assert out == "Node\n"
