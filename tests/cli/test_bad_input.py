"""Every kind of bad input gets one line naming the file and the reason; the run goes on."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.cli.conftest import Run


def make_project(root: Path) -> Path:
    (root / "pyproject.toml").write_text("[tool.codeopt]\nroot = true\n")
    (root / "good.py").write_text("def ok(x):\n    return x + 1\n")
    return root


def assert_one_line(err: str, path: str, reason: str) -> None:
    lines = [line for line in err.splitlines() if path in line]
    assert len(lines) == 1, err
    assert reason in lines[0], err
    assert "Traceback" not in err


def analyzed_paths(out: str) -> set[str]:
    return {f["path"] for f in json.loads(out)["files"]}


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("syntax.py", b"def broken(:\n    pass\n", "syntax error at line 1"),
        ("latin.py", b"name = '\xe9t\xe9'\n", "not valid utf-8 at line 1"),
        ("nul.py", b"x = 1\ny = '\x00'\n", "NUL byte (line 2)"),
        ("cookie.py", b"# coding: no-such-codec\nx = 1\n", "encoding"),
    ],
)
def test_broken_files_are_reported_and_the_run_goes_on(
    codeopt: Run, tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    project = make_project(tmp_path)
    (project / name).write_bytes(content)
    result = codeopt("analyze", ".", "--format", "json", "--no-cache", cwd=project)
    assert result.code == 2
    assert_one_line(result.err, name, reason)
    assert analyzed_paths(result.out) == {"good.py"}


def test_huge_generated_file_is_skipped_without_failing_the_run(codeopt: Run, tmp_path: Path) -> None:
    project = make_project(tmp_path)
    with (project / "generated.py").open("w") as handle:
        line = "VALUE_%d = %d\n"
        for i in range(1_100_000):  # ~20 MB
            handle.write(line % (i, i))
    assert (project / "generated.py").stat().st_size > 20_000_000
    result = codeopt("analyze", ".", "--format", "json", "--no-cache", cwd=project)
    assert result.code == 0, result.err
    assert_one_line(result.err, "generated.py", "over the limit")
    assert "skipped" in result.err
    assert analyzed_paths(result.out) == {"good.py"}


def test_one_huge_string_literal_is_analysed_quickly(codeopt: Run, tmp_path: Path) -> None:
    project = make_project(tmp_path)
    body = "\n".join(f"line {i} of a long text" for i in range(15_000))
    (project / "text.py").write_text(f'TEXT = """\n{body}\n"""\n')
    result = codeopt("analyze", ".", "--format", "json", "--no-cache", cwd=project, timeout=60)
    assert result.code == 0, result.err
    files = {f["path"]: f for f in json.loads(result.out)["files"]}
    assert files["text.py"]["raw"]["loc"] == 15_002
    slowest = dict(json.loads(result.out)["timings"]["slowest_files"])
    assert slowest["text.py"] < 2.0


def test_file_timeout_skips_a_file_that_takes_too_long(codeopt: Run, tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project / "pyproject.toml").write_text("[tool.codeopt]\nroot = true\nfile-timeout = 0.05\n")
    functions = "".join(
        f"def f{i}(a, b):\n    return a and b or (a if b else {i})\n\n" for i in range(40_000)
    )
    (project / "big.py").write_text(functions)
    result = codeopt("analyze", ".", "--format", "json", "--no-cache", "--jobs", "1", cwd=project)
    assert result.code == 0, result.err
    assert_one_line(result.err, "big.py", "file-timeout")


def test_missing_path_and_symlink_loop(codeopt: Run, tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project / "loop.py").symlink_to(project / "loop.py")
    (project / "sub").mkdir()
    (project / "sub" / "back").symlink_to(project)
    result = codeopt("analyze", ".", "does-not-exist", "--format", "json", "--no-cache", cwd=project)
    assert result.code == 2
    assert_one_line(result.err, "does-not-exist", "no such file or directory")
    assert_one_line(result.err, "loop.py", "symlink loop")
    assert "good.py" in analyzed_paths(result.out)


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv to drop root")
def test_unreadable_file(codeopt: Run) -> None:
    # pytest's tmp_path is private to root; nobody needs a folder it can enter
    project = make_project(Path(tempfile.mkdtemp(prefix="codeopt-unreadable-")))
    os.chmod(project, 0o755)
    secret = project / "secret.py"
    secret.write_text("x = 1\n")
    secret.chmod(0)
    (project / "private").mkdir(mode=0o700)
    (project / "private" / "hidden.py").write_text("y = 2\n")
    command = [sys.executable, "-m", "codeopt.cli"]
    if os.geteuid() == 0:
        # root reads everything: drop to nobody so the permission bits apply
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    done = subprocess.run(
        [*command, "analyze", ".", "--no-cache", "--format", "json"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    shutil.rmtree(project, ignore_errors=True)
    assert done.returncode == 2, done.stderr
    assert_one_line(done.stderr, "secret.py", "permission denied")
    assert_one_line(done.stderr, "private", "ermission denied")
    assert "good.py" in analyzed_paths(done.stdout)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[tool.codeopt]\nfail-onn = 'x'\n", "unknown key tool.codeopt.fail-onn"),
        ("[tool.codeopt\n", "invalid TOML"),
        ("[tool.codeopt]\nexclude = 3\n", "tool.codeopt.exclude must be a list of strings"),
        ("[tool.codeopt.rules.CO999]\nx = 1\n", "CO999"),
    ],
)
def test_broken_config_is_one_line_and_exit_2(codeopt: Run, tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(body)
    (tmp_path / "a.py").write_text("x = 1\n")
    result = codeopt("analyze", ".", cwd=tmp_path)
    assert result.code == 2
    assert message in result.err
    assert "pyproject.toml" in result.err or "CO999" in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert result.out == ""
