"""``MultiLevelCache``: L1 memory -> Redis -> disk, behind one get/set/delete API.

* **Read-through with promotion.** A read tries L1, then each lower tier in order. A lower-tier hit
  is promoted into L1 only once the key is *hot*: a Count-Min sketch with periodic halving counts
  lower-tier reads, and a key is promoted when its decayed count reaches ``promote_after`` (one-off
  reads do not push hot keys out of L1). A hit in a lower tier also back-fills the tiers above it
  that missed (a disk hit is written to Redis).
* **Write/delete through all tiers**, then a pub/sub message (key or tag, plus this instance's
  ``origin`` id) tells the other processes to drop their L1 copies. The subscriber thread ignores
  its own messages, reconnects with backoff, and clears L1 after a reconnect (it may have missed
  invalidations while disconnected).
* **Failures never reach the caller.** Each lower tier sits behind a ``CircuitBreaker``; an error
  (Redis down, disk full, undecodable data) is counted and the tier is skipped; while the breaker is
  open the tier is not even tried, so an outage costs nothing per call after the first failures.
* **Tags.** Entries carry the versions of their tags at write time; versions live in Redis (shared)
  and on disk (durable), the effective version being the maximum of what is reachable, with this
  process's counters as the fallback when neither is.
* **Serialisation** for the lower tiers goes through ``Serializer`` (JSON by default; pickle only
  with an HMAC key or by explicit choice). A tampered payload is a miss, counted as ``tampered``.
"""

from __future__ import annotations

import _thread
import contextlib
import os
import time

from .breaker import CircuitBreaker
from .memory import FRESH, MISSING, MemoryCache
from .policy import Entry
from .serialize import Serializer, TamperedError, make_serializer
from .tags import LocalTagVersions

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterable
    from typing import Any

    from .decorators import _Flight
    from .disk import DiskTier
    from .redis_tier import RedisTier
    from .tags import TagSnapshot
    from .warming import PredictiveWarmer

__all__ = ["FrequencySketch", "MultiLevelCache"]

_M64 = 0xFFFFFFFFFFFFFFFF


class FrequencySketch:
    """Count-Min sketch (4 rows of 4-bit counters) with halving: a decayed frequency counter.

    Why halving: without it a key that was hot yesterday stays "hot" forever. After ``sample``
    increments every counter is halved, so counts are a moving window of recent popularity
    (TinyLFU's reset). Memory: ``4 * width`` bytes.
    """

    def __init__(self, width: int = 4096, sample: int | None = None) -> None:
        size = 16
        while size < width:
            size <<= 1
        self.width = size
        self._mask = size - 1
        self._rows = [bytearray(size) for _ in range(4)]
        self.sample = sample if sample is not None else 10 * size
        self._added = 0

    def _indexes(self, key: Hashable) -> tuple[int, int, int, int]:
        h = (hash(key) * 0x9E3779B97F4A7C15) & _M64
        h ^= h >> 31
        h = (h * 0xBF58476D1CE4E5B9) & _M64
        h ^= h >> 29
        m = self._mask
        return h & m, (h >> 16) & m, (h >> 32) & m, ((h >> 48) | (h << 16)) & m

    def increment(self, key: Hashable) -> None:
        rows = self._rows
        for row, i in zip(rows, self._indexes(key), strict=True):
            if row[i] < 15:
                row[i] += 1
        self._added += 1
        if self._added >= self.sample:
            self._rows = [bytearray(v >> 1 for v in row) for row in rows]
            self._added //= 2

    def estimate(self, key: Hashable) -> int:
        return min(row[i] for row, i in zip(self._rows, self._indexes(key), strict=True))


class _Tier:
    """A lower tier with its breaker and counters."""

    def __init__(self, tier: Any, breaker: CircuitBreaker) -> None:
        self.tier = tier
        self.name: str = tier.name
        self.breaker = breaker
        self.hits = 0
        self.misses = 0
        self.errors = 0
        self.skipped = 0

    def call(self, method: str, *args: Any) -> tuple[bool, Any]:
        """Run ``tier.method(*args)`` behind the breaker: ``(ok, result)``, never raises."""
        if not self.breaker.allow():
            self.skipped += 1
            return False, None
        try:
            result = getattr(self.tier, method)(*args)
        except Exception:
            self.errors += 1
            self.breaker.failure()
            return False, None
        self.breaker.success()
        return True, result


