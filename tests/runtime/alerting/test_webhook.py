"""Alertmanager webhook JSON POSTed to a real local HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from codeopt_runtime.alerting.manager import AlertManager
from codeopt_runtime.alerting.notify import WebhookNotifier
from codeopt_runtime.alerting.routing import Receiver, Route
from codeopt_runtime.alerting.rules import fingerprint

from .harness import Scripted


class Sink:
    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.fail_next = 0


@pytest.fixture
def sink() -> Iterator[tuple[Sink, str]]:
    state = Sink()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if state.fail_next:
                state.fail_next -= 1
                self.send_error(503, "busy")
                return
            state.posts.append((self.path, dict(self.headers), json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_webhook_body_has_alertmanagers_shape(sink: tuple[Sink, str]) -> None:
    state, url = sink
    src = Scripted()
    manager = AlertManager(
        rules=[
            src.rule(
                "DiskFull", labels={"severity": "page"}, annotations={"summary": "disk on {labels[inst]}"}
            )
        ],
        receivers=[Receiver("ops", [WebhookNotifier(url, headers={"X-Token": "t"})])],
        route=Route(receiver="ops", group_by=["alertname"]),
        external_url="http://alerts.example",
        generator_url="http://prom.example/graph",
    )
    src.on("DiskFull", "db1", team="storage")
    src.on("DiskFull", "db2", team="storage")
    for t in range(0, 40, 10):
        manager.evaluate(1_700_000_000 + t)
    src.off("DiskFull", "db1")
    src.off("DiskFull", "db2")
    for t in range(40, 340, 10):
        manager.evaluate(1_700_000_000 + t)

    assert len(state.posts) == 2
    path, headers, body = state.posts[0]
    assert path == "/hook"
    assert headers["Content-Type"] == "application/json" and headers["X-Token"] == "t"
    assert set(body) == {
        "version",
        "groupKey",
        "truncatedAlerts",
        "status",
        "receiver",
        "groupLabels",
        "commonLabels",
        "commonAnnotations",
        "externalURL",
        "alerts",
    }
    assert body["version"] == "4"
    assert body["groupKey"] == '{}:{alertname="DiskFull"}'
    assert body["status"] == "firing" and body["receiver"] == "ops"
    assert body["groupLabels"] == {"alertname": "DiskFull"}
    assert body["commonLabels"] == {"alertname": "DiskFull", "severity": "page", "team": "storage"}
    assert body["commonAnnotations"] == {}  # the summaries differ
    assert body["externalURL"] == "http://alerts.example"
    assert body["truncatedAlerts"] == 0
    first = body["alerts"][0]
    assert set(first) == {
        "status",
        "labels",
        "annotations",
        "startsAt",
        "endsAt",
        "generatorURL",
        "fingerprint",
    }
    assert first["status"] == "firing"
    assert first["startsAt"] == "2023-11-14T22:13:20Z"
    assert first["endsAt"] == "0001-01-01T00:00:00Z"
    assert first["generatorURL"] == "http://prom.example/graph"
    assert first["fingerprint"] == fingerprint(first["labels"])
    assert sorted(a["annotations"]["summary"] for a in body["alerts"]) == ["disk on db1", "disk on db2"]

    _, _, resolved = state.posts[1]
    assert resolved["status"] == "resolved"
    assert {a["status"] for a in resolved["alerts"]} == {"resolved"}
    assert {a["endsAt"] for a in resolved["alerts"]} == {"2023-11-14T22:14:00Z"}


def test_webhook_errors_are_recorded_and_retried(sink: tuple[Sink, str]) -> None:
    state, url = sink
    state.fail_next = 1
    src = Scripted()
    manager = AlertManager(rules=[src.rule("A")], receivers=[Receiver("ops", [WebhookNotifier(url)])])
    src.on("A", "1")
    for t in range(0, 340, 10):
        manager.evaluate(t)
    assert len(state.posts) == 1  # the retry at the next flush (330 s)
    assert "503" in manager.notify_failures[0].error


def test_max_alerts_truncates_and_counts(sink: tuple[Sink, str]) -> None:
    state, url = sink
    src = Scripted()
    manager = AlertManager(
        rules=[src.rule("A")], receivers=[Receiver("ops", [WebhookNotifier(url, max_alerts=2)])]
    )
    for key in "abcde":
        src.on("A", key)
    for t in range(0, 40, 10):
        manager.evaluate(t)
    body = state.posts[0][2]
    assert len(body["alerts"]) == 2 and body["truncatedAlerts"] == 3


def test_webhook_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        WebhookNotifier("file:///etc/passwd")
