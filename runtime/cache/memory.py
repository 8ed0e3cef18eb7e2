"""``MemoryCache``: the in-process L1 (bounded, TTL, tags, thread-safe, lock-free hits).

Why lock-free reads are safe: CPython's GIL makes ``dict.get`` and the attribute reads of an
``Entry`` atomic, so a reader sees an entry either before or after a concurrent write, never a torn
one. A hit only does ``entry.hits += 1``; in 3.11 no thread switch can happen between that load and
store (the eval loop checks for switches on calls and backward jumps only), and even where one
could (free-threaded builds) a lost increment only makes a frequency and a statistic one lower.
Everything that changes structure (insert, evict, delete, clear) takes ``self._lock``. A reader
that got an entry just before it was evicted returns the value it read, exactly as if it had read a
moment earlier.

Freshness: ``fresh_until`` ends the TTL; an entry may be kept ``stale_ttl`` longer (``expires``)
so ``@cached`` can serve it if recomputation fails. ``get()`` never returns stale values.
"""

from __future__ import annotations

import _thread
import sys
import time

from .policy import DEAD, Entry, Policy, make_policy
from .tags import LocalTagVersions

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterable, Iterator

    from .tags import TagSnapshot

__all__ = ["FRESH", "MISSING", "STALE", "MemoryCache"]

FRESH = 1
STALE = 2
GONE = 0
_NEG_INF = float("-inf")


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: Sentinel for "argument not given" (``None`` is a valid TTL meaning "no expiry").
MISSING: object = _Missing()


def _default_weigher(key: object, value: object) -> int:
    """Shallow ``sys.getsizeof`` of the value: pass a real weigher for containers."""
    return sys.getsizeof(value)


