"""Load forecasts for predictive scaling: seasonal naive and additive Holt-Winters, pure Python.

Why these two: on diurnal service load, seasonal naive ("same time yesterday") is the baseline every
forecast must beat and is often close (AWS reports MAPE 4.16 % for it against 4.1 % for Holt-Winters /
ETS on a 14-day series, for a fraction of the fitting cost), while Holt-Winters also follows level
shifts and growth. Both update online in O(1) per observation, so a scaler refits the smoothing
parameters occasionally and just feeds observations in between.

Additive Holt-Winters with season length ``m`` (Hyndman & Athanasopoulos, *Forecasting: Principles and
Practice*, 3rd ed., section 8.3, with the seasonal update taken against the new level)::

    level_t  = alpha * (x_t - season_{t-m}) + (1 - alpha) * (level_{t-1} + trend_{t-1})
    trend_t  = beta * (level_t - level_{t-1}) + (1 - beta) * trend_{t-1}
    season_t = gamma * (x_t - level_t) + (1 - gamma) * season_{t-m}
    forecast_{t+h} = level_t + h * trend_t + season_{t+h-m*(floor((h-1)/m)+1)}

Initialisation from the first two seasons (level = mean of season 1, trend = difference of the two
season means / m, seasonal indices = season 1 minus its mean). Parameters are fitted by minimising
the sum of squared one-step errors: a coarse grid, then coordinate refinement. With
``engine="statsmodels"`` the parameters come from ``statsmodels``' optimiser instead (imported lazily;
it is an optional dependency).
"""

from __future__ import annotations

import importlib
import itertools
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from .errors import ScalingConfigError

__all__ = [
    "Forecaster",
    "HoltWinters",
    "HoltWintersParams",
    "SeasonalNaive",
    "fit_holt_winters",
    "mape",
]

ALPHAS = (0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9)
BETAS = (0.0, 0.01, 0.05)
GAMMAS = (0.05, 0.1, 0.2, 0.4)


class Forecaster(Protocol):
    """A model that folds observations in one at a time and forecasts ``h`` steps past the last one."""

    def update(self, value: float) -> None: ...

    def forecast(self, horizon: int) -> float: ...


def mape(actual: Sequence[float], predicted: Sequence[float]) -> float:
    """Mean absolute percentage error (a fraction), over the points whose actual value is not 0."""
    pairs = [(a, p) for a, p in zip(actual, predicted, strict=True) if a != 0]
    if not pairs:
        raise ScalingConfigError("MAPE needs at least one non-zero actual value")
    return sum(abs(a - p) / abs(a) for a, p in pairs) / len(pairs)


class SeasonalNaive:
    """Forecast = the value one season earlier (for ``h > m``: the same phase in the last season)."""

    def __init__(self, season_length: int, history: Iterable[float] = ()) -> None:
        if season_length < 1:
            raise ScalingConfigError(f"season_length must be >= 1, got {season_length}")
        self.season_length = season_length
        self._last: deque[float] = deque(history, maxlen=season_length)

    def update(self, value: float) -> None:
        self._last.append(value)

    def forecast(self, horizon: int) -> float:
        if len(self._last) < self.season_length:
            raise ScalingConfigError("seasonal naive needs one full season of history")
        return self._last[(horizon - 1) % self.season_length]


@dataclass(frozen=True)
class HoltWintersParams:
    """Smoothing factors for level, trend and season, each in [0, 1]."""

    alpha: float
    beta: float
    gamma: float


def _initial_state(series: Sequence[float], m: int) -> tuple[float, float, list[float]]:
    if len(series) < 2 * m:
        raise ScalingConfigError(f"Holt-Winters needs two seasons ({2 * m} points), got {len(series)}")
    first = sum(series[:m]) / m
    second = sum(series[m : 2 * m]) / m
    return first, (second - first) / m, [x - first for x in series[:m]]


