"""QueryAnalyzer: fingerprints, histograms, slow queries, N+1, verified index advice (SQLite, PostgreSQL)."""

from __future__ import annotations

import random
import sqlite3
from typing import Any

import pytest

from codeopt_runtime.db.analyzer import QueryAnalyzer
from codeopt_runtime.db.explain_sqlite import _index_stat, _scratch, suggest_sqlite_indexes
from codeopt_runtime.db.fingerprint import fingerprint, parse
from codeopt_runtime.db.histogram import LatencyHistogram
from codeopt_runtime.db.nplusone import NPlusOneDetector


class StepClock:
    """perf_counter stand-in: each reading advances by the next step (seconds)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.step = 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT *  FROM t WHERE a = 5 AND b = 'x''y'", "select * from t where a = ? and b = ?"),
        ("select * from t where a=-5.5e3 -- trailing", "select * from t where a = ?"),
        ("SELECT * FROM t WHERE id IN (1, 2, 3)", "select * from t where id in (...)"),
        ("SELECT * FROM t WHERE id IN (?, ?)", "select * from t where id in (...)"),
        ("select * from t where a = %s and b = %(b)s and c = :c and d = $1", None),
        ("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');", "insert into t values (?, ?), ..."),
        ('SELECT "Mixed" FROM "T" /* c */ WHERE x = $$dollar$$', 'select "Mixed" from "T" where x = ?'),
    ],
)
def test_fingerprints(sql: str, expected: str | None) -> None:
    if expected is None:
        assert fingerprint(sql) == "select * from t where a = ? and b = ? and c = ? and d = ?"
    else:
        assert fingerprint(sql) == expected


def test_parse_tables_and_kinds() -> None:
    info = parse("WITH r AS (SELECT * FROM a) SELECT * FROM r JOIN b ON b.id = r.id, s.c x FOR UPDATE")
    assert (info.kind, info.tables_read, info.locking) == ("select", frozenset({"a", "b", "s.c"}), True)
    assert parse("insert or replace into t values (1)").tables_written == {"t"}
    assert parse("UPDATE t SET a = replace(a, 'x', 'y')").tables_written == {"t"}
    assert parse("CREATE TEMP TABLE tmp (a int)").temp_created == "tmp"
    assert parse("select a into b from t").select_into


def test_histogram_percentiles_within_precision() -> None:
    hist = LatencyHistogram(precision=0.02)
    for ms in range(1, 101):
        hist.record(ms / 1000)
    p50, p95, p99 = hist.percentiles(50, 95, 99)
    assert p50 == pytest.approx(0.050, rel=0.02)
    assert p95 == pytest.approx(0.095, rel=0.02)
    assert p99 == pytest.approx(0.099, rel=0.02)
    one = LatencyHistogram()
    one.record(0.0123)
    assert one.summary().p99 == 0.0123  # clamped to the exact observed value
    assert LatencyHistogram().summary().p95 == 0.0


def make_shop(conn: Any, customers: int = 300, orders: int = 6000) -> None:
    rng = random.Random(7)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, region TEXT)")
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INT, status TEXT, total REAL)")
    conn.executemany(
        "INSERT INTO customers VALUES (?, ?, ?)", [(i, f"c{i}", rng.choice("nsew")) for i in range(customers)]
    )
    conn.executemany(
        "INSERT INTO orders VALUES (?, ?, ?, ?)",
        [
            (i, rng.randrange(customers), rng.choice(["new", "paid"]), rng.random() * 100)
            for i in range(orders)
        ],
    )
    conn.commit()


def test_wrapped_connection_records_latency_per_fingerprint() -> None:
    clock = StepClock()
    analyzer = QueryAnalyzer(slow_threshold=0.05, clock=clock, nplusone=False)
    conn = analyzer.wrap(sqlite3.connect(":memory:"))
    make_shop(conn.raw)
    for i in range(10):
        clock.step = 0.001 * (i + 1)  # each reading advances: durations 1..10 ms (x2: execute + fetch)
        conn.execute("SELECT * FROM orders WHERE id = ?", (i,)).fetchall()
    clock.step = 0.04
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM customers WHERE region = 'n'")
    assert cur.fetchone() is not None
    cur.close()
    stats = {s.fingerprint: s for s in analyzer.stats()}
    point = stats["select * from orders where id = ?"]
    assert point.count == 10
    assert point.p50 == pytest.approx(0.010, rel=0.03)
    assert point.p99 == pytest.approx(0.020, rel=0.03)
    assert point.slow == 0
    count = stats["select count (*) from customers where region = ?"]
    assert count.count == 1 and count.slow == 1
    assert [q.fingerprint for q in analyzer.slow_queries()] == [count.fingerprint]
    assert "P95" in analyzer.report()


def test_errors_are_counted_and_reraised() -> None:
    analyzer = QueryAnalyzer()
    conn = analyzer.wrap(sqlite3.connect(":memory:"))
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("SELECT * FROM missing")
    assert analyzer.stats()[0].errors == 1


def test_nplusone_detected_after_a_source_query() -> None:
    clock = StepClock()
    analyzer = QueryAnalyzer(clock=clock)
    conn = analyzer.wrap(sqlite3.connect(":memory:"))
    make_shop(conn.raw, orders=100)
    clock.step = 0.004  # 8 ms per statement (execute + fetch): 64 ms for the run
    with analyzer.unit():
        ids = [row[0] for row in conn.execute("SELECT id FROM customers WHERE region = ? LIMIT 8", ("n",))]
        for cid in ids:
            conn.execute("SELECT * FROM orders WHERE customer_id = ?", (cid,)).fetchall()
    [finding] = analyzer.nplusones()
    assert finding.source == "select id from customers where region = ? limit ?"
    assert finding.repeated == "select * from orders where customer_id = ?"


def test_nplusone_while_the_parent_cursor_is_still_iterated() -> None:
    clock = StepClock()
    analyzer = QueryAnalyzer(clock=clock)
    conn = analyzer.wrap(sqlite3.connect(":memory:"))
    make_shop(conn.raw, orders=100)
    clock.step = 0.004
    with analyzer.unit():
        for (cid,) in conn.execute("SELECT id FROM customers WHERE region = ? LIMIT 8", ("n",)):
            conn.execute("SELECT * FROM orders WHERE customer_id = ?", (cid,)).fetchall()
    [finding] = analyzer.nplusones()  # sequenced by start: the parent, still open, is the source
    assert finding.source == "select id from customers where region = ? limit ?"
    assert finding.repeated == "select * from orders where customer_id = ?"
    assert finding.max_run == 8 and finding.total_time >= 0.05
    assert "customer_id in (...)" in finding.suggestion


@pytest.mark.parametrize(
    ("durations", "params", "why"),
    [
        ([0.02] * 4, range(4), "fewer than 5 repeats"),
        ([0.005] * 8, range(8), "under 50 ms in total"),
        ([0.02] * 8, [1] * 8, "same parameters every time: a repeated query, not N+1"),
    ],
)
def test_nplusone_negative(durations: list[float], params: Any, why: str) -> None:
    detector = NPlusOneDetector()
    detector.feed("select * from parents", 0.01, ())
    for duration, param in zip(durations, params, strict=True):
        detector.feed("select * from children where parent_id = ?", duration, (param,))
    detector.feed("select 1", 0.001, ())
    assert detector.findings() == [], why


def test_nplusone_without_source_query_and_thresholds_configurable() -> None:
    detector = NPlusOneDetector(min_repeats=3, min_total=0.01)
    for i in range(6):
        detector.feed("select * from c where p = ?", 0.01, (i,))
    assert detector.findings() == []  # no source query before the run
    detector.feed("select * from p", 0.01, ())
    for i in range(3):
        detector.feed("select * from c where p = ?", 0.01, (i,))
    assert [f.max_run for f in detector.findings()] == [3]


def test_sqlite_suggestions_are_verified_and_exact() -> None:
    clock = StepClock()
    analyzer = QueryAnalyzer(clock=clock)
    raw = sqlite3.connect(":memory:")
    make_shop(raw)
    conn = analyzer.wrap(raw)
    conn.execute("SELECT * FROM orders WHERE customer_id = ?", (3,)).fetchall()
    conn.execute("SELECT * FROM orders WHERE status = ? ORDER BY total", ("new",)).fetchall()
    conn.execute("SELECT * FROM customers WHERE name LIKE ?", ("%7",)).fetchall()  # not sargable
    conn.execute("SELECT * FROM orders WHERE customer_id = ? OR status = ?", (1, "x")).fetchall()
    conn.execute("SELECT * FROM customers WHERE id = ?", (1,)).fetchall()  # primary key: fine already
    assert analyzer.suggest_indexes(conn, min_rows=10_000) == []  # orders has 6,000 rows: too small
    suggestions = analyzer.suggest_indexes(conn)
    assert sorted(s.statement for s in suggestions) == [
        "CREATE INDEX idx_orders_customer_id ON orders (customer_id);",
        "CREATE INDEX idx_orders_status_total ON orders (status, total);",
    ]
    for suggestion in suggestions:
        raw.execute(suggestion.statement)
        plan = " ".join(
            row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + _example(suggestion.fingerprint))
        )
        assert f"INDEX {suggestion.statement.split()[2]}" in plan
    assert analyzer.suggest_indexes(conn) == []  # applied: nothing left to suggest


def _example(fp: str) -> str:
    return fp.replace("?", "1")


def test_sqlite_statistics_are_copied_to_the_scratch_schema() -> None:
    raw = sqlite3.connect(":memory:")
    make_shop(raw, customers=300, orders=6000)
    raw.execute("CREATE INDEX idx_status ON orders (status)")
    raw.execute("ANALYZE")
    scratch = _scratch(raw)
    assert scratch.execute("SELECT count(*) FROM orders").fetchone() == (0,)  # schema only
    copied = scratch.execute("SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx").fetchall()
    assert copied == raw.execute("SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx").fetchall()
    assert ("orders", "idx_status", "6000 3000") in copied
    distinct = raw.execute("SELECT count(DISTINCT customer_id) FROM orders").fetchone()[0]
    assert _index_stat(raw, "orders", ("customer_id",)) == f"6000 {-(-6000 // distinct)}"
    [suggestion] = suggest_sqlite_indexes(raw, "SELECT * FROM orders WHERE customer_id = ?", (5,))
    assert suggestion.columns == ("customer_id",)


def test_sqlite_automatic_index_signal() -> None:
    raw = sqlite3.connect(":memory:")
    make_shop(raw)
    raw.execute("CREATE TABLE notes AS SELECT id, customer_id FROM orders")
    sql = "SELECT * FROM customers c JOIN notes n ON n.customer_id = c.id WHERE c.region = ?"
    plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + sql, ("n",))]
    suggestions = suggest_sqlite_indexes(raw, sql, ("n",))
    assert any("AUTOMATIC" in line or line.startswith("SCAN n") for line in plan)
    assert [s.statement for s in suggestions] == [
        "CREATE INDEX idx_notes_customer_id ON notes (customer_id);"
    ]


# -- PostgreSQL ---------------------------------------------------------------------------------------


def _pg_shop(conn: Any) -> None:
    conn.execute("CREATE TABLE customers (id int PRIMARY KEY, region text)")
    conn.execute("CREATE TABLE orders (id int PRIMARY KEY, customer_id int, status text, total numeric)")
    conn.execute(
        "INSERT INTO customers SELECT g, (ARRAY['n','s','e','w'])[g % 4 + 1] FROM generate_series(0, 999) g"
    )
    conn.execute(
        "INSERT INTO orders SELECT g, g % 1000, CASE WHEN g % 2 = 0 THEN 'new' ELSE 'paid' END, g % 97 "
        "FROM generate_series(0, 49999) g"
    )
    conn.execute("ANALYZE")
    conn.commit()


def test_postgres_suggestions_verified_in_a_rolled_back_transaction(pg_dsn: str) -> None:
    import psycopg

    with psycopg.connect(pg_dsn) as raw:
        _pg_shop(raw)
        analyzer = QueryAnalyzer()
        conn = analyzer.wrap(raw)
        conn.execute("SELECT * FROM orders WHERE customer_id = %s", (42,)).fetchall()
        conn.execute("SELECT * FROM orders WHERE status = %s", ("new",)).fetchall()  # half the table
        conn.execute("SELECT * FROM customers WHERE region = %s", ("n",)).fetchall()  # small table
        raw.rollback()
        suggestions = analyzer.suggest_indexes(conn, min_rows=1000)
        assert [s.statement for s in suggestions] == [
            "CREATE INDEX idx_orders_customer_id ON orders (customer_id);"
        ]
        [suggestion] = suggestions
        assert "Seq Scan on orders" in suggestion.reason
        assert any("idx_orders_customer_id" in line for line in suggestion.plan_after)
        assert raw.info.transaction_status == 0  # left as found
        count = raw.execute("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'idx_orders%'").fetchone()
        assert count == (0,)  # the verification index was rolled back
        raw.rollback()
        raw.execute(suggestion.statement)
        raw.commit()
        assert analyzer.suggest_indexes(conn) == []
