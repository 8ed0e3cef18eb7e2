"""Predictive scaling: a forecast of the load sets a replica *floor* one provisioning delay ahead.

The rules are AWS EC2 predictive scaling's, for the same reasons:

* **enough history first** (default two seasons, e.g. 48 h of 5-minute steps; AWS asks for 24 h):
  before that :meth:`PredictiveScaler.floor` returns ``None`` and the reactive scaler alone decides;
* **a floor, not a target**: the result is ``max(reactive, floor)``, so a forecast can add replicas
  ahead of a ramp but never remove one; scale-in only ever follows the reactive scaler's metrics;
* **one provisioning delay ahead**: replicas asked for now are ready ``provisioning_delay`` seconds
  later, so the floor covers the forecast load from ``now + delay`` until one step after it;
* **only when it has been right**: every forecast made at the provisioning horizon is scored when the
  real value arrives (a live backtest); the floor applies only while the MAPE of the last
  ``backtest_window`` scored forecasts is at most ``max_mape`` (and at least ``min_backtests`` exist).

Observations are the mean load over fixed steps (``observe(load, at)`` once per ``step`` seconds: the
season is counted in observations, so a missed step must be filled in, e.g. with the last value); the
floor is ``ceil(forecast / load_per_replica)``, where ``load_per_replica`` is the load one replica
carries *at the reactive scaler's target* (capacity x target utilisation), so both scalers aim at the
same utilisation.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .errors import ScalingConfigError
from .forecast import Forecaster, SeasonalNaive, fit_holt_winters

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .backends import Backend
    from .hpa import Metric, ResourceAwareScaler

__all__ = ["PredictiveScaler", "PredictiveStatus"]


@dataclass(frozen=True)
class PredictiveStatus:
    """Why the floor is (not) applied right now, with the numbers behind it."""

    active: bool
    reason: str
    observations: int
    backtests: int
    mape: float | None
    floor: int | None


class PredictiveScaler:
    """Forecast-driven replica floor with live backtests; combine with a reactive scaler."""

    def __init__(
        self,
        *,
        step: float,
        season_length: int,
        load_per_replica: float,
        provisioning_delay: float = 300.0,
        method: Literal["holt_winters", "seasonal_naive"] = "holt_winters",
        min_history: int | None = None,
        backtest_window: int | None = None,
        min_backtests: int = 12,
        max_mape: float = 0.2,
        refit_every: int | None = None,
        fit_window: int | None = None,
        max_replicas: int | None = None,
        engine: Literal["python", "statsmodels"] = "python",
    ) -> None:
        if step <= 0 or season_length < 1 or load_per_replica <= 0 or provisioning_delay < 0:
            raise ScalingConfigError("step, season_length and load_per_replica must be > 0, the delay >= 0")
        if method not in ("holt_winters", "seasonal_naive"):
            raise ScalingConfigError(f"unknown forecast method {method!r}")
        self.step = step
        self.season_length = season_length
        self.load_per_replica = load_per_replica
        self.provisioning_delay = provisioning_delay
        self.method = method
        self.min_history = max(min_history or 2 * season_length, 2 * season_length)
        self.min_backtests = min_backtests
        self.max_mape = max_mape
        self.refit_every = refit_every or season_length
        self.fit_window = max(fit_window or 4 * season_length, 2 * season_length)
        self.max_replicas = max_replicas
        self.engine = engine
        self.horizon = max(1, math.ceil(provisioning_delay / step))
        self._history: deque[float] = deque(maxlen=max(self.fit_window, self.min_history))
        self._errors: deque[float] = deque(maxlen=backtest_window or season_length)
        self._pending: dict[int, float] = {}
        self._model: Forecaster | None = None
        self._count = 0
        self._since_fit = 0
        self._last_at: float | None = None
        self._lock = threading.Lock()

    # -- input --------------------------------------------------------------------------------------
    def observe(self, load: float, at: float) -> None:
        """Record the mean load of the step that ended at ``at`` (seconds, same clock as ``floor``)."""
        with self._lock:
            self._score(load)
            self._history.append(float(load))
            self._count += 1
            self._last_at = at
            if self._model is not None:
                self._model.update(float(load))
                self._since_fit += 1
            due = self._model is None or self._since_fit >= self.refit_every
            if due and self._count >= self.min_history:
                self._refit()
            if self._model is not None:
                self._pending[self._count + self.horizon] = self._model.forecast(self.horizon)

    def _score(self, actual: float) -> None:
        """Live backtest: compare the forecast made ``horizon`` steps ago for this step."""
        predicted = self._pending.pop(self._count + 1, None)
        if predicted is not None and actual > 0:
            self._errors.append(abs(actual - predicted) / actual)

    def _refit(self) -> None:
        history = list(self._history)[-self.fit_window :]
        if self.method == "seasonal_naive":
            self._model = SeasonalNaive(self.season_length, history)
        else:
            self._model = fit_holt_winters(history, self.season_length, engine=self.engine)
        self._since_fit = 0

    # -- output -------------------------------------------------------------------------------------
    def forecast(self, horizon: int) -> float | None:
        """The forecast load ``horizon`` steps after the last observation, or ``None`` without a model."""
        with self._lock:
            return None if self._model is None else self._model.forecast(horizon)

    def backtest_mape(self) -> float | None:
        """MAPE of the recent live forecasts at the provisioning horizon (a fraction)."""
        with self._lock:
            return sum(self._errors) / len(self._errors) if self._errors else None

    def status(self, now: float | None = None) -> PredictiveStatus:
        """Whether the floor applies, and why not when it does not."""
        with self._lock:
            backtests = len(self._errors)
            error = sum(self._errors) / backtests if backtests else None
            if self._model is None or self._last_at is None:
                return PredictiveStatus(False, "insufficient history", self._count, backtests, error, None)
            if backtests < self.min_backtests:
                return PredictiveStatus(False, "awaiting backtests", self._count, backtests, error, None)
            if error is not None and error > self.max_mape:
                return PredictiveStatus(False, "backtests inaccurate", self._count, backtests, error, None)
            floor = self._floor(self._last_at if now is None else now)
            return PredictiveStatus(True, "active", self._count, backtests, error, floor)

    def _floor(self, now: float) -> int:
        assert self._model is not None and self._last_at is not None
        start = now + self.provisioning_delay - self._last_at
        first = max(1, math.floor(start / self.step) + 1)
        last = max(first, math.floor((start + self.step) / self.step) + 1)
        load = max(self._model.forecast(h) for h in range(first, last + 1))
        replicas = max(0, math.ceil(load / self.load_per_replica - 1e-9))
        return replicas if self.max_replicas is None else min(replicas, self.max_replicas)

    def floor(self, now: float | None = None) -> int | None:
        """Replicas needed ``provisioning_delay`` after ``now`` by the forecast; ``None`` when inactive."""
        return self.status(now).floor

    def recommend(self, reactive: int, now: float | None = None) -> int:
        """``max(reactive, floor)``: the forecast can only add replicas, never take them away."""
        floor = self.floor(now)
        return reactive if floor is None else max(reactive, floor)

    def reconcile(
        self,
        reactive: ResourceAwareScaler,
        backend: Backend,
        metrics: Iterable[Metric],
        *,
        now: float,
    ) -> int:
        """One control-loop pass: the HPA decides, the floor may raise it, the backend gets the result.

        Replicas the floor adds are recorded with the reactive scaler, so its rate policies count them.
        """
        current = backend.current_replicas()
        decision = reactive.decide(current, metrics, now=now)
        desired = min(self.recommend(decision.desired, now), reactive.max_replicas)
        if desired != decision.desired:
            reactive.record_scale(decision.desired, desired, now=now)
        if desired != current:
            backend.scale_to(desired)
        return desired
