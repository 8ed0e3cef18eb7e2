"""``@cached`` and ``@async_cached``: memoisation with stampede protection.

What each feature is for:

* **Fast hits.** The wrapper is generated with the decorated function's own signature (as
  ``dataclasses`` generates ``__init__``), so a hit costs no ``*args``/``**kwargs`` packing: build the
  key (a single parameter is its own key), one ``dict.get``, one bound check, ``entry.hits += 1``.
  No lock: see ``memory.py`` for why that is safe under the GIL.
* **Single-flight.** On a miss one caller computes; concurrent callers for the same key wait for its
  result (or its exception) instead of recomputing: N expired callers, one computation.
* **XFetch** (Vattani et al., VLDB 2015). Before expiry each hit recomputes early with probability
  given by ``now - delta * beta * ln(U) >= expiry`` (``delta`` = last compute time), so a hot key is
  refreshed by one caller shortly before it expires instead of by all callers after. Only callers in
  the last ``8 * delta * beta`` seconds of the TTL evaluate it (earlier the probability is < 0.04%),
  so ordinary hits stay on the fast path.
* **Serve stale on error.** With ``stale_ttl`` an expired value is kept that much longer; if the
  recomputation raises, the old value is returned (and counted) instead of the exception.
* **Background refresh.** With ``refresh_after`` a hit on an entry older than that returns the
  current value and refreshes it in the background; a failing refresh is retried with full-jitter
  backoff ``sleep = U(0, min(cap, base * 2**attempt))`` while the old value keeps being served.
"""

from __future__ import annotations

import _thread
import math
import time

from .memory import FRESH, GONE, STALE, MemoryCache
from .policy import Entry
from .tags import LocalTagVersions

TYPE_CHECKING = False
if TYPE_CHECKING:
    import asyncio
    from collections.abc import Awaitable, Callable, Hashable, Iterable
    from typing import Any, Protocol

    class Backend(Protocol):
        """What a decorator needs from its storage (``MemoryCache`` adapter, ``MultiLevelCache``)."""

        l1: MemoryCache

        def fetch(self, key: Hashable) -> Entry | None: ...

        def store(
            self,
            key: Hashable,
            value: object,
            *,
            ttl: float | None,
            stale_ttl: float,
            tags: Iterable[str] | None,
            delta: float,
            early: float,
            refresh_after: float | None,
        ) -> Entry | None: ...

        def clear(self) -> None: ...

    TagsArg = Iterable[str] | Callable[..., Iterable[str]] | None

__all__ = [
    "CacheInfo",
    "async_cached",
    "cached",
    "default_tag_versions",
    "invalidate_tag",
]

#: Tag versions shared by every decorated function that has a private cache, so that
#: ``invalidate_tag("user:42")`` reaches all of them.
default_tag_versions = LocalTagVersions()

#: XFetch is evaluated only in the last ``XFETCH_HORIZON * delta * beta`` seconds of the TTL:
#: earlier, ``P(-ln U >= horizon) = e**-8 = 0.03%``.
XFETCH_HORIZON = 8.0
_KWMARK = object()


def invalidate_tag(tag: str) -> int:
    """Invalidate, in O(1), every entry tagged ``tag`` in caches using the default tag versions."""
    return default_tag_versions.bump(tag)


class CacheInfo(tuple[int, int, int | None, int]):
    """``functools.lru_cache``-compatible ``(hits, misses, maxsize, currsize)``."""

    __slots__ = ()

    def __new__(cls, hits: int, misses: int, maxsize: int | None, currsize: int) -> CacheInfo:
        return tuple.__new__(cls, (hits, misses, maxsize, currsize))

    @property
    def hits(self) -> int:
        return self[0]

    @property
    def misses(self) -> int:
        return self[1]

    @property
    def maxsize(self) -> int | None:
        return self[2]

    @property
    def currsize(self) -> int:
        return self[3]

    def __repr__(self) -> str:
        return f"CacheInfo(hits={self[0]}, misses={self[1]}, maxsize={self[2]}, currsize={self[3]})"


