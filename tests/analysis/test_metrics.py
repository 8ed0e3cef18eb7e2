from __future__ import annotations

import pickle
import time

import pytest
from radon.complexity import cc_visit
from radon.metrics import h_visit, mi_visit
from radon.raw import analyze

from codeopt.analysis.metrics import measure
from codeopt.analysis.model import FunctionKind, Halstead
from codeopt.errors import ParseFailure
from tests.analysis import source_of, stdlib_text

SAMPLE = '''"""Doc."""
import os

LIMIT = 10


class Repo:
    """A repo."""

    def commit(self, message):
        if not message:
            raise ValueError("empty")
        return helper(message) or LIMIT


def helper(text):
    def clean(part):
        return part.strip() if part else ""

    return clean(text)


async def fetch(urls):
    for url in urls:
        await os.fspath(url)
'''


def test_every_field_of_a_small_module() -> None:
    metrics = measure(source_of(SAMPLE, dedent=False))
    rows = [
        (f.qualname, f.kind, f.lineno, f.end_lineno, f.is_async, f.cc, f.cognitive, f.sloc)
        for f in metrics.functions
    ]
    assert rows == [
        # cc: if + `or`; cognitive: if +1, `or` +1; sloc: lines 10-13
        ("Repo.commit", FunctionKind.METHOD, 10, 13, False, 3, 2, 4),
        # cc: the closure's ternary is not helper's; cognitive: ternary +1 at nesting 1 (clean is
        # nested, not a wrapper: its `return` is a call); sloc: 16-20 without the blank line
        ("helper", FunctionKind.FUNCTION, 16, 20, False, 1, 2, 4),
        ("helper.<locals>.clean", FunctionKind.NESTED, 17, 18, False, 2, 1, 2),
        ("fetch", FunctionKind.FUNCTION, 23, 25, True, 2, 1, 3),
    ]
    (repo,) = metrics.classes
    assert (repo.name, repo.qualname, repo.lineno, repo.end_lineno, repo.methods, repo.cc) == (
        "Repo",
        "Repo",
        7,
        13,
        1,
        4,
    )
    # radon's total: 1 + Repo (method cc 3) + helper's own 0 + fetch's own 1 = 5
    assert (metrics.cc_total, metrics.cc_max, metrics.cc_avg) == (5, 3, 2.0)
    assert (metrics.cognitive_total, metrics.cognitive_max) == (2 + 2 + 1, 2)
    assert metrics.definitions == metrics.cohesion.units == 4
    assert metrics.cohesion.components == (("LIMIT", "Repo", "helper"), ("fetch",))
    assert metrics.unavailable == ()
    # Against radon on the same text.
    radon_blocks = {(b.name, b.lineno): b.complexity for b in cc_visit(SAMPLE)}
    # radon's class value: 1 + its methods' complexity (3), averaged over one method.
    assert radon_blocks == {("Repo", 7): 4, ("commit", 10): 3, ("helper", 16): 1, ("fetch", 23): 2}
    assert tuple(analyze(SAMPLE)) == (
        metrics.raw.loc, metrics.raw.lloc, metrics.raw.sloc, metrics.raw.comments,
        metrics.raw.multi, metrics.raw.blank, metrics.raw.single_comments,
    )  # fmt: skip
    total = h_visit(SAMPLE).total
    assert metrics.halstead == Halstead(total.h1, total.h2, total.N1, total.N2)
    assert metrics.mi == pytest.approx(mi_visit(SAMPLE, True), abs=1e-9)


def test_results_pickle_for_the_process_pool() -> None:
    metrics = measure(source_of(SAMPLE, dedent=False))
    assert pickle.loads(pickle.dumps(metrics)) == metrics


def test_per_function_values_agree_with_radon_on_a_real_module() -> None:
    text = stdlib_text("argparse.py")
    metrics = measure(source_of(text, dedent=False))
    radon = {(b.name, b.lineno): b.complexity for b in cc_visit(text) if not hasattr(b, "methods")}
    ours = {(f.name, f.lineno): f.cc for f in metrics.functions}
    assert len(radon) > 100
    assert {key: ours.get(key) for key in radon} == radon  # radon omits nested functions and classes
    by_name = {name: report for name, report in h_visit(text).functions}
    parse_args = next(f for f in metrics.functions if f.qualname == "ArgumentParser.parse_args")
    report = by_name["parse_args"]
    assert parse_args.halstead == Halstead(report.h1, report.h2, report.N1, report.N2)


def test_deep_expressions_and_big_generated_files_are_measured_quickly() -> None:
    deep = "x = " + " + ".join(["a"] * 2000) + "\n"  # radon's recursive visitors overflow here
    generated = "".join(f"def f{i}(x):\n    return x + {i} if x else None\n\n" for i in range(5000))
    started = time.perf_counter()
    deep_metrics = measure(source_of(deep, dedent=False))
    big = measure(source_of(generated, dedent=False))
    assert time.perf_counter() - started < 20  # a few seconds on a loaded CI machine
    assert deep_metrics.halstead.N1 == 1999 and deep_metrics.unavailable == ()
    assert len(big.functions) == 5000 and big.cc_max == 2 and big.raw.loc == 15000
    assert big.cohesion.lcom4 == 5000


def test_text_that_is_not_python_raises_parse_failure() -> None:
    with pytest.raises(ParseFailure):
        measure(source_of("def broken(:\n    pass\n"))
