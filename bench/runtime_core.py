"""Micro-benchmarks of codeopt_runtime's core against the obvious baselines, in one run.

    python bench/runtime_core.py            # ~30 s
    python bench/runtime_core.py --quick    # ~6 s, noisier
    python bench/runtime_core.py --cpu      # thread CPU time instead of wall time

Each case times a candidate and its baseline alternately (so load changes hit both), with
``time.perf_counter_ns`` over many iterations, repeated; it prints per-operation medians and the
median of the per-repeat ratios. Attribute reads are unrolled 10x per loop turn so the loop's own
cost is mostly amortised (it is included, equally, in both columns). On a shared, loaded machine
wall time also counts the time the thread was descheduled: ``--cpu`` (``time.thread_time_ns``)
measures only the work, which is what the absolute targets are about; ratios hold either way.

Targets (docs/runtime/*.md): lazy module attribute after first use <= 2x a plain module attribute;
pool acquire+release <= 2 us; lazy_attribute after first use ~ functools.cached_property.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import queue
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from codeopt_runtime.lazy import lazy_attribute, lazy_from, lazy_import
from codeopt_runtime.pool import ObjectPool

Timer = Callable[[int], int]  # runs n iterations, returns elapsed nanoseconds


@dataclass
class Result:
    case: str
    candidate_ns: float
    baseline: str
    baseline_ns: float
    ratio: float
    target: str
    ok: bool | None


CLOCK = time.perf_counter_ns


def loop(body: str, namespace: dict[str, object], setup: str = "", unroll: int = 1) -> tuple[Timer, int]:
    """Compile ``for _ in range(n): body*unroll`` into a function; return it and the unroll factor."""
    lines = "\n".join("        " + body for _ in range(unroll))
    source = (
        "def timer(n, _clock=_clock):\n"
        f"    {setup or 'pass'}\n"
        "    start = _clock()\n"
        "    for _ in range(n):\n"
        f"{lines}\n"
        "    return _clock() - start\n"
    )
    code_namespace = dict(namespace, _clock=CLOCK)
    exec(source, code_namespace)
    return code_namespace["timer"], unroll  # type: ignore[return-value]


def compare(
    candidate: tuple[Timer, int], baseline: tuple[Timer, int], number: int, repeat: int
) -> tuple[float, float, float]:
    """Median ns/op of each, and median of the per-repeat ratios (robust to load drift)."""
    cand_fn, cand_ops = candidate
    base_fn, base_ops = baseline
    cand_fn(number // 10)  # warm up (and let the interpreter specialise the bytecode)
    base_fn(number // 10)
    cand_times, base_times, ratios = [], [], []
    for i in range(repeat):
        if i % 2:
            c, b = cand_fn(number), base_fn(number)
        else:
            b, c = base_fn(number), cand_fn(number)
        c_op, b_op = c / (number * cand_ops), b / (number * base_ops)
        cand_times.append(c_op)
        base_times.append(b_op)
        ratios.append(c_op / b_op)
    return statistics.median(cand_times), statistics.median(base_times), statistics.median(ratios)


class CachedProperty:
    @functools.cached_property
    def value(self) -> int:
        return 1


class LazyAttribute:
    @lazy_attribute
    def value(self) -> int:
        return 1


class Payload:
    pass


def run(number: int, repeat: int) -> list[Result]:
    results: list[Result] = []

    def add(
        case: str,
        cand: tuple[Timer, int],
        baseline: str,
        base: tuple[Timer, int],
        target: str,
        limit: float | None,
        *,
        absolute: bool = False,
        n: int = number,
    ) -> None:
        c, b, ratio = compare(cand, base, n, repeat)
        ok = None if limit is None else (c / 1000 <= limit if absolute else ratio <= limit)
        results.append(Result(case, c, baseline, b, ratio, target, ok))

    # -- lazy module proxy ---------------------------------------------------------------------
    import colorsys as plain_module

    proxy = lazy_import("colorsys")
    proxy.rgb_to_hsv  # noqa: B018 - first use
    add(
        "lazy module attr (proxy bound as a global)",
        loop("mod.rgb_to_hsv", {"mod": proxy}, unroll=10),
        "plain module attr",
        loop("mod.rgb_to_hsv", {"mod": plain_module}, unroll=10),
        "<= 2x",
        2.0,
    )
    add(
        "lazy module attr (proxy in a local)",
        loop("mod.rgb_to_hsv", {"proxy": proxy}, setup="mod = proxy", unroll=10),
        "plain module attr (local)",
        loop("mod.rgb_to_hsv", {"real": plain_module}, setup="mod = real", unroll=10),
        "<= 2x",
        2.0,
    )
    add(
        "lazy_from call (after first use)",
        loop("f(0.1, 0.2, 0.3)", {"f": lazy_from("colorsys", "rgb_to_hsv")}, unroll=10),
        "direct call",
        loop("f(0.1, 0.2, 0.3)", {"f": plain_module.rgb_to_hsv}, unroll=10),
        "info",
        None,
        n=number // 5,
    )

    # -- pools -----------------------------------------------------------------------------------
    pool: ObjectPool[Payload] = ObjectPool(Payload, max_size=4)
    lifo: queue.LifoQueue[Payload] = queue.LifoQueue()
    lifo.put(Payload())
    items = [Payload()]
    lock = threading.Lock()
    pool_n = number // 5

    def list_and_lock() -> tuple[Timer, int]:
        body = "with lock: o = items.pop()\n        with lock: items.append(o)"
        return loop(body, {"lock": lock, "items": items})

    add(
        "pool.get() + pool.put()",
        loop("o = pool.get(); pool.put(o)", {"pool": pool}),
        "list + threading.Lock",
        list_and_lock(),
        "<= 2 us",
        2.0,
        absolute=True,
        n=pool_n,
    )
    add(
        "with pool.acquire() as o",
        loop("with pool.acquire() as o: pass", {"pool": pool}),
        "list + threading.Lock",
        list_and_lock(),
        "<= 2 us",
        2.0,
        absolute=True,
        n=pool_n,
    )
    add(
        "pool.get() + pool.put()",
        loop("o = pool.get(); pool.put(o)", {"pool": pool}),
        "queue.LifoQueue get/put",
        loop("o = q.get(); q.put(o)", {"q": lifo}),
        "faster",
        1.0,
        n=pool_n,
    )

    # -- lazy attributes -----------------------------------------------------------------------
    cached, lazy = CachedProperty(), LazyAttribute()
    cached.value  # noqa: B018 - first computation
    lazy.value  # noqa: B018
    add(
        "lazy_attribute read (after first)",
        loop("obj.value", {"obj": lazy}, unroll=10),
        "functools.cached_property",
        loop("obj.value", {"obj": cached}, unroll=10),
        "~1x",
        1.25,
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer iterations (noisier)")
    parser.add_argument("--cpu", action="store_true", help="time.thread_time_ns instead of perf_counter_ns")
    args = parser.parse_args()
    global CLOCK
    if args.cpu:
        CLOCK = time.thread_time_ns
    number, repeat = (100_000, 9) if args.quick else (400_000, 21)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"codeopt_runtime core benchmarks - Python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load {load:.2f}; {repeat} repeats, medians of "
        f"{'thread CPU time' if args.cpu else 'wall time (perf_counter_ns)'}"
    )
    results = run(number, repeat)
    header = f"{'case':<44} {'candidate':>11} {'baseline':<28} {'base':>9} {'ratio':>6}  {'target':<8} ok"
    print()
    print(header)
    print("-" * len(header))
    for r in results:
        mark = {True: "yes", False: "NO", None: "-"}[r.ok]
        print(
            f"{r.case:<44} {_ns(r.candidate_ns):>11} {r.baseline:<28} {_ns(r.baseline_ns):>9} "
            f"{r.ratio:>5.2f}x  {r.target:<8} {mark}"
        )
    print()
    print("Reference (design doc, another machine): list+lock ~1 us, psycopg_pool 3.7 us, SQLAlchemy 17 us.")
    if any(r.ok is False for r in results):
        sys.exit(1)


def _ns(value: float) -> str:
    return f"{value:.0f} ns" if value < 1000 else f"{value / 1000:.2f} us"


if __name__ == "__main__":
    main()
