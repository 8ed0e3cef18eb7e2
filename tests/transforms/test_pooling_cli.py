"""``codeopt optimize --pool`` and ``--lazy-attributes`` end to end: real subprocesses on a project in a
real git repository; diff, --apply, the project's own tests green after the rewrite, idempotence."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

CODEOPT = [str(Path(sys.executable).parent / "codeopt")]

STORE = '''
"""Keeps values in SQLite; one connection per call (what --pool rewrites)."""
import difflib
import sqlite3

DB_PATH = "store.db"


def setup():
    conn = sqlite3.connect(DB_PATH)
    try:
        conn.execute("create table if not exists kv (k text primary key, v text)")
        conn.commit()
    finally:
        conn.close()


def put(key, value):
    conn = sqlite3.connect(DB_PATH)
    try:
        conn.execute("insert or replace into kv values (?, ?)", (key, value))
        conn.commit()
    finally:
        conn.close()


def put_uncommitted(key, value):
    conn = sqlite3.connect(DB_PATH)
    conn.execute("insert or replace into kv values (?, ?)", (key, value))
    conn.close()


def get(key):
    conn = sqlite3.connect(DB_PATH)
    try:
        row = conn.execute("select v from kv where k = ?", (key,)).fetchone()
    finally:
        conn.close()
    return None if row is None else row[0]


def get_from(path, key):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("select v from kv where k = ?", (key,)).fetchone()
    finally:
        conn.close()


class Similar:
    def __init__(self, words):
        self.words = list(words)
        self.matcher = difflib.SequenceMatcher(autojunk=False)

    def best(self, word):
        scores = []
        for candidate in self.words:
            self.matcher.set_seqs(word, candidate)
            scores.append((self.matcher.ratio(), candidate))
        return max(scores)[1]

    def count(self):
        return len(self.words)
'''

TEST = """
import os

import pkg.store as store


def test_store(tmp_path):
    os.chdir(tmp_path)
    store.setup()
    store.put("a", "1")
    store.put_uncommitted("b", "2")
    assert store.get("a") == "1"
    assert store.get("b") is None
    assert store.get_from("store.db", "a") == ("1",)


def test_similar():
    similar = store.Similar(["apple", "apply", "banana"])
    assert similar.count() == 3
    assert similar.best("banan") == "banana"
"""


def project(tmp_path: Path, depends: bool = True) -> Path:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    dependencies = 'dependencies = ["codeopt-runtime"]\n' if depends else ""
    (root / "pyproject.toml").write_text(f'[project]\nname = "proj"\nversion = "0"\n{dependencies}')
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "store.py").write_text(textwrap.dedent(STORE).lstrip())
    (root / "tests").mkdir()
    (root / "tests" / "test_store.py").write_text(textwrap.dedent(TEST).lstrip())
    for command in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init"],
    ):
        subprocess.run(["git", *command], cwd=root, check=True, capture_output=True)
    return root


def codeopt(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CODEOPT, "optimize", *args], cwd=root, capture_output=True, text=True, timeout=300, check=False
    )


def project_tests(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )


def test_pool_and_lazy_attributes_end_to_end(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert "2 passed" in project_tests(root).stdout

    shown = codeopt(root, "pkg", "--pool", "--lazy-attributes")
    assert shown.returncode == 1, shown.stderr
    assert "+    with _sqlite3_pools.acquire(sqlite3.connect, DB_PATH, check_same_thread=False) as conn:" in (
        shown.stdout
    )
    assert "+    @lazy_attribute" in shown.stdout
    assert "get_from: sqlite3.connect: its arguments read `path`" in shown.stderr
    assert "Similar.words: the value reads `words` from `__init__`" in shown.stderr
    assert "sqlite3.connect(DB_PATH)" in (root / "pkg" / "store.py").read_text()  # diff only

    applied = codeopt(root, "pkg", "--pool", "--lazy-attributes", "--apply")
    assert applied.returncode == 0, applied.stderr
    text = (root / "pkg" / "store.py").read_text()
    assert text.count("_sqlite3_pools.acquire(") == 4
    assert "from codeopt_runtime.pooled import PoolMap, reset_sqlite3, sqlite3_identity" in text
    assert "from codeopt_runtime.lazy import lazy_attribute" in text
    suite = project_tests(root)
    assert suite.returncode == 0 and "2 passed" in suite.stdout, suite.stdout + suite.stderr

    again = codeopt(root, "pkg", "--pool", "--lazy-attributes")
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""  # idempotent: nothing more to rewrite
    assert "get_from: sqlite3.connect" in again.stderr  # still reported


def test_pool_vendors_its_runtime_without_the_dependency(tmp_path: Path) -> None:
    # a project that does not depend on codeopt-runtime gets private copies of the pool helpers
    root = project(tmp_path, depends=False)
    applied = codeopt(root, "pkg", "--pool", "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "Traceback" not in applied.stderr
    text = (root / "pkg" / "store.py").read_text()
    assert "from pkg._codeopt_pooled import PoolMap, reset_sqlite3, sqlite3_identity" in text
    assert "codeopt_runtime" not in text
    pooled = (root / "pkg" / "_codeopt_pooled.py").read_text()
    assert "from ._codeopt_pool import ObjectPool" in pooled
    for copy in ("_codeopt_pool.py", "_codeopt_pooled.py"):
        tree = ast.parse((root / "pkg" / copy).read_text())
        imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in imported if m.startswith("codeopt")], (copy, imported)
    # the suite passes with codeopt_runtime made unimportable: only the vendored copies are used
    blocker = tmp_path / "blocker" / "codeopt_runtime"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text("raise ImportError('codeopt_runtime is not installed here')\n")
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "PYTHONPATH": f"{blocker.parent}:{root}",
            "PATH": "/usr/bin:/bin",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
        check=False,
    )
    assert suite.returncode == 0 and "2 passed" in suite.stdout, suite.stdout + suite.stderr


def test_all_transforms_together_pool_first_and_leave_the_runtime_imports_alone(tmp_path: Path) -> None:
    root = project(tmp_path)
    applied = codeopt(root, "pkg", "--all", "--apply")
    assert applied.returncode == 0, applied.stderr
    text = (root / "pkg" / "store.py").read_text()
    assert text.count("_sqlite3_pools.acquire(") == 4
    again = codeopt(root, "pkg", "--all")
    assert again.returncode == 0 and again.stdout == "", again.stdout + again.stderr
    # the imports the transforms added are what rewritten code runs on: never candidates themselves
    sites = [line.split(": ")[1] for line in again.stderr.splitlines() if line.startswith("pkg/")]
    assert sorted(sites) == ["Similar.words", "get_from"], again.stderr
