"""DB KPI: statement latency P95 before and after codeopt_runtime.db's advice (requirement: < 50 ms).

Workload (seeded, stated in the output): a SQLite file database (WAL) with ``customers`` and
``orders`` and no secondary index, and a stream of requests:

* 60% customer page: list the first 5 customers of a region (regions drawn Zipf(1.1)), then fetch
  each customer's orders one query per customer -- the N+1 pattern;
* 20% order by primary key; 10% latest 20 orders with a status (filter + ORDER BY);
* 10% write: insert an order and commit (it invalidates every cached read of ``orders``).

Phases, each replaying the same request stream on a fresh copy of the database:

1. **before**: the application as written, through ``QueryAnalyzer`` (which records fingerprints,
   N+1 patterns and slow statements);
2. **indexes**: the analyzer's *verified* ``CREATE INDEX`` suggestions applied, nothing else;
3. **indexes + result cache**: the same, with ``QueryResultCache`` in front of the connection.

Latency is measured as the application sees it (``execute`` + ``fetchall``, or the write and its
commit), so cache hits count at their real cost. P50/P95/P99 are nearest-rank over every statement.

Usage: ``python bench/kpi_db.py [--orders N] [--requests N] [--seed N]``; exit status 1 if the P95
after is not below 50 ms. ``main()`` returns the printed lines (for bench/kpis.py).
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codeopt_runtime.db.analyzer import QueryAnalyzer
from codeopt_runtime.db.histogram import LatencyHistogram
from codeopt_runtime.db.result_cache import QueryResultCache

TARGET_P95 = 0.050
REGIONS = 20
CUSTOMERS = 2000
STATUSES = ("new", "paid", "shipped", "returned")

PAGE = "SELECT id, name FROM customers WHERE region = ? ORDER BY id LIMIT 5"
ORDERS_OF = "SELECT id, status, total FROM orders WHERE customer_id = ?"
BY_ID = "SELECT id, customer_id, status, total FROM orders WHERE id = ?"
LATEST = "SELECT id, total FROM orders WHERE status = ? ORDER BY created DESC LIMIT 20"
INSERT = "INSERT INTO orders (customer_id, status, total, created) VALUES (?, ?, ?, ?)"


def build(path: Path, orders: int, seed: int) -> None:
    rng = random.Random(seed)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, region INTEGER)")
        conn.execute(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, status TEXT, total REAL, "
            "created INTEGER)"
        )
        conn.executemany(
            "INSERT INTO customers VALUES (?, ?, ?)",
            [(i, f"customer {i}", rng.randrange(REGIONS)) for i in range(CUSTOMERS)],
        )
        conn.executemany(
            INSERT,
            (
                (rng.randrange(CUSTOMERS), rng.choice(STATUSES), round(rng.random() * 500, 2), i)
                for i in range(orders)
            ),
        )
    conn.close()


def requests(count: int, orders: int, seed: int) -> list[tuple[str, Any]]:
    """The request stream: ``(kind, argument)``, identical for every phase."""
    rng = random.Random(seed + 1)
    weights = [1 / (rank + 1) ** 1.1 for rank in range(REGIONS)]
    stream: list[tuple[str, Any]] = []
    for n in range(count):
        roll = rng.random()
        if roll < 0.6:
            stream.append(("page", rng.choices(range(REGIONS), weights)[0]))
        elif roll < 0.8:
            stream.append(("by_id", rng.randrange(1, orders + 1)))
        elif roll < 0.9:
            stream.append(("latest", rng.choice(STATUSES)))
        else:
            stream.append(("write", (rng.randrange(CUSTOMERS), rng.choice(STATUSES), 9.99, orders + n)))
    return stream


LABELS = {
    PAGE: "page list",
    ORDERS_OF: "orders of customer (N+1)",
    BY_ID: "order by id",
    LATEST: "latest by status",
}


def replay(
    conn: Any,
    stream: list[tuple[str, Any]],
    hist: LatencyHistogram,
    unit: Callable[[], Any],
    per_statement: dict[str, LatencyHistogram],
) -> None:
    """Run the stream, recording each statement's latency as the application sees it."""
    clock = time.perf_counter

    def record(label: str, seconds: float) -> None:
        hist.record(seconds)
        per_statement.setdefault(label, LatencyHistogram()).record(seconds)

    def timed(sql: str, params: Any) -> list[Any]:
        started = clock()
        rows = list(conn.execute(sql, params).fetchall())
        record(LABELS[sql], clock() - started)
        return rows

    for kind, arg in stream:
        with unit():
            if kind == "page":
                for customer_id, _ in timed(PAGE, (arg,)):
                    timed(ORDERS_OF, (customer_id,))
            elif kind == "by_id":
                timed(BY_ID, (arg,))
            elif kind == "latest":
                timed(LATEST, (arg,))
            else:
                started = clock()
                conn.execute(INSERT, arg)
                conn.commit()
                record("insert + commit", clock() - started)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _summary(label: str, hist: LatencyHistogram) -> str:
    s = hist.summary()
    percentiles = f"P50 {_ms(s.p50)}  P95 {_ms(s.p95)}  P99 {_ms(s.p99)}  max {_ms(s.max)}"
    return f"db.{label}: {percentiles}  ({s.count} statements)"


