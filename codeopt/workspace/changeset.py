"""All the files of one change, written together or not at all.

A split or a rewrite touches many files; a half-written change is worse than none, because the user's
tree no longer imports and the reason is not obvious. So a change is collected first (``ChangeSet``),
shown as a diff, re-parsed, checked against what is on disk now (a file edited since it was read is
not overwritten), and only then written: each file through a temporary file and an atomic rename, with
the old bytes kept so that a failure part-way — or a later failed verification — puts every byte back
(``Applied.rollback``), including removing files and folders the change created.
"""

from __future__ import annotations

import ast
import difflib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from codeopt.errors import WriteFailure

_DELETE = None


@dataclass(frozen=True)
class _Original:
    """What was at a path before the change: its bytes and mode, or nothing."""

    data: bytes | None
    mode: int | None


def _read_original(path: Path) -> _Original:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return _Original(None, None)
    except OSError as exc:
        raise WriteFailure(f"cannot read: {exc.strerror or exc}", path) from exc
    if not stat.S_ISREG(info.st_mode):
        raise WriteFailure("not a regular file", path)
    try:
        return _Original(path.read_bytes(), stat.S_IMODE(info.st_mode))
    except OSError as exc:
        raise WriteFailure(f"cannot read: {exc.strerror or exc}", path) from exc


def _decode(data: bytes | None, encoding: str) -> str:
    if data is None:
        return ""
    return data.decode(encoding, errors="replace")


def _check_parses(path: Path, text: str) -> None:
    """Refuse to write Python that does not parse; LibCST accepts syntax newer than the host's ``ast``."""
    try:
        ast.parse(text, filename=str(path))
        return
    except SyntaxError as exc:
        first_error = exc
    except (ValueError, RecursionError) as exc:
        raise WriteFailure(f"the new text does not parse: {exc}", path) from exc
    import libcst

    try:
        libcst.parse_module(text)
    except Exception as exc:
        raise WriteFailure(
            f"the new text does not parse: line {first_error.lineno}: {first_error.msg}", path
        ) from exc


def _write_atomically(path: Path, data: bytes, mode: int | None) -> None:
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".codeopt-tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if mode is not None:
            os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


class ChangeSet:
    """Pending writes and deletions, keyed by absolute path, with what each file held when it was read."""

    def __init__(self) -> None:
        self._new: dict[Path, bytes | None] = {}
        self._encoding: dict[Path, str] = {}
        self._seen: dict[Path, _Original] = {}

    def write(self, path: Path, text: str, encoding: str = "utf-8") -> None:
        """Schedule ``text`` for ``path``; an identical write is dropped so a no-op change is empty."""
        key = path.resolve()
        original = self._remember(key)
        data = text.encode(encoding)
        if original.data == data:
            self._new.pop(key, None)
            return
        self._new[key] = data
        self._encoding[key] = encoding

    def delete(self, path: Path) -> None:
        key = path.resolve()
        if self._remember(key).data is not None:
            self._new[key] = _DELETE

    def _remember(self, key: Path) -> _Original:
        if key not in self._seen:
            self._seen[key] = _read_original(key)
        return self._seen[key]

    def paths(self) -> tuple[Path, ...]:
        return tuple(sorted(self._new))

    def __bool__(self) -> bool:
        return bool(self._new)

    def __len__(self) -> int:
        return len(self._new)

    def text(self, path: Path) -> str | None:
        """The scheduled text of ``path`` (None when it is deleted or untouched)."""
        data = self._new.get(path.resolve())
        return None if data is None else data.decode(self._encoding[path.resolve()])

    def diff(self, root: Path) -> str:
        """A unified diff of the whole change, paths relative to ``root`` (git's a/ b/ convention)."""
        return "".join(self._diff_chunks(root.resolve()))

    def _diff_chunks(self, root: Path) -> Iterator[str]:
        for path in self.paths():
            encoding = self._encoding.get(path, "utf-8")
            before = self._seen[path].data
            after = self._new[path]
            name = os.path.relpath(path, root)
            old_name = f"a/{name}" if before is not None else "/dev/null"
            new_name = f"b/{name}" if after is not None else "/dev/null"
            lines = difflib.unified_diff(
                _decode(before, encoding).splitlines(keepends=True),
                _decode(after, encoding).splitlines(keepends=True),
                old_name,
                new_name,
            )
            for line in lines:
                yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"

    def apply(self) -> Applied:
        """Write everything or nothing; raises ``WriteFailure`` after restoring what was written."""
        self._preflight()
        applied = Applied()
        try:
            for path in self.paths():
                applied.record(path, self._seen[path])
                data = self._new[path]
                if data is None:
                    path.unlink()
                    continue
                applied.make_parents(path)
                _write_atomically(path, data, self._seen[path].mode)
        except OSError as exc:
            applied.rollback()
            raise WriteFailure(f"cannot write: {exc.strerror or exc}; nothing was changed", path) from exc
        return applied

    def _preflight(self) -> None:
        for path in self.paths():
            if _read_original(path) != self._seen[path]:
                raise WriteFailure("changed on disk since it was read; nothing was written", path)
            data = self._new[path]
            if data is not None and path.suffix in (".py", ".pyi"):
                _check_parses(path, data.decode(self._encoding[path]))


class Applied:
    """A written change that can still be undone byte for byte."""

    def __init__(self) -> None:
        self._originals: list[tuple[Path, _Original]] = []
        self._created_dirs: list[Path] = []

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(path for path, _ in self._originals)

    def record(self, path: Path, original: _Original) -> None:
        self._originals.append((path, original))

    def make_parents(self, path: Path) -> None:
        missing = [parent for parent in path.parents if not parent.exists()]
        for folder in reversed(missing):
            folder.mkdir()
            self._created_dirs.append(folder)

    def rollback(self) -> None:
        """Put back every original byte and mode; remove created files and the folders made for them."""
        for path, original in reversed(self._originals):
            if original.data is None:
                path.unlink(missing_ok=True)
            else:
                _write_atomically(path, original.data, original.mode)
        for folder in reversed(self._created_dirs):
            _remove_if_only_caches(folder)
        self._originals.clear()
        self._created_dirs.clear()


def _remove_if_only_caches(folder: Path) -> None:
    """Remove a folder the change created, once it holds nothing but ``__pycache__`` (left by imports)."""
    if not folder.is_dir():
        return
    entries = list(folder.iterdir())
    if all(entry.name == "__pycache__" and entry.is_dir() for entry in entries):
        shutil.rmtree(folder, ignore_errors=True)
