from __future__ import annotations

import ast
import textwrap

import pytest
from radon.complexity import cc_visit_ast
from radon.visitors import Class, ComplexityVisitor

from codeopt.analysis.complexity import cyclomatic
from codeopt.analysis.model import FunctionKind
from tests.analysis import RADON_MODULES, stdlib_text


def _radon_blocks(
    blocks: list[object], out: dict[tuple[str, str, int], int]
) -> dict[tuple[str, str, int], int]:
    for block in blocks:
        if isinstance(block, Class):
            out["class", block.name, block.lineno] = block.complexity
        else:
            out["def", block.name, block.lineno] = block.complexity  # type: ignore[attr-defined]
            _radon_blocks(block.closures, out)  # type: ignore[attr-defined]
    return out


def _ours(tree: ast.Module) -> dict[tuple[str, str, int], int]:
    result = cyclomatic(tree)
    found = {("def", s.node.name, s.node.lineno): s.cc for s in result.functions if s.node is not None}
    found.update(
        {("class", s.node.name, s.node.lineno): s.class_cc for s in result.classes if s.node is not None}
    )
    return found


@pytest.mark.parametrize("module", RADON_MODULES)
def test_every_radon_block_and_the_total_match_on_real_modules(module: str) -> None:
    tree = ast.parse(stdlib_text(module))
    radon = _radon_blocks(cc_visit_ast(tree), {})
    ours = _ours(tree)
    assert radon, "the module has functions"
    assert {key: ours.get(key) for key in radon} == radon
    assert cyclomatic(tree).total == ComplexityVisitor.from_ast(tree).total_complexity


CONSTRUCTS = {
    # code -> decision points radon counts (function complexity = 1 + points)
    "if a:\n    pass\nelif b:\n    pass\nelse:\n    pass": 2,
    "for x in y:\n    pass\nelse:\n    pass": 2,
    "while a:\n    pass": 1,
    "try:\n    pass\nexcept A:\n    pass\nexcept B:\n    pass\nelse:\n    pass\nfinally:\n    pass": 3,
    "return a and b and c or d": 3,
    "return [x for x in y if x if not x for z in x]": 4,
    "assert a and b, 'message'": 1,  # radon does not look inside assert
    "return lambda: 0": 0,
    "with a as b, c:\n    pass": 0,
    "return a if b else c": 1,
    "match x:\n    case 1:\n        pass\n    case [a, b]:\n        pass\n    case _:\n        pass": 2,
    "match x:\n    case 1:\n        pass\n    case other:\n        pass": 1,  # a capture is the default too
}


@pytest.mark.parametrize(("body", "points"), CONSTRUCTS.items())
def test_decision_points_per_construct(body: str, points: int) -> None:
    code = "def f():\n" + textwrap.indent(body, "    ") + "\n"
    tree = ast.parse(code)
    (function,) = cyclomatic(tree).functions
    assert function.cc == 1 + points
    assert function.cc == cc_visit_ast(tree)[0].complexity


NESTED = """
class Outer:
    def method(self):
        if self:
            return 1

        def helper():
            return 2 if self else 3
        return helper

    class Inner:
        async def deep(self):
            for x in self:
                pass

def outer():
    def inner():
        while True:
            break

    class Local:
        def m(self):
            pass
    return inner

async def coroutine():
    pass
"""


def test_qualnames_kinds_and_nested_functions() -> None:
    result = cyclomatic(ast.parse(NESTED))
    found = {(s.qualname, s.kind, s.cc) for s in result.functions}
    assert found == {
        ("Outer.method", FunctionKind.METHOD, 2),  # the closure's ternary is not the method's
        ("Outer.method.<locals>.helper", FunctionKind.NESTED, 2),
        ("Outer.Inner.deep", FunctionKind.METHOD, 2),
        ("outer", FunctionKind.FUNCTION, 1),
        ("outer.<locals>.inner", FunctionKind.NESTED, 2),
        ("outer.<locals>.Local.m", FunctionKind.METHOD, 1),
        ("coroutine", FunctionKind.FUNCTION, 1),
    }
    assert [s.qualname for s in result.classes] == ["Outer", "Outer.Inner", "outer.<locals>.Local"]
    # radon's class value: real = 1 + methods' cc (2) = 3 for one method -> int(3 / 1) = 3.
    assert [m.cc for m in result.class_metrics()] == [3, 3, 2]
    # radon's total: 1 + Outer (method 2; Inner is not counted) + outer's own 0 + coroutine 0.
    assert result.total == ComplexityVisitor.from_ast(ast.parse(NESTED)).total_complexity == 3


def test_class_complexity_averages_methods_like_radon() -> None:
    code = (
        "class A:\n    if X:\n        y = 1\n"
        "    def a(self):\n        return x or y\n"
        "    def b(self):\n        pass\n"
    )
    tree = ast.parse(code)
    (cls,) = cyclomatic(tree).class_metrics()
    # real = 1 + class-body if (1) + a (2) + b (1) = 5; two methods -> int(5 / 2) + 1 = 3.
    assert cls.cc == 3 and cls.methods == 2
    assert cls.cc == next(b for b in cc_visit_ast(tree) if isinstance(b, Class)).complexity


def test_except_star_counts_like_except_unlike_radon() -> None:
    # Documented difference: radon 6.0.1 predates except* and counts no handler of a TryStar.
    code = "def f():\n    try:\n        pass\n    except* A:\n        pass\n    except* B:\n        pass\n"
    tree = ast.parse(code)
    (function,) = cyclomatic(tree).functions
    assert function.cc == 3
    assert cc_visit_ast(tree)[0].complexity == 1


def test_deep_trees_do_not_hit_the_recursion_limit() -> None:
    tree = ast.parse("def f():\n    return " + " or ".join(["a"] * 1500) + " + " + " + ".join(["b"] * 2000))
    (function,) = cyclomatic(tree).functions
    assert function.cc == 1500
