"""Cost of a cache hit: ``@cached`` vs ``functools.lru_cache``, and each MultiLevelCache tier.

Prints the median ns per call over ``--repeat`` timing runs (each of ``--number`` calls, loop
overhead included for both sides alike):

* ``@cached`` L1 hit vs ``functools.lru_cache`` hit on the same one-argument function (target:
  ratio <= 1.5), plus ``@cached`` with two arguments and with a TTL (a clock read per hit);
* ``MemoryCache.get``;
* ``MultiLevelCache.get`` served from L1, from the SQLite disk tier, and (when a ``redis-server``
  binary is on PATH) from Redis, on a private server started on a free loopback port.

Usage: ``python bench/cache_cost.py [--number N] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

from codeopt_runtime.cache import MemoryCache, MultiLevelCache, cached


def median_ns(stmt: Callable[[], object], number: int, repeat: int) -> float:
    runs = timeit.repeat(stmt, number=number, repeat=repeat)
    return statistics.median(runs) / number * 1e9


def bench_decorators(number: int, repeat: int) -> list[tuple[str, float]]:
    @functools.lru_cache(maxsize=1024)
    def lru(x: int) -> int:
        return x * 2

    @cached(maxsize=1024)
    def ours(x: int) -> int:
        return x * 2

    @functools.lru_cache(maxsize=1024)
    def lru2(x: int, y: int) -> int:
        return x * y

    @cached(maxsize=1024)
    def ours2(x: int, y: int) -> int:
        return x * y

    @cached(maxsize=1024, ttl=3600)
    def ours_ttl(x: int) -> int:
        return x * 2

    for f in (lru, ours, ours_ttl):
        f(7)
    lru2(3, 4)
    ours2(3, 4)
    rows = []
    # interleave the two sides so machine noise hits both alike
    a, b = [], []
    for _ in range(5):
        a.append(median_ns(lambda: lru(7), number, repeat))
        b.append(median_ns(lambda: ours(7), number, repeat))
    rows.append(("functools.lru_cache hit, f(x)", statistics.median(a)))
    rows.append(("@cached hit, f(x)", statistics.median(b)))
    rows.append(("functools.lru_cache hit, f(x, y)", median_ns(lambda: lru2(3, 4), number, repeat)))
    rows.append(("@cached hit, f(x, y)", median_ns(lambda: ours2(3, 4), number, repeat)))
    rows.append(("@cached(ttl=3600) hit, f(x)", median_ns(lambda: ours_ttl(7), number, repeat)))
    return rows


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_redis(workdir: str) -> tuple[subprocess.Popen[bytes], str] | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--save",
            "",
            "--appendonly",
            "no",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.02)
    proc.kill()
    return None


def bench_tiers(number: int, repeat: int) -> list[tuple[str, float]]:
    rows = []
    mem = MemoryCache(1024)
    mem.set("k", {"v": 1})
    rows.append(("MemoryCache.get hit", median_ns(lambda: mem.get("k"), number, repeat)))
    value = {"id": 1, "name": "ada", "tags": ["a", "b"]}
    slow_n = max(200, number // 100)
    with tempfile.TemporaryDirectory() as tmp:
        ml = MultiLevelCache(disk=Path(tmp) / "c.db", promote_after=10**9)
        ml.set("k", value)
        rows.append(("MultiLevelCache.get from L1", median_ns(lambda: ml.get("k"), number, repeat)))
        ml.l1.clear()  # never promoted again (promote_after is huge): every read goes to disk
        rows.append(
            ("MultiLevelCache.get from disk (SQLite)", median_ns(lambda: ml.get("k"), slow_n, repeat))
        )
        started = _start_redis(tmp)
        if started is None:
            rows.append(("MultiLevelCache.get from Redis: skipped (no redis-server)", float("nan")))
        else:
            proc, url = started
            try:
                mr = MultiLevelCache(redis=url, promote_after=10**9, subscribe=False)
                mr.set("k", value)
                mr.l1.clear()
                rows.append(
                    (
                        "MultiLevelCache.get from Redis (loopback)",
                        median_ns(lambda: mr.get("k"), slow_n, repeat),
                    )
                )
                mr.close()
            finally:
                proc.kill()
                proc.wait()
        ml.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--number", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    rows = bench_decorators(args.number, args.repeat) + bench_tiers(args.number, args.repeat)
    width = max(len(name) for name, _ in rows)
    print(f"{'operation':<{width}}  median ns/call")
    print("-" * (width + 16))
    for name, ns in rows:
        print(f"{name:<{width}}  {ns:>12,.0f}" if ns == ns else f"{name:<{width}}  {'-':>12}")
    ratio = rows[1][1] / rows[0][1]
    ratio2 = rows[3][1] / rows[2][1]
    print()
    print(f"@cached / functools.lru_cache hit: {ratio:.2f}x for f(x), {ratio2:.2f}x for f(x, y)")
    print("target: <= 1.5x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
