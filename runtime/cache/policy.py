"""Eviction policies shared by the runtime cache and the trace simulator.

Why one implementation for both: a hit-rate benchmark is only evidence if it measures the code the
runtime runs. ``MemoryCache`` and :func:`simulate` drive the very same policy objects; the
simulator only leaves out what a trace cannot exercise (locks, values, TTLs).

Policies
--------
``LRUPolicy``
    The baseline. An ``OrderedDict`` of the resident keys; every hit moves the key to the end.
``S3FIFOPolicy``
    S3-FIFO (Yang et al., SOSP 2023): a small FIFO (10% of the capacity), a main FIFO (90%) and a
    ghost FIFO that remembers the ids of the last objects evicted from the small queue. A hit only
    bumps a 2-bit frequency, so the hit path needs no lock and no pointer moves. A new object
    enters the small queue (or the main queue if its id is in the ghost); an object leaving the
    small queue moves to main if it was hit while there, otherwise it is evicted and its id goes to
    the ghost; main is a FIFO with reinsertion that decrements the frequency (a 2-bit CLOCK).
``S3FIFOPolicy(adaptive=True)`` (the runtime default, ``"s3fifo-adaptive"``)
    Same queues, but the small queue's share is tuned ARC-style by *recent* ghost hits: a miss on
    an id evicted from the small queue within the last ``adapt_window`` evictions means the small
    queue was too short (grow it); a miss on an id recently evicted from main means main was too
    short (shrink the small queue). On the ARC paper's traces a fixed 10% small queue is right for
    OLTP but costs 1.4 points on P3 (which wants ~2%); starting at 2% and adapting gets both (see
    ``bench/cache_hit_rate.py``). Adaptation runs on misses only: the hit path is unchanged.

Frequency without a branch
--------------------------
An entry counts its hits in ``entry.hits`` (``entry.hits += 1`` is the whole hit-path work for
S3-FIFO, and gives ``cache_info().hits`` for free). The policy's 2-bit frequency is
``min(3, hits - base)``; resetting or decrementing the frequency moves ``base``.

Lazy deletion
-------------
Deleting a key (invalidation, expiry) cannot remove it from the middle of a deque in O(1), so the
entry is marked dead (``queue = DEAD``) and skipped when it reaches the head; the deques are
compacted when dead entries outnumber live ones.

All methods except the hit bump must be called with the owning cache's lock held (the simulator
is single-threaded).
"""

from __future__ import annotations

from collections import OrderedDict, deque

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Hashable, Iterable

__all__ = [
    "POLICIES",
    "Entry",
    "LRUPolicy",
    "Policy",
    "S3FIFOPolicy",
    "make_policy",
    "simulate",
]

DEAD = 0
SMALL = 1
MAIN = 2
LRU = 3
FREQ_MAX = 3


class Entry:
    """One resident key: its value, policy bookkeeping and freshness metadata.

    ``soft`` is the only field the decorator's fast path reads besides ``value`` and ``hits``:
    ``None`` means "valid until evicted"; otherwise the entry may be served without further
    checks while ``clock() < soft`` (``soft`` is the earliest of: end of freshness, start of the
    XFetch window, the refresh time; ``-inf`` forces the slow path, e.g. for tagged entries).
    """

    __slots__ = (
        "base",
        "delta",
        "expires",
        "fresh_until",
        "hits",
        "key",
        "queue",
        "refresh_at",
        "soft",
        "tags",
        "value",
        "weight",
    )

    def __init__(self, key: Hashable, value: object = None, weight: int = 1) -> None:
        self.key = key
        self.value = value
        self.weight = weight
        self.hits = 0
        self.base = 0
        self.queue = DEAD
        self.soft: float | None = None
        self.fresh_until: float | None = None
        self.expires: float | None = None
        self.refresh_at: float | None = None
        self.delta = 0.0
        self.tags: tuple[tuple[str, int], ...] | None = None

    def __repr__(self) -> str:
        return f"Entry({self.key!r}, hits={self.hits}, queue={self.queue})"


