"""Reactive autoscaling: the Kubernetes Horizontal Pod Autoscaler algorithm, decision for decision.

Why copy the HPA rather than invent a rule: it is the algorithm operators already reason about, its
corner cases (missing metrics, pods still starting, flapping) were found in production, and a user can
check our decisions against ``kubectl describe hpa``. References: the Kubernetes documentation
"Horizontal Pod Autoscaling" (https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/,
sections *Algorithm details* and *Configurable scaling behavior*) and kubernetes/kubernetes
``pkg/controller/podautoscaler/{horizontal,replica_calculator}.go``, whose function names the
docstrings below give.

Per metric (docs, *Algorithm details*)::

    desiredReplicas = ceil[currentReplicas * (currentMetricValue / desiredMetricValue)]

* no action while ``|1 - ratio| <= tolerance`` (0.1);
* pods without a metric ("missing") count as using 100 % of their request (resources) or the target
  (pod metrics) when the ratio says *scale down*, and 0 % when it says *scale up*; pods that are not
  ready yet count as 0 % on a scale-up (and are left out otherwise); the ratio is then recomputed and
  the scaler does nothing if that flips the direction or lands within tolerance;
* with several metrics the largest proposal wins; a metric that cannot be computed blocks scale-down
  (and everything if no metric can be computed).

Then the behaviour (docs, *Configurable scaling behavior*; defaults below): the recommendation is
stabilised (scale-down: the highest recommendation of the last ``stabilizationWindowSeconds`` = 300 s;
scale-up: the lowest within its window, 0 s by default), then rate-limited by the policies counted
from the replica count at the start of each policy's period (scale-up default: the larger of +100 %
and +4 pods per 15 s; scale-down default: -100 % per 15 s), then bounded by ``min/maxReplicas``.

Time is an injected clock (seconds); nothing here sleeps. :meth:`ResourceAwareScaler.decide` assumes
the caller applies the decision it returns (it records the scale event the rate policies count), as
the controller does; :meth:`reconcile` does both against a :class:`~.backends.Backend`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .errors import ScalingConfigError

if TYPE_CHECKING:
    from .backends import Backend

__all__ = [
    "DEFAULT_SCALE_DOWN",
    "DEFAULT_SCALE_UP",
    "ExternalMetric",
    "Metric",
    "MetricProposal",
    "PodsMetric",
    "ResourceAwareScaler",
    "ResourceMetric",
    "ScalingDecision",
    "ScalingPolicy",
    "ScalingRules",
]

_EPS = 1e-9


@dataclass(frozen=True)
class ResourceMetric:
    """CPU or memory of the pods (``type: Resource``, ``target.averageUtilization``).

    ``usage``: one sample per ready pod that reported one, in the unit of ``request`` (e.g. cores);
    ``unready``: pods pending or (for CPU) still initialising; ``missing``: pods without a sample.
    Pods of one workload share a template, hence one ``request``. Utilisation is truncated to a whole
    percent, as the controller's integer arithmetic does.
    """

    name: str
    target_utilization: float
    usage: Sequence[float]
    request: float = 1.0
    unready: int = 0
    missing: int = 0


@dataclass(frozen=True)
class PodsMetric:
    """A per-pod custom metric (``type: Pods``, ``target.averageValue``), e.g. requests/s per pod."""

    name: str
    target_average: float
    values: Sequence[float]
    unready: int = 0
    missing: int = 0


@dataclass(frozen=True)
class ExternalMetric:
    """A metric not tied to pods (``type: External``), e.g. the depth of a queue.

    ``target_average`` (``AverageValue``: e.g. 30 messages per replica) proposes ``ceil(value /
    target_average)``; ``target_value`` (``Value``) proposes ``ceil(value / target_value * ready)``.
    ``value=None`` means the metric could not be read.
    """

    name: str
    value: float | None
    target_average: float | None = None
    target_value: float | None = None
    ready: int | None = None


Metric = ResourceMetric | PodsMetric | ExternalMetric


@dataclass(frozen=True)
class ScalingPolicy:
    """At most ``value`` pods (``kind="pods"``) or percent (``"percent"``) per ``period`` seconds."""

    kind: Literal["pods", "percent"]
    value: int
    period: float


@dataclass(frozen=True)
class ScalingRules:
    """One direction's behaviour: stabilisation window, policies and how to combine them."""

    stabilization_window: float
    policies: tuple[ScalingPolicy, ...]
    select: Literal["max", "min", "disabled"] = "max"


