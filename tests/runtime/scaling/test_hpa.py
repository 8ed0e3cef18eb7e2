"""ResourceAwareScaler against decisions computed by hand from the Kubernetes HPA formulas.

``desired = ceil(current * current_metric / target)``; tolerance 0.1; scale-down stabilisation: the
highest recommendation of the last 300 s; scale-up: max(+100 %, +4 pods) per 15 s; missing pods 0 %
on scale-up, 100 % on scale-down; unready pods 0 % on scale-up.
"""

from __future__ import annotations

import pytest

from codeopt_runtime.scaling import (
    ExternalMetric,
    PodsMetric,
    ResourceAwareScaler,
    ResourceMetric,
    ScalingConfigError,
    ScalingPolicy,
    ScalingRules,
)
from tests.runtime.helpers import FakeClock

NO_WINDOW_DOWN = ScalingRules(0.0, (ScalingPolicy("percent", 100, 15.0),))


def cpu(*usage: float, target: float = 50.0, unready: int = 0, missing: int = 0) -> ResourceMetric:
    return ResourceMetric("cpu", target, usage, request=1.0, unready=unready, missing=missing)


def scaler(clock: FakeClock, **kwargs: object) -> ResourceAwareScaler:
    kwargs.setdefault("max_replicas", 100)
    return ResourceAwareScaler(clock=clock, **kwargs)  # type: ignore[arg-type]


class TestRatio:
    def test_scale_up_is_ceil_of_current_times_ratio(self, clock: FakeClock) -> None:
        d = scaler(clock).decide(4, [cpu(0.9, 0.9, 0.9, 0.9)])
        # 90 % / 50 % = 1.8; ceil(1.8 * 4) = ceil(7.2) = 8; limit max(4*2, 4+4) = 8
        assert (d.recommendation, d.desired) == (8, 8)
        assert d.proposals[0].ratio == pytest.approx(1.8)

    @pytest.mark.parametrize(("usage", "expected"), [(0.54, 4), (0.46, 4), (0.56, 5), (0.44, 4)])
    def test_no_action_within_tolerance(self, clock: FakeClock, usage: float, expected: int) -> None:
        d = scaler(clock, scale_down=NO_WINDOW_DOWN).decide(4, [cpu(*[usage] * 4)])
        # 54/50 = 1.08 and 46/50 = 0.92 are within 0.1; 56/50 = 1.12 -> ceil(4.48) = 5;
        # 44/50 = 0.88 -> ceil(3.52) = 4 (a change too small to remove a pod)
        assert d.desired == expected

    def test_utilisation_is_truncated_to_whole_percent(self, clock: FakeClock) -> None:
        d = scaler(clock).decide(2, [cpu(0.299, 0.3, target=20)])
        # (0.599 / 2) * 100 = 29.95 -> 29 %; 29 / 20 = 1.45; ceil(2.9) = 3
        assert d.proposals[0].ratio == pytest.approx(29 / 20)
        assert d.desired == 3

    def test_the_largest_proposal_wins(self, clock: FakeClock) -> None:
        queue = ExternalMetric("queue", 240.0, target_average=30.0)
        memory = ResourceMetric("memory", 80.0, [0.5] * 4)
        d = scaler(clock).decide(4, [cpu(0.6, 0.6, 0.6, 0.6), queue, memory])
        # cpu 60/50 = 1.2 -> 5; queue ceil(240/30) = 8; memory 50/80 -> 3; max = 8
        assert [p.replicas for p in d.proposals] == [5, 8, 3]
        assert d.desired == 8

    def test_external_value_target_uses_ready_pods(self, clock: FakeClock) -> None:
        metric = ExternalMetric("lag", 300.0, target_value=100.0, ready=3)
        assert scaler(clock).decide(5, [metric]).recommendation == 9  # ceil(3.0 * 3)

    def test_external_metric_needs_a_target(self, clock: FakeClock) -> None:
        with pytest.raises(ScalingConfigError):
            scaler(clock).decide(2, [ExternalMetric("lag", 3.0)])

    def test_pods_metric(self, clock: FakeClock) -> None:
        rps = PodsMetric("rps", target_average=100.0, values=[150.0, 250.0])
        assert scaler(clock).decide(2, [rps]).desired == 4  # avg 200 / 100 = 2; ceil(2 * 2)


