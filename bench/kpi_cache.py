"""KPI: cache hit rate, stated workloads, codeopt_runtime's default policy vs LRU.

The requirement says "cache hit rate > 85%" without a workload; a hit rate is a property of the
workload and the cache size as much as of the policy. So this prints, for stated workloads, our
default policy (adaptive S3-FIFO, what ``MemoryCache`` and ``@cached`` use), LRU as the baseline, and
the frequency-oracle ceiling where it can be computed (Zipf, independent references: the best any
policy can do holding that many keys). Workloads:

* Zipf(alpha) over 100,000 keys, 500,000 requests, seed 42, cache = 10% and 20% of the keys;
* the ARC paper's OLTP trace (``../shared/data/cache-traces``; skipped when absent; every trace:
  ``bench/cache_hit_rate.py``).

    python bench/kpi_cache.py
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cache_hit_rate import load_trace, zipf_trace

from codeopt_runtime.cache.policy import simulate

ROOT = Path(__file__).resolve().parents[1]
TRACES = ROOT.parent / "shared" / "data" / "cache-traces"
KEYS, REQUESTS, SEED = 100_000, 500_000, 42
TARGET = 85.0


def oracle_ceiling(alpha: float, n_keys: int, cached: int) -> float:
    """Hit rate of a cache that always holds the ``cached`` most popular keys (independent references)."""
    weights = [1.0 / (i**alpha) for i in range(1, n_keys + 1)]
    return 100.0 * sum(weights[:cached]) / sum(weights)


def _rate(policy: str, keys: object, size: int) -> float:
    hits, total = simulate(policy, keys, size)  # type: ignore[arg-type]
    return 100.0 * hits / total


def rows() -> list[tuple[str, float, float, float | None]]:
    """(workload, ours, lru, ceiling) per stated workload."""
    out: list[tuple[str, float, float, float | None]] = []
    for alpha, share in itertools.product((0.8, 1.0, 1.2), (0.10, 0.20)):
        keys = zipf_trace(alpha, KEYS, REQUESTS, SEED)
        size = int(KEYS * share)
        label = f"Zipf a={alpha} {KEYS:,} keys, cache {share:.0%}"
        ours = _rate("s3fifo-adaptive", keys, size)
        out.append((label, ours, _rate("lru", keys, size), oracle_ceiling(alpha, KEYS, size)))
    if TRACES.is_dir():
        for name, size in (("OLTP", 15000),):
            pages = load_trace(TRACES, name)
            label = f"{name} trace ({len(pages):,} refs), cache {size:,}"
            out.append((label, _rate("s3fifo-adaptive", pages, size), _rate("lru", pages, size), None))
    return out


def main() -> list[str]:
    lines = [
        "cache hit rate (%): codeopt_runtime default policy (adaptive S3-FIFO) vs LRU; "
        f"requirement > {TARGET:g}%",
        f"  {'workload':<44} {'ours':>6} {'LRU':>6} {'+pts':>6} {'ceiling':>8}  > {TARGET:g}%?",
    ]
    for label, ours, lru, ceiling in rows():
        ceil = f"{ceiling:8.2f}" if ceiling is not None else f"{'-':>8}"
        below = ceiling is not None and ceiling <= TARGET
        verdict = "yes" if ours > TARGET else ("no (ceiling below)" if below else "no")
        lines.append(f"  {label:<44} {ours:6.2f} {lru:6.2f} {ours - lru:+6.2f} {ceil}  {verdict}")
    lines.append(
        "  ceiling = a cache holding exactly the most popular keys; no policy beats it on independent "
        "references, so 85% is reachable only where the ceiling is above it"
    )
    return lines


if __name__ == "__main__":
    for line in main():
        print(line)