def _breakdown(label: str, per_statement: dict[str, LatencyHistogram]) -> str:
    parts = [f"{name} P95 {_ms(h.summary().p95)} (n={h.count})" for name, h in sorted(per_statement.items())]
    return f"db.{label}.by_statement: " + "; ".join(parts)


def run(orders: int, count: int, seed: int) -> tuple[list[str], bool]:
    began = time.perf_counter()
    lines: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="codeopt-kpi-db-"))
    try:
        pristine = work / "pristine.sqlite"
        build(pristine, orders, seed)
        stream = requests(count, orders, seed)
        kinds = {k: sum(1 for kind, _ in stream if kind == k) for k in ("page", "by_id", "latest", "write")}
        lines.append(
            f"db.workload: SQLite file (WAL), seed {seed}; customers {CUSTOMERS:,} in {REGIONS} regions, "
            f"orders {orders:,}, no secondary index; {count} requests = {kinds['page']} customer pages "
            f"(1 list + 5 per-customer order queries: N+1), {kinds['by_id']} order-by-id, "
            f"{kinds['latest']} latest-by-status, {kinds['write']} insert+commit"
        )

        def fresh(name: str) -> sqlite3.Connection:
            shutil.copy(pristine, work / name)
            return sqlite3.connect(work / name, check_same_thread=False)

        # 1. before, through the analyzer
        analyzer = QueryAnalyzer(slow_threshold=TARGET_P95)
        before_raw = fresh("before.sqlite")
        before = LatencyHistogram()
        parts: dict[str, LatencyHistogram] = {}
        replay(analyzer.wrap(before_raw), stream, before, analyzer.unit, parts)
        lines.append(_summary("before", before) + "  [as written]")
        lines.append(_breakdown("before", parts))
        for finding in analyzer.nplusones():
            lines.append(f"db.analyzer: {finding}")
        slow = {q.fingerprint for q in analyzer.slow_queries()}
        lines.append(f"db.analyzer: {len(slow)} fingerprint(s) with statements >= 50 ms: {sorted(slow)}")
        started = time.perf_counter()
        suggestions = analyzer.suggest_indexes(before_raw)
        lines.append(
            f"db.analyzer: {len(suggestions)} verified suggestion(s) in {time.perf_counter() - started:.2f} s"
        )
        for suggestion in suggestions:
            lines.append(f"db.suggestion: {suggestion.statement}  -- {suggestion.reason}")
            lines.append(f"db.suggestion:   scratch plan before: {' | '.join(suggestion.plan_before)}")
            lines.append(f"db.suggestion:   scratch plan after:  {' | '.join(suggestion.plan_after)}")
        before_raw.close()

        # 2. indexes only
        indexed_raw = fresh("indexed.sqlite")
        started = time.perf_counter()
        for suggestion in suggestions:
            indexed_raw.execute(suggestion.statement)
        indexed_raw.commit()
        build_time = time.perf_counter() - started
        indexed = LatencyHistogram()
        parts = {}
        replay(indexed_raw, stream, indexed, _nothing, parts)
        lines.append(_summary("after_indexes", indexed) + f"  [index build {build_time:.2f} s, once]")
        lines.append(_breakdown("after_indexes", parts))
        indexed_raw.close()

        # 3. indexes + result cache
        cached_raw = fresh("cached.sqlite")
        for suggestion in suggestions:
            cached_raw.execute(suggestion.statement)
        cached_raw.commit()
        cache = QueryResultCache()
        after = LatencyHistogram()
        parts = {}
        replay(cache.wrap(cached_raw), stream, after, _nothing, parts)
        stats = cache.stats()
        reads = stats["hits"] + stats["misses"]
        lines.append(
            _summary("after", after) + f"  [indexes + result cache: hit rate {stats['hit_rate']:.1%} of "
            f"{reads} cacheable reads, {stats['invalidations']} table invalidations]"
        )
        lines.append(_breakdown("after", parts))
        cached_raw.close()
        p95 = after.summary().p95
        ok = p95 < TARGET_P95 and bool(suggestions)
        ratio = before.summary().p95 / p95 if p95 else float("inf")
        lines.append(
            f"db.kpi: P95 {_ms(before.summary().p95)} -> {_ms(p95)} ({ratio:.0f}x); requirement P95 < 50 ms: "
            f"{'met' if ok else 'NOT met'}"
        )
        lines.append(f"db: bench took {time.perf_counter() - began:.1f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return lines, ok


class _nothing:
    """A no-op unit of work (the analyzer's ``unit`` is only used in the first phase)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    lines, ok = run(args.orders, args.requests, args.seed)
    if not ok:
        lines.append("db.kpi: FAILED")
    for line in lines:
        print(line)
    return lines


if __name__ == "__main__":
    raise SystemExit(0 if not main()[-1].endswith("FAILED") else 1)
