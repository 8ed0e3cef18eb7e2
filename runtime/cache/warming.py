"""``PredictiveWarmer``: load keys shortly before they are requested.

Two patterns are learnt from the access stream (``record(key)`` on every request):

* **co-occurrence**: ``B`` is requested within ``window`` seconds after ``A`` with probability
  ``p = count(A then B) / count(A)``; when ``A`` is requested and ``p >= confidence`` (with at least
  ``min_support`` observations of ``A``), ``B`` is warmed;
* **periodicity**: ``K`` is requested every ~``T`` seconds (EWMA of the inter-arrival time with a
  mean absolute deviation below ``period_tolerance * T`` over at least ``min_support`` gaps);
  ``tick()`` warms it ``lead`` seconds before it is due.

Why precision is measured and enforced: warming fills the cache with guesses, and each wrong
guess can evict something useful, so a hit-rate gain bought with bad guesses is not a gain.
``precision = prefetched-then-used / prefetched`` (a prefetch counts as used if its key is
requested within ``horizon`` seconds; resolved prefetches only). When precision falls below
``min_precision`` the confidence threshold is raised (up to 0.95), making the warmer more
conservative until its guesses are good again.

The warmer never raises into the request path: a failing loader is counted and ignored.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Hashable
    from typing import Any, Protocol

    class WarmTarget(Protocol):
        def __contains__(self, key: Any) -> bool: ...

        def set(self, key: Any, value: Any, *, ttl: float | None = ...) -> Any: ...


__all__ = ["PredictiveWarmer"]


class _Periodic:
    __slots__ = ("count", "dev", "last", "mean")

    def __init__(self, now: float) -> None:
        self.last = now
        self.mean = 0.0
        self.dev = 0.0
        self.count = 0


class PredictiveWarmer:
    """Learns access patterns and prefetches into ``cache`` with ``loader(key)``."""

    def __init__(
        self,
        cache: WarmTarget,
        loader: Callable[[Any], Any],
        *,
        window: float = 5.0,
        confidence: float = 0.6,
        min_support: int = 5,
        period_tolerance: float = 0.2,
        lead: float = 1.0,
        horizon: float | None = None,
        min_precision: float = 0.5,
        ttl: float | None = None,
        max_keys: int = 10_000,
        max_followers: int = 8,
        clock: Callable[[], float] = time.monotonic,
        spawn: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        self.cache = cache
        self.loader = loader
        self.window = window
        self.base_confidence = self.confidence = confidence
        self.min_support = min_support
        self.period_tolerance = period_tolerance
        self.lead = lead
        self.horizon = horizon if horizon is not None else max(4 * window, 60.0)
        self.min_precision = min_precision
        self.ttl = ttl
        self.max_keys = max_keys
        self.max_followers = max_followers
        self.clock = clock
        self.spawn = spawn
        self._recent: deque[tuple[float, Hashable]] = deque()
        self._counts: OrderedDict[Hashable, int] = OrderedDict()
        self._followers: dict[Hashable, dict[Hashable, int]] = {}
        self._periodic: OrderedDict[Hashable, _Periodic] = OrderedDict()
        self._pending: dict[Hashable, float] = {}
        self.prefetched = 0
        self.used = 0
        self.wasted = 0
        self.load_errors = 0

    # -- learning ----------------------------------------------------------------------------

    def record(self, key: Hashable) -> None:
        """Observe a request for ``key`` (then warm what it predicts)."""
        now = self.clock()
        self._resolve(key, now)
        recent = self._recent
        while recent and now - recent[0][0] > self.window:
            recent.popleft()
        seen: set[Hashable] = set()
        for _, previous in recent:
            if previous != key and previous not in seen:
                seen.add(previous)
                self._follow(previous, key)
        recent.append((now, key))
        counts = self._counts
        counts[key] = counts.get(key, 0) + 1
        counts.move_to_end(key)
        if len(counts) > self.max_keys:
            old, _ = counts.popitem(last=False)
            self._followers.pop(old, None)
        self._observe_period(key, now)
        for follower in self.predict_followers(key):
            self._warm(follower, now)

    def _follow(self, previous: Hashable, key: Hashable) -> None:
        followers = self._followers.setdefault(previous, {})
        followers[key] = followers.get(key, 0) + 1
        if len(followers) > self.max_followers:
            weakest = min(followers, key=followers.__getitem__)
            del followers[weakest]

    def _observe_period(self, key: Hashable, now: float) -> None:
        state = self._periodic.get(key)
        if state is None:
            self._periodic[key] = _Periodic(now)
            if len(self._periodic) > self.max_keys:
                self._periodic.popitem(last=False)
            return
        self._periodic.move_to_end(key)
        gap = now - state.last
        state.last = now
        if state.count == 0:
            state.mean = gap
        else:
            state.dev = 0.75 * state.dev + 0.25 * abs(gap - state.mean)
            state.mean = 0.75 * state.mean + 0.25 * gap
        state.count += 1

    # -- predictions -------------------------------------------------------------------------

    def predict_followers(self, key: Hashable) -> list[Hashable]:
        """Keys requested after ``key`` with probability >= the current confidence."""
        total = self._counts.get(key, 0)
        if total < self.min_support:
            return []
        followers = self._followers.get(key, {})
        return [k for k, n in followers.items() if n / total >= self.confidence]

    def period_of(self, key: Hashable) -> float | None:
        state = self._periodic.get(key)
        if state is None or state.count < self.min_support or state.mean <= 0:
            return None
        if state.dev > self.period_tolerance * state.mean:
            return None
        return state.mean

    def tick(self) -> int:
        """Warm periodic keys that are due within ``lead`` seconds; return how many."""
        now = self.clock()
        warmed = 0
        for key, state in list(self._periodic.items()):
            period = self.period_of(key)
            if period is None:
                continue
            due = state.last + period
            if due - self.lead <= now < due and self._warm(key, now):
                warmed += 1
        self._expire_pending(now)
        return warmed

    # -- warming and precision ---------------------------------------------------------------

    def _warm(self, key: Hashable, now: float) -> bool:
        if key in self._pending or key in self.cache:
            return False

        def load() -> None:
            try:
                value = self.loader(key)
                self.cache.set(key, value, ttl=self.ttl)
            except Exception:
                self.load_errors += 1
                self._pending.pop(key, None)
                self.prefetched -= 1

        self._pending[key] = now
        self.prefetched += 1
        if self.spawn is None:
            load()
        else:
            self.spawn(load)
        return True

    def _resolve(self, key: Hashable, now: float) -> None:
        issued = self._pending.pop(key, None)
        if issued is not None:
            if now - issued <= self.horizon:
                self.used += 1
            else:
                self.wasted += 1
            self._adapt()
        self._expire_pending(now)

    def _expire_pending(self, now: float) -> None:
        expired = [k for k, t in self._pending.items() if now - t > self.horizon]
        for k in expired:
            del self._pending[k]
            self.wasted += 1
        if expired:
            self._adapt()

    def _adapt(self) -> None:
        resolved = self.used + self.wasted
        if resolved < 10:
            return
        if self.used / resolved < self.min_precision:
            self.confidence = min(0.95, self.confidence + 0.05)
        elif self.confidence > self.base_confidence:
            self.confidence = max(self.base_confidence, self.confidence - 0.01)

    @property
    def precision(self) -> float | None:
        """``used / resolved prefetches`` (``None`` before any prefetch was resolved)."""
        resolved = self.used + self.wasted
        return self.used / resolved if resolved else None

    def stats(self) -> dict[str, object]:
        return {
            "prefetched": self.prefetched,
            "used": self.used,
            "wasted": self.wasted,
            "pending": len(self._pending),
            "precision": self.precision,
            "confidence": self.confidence,
            "load_errors": self.load_errors,
        }
