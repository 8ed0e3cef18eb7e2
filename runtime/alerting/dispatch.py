"""Aggregation groups, the notification log and the dedup decision, as Alertmanager runs them.

* An alert is routed (``RouteNode.match``) into the group of its route and group labels. A new
  group waits ``group_wait`` before its first flush, then flushes every ``group_interval``.
* A flush drops muted alerts (silenced or inhibited), then asks the notification log whether the
  receiver must hear about the rest (``needs_update``: Alertmanager's ``DedupStage``): a firing alert
  it was not told about, everything resolved, a newly resolved alert (with ``send_resolved``), or
  ``repeat_interval`` elapsed since the last notification.
* After a successful flush the resolved alerts leave the group; an empty group is deleted.
* A failed notification leaves the log as it was, so the next flush retries.

Timers run on evaluation ticks: a flush happens on the first tick at or after it is due.
``repeat_interval`` counts as elapsed when ``now - last >= repeat`` (Alertmanager compares strictly
on wall-clock times that drift by milliseconds, so exact equality never decides there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .model import AlertView
from .notify import Notification
from .routing import Receiver, RouteNode

__all__ = ["Dispatcher", "LogEntry", "NotifyFailure", "needs_update"]

LOG_RETENTION = 120 * 3600.0  # Alertmanager's --data.retention: how long the log remembers a group


@dataclass(frozen=True)
class LogEntry:
    """What a receiver was last told about a group."""

    firing: frozenset[str]
    resolved: frozenset[str]
    timestamp: float


@dataclass(frozen=True)
class NotifyFailure:
    receiver: str
    group_key: str
    timestamp: float
    error: str


def needs_update(
    entry: LogEntry | None,
    firing: frozenset[str],
    resolved: frozenset[str],
    *,
    repeat_interval: float,
    send_resolved: bool,
    now: float,
) -> bool:
    """Alertmanager's ``DedupStage.needsUpdate``."""
    if entry is None:
        return bool(firing)
    if not firing <= entry.firing:
        return True
    if not firing:
        return bool(entry.firing)
    if send_resolved and not resolved <= entry.resolved:
        return True
    return now - entry.timestamp >= repeat_interval


@dataclass
class _Group:
    route: RouteNode
    labels: dict[str, str]
    key: str
    next_flush: float
    alerts: dict[str, AlertView] = field(default_factory=dict)


def _labels_text(labels: Mapping[str, str]) -> str:
    return "{" + ", ".join(f'{name}="{labels[name]}"' for name in sorted(labels)) + "}"


class Dispatcher:
    """Routes alert views into groups and flushes due groups to receivers."""

    def __init__(
        self,
        route: RouteNode,
        receivers: Mapping[str, Receiver],
        muted: Callable[[AlertView, float], bool],
        external_url: str = "",
    ) -> None:
        self.route = route
        self.receivers = receivers
        self.muted = muted
        self.external_url = external_url
        self.groups: dict[tuple[str, str], _Group] = {}
        self.log: dict[tuple[str, str], LogEntry] = {}
        self.failures: list[NotifyFailure] = []
        self._next_gc = 0.0

    def upsert(self, alert: AlertView, now: float) -> None:
        """Put (or refresh) ``alert`` in the group of every route that takes it."""
        for node in self.route.match(alert.labels):
            labels = node.group_labels(alert.labels)
            text = _labels_text(labels)
            group = self.groups.get((node.key, text))
            if group is None:
                if alert.status == "resolved":
                    continue  # never start a group with an alert that is already over
                start = now + node.group_wait
                if alert.starts_at + node.group_wait <= now:
                    start = now  # an old alert: flush at once (Alertmanager does the same)
                group = _Group(node, labels, f"{node.key}:{text}", start)
                self.groups[(node.key, text)] = group
            group.alerts[alert.fingerprint] = alert

    def flush_due(self, now: float) -> list[Notification]:
        """Flush every group whose timer expired; return the notifications delivered."""
        sent: list[Notification] = []
        for slot, group in list(self.groups.items()):
            if group.next_flush > now:
                continue
            ok = self._flush(group, now, sent)
            if ok:
                for fingerprint in [fp for fp, a in group.alerts.items() if a.status == "resolved"]:
                    del group.alerts[fingerprint]
            if group.alerts:
                group.next_flush = now + group.route.group_interval
            else:
                del self.groups[slot]
        if now >= self._next_gc:
            self._gc(now)
        return sent

    def _gc(self, now: float) -> None:
        """Forget log entries of groups that have been gone for the retention period (hourly)."""
        live = {group.key for group in self.groups.values()}
        for key in [k for k, e in self.log.items() if k[1] not in live and e.timestamp < now - LOG_RETENTION]:
            del self.log[key]
        self._next_gc = now + 3600.0

    def _flush(self, group: _Group, now: float, sent: list[Notification]) -> bool:
        """Mute, dedup, notify; False only when a notifier failed (the log stays as it was)."""
        visible = [alert for alert in group.alerts.values() if not self.muted(alert, now)]
        if not visible:
            return True
        receiver = self.receivers.get(group.route.receiver) or Receiver(group.route.receiver)
        firing = frozenset(a.fingerprint for a in visible if a.status == "firing")
        resolved = frozenset(a.fingerprint for a in visible if a.status == "resolved")
        log_key = (receiver.name, group.key)
        entry = self.log.get(log_key)
        repeat = group.route.repeat_interval
        if not needs_update(
            entry, firing, resolved, repeat_interval=repeat, send_resolved=receiver.send_resolved, now=now
        ):
            return True
        if not self._send(group, receiver, visible, now, sent):
            return False
        self.log[log_key] = LogEntry(firing, resolved, now)
        return True

    def _send(
        self,
        group: _Group,
        receiver: Receiver,
        visible: list[AlertView],
        now: float,
        sent: list[Notification],
    ) -> bool:
        firing = [a for a in visible if a.status == "firing"]
        payload = visible if receiver.send_resolved else firing
        if not payload:
            return True  # everything resolved and the receiver does not want resolved messages
        notification = Notification(
            receiver=receiver.name,
            status="firing" if firing else "resolved",
            group_key=group.key,
            group_labels=dict(group.labels),
            alerts=tuple(sorted(payload, key=lambda a: (a.status != "firing", a.fingerprint))),
            timestamp=now,
            external_url=self.external_url,
        )
        if not self._deliver(receiver, notification, now):
            return False
        sent.append(notification)
        return True

    def _deliver(self, receiver: Receiver, notification: Notification, now: float) -> bool:
        ok = True
        for notifier in receiver.notifiers:
            try:
                notifier(notification)
            except Exception as exc:  # a notifier never breaks evaluation
                ok = False
                error = f"{notifier!r}: {type(exc).__name__}: {exc}"
                self.failures.append(NotifyFailure(receiver.name, notification.group_key, now, error))
                del self.failures[:-1000]
        return ok
