"""Multiwindow, multi-burn-rate SLO alerts on a synthetic counter stream (1-minute samples).

SLO 99.9% (budget 0.1%), 1000 requests a minute. After 3 clean days an incident fails 2.5% of
requests (burn rate 25) for 250 minutes. Hand-computed with k = minutes into the incident:
* page, 1 h AND 5 min above 14.4: 1 h burn = 25k/60 > 14.4 -> k = 35 (5 min burn is 25 by then).
* ticket, 3 d AND 6 h above 1: 3 d burn = 25k/4320 > 1 -> k = 173.
* after the incident stops (j minutes), the page holds through the 6 h/30 min pair while the 30 min
  burn 25(30-j)/30 > 6, i.e. j <= 22, and resolves at j = 23.
"""

from __future__ import annotations

import pytest

from codeopt_runtime.alerting.burnrate import SLO, CounterWindow, burn_rate_rules
from codeopt_runtime.alerting.errors import ConfigError
from codeopt_runtime.alerting.manager import AlertManager
from codeopt_runtime.alerting.metrics import MetricsCollector

MINUTE = 60.0
CLEAN = 3 * 1440


def test_page_and_ticket_fire_and_reset_at_the_hand_computed_minutes() -> None:
    collector = MetricsCollector(system=False)
    requests = collector.counter("requests_total")
    errors = collector.counter("errors_total")
    slo = SLO("api-availability", 0.999, total="requests_total", bad="errors_total")
    manager = AlertManager(rules=burn_rate_rules(slo), collector=collector)
    fired: dict[str, float] = {}
    labels: dict[str, str] = {}
    resolved: dict[str, float] = {}
    for minute in range(CLEAN + 250 + 60):
        requests.inc(1000)
        if CLEAN < minute <= CLEAN + 250:
            errors.inc(25)
        result = manager.evaluate(minute * MINUTE)
        for alert in result.fired:
            fired.setdefault(alert.labels["severity"], minute - CLEAN)
            labels.update(alert.labels)
        for alert in result.resolved:
            resolved.setdefault(alert.labels["severity"], minute - CLEAN - 250)
    assert fired == {"page": 35, "ticket": 173}
    assert resolved["page"] == 23
    assert labels["slo"] == "api-availability" and labels["alertname"] == "ErrorBudgetBurn"


def test_short_blips_do_not_page_but_a_short_full_outage_does() -> None:
    """3 min at 5% errors burns 0.35% of a 30-day budget: 1 h burn 150/60000/0.001 = 2.5, no page
    (a per-minute threshold at 14.4x the budget would fire 3 times). 3 min at 100% burns 6.9%:
    1 h burn 50 and 5 min burn 600, a page."""
    for error_share, expect_page in ((0.05, False), (1.0, True)):
        slo = SLO("s", 0.999)
        bad = total = 0.0
        pages = []
        for minute in range(600):
            total += 1000
            if 300 <= minute < 303:
                bad += 1000 * error_share
            slo.record(minute * MINUTE, total=total, bad=bad)
            pages.append(slo.burning("page"))
        assert all(p is None for p in pages[:300])
        assert any(p is not None for p in pages[300:]) is expect_page
        assert slo.burning("page") is None  # reset once the 5 min window moved past the blip


def test_counter_window_exact_increase_resets_and_duplicates() -> None:
    window = CounterWindow(keep=600)
    for t, bad, total in [(0, 0, 0), (60, 1, 100), (120, 3, 200), (180, 1, 50), (240, 2, 150)]:
        window.record(t, bad, total)
    window.record(240, 99, 999)  # same instant: ignored
    # reset at 180: offsets add the last raw values (3, 200); corrected series 0,1,3,4,5 / 0,100,200,250,350
    assert window.increase(60) == (1.0, 100.0)
    assert window.increase(120) == (2.0, 150.0)
    assert window.increase(10_000) == (5.0, 350.0)  # older than kept: from the oldest sample


def test_good_counter_and_budget() -> None:
    slo = SLO("s", 0.99, total=lambda ctx: 100.0 * ctx.now, good=lambda ctx: 99.0 * ctx.now)
    from codeopt_runtime.alerting.rules import EvalContext

    for t in range(0, 3600, 60):
        slo.sample(EvalContext(float(t)))
    assert slo.error_budget == pytest.approx(0.01)
    assert slo.error_ratio(600) == pytest.approx(0.01)
    assert slo.burn_rate(600) == pytest.approx(1.0)
    assert slo.budget_remaining() == pytest.approx(0.0, abs=1e-9)


def test_slo_configuration_errors() -> None:
    with pytest.raises(ConfigError):
        SLO("s", 1.0)
    with pytest.raises(ConfigError):
        SLO("s", 0.9, good="a", bad="b")
    with pytest.raises(ConfigError):
        SLO("s", 0.9).record(0, total=1)
