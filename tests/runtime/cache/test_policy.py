"""Eviction policies on hand-written traces: what each one keeps, and why."""

from __future__ import annotations

import random

import pytest

from codeopt_runtime.cache.policy import MAIN, SMALL, Entry, LRUPolicy, S3FIFOPolicy, make_policy, simulate


def drive(policy: S3FIFOPolicy | LRUPolicy, capacity: int, keys: list[int]) -> dict[int, Entry]:
    """The same miss/hit loop as ``simulate``, but keeping the resident entries for inspection."""
    data: dict[int, Entry] = {}
    for key in keys:
        entry = data.get(key)
        if entry is not None:
            if policy.inline_hits:
                entry.hits += 1
            else:
                policy.touch(entry)
            continue
        policy.on_miss(key)
        while len(data) >= capacity:
            victim = policy.evict()
            assert victim is not None
            del data[victim.key]
        entry = Entry(key)
        data[key] = entry
        policy.admit(entry)
    return data


def test_lru_evicts_least_recently_used() -> None:
    data = drive(LRUPolicy(), 3, [1, 2, 3, 1, 4])
    assert sorted(data) == [1, 3, 4]


def test_lru_hit_count_on_a_hand_trace() -> None:
    # capacity 2: 1 2 1 3 2 1 -> hits only on the second 1
    assert simulate("lru", [1, 2, 1, 3, 2, 1], 2) == (1, 6)


def test_s3fifo_one_hit_wonders_leave_through_the_small_queue() -> None:
    policy = S3FIFOPolicy(10)  # small queue target: 1 entry
    hot = list(range(100, 109))
    # hot keys are hit while in the small queue, so they move to main
    keys: list[int] = []
    for k in hot:
        keys += [k, k]
    data = drive(policy, 10, [*keys, *range(1000)])  # then a scan of 1000 one-hit keys
    assert set(hot) <= set(data), "the scan must not flush keys that were reused"
    assert all(data[k].queue == MAIN for k in hot)
    lru = drive(LRUPolicy(), 10, [*keys, *range(1000)])
    assert not set(hot) & set(lru), "LRU, the baseline, loses them all"


def test_s3fifo_ghost_hit_goes_straight_to_main() -> None:
    policy = S3FIFOPolicy(10)
    data = drive(policy, 10, list(range(15)))  # 0..4 evicted from small into the ghost
    assert 0 not in data
    assert 0 in policy._ghost
    data = drive(policy, 10, [0])
    # drive() starts a fresh dict, so look at the entry it admitted
    assert data[0].queue == MAIN
    assert 0 not in policy._ghost


def test_s3fifo_unreused_key_enters_small() -> None:
    policy = S3FIFOPolicy(10)
    data = drive(policy, 10, [1])
    assert data[1].queue == SMALL


def test_s3fifo_main_reinsertion_decrements_frequency() -> None:
    policy = S3FIFOPolicy(4, small_ratio=0.25)
    entries = [Entry(k) for k in range(3)]
    for e in entries:
        policy.admit(e)
    # move all three to main by hitting them, then evict via the small queue
    for e in entries:
        e.hits += 3
    for _ in range(3):
        assert policy._evict_small() is None  # moved, nothing evicted (main has room)
    assert all(e.queue == MAIN for e in entries)
    entries[0].hits += 5  # frequency saturates at 3
    victim = policy.evict()
    # entries 1 and 2 were reset to frequency 0 when they moved: the first of them goes
    assert victim is entries[1]
    assert entries[0].hits - entries[0].base == 2  # 3 (capped) - 1 after one reinsertion


def test_s3fifo_remove_is_lazy_and_compacts() -> None:
    policy = S3FIFOPolicy(1000)
    entries = [Entry(k) for k in range(500)]
    for e in entries:
        policy.admit(e)
    for e in entries[:400]:
        policy.remove(e)
    assert policy.count == 100
    assert len(policy._small) < 100 + 65  # compacted whenever dead entries outnumber live ones
    evicted = {policy.evict().key for _ in range(100)}  # type: ignore[union-attr]
    assert evicted == set(range(400, 500))
    assert policy.evict() is None


def test_adaptive_small_queue_grows_on_recent_small_ghost_hits() -> None:
    policy = S3FIFOPolicy(100, adaptive=True, small_ratio=0.05)
    start = policy.small_target
    # a loop of 110 keys seen twice: every second-pass miss is a recent small-ghost hit
    drive(policy, 100, list(range(110)) * 2)
    assert policy.small_target > start


def test_adaptive_small_queue_shrinks_on_recent_main_ghost_hits() -> None:
    policy = S3FIFOPolicy(100, adaptive=True, small_ratio=0.3)
    start = policy.small_target
    # keys reused often (they live in main) in a working set a bit larger than main
    rng = random.Random(1)
    keys = [rng.randrange(105) for _ in range(20000)]
    drive(policy, 100, keys)
    assert policy.small_target < start


def test_s3fifo_beats_lru_on_zipf() -> None:
    rng = random.Random(7)
    n = 2000
    weights = [1 / (i + 1) for i in range(n)]
    keys = rng.choices(range(n), weights=weights, k=60_000)
    lru, total = simulate("lru", keys, 100)
    s3, _ = simulate("s3fifo", keys, 100)
    ours, _ = simulate("s3fifo-adaptive", keys, 100)
    assert s3 > lru * 1.05
    assert ours > lru * 1.05
    assert total == len(keys)


def test_unknown_policy_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown cache policy"):
        make_policy("arc", 10)
