"""dirty_paths against real git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

from codeopt.workspace.vcs import dirty_paths


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True, capture_output=True
    )


def test_modified_staged_and_untracked_files_are_dirty(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    for name in ("clean.py", "edited.py", "staged.py"):
        (tmp_path / name).write_text("x = 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "deep.py").write_text("d = 1\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "init")
    (tmp_path / "edited.py").write_text("x = 2\n")
    (tmp_path / "staged.py").write_text("x = 3\n")
    _git(tmp_path, "add", "staged.py")
    (tmp_path / "new.py").write_text("n = 1\n")
    (tmp_path / "sub" / "deep.py").write_text("d = 2\n")
    asked = [tmp_path / n for n in ("clean.py", "edited.py", "staged.py", "new.py", "absent.py")]
    asked.append(tmp_path / "sub" / "deep.py")
    assert dirty_paths(asked) == sorted(
        (tmp_path / n).resolve() for n in ("edited.py", "staged.py", "new.py", "sub/deep.py")
    )


def test_outside_git_nothing_is_dirty(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a = 1\n")
    assert dirty_paths([tmp_path / "a.py"]) == []