class TestMissingAndUnready:
    def test_missing_pods_count_as_zero_on_scale_up(self, clock: FakeClock) -> None:
        d = scaler(clock).decide(4, [cpu(0.9, 0.9, 0.9, missing=1)])
        # ratio 1.8 says up; with the missing pod at 0: 2.7 / 4 = 67 %; 67/50 = 1.34; ceil(5.36) = 6
        assert d.desired == 6

    def test_missing_pods_count_as_full_request_on_scale_down(self, clock: FakeClock) -> None:
        s = scaler(clock, scale_down=NO_WINDOW_DOWN)
        d = s.decide(4, [cpu(0.2, 0.2, 0.2, missing=1)])
        # ratio 0.4 says down; missing at 100 %: 1.6 / 4 = 40 %; 0.8 * 4 = 3.2 -> 4: no scale-down
        assert d.desired == 4
        without_missing = s.decide(3, [cpu(0.2, 0.2, 0.2)])
        assert without_missing.desired == 2  # ceil(0.4 * 3) = 2

    def test_missing_pods_metric_counts_as_target_on_scale_down(self, clock: FakeClock) -> None:
        rps = PodsMetric("rps", target_average=100.0, values=[20.0, 20.0], missing=2)
        d = scaler(clock, scale_down=NO_WINDOW_DOWN).decide(4, [rps])
        # (20 + 20 + 100 + 100) / 4 = 60 -> 0.6 * 4 = 2.4 -> 3
        assert d.desired == 3

    def test_unready_pods_count_as_zero_on_scale_up(self, clock: FakeClock) -> None:
        s = scaler(clock)
        waiting = s.decide(4, [cpu(1.0, 1.0, unready=2)])
        # ratio 2.0; with the 2 unready at 0 %: 2.0 / 4 = 50 % -> ratio 1.0: wait for the new pods
        assert waiting.desired == 4
        hotter = s.decide(4, [cpu(1.5, 1.5, unready=2)])
        # 3.0 / 4 = 75 % -> 1.5; ceil(1.5 * 4) = 6
        assert hotter.desired == 6

    def test_unready_pods_are_left_out_on_scale_down(self, clock: FakeClock) -> None:
        d = scaler(clock, scale_down=NO_WINDOW_DOWN).decide(4, [cpu(0.1, 0.1, unready=2)])
        assert d.desired == 1  # 10/50 = 0.2; ceil(0.2 * 2 ready) = 1

    def test_direction_flip_after_filling_in_keeps_the_count(self, clock: FakeClock) -> None:
        d = scaler(clock).decide(4, [cpu(0.6, missing=3)])
        # 60/50 = 1.2 says up; missing at 0: 0.6 / 4 = 15 % -> 0.3 says down: no change
        assert d.desired == 4

    def test_an_unreadable_metric_blocks_scale_down_only(self, clock: FakeClock) -> None:
        s = scaler(clock, scale_down=NO_WINDOW_DOWN)
        down = s.decide(4, [cpu(0.1, 0.1, 0.1, 0.1), ExternalMetric("q", None, target_average=5)])
        assert (down.desired, down.reason) == (4, "InvalidMetrics")
        up = s.decide(4, [cpu(0.9, 0.9, 0.9, 0.9), ExternalMetric("q", None, target_average=5)])
        assert up.desired == 8
        nothing = s.decide(4, [cpu()])
        assert (nothing.desired, nothing.reason) == (4, "InvalidMetrics")


