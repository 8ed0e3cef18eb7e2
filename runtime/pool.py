"""Object pools for threads (``ObjectPool``) and asyncio (``AsyncObjectPool``).

Why: creating connections, sessions and clients per call is the most common avoidable cost codeopt
finds (sqlite3 connect 102 us vs 3 us reused; an httpx.Client ~46 ms). The semantics are the DB
pools' (psycopg_pool, SQLAlchemy, HikariCP) because those are the ones people already trust:

* bounded: ``max_size`` kept objects, plus ``max_overflow`` temporary ones destroyed on return;
* ``validate`` on checkout (broken objects are destroyed and replaced), ``reset`` on return
  (an exception in it destroys the object), ``max_lifetime`` with jitter so a pool's objects do
  not all expire at once;
* psycopg_pool's sizing rule: grow one object at a time while callers wait (no thundering herd of
  connects), and every ``max_idle`` seconds destroy one object if some object stayed idle for the
  whole period;
* LIFO reuse: the hottest object is reused, so the idle tail is what shrinking removes;
* fork safety: in a child process the pool forgets every object created by the parent (never hands
  one out, never closes one: closing could end the parent's session) and starts afresh;
* leak detection: an object checked out and then garbage-collected without being returned emits a
  ``ResourceWarning``, with the acquiring stack when ``track_leaks`` (or ``python -X dev``) is on,
  and its capacity is given back.

No background thread: lifetime and idle rules are applied when the pool is used (and by
``maintain()``), so the pool costs nothing when idle and needs no shutdown. ``clock`` is injectable
so lifetime/idle behaviour is testable without sleeping.

Fast path (an idle object exists): one ``_thread`` lock acquire/release around a list pop, no
Condition, no clock read unless lifetime/idle rules are configured. Waiters queue FIFO and each
waits on its own lock, which the returning thread releases after handing the object over directly.
"""

from __future__ import annotations

import _thread
import os
import sys
import time
import warnings
from _weakref import ref as _weakref
from collections import deque

from .errors import PoolClosed, PoolTimeout

TYPE_CHECKING = False
if TYPE_CHECKING:
    import asyncio
    from collections.abc import Awaitable, Callable
    from types import TracebackType
    from typing import Any, Generic, Self, TypeVar
else:  # pragma: no cover - keep typing out of the import (~4 ms); see runtime/lazy.py
    from types import GenericAlias

    class Generic:
        __slots__ = ()

        def __class_getitem__(cls, params):
            return cls if cls is Generic else GenericAlias(cls, params)

    def TypeVar(name, *constraints, **kwargs):
        return name


_T = TypeVar("_T")

__all__ = ["AsyncObjectPool", "ObjectPool", "PoolStats"]

_DEFAULT: Any = object()  # "use the pool's default timeout"
_GRANT: Any = object()  # a waiter is allowed to create an object itself
_CLOSED: Any = object()  # a waiter is told that the pool closed
_STACK_LIMIT = 32


def close_if_possible(obj: object) -> None:
    """Default ``destroy``: call ``obj.close()`` when the object has one (connections, sessions)."""
    close = getattr(obj, "close", None)
    if callable(close):
        close()


def _capture_stack() -> tuple[tuple[str, int, str], ...]:
    """Cheap stack capture (no traceback/linecache import); formatted only if a leak is reported."""
    frame: Any = sys._getframe(3)
    frames: list[tuple[str, int, str]] = []
    while frame is not None and len(frames) < _STACK_LIMIT:
        code = frame.f_code
        frames.append((code.co_filename, frame.f_lineno, code.co_name))
        frame = frame.f_back
    return tuple(reversed(frames))


def _format_stack(stack: tuple[tuple[str, int, str], ...]) -> str:
    return "".join(f'  File "{file}", line {line}, in {name}\n' for file, line, name in stack)


class PoolStats:
    """A consistent snapshot of a pool's counters (taken under the pool lock).

    Gauges: ``size`` (objects that exist, in use or idle, including one being created), ``in_use``,
    ``idle``, ``waiting``. Counters since creation (or since a fork): ``created``,
    ``destroyed``, ``timeouts``, ``errors`` (factory/validate/reset/destroy failures), ``leaked``,
    ``waits`` (checkouts that had to wait), ``wait_time_total``/``wait_time_max`` (seconds, by the
    pool's clock).
    """

    __slots__ = (
        "created",
        "destroyed",
        "errors",
        "idle",
        "in_use",
        "leaked",
        "size",
        "timeouts",
        "wait_time_max",
        "wait_time_total",
        "waiting",
        "waits",
    )

    def __init__(
        self,
        *,
        size: int,
        in_use: int,
        idle: int,
        waiting: int,
        created: int,
        destroyed: int,
        timeouts: int,
        errors: int,
        leaked: int,
        waits: int,
        wait_time_total: float,
        wait_time_max: float,
    ) -> None:
        self.size = size
        self.in_use = in_use
        self.idle = idle
        self.waiting = waiting
        self.created = created
        self.destroyed = destroyed
        self.timeouts = timeouts
        self.errors = errors
        self.leaked = leaked
        self.waits = waits
        self.wait_time_total = wait_time_total
        self.wait_time_max = wait_time_max

    def as_dict(self) -> dict[str, int | float]:
        return {name: getattr(self, name) for name in self.__slots__}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PoolStats) and self.as_dict() == other.as_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self.as_dict().items())
        return f"PoolStats({fields})"


