"""Finding the Python files of a run: gitignore-style excludes, nested .gitignore files, symlink loops.

Files named on the command line are always analysed (like ruff without ``--force-exclude``); folders
are walked with the default excludes, ``exclude`` from the config and every ``.gitignore`` on the way.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from codeopt.config import DEFAULT_EXCLUDES, Settings

PYTHON_SUFFIXES = (".py",)  # stubs describe modules, they are not more of them


@dataclass(frozen=True, slots=True)
class Discovered:
    path: Path  # absolute
    module: str
    is_package: bool


@dataclass(frozen=True, slots=True)
class Problem:
    """A path that could not be walked; reported in one line, the run goes on."""

    path: str
    reason: str


def module_name(path: Path) -> tuple[str, bool]:
    """Dotted name from the package chain above the file: ``pkg/sub/mod.py`` -> ``pkg.sub.mod``."""
    is_package = path.name in ("__init__.py", "__init__.pyi")
    parts: list[str] = [] if is_package else [path.name.rsplit(".", 1)[0]]
    directory = path.parent
    while (directory / "__init__.py").exists() or (directory / "__init__.pyi").exists():
        parts.append(directory.name)
        if directory.parent == directory:
            break
        directory = directory.parent
    name = ".".join(reversed(parts))
    return (name if all(p.isidentifier() for p in parts) else ""), is_package


class _Ignores:
    """Default excludes + config excludes (relative to the project root) + .gitignore files."""

    def __init__(self, settings: Settings, root: Path) -> None:
        patterns = [*(DEFAULT_EXCLUDES if settings.extend_default_excludes else ()), *settings.exclude]
        self.base = pathspec.GitIgnoreSpec.from_lines(patterns)
        self.root = root
        self.respect_gitignore = settings.respect_gitignore
        self.gitignores: dict[Path, pathspec.GitIgnoreSpec] = {}

    def load_gitignore(self, directory: Path) -> None:
        if not self.respect_gitignore:
            return
        candidate = directory / ".gitignore"
        try:
            lines = candidate.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return
        self.gitignores[directory] = pathspec.GitIgnoreSpec.from_lines(lines)

    def ignored(self, path: Path, is_dir: bool) -> bool:
        rel = _relative(path, self.root)
        if rel is not None and self.base.match_file(rel + ("/" if is_dir else "")):
            return True
        if rel is None and self.base.match_file(path.name + ("/" if is_dir else "")):
            return True
        for directory, spec in self.gitignores.items():
            sub = _relative(path, directory)
            if sub and spec.match_file(sub + ("/" if is_dir else "")):
                return True
        return False


def _relative(path: Path, base: Path) -> str | None:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return None


def discover(paths: Sequence[Path], settings: Settings, root: Path) -> tuple[list[Discovered], list[Problem]]:
    """Python files under ``paths`` (sorted, unique) and the paths that could not be walked."""
    ignores = _Ignores(settings, root)
    for directory in (root, *root.parents):
        ignores.load_gitignore(directory)
        if (directory / ".git").exists():
            break
    found: dict[Path, Discovered] = {}
    problems: list[Problem] = []
    for given in paths:
        absolute = Path(os.path.abspath(given))
        if given.is_symlink() and not given.exists():
            problems.append(Problem(str(given), _dangling_reason(given)))
        elif not os.path.lexists(given):
            problems.append(Problem(str(given), "no such file or directory"))
        elif absolute.is_dir():
            for path in _walk(absolute, ignores, problems):
                found.setdefault(path, _describe(path))
        elif absolute.suffix in PYTHON_SUFFIXES or given.is_file():
            found.setdefault(absolute, _describe(absolute))
        else:
            problems.append(Problem(str(given), "not a file or directory"))
    return sorted(found.values(), key=lambda d: d.path), problems


def _dangling_reason(path: Path) -> str:
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop"
    return "broken symlink"


def _describe(path: Path) -> Discovered:
    name, is_package = module_name(path)
    return Discovered(path=path, module=name, is_package=is_package)


def _walk(top: Path, ignores: _Ignores, problems: list[Problem]) -> Iterator[Path]:
    """Depth-first, sorted, each real folder once (a symlink back up the tree is a loop, not a hang)."""
    seen: set[tuple[int, int]] = set()
    stack = [top]
    while stack:
        directory = stack.pop()
        entries = _enter(directory, seen, problems)
        ignores.load_gitignore(directory)
        subdirs: list[Path] = []
        for entry in entries:
            kind = _kind(entry, ignores, problems)
            if kind == "dir":
                subdirs.append(Path(entry.path))
            elif kind == "file":
                yield Path(entry.path)
        stack.extend(reversed(subdirs))


def _enter(directory: Path, seen: set[tuple[int, int]], problems: list[Problem]) -> list[os.DirEntry[str]]:
    """The folder's entries, sorted; none (and a problem) for a loop or an unreadable folder."""
    try:
        info = directory.stat()
        key = (info.st_dev, info.st_ino)
        if key in seen:
            problems.append(Problem(str(directory), "symlink loop: folder already visited, skipped"))
            return []
        seen.add(key)
        return sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        reason = "symlink loop" if exc.errno == errno.ELOOP else _os_reason(exc)
        problems.append(Problem(str(directory), reason))
        return []


def _kind(entry: os.DirEntry[str], ignores: _Ignores, problems: list[Problem]) -> str:
    """ "dir" to walk, "file" to analyse, "" to pass over."""
    path = Path(entry.path)
    try:
        is_dir = entry.is_dir()
        is_file = not is_dir and entry.is_file()
    except OSError:
        is_dir = is_file = False
    if entry.is_symlink() and not os.path.exists(entry.path):
        if path.suffix in PYTHON_SUFFIXES:
            problems.append(Problem(str(path), _dangling_reason(path)))
        return ""
    if ignores.ignored(path, is_dir):
        return ""
    if is_dir:
        return "dir"
    return "file" if is_file and path.suffix in PYTHON_SUFFIXES else ""


def _os_reason(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or "cannot list folder"
