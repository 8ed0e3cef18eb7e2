"""TaskLoadBalancer: capability filter, power of two choices, peak EWMA, in-flight and success rate."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from codeopt_runtime.scaling import NoEligibleWorker, PeakEwma, ScalingConfigError, TaskLoadBalancer
from codeopt_runtime.scaling.balancer import PENALTY
from tests.runtime.helpers import FakeClock


def _balancer(clock: FakeClock, seed: int = 7, **kwargs: object) -> TaskLoadBalancer:
    return TaskLoadBalancer(rng=random.Random(seed), clock=clock, **kwargs)  # type: ignore[arg-type]


def _teach(lb: TaskLoadBalancer, clock: FakeClock, latencies: dict[str, float]) -> None:
    """Give every worker one latency sample."""
    for name, latency in latencies.items():
        lb.record(name, latency=latency)


class TestPeakEwma:
    def test_a_slow_sample_raises_the_estimate_at_once(self) -> None:
        e = PeakEwma(tau=10.0, now=0.0)
        e.observe(0.010, 0.0)
        e.observe(1.0, 0.001)
        assert e.value(0.001) == 1.0

    def test_fast_samples_pull_it_down_with_time_constant_tau(self) -> None:
        e = PeakEwma(tau=10.0, now=0.0)
        e.observe(1.0, 0.0)
        e.observe(0.01, 10.0)  # one tau later: w = e**-1
        expected = 1.0 * math.exp(-1) + 0.01 * (1 - math.exp(-1))
        assert e.value(10.0) == pytest.approx(expected)

    def test_without_samples_the_estimate_decays_towards_zero(self) -> None:
        e = PeakEwma(tau=5.0, now=0.0)
        e.observe(2.0, 0.0)
        assert e.value(5.0) == pytest.approx(2.0 * math.exp(-1))
        assert e.value(0.0) == 2.0

    def test_tau_must_be_positive(self) -> None:
        with pytest.raises(ScalingConfigError):
            PeakEwma(tau=0.0, now=0.0)


class TestChoice:
    def test_capabilities_filter_the_candidates(self, clock: FakeClock) -> None:
        lb = _balancer(clock)
        lb.add_worker("cpu-1", capabilities={"cpu"})
        lb.add_worker("gpu-1", capabilities={"cpu", "gpu"})
        lb.add_worker("gpu-2", capabilities={"gpu", "cuda12"})
        assert {lb.pick({"gpu"}) for _ in range(50)} == {"gpu-1", "gpu-2"}
        assert {lb.pick({"gpu", "cpu"}) for _ in range(20)} == {"gpu-1"}

    def test_no_eligible_worker_is_a_typed_lookup_error(self, clock: FakeClock) -> None:
        lb = _balancer(clock)
        with pytest.raises(NoEligibleWorker):
            lb.pick()
        lb.add_worker("a", capabilities={"cpu"})
        with pytest.raises(LookupError, match="gpu"):
            lb.begin({"gpu"})

    def test_same_seed_same_choices(self, clock: FakeClock) -> None:
        picks = []
        for _ in range(2):
            lb = _balancer(clock, seed=42)
            for i in range(6):
                lb.add_worker(f"w{i}")
            tickets = [lb.begin() for _ in range(30)]
            picks.append([t.worker for t in tickets])
        assert picks[0] == picks[1]

    def test_p2c_never_picks_the_worst_and_favours_the_best(self, clock: FakeClock) -> None:
        lb = _balancer(clock)
        latencies = {f"w{i}": 0.01 * (i + 1) for i in range(5)}
        for name in latencies:
            lb.add_worker(name)
        _teach(lb, clock, latencies)
        counts = Counter(lb.pick() for _ in range(4000))
        assert counts["w4"] == 0  # any pair holding the worst also holds a better one
        # the best is chosen whenever it is sampled: P = 2/5
        assert counts["w0"] / 4000 == pytest.approx(0.4, abs=0.03)
        assert counts["w0"] > counts["w1"] > counts["w2"] > counts["w3"]

    def test_in_flight_tasks_steer_new_tasks_away(self, clock: FakeClock) -> None:
        lb = _balancer(clock)
        lb.add_worker("a")
        lb.add_worker("b")
        _teach(lb, clock, {"a": 0.05, "b": 0.05})
        first = lb.begin()
        assert lb.begin().worker != first.worker  # score (1+1)*lat vs (0+1)*lat
        stats = {s.name: s for s in lb.stats()}
        assert stats["a"].in_flight == stats["b"].in_flight == 1

    def test_score_formula(self, clock: FakeClock) -> None:
        lb = _balancer(clock)
        lb.add_worker("a", weight=2.0)
        _teach(lb, clock, {"a": 0.1})
        lb.begin()
        lb.begin()
        (a,) = lb.stats()
        assert a.score == pytest.approx(a.latency * (2 + 1) / (2.0 * a.success_rate))

    def test_a_failing_worker_loses_traffic_despite_fast_failures(self, clock: FakeClock) -> None:
        lb = _balancer(clock, success_alpha=0.2)
        lb.add_worker("flaky")
        lb.add_worker("steady")
        _teach(lb, clock, {"flaky": 0.05, "steady": 0.08})
        assert lb.pick() == "flaky"  # faster while it looks healthy
        routed = []
        for _ in range(20):
            ticket = lb.begin()
            routed.append(ticket.worker)
            ok = ticket.worker == "steady"
            lb.end(ticket, ok=ok, latency=0.01 if not ok else 0.08)
        # 0.05 / 0.8**n > 0.08 after 3 failures: from then on everything goes to the steady worker
        assert routed[:3] == ["flaky"] * 3
        assert set(routed[3:]) == {"steady"}

    def test_weights_shift_traffic(self, clock: FakeClock) -> None:
        lb = _balancer(clock)
        lb.add_worker("big", weight=4.0)
        lb.add_worker("small", weight=1.0)
        _teach(lb, clock, {"big": 0.1, "small": 0.1})
        tickets = [lb.begin() for _ in range(10)]
        counts = Counter(t.worker for t in tickets)
        assert counts["big"] == 8  # in-flight grows until (n+1)/4 exceeds (m+1)/1

    def test_new_workers_are_tried_but_not_flooded(self, clock: FakeClock) -> None:
        lb = _balancer(clock)
        lb.add_worker("old")
        _teach(lb, clock, {"old": 0.05})
        lb.add_worker("new")
        assert lb.begin().worker == "new"  # idle and unsampled: score 0
        stats = {s.name: s for s in lb.stats()}
        assert stats["new"].score == PENALTY + 1
        assert lb.begin().worker == "old"

    def test_round_robin_and_random_baselines_respect_capabilities(self, clock: FakeClock) -> None:
        rr = _balancer(clock, policy="round_robin")
        for name in ("a", "b", "c"):
            rr.add_worker(name, capabilities={"x"})
        rr.add_worker("other")
        assert [rr.pick({"x"}) for _ in range(6)] == ["a", "b", "c", "a", "b", "c"]
        rnd = _balancer(clock, policy="random")
        rnd.add_worker("a")
        rnd.add_worker("b")
        assert set(Counter(rnd.pick() for _ in range(100))) == {"a", "b"}

    def test_unknown_policy_is_refused(self, clock: FakeClock) -> None:
        with pytest.raises(ScalingConfigError):
            _balancer(clock, policy="fastest")


class TestTracking:
    def test_context_manager_measures_latency_with_the_clock(self, clock: FakeClock) -> None:
        lb = _balancer(clock)
        lb.add_worker("a")
        with lb.task() as worker:
            assert worker == "a"
            clock.advance(0.25)
        (a,) = lb.stats()
        assert (a.in_flight, a.completed, a.failed) == (0, 1, 0)
        assert a.latency == pytest.approx(0.25)

    def test_an_exception_counts_as_a_failure_and_propagates(self, clock: FakeClock) -> None:
        lb = _balancer(clock, success_alpha=0.5)
        lb.add_worker("a")
        with pytest.raises(RuntimeError), lb.task():
            raise RuntimeError("boom")
        (a,) = lb.stats()
        assert (a.in_flight, a.failed) == (0, 1)
        assert a.success_rate == pytest.approx(0.5)

    def test_tickets_of_removed_workers_are_ignored(self, clock: FakeClock) -> None:
        lb = _balancer(clock)
        lb.add_worker("a")
        ticket = lb.begin()
        lb.remove_worker("a")
        lb.end(ticket)
        assert lb.stats() == []

    def test_re_adding_keeps_statistics(self, clock: FakeClock) -> None:
        lb = _balancer(clock)
        lb.add_worker("a")
        _teach(lb, clock, {"a": 0.2})
        lb.add_worker("a", capabilities={"gpu"}, weight=3.0)
        (a,) = lb.stats()
        assert a.completed == 1 and a.capabilities == {"gpu"} and a.weight == 3.0


class TestEjection:
    def _flaky_pair(self, clock: FakeClock) -> TaskLoadBalancer:
        lb = _balancer(clock, success_alpha=0.2, eject_below=0.5, ejection_time=30.0)
        lb.add_worker("flaky")
        lb.add_worker("steady")
        lb.add_worker("spare")
        _teach(lb, clock, {"flaky": 0.001, "steady": 0.1, "spare": 0.1})
        return lb

    def test_a_worker_below_the_success_threshold_is_left_out_then_returns(self, clock: FakeClock) -> None:
        lb = self._flaky_pair(clock)
        for _ in range(3):  # 1.0 -> 0.8 -> 0.64 -> 0.512: still in
            lb.record("flaky", latency=0.001, ok=False)
        assert not {s.name: s for s in lb.stats()}["flaky"].ejected
        lb.record("flaky", latency=0.001, ok=False)  # 0.41 < 0.5: out for 30 s
        flaky = {s.name: s for s in lb.stats()}["flaky"]
        assert flaky.ejected and flaky.success_rate == 1.0
        assert "flaky" not in {lb.pick() for _ in range(50)}
        clock.advance(30.0)
        assert "flaky" in {lb.pick() for _ in range(50)}  # back, with a clean record

    def test_ejection_time_grows_with_each_ejection(self, clock: FakeClock) -> None:
        lb = self._flaky_pair(clock)
        for _ in range(4):
            lb.record("flaky", latency=0.001, ok=False)
        clock.advance(30.0)
        for _ in range(4):
            lb.record("flaky", latency=0.001, ok=False)
        clock.advance(59.0)
        assert {s.name: s for s in lb.stats()}["flaky"].ejected  # second time: 60 s
        clock.advance(1.0)
        assert not {s.name: s for s in lb.stats()}["flaky"].ejected

    def test_at_most_max_ejected_and_panic_mode(self, clock: FakeClock) -> None:
        lb = _balancer(clock, success_alpha=1.0, eject_below=0.5, max_ejected=0.5)
        lb.add_worker("a", capabilities={"gpu"})
        lb.add_worker("b")
        lb.record("a", latency=0.01, ok=False)
        lb.record("b", latency=0.01, ok=False)
        assert [s.ejected for s in lb.stats()] == [True, False]  # 1 of 2 at most
        assert lb.pick({"gpu"}) == "a"  # only an ejected worker can run it: used anyway

    def test_without_eject_below_nobody_is_ejected(self, clock: FakeClock) -> None:
        lb = _balancer(clock, success_alpha=1.0)
        lb.add_worker("a")
        lb.record("a", latency=0.01, ok=False)
        assert not lb.stats()[0].ejected
