"""CO301 expensive-object-per-call: a connection, session or client created on every call."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from codeopt.analysis.facts import ResourceCreation
from codeopt.analysis.model import FileAnalysis
from codeopt.rules.base import Finding, Invalid, Option, Rule, Severity, Valid
from codeopt_rules._text import code, names


@dataclass(frozen=True)
class Kind:
    """What the rule knows about one constructor: how to pool its objects safely."""

    label: str
    cost: str = ""  # per-call cost against reuse, for the proposal
    with_closes: bool = True  # ``with X(...)`` closes the object (sqlite3/psycopg2: transaction only)
    with_commits: bool = False  # leaving ``with`` commits (psycopg 3): a pooled version must commit
    reset: str = ""  # method call that makes a returned object clean for the next user
    thread_arg: str = ""  # factory keyword needed to hand the object to other threads
    state: tuple[str, ...] = ()  # attributes that carry per-user state (a pooled object keeps them)


_ROLLBACK = "rollback()"
_HTTP_STATE = ("auth", "headers", "cookies", "proxies", "params", "cert", "verify", "mount", "trust_env")

KINDS: dict[str, Kind] = {
    "sqlite3.connect": Kind(
        "sqlite3 connection",
        "~0.1 ms per connect, ~3 µs to reuse one",
        with_closes=False,
        thread_arg="check_same_thread=False",
        reset=_ROLLBACK,
    ),
    "psycopg.connect": Kind(
        "PostgreSQL connection", "~11 ms per connect, ~0.2 ms from a pool", with_commits=True, reset=_ROLLBACK
    ),
    "psycopg.Connection.connect": Kind(
        "PostgreSQL connection", "~11 ms per connect, ~0.2 ms from a pool", with_commits=True, reset=_ROLLBACK
    ),
    "psycopg2.connect": Kind(
        "PostgreSQL connection", "~11 ms per connect, ~0.2 ms from a pool", with_closes=False, reset=_ROLLBACK
    ),
    "pymysql.connect": Kind("MySQL connection", "a TCP and auth handshake per connect", reset=_ROLLBACK),
    "redis.Redis": Kind("Redis client", "a new TCP connection per client"),
    "redis.StrictRedis": Kind("Redis client", "a new TCP connection per client"),
    "redis.from_url": Kind("Redis client", "a new TCP connection per client"),
    "redis.Redis.from_url": Kind("Redis client", "a new TCP connection per client"),
    "requests.Session": Kind(
        "HTTP session",
        "a new connection pool (and TLS handshake) per session",
        reset="cookies.clear()",
        state=_HTTP_STATE,
    ),
    "requests.session": Kind(
        "HTTP session",
        "a new connection pool (and TLS handshake) per session",
        reset="cookies.clear()",
        state=_HTTP_STATE,
    ),
    "httpx.Client": Kind(
        "HTTP client", "~46 ms per client (it builds a TLS context), ~0.6 ms reused", state=_HTTP_STATE
    ),
    "httpx.AsyncClient": Kind(
        "async HTTP client", "~46 ms per client (it builds a TLS context)", state=_HTTP_STATE
    ),
    "urllib3.PoolManager": Kind("urllib3 pool manager", "a new connection pool per call"),
    "aiohttp.ClientSession": Kind("aiohttp session", "a new connector and connection pool per session"),
}
# escapes that are caches, not per-call creations: ``self._conn = connect()`` / ``global _conn``
_CACHED = re.compile(r"^(stored on (self|cls)\.|assigned to global )")


class ExpensiveObjectPerCall(Rule):
    id = "CO301"
    name = "expensive-object-per-call"
    severity = Severity.WARNING
    summary = (
        "Finds functions that create a database connection, HTTP session or client on every call "
        "instead of reusing one."
    )
    why = (
        "Creating these objects is the expensive part of using them: a PostgreSQL connect costs "
        "~11 ms against ~0.2 ms from a pool, an `httpx.Client()` ~46 ms (it builds a TLS context) "
        "against ~0.6 ms reused, even a local sqlite3 connect ~0.1 ms against ~3 µs. A function that "
        "creates one per call pays that on every call, and a loop multiplies it.\n\n"
        "The callee is resolved through the imports (`import sqlite3 as s; s.connect()` and "
        "`from psycopg import connect` are both found). A pooled rewrite is proposed when the "
        "object is created, used and closed inside the function and never leaves it; when it is "
        "returned, stored, captured by a closure or handed to code outside the module, kept open, "
        "or carries per-caller state (session headers, auth, cookies), the finding says why a "
        "rewrite is not automatic and shows the code to aim for. Objects cached on `self` or in a "
        "global are not per-call and are not reported."
    )
    use_instead = code(
        """
        import functools
        import sqlite3

        from codeopt_runtime.pool import ObjectPool


        @functools.cache
        def _sqlite3_pool(db_path):  # one pool per database
            return ObjectPool(
                factory=lambda: sqlite3.connect(db_path, check_same_thread=False),
                reset=lambda conn: conn.rollback(),
            )


        def count_users(db_path):
            with _sqlite3_pool(db_path).acquire() as conn:
                return conn.execute("SELECT count(*) FROM users").fetchone()[0]
        """
    )
    fix_safety = (
        "A pooled object outlives the call: whatever the function left in it is seen by the next "
        "caller. The pool's `reset` rolls back an uncommitted transaction (as closing would have) "
        "and clears session cookies; the rewrite is proposed only when nothing else can leak "
        "(no escape, no per-caller session state, closed in the function). sqlite3 connections are "
        "created with `check_same_thread=False` so that any thread may check one out; the pool "
        "hands each to one thread at a time. Pools are not shared across `fork`."
    )
    fix = "codeopt optimize PATH --pool"
    options = (
        Option(
            "constructors",
            tuple(KINDS),
            "Dotted callees whose result is expensive to create (resolved through imports).",
        ),
        Option("extra-constructors", (), "More callees to treat as expensive, added to `constructors`."),
    )
    VALID = (
        # created once at module level and reused
        Valid(
            """
            import sqlite3

            CONN = sqlite3.connect("app.db")

            def count_users():
                return CONN.execute("SELECT count(*) FROM users").fetchone()[0]
            """
        ),
        # cached on the instance: created once per object, not per call
        Valid(
            """
            import requests

            class Api:
                def __init__(self):
                    self._session = None

                def session(self):
                    if self._session is None:
                        self._session = requests.Session()
                    return self._session
            """
        ),
        # not a known expensive constructor
        Valid(
            """
            import io

            def render(rows):
                buffer = io.StringIO()
                buffer.write(str(rows))
                return buffer.getvalue()
            """
        ),
        # a local name shadowing the import is not the module's function
        Valid(
            """
            from sqlite3 import connect

            def run(connect):
                conn = connect()
                conn.close()
            """
        ),
    )
    INVALID = (
        Invalid(
            """
            import sqlite3

            def count_users(db_path):
                conn = sqlite3.connect(db_path)
                try:
                    return conn.execute("SELECT count(*) FROM users").fetchone()[0]
                finally:
                    conn.close()
            """,
            line=4,
            message="`count_users` creates a new sqlite3 connection on every call",
        ),
        Invalid(
            """
            import requests as rq

            def fetch_all(urls):
                return [fetch(url) for url in urls]

            def fetch(url):
                with rq.Session() as session:
                    return session.get(url, timeout=10).json()
            """,
            line=7,
            message="called in a loop",
        ),
        Invalid(
            """
            from psycopg import connect

            def open_db():
                conn = connect("dbname=app")
                return conn
            """,
            line=4,
            message="returned to the caller",
        ),
        Invalid(
            """
            import mydb

            def load(key):
                client = mydb.Client()
                try:
                    return client.get(key)
                finally:
                    client.close()
            """,
            line=4,
            options={"extra-constructors": ("mydb.Client",)},
        ),
    )

    def check_file(self, file: FileAnalysis) -> Iterator[Finding]:
        wanted = {*self.option("constructors"), *self.option("extra-constructors")}
        local_functions = {f.qualname for f in file.facts.functions}
        for creation in file.facts.resources:
            if creation.callee not in wanted or creation.in_init:
                continue
            if creation.escapes and all(_CACHED.match(e) for e in creation.escapes):
                continue
            kind = KINDS.get(creation.callee, Kind(f"`{creation.callee}()` object"))
            blockers = _blockers(creation, kind, local_functions)
            yield self._finding(file, creation, kind, blockers)

    def _finding(self, file: FileAnalysis, r: ResourceCreation, kind: Kind, blockers: list[str]) -> Finding:
        short = r.function.rsplit(".", 1)[-1]
        where = ", inside a loop" if r.in_loop else ", and is called in a loop" if r.called_in_loop else ""
        message = f"`{r.function}` creates a new {kind.label} on every call (`{r.call_text}`){where}"
        if blockers:
            message += f"; not pooled automatically: {blockers[0]}"
        pool, pooled = _pool_code(r, kind)
        cost = f" ({kind.cost})" if kind.cost else ""
        if blockers:
            why = "; ".join(blockers)
            proposal = (
                f"Reuse one instead of creating it per call{cost}. Not automatic because {why}. "
                f"Aim for:\n{code(pool)}\nand in `{short}`:\n{code(pooled)}"
            )
        else:
            caveat = ""
            if r.passed_to:
                passed = names(list(r.passed_to), 3)
                caveat = f"\nIt is passed to {passed}: those must not keep it after returning."
            proposal = (
                f"Check one out of a module-level pool instead{cost}:\n{code(pool)}\n"
                f"and in `{short}`, replace the creation and its close with:\n{code(pooled)}{caveat}"
            )
        return self.finding(
            file,
            r.lineno,
            message,
            proposal,
            end_line=r.end_lineno,
            symbol=f"{r.function}:{r.callee}",
            data={"in_loop": r.in_loop, "called_in_loop": r.called_in_loop, "automatic": not blockers},
            fix="" if blockers else None,
        )


def _blockers(r: ResourceCreation, kind: Kind, local_functions: set[str]) -> list[str]:
    """Why a pooled rewrite could change behaviour; empty when it is safe to apply."""
    found = []
    if r.returned:
        found.append(f"it is returned to the caller, who owns it (pool at the callers of `{r.function}`)")
    if r.returned_derived:
        found.append(f"its {r.returned_derived} is returned and needs the object alive")
    found.extend(f"it is {e}" for e in r.escapes if not _CACHED.match(e))
    outside = [p for p in r.passed_to if p not in local_functions and p.split(".")[0] not in ("self", "cls")]
    if outside:
        found.append(f"it is passed to {names(outside, 2)}, which may keep it")
    if r.in_generator:
        found.append("the function is a generator: the object stays checked out across `yield`s")
    closed = r.closed or r.via_closing or (r.via_with and kind.with_closes)
    if not closed:
        if r.via_with:
            found.append(
                f"it is never closed (`with` on a {kind.label} ends a transaction, it does not close it)"
            )
        else:
            found.append("it is never closed in the function (it lives until garbage collection)")
    if r.via_with and kind.with_commits and "commit" not in r.methods:
        found.append("leaving its `with` block commits; the pooled code must call `commit()` itself")
    state = [m for m in r.methods if m in kind.state]
    if state:
        found.append(f"it carries per-caller state ({names(state, 3)}) that a pooled object would keep")
    if "self" in r.param_args or "cls" in r.param_args:
        found.append(
            "its arguments come from `self`: one pool per instance, created once (e.g. a lazy attribute)"
        )
    return found


def _pool_code(r: ResourceCreation, kind: Kind) -> tuple[list[str], list[str]]:
    """(module-level pool definition, the ``with`` replacing the creation), in codeopt_runtime terms."""
    parts = r.callee.split(".")
    suffix = "" if parts[-1] in ("connect", "from_url", "Redis", "StrictRedis") else "_" + parts[-1].lower()
    name = f"_{parts[0]}{suffix}_pool"
    factory = r.call_text
    if (
        kind.thread_arg
        and factory.endswith(")")
        and not factory.endswith("...")
        and kind.thread_arg not in factory
    ):
        inside = factory[factory.index("(") + 1 : -1].strip()
        factory = f"{factory[: factory.index('(') + 1]}{inside + ', ' if inside else ''}{kind.thread_arg})"
    variable = r.binding or "obj"
    options = [f"reset=lambda {variable}: {variable}.{kind.reset}"] if kind.reset else []
    keys = [a for a in r.param_args if a not in ("self", "cls")]
    is_async = r.is_async or r.callee.startswith(("aiohttp.", "httpx.Async"))
    pool_class = "AsyncObjectPool" if is_async else "ObjectPool"
    if is_async:  # AsyncObjectPool awaits its factory
        make = [f"async def _make_{name.strip('_')}():", f"    return {factory}"]
        arguments = [f"_make_{name.strip('_')}", *options]
    else:
        make = []
        arguments = [f"lambda: {factory}", *options]
    acquire = "async with" if is_async else "with"
    header = [f"from codeopt_runtime.pool import {pool_class}", ""]
    if keys:
        signature = ", ".join(keys)
        body = [*make, *_call(f"return {pool_class}", arguments)]
        lines = [
            "import functools",
            *header,
            "@functools.cache",
            f"def {name}({signature}):  # one pool per distinct {signature}",
            *(f"    {line}" for line in body),
        ]
        pooled = [
            f"{acquire} {name}({signature}).acquire() as {variable}:",
            "    ...  # the code that used it",
        ]
    else:
        lines = [*header, *make, *([""] if make else []), *_call(f"{name} = {pool_class}", arguments)]
        pooled = [f"{acquire} {name}.acquire() as {variable}:", "    ...  # the code that used it"]
    return lines, pooled


def _call(head: str, arguments: list[str], width: int = 88) -> list[str]:
    """``head(a, b)`` on one line when it fits, else one argument per line."""
    one = f"{head}({', '.join(arguments)})"
    if len(one) <= width:
        return [one]
    return [f"{head}(", *(f"    {a}," for a in arguments), ")"]
