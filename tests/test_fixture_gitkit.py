"""fixtures/gitkit is the demo monolith for analyze/split; it must stay a working project.

Runs the fixture's own pytest suite in a subprocess (its pyproject.toml becomes the
rootdir config) and pins the number of collected tests, doctests included, so a
transform that silently drops tests is noticed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURE = REPO_ROOT / "fixtures" / "gitkit"
MONOLITH = FIXTURE / "gitkit" / "git_advanced.py"

# 65 test items plus 3 docstring examples of gitkit.git_advanced (collected via
# --doctest-modules and tests/test_doctests.py).
EXPECTED_TESTS = 68

SUMMARY = re.compile(r"^=*\s*(?P<passed>\d+) passed in [\d.]+s(?: \([\d:]+\))?\s*=*$")


def test_monolith_has_the_expected_size() -> None:
    lines = MONOLITH.read_text(encoding="utf-8").splitlines()
    assert 1700 <= len(lines) <= 1900, f"git_advanced.py has {len(lines)} lines"


def test_fixture_suite_passes_from_the_repo_root() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "fixtures/gitkit/tests", "-q", "-p", "no:cacheprovider"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    summary = proc.stdout.strip().splitlines()[-1]
    match = SUMMARY.match(summary)
    assert match, f"only passing tests expected, got summary {summary!r}"
    assert int(match["passed"]) == EXPECTED_TESTS, summary