DEFAULT_SCALE_UP = ScalingRules(0.0, (ScalingPolicy("percent", 100, 15.0), ScalingPolicy("pods", 4, 15.0)))
DEFAULT_SCALE_DOWN = ScalingRules(300.0, (ScalingPolicy("percent", 100, 15.0),))


@dataclass(frozen=True)
class MetricProposal:
    """What one metric asked for; ``replicas is None`` when it could not be computed."""

    name: str
    replicas: int | None
    ratio: float | None


@dataclass(frozen=True)
class ScalingDecision:
    """One reconciliation: the metrics' recommendation, its stabilised value and the final count."""

    at: float
    current: int
    desired: int
    recommendation: int
    stabilized: int
    reason: str
    proposals: tuple[MetricProposal, ...]

    @property
    def changed(self) -> bool:
        return self.desired != self.current


# -- per-metric replica counts (replica_calculator.go) ---------------------------------------------------


def _truncated_percent(total: float, requests: float) -> int:
    return math.floor(total * 100.0 / requests + _EPS)


def _ceil(x: float) -> int:
    return math.ceil(x)  # float math, as the controller (Go) does it


def _corrected(current: int, ratio: float, new_ratio: float, counted: int, tolerance: float) -> int:
    """The second pass shared by resource and pod metrics, after missing/unready pods were filled in."""
    flipped = (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio)
    if abs(1.0 - new_ratio) <= tolerance or flipped:
        return current
    replicas = _ceil(new_ratio * counted)
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current
    return replicas


def resource_replicas(metric: ResourceMetric, current: int, tolerance: float) -> MetricProposal:
    """``GetResourceReplicas``: utilisation of the ready pods, then the missing/unready correction."""
    ready = len(metric.usage)
    if ready == 0:
        return MetricProposal(metric.name, None, None)
    total, requests = float(sum(metric.usage)), ready * metric.request
    ratio = _truncated_percent(total, requests) / metric.target_utilization
    with_unready = metric.unready > 0 and ratio > 1.0
    if not with_unready and metric.missing == 0:
        if abs(1.0 - ratio) <= tolerance:
            return MetricProposal(metric.name, current, ratio)
        return MetricProposal(metric.name, _ceil(ratio * ready), ratio)
    counted = ready
    if metric.missing and ratio != 1.0:
        fallback = max(100.0, metric.target_utilization) / 100.0 if ratio < 1.0 else 0.0
        total += metric.missing * metric.request * fallback
        requests += metric.missing * metric.request
        counted += metric.missing
    if with_unready:
        requests += metric.unready * metric.request
        counted += metric.unready
    new_ratio = _truncated_percent(total, requests) / metric.target_utilization
    return MetricProposal(metric.name, _corrected(current, ratio, new_ratio, counted, tolerance), ratio)


def pods_replicas(metric: PodsMetric, current: int, tolerance: float) -> MetricProposal:
    """``calcPlainMetricReplicas``: like resources, but averages of raw values; missing = the target."""
    ready = len(metric.values)
    if ready == 0:
        return MetricProposal(metric.name, None, None)
    total = float(sum(metric.values))
    ratio = total / ready / metric.target_average
    with_unready = metric.unready > 0 and ratio > 1.0
    if not with_unready and metric.missing == 0:
        if abs(1.0 - ratio) <= tolerance:
            return MetricProposal(metric.name, current, ratio)
        return MetricProposal(metric.name, _ceil(ratio * ready), ratio)
    counted = ready
    if metric.missing and ratio != 1.0:
        total += metric.missing * (metric.target_average if ratio < 1.0 else 0.0)
        counted += metric.missing
    if with_unready:
        counted += metric.unready
    new_ratio = total / counted / metric.target_average
    return MetricProposal(metric.name, _corrected(current, ratio, new_ratio, counted, tolerance), ratio)


