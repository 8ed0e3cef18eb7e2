from __future__ import annotations

import ast
import math
from collections import Counter

import pytest
from radon.metrics import h_visit_ast

from codeopt.analysis.complexity import cyclomatic
from codeopt.analysis.halstead import halstead
from codeopt.analysis.model import FunctionKind, Halstead
from tests.analysis import RADON_MODULES, stdlib_text


def _counts(report: object) -> tuple[int, int, int, int]:
    return (report.h1, report.h2, report.N1, report.N2)  # type: ignore[attr-defined]


@pytest.mark.parametrize("module", RADON_MODULES)
def test_module_and_function_counts_equal_radon_on_real_modules(module: str) -> None:
    tree = ast.parse(stdlib_text(module))
    radon = h_visit_ast(tree)
    ours = halstead(tree)
    assert _counts(ours.module) == _counts(radon.total)
    assert math.isclose(ours.module.volume, radon.total.volume, rel_tol=1e-12)
    # radon reports functions not nested in other functions (top level and methods), by name.
    scopes = cyclomatic(tree).functions
    outermost = [s for s in scopes if s.kind is not FunctionKind.NESTED and _outside_functions(s)]
    ours_by_name = Counter((s.node.name, *_counts(ours.functions[s.node])) for s in outermost)  # type: ignore[index, union-attr]
    assert ours_by_name == Counter((name, *_counts(report)) for name, report in radon.functions)


def _outside_functions(scope: object) -> bool:
    parent = scope.parent  # type: ignore[attr-defined]
    while parent is not None:
        if parent.kind is not None:
            return False
        parent = parent.parent
    return True


def test_hand_counted_function() -> None:
    tree = ast.parse("def f(a, b=1 + 2):\n    return a + b * 2 if not a else a < b <= 3\n")
    # Operators: Add, Mult, Not, Lt, LtE -> h1 = 5, N1 = 5 (the default's `1 + 2` is not visited).
    # Operands: Add(a, b*2) -> a, <the b*2 node>; Mult -> b, 2; Not -> a; Compare -> b, 3, a.
    # N2 = 2 + 2 + 1 + 3 = 8; distinct: a, <node>, b, 2, 3 -> h2 = 5.
    expected = Halstead(h1=5, h2=5, N1=5, N2=8)
    result = halstead(tree)
    assert result.functions[tree.body[0]] == expected == result.module  # type: ignore[index]
    assert _counts(h_visit_ast(tree).total) == (5, 5, 5, 8)


def test_operands_are_distinct_per_function_and_nested_functions_count_in_the_outer() -> None:
    code = "x = a + 1\ndef f():\n    y = a + 1\n    def g():\n        return a + 1\n    return g\n"
    tree = ast.parse(code)
    result = halstead(tree)
    f, g = tree.body[1], tree.body[1].body[1]  # type: ignore[attr-defined]
    assert result.functions[g] == Halstead(h1=1, h2=2, N1=1, N2=2)
    # f holds its own `a + 1` and g's: operands keyed (function name, value) -> 4 distinct.
    assert result.functions[f] == Halstead(h1=1, h2=4, N1=2, N2=4)
    assert result.module == Halstead(h1=1, h2=6, N1=3, N2=6)
    assert _counts(h_visit_ast(tree).total) == (1, 6, 3, 6)


def test_decorators_defaults_and_annotations_count_nowhere_but_class_bases_do() -> None:
    code = "@deco(1 + 1)\ndef f(a: int | None = -1) -> int | str:\n    pass\nclass C(A | B):\n    pass\n"
    tree = ast.parse(code)
    assert halstead(tree).module == Halstead(h1=1, h2=2, N1=1, N2=2)  # only `A | B`
    assert _counts(h_visit_ast(tree).total) == (1, 2, 1, 2)


def test_deep_expression_is_counted_without_recursion_error() -> None:
    tree = ast.parse("x = " + " + ".join(["a"] * 2000))  # depth 1999: radon's visitor overflows
    # 1999 additions; operands: every right is `a`, every left but the innermost is a BinOp node.
    assert halstead(tree).module == Halstead(h1=1, h2=1 + 1998, N1=1999, N2=2 * 1999)
