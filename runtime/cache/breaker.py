"""Circuit breaker for cache tiers: a tier that is down is skipped, not waited on.

Why: every call to a dead Redis costs a connect timeout; without a breaker a Redis outage turns
every cache read into a slow read. States: *closed* (calls pass; ``failure_threshold`` consecutive
failures open it) -> *open* (calls are refused for ``cooldown`` seconds) -> *half-open* (one probe
call is let through; success closes the breaker, failure opens it again for another cool-down).
"""

from __future__ import annotations

import _thread
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["CLOSED", "HALF_OPEN", "OPEN", "CircuitBreaker"]

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half-open"


class CircuitBreaker:
    """Thread-safe breaker; ``allow()`` before a call, then ``success()`` or ``failure()``."""

    def __init__(
        self,
        failure_threshold: int = 3,
        cooldown: float = 5.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or cooldown < 0:
            raise ValueError("failure_threshold must be >= 1 and cooldown >= 0")
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self.clock = clock
        self._lock = _thread.allocate_lock()
        self._state = CLOSED
        self._consecutive = 0
        self._opened_at = 0.0
        self._probing = False
        self.failures = 0
        self.rejections = 0
        self.opens = 0

    @property
    def state(self) -> str:
        with self._lock:
            if self._state == OPEN and self.clock() - self._opened_at >= self.cooldown:
                return HALF_OPEN
            return self._state

    def allow(self) -> bool:
        """May a call go through now? (In half-open state only one probe at a time.)"""
        with self._lock:
            if self._state == CLOSED:
                return True
            if self._state == OPEN:
                if self.clock() - self._opened_at < self.cooldown:
                    self.rejections += 1
                    return False
                self._state = HALF_OPEN
                self._probing = False
            if self._probing:
                self.rejections += 1
                return False
            self._probing = True
            return True

    def success(self) -> None:
        with self._lock:
            self._consecutive = 0
            self._probing = False
            self._state = CLOSED

    def failure(self) -> None:
        with self._lock:
            self.failures += 1
            self._consecutive += 1
            self._probing = False
            if self._state == HALF_OPEN or self._consecutive >= self.failure_threshold:
                if self._state != OPEN:
                    self.opens += 1
                self._state = OPEN
                self._opened_at = self.clock()

    def stats(self) -> dict[str, object]:
        return {
            "state": self.state,
            "failures": self.failures,
            "rejections": self.rejections,
            "opens": self.opens,
        }
