"""Transform options come from the rule whose findings they fix: one setting, no disagreement."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

CODEOPT = str(Path(sys.executable).parent / "codeopt")

MODULE = """
import mylib


class Report:
    def __init__(self):
        self.builder = mylib.Builder()

    def render(self):
        return self.builder.build()

    def title(self):
        return "report"
"""


def _project(tmp_path: Path, config: str) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "report.py").write_text(textwrap.dedent(MODULE).lstrip())
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\nversion = "0"\ndependencies = ["codeopt-runtime"]\n\n'
        "[tool.codeopt]\nroot = true\n" + config
    )
    return tmp_path


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CODEOPT, *args], cwd=root, capture_output=True, text=True, timeout=300, check=False
    )


def test_side_effect_free_constructor_declared_on_co302_is_deferred(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        '[tool.codeopt.rules.CO302]\nextra-constructors = ["mylib.Builder"]\n'
        'side-effect-free = ["mylib.Builder"]\n',
    )
    finding = _run(root, "analyze", "pkg", "--select", "CO302", "--format", "json", "--no-cache")
    (found,) = json.loads(finding.stdout)["findings"]
    assert found["fix"] == "codeopt optimize pkg/report.py --lazy-attributes"
    shown = _run(root, "optimize", "pkg", "--lazy-attributes")
    assert shown.returncode == 1, shown.stderr
    assert "+    @lazy_attribute" in shown.stdout and "+        return mylib.Builder()" in shown.stdout


def test_without_the_declaration_it_is_reported_not_rewritten(tmp_path: Path) -> None:
    root = _project(tmp_path, '[tool.codeopt.rules.CO302]\nextra-constructors = ["mylib.Builder"]\n')
    finding = _run(root, "analyze", "pkg", "--select", "CO302", "--no-cache")
    assert "not automatic: building it has side effects (`mylib.Builder()`)" in finding.stdout
    shown = _run(root, "optimize", "pkg", "--lazy-attributes")
    assert shown.returncode == 0 and shown.stdout == "", shown.stdout
    assert "Report.builder" in shown.stderr and "side-effect-free" in shown.stderr
