"""CO301 beyond its examples: what blocks a pooled rewrite, and the pool code proposed."""

from __future__ import annotations

import pytest

from codeopt.rules.registry import discover_rules
from codeopt.testing import run_rule

RULE = discover_rules()["CO301"]


def test_fixable_creation_gets_a_keyed_pool_and_the_fix_command() -> None:
    (finding,) = run_rule(RULE, RULE.INVALID[0].code)
    assert finding.fix == "codeopt optimize example.py --pool"
    assert "@functools.cache" in finding.proposal and "def _sqlite3_pool(db_path):" in finding.proposal
    assert (
        "        return ObjectPool(\n"
        "            lambda: sqlite3.connect(db_path, check_same_thread=False),\n"
        "            reset=lambda conn: conn.rollback(),\n"
        "        )"
    ) in finding.proposal
    assert "with _sqlite3_pool(db_path).acquire() as conn:" in finding.proposal
    assert dict(finding.data)["automatic"] is True


def test_constant_arguments_get_one_module_level_pool() -> None:
    code = "import sqlite3\nDB = 'app.db'\ndef f():\n    conn = sqlite3.connect(DB)\n    conn.close()\n"
    (finding,) = run_rule(RULE, code)
    assert "_sqlite3_pool = ObjectPool(" in finding.proposal and "functools" not in finding.proposal


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("conn = sqlite3.connect(p)\n    return conn", "returned to the caller"),
        ("conn = sqlite3.connect(p)\n    return conn.cursor()", "cursor() result is returned"),
        ("conn = sqlite3.connect(p)\n    conn.execute('x')", "never closed in the function"),
        (
            "with sqlite3.connect(p) as conn:\n        conn.execute('x')",
            "ends a transaction, it does not close",
        ),
        ("conn = sqlite3.connect(p)\n    yield conn.execute('x')\n    conn.close()", "generator"),
        (
            "conn = sqlite3.connect(p)\n    REGISTRY.append(conn)\n    conn.close()",
            "passed to `REGISTRY.append`",
        ),
        ("conn = sqlite3.connect(p)\n    CACHE[p] = conn\n    conn.close()", "stored on CACHE[p]"),
        (
            "conn = sqlite3.connect(p)\n    run = lambda: conn.execute('x')\n    conn.close()",
            "captured by a nested",
        ),
    ],
)
def test_reasons_a_rewrite_is_not_automatic(body: str, reason: str) -> None:
    code = f"import sqlite3\nREGISTRY = []\nCACHE = {{}}\ndef f(p):\n    {body}\n"
    (finding,) = run_rule(RULE, code)
    assert reason in finding.message + finding.proposal
    assert finding.fix == "" and "Not automatic because" in finding.proposal


def test_session_state_and_self_arguments_block_the_rewrite() -> None:
    code = """
        import requests

        class Api:
            def __init__(self, token):
                self.token = token

            def get(self, url):
                with requests.Session() as session:
                    session.headers["Authorization"] = self.token
                    return session.get(url).json()

        def connect(self_path):
            import sqlite3
            class Holder:
                def open(self):
                    conn = sqlite3.connect(self.path)
                    conn.close()
        """
    first, second = run_rule(RULE, code)
    assert "per-caller state (`headers`)" in first.message
    assert "from `self`" in second.message


def test_passing_to_a_local_helper_is_allowed_with_a_caveat() -> None:
    code = """
        import sqlite3

        def _schema(conn):
            conn.execute("create table if not exists t (x)")

        def add(path, x):
            conn = sqlite3.connect(path)
            _schema(conn)
            conn.execute("insert into t values (?)", (x,))
            conn.commit()
            conn.close()
        """
    (finding,) = run_rule(RULE, code)
    assert finding.fix and "It is passed to `_schema`" in finding.proposal


def test_async_clients_use_async_with() -> None:
    code = """
        import httpx

        async def get(u):
            async with httpx.AsyncClient() as c:
                return (await c.get(u)).json()
        """
    (finding,) = run_rule(RULE, code)
    assert "from codeopt_runtime.pool import AsyncObjectPool" in finding.proposal
    assert "async def _make_httpx_asyncclient_pool():\n        return httpx.AsyncClient()" in finding.proposal
    assert "_httpx_asyncclient_pool = AsyncObjectPool(_make_httpx_asyncclient_pool)" in finding.proposal
    assert "async with _httpx_asyncclient_pool.acquire() as c:" in finding.proposal


def test_instance_and_global_caches_are_not_per_call() -> None:
    code = """
        import sqlite3
        _CONN = None

        def conn():
            global _CONN
            if _CONN is None:
                _CONN = sqlite3.connect("x")
            return _CONN

        class A:
            def __init__(self):
                self.db = sqlite3.connect("x")
        """
    assert run_rule(RULE, code) == []


def test_constructor_options() -> None:
    code = "import sqlite3\ndef f():\n    c = sqlite3.connect('x')\n    c.close()\n"
    assert run_rule(RULE, code, options={"constructors": ("requests.Session",)}) == []
