"""The read-only view of an alert that notifications, ``alerts()`` and remediation hooks receive.

Rules mutate their ``Alert`` objects every tick; everything handed to user code is a frozen
``AlertView`` copy, so a hook or notifier that keeps a reference sees a stable value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .rules import PENDING, RESOLVED, Alert, format_time

__all__ = ["AlertView", "view_of"]


@dataclass(frozen=True)
class AlertView:
    """One alert as Alertmanager would show it (labels, annotations, startsAt/endsAt, fingerprint)."""

    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    state: str
    fingerprint: str
    starts_at: float
    ends_at: float | None = None
    value: float = 0.0
    active_at: float = 0.0
    generator_url: str = ""
    silenced_by: tuple[str, ...] = field(default=(), compare=False)
    inhibited: bool = field(default=False, compare=False)

    @property
    def status(self) -> str:
        """``"resolved"`` or ``"firing"`` (Alertmanager has no pending state: pending is firing-to-be)."""
        return "resolved" if self.state == RESOLVED else "firing"

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    def to_webhook(self) -> dict[str, object]:
        """This alert as an element of Alertmanager's webhook ``alerts`` array."""
        return {
            "status": self.status,
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
            "startsAt": format_time(self.starts_at),
            "endsAt": format_time(self.ends_at),
            "generatorURL": self.generator_url,
            "fingerprint": self.fingerprint,
        }


def view_of(alert: Alert, generator_url: str = "") -> AlertView:
    starts = alert.fired_at if alert.fired_at is not None and alert.state != PENDING else alert.active_at
    return AlertView(
        labels=dict(alert.labels),
        annotations=dict(alert.annotations),
        state=alert.state,
        fingerprint=alert.fingerprint,
        starts_at=starts,
        ends_at=alert.resolved_at if alert.state == RESOLVED else None,
        value=alert.value,
        active_at=alert.active_at,
        generator_url=generator_url,
    )
