"""The built-in rules on the gitkit fixture: the findings the quick start promises are there."""

from __future__ import annotations

from pathlib import Path

import pytest

from codeopt.analysis.graph import build_graph
from codeopt.analysis.pipeline import analyze_source
from codeopt.analysis.project import ProjectAnalysis
from codeopt.rules.base import Finding
from codeopt.rules.registry import discover_rules
from codeopt.source.parsing import SourceFile
from codeopt.source.reading import read_source
from codeopt.testing import module_name

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "gitkit"
pytestmark = pytest.mark.skipif(not (FIXTURE / "gitkit" / "git_advanced.py").exists(), reason="no fixture")


@pytest.fixture(scope="module")
def project() -> ProjectAnalysis:
    files = []
    for path in sorted((FIXTURE / "gitkit").rglob("*.py")):
        display = path.relative_to(FIXTURE).as_posix()
        module, is_package = module_name(display)
        text = read_source(path).text
        files.append(analyze_source(SourceFile(path, display, module, is_package, text)))
    return ProjectAnalysis(str(FIXTURE), tuple(files), build_graph(files))


def findings(project: ProjectAnalysis, rule_id: str, **options: object) -> list[Finding]:
    return list(discover_rules()[rule_id](options).check_project(project))


def test_the_monolith_is_proposed_for_a_split(project: ProjectAnalysis) -> None:
    (finding,) = findings(project, "CO101")
    assert finding.path == "gitkit/git_advanced.py" and finding.fix == "codeopt split gitkit/git_advanced.py"
    assert finding.proposal.startswith("Split into ") and finding.proposal.count("{") >= 3


def test_per_call_sqlite_connections_get_a_pool(project: ProjectAnalysis) -> None:
    found = findings(project, "CO301")
    assert {f.symbol for f in found} >= {"record_run:sqlite3.connect", "cached_result:sqlite3.connect"}
    assert all(f.fix and "called in a loop" in f.message for f in found)


def test_function_only_imports_are_proposed_lazy(project: ProjectAnalysis) -> None:
    # a threshold every module passes: this checks the usage analysis, not the cost table
    found = findings(project, "CO202", **{"min-cost-ms": 0.5})
    modules = {f.symbol.rsplit(":", 1)[1] for f in found if f.path == "gitkit/git_advanced.py"}
    assert {"json", "difflib", "urllib.request", "sqlite3"} <= modules
    assert not {"re", "os", "dataclasses", "logging"} & modules  # used at import time


def test_the_eager_matcher_is_cheap_unless_configured(project: ProjectAnalysis) -> None:
    assert findings(project, "CO302") == []
    (finding,) = findings(project, "CO302", **{"extra-constructors": ("difflib.SequenceMatcher",)})
    assert finding.symbol == "CodeReviewer._matcher" and "@lazy_attribute" in finding.proposal
