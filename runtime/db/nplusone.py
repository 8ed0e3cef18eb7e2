"""N+1 query detection, with Sentry's rule.

Sentry's N+1 detector flags a *source* query followed by a run of consecutive queries with the same
fingerprint (at least 5 by default) whose durations add up to at least 50 ms, issued with different
parameters: the shape of "load the parents, then fetch the children one parent at a time". Both
thresholds matter: five fast point lookups are not worth a finding, and one slow query repeated
with the same parameters is a caching problem, not an N+1.

The detector is fed per thread (queries of one request do not interleave with another request's
unless they share a thread); ``flush()`` ends a unit of work. Findings are aggregated by
``(source, repeated)`` fingerprint pair.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

__all__ = ["NPlusOne", "NPlusOneDetector"]


@dataclass(frozen=True)
class NPlusOne:
    """One N+1 pattern: ``repeated`` ran ``max_run`` times in a row after ``source``."""

    source: str
    repeated: str
    occurrences: int
    max_run: int
    total_time: float
    suggestion: str

    def __str__(self) -> str:
        return (
            f"N+1: {self.repeated!r} ran {self.max_run} times in a row after {self.source!r} "
            f"({self.occurrences} occurrence(s), {self.total_time * 1000:.1f} ms); {self.suggestion}"
        )


@dataclass
class _Run:
    source: str | None = None
    fingerprint: str | None = None
    count: int = 0
    cells: list[list[float]] = field(default_factory=list)  # one duration cell per statement
    params: set[str] = field(default_factory=set)

    @property
    def total(self) -> float:
        return sum(cell[0] for cell in self.cells)


_SINGLE_EQ = re.compile(r"^(.*\bwhere\b.*?)(\b[\w.]+) = \?(.*)$")


def batch_hint(fingerprint: str) -> str:
    """How to fetch the run in one statement, when the pattern is a single ``col = ?`` lookup."""
    match = _SINGLE_EQ.match(fingerprint)
    if match and fingerprint.count("?") == 1:
        return f"fetch them in one query: {match.group(1)}{match.group(2)} in (...){match.group(3)}"
    return "fetch the children in one query (IN list or JOIN), or cache them"


class NPlusOneDetector:
    """Feed it ``(fingerprint, duration, params)`` in execution order; read ``findings()``."""

    def __init__(self, *, min_repeats: int = 5, min_total: float = 0.05) -> None:
        self.min_repeats = min_repeats
        self.min_total = min_total
        self._runs: dict[int, _Run] = {}
        self._found: dict[tuple[str, str], list[float]] = {}  # -> [occurrences, max_run, total]
        self._lock = threading.Lock()

    def feed(self, fingerprint: str, duration: float, params: object = None) -> None:
        """A statement that ran for ``duration`` seconds."""
        self.start(fingerprint, params)[0] += duration

    def start(self, fingerprint: str, params: object = None) -> list[float]:
        """A statement that starts now; add its duration to the returned cell as it becomes known.

        Order matters, not completion: while a parent cursor is still being iterated its children
        run, so statements are sequenced when they start.
        """
        cell = [0.0]
        key = threading.get_ident()
        with self._lock:
            run = self._runs.get(key)
            if run is None:
                run = self._runs[key] = _Run()
            if run.fingerprint == fingerprint:
                run.count += 1
                run.cells.append(cell)
                if len(run.params) < 2:
                    run.params.add(repr(params))
                return cell
            self._close_locked(run)
            run.source = run.fingerprint
            run.fingerprint = fingerprint
            run.count = 1
            run.cells = [cell]
            run.params = {repr(params)}
        return cell

    def _qualifies(self, run: _Run) -> bool:
        return (
            run.source is not None
            and run.fingerprint is not None
            and run.count >= self.min_repeats
            and run.total >= self.min_total
            and len(run.params) > 1
        )

    @staticmethod
    def _add(found: dict[tuple[str, str], list[float]], run: _Run) -> None:
        assert run.source is not None and run.fingerprint is not None
        entry = found.setdefault((run.source, run.fingerprint), [0, 0, 0.0])
        entry[0] += 1
        entry[1] = max(entry[1], run.count)
        entry[2] += run.total

    def _close_locked(self, run: _Run) -> None:
        if self._qualifies(run):
            self._add(self._found, run)

    def flush(self, *, all_threads: bool = False) -> None:
        """End the current unit of work (this thread's, or every thread's)."""
        with self._lock:
            keys = list(self._runs) if all_threads else [threading.get_ident()]
            for key in keys:
                run = self._runs.pop(key, None)
                if run is not None:
                    self._close_locked(run)

    def findings(self) -> list[NPlusOne]:
        """Every pattern seen so far (runs still open in other threads are included)."""
        with self._lock:
            found = {key: list(value) for key, value in self._found.items()}
            for run in self._runs.values():  # runs still open count as they stand now
                if self._qualifies(run):
                    self._add(found, run)
        ordered = sorted(found.items(), key=lambda item: -item[1][2])
        return [
            NPlusOne(source, repeated, int(occ), int(run), total, batch_hint(repeated))
            for (source, repeated), (occ, run, total) in ordered
        ]

    def reset(self) -> None:
        with self._lock:
            self._runs.clear()
            self._found.clear()