class TestBehaviour:
    def test_scale_up_rate_max_of_100_percent_and_4_pods_per_15s(self, clock: FakeClock) -> None:
        s = scaler(clock)
        first = s.decide(10, [cpu(*[1.0] * 10, target=20)])
        # 100/20 = 5 -> 50 wanted; limit max(ceil(10 * 2), 10 + 4) = 20
        assert (first.recommendation, first.desired, first.reason) == (50, 20, "ScaleUpLimit")
        clock.advance(10)
        second = s.decide(20, [cpu(*[1.0] * 20, target=20)])
        # +10 happened within 15 s: period start 10 -> limit still 20
        assert second.desired == 20
        clock.advance(6)  # 16 s after the first event
        assert s.decide(20, [cpu(*[1.0] * 20, target=20)]).desired == 40

    def test_small_deployments_may_add_4_pods(self, clock: FakeClock) -> None:
        assert scaler(clock).decide(1, [cpu(1.0, target=10)]).desired == 5  # max(2, 1 + 4)

    def test_scale_down_uses_the_highest_recommendation_of_the_window(self, clock: FakeClock) -> None:
        s = scaler(clock)
        assert s.decide(10, [cpu(*[0.5] * 10)]).desired == 10  # t=0: recommendation 10
        clock.advance(60)
        d = s.decide(10, [cpu(*[0.25] * 10)])  # t=60: wants 5, but 10 is in the window
        assert (d.recommendation, d.stabilized, d.desired) == (5, 10, 10)
        clock.advance(60)
        assert s.decide(10, [cpu(*[0.3] * 10)]).desired == 10  # t=120: wants 6
        clock.advance(180)  # t=300: the t=0 recommendation leaves the window (strictly older)
        d = s.decide(10, [cpu(*[0.25] * 10)])
        assert (d.stabilized, d.desired) == (6, 6)  # max(5 @60, 6 @120, 5 now)

    def test_scale_up_window_uses_the_lowest_recommendation(self, clock: FakeClock) -> None:
        up = ScalingRules(60.0, (ScalingPolicy("percent", 100, 15.0), ScalingPolicy("pods", 4, 15.0)))
        s = scaler(clock, scale_up=up)
        assert s.decide(4, [cpu(0.5, 0.5, 0.5, 0.5)]).desired == 4  # t=0: recommendation 4
        clock.advance(30)
        d = s.decide(4, [cpu(0.9, 0.9, 0.9, 0.9)])  # wants 8, but 4 is in the 60-s window
        assert (d.recommendation, d.stabilized, d.desired) == (8, 4, 4)
        clock.advance(31)  # t=61: only the 8 of t=30 and the 8 now remain
        assert s.decide(4, [cpu(0.9, 0.9, 0.9, 0.9)]).desired == 8

    def test_scale_down_policies(self, clock: FakeClock) -> None:
        rules = ScalingRules(0.0, (ScalingPolicy("pods", 2, 60.0),))
        s = scaler(clock, scale_down=rules)
        d = s.decide(10, [cpu(*[0.1] * 10)])  # wants ceil(0.2 * 10) = 2; at most -2 per 60 s
        assert (d.desired, d.reason) == (8, "ScaleDownLimit")
        clock.advance(30)
        assert s.decide(8, [cpu(*[0.1] * 8)]).desired == 8  # period start is still 10
        clock.advance(31)
        assert s.decide(8, [cpu(*[0.1] * 8)]).desired == 6

    def test_select_min_and_disabled(self, clock: FakeClock) -> None:
        up = ScalingRules(0.0, (ScalingPolicy("percent", 100, 15.0), ScalingPolicy("pods", 4, 15.0)), "min")
        assert scaler(clock, scale_up=up).decide(10, [cpu(*[1.0] * 10, target=20)]).desired == 14
        off = ScalingRules(0.0, (ScalingPolicy("percent", 100, 15.0),), "disabled")
        assert scaler(clock, scale_down=off).decide(10, [cpu(*[0.1] * 10)]).desired == 10

    def test_min_and_max_replicas(self, clock: FakeClock) -> None:
        high = scaler(clock, max_replicas=6).decide(4, [cpu(0.9, 0.9, 0.9, 0.9)])
        assert (high.desired, high.reason) == (6, "TooManyReplicas")
        low = scaler(clock, min_replicas=3, scale_down=NO_WINDOW_DOWN).decide(5, [cpu(*[0.05] * 5)])
        assert (low.desired, low.reason) == (3, "TooFewReplicas")

    def test_outside_the_range_is_corrected_without_metrics(self, clock: FakeClock) -> None:
        s = scaler(clock, min_replicas=2, max_replicas=5)
        assert s.decide(9, []).desired == 5
        assert s.decide(1, []).desired == 2

    def test_zero_replicas_disables_scaling(self, clock: FakeClock) -> None:
        d = scaler(clock).decide(0, [cpu(1.0)])
        assert (d.desired, d.reason) == (0, "ScalingDisabled")

    def test_invalid_settings(self, clock: FakeClock) -> None:
        with pytest.raises(ScalingConfigError):
            ResourceAwareScaler(min_replicas=5, max_replicas=2)
        with pytest.raises(ScalingConfigError):
            ResourceAwareScaler(max_replicas=2, tolerance=1.5)


class _FakeBackend:
    def __init__(self, replicas: int) -> None:
        self.replicas = replicas
        self.calls: list[int] = []

    def current_replicas(self) -> int:
        return self.replicas

    def ready_replicas(self) -> int:
        return self.replicas

    def scale_to(self, replicas: int) -> None:
        self.calls.append(replicas)
        self.replicas = replicas


def test_reconcile_applies_changes_only(clock: FakeClock) -> None:
    backend = _FakeBackend(4)
    s = scaler(clock)
    s.reconcile(backend, [cpu(0.5, 0.5, 0.5, 0.5)])
    assert backend.calls == []
    s.reconcile(backend, [cpu(0.9, 0.9, 0.9, 0.9)])
    assert backend.calls == [8]
