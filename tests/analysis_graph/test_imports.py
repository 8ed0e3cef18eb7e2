from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from codeopt.analysis.imports import extract_imports, resolve_relative
from codeopt.analysis.model import EdgeKind, ImportRecord
from codeopt.source.parsing import SourceFile

IMPORT, CALL, TC = EdgeKind.IMPORT_TIME, EdgeKind.CALL_TIME, EdgeKind.TYPE_CHECKING


def records(text: str, module: str = "pkg.mod", is_package: bool = False) -> tuple[ImportRecord, ...]:
    source = SourceFile(Path("x.py"), "x.py", module, is_package, textwrap.dedent(text).lstrip("\n"))
    return extract_imports(source)


def by_target(text: str, **kwargs: object) -> dict[str, ImportRecord]:
    found = records(text, **kwargs)  # type: ignore[arg-type]
    return {r.target: r for r in found}


def test_when_each_import_runs() -> None:
    got = by_target(
        """
        import top
        if FLAG:
            import in_if
        with ctx():
            import in_with
        for _ in range(1):
            import in_for
        class Config:
            import in_class
            def method(self):
                import in_method
                def inner():
                    import in_nested
        async def coro():
            import in_async
        def outer():
            class Local:
                import in_local_class
        """
    )
    assert {t: r.kind for t, r in got.items()} == {
        "top": IMPORT,
        "in_if": IMPORT,
        "in_with": IMPORT,
        "in_for": IMPORT,
        "in_class": IMPORT,
        "in_method": CALL,
        "in_nested": CALL,
        "in_async": CALL,
        "in_local_class": CALL,
    }


def test_main_guard_imports_run_only_as_a_script() -> None:
    got = by_target(
        """
        if __name__ == "__main__":
            import as_script
        else:
            import on_import
        if "__main__" == __name__:
            import reversed_guard
        if __name__ != "__main__":
            import not_a_guard
        """
    )
    kinds = {t: r.kind for t, r in got.items()}
    assert kinds == {"as_script": CALL, "on_import": IMPORT, "reversed_guard": CALL, "not_a_guard": IMPORT}


def test_type_checking_blocks_and_their_else() -> None:
    got = by_target(
        """
        import typing
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import tc_name
            def stub():
                import tc_in_function
        else:
            import runtime_else
        if typing.TYPE_CHECKING:
            import tc_attribute
        if not TYPE_CHECKING:
            import not_tc_body
        else:
            import not_tc_else
        def f():
            if TYPE_CHECKING:
                import tc_in_body
        """
    )
    kinds = {t: r.kind for t, r in got.items()}
    assert kinds["tc_name"] is TC
    assert kinds["tc_in_function"] is TC
    assert kinds["runtime_else"] is IMPORT
    assert kinds["tc_attribute"] is TC
    assert kinds["not_tc_body"] is IMPORT
    assert kinds["not_tc_else"] is TC
    assert kinds["tc_in_body"] is TC


def test_try_blocks_mark_optional_imports() -> None:
    got = by_target(
        """
        try:
            import ujson as json
        except ImportError:
            import json_fallback
        else:
            import after_success
        finally:
            import always
        import plain
        def f():
            try:
                import lazy_optional
            except ModuleNotFoundError:
                pass
        """
    )
    assert got["ujson"].in_try and got["json_fallback"].in_try and got["after_success"].in_try
    assert not got["always"].in_try and not got["plain"].in_try
    assert got["lazy_optional"].in_try and got["lazy_optional"].kind is CALL


def test_names_and_bound_names() -> None:
    found = records(
        """
        import a.b.c
        import a.b.c as abc
        import os, sys as system
        from pkg2 import one, two as deux
        from star_source import *
        """
    )
    summary = [(r.target, r.names, r.bound) for r in found]
    assert summary == [
        ("a.b.c", (), ("a",)),
        ("a.b.c", (), ("abc",)),
        ("os", (), ("os",)),
        ("sys", (), ("system",)),
        ("pkg2", ("one", "two"), ("one", "deux")),
        ("star_source", ("*",), ()),
    ]
    assert all(r.level == 0 and r.resolved for r in found)


@pytest.mark.parametrize(
    ("module", "is_package", "statement", "target", "level"),
    [
        ("pkg.sub.mod", False, "from . import x", "pkg.sub", 1),
        ("pkg.sub.mod", False, "from .sibling import x", "pkg.sub.sibling", 1),
        ("pkg.sub.mod", False, "from .. import x", "pkg", 2),
        ("pkg.sub.mod", False, "from ..other.deep import x", "pkg.other.deep", 2),
        ("pkg.sub", True, "from . import x", "pkg.sub", 1),
        ("pkg.sub", True, "from .. import x", "pkg", 2),
        ("pkg.sub", True, "from .child import x", "pkg.sub.child", 1),
    ],
)
def test_relative_imports_resolve_like_python(
    module: str, is_package: bool, statement: str, target: str, level: int
) -> None:
    (record,) = records(statement, module=module, is_package=is_package)
    assert (record.target, record.level, record.resolved) == (target, level, True)
    assert record.names == ("x",)


