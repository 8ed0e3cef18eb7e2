"""Time ``measure`` over a tree of Python files and compare with radon's cc/mi/raw/hal.

    python bench/metrics_vs_radon.py [ROOT] [--radon] [--radon-timeout SECONDS] [--every N]

ROOT defaults to the running interpreter's stdlib. Every file is decoded with the reader's rules,
parsed and measured; any exception is a failure (printed with its traceback). Times are CPU time of
this process (``time.process_time``), so a busy machine does not distort them. With ``--radon`` each
file also goes through radon's four passes (``cc_visit``, ``mi_visit(text, True)``, ``raw.analyze``,
``h_visit``), each parsing the text itself: radon's ``raw`` is pathological on some files, so a file
that exceeds ``--radon-timeout`` CPU seconds is skipped and left out of both totals of the ratio (its
radon time is at least the timeout). Numbers that differ from radon are listed.
"""

from __future__ import annotations

import argparse
import signal
import sys
import sysconfig
import time
import traceback
from pathlib import Path
from typing import Any

from codeopt.analysis.metrics import measure
from codeopt.errors import SourceError
from codeopt.source.parsing import SourceFile
from codeopt.source.reading import read_source


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", nargs="?", default=sysconfig.get_paths()["stdlib"])
    parser.add_argument("--radon", action="store_true")
    parser.add_argument("--radon-timeout", type=float, default=5.0)
    parser.add_argument("--every", type=int, default=1, help="measure every Nth file only")
    args = parser.parse_args()
    files = sorted(p for p in Path(args.root).rglob("*.py") if "site-packages" not in p.parts)[:: args.every]
    ours_total = parse_total = radon_total = radon_ours_total = 0.0
    timings: list[tuple[float, str]] = []
    failures = skipped = radon_skipped = differing = 0
    signal.signal(signal.SIGPROF, _alarm)
    for path in files:
        try:
            text = read_source(path).text
            source = SourceFile(path=path, display=str(path), module="", is_package=False, text=text)
            started = time.process_time()
            source.ast_tree  # noqa: B018 - timed apart: parsing is not a metric, but radon parses too
            parsed = time.process_time() - started
        except SourceError:
            skipped += 1
            continue
        started = time.process_time()
        try:
            metrics = measure(source)
        except Exception:  # the point is to find any
            failures += 1
            print(f"FAIL {path}\n{traceback.format_exc()}", file=sys.stderr)
            continue
        elapsed = time.process_time() - started
        ours_total += elapsed
        parse_total += parsed
        timings.append((elapsed, str(path)))
        if args.radon:
            radon_time = _radon(text, args.radon_timeout, metrics, path)
            if radon_time is None:
                radon_skipped += 1
            else:
                radon_total += radon_time[0]
                radon_ours_total += elapsed + parsed
                differing += radon_time[1]
    timings.sort(reverse=True)
    print(
        f"files measured: {len(timings)}, failures: {failures}, skipped (not decodable/parsable): {skipped}"
    )
    print(f"measure total: {ours_total:.2f}s CPU; parsing (ast, once): {parse_total:.2f}s")
    print("slowest:")
    for elapsed, name in timings[:10]:
        print(f"  {elapsed:7.3f}s {name}")
    if args.radon:
        print(f"radon cc+mi+raw+hal: {radon_total:.2f}s CPU on {len(timings) - radon_skipped} files;")
        print(
            f"  ours (parse + measure) on the same files: {radon_ours_total:.2f}s"
            f" (ratio {radon_ours_total / radon_total:.3f})"
        )
        print(
            f"  radon timed out (> {args.radon_timeout}s) on {radon_skipped} files;"
            f" files with differing numbers: {differing}"
        )
    return 1 if failures else 0


def _radon(text: str, timeout: float, metrics: Any, path: Path) -> tuple[float, int] | None:
    from radon.complexity import cc_visit
    from radon.metrics import h_visit, mi_visit
    from radon.raw import analyze

    started = time.process_time()
    signal.setitimer(signal.ITIMER_PROF, timeout)
    try:
        cc_visit(text)
        mi = mi_visit(text, True)
        raw = analyze(text)
        hal = h_visit(text).total
    except _Timeout:
        return None
    except (SyntaxError, RecursionError, ValueError):
        return None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    elapsed = time.process_time() - started
    ours = metrics.raw
    problems = []
    if (raw.loc, raw.lloc, raw.sloc, raw.comments, raw.multi, raw.blank, raw.single_comments) != (
        ours.loc, ours.lloc, ours.sloc, ours.comments, ours.multi, ours.blank, ours.single_comments,
    ):  # fmt: skip
        problems.append(f"raw radon={tuple(raw)} ours={ours}")
    if (hal.h1, hal.h2, hal.N1, hal.N2) != (
        metrics.halstead.h1,
        metrics.halstead.h2,
        metrics.halstead.N1,
        metrics.halstead.N2,
    ):
        problems.append(f"halstead radon={tuple(hal)[:4]} ours={metrics.halstead}")
    if abs(mi - metrics.mi) > 1e-6:
        problems.append(f"mi radon={mi} ours={metrics.mi}")
    if problems:
        print(f"DIFF {path}: " + "; ".join(problems))
    return elapsed, bool(problems)


if __name__ == "__main__":
    raise SystemExit(main())