def _sse(series: Sequence[float], m: int, p: HoltWintersParams) -> float:
    """Sum of squared one-step errors from the second season on (the hot loop of fitting)."""
    level, trend, season = _initial_state(series, m)
    a, b, g = p.alpha, p.beta, p.gamma
    sse = 0.0
    for t in range(m, len(series)):
        x = series[t]
        i = t % m
        s = season[i]
        err = x - (level + trend + s)
        sse += err * err
        new_level = a * (x - s) + (1.0 - a) * (level + trend)
        trend = b * (new_level - level) + (1.0 - b) * trend
        season[i] = g * (x - new_level) + (1.0 - g) * s
        level = new_level
    return sse


def _refine(series: Sequence[float], m: int, best: HoltWintersParams, score: float) -> HoltWintersParams:
    """Coordinate descent around the grid's best point, halving the step each round."""
    step = 0.05
    for _ in range(4):
        improved = True
        while improved:
            improved = False
            for field, delta in itertools.product(("alpha", "beta", "gamma"), (-step, step)):
                value = min(max(getattr(best, field) + delta, 0.0), 1.0)
                candidate = HoltWintersParams(**{**best.__dict__, field: value})
                s = _sse(series, m, candidate)
                if s < score:
                    best, score, improved = candidate, s, True
        step /= 2
    return best


def _fit_python(series: Sequence[float], m: int) -> HoltWintersParams:
    grid = (HoltWintersParams(a, b, g) for a, b, g in itertools.product(ALPHAS, BETAS, GAMMAS))
    scored = min(((_sse(series, m, p), i, p) for i, p in enumerate(grid)), key=lambda t: (t[0], t[1]))
    return _refine(series, m, scored[2], scored[0])


def _fit_statsmodels(series: Sequence[float], m: int) -> HoltWintersParams:
    try:
        holtwinters = importlib.import_module("statsmodels.tsa.holtwinters")
    except ImportError as exc:
        raise ScalingConfigError("engine='statsmodels' needs the statsmodels package") from exc
    fitted = holtwinters.ExponentialSmoothing(
        list(series), trend="add", seasonal="add", seasonal_periods=m
    ).fit()
    params = fitted.params
    level, trend, season = (
        float(params[k]) for k in ("smoothing_level", "smoothing_trend", "smoothing_seasonal")
    )
    return HoltWintersParams(level, trend, season)


class HoltWinters:
    """Additive Holt-Winters state that updates online; build one with :func:`fit_holt_winters`."""

    def __init__(self, season_length: int, params: HoltWintersParams, history: Sequence[float]) -> None:
        self.season_length = season_length
        self.params = params
        self.level, self.trend, self.season = _initial_state(history, season_length)
        self._phase = 0  # seasonal index of the next observation: t % m, and t starts at m
        for x in history[season_length:]:
            self.update(x)

    def update(self, value: float) -> None:
        a, b, g = self.params.alpha, self.params.beta, self.params.gamma
        i = self._phase
        s = self.season[i]
        new_level = a * (value - s) + (1.0 - a) * (self.level + self.trend)
        self.trend = b * (new_level - self.level) + (1.0 - b) * self.trend
        self.season[i] = g * (value - new_level) + (1.0 - g) * s
        self.level = new_level
        self._phase = (i + 1) % self.season_length

    def forecast(self, horizon: int) -> float:
        if horizon < 1:
            raise ScalingConfigError(f"horizon must be >= 1, got {horizon}")
        index = (self._phase + horizon - 1) % self.season_length
        return self.level + horizon * self.trend + self.season[index]


def fit_holt_winters(
    series: Sequence[float], season_length: int, *, engine: Literal["python", "statsmodels"] = "python"
) -> HoltWinters:
    """Fit the smoothing parameters on ``series`` and return the model positioned after its last point."""
    values = [float(x) for x in series]
    _initial_state(values, season_length)  # validates the length before any work
    params = (
        _fit_statsmodels(values, season_length)
        if engine == "statsmodels"
        else _fit_python(values, season_length)
    )
    return HoltWinters(season_length, params, values)