@pytest.mark.parametrize(
    ("module", "is_package", "statement", "written"),
    [
        ("pkg.mod", False, "from .. import x", ".."),
        ("pkg.mod", False, "from ...far.away import x", "...far.away"),
        ("top", False, "from . import x", "."),  # a top-level module has no package
        ("", False, "from .a import x", ".a"),  # module name unknown
        ("pkg", True, "from ..up import x", "..up"),
    ],
)
def test_relative_imports_climbing_too_high_are_kept_unresolved(
    module: str, is_package: bool, statement: str, written: str
) -> None:
    (record,) = records(statement, module=module, is_package=is_package)
    assert record.target == written
    assert not record.resolved


def test_resolve_relative_rule() -> None:
    assert resolve_relative("x", 1, "a.b") == "a.b.x"
    assert resolve_relative("", 2, "a.b") == "a"
    assert resolve_relative("x", 3, "a.b") is None
    assert resolve_relative("x", 1, "") is None


def test_dynamic_imports_with_literal_names() -> None:
    found = records(
        """
        import importlib
        import importlib as il
        from importlib import import_module as load
        a = importlib.import_module("dyn.top")
        b = __import__("dunder")
        c = il.import_module("via_alias")
        d = load("via_from_alias")
        e = importlib.import_module(".rel", __package__)
        f = importlib.import_module(".rel2", package="other.pkg")
        g = importlib.import_module(name)  # not a literal: cannot be followed
        h = importlib.import_module(".lost", some_var)
        k = lambda: __import__("in_lambda")
        def later():
            try:
                importlib.import_module("in_function")
            except ImportError:
                pass
        """
    )
    dynamic = {r.target: r for r in found if r.dynamic}
    assert set(dynamic) == {
        "dyn.top",
        "dunder",
        "via_alias",
        "via_from_alias",
        "pkg.rel",
        "other.pkg.rel2",
        ".lost",
        "in_lambda",
        "in_function",
    }
    assert dynamic["dyn.top"].kind is IMPORT
    assert dynamic["in_lambda"].kind is CALL
    assert dynamic["in_function"].kind is CALL and dynamic["in_function"].in_try
    assert not dynamic[".lost"].resolved
    assert dynamic["pkg.rel"].level == 1


def test_module_level_use_tells_movable_imports_apart() -> None:
    got = by_target(
        """
        import used_in_function
        import used_in_decorator
        import used_as_base
        import used_in_default
        import used_in_annotation
        import used_at_top
        import exported
        import only_in_lambda
        from star import *

        __all__ = ["exported"]
        print(used_at_top.x)

        @used_in_decorator.wrap
        def f(x=used_in_default.VALUE) -> used_in_annotation.T:
            return used_in_function.run(x)

        class C(used_as_base.Base):
            pass

        g = lambda: only_in_lambda.go()
        """
    )
    uses = {t: r.module_level_use for t, r in got.items()}
    assert uses == {
        "used_in_function": False,
        "used_in_decorator": True,
        "used_as_base": True,
        "used_in_default": True,
        "used_in_annotation": True,
        "used_at_top": True,
        "exported": True,
        "only_in_lambda": False,
        "star": True,
    }


def test_postponed_annotations_are_not_uses() -> None:
    got = by_target(
        """
        from __future__ import annotations
        import in_annotation
        import in_class_annotation
        def f(x: in_annotation.T) -> in_annotation.U:
            pass
        class C:
            field: in_class_annotation.T = 1
        """
    )
    assert not got["in_annotation"].module_level_use
    assert not got["in_class_annotation"].module_level_use


def test_from_imports_in_an_init_are_reexports() -> None:
    got = by_target("from .impl import Thing\nimport helper\n", module="pkg", is_package=True)
    assert got["pkg.impl"].module_level_use
    assert not got["helper"].module_level_use


def test_records_come_in_source_order() -> None:
    found = records(
        """
        def f():
            import c
        import a; import b
        if X:
            import d
        """
    )
    assert [(r.target, r.lineno) for r in found] == [("c", 2), ("a", 3), ("b", 3), ("d", 5)]


def test_deep_nesting_does_not_hit_the_recursion_limit() -> None:
    depth = 90
    lines = [" " * i + f"def f{i}():" for i in range(depth)]
    lines.append(" " * depth + "import deep")
    (record,) = records("\n".join(lines) + "\n")
    assert (record.target, record.kind, record.lineno) == ("deep", CALL, depth + 1)


def test_cheaper_than_a_plain_ast_walk() -> None:
    import ast

    function = "def f{0}(a, b=1):\n    x = [a + b for _ in range(10)]\n"
    function += "    if x:\n        import m{0}\n    return x\n"
    body = "\n".join(function.format(i) for i in range(1500))
    source = SourceFile(Path("big.py"), "big.py", "big", False, "import os\n" + body)
    tree = source.ast_tree
    start = time.perf_counter()
    for _ in ast.walk(tree):
        pass
    walk = time.perf_counter() - start
    start = time.perf_counter()
    found = extract_imports(source)
    extract = time.perf_counter() - start
    assert len(found) == 1501
    assert extract < walk  # function bodies are skimmed, not walked
