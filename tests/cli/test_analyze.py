"""`codeopt analyze`, `check` and `rules` as a user runs them: real subprocesses, real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import Run

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "fixtures" / "gitkit"


@pytest.fixture
def gitkit(tmp_path: Path) -> Path:
    target = tmp_path / "gitkit"
    shutil.copytree(FIXTURE, target, ignore=shutil.ignore_patterns("__pycache__", ".codeopt_cache"))
    return target


def test_fixture_monolith_is_flagged_with_a_split_proposal(codeopt: Run, gitkit: Path) -> None:
    result = codeopt("analyze", ".", "--format", "json", cwd=gitkit)
    assert result.code == 1, result.err
    data = json.loads(result.out)
    assert data["schema"] == "codeopt-analysis" and data["version"] == 1
    monolith = [f for f in data["findings"] if f["rule"] == "CO101"]
    assert [f["path"] for f in monolith] == ["gitkit/git_advanced.py"]
    assert "LCOM4" in monolith[0]["message"] and "SLOC" in monolith[0]["message"]
    assert "codeopt split gitkit/git_advanced.py" in monolith[0]["fix"]
    assert "submodules" in monolith[0]["proposal"]
    files = {f["path"]: f for f in data["files"]}
    big = files["gitkit/git_advanced.py"]
    assert big["raw"]["loc"] > 1700 and big["cohesion"]["lcom4"] >= 1
    assert {fn["qualname"] for fn in big["functions"]} >= {"_run_git", "validate_ref_name"}
    modules = {m["name"]: m for m in data["graph"]["modules"]}
    assert modules["gitkit.git_advanced"]["fan_in"] >= 2
    assert result.err == ""


def test_text_output_is_worst_first_with_summary(codeopt: Run, gitkit: Path) -> None:
    result = codeopt("analyze", ".", cwd=gitkit)
    assert result.code == 1
    lines = result.out.splitlines()
    severities = [line.split("[", 1)[1].split("]", 1)[0] for line in lines if ": CO" in line and "[" in line]
    order = {"error": 0, "warning": 1, "info": 2}
    assert severities == sorted(severities, key=order.__getitem__)
    assert any(line.startswith("Modules, worst first") for line in lines)
    assert any(line.startswith("gitkit/git_advanced.py") for line in lines)
    assert "Import cycles" in result.out
    summary = [line for line in lines if ": CO" not in line and not line.startswith("    ")]
    assert max(len(line) for line in summary) <= 100


def test_exit_codes_follow_fail_on_and_exit_zero(codeopt: Run, gitkit: Path) -> None:
    assert codeopt("analyze", ".", "--fail-on", "error", cwd=gitkit).code == 0
    assert codeopt("analyze", ".", "--fail-on", "info", cwd=gitkit).code == 1
    assert codeopt("analyze", ".", "--exit-zero", cwd=gitkit).code == 0
    assert codeopt("analyze", ".", "--select", "CO201", cwd=gitkit).code == 0
    usage = codeopt("analyze", ".", "--format", "yaml", cwd=gitkit)
    assert usage.code == 2 and "yaml" in usage.err
    unknown = codeopt("analyze", ".", "--select", "CO999", cwd=gitkit)
    assert unknown.code == 2 and "unknown rule selector 'CO999'" in unknown.err


def test_select_ignore_and_inline_suppression(codeopt: Run, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.codeopt]\nroot = true\n")
    nested = "def f(a, b, c, d):\n" + "".join(
        f"    if a == {i} and b or c:\n        d += {i}\n" for i in range(20)
    )
    (tmp_path / "m.py").write_text(nested + "    return d\n")
    found = codeopt("analyze", ".", "--format", "json", "--select", "CO102", cwd=tmp_path)
    assert [f["rule"] for f in json.loads(found.out)["findings"]] == ["CO102"]
    ignored = codeopt("analyze", ".", "--format", "json", "--ignore", "complex-function", cwd=tmp_path)
    assert "CO102" not in {f["rule"] for f in json.loads(ignored.out)["findings"]}
    (tmp_path / "m.py").write_text(
        nested.replace("c, d):", "c, d):  # codeopt: ignore[CO102]") + "    return d\n"
    )
    silenced = json.loads(codeopt("analyze", ".", "--format", "json", "--select", "CO102", cwd=tmp_path).out)
    assert silenced["findings"] == [] and silenced["summary"]["suppressed"] == 1


def test_config_options_and_per_file_ignores(codeopt: Run, tmp_path: Path) -> None:
    body = "def f(a):\n" + "".join(f"    if a == {i}:\n        a += 1\n" for i in range(6)) + "    return a\n"
    (tmp_path / "a.py").write_text(body)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "b.py").write_text(body)
    (tmp_path / "pyproject.toml").write_text(
        "[tool.codeopt]\nroot = true\nselect = ['CO102']\n"
        "[tool.codeopt.rules.complex-function]\ncc-threshold = 3\n"
        "[tool.codeopt.per-file-ignores]\n'tests/*' = ['CO102']\n"
    )
    data = json.loads(codeopt("analyze", ".", "--format", "json", cwd=tmp_path).out)
    assert [f["path"] for f in data["findings"]] == ["a.py"]


def test_baseline_gates_only_new_findings(codeopt: Run, gitkit: Path) -> None:
    first = codeopt("analyze", ".", "--baseline", "base.json", "--update-baseline", cwd=gitkit)
    assert first.code == 0 and "wrote" in first.err
    assert codeopt("analyze", ".", "--baseline", "base.json", cwd=gitkit).code == 0
    with (gitkit / "gitkit" / "config.py").open("a") as handle:
        handle.write(
            "\n\ndef added(a, b):\n" + "".join(f"    if a == {i} or b:\n        a += 1\n" for i in range(16))
        )
        handle.write("    return a\n")
    again = codeopt("analyze", ".", "--baseline", "base.json", "--format", "json", cwd=gitkit)
    assert again.code == 1
    data = json.loads(again.out)
    assert [f["symbol"] for f in data["findings"]] == ["added"]
    assert data["summary"]["baselined"] > 0


def test_cache_makes_the_second_run_read_from_cache(codeopt: Run, gitkit: Path) -> None:
    codeopt("analyze", ".", "--format", "json", cwd=gitkit)
    assert (gitkit / ".codeopt_cache").is_dir()
    warm = json.loads(codeopt("analyze", ".", "--format", "json", cwd=gitkit).out)
    assert warm["summary"]["cache_hits"] == warm["summary"]["files"]
    cold = json.loads(codeopt("analyze", ".", "--format", "json", "--no-cache", cwd=gitkit).out)
    assert cold["summary"]["cache_hits"] == 0
    assert cold["findings"] == warm["findings"]


def test_sarif_has_what_code_scanning_needs(codeopt: Run, gitkit: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=gitkit, check=True)
    result = codeopt("analyze", "gitkit", "--format", "sarif", cwd=gitkit)
    sarif = json.loads(result.out)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert all(r["shortDescription"]["text"] and r["help"]["text"] for r in rules)
    assert run["results"]
    for res in run["results"]:
        location = res["locations"][0]["physicalLocation"]
        assert not location["artifactLocation"]["uri"].startswith("/")
        assert location["artifactLocation"]["uri"].startswith("gitkit/")
        assert location["region"]["startLine"] >= 1
        assert res["partialFingerprints"]
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_output_file_and_newer_syntax(codeopt: Run, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.codeopt]\nroot = true\n")
    (tmp_path / "new.py").write_text(
        "type Pair[T] = tuple[T, T]\n\ndef first[T](p: Pair[T]) -> T:\n    return p[0]\n\nlazy import json\n"
    )
    result = codeopt("analyze", ".", "--format", "json", "-o", "out.json", cwd=tmp_path)
    assert result.code == 0, result.err
    data = json.loads((tmp_path / "out.json").read_text())
    (entry,) = data["files"]
    assert {fn["name"] for fn in entry["functions"]} == {"first"}
    assert entry["notes"] and "PEP 695" in json.dumps(entry["notes"])


def test_rules_command(codeopt: Run, tmp_path: Path) -> None:
    listing = codeopt("rules", cwd=tmp_path)
    assert listing.code == 0 and "CO101" in listing.out and "monolithic-module" in listing.out
    explained = codeopt("rules", "CO101", cwd=tmp_path)
    assert "### Why is this bad" in explained.out
    as_json = json.loads(codeopt("rules", "--format", "json", cwd=tmp_path).out)
    assert {r["id"] for r in as_json} >= {"CO101", "CO102", "CO103", "CO201", "CO202", "CO301", "CO302"}
    assert codeopt("rules", "CO999", cwd=tmp_path).code == 2


def test_check_reports_only_changed_files(codeopt: Run, gitkit: Path) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=gitkit, check=True)
    subprocess.run([*git, "add", "-A"], cwd=gitkit, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=gitkit, check=True)
    clean = codeopt("check", cwd=gitkit)
    assert clean.code == 0 and clean.out == ""
    (gitkit / "gitkit" / "new.py").write_text(
        "def tangled(a, b):\n"
        + "".join(f"    if a == {i} or b:\n        a += 1\n" for i in range(16))
        + "    return a\n"
    )
    dirty = codeopt("check", cwd=gitkit)
    assert dirty.code == 1
    assert dirty.out.strip().splitlines() == [
        line for line in dirty.out.strip().splitlines() if "new.py" in line
    ]
    named = codeopt("check", "gitkit/git_advanced.py", cwd=gitkit)
    assert named.code == 1 and "CO101" in named.out and "new.py" not in named.out


def test_unchanged_tree_reuses_the_whole_previous_run(codeopt: Run, gitkit: Path) -> None:
    old = 1_600_000_000
    for path in gitkit.rglob("*.py"):
        os.utime(path, (old, old))
    first = json.loads(codeopt("analyze", ".", "--format", "json", cwd=gitkit).out)
    second = json.loads(codeopt("analyze", ".", "--format", "json", cwd=gitkit).out)
    assert "cached_run" not in first["timings"]["stages"]
    assert "cached_run" in second["timings"]["stages"]
    assert second["findings"] == first["findings"] and second["files"] == first["files"]
    # a changed file (even with an old time stamp, but another size) is analysed again
    config = gitkit / "gitkit" / "config.py"
    config.write_text(config.read_text() + "\n\ndef added(a):\n" + "    a += 1\n" * 3 + "    return a\n")
    os.utime(config, (old, old))
    third = json.loads(codeopt("analyze", ".", "--format", "json", cwd=gitkit).out)
    assert "cached_run" not in third["timings"]["stages"]
    assert any(fn["name"] == "added" for f in third["files"] for fn in f["functions"])
    # other settings are another run
    fourth = json.loads(codeopt("analyze", ".", "--format", "json", "--select", "CO101", cwd=gitkit).out)
    assert "cached_run" not in fourth["timings"]["stages"]
    assert {f["rule"] for f in fourth["findings"]} == {"CO101"}
