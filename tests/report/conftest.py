"""Shared fixtures: the gitkit fixture analysed once per session, and a Chromium to load reports."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from codeopt.commands.analyze import run_analysis
from codeopt.config import load_settings
from codeopt.report.json_report import to_json
from tests.cli.conftest import codeopt  # noqa: F401  (the `codeopt` subprocess fixture)
from tests.report.cdp import find_chromium

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "gitkit"
ARTIFACTS = ROOT / "artifacts"


def analyse(target: Path, cwd: Path) -> dict[str, Any]:
    """What `codeopt analyze TARGET --format json` prints, run from ``cwd``, without the cache."""
    settings = load_settings(target, None).with_overrides(jobs=1)
    return to_json(run_analysis([target], settings, cwd=cwd, use_cache=False))


@pytest.fixture(scope="session")
def gitkit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("report") / "gitkit"
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns("__pycache__", ".codeopt_cache"))
    return target


@pytest.fixture(scope="session")
def gitkit_doc(gitkit: Path) -> dict[str, Any]:
    return analyse(gitkit, gitkit)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium; skipped when missing, unless CI says the tests must run."""
    found = find_chromium()
    if found is None:
        if os.environ.get("CODEOPT_REQUIRE_SERVERS") == "1":
            pytest.fail("chromium is not installed and CODEOPT_REQUIRE_SERVERS=1 (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A project whose name and code hold markup: the reports must show it, never run it.

    ``import json`` used only inside a function is a CO202 finding on line 1 (the threshold is set
    low so that json's cost always passes it), so the line with the ``<script>`` string is in that
    finding's excerpt.
    """
    root = tmp_path_factory.mktemp("hostile") / "proj<img src=x onerror=alert(2)>"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[tool.codeopt]\nroot = true\nselect = ["CO202"]\n[tool.codeopt.rules.CO202]\nmin-cost-ms = 0.5\n'
    )
    (root / "page.py").write_text(
        f'import json\nBANNER = "{SCRIPT}"\n\n\ndef dump(value):\n    return json.dumps(value)\n'
    )
    doc = analyse(root, root)
    assert [(f["rule"], f["path"], f["line"]) for f in doc["findings"]] == [("CO202", "page.py", 1)]
    return root, doc
