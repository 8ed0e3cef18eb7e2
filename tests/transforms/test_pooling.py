"""``--pool``: before/after rewrites, the no-op table (one case per condition), idempotence, the result
contract on real files (the gitkit fixture)."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext, CodemodTest

from codeopt.analysis.facts import facts_from_tree
from codeopt.transforms.base import Changed, FileInput, Skipped, TransformOptions, Unchanged, available
from codeopt.transforms.pooling import PoolingCommand, pool_file

FIXTURE = Path(__file__).parents[2] / "fixtures" / "gitkit" / "gitkit" / "git_advanced.py"
IMPORT = "from codeopt_runtime.pooled import PoolMap, reset_sqlite3, sqlite3_identity\n"
POOLS = "_sqlite3_pools = PoolMap(reset=reset_sqlite3, identity=sqlite3_identity)\n"


def run(source: str) -> PoolingCommand:
    command = PoolingCommand(CodemodContext())
    command.output = command.transform_module(cst.parse_module(textwrap.dedent(source)))  # type: ignore[attr-defined]
    return command


def file_input(source: str, path: Path = Path("mod.py"), **values: object) -> FileInput:
    source = textwrap.dedent(source)
    facts = facts_from_tree(ast.parse(source), source.splitlines(), module="mod")
    options = TransformOptions(values=tuple(values.items()))  # type: ignore[arg-type]
    return FileInput(path, source, "mod", facts, options)


class TestRewrites(CodemodTest):
    TRANSFORM = PoolingCommand

    def test_try_finally_close(self) -> None:
        before = """
            import sqlite3

            DB_PATH = "app.db"


            def record(value):
                conn = sqlite3.connect(DB_PATH)
                try:
                    cursor = conn.execute("insert into t values (?)", (value,))
                    conn.commit()
                    return cursor.lastrowid
                finally:
                    conn.close()
        """
        after = f"""
            import sqlite3
            {IMPORT}
            DB_PATH = "app.db"


            {POOLS}

            def record(value):
                with _sqlite3_pools.acquire(sqlite3.connect, DB_PATH, check_same_thread=False) as conn:
                    cursor = conn.execute("insert into t values (?)", (value,))
                    conn.commit()
                    return cursor.lastrowid
        """
        self.assertCodemod(before, after)

    def test_with_closing_keeps_keywords(self) -> None:
        before = """
            import sqlite3 as sq
            from contextlib import closing


            def count():
                with closing(sq.connect("app.db", timeout=5)) as conn:
                    return conn.execute("select count(*) from t").fetchone()[0]
        """
        after = f"""
            import sqlite3 as sq
            from contextlib import closing
            {IMPORT}

            {POOLS}

            def count():
                with _sqlite3_pools.acquire(sq.connect, "app.db", timeout=5, check_same_thread=False) as conn:
                    return conn.execute("select count(*) from t").fetchone()[0]
        """
        self.assertCodemod(before, after)

    def test_close_ending_the_block_with_cursor_loop(self) -> None:
        before = """
            import sqlite3 as db

            QUERY = "select x from t"


            def total():
                result = 0
                conn = db.connect("app.db", check_same_thread=False)
                cur = conn.cursor()
                cur.execute(QUERY)
                for row in cur:
                    result += row[0]
                conn.close()
                return result
        """
        after = f"""
            import sqlite3 as db
            {IMPORT}
            QUERY = "select x from t"


            {POOLS}

            def total():
                result = 0
                with _sqlite3_pools.acquire(db.connect, "app.db", check_same_thread=False) as conn:
                    cur = conn.cursor()
                    cur.execute(QUERY)
                    for row in cur:
                        result += row[0]
                return result
        """
        self.assertCodemod(before, after)

    def test_try_except_finally_keeps_the_handlers(self) -> None:
        before = """
            import logging
            from sqlite3 import connect


            def safe_count():
                conn = connect("app.db")
                try:
                    with conn:
                        return conn.execute("select count(*) from t").fetchone()[0]
                except Exception:
                    logging.exception("count failed")
                    return -1
                finally:
                    conn.close()
        """
        after = f"""
            import logging
            from sqlite3 import connect
            {IMPORT}

            {POOLS}

            def safe_count():
                with _sqlite3_pools.acquire(connect, "app.db", check_same_thread=False) as conn:
                    try:
                        with conn:
                            return conn.execute("select count(*) from t").fetchone()[0]
                    except Exception:
                        logging.exception("count failed")
                        return -1
        """
        self.assertCodemod(before, after)

    def test_psycopg_with_an_update_and_an_imported_row_factory(self) -> None:
        before = """
            import psycopg
            from psycopg.rows import dict_row

            DSN = "dbname=app"


            def rename(old, new):
                conn = psycopg.connect(DSN, row_factory=dict_row)
                try:
                    conn.execute("UPDATE users SET name = %s WHERE name = %s", (new, old))
                    conn.commit()
                finally:
                    conn.close()
        """
        after = """
            import psycopg
            from psycopg.rows import dict_row
            from codeopt_runtime.pooled import PoolMap, reset_psycopg, validate_psycopg

            DSN = "dbname=app"


            _psycopg_pools = PoolMap(reset=reset_psycopg, validate=validate_psycopg)


            def rename(old, new):
                with _psycopg_pools.acquire(psycopg.connect, DSN, row_factory=dict_row) as conn:
                    conn.execute("UPDATE users SET name = %s WHERE name = %s", (new, old))
                    conn.commit()
        """
        self.assertCodemod(before, after)

    def test_methods_and_an_existing_pool_map_are_reused(self) -> None:
        before = f"""
            import sqlite3
            {IMPORT}
            {POOLS}

            class Store:
                def get(self, key):
                    conn = sqlite3.connect("kv.db")
                    try:
                        return conn.execute("select v from kv where k = ?", (key,)).fetchone()
                    finally:
                        conn.close()
        """
        after = f"""
            import sqlite3
            {IMPORT}
            {POOLS}

            class Store:
                def get(self, key):
                    with _sqlite3_pools.acquire(sqlite3.connect, "kv.db", check_same_thread=False) as conn:
                        return conn.execute("select v from kv where k = ?", (key,)).fetchone()
        """
        self.assertCodemod(before, after)


# One case per condition that must keep the code as it is, with the reason reported.
NO_OP = {
    "parameter argument": (
        """
        def f(db_path):
            conn = sqlite3.connect(db_path)
            try:
                conn.execute("select 1")
            finally:
                conn.close()
        """,
        "can differ per call",
    ),
    "non-constant module name": (
        """
        DB = "a.db"
        DB = "b.db"

        def f():
            conn = sqlite3.connect(DB)
            try:
                conn.execute("select 1")
            finally:
                conn.close()
        """,
        "not a module constant",
    ),
    "computed argument": (
        """
        def f():
            conn = sqlite3.connect(str(HOME / "a.db"))
            try:
                conn.execute("select 1")
            finally:
                conn.close()
        """,
        "neither a literal nor a module constant",
    ),
    "attribute of a parameter": (
        """
        def f(config):
            conn = sqlite3.connect(config.path)
            try:
                conn.execute("select 1")
            finally:
                conn.close()
        """,
        "its arguments read `config`",
    ),
    "unpacked arguments": (
        """
        ARGS = ("a.db",)

        def f():
            conn = sqlite3.connect(*ARGS)
            try:
                conn.execute("select 1")
            finally:
                conn.close()
        """,
        "unpacked",
    ),
    "in-memory database": (
        """
        def f():
            conn = sqlite3.connect(":memory:")
            try:
                conn.execute("create table t (x)")
            finally:
                conn.close()
        """,
        "in-memory database",
    ),
    "thread-bound": (
        """
        def f():
            conn = sqlite3.connect("a.db", check_same_thread=True)
            try:
                conn.execute("select 1")
            finally:
                conn.close()
        """,
        "bound to one thread",
    ),
    "returned": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            return conn
        """,
        "returned to the caller",
    ),
    "cursor returned": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            try:
                return conn.execute("select 1")
            finally:
                conn.close()
        """,
        "result is returned",
    ),
    "stored in a container": (
        """
        OPEN = []

        def f():
            conn = sqlite3.connect("a.db")
            OPEN.append(conn)
            conn.close()
        """,
        "passed to `OPEN.append`",
    ),
    "passed to a helper": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            try:
                migrate(conn)
            finally:
                conn.close()
        """,
        "passed to `migrate`",
    ),
    "generator": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            try:
                yield from conn.execute("select x from t")
            finally:
                conn.close()
        """,
        "generator",
    ),
    "async function": (
        """
        async def f():
            conn = sqlite3.connect("a.db")
            try:
                conn.execute("select 1")
            finally:
                conn.close()
        """,
        "async",
    ),
    "with commits but does not close": (
        """
        def f():
            with sqlite3.connect("a.db") as conn:
                conn.execute("insert into t values (1)")
        """,
        "ends a transaction but does not close it",
    ),
    "never closed": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            conn.execute("insert into t values (1)")
            conn.commit()
        """,
        "never closed",
    ),
    "row_factory set per call": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            try:
                conn.row_factory = sqlite3.Row
                return conn.execute("select x from t").fetchall()
            finally:
                conn.close()
        """,
        "sets `conn.row_factory`",
    ),
    "isolation level set per call": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            try:
                conn.isolation_level = None
                conn.execute("insert into t values (1)")
            finally:
                conn.close()
        """,
        "sets `conn.isolation_level`",
    ),
    "connection-lifetime counter": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            try:
                conn.execute("delete from t")
                return conn.total_changes
            finally:
                conn.close()
        """,
        "uses `conn.total_changes`",
    ),
    "connection-changing call": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            try:
                conn.create_function("twice", 1, lambda x: 2 * x)
                return conn.execute("select twice(x) from t").fetchall()
            finally:
                conn.close()
        """,
        "calls `conn.create_function()`",
    ),
    "connection-changing SQL": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            try:
                conn.execute("PRAGMA foreign_keys = ON")
            finally:
                conn.close()
        """,
        "`PRAGMA`",
    ),
    "per-connection history in SQL": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            try:
                return conn.execute("select last_insert_rowid()").fetchone()
            finally:
                conn.close()
        """,
        "`LAST_INSERT_ROWID`",
    ),
    "temp table": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            try:
                conn.execute("create temp table scratch (x)")
            finally:
                conn.close()
        """,
        "`TEMP`",
    ),
    "dynamic SQL": (
        """
        def f(query):
            conn = sqlite3.connect("a.db")
            try:
                return conn.execute(query).fetchall()
            finally:
                conn.close()
        """,
        "SQL that is not a literal",
    ),
    "used after close": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            try:
                conn.execute("select 1")
            finally:
                conn.close()
            return conn.total_changes
        """,
        "used outside the code that holds it",
    ),
    "aliased": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            try:
                other = conn
                other.execute("select 1")
            finally:
                conn.close()
        """,
        "aliased",
    ),
    "captured by a closure": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            try:
                run = lambda: conn.execute("select 1")
                run()
            finally:
                conn.close()
        """,
        "captured by a nested function",
    ),
    "closed elsewhere": (
        """
        def f(flag):
            conn = sqlite3.connect("a.db")
            if flag:
                conn.execute("select 1")
            try:
                pass
            finally:
                conn.close()
        """,
        "not created and closed in one block",
    ),
    "finally does more": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            try:
                conn.execute("select 1")
            finally:
                conn.close()
                print("closed")
        """,
        "not created and closed in one block",
    ),
    "early close inside": (
        """
        def f(flag):
            conn = sqlite3.connect("a.db")
            try:
                if flag:
                    conn.close()
                    return
                conn.execute("select 1")
            finally:
                conn.close()
        """,
        "calls `conn.close()`",
    ),
    "closed twice": (
        """
        def f():
            conn = sqlite3.connect("a.db")
            conn.execute("select 1")
            conn.close()
            conn.close()
        """,
        "used outside the code that holds it",
    ),
    "local hides the pool": (
        """
        def f(_sqlite3_pools=None):
            conn = sqlite3.connect("a.db")
            try:
                conn.execute("select 1")
            finally:
                conn.close()
        """,
        "would hide the module's pool",
    ),
    "HTTP session state": (
        """
        import requests

        def f(url):
            with requests.Session() as session:
                return session.get(url).json()
        """,
        "cookies, auth and headers would carry over",
    ),
    "redis client": (
        """
        import redis

        def f():
            client = redis.Redis()
            try:
                return client.get("k")
            finally:
                client.close()
        """,
        "already a connection pool",
    ),
    "postgres SET": (
        """
        import psycopg

        def f():
            conn = psycopg.connect("dbname=app")
            try:
                conn.execute("SET search_path TO app")
                return conn.execute("select 1").fetchone()
            finally:
                conn.close()
        """,
        "its SQL uses `SET`",
    ),
    "postgres advisory lock": (
        """
        import psycopg

        def f():
            conn = psycopg.connect("dbname=app")
            try:
                conn.execute("select pg_advisory_lock(1)")
            finally:
                conn.close()
        """,
        "`PG_ADVISORY_LOCK`",
    ),
    "postgres autocommit set": (
        """
        import psycopg

        def f():
            conn = psycopg.connect("dbname=app")
            try:
                conn.autocommit = True
                conn.execute("vacuum")
            finally:
                conn.close()
        """,
        "sets `conn.autocommit`",
    ),
    "psycopg with commits on exit": (
        """
        import psycopg

        def f():
            with psycopg.connect("dbname=app") as conn:
                conn.execute("insert into t values (1)")
        """,
        "commits: the pooled code must call `commit()` itself",
    ),
    "psycopg2 session state": (
        """
        import psycopg2

        def f():
            conn = psycopg2.connect("dbname=app")
            try:
                cur = conn.cursor()
                cur.execute("select 1")
            finally:
                conn.close()
        """,
        "survives a rollback",
    ),
}


@pytest.mark.parametrize("case", sorted(NO_OP))
def test_no_op_table(case: str) -> None:
    body, reason = NO_OP[case]
    source = "import sqlite3\n" + textwrap.dedent(body)
    result = pool_file(file_input(source))
    assert isinstance(result, Skipped), result
    assert len(result.skips) == 1
    assert reason in result.skips[0].reason


def test_multi_line_sql_is_read_statically() -> None:
    source = """
        import psycopg

        DSN = "dbname=app"


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
    result = pool_file(file_input(source))
    assert isinstance(result, Changed), result
    assert result.applied == ("pool psycopg.connect in record (line 8)",)


