"""``LatencyHistogram``: fixed-precision latency percentiles in constant memory.

Why buckets rather than a list of samples: the analyzer keeps one histogram per query fingerprint
for the life of the process, and a busy fingerprint sees millions of executions. Log-spaced buckets
(HdrHistogram's idea) bound the relative error of every percentile by the bucket width (2% by
default) whatever the count, and recording is one ``log`` and one dict increment.

Percentiles use the nearest-rank definition (the smallest recorded value such that at least p% of
the samples are less or equal), reported as the bucket's geometric midpoint clamped to the exact
observed minimum and maximum, so a histogram of one sample reports that sample.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

__all__ = ["LatencyHistogram", "LatencySummary"]

_FLOOR = 1e-7  # 0.1 µs: every smaller duration (including 0) lands in the first bucket


@dataclass(frozen=True)
class LatencySummary:
    """Percentiles of a histogram, in seconds."""

    count: int
    total: float
    min: float
    max: float
    p50: float
    p95: float
    p99: float

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0


class LatencyHistogram:
    """Thread-safe log-bucketed histogram of durations in seconds.

    ``precision`` is the relative width of a bucket (0.02: every percentile is within 2% of a
    recorded value's true bucket).
    """

    def __init__(self, precision: float = 0.02) -> None:
        if not 0 < precision < 1:
            raise ValueError(f"precision must be in (0, 1), got {precision}")
        self._log_base = math.log1p(precision)
        self._buckets: dict[int, int] = {}
        self._lock = threading.Lock()
        self.count = 0
        self.total = 0.0
        self.min = math.inf
        self.max = 0.0

    def _index(self, seconds: float) -> int:
        return int(math.log(max(seconds, _FLOOR) / _FLOOR) / self._log_base)

    def _value(self, index: int) -> float:
        low = _FLOOR * math.exp(index * self._log_base)
        return low * math.exp(self._log_base / 2)

    def record(self, seconds: float) -> None:
        index = self._index(seconds)
        with self._lock:
            self._buckets[index] = self._buckets.get(index, 0) + 1
            self.count += 1
            self.total += seconds
            if seconds < self.min:
                self.min = seconds
            if seconds > self.max:
                self.max = seconds

    def merge(self, other: LatencyHistogram) -> None:
        """Add ``other``'s samples (both must use the same precision)."""
        if other._log_base != self._log_base:
            raise ValueError("cannot merge histograms of different precision")
        with other._lock:
            buckets = dict(other._buckets)
            count, total, low, high = other.count, other.total, other.min, other.max
        with self._lock:
            for index, n in buckets.items():
                self._buckets[index] = self._buckets.get(index, 0) + n
            self.count += count
            self.total += total
            self.min = min(self.min, low)
            self.max = max(self.max, high)

    def percentiles(self, *ps: float) -> list[float]:
        """Nearest-rank percentiles (``ps`` in [0, 100]); 0.0 for an empty histogram."""
        with self._lock:
            if not self.count:
                return [0.0 for _ in ps]
            ordered = sorted(self._buckets.items())
            count, low, high = self.count, self.min, self.max
        results = []
        for p in ps:
            rank = max(1, math.ceil(p / 100 * count))
            seen = 0
            value = high
            for index, n in ordered:
                seen += n
                if seen >= rank:
                    value = self._value(index)
                    break
            results.append(min(max(value, low), high))
        return results

    def summary(self) -> LatencySummary:
        p50, p95, p99 = self.percentiles(50, 95, 99)
        with self._lock:
            low = self.min if self.count else 0.0
            return LatencySummary(self.count, self.total, low, self.max, p50, p95, p99)
