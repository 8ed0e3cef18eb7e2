"""Alerting rules with Prometheus semantics, evaluated on explicit ticks.

A rule's expression returns the series that currently satisfy its condition (a PromQL instant
vector). Each series becomes an alert keyed by its labels (+ the rule's labels and ``alertname``):
new ones start **pending**; a pending alert whose series stayed present for ``for_`` seconds
becomes **firing**; a pending alert whose series disappears is dropped silently (hysteresis on the
way up). A firing alert whose series disappears stays firing for ``keep_firing_for`` seconds and
comes back to normal if the series returns (hysteresis on the way down); after that it is
**resolved**, kept 15 minutes for reporting. An expression that raises leaves every state as it
was and is counted in ``errors`` (Prometheus keeps states on a failed query, too).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .durations import Duration, seconds
from .errors import ConfigError
from .metrics import MetricsCollector, Snapshot

__all__ = [
    "FIRING",
    "INACTIVE",
    "PENDING",
    "RESOLVED",
    "Alert",
    "AlertRule",
    "EvalContext",
    "ExprResult",
    "fingerprint",
    "format_time",
    "threshold",
]

INACTIVE, PENDING, FIRING, RESOLVED = "inactive", "pending", "firing", "resolved"
RESOLVED_RETENTION = 15 * 60.0  # Prometheus's resolvedRetention

Series = tuple[Mapping[str, str], float]
ExprResult = bool | float | None | Iterable[Series]

_FNV_OFFSET, _FNV_PRIME, _MASK = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1


def fingerprint(labels: Mapping[str, str]) -> str:
    """Alertmanager's alert fingerprint: FNV-1a 64 over sorted ``name 0xff value 0xff``, 16 hex digits."""
    value = _FNV_OFFSET
    for name in sorted(labels):
        for chunk in (name.encode(), b"\xff", labels[name].encode(), b"\xff"):
            for byte in chunk:
                value = ((value ^ byte) * _FNV_PRIME) & _MASK
    return f"{value:016x}"


def format_time(timestamp: float | None) -> str:
    """RFC 3339 in UTC as Alertmanager writes it; ``None`` is Go's zero time."""
    if timestamp is None:
        return "0001-01-01T00:00:00Z"
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


class EvalContext:
    """What an expression sees on one tick: the time and the collector's values (one snapshot)."""

    __slots__ = ("_snapshot", "collector", "now")

    def __init__(self, now: float, collector: MetricsCollector | None = None) -> None:
        self.now = now
        self.collector = collector
        self._snapshot: Snapshot | None = None

    @property
    def snapshot(self) -> Snapshot:
        if self._snapshot is None:
            self._snapshot = self.collector.snapshot() if self.collector is not None else Snapshot(())
        return self._snapshot

    def value(self, name: str, **labels: str) -> float | None:
        return self.snapshot.value(name, **labels)

    def series(self, name: str) -> list[tuple[dict[str, str], float]]:
        return self.snapshot.series(name)


@dataclass(eq=False)
class Alert:
    """One alert instance of a rule (mutable: the rule updates it every tick)."""

    rule: str
    labels: dict[str, str]
    annotations: dict[str, str]
    fingerprint: str
    state: str
    active_at: float
    value: float
    fired_at: float | None = None
    resolved_at: float | None = None
    keep_firing_since: float | None = None
    severity: str = field(init=False)

    def __post_init__(self) -> None:
        self.severity = self.labels.get("severity", "")


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def threshold(metric: str, op: str, bound: float, **labels: str) -> Callable[[EvalContext], list[Series]]:
    """``metric{labels} op bound`` as an expression: every matching series that passes."""
    compare = _OPS.get(op)
    if compare is None:
        raise ConfigError(f"threshold operator must be one of {sorted(_OPS)}, got {op!r}")
    wanted = set(labels.items())

    def expr(ctx: EvalContext) -> list[Series]:
        return [
            (series_labels, value)
            for series_labels, value in ctx.series(metric)
            if wanted.issubset(series_labels.items()) and compare(value, bound)
        ]

    expr.__qualname__ = f"threshold({metric} {op} {bound})"
    return expr