class Policy:
    """Interface of an eviction policy (see module docstring for the locking contract).

    ``inline_hits``: when true, a hit needs nothing but ``entry.hits += 1`` (the decorator inlines
    it); otherwise the cache calls :meth:`touch` on every hit.
    """

    name = "policy"
    inline_hits = True

    def on_miss(self, key: Hashable) -> None:
        """A key was looked up and not found; called before room is made for it."""

    def admit(self, entry: Entry) -> None:
        """Start tracking a new resident entry (room has been made already)."""
        raise NotImplementedError

    def touch(self, entry: Entry) -> None:
        """Record a hit (only called when ``inline_hits`` is false)."""
        entry.hits += 1

    def evict(self) -> Entry | None:
        """Choose, untrack and return a victim, or ``None`` if nothing is resident."""
        raise NotImplementedError

    def remove(self, entry: Entry) -> None:
        """Untrack an entry removed by the cache (delete, expiry, invalidation)."""
        raise NotImplementedError

    def resize(self, entry: Entry, new_weight: int) -> None:
        """The weight of a resident entry changed (its value was replaced)."""
        entry.weight = new_weight

    def clear(self) -> None:
        """Forget every entry (ghost state included)."""
        raise NotImplementedError

    def describe(self) -> dict[str, float]:
        """Policy-specific gauges for stats (e.g. the small queue's current share)."""
        return {}


class LRUPolicy(Policy):
    """Least recently used: the baseline every other policy is measured against."""

    name = "lru"
    inline_hits = False

    def __init__(self) -> None:
        self._order: OrderedDict[Hashable, Entry] = OrderedDict()

    def admit(self, entry: Entry) -> None:
        entry.queue = LRU
        self._order[entry.key] = entry

    def touch(self, entry: Entry) -> None:
        entry.hits += 1
        # OrderedDict.move_to_end is one C call: atomic under the GIL. A concurrent eviction may
        # have removed the key already; the hit still returns the value it read.
        try:  # noqa: SIM105 - contextlib.suppress costs a context manager per hit
            self._order.move_to_end(entry.key)
        except KeyError:
            pass

    def evict(self) -> Entry | None:
        if not self._order:
            return None
        _, entry = self._order.popitem(last=False)
        entry.queue = DEAD
        return entry

    def remove(self, entry: Entry) -> None:
        if entry.queue == LRU and self._order.get(entry.key) is entry:
            del self._order[entry.key]
        entry.queue = DEAD

    def clear(self) -> None:
        for entry in self._order.values():
            entry.queue = DEAD
        self._order.clear()


