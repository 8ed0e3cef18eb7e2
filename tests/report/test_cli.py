"""`codeopt report` as a user runs it: files written, formats chosen, exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from codeopt.cli import _report_destination
from codeopt.errors import ConfigError
from codeopt.report.trend import load_before
from tests.cli.conftest import Run


def test_html_by_default_exit_zero_despite_findings(
    codeopt: Run, gitkit: Path, gitkit_doc: dict[str, Any], tmp_path: Path
) -> None:
    target = tmp_path / "out"
    target.mkdir()
    result = codeopt("report", str(gitkit), "--no-cache", "-j", "1", cwd=target)
    assert gitkit_doc["summary"]["findings_by_severity"]["warning"] > 0  # `analyze` would exit 1
    assert result.code == 0, result.err  # findings do not fail a report
    report = target / "codeopt-report.html"
    assert report.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert result.out == "" and "codeopt: wrote codeopt-report.html (" in result.err


def test_markdown_to_stdout_and_by_file_suffix(codeopt: Run, gitkit: Path) -> None:
    shown = codeopt(
        "report", ".", "--format", "markdown", "--include-plans", "--include-diffs", "-j", "1", cwd=gitkit
    )
    assert shown.code == 0, shown.err
    assert shown.out.startswith("## codeopt report: `gitkit`")
    assert "`--include-diffs` was given: there is nothing to include yet" in shown.out
    written = codeopt("report", ".", "-o", "comment.md", cwd=gitkit)
    assert written.code == 0 and written.out == ""
    assert (gitkit / "comment.md").read_text(encoding="utf-8").startswith("## codeopt report:")


@pytest.mark.parametrize(
    ("fmt", "output", "expected"),
    [
        (None, None, ("html", Path("codeopt-report.html"))),
        ("markdown", None, ("markdown", None)),
        (None, Path("pr.MD"), ("markdown", Path("pr.MD"))),
        (None, Path("-"), ("html", None)),
        ("html", Path("x.md"), ("html", Path("x.md"))),
    ],
)
def test_format_and_destination(
    fmt: str | None, output: Path | None, expected: tuple[str, Path | None]
) -> None:
    assert _report_destination(fmt, output) == expected


def test_files_that_cannot_be_analysed_exit_2_but_the_report_is_written(codeopt: Run, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.codeopt]\nroot = true\n")
    (tmp_path / "good.py").write_text("def f():\n    return 1\n")
    (tmp_path / "broken.py").write_text("def f(:\n")
    result = codeopt("report", ".", "-o", "r.html", "--no-cache", "-j", "1", cwd=tmp_path)
    assert result.code == 2
    assert "codeopt: error: broken.py:" in result.err
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'id="problems"' in html and "broken.py" in html


def test_a_bad_compare_file_exits_2_before_writing(codeopt: Run, tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("X = 1\n")
    (tmp_path / "before.json").write_text('{"schema": "other"}')
    result = codeopt("report", ".", "--compare", "before.json", "-o", "r.html", cwd=tmp_path)
    assert result.code == 2
    assert "is not `codeopt analyze --format json` output" in result.err
    assert not (tmp_path / "r.html").exists()
    with pytest.raises(ConfigError, match="cannot read --compare file"):
        load_before(tmp_path / "nope.json")


def test_measured_imports_reach_the_report(tmp_path: Path) -> None:
    """The use case end to end with real `-X importtime` measurements (one cheap stdlib module)."""
    from codeopt.commands.report import run_report
    from codeopt.config import load_settings

    (tmp_path / "pyproject.toml").write_text("[tool.codeopt]\nroot = true\n")
    (tmp_path / "a.py").write_text("import json\n\n\ndef f():\n    return json\n")
    settings = load_settings(tmp_path, None).with_overrides(jobs=1)
    report = run_report(
        [tmp_path], settings, fmt="markdown", measure_imports=True, use_cache=False, cwd=tmp_path
    )
    measured = report.run.project.measured_costs["json"]
    assert measured.ok and measured.cumulative_us > 0
    assert "Measured with `--measure-imports`: the heaviest of 1 external module." in report.text
    assert f"| `json` | {measured.cumulative_us / 1000:,.1f} |" in report.text
