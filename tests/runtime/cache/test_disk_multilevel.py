"""DiskTier and MultiLevelCache without Redis: read-through, promotion, tags, failures."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from codeopt_runtime.cache import DiskTier, MultiLevelCache, Serializer, cached
from tests.runtime.helpers import FakeClock


def test_disk_tier_expiry_and_size_bound(tmp_path: Path, clock: FakeClock) -> None:
    disk = DiskTier(tmp_path / "c.db", max_bytes=10_000, wall_clock=clock)
    disk.set("a", b"1", ttl=5)
    disk.set("b", b"2", ttl=None)
    assert disk.get("a") == b"1"
    clock.advance(6)
    assert disk.get("a") is None
    assert disk.get("b") == b"2"
    for i in range(100):
        clock.advance(1)
        disk.set(f"k{i}", b"x" * 500, ttl=None)
        assert disk.size_bytes() <= 10_000
    assert disk.get("k99") is not None  # most recent kept
    assert disk.get("k0") is None  # least recently used evicted
    assert disk.evictions > 0
    disk.close()


def test_disk_tag_versions_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    disk = DiskTier(path)
    assert disk.bump_tag("t") == 1
    assert disk.bump_tag("t", at_least=5) == 6
    disk.close()
    assert DiskTier(path).tag_versions(["t", "u"]) == {"t": 6}


def test_read_through_promotion_and_persistence(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    writer = MultiLevelCache(disk=path, maxsize=100)
    writer.set("user:1", {"name": "ada", "raw": b"\x01"}, ttl=60)
    writer.close()

    reader = MultiLevelCache(disk=path, maxsize=100, promote_after=2)
    assert reader.get("user:1") == {"name": "ada", "raw": b"\x01"}
    stats = reader.stats()
    assert stats["tiers"]["disk"]["hits"] == 1  # type: ignore[index]
    assert stats["promotions"] == 0  # read once: not hot yet
    assert reader.get("user:1") == {"name": "ada", "raw": b"\x01"}
    assert reader.stats()["promotions"] == 1  # second read: promoted into L1
    assert reader.get("user:1") == {"name": "ada", "raw": b"\x01"}
    assert reader.stats()["tiers"]["disk"]["hits"] == 2  # type: ignore[index]
    assert reader.get("missing") is None
    reader.delete("user:1")
    assert reader.get("user:1") is None
    reader.close()


def test_tag_invalidation_reaches_the_disk_tier(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    a = MultiLevelCache(disk=path)
    a.set("order:1", "v1", tags=["orders"])
    a.invalidate_tag("orders")
    assert a.get("order:1") is None
    a.set("order:1", "v2", tags=["orders"])
    b = MultiLevelCache(disk=path)  # a new process: versions come from disk
    assert b.get("order:1") == "v2"
    b.invalidate_tag("orders")
    c = MultiLevelCache(disk=path)
    assert c.get("order:1") is None


def test_tampered_disk_entry_is_a_counted_miss(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    cache = MultiLevelCache(disk=path, serializer="pickle", hmac_key=b"k")
    cache.set("k", [1, 2, 3])
    cache.l1.clear()
    with sqlite3.connect(path) as conn:
        (blob,) = conn.execute("SELECT value FROM entries WHERE key = 'k'").fetchone()
        forged = bytearray(blob)
        forged[-3] ^= 0x20
        conn.execute("UPDATE entries SET value = ? WHERE key = 'k'", (bytes(forged),))
    assert cache.get("k") is None
    assert cache.stats()["tampered"] == 1


class BrokenTier:
    name = "disk"

    def __init__(self) -> None:
        self.calls = 0

    def __getattr__(self, method: str) -> object:
        def fail(*args: object) -> object:
            self.calls += 1
            raise OSError("disk I/O error")

        return fail


def test_failing_tier_never_raises_and_opens_the_breaker(clock: FakeClock) -> None:
    broken = BrokenTier()
    cache = MultiLevelCache(disk=broken, breaker_threshold=3, breaker_cooldown=30, clock=clock)  # type: ignore[arg-type]
    for i in range(10):
        cache.set(f"k{i}", i)
        assert cache.get(f"k{i}") == i  # served from L1
        assert cache.get(f"absent{i}") is None  # lower tier down: a miss, not an error
    assert cache.breaker_state("disk") == "open"
    assert broken.calls == 3  # after 3 failures the tier is no longer called
    tier_stats = cache.stats()["tiers"]["disk"]  # type: ignore[index]
    assert tier_stats["errors"] == 3 and tier_stats["skipped"] > 0
    clock.advance(30)
    assert cache.breaker_state("disk") == "half-open"
    cache.get("probe")
    assert broken.calls == 4 and cache.breaker_state("disk") == "open"


def test_decorator_over_a_multilevel_cache(tmp_path: Path) -> None:
    calls = 0
    ml = MultiLevelCache(disk=tmp_path / "c.db", serializer=Serializer("json"))

    @cached(cache=ml, ttl=60, tags=lambda user_id: [f"user:{user_id}"])
    def profile(user_id: int) -> dict[str, int]:
        nonlocal calls
        calls += 1
        return {"id": user_id, "n": calls}

    assert profile(1) == {"id": 1, "n": 1}
    assert profile(1) == {"id": 1, "n": 1}
    ml.l1.clear()  # as a new process would be: the disk tier answers
    assert profile(1) == {"id": 1, "n": 1}
    assert calls == 1
    ml.invalidate_tag("user:1")
    assert profile(1) == {"id": 1, "n": 2}


def test_get_or_load_single_flight(tmp_path: Path) -> None:
    ml = MultiLevelCache(disk=tmp_path / "c.db")
    assert ml.get_or_load("k", lambda: 41 + 1, ttl=10) == 42
    assert ml.get_or_load("k", lambda: pytest.fail("must not reload")) == 42


def test_attached_warmer_reports_precision_in_stats(tmp_path: Path, clock: FakeClock) -> None:
    from codeopt_runtime.cache import PredictiveWarmer

    ml = MultiLevelCache(disk=tmp_path / "c.db", clock=clock)
    loads: list[str] = []

    def loader(key: str) -> str:
        loads.append(key)
        return key.upper()

    ml.attach_warmer(PredictiveWarmer(ml, loader, window=2.0, confidence=0.8, min_support=3, clock=clock))
    for _ in range(8):
        clock.advance(10)
        ml.delete("b")
        ml.get("a")
        clock.advance(0.5)
        if ml.get("b") is None:
            ml.set("b", "B")
    warming = ml.stats()["warming"]
    assert loads and warming["prefetched"] >= 4  # type: ignore[index]
    assert warming["precision"] == 1.0  # type: ignore[index]
