"""SPEC RG elasticity metrics on a tiny trace computed by hand."""

from __future__ import annotations

import pytest

from codeopt_runtime.scaling import ScalingConfigError, elasticity_metrics

# t:       0  1  2  3  4  5
DEMAND = [2, 4, 4, 2, 2, 3]
SUPPLY = [2, 2, 4, 4, 2, 3]


def test_hand_computed_trace() -> None:
    r = elasticity_metrics(DEMAND, SUPPLY)
    # t1: under by (4-2)/4 = 0.5; t3: over by (4-2)/2 = 1.0; elsewhere equal; T = 6
    assert r.under_accuracy == pytest.approx(0.5 / 6)
    assert r.over_accuracy == pytest.approx(1.0 / 6)
    assert r.under_timeshare == pytest.approx(1 / 6)
    assert r.over_timeshare == pytest.approx(1 / 6)
    assert r.accuracy == pytest.approx(5 / 6)
    # supply lags demand at t1..t4 (one moves, the other not); both rise at t5: 4 of 5 steps
    assert r.instability == pytest.approx(4 / 5)
    assert r.jitter == 0.0  # 3 supply changes, 3 demand changes
    assert r.supply_time == 17 and r.demand_time == 17 and r.total_time == 6


def test_durations_weight_the_samples() -> None:
    r = elasticity_metrics([2, 4], [2, 2], dt=[1.0, 3.0])
    assert r.under_timeshare == pytest.approx(3 / 4)
    assert r.under_accuracy == pytest.approx(0.5 * 3 / 4)
    assert r.supply_time == pytest.approx(2 * 1 + 2 * 3)


def test_zero_demand_counts_in_timeshare_not_in_relative_accuracy() -> None:
    r = elasticity_metrics([0, 2], [1, 2])
    assert r.over_timeshare == pytest.approx(0.5)
    assert r.over_accuracy == 0.0


def test_perfect_supply_scores_perfectly() -> None:
    r = elasticity_metrics([1, 3, 2], [1, 3, 2])
    assert (r.under_accuracy, r.over_accuracy, r.under_timeshare, r.over_timeshare) == (0, 0, 0, 0)
    assert r.instability == 0.0 and r.accuracy == 1.0


@pytest.mark.parametrize(
    ("demand", "supply", "dt"),
    [([1, 2], [1], 1.0), ([], [], 1.0), ([1], [1], 0.0), ([1, 2], [1, 2], [1.0])],
)
def test_bad_input_is_a_config_error(
    demand: list[float], supply: list[float], dt: float | list[float]
) -> None:
    with pytest.raises(ScalingConfigError):
        elasticity_metrics(demand, supply, dt)
