"""Hit rate of codeopt_runtime.cache's eviction policies on real traces and on Zipf.

Replays the ARC paper's traces (``--traces``, default ``../shared/data/cache-traces`` from the repo
root; each line ``START N _ _`` expands to the N page requests ``START .. START+N-1``) for every
(trace, cache size) row of the README there, through ``codeopt_runtime.cache.policy.simulate`` --
the very policy objects ``MemoryCache`` and ``@cached`` use -- and prints:

* our LRU next to the README's LRU: they must match exactly (it validates the replay);
* S3-FIFO with the paper's fixed 10% small queue, and ``s3fifo-adaptive`` (the runtime default);
* the README's ARC figure, and ours minus ARC (target: >= 0 on every row).

Then Zipf(alpha) over 100k keys, cache = 10% of the keys, seeded: LRU vs ours (target: >= +5 points).

Usage: ``python bench/cache_hit_rate.py [--traces DIR] [--quick] [--jobs N] [--zipf-requests N]``.
``--quick`` skips P6 (12.7M requests). Exit status 1 if the LRU replay does not match the README.
"""

from __future__ import annotations

import argparse
import array
import itertools
import lzma
import os
import random
import re
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from codeopt_runtime.cache.policy import simulate

ROOT = Path(__file__).resolve().parents[1]

POLICIES = ("lru", "s3fifo", "s3fifo-adaptive")
FILES = {"OLTP": "OLTP.lis.xz", "P3": "P3.lis.xz", "P6": "P6.lis.xz"}
# Used only if the README next to the traces cannot be parsed.
FALLBACK_ROWS = [
    ("OLTP", 1000, 32.83, 38.95),
    ("OLTP", 5000, 53.65, 55.25),
    ("OLTP", 15000, 64.63, 65.40),
    ("P3", 131072, 44.79, 50.63),
    ("P6", 16384, 1.69, 12.96),
    ("P6", 131072, 76.18, 79.61),
]

_TRACES: dict[str, array.array[int]] = {}


def readme_rows(traces: Path) -> list[tuple[str, int, float, float]]:
    """(trace, size, README LRU, README ARC) from the README's reference table."""
    readme = traces / "README.md"
    if not readme.exists():
        return FALLBACK_ROWS
    rows = []
    for line in readme.read_text().splitlines():
        m = re.match(r"\|\s*(\w+)\s+([\d,]+)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|", line)
        if m:
            rows.append((m[1], int(m[2].replace(",", "")), float(m[3]), float(m[4])))
    return rows or FALLBACK_ROWS


def load_trace(traces: Path, name: str) -> array.array[int]:
    cached = _TRACES.get(name)
    if cached is not None:
        return cached
    pages = array.array("q")
    with lzma.open(traces / FILES[name], "rt") as fh:
        for line in fh:
            parts = line.split()
            start, count = int(parts[0]), int(parts[1])
            pages.extend(range(start, start + count))
    _TRACES[name] = pages
    return pages