class S3FIFOPolicy(Policy):
    """S3-FIFO, optionally with an adaptive small-queue share (see the module docstring).

    Sizes are in weight units (1 per entry when the cache is bounded by entries, bytes when it is
    bounded by a weigher). ``ghost_capacity`` and ``adapt_window`` count ids; when the cache is
    bounded by weight they default to fractions of the resident entry count.
    """

    name = "s3fifo"
    inline_hits = True

    def __init__(
        self,
        capacity: int,
        *,
        small_ratio: float | None = None,
        adaptive: bool = False,
        ghost_ratio: float = 0.9,
        ghost_capacity: int | None = None,
        move_threshold: int = 1,
        adapt_window: float = 0.05,
        adapt_step: float = 2.0,
        min_small: float = 0.01,
        max_small: float = 0.5,
        entry_bounded: bool = True,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be >= 1")
        if small_ratio is None:
            small_ratio = 0.02 if adaptive else 0.1
        if not 0.0 < small_ratio < 1.0:
            raise ValueError("small_ratio must be in (0, 1)")
        self.capacity = capacity
        self.adaptive = adaptive
        self.name = "s3fifo-adaptive" if adaptive else "s3fifo"
        self.move_threshold = move_threshold
        self._entry_bounded = entry_bounded
        self._ghost_ratio = ghost_ratio
        self._ghost_capacity = ghost_capacity
        self._adapt_window_ratio = adapt_window
        self._step_entries = adapt_step
        self._lo = max(1.0, capacity * min_small)
        self._hi = capacity * max_small
        self.small_target = max(1.0, capacity * small_ratio)
        self._small: deque[Entry] = deque()
        self._main: deque[Entry] = deque()
        self.small_size = 0
        self.main_size = 0
        self.count = 0
        self._dead = 0
        # ghost ids -> eviction stamp (number of small-queue evictions when it was evicted)
        self._ghost: OrderedDict[Hashable, int] = OrderedDict()
        self._main_ghost: OrderedDict[Hashable, int] = OrderedDict()
        self._small_evictions = 0
        self._main_evictions = 0

    # -- sizes -------------------------------------------------------------------------------

    def _ghost_limit(self) -> int:
        if self._ghost_capacity is not None:
            return self._ghost_capacity
        if self._entry_bounded:
            return max(1, int(self.capacity * self._ghost_ratio))
        return max(1, int(self.count * self._ghost_ratio))

    def _window(self) -> int:
        base = self.capacity if self._entry_bounded else self.count
        return max(1, int(base * self._adapt_window_ratio))

    def _step(self) -> float:
        if self._entry_bounded or not self.count:
            return self._step_entries
        # in weight units: the step is a number of average-sized entries
        return self._step_entries * (self.small_size + self.main_size) / self.count

    # -- interface ---------------------------------------------------------------------------

    def on_miss(self, key: Hashable) -> None:
        if not self.adaptive:
            return
        stamp = self._ghost.get(key)
        if stamp is not None and self._small_evictions - stamp <= self._window():
            self.small_target = min(self._hi, self.small_target + self._step())
        stamp = self._main_ghost.pop(key, None)
        if stamp is not None and self._main_evictions - stamp <= self._window():
            self.small_target = max(self._lo, self.small_target - self._step())

    def admit(self, entry: Entry) -> None:
        entry.base = entry.hits
        self.count += 1
        if self._ghost.pop(entry.key, None) is not None:
            entry.queue = MAIN
            self._main.append(entry)
            self.main_size += entry.weight
        else:
            entry.queue = SMALL
            self._small.append(entry)
            self.small_size += entry.weight

    def evict(self) -> Entry | None:
        while self.count:
            if self.small_size >= self.small_target or not self.main_size:
                victim = self._evict_small()
            else:
                victim = self._evict_main()
            if victim is not None:
                return victim
        return None

    def remove(self, entry: Entry) -> None:
        if entry.queue == SMALL:
            self.small_size -= entry.weight
        elif entry.queue == MAIN:
            self.main_size -= entry.weight
        else:
            return
        entry.queue = DEAD
        self.count -= 1
        self._dead += 1
        if self._dead > 64 and self._dead > self.count:
            self._compact()

    def resize(self, entry: Entry, new_weight: int) -> None:
        diff = new_weight - entry.weight
        if entry.queue == SMALL:
            self.small_size += diff
        elif entry.queue == MAIN:
            self.main_size += diff
        entry.weight = new_weight

    def clear(self) -> None:
        for queue in (self._small, self._main):
            for entry in queue:
                entry.queue = DEAD
            queue.clear()
        self._ghost.clear()
        self._main_ghost.clear()
        self.small_size = self.main_size = self.count = self._dead = 0

    def describe(self) -> dict[str, float]:
        total = self.small_size + self.main_size
        return {
            "small_share": self.small_size / total if total else 0.0,
            "small_target_share": self.small_target / self.capacity,
            "ghost_ids": float(len(self._ghost)),
        }

    # -- internals ---------------------------------------------------------------------------

    def _evict_small(self) -> Entry | None:
        small = self._small
        while small:
            entry = small.popleft()
            if entry.queue != SMALL:  # deleted while queued
                self._dead -= 1
                continue
            self.small_size -= entry.weight
            if entry.hits - entry.base >= self.move_threshold:
                entry.base = entry.hits  # frequency restarts at 0 in main
                entry.queue = MAIN
                self._main.append(entry)
                self.main_size += entry.weight
                if self.main_size > self.capacity - self.small_target:
                    return self._evict_main()
            else:
                entry.queue = DEAD
                self.count -= 1
                self._small_evictions += 1
                ghost = self._ghost
                ghost[entry.key] = self._small_evictions
                if len(ghost) > self._ghost_limit():
                    ghost.popitem(last=False)
                return entry
        return None

    def _evict_main(self) -> Entry | None:
        main = self._main
        while main:
            entry = main.popleft()
            if entry.queue != MAIN:
                self._dead -= 1
                continue
            freq = entry.hits - entry.base
            if freq > 0:
                # decrement the 2-bit frequency and give it another round
                entry.base = entry.hits - (min(freq, FREQ_MAX) - 1)
                main.append(entry)
                continue
            self.main_size -= entry.weight
            entry.queue = DEAD
            self.count -= 1
            if self.adaptive:
                self._main_evictions += 1
                mg = self._main_ghost
                mg[entry.key] = self._main_evictions
                if len(mg) > self._window():
                    mg.popitem(last=False)
            return entry
        return None

    def _compact(self) -> None:
        self._small = deque(e for e in self._small if e.queue == SMALL)
        self._main = deque(e for e in self._main if e.queue == MAIN)
        self._dead = 0


POLICIES = ("lru", "s3fifo", "s3fifo-adaptive")


def make_policy(
    name: str, capacity: int, *, entry_bounded: bool = True, ghost_capacity: int | None = None
) -> Policy:
    """Build a policy by name: ``"lru"``, ``"s3fifo"`` (fixed 10% small queue) or
    ``"s3fifo-adaptive"`` (the default of the runtime cache)."""
    if name == "lru":
        return LRUPolicy()
    if name in ("s3fifo", "s3fifo-adaptive"):
        return S3FIFOPolicy(
            capacity,
            adaptive=name == "s3fifo-adaptive",
            entry_bounded=entry_bounded,
            ghost_capacity=ghost_capacity,
        )
    raise ValueError(f"unknown cache policy {name!r}; choose one of {', '.join(POLICIES)}")


def simulate(policy: Policy | str, keys: Iterable[Hashable], capacity: int) -> tuple[int, int]:
    """Replay ``keys`` through ``policy`` with unit-size objects; return ``(hits, requests)``.

    The loop is ``MemoryCache``'s miss/hit logic without locks, values or clocks: same
    ``Entry``, same ``on_miss`` -> ``evict`` -> ``admit`` order, same inline hit bump.
    """
    pol = make_policy(policy, capacity) if isinstance(policy, str) else policy
    data: dict[Hashable, Entry] = {}
    get = data.get
    hits = 0
    requests = 0
    on_miss = pol.on_miss
    evict = pol.evict
    admit = pol.admit
    if pol.inline_hits:
        for key in keys:
            entry = get(key)
            if entry is not None:
                entry.hits += 1
                hits += 1
                continue
            requests += 1
            on_miss(key)
            while len(data) >= capacity:
                victim = evict()
                if victim is None:
                    break
                del data[victim.key]
            entry = Entry(key)
            data[key] = entry
            admit(entry)
    else:
        touch = pol.touch
        for key in keys:
            entry = get(key)
            if entry is not None:
                touch(entry)
                hits += 1
                continue
            requests += 1
            on_miss(key)
            while len(data) >= capacity:
                victim = evict()
                if victim is None:
                    break
                del data[victim.key]
            entry = Entry(key)
            data[key] = entry
            admit(entry)
    return hits, hits + requests
