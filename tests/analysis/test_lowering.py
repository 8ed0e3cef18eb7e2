from __future__ import annotations

import ast
import textwrap

import libcst
import pytest

from codeopt.analysis.metrics import measure
from codeopt.source.lowering import (
    EXCEPT_WITHOUT_PARENS,
    FSTRING_CALL,
    FSTRINGS,
    LAZY_IMPORTS,
    TEMPLATE_STRINGS,
    TYPE_ALIASES,
    TYPE_PARAMETERS,
    Lowered,
    lower_for_host,
)
from tests.analysis import source_of

TAIL = "\n\ndef after(x):\n    return x if x else None\n"


def lowered(code: str) -> Lowered:
    return lower_for_host(libcst.parse_module(textwrap.dedent(code) + TAIL))


def assert_host_parses_with_same_lines(code: str, result: Lowered) -> ast.Module:
    original = textwrap.dedent(code) + TAIL
    assert result.text.count("\n") == original.count("\n")
    tree = ast.parse(result.text)  # the host (3.11) accepts it
    after = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "after")
    assert after.lineno == original.splitlines().index("def after(x):") + 1
    return tree


FEATURES = {
    TYPE_PARAMETERS: """
        def first[T: (int, str), *Ts, **P](x: T) -> T:
            return x

        class Box[
            T,
            U = int,
        ](Base):
            def get[V](self) -> V: ...
        """,
    TYPE_ALIASES: """
        type Pair[
            T
        ] = tuple[T, T]
        type Simple = int | str
        """,
    LAZY_IMPORTS: """
        lazy import os.path
        lazy from collections import (
            OrderedDict,
            deque,
        )
        """,
    EXCEPT_WITHOUT_PARENS: """
        try:
            pass
        except ValueError, TypeError:
            pass
        try:
            pass
        except* OSError, KeyError:
            pass
        """,
    TEMPLATE_STRINGS: """
        greeting = t"hello {name!r:>10} and {other}"
        """,
    FSTRINGS: """
        nested = f"{mapping["key"]} and {'\\n'.join(items)}"
        spread = f"{
            value  # a comment inside the replacement field
            if value else fallback
        }" "tail"
        spec = f"{x:{widths["x"]}}"
        fine = f"{x!r}"
        """,
}


@pytest.mark.parametrize("feature", FEATURES)
def test_each_feature_lowers_to_host_syntax_with_line_numbers_kept(feature: str) -> None:
    code = FEATURES[feature]
    with pytest.raises(SyntaxError):
        ast.parse(textwrap.dedent(code))  # really newer syntax
    result = lowered(code)
    assert feature in result.features
    assert_host_parses_with_same_lines(code, result)


def test_type_parameters_are_dropped_and_definitions_keep_their_lines() -> None:
    tree = assert_host_parses_with_same_lines(FEATURES[TYPE_PARAMETERS], lowered(FEATURES[TYPE_PARAMETERS]))
    positions = {
        node.name: node.lineno for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.ClassDef)
    }
    assert positions == {"first": 2, "Box": 5, "get": 9, "after": 12}
    box = next(node for node in tree.body if isinstance(node, ast.ClassDef))
    assert [ast.unparse(base) for base in box.bases] == ["Base"]


def test_aliases_become_assignments() -> None:
    tree = ast.parse(lowered(FEATURES[TYPE_ALIASES]).text)
    assert [ast.unparse(node) for node in tree.body[:2]] == ["Pair = tuple[T, T]", "Simple = int | str"]


def test_except_tuples_get_parentheses() -> None:
    tree = ast.parse(lowered(FEATURES[EXCEPT_WITHOUT_PARENS]).text)
    handlers = [handler for node in tree.body[:2] for handler in node.handlers]  # type: ignore[attr-defined]
    assert [ast.unparse(handler.type) for handler in handlers] == [
        "(ValueError, TypeError)",
        "(OSError, KeyError)",
    ]


def test_strings_keep_every_expression_and_comment() -> None:
    result = lowered(FEATURES[FSTRINGS])
    assert "# a comment inside the replacement field" in result.text
    tree = ast.parse(result.text)
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == FSTRING_CALL
    ]
    assert len(calls) == 3  # `fine` parses on 3.11 and is left alone
    assert 'f"{x!r}"' in result.text
    spread = tree.body[1].value  # type: ignore[attr-defined]
    assert isinstance(spread.args[0], ast.IfExp) and spread.args[0].lineno == 4


def test_template_strings_become_fstrings() -> None:
    result = lower_for_host(libcst.parse_module('msg = t"hi {name}"\n'))
    assert result == Lowered('msg = f"hi {name}"\n', (TEMPLATE_STRINGS,))


def test_host_syntax_is_left_untouched() -> None:
    code = 'x = f"{a!r:>{width}}" "b"\ntry:\n    pass\nexcept (A, B):\n    pass\n'
    assert lower_for_host(libcst.parse_module(code)) == Lowered(code, ())


def test_measure_gives_full_metrics_for_a_newer_syntax_file() -> None:
    code = (
        textwrap.dedent(FEATURES[TYPE_PARAMETERS] + FEATURES[LAZY_IMPORTS] + FEATURES[EXCEPT_WITHOUT_PARENS])
        + TAIL
    )
    source = source_of(code, dedent=False)
    metrics = measure(source)
    assert set(source.lowered) == {TYPE_PARAMETERS, LAZY_IMPORTS, EXCEPT_WITHOUT_PARENS}
    assert metrics.unavailable == ()  # the original text tokenizes: raw counts are exact
    by_name = {function.qualname: function for function in metrics.functions}
    assert by_name["after"].lineno == code.splitlines().index("def after(x):") + 1
    assert by_name["after"].cc == 2 and by_name["after"].cognitive == 1
    assert by_name["Box.get"].kind.value == "method"
    assert metrics.raw.loc == len(code.splitlines())


def test_measure_explains_approximate_raw_counts_for_pep701_strings() -> None:
    code = textwrap.dedent(FEATURES[FSTRINGS]) + TAIL
    metrics = measure(source_of(code, dedent=False))
    (entry,) = metrics.unavailable
    assert entry[0] == "raw" and "PEP 701" in entry[1] and "lowered" in entry[1]
    assert metrics.raw.loc == len(code.splitlines())
    assert metrics.raw.comments == 1  # the comment inside the replacement field
    # Complexity sees the conditional expression inside the f-string and the one in `after`.
    assert metrics.cc_total == 3
