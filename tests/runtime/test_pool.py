"""Behaviour of codeopt_runtime.pool.ObjectPool (threads)."""

from __future__ import annotations

import gc
import json
import os
import threading
import time
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from codeopt_runtime.errors import PoolClosed, PoolError, PoolTimeout, RuntimeLibError
from codeopt_runtime.pool import ObjectPool, PoolStats


class Clock:
    """Injected clock: lifetime and idle rules are tested without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Resource:
    """A pooled object that records what happened to it."""

    created = 0

    def __init__(self) -> None:
        Resource.created += 1
        self.ident = Resource.created
        self.closed = False
        self.resets = 0
        self.broken = False
        self.holder: int | None = None

    def close(self) -> None:
        self.closed = True

    def __repr__(self) -> str:
        return f"<Resource {self.ident}>"


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll a condition (used to sequence threads); fails the test instead of hanging."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.001)


def make_pool(**kwargs: Any) -> ObjectPool[Resource]:
    kwargs.setdefault("timeout", 0)
    return ObjectPool(Resource, **kwargs)


# ---------------------------------------------------------------------------------------------
# Basics


def test_get_put_reuses_the_most_recently_returned_object_lifo() -> None:
    pool = make_pool(max_size=3)
    a, b, c = pool.get(), pool.get(), pool.get()
    pool.put(a)
    pool.put(b)
    pool.put(c)
    assert pool.get() is c
    assert pool.get() is b
    stats = pool.stats()
    assert (stats.size, stats.in_use, stats.idle, stats.created) == (3, 2, 1, 3)
    pool.close()  # objects still checked out at the end of a test would be reported as leaks


def test_acquire_context_manager_returns_the_object_even_on_error() -> None:
    pool = make_pool(max_size=1)
    with pool.acquire() as first:
        assert pool.stats().in_use == 1
    with pytest.raises(ZeroDivisionError), pool.acquire() as second:
        assert second is first
        1 / 0  # noqa: B018
    assert pool.stats().in_use == 0
    with pool.acquire() as again:
        assert again is first


def test_lease_cannot_be_entered_twice() -> None:
    pool = make_pool(max_size=2)
    lease = pool.acquire()
    with lease, pytest.raises(RuntimeError, match="already in use"), lease:
        pass


def test_stats_snapshot_fields_and_repr() -> None:
    pool = make_pool(max_size=2, name="conns")
    obj = pool.get()
    stats = pool.stats()
    assert isinstance(stats, PoolStats)
    assert stats.as_dict() == {
        "created": 1,
        "destroyed": 0,
        "errors": 0,
        "idle": 0,
        "in_use": 1,
        "leaked": 0,
        "size": 1,
        "timeouts": 0,
        "wait_time_max": 0.0,
        "wait_time_total": 0.0,
        "waiting": 0,
        "waits": 0,
    }
    assert stats == pool.stats()
    assert "in_use=1" in repr(stats)
    assert repr(pool).startswith("<ObjectPool 'conns' open size=1 in_use=1")
    pool.put(obj)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_size": 0}, "max_size"),
        ({"min_size": 3, "max_size": 2}, "min_size"),
        ({"max_overflow": -1}, "max_overflow"),
        ({"timeout": -1}, "timeout"),
        ({"max_lifetime": 0}, "max_lifetime"),
        ({"lifetime_jitter": 1.0}, "lifetime_jitter"),
        ({"max_idle": 0}, "max_idle"),
    ],
)
def test_invalid_configuration_is_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ObjectPool(Resource, **kwargs)


# ---------------------------------------------------------------------------------------------
# Bounds, overflow, timeouts


def test_checkout_timeout_raises_typed_pool_timeout() -> None:
    pool = make_pool(max_size=2)
    held = [pool.get(), pool.get()]
    with pytest.raises(PoolTimeout) as info:
        pool.get(timeout=0)
    assert isinstance(info.value, TimeoutError)
    assert isinstance(info.value, PoolError) and isinstance(info.value, RuntimeLibError)
    started = time.monotonic()
    with pytest.raises(PoolTimeout):
        pool.get(timeout=0.05)
    assert time.monotonic() - started >= 0.04
    stats = pool.stats()
    assert (stats.timeouts, stats.waiting, stats.in_use, stats.waits) == (2, 0, 2, 2)
    for obj in held:
        pool.put(obj)


def test_overflow_objects_are_destroyed_when_returned() -> None:
    pool = make_pool(max_size=2, max_overflow=1)
    objs = [pool.get(), pool.get(), pool.get()]
    with pytest.raises(PoolTimeout):
        pool.get()
    assert pool.stats().size == 3
    pool.put(objs[2])
    assert objs[2].closed
    assert pool.stats().size == 2
    pool.put(objs[0])
    assert not objs[0].closed and pool.stats().idle == 1
    pool.close()


def test_waiter_receives_the_returned_object_in_fifo_order() -> None:
    pool = ObjectPool(Resource, max_size=1, timeout=10)
    held = pool.get()
    got: dict[str, Resource] = {}

    def waiter(tag: str) -> None:
        obj = pool.get()
        got[tag] = obj
        if tag == "first":
            pool.put(obj)

    first = threading.Thread(target=waiter, args=("first",))
    first.start()
    wait_until(lambda: pool.stats().waiting == 1)
    second = threading.Thread(target=waiter, args=("second",))
    second.start()
    wait_until(lambda: pool.stats().waiting == 2)
    pool.put(held)
    first.join(10)
    second.join(10)
    assert got == {"first": held, "second": held}
    stats = pool.stats()
    assert stats.waits == 2 and stats.wait_time_total > 0 and stats.wait_time_max > 0
    assert stats.created == 1
    pool.close()


def test_grows_one_object_at_a_time_while_callers_wait() -> None:
    active = 0
    most = 0
    lock = threading.Lock()

    def slow_factory() -> Resource:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        time.sleep(0.02)
        with lock:
            active -= 1
        return Resource()

    pool = ObjectPool(slow_factory, max_size=4, timeout=10)
    barrier = threading.Barrier(4)
    got: list[Resource] = []

    def worker() -> None:
        barrier.wait()
        got.append(pool.get())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert most == 1  # psycopg_pool's rule: never several creations at once
    assert len({id(obj) for obj in got}) == 4
    assert pool.stats().created == 4
    pool.close()


def test_factory_failure_propagates_and_frees_the_reservation() -> None:
    calls = 0

    def factory() -> Resource:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("db down")
        return Resource()

    pool = ObjectPool(factory, max_size=1, timeout=0)
    with pytest.raises(ConnectionError):
        pool.get()
    stats = pool.stats()
    assert (stats.size, stats.errors, stats.in_use) == (0, 1, 0)
    with pool.acquire() as obj:
        assert isinstance(obj, Resource)


# ---------------------------------------------------------------------------------------------
# validate / reset / destroy


def test_validate_discards_and_replaces_broken_objects() -> None:
    pool = make_pool(max_size=2, validate=lambda r: not r.broken)
    a = pool.get()
    pool.put(a)
    a.broken = True
    b = pool.get()
    assert b is not a and a.closed
    stats = pool.stats()
    assert (stats.destroyed, stats.created, stats.size) == (1, 2, 1)
    pool.put(b)


def test_validate_raising_counts_as_invalid() -> None:
    def validate(r: Resource) -> bool:
        if r.broken:
            raise OSError("ping failed")
        return True

    pool = make_pool(max_size=1, validate=validate)
    a = pool.get()
    pool.put(a)
    a.broken = True
    with pool.acquire() as b:
        assert b is not a
    assert pool.stats().errors == 1


def test_reset_runs_on_return_and_a_failing_reset_destroys_the_object() -> None:
    def reset(r: Resource) -> None:
        r.resets += 1
        if r.broken:
            raise RuntimeError("rollback failed")

    pool = make_pool(max_size=1, reset=reset)
    a = pool.get()
    pool.put(a)
    assert a.resets == 1 and not a.closed
    a = pool.get()
    a.broken = True
    pool.put(a)
    assert a.closed
    stats = pool.stats()
    assert (stats.errors, stats.size, stats.destroyed) == (1, 0, 1)
    with pool.acquire() as b:
        assert b is not a


def test_custom_destroy_and_destroy_errors_are_counted() -> None:
    destroyed: list[Resource] = []

    def destroy(r: Resource) -> None:
        destroyed.append(r)
        raise OSError("already gone")

    pool = make_pool(max_size=1, destroy=destroy)
    a = pool.get()
    pool.discard(a)
    assert destroyed == [a] and not a.closed
    assert pool.stats().errors == 1


def test_destroy_none_leaves_objects_alone() -> None:
    pool = make_pool(max_size=1, destroy=None)
    a = pool.get()
    pool.put(a, discard=True)
    assert not a.closed and pool.stats().destroyed == 1


def test_returning_twice_or_a_foreign_object_is_an_error() -> None:
    pool = make_pool(max_size=2)
    a = pool.get()
    pool.put(a)
    with pytest.raises(ValueError, match="not checked out"):
        pool.put(a)
    with pytest.raises(ValueError, match="not checked out"):
        pool.put(Resource())


def test_discard_inside_a_with_block_is_not_returned_again() -> None:
    pool = make_pool(max_size=1)
    with pool.acquire() as a:
        pool.discard(a)
        b = pool.get()  # capacity is free again; b may reuse nothing of a
        assert b is not a
    # exiting the block must not return `a` (or `b`, now checked out by someone else)
    stats = pool.stats()
    assert (stats.in_use, stats.size, stats.destroyed) == (1, 1, 1)
    pool.put(b)


def test_unweakrefable_objects_are_pooled() -> None:
    pool = ObjectPool(list, max_size=1, timeout=0, destroy=None)
    a = pool.get()
    a.append(1)
    pool.put(a)
    with pool.acquire() as again:
        assert again is a


# ---------------------------------------------------------------------------------------------
# Lifetime and idle shrinking (injected clock)


def test_max_lifetime_replaces_expired_objects_on_checkout_and_return() -> None:
    clock = Clock()
    pool = make_pool(max_size=2, max_lifetime=60, lifetime_jitter=0, clock=clock)
    a = pool.get()
    pool.put(a)
    clock.advance(59.9)
    assert pool.get() is a
    clock.advance(0.1)
    pool.put(a)  # expired while checked out: destroyed on return
    assert a.closed
    b = pool.get()
    pool.put(b)
    clock.advance(60)
    c = pool.get()  # expired while idle: destroyed on checkout
    assert c is not b and b.closed
    assert pool.stats().destroyed == 2
    pool.put(c)


def test_lifetime_jitter_spreads_expiry_below_max_lifetime() -> None:
    clock = Clock()
    pool = make_pool(max_size=40, max_lifetime=100, lifetime_jitter=0.5, clock=clock)
    objs = [pool.get() for _ in range(40)]
    for obj in objs:
        pool.put(obj)
    clock.advance(49.9)  # below the earliest possible expiry (100 * (1 - 0.5))
    assert pool.maintain() == 0
    clock.advance(25)  # roughly half have expired by now
    expired = pool.maintain()
    assert 0 < expired < 40
    clock.advance(25.1)  # nothing outlives max_lifetime
    assert pool.maintain() == 40 - expired


def test_idle_shrink_follows_psycopg_rule_one_per_period_down_to_min_size() -> None:
    clock = Clock()
    pool = make_pool(max_size=4, min_size=1, max_idle=10, clock=clock)
    objs = [pool.get() for _ in range(4)]
    for obj in objs:
        pool.put(obj)
    # Period 1 saw the pool empty (objects being created): nothing stayed idle all along.
    clock.advance(10)
    assert pool.maintain() == 0
    # Period 2: all 4 idle the whole time -> exactly one is closed, the least recently used.
    clock.advance(10)
    assert pool.maintain() == 1
    assert objs[0].closed and not any(obj.closed for obj in objs[1:])
    # A checkout during period 3 leaves 2 of 3 idle all along: one more goes.
    used = pool.get()
    pool.put(used)
    clock.advance(10)
    assert pool.maintain() == 1
    # Many idle periods at once: one per period, never below min_size.
    clock.advance(100)
    assert pool.maintain() == 1
    assert pool.stats().size == 1


def test_idle_shrink_is_applied_by_checkouts_without_maintain() -> None:
    clock = Clock()
    pool = make_pool(max_size=3, max_idle=5, clock=clock)
    objs = [pool.get() for _ in range(3)]
    for obj in objs:
        pool.put(obj)
    clock.advance(5)
    pool.put(pool.get())  # period 1 ends: pool was empty in it
    clock.advance(5)
    pool.put(pool.get())  # period 2 ends: 3 idle throughout (min 2 after the checkout above)
    assert pool.stats().size == 2


def test_fill_creates_min_size_objects_up_front() -> None:
    pool = make_pool(max_size=4, min_size=3)
    assert pool.fill() == 3
    assert pool.fill() == 0
    stats = pool.stats()
    assert (stats.size, stats.idle, stats.in_use) == (3, 3, 0)


# ---------------------------------------------------------------------------------------------
# close


def test_close_destroys_idle_fails_waiters_and_destroys_returns() -> None:
    pool = ObjectPool(Resource, max_size=2, timeout=10)
    idle = pool.get()
    pool.put(idle)
    pool.close()
    assert idle.closed and pool.closed
    with pytest.raises(PoolClosed):
        pool.get()
    pool.close()  # idempotent

    pool = ObjectPool(Resource, max_size=2, timeout=10)
    a, b = pool.get(), pool.get()
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            pool.get()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=waiter)
    thread.start()
    wait_until(lambda: pool.stats().waiting == 1)
    pool.close()
    thread.join(10)
    assert len(errors) == 1 and isinstance(errors[0], PoolClosed)
    assert not a.closed  # in use: destroyed when it comes back
    pool.put(a)
    pool.put(b)
    assert a.closed and b.closed
    assert pool.stats().size == 0


def test_pool_as_context_manager_closes() -> None:
    with make_pool(max_size=1) as pool:
        obj = pool.get()
        pool.put(obj)
    assert obj.closed and pool.closed


# ---------------------------------------------------------------------------------------------
# Leaks


def test_leaked_object_warns_with_acquiring_stack_and_frees_its_place() -> None:
    pool = make_pool(max_size=1, track_leaks=True)

    def leak() -> None:
        pool.get()  # dropped on the floor

    with pytest.warns(ResourceWarning, match="garbage-collected without being returned") as record:
        leak()
        gc.collect()
    message = str(record[0].message)
    assert "acquired at" in message and "in leak" in message and __file__ in message
    stats = pool.stats()
    assert (stats.leaked, stats.size, stats.in_use) == (1, 0, 0)
    with pool.acquire() as obj:  # capacity came back
        assert isinstance(obj, Resource)


def test_leak_warning_without_tracking_gives_a_hint_and_no_stack() -> None:
    pool = make_pool(max_size=1, track_leaks=False)
    with pytest.warns(ResourceWarning, match="track_leaks=True") as record:
        pool.get()
        gc.collect()
    assert "acquired at" not in str(record[0].message)


def test_a_closed_pool_does_not_report_leaks() -> None:
    pool = make_pool(max_size=1)
    obj = pool.get()
    pool.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del obj
        gc.collect()
    assert [w for w in caught if w.category is ResourceWarning] == []
    assert pool.stats().leaked == 0


def test_returned_and_destroyed_objects_never_warn() -> None:
    pool = make_pool(max_size=2, track_leaks=True)
    a, b = pool.get(), pool.get()
    pool.put(a)
    pool.discard(b)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del a, b
        gc.collect()
    assert [w for w in caught if w.category is ResourceWarning] == []
    assert pool.stats().leaked == 0


# ---------------------------------------------------------------------------------------------
# Fork safety


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_never_receives_a_parent_object() -> None:
    pool = ObjectPool(Resource, max_size=3, timeout=0)
    idle = pool.get()
    held = pool.get()
    lease = pool.acquire()
    leased = lease.__enter__()
    pool.put(idle)
    closed_pool = ObjectPool(Resource, max_size=1, timeout=0)
    closed_pool.close()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        result: dict[str, Any] = {}
        try:
            fresh = pool.get()
            result["fresh_is_parent_object"] = fresh is idle or fresh is held
            result["stats"] = pool.stats().as_dict()
            pool.put(held)  # a parent's object: dropped, not pooled, not closed
            lease.__exit__(None, None, None)  # same for one leased by a with block
            result["held_closed"] = held.closed or leased.closed
            result["idle_closed"] = idle.closed
            result["after_put"] = pool.stats().as_dict()
            try:
                closed_pool.get()
            except PoolClosed:
                result["closed_stays_closed"] = True
        except BaseException as exc:
            result["error"] = repr(exc)
        os.write(write_end, json.dumps(result).encode())
        os._exit(0)
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read_end) as reader:
        result = json.loads(reader.read())
    assert status == 0 and "error" not in result, result
    assert result["fresh_is_parent_object"] is False
    assert result["stats"]["created"] == 1 and result["stats"]["size"] == 1
    assert result["held_closed"] is False and result["idle_closed"] is False
    assert result["after_put"]["idle"] == 0
    assert result.get("closed_stays_closed") is True
    # The parent pool is untouched.
    assert pool.get() is idle
    pool.put(held)
    lease.__exit__(None, None, None)
    assert pool.stats().idle == 2
    pool.close()


# ---------------------------------------------------------------------------------------------
# Concurrency


@pytest.mark.parametrize("overflow", [0, 2])
def test_hammering_threads_never_exceed_capacity_or_share_an_object(overflow: int) -> None:
    threads, iterations, size = 32, 300, 4
    pool = ObjectPool(Resource, max_size=size, max_overflow=overflow, timeout=30)
    lock = threading.Lock()
    holders = 0
    most = 0
    problems: list[str] = []
    barrier = threading.Barrier(threads)

    def worker() -> None:
        nonlocal holders, most
        me = threading.get_ident()
        barrier.wait()
        for i in range(iterations):
            with pool.acquire() if i % 2 else _get_put(pool) as obj:
                with lock:
                    holders += 1
                    most = max(most, holders)
                if obj.holder is not None:
                    problems.append(f"{obj!r} shared by {obj.holder} and {me}")
                obj.holder = me
                if i % 7 == 0:
                    time.sleep(0)  # yield while holding it
                if obj.holder != me:
                    problems.append(f"{obj!r} taken from {me}")
                obj.holder = None
                with lock:
                    holders -= 1

    pool_threads = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool_threads:
        thread.start()
    for thread in pool_threads:
        thread.join(60)
    assert problems == []
    assert most <= size + overflow
    stats = pool.stats()
    assert stats.in_use == 0 and stats.waiting == 0
    assert stats.size <= size
    assert stats.created - stats.destroyed == stats.size


class _get_put:
    def __init__(self, pool: ObjectPool[Resource]) -> None:
        self.pool = pool

    def __enter__(self) -> Resource:
        self.obj = self.pool.get()
        return self.obj

    def __exit__(self, *exc: object) -> None:
        self.pool.put(self.obj)


def test_timeouts_under_contention_leave_no_waiter_behind() -> None:
    pool = ObjectPool(Resource, max_size=1, timeout=0.01)
    held = pool.get()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            pool.get()
        except PoolTimeout as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(errors) == 16
    stats = pool.stats()
    assert (stats.waiting, stats.timeouts, stats.in_use) == (0, 16, 1)
    pool.put(held)
    with pool.acquire() as again:
        assert again is held
