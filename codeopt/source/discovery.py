"""Finding the Python files of a run: gitignore-style excludes, nested .gitignore files, symlink loops.

Files named on the command line are always analysed (like ruff without ``--force-exclude``); folders
are walked with the default excludes, ``exclude`` from the config and every ``.gitignore`` on the way.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
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
    return _module_name(str(path), {})


def _module_name(path: str, packages: dict[str, tuple[str, ...] | None]) -> tuple[str, bool]:
    directory, name = os.path.split(path)
    is_package = name in ("__init__.py", "__init__.pyi")
    prefix = _package_parts(directory, packages)
    parts = (*prefix, *(() if is_package else (name.rsplit(".", 1)[0],)))
    valid = all(p.isidentifier() for p in parts)
    return (".".join(parts) if valid else ""), is_package


def _package_parts(directory: str, memo: dict[str, tuple[str, ...] | None]) -> tuple[str, ...]:
    """The package names from the top package down to ``directory`` (memoised per folder: a walk
    would otherwise stat every ``__init__.py`` up the chain once per file)."""
    if directory in memo:
        return memo[directory] or ()
    is_package = os.path.exists(os.path.join(directory, "__init__.py")) or os.path.exists(
        os.path.join(directory, "__init__.pyi")
    )
    parent = os.path.dirname(directory)
    parts: tuple[str, ...] | None = None
    if is_package:
        above = _package_parts(parent, memo) if parent != directory else ()
        parts = (*above, os.path.basename(directory))
    memo[directory] = parts
    return parts or ()


def _split_defaults(patterns: Sequence[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """Folder names matched by a set lookup, and the few wildcard patterns matched by fnmatch."""
    names = {p.rstrip("/") for p in patterns if not any(c in p for c in "*?[")}
    globs = tuple(p.rstrip("/") for p in patterns if any(c in p for c in "*?["))
    return frozenset(names), globs


class _Ignores:
    """Default excludes (by name), config excludes (relative to the project root), .gitignore files.

    Runs once per directory entry of the walk, so the common case is a set lookup; pathspec (exact
    gitignore semantics) runs only for patterns the user or a .gitignore actually gave.
    """

    def __init__(self, settings: Settings, root: Path) -> None:
        defaults = DEFAULT_EXCLUDES if settings.extend_default_excludes else ()
        self.default_names, self.default_globs = _split_defaults(defaults)
        self.base = pathspec.GitIgnoreSpec.from_lines(settings.exclude) if settings.exclude else None
        self.root = str(root)
        self.respect_gitignore = settings.respect_gitignore
        self.gitignores: dict[str, pathspec.GitIgnoreSpec] = {}

    def load_gitignore(self, directory: Path | str) -> None:
        if not self.respect_gitignore:
            return
        try:
            with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            return
        self.gitignores[str(directory)] = pathspec.GitIgnoreSpec.from_lines(lines)

    def ignored(self, path: str, name: str, is_dir: bool) -> bool:
        if is_dir and (name in self.default_names or any(fnmatch(name, g) for g in self.default_globs)):
            return True
        slash = "/" if is_dir else ""
        if self.base is not None:
            rel = _relative(path, self.root)
            if self.base.match_file((rel if rel is not None else name) + slash):
                return True
        for directory, spec in self.gitignores.items():
            sub = _relative(path, directory)
            if sub and spec.match_file(sub + slash):
                return True
        return False


def _relative(path: str, base: str) -> str | None:
    if path.startswith(base + os.sep):
        return path[len(base) + 1 :].replace(os.sep, "/")
    return None


def discover(paths: Sequence[Path], settings: Settings, root: Path) -> tuple[list[Discovered], list[Problem]]:
    """Python files under ``paths`` (sorted, unique) and the paths that could not be walked."""
    ignores = _Ignores(settings, root)
    for directory in (root, *root.parents):
        ignores.load_gitignore(directory)
        if (directory / ".git").exists():
            break
    found: dict[str, Discovered] = {}
    problems: list[Problem] = []
    packages: dict[str, tuple[str, ...] | None] = {}
    for given in paths:
        absolute = Path(os.path.abspath(given))
        if given.is_symlink() and not given.exists():
            problems.append(Problem(str(given), _dangling_reason(given)))
        elif not os.path.lexists(given):
            problems.append(Problem(str(given), "no such file or directory"))
        elif absolute.is_dir():
            for path in _walk(absolute, ignores, problems):
                if path not in found:
                    found[path] = _describe(path, packages)
        elif absolute.suffix in PYTHON_SUFFIXES or given.is_file():
            found.setdefault(str(absolute), _describe(str(absolute), packages))
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


def _describe(path: str, packages: dict[str, tuple[str, ...] | None]) -> Discovered:
    name, is_package = _module_name(path, packages)
    return Discovered(path=Path(path), module=name, is_package=is_package)


def _walk(top: Path, ignores: _Ignores, problems: list[Problem]) -> Iterator[str]:
    """Depth-first, sorted, each real folder once (a symlink back up the tree is a loop, not a hang)."""
    seen: set[tuple[int, int]] = set()
    stack = [str(top)]
    while stack:
        directory = stack.pop()
        entries = _enter(directory, seen, problems)
        ignores.load_gitignore(directory)
        subdirs: list[str] = []
        for entry in entries:
            kind = _kind(entry, ignores, problems)
            if kind == "dir":
                subdirs.append(entry.path)
            elif kind == "file":
                yield entry.path
        stack.extend(reversed(subdirs))


def _enter(directory: str, seen: set[tuple[int, int]], problems: list[Problem]) -> list[os.DirEntry[str]]:
    """The folder's entries, sorted; none (and a problem) for a loop or an unreadable folder."""
    try:
        info = os.stat(directory)
        key = (info.st_dev, info.st_ino)
        if key in seen:
            problems.append(Problem(directory, "symlink loop: folder already visited, skipped"))
            return []
        seen.add(key)
        return sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        reason = "symlink loop" if exc.errno == errno.ELOOP else _os_reason(exc)
        problems.append(Problem(directory, reason))
        return []


def _kind(entry: os.DirEntry[str], ignores: _Ignores, problems: list[Problem]) -> str:
    """ "dir" to walk, "file" to analyse, "" to pass over."""
    try:
        is_dir = entry.is_dir()
        is_file = not is_dir and entry.is_file()
    except OSError:
        is_dir = is_file = False
    is_python = entry.name.endswith(PYTHON_SUFFIXES)
    if not (is_dir or is_file) and entry.is_symlink() and not os.path.exists(entry.path):
        if is_python:
            problems.append(Problem(entry.path, _dangling_reason(Path(entry.path))))
        return ""
    if not is_dir and not (is_file and is_python):
        return ""
    if ignores.ignored(entry.path, entry.name, is_dir):
        return ""
    return "dir" if is_dir else "file"


def _os_reason(exc: OSError) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or "cannot list folder"
