"""Task load balancing: capability filter, power of two choices, peak-EWMA cost (Finagle, Envoy).

Why this rule and not least-connections or round-robin:

* **Power of two choices** (Mitzenmacher): sampling two workers and taking the better one cuts the
  maximum load from ``log n / log log n`` to ``log log n`` (7 -> 3 at 100k agents) while staying O(1)
  and avoiding the herd effect of always picking the global best with stale information.
* **Peak EWMA latency** (Finagle's ``PeakEwma``, Envoy's ``PEAK_EWMA``): a slow sample raises the
  estimate *at once* (``cost = rtt`` when ``rtt > cost``), a fast one only pulls it down with the
  time constant ``tau`` (``w = exp(-elapsed / tau)``; ``cost = cost * w + rtt * (1 - w)``), and with no
  samples the estimate decays towards 0 so a worker that was slow gets retried eventually.
* **Score** ``peak_ewma_latency * (in_flight + 1) / (weight * success_rate)``: latency times queue
  length estimates the wait; weights express known capacity; dividing by an EWMA of the success rate
  stops a worker that fails fast from attracting the traffic its short latencies would earn it.
  A worker without any latency sample yet scores ``PENALTY + in_flight`` when busy (Finagle's rule), 0
  when idle, so new workers are tried immediately but not flooded.
* **Outlier ejection** (Envoy's, opt-in with ``eject_below``): a worker whose success-rate EWMA falls
  below the threshold is left out for ``ejection_time`` x the number of times it was ejected (capped
  at ``max_ejection_time``), then comes back with a clean record; at most ``max_ejected`` of the
  workers are out at once, and if only ejected workers can run a task they are used anyway (Envoy's
  panic mode). The score alone cannot stop a worker that fails fast: 30 % errors only divide its
  score by 0.7, while failing in 2 ms makes its latency look excellent.

Time comes from an injectable clock (seconds, monotonic) and randomness from an injectable
``random.Random``, so choices are reproducible in tests and simulations.
"""

from __future__ import annotations

import itertools
import math
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from .errors import NoEligibleWorker, ScalingConfigError

__all__ = ["PENALTY", "PeakEwma", "TaskLoadBalancer", "Ticket", "WorkerStats"]

#: Score of a busy worker that has no latency sample yet (Finagle uses a large constant too).
PENALTY = 1e6

Policy = Literal["p2c", "round_robin", "random"]


class PeakEwma:
    """Peak-sensitive moving average of latencies: up at once, down with time constant ``tau``."""

    __slots__ = ("_cost", "_stamp", "tau")

    def __init__(self, tau: float, now: float) -> None:
        if tau <= 0:
            raise ScalingConfigError(f"tau must be > 0, got {tau}")
        self.tau = tau
        self._cost = 0.0
        self._stamp = now

    def observe(self, rtt: float, now: float) -> None:
        """Fold one latency sample in (seconds)."""
        elapsed = max(now - self._stamp, 0.0)
        if rtt > self._cost:
            self._cost = rtt
        else:
            w = math.exp(-elapsed / self.tau)
            self._cost = self._cost * w + rtt * (1.0 - w)
        self._stamp = now

    def value(self, now: float) -> float:
        """The estimate at ``now``: decayed towards 0 since the last sample (Finagle's ``observe(0)``)."""
        elapsed = max(now - self._stamp, 0.0)
        return self._cost * math.exp(-elapsed / self.tau)


@dataclass(frozen=True)
class WorkerStats:
    """A snapshot of one worker's state as the balancer sees it."""

    name: str
    capabilities: frozenset[str]
    weight: float
    in_flight: int
    latency: float
    success_rate: float
    completed: int
    failed: int
    score: float
    ejected: bool


@dataclass
class _Worker:
    name: str
    capabilities: frozenset[str]
    weight: float
    ewma: PeakEwma
    success_rate: float = 1.0
    in_flight: int = 0
    completed: int = 0
    failed: int = 0
    sampled: bool = False
    ejected_until: float = 0.0
    ejections: int = 0


@dataclass(frozen=True)
class Ticket:
    """Proof of one dispatched task: hand it back to :meth:`TaskLoadBalancer.end`."""

    worker: str
    started: float
    seq: int


