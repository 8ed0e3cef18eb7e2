"""Escalation by severity and time: an alert still firing ``after`` seconds raises a louder copy.

The copy carries the original labels overridden by ``set_labels`` (typically
``{"severity": "page"}``) plus ``escalated_from`` (the original severity), so ordinary routes send
it to the pager receiver and ordinary inhibition rules may mute the original. It starts when the
escalation happens and resolves with the original.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .durations import Duration, seconds
from .errors import ConfigError
from .matchers import Matcher, MatcherSpec, matchers_from, matches_all
from .model import AlertView
from .rules import FIRING, RESOLVED, fingerprint

__all__ = ["Escalation", "Escalator"]


@dataclass(frozen=True)
class Escalation:
    """Alerts matching ``match`` and firing for ``after`` seconds get a copy with ``set_labels``."""

    match: tuple[Matcher, ...]
    after: float
    set_labels: Mapping[str, str] = field(default_factory=lambda: {"severity": "page"})

    @classmethod
    def of(
        cls, match: MatcherSpec, after: Duration, set_labels: Mapping[str, str] | None = None
    ) -> Escalation:
        delay = seconds(after, "escalation after")
        if delay < 0:
            raise ConfigError(f"escalation after must be >= 0, got {after}")
        return cls(matchers_from(match), delay, dict(set_labels or {"severity": "page"}))


class Escalator:
    """Keeps the escalated copies in step with the firing alerts they come from."""

    def __init__(self, escalations: Iterable[Escalation] = ()) -> None:
        self.escalations = list(escalations)
        self._active: dict[tuple[int, str], AlertView] = {}

    def update(self, firing: Iterable[AlertView], now: float) -> tuple[list[AlertView], list[AlertView]]:
        """``(firing copies, copies resolved on this tick)`` for the originals firing at ``now``."""
        current: set[tuple[int, str]] = set()
        for alert in firing:
            for index, rule in enumerate(self.escalations):
                if now - alert.starts_at < rule.after or not matches_all(rule.match, alert.labels):
                    continue
                slot = (index, alert.fingerprint)
                current.add(slot)
                previous = self._active.get(slot)
                # refreshed every tick (value, annotations) but keeps the instant it escalated
                self._active[slot] = self._copy(alert, rule, previous.starts_at if previous else now)
        resolved = []
        for slot in [s for s in self._active if s not in current]:
            copy = self._active.pop(slot)
            resolved.append(
                AlertView(copy.labels, copy.annotations, RESOLVED, copy.fingerprint, copy.starts_at, now)
            )
        return list(self._active.values()), resolved

    @staticmethod
    def _copy(alert: AlertView, rule: Escalation, since: float) -> AlertView:
        labels = {**alert.labels, **rule.set_labels, "escalated_from": alert.labels.get("severity", "")}
        return AlertView(
            labels=labels,
            annotations=dict(alert.annotations),
            state=FIRING,
            fingerprint=fingerprint(labels),
            starts_at=since,
            value=alert.value,
            active_at=alert.active_at,
            generator_url=alert.generator_url,
        )
