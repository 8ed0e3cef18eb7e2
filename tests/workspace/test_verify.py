"""run_tests/compare: counts parsed from real pytest and unittest runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from codeopt.workspace.verify import compare, parse_counts, run_tests

PY = sys.executable


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("===== 3 passed, 1 skipped in 0.12s =====", (4, 3, 0, 0, 1)),
        ("== 1 failed, 2 passed, 1 error in 1.00s ==", (4, 2, 1, 1, 0)),
        ("== 5 passed, 2 xfailed, 1 xpassed, 3 deselected in 2s ==", (8, 6, 0, 0, 2)),
        ("...\nRan 12 tests in 0.003s\n\nOK (skipped=2)\n", (12, 10, 0, 0, 2)),
        ("Ran 7 tests in 0.1s\n\nFAILED (failures=1, errors=2)\n", (7, 4, 1, 2, 0)),
        ("===== no tests ran in 0.01s =====", (0, 0, 0, 0, 0)),
        ("Segmentation fault", (-1, -1, -1, -1, -1)),
    ],
)
def test_parse_counts(output: str, expected: tuple[int, ...]) -> None:
    counts = parse_counts(output)
    assert (
        counts["collected"],
        counts["passed"],
        counts["failed"],
        counts["errors"],
        counts["skipped"],
    ) == expected


def _project(tmp_path: Path, body: str) -> Path:
    (tmp_path / "test_it.py").write_text(body)
    return tmp_path


def test_real_pytest_run_counts_doctests(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text('def f():\n    """\n    >>> f()\n    1\n    """\n    return 1\n')
    _project(tmp_path, "def test_a():\n    assert True\n")
    run = run_tests(f"{PY} -m pytest -q -p no:cacheprovider --doctest-modules", tmp_path)
    assert run.green
    assert (run.collected, run.passed) == (2, 2)


def test_real_unittest_run(tmp_path: Path) -> None:
    _project(
        tmp_path, "import unittest\nclass T(unittest.TestCase):\n    def test_x(self):\n        self.fail()\n"
    )
    run = run_tests(f"{PY} -m unittest -q", tmp_path)
    assert not run.green
    assert (run.collected, run.failed) == (1, 1)


def test_compare_catches_lost_tests_and_failures(tmp_path: Path) -> None:
    _project(tmp_path, "def test_a():\n    pass\ndef test_b():\n    pass\n")
    before = run_tests(f"{PY} -m pytest -q -p no:cacheprovider", tmp_path)
    assert compare(before, before) is None
    _project(tmp_path, "def test_a():\n    pass\n")
    fewer = run_tests(f"{PY} -m pytest -q -p no:cacheprovider", tmp_path)
    assert "collected 1 tests after the change, 2 before" in (compare(before, fewer) or "")
    _project(tmp_path, "def test_a():\n    pass\ndef test_b():\n    assert 0\n")
    failing = run_tests(f"{PY} -m pytest -q -p no:cacheprovider", tmp_path)
    assert "failed after the change (exit 1, 1 passed, 1 failed, 0 errors of 2)" in (
        compare(before, failing) or ""
    )


def test_timeout_is_a_failed_run(tmp_path: Path) -> None:
    run = run_tests(f"{PY} -c 'import time; time.sleep(5)'", tmp_path, timeout=0.5)
    assert run.exit_code == 124
    assert "timed out after 0.5 s" in run.tail