class _MemoryBackend:
    """Adapter giving a bare ``MemoryCache`` the ``Backend`` shape (no lower tiers)."""

    def __init__(self, l1: MemoryCache) -> None:
        self.l1 = l1

    def fetch(self, key: Hashable) -> Entry | None:
        return None

    def store(
        self,
        key: Hashable,
        value: object,
        *,
        ttl: float | None,
        stale_ttl: float,
        tags: Iterable[str] | None,
        delta: float,
        early: float,
        refresh_after: float | None,
    ) -> Entry | None:
        return self.l1.set(
            key,
            value,
            ttl=ttl,
            stale_ttl=stale_ttl,
            tags=tags,
            delta=delta,
            early=early,
            refresh_after=refresh_after,
        )

    def clear(self) -> None:
        self.l1.clear()


class _Flight:
    """One computation in progress; waiters block on ``done`` (a pre-acquired lock)."""

    __slots__ = ("done", "error", "owner", "result")

    def __init__(self) -> None:
        self.done = _thread.allocate_lock()
        self.done.acquire()
        self.owner = _thread.get_ident()
        self.result: object = None
        self.error: BaseException | None = None


def _uniform() -> float:
    import random

    return random.random()


def _start_thread(job: Callable[[], None]) -> None:
    import threading

    threading.Thread(target=job, name="codeopt-cache-refresh", daemon=True).start()


