"""Alertmanager-equivalent notification sequences (hand-derived from Alertmanager's dispatcher,
DedupStage and MuteStage): grouping, group_wait, group_interval, repeat_interval, dedup,
inhibition, silences, routing, escalation and notifier failures. Ticks every 10 s unless stated."""

from __future__ import annotations

import pytest

from codeopt_runtime.alerting.dispatch import LogEntry, needs_update
from codeopt_runtime.alerting.errors import ConfigError
from codeopt_runtime.alerting.escalation import Escalation
from codeopt_runtime.alerting.notify import Notification
from codeopt_runtime.alerting.routing import Receiver, Route, compile_route
from codeopt_runtime.alerting.silences import InhibitRule

from .harness import Harness, Scripted


def test_group_wait_group_interval_and_resolution_sequence() -> None:
    src = Scripted()
    h = Harness([src.rule("A")])
    src.on("A", "1")
    assert h.run_until(20) == []  # group created at 0, waits 30 s
    src.on("A", "2")  # joins the same group (grouped by alertname) before the first flush
    assert h.run_until(30) == [(30, "team", "firing", ("A/1:firing", "A/2:firing"))]
    src.on("A", "3")
    assert h.run_until(320) == []  # nothing before the group interval (next flush at 330)
    assert h.run_until(330) == [(330, "team", "firing", ("A/1:firing", "A/2:firing", "A/3:firing"))]
    src.off("A", "1")
    assert h.run_until(620) == []
    assert h.run_until(630) == [(630, "team", "firing", ("A/2:firing", "A/3:firing", "A/1:resolved"))]
    assert h.run_until(930) == []  # A/1 left the group after being notified; nothing changed
    src.off("A", "2")
    src.off("A", "3")
    assert h.run_until(1230) == [(1230, "team", "resolved", ("A/2:resolved", "A/3:resolved"))]
    assert h.manager.dispatcher.groups == {}  # an empty group is deleted
    src.on("A", "1")
    assert h.run_until(1300) == [(1270, "team", "firing", ("A/1:firing",))]  # new group: group_wait again


def test_repeat_interval_resends_an_unchanged_group_and_dedup_suppresses_the_rest() -> None:
    src = Scripted()
    h = Harness([src.rule("A")], route=Route(receiver="team", repeat_interval=3600))
    src.on("A", "1")
    sent = h.run_until(2 * 3600 + 400, step=60)
    # first flush at the first tick >= 30 s; flushes every 300 s after; resent when 3600 s passed
    assert [t for t, *_ in sent] == [60, 3660, 7260]
    assert all(status == "firing" for _, _, status, _ in sent)


def test_alertmanager_default_timers() -> None:
    root = compile_route(Route(receiver="r"))
    assert (root.group_wait, root.group_interval, root.repeat_interval) == (30, 300, 4 * 3600)
    assert root.group_by == ("alertname",)


def test_alert_resolved_before_the_first_flush_is_never_notified() -> None:
    src = Scripted()
    h = Harness([src.rule("A")])
    src.on("A", "1")
    h.run_until(10)
    src.off("A", "1")
    assert h.run_until(1000) == []


def test_groups_split_by_group_by_labels() -> None:
    src = Scripted()
    h = Harness([src.rule("A")], route=Route(receiver="team", group_by=["alertname", "svc"]))
    src.on("A", "1", svc="web")
    src.on("A", "2", svc="db")
    sent = h.run_until(30)
    assert sorted(sent) == [
        (30, "team", "firing", ("A/1:firing",)),
        (30, "team", "firing", ("A/2:firing",)),
    ]
    assert {n.group_key for n in h.raw} == {'{}:{alertname="A", svc="db"}', '{}:{alertname="A", svc="web"}'}
    assert h.raw[0].group_labels in ({"alertname": "A", "svc": "web"}, {"alertname": "A", "svc": "db"})


def test_inhibition_mutes_targets_with_equal_labels_while_the_source_fires() -> None:
    src = Scripted()
    h = Harness(
        [src.rule("Down", labels={"severity": "page"}), src.rule("Slow", labels={"severity": "warning"})],
        route=Route(receiver="team", group_by=["alertname"]),
        inhibit_rules=[InhibitRule.of({"severity": "page"}, {"severity": "warning"}, ["svc"])],
    )
    src.on("Down", "d", svc="a")
    src.on("Slow", "a", svc="a")  # same svc: inhibited
    src.on("Slow", "b", svc="b")  # other svc: notified
    assert sorted(h.run_until(30)) == [
        (30, "team", "firing", ("Down/d:firing",)),
        (30, "team", "firing", ("Slow/b:firing",)),
    ]
    views = {a.labels["inst"]: a for a in h.manager.alerts(30)}
    assert views["a"].inhibited and not views["b"].inhibited and not views["d"].inhibited
    src.off("Down", "d")
    assert sorted(h.run_until(330)) == [
        (330, "team", "firing", ("Slow/a:firing", "Slow/b:firing")),  # no longer inhibited: news
        (330, "team", "resolved", ("Down/d:resolved",)),
    ]