class _Slot:
    """One pooled object and its bookkeeping; lives as long as the object is pooled."""

    __slots__ = ("created", "expires", "gen", "key", "obj", "out", "ref", "stack")

    def __init__(self, obj: Any, created: float, expires: float, gen: int) -> None:
        self.obj = obj  # strong reference while idle; None while checked out (if weakref-able)
        self.ref: _SlotRef | None = None
        self.created = created
        self.expires = expires
        self.gen = gen
        self.key = id(obj)
        # False while pooled; True when checked out, or the _Lease holding it, so that a lease can
        # tell that its object was returned (and maybe checked out again) inside its block.
        self.out: object = False
        self.stack: tuple[tuple[str, int, str], ...] | None = None


class _SlotRef(_weakref):  # type: ignore[type-arg]
    __slots__ = ("slot",)
    slot: _Slot


class _Waiter:
    __slots__ = ("lock", "result")

    def __init__(self) -> None:
        self.lock = _thread.allocate_lock()
        self.lock.acquire()
        self.result: Any = None  # None while waiting; then a _Slot, _GRANT or _CLOSED


# Pools alive in this process, reset in a forked child before any Python code runs there.
_LIVE_POOLS: dict[int, Any] = {}
_FORK_ORPHANS: list[Any] = []  # parent's objects, kept referenced so the child never finalizes them


def _forget_pool(ref: Any) -> None:
    _LIVE_POOLS.pop(ref.key, None)


class _PoolRef(_weakref):  # type: ignore[type-arg]
    __slots__ = ("key",)
    key: int


def _reset_pools_in_child() -> None:
    for ref in list(_LIVE_POOLS.values()):
        pool = ref()
        if pool is not None:
            pool._reset_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_pools_in_child)


