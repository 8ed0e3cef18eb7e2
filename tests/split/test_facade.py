"""The facade at run time: forwarded writes, state, re-exports, star imports, doctests, __module__."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeopt.split.checks import static_checks
from tests.split.test_emit_helpers import run_python, split, write_project

SOURCE = '''\
"""Greeting helpers.

>>> 2 + 3
5
"""

import os
import textwrap as _tw

_PREFIX = "hi"
_calls = 0


def _decorate(text):
    """Wrap ``text``.

    >>> _decorate("x")
    '[x]'
    """
    return "[" + text + "]"


def greet(name):
    """Greet somebody.

    >>> greet("ann")
    '[hi ann]'
    """
    global _calls
    _calls += 1
    return _decorate(_PREFIX + " " + name)


class Greeter:
    """Greets with style.

    >>> Greeter().hello("bo")
    '[hi bo]'
    """

    def hello(self, name):
        """Example.

        >>> Greeter().hello("cy")
        '[hi cy]'
        """
        return greet(name)

    @staticmethod
    def shout(name):
        """Example.

        >>> Greeter.shout("di")
        '[HI DI]'
        """
        return greet(name).upper()

    @property
    def sep(self):
        """Example.

        >>> Greeter().sep == os.sep
        True
        """
        return os.sep

    class Inner:
        """Example.

        >>> Greeter.Inner().x
        1
        """

        x = 1


def __getattr__(name):
    if name == "legacy":
        return greet
    raise AttributeError(name)


if __name__ == "__main__":
    print(greet("main"))
'''

ASSIGNMENT = {"_PREFIX": "_state", "_calls": "_state", "_decorate": "text", "greet": "api", "Greeter": "api"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    split(tmp_path, SOURCE, ASSIGNMENT)
    return tmp_path


def test_mock_patch_of_the_old_path_reaches_the_moved_caller(project: Path) -> None:
    out = run_python(
        project,
        """
        from unittest import mock
        import pkg.mod
        with mock.patch("pkg.mod._decorate", side_effect=lambda text: "<" + text + ">") as fake:
            print(pkg.mod.greet("ann"), fake.call_count)
        print(pkg.mod.greet("ann"))
        """,
    )
    assert out.splitlines() == ["<hi ann> 1", "[hi ann]"]


def test_monkeypatch_setattr_and_undo_on_the_module_object(project: Path) -> None:
    out = run_python(
        project,
        """
        import pytest
        import pkg.mod
        patch = pytest.MonkeyPatch()
        patch.setattr(pkg.mod, "_decorate", str.upper)
        patch.setattr(pkg.mod, "_PREFIX", "yo")
        print(pkg.mod.Greeter().hello("bo"))
        patch.undo()
        print(pkg.mod.Greeter().hello("bo"), pkg.mod._PREFIX)
        patch.setattr("pkg.mod.os", type("FakeOs", (), {"sep": "|"}))
        print(pkg.mod.Greeter().sep)
        patch.undo()
        """,
    )
    assert out.splitlines() == ["YO BO", "[hi bo] hi", "|"]


def test_state_rebound_by_moved_code_is_seen_through_the_old_path(project: Path) -> None:
    out = run_python(
        project,
        """
        import pkg.mod
        from pkg.mod import greet
        greet("a"); greet("b")
        print(pkg.mod._calls)
        pkg.mod._calls = 10
        greet("c")
        import pkg.mod._state as state
        print(pkg.mod._calls, state._calls, "_calls" in vars(pkg.mod))
        """,
    )
    assert out.splitlines() == ["2", "11 11 False"]


def test_private_and_imported_names_are_importable_from_the_old_path(project: Path) -> None:
    out = run_python(
        project,
        """
        from pkg.mod import _PREFIX, _calls, _decorate, _tw, os, Greeter, greet
        import pkg.mod
        print(_PREFIX, _decorate("z"), _tw.__name__, os.__name__, pkg.mod.legacy is greet)
        """,
    )
    assert out.split() == ["hi", "[z]", "textwrap", "os", "True"]


def test_star_import_exports_the_same_names_as_before(tmp_path: Path) -> None:
    code = "ns = {}; exec('from pkg.mod import *', ns); print(sorted(k for k in ns if k != '__builtins__'))"
    write_project(tmp_path / "before", SOURCE)
    before = run_python(tmp_path / "before", code)
    split(tmp_path / "after", SOURCE, ASSIGNMENT)
    after = run_python(tmp_path / "after", code)
    assert before == after
    assert "api" not in after and "text" not in after


def test_python_dash_m_still_runs_the_main_block(project: Path) -> None:
    assert run_python(project, "", "-m", "pkg.mod").strip() == "[hi main]"
    assert (
        (project / "pkg" / "mod" / "__main__.py")
        .read_text(encoding="utf-8")
        .startswith("from . import greet\n")
    )


COUNT = "import doctest; print(doctest.DocTestSuite('pkg.mod').countTestCases())"
RUN = (
    "import doctest, unittest\n"
    "result = unittest.TextTestRunner().run(doctest.DocTestSuite('pkg.mod'))\n"
    "print(result.wasSuccessful())"
)


@pytest.mark.parametrize("keep", [False, True])
def test_doctest_suite_of_the_old_module_collects_the_same_examples(tmp_path: Path, keep: bool) -> None:
    write_project(tmp_path / "before", SOURCE)
    before = int(run_python(tmp_path / "before", COUNT))
    split(tmp_path / "after", SOURCE, ASSIGNMENT, keep=keep)
    after = int(run_python(tmp_path / "after", COUNT))
    assert before == after == 8
    assert run_python(tmp_path / "after", RUN).strip() == "True"


PYTEST_COLLECT = ("-m", "pytest", "--doctest-modules", "-q", "-p", "no:cacheprovider", "--co", "pkg")


def collected_doctests(root: Path) -> list[str]:
    """Doctest ids as pytest --doctest-modules collects them, without the file part."""
    lines = run_python(root, "", *PYTEST_COLLECT).splitlines()
    return sorted(line.split("::", 1)[1] for line in lines if "::" in line)


def test_pytest_doctest_modules_collects_the_same_ids_with_keep_module_names(tmp_path: Path) -> None:
    write_project(tmp_path / "before", SOURCE)
    split(tmp_path / "after", SOURCE, ASSIGNMENT, keep=True)
    before = collected_doctests(tmp_path / "before")
    assert len(before) == 8
    assert collected_doctests(tmp_path / "after") == before


def test_without_keep_module_names_pytest_doctest_modules_sees_examples_twice(tmp_path: Path) -> None:
    """The documented trade-off: the facade's __test__ serves DocTestSuite, pytest also reads the files."""
    result = split(tmp_path, SOURCE, ASSIGNMENT)
    assert any("would collect them twice" in note for note in result.emitted.notes)
    ids = collected_doctests(tmp_path)
    assert "pkg.mod.__test__.greet" in ids and "pkg.mod.api.greet" in ids


