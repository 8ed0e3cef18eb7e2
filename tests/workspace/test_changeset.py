"""ChangeSet: diffs, all-or-nothing writes, byte-identical rollback."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from codeopt.errors import WriteFailure
from codeopt.workspace.changeset import ChangeSet


def _snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
        for p in sorted(root.rglob("*"))
        if p.is_file()
    } | {str(p.relative_to(root)) + "/": (b"", 0) for p in root.rglob("*") if p.is_dir()}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_bytes(b"# -*- coding: latin-1 -*-\nx = '\xe9'\r\n")
    (tmp_path / "pkg" / "run.py").write_text("print('hi')\n")
    os.chmod(tmp_path / "pkg" / "run.py", 0o755)
    return tmp_path


def test_diff_shows_created_changed_and_deleted_files(tree: Path) -> None:
    change = ChangeSet()
    change.write(tree / "pkg" / "run.py", "print('bye')\n")
    change.write(tree / "pkg" / "new" / "__init__.py", "y = 1\n")
    change.delete(tree / "pkg" / "mod.py")
    diff = change.diff(tree)
    assert "--- a/pkg/run.py\n+++ b/pkg/run.py\n" in diff
    assert "-print('hi')\n+print('bye')\n" in diff
    assert "--- /dev/null\n+++ b/pkg/new/__init__.py\n" in diff
    assert "--- a/pkg/mod.py\n+++ /dev/null\n" in diff


def test_identical_write_is_no_change(tree: Path) -> None:
    change = ChangeSet()
    change.write(tree / "pkg" / "run.py", "print('hi')\n")
    assert not change
    assert change.diff(tree) == ""


def test_apply_then_rollback_is_byte_identical(tree: Path) -> None:
    before = _snapshot(tree)
    change = ChangeSet()
    change.write(tree / "pkg" / "run.py", "print('bye')\n")
    change.write(tree / "pkg" / "mod" / "core" / "__init__.py", "z = 2\n")
    change.delete(tree / "pkg" / "mod.py")
    applied = change.apply()
    assert (tree / "pkg" / "run.py").read_text() == "print('bye')\n"
    assert stat.S_IMODE((tree / "pkg" / "run.py").stat().st_mode) == 0o755  # mode kept
    assert not (tree / "pkg" / "mod.py").exists()
    assert (tree / "pkg" / "mod" / "core" / "__init__.py").read_text() == "z = 2\n"
    # an import after the change leaves bytecode in the created folder; rollback removes it too
    (tree / "pkg" / "mod" / "core" / "__pycache__").mkdir()
    (tree / "pkg" / "mod" / "core" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    applied.rollback()
    assert _snapshot(tree) == before


def test_text_is_written_in_the_given_encoding(tree: Path) -> None:
    change = ChangeSet()
    change.write(tree / "pkg" / "mod.py", "# -*- coding: latin-1 -*-\nx = 'é!'\n", encoding="latin-1")
    change.apply()
    assert (tree / "pkg" / "mod.py").read_bytes() == b"# -*- coding: latin-1 -*-\nx = '\xe9!'\n"


def test_output_that_does_not_parse_is_never_written(tree: Path) -> None:
    before = _snapshot(tree)
    change = ChangeSet()
    change.write(tree / "pkg" / "run.py", "print('ok')\n")
    change.write(tree / "pkg" / "bad.py", "def broken(:\n")
    with pytest.raises(WriteFailure, match=r"bad\.py: the new text does not parse: line 1"):
        change.apply()
    assert _snapshot(tree) == before


def test_newer_syntax_that_libcst_accepts_is_written(tree: Path) -> None:
    change = ChangeSet()
    change.write(tree / "pkg" / "new.py", "type Alias = int\n")  # PEP 695: not parseable by 3.11's ast
    change.apply()
    assert (tree / "pkg" / "new.py").read_text() == "type Alias = int\n"


def test_file_edited_after_reading_is_not_overwritten(tree: Path) -> None:
    change = ChangeSet()
    change.write(tree / "pkg" / "run.py", "print('tool')\n")
    (tree / "pkg" / "run.py").write_text("print('user edit')\n")
    with pytest.raises(WriteFailure, match="changed on disk since it was read"):
        change.apply()
    assert (tree / "pkg" / "run.py").read_text() == "print('user edit')\n"


def test_failure_part_way_restores_everything_as_any_user(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the disk fills up on the third rename: the two files already written are put back
    before = _snapshot(tree)
    real_replace = os.replace
    calls = []

    def failing_replace(src: str, dst: Path) -> None:
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr("codeopt.workspace.changeset.os.replace", failing_replace)
    change = ChangeSet()
    change.write(tree / "a_first.py", "first = 1\n")
    change.write(tree / "pkg" / "new" / "m.py", "m = 1\n")
    change.write(tree / "pkg" / "run.py", "print('changed')\n")
    with pytest.raises(WriteFailure, match="No space left on device; nothing was changed"):
        change.apply()
    monkeypatch.undo()
    assert _snapshot(tree) == before
    assert not list(tree.rglob("*.codeopt-tmp"))


def test_directory_in_the_way_is_a_one_line_error(tree: Path) -> None:
    (tree / "pkg" / "dir.py").mkdir()
    change = ChangeSet()
    with pytest.raises(WriteFailure, match="not a regular file"):
        change.write(tree / "pkg" / "dir.py", "x = 1\n")
