"""codeopt_runtime.cache: memoisation and multi-level caching (see docs/runtime/cache.md).

The names below are loaded on first use (PEP 562), so ``import codeopt_runtime.cache`` costs
almost nothing and never imports ``redis``: the Redis tier imports it only when it is configured.
"""

from __future__ import annotations

from ..lazy import attach as _attach

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .breaker import CircuitBreaker
    from .decorators import CacheInfo, async_cached, cached, default_tag_versions, invalidate_tag
    from .disk import DiskTier
    from .errors import CacheConfigError, CacheError, SerializationError
    from .memory import MemoryCache
    from .multilevel import FrequencySketch, MultiLevelCache
    from .policy import Entry, LRUPolicy, Policy, S3FIFOPolicy, make_policy, simulate
    from .redis_tier import RedisTier
    from .serialize import Serializer
    from .tags import LocalTagVersions
    from .warming import PredictiveWarmer

__all__ = [
    "CacheConfigError",
    "CacheError",
    "CacheInfo",
    "CircuitBreaker",
    "DiskTier",
    "Entry",
    "FrequencySketch",
    "LRUPolicy",
    "LocalTagVersions",
    "MemoryCache",
    "MultiLevelCache",
    "Policy",
    "PredictiveWarmer",
    "RedisTier",
    "S3FIFOPolicy",
    "SerializationError",
    "Serializer",
    "async_cached",
    "cached",
    "default_tag_versions",
    "invalidate_tag",
    "make_policy",
    "simulate",
]

_WHERE = {
    "CircuitBreaker": "breaker",
    "CacheInfo": "decorators",
    "async_cached": "decorators",
    "cached": "decorators",
    "default_tag_versions": "decorators",
    "invalidate_tag": "decorators",
    "DiskTier": "disk",
    "CacheConfigError": "errors",
    "CacheError": "errors",
    "SerializationError": "errors",
    "MemoryCache": "memory",
    "FrequencySketch": "multilevel",
    "MultiLevelCache": "multilevel",
    "Entry": "policy",
    "LRUPolicy": "policy",
    "Policy": "policy",
    "S3FIFOPolicy": "policy",
    "make_policy": "policy",
    "simulate": "policy",
    "RedisTier": "redis_tier",
    "Serializer": "serialize",
    "LocalTagVersions": "tags",
    "PredictiveWarmer": "warming",
}


__getattr__, __dir__, _ = _attach(__name__, attr_modules=_WHERE)
