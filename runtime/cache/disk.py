"""``DiskTier``: a size-bounded SQLite store for the multi-level cache (stdlib only).

Why SQLite: atomic writes, safe concurrent use by several processes (WAL: readers never block the
writer), an index for expiry and recency, and no dependency. Each row has an absolute wall-clock
``expires`` (the file outlives processes, so monotonic time is meaningless here) and an ``atime``
that is refreshed at most every ``touch_interval`` seconds (a write per read would cost ~10x the
read). When the payload total passes ``max_bytes`` the expired rows go first, then the least
recently used until 90% of the bound. Tag versions live in a table of their own so they survive
restarts together with the entries they guard.

Methods raise on I/O errors; ``MultiLevelCache`` turns those into counted tier failures.
"""

from __future__ import annotations

import _thread
import os
import sqlite3
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = ["DiskTier"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    expires REAL,
    size INTEGER NOT NULL,
    atime REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_atime ON entries(atime);
CREATE INDEX IF NOT EXISTS entries_expires ON entries(expires);
CREATE TABLE IF NOT EXISTS tags (tag TEXT PRIMARY KEY, version INTEGER NOT NULL);
"""


class DiskTier:
    """SQLite-backed tier. ``path``: the database file (its folder is created)."""

    name = "disk"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        max_bytes: int = 256 * 1024 * 1024,
        touch_interval: float = 60.0,
        timeout: float = 5.0,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = os.fspath(path)
        parent = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(parent, exist_ok=True)
        self.max_bytes = max_bytes
        self.touch_interval = touch_interval
        self.wall_clock = wall_clock
        self._lock = _thread.allocate_lock()
        self._conn = sqlite3.connect(
            self.path, timeout=timeout, check_same_thread=False, isolation_level=None
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self._total = self._sum()
        self.evictions = 0

    def _sum(self) -> int:
        row = self._conn.execute("SELECT COALESCE(SUM(size), 0) FROM entries").fetchone()
        return int(row[0])

    def get(self, key: str) -> bytes | None:
        now = self.wall_clock()
        with self._lock:
            row = self._conn.execute(
                "SELECT value, expires, atime FROM entries WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                return None
            value, expires, atime = row
            if expires is not None and expires <= now:
                self._conn.execute("DELETE FROM entries WHERE key = ?", (key,))
                return None
            if now - atime > self.touch_interval:
                self._conn.execute("UPDATE entries SET atime = ? WHERE key = ?", (now, key))
        return bytes(value)

    def set(self, key: str, data: bytes, ttl: float | None) -> None:
        now = self.wall_clock()
        expires = None if ttl is None else now + ttl
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO entries (key, value, expires, size, atime) VALUES (?, ?, ?, ?, ?)",
                (key, data, expires, len(data), now),
            )
            self._total += len(data)
            if self._total > self.max_bytes:
                self._evict(now)

    def _evict(self, now: float) -> None:
        self._conn.execute("DELETE FROM entries WHERE expires IS NOT NULL AND expires <= ?", (now,))
        self._total = self._sum()
        target = int(self.max_bytes * 0.9)
        while self._total > target:
            deleted = self._conn.execute(
                "DELETE FROM entries WHERE key IN (SELECT key FROM entries ORDER BY atime LIMIT 64)"
            ).rowcount
            self.evictions += max(deleted, 0)
            self._total = self._sum()
            if deleted <= 0:
                break

    def delete(self, keys: Iterable[str]) -> None:
        with self._lock:
            self._conn.executemany("DELETE FROM entries WHERE key = ?", [(k,) for k in keys])

    def clear(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM entries")
            self._total = 0

    def tag_versions(self, tags: Iterable[str]) -> dict[str, int]:
        tags = list(tags)
        if not tags:
            return {}
        marks = ",".join("?" * len(tags))
        with self._lock:
            rows = self._conn.execute(
                f"SELECT tag, version FROM tags WHERE tag IN ({marks})", tags
            ).fetchall()
        return {tag: int(version) for tag, version in rows}

    def bump_tag(self, tag: str, at_least: int = 0) -> int:
        """Increment ``tag``'s version (to at least ``at_least + 1``); return the new version."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                row = self._conn.execute("SELECT version FROM tags WHERE tag = ?", (tag,)).fetchone()
                version = max(int(row[0]) if row else 0, at_least) + 1
                self._conn.execute("INSERT OR REPLACE INTO tags (tag, version) VALUES (?, ?)", (tag, version))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return version

    def size_bytes(self) -> int:
        return self._total

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()
