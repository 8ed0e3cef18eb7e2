"""Seasonal naive and additive Holt-Winters on synthetic seasonal series."""

from __future__ import annotations

import importlib.util
import math
import random

import pytest

from codeopt_runtime.scaling import HoltWinters, ScalingConfigError, SeasonalNaive, fit_holt_winters, mape

M = 48  # one "day" of 30-minute steps


def seasonal(days: int, *, trend: float = 0.0, noise: float = 0.0, seed: int = 3) -> list[float]:
    rng = random.Random(seed)
    return [
        200
        + 80 * math.sin(2 * math.pi * t / M)
        + 30 * math.cos(4 * math.pi * t / M)
        + trend * t
        + rng.gauss(0, noise)
        for t in range(days * M)
    ]


def one_step_forecasts(model: HoltWinters | SeasonalNaive, future: list[float]) -> list[float]:
    out = []
    for x in future:
        out.append(model.forecast(1))
        model.update(x)
    return out


def test_holt_winters_forecasts_a_noisy_trending_season_closely() -> None:
    series = seasonal(8, trend=0.2, noise=4.0)
    model = fit_holt_winters(series[: 6 * M], M)
    future = series[6 * M :]
    assert mape(future, one_step_forecasts(model, future)) < 0.03
    # multi-step: a whole season ahead from the fitted state, without updates
    model = fit_holt_winters(series[: 6 * M], M)
    ahead = [model.forecast(h) for h in range(1, M + 1)]
    assert mape(series[6 * M : 7 * M], ahead) < 0.05


def test_holt_winters_follows_a_trend_seasonal_naive_lags_behind() -> None:
    series = seasonal(8, trend=1.0)
    hw = fit_holt_winters(series[: 6 * M], M)
    naive = SeasonalNaive(M, series[: 6 * M])
    future = series[6 * M :]
    hw_error = mape(future, one_step_forecasts(hw, future))
    naive_error = mape(future, one_step_forecasts(naive, future))
    assert hw_error < 0.01 < naive_error  # naive is off by one day of growth (48 units)


def test_seasonal_naive_is_exact_on_a_periodic_series_and_wraps_horizons() -> None:
    series = seasonal(3)
    naive = SeasonalNaive(M, series[:M])
    assert one_step_forecasts(naive, series[M:]) == pytest.approx(series[M:])
    naive = SeasonalNaive(M, series[:M])
    assert (
        naive.forecast(1) == series[0]
        and naive.forecast(M + 1) == series[0]
        and naive.forecast(M) == series[M - 1]
    )


def test_holt_winters_on_an_exact_season_learns_it() -> None:
    series = seasonal(4)
    model = fit_holt_winters(series, M)
    assert [model.forecast(h) for h in range(1, M + 1)] == pytest.approx(series[:M], rel=1e-3)


def test_fitting_needs_two_seasons() -> None:
    with pytest.raises(ScalingConfigError, match="two seasons"):
        fit_holt_winters(seasonal(1), M)
    with pytest.raises(ScalingConfigError):
        SeasonalNaive(M, [1.0] * (M - 1)).forecast(1)


def test_mape_skips_zero_actuals() -> None:
    assert mape([0, 100, 200], [5, 110, 180]) == pytest.approx(0.1)
    with pytest.raises(ScalingConfigError):
        mape([0], [1])


@pytest.mark.skipif(importlib.util.find_spec("statsmodels") is not None, reason="statsmodels installed")
def test_statsmodels_engine_without_statsmodels_says_so() -> None:
    with pytest.raises(ScalingConfigError, match="statsmodels"):
        fit_holt_winters(seasonal(3), M, engine="statsmodels")
