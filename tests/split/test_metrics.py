"""Metrics on a hand-computed example."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from codeopt.split.metrics import FACADE, lcom4, measure, turbo_mq
from codeopt.split.units import build_inventory

SOURCE = textwrap.dedent(
    """
    def d():
        return 1


    def c():
        return d()


    def b():
        return c()


    def a():
        return b() + c()


    def e():
        return 2
    """
).lstrip()


def test_after_split_by_hand() -> None:
    inv = build_inventory(SOURCE, Path("m.py"), "m")
    home = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "y"}
    metrics = measure(inv, home)
    # pairs a->b, a->c, b->c, c->d.  x: mu=1 (a->b), eps=2 (a->c, b->c): CF = 2/(2+2) = 0.5;
    # y: mu=1 (c->d), eps=2: CF = 0.5.  TurboMQ = mean = 0.5.
    assert metrics.turbo_mq == pytest.approx(0.5)
    # LCOM4: x is one component; y = {c, d} and the unused e: two.  The worst module counts.
    assert metrics.lcom4 == 2
    # modularity: m = 4, degrees a2 b2 c3 d1 e0; x: 1/4 - (4/8)^2 = 0; y: 1/4 - (4/8)^2 = 0.
    assert metrics.modularity == pytest.approx(0.0)
    assert metrics.cross_edges["call-time"] == 2
    assert metrics.cross_edges["import-time"] == 0
    assert metrics.largest_lines == 6  # y: c, d and e, two lines each (blank lines are nobody's)
    assert metrics.modules == 2


def test_before_is_one_module() -> None:
    inv = build_inventory(SOURCE, Path("m.py"), "m")
    metrics = measure(inv, dict.fromkeys(("a", "b", "c", "d", "e"), FACADE))
    assert metrics.lcom4 == 2  # e is used by nothing and uses nothing
    assert metrics.turbo_mq == 1.0
    assert metrics.modularity == 0.0
    assert sum(metrics.cross_edges.values()) == 0
    assert metrics.largest_lines == len(SOURCE.splitlines())
    assert metrics.modules == 1


def test_building_blocks() -> None:
    pairs = [("a", "b"), ("c", "d")]
    assert lcom4(["a", "b", "c", "d", "e"], pairs) == 3
    assert turbo_mq({"a": "1", "b": "1", "c": "2", "d": "2"}, pairs) == 1.0
    assert turbo_mq({"a": "1", "b": "2"}, [("a", "b")]) == 0.0  # no internal edge: CF 0


def test_units_sharing_mutable_state_are_one_component() -> None:
    source = "_cache = {}\n\n\ndef put(k, v):\n    _cache[k] = v\n\n\ndef drop():\n    _cache.clear()\n"
    inv = build_inventory(source, Path("m.py"), "m")
    # put and drop never call each other, but both mutate _cache (kept in another module)
    assert measure(inv, {"_cache": "state", "put": "x", "drop": "x"}).lcom4 == 1
