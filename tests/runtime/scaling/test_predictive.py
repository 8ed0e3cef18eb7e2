"""PredictiveScaler: defers without history, floors one provisioning delay ahead, never scales in on a
forecast, and switches itself off when its live backtests are inaccurate."""

from __future__ import annotations

import random

import pytest

from codeopt_runtime.scaling import PredictiveScaler, ScalingConfigError

STEP = 300.0
M = 24  # a two-hour "day" of 5-minute steps keeps the tests small


def square_day(phase: int) -> float:
    """Load 100 in the first half of the day, 500 in the second."""
    return 100.0 if phase < M // 2 else 500.0


def feed(p: PredictiveScaler, loads: list[float], start: int = 0) -> float:
    at = 0.0
    for i, load in enumerate(loads, start=start):
        at = (i + 1) * STEP
        p.observe(load, at)
    return at


def make(**kwargs: object) -> PredictiveScaler:
    kwargs.setdefault("method", "seasonal_naive")
    kwargs.setdefault("min_backtests", 4)
    return PredictiveScaler(
        step=STEP,
        season_length=M,
        load_per_replica=100.0,
        provisioning_delay=STEP,
        **kwargs,  # type: ignore[arg-type]
    )


def test_defers_to_reactive_until_two_seasons_of_history() -> None:
    p = make()
    feed(p, [square_day(t % M) for t in range(2 * M - 1)])
    assert p.status().reason == "insufficient history"
    assert p.floor() is None
    assert p.recommend(3) == 3


def test_waits_for_backtests_then_acts() -> None:
    p = make()
    feed(p, [square_day(t % M) for t in range(2 * M + 2)])
    assert p.status().reason == "awaiting backtests"
    feed(p, [square_day(t % M) for t in range(2 * M + 2, 3 * M)], start=2 * M + 2)
    status = p.status()
    assert status.active and status.mape == 0.0 and status.backtests >= 4


def test_floor_covers_the_load_one_provisioning_delay_ahead() -> None:
    p = make()
    # stop right after phase 10 of day 4: the next step (phase 11) is low, the one after (12) high
    at = feed(p, [square_day(t % M) for t in range(3 * M + 11)])
    assert p.forecast(1) == 100.0 and p.forecast(2) == 500.0
    # replicas asked for now are ready at now + 300 s, i.e. during phase 12: the floor is already 5
    assert p.floor(at) == 5
    assert p.recommend(2, at) == 5


def test_never_scales_in_on_a_forecast() -> None:
    p = make()
    at = feed(p, [square_day(t % M) for t in range(3 * M + 1)])  # next steps are low (100)
    assert p.floor(at) == 1
    assert p.recommend(7, at) == 7  # reactive wants 7: the low forecast removes nothing


def test_holt_winters_floor_tracks_a_noisy_season() -> None:
    rng = random.Random(5)
    p = make(method="holt_winters", max_mape=0.1)
    at = feed(p, [square_day(t % M) * rng.uniform(0.97, 1.03) for t in range(4 * M + 11)])
    status = p.status(at)
    assert status.active and status.mape is not None and status.mape < 0.1
    assert status.floor in (5, 6)


def test_switches_itself_off_when_backtests_go_bad_and_back_on_when_they_recover() -> None:
    rng = random.Random(1)
    p = make(backtest_window=M // 2)
    feed(p, [square_day(t % M) for t in range(3 * M)])
    assert p.status().active
    t = 3 * M
    chaos = [rng.choice([50.0, 900.0]) for _ in range(M // 2)]
    at = feed(p, chaos, start=t)
    status = p.status(at)
    assert (status.active, status.reason) == (False, "backtests inaccurate")
    assert status.mape is not None and status.mape > 0.2
    assert p.recommend(3, at) == 3
    # the season comes back; after a refit and a window of good forecasts it acts again
    t += len(chaos)
    feed(p, [square_day(i % M) for i in range(t, t + 3 * M)], start=t)
    assert p.status().active


def test_max_replicas_caps_the_floor() -> None:
    p = make(max_replicas=3)
    at = feed(p, [square_day(t % M) for t in range(3 * M + 11)])
    assert p.floor(at) == 3


def test_invalid_settings() -> None:
    with pytest.raises(ScalingConfigError):
        PredictiveScaler(step=0, season_length=M, load_per_replica=1)
    with pytest.raises(ScalingConfigError):
        PredictiveScaler(step=60, season_length=M, load_per_replica=1, method="arima")  # type: ignore[arg-type]


class _Backend:
    def __init__(self, replicas: int) -> None:
        self.replicas = replicas

    def current_replicas(self) -> int:
        return self.replicas

    def ready_replicas(self) -> int:
        return self.replicas

    def scale_to(self, replicas: int) -> None:
        self.replicas = replicas


def test_reconcile_combines_the_hpa_and_the_floor_on_a_backend() -> None:
    from codeopt_runtime.scaling import ResourceAwareScaler, ResourceMetric

    p = make()
    at = feed(p, [square_day(t % M) for t in range(3 * M + 11)])  # floor 5 for the next step
    calm = ResourceMetric("cpu", 50.0, [0.5, 0.5])  # the HPA alone keeps 2
    capped = ResourceAwareScaler(min_replicas=1, max_replicas=4)
    assert p.reconcile(capped, _Backend(2), [calm], now=at) == 4  # floor 5, capped at max_replicas
    hpa = ResourceAwareScaler(min_replicas=1, max_replicas=20)
    backend = _Backend(2)
    assert p.reconcile(hpa, backend, [calm], now=at) == 5
    assert backend.replicas == 5
    # the floor's +3 counts in the HPA's rate policies: period start 5 - 3 = 2, so at most
    # max(2 * 2, 2 + 4) = 6 within 15 s (10 without the record)
    hot = ResourceMetric("cpu", 50.0, [1.0] * 5)
    assert hpa.decide(5, [hot], now=at + 1).desired == 6
