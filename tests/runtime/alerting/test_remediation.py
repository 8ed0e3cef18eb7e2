"""Remediation hooks: success = resolved within N minutes and no re-fire during the hold."""

from __future__ import annotations

import pytest

from codeopt_runtime.alerting.errors import ConfigError
from codeopt_runtime.alerting.manager import AlertManager
from codeopt_runtime.alerting.model import AlertView
from codeopt_runtime.alerting.remediation import RemediationHook

from .harness import Scripted

MIN = 60


def build(action: object, **hook: float) -> tuple[Scripted, AlertManager, list[AlertView]]:
    src = Scripted()
    calls: list[AlertView] = []

    def run(alert: AlertView) -> object:
        calls.append(alert)
        return action(alert) if callable(action) else action

    manager = AlertManager(
        rules=[src.rule("A", labels={"severity": "page"}), src.rule("B")],
        remediations=[
            RemediationHook.of(
                "restart", run, {"alertname": "A"}, resolve_within=hook.get("within", 5 * MIN), hold=30 * MIN
            )
        ],
    )
    return src, manager, calls


def play(manager: AlertManager, src: Scripted, script: dict[int, tuple[str, bool]], minutes: int) -> None:
    """script: minute -> (instance, on?) for rule A; evaluate every minute."""
    for minute in range(minutes):
        if minute in script:
            key, on = script[minute]
            src.on("A", key) if on else src.off("A", key)
        manager.evaluate(minute * MIN)


def test_resolved_in_time_and_quiet_through_the_hold_is_a_success() -> None:
    src, manager, calls = build(None)
    play(manager, src, {0: ("x", True), 3: ("x", False)}, minutes=60)
    assert len(calls) == 1 and calls[0].labels["alertname"] == "A" and calls[0].state == "firing"
    stats = manager.remediation.stats()["restart"]
    assert (stats.attempts, stats.successes, stats.failures, stats.pending) == (1, 1, 0, 0)
    assert stats.success_rate == 1.0
    (outcome,) = manager.remediation.outcomes
    assert outcome.result == "success" and outcome.finished_at == 33 * MIN  # resolved 3 + hold 30


def test_refire_during_the_hold_is_a_failure_and_a_new_attempt() -> None:
    src, manager, calls = build(None)
    play(manager, src, {0: ("x", True), 2: ("x", False), 10: ("x", True), 12: ("x", False)}, minutes=60)
    assert len(calls) == 2
    assert [o.result for o in manager.remediation.outcomes] == ["refired", "success"]
    stats = manager.remediation.stats()["restart"]
    assert (stats.attempts, stats.successes, stats.failures) == (2, 1, 1)
    assert stats.success_rate == 0.5


def test_not_resolved_within_the_window_is_a_timeout() -> None:
    src, manager, _ = build(None)
    play(manager, src, {0: ("x", True), 20: ("x", False)}, minutes=40)
    (outcome,) = manager.remediation.outcomes
    assert outcome.result == "timeout" and outcome.finished_at == 6 * MIN


def test_exceptions_and_declines_are_failures_and_never_reach_evaluate() -> None:
    def boom(alert: AlertView) -> None:
        raise RuntimeError("kubectl failed")

    src, manager, _ = build(boom)
    play(manager, src, {0: ("x", True), 2: ("x", False)}, minutes=5)
    (outcome,) = manager.remediation.outcomes
    assert outcome.result == "error" and outcome.detail == "RuntimeError: kubectl failed"
    assert manager.remediation.stats()["restart"].errors == 1

    src, manager, _ = build(False)
    play(manager, src, {0: ("x", True)}, minutes=2)
    assert [o.result for o in manager.remediation.outcomes] == ["declined"]


def test_hooks_only_match_their_alerts_and_skip_silenced_ones() -> None:
    src, manager, calls = build(None)
    manager.silences.add({"inst": "quiet"}, starts_at=0, duration=3600)
    for minute in range(3):
        if minute == 0:
            src.on("B", "other")
            src.on("A", "quiet")
        manager.evaluate(minute * MIN)
    assert calls == []
    assert manager.remediation.stats()["restart"].attempts == 0


def test_hook_configuration_errors() -> None:
    with pytest.raises(ConfigError):
        RemediationHook.of("h", print, resolve_within=0)
    _, manager, _ = build(None)
    with pytest.raises(ConfigError, match="exists"):
        manager.add_remediation(RemediationHook.of("restart", print))
