"""@async_cached: single-flight across tasks, cancellation, stale-on-error."""

from __future__ import annotations

import asyncio

import pytest

from codeopt_runtime.cache import async_cached
from tests.runtime.helpers import FakeClock


def test_concurrent_awaiters_share_one_computation() -> None:
    calls = 0

    @async_cached
    async def fetch(key: str) -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return key.upper()

    async def main() -> list[str]:
        return await asyncio.gather(*(fetch("a") for _ in range(50)), fetch("b"))

    results = asyncio.run(main())
    assert results == ["A"] * 50 + ["B"]
    assert calls == 2
    info = fetch.cache_info()  # type: ignore[attr-defined]
    assert info.misses == 51 and info.currsize == 2

    async def again() -> str:
        return await fetch("a")

    assert asyncio.run(again()) == "A"
    assert calls == 2


def test_cancelling_the_first_caller_does_not_cancel_the_others() -> None:
    calls = 0

    @async_cached
    async def fetch(key: str) -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.05)
        return key

    async def main() -> str:
        first = asyncio.ensure_future(fetch("k"))
        await asyncio.sleep(0)
        second = asyncio.ensure_future(fetch("k"))
        await asyncio.sleep(0.01)
        first.cancel()
        return await second

    assert asyncio.run(main()) == "k"
    assert calls == 1


def test_async_exception_reaches_every_waiter_and_is_not_cached() -> None:
    calls = 0

    @async_cached
    async def boom(key: str) -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        raise LookupError(key)

    async def main() -> list[object]:
        return await asyncio.gather(*(boom("k") for _ in range(5)), return_exceptions=True)

    results = asyncio.run(main())
    assert all(isinstance(r, LookupError) for r in results)
    assert calls == 1
    with pytest.raises(LookupError):
        asyncio.run(boom("k"))
    assert calls == 2


def test_async_serve_stale_on_error(clock: FakeClock) -> None:
    fail = False

    @async_cached(ttl=5, stale_ttl=60, beta=0, clock=clock)
    async def fetch(key: str) -> str:
        if fail:
            raise TimeoutError("upstream")
        return "fresh"

    assert asyncio.run(fetch("k")) == "fresh"
    fail = True
    clock.advance(10)
    assert asyncio.run(fetch("k")) == "fresh"
    assert fetch.cache_stats()["stale_served"] == 1  # type: ignore[attr-defined]
