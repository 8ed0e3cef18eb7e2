"""@cached: hits, keys, single-flight under a stampede, XFetch, stale-on-error, refresh."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable

import pytest

from codeopt_runtime.cache import MemoryCache, cached, invalidate_tag
from tests.runtime.helpers import FakeClock


def test_hit_and_miss_and_cache_info() -> None:
    calls: list[int] = []

    @cached
    def double(x: int) -> int:
        calls.append(x)
        return x * 2

    assert double(2) == 4
    assert double(2) == 4
    assert double(3) == 6
    assert calls == [2, 3]
    info = double.cache_info()  # type: ignore[attr-defined]
    assert (info.hits, info.misses, info.currsize) == (1, 2, 2)
    double.cache_clear()  # type: ignore[attr-defined]
    assert double(2) == 4
    assert calls == [2, 3, 2]


def test_positional_and_keyword_calls_share_a_key() -> None:
    calls: list[tuple[int, int, int]] = []

    @cached
    def f(a: int, b: int = 2, *, c: int = 3) -> int:
        calls.append((a, b, c))
        return a + b + c

    assert f(1) == f(1, 2) == f(a=1, b=2) == f(1, c=3) == 6
    assert len(calls) == 1
    assert f(1, c=4) == 7
    assert len(calls) == 2
    assert f.__name__ == "f" and f.__wrapped__ is not None  # type: ignore[attr-defined]


def test_varargs_and_typed_keys() -> None:
    calls: list[object] = []

    @cached(typed=True)
    def f(*args: object, **kwargs: object) -> object:
        calls.append(args)
        return args

    f(1)
    f(1.0)
    f(1, x=2)
    f(1, x=2)
    assert calls == [(1,), (1.0,), (1,)]


def test_unhashable_argument_raises_like_lru_cache() -> None:
    @cached
    def f(x: object) -> object:
        return x

    with pytest.raises(TypeError):
        f([1])


def test_methods_are_cached_per_instance() -> None:
    class Box:
        def __init__(self, n: int) -> None:
            self.n = n
            self.calls = 0

        @cached
        def value(self, k: int) -> int:
            self.calls += 1
            return self.n * k

    a, b = Box(2), Box(3)
    assert a.value(5) == 10 and a.value(5) == 10 and b.value(5) == 15
    assert a.calls == 1 and b.calls == 1


def test_exceptions_are_not_cached() -> None:
    calls = 0

    @cached
    def flaky(x: int) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ValueError("first call fails")
        return x

    with pytest.raises(ValueError):
        flaky(1)
    assert flaky(1) == 1


def test_ttl_expiry_with_injected_clock(clock: FakeClock) -> None:
    calls = 0

    @cached(ttl=10, beta=0, clock=clock)
    def f(x: int) -> int:
        nonlocal calls
        calls += 1
        return calls

    assert f(1) == 1
    clock.advance(9.9)
    assert f(1) == 1
    clock.advance(0.2)
    assert f(1) == 2


def test_stampede_on_an_expired_key_computes_once(clock: FakeClock) -> None:
    computing = threading.Event()
    release = threading.Event()
    calls = 0

    @cached(ttl=1, beta=0, clock=clock)
    def slow(key: str) -> int:
        nonlocal calls
        calls += 1
        computing.set()
        release.wait(5)
        return calls

    # first value, then let it expire
    release.set()
    assert slow("k") == 1
    release.clear()
    computing.clear()
    clock.advance(5)
    results: list[int] = []
    barrier = threading.Barrier(100)

    def caller() -> None:
        barrier.wait()
        results.append(slow("k"))

    threads = [threading.Thread(target=caller) for _ in range(100)]
    for t in threads:
        t.start()
    assert computing.wait(5)
    time.sleep(0.05)  # let the other 99 reach the single-flight wait
    release.set()
    for t in threads:
        t.join(10)
    assert calls == 2, "100 concurrent callers of one expired key must trigger exactly one computation"
    assert results == [2] * 100
    stats = slow.cache_stats()  # type: ignore[attr-defined]
    assert stats["computations"] == 2


def test_single_flight_shares_the_exception() -> None:
    started = threading.Event()
    release = threading.Event()
    calls = 0

    @cached
    def boom(x: int) -> int:
        nonlocal calls
        calls += 1
        started.set()
        release.wait(5)
        raise RuntimeError("boom")

    errors: list[BaseException] = []

    def caller() -> None:
        try:
            boom(1)
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=caller) for _ in range(10)]
    threads[0].start()
    assert started.wait(5)
    for t in threads[1:]:
        t.start()
    time.sleep(0.05)
    release.set()
    for t in threads:
        t.join(10)
    assert calls == 1 and len(errors) == 10


def test_xfetch_recomputes_early_only_when_the_draw_says_so(clock: FakeClock) -> None:
    draws: list[float] = []
    calls = 0

    @cached(ttl=100, beta=1.0, clock=clock, random=lambda: draws.pop(0))
    def f(x: int) -> int:
        nonlocal calls
        calls += 1
        clock.advance(2.0)  # the computation takes 2 s: delta = 2
        return calls

    assert f(1) == 1  # fresh until 1002 + 100 = 1102; xfetch window starts at 1102 - 8*2
    clock.advance(50)
    assert f(1) == 1  # far from expiry: fast path, no draw consumed
    clock.now = 1100.0  # 2 s before expiry
    # early iff now - delta*beta*ln(1 - r) >= expiry: 1100 - 2*ln(u) >= 1102  <=>  u <= e**-1
    draws.append(0.0)  # u = 1 -> ln u = 0 -> no
    assert f(1) == 1
    draws.append(0.7)  # u = 0.3 < 0.368 -> recompute now
    assert f(1) == 2
    assert f.cache_stats()["early_recomputes"] == 1  # type: ignore[attr-defined]


def test_serve_stale_on_error_within_the_window(clock: FakeClock) -> None:
    fail = False

    @cached(ttl=10, stale_ttl=60, beta=0, clock=clock)
    def f(x: int) -> str:
        if fail:
            raise ConnectionError("backend down")
        return f"v{clock.now}"

    first = f(1)
    fail = True
    clock.advance(30)  # expired, inside the stale window
    assert f(1) == first
    assert f.cache_stats()["stale_served"] == 1  # type: ignore[attr-defined]
    clock.advance(60)  # past the stale window: the error surfaces
    with pytest.raises(ConnectionError):
        f(1)
    fail = False
    assert f(1) != first


def test_background_refresh_with_full_jitter_backoff(clock: FakeClock) -> None:
    jobs: list[Callable[[], None]] = []
    sleeps: list[float] = []
    outcomes = [RuntimeError("a"), RuntimeError("b"), "new"]

    @cached(
        ttl=100,
        refresh_after=10,
        beta=0,
        clock=clock,
        random=lambda: 0.5,
        sleep=sleeps.append,
        spawn=jobs.append,
        refresh_backoff=(1.0, 3.0),
    )
    def f(x: int) -> str:
        if not jobs:  # first computation happens in the caller
            return "old"
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    assert f(1) == "old"
    clock.advance(11)
    assert f(1) == "old"  # due for refresh: old value served, refresh scheduled
    assert f(1) == "old"  # only one refresh job for the key
    assert len(jobs) == 1
    jobs[0]()
    # two failures: sleep U(0, min(cap, base * 2**attempt)) with U = 0.5: 0.5 * 1, 0.5 * 2
    assert sleeps == [0.5, 1.0]
    assert f(1) == "new"
    stats = f.cache_stats()  # type: ignore[attr-defined]
    assert stats["refreshes"] == 1 and stats["refresh_failures"] == 2


def test_tags_invalidate_decorated_functions() -> None:
    calls = 0

    @cached(tags=lambda user_id: [f"user:{user_id}"])
    def profile(user_id: int) -> int:
        nonlocal calls
        calls += 1
        return calls

    assert profile(1) == 1 and profile(2) == 2 and profile(1) == 1
    invalidate_tag("user:1")
    assert profile(1) == 3
    assert profile(2) == 2


def test_shared_memory_cache_and_recursion() -> None:
    shared = MemoryCache(100)

    @cached(cache=shared)
    def fib(n: int) -> int:
        return n if n < 2 else fib(n - 1) + fib(n - 2)

    assert fib(60) == 1548008755920
    assert len(shared) == 61


def test_lru_policy_decorator_matches_functools() -> None:
    @functools.lru_cache(maxsize=3)
    def ref(x: int) -> int:
        return x

    @cached(maxsize=3, policy="lru")
    def ours(x: int) -> int:
        return x

    for k in [1, 2, 3, 1, 4, 2, 5, 1, 3, 3]:
        ref(k)
        ours(k)
    assert ours.cache_info()[:2] == ref.cache_info()[:2]  # type: ignore[attr-defined]


def test_generated_signatures_cover_every_parameter_kind() -> None:
    calls: list[object] = []

    @cached
    def none() -> int:
        calls.append("none")
        return 1

    @cached
    def posonly(a: int, /, b: int = 5, *, c: int, d: int = 7) -> int:
        calls.append((a, b, c, d))
        return a + b + c + d

    assert none() == none() == 1
    assert posonly(1, c=2) == posonly(1, 5, c=2, d=7) == 15
    assert calls == ["none", (1, 5, 2, 7)]
    with pytest.raises(TypeError):
        posonly(a=1, c=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        posonly(1)  # type: ignore[call-arg]


def test_parameter_names_that_clash_with_generated_names_still_work() -> None:
    @cached
    def f(_codeopt_key: int, _codeopt_e: int = 1) -> int:
        return _codeopt_key + _codeopt_e

    assert f(1) == f(1) == 2
    assert f.cache_info().hits == 1  # type: ignore[attr-defined]


def test_non_function_callables_use_the_generic_wrapper() -> None:
    class Scale:
        def __init__(self) -> None:
            self.calls = 0

        def __call__(self, x: int, factor: int = 2) -> int:
            self.calls += 1
            return x * factor

        def method(self, x: int) -> int:
            self.calls += 1
            return x + 1

    obj = Scale()
    f = cached(obj)
    assert f(3) == f(3) == 6 and f(3, factor=3) == 9
    g = cached(functools.partial(obj, factor=10))
    assert g(1) == g(1) == 10
    m = cached(obj.method)
    assert m(1) == m(1) == 2
    assert obj.calls == 4
    assert cached(len)("abc") == 3
