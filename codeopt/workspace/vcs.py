"""Which of the files a change would touch hold work the user has not committed.

Rewriting a file with uncommitted edits mixes the tool's change with the user's, and ``git checkout``
can no longer undo one without the other; so transforms refuse such files unless told otherwise.
Untracked files count too: git holds no copy of them.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path


def _toplevel(folder: Path) -> Path | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:  # git not installed: nothing is known to be dirty
        return None
    if proc.returncode != 0:
        return None
    return Path(proc.stdout.strip()).resolve()


def dirty_paths(paths: Iterable[Path]) -> list[Path]:
    """The existing files among ``paths`` that git reports as modified, staged, or untracked."""
    by_repo: dict[Path, list[Path]] = defaultdict(list)
    roots: dict[Path, Path | None] = {}
    for path in paths:
        resolved = path.resolve()
        if not resolved.is_file():
            continue
        folder = resolved.parent
        if folder not in roots:
            roots[folder] = _toplevel(folder)
        root = roots[folder]
        if root is not None:
            by_repo[root].append(resolved)
    dirty: list[Path] = []
    for root, files in by_repo.items():
        dirty.extend(_dirty_in(root, files))
    return sorted(dirty)


def _dirty_in(root: Path, files: list[Path]) -> list[Path]:
    proc = subprocess.run(
        [
            "git",
            "-C",
            str(root),
            "status",
            "--porcelain",
            "-z",
            "--untracked-files=all",
            "--",
            *map(str, files),
        ],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        return []
    dirty = []
    entries = proc.stdout.decode(errors="surrogateescape").split("\0")
    skip_next = False
    for entry in entries:
        if skip_next:  # the source path of a rename
            skip_next = False
            continue
        if len(entry) < 4:
            continue
        status, name = entry[:2], entry[3:]
        skip_next = "R" in status or "C" in status
        dirty.append((root / name).resolve())
    wanted = set(files)
    return [path for path in dirty if path in wanted]
