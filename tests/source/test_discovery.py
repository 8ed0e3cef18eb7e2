from __future__ import annotations

from pathlib import Path

from codeopt.config import Settings
from codeopt.source.discovery import discover, module_name


def touch(path: Path, text: str = "x = 1\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def names(found: list, root: Path) -> list[str]:
    return [d.path.relative_to(root).as_posix() for d in found]


def test_module_names_follow_the_package_chain(tmp_path: Path) -> None:
    touch(tmp_path / "src" / "pkg" / "__init__.py")
    mod = touch(tmp_path / "src" / "pkg" / "sub" / "mod.py")
    touch(tmp_path / "src" / "pkg" / "sub" / "__init__.py")
    assert module_name(mod) == ("pkg.sub.mod", False)
    assert module_name(tmp_path / "src" / "pkg" / "__init__.py") == ("pkg", True)
    assert module_name(touch(tmp_path / "script.py")) == ("script", False)
    assert module_name(touch(tmp_path / "my-script.py"))[0] == ""


def test_default_excludes_gitignore_and_config(tmp_path: Path) -> None:
    touch(tmp_path / "a.py")
    touch(tmp_path / ".venv" / "lib.py")
    touch(tmp_path / "build" / "gen.py")
    touch(tmp_path / "pkg" / "__pycache__" / "x.py")
    touch(tmp_path / "generated" / "g.py")
    touch(tmp_path / "vendor" / "v.py")
    touch(tmp_path / "vendor" / "keep.py")
    touch(tmp_path / "notes.txt")
    (tmp_path / ".gitignore").write_text("generated/\n")
    (tmp_path / "vendor" / ".gitignore").write_text("*.py\n!keep.py\n")
    found, problems = discover([tmp_path], Settings(exclude=("b.py",)), tmp_path)
    assert names(found, tmp_path) == ["a.py", "vendor/keep.py"]
    assert problems == []


def test_respect_gitignore_can_be_turned_off(tmp_path: Path) -> None:
    touch(tmp_path / "generated" / "g.py")
    (tmp_path / ".gitignore").write_text("generated/\n")
    found, _ = discover([tmp_path], Settings(respect_gitignore=False), tmp_path)
    assert names(found, tmp_path) == ["generated/g.py"]


def test_explicit_files_are_always_analysed(tmp_path: Path) -> None:
    target = touch(tmp_path / "build" / "x.py")
    found, _ = discover([target], Settings(), tmp_path)
    assert names(found, tmp_path) == ["build/x.py"]


def test_missing_paths_and_symlink_loops_are_problems_not_crashes(tmp_path: Path) -> None:
    touch(tmp_path / "a.py")
    (tmp_path / "loop").symlink_to(tmp_path)
    (tmp_path / "self.py").symlink_to(tmp_path / "self.py")
    found, problems = discover([tmp_path, tmp_path / "nope"], Settings(), tmp_path)
    assert names(found, tmp_path) == ["a.py"]
    reasons = {Path(p.path).name: p.reason for p in problems}
    assert reasons["nope"] == "no such file or directory"
    assert "symlink loop" in reasons["loop"]
    assert reasons["self.py"] == "symlink loop"