def _normalize(result: ExprResult) -> list[Series]:
    if result is None or result is False:
        return []
    if result is True:
        return [({}, 1.0)]
    if isinstance(result, int | float):
        return [({}, float(result))]
    return [(labels, float(value)) for labels, value in result]


def _render(template: str, labels: Mapping[str, str], value: float) -> str:
    """``"{labels[instance]} at {value:.1f}"``; a template that cannot be formatted stays as written."""
    try:
        return template.format(labels=labels, value=value)
    except (KeyError, IndexError, ValueError, AttributeError):
        return template


class AlertRule:
    """``AlertRule("HighLatency", expr, for_="3m", keep_firing_for="5m", labels={"severity": "page"})``.

    Durations are seconds or Prometheus duration strings.
    """

    def __init__(
        self,
        name: str,
        expr: Callable[[EvalContext], ExprResult],
        *,
        for_: Duration = 0.0,
        keep_firing_for: Duration = 0.0,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
    ) -> None:
        hold, keep = (
            seconds(for_, f"rule {name} for_"),
            seconds(keep_firing_for, f"rule {name} keep_firing_for"),
        )
        if hold < 0 or keep < 0:
            raise ConfigError(f"rule {name}: for_ and keep_firing_for must be >= 0")
        self.name = name
        self.expr = expr
        self.for_ = hold
        self.keep_firing_for = keep
        self.labels = {str(k): str(v) for k, v in (labels or {}).items()}
        self.annotations = dict(annotations or {})
        self.active: dict[str, Alert] = {}
        self.errors = 0
        self.last_error: str | None = None

    def evaluate(self, ctx: EvalContext) -> list[Alert]:
        """Advance every alert of this rule to ``ctx.now``; return alerts whose state changed (once
        each, in their final state: with ``for_=0`` a new alert is reported once, as firing)."""
        try:
            result = _normalize(self.expr(ctx))
        except Exception as exc:
            self.errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            return []
        now = ctx.now
        changed: list[Alert] = []
        seen = self._update_present(result, now, changed)
        for fp, alert in list(self.active.items()):
            if fp in seen:
                if alert.state == PENDING and now - alert.active_at >= self.for_:
                    alert.state, alert.fired_at = FIRING, now
                    changed.append(alert)
            else:
                self._absent(fp, alert, now, changed)
        return list({id(alert): alert for alert in changed}.values())

    def _update_present(self, result: list[Series], now: float, changed: list[Alert]) -> set[str]:
        seen: set[str] = set()
        for series_labels, value in result:
            labels = {str(k): str(v) for k, v in series_labels.items()}
            labels.update(self.labels)
            labels["alertname"] = self.name
            fp = fingerprint(labels)
            seen.add(fp)
            alert = self.active.get(fp)
            if alert is not None and alert.state in (PENDING, FIRING):
                alert.value, alert.keep_firing_since = value, None
                alert.annotations = self._annotations(labels, value)
                continue
            alert = Alert(self.name, labels, self._annotations(labels, value), fp, PENDING, now, value)
            self.active[fp] = alert
            changed.append(alert)
        return seen

    def _absent(self, fp: str, alert: Alert, now: float, changed: list[Alert]) -> None:
        if alert.state == PENDING:
            alert.state = INACTIVE
            del self.active[fp]
            changed.append(alert)
        elif alert.state == FIRING:
            if self.keep_firing_for > 0:
                if alert.keep_firing_since is None:
                    alert.keep_firing_since = now
                if now - alert.keep_firing_since < self.keep_firing_for:
                    return
            alert.state, alert.resolved_at = RESOLVED, now
            changed.append(alert)
        elif alert.resolved_at is not None and now - alert.resolved_at >= RESOLVED_RETENTION:
            del self.active[fp]

    def _annotations(self, labels: Mapping[str, str], value: float) -> dict[str, str]:
        return {key: _render(text, labels, value) for key, text in self.annotations.items()}

    def firing(self) -> list[Alert]:
        return [alert for alert in self.active.values() if alert.state == FIRING]

    def __repr__(self) -> str:
        return f"AlertRule({self.name!r}, for_={self.for_}, keep_firing_for={self.keep_firing_for})"
