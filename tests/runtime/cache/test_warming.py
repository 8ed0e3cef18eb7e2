"""Predictive warming: co-occurrence and periodic patterns, and its precision."""

from __future__ import annotations

from codeopt_runtime.cache import MemoryCache, PredictiveWarmer
from tests.runtime.helpers import FakeClock


def make(clock: FakeClock, **kw: object) -> tuple[MemoryCache, PredictiveWarmer, list[str]]:
    cache = MemoryCache(100, clock=clock)
    loads: list[str] = []

    def loader(key: str) -> str:
        loads.append(key)
        return f"value of {key}"

    warmer = PredictiveWarmer(cache, loader, clock=clock, **kw)  # type: ignore[arg-type]
    return cache, warmer, loads


def access(cache: MemoryCache, warmer: PredictiveWarmer, key: str) -> bool:
    warmer.record(key)
    hit = cache.get(key) is not None
    if not hit:
        cache.set(key, f"value of {key}")
    return hit


def test_co_occurrence_is_learnt_and_warmed(clock: FakeClock) -> None:
    cache, warmer, loads = make(clock, window=2.0, confidence=0.8, min_support=5)
    hits_on_b = 0
    for _ in range(20):
        clock.advance(100)
        cache.delete("B")  # B is evicted between sessions
        access(cache, warmer, "A")
        clock.advance(0.5)
        hits_on_b += access(cache, warmer, "B")
    assert warmer.predict_followers("A") == ["B"]
    assert loads and set(loads) == {"B"}
    assert hits_on_b >= 14  # warmed from the 6th session on
    assert warmer.precision == 1.0


def test_periodic_key_is_warmed_before_it_is_due(clock: FakeClock) -> None:
    cache, warmer, loads = make(clock, lead=2.0, min_support=4)
    for _ in range(6):
        clock.advance(60)
        warmer.record("report")
    assert warmer.period_of("report") == 60
    clock.advance(57)
    assert warmer.tick() == 0  # not due within the lead yet
    clock.advance(2)
    assert warmer.tick() == 1
    assert loads == ["report"] and "report" in cache


def test_bad_predictions_lower_precision_and_raise_confidence(clock: FakeClock) -> None:
    cache, warmer, _loads = make(clock, window=2.0, confidence=0.5, min_support=3, horizon=10.0)
    for _ in range(30):
        clock.advance(1)
        warmer.record("A")
        clock.advance(0.5)
        warmer.record("B")  # learn A -> B
    # the pattern stops: every prefetch of B is now wasted
    for _ in range(40):
        clock.advance(20)
        cache.delete("B")
        warmer.record("A")
    assert warmer.precision is not None and warmer.precision < 0.5
    assert warmer.confidence > 0.5
    assert warmer.stats()["wasted"] >= 10