class _Controller:
    """State and slow paths shared by the sync and async decorators."""

    def __init__(
        self,
        func: Callable[..., Any],
        backend: Backend,
        *,
        ttl: float | None,
        stale_ttl: float,
        tags: TagsArg,
        beta: float,
        refresh_after: float | None,
        refresh_backoff: tuple[float, float],
        refresh_attempts: int,
        random: Callable[[], float] | None,
        sleep: Callable[[float], None] | None,
        spawn: Callable[[Callable[[], None]], None] | None,
    ) -> None:
        if ttl is not None and ttl <= 0:
            raise ValueError("ttl must be > 0 or None")
        if stale_ttl < 0 or beta < 0:
            raise ValueError("stale_ttl and beta must be >= 0")
        if refresh_after is not None and refresh_after <= 0:
            raise ValueError("refresh_after must be > 0 or None")
        self.func = func
        self.backend = backend
        self.l1 = backend.l1
        self.clock = backend.l1.clock
        self.ttl = ttl
        self.stale_ttl = stale_ttl
        self.tags = tags
        self.beta = beta
        self.refresh_after = refresh_after
        self.backoff_base, self.backoff_cap = refresh_backoff
        self.refresh_attempts = refresh_attempts
        self.random = random if random is not None else _uniform
        self.sleep = sleep if sleep is not None else time.sleep
        self.spawn = spawn if spawn is not None else _start_thread
        self.lock = _thread.allocate_lock()
        self.flights: dict[Hashable, Any] = {}
        self.refreshing: set[Hashable] = set()
        self.tasks: set[Any] = set()
        self.misses = 0
        self.computations = 0
        self.early_recomputes = 0
        self.refreshes = 0
        self.refresh_failures = 0
        self.stale_served = 0
        self.errors = 0
        self.waits = 0

    # -- helpers -----------------------------------------------------------------------------

    def tags_for(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterable[str] | None:
        if self.tags is None:
            return None
        if callable(self.tags):
            return list(self.tags(*args, **kwargs))
        return self.tags

    def store(self, key: Hashable, value: object, delta: float, tags: Iterable[str] | None) -> None:
        self.backend.store(
            key,
            value,
            ttl=self.ttl,
            stale_ttl=self.stale_ttl,
            tags=tags,
            delta=delta,
            early=delta * self.beta * XFETCH_HORIZON if self.beta else 0.0,
            refresh_after=self.refresh_after,
        )

    def backoff(self, attempt: int) -> float:
        """Full jitter: ``U(0, min(cap, base * 2**attempt))``."""
        return self.random() * min(self.backoff_cap, self.backoff_base * 2.0**attempt)

    def classify(self, key: Hashable) -> tuple[Entry | None, int, float]:
        """Find the entry (L1, then lower tiers) and its state."""
        l1 = self.l1
        entry = l1._data.get(key)
        now = self.clock()
        if entry is not None:
            state = l1.state(entry, now)
            if state != GONE:
                return entry, state, now
            l1._drop(entry)
        entry = self.backend.fetch(key)
        if entry is not None:
            state = l1.state(entry, now)
            if state != GONE:
                return entry, state, now
        return None, GONE, now

    def wants_early(self, entry: Entry, now: float) -> bool:
        """XFetch: ``now - delta * beta * ln(U) >= expiry``."""
        if not self.beta or entry.fresh_until is None:
            return False
        u = 1.0 - self.random()  # (0, 1]
        return now - entry.delta * self.beta * math.log(u) >= entry.fresh_until

    def stale_usable(self, entry: Entry | None) -> bool:
        return entry is not None and self.l1.state(entry, self.clock()) != GONE

    # -- sync --------------------------------------------------------------------------------

    def slow(self, key: Hashable, args: tuple[Any, ...], kw: dict[str, Any]) -> Any:
        func = self.func

        def call() -> Any:
            return func(*args, **kw)

        entry, state, now = self.classify(key)
        if state == FRESH:
            assert entry is not None
            self.l1.record_hit(entry)
            if entry.refresh_at is not None and now >= entry.refresh_at:
                self.schedule_refresh(key, call, args, kw, entry)
            elif self.wants_early(entry, now):
                self.early_recomputes += 1
                return self.compute(key, call, args, kw, entry, early=True)
            return entry.value
        self.misses += 1
        self.l1.misses += 1
        return self.compute(key, call, args, kw, entry if state == STALE else None, early=False)

    def compute(
        self,
        key: Hashable,
        call: Callable[[], Any],
        args: tuple[Any, ...],
        kw: dict[str, Any],
        old: Entry | None,
        *,
        early: bool,
    ) -> Any:
        with self.lock:
            flight = self.flights.get(key)
            leader = flight is None
            if leader:
                flight = self.flights[key] = _Flight()
        assert flight is not None
        if not leader:
            if early and old is not None:
                return old.value  # someone is already recomputing; the current value is fresh
            if flight.owner == _thread.get_ident():
                return call()  # recursion on the same key: cannot wait for ourselves
            self.waits += 1
            flight.done.acquire()
            flight.done.release()
            if flight.error is not None:
                raise flight.error
            return flight.result
        try:
            if not early:
                # A leader that finished between our miss and our registration stored a fresh
                # value: use it (this is what makes "N callers, one computation" exact). Judged by
                # state, not identity: set() updates an existing entry in place.
                entry = self.l1._data.get(key)
                if entry is not None and self.l1.state(entry, self.clock()) == FRESH:
                    flight.result = entry.value
                    return entry.value
            tags = self.tags_for(args, kw)
            start = self.clock()
            try:
                self.computations += 1
                value = call()
            except Exception as exc:
                self.errors += 1
                if old is not None and self.stale_usable(old):
                    self.stale_served += 1
                    flight.result = old.value
                    return old.value
                flight.error = exc
                raise
            self.store(key, value, self.clock() - start, tags)
            flight.result = value
            return value
        finally:
            with self.lock:
                del self.flights[key]
            flight.done.release()

    def schedule_refresh(
        self, key: Hashable, call: Callable[[], Any], args: tuple[Any, ...], kw: dict[str, Any], entry: Entry
    ) -> None:
        with self.lock:
            if key in self.refreshing:
                return
            self.refreshing.add(key)

        def job() -> None:
            try:
                for attempt in range(self.refresh_attempts):
                    start = self.clock()
                    try:
                        value = call()
                    except Exception:
                        self.refresh_failures += 1
                        if attempt + 1 >= self.refresh_attempts or not self.stale_usable(entry):
                            break
                        self.sleep(self.backoff(attempt))
                        continue
                    self.store(key, value, self.clock() - start, self.tags_for(args, kw))
                    self.refreshes += 1
                    return
                # gave up: try again one refresh period from now, keep serving the old value
                if self.refresh_after is not None and entry.refresh_at is not None:
                    entry.refresh_at = self.clock() + self.refresh_after
                    soft = entry.soft
                    if soft is not None and soft != float("-inf"):
                        entry.soft = min(entry.refresh_at, entry.fresh_until or entry.refresh_at)
            finally:
                with self.lock:
                    self.refreshing.discard(key)

        self.spawn(job)

    # -- async -------------------------------------------------------------------------------

    async def aslow(self, key: Hashable, args: tuple[Any, ...], kw: dict[str, Any]) -> Any:
        func = self.func

        def call() -> Awaitable[Any]:
            return func(*args, **kw)  # type: ignore[no-any-return]

        entry, state, now = self.classify(key)
        if state == FRESH:
            assert entry is not None
            self.l1.record_hit(entry)
            if entry.refresh_at is not None and now >= entry.refresh_at:
                self.aschedule_refresh(key, call, args, kw, entry)
            elif self.wants_early(entry, now):
                self.early_recomputes += 1
                return await self.acompute(key, call, args, kw, entry, early=True)
            return entry.value
        self.misses += 1
        self.l1.misses += 1
        return await self.acompute(key, call, args, kw, entry if state == STALE else None, early=False)

    async def acompute(
        self,
        key: Hashable,
        call: Callable[[], Awaitable[Any]],
        args: tuple[Any, ...],
        kw: dict[str, Any],
        old: Entry | None,
        *,
        early: bool,
    ) -> Any:
        import asyncio

        loop = asyncio.get_running_loop()
        flight = self.flights.get(key)
        if flight is not None and flight.get_loop() is loop:
            if early and old is not None:
                return old.value
            self.waits += 1
            return await asyncio.shield(flight)
        if not early:
            entry = self.l1._data.get(key)
            if entry is not None and self.l1.state(entry, self.clock()) == FRESH:
                return entry.value

        async def run() -> Any:
            tags = self.tags_for(args, kw)
            start = self.clock()
            try:
                self.computations += 1
                value = await call()
            except Exception:
                self.errors += 1
                if old is not None and self.stale_usable(old):
                    self.stale_served += 1
                    return old.value
                raise
            self.store(key, value, self.clock() - start, tags)
            return value

        # A task, not an inline await: cancelling the caller that started the computation must not
        # cancel it for the other waiters (they all await it through shield()).
        task: asyncio.Task[Any] = loop.create_task(run())
        self.flights[key] = task

        def forget(done: asyncio.Task[Any]) -> None:
            if self.flights.get(key) is done:
                del self.flights[key]
            if not done.cancelled():
                done.exception()  # mark retrieved: waiters re-raise it themselves

        task.add_done_callback(forget)
        return await asyncio.shield(task)

    def aschedule_refresh(
        self,
        key: Hashable,
        call: Callable[[], Awaitable[Any]],
        args: tuple[Any, ...],
        kw: dict[str, Any],
        entry: Entry,
    ) -> None:
        import asyncio

        if key in self.refreshing:
            return
        self.refreshing.add(key)

        async def job() -> None:
            try:
                for attempt in range(self.refresh_attempts):
                    start = self.clock()
                    try:
                        value = await call()
                    except Exception:
                        self.refresh_failures += 1
                        if attempt + 1 >= self.refresh_attempts or not self.stale_usable(entry):
                            break
                        await asyncio.sleep(self.backoff(attempt))
                        continue
                    self.store(key, value, self.clock() - start, self.tags_for(args, kw))
                    self.refreshes += 1
                    return
                if self.refresh_after is not None and entry.refresh_at is not None:
                    entry.refresh_at = self.clock() + self.refresh_after
            finally:
                self.refreshing.discard(key)

        task = asyncio.get_running_loop().create_task(job())
        self.tasks.add(task)  # keep a reference: the loop only holds weak ones
        task.add_done_callback(self.tasks.discard)

    # -- introspection -----------------------------------------------------------------------

    def info(self) -> CacheInfo:
        l1 = self.l1
        return CacheInfo(l1.hits, self.misses, l1.maxsize, len(l1))

    def stats(self) -> dict[str, object]:
        out = dict(self.l1.stats())
        out.update(
            misses=self.misses,
            computations=self.computations,
            single_flight_waits=self.waits,
            early_recomputes=self.early_recomputes,
            refreshes=self.refreshes,
            refresh_failures=self.refresh_failures,
            stale_served=self.stale_served,
            errors=self.errors,
        )
        extra = getattr(self.backend, "stats", None)
        if extra is not None:
            out["tiers"] = extra()
        return out

    def clear(self) -> None:
        self.backend.clear()


# -- wrapper generation -------------------------------------------------------------------------

_CO_VARARGS = 0x04
_CO_VARKEYWORDS = 0x08
_PREFIX = "_codeopt_"


def _generic_signature(*args: Any, **kwargs: Any) -> None:
    """Stands in for callables whose signature is not copied."""


_generic_code = _generic_signature.__code__


def _make_key_generic(args: tuple[Any, ...], kwargs: dict[str, Any], typed: bool) -> Hashable:
    """``functools.lru_cache``'s key: one int/str argument is its own key."""
    if not kwargs and not typed and len(args) == 1 and type(args[0]) in (int, str):
        single: Hashable = args[0]
        return single
    key: tuple[Any, ...] = args
    if kwargs:
        key += (_KWMARK, *sorted(kwargs.items()))
    if typed:
        key += tuple(type(a) for a in args)
        if kwargs:
            key += tuple(type(v) for _, v in sorted(kwargs.items()))
    return key


def _build_wrapper(
    func: Callable[..., Any],
    ctl: _Controller,
    typed: bool,
    is_async: bool,
    key_func: Callable[..., Hashable] | None,
    check_bounds: bool = True,
) -> Callable[..., Any]:
    """Generate a wrapper with ``func``'s signature whose hit path is a few bytecodes.

    ``check_bounds=False`` (a private cache whose entries can have no TTL, tags or refresh time)
    drops the ``soft`` bound check from the hit path.
    """
    # Only plain functions have a signature we can copy; bound methods, partials, builtins and
    # callable objects get the generic (*args, **kwargs) wrapper.
    code = func.__code__ if type(func).__name__ == "function" else _generic_code
    params = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    generic = bool(code.co_flags & (_CO_VARARGS | _CO_VARKEYWORDS)) or key_func is not None
    generic = generic or any(p.startswith(_PREFIX) for p in params)
    ns: dict[str, Any] = {
        f"{_PREFIX}get": ctl.l1._data.get,
        f"{_PREFIX}clock": ctl.clock,
        f"{_PREFIX}func": func,
        f"{_PREFIX}slow": ctl.aslow if is_async else ctl.slow,
        f"{_PREFIX}touch": ctl.l1.policy.touch,
        f"{_PREFIX}mkkey": _make_key_generic,
        f"{_PREFIX}keyf": key_func,
    }
    bump = "_e.hits += 1" if ctl.l1.policy.inline_hits else f"{_PREFIX}touch(_e)"
    bump = bump.replace("_e", f"{_PREFIX}e")
    if generic:
        sig = "*args, **kwargs"
        key_expr = (
            f"{_PREFIX}keyf(*args, **kwargs)"
            if key_func is not None
            else f"{_PREFIX}mkkey(args, kwargs, {typed})"
        )
        pass_args = "args, kwargs"
    else:
        defaults = func.__defaults__ or ()
        kwdefaults = func.__kwdefaults__ or {}
        n_pos = code.co_argcount
        first_default = n_pos - len(defaults)
        parts: list[str] = []
        pos_names = params[:n_pos]
        kw_names = params[n_pos:]
        for i, name in enumerate(pos_names):
            if i >= first_default:
                ns[f"{_PREFIX}d{i}"] = defaults[i - first_default]
                parts.append(f"{name}={_PREFIX}d{i}")
            else:
                parts.append(name)
            if code.co_posonlyargcount and i == code.co_posonlyargcount - 1:
                parts.append("/")
        if kw_names:
            parts.append("*")
            for name in kw_names:
                if name in kwdefaults:
                    ns[f"{_PREFIX}k_{name}"] = kwdefaults[name]
                    parts.append(f"{name}={_PREFIX}k_{name}")
                else:
                    parts.append(name)
        sig = ", ".join(parts)
        all_names = list(params)
        if len(all_names) == 1 and not typed:
            key_expr = all_names[0]
        elif not all_names:
            key_expr = "()"
        else:
            key_expr = "(" + ", ".join(all_names) + ("," if len(all_names) == 1 else "")
            if typed:
                key_expr += " " + " ".join(f"type({n})," for n in all_names)
            key_expr += ")"
        pos_tuple = "(" + ", ".join(pos_names) + ("," if len(pos_names) == 1 else "") + ")"
        kw_dict = "{" + ", ".join(f"{n!r}: {n}" for n in kw_names) + "}"
        pass_args = f"{pos_tuple}, {kw_dict}"
    k, e, s = f"{_PREFIX}key", f"{_PREFIX}e", f"{_PREFIX}s"
    head = "async def" if is_async else "def"
    ret = "return await" if is_async else "return"
    if key_expr.isidentifier():
        k = key_expr  # one parameter: it is the key, no extra local
        key_line = ""
    else:
        key_line = f"{k} = {key_expr}"
    if check_bounds:
        hit = f"""{s} = {e}.soft
            if {s} is None or {_PREFIX}clock() < {s}:
                {bump}
                return {e}.value"""
    else:
        hit = f"""{bump}
            return {e}.value"""
    src = f"""
def {_PREFIX}make():
    {head} wrapper({sig}):
        {key_line}
        {e} = {_PREFIX}get({k})
        if {e} is not None:
            {hit}
        {ret} {_PREFIX}slow({k}, {pass_args})
    return wrapper
"""
    name = getattr(func, "__qualname__", type(func).__name__)
    exec(compile(src, f"<codeopt_runtime.cache wrapper of {name}>", "exec"), ns)
    wrapper: Callable[..., Any] = ns[f"{_PREFIX}make"]()
    return wrapper


def _decorate(
    func: Callable[..., Any],
    *,
    is_async: bool,
    maxsize: int | None,
    ttl: float | None,
    policy: str,
    max_weight: int | None,
    weigher: Callable[[Hashable, object], int] | None,
    cache: MemoryCache | Backend | None,
    key: Callable[..., Hashable] | None,
    tags: TagsArg,
    beta: float,
    stale_ttl: float,
    refresh_after: float | None,
    refresh_backoff: tuple[float, float],
    refresh_attempts: int,
    typed: bool,
    clock: Callable[[], float] | None,
    random: Callable[[], float] | None,
    sleep: Callable[[float], None] | None,
    spawn: Callable[[Callable[[], None]], None] | None,
) -> Callable[..., Any]:
    import functools

    backend: Backend
    if cache is None:
        l1 = MemoryCache(
            maxsize,
            max_weight=max_weight,
            weigher=weigher,
            policy=policy,
            clock=clock if clock is not None else time.monotonic,
            tag_versions=default_tag_versions,
        )
        backend = _MemoryBackend(l1)
    elif isinstance(cache, MemoryCache):
        backend = _MemoryBackend(cache)
    else:
        backend = cache
    ctl = _Controller(
        func,
        backend,
        ttl=ttl,
        stale_ttl=stale_ttl,
        tags=tags,
        beta=beta,
        refresh_after=refresh_after,
        refresh_backoff=refresh_backoff,
        refresh_attempts=refresh_attempts,
        random=random,
        sleep=sleep,
        spawn=spawn,
    )
    if cache is not None and key is None and not isinstance(cache, MemoryCache):
        # shared tiers need string keys that are stable across processes
        from .keys import make_string_key_func

        key = make_string_key_func(func)
    plain = cache is None and ttl is None and tags is None and refresh_after is None
    wrapper = _build_wrapper(func, ctl, typed, is_async, key, check_bounds=not plain)
    functools.update_wrapper(wrapper, func)
    attrs: Any = wrapper
    attrs.cache_info = ctl.info
    attrs.cache_stats = ctl.stats
    attrs.cache_clear = ctl.clear
    attrs.cache = backend
    attrs.cache_parameters = lambda: {
        "maxsize": ctl.l1.maxsize,
        "ttl": ttl,
        "typed": typed,
        "policy": ctl.l1.policy.name,
    }
    return wrapper


def cached(
    func: Callable[..., Any] | None = None,
    /,
    *,
    maxsize: int | None = 1024,
    ttl: float | None = None,
    policy: str = "s3fifo-adaptive",
    max_weight: int | None = None,
    weigher: Callable[[Hashable, object], int] | None = None,
    cache: MemoryCache | Backend | None = None,
    key: Callable[..., Hashable] | None = None,
    tags: TagsArg = None,
    beta: float = 1.0,
    stale_ttl: float = 0.0,
    refresh_after: float | None = None,
    refresh_backoff: tuple[float, float] = (0.1, 30.0),
    refresh_attempts: int = 5,
    typed: bool = False,
    clock: Callable[[], float] | None = None,
    random: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
    spawn: Callable[[Callable[[], None]], None] | None = None,
) -> Any:
    """Memoise a function (usable as ``@cached`` or ``@cached(...)``).

    ``maxsize``/``max_weight``/``weigher``/``policy`` size the private L1 (ignored when ``cache`` is
    given: a ``MemoryCache`` or ``MultiLevelCache`` shared with other code). ``ttl``: seconds a value
    stays fresh. ``tags``: tag names, or a function of the call's arguments returning them.
    ``beta``: XFetch eagerness (0 disables). ``stale_ttl``: how long an expired value may still be
    served when recomputation raises. ``refresh_after``: refresh in the background once a value is
    that old. ``refresh_backoff=(base, cap)`` and ``refresh_attempts``: retry policy of failing
    refreshes. ``clock``/``random``/``sleep``/``spawn``: injectable for tests.

    The wrapper has ``cache_info()``, ``cache_clear()``, ``cache_stats()`` and ``cache``.
    """
    options = {
        "maxsize": maxsize,
        "ttl": ttl,
        "policy": policy,
        "max_weight": max_weight,
        "weigher": weigher,
        "cache": cache,
        "key": key,
        "tags": tags,
        "beta": beta,
        "stale_ttl": stale_ttl,
        "refresh_after": refresh_after,
        "refresh_backoff": refresh_backoff,
        "refresh_attempts": refresh_attempts,
        "typed": typed,
        "clock": clock,
        "random": random,
        "sleep": sleep,
        "spawn": spawn,
    }

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        return _decorate(fn, is_async=False, **options)  # type: ignore[arg-type]

    return decorator(func) if func is not None else decorator


def async_cached(
    func: Callable[..., Awaitable[Any]] | None = None,
    /,
    *,
    maxsize: int | None = 1024,
    ttl: float | None = None,
    policy: str = "s3fifo-adaptive",
    max_weight: int | None = None,
    weigher: Callable[[Hashable, object], int] | None = None,
    cache: MemoryCache | Backend | None = None,
    key: Callable[..., Hashable] | None = None,
    tags: TagsArg = None,
    beta: float = 1.0,
    stale_ttl: float = 0.0,
    refresh_after: float | None = None,
    refresh_backoff: tuple[float, float] = (0.1, 30.0),
    refresh_attempts: int = 5,
    typed: bool = False,
    clock: Callable[[], float] | None = None,
    random: Callable[[], float] | None = None,
) -> Any:
    """``@cached`` for coroutine functions: the same options; single-flight across tasks of one
    event loop (concurrent awaiters share one computation, which survives the cancellation of the
    task that started it); background refreshes run as tasks on the caller's loop."""
    options = {
        "maxsize": maxsize,
        "ttl": ttl,
        "policy": policy,
        "max_weight": max_weight,
        "weigher": weigher,
        "cache": cache,
        "key": key,
        "tags": tags,
        "beta": beta,
        "stale_ttl": stale_ttl,
        "refresh_after": refresh_after,
        "refresh_backoff": refresh_backoff,
        "refresh_attempts": refresh_attempts,
        "typed": typed,
        "clock": clock,
        "random": random,
        "sleep": None,
        "spawn": None,
    }

    def decorator(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        return _decorate(fn, is_async=True, **options)  # type: ignore[arg-type]

    return decorator(func) if func is not None else decorator
