"""Fixtures: a fake clock, and a real PostgreSQL server (initdb + pg_ctl) on a free loopback port.

The server is created once per test session in a fresh temporary directory (data, unix socket and
log inside it) and every test gets its own database. It skips when the PostgreSQL binaries are not
installed, unless ``CODEOPT_REQUIRE_SERVERS=1`` (CI), where a missing server must fail loudly.

initdb and postgres refuse to run as root. As root (CI containers) the server runs as the
``postgres`` system user that Debian's package creates (``subprocess`` ``user=``/``group=``), and the
temporary directory is handed to that user; the tests connect over TCP with trust authentication.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.helpers import free_port


def find_pg_bin() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres: PATH first, then Debian's layout."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb") and shutil.which("postgres"):
        return Path(os.path.realpath(found)).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        names = ("pg_ctl", "initdb", "postgres")
        if all(os.access(os.path.join(candidate, name), os.X_OK) for name in names):
            return Path(candidate)
    return None


class PostgresServer:
    """A private PostgreSQL cluster that can be stopped and restarted on the same port."""

    user = "codeopt"

    def __init__(self, bindir: Path, workdir: Path) -> None:
        self.bindir = bindir
        self.workdir = workdir
        self.datadir = workdir / "data"
        self.port = free_port()
        self._run_as: dict[str, Any] = {}
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            account = pwd.getpwnam("postgres")
            os.chown(workdir, account.pw_uid, account.pw_gid)
            self._run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=self.workdir,
            **self._run_as,
        )
        if done.returncode != 0:
            log = self.workdir / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")

    def init(self) -> None:
        data = str(self.datadir)
        self._run("initdb", "-D", data, "-U", self.user, "-A", "trust", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )
        log = str(self.workdir / "server.log")
        self._run("pg_ctl", "-D", str(self.datadir), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={dbname}"


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = find_pg_bin()
    if bindir is None:
        if os.environ.get("CODEOPT_REQUIRE_SERVERS") == "1":
            pytest.fail("PostgreSQL (initdb, pg_ctl, postgres) not found but CODEOPT_REQUIRE_SERVERS=1")
        pytest.skip("PostgreSQL not installed (set CODEOPT_REQUIRE_SERVERS=1 to make this a failure)")
    pytest.importorskip("psycopg")
    if os.geteuid() == 0 and not _has_user("postgres"):
        message = (
            "running as root needs the 'postgres' system user to run the server (apt-get install postgresql)"
        )
        if os.environ.get("CODEOPT_REQUIRE_SERVERS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    workdir = Path(tempfile.mkdtemp(prefix="codeopt-pg-"))
    server = PostgresServer(bindir, workdir)
    try:
        server.init()
        server.start()
        yield server
    finally:
        with contextlib.suppress(RuntimeError, subprocess.SubprocessError):
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def pg_dsn(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh database for one test; its conninfo string."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.conninfo(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield postgres_server.conninfo(name)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(postgres_server.conninfo(), autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            return
        except psycopg.OperationalError:  # server restarting after a restart test
            time.sleep(0.2)