def zipf_trace(alpha: float, n_keys: int, n_requests: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    cum = list(itertools.accumulate(1.0 / (i**alpha) for i in range(1, n_keys + 1)))
    keys = list(range(n_keys))
    rng.shuffle(keys)  # popularity rank is not key order
    return rng.choices(keys, cum_weights=cum, k=n_requests)


def run_trace(job: tuple[str, str, int, str]) -> tuple[str, int, str, float, int, float]:
    traces, name, size, policy = job
    pages = load_trace(Path(traces), name)
    start = time.perf_counter()
    hits, total = simulate(policy, pages, size)
    return name, size, policy, 100.0 * hits / total, total, time.perf_counter() - start


def run_zipf(job: tuple[float, int, int, int, str]) -> tuple[float, str, float, float]:
    alpha, n_keys, n_requests, seed, policy = job
    keys = zipf_trace(alpha, n_keys, n_requests, seed)
    start = time.perf_counter()
    hits, total = simulate(policy, keys, n_keys // 10)
    return alpha, policy, 100.0 * hits / total, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--traces", type=Path, default=ROOT.parent / "shared" / "data" / "cache-traces")
    parser.add_argument("--quick", action="store_true", help="skip the P6 rows (12.7M requests)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--zipf-requests", type=int, default=2_000_000)
    parser.add_argument("--zipf-keys", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    began = time.perf_counter()
    rows = [r for r in readme_rows(args.traces) if not (args.quick and r[0] == "P6")]
    trace_jobs = [(str(args.traces), name, size, pol) for name, size, _, _ in rows for pol in POLICIES]
    # biggest first so the two workers finish together
    trace_jobs.sort(key=lambda j: {"P6": 0, "P3": 1}.get(j[1], 2))
    zipf_jobs = [
        (alpha, args.zipf_keys, args.zipf_requests, args.seed, pol)
        for alpha in (0.8, 1.0)
        for pol in ("lru", "s3fifo", "s3fifo-adaptive")
    ]
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        trace_futures = [pool.submit(run_trace, j) for j in trace_jobs]
        zipf_futures = [pool.submit(run_zipf, j) for j in zipf_jobs]
        results = {(r[0], r[1], r[2]): r for r in (f.result() for f in trace_futures)}
        zipf = {(r[0], r[1]): r for r in (f.result() for f in zipf_futures)}

    print("Hit ratio (%) on the ARC paper's traces (Megiddo & Modha, FAST '03); policy = runtime code")
    head = (
        f"{'trace':<5} {'cache':>8} {'requests':>11} | {'LRU':>6} {'README':>6} {'ok':>3} | "
        f"{'S3FIFO':>6} {'ours':>6} | {'ARC*':>6} {'ours-ARC':>8} {'target':>6}"
    )
    print(head)
    print("-" * len(head))
    replay_ok = True
    all_beat_arc = True
    for name, size, readme_lru, readme_arc in rows:
        lru = results[(name, size, "lru")]
        s3 = results[(name, size, "s3fifo")]
        ours = results[(name, size, "s3fifo-adaptive")]
        match = f"{lru[3]:.2f}" == f"{readme_lru:.2f}"
        replay_ok &= match
        diff = ours[3] - readme_arc
        beat = round(ours[3], 2) >= readme_arc
        all_beat_arc &= beat
        print(
            f"{name:<5} {size:>8,} {lru[4]:>11,} | {lru[3]:6.2f} {readme_lru:6.2f} "
            f"{'yes' if match else 'NO':>3} | {s3[3]:6.2f} {ours[3]:6.2f} | "
            f"{readme_arc:6.2f} {diff:+8.2f} {'met' if beat else 'MISSED':>6}"
        )
    print("ours = s3fifo-adaptive (runtime default); S3FIFO = fixed 10% small queue; *ARC from the README")
    print()
    print(
        f"Zipf over {args.zipf_keys:,} keys, cache {args.zipf_keys // 10:,} (10%), "
        f"{args.zipf_requests:,} requests, seed {args.seed}"
    )
    head2 = f"{'alpha':>5} | {'LRU':>6} {'S3FIFO':>6} {'ours':>6} | {'ours-LRU':>8} {'target':>6}"
    print(head2)
    print("-" * len(head2))
    zipf_ok = True
    for alpha in (0.8, 1.0):
        lru_z, s3_z, ours_z = (zipf[(alpha, p)][2] for p in ("lru", "s3fifo", "s3fifo-adaptive"))
        gain = ours_z - lru_z
        zipf_ok &= gain >= 5.0
        verdict = "met" if gain >= 5 else "MISSED"
        print(f"{alpha:5.1f} | {lru_z:6.2f} {s3_z:6.2f} {ours_z:6.2f} | {gain:+8.2f} {verdict:>6}")
    print()
    print(f"LRU replay matches README: {'yes' if replay_ok else 'NO'}")
    print(f"ours >= ARC on every row: {'yes' if all_beat_arc else 'no'}")
    print(f"ours >= LRU + 5 points on Zipf: {'yes' if zipf_ok else 'no'}")
    print(f"total time {time.perf_counter() - began:.0f} s with {args.jobs} worker(s)")
    return 0 if replay_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
