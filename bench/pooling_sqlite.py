"""``codeopt optimize --pool`` on functions that open a sqlite3 connection per call: original vs rewritten.

    python bench/pooling_sqlite.py            # ~20 s on a loaded machine
    python bench/pooling_sqlite.py --quick    # fewer calls, noisier
    python bench/pooling_sqlite.py --cpu      # thread CPU time instead of wall time
    python bench/pooling_sqlite.py --postgres-dsn "host=... dbname=scratch"   # + psycopg 3

The rewritten module is produced by the ``pool`` transform from the original's source (nothing is
hand-written): both are imported from a temp dir, checked to return the same results, then timed
alternately (so load changes hit both) on the same workload and database file:

* ``lookup``: a keyed SELECT (the shape of gitkit's ``cached_result``): the connect dominates;
* ``record``: an INSERT + COMMIT (the shape of ``record_run``): the commit's fsync dominates, so the
  gain is smaller; ``synchronous=OFF`` cannot be set per connection here without defeating the rewrite
  (a PRAGMA is connection state), so the file is in WAL mode, which is persistent.

With ``--postgres-dsn`` the same two shapes run through ``psycopg.connect`` (table ``kv`` recreated).

It prints per-call medians and the median of the per-repeat ratios (original / pooled). The design note's
reference: sqlite3 connect ~102 us vs ~3.3 us reused (docs/runtime/pool.md).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from codeopt.analysis.facts import facts_from_tree
from codeopt.transforms.base import Changed, FileInput
from codeopt.transforms.pooling import pool_file

WORKLOAD = """
import sqlite3

DB_PATH = {path!r}


def lookup(key):
    conn = sqlite3.connect(DB_PATH)
    try:
        row = conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
    finally:
        conn.close()
    return None if row is None else row[0]


def record(key, value):
    conn = sqlite3.connect(DB_PATH)
    try:
        conn.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, value))
        conn.commit()
    finally:
        conn.close()
"""


PG_WORKLOAD = """
import psycopg

DSN = {dsn!r}


def lookup(key):
    conn = psycopg.connect(DSN)
    try:
        row = conn.execute("SELECT value FROM kv WHERE key = %s", (key,)).fetchone()
    finally:
        conn.close()
    return None if row is None else row[0]


def record(key, value):
    conn = psycopg.connect(DSN)
    try:
        conn.execute(
            "INSERT INTO kv (key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            (key, value),
        )
        conn.commit()
    finally:
        conn.close()
"""


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def rewrite(folder: Path, name: str, source: str) -> tuple[ModuleType, ModuleType, tuple[str, ...]]:
    """(original, rewritten by the pool transform, what it applied), imported from ``folder``."""
    facts = facts_from_tree(ast.parse(source), source.splitlines(), module=name)
    result = pool_file(FileInput(folder / f"{name}.py", source, name, facts))
    if not isinstance(result, Changed):
        raise SystemExit(f"the pool transform did not rewrite the {name} workload: {result}")
    (folder / f"{name}_original.py").write_text(source)
    (folder / f"{name}_pooled.py").write_text(result.after)
    return (
        _load(folder / f"{name}_original.py", f"{name}_original"),
        _load(folder / f"{name}_pooled.py", f"{name}_pooled"),
        result.applied,
    )


def build(folder: Path) -> tuple[ModuleType, ModuleType, tuple[str, ...]]:
    """The SQLite workload, sharing one database."""
    db = folder / "bench.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT)")
        conn.executemany("INSERT INTO kv VALUES (?, ?)", ((f"k{i}", f"v{i}") for i in range(1000)))
    conn.close()
    return rewrite(folder, "workload", WORKLOAD.format(path=str(db)))


def build_postgres(folder: Path, dsn: str) -> tuple[ModuleType, ModuleType, tuple[str, ...]]:
    """The PostgreSQL workload on the database ``dsn`` names (its table ``kv`` is recreated)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS kv")
        conn.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO kv VALUES (%s, %s)", [(f"k{i}", f"v{i}") for i in range(1000)])
    return rewrite(folder, "pg_workload", PG_WORKLOAD.format(dsn=dsn))


def check_same(original: ModuleType, pooled: ModuleType) -> None:
    for key in ("k1", "k999", "missing"):
        assert original.lookup(key) == pooled.lookup(key), key
    original.record("same", "1")
    assert pooled.lookup("same") == "1"
    pooled.record("same", "2")
    assert original.lookup("same") == "2"


CLOCK = time.perf_counter_ns


def timed(call: Callable[[int], None], n: int) -> float:
    start = CLOCK()
    call(n)
    return (CLOCK() - start) / n


def compare(
    name: str, original: Callable[[int], None], pooled: Callable[[int], None], n: int, repeats: int
) -> float:
    original(n // 10)  # warm-up (the pool fills, pages get cached)
    pooled(n // 10)
    ratios, base, cand = [], [], []
    for _ in range(repeats):
        b = timed(original, n)
        c = timed(pooled, n)
        base.append(b)
        cand.append(c)
        ratios.append(b / c)
    ratio = statistics.median(ratios)
    print(
        f"{name:<8} original {statistics.median(base) / 1000:8.1f} us/call   "
        f"pooled {statistics.median(cand) / 1000:8.1f} us/call   ratio {ratio:5.2f}x"
    )
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations (noisier)")
    parser.add_argument("--cpu", action="store_true", help="thread CPU time instead of wall time")
    parser.add_argument(
        "--postgres-dsn", metavar="DSN", help="also run the psycopg workload on this (scratch) database"
    )
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.thread_time_ns if args.cpu else time.perf_counter_ns
    n, repeats = (300, 5) if args.quick else (1000, 9)
    clock = "thread CPU time" if args.cpu else "wall time"
    print(f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, {clock}, {repeats} repeats")
    with tempfile.TemporaryDirectory(prefix="codeopt-pool-bench-") as tmp:
        lookup, record = run("sqlite3", build(Path(tmp)), n, repeats)
        line = f"speedup (original / pooled): sqlite3 lookup {lookup:.2f}x, record {record:.2f}x"
        if args.postgres_dsn:
            pg_lookup, pg_record = run(
                "postgres", build_postgres(Path(tmp), args.postgres_dsn), n // 5, repeats
            )
            line += f"; postgres lookup {pg_lookup:.2f}x, record {pg_record:.2f}x"
    print(line)
    return 0 if lookup > 1.0 else 1


def run(
    label: str, built: tuple[ModuleType, ModuleType, tuple[str, ...]], n: int, repeats: int
) -> tuple[float, float]:
    original, pooled, applied = built
    print(f"[{label}] rewritten by the pool transform:", "; ".join(applied))
    check_same(original, pooled)

    def lookups(module: ModuleType) -> Callable[[int], None]:
        def run(count: int) -> None:
            for i in range(count):
                module.lookup(f"k{i % 1000}")

        return run

    def records(module: ModuleType) -> Callable[[int], None]:
        def run(count: int) -> None:
            for i in range(count):
                module.record(f"r{i % 100}", str(i))

        return run

    lookup = compare("lookup", lookups(original), lookups(pooled), n, repeats)
    record = compare("record", records(original), records(pooled), max(n // 20, 15), repeats)
    pools = next(value for key, value in vars(pooled).items() if key.endswith("_pools"))
    stats = [p.stats() for p in pools.pools()]
    print(
        f"[{label}] pooled connections created: {sum(s.created for s in stats)} for {len(stats)} pool key(s)"
    )
    pools.close()
    return lookup, record


if __name__ == "__main__":
    sys.exit(main())
