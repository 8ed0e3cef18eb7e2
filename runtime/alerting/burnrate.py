"""SLO error-budget burn-rate alerts (Google SRE workbook, "Alerting on SLOs", multiwindow,
multi-burn-rate).

Error budget = 1 - SLO target (0.1% for 99.9%). Burn rate over a window = the window's error ratio
divided by the budget: 1 spends the budget exactly over the SLO period. For a 30-day SLO the
workbook pages when 2% of the budget goes in 1 h (14.4x, checked over 1 h AND 5 min) or 5% in 6 h
(6x over 6 h AND 30 min), and opens a ticket when 10% goes in 3 days (1x over 3 d AND 6 h). The
short window makes the alert reset within minutes once the burn stops.

Counters are sampled on every evaluation tick; increases over a window are exact differences of
reset-corrected counter values (a counter that goes down restarted from 0, as in Prometheus).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .errors import ConfigError
from .rules import AlertRule, EvalContext

__all__ = ["DEFAULT_WINDOWS", "SLO", "BurnWindow", "CounterWindow", "burn_rate_rules"]

HOUR, DAY = 3600.0, 86400.0


@dataclass(frozen=True)
class BurnWindow:
    """Fire when the burn rate exceeds ``factor`` over both ``long`` and ``short`` seconds."""

    long: float
    short: float
    factor: float
    severity: str


DEFAULT_WINDOWS: tuple[BurnWindow, ...] = (
    BurnWindow(1 * HOUR, 5 * 60.0, 14.4, "page"),
    BurnWindow(6 * HOUR, 30 * 60.0, 6.0, "page"),
    BurnWindow(3 * DAY, 6 * HOUR, 1.0, "ticket"),
)


class CounterWindow:
    """Timestamped samples of two counters, kept as long as the longest window needs."""

    def __init__(self, keep: float) -> None:
        self.keep = keep
        self._times: list[float] = []
        self._values: list[tuple[float, float]] = []
        self._start = 0
        self._raw: tuple[float, float] | None = None
        self._offset = [0.0, 0.0]

    def record(self, now: float, bad: float, total: float) -> None:
        """Add a sample; a second sample at the same instant is ignored."""
        if self._times and now <= self._times[-1]:
            return
        if self._raw is not None:
            for index, (value, last) in enumerate(zip((bad, total), self._raw, strict=True)):
                if value < last:  # counter reset
                    self._offset[index] += last
        self._raw = (bad, total)
        self._times.append(now)
        self._values.append((bad + self._offset[0], total + self._offset[1]))
        self._prune(now)

    def _prune(self, now: float) -> None:
        horizon = now - self.keep
        while self._start + 1 < len(self._times) and self._times[self._start + 1] <= horizon:
            self._start += 1
        if self._start > 4096 and self._start * 2 > len(self._times):
            del self._times[: self._start]
            del self._values[: self._start]
            self._start = 0

    def increase(self, window: float) -> tuple[float, float]:
        """``(bad, total)`` increase over the last ``window`` seconds (from the sample at or before
        ``latest - window``, or the oldest one kept)."""
        if len(self._times) - self._start < 2:
            return 0.0, 0.0
        latest = self._times[-1]
        index = max(bisect_right(self._times, latest - window, self._start) - 1, self._start)
        first, last = self._values[index], self._values[-1]
        return last[0] - first[0], last[1] - first[1]

    @property
    def span(self) -> float:
        return self._times[-1] - self._times[self._start] if len(self._times) > self._start else 0.0


Reader = Callable[[EvalContext], float | None]


def _reader(source: str | Reader | None) -> Reader | None:
    if source is None or callable(source):
        return source
    name = source
    return lambda ctx: ctx.value(name)


class SLO:
    """An availability SLO over ``good`` (or ``bad``) and ``total`` event counters.

    Each may be a metric name in the collector or a callable ``ctx -> float``. ``record`` feeds
    samples directly (replays, tests); otherwise rules sample on every tick.
    """

    def __init__(
        self,
        name: str,
        target: float,
        *,
        total: str | Reader | None = None,
        good: str | Reader | None = None,
        bad: str | Reader | None = None,
        period: float = 30 * DAY,
        windows: Iterable[BurnWindow] = DEFAULT_WINDOWS,
    ) -> None:
        if not 0.0 < target < 1.0:
            raise ConfigError(f"SLO {name}: target must be in (0, 1), got {target}")
        if good is not None and bad is not None:
            raise ConfigError(f"SLO {name}: give good or bad, not both")
        self.name = name
        self.target = target
        self.period = period
        self.windows = tuple(windows)
        self._total, self._good, self._bad = _reader(total), _reader(good), _reader(bad)
        longest = max((w.long for w in self.windows), default=HOUR)
        self.counters = CounterWindow(longest)

    @property
    def error_budget(self) -> float:
        return 1.0 - self.target

    def record(
        self, now: float, *, total: float, good: float | None = None, bad: float | None = None
    ) -> None:
        if (good is None) == (bad is None):
            raise ConfigError("record needs exactly one of good and bad")
        self.counters.record(now, bad if bad is not None else total - (good or 0.0), total)

    def sample(self, ctx: EvalContext) -> None:
        """Read the counters through the context (once per tick; later calls are ignored)."""
        if self._total is None:
            return
        total = self._total(ctx)
        read_other = self._bad or self._good
        other = read_other(ctx) if read_other is not None else None
        if total is None or other is None:
            return
        bad = other if self._bad is not None else total - other
        self.counters.record(ctx.now, bad, total)

    def error_ratio(self, window: float) -> float | None:
        bad, total = self.counters.increase(window)
        return bad / total if total > 0 else None

    def burn_rate(self, window: float) -> float:
        ratio = self.error_ratio(window)
        return 0.0 if ratio is None else ratio / self.error_budget

    def budget_remaining(self) -> float:
        """Share of the period's error budget left, over the data kept (1.0 = untouched)."""
        ratio = self.error_ratio(self.period)
        return 1.0 if ratio is None else 1.0 - ratio / self.error_budget

    def burning(self, severity: str) -> float | None:
        """The long-window burn rate of the first ``severity`` window pair that fires, else None."""
        for window in self.windows:
            if window.severity != severity:
                continue
            long_rate = self.burn_rate(window.long)
            if long_rate > window.factor and self.burn_rate(window.short) > window.factor:
                return long_rate
        return None


def burn_rate_rules(
    slo: SLO,
    *,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    for_: float = 0.0,
) -> list[AlertRule]:
    """One rule per severity of ``slo.windows`` (``page``, ``ticket``), named ``ErrorBudgetBurn``."""
    rules = []
    for severity in dict.fromkeys(w.severity for w in slo.windows):
        rules.append(
            AlertRule(
                "ErrorBudgetBurn",
                _burn_expr(slo, severity),
                for_=for_,
                labels={"slo": slo.name, "severity": severity, **(labels or {})},
                annotations=annotations
                or {"summary": f"SLO {slo.name} ({slo.target:.4%}) burning error budget at {{value:.1f}}x"},
            )
        )
    return rules


def _burn_expr(slo: SLO, severity: str) -> Callable[[EvalContext], float | None]:
    def expr(ctx: EvalContext) -> float | None:
        slo.sample(ctx)
        return slo.burning(severity)

    return expr