def test_an_inhibited_alert_that_resolves_is_never_announced() -> None:
    src = Scripted()
    h = Harness(
        [src.rule("Down", labels={"severity": "page"}), src.rule("Slow", labels={"severity": "warning"})],
        inhibit_rules=[InhibitRule.of({"severity": "page"}, {"severity": "warning"}, ["svc"])],
    )
    src.on("Down", "d", svc="a")
    src.on("Slow", "a", svc="a")
    assert h.run_until(30) == [(30, "team", "firing", ("Down/d:firing",))]
    src.off("Slow", "a")  # resolves while still inhibited: Alertmanager mutes the resolved one too
    assert h.run_until(700) == []
    assert ("{}", '{alertname="Slow"}') not in h.manager.dispatcher.groups


def test_an_alert_matching_both_sides_does_not_inhibit_itself() -> None:
    src = Scripted()
    h = Harness(
        [src.rule("A", labels={"severity": "page"})],
        inhibit_rules=[InhibitRule.of({"severity": "page"}, 'alertname=~"A|B"', ["svc"])],
    )
    src.on("A", "1", svc="x")
    assert h.run_until(30) == [(30, "team", "firing", ("A/1:firing",))]


def test_silences_mute_between_start_and_end_then_the_alert_is_news() -> None:
    src = Scripted()
    h = Harness([src.rule("A")])
    silence = h.manager.silences.add('{alertname="A", inst="1"}', starts_at=0, ends_at=500, comment="deploy")
    src.on("A", "1")
    src.on("A", "2")
    assert h.run_until(30) == [(30, "team", "firing", ("A/2:firing",))]
    assert h.manager.alerts(40)[0].silenced_by in ((silence.id,), ())
    assert {a.labels["inst"]: a.silenced_by for a in h.manager.alerts(40)} == {"1": (silence.id,), "2": ()}
    assert h.run_until(330) == []  # firing set {2} unchanged
    assert h.run_until(630) == [(630, "team", "firing", ("A/1:firing", "A/2:firing"))]


def test_expiring_a_silence_and_silence_validation() -> None:
    src = Scripted()
    h = Harness([src.rule("A")])
    silence = h.manager.silences.add({"alertname": "A"}, starts_at=0, duration=3600)
    src.on("A", "1")
    assert h.run_until(330) == []
    h.manager.silences.expire(silence.id, now=340)
    assert h.run_until(630) == [(630, "team", "firing", ("A/1:firing",))]
    store = h.manager.silences
    with pytest.raises(ConfigError, match="empty string"):
        store.add('inst=~".*"', starts_at=0, duration=10)
    with pytest.raises(ConfigError, match="before it starts"):
        store.add("inst=1", starts_at=10, ends_at=5)
    with pytest.raises(ConfigError, match="exactly one"):
        store.add("inst=1", starts_at=0)


def test_send_resolved_false_sends_no_resolved_messages() -> None:
    src = Scripted()
    h = Harness([src.rule("A")], team_send_resolved=False)
    src.on("A", "1")
    src.on("A", "2")
    h.run_until(30)
    src.off("A", "1")
    assert h.run_until(630) == []  # resolved A/1: no message with send_resolved=False
    src.off("A", "2")
    assert h.run_until(930) == []  # all resolved: logged, nothing sent
    src.on("A", "2")
    assert h.run_until(1000) == [(970, "team", "firing", ("A/2:firing",))]


def test_routing_tree_first_match_and_continue() -> None:
    src = Scripted()
    route = Route(
        receiver="team",
        routes=[
            Route(receiver="pager", matchers='severity="page"', continue_=True),
            Route(receiver="db", matchers={"svc": "db"}),
            Route(receiver="never", matchers={"svc": "db"}),  # shadowed by the previous sibling
        ],
    )
    h = Harness(
        [src.rule("A", labels={"severity": "page"}), src.rule("B")],
        receivers=("team", "pager", "db", "never"),
        route=route,
    )
    src.on("A", "1", svc="db")  # page -> pager, continue -> db
    src.on("B", "2", svc="web")  # no child matches -> root receiver
    assert sorted(h.run_until(30)) == [
        (30, "db", "firing", ("A/1:firing",)),
        (30, "pager", "firing", ("A/1:firing",)),
        (30, "team", "firing", ("B/2:firing",)),
    ]


