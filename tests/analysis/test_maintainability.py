from __future__ import annotations

import itertools

import pytest
from radon.metrics import mi_compute as radon_mi_compute
from radon.metrics import mi_visit

from codeopt.analysis.maintainability import maintainability_index, mi_compute
from codeopt.analysis.metrics import measure
from codeopt.analysis.model import RawMetrics
from tests.analysis import source_of, stdlib_text

MI_MODULES = ("argparse.py", "json/decoder.py", "tomllib/_parser.py", "string.py")


@pytest.mark.parametrize("module", MI_MODULES)
def test_measure_gives_radons_mi_on_real_modules(module: str) -> None:
    text = stdlib_text(module)
    assert measure(source_of(text, dedent=False)).mi == pytest.approx(mi_visit(text, True), abs=1e-6)


def test_multi_false_counts_only_comments() -> None:
    text = stdlib_text("json/decoder.py")
    metrics = measure(source_of(text, dedent=False))
    ours = maintainability_index(metrics.raw, metrics.halstead.volume, metrics.cc_total, multi=False)
    assert ours == pytest.approx(mi_visit(text, False), abs=1e-6)
    assert ours < metrics.mi  # the docstrings no longer count as comments


@pytest.mark.parametrize(
    ("volume", "complexity", "lines", "comments"),
    list(itertools.product((0.0, 1.0, 250.5, 1e6), (1, 7, 300), (0, 1, 40, 5000), (0.0, 12.5, 100.0))),
)
def test_formula_is_radons(volume: float, complexity: int, lines: int, comments: float) -> None:
    assert mi_compute(volume, complexity, lines, comments) == radon_mi_compute(
        volume, complexity, lines, comments
    )


def test_trivial_module_scores_100() -> None:
    assert measure(source_of("")).mi == 100.0
    raw = RawMetrics(loc=1, lloc=1, sloc=1, comments=0, single_comments=0, multi=0, blank=0)
    assert maintainability_index(raw, halstead_volume=0.0, cc_total=1) == 100.0
