from __future__ import annotations

import json
from pathlib import Path

import pytest

from codeopt.errors import BaselineError
from codeopt.rules.base import Finding, Severity
from codeopt.rules.baseline import load_baseline, new_findings, write_baseline


def finding(path: str, line: int, symbol: str = "f", rule: str = "CO102") -> Finding:
    return Finding(rule, "complex-function", Severity.WARNING, path, line, "m", "p", symbol=symbol)


def test_baseline_hides_known_findings_even_when_lines_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    baseline = tmp_path / "baseline.json"
    write_baseline(baseline, [finding("a.py", 10), finding("a.py", 30, "g")])
    known = load_baseline(baseline)
    now = [finding("a.py", 12), finding("a.py", 31, "g"), finding("a.py", 50, "h")]
    assert [f.symbol for f in new_findings(now, known, baseline)] == ["h"]


def test_duplicate_fingerprints_are_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    baseline = tmp_path / "b.json"
    write_baseline(baseline, [finding("a.py", 1, "")])
    assert (
        len(new_findings([finding("a.py", 1, ""), finding("a.py", 1, "")], load_baseline(baseline), baseline))
        == 1
    )


def test_baseline_paths_do_not_depend_on_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    baseline = tmp_path / "b.json"
    monkeypatch.chdir(tmp_path)
    write_baseline(baseline, [finding("sub/a.py", 1)])
    monkeypatch.chdir(tmp_path / "sub")
    assert new_findings([finding("a.py", 1)], load_baseline(baseline), baseline) == []


@pytest.mark.parametrize("content", ["not json", json.dumps({"format": "other"}), json.dumps([1, 2])])
def test_bad_baseline_files_are_one_line_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(BaselineError) as info:
        load_baseline(path)
    assert str(path) in str(info.value)


def test_missing_baseline_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="--update-baseline"):
        load_baseline(tmp_path / "missing.json")
