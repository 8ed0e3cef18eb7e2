"""Tag versions: O(1) invalidation of every entry carrying a tag.

Why versions rather than a set of keys per tag: invalidating a tag by deleting its keys costs
O(keys) and needs the key sets to be stored and kept consistent (cashews); a version counter per
tag costs one write to bump and one comparison per tag on read (django-cachalot keeps one
timestamp per table). An entry stores the versions of its tags at write time; it is valid only
while every one of them is still current, so bumping a tag invalidates all its entries at once and
nothing is scanned. Dead entries are dropped lazily when read, or evicted by the policy.

``LocalTagVersions`` keeps the counters in this process. ``MultiLevelCache`` layers a shared
store (Redis, the disk tier) on top of it so that versions survive restarts and are seen by every
process; the local counters are then a cache of the shared ones, updated by pub/sub and refreshed
periodically, and the fallback while the shared tier is down.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["LocalTagVersions", "TagSnapshot"]

#: ``((tag, version), ...)`` stored with an entry at write time.
TagSnapshot = tuple[tuple[str, int], ...]


class LocalTagVersions:
    """Per-process tag version counters (a missing tag is at version 0).

    Reads are plain dict lookups (safe without a lock under the GIL); ``bump`` and ``observe``
    are single dict writes of a value computed from a read, serialised by the callers' locks where
    exactness matters (a lost concurrent bump still moves the version forward, which is all an
    invalidation needs).
    """

    def __init__(self) -> None:
        self._versions: dict[str, int] = {}

    def current(self, tag: str) -> int:
        return self._versions.get(tag, 0)

    def snapshot(self, tags: Iterable[str]) -> TagSnapshot:
        get = self._versions.get
        return tuple((tag, get(tag, 0)) for tag in sorted(set(tags)))

    def valid(self, snapshot: TagSnapshot) -> bool:
        get = self._versions.get
        return all(get(tag, 0) == version for tag, version in snapshot)

    def bump(self, tag: str) -> int:
        version = self._versions.get(tag, 0) + 1
        self._versions[tag] = version
        return version

    def observe(self, tag: str, version: int) -> bool:
        """Adopt a version learnt from elsewhere if it is newer; return whether it changed."""
        if version > self._versions.get(tag, 0):
            self._versions[tag] = version
            return True
        return False

    def known(self) -> dict[str, int]:
        return dict(self._versions)