def test_escalation_by_severity_and_time() -> None:
    src = Scripted()
    h = Harness(
        [src.rule("Slow", labels={"severity": "warning"})],
        receivers=("team", "pager"),
        route=Route(receiver="team", routes=[Route(receiver="pager", matchers={"severity": "page"})]),
        escalations=[Escalation.of({"severity": "warning"}, after=600)],
    )
    src.on("Slow", "1")
    assert h.run_until(600) == [(30, "team", "firing", ("Slow/1:firing",))]
    assert h.run_until(630) == [(630, "pager", "firing", ("Slow/1:firing",))]
    paged = h.raw[-1].alerts[0]
    assert paged.labels["severity"] == "page" and paged.labels["escalated_from"] == "warning"
    assert paged.starts_at == 600  # escalated after 600 s of firing; the copy keeps that instant
    assert h.run_until(920) == []  # refreshed each tick, but the same alert: nothing new to say
    src.off("Slow", "1")
    assert sorted(h.run_until(930)) == [
        (930, "pager", "resolved", ("Slow/1:resolved",)),
        (930, "team", "resolved", ("Slow/1:resolved",)),
    ]


def test_failing_notifier_is_recorded_and_retried_at_the_next_flush() -> None:
    src = Scripted()
    calls: list[Notification] = []

    def flaky(notification: Notification) -> None:
        calls.append(notification)
        if len(calls) == 1:
            raise ConnectionError("receiver down")

    from codeopt_runtime.alerting.manager import AlertManager

    manager = AlertManager(rules=[src.rule("A")], receivers=[Receiver("team", [flaky])])
    src.on("A", "1")
    for t in range(0, 340, 10):
        manager.evaluate(t)  # never raises
    assert [n.timestamp for n in calls] == [30, 330]
    assert len(manager.notify_failures) == 1
    assert "ConnectionError: receiver down" in manager.notify_failures[0].error
    assert [n.timestamp for n in manager.history] == [330]


@pytest.mark.parametrize(
    ("entry", "firing", "resolved", "send_resolved", "now", "expected"),
    [
        (None, {"a"}, set(), True, 0, True),
        (None, set(), {"a"}, True, 0, False),
        (LogEntry(frozenset({"a"}), frozenset(), 0), {"a", "b"}, set(), True, 10, True),
        (LogEntry(frozenset({"a", "b"}), frozenset(), 0), {"a"}, {"b"}, True, 10, True),
        (LogEntry(frozenset({"a", "b"}), frozenset(), 0), {"a"}, {"b"}, False, 10, False),
        (LogEntry(frozenset({"a"}), frozenset(), 0), set(), {"a"}, False, 10, True),
        (LogEntry(frozenset(), frozenset({"a"}), 0), set(), {"a", "b"}, True, 10, False),
        (LogEntry(frozenset({"a"}), frozenset(), 0), {"a"}, set(), True, 99, False),
        (LogEntry(frozenset({"a"}), frozenset(), 0), {"a"}, set(), True, 100, True),
    ],
)
def test_needs_update_table(
    entry: LogEntry | None,
    firing: set[str],
    resolved: set[str],
    send_resolved: bool,
    now: float,
    expected: bool,
) -> None:
    decision = needs_update(
        entry,
        frozenset(firing),
        frozenset(resolved),
        repeat_interval=100,
        send_resolved=send_resolved,
        now=now,
    )
    assert decision is expected


def test_notification_log_forgets_groups_gone_for_the_retention_period() -> None:
    src = Scripted()
    h = Harness([src.rule("A")])
    src.on("A", "1")
    h.run_until(30)
    src.off("A", "1")
    h.run_until(400)
    assert len(h.manager.dispatcher.log) == 1  # kept: a re-fire within 120 h compares against it
    h.manager.evaluate(121 * 3600.0)
    assert h.manager.dispatcher.log == {}


def test_evaluate_without_now_reads_the_injected_clock() -> None:
    from codeopt_runtime.alerting.manager import AlertManager
    from codeopt_runtime.alerting.rules import AlertRule

    clock = [1000.0]
    sent: list[Notification] = []
    manager = AlertManager(
        rules=[AlertRule("A", lambda ctx: True, for_="1m")],
        receivers=[Receiver("team", [sent.append])],
        clock=lambda: clock[0],
    )
    for _ in range(4):
        result = manager.evaluate()
        clock[0] += 30
    assert result.now == 1090 and [n.timestamp for n in sent] == [1090]  # fired 1060, group_wait 30 s
    assert manager.stats()["firing"] == 1