def test_module_attributes_and_operators_are_stable_keys() -> None:
    source = """
        import sqlite3

        def f():
            conn = sqlite3.connect("a.db", detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)
            try:
                return conn.execute("select x from t").fetchall()
            finally:
                conn.close()
    """
    result = pool_file(file_input(source))
    assert isinstance(result, Changed), result
    assert (
        "detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES, check_same_thread=False"
        in result.after
    )


def test_skips_carry_the_suggested_code() -> None:
    body, _ = NO_OP["parameter argument"]
    result = pool_file(file_input("import sqlite3\n" + textwrap.dedent(body)))
    assert isinstance(result, Skipped)
    assert (
        "suggested: `_sqlite3_pools = PoolMap(reset=reset_sqlite3, identity=sqlite3_identity)`"
        in result.skips[0].reason
    )
    assert "`with _sqlite3_pools.acquire(sqlite3.connect, db_path, check_same_thread=False) as conn:`" in (
        result.skips[0].reason
    )


def test_cached_objects_are_not_candidates() -> None:
    source = """
        import sqlite3

        class Store:
            def db(self):
                self._db = sqlite3.connect("a.db")
                return 1
    """
    assert isinstance(pool_file(file_input(source)), Unchanged)


def test_extra_constructors_are_reported() -> None:
    source = """
        import mydb

        def f():
            client = mydb.Client()
            try:
                return client.get("k")
            finally:
                client.close()
    """
    assert isinstance(pool_file(file_input(source)), Unchanged)
    result = pool_file(file_input(source, **{"pool.extra-constructors": ("mydb.Client",)}))
    assert isinstance(result, Skipped)
    assert "no reset is known" in result.skips[0].reason


