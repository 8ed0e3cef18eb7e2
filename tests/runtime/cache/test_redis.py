"""The Redis tier against a real redis-server: pub/sub invalidation, outage and recovery."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from codeopt_runtime.cache import MultiLevelCache, RedisTier

from .conftest import RedisServer

pytestmark = pytest.mark.redis


def tier(url: str) -> RedisTier:
    """Generous timeouts: a loaded CI machine must not turn slowness into breaker failures (a dead
    server is detected at once anyway: connection refused)."""
    return RedisTier(url, socket_timeout=2.0, connect_timeout=2.0)


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_redis_tier_round_trip_and_ttl(redis_server: RedisServer) -> None:
    tier = RedisTier(redis_server.url, namespace="t")
    tier.set("a", b"1", ttl=None)
    tier.set("b", b"2", ttl=0.05)
    assert tier.get("a") == b"1"
    assert tier.get("b") == b"2"
    time.sleep(0.1)
    assert tier.get("b") is None
    assert tier.bump_tag("x") == 1
    assert tier.bump_tag("x", at_least=10) == 11
    assert tier.tag_versions(["x", "y"]) == {"x": 11}
    tier.clear()
    assert tier.get("a") is None
    tier.close()


def test_pubsub_invalidates_the_other_instances_l1(redis_server: RedisServer) -> None:
    a = MultiLevelCache(redis=tier(redis_server.url), origin="proc-a", promote_after=1)
    b = MultiLevelCache(redis=tier(redis_server.url), origin="proc-b", promote_after=1)
    try:
        assert a.wait_subscribed() and b.wait_subscribed()
        a.set("config", {"v": 1})
        assert b.get("config") == {"v": 1}  # from Redis, promoted into b's L1
        assert "config" in b.l1
        a.set("config", {"v": 2})
        assert wait_for(lambda: "config" not in b.l1), "b's L1 copy must be dropped"
        assert b.get("config") == {"v": 2}
        assert a.stats()["invalidations_received"] == 0  # its own messages are ignored
        # tags: a bump in one instance invalidates the other's L1 entries
        b.set("order:7", "o7", tags=["orders"])
        assert a.get("order:7") == "o7"
        a.invalidate_tag("orders")
        assert wait_for(lambda: b.get("order:7") is None)
        assert b.stats()["invalidations_received"] >= 2
    finally:
        a.close()
        b.close()


def test_redis_outage_degrades_and_recovers(redis_server: RedisServer, tmp_path: Path) -> None:
    cache = MultiLevelCache(
        redis=tier(redis_server.url),
        disk=tmp_path / "c.db",
        origin="solo",
        breaker_threshold=2,
        breaker_cooldown=0.3,
    )
    other = MultiLevelCache(redis=tier(redis_server.url), origin="other", promote_after=1)
    try:
        assert cache.wait_subscribed()
        cache.set("hot", "h")
        cache.set("cold", "c")
        cache.l1.delete("cold")  # only in Redis and on disk now
        redis_server.stop()
        # the server is gone: nothing raises, L1 and disk keep answering
        for _ in range(20):
            assert cache.get("hot") == "h"
            assert cache.get("cold") == "c"
            cache.set("during", "d")
        assert cache.breaker_state("redis") == "open"
        tiers = cache.stats()["tiers"]
        assert tiers["redis"]["errors"] >= 2  # type: ignore[index]
        assert tiers["disk"]["hits"] >= 1  # type: ignore[index]
        redis_server.start()
        time.sleep(0.35)  # cool-down: the next call is the half-open probe
        cache.set("after", "a")
        assert cache.breaker_state("redis") == "closed"
        assert other.get("after") == "a", "writes reach Redis again after recovery"
        # the listener resubscribed (and dropped L1, which may have missed invalidations)
        assert wait_for(lambda: cache.stats()["resyncs"] == 1)
        assert cache.get("hot") == "h"  # from disk (Redis lost it: no persistence)
    finally:
        cache.close()
        other.close()


def test_hmac_pickle_through_redis_and_tamper_detection(redis_server: RedisServer) -> None:
    cache = MultiLevelCache(redis=tier(redis_server.url), serializer="pickle", hmac_key=b"k", subscribe=False)
    try:
        cache.set("obj", {"set": {1, 2}})
        cache.l1.clear()
        assert cache.get("obj") == {"set": {1, 2}}
        raw = RedisTier(redis_server.url)
        data = bytearray(raw.get("obj") or b"")
        data[-2] ^= 0x01
        raw.set("obj", bytes(data), ttl=None)
        cache.l1.clear()
        assert cache.get("obj") is None
        assert cache.stats()["tampered"] == 1
        raw.close()
    finally:
        cache.close()
