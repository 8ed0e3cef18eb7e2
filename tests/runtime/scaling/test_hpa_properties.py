"""Invariants of the HPA decisions over random metric sequences (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from codeopt_runtime.scaling import ResourceAwareScaler, ResourceMetric

steps = st.lists(
    st.tuples(st.sampled_from([5.0, 15.0, 60.0, 200.0]), st.floats(0.0, 3.0), st.integers(0, 3)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(steps=steps, start=st.integers(2, 30))
def test_decisions_respect_bounds_rates_and_the_stabilisation_window(
    steps: list[tuple[float, float, int]], start: int
) -> None:
    hpa = ResourceAwareScaler(min_replicas=2, max_replicas=30, clock=lambda: 0.0)
    now, current = 0.0, start
    history: list[tuple[float, int]] = []  # (time, recommendation)
    replicas: list[tuple[float, int]] = [(0.0, start)]  # (time, replicas after the decision)
    for dt, usage, unready in steps:
        now += dt
        ready = max(current - unready, 1)
        metric = ResourceMetric("cpu", 60.0, [usage] * ready, 1.0, unready=current - ready)
        d = hpa.decide(current, [metric], now=now)
        assert 2 <= d.desired <= 30
        # default scale-up policies (+100% or +4 pods per 15 s) count from the replicas at the start of the
        # period, i.e. after every change made up to 15 s ago (the controller's periodStartReplicas)
        period_start = next(n for at, n in reversed(replicas) if at <= now - 15.0 or at == 0.0)
        assert d.desired <= max(2 * period_start, period_start + 4, current)
        history.append((now, d.recommendation))
        window_max = max(rec for at, rec in history if at > now - 300.0)
        assert d.desired >= min(current, window_max)  # no scale-down below a recent recommendation
        if d.desired > current:
            assert d.recommendation > current  # only the metrics can ask for more
        current = d.desired
        replicas.append((now, current))


@settings(max_examples=100, deadline=None)
@given(replicas=st.integers(2, 30), utilization=st.integers(55, 65))
def test_within_tolerance_nothing_changes(replicas: int, utilization: int) -> None:
    hpa = ResourceAwareScaler(min_replicas=1, max_replicas=40, clock=lambda: 0.0)
    metric = ResourceMetric("cpu", 60.0, [utilization / 100] * replicas)
    # |1 - u/60| <= 5/60 < 0.1 for u in 55..65
    assert hpa.decide(replicas, [metric], now=0.0).desired == replicas