def test_idempotent() -> None:
    source = """
        import sqlite3
        from contextlib import closing

        DB = "a.db"

        def one():
            conn = sqlite3.connect(DB)
            try:
                conn.execute("select 1")
            finally:
                conn.close()

        def two(path):
            with closing(sqlite3.connect(path)) as conn:
                conn.execute("select 1")
    """
    first = pool_file(file_input(source))
    assert isinstance(first, Changed)
    assert first.applied == ("pool sqlite3.connect in one (line 8)",)
    assert [s.name for s in first.skips] == ["two: sqlite3.connect"]
    second = pool_file(file_input(first.after))
    assert isinstance(second, Skipped)  # only the parameter-keyed site remains, still reported
    assert [s.name for s in second.skips] == ["two: sqlite3.connect"]


def test_runtime_module_comes_from_the_options() -> None:
    source = """
        import sqlite3

        def one():
            conn = sqlite3.connect("a.db")
            conn.execute("select 1")
            conn.close()
    """
    vendored = TransformOptions(runtime=(("pooled", "pkg._codeopt_pooled"),))
    base = file_input(source)
    result = pool_file(FileInput(base.path, base.source, base.module, base.facts, vendored))
    assert isinstance(result, Changed)
    assert "from pkg._codeopt_pooled import PoolMap, reset_sqlite3, sqlite3_identity" in result.after
    assert result.runtime == ("pooled", "pool")


