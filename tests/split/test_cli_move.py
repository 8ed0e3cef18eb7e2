"""``codeopt move`` end to end (real subprocesses, a real git repository): named definitions go to a new
submodule, the rest stays in the old module's facade, every old import keeps working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.split.test_cli_split import assert_one_line_error, codeopt, init_repo, snapshot

MODULE = '''\
"""Tools."""

import os

LIMIT = 3


def helper(x):
    return x + LIMIT


def other(y):
    return helper(y) * 2


def main():
    return other(len(os.sep))
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "pkg" / "tools.py").write_text(MODULE, encoding="utf-8")
    test = ["from pkg.tools import helper, main", "", "", "def test_it():", "    assert helper(1) == 4"]
    (tmp_path / "test_tools.py").write_text(
        "\n".join([*test, "    assert main() == 8", ""]), encoding="utf-8"
    )
    return init_repo(tmp_path)


def test_move_previews_then_applies_with_verify(project: Path) -> None:
    before = snapshot(project)
    preview = codeopt("move", "pkg.tools.helper", "pkg.tools.LIMIT", "--to", "pkg.tools.core", cwd=project)
    assert preview.code == 0, preview.err
    assert "core.py" in preview.out and "+++ b/pkg/tools/core.py" in preview.out
    assert snapshot(project) == before

    suite = f"{sys.executable} -m pytest -q -p no:cacheprovider test_tools.py"
    done = codeopt(
        "move",
        "helper",
        "LIMIT",
        "--from",
        "pkg/tools.py",
        "--to",
        "core",
        "--apply",
        "--verify",
        suite,
        cwd=project,
    )
    assert done.code == 0, done.out + done.err
    assert "1 tests collected" in done.out
    core = (project / "pkg" / "tools" / "core.py").read_text(encoding="utf-8")
    assert "def helper(x):" in core and "LIMIT = 3" in core
    facade = (project / "pkg" / "tools" / "__init__.py").read_text(encoding="utf-8")
    assert "def other(y):" in facade and "def helper" not in facade
    check = "from pkg.tools import helper, other, LIMIT, main; print(helper.__module__, main())"
    out = subprocess.run(
        [sys.executable, "-c", check], cwd=project, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["pkg.tools.core", "8"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("helper", "--to", "core"), "qualify each NAME"),
        (("pkg.tools.helper", "--to", "pkg.elsewhere"), "must be a new submodule of pkg.tools"),
        (("pkg.tools.nothing", "--to", "core"), "defines no 'nothing'"),
        (("pkg.tools.helper", "--to", "class"), "not a legal module name"),
        (("pkg.missing.helper", "--to", "core"), "cannot find module pkg.missing"),
    ],
)
def test_move_usage_errors_are_one_line_exit_2(project: Path, args: tuple[str, ...], fragment: str) -> None:
    before = snapshot(project)
    result = codeopt("move", *args, cwd=project)
    assert result.code == 2, result.out + result.err
    assert_one_line_error(result, fragment)
    assert snapshot(project) == before
