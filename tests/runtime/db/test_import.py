"""Importing codeopt_runtime.db is cheap and never imports a driver until one is used."""

from __future__ import annotations

import json
import subprocess
import sys


def added_modules(statements: str) -> set[str]:
    script = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        f"{statements}\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return set(json.loads(done.stdout))


def test_package_import_loads_nothing_but_the_package() -> None:
    added = added_modules("import codeopt_runtime.db")
    assert {m for m in added if m.startswith("codeopt_runtime.db.")} == set()
    assert not {"psycopg", "sqlite3", "threading", "dataclasses"} & added


def test_components_never_import_psycopg_or_codeopt() -> None:
    added = added_modules(
        "from codeopt_runtime.db import AdaptiveConnectionPool, QueryAnalyzer, QueryResultCache\n"
        "AdaptiveConnectionPool.postgres('host=127.0.0.1 dbname=x')\n"
        "QueryResultCache()"
    )
    assert "codeopt_runtime.db.pool" in added and "codeopt_runtime.db.result_cache" in added
    assert not {m for m in added if m.split(".")[0] in {"psycopg", "codeopt", "redis", "psutil"}}