def test_vendored_pool_runtime_is_imported_from_the_package() -> None:
    """A project without the codeopt-runtime dependency imports the pool helpers from its own copy."""
    base = file_input(
        "import sqlite3\n" + textwrap.dedent(NO_OP["never closed"][0]).replace("commit", "close")
    )
    vendored = TransformOptions(runtime=(("lazy", "pkg._codeopt_lazy"), ("pooled", "pkg._codeopt_pooled")))
    result = pool_file(FileInput(base.path, base.source, base.module, base.facts, vendored))
    assert isinstance(result, Changed)
    assert "from pkg._codeopt_pooled import PoolMap" in result.after
    assert "codeopt_runtime" not in result.after


def test_gitkit_fixture_is_reported_not_rewritten() -> None:
    source = FIXTURE.read_text(encoding="utf-8")
    facts = facts_from_tree(ast.parse(source), source.splitlines(), module="gitkit.git_advanced")
    result = pool_file(FileInput(FIXTURE, source, "gitkit.git_advanced", facts))
    assert isinstance(result, Skipped)
    by_name = {s.name: s.reason for s in result.skips}
    assert set(by_name) == {
        "record_run: sqlite3.connect",
        "cached_result: sqlite3.connect",
        "notify_webhook: urllib.request.urlopen",
    }
    assert "`db_path`, which can differ per call" in by_name["record_run: sqlite3.connect"]
    assert "urllib3.PoolManager" in by_name["notify_webhook: urllib.request.urlopen"]


def test_registered_for_the_optimize_command() -> None:
    transform = available("pool")
    assert transform is not None
    assert transform.flag == "--pool"
    assert transform.run is pool_file
    assert "CO301" in transform.rules
