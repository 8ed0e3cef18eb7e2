from __future__ import annotations

import time

import pytest
from radon.raw import analyze

from codeopt.analysis.model import RawMetrics
from codeopt.analysis.raw import (
    CODE,
    COMMENT,
    DOCSTRING,
    MULTI,
    raw_metrics,
    scan_lines,
    scan_regex,
    scan_tokens,
    split_lines,
)
from tests.analysis import RADON_MODULES, stdlib_text


def _as_radon(metrics: RawMetrics) -> tuple[int, ...]:
    """Our fields in the order of radon's ``Module`` namedtuple."""
    m = metrics
    return (m.loc, m.lloc, m.sloc, m.comments, m.multi, m.blank, m.single_comments)


@pytest.mark.parametrize("module", RADON_MODULES)
def test_equals_radon_on_real_modules(module: str) -> None:
    text = stdlib_text(module)
    assert _as_radon(raw_metrics(text)) == tuple(analyze(text))


@pytest.mark.parametrize("module", RADON_MODULES)
def test_fast_scanner_agrees_with_tokenize_line_by_line(module: str) -> None:
    lines = split_lines(stdlib_text(module))
    fast = scan_regex(lines)
    assert fast is not None
    assert fast == scan_tokens(lines)


SAMPLE = '''"""Module docstring
spanning two lines."""

# a comment line
x = 1  # trailing comment
if x: y = 2
def f(a: int) -> int:
    "one-line docstring"

    return {a: 1}
z = 1; w = 2
'''


def test_each_definition_on_a_hand_counted_sample() -> None:
    # Lines 1-2 multi; 3 and 9 blank; 4 comment-only and 8 a one-line string (radon counts both as
    # single comments); 5, 6, 7, 10, 11 code. Comments: line 4 and the trailing one on line 5.
    # LLOC (radon's rule, a ':' that is not the last token makes a second logical line):
    # docstring 1, `x = 1` 1, `if x: y = 2` 2, `def ...:` 1, string 1, `return {a: 1}` 2, `z; w` 2.
    expected = RawMetrics(loc=11, lloc=10, sloc=5, comments=2, single_comments=2, multi=2, blank=2)
    assert raw_metrics(SAMPLE) == expected
    assert _as_radon(expected) == tuple(analyze(SAMPLE))


@pytest.mark.parametrize(
    "code",
    [
        "if x: pass; y = 1\n",  # a ':' followed by exactly one token in a non-final part: 1
        "if x: return 1; y\n",
        "x = 1;\n",  # an empty final part counts nothing
        "lambda: 0; d[1:2]\n",
        "x = [\n    1,  # one\n\n    2,\n]\n",  # blank and comment lines inside brackets
        "s = '''a\n\nb'''\n",  # a multi-line string that is code (an assignment)
        "'''a\n\nb'''  # not alone: code\n",
        "f(\n    '''doc'''\n)\n",
        "x = 1 + \\\n    2\n",
        "class A: pass\n",
        "async def f():\n    async with a as b: await c\n",
        "x = f'{a:>10}'\n",  # the format spec's ':' is inside one string token
    ],
)
def test_logical_line_edge_cases_equal_radon(code: str) -> None:
    assert _as_radon(raw_metrics(code)) == tuple(analyze(code))
    assert scan_tokens(split_lines(code)).metrics == raw_metrics(code)


@pytest.mark.parametrize(
    "code",
    [
        's = """never closed\n',  # an unterminated string
        "x = (1,\n",  # an unclosed bracket
        'x = f"{d["key"]}"\n',  # PEP 701 quote reuse: tokenize (or the lowered text) decides
        "x = 1 \\ 2\n",  # a backslash that continues nothing
    ],
)
def test_fast_scanner_leaves_what_it_cannot_judge_to_tokenize(code: str) -> None:
    assert scan_regex(split_lines(code)) is None


def test_empty_and_missing_final_newline() -> None:
    nothing = {"comments": 0, "single_comments": 0, "multi": 0}
    assert raw_metrics("") == RawMetrics(loc=0, lloc=0, sloc=0, blank=0, **nothing)
    assert (
        raw_metrics("x = 1")
        == raw_metrics("x = 1\n")
        == RawMetrics(loc=1, lloc=1, sloc=1, blank=0, **nothing)
    )
    assert raw_metrics("x = 1\n\n") == RawMetrics(loc=2, lloc=1, sloc=1, blank=1, **nothing)


def test_crlf_counts_like_lf() -> None:
    assert raw_metrics(SAMPLE.replace("\n", "\r\n")) == raw_metrics(SAMPLE)


def test_form_feed_is_not_a_line_break_unlike_radon() -> None:
    # Documented difference: radon splits with str.splitlines, which breaks at \f; Python does not.
    text = "x = 1\n\f\ndef f():\n    pass\n"
    ours = raw_metrics(text)
    assert ours.loc == 4 and ours.blank == 1
    radon = analyze(text)
    assert radon.loc == ours.loc + 1 and radon.blank == ours.blank + 1


def test_a_15000_line_string_is_fast_and_counted() -> None:
    body = "line of text\n" * 15000
    started = time.perf_counter()
    assigned = raw_metrics(f'X = """\n{body}"""\n')
    alone = raw_metrics(f'"""\n{body}"""\n')
    assert time.perf_counter() - started < 5  # radon needs minutes (quadratic re-tokenizing)
    assert assigned == RawMetrics(
        loc=15002, lloc=1, sloc=15002, comments=0, single_comments=0, multi=0, blank=0
    )
    assert alone == RawMetrics(loc=15002, lloc=1, sloc=0, comments=0, single_comments=0, multi=15002, blank=0)


def test_untokenizable_text_falls_back_to_an_explained_line_count() -> None:
    scan = scan_lines('x = 1\n# note\n\ns = """never closed\n')
    assert scan.approximate is not None and "tokenize" in scan.approximate
    assert scan.metrics == RawMetrics(loc=4, lloc=2, sloc=2, comments=1, single_comments=1, multi=0, blank=1)


def test_line_kinds_and_sloc_between() -> None:
    scan = scan_lines(SAMPLE)
    assert scan.approximate is None
    assert scan.kinds[0] == scan.kinds[1] == MULTI
    assert scan.kinds[3] == COMMENT and scan.kinds[7] == DOCSTRING and scan.kinds[9] == CODE
    assert scan.sloc_between(7, 10) == 2  # `def` and `return`; docstring and blank line excluded
    assert scan.sloc_between(1, 11) == 5