class _SharedTagVersions(LocalTagVersions):
    """Local counters kept in step with the shared tiers (see module docstring)."""

    def __init__(self, owner: MultiLevelCache) -> None:
        super().__init__()
        self._owner = owner

    def refresh(self, tags: Iterable[str]) -> None:
        tags = list(tags)
        if not tags:
            return
        for tier in self._owner._tiers:
            ok, versions = tier.call("tag_versions", tags)
            if ok:
                for tag, version in versions.items():
                    self.observe(tag, version)

    def bump(self, tag: str) -> int:
        version = self.current(tag) + 1
        for tier in self._owner._tiers:
            ok, new = tier.call("bump_tag", tag, version - 1)
            if ok:
                version = max(version, new)
        self._versions[tag] = max(version, self.current(tag))
        return self._versions[tag]


class MultiLevelCache:
    """L1 (``MemoryCache``) -> ``RedisTier`` -> ``DiskTier``; see the module docstring.

    ``redis``: a ``RedisTier`` or a URL (redis-py is imported only then). ``disk``: a ``DiskTier``
    or a path. ``serializer``: ``"json"`` (default), ``"pickle"`` (needs ``hmac_key``) or
    ``"pickle-unsafe"``. ``origin``: this instance's id in invalidation messages (default: random).
    ``subscribe``: start the pub/sub listener (when Redis is configured).
    """

    def __init__(
        self,
        *,
        l1: MemoryCache | None = None,
        maxsize: int = 10_000,
        redis: RedisTier | str | None = None,
        disk: DiskTier | str | os.PathLike[str] | None = None,
        namespace: str = "codeopt",
        serializer: str | Serializer = "json",
        hmac_key: bytes | str | None = None,
        origin: str | None = None,
        promote_after: int = 2,
        breaker_threshold: int = 3,
        breaker_cooldown: float = 5.0,
        subscribe: bool = True,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.serializer = make_serializer(serializer, hmac_key)
        self.tag_versions = _SharedTagVersions(self)
        if l1 is None:
            l1 = MemoryCache(maxsize, clock=clock, tag_versions=self.tag_versions)
        else:
            l1.tag_versions = self.tag_versions
        self.l1 = l1
        self.clock = l1.clock
        self.wall_clock = wall_clock
        self.origin = origin or os.urandom(8).hex()
        self.promote_after = promote_after
        self.sketch = FrequencySketch(max(64, 4 * (l1.maxsize or 1024)))
        self._tiers: list[_Tier] = []
        self._redis: RedisTier | None = None
        if redis is not None:
            if isinstance(redis, str):
                from .redis_tier import RedisTier

                redis = RedisTier(redis, namespace=namespace)
            self._redis = redis
            self._tiers.append(_Tier(redis, CircuitBreaker(breaker_threshold, breaker_cooldown, clock=clock)))
        if disk is not None:
            if not hasattr(disk, "get"):
                from .disk import DiskTier

                disk = DiskTier(disk, wall_clock=wall_clock)
            self._tiers.append(_Tier(disk, CircuitBreaker(breaker_threshold, breaker_cooldown, clock=clock)))
        self._lock = _thread.allocate_lock()
        self._flights: dict[Hashable, _Flight] = {}
        self.promotions = 0
        self.backfills = 0
        self.tampered = 0
        self.serialize_errors = 0
        self.invalidations_received = 0
        self.resyncs = 0
        self.publish_errors = 0
        self.misses = 0
        self.warmer: PredictiveWarmer | None = None
        self._closed = False
        self._ready = _thread.allocate_lock()
        self._ready.acquire()
        self._listener_started = False
        if self._redis is not None and subscribe:
            self._listener_started = True
            _thread.start_new_thread(self._listen, ())

    # -- helpers -----------------------------------------------------------------------------

    def _tier(self, name: str) -> _Tier | None:
        for tier in self._tiers:
            if tier.name == name:
                return tier
        return None

    def _envelope(
        self, value: object, ttl: float | None, tags: TagSnapshot | None, delta: float
    ) -> bytes | None:
        record: dict[str, Any] = {"v": value, "d": delta}
        if ttl is not None:
            record["e"] = self.wall_clock() + ttl
        if tags:
            record["t"] = [[t, v] for t, v in tags]
        try:
            return self.serializer.dumps(record)
        except Exception:
            self.serialize_errors += 1
            return None

    def _publish(self, message: dict[str, Any]) -> None:
        if self._redis is None:
            return
        tier = self._tier("redis")
        assert tier is not None
        message["o"] = self.origin
        ok, _ = tier.call("publish", message)
        if not ok:
            self.publish_errors += 1

    # -- reads -------------------------------------------------------------------------------

    def fetch(self, key: Hashable) -> Entry | None:
        """Look ``key`` up in the lower tiers (L1 already missed); promote/back-fill on a hit.

        Returns the L1 entry when promoted, otherwise a detached ``Entry`` describing the value.
        """
        skey = key if isinstance(key, str) else repr(key)
        missed: list[_Tier] = []
        for tier in self._tiers:
            ok, data = tier.call("get", skey)
            if not ok:
                continue
            if data is None:
                tier.misses += 1
                missed.append(tier)
                continue
            try:
                record = self.serializer.loads(data)
                value = record["v"]
            except (TamperedError, KeyError, TypeError):
                self.tampered += 1
                tier.misses += 1
                tier.call("delete", [skey])
                missed.append(tier)
                continue
            snapshot: TagSnapshot | None = None
            if record.get("t"):
                snapshot = tuple((str(t), int(v)) for t, v in record["t"])
                self.tag_versions.refresh(t for t, _ in snapshot)
                if not self.tag_versions.valid(snapshot):
                    tier.misses += 1
                    missed.append(tier)
                    continue
            remaining: float | None = None
            if record.get("e") is not None:
                remaining = float(record["e"]) - self.wall_clock()
                if remaining <= 0:
                    tier.misses += 1
                    missed.append(tier)
                    continue
            tier.hits += 1
            delta = float(record.get("d") or 0.0)
            for upper in missed:  # back-fill the tiers above that missed
                if upper.call("set", skey, data, remaining)[0]:
                    self.backfills += 1
            self.sketch.increment(key)
            if self.sketch.estimate(key) >= self.promote_after:
                entry = self.l1.set(key, value, ttl=remaining, tag_snapshot=snapshot, delta=delta, early=0.0)
                if entry is not None:
                    self.promotions += 1
                    return entry
            entry = Entry(key, value)
            now = self.clock()
            entry.fresh_until = entry.expires = None if remaining is None else now + remaining
            entry.tags = snapshot
            entry.delta = delta
            entry.soft = float("-inf")
            return entry
        return None

    def attach_warmer(self, warmer: PredictiveWarmer) -> None:
        """Feed every ``get`` to ``warmer`` and report its precision in ``stats()``."""
        self.warmer = warmer

    def get(self, key: Hashable, default: object = None) -> object:
        if self.warmer is not None:
            self.warmer.record(key)
        return self._get(key, default)

    def _get(self, key: Hashable, default: object) -> object:
        entry, state = self.l1.lookup(key)
        if entry is not None and state == FRESH:
            self.l1.record_hit(entry)
            return entry.value
        self.l1.misses += 1
        entry = self.fetch(key)
        if entry is not None and self.l1.state(entry, self.clock()) == FRESH:
            return entry.value
        self.misses += 1
        return default

    def __contains__(self, key: Hashable) -> bool:
        """Whether a fresh value exists in some tier (not counted as a request by the warmer)."""
        return self._get(key, MISSING) is not MISSING

    def get_or_load(
        self,
        key: Hashable,
        loader: Callable[[], object],
        *,
        ttl: float | None = None,
        tags: Iterable[str] | None = None,
    ) -> object:
        """Read through; on a miss one caller per key runs ``loader`` (single-flight)."""
        value = self.get(key, MISSING)
        if value is not MISSING:
            return value
        from .decorators import _Flight

        with self._lock:
            found = self._flights.get(key)
            leader = found is None
            flight: _Flight = _Flight() if found is None else found
            if leader:
                self._flights[key] = flight
        if not leader:
            if flight.owner == _thread.get_ident():
                return loader()
            flight.done.acquire()
            flight.done.release()
            if flight.error is not None:
                raise flight.error
            return flight.result
        try:
            value = self._get(key, MISSING)
            if value is MISSING:
                start = self.clock()
                try:
                    value = loader()
                except BaseException as exc:
                    flight.error = exc
                    raise
                self.store(
                    key,
                    value,
                    ttl=ttl,
                    stale_ttl=0.0,
                    tags=tags,
                    delta=self.clock() - start,
                    early=0.0,
                    refresh_after=None,
                )
            flight.result = value
            return value
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.release()

    # -- writes ------------------------------------------------------------------------------

    def store(
        self,
        key: Hashable,
        value: object,
        *,
        ttl: float | None,
        stale_ttl: float,
        tags: Iterable[str] | None,
        delta: float,
        early: float,
        refresh_after: float | None,
    ) -> Entry | None:
        """Write through every tier (the ``Backend`` interface of the decorators)."""
        tag_list = sorted(set(tags)) if tags else []
        if tag_list:
            self.tag_versions.refresh(tag_list)
        snapshot = self.tag_versions.snapshot(tag_list) if tag_list else None
        entry = self.l1.set(
            key,
            value,
            ttl=ttl,
            stale_ttl=stale_ttl,
            tag_snapshot=snapshot,
            delta=delta,
            early=early,
            refresh_after=refresh_after,
        )
        skey = key if isinstance(key, str) else repr(key)
        data = self._envelope(value, ttl, snapshot, delta) if self._tiers else None
        if data is not None:
            for tier in self._tiers:
                tier.call("set", skey, data, ttl)
        self._publish({"k": [skey]})
        return entry

    def set(
        self, key: Hashable, value: object, *, ttl: float | None = None, tags: Iterable[str] | None = None
    ) -> None:
        self.store(key, value, ttl=ttl, stale_ttl=0.0, tags=tags, delta=0.0, early=0.0, refresh_after=None)

    def delete(self, key: Hashable) -> None:
        self.l1.delete(key)
        skey = key if isinstance(key, str) else repr(key)
        for tier in self._tiers:
            tier.call("delete", [skey])
        self._publish({"k": [skey]})

    def invalidate_tag(self, tag: str) -> int:
        """O(1) invalidation of every entry tagged ``tag``, in every tier and process."""
        version = self.tag_versions.bump(tag)
        self._publish({"t": [[tag, version]]})
        return version

    def clear(self) -> None:
        self.l1.clear()
        for tier in self._tiers:
            tier.call("clear")
        self._publish({"c": 1})

    # -- pub/sub -----------------------------------------------------------------------------

    def wait_subscribed(self, timeout: float = 5.0) -> bool:
        """Block until the invalidation listener is subscribed (tests, start-up ordering)."""
        if not self._listener_started:
            return False
        if self._ready.acquire(timeout=timeout):
            self._ready.release()
            return True
        return False

    def handle_message(self, message: dict[str, Any]) -> None:
        """Apply an invalidation published by another instance."""
        if message.get("o") == self.origin:
            return
        self.invalidations_received += 1
        for key in message.get("k", ()):
            self.l1.delete(key)
        for tag, version in message.get("t", ()):
            self.tag_versions.observe(str(tag), int(version))
        if message.get("c"):
            self.l1.clear()

    def _listen(self) -> None:
        import json

        assert self._redis is not None
        delay = 0.05
        connected_before = False
        while not self._closed:
            pubsub = None
            try:
                pubsub = self._redis.pubsub()
                pubsub.subscribe(self._redis.channel)
                while not self._closed:  # wait for the subscription to be confirmed
                    confirmed = pubsub.get_message(timeout=0.2)
                    if confirmed and confirmed.get("type") == "subscribe":
                        break
                if connected_before:
                    # messages may have been lost while disconnected: drop what L1 could hold stale
                    self.resyncs += 1
                    self.l1.clear()
                connected_before = True
                delay = 0.05
                if self._ready.locked():
                    self._ready.release()
                while not self._closed:
                    msg = pubsub.get_message(timeout=0.2)
                    if msg and msg.get("type") == "message":
                        try:
                            self.handle_message(json.loads(msg["data"]))
                        except (ValueError, TypeError, KeyError):
                            continue
            except Exception:
                if self._closed:
                    break
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):  # closing a broken connection may fail
                        pubsub.close()

    # -- stats / lifecycle -------------------------------------------------------------------

    def stats(self) -> dict[str, object]:
        tiers: dict[str, object] = {}
        for tier in self._tiers:
            tiers[tier.name] = {
                "hits": tier.hits,
                "misses": tier.misses,
                "errors": tier.errors,
                "skipped": tier.skipped,
                "breaker": tier.breaker.stats(),
            }
        return {
            "l1": self.l1.stats(),
            "tiers": tiers,
            "misses": self.misses,
            "promotions": self.promotions,
            "backfills": self.backfills,
            "tampered": self.tampered,
            "serialize_errors": self.serialize_errors,
            "invalidations_received": self.invalidations_received,
            "resyncs": self.resyncs,
            "publish_errors": self.publish_errors,
            "warming": None if self.warmer is None else self.warmer.stats(),
        }

    def breaker_state(self, tier: str) -> str:
        found = self._tier(tier)
        return "absent" if found is None else found.breaker.state

    def close(self) -> None:
        self._closed = True
        for tier in self._tiers:
            with contextlib.suppress(Exception):  # best effort on shutdown
                tier.tier.close()

    def __enter__(self) -> MultiLevelCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
