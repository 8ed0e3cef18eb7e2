"""The pre-commit hook, installed by real pre-commit from this repository into a temp git repo."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]


def pre_commit() -> list[str]:
    exe = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
    if exe is None:
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    return [exe]


def test_hook_runs_through_pre_commit_try_repo(tmp_path: Path) -> None:
    repo = tmp_path / "project"
    repo.mkdir()
    subprocess.run([*GIT, "init", "-q"], cwd=repo, check=True)
    (repo / "simple.py").write_text("def ok(x):\n    return x + 1\n")
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "init"], cwd=repo, check=True)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("VIRTUAL_ENV", None)

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*pre_commit(), "try-repo", str(ROOT), "codeopt", "--all-files", "--verbose"],
            cwd=repo,
            capture_output=True,
            text=True,
            env=env,
            timeout=900,
        )

    clean = try_repo()
    assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr[-3000:]
    assert "codeopt" in clean.stdout and "Passed" in clean.stdout

    branches = "".join(f"    if a == {i} or b:\n        a += {i}\n" for i in range(16))
    (repo / "tangled.py").write_text(f"def tangled(a, b):\n{branches}    return a\n")
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    dirty = try_repo()
    assert dirty.returncode == 1, dirty.stdout[-3000:]
    assert "Failed" in dirty.stdout
    assert "tangled.py:1:1: CO102" in dirty.stdout
    assert "simple.py" not in dirty.stdout.split("codeopt", 1)[-1].replace("tangled.py", "")
