"""One small before/after case per pitfall of ../shared/design/split.md (numbers as there)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from codeopt.split.refusals import refusals_in_source
from tests.split.test_emit_helpers import run_python, split, write_project


def test_1_patching_the_old_path_reaches_moved_code_in_another_submodule(tmp_path: Path) -> None:
    source = """\
        class Abort(Exception):
            pass


        def confirm(answer):
            if answer != "y":
                raise Abort(answer)
            return True
        """
    split(tmp_path, source, {"Abort": "exceptions", "confirm": "prompts"})
    out = run_python(
        tmp_path,
        """
        from unittest import mock
        import pkg.mod

        class Fake(Exception):
            pass

        with mock.patch("pkg.mod.Abort", Fake):
            try:
                pkg.mod.confirm("n")
            except Fake:
                print("patched class raised")
        with mock.patch.object(pkg.mod, "confirm", return_value="stub"):
            print(pkg.mod.confirm("n"))
        try:
            pkg.mod.confirm("n")
        except pkg.mod.Abort:
            print("original restored")
        """,
    )
    assert out.splitlines() == ["patched class raised", "stub", "original restored"]


def test_2_private_and_imported_names_stay_importable(tmp_path: Path) -> None:
    source = "import os\n\n\ndef _builder():\n    return os.sep\n\n\ndef public():\n    return _builder()\n"
    split(tmp_path, source, {"_builder": "build", "public": "api"})
    assert (
        run_python(tmp_path, "from pkg.mod import _builder, os, public; print(_builder() == os.sep)")
        == "True\n"
    )


DOCTESTS = '''\
def double(x):
    """
    >>> double(2)
    4
    """
    return 2 * x


class Box:
    """
    >>> Box().get()
    4
    """

    def get(self):
        """
        >>> Box().get() + 1
        5
        """
        return double(2)
'''


def test_3_doctest_suite_of_the_old_module_finds_the_moved_examples(tmp_path: Path) -> None:
    code = "import doctest; suite = doctest.DocTestSuite('pkg.mod'); print(suite.countTestCases())"
    write_project(tmp_path / "before", DOCTESTS)
    split(tmp_path / "after", DOCTESTS, {"double": "maths", "Box": "boxes"})
    assert run_python(tmp_path / "before", code) == run_python(tmp_path / "after", code) == "3\n"


def test_4_pickles_written_before_the_split_load_after_it(tmp_path: Path) -> None:
    source = "class Point:\n    def __init__(self, x):\n        self.x = x\n"
    write_project(tmp_path / "before", source)
    pickled = run_python(
        tmp_path / "before", "import pickle; from pkg.mod import Point; print(pickle.dumps(Point(3)).hex())"
    )
    split(tmp_path / "after", source, {"Point": "geometry"}, keep=True)
    out = run_python(
        tmp_path / "after",
        f"import pickle; p = pickle.loads(bytes.fromhex({pickled.strip()!r})); print(p.x, repr(type(p)))",
    )
    assert out.strip() == "3 <class 'pkg.mod.Point'>"


def test_5_code_inspecting_its_own_module_is_refused() -> None:
    source = "def fixers():\n    return [f for n, f in globals().items() if n[:4] == 'fix_']\n"
    (refusal,) = refusals_in_source(source)
    assert refusal.line == 2 and refusal.reason.startswith("scans its own globals()")


def test_6_conditional_definitions_move_as_one_unit(tmp_path: Path) -> None:
    source = """\
        import sys

        try:
            import tomllib as toml
        except ImportError:
            toml = None

        if sys.version_info >= (3, 8):
            def version():
                return "new"
        else:
            def version():
                return "old"


        def describe():
            return version(), toml is not None
        """
    result = split(tmp_path, source, {"toml": "compat", "version": "compat", "describe": "api"})
    compat = result.body("pkg/mod/compat.py")
    assert "try:\n    import tomllib as toml\nexcept ImportError:\n    toml = None\n" in compat
    assert 'if sys.version_info >= (3, 8):\n    def version():\n        return "new"\nelse:\n' in compat
    assert run_python(tmp_path, "from pkg.mod import describe; print(describe())") == "('new', True)\n"


def test_7_relative_imports_deepen_future_imports_spread_local_imports_stay(tmp_path: Path) -> None:
    source = """\
        from __future__ import annotations

        from .settings import DEFAULT


        def load(name: str) -> str:
            from .settings import lookup
            import json
            return json.dumps(lookup(name) or DEFAULT)
        """
    extra = {"pkg/settings.py": "DEFAULT = 'none'\n\n\ndef lookup(name):\n    return {'a': 1}.get(name)\n"}
    result = split(tmp_path, source, {"load": "io.loader"}, extra=extra)
    assert result.body("pkg/mod/io/loader.py") == textwrap.dedent(
        """\
        from __future__ import annotations

        from ...settings import DEFAULT


        def load(name: str) -> str:
            from ...settings import lookup
            import json
            return json.dumps(lookup(name) or DEFAULT)
        """
    )
    assert run_python(tmp_path, "from pkg.mod import load; print(load('a'), load('b'))") == '1 "none"\n'


def test_8_main_block_and_name_dependent_code_are_kept_and_reported(tmp_path: Path) -> None:
    source = """\
        import logging

        logger = logging.getLogger(__name__)


        def main():
            return logger.name


        if __name__ == "__main__":
            print(main())
        """
    result = split(tmp_path, source, {"logger": "log", "main": "cli"})
    assert any("logger (line 3) uses __name__" in note for note in result.emitted.notes)
    assert any("python -m pkg.mod" in note for note in result.emitted.notes)
    assert run_python(tmp_path, "", "-m", "pkg.mod") == "pkg.mod.log\n"


def test_9_a_definition_exists_exactly_once(tmp_path: Path) -> None:
    source = """\
        class GitError(Exception):
            pass


        def fail():
            raise GitError("boom")
        """
    split(tmp_path, source, {"GitError": "errors", "fail": "ops"})
    out = run_python(
        tmp_path,
        """
        import pkg.mod, pkg.mod.errors, pkg.mod.ops
        try:
            pkg.mod.fail()
        except pkg.mod.GitError as error:
            same = pkg.mod.GitError is pkg.mod.errors.GitError is pkg.mod.ops.GitError
            print(same, isinstance(error, pkg.mod.GitError))
        """,
    )
    assert out == "True True\n"


def test_10_comments_travel_docstring_stays_strings_are_never_rewritten(tmp_path: Path) -> None:
    source = '''\
        """Module docstring mentions helper()."""


        # Comment above walk travels with it.
        def walk(node):
            """Calls helper(node); this docstring keeps the bare name."""
            return "helper" + helper(node)


        def helper(node):
            return walk.__name__ if node else "helper"
        '''
    result = split(tmp_path, source, {"walk": "walking", "helper": "helping"})
    walking = result.body("pkg/mod/walking.py")
    assert "# Comment above walk travels with it.\ndef walk(node):\n" in walking
    assert '"""Calls helper(node); this docstring keeps the bare name."""' in walking
    assert 'return "helper" + helping.helper(node)' in walking
    assert result.text("pkg/mod/__init__.py").startswith('"""Module docstring mentions helper()."""\n')
    assert run_python(tmp_path, "from pkg.mod import walk; print(walk(1))") == "helperwalk\n"


def test_11_module_aliases_avoid_local_names(tmp_path: Path) -> None:
    source = """\
        def shape(kind):
            return kind


        def draw(shapes):
            return [shape(item) for item in shapes] + [render()]


        def render():
            return draw.__name__
        """
    result = split(tmp_path, source, {"shape": "shapes", "draw": "drawing", "render": "shapes"})
    drawing = result.body("pkg/mod/drawing.py")
    assert drawing.startswith("from . import shapes as _shapes_module\n")
    assert "return [_shapes_module.shape(item) for item in shapes] + [_shapes_module.render()]" in drawing
    assert run_python(tmp_path, "from pkg.mod import draw; print(draw(['a']))") == "['a', 'draw']\n"


def test_6b_names_bound_on_some_paths_only_are_never_imported_by_name(tmp_path: Path) -> None:
    """A platform branch or an ``except ... as err`` target may not exist: read it through its module."""
    source = """\
        import sys

        if sys.platform == "no-such-platform":
            def native():
                return "native"

        try:
            import no_such_module_anywhere as accel
        except ImportError as err:
            REASON = str(err)


        def describe():
            return ("portable", REASON)


        def use():
            return native() if sys.platform == "no-such-platform" else describe()
        """
    result = split(
        tmp_path, source, {"native": "platform", "accel": "platform", "describe": "api", "use": "api"}
    )
    api = result.body("pkg/mod/api.py")
    assert "from . import platform\n" in api and "platform.native() if" in api
    facade = result.text("pkg/mod/__init__.py")
    assert "from .platform import" not in facade
    assert "for _codeopt_name in (\n    'native',\n    'accel',\n    'err',\n    'REASON',\n):" in facade
    out = run_python(
        tmp_path,
        """
        import pkg.mod
        from pkg.mod import *
        print(pkg.mod.use()[0], hasattr(pkg.mod, "native"), hasattr(pkg.mod, "REASON"), "REASON" in dir())
        """,
    )
    assert out == "portable False True True\n"


def test_7b_an_import_placed_after_code_to_break_a_cycle_stays_late(tmp_path: Path) -> None:
    """``pkg/other.py`` imports ``Base`` from the module, which imports ``helper`` from it at the end."""
    source = """\
        class Base:
            def run(self):
                return helper(self)


        from pkg.other import helper  # noqa: E402  (other imports Base from us)
        """
    extra = {
        "pkg/other.py": "from pkg.mod import Base\n\n\ndef helper(obj):\n    return isinstance(obj, Base)\n"
    }
    write_project(tmp_path / "before", source, extra)
    assert run_python(tmp_path / "before", "from pkg.mod import Base; print(Base().run())") == "True\n"
    result = split(tmp_path / "after", source, {"Base": "base"}, extra=extra)
    base = result.body("pkg/mod/base.py")
    assert (
        base == "class Base:\n    def run(self):\n        from . import helper\n        return helper(self)\n"
    )
    out = run_python(
        tmp_path / "after",
        """
        from unittest import mock
        from pkg.mod import Base
        print(Base().run())
        with mock.patch("pkg.mod.helper", return_value="patched"):
            print(Base().run())
        """,
    )
    assert out == "True\npatched\n"
