"""codeopt_runtime: the small library that code rewritten by codeopt imports.

Importing this package must stay cheap: it imports nothing from codeopt or codeopt's dependencies and
no optional extra (redis, psutil). The names below resolve on first use (PEP 562), so
``from codeopt_runtime import ObjectPool`` loads only the pool module.

Components: ``lazy`` (lazy imports and attributes), ``pool`` (thread and asyncio object pools),
``profiling`` (tracemalloc windows, RSS), ``cache`` (in-memory S3-FIFO cache, decorators with
single-flight, Redis and disk tiers), ``db`` (adaptive connection pool, query analyzer, result cache),
``scaling`` (load balancer, HPA and predictive autoscalers, worker backends), ``alerting`` (metrics
collector, Alertmanager-style rules and notifications). See docs/runtime/.
"""

from __future__ import annotations

from .lazy import attach as _attach

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = _attach(
    __name__,
    submodules=["alerting", "cache", "db", "errors", "lazy", "pool", "pooled", "profiling", "scaling"],
    submod_attrs={
        "errors": ["RuntimeLibError", "LazyImportError", "PoolError", "PoolTimeout", "PoolClosed"],
        "lazy": [
            "lazy_import",
            "lazy_from",
            "lazy_attribute",
            "attach",
            "resolve",
            "is_loaded",
            "LazyModule",
            "LazyObject",
        ],
        "pool": ["ObjectPool", "AsyncObjectPool", "PoolStats"],
        "pooled": ["PoolMap"],
        "profiling": ["MemoryProfiler", "MemoryReport", "memory_window", "profile_memory"],
        "cache": ["cached", "async_cached", "MemoryCache", "MultiLevelCache", "invalidate_tag"],
    },
)
