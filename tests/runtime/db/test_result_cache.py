"""QueryResultCache: hits, invalidation on write/commit/rollback, refusals, TTL classes (SQLite, PG)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from codeopt_runtime.cache.memory import MemoryCache
from codeopt_runtime.db.errors import UncachableQuery
from codeopt_runtime.db.fingerprint import parse
from codeopt_runtime.db.result_cache import QueryResultCache
from tests.runtime.helpers import FakeClock


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "shop.sqlite")
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL)")
        conn.executemany("INSERT INTO items VALUES (?, ?, ?)", [(i, f"item{i}", i * 1.5) for i in range(20)])
    return path


def names(cursor: Any) -> list[Any]:
    return [row[0] for row in cursor.fetchall()]


def test_second_read_is_a_hit_and_keys_include_parameters(db: str) -> None:
    cache = QueryResultCache()
    conn = cache.wrap(sqlite3.connect(db))
    first = conn.execute("SELECT name FROM items WHERE id = ?", (3,))
    assert not first.cached and names(first) == ["item3"]
    again = conn.execute("select name from items where id = ?", (3,))
    assert again.cached and names(again) == ["item3"]
    assert again.description[0][0] == "name"
    other = conn.execute("SELECT name FROM items WHERE id = ?", (4,))
    assert not other.cached and names(other) == ["item4"]
    stats = cache.stats()
    assert (stats["hits"], stats["misses"], stats["stores"]) == (1, 2, 2)
    assert stats["hit_rate"] == pytest.approx(1 / 3)


def test_write_invalidates_at_commit_and_rollback_discards(db: str) -> None:
    cache = QueryResultCache()
    writer = cache.wrap(sqlite3.connect(db))
    reader = cache.wrap(sqlite3.connect(db))
    query = "SELECT count(*) FROM items"
    assert names(reader.execute(query)) == [20]
    writer.execute("INSERT INTO items (name, price) VALUES ('new', 1.0)")
    # Not committed: other sessions still see 20 rows, and so does the cache.
    assert reader.execute(query).cached
    # The writing transaction must see its own row: it bypasses the cache.
    own = writer.execute(query)
    assert not getattr(own, "cached", False) and names(own) == [21]
    writer.rollback()
    assert reader.execute(query).cached  # rolled back: nothing changed, the entry stays valid
    writer.execute("UPDATE items SET price = 0 WHERE id = 1")
    writer.execute("DELETE FROM items WHERE id = 2")
    writer.commit()
    fresh = reader.execute(query)
    assert not fresh.cached and names(fresh) == [19]
    assert cache.stats()["bypassed"] == 1


def test_context_manager_commit_and_autocommit_invalidate(db: str) -> None:
    cache = QueryResultCache()
    conn = cache.wrap(sqlite3.connect(db))
    query = "SELECT max(id) FROM items"
    assert names(conn.execute(query)) == [19]
    with conn:
        conn.execute("INSERT INTO items VALUES (100, 'x', 1)")
    assert names(conn.execute(query)) == [100]
    auto = cache.wrap(sqlite3.connect(db, isolation_level=None))
    assert auto.execute(query).cached
    auto.execute("INSERT INTO items VALUES (200, 'y', 1)")  # autocommit: visible at once
    assert names(conn.execute(query)) == [200]


def test_sql_level_commit_and_writes_to_other_tables(db: str) -> None:
    cache = QueryResultCache()
    conn = cache.wrap(sqlite3.connect(db, isolation_level=None))
    conn.execute("CREATE TABLE other (x INTEGER)")
    query = "SELECT count(*) FROM items"
    names(conn.execute(query))
    conn.execute("BEGIN")
    conn.execute("INSERT INTO other VALUES (1)")
    conn.execute("COMMIT")
    assert conn.execute(query).cached  # another table's write leaves the entry alone
    conn.execute("BEGIN")
    conn.execute("INSERT INTO items VALUES (300, 'z', 1)")
    conn.execute("COMMIT")
    assert not conn.execute(query).cached


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT random() FROM items", "random()"),
        ("SELECT * FROM items WHERE price > abs(random())", "random()"),
        ("SELECT CURRENT_TIMESTAMP, name FROM items", "CURRENT_TIMESTAMP"),
        ("SELECT * FROM items WHERE date('now') > '2020-01-01'", "'now'"),
        ("SELECT name FROM sqlite_master", "system catalog"),
        ("SELECT last_insert_rowid()", "last_insert_rowid()"),
    ],
)
def test_uncachable_statements_are_refused(db: str, sql: str, reason: str) -> None:
    cache = QueryResultCache()
    conn = cache.wrap(sqlite3.connect(db))
    conn.execute(sql).fetchall()
    conn.execute(sql).fetchall()
    stats = cache.stats()
    assert stats["hits"] == 0 and stats["stores"] == 0
    [(why, count)] = stats["refused"].items()
    assert reason in why and count == 2
    strict = QueryResultCache(strict=True).wrap(sqlite3.connect(db))
    with pytest.raises(UncachableQuery):
        strict.execute(sql)


def test_temp_tables_and_date_parameters_are_refused(db: str) -> None:
    cache = QueryResultCache()
    conn = cache.wrap(sqlite3.connect(db))
    conn.execute("CREATE TEMP TABLE scratch (x INTEGER)")
    conn.execute("SELECT * FROM scratch").fetchall()
    conn.execute("SELECT date(?)", ("now",)).fetchall()
    refused = cache.stats()["refused"]
    assert any("temporary table scratch" in why for why in refused)
    assert any("'now'" in why for why in refused)
    assert cache.refusal(parse("SELECT * FROM t FOR UPDATE")) == "FOR UPDATE/SHARE takes row locks"
    assert cache.refusal(parse("UPDATE t SET a = 1")) == "not a SELECT (update)"


def test_ttl_by_query_class(db: str, clock: FakeClock) -> None:
    cache = QueryResultCache(MemoryCache(clock=clock), ttl=100, class_ttl={"aggregate": 10})
    conn = cache.wrap(sqlite3.connect(db))
    aggregate = "SELECT count(*) FROM items"
    lookup = "SELECT name FROM items WHERE id = ?"
    conn.execute(aggregate).fetchall()
    conn.execute(lookup, (1,)).fetchall()
    clock.advance(11)
    assert not conn.execute(aggregate).cached
    assert conn.execute(lookup, (1,)).cached
    clock.advance(100)
    assert not conn.execute(lookup, (1,)).cached


def test_snapshot_taken_before_the_query_makes_racing_writes_win(db: str) -> None:
    cache = QueryResultCache()
    info = parse("SELECT count(*) FROM items")
    found = cache.lookup(info, None)
    assert found is not None
    key, _, snapshot = found
    cache.invalidate("items")  # a write committed while the query ran
    cache.store(key, info, snapshot, None, [(20,)])
    cache.lookup(info, None)
    assert (cache.stats()["hits"], cache.stats()["misses"]) == (0, 2)  # born stale: never served


def test_cursor_interface(db: str) -> None:
    conn = QueryResultCache().wrap(sqlite3.connect(db))
    for _ in range(2):
        with conn.cursor() as cursor:
            cursor.execute("SELECT id FROM items WHERE id < ? ORDER BY id", (3,))
            assert cursor.fetchone() == (0,)
            assert cursor.fetchmany(1) == [(1,)]
            assert list(cursor) == [(2,)]


# -- PostgreSQL ---------------------------------------------------------------------------------------


def test_postgres_invalidation_and_refusals(pg_dsn: str) -> None:
    import psycopg

    cache = QueryResultCache(namespace="pg")
    with psycopg.connect(pg_dsn) as raw_writer, psycopg.connect(pg_dsn) as raw_reader:
        raw_writer.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int)")
        raw_writer.execute("INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 10) g")
        raw_writer.commit()
        writer, reader = cache.wrap(raw_writer), cache.wrap(raw_reader)
        query = "SELECT sum(balance) FROM public.accounts WHERE id <= %s"
        assert names(reader.execute(query, (5,))) == [500]
        assert reader.execute(query, (5,)).cached
        writer.execute("UPDATE accounts SET balance = 0 WHERE id = %s", (1,))
        assert reader.execute(query, (5,)).cached  # uncommitted
        writer.rollback()
        assert reader.execute(query, (5,)).cached
        writer.execute("UPDATE accounts SET balance = 0 WHERE id = %s", (1,))
        writer.commit()
        raw_reader.rollback()  # a fresh snapshot for the reader's own transaction
        fresh = reader.execute(query, (5,))
        assert not fresh.cached and names(fresh) == [400]
        for sql in (
            "SELECT * FROM accounts WHERE id = 1 FOR UPDATE",
            "SELECT now(), id FROM accounts",
            "SELECT id FROM accounts WHERE id > (random() * 10)::int",
        ):
            reader.execute(sql).fetchall()
            reader.execute(sql).fetchall()
        refused = cache.stats()["refused"]
        assert sorted(refused.values()) == [2, 2, 2]
        raw_reader.rollback()


def test_multilevel_backend_shares_invalidations_between_instances(db: str, tmp_path: Path) -> None:
    from codeopt_runtime.cache.multilevel import MultiLevelCache

    shared = str(tmp_path / "cache.sqlite")  # the disk tier two processes would share
    first = QueryResultCache(MultiLevelCache(disk=shared))
    second = QueryResultCache(MultiLevelCache(disk=shared))
    writer, reader = first.wrap(sqlite3.connect(db)), second.wrap(sqlite3.connect(db))
    query = "SELECT count(*) FROM items"
    assert names(writer.execute(query)) == [20]
    assert reader.execute(query).cached  # stored by the other instance
    writer.execute("INSERT INTO items VALUES (500, 'n', 1)")
    writer.commit()
    fresh = reader.execute(query)
    assert not fresh.cached and names(fresh) == [21]
    assert reader.execute(query).cached


def test_executemany_and_executescript_invalidate(db: str) -> None:
    cache = QueryResultCache()
    conn = cache.wrap(sqlite3.connect(db))
    query = "SELECT count(*) FROM items"
    names(conn.execute(query))
    conn.executemany("INSERT INTO items (name, price) VALUES (?, ?)", [("a", 1), ("b", 2)])
    assert names(conn.execute(query)) == [22]  # own uncommitted rows: bypassed
    conn.commit()
    assert names(conn.execute(query)) == [22] and conn.execute(query).cached
    conn.executescript("DELETE FROM items WHERE price < 3; DROP TABLE IF EXISTS no_such_table;")
    assert names(conn.execute(query)) == [18]  # a, b, item0 and item1 deleted
