"""Prometheus rule semantics on explicit ticks: pending, for, keep_firing_for, resolved."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pytest

from codeopt_runtime.alerting.durations import seconds
from codeopt_runtime.alerting.errors import ConfigError
from codeopt_runtime.alerting.metrics import MetricsCollector
from codeopt_runtime.alerting.rules import (
    FIRING,
    INACTIVE,
    PENDING,
    RESOLVED,
    AlertRule,
    EvalContext,
    ExprResult,
    fingerprint,
    format_time,
    threshold,
)


class Switch:
    """An expression whose result the test sets: the series currently satisfying the condition."""

    def __init__(self) -> None:
        self.series: list[tuple[Mapping[str, str], float]] = []

    def on(self, **labels: str) -> None:
        self.series = [(labels, 1.0)]

    def off(self) -> None:
        self.series = []

    def __call__(self, ctx: EvalContext) -> Iterable[tuple[Mapping[str, str], float]]:
        return list(self.series)


def run(rule: AlertRule, switch: Switch, timeline: list[int], step: int = 60) -> list[tuple[int, str]]:
    """Evaluate every ``step`` s; timeline[i] = 1 means the condition holds at tick i.
    Returns (time, new state) for every change."""
    changes = []
    for index, active in enumerate(timeline):
        switch.on() if active else switch.off()
        for alert in rule.evaluate(EvalContext(index * step)):
            changes.append((index * step, alert.state))
    return changes


def test_without_for_an_alert_fires_on_the_first_tick() -> None:
    switch = Switch()
    rule = AlertRule("A", switch)
    assert run(rule, switch, [0, 1, 1, 0]) == [(60, FIRING), (180, RESOLVED)]


def test_for_holds_pending_until_the_duration_and_a_gap_resets_it() -> None:
    switch = Switch()
    rule = AlertRule("A", switch, for_=120)
    # pending at 60; gone at 120 (dropped silently); pending again at 180; fires at 300 (180+120)
    assert run(rule, switch, [0, 1, 0, 1, 1, 1, 1, 0]) == [
        (60, PENDING),
        (120, INACTIVE),
        (180, PENDING),
        (300, FIRING),
        (420, RESOLVED),
    ]


def test_keep_firing_for_bridges_gaps_and_resets_when_the_condition_returns() -> None:
    switch = Switch()
    rule = AlertRule("A", switch, keep_firing_for=180)
    # fires at 0; gap 60..120 (2 ticks < 180 s) is bridged; gap from 240 resolves at 240+180=420
    assert run(rule, switch, [1, 0, 0, 1, 0, 0, 0, 0, 0]) == [(0, FIRING), (420, RESOLVED)]
    assert rule.active[next(iter(rule.active))].resolved_at == 420


def test_resolved_alerts_are_kept_15_minutes_then_forgotten_and_a_new_episode_starts_pending() -> None:
    switch = Switch()
    rule = AlertRule("A", switch, for_=60)
    timeline = [1, 1, 0] + [0] * 15 + [1]
    changes = run(rule, switch, timeline)
    assert changes[:3] == [(0, PENDING), (60, FIRING), (120, RESOLVED)]
    assert changes[3:] == [(18 * 60, PENDING)]
    alert = next(iter(rule.active.values()))
    assert alert.state == PENDING and alert.active_at == 18 * 60 and alert.fired_at is None


def test_series_labels_rule_labels_and_annotations() -> None:
    collector = MetricsCollector(system=False)
    gauge = collector.gauge("cpu_ratio", "", ["instance", "severity"])
    gauge.labels("a", "low").set(0.95)
    gauge.labels("b", "low").set(0.20)
    rule = AlertRule(
        "HighCPU",
        threshold("cpu_ratio", ">", 0.9),
        labels={"severity": "page"},
        annotations={"summary": "{labels[instance]} at {value:.0%}", "bad": "{nope}"},
    )
    (fired,) = rule.evaluate(EvalContext(0, collector))
    assert fired.state == FIRING
    assert fired.labels == {"instance": "a", "severity": "page", "alertname": "HighCPU"}  # rule wins
    assert fired.annotations == {"summary": "a at 95%", "bad": "{nope}"}
    assert fired.fingerprint == fingerprint(fired.labels)


def test_each_series_is_its_own_alert() -> None:
    collector = MetricsCollector(system=False)
    gauge = collector.gauge("errors", "", ["svc"])
    rule = AlertRule("Errors", threshold("errors", ">=", 1), for_=60)
    gauge.labels("a").set(1)
    gauge.labels("b").set(0)
    rule.evaluate(EvalContext(0, collector))
    gauge.labels("b").set(2)
    rule.evaluate(EvalContext(60, collector))
    states = {a.labels["svc"]: a.state for a in rule.active.values()}
    assert states == {"a": FIRING, "b": PENDING}


def test_expression_errors_keep_states_and_are_counted() -> None:
    calls = {"n": 0}

    def flaky(ctx: EvalContext) -> bool:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ZeroDivisionError("division by zero")
        return True

    rule = AlertRule("Flaky", flaky, for_=60)
    rule.evaluate(EvalContext(0))
    assert rule.evaluate(EvalContext(60)) == []
    assert rule.errors == 1 and rule.last_error == "ZeroDivisionError: division by zero"
    assert [a.state for a in rule.evaluate(EvalContext(120))] == [FIRING]


def test_result_shapes() -> None:
    results: list[tuple[ExprResult, int]] = [
        (True, 1),
        (False, 0),
        (None, 0),
        (3.5, 1),
        ([({"a": "1"}, 2.0)], 1),
    ]
    for result, expected in results:

        def expr(ctx: EvalContext, result: ExprResult = result) -> ExprResult:
            return result

        rule = AlertRule("R", expr)
        assert len(rule.evaluate(EvalContext(0))) == expected


def test_bad_configuration() -> None:
    with pytest.raises(ConfigError):
        AlertRule("R", bool, for_=-1)
    with pytest.raises(ConfigError):
        threshold("m", "=>", 1)


def test_fingerprint_and_time_format() -> None:
    assert fingerprint({}) == "cbf29ce484222325"  # FNV-1a 64 offset basis: the empty label set
    assert fingerprint({"a": "1", "b": "2"}) == fingerprint({"b": "2", "a": "1"})
    assert fingerprint({"a": "1"}) != fingerprint({"a": "2"})
    assert format_time(0) == "1970-01-01T00:00:00Z"
    assert format_time(None) == "0001-01-01T00:00:00Z"
    assert format_time(1.5) == "1970-01-01T00:00:01.500000Z"


def test_rules_read_runtime_component_stats() -> None:
    from codeopt_runtime.pool import ObjectPool

    collector = MetricsCollector(system=False)
    pool = ObjectPool(object, max_size=1)
    collector.register_component("db_pool", pool)
    rule = AlertRule("PoolExhausted", threshold("codeopt_runtime_db_pool_in_use", ">=", 1))
    assert rule.evaluate(EvalContext(0, collector)) == []
    with pool.acquire():
        (alert,) = rule.evaluate(EvalContext(60, collector))
    assert alert.state == FIRING and alert.value == 1
    assert [a.state for a in rule.evaluate(EvalContext(120, collector))] == [RESOLVED]


def test_label_values_are_strings() -> None:
    rule = AlertRule("R", lambda ctx: [({"shard": 3}, 1.0)], labels={"tier": 1})  # type: ignore[dict-item]
    (alert,) = rule.evaluate(EvalContext(0))
    assert alert.labels == {"shard": "3", "tier": "1", "alertname": "R"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("3d", 259200), ("1w", 604800), ("500ms", 0.5), (90, 90)],
)
def test_prometheus_durations(text: str | int, expected: float) -> None:
    assert seconds(text) == expected


@pytest.mark.parametrize("bad", ["", "5", "m5", "5m 3s", "1h-2m", "5mins", True])
def test_bad_durations(bad: str | bool) -> None:
    with pytest.raises(ConfigError, match="duration"):
        seconds(bad)


def test_duration_strings_everywhere() -> None:
    from codeopt_runtime.alerting.escalation import Escalation
    from codeopt_runtime.alerting.remediation import RemediationHook
    from codeopt_runtime.alerting.routing import Route, compile_route
    from codeopt_runtime.alerting.silences import SilenceStore

    rule = AlertRule("R", bool, for_="2m", keep_firing_for="10m")
    assert (rule.for_, rule.keep_firing_for) == (120, 600)
    route = compile_route(Route(receiver="r", group_wait="10s", group_interval="1m", repeat_interval="1h"))
    assert (route.group_wait, route.group_interval, route.repeat_interval) == (10, 60, 3600)
    assert SilenceStore().add("a=b", starts_at=0, duration="2h").ends_at == 7200
    assert Escalation.of({"severity": "warning"}, after="30m").after == 1800
    hook = RemediationHook.of("h", print, resolve_within="20m", hold="1h")
    assert (hook.resolve_within, hook.hold) == (1200, 3600)
