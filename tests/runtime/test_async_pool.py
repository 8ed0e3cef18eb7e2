"""Behaviour of codeopt_runtime.pool.AsyncObjectPool (asyncio)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from codeopt_runtime.errors import PoolClosed, PoolTimeout
from codeopt_runtime.pool import AsyncObjectPool


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Conn:
    count = 0

    def __init__(self) -> None:
        Conn.count += 1
        self.ident = Conn.count
        self.closed = False
        self.broken = False
        self.resets = 0
        self.holder: object = None

    async def aclose(self) -> None:
        await asyncio.sleep(0)
        self.closed = True

    def __repr__(self) -> str:
        return f"<Conn {self.ident}>"


async def connect() -> Conn:
    await asyncio.sleep(0)
    return Conn()


async def aclose(conn: Conn) -> None:
    await conn.aclose()


def make_pool(**kwargs: Any) -> AsyncObjectPool[Conn]:
    kwargs.setdefault("timeout", 1)
    kwargs.setdefault("destroy", aclose)
    return AsyncObjectPool(connect, **kwargs)


def run(main: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(main(), 20))


async def until(condition: Callable[[], bool]) -> None:
    """Let the loop run until a condition holds (sequencing tasks, no wall-clock sleeps)."""
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


def test_get_put_and_lifo_reuse() -> None:
    async def main() -> None:
        pool = make_pool(max_size=2)
        a, b = await pool.get(), await pool.get()
        await pool.put(a)
        await pool.put(b)
        assert await pool.get() is b
        async with pool.acquire() as conn:
            assert conn is a
        stats = pool.stats()
        assert (stats.size, stats.in_use, stats.idle, stats.created) == (2, 1, 1, 2)
        await pool.close()  # objects still out at the end of a test would be reported as leaks

    run(main)


def test_async_with_returns_on_error_and_pool_closes_as_context_manager() -> None:
    async def main() -> None:
        async with make_pool(max_size=1) as pool:
            with pytest.raises(KeyError):
                async with pool.acquire() as conn:
                    raise KeyError("boom")
            assert pool.stats().in_use == 0
        assert conn.closed and pool.closed

    run(main)


def test_timeout_raises_pool_timeout_and_leaves_no_waiter() -> None:
    async def main() -> None:
        pool = make_pool(max_size=1, timeout=0.01)
        held = await pool.get()
        with pytest.raises(PoolTimeout) as info:
            await pool.get()
        assert isinstance(info.value, TimeoutError)
        with pytest.raises(PoolTimeout):
            await pool.get(timeout=0)
        stats = pool.stats()
        assert (stats.timeouts, stats.waiting, stats.in_use) == (2, 0, 1)
        await pool.put(held)
        assert await pool.get(timeout=0) is held

    run(main)


def test_waiters_are_served_fifo_by_returned_objects() -> None:
    async def main() -> None:
        pool = make_pool(max_size=1, timeout=5)
        held = await pool.get()
        order: list[str] = []

        async def waiter(tag: str) -> None:
            conn = await pool.get()
            order.append(tag)
            await pool.put(conn)

        tasks = [asyncio.create_task(waiter(tag)) for tag in ("first", "second", "third")]
        await until(lambda: pool.stats().waiting == 3)
        await pool.put(held)
        await asyncio.gather(*tasks)
        assert order == ["first", "second", "third"]
        assert pool.stats().created == 1

    run(main)


def test_cancelled_waiter_does_not_leak_a_slot() -> None:
    async def main() -> None:
        pool = make_pool(max_size=1, timeout=5)
        held = await pool.get()
        task = asyncio.create_task(pool.get())
        await until(lambda: pool.stats().waiting == 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert pool.stats().waiting == 0
        await pool.put(held)
        async with pool.acquire(timeout=0) as again:
            assert again is held

    run(main)


def test_waiter_cancelled_right_after_being_handed_an_object_gives_it_back() -> None:
    async def main() -> None:
        pool = make_pool(max_size=1, timeout=5)
        held = await pool.get()
        task = asyncio.create_task(pool.get())
        await until(lambda: pool.stats().waiting == 1)
        await pool.put(held)  # hands `held` to the waiting task's future...
        task.cancel()  # ...which is cancelled before it could resume
        with pytest.raises(asyncio.CancelledError):
            await task
        stats = pool.stats()
        assert (stats.in_use, stats.idle, stats.size, stats.waiting) == (0, 1, 1, 0)
        async with pool.acquire(timeout=0) as again:
            assert again is held

    run(main)


def test_wait_for_timeout_around_get_does_not_leak() -> None:
    async def main() -> None:
        pool = make_pool(max_size=2, timeout=None)
        held = [await pool.get(), await pool.get()]
        for _ in range(5):
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(pool.get(), 0.001)
        assert pool.stats().waiting == 0
        for conn in held:
            await pool.put(conn)
        assert pool.stats().idle == 2

    run(main)


def test_cancelled_creation_frees_the_reservation() -> None:
    async def main() -> None:
        started = asyncio.Event()

        async def slow_connect() -> Conn:
            started.set()
            await asyncio.sleep(10)
            return Conn()

        pool = AsyncObjectPool(slow_connect, max_size=1, timeout=5)
        task = asyncio.create_task(pool.get())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        stats = pool.stats()
        assert (stats.size, stats.in_use, stats.errors) == (0, 0, 0)

    run(main)


def test_grows_one_at_a_time_while_tasks_wait() -> None:
    async def main() -> None:
        active = most = 0

        async def slow_connect() -> Conn:
            nonlocal active, most
            active += 1
            most = max(most, active)
            for _ in range(5):
                await asyncio.sleep(0)
            active -= 1
            return Conn()

        pool = AsyncObjectPool(slow_connect, max_size=4, timeout=5)
        conns = await asyncio.gather(*(pool.get() for _ in range(4)))
        assert most == 1
        assert len({id(conn) for conn in conns}) == 4
        await pool.close()

    run(main)


def test_async_and_sync_callbacks_validate_reset_destroy() -> None:
    async def main() -> None:
        async def validate(conn: Conn) -> bool:
            await asyncio.sleep(0)
            return not conn.broken

        def reset(conn: Conn) -> None:
            conn.resets += 1

        pool = make_pool(max_size=2, validate=validate, reset=reset)
        a = await pool.get()
        await pool.put(a)
        assert a.resets == 1
        a.broken = True
        b = await pool.get()
        assert b is not a and a.closed
        await pool.put(b)

        async def failing_reset(conn: Conn) -> None:
            raise RuntimeError("rollback failed")

        pool2 = make_pool(max_size=1, reset=failing_reset)
        c = await pool2.get()
        await pool2.put(c)
        assert c.closed and pool2.stats().errors == 1

    run(main)


def test_put_errors_and_discard() -> None:
    async def main() -> None:
        pool = make_pool(max_size=1)
        a = await pool.get()
        await pool.discard(a)
        assert a.closed
        with pytest.raises(ValueError, match="not checked out"):
            await pool.put(a)

    run(main)


def test_close_fails_waiters_and_destroys_idle_and_returns() -> None:
    async def main() -> None:
        pool = make_pool(max_size=2, timeout=5)
        a, b = await pool.get(), await pool.get()
        await pool.put(a)
        c = await pool.get()
        assert c is a
        waiter = asyncio.create_task(pool.get())
        await until(lambda: pool.stats().waiting == 1)
        await pool.close()
        with pytest.raises(PoolClosed):
            await waiter
        await pool.put(b)
        assert b.closed
        with pytest.raises(PoolClosed):
            await pool.get()

    run(main)


def test_lifetime_and_idle_rules_with_an_injected_clock() -> None:
    async def main() -> None:
        clock = Clock()
        pool = make_pool(max_size=3, max_lifetime=30, lifetime_jitter=0, max_idle=10, clock=clock)
        conns = [await pool.get() for _ in range(3)]
        for conn in conns:
            await pool.put(conn)
        clock.now = 10
        assert await pool.maintain() == 0  # first period saw the pool empty
        clock.now = 20
        assert await pool.maintain() == 1  # three idle the whole period: one goes
        assert conns[0].closed
        clock.now = 30
        assert await pool.maintain() == 2  # the rest expire (max_lifetime)
        assert pool.stats().size == 0

    run(main)


def test_fill_prepares_min_size() -> None:
    async def main() -> None:
        pool = make_pool(max_size=3, min_size=2)
        assert await pool.fill() == 2
        assert pool.stats().idle == 2

    run(main)


def test_leak_is_reported_and_capacity_returned() -> None:
    async def main() -> None:
        pool = make_pool(max_size=1, track_leaks=True, timeout=0)

        async def leak() -> None:
            await pool.get()

        with pytest.warns(ResourceWarning, match="acquired at"):
            await leak()
            gc.collect()
        assert pool.stats().leaked == 1
        async with pool.acquire() as conn:
            assert isinstance(conn, Conn)

    run(main)


def test_many_tasks_never_exceed_capacity_or_share() -> None:
    async def main() -> None:
        size, overflow = 4, 1
        pool = make_pool(max_size=size, max_overflow=overflow, timeout=10)
        holders = most = 0
        problems: list[str] = []

        async def worker(ident: int) -> None:
            nonlocal holders, most
            for i in range(50):
                async with pool.acquire() as conn:
                    holders += 1
                    most = max(most, holders)
                    if conn.holder is not None:
                        problems.append(f"{conn!r} shared")
                    conn.holder = ident
                    if i % 3 == 0:
                        await asyncio.sleep(0)
                    if conn.holder != ident:
                        problems.append(f"{conn!r} taken")
                    conn.holder = None
                    holders -= 1

        await asyncio.gather(*(worker(i) for i in range(64)))
        assert problems == []
        assert most <= size + overflow
        stats = pool.stats()
        assert stats.in_use == 0 and stats.waiting == 0 and stats.size <= size

    run(main)