class MemoryCache:
    """Bounded in-memory cache with a pluggable eviction policy.

    ``maxsize``: maximum number of entries (``None``: unbounded by count). ``max_weight``: maximum
    total weight, computed by ``weigher(key, value)`` (default: ``sys.getsizeof(value)``). ``ttl``:
    default time to live in seconds (``None``: no expiry). ``policy``: ``"s3fifo-adaptive"``
    (default), ``"s3fifo"`` or ``"lru"``, or a ``Policy`` instance. ``clock``: a monotonic clock in
    seconds, injectable for tests.
    """

    def __init__(
        self,
        maxsize: int | None = 1024,
        *,
        max_weight: int | None = None,
        weigher: Callable[[Hashable, object], int] | None = None,
        ttl: float | None = None,
        stale_ttl: float = 0.0,
        policy: str | Policy = "s3fifo-adaptive",
        clock: Callable[[], float] = time.monotonic,
        tag_versions: LocalTagVersions | None = None,
    ) -> None:
        if maxsize is not None and maxsize < 0:
            raise ValueError("maxsize must be >= 0 or None")
        if max_weight is not None and max_weight < 0:
            raise ValueError("max_weight must be >= 0 or None")
        if ttl is not None and ttl <= 0:
            raise ValueError("ttl must be > 0 or None")
        self.maxsize = maxsize
        self.max_weight = max_weight
        self.weigher = weigher if weigher is not None else (_default_weigher if max_weight else None)
        self.ttl = ttl
        self.stale_ttl = stale_ttl
        self.clock = clock
        self.tag_versions = tag_versions if tag_versions is not None else LocalTagVersions()
        bounded_by_weight = max_weight is not None
        capacity = max_weight if bounded_by_weight else maxsize
        self._disabled = capacity == 0 or maxsize == 0
        if isinstance(policy, Policy):
            self.policy = policy
        else:
            self.policy = make_policy(
                policy,
                max(1, capacity if capacity is not None else sys.maxsize >> 1),
                entry_bounded=not bounded_by_weight,
                ghost_capacity=int(maxsize * 0.9) if bounded_by_weight and maxsize else None,
            )
        self._data: dict[Hashable, Entry] = {}
        self._lock = _thread.RLock()
        self.weight = 0
        self._retired_hits = 0
        self.misses = 0
        self.evictions = 0
        self.expirations = 0
        self.invalidations = 0

    # -- reads -------------------------------------------------------------------------------

    def state(self, entry: Entry, now: float) -> int:
        """``FRESH``, ``STALE`` (past its TTL but inside the stale window) or ``GONE``."""
        if entry.expires is not None and now >= entry.expires:
            return GONE
        if entry.tags is not None and not self.tag_versions.valid(entry.tags):
            return GONE
        if entry.fresh_until is not None and now >= entry.fresh_until:
            return STALE
        return FRESH

    def lookup(self, key: Hashable) -> tuple[Entry | None, int]:
        """Entry and state for ``key`` without counting a hit or miss; drops gone entries."""
        entry = self._data.get(key)
        if entry is None:
            return None, GONE
        if entry.soft is None:
            return entry, FRESH
        state = self.state(entry, self.clock())
        if state == GONE:
            self._drop(entry)
            return None, GONE
        return entry, state

    def get(self, key: Hashable, default: object = None) -> object:
        """The fresh value for ``key``, or ``default``."""
        entry = self._data.get(key)
        if entry is not None:
            soft = entry.soft
            if soft is None or self.clock() < soft:
                if self.policy.inline_hits:
                    entry.hits += 1
                else:
                    self.policy.touch(entry)
                return entry.value
            state = self.state(entry, self.clock())
            if state == FRESH:
                self.record_hit(entry)
                return entry.value
            if state == GONE:  # stale entries stay for serve-stale-on-error
                self._drop(entry)
        self.misses += 1
        return default

    def record_hit(self, entry: Entry) -> None:
        if self.policy.inline_hits:
            entry.hits += 1
        else:
            self.policy.touch(entry)

    def __contains__(self, key: object) -> bool:
        try:
            entry, state = self.lookup(key)
        except TypeError:
            return False
        return entry is not None and state == FRESH

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> Iterator[Hashable]:
        return iter(list(self._data))

    # -- writes ------------------------------------------------------------------------------

    def set(
        self,
        key: Hashable,
        value: object,
        *,
        ttl: float | object | None = MISSING,
        stale_ttl: float | None = None,
        tags: Iterable[str] | None = None,
        tag_snapshot: TagSnapshot | None = None,
        delta: float = 0.0,
        early: float = 0.0,
        refresh_after: float | None = None,
    ) -> Entry | None:
        """Store ``value``; return the entry, or ``None`` if it could not be cached (too heavy).

        ``ttl`` defaults to the cache's; ``stale_ttl`` keeps the entry that much longer for
        serve-stale-on-error; ``tags``/``tag_snapshot`` tie it to tag versions; ``delta`` is the
        recomputation time (XFetch); ``early`` makes the fast path hand over to the slow path that
        many seconds before expiry (XFetch window); ``refresh_after`` schedules a refresh.
        """
        if self._disabled:
            return None
        ttl_value = self.ttl if ttl is MISSING else ttl
        if ttl_value is not None and not isinstance(ttl_value, int | float):
            raise TypeError("ttl must be a number of seconds or None")
        if ttl_value is not None and ttl_value <= 0:
            raise ValueError("ttl must be > 0 or None")
        stale = self.stale_ttl if stale_ttl is None else stale_ttl
        weight = self.weigher(key, value) if self.weigher is not None else 1
        if self.max_weight is not None and weight > self.max_weight:
            self.delete(key)
            return None
        snapshot = tag_snapshot
        if snapshot is None and tags:
            snapshot = self.tag_versions.snapshot(tags)
        now = self.clock() if (ttl_value is not None or refresh_after is not None) else 0.0
        fresh_until = None if ttl_value is None else now + float(ttl_value)
        expires = None if fresh_until is None else fresh_until + stale
        refresh_at = None if refresh_after is None else now + refresh_after
        soft: float | None = None
        if fresh_until is not None:
            soft = fresh_until - early
        if refresh_at is not None:
            soft = refresh_at if soft is None else min(soft, refresh_at)
        if snapshot:
            soft = _NEG_INF  # tag versions are checked on the slow path
        with self._lock:
            entry = self._data.get(key)
            if entry is not None and entry.queue != DEAD:
                self.weight += weight - entry.weight
                self.policy.resize(entry, weight)
                self._fill(entry, value, soft, fresh_until, expires, refresh_at, delta, snapshot)
                self._shrink()
                return entry if self._data.get(key) is entry else None
            self.policy.on_miss(key)
            self._make_room(weight)
            entry = Entry(key, value, weight)
            self._fill(entry, value, soft, fresh_until, expires, refresh_at, delta, snapshot)
            self._data[key] = entry
            self.weight += weight
            self.policy.admit(entry)
            return entry

    @staticmethod
    def _fill(
        entry: Entry,
        value: object,
        soft: float | None,
        fresh_until: float | None,
        expires: float | None,
        refresh_at: float | None,
        delta: float,
        tags: TagSnapshot | None,
    ) -> None:
        # value last: a lock-free reader that sees the new soft bound may still see the old value,
        # which was valid a moment ago; never the reverse (new value judged by an old bound).
        entry.fresh_until = fresh_until
        entry.expires = expires
        entry.refresh_at = refresh_at
        entry.delta = delta
        entry.tags = tags or None
        entry.value = value
        entry.soft = soft

    def _over(self, extra_weight: int, extra_count: int) -> bool:
        if self.maxsize is not None and len(self._data) + extra_count > self.maxsize:
            return True
        return self.max_weight is not None and self.weight + extra_weight > self.max_weight

    def _make_room(self, weight: int) -> None:
        while self._data and self._over(weight, 1):
            if not self._evict_one():
                break

    def _shrink(self) -> None:
        while self._data and self._over(0, 0):
            if not self._evict_one():
                break

    def _evict_one(self) -> bool:
        victim = self.policy.evict()
        if victim is None:
            return False
        if self._data.get(victim.key) is victim:
            del self._data[victim.key]
        self.weight -= victim.weight
        self._retired_hits += victim.hits
        self.evictions += 1
        return True

    def _drop(self, entry: Entry) -> None:
        """Remove an entry found dead on read (expired or tag-invalidated)."""
        with self._lock:
            if self._data.get(entry.key) is entry:
                self._remove(entry)
                self.expirations += 1

    def _remove(self, entry: Entry) -> None:
        del self._data[entry.key]
        self.policy.remove(entry)
        self.weight -= entry.weight
        self._retired_hits += entry.hits

    def delete(self, key: Hashable) -> bool:
        """Remove ``key``; return whether it was present."""
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return False
            self._remove(entry)
            self.invalidations += 1
            return True

    def clear(self) -> None:
        """Remove everything (statistics are kept)."""
        with self._lock:
            for entry in self._data.values():
                self._retired_hits += entry.hits
            self._data.clear()
            self.policy.clear()
            self.weight = 0

    def invalidate_tag(self, tag: str) -> int:
        """Invalidate every entry tagged ``tag`` (O(1): bumps the tag's version)."""
        return self.tag_versions.bump(tag)

    def purge_expired(self) -> int:
        """Drop every entry past its stale window now (O(n); eviction also reclaims them)."""
        now = self.clock()
        dropped = 0
        with self._lock:
            for entry in list(self._data.values()):
                if self.state(entry, now) == GONE:
                    self._remove(entry)
                    self.expirations += 1
                    dropped += 1
        return dropped

    # -- stats -------------------------------------------------------------------------------

    @property
    def hits(self) -> int:
        """Hits so far: counted in the entries (no shared counter on the hit path)."""
        with self._lock:
            return self._retired_hits + sum(e.hits for e in self._data.values())

    def stats(self) -> dict[str, object]:
        info: dict[str, object] = {
            "policy": self.policy.name,
            "hits": self.hits,
            "misses": self.misses,
            "entries": len(self._data),
            "weight": self.weight,
            "maxsize": self.maxsize,
            "max_weight": self.max_weight,
            "evictions": self.evictions,
            "expirations": self.expirations,
            "invalidations": self.invalidations,
        }
        info.update(self.policy.describe())
        return info
