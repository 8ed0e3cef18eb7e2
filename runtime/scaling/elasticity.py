"""SPEC Research Group elasticity metrics: how closely supply followed demand.

A target such as "autoscaling accuracy > 90 %" means nothing until it says what is measured, so the
measures here are the published ones (Herbst et al., "Quantifying Cloud Performance and
Dependability: Taxonomy, Metric Design, and Emerging Challenges", ACM TOMPECS 2018; SPEC RG Cloud's
"Ready for Rain?" 2015). With demand ``d_t`` (resource units really needed, e.g. replicas), supply
``s_t`` (units provisioned and ready) and sample durations ``dt`` over a total time ``T``:

* under-provisioning accuracy ``theta_U = sum((d - s)+ / d * dt) / T`` and over-provisioning accuracy
  ``theta_O = sum((s - d)+ / d * dt) / T``: how much was missing / wasted, relative to demand
  (0 is perfect; samples with ``d == 0`` have no relative size and are left out of both sums);
* timeshares ``tau_U = sum(dt | s < d) / T`` and ``tau_O = sum(dt | s > d) / T``: how long;
* instability ``upsilon = sum(min(|sgn(ds) - sgn(dd)|, 1) * dt) / (T - dt_1)``: the share of the time
  in which supply and demand did not move in the same direction;
* jitter ``(supply changes - demand changes) / T`` (per time unit): > 0 means the scaler oscillates
  more than demand does, < 0 that it misses changes.

We call ``1 - tau_U`` the *autoscaling accuracy* (the share of the time the demand was met) and always
report the cost beside it (``supply_time``, e.g. replica-seconds), because over-provisioning buys
accuracy for free.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import ScalingConfigError

__all__ = ["ElasticityReport", "elasticity_metrics"]


@dataclass(frozen=True)
class ElasticityReport:
    """The metrics as fractions (0.079 means 7.9 %); times in the unit of the durations given."""

    under_accuracy: float
    over_accuracy: float
    under_timeshare: float
    over_timeshare: float
    instability: float
    jitter: float
    supply_time: float
    demand_time: float
    total_time: float

    @property
    def accuracy(self) -> float:
        """Autoscaling accuracy: the share of the time the supply met the demand (``1 - tau_U``)."""
        return 1.0 - self.under_timeshare


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _durations(n: int, dt: float | Sequence[float]) -> Sequence[float]:
    if isinstance(dt, int | float):
        if dt <= 0:
            raise ScalingConfigError(f"the sample duration must be > 0, got {dt}")
        return [float(dt)] * n
    if len(dt) != n:
        raise ScalingConfigError(f"{len(dt)} durations for {n} samples")
    if any(d <= 0 for d in dt):
        raise ScalingConfigError("every sample duration must be > 0")
    return dt


def _instability(demand: Sequence[float], supply: Sequence[float], durations: Sequence[float]) -> float:
    """Share of the time (after the first sample) in which supply and demand moved differently."""
    span = sum(durations[1:])
    if span <= 0:
        return 0.0
    mismatched = 0.0
    for t in range(1, len(demand)):
        ds = _sign(supply[t] - supply[t - 1])
        dd = _sign(demand[t] - demand[t - 1])
        mismatched += min(abs(ds - dd), 1) * durations[t]
    return mismatched / span


def _changes(series: Sequence[float]) -> int:
    return sum(1 for t in range(1, len(series)) if series[t] != series[t - 1])


def elasticity_metrics(
    demand: Sequence[float], supply: Sequence[float], dt: float | Sequence[float] = 1.0
) -> ElasticityReport:
    """Compute the SPEC RG metrics for aligned demand/supply samples (``dt``: one or per-sample durations)."""
    if len(demand) != len(supply):
        raise ScalingConfigError(f"{len(demand)} demand samples but {len(supply)} supply samples")
    if not demand:
        raise ScalingConfigError("no samples")
    durations = _durations(len(demand), dt)
    total = sum(durations)
    under = over = under_time = over_time = supply_time = demand_time = 0.0
    for d, s, w in zip(demand, supply, durations, strict=True):
        supply_time += s * w
        demand_time += d * w
        if s < d:
            under_time += w
        elif s > d:
            over_time += w
        if d > 0:
            under += max(d - s, 0.0) / d * w
            over += max(s - d, 0.0) / d * w
    return ElasticityReport(
        under_accuracy=under / total,
        over_accuracy=over / total,
        under_timeshare=under_time / total,
        over_timeshare=over_time / total,
        instability=_instability(demand, supply, durations),
        jitter=(_changes(supply) - _changes(demand)) / total,
        supply_time=supply_time,
        demand_time=demand_time,
        total_time=total,
    )
