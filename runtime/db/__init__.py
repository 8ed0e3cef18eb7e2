"""codeopt_runtime.db: an adaptive connection pool, a query analyzer and a query-result cache.

See docs/runtime/db.md. The names below load on first use (PEP 562): ``import codeopt_runtime.db``
costs almost nothing, and no driver (psycopg) is imported until a PostgreSQL pool connects.
"""

from __future__ import annotations

from ..lazy import attach as _attach

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .analyzer import AnalyzedConnection, QueryAnalyzer, QueryStats, SlowQuery
    from .errors import ConnectionPoolClosed, ConnectionPoolTimeout, DBError, UncachableQuery
    from .explain import IndexSuggestion
    from .fingerprint import QueryInfo, fingerprint
    from .histogram import LatencyHistogram, LatencySummary
    from .nplusone import NPlusOne, NPlusOneDetector
    from .pool import AdaptiveConnectionPool, ConnectionPoolStats
    from .result_cache import CachingConnection, QueryResultCache

__all__ = [
    "AdaptiveConnectionPool",
    "AnalyzedConnection",
    "CachingConnection",
    "ConnectionPoolClosed",
    "ConnectionPoolStats",
    "ConnectionPoolTimeout",
    "DBError",
    "IndexSuggestion",
    "LatencyHistogram",
    "LatencySummary",
    "NPlusOne",
    "NPlusOneDetector",
    "QueryAnalyzer",
    "QueryInfo",
    "QueryResultCache",
    "QueryStats",
    "SlowQuery",
    "UncachableQuery",
    "fingerprint",
]

_WHERE = {
    "AdaptiveConnectionPool": "pool",
    "ConnectionPoolStats": "pool",
    "AnalyzedConnection": "analyzer",
    "QueryAnalyzer": "analyzer",
    "QueryStats": "analyzer",
    "SlowQuery": "analyzer",
    "CachingConnection": "result_cache",
    "QueryResultCache": "result_cache",
    "ConnectionPoolClosed": "errors",
    "ConnectionPoolTimeout": "errors",
    "DBError": "errors",
    "UncachableQuery": "errors",
    "IndexSuggestion": "explain",
    "LatencyHistogram": "histogram",
    "LatencySummary": "histogram",
    "NPlusOne": "nplusone",
    "NPlusOneDetector": "nplusone",
    "QueryInfo": "fingerprint",
    "fingerprint": "fingerprint",
}


__getattr__, __dir__, _ = _attach(__name__, attr_modules=_WHERE)
