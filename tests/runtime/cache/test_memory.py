"""MemoryCache: bounds, TTL with an injected clock, tags, thread safety."""

from __future__ import annotations

import threading

import pytest

from codeopt_runtime.cache import MemoryCache
from tests.runtime.helpers import FakeClock


def test_entry_bound_and_stats() -> None:
    cache = MemoryCache(3)
    for k in range(5):
        cache.set(k, k)
    assert len(cache) == 3
    assert cache.stats()["evictions"] == 2
    assert cache.get(4) == 4
    assert cache.get(0) is None
    assert cache.hits == 1
    assert cache.misses == 1


@pytest.mark.parametrize("policy", ["lru", "s3fifo", "s3fifo-adaptive"])
def test_weight_bound_is_respected(policy: str) -> None:
    cache = MemoryCache(None, max_weight=100, weigher=lambda k, v: len(v), policy=policy)
    for k in range(50):
        cache.set(k, b"x" * (k % 7 + 1))
        assert cache.weight <= 100
    assert cache.weight == sum(len(cache.get(k) or b"") for k in list(cache.keys()))  # type: ignore[arg-type]
    assert cache.set("huge", b"x" * 101) is None  # heavier than the whole cache: not cached
    assert "huge" not in cache


def test_replacing_a_value_updates_the_weight() -> None:
    cache = MemoryCache(None, max_weight=10, weigher=lambda k, v: len(v))
    cache.set("a", "12345")
    cache.set("a", "12")
    assert cache.weight == 2
    cache.set("b", "123456789")
    assert cache.weight <= 10


def test_ttl_default_and_per_entry(clock: FakeClock) -> None:
    cache = MemoryCache(10, ttl=5, clock=clock)
    cache.set("default", 1)
    cache.set("short", 2, ttl=1)
    cache.set("forever", 3, ttl=None)
    clock.advance(1)
    assert cache.get("short") is None
    assert cache.get("default") == 1
    clock.advance(4)
    assert cache.get("default") is None
    assert cache.get("forever") == 3
    assert cache.stats()["expirations"] == 2


def test_stale_window_keeps_entry_but_get_never_returns_it(clock: FakeClock) -> None:
    cache = MemoryCache(10, clock=clock)
    cache.set("k", "v", ttl=1, stale_ttl=10)
    clock.advance(2)
    assert cache.get("k") is None
    entry, state = cache.lookup("k")
    assert entry is not None and entry.value == "v" and state == 2  # STALE
    clock.advance(10)
    assert cache.lookup("k") == (None, 0)


def test_tag_invalidation_is_o1_and_selective() -> None:
    cache = MemoryCache(100)
    for i in range(10):
        cache.set(("user", i), i, tags=[f"user:{i}", "users"])
    cache.set("other", 1, tags=["orders"])
    cache.invalidate_tag("user:3")
    assert cache.get(("user", 3)) is None
    assert cache.get(("user", 4)) == 4
    cache.invalidate_tag("users")
    assert all(cache.get(("user", i)) is None for i in range(10))
    assert cache.get("other") == 1
    cache.set(("user", 1), "new", tags=["users"])  # written after the bump: valid
    assert cache.get(("user", 1)) == "new"


def test_delete_and_clear() -> None:
    cache = MemoryCache(10)
    cache.set("a", 1)
    assert cache.delete("a") is True
    assert cache.delete("a") is False
    cache.set("b", 2)
    cache.clear()
    assert len(cache) == 0 and cache.weight == 0
    cache.set("c", 3)
    assert cache.get("c") == 3


def test_maxsize_zero_caches_nothing() -> None:
    cache = MemoryCache(0)
    assert cache.set("a", 1) is None
    assert cache.get("a") is None


@pytest.mark.parametrize("policy", ["lru", "s3fifo-adaptive"])
def test_concurrent_readers_and_writers_keep_invariants(policy: str) -> None:
    cache = MemoryCache(50, policy=policy)
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        try:
            for i in range(3000):
                k = (i * 7 + seed) % 200
                if cache.get(k) is None:
                    cache.set(k, k)
                elif i % 11 == 0:
                    cache.delete(k)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(cache) <= 50
    assert cache.weight == len(cache)
    for k in list(cache.keys()):
        assert cache.get(k) == k