class _PoolCore(Generic[_T]):
    """State and bookkeeping shared by the thread and asyncio pools.

    Methods whose name ends in ``_locked`` assume the caller holds ``self._lock`` (the asyncio pool
    runs them on the event loop, where no lock is needed). They never call user code.
    """

    __slots__ = (
        "__weakref__",
        "_capacity",
        "_clock",
        "_closed",
        "_created",
        "_creating",
        "_destroy",
        "_destroyed",
        "_errors",
        "_factory",
        "_fast_get",
        "_fast_put",
        "_fork_out",
        "_gen",
        "_idle",
        "_idle_min",
        "_jitter",
        "_leaked",
        "_leaked_count",
        "_lock",
        "_max_idle",
        "_max_lifetime",
        "_max_size",
        "_min_size",
        "_name",
        "_out",
        "_random",
        "_reset",
        "_shrink_at",
        "_size",
        "_timeout",
        "_timeouts",
        "_track",
        "_validate",
        "_wait_max",
        "_wait_total",
        "_waiters",
        "_waits",
    )

    def __init__(
        self,
        factory: Any,
        *,
        max_size: int,
        min_size: int,
        max_overflow: int,
        timeout: float | None,
        validate: Any,
        reset: Any,
        destroy: Any,
        max_lifetime: float | None,
        lifetime_jitter: float,
        max_idle: float | None,
        track_leaks: bool | None,
        clock: Callable[[], float],
        name: str | None,
    ) -> None:
        if max_size < 1:
            raise ValueError(f"max_size must be >= 1, got {max_size}")
        if not 0 <= min_size <= max_size:
            raise ValueError(f"min_size must be between 0 and max_size ({max_size}), got {min_size}")
        if max_overflow < 0:
            raise ValueError(f"max_overflow must be >= 0, got {max_overflow}")
        if timeout is not None and timeout < 0:
            raise ValueError(f"timeout must be >= 0 or None, got {timeout}")
        if max_lifetime is not None and max_lifetime <= 0:
            raise ValueError(f"max_lifetime must be > 0 or None, got {max_lifetime}")
        if not 0 <= lifetime_jitter < 1:
            raise ValueError(f"lifetime_jitter must be in [0, 1), got {lifetime_jitter}")
        if max_idle is not None and max_idle <= 0:
            raise ValueError(f"max_idle must be > 0 or None, got {max_idle}")
        self._factory = factory
        self._validate = validate
        self._reset = reset
        self._destroy = destroy
        self._max_size = max_size
        self._min_size = min_size
        self._capacity = max_size + max_overflow
        self._timeout = timeout
        self._max_lifetime = max_lifetime
        self._jitter = lifetime_jitter
        self._random: Callable[[], float] | None = None
        self._max_idle = max_idle
        self._track = sys.flags.dev_mode if track_leaks is None else track_leaks
        self._clock = clock
        self._name = name or getattr(factory, "__qualname__", None) or repr(factory)
        self._gen = 0
        self._out: dict[int, _Slot] = {}  # id(obj) -> slot of every checked-out object
        self._fork_out: dict[int, _Slot] = {}  # what was checked out in the parent, after a fork
        self._init_state()
        ref = _PoolRef(self, _forget_pool)
        ref.key = id(self)
        _LIVE_POOLS[ref.key] = ref

    def _init_state(self) -> None:
        self._lock = _thread.allocate_lock()
        self._idle: list[_Slot] = []
        self._waiters: deque[Any] = deque()
        self._leaked: deque[_Slot] = deque()  # appended by weakref callbacks, which must not lock
        self._closed = False
        # The fast paths skip every rule that is not configured; close() turns them off.
        self._fast_get = self._max_lifetime is None and self._validate is None and self._max_idle is None
        self._fast_get = self._fast_get and not self._track
        self._fast_put = self._max_lifetime is None and self._reset is None and not self._track
        self._size = 0
        self._creating = False
        self._created = 0
        self._destroyed = 0
        self._timeouts = 0
        self._errors = 0
        self._leaked_count = 0
        self._waits = 0
        self._wait_total = 0.0
        self._wait_max = 0.0
        self._idle_min = 0
        self._shrink_at = None if self._max_idle is None else self._clock() + self._max_idle

    # -- public read-only API ---------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def max_size(self) -> int:
        return self._max_size

    @property
    def closed(self) -> bool:
        return self._closed

    def stats(self) -> PoolStats:
        """A consistent snapshot of sizes and counters."""
        with self._lock:
            if self._leaked:
                self._reap_leaked_locked()
            return PoolStats(
                size=self._size,
                in_use=self._in_use(),
                idle=len(self._idle),
                waiting=len(self._waiters),
                created=self._created,
                destroyed=self._destroyed,
                timeouts=self._timeouts,
                errors=self._errors,
                leaked=self._leaked_count,
                waits=self._waits,
                wait_time_total=self._wait_total,
                wait_time_max=self._wait_max,
            )

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return (
            f"<{type(self).__name__} {self._name!r} {state} size={self._size} in_use={self._in_use()} "
            f"idle={len(self._idle)} waiting={len(self._waiters)} max_size={self._max_size}>"
        )

    # -- bookkeeping shared by both flavours --------------------------------------------------------

    def _in_use(self) -> int:
        """Checked out, being validated, or handed to a waiter: whatever exists and is not idle
        (derived rather than counted, so the fast paths have one counter less to maintain)."""
        return self._size - len(self._idle) - self._creating

    def _new_slot(self, obj: Any) -> _Slot:
        now = self._clock()
        expires = float("inf")
        if self._max_lifetime is not None:
            lifetime = self._max_lifetime
            if self._jitter:
                if self._random is None:
                    import random  # only pools with a lifetime pay for it

                    self._random = random.random
                lifetime *= 1.0 - self._jitter * self._random()
            expires = now + lifetime
        slot = _Slot(obj, now, expires, self._gen)
        try:
            ref = _SlotRef(obj, self._on_collected)
        except TypeError:  # not weak-referenceable: we keep it alive, leaks go unnoticed
            return slot
        ref.slot = slot
        slot.ref = ref
        return slot

    def _on_collected(self, ref: _SlotRef) -> None:
        """Weakref callback: a checked-out object died. May run in any thread, in the middle of
        anything (even inside our own locked sections, via the cyclic GC), so it only records."""
        slot = ref.slot
        if not slot.out or slot.gen != self._gen or self._closed:
            return  # a closed pool no longer cares: its in-use objects are the holders' business
        self._leaked.append(slot)
        if slot.stack is not None:
            where = "acquired at (most recent call last):\n" + _format_stack(slot.stack)
        else:
            where = "pass track_leaks=True (or run python -X dev) to record where it was acquired"
        warnings.warn(
            f"{self!r}: an object checked out from the pool was garbage-collected without being "
            f"returned (use 'with pool.acquire()' or put() it back); {where}",
            ResourceWarning,
            stacklevel=2,
        )

    def _reap_leaked_locked(self) -> None:
        while self._leaked:
            slot = self._leaked.popleft()
            if not slot.out or slot.gen != self._gen:
                continue
            slot.out = False
            slot.ref = None
            if self._out.get(slot.key) is slot:
                del self._out[slot.key]
            self._size -= 1
            self._leaked_count += 1
            self._grant_locked()

    def _checkout_slot(self, slot: _Slot) -> Any:
        """Hand ``slot``'s object to the caller; the pool keeps only a weak reference to it."""
        obj = slot.obj
        if slot.ref is not None:
            slot.obj = None
        slot.out = True
        if self._track:
            slot.stack = _capture_stack()
        self._out[slot.key] = slot
        return obj

    def _check_returned(self, slot: _Slot | None, obj: Any) -> _Slot | None:
        """Validate a slot popped from ``_out`` for ``obj``; None for a parent's object after a
        fork (dropped, never closed). Raises ValueError for a double return or a foreign object."""
        if slot is not None and slot.out and (slot.obj is obj or (slot.ref and slot.ref() is obj)):
            return slot
        forked = self._fork_out.pop(id(obj), None)
        if forked is not None and (forked.obj is obj or (forked.ref and forked.ref() is obj)):
            _FORK_ORPHANS.append(obj)
            return None
        raise ValueError(f"{obj!r} is not checked out from {self!r} (returned twice, or not ours)")

    def _expired(self, slot: _Slot) -> bool:
        return self._max_lifetime is not None and self._clock() >= slot.expires

    def _grant_locked(self) -> None:
        """Let the first waiter create an object if there is room: growth is one at a time."""
        if self._waiters and not self._creating and self._size < self._capacity and not self._closed:
            self._size += 1
            self._creating = True
            self._wake_locked(_GRANT)

    def _release_locked(self, slot: _Slot, obj: Any, discard: bool) -> bool:
        """Return a checked-out slot; True if the caller must destroy ``obj`` (outside the lock)."""
        slot.obj = obj
        slot.out = False
        slot.stack = None
        if self._leaked:
            self._reap_leaked_locked()
        if discard or self._closed or (self._size > self._max_size and not self._waiters):
            self._forget_locked(slot)
            self._grant_locked()
            return True
        if self._waiters and self._wake_locked(slot):
            return False
        self._idle.append(slot)
        return False

    def _forget_locked(self, slot: _Slot) -> None:
        """Account for a destroyed slot; clear the weakref first so no leak callback fires."""
        slot.ref = None
        slot.out = False
        self._size -= 1
        self._destroyed += 1

    def _shrink_locked(self, now: float) -> list[_Slot]:
        """psycopg_pool's rule, applied for every ``max_idle`` period elapsed since the last check:
        destroy one object per period if at least one stayed idle for the whole period."""
        assert self._max_idle is not None and self._shrink_at is not None
        periods = int((now - self._shrink_at) // self._max_idle) + 1
        self._shrink_at += periods * self._max_idle
        victims: list[_Slot] = []
        count = min(periods, self._idle_min, len(self._idle), self._size - self._min_size)
        for _ in range(max(count, 0)):
            slot = self._idle.pop(0)  # bottom of the LIFO stack: idle the longest
            self._forget_locked(slot)
            victims.append(slot)
        self._idle_min = len(self._idle)
        return victims

    def _expire_idle_locked(self) -> list[_Slot]:
        if self._max_lifetime is None:
            return []
        now = self._clock()
        victims = [slot for slot in self._idle if now >= slot.expires]
        if victims:
            self._idle = [slot for slot in self._idle if now < slot.expires]
            for slot in victims:
                self._forget_locked(slot)
        return victims

    def _store_filled_locked(self, slot: _Slot) -> None:
        """A slot made by fill(): to a waiter if any, else to the bottom of the idle stack."""
        if not (self._waiters and self._wake_locked(slot)):
            self._idle.insert(0, slot)

    def _reset_after_fork(self) -> None:
        """In a forked child: forget the parent's objects without closing them; start afresh."""
        _FORK_ORPHANS.extend(slot.obj for slot in self._idle)
        self._fork_out.update(self._out)
        self._out = {}
        self._gen += 1
        closed = self._closed
        self._init_state()
        if closed:  # a pool closed in the parent stays closed
            self._closed = True
            self._fast_get = self._fast_put = False

    def _wake_locked(self, result: Any) -> bool:  # pragma: no cover - overridden
        raise NotImplementedError

    def _give_back_locked(self, result: Any) -> None:
        """A waiter that was handed ``result`` is leaving without it (interrupted/cancelled)."""
        if result is _GRANT:
            self._size -= 1
            self._creating = False
            self._grant_locked()
        elif isinstance(result, _Slot):  # unused: pass it on as if it had been returned
            if self._waiters and self._wake_locked(result):
                return
            self._idle.append(result)

    def _timeout_error(self, timeout: float | None) -> PoolTimeout:
        return PoolTimeout(
            f"no object available from {self!r} within {timeout} s "
            f"(all {self._size} in use; raise max_size/max_overflow or return objects sooner)"
        )

    def _closed_error(self) -> PoolClosed:
        return PoolClosed(f"{self!r} is closed")


class ObjectPool(_PoolCore[_T]):
    """A thread-safe pool of reusable objects.

    ::

        pool = ObjectPool(lambda: sqlite3.connect(path, check_same_thread=False),
                          max_size=4, validate=lambda c: c.execute("select 1") is not None,
                          reset=lambda c: c.rollback())
        with pool.acquire() as conn:
            conn.execute(...)

    ``get()``/``put(obj)`` are the explicit form; ``put(obj, discard=True)`` (or ``discard(obj)``)
    destroys an object you know is broken. ``timeout`` (seconds, None = wait forever) bounds the
    wait for an object and raises ``PoolTimeout``. ``destroy`` is called on objects the pool drops
    (default: ``obj.close()`` if it exists). User callbacks never run under the pool lock.
    """

    __slots__ = ()

    def __init__(
        self,
        factory: Callable[[], _T],
        *,
        max_size: int = 10,
        min_size: int = 0,
        max_overflow: int = 0,
        timeout: float | None = 30.0,
        validate: Callable[[_T], bool] | None = None,
        reset: Callable[[_T], object] | None = None,
        destroy: Callable[[_T], object] | None = close_if_possible,
        max_lifetime: float | None = None,
        lifetime_jitter: float = 0.05,
        max_idle: float | None = None,
        track_leaks: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        name: str | None = None,
    ) -> None:
        super().__init__(
            factory,
            max_size=max_size,
            min_size=min_size,
            max_overflow=max_overflow,
            timeout=timeout,
            validate=validate,
            reset=reset,
            destroy=destroy,
            max_lifetime=max_lifetime,
            lifetime_jitter=lifetime_jitter,
            max_idle=max_idle,
            track_leaks=track_leaks,
            clock=clock,
            name=name,
        )

    # -- checkout ---------------------------------------------------------------------------------

    def get(self, timeout: float | None = _DEFAULT) -> _T:
        """Check an object out; wait up to ``timeout`` seconds (default: the pool's)."""
        lock = self._lock
        lock.acquire()
        idle = self._idle
        if idle and self._fast_get and not self._leaked:
            # Fast path (inlined _checkout_slot): an idle object and no rule to apply.
            slot = idle.pop()
            obj = slot.obj
            if slot.ref is not None:
                slot.obj = None
            slot.out = True
            self._out[slot.key] = slot
            lock.release()
            return obj  # type: ignore[no-any-return]
        lock.release()
        return self._checkout_slot(self._get_slot(timeout))  # type: ignore[no-any-return]

    def _get_slot(self, timeout: float | None) -> _Slot:
        if timeout is _DEFAULT:
            timeout = self._timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        lock = self._lock
        lock.acquire()
        while True:
            # Lock held here.
            victims: list[_Slot] = []
            if self._leaked:
                self._reap_leaked_locked()
            if self._closed:
                lock.release()
                raise self._closed_error()
            if self._shrink_at is not None:
                now = self._clock()
                if now >= self._shrink_at:
                    victims = self._shrink_locked(now)
            result: Any
            if self._idle:
                result = self._idle.pop()
                if len(self._idle) < self._idle_min:
                    self._idle_min = len(self._idle)
                lock.release()
            elif self._size < self._capacity and not self._creating:
                self._size += 1
                self._creating = True
                self._idle_min = 0
                lock.release()
                result = _GRANT
            else:
                waiter = _Waiter()
                self._waiters.append(waiter)
                self._idle_min = 0
                lock.release()
                if victims:
                    self._destroy_slots(victims, in_use=False)
                    victims = []
                result = self._wait(waiter, timeout, deadline)
            if victims:
                self._destroy_slots(victims, in_use=False)
            if result is _GRANT:
                return self._create_slot()
            if result is _CLOSED:
                raise self._closed_error()
            if not self._expired(result) and (self._validate is None or self._valid(result)):
                return result  # type: ignore[no-any-return]
            self._destroy_slots([result], in_use=True)
            lock.acquire()

    def _wait(self, waiter: _Waiter, timeout: float | None, deadline: float | None) -> Any:
        started = self._clock()
        try:
            remaining = -1.0 if deadline is None else max(deadline - time.monotonic(), 0.0)
            got = waiter.lock.acquire(True, remaining)
        except BaseException:  # KeyboardInterrupt while waiting: give back whatever we were handed
            with self._lock:
                if waiter.result is None:
                    self._waiters.remove(waiter)
                else:
                    self._give_back_locked(waiter.result)
            raise
        waited = self._clock() - started
        with self._lock:
            self._waits += 1
            self._wait_total += waited
            if waited > self._wait_max:
                self._wait_max = waited
            if not got and waiter.result is None:
                self._waiters.remove(waiter)
                self._timeouts += 1
                raise self._timeout_error(timeout)
        return waiter.result

    def _wake_locked(self, result: Any) -> bool:
        waiter: _Waiter = self._waiters.popleft()
        waiter.result = result
        waiter.lock.release()
        return True

    def _create_slot(self) -> _Slot:
        """Create an object with a reserved place (size already counted, ``_creating`` set)."""
        try:
            obj = self._factory()
        except BaseException as exc:
            with self._lock:
                self._size -= 1
                self._creating = False
                self._errors += isinstance(exc, Exception)
                self._grant_locked()
            raise
        slot = self._new_slot(obj)
        with self._lock:
            self._creating = False
            self._created += 1
            self._grant_locked()
        return slot

    def _valid(self, slot: _Slot) -> bool:
        try:
            return bool(self._validate(slot.obj))
        except Exception:
            with self._lock:
                self._errors += 1
            return False

    def _destroy_slots(self, slots: list[_Slot], *, in_use: bool) -> None:
        """Destroy slots; ``in_use`` ones are still counted as checked out and not yet forgotten."""
        if in_use:
            with self._lock:
                for slot in slots:
                    self._forget_locked(slot)
                self._grant_locked()
        for slot in slots:
            self._call_destroy(slot.obj)
            slot.obj = None

    def _call_destroy(self, obj: Any) -> None:
        if self._destroy is None:
            return
        try:
            self._destroy(obj)
        except Exception:
            with self._lock:
                self._errors += 1

    # -- return -------------------------------------------------------------------------------------

    def put(self, obj: _T, *, discard: bool = False) -> None:
        """Return a checked-out object; ``discard=True`` destroys it instead (it is broken).

        Raises ValueError for an object that is not checked out from this pool (a double return
        would let two callers share one object). In a forked child, a parent's object is dropped.
        """
        lock = self._lock
        lock.acquire()
        if self._leaked:
            self._reap_leaked_locked()
        slot = self._out.pop(id(obj), None)
        if (
            slot is not None
            and self._fast_put
            and not discard
            and not self._waiters
            and self._size <= self._max_size
        ):
            # Fast path. No identity check needed: entries of dead (leaked) objects, whose id may
            # be reused, are removed by the reap above before any other object can get that id.
            slot.obj = obj
            slot.out = False
            self._idle.append(slot)
            lock.release()
            return
        lock.release()
        checked = self._check_returned(slot, obj)
        if checked is not None:
            self._return(checked, obj, discard)

    def discard(self, obj: _T) -> None:
        """Return a checked-out object that must not be reused: it is destroyed."""
        self.put(obj, discard=True)

    def _return(self, slot: _Slot, obj: Any, discard: bool) -> None:
        if not discard and self._reset is not None:
            try:
                self._reset(obj)
            except Exception:
                discard = True
                with self._lock:
                    self._errors += 1
        if not discard and self._max_lifetime is not None and self._clock() >= slot.expires:
            discard = True
        lock = self._lock
        lock.acquire()
        destroy = self._release_locked(slot, obj, discard)
        lock.release()
        if destroy:
            self._call_destroy(obj)
            slot.obj = None

    def acquire(self, timeout: float | None = _DEFAULT) -> _Lease[_T]:
        """``with pool.acquire() as obj:`` checks out on entry and returns on exit."""
        lease: _Lease[_T] = _Lease()  # no __init__ frame: this is on the fast path
        lease._pool = self
        lease._timeout = timeout
        lease._slot = None
        return lease

    # -- maintenance ----------------------------------------------------------------------------

    def fill(self) -> int:
        """Create objects until ``min_size`` exist (e.g. at start-up); return how many were made."""
        made = 0
        while True:
            with self._lock:
                if self._closed or self._size >= self._min_size or self._creating:
                    return made
                self._size += 1
                self._creating = True
            slot = self._create_slot()
            made += 1
            with self._lock:
                self._store_filled_locked(slot)

    def maintain(self) -> int:
        """Apply lifetime and idle rules now (the pool otherwise does so when used).

        Call it from a timer if a pool can sit unused for long and idle objects should be closed.
        Returns the number of objects destroyed.
        """
        with self._lock:
            if self._leaked:
                self._reap_leaked_locked()
            victims = self._expire_idle_locked()
            if self._shrink_at is not None:
                now = self._clock()
                if now >= self._shrink_at:
                    victims += self._shrink_locked(now)
        self._destroy_slots(victims, in_use=False)
        return len(victims)

    def close(self) -> None:
        """Destroy idle objects, fail waiters with PoolClosed; objects in use are destroyed when
        they come back. Idempotent."""
        with self._lock:
            self._closed = True
            self._fast_get = self._fast_put = False
            victims = self._idle
            self._idle = []
            for slot in victims:
                self._forget_locked(slot)
            while self._waiters:
                self._wake_locked(_CLOSED)
        self._destroy_slots(victims, in_use=False)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class _Lease(Generic[_T]):
    """Context manager returned by ``ObjectPool.acquire()``."""

    __slots__ = ("_obj", "_pool", "_slot", "_timeout")
    _pool: ObjectPool[_T]
    _timeout: float | None
    _slot: _Slot | None
    _obj: Any

    # The fast paths of ObjectPool.get/put are inlined here: two Python calls are ~20% of the cost.

    def __enter__(self) -> _T:
        if self._slot is not None:
            raise RuntimeError("this lease is already in use; call pool.acquire() again")
        pool = self._pool
        lock = pool._lock
        lock.acquire()
        idle = pool._idle
        if idle and pool._fast_get and not pool._leaked:
            slot = idle.pop()
            obj = slot.obj
            if slot.ref is not None:
                slot.obj = None
            slot.out = self  # lets __exit__ tell whether it still holds this checkout
            pool._out[slot.key] = slot
            lock.release()
        else:
            lock.release()
            slot = pool._get_slot(self._timeout)
            obj = pool._checkout_slot(slot)
            slot.out = self
        self._slot = slot
        self._obj = obj
        return obj  # type: ignore[no-any-return]

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        slot = self._slot
        obj = self._obj
        self._slot = self._obj = None
        if slot is None or slot.out is not self:
            return  # the block already returned or discarded it (someone may hold it now)
        pool = self._pool
        lock = pool._lock
        lock.acquire()
        if (
            pool._fast_put
            and not pool._waiters
            and not pool._leaked
            and pool._size <= pool._max_size
            and pool._out.pop(slot.key, None) is slot  # not after a fork: put() deals with that
        ):
            slot.obj = obj
            slot.out = False
            pool._idle.append(slot)
            lock.release()
            return
        lock.release()
        pool.put(obj)


# --------------------------------------------------------------------------------------------
# asyncio


def _is_awaitable(value: object) -> bool:
    """``inspect.isawaitable`` without importing inspect (coroutines, futures, tasks)."""
    return hasattr(type(value), "__await__")


class AsyncObjectPool(_PoolCore[_T]):
    """The asyncio flavour of ``ObjectPool``: same rules, awaited factory and callbacks.

    ``factory`` is awaited; ``validate``, ``reset`` and ``destroy`` may be plain or async
    functions. Use it from one event loop (like asyncio's own primitives it is not thread-safe).
    A task cancelled while waiting for an object never loses the pool a slot: if an object was
    handed to it in the same instant, it goes back to the pool.
    """

    __slots__ = ()

    def __init__(
        self,
        factory: Callable[[], Awaitable[_T]],
        *,
        max_size: int = 10,
        min_size: int = 0,
        max_overflow: int = 0,
        timeout: float | None = 30.0,
        validate: Callable[[_T], bool | Awaitable[bool]] | None = None,
        reset: Callable[[_T], object] | None = None,
        destroy: Callable[[_T], object] | None = close_if_possible,
        max_lifetime: float | None = None,
        lifetime_jitter: float = 0.05,
        max_idle: float | None = None,
        track_leaks: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        name: str | None = None,
    ) -> None:
        super().__init__(
            factory,
            max_size=max_size,
            min_size=min_size,
            max_overflow=max_overflow,
            timeout=timeout,
            validate=validate,
            reset=reset,
            destroy=destroy,
            max_lifetime=max_lifetime,
            lifetime_jitter=lifetime_jitter,
            max_idle=max_idle,
            track_leaks=track_leaks,
            clock=clock,
            name=name,
        )

    async def get(self, timeout: float | None = _DEFAULT) -> _T:
        """Check an object out; wait up to ``timeout`` seconds (default: the pool's)."""
        return self._checkout_slot(await self._get_slot(timeout))  # type: ignore[no-any-return]

    async def _get_slot(self, timeout: float | None) -> _Slot:
        if timeout is _DEFAULT:
            timeout = self._timeout
        deadline: float | None = None
        while True:
            if self._leaked:
                self._reap_leaked_locked()
            if self._closed:
                raise self._closed_error()
            if self._shrink_at is not None:
                now = self._clock()
                if now >= self._shrink_at:
                    await self._destroy_slots(self._shrink_locked(now))
                    continue
            result: Any
            if self._idle:
                result = self._idle.pop()
                if len(self._idle) < self._idle_min:
                    self._idle_min = len(self._idle)
            elif self._size < self._capacity and not self._creating:
                self._size += 1
                self._creating = True
                self._idle_min = 0
                result = _GRANT
            else:
                if deadline is None and timeout is not None:
                    deadline = _loop_time() + timeout
                result = await self._wait(timeout, deadline)
            if result is _GRANT:
                return await self._create_slot()
            if result is _CLOSED:
                raise self._closed_error()
            if not self._expired(result) and await self._is_valid(result):
                return result  # type: ignore[no-any-return]
            self._forget_locked(result)
            self._grant_locked()
            await self._call_destroy(result.obj)
            result.obj = None

    async def _wait(self, timeout: float | None, deadline: float | None) -> Any:
        import asyncio

        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._waiters.append(future)
        self._idle_min = 0
        handle = None
        if deadline is not None:
            handle = loop.call_at(deadline, self._expire_waiter, future, timeout)
        started = self._clock()
        try:
            result = await future
        except BaseException:
            if future.done() and not future.cancelled():
                if future.exception() is None:  # handed a slot/grant as we were cancelled
                    self._give_back_locked(future.result())
            elif future in self._waiters:
                self._waiters.remove(future)
            raise
        finally:
            if handle is not None:
                handle.cancel()
            waited = self._clock() - started
            self._waits += 1
            self._wait_total += waited
            if waited > self._wait_max:
                self._wait_max = waited
        return result

    def _expire_waiter(self, future: asyncio.Future[Any], timeout: float | None) -> None:
        if not future.done():
            self._waiters.remove(future)
            self._timeouts += 1
            future.set_exception(self._timeout_error(timeout))

    def _wake_locked(self, result: Any) -> bool:
        while self._waiters:
            future = self._waiters.popleft()
            if not future.done():  # skip waiters cancelled but not yet resumed
                future.set_result(result)
                return True
        if result is _GRANT:  # nobody left to use the grant
            self._size -= 1
            self._creating = False
        return False

    async def _create_slot(self) -> _Slot:
        try:
            obj = await self._factory()
        except BaseException as exc:  # cancellation is not an error, but frees the place too
            self._size -= 1
            self._creating = False
            self._errors += isinstance(exc, Exception)
            self._grant_locked()
            raise
        slot = self._new_slot(obj)
        self._creating = False
        self._created += 1
        self._grant_locked()
        return slot

    async def _is_valid(self, slot: _Slot) -> bool:
        if self._validate is None:
            return True
        try:
            ok = self._validate(slot.obj)
            if _is_awaitable(ok):
                ok = await ok
            return bool(ok)
        except Exception:
            self._errors += 1
            return False

    async def _call_destroy(self, obj: Any) -> None:
        if self._destroy is None:
            return
        try:
            result = self._destroy(obj)
            if _is_awaitable(result):
                await result
        except Exception:
            self._errors += 1

    async def _destroy_slots(self, slots: list[_Slot]) -> None:
        for slot in slots:
            await self._call_destroy(slot.obj)
            slot.obj = None

    async def put(self, obj: _T, *, discard: bool = False) -> None:
        """Return a checked-out object (``discard=True`` destroys it). See ``ObjectPool.put``."""
        if self._leaked:
            self._reap_leaked_locked()
        slot = self._check_returned(self._out.pop(id(obj), None), obj)
        if slot is not None:
            await self._return(slot, obj, discard)

    async def discard(self, obj: _T) -> None:
        """Return a checked-out object that must not be reused: it is destroyed."""
        await self.put(obj, discard=True)

    async def _return(self, slot: _Slot, obj: Any, discard: bool) -> None:
        if not discard and self._reset is not None:
            try:
                result = self._reset(obj)
                if _is_awaitable(result):
                    await result
            except Exception:
                discard = True
                self._errors += 1
            except BaseException:  # cancelled mid-reset: the object's state is unknown
                if self._release_locked(slot, obj, True):
                    await self._call_destroy(obj)
                raise
        if not discard and self._expired(slot):
            discard = True
        if self._release_locked(slot, obj, discard):
            await self._call_destroy(obj)
            slot.obj = None

    def acquire(self, timeout: float | None = _DEFAULT) -> _AsyncLease[_T]:
        """``async with pool.acquire() as obj:`` checks out on entry and returns on exit."""
        return _AsyncLease(self, timeout)

    async def fill(self) -> int:
        """Create objects until ``min_size`` exist; return how many were made."""
        made = 0
        while not self._closed and self._size < self._min_size and not self._creating:
            self._size += 1
            self._creating = True
            slot = await self._create_slot()
            made += 1
            self._store_filled_locked(slot)
        return made

    async def maintain(self) -> int:
        """Apply lifetime and idle rules now; return the number of objects destroyed."""
        if self._leaked:
            self._reap_leaked_locked()
        victims = self._expire_idle_locked()
        if self._shrink_at is not None:
            now = self._clock()
            if now >= self._shrink_at:
                victims += self._shrink_locked(now)
        await self._destroy_slots(victims)
        return len(victims)

    async def close(self) -> None:
        """Destroy idle objects, fail waiters with PoolClosed; objects in use are destroyed when
        they come back. Idempotent."""
        self._closed = True
        self._fast_get = self._fast_put = False
        victims = self._idle
        self._idle = []
        for slot in victims:
            self._forget_locked(slot)
        while self._waiters:
            future = self._waiters.popleft()
            if not future.done():
                future.set_result(_CLOSED)
        await self._destroy_slots(victims)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _loop_time() -> float:
    import asyncio

    return asyncio.get_running_loop().time()


class _AsyncLease(Generic[_T]):
    """Async context manager returned by ``AsyncObjectPool.acquire()``."""

    __slots__ = ("_obj", "_pool", "_slot", "_timeout")
    _obj: Any

    def __init__(self, pool: AsyncObjectPool[_T], timeout: float | None) -> None:
        self._pool = pool
        self._timeout = timeout
        self._slot: _Slot | None = None

    async def __aenter__(self) -> _T:
        if self._slot is not None:
            raise RuntimeError("this lease is already in use; call pool.acquire() again")
        pool = self._pool
        slot = await pool._get_slot(self._timeout)
        self._obj = obj = pool._checkout_slot(slot)
        slot.out = self  # so that __aexit__ can tell whether it still holds this checkout
        self._slot = slot
        return obj  # type: ignore[no-any-return]

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        slot = self._slot
        obj = self._obj
        self._slot = self._obj = None
        # Skip if the block already returned or discarded it (and maybe someone re-acquired it).
        if slot is not None and slot.out is self:
            await self._pool.put(obj)
