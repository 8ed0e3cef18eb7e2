"""``AlertManager``: Prometheus rule evaluation and Alertmanager notification in one object.

Nothing here sleeps or starts threads: the caller calls ``evaluate(now)`` on a schedule (every
15-60 s in production; any clock in tests and replays). Each tick evaluates the rules, derives
escalations, runs remediation hooks for alerts that just started firing (unless muted), routes
firing and just-resolved alerts into groups, and flushes the groups that are due. User callables
(expressions, notifiers, hooks) that raise are recorded, never propagated.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .dispatch import Dispatcher, NotifyFailure
from .escalation import Escalation, Escalator
from .metrics import MetricsCollector
from .model import AlertView, view_of
from .notify import Notification
from .remediation import RemediationHook, RemediationTracker
from .routing import Receiver, Route, compile_route
from .rules import FIRING, RESOLVED, AlertRule, EvalContext
from .silences import Inhibitor, InhibitRule, SilenceStore

__all__ = ["AlertManager", "Evaluation"]


@dataclass(frozen=True)
class Evaluation:
    """What one tick did."""

    now: float
    changed: tuple[AlertView, ...]
    notifications: tuple[Notification, ...]

    @property
    def fired(self) -> tuple[AlertView, ...]:
        return tuple(a for a in self.changed if a.state == FIRING)

    @property
    def resolved(self) -> tuple[AlertView, ...]:
        return tuple(a for a in self.changed if a.state == RESOLVED)


class AlertManager:
    """Rules, routing, grouping, dedup, inhibition, silences, escalation, remediation.

    ``route`` defaults to one route to the first receiver (or to a receiver named ``default``
    without notifiers, whose notifications are still kept in ``history``).
    """

    def __init__(
        self,
        *,
        rules: Iterable[AlertRule] = (),
        receivers: Iterable[Receiver] = (),
        route: Route | None = None,
        inhibit_rules: Iterable[InhibitRule] = (),
        escalations: Iterable[Escalation] = (),
        remediations: Iterable[RemediationHook] = (),
        collector: MetricsCollector | None = None,
        clock: Callable[[], float] = time.time,
        external_url: str = "",
        generator_url: str = "",
        history: int = 1000,
    ) -> None:
        self.rules = list(rules)
        self.receivers = {receiver.name: receiver for receiver in receivers}
        if route is None:
            route = Route(receiver=next(iter(self.receivers), "default"))
        self.route = compile_route(route)
        self.collector = collector
        self.clock = clock
        self.generator_url = generator_url
        self.silences = SilenceStore()
        self.inhibitor = Inhibitor(inhibit_rules)
        self.escalator = Escalator(escalations)
        self.remediation = RemediationTracker()
        for hook in remediations:
            self.remediation.add(hook)
        self.dispatcher = Dispatcher(self.route, self.receivers, self._muted, external_url)
        self.history: deque[Notification] = deque(maxlen=history)
        self.evaluations = 0
        # evaluate() runs on the caller's schedule while a scrape thread may read stats(): one lock
        # (re-entrant: a notifier or hook may call back into the manager).
        self._lock = threading.RLock()
        self._firing_index: list[tuple[str, dict[str, str]]] = []

    # -- configuration --------------------------------------------------------------------

    def add_rule(self, *rules: AlertRule) -> None:
        self.rules.extend(rules)

    def add_receiver(self, receiver: Receiver) -> None:
        self.receivers[receiver.name] = receiver

    def add_remediation(self, hook: RemediationHook) -> None:
        self.remediation.add(hook)

    # -- evaluation -----------------------------------------------------------------------

    def evaluate(self, now: float | None = None) -> Evaluation:
        """Run one tick at ``now`` (the clock's time by default)."""
        with self._lock:
            return self._evaluate(self.clock() if now is None else now)

    def _evaluate(self, now: float) -> Evaluation:
        self.evaluations += 1
        ctx = EvalContext(now, self.collector)
        changed = [view_of(a, self.generator_url) for rule in self.rules for a in rule.evaluate(ctx)]
        firing = [view_of(a, self.generator_url) for rule in self.rules for a in rule.firing()]
        escalated, escalations_resolved = self.escalator.update(firing, now)
        firing.extend(escalated)
        self._firing_index = [(a.fingerprint, dict(a.labels)) for a in firing]
        self._remediate(changed, now)
        for alert in firing:
            self.dispatcher.upsert(alert, now)
        for alert in [a for a in changed if a.state == RESOLVED] + escalations_resolved:
            self.dispatcher.upsert(alert, now)
        sent = self.dispatcher.flush_due(now)
        self.history.extend(sent)
        if self.evaluations % 1000 == 0:
            self.silences.gc(now)
        return Evaluation(now, tuple(changed), tuple(sent))

    def _remediate(self, changed: list[AlertView], now: float) -> None:
        tracker = self.remediation
        if not tracker.hooks:
            return
        tracker.tick(now)
        for alert in changed:
            if alert.state == RESOLVED:
                tracker.on_resolved(alert.fingerprint, now)
            elif alert.state == FIRING and not self._muted(alert, now):
                tracker.on_firing(alert, now)

    def _muted(self, alert: AlertView, now: float) -> bool:
        # Alertmanager mutes resolved alerts too: a receiver that never heard of an inhibited
        # warning does not get its "resolved" either.
        if self.silences.silenced_by(alert.labels, now):
            return True
        return self.inhibitor.inhibited(alert.labels, alert.fingerprint, self._firing_index)

    # -- inspection -----------------------------------------------------------------------

    def alerts(self, now: float | None = None) -> list[AlertView]:
        """Every pending, firing and recently resolved alert, with silence/inhibition marks."""
        now = self.clock() if now is None else now
        with self._lock:
            return self._alerts(now)

    def _alerts(self, now: float) -> list[AlertView]:
        out = []
        for rule in self.rules:
            for alert in rule.active.values():
                view = view_of(alert, self.generator_url)
                silenced = self.silences.silenced_by(view.labels, now)
                inhibited = self.inhibitor.inhibited(view.labels, view.fingerprint, self._firing_index)
                out.append(AlertView(**{**view.__dict__, "silenced_by": silenced, "inhibited": inhibited}))
        return out

    @property
    def notify_failures(self) -> list[NotifyFailure]:
        return list(self.dispatcher.failures)

    def stats(self) -> dict[str, object]:
        """Counters for a ``MetricsCollector`` component (``register_component("alerts", mgr)``)."""
        with self._lock:
            return self._stats()

    def _stats(self) -> dict[str, object]:
        states = [a.state for rule in self.rules for a in rule.active.values()]
        return {
            "evaluations": self.evaluations,
            "rules": len(self.rules),
            "pending": states.count("pending"),
            "firing": states.count(FIRING),
            "groups": len(self.dispatcher.groups),
            "notifications": len(self.history),
            "notify_failures": len(self.dispatcher.failures),
            "rule_errors": sum(rule.errors for rule in self.rules),
            "silences_active": len(self.silences.active(self.clock())),
        }
