from __future__ import annotations

import ast
import textwrap

from codeopt.analysis.cohesion import lcom4
from codeopt.analysis.model import Cohesion


def cohesion(code: str) -> Cohesion:
    return lcom4(ast.parse(textwrap.dedent(code)))


def test_two_disjoint_groups_are_two_components() -> None:
    result = cohesion(
        """
        def parse(text):
            return tokens(text)

        def tokens(text):
            return text.split()

        def render(tree):
            return fmt(tree)

        def fmt(tree):
            return str(tree)
        """
    )
    assert result.lcom4 == 2 and result.units == 4
    assert result.components == (("parse", "tokens"), ("render", "fmt"))
    assert result.edges == (("fmt", "render"), ("parse", "tokens"))


def test_a_shared_module_variable_joins_its_users() -> None:
    result = cohesion(
        """
        CACHE = {}

        def get(key):
            return CACHE[key]

        def put(key, value):
            CACHE[key] = value
        """
    )
    assert result.lcom4 == 1
    assert result.components == (("CACHE", "get", "put"),)


def test_a_variable_assigned_only_through_global_joins_its_users() -> None:
    result = cohesion(
        """
        def start():
            global _state
            _state = "running"

        def status():
            return _state

        def unrelated():
            return 1
        """
    )
    assert result.components == (("start", "status"), ("unrelated",))
    assert result.units == 3  # `_state` has no module-level definition: not a unit


def test_a_class_using_a_helper_is_one_component() -> None:
    result = cohesion(
        """
        class Repo:
            def commit(self, message):
                return normalise(message)

        def normalise(message):
            return message.strip()
        """
    )
    assert result.lcom4 == 1 and result.components == (("Repo", "normalise"),)


def test_an_unused_constant_is_its_own_component() -> None:
    result = cohesion(
        """
        TIMEOUT = 30

        def run():
            return 1
        """
    )
    assert result.lcom4 == 2
    assert result.components == (("TIMEOUT",), ("run",))


def test_locals_and_parameters_hide_module_names() -> None:
    result = cohesion(
        """
        value = 1

        def by_parameter(value):
            return value

        def by_local():
            value = 2
            return value

        def by_comprehension(items):
            return [value for value in items]

        def by_enclosing():
            value = 3
            def inner():
                return value
            return inner

        def really_uses():
            return value
        """
    )
    assert result.components[0] == ("value", "really_uses")
    assert result.lcom4 == 5


def test_class_bodies_do_not_enclose_their_methods() -> None:
    result = cohesion(
        """
        limit = 10

        class Config:
            limit = 5
            doubled = limit * 2  # the class attribute

            def check(self):
                return limit  # the module variable: methods skip the class scope
        """
    )
    assert result.components == (("limit", "Config"),)


def test_decorators_defaults_annotations_and_bases_are_references() -> None:
    result = cohesion(
        """
        def register(func):
            return func

        DEFAULT = 3

        class Base:
            pass

        class Config:
            pass

        @register
        def decorated():
            pass

        def with_default(x=DEFAULT):
            pass

        def annotated(x: Config) -> None:
            pass

        class Child(Base):
            pass
        """
    )
    assert result.components == (
        ("register", "decorated"),
        ("DEFAULT", "with_default"),
        ("Base", "Child"),
        ("Config", "annotated"),
    )


def test_what_is_not_a_unit() -> None:
    result = cohesion(
        '''
        """Module docstring."""
        import os
        from typing import TYPE_CHECKING

        __all__ = ["main"]
        __version__ = "1.0"

        if TYPE_CHECKING:
            from collections.abc import Iterator

        print("import-time side effect")

        def main():
            return os.getcwd()

        if __name__ == "__main__":
            main()
        '''
    )
    assert result.units == 1 and result.components == (("main",),)


def test_conditional_blocks_and_repeated_assignments_are_one_unit_each() -> None:
    result = cohesion(
        """
        try:
            import simplejson as json
        except ImportError:
            json = None
            HAVE_JSON = False

        if WINDOWS:
            def sep():
                return "\\\\"
        else:
            def sep():
                return "/"

        counter = 0
        counter += 1
        first, second = 1, 2

        def dump(x):
            return json.dumps(x)
        """
    )
    # The try block defines json and HAVE_JSON (the import alone would not); the if block sep;
    # both `counter` statements are one unit; `first, second` one unit naming both.
    assert result.units == 5
    assert result.components == (
        ("json", "HAVE_JSON", "dump"),
        ("first", "second"),
        ("sep",),
        ("counter",),
    )
    assert ("first", "second") in result.edges


def test_empty_module() -> None:
    assert cohesion("") == Cohesion(lcom4=0, units=0, components=(), edges=())


def test_deep_expressions_do_not_hit_the_recursion_limit() -> None:
    code = "A = 1\nB = " + " + ".join(["A"] * 2000) + "\n"
    assert cohesion(code).components == (("A", "B"),)
