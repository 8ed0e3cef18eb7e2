"""A persistent per-file result cache under ``.codeopt_cache/``.

The key is the file's bytes, its module name, codeopt's version, the Python version (``ast`` differs
between versions) and a settings digest, so any change that could change a result misses. Entries are
written atomically (temp file + rename) so concurrent runs never read half a file. A corrupt or
unreadable entry is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from codeopt import __version__

_SCHEMA = "1"
_README = "This folder is codeopt's cache; it is safe to delete. Disable it with --no-cache.\n"


def _write_atomically(target: Path, payload: bytes) -> None:
    """Temp file + rename in the same folder, so a reader sees the old file or the new one, never
    half of one; the temp file is removed when the write fails."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _no_gc(freeze: bool = False) -> Iterator[None]:
    """Unpickling hundreds of thousands of small objects triggers the cyclic collector over and over
    (it counts allocations); none of them can be garbage yet, so pause it. With ``freeze``, what was
    loaded moves to the collector's permanent generation: the next collection would otherwise walk all
    of it once more (~0.4 s for a whole run) although a cached run lives until the process ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


class ResultCache:
    def __init__(self, directory: Path, salt: str = "") -> None:
        self.directory = directory / f"v{_SCHEMA}"
        self.salt = f"{__version__}|{sys.version_info[:3]}|{salt}"
        self.hits = 0
        self.misses = 0
        self._usable = True

    def key(self, raw: bytes, module: str, path: str) -> str:
        digest = hashlib.blake2b(raw, digest_size=20)
        digest.update(f"\0{module}\0{path}\0{self.salt}".encode())
        return digest.hexdigest()

    def get(self, key: str) -> Any | None:
        entry = self.directory / key[:2] / key
        try:
            with entry.open("rb") as handle:
                value = pickle.load(handle)
        except FileNotFoundError:
            self.misses += 1
            return None
        except Exception:  # a corrupt entry is a miss; it will be overwritten
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: Any) -> None:
        if not self._usable:
            return
        folder = self.directory / key[:2]
        try:
            if not self.directory.exists():
                self.directory.mkdir(parents=True, exist_ok=True)
                (self.directory.parent / "README").write_text(_README)
                (self.directory.parent / ".gitignore").write_text("*\n")
            folder.mkdir(exist_ok=True)
            _write_atomically(folder / key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            # A read-only tree or a full disk must not fail the analysis; stop trying for this run.
            self._usable = False


class RunCache:
    """The whole previous run, for the common re-run on an unchanged tree.

    Keyed by every file's path, size, inode and modification time plus the settings (the per-file
    cache, keyed by content, still answers when only some files changed). Files modified within the
    last two seconds are not trusted, as git does for its racy index entries: a write in the same
    clock tick could keep size and time. One entry per project: the key lives in a small file of its
    own, so a mismatch costs no unpickling.
    """

    RACY_SECONDS = 2.0

    def __init__(self, directory: Path) -> None:
        self.directory = directory / f"v{_SCHEMA}"
        self.key_file = self.directory / "run.key"
        self.data_file = self.directory / "run.pickle"

    def key(self, paths: list[Path], salt: str) -> str | None:
        """None when a file is too fresh to trust or cannot be stat'ed: then the run is not cached."""
        import time

        digest = hashlib.blake2b(salt.encode(), digest_size=20)
        newest_allowed = (time.time() - self.RACY_SECONDS) * 1e9
        for path in paths:
            try:
                info = os.stat(path)
            except OSError:
                return None
            if info.st_mtime_ns > newest_allowed:
                return None
            digest.update(f"\0{path}\0{info.st_size}\0{info.st_ino}\0{info.st_mtime_ns}".encode())
        return digest.hexdigest()

    def get(self, key: str) -> Any | None:
        try:
            if self.key_file.read_text() != key:
                return None
            with self.data_file.open("rb") as handle, _no_gc(freeze=True):
                stored_key, value = pickle.load(handle)
            return value if stored_key == key else None  # a concurrent run may have replaced it
        except Exception:  # missing or corrupt: a miss
            return None

    def put(self, key: str, value: Any) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # data before key: a reader that sees the new key finds the new data (and checks it)
            _write_atomically(self.data_file, pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL))
            _write_atomically(self.key_file, key.encode())
        except OSError:
            pass  # a read-only tree or a full disk must not fail the analysis