def external_replicas(metric: ExternalMetric, current: int, tolerance: float) -> MetricProposal:
    """``GetExternalPerPodMetricReplicas`` (AverageValue) and ``GetExternalMetricReplicas`` (Value)."""
    if metric.value is None:
        return MetricProposal(metric.name, None, None)
    if metric.target_average is not None:
        ratio = metric.value / (metric.target_average * current) if current else math.inf
        if abs(1.0 - ratio) <= tolerance:
            return MetricProposal(metric.name, current, ratio)
        return MetricProposal(metric.name, _ceil(metric.value / metric.target_average), ratio)
    if metric.target_value is None:
        raise ScalingConfigError(f"external metric {metric.name!r} needs target_average or target_value")
    ratio = metric.value / metric.target_value
    if current == 0:
        return MetricProposal(metric.name, _ceil(ratio), ratio)
    if abs(1.0 - ratio) <= tolerance:
        return MetricProposal(metric.name, current, ratio)
    ready = current if metric.ready is None else metric.ready
    return MetricProposal(metric.name, _ceil(ratio * ready), ratio)


def propose(metric: Metric, current: int, tolerance: float) -> MetricProposal:
    """The replica count one metric asks for."""
    if isinstance(metric, ResourceMetric):
        return resource_replicas(metric, current, tolerance)
    if isinstance(metric, PodsMetric):
        return pods_replicas(metric, current, tolerance)
    return external_replicas(metric, current, tolerance)


# -- the controller's normalisation (horizontal.go) -----------------------------------------------------


def _changed_within(events: Sequence[tuple[float, int]], period: float, now: float) -> int:
    cutoff = now - period
    return sum(change for at, change in events if at > cutoff)


