"""Circuit breaker state machine with an injected clock."""

from __future__ import annotations

from codeopt_runtime.cache import CircuitBreaker
from tests.runtime.helpers import FakeClock


def test_closed_open_half_open_closed(clock: FakeClock) -> None:
    breaker = CircuitBreaker(failure_threshold=3, cooldown=10, clock=clock)
    assert breaker.state == "closed"
    for _ in range(2):
        assert breaker.allow()
        breaker.failure()
    assert breaker.state == "closed"
    breaker.success()  # resets the consecutive count
    for _ in range(3):
        assert breaker.allow()
        breaker.failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    clock.advance(10)
    assert breaker.state == "half-open"
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one probe at a time
    breaker.failure()
    assert breaker.state == "open"
    clock.advance(10)
    assert breaker.allow()
    breaker.success()
    assert breaker.state == "closed"
    assert breaker.stats()["opens"] == 2