class TaskLoadBalancer:
    """Choose a worker for each task; track in-flight tasks, latency and success per worker.

    ``policy="p2c"`` is the real policy; ``"round_robin"`` and ``"random"`` exist as baselines (the
    KPI bench compares them on the same workload) and still respect capabilities.
    """

    def __init__(
        self,
        *,
        tau: float = 10.0,
        success_alpha: float = 0.05,
        min_success_rate: float = 0.01,
        policy: Policy = "p2c",
        eject_below: float | None = None,
        ejection_time: float = 30.0,
        max_ejection_time: float = 300.0,
        max_ejected: float = 0.5,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < success_alpha <= 1:
            raise ScalingConfigError(f"success_alpha must be in (0, 1], got {success_alpha}")
        if policy not in ("p2c", "round_robin", "random"):
            raise ScalingConfigError(f"unknown policy {policy!r}")
        self.tau = tau
        self.success_alpha = success_alpha
        self.min_success_rate = min_success_rate
        self.policy: Policy = policy
        self.eject_below = eject_below
        self.ejection_time = ejection_time
        self.max_ejection_time = max_ejection_time
        self.max_ejected = max_ejected
        self._rng = rng if rng is not None else random.Random()
        self._clock = clock
        self._workers: dict[str, _Worker] = {}
        self._lock = threading.Lock()
        self._rr = itertools.count()
        self._ids = itertools.count(1)

    # -- membership ---------------------------------------------------------------------------------
    def add_worker(self, name: str, *, capabilities: Iterable[str] = (), weight: float = 1.0) -> None:
        """Register (or re-register, keeping its statistics) a worker."""
        if weight <= 0:
            raise ScalingConfigError(f"weight of {name!r} must be > 0, got {weight}")
        caps = frozenset(capabilities)
        with self._lock:
            known = self._workers.get(name)
            if known is not None:
                known.capabilities, known.weight = caps, weight
                return
            ewma = PeakEwma(self.tau, self._clock())
            self._workers[name] = _Worker(name, caps, weight, ewma)

    def remove_worker(self, name: str) -> None:
        """Forget a worker; tickets still out for it are ignored when they end."""
        with self._lock:
            self._workers.pop(name, None)

    # -- choosing -----------------------------------------------------------------------------------
    def _score(self, w: _Worker, now: float) -> float:
        latency = w.ewma.value(now)
        if not w.sampled or latency == 0.0:
            return PENALTY + w.in_flight if w.in_flight else 0.0
        success = max(w.success_rate, self.min_success_rate)
        return latency * (w.in_flight + 1) / (w.weight * success)

    def _eligible(self, required: frozenset[str], now: float) -> list[_Worker]:
        eligible = [w for w in self._workers.values() if required <= w.capabilities]
        if not eligible:
            raise NoEligibleWorker(required)
        healthy = [w for w in eligible if w.ejected_until <= now]
        return healthy or eligible  # panic mode: better an ejected worker than none

    def _choose(self, eligible: list[_Worker], now: float) -> _Worker:
        if len(eligible) == 1:
            return eligible[0]
        if self.policy == "round_robin":
            return eligible[next(self._rr) % len(eligible)]
        if self.policy == "random":
            return eligible[self._rng.randrange(len(eligible))]
        a, b = self._rng.sample(eligible, 2)
        return a if self._score(a, now) <= self._score(b, now) else b

    def pick(self, required: Iterable[str] = ()) -> str:
        """Name of the worker the next task with ``required`` capabilities should go to (no tracking)."""
        with self._lock:
            now = self._clock()
            return self._choose(self._eligible(frozenset(required), now), now).name

    def begin(self, required: Iterable[str] = ()) -> Ticket:
        """Choose a worker and count the task as in flight on it until :meth:`end`."""
        with self._lock:
            now = self._clock()
            worker = self._choose(self._eligible(frozenset(required), now), now)
            worker.in_flight += 1
            return Ticket(worker.name, now, next(self._ids))

    def end(self, ticket: Ticket, *, ok: bool = True, latency: float | None = None) -> None:
        """Finish a task: fold its latency (measured from ``begin`` unless given) and outcome in."""
        with self._lock:
            now = self._clock()
            worker = self._workers.get(ticket.worker)
            if worker is None:
                return
            worker.in_flight = max(worker.in_flight - 1, 0)
            self._fold(worker, now - ticket.started if latency is None else latency, ok, now)

    def record(self, name: str, *, latency: float, ok: bool = True) -> None:
        """Fold in a result measured elsewhere (e.g. a health probe) without touching in-flight counts."""
        with self._lock:
            worker = self._workers.get(name)
            if worker is not None:
                self._fold(worker, latency, ok, self._clock())

    def _fold(self, worker: _Worker, rtt: float, ok: bool, now: float) -> None:
        worker.ewma.observe(max(rtt, 0.0), now)
        worker.sampled = True
        worker.success_rate += self.success_alpha * ((1.0 if ok else 0.0) - worker.success_rate)
        if ok:
            worker.completed += 1
        else:
            worker.failed += 1
            self._maybe_eject(worker, now)

    def _maybe_eject(self, worker: _Worker, now: float) -> None:
        if self.eject_below is None or worker.success_rate >= self.eject_below or worker.ejected_until > now:
            return
        ejected = sum(1 for w in self._workers.values() if w.ejected_until > now)
        if ejected + 1 > self.max_ejected * len(self._workers):
            return
        worker.ejections += 1
        worker.ejected_until = now + min(self.ejection_time * worker.ejections, self.max_ejection_time)
        worker.success_rate = 1.0  # a clean record when it comes back

    @contextmanager
    def task(self, required: Iterable[str] = ()) -> Iterator[str]:
        """``with balancer.task({"gpu"}) as worker:`` — an exception in the block counts as a failure."""
        ticket = self.begin(required)
        try:
            yield ticket.worker
        except BaseException:
            self.end(ticket, ok=False)
            raise
        self.end(ticket, ok=True)

    # -- introspection ------------------------------------------------------------------------------
    def stats(self) -> list[WorkerStats]:
        """Per-worker snapshot, sorted by name."""
        with self._lock:
            now = self._clock()
            return [
                WorkerStats(
                    name=w.name,
                    capabilities=w.capabilities,
                    weight=w.weight,
                    in_flight=w.in_flight,
                    latency=w.ewma.value(now),
                    success_rate=w.success_rate,
                    completed=w.completed,
                    failed=w.failed,
                    score=self._score(w, now),
                    ejected=w.ejected_until > now,
                )
                for w in sorted(self._workers.values(), key=lambda w: w.name)
            ]