class ResourceAwareScaler:
    """The HPA controller for one workload: metrics in, replica count out (see the module docstring)."""

    def __init__(
        self,
        *,
        min_replicas: int = 1,
        max_replicas: int,
        tolerance: float = 0.1,
        scale_up: ScalingRules = DEFAULT_SCALE_UP,
        scale_down: ScalingRules = DEFAULT_SCALE_DOWN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if min_replicas < 0 or max_replicas < max(min_replicas, 1):
            raise ScalingConfigError(
                f"need 0 <= min_replicas <= max_replicas (>= 1): {min_replicas}, {max_replicas}"
            )
        if not 0.0 <= tolerance < 1.0:
            raise ScalingConfigError(f"tolerance must be in [0, 1), got {tolerance}")
        self.min_replicas = min_replicas
        self.max_replicas = max_replicas
        self.tolerance = tolerance
        self.scale_up = scale_up
        self.scale_down = scale_down
        self._clock = clock
        self._lock = threading.Lock()
        self._recommendations: list[tuple[float, int]] = []
        self._up_events: list[tuple[float, int]] = []
        self._down_events: list[tuple[float, int]] = []

    def recommend(
        self, current: int, metrics: Iterable[Metric]
    ) -> tuple[int | None, tuple[MetricProposal, ...]]:
        """``computeReplicasForMetrics``: the largest proposal, or ``None`` when no scaling may happen."""
        proposals = tuple(propose(m, current, self.tolerance) for m in metrics)
        valid = [p.replicas for p in proposals if p.replicas is not None]
        if not valid:
            return None, proposals
        best = max(valid)
        if len(valid) < len(proposals) and best < current:
            return None, proposals  # an unreadable metric blocks scale-down
        return best, proposals

    def decide(self, current: int, metrics: Iterable[Metric], *, now: float | None = None) -> ScalingDecision:
        """One reconciliation pass (``reconcileAutoscaler``); records the decision as applied."""
        at = self._clock() if now is None else now
        with self._lock:
            if current == 0 and self.min_replicas != 0:
                return ScalingDecision(at, 0, 0, 0, 0, "ScalingDisabled", ())
            if current > self.max_replicas or current < self.min_replicas:
                bound = min(max(current, self.min_replicas), self.max_replicas)
                self._store_event(current, bound, at)
                return ScalingDecision(at, current, bound, bound, bound, "OutsideRange", ())
            wanted, proposals = self.recommend(current, metrics)
            if wanted is None:
                return ScalingDecision(at, current, current, current, current, "InvalidMetrics", proposals)
            stabilized = self._stabilize(current, wanted, at)
            desired, reason = self._limit(current, stabilized, at)
            self._store_event(current, desired, at)
            return ScalingDecision(at, current, desired, wanted, stabilized, reason, proposals)

    def reconcile(
        self, backend: Backend, metrics: Iterable[Metric], *, now: float | None = None
    ) -> ScalingDecision:
        """Decide from the backend's current replica count and apply the decision to it."""
        decision = self.decide(backend.current_replicas(), metrics, now=now)
        if decision.changed:
            backend.scale_to(decision.desired)
        return decision

    def record_scale(self, previous: int, new: int, *, now: float | None = None) -> None:
        """Count a change made by someone else (a predictive floor, an operator) in the rate policies."""
        with self._lock:
            self._store_event(previous, new, self._clock() if now is None else now)

    def _stabilize(self, current: int, wanted: int, now: float) -> int:
        """``stabilizeRecommendationWithBehaviors``: clamp between the windows' min and max."""
        up_cutoff = now - self.scale_up.stabilization_window
        down_cutoff = now - self.scale_down.stabilization_window
        up, down = wanted, wanted
        for at, rec in self._recommendations:
            if at > up_cutoff:
                up = min(up, rec)
            if at > down_cutoff:
                down = max(down, rec)
        obsolete = min(up_cutoff, down_cutoff)
        self._recommendations = [(at, rec) for at, rec in self._recommendations if at >= obsolete]
        self._recommendations.append((now, wanted))
        return min(max(current, up), down)

    def _limit(self, current: int, desired: int, now: float) -> tuple[int, str]:
        """``convertDesiredReplicasWithBehaviorRate``: rate policies, then min/max replicas."""
        if desired > current:
            limit = max(self._rate_limit(current, self.scale_up, now, +1), current)
            bound, reason = (
                (limit, "ScaleUpLimit")
                if self.max_replicas > limit
                else (self.max_replicas, "TooManyReplicas")
            )
            return (bound, reason) if desired > bound else (desired, "DesiredWithinRange")
        if desired < current:
            limit = min(self._rate_limit(current, self.scale_down, now, -1), current)
            bound, reason = (
                (limit, "ScaleDownLimit")
                if self.min_replicas < limit
                else (self.min_replicas, "TooFewReplicas")
            )
            return (bound, reason) if desired < bound else (desired, "DesiredWithinRange")
        return desired, "DesiredWithinRange"

    def _rate_limit(self, current: int, rules: ScalingRules, now: float, sign: int) -> int:
        """``calculateScale{Up,Down}Limit...``: the bound each policy allows, combined by ``select``."""
        if rules.select == "disabled" or not rules.policies:
            return current
        proposals = []
        for policy in rules.policies:
            added = _changed_within(self._up_events, policy.period, now)
            deleted = _changed_within(self._down_events, policy.period, now)
            start = current - added + deleted
            if policy.kind == "pods":
                proposals.append(start + sign * policy.value)
            elif sign > 0:
                proposals.append(math.ceil(start * (1 + policy.value / 100)))
            else:
                proposals.append(int(start * (1 - policy.value / 100)))
        widest = max if sign > 0 else min
        narrowest = min if sign > 0 else max
        return (widest if rules.select == "max" else narrowest)(proposals)

    def _store_event(self, previous: int, new: int, now: float) -> None:
        if new == previous:
            return
        up = new > previous
        rules, events = (self.scale_up, self._up_events) if up else (self.scale_down, self._down_events)
        longest = max((p.period for p in rules.policies), default=0.0)
        events[:] = [(at, change) for at, change in events if at >= now - longest]
        events.append((now, abs(new - previous)))
