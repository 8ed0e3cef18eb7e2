"""``RedisTier``: the shared L2 (redis-py, imported only when this tier is created).

Why short socket timeouts and no client retries: the cache must degrade, not stall. A Redis that
does not answer within ``socket_timeout`` counts as a failure for the circuit breaker in
``MultiLevelCache``; redis-py's own retry loop (3 retries with backoff by default in recent
versions) would multiply the stall, so it is disabled.

Keys are namespaced (``{namespace}:k:{key}``), tag versions are ``{namespace}:tag:{tag}`` counters,
and invalidations are published on ``{namespace}:invalidate``.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

__all__ = ["RedisTier"]


class RedisTier:
    """A Redis tier. Pass ``url`` (``redis://host:port/db``) or an existing redis-py ``client``."""

    name = "redis"

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        client: Any = None,
        namespace: str = "codeopt",
        socket_timeout: float = 0.25,
        connect_timeout: float = 0.25,
    ) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.namespace = namespace
        self.channel = f"{namespace}:invalidate"
        self._kp = f"{namespace}:k:"
        self._tp = f"{namespace}:tag:"
        if client is None:
            client = redis.Redis.from_url(
                url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=connect_timeout,
                retry=Retry(NoBackoff(), 0),
                health_check_interval=0,
            )
        self.client = client

    def get(self, key: str) -> bytes | None:
        value = self.client.get(self._kp + key)
        return None if value is None else bytes(value)

    def set(self, key: str, data: bytes, ttl: float | None) -> None:
        px = None if ttl is None else max(1, int(ttl * 1000))
        self.client.set(self._kp + key, data, px=px)

    def delete(self, keys: Iterable[str]) -> None:
        names = [self._kp + k for k in keys]
        if names:
            self.client.delete(*names)

    def clear(self) -> None:
        batch: list[Any] = []
        for name in self.client.scan_iter(match=self._kp + "*", count=500):
            batch.append(name)
            if len(batch) >= 500:
                self.client.delete(*batch)
                batch.clear()
        if batch:
            self.client.delete(*batch)

    def tag_versions(self, tags: Iterable[str]) -> dict[str, int]:
        tags = list(tags)
        if not tags:
            return {}
        values = self.client.mget([self._tp + t for t in tags])
        return {t: int(v) for t, v in zip(tags, values, strict=True) if v is not None}

    def bump_tag(self, tag: str, at_least: int = 0) -> int:
        version = int(self.client.incr(self._tp + tag))
        if version <= at_least:  # Redis lost the counter (restart without persistence)
            version = at_least + 1
            self.client.set(self._tp + tag, version)
        return version

    def publish(self, message: dict[str, Any]) -> None:
        self.client.publish(self.channel, json.dumps(message, separators=(",", ":")))

    def pubsub(self) -> Any:
        return self.client.pubsub()

    def ping(self) -> bool:
        return bool(self.client.ping())

    def close(self) -> None:
        self.client.close()
