#!/usr/bin/env python3
"""Every requirement KPI of codeopt_runtime, each beside its baseline on the same stated workload.

The original requirements name targets without workloads ("cache hit rate > 85%", "DB query P95 <
50 ms", "auto-scaling accuracy > 90%", "< 5 false-positive alerts a day", "remediation success >
80%"). Each section below replays a seeded, stated workload through our component and through the
obvious baseline, and says which target it checks:

    kpi_cache.py     hit rate: adaptive S3-FIFO vs LRU (Zipf, real traces), with the oracle ceiling
    kpi_db.py        SQLite P95 with an N+1 and a missing index, before/after the analyzer's verified
                     suggestions and the result cache
    kpi_scaling.py   SPEC RG elasticity on a 14-day diurnal trace: reactive HPA vs HPA + predictive
                     floor; P2C peak-EWMA balancing vs round-robin/random
    kpi_alerting.py  false positives/day, precision, recall, detection time: our rules vs a static
                     threshold with no `for`; remediation success rate

Each section runs in its own interpreter (no shared warm state) and is timed; the whole run must
stay under 5 minutes on a 2-core machine.

    python bench/kpis.py [--only cache,db,scaling,alerting]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SECTIONS = ("cache", "db", "scaling", "alerting")
BUDGET_SECONDS = 300.0


def run_section(name: str) -> tuple[float, int]:
    script = HERE / f"kpi_{name}.py"
    print(f"== {name} ({script.name})", flush=True)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script)], check=False)
    seconds = time.perf_counter() - start
    print(f"   ({name}: {seconds:.1f} s, exit {proc.returncode})\n", flush=True)
    return seconds, proc.returncode


def main(argv: list[str] | None = None) -> int:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections to run")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    total, failed = 0.0, []
    for name in chosen:
        seconds, code = run_section(name)
        total += seconds
        if code:
            failed.append(name)
    verdict = "met" if total <= BUDGET_SECONDS else "NOT met"
    print(f"total: {total:.1f} s (budget {BUDGET_SECONDS:.0f} s: {verdict})")
    if failed:
        print(f"sections that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
