"""project_references finds every way the project reaches the module; rewrite_importers retargets imports."""

from __future__ import annotations

import textwrap
from pathlib import Path

from codeopt.split.references import ImportRef, PatchTarget, project_references, rewrite_importers
from tests.split.test_emit_helpers import run_python, split, write_project

SOURCE = """\
import os


def helper():
    return "helper"


def _private():
    return helper()


class Widget:
    pass
"""

CLIENTS = {
    "pkg/client.py": """\
        from .mod import Widget, helper as h  # keep this comment
        from . import mod as m


        def use():
            from pkg.mod import _private
            return m.helper(), getattr(m, "Widget"), h, _private
        """,
    "pkg/star.py": "from pkg.mod import *\n",
    "tests/test_mod.py": """\
        import pkg.mod
        import pkg.mod as mm
        from unittest import mock


        def test_it(monkeypatch):
            with mock.patch("pkg.mod.helper", return_value=1):
                pass
            with mock.patch.object(mm, "_private"):
                pass
            monkeypatch.setattr(pkg.mod, "os", None)
            monkeypatch.setattr("pkg.mod.Widget.attr", 1, raising=False)
            assert pkg.mod.Widget.__module__ == "pkg.mod"
            assert repr(pkg.mod.Widget) == "<class 'pkg.mod.Widget'>"
        """,
    "unrelated.py": "import json\n",
}


def test_every_kind_of_reference_is_found(tmp_path: Path) -> None:
    module = write_project(tmp_path, SOURCE, CLIENTS)
    refs = project_references(tmp_path, "pkg.mod", skip=[module])
    client = tmp_path / "pkg" / "client.py"
    tests = tmp_path / "tests" / "test_mod.py"
    assert ImportRef(client, 1, "from", 1, "mod", (("Widget", None), ("helper", "h"))) in refs.importers
    assert ImportRef(client, 2, "import", 1, "", ()) in refs.importers
    assert ImportRef(client, 6, "from", 0, "pkg.mod", (("_private", None),)) in refs.importers
    assert refs.star_importers == (tmp_path / "pkg" / "star.py",)
    assert refs.used_names == {"Widget", "helper", "_private", "os"}
    assert refs.patch_targets == (
        PatchTarget(tests, 7, "mock.patch", "pkg.mod.helper", "helper"),
        PatchTarget(tests, 9, "patch.object", "pkg.mod._private", "_private"),
        PatchTarget(tests, 11, "monkeypatch.setattr", "pkg.mod.os", "os"),
        PatchTarget(tests, 12, "monkeypatch.setattr", "pkg.mod.Widget.attr", "Widget"),
    )
    assert refs.patched_names == {"helper", "_private", "os", "Widget"}
    assert [(line, what) for path, line, what in refs.module_path_uses] == [
        (13, "__module__"),
        (14, "repr string"),
    ]
    assert refs.suggests_keep_module_names
    assert (refs.files_scanned, refs.files_parsed) == (5, 3)  # the module itself skipped; 3 mention "mod"


def test_rewrite_importers_points_from_imports_at_the_new_homes(tmp_path: Path) -> None:
    result = split(
        tmp_path, SOURCE, {"helper": "core", "_private": "core", "Widget": "widgets"}, extra=CLIENTS
    )
    refs = project_references(tmp_path, "pkg.mod")
    changed = rewrite_importers(refs, result.plan, result.inv)
    client = tmp_path / "pkg" / "client.py"
    assert sorted(changed) == [client]
    assert changed[client] == textwrap.dedent(
        """\
        from .mod.core import helper as h  # keep this comment
        from .mod.widgets import Widget
        from . import mod as m


        def use():
            from pkg.mod.core import _private
            return m.helper(), getattr(m, "Widget"), h, _private
        """
    )
    client.write_text(changed[client], encoding="utf-8")
    out = run_python(tmp_path, "from pkg.client import use; print(use()[0])")
    assert out.strip() == "helper"
    assert rewrite_importers(project_references(tmp_path, "pkg.mod"), result.plan, result.inv) == {}


def test_doctests_run_per_file_ask_for_kept_module_names(tmp_path: Path) -> None:
    # pytest --doctest-modules would collect a moved doctest twice (new file + the facade's __test__)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "mod.py").write_text("def f():\n    '''\n    >>> f()\n    1\n    '''\n    return 1\n")
    assert not project_references(tmp_path, "pkg.mod").suggests_keep_module_names
    (tmp_path / "tox.ini").write_text("[testenv]\ncommands =\n    pytest --doctest-modules pkg tests\n")
    refs = project_references(tmp_path, "pkg.mod")
    assert refs.suggests_keep_module_names
    assert (tmp_path / "tox.ini", 3, "runs doctests per file (--doctest-modules)") in refs.module_path_uses
