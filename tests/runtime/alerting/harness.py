"""A scripted alert source and a manager driven tick by tick, recording what receivers were told."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from codeopt_runtime.alerting.manager import AlertManager
from codeopt_runtime.alerting.notify import Notification
from codeopt_runtime.alerting.routing import Receiver
from codeopt_runtime.alerting.rules import AlertRule, EvalContext

Sent = tuple[float, str, str, tuple[str, ...]]


class Scripted:
    """Rules whose active series the test switches on and off by name."""

    def __init__(self) -> None:
        self.active: dict[str, dict[str, Mapping[str, str]]] = {}

    def rule(self, name: str, **options: Any) -> AlertRule:
        self.active.setdefault(name, {})

        def expr(ctx: EvalContext) -> list[tuple[Mapping[str, str], float]]:
            return [(labels, 1.0) for labels in self.active[name].values()]

        return AlertRule(name, expr, **options)

    def on(self, name: str, key: str, **labels: str) -> None:
        self.active[name][key] = {"inst": key, **labels}

    def off(self, name: str, key: str) -> None:
        self.active[name].pop(key, None)


def short(notification: Notification) -> Sent:
    alerts = tuple(
        f"{a.labels['alertname']}/{a.labels.get('inst', '')}:{a.status}" for a in notification.alerts
    )
    return (notification.timestamp, notification.receiver, notification.status, alerts)


class Harness:
    def __init__(
        self, rules: Iterable[AlertRule], receivers: Iterable[str] = ("team",), **options: Any
    ) -> None:
        self.sent: list[Sent] = []
        self.raw: list[Notification] = []
        made = [
            Receiver(name, [self.raw.append], send_resolved=options.pop(f"{name}_send_resolved", True))
            for name in receivers
        ]
        self.manager = AlertManager(rules=rules, receivers=made, **options)
        self.now = 0.0

    def run_until(self, end: float, step: float = 10.0) -> list[Sent]:
        """Evaluate every ``step`` s from the current time up to ``end`` inclusive."""
        new: list[Sent] = []
        while self.now <= end:
            for notification in self.manager.evaluate(self.now).notifications:
                new.append(short(notification))
            self.now += step
        self.sent.extend(new)
        return new
