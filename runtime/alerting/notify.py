"""Notifications and the webhook notifier speaking Alertmanager's webhook JSON (version "4").

A receiver's notifiers are plain callables taking a ``Notification``; ``WebhookNotifier`` is one of
them and POSTs exactly the body Alertmanager's webhook receiver sends, so anything that already
consumes Alertmanager webhooks (chat bridges, incident tools) consumes ours.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .model import AlertView

__all__ = ["Notification", "WebhookNotifier", "common_items", "webhook_payload"]

USER_AGENT = "codeopt-runtime-alerting/0.1"


def common_items(mappings: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """The pairs every mapping has with the same value (``commonLabels``/``commonAnnotations``)."""
    if not mappings:
        return {}
    first = mappings[0]
    return {key: value for key, value in first.items() if all(m.get(key) == value for m in mappings[1:])}


@dataclass(frozen=True)
class Notification:
    """One message for one receiver about one alert group."""

    receiver: str
    status: str
    group_key: str
    group_labels: Mapping[str, str]
    alerts: tuple[AlertView, ...]
    timestamp: float
    external_url: str = ""
    truncated_alerts: int = 0
    common_labels: Mapping[str, str] = field(init=False)
    common_annotations: Mapping[str, str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "common_labels", common_items([a.labels for a in self.alerts]))
        object.__setattr__(self, "common_annotations", common_items([a.annotations for a in self.alerts]))

    @property
    def firing(self) -> tuple[AlertView, ...]:
        return tuple(alert for alert in self.alerts if alert.status == "firing")

    @property
    def resolved(self) -> tuple[AlertView, ...]:
        return tuple(alert for alert in self.alerts if alert.status == "resolved")

    def to_webhook(self, max_alerts: int = 0) -> dict[str, object]:
        return webhook_payload(self, max_alerts)


def webhook_payload(notification: Notification, max_alerts: int = 0) -> dict[str, object]:
    """Alertmanager's webhook body; ``max_alerts`` > 0 truncates ``alerts`` and counts the rest."""
    alerts = list(notification.alerts)
    truncated = notification.truncated_alerts
    if max_alerts > 0 and len(alerts) > max_alerts:
        truncated += len(alerts) - max_alerts
        alerts = alerts[:max_alerts]
    return {
        "version": "4",
        "groupKey": notification.group_key,
        "truncatedAlerts": truncated,
        "status": notification.status,
        "receiver": notification.receiver,
        "groupLabels": dict(notification.group_labels),
        "commonLabels": dict(notification.common_labels),
        "commonAnnotations": dict(notification.common_annotations),
        "externalURL": notification.external_url,
        "alerts": [alert.to_webhook() for alert in alerts],
    }


class WebhookNotifier:
    """POST each notification as JSON to ``url``; a non-2xx answer or a network error raises
    (the manager records it and retries at the group's next flush, like Alertmanager)."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        max_alerts: int = 0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook url must be http(s), got {url!r}")
        self.url = url
        self.timeout = timeout
        self.max_alerts = max_alerts
        self.headers = dict(headers or {})

    def __call__(self, notification: Notification) -> int:
        import urllib.request  # not at import time: it pulls in http.client, email and ssl

        body = json.dumps(webhook_payload(notification, self.max_alerts)).encode("utf-8")
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **self.headers}
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            status = int(response.status)
        return status

    def __repr__(self) -> str:
        return f"WebhookNotifier({self.url!r})"