def test_keep_module_names_keeps_reprs_and_pickles_and_reports_the_cost(tmp_path: Path) -> None:
    result = split(tmp_path, SOURCE, ASSIGNMENT, keep=True)
    assert result.emitted.renamed == ("_decorate", "greet", "Greeter")
    assert any("inspect.getsource()" in note for note in result.emitted.notes)
    out = run_python(
        tmp_path,
        """
        import pickle
        from pkg.mod import Greeter, greet
        print(repr(Greeter), greet.__module__, Greeter.hello.__module__, Greeter.Inner.__module__)
        print(type(pickle.loads(pickle.dumps(Greeter()))).__qualname__)
        print(pickle.dumps(Greeter.Inner()).count(b"pkg.mod.api"))
        """,
    )
    assert out.splitlines() == ["<class 'pkg.mod.Greeter'> pkg.mod pkg.mod pkg.mod", "Greeter", "0"]


def test_without_keep_module_names_objects_report_their_new_home(project: Path) -> None:
    out = run_python(project, "from pkg.mod import Greeter; print(repr(Greeter))")
    assert out.strip() == "<class 'pkg.mod.api.Greeter'>"


STATEFUL = """\
_level = 0


def raise_level():
    global _level
    _level += 1
    return _level


def __getattr__(name):
    if name == "level":
        return _level
    raise AttributeError(name)
"""


def test_facade_code_reads_state_where_it_now_lives(tmp_path: Path) -> None:
    """The pinned module ``__getattr__`` reads ``_level``, which moved to ``_state`` with its writer."""
    result = split(tmp_path, STATEFUL, {"_level": "_state", "raise_level": "levels"})
    assert "        return _state._level\n" in result.text("pkg/mod/__init__.py")
    assert static_checks(result.inv, result.plan, result.emitted.files) == ()
    out = run_python(
        tmp_path, "import pkg.mod as m; m.raise_level(); m.raise_level(); print(m.level, m._level)"
    )
    assert out == "2 2\n"
