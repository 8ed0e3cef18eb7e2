"""A persistent per-file result cache under ``.codeopt_cache/``.

The key is the file's bytes, its module name, codeopt's version, the Python version (``ast`` differs
between versions) and a settings digest, so any change that could change a result misses. Entries are
written atomically (temp file + rename) so concurrent runs never read half a file. A corrupt or
unreadable entry is a miss, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

from codeopt import __version__

_SCHEMA = "1"
_README = "This folder is codeopt's cache; it is safe to delete. Disable it with --no-cache.\n"


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
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / key)
        except OSError:
            # A read-only tree or a full disk must not fail the analysis; stop trying for this run.
            self._usable = False
            with contextlib.suppress(Exception):
                os.unlink(tmp)
