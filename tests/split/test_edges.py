"""Edges: each kind, resolved with Python's scoping rules."""

from __future__ import annotations

import textwrap
from pathlib import Path

from codeopt.split.units import Inventory, build_inventory


def inventory(source: str) -> Inventory:
    return build_inventory(textwrap.dedent(source).lstrip("\n"), Path("mod.py"), "mod")


def kinds(inv: Inventory, source: str, target: str) -> set[str]:
    return {edge.kind for edge in inv.edges if edge.source == source and edge.target == target}


def test_import_time_edges() -> None:
    inv = inventory(
        """
        def deco(f):
            return f

        DEFAULT = 1

        class Base:
            pass

        @deco
        def user(x=DEFAULT):
            return x

        class Child(Base):
            size = DEFAULT

        TABLE = {"k": user}
        """
    )
    assert kinds(inv, "user", "deco") == {"import-time"}
    assert kinds(inv, "user", "DEFAULT") == {"import-time"}
    assert kinds(inv, "Child", "Base") == {"import-time"}
    assert kinds(inv, "Child", "DEFAULT") == {"import-time"}
    assert kinds(inv, "TABLE", "user") == {"import-time"}


def test_call_time_edges_and_local_shadowing() -> None:
    inv = inventory(
        """
        def helper():
            return 1

        def other():
            return 2

        def caller():
            helper()
            other = 5
            return other

        class K:
            def method(self):
                return helper()

        def outer():
            def helper():
                return 3
            return [helper() for _ in range(2)]
        """
    )
    assert kinds(inv, "caller", "helper") == {"call-time"}
    assert kinds(inv, "caller", "other") == set()  # a local hides the module name
    assert kinds(inv, "K", "helper") == {"call-time"}
    assert kinds(inv, "outer", "helper") == set()  # the enclosing function's helper


def test_annotations_evaluated_or_deferred() -> None:
    evaluated = inventory(
        """
        class Model:
            pass

        def f(x: Model) -> "Model":
            y: Model = x
            return y
        """
    )
    assert kinds(evaluated, "f", "Model") == {"import-time", "annotation"}
    deferred = inventory(
        """
        from __future__ import annotations

        class Model:
            pass

        def f(x: Model) -> Model:
            return x
        """
    )
    assert kinds(deferred, "f", "Model") == {"annotation"}


def test_state_edges_for_rebound_and_mutated_globals() -> None:
    inv = inventory(
        """
        _config = None
        _cache = {}

        def configure(value):
            global _config
            _config = value

        def read():
            return _config

        def remember(key, value):
            _cache[key] = value

        def forget():
            _cache.clear()
        """
    )
    assert "state" in kinds(inv, "configure", "_config")
    assert kinds(inv, "read", "_config") == {"call-time", "state"}
    assert "state" in kinds(inv, "remember", "_cache")
    assert "state" in kinds(inv, "forget", "_cache")
    assert inv.global_writers == {"_config": ("configure",)}
    assert "_config" in inv.rebound_globals


def test_global_only_variable_ties_users_to_the_first_writer() -> None:
    inv = inventory(
        """
        def start():
            global _started
            _started = True

        def started():
            return _started
        """
    )
    assert kinds(inv, "started", "start") == {"call-time", "state"}


def test_string_edges() -> None:
    inv = inventory(
        '''
        import sys

        __all__ = ["public"]
        __all__ += ["other"]

        def public():
            """Doubles.

            >>> public() + helper()
            3
            """
            return 1

        def other():
            return globals()["helper"]

        def helper():
            return 2

        def lookup():
            return getattr(sys.modules[__name__], "public")
        '''
    )
    assert kinds(inv, "__all__", "public") == {"string"}
    assert kinds(inv, "__all__", "other") == {"string"}
    assert kinds(inv, "public", "helper") == {"string"}
    assert kinds(inv, "other", "helper") == {"string"}
    assert kinds(inv, "lookup", "public") == {"string"}
    assert kinds(inv, "lookup", "sys") == {"call-time"}  # edges to imports tell emit what to copy


def test_edges_are_deterministic_and_carry_names() -> None:
    source = """
        A = 1
        B = 2

        def f():
            return A + B + A
        """
    first, second = inventory(source), inventory(source)
    assert first.edges == second.edges
    assert [(edge.target, edge.names) for edge in first.edges] == [("A", ("A",)), ("B", ("B",))]


def test_what_a_function_runs_excludes_its_nested_functions() -> None:
    inv = inventory(
        """
        def now():
            return 1

        def later():
            return 2

        def deco(tag):
            now()
            def wrap(func):
                later()
                return func
            return wrap
        """
    )
    assert inv.executes["deco"] == frozenset({"now"})
    assert kinds(inv, "deco", "later") == {"call-time"}


def test_class_body_reading_a_module_name_before_binding_it_is_an_import_time_edge() -> None:
    # `class A: X = X` reads the module's X when the class body runs (difflib's _file_template)
    inv = build_inventory(
        "X = 1\n\nclass A:\n    X = X\n\nclass B:\n    Y = 2\n    Z = Y\n", Path("m.py"), "m"
    )
    assert [(e.source, e.target, e.kind) for e in inv.edges] == [("A", "X", "import-time")]
