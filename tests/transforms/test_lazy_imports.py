"""Before/after tables for the lazy-imports transform, one no-op case per condition, idempotence."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from codeopt.analysis.facts import facts_from_tree
from codeopt.transforms.base import Changed, FileInput, FileResult, Skipped, TransformOptions, Unchanged
from codeopt.transforms.lazy_imports import lazy_imports_file

HEAVY = (("heavy", 80.0), ("heavy.sub", 80.0), ("xml.dom.minidom", 40.0), ("otherheavy", 60.0))


def run(
    source: str,
    *,
    target: tuple[int, int] = (3, 9),
    module: str = "pkg.mod",
    runtime: tuple[tuple[str, str], ...] = (),
    never_lazy: tuple[str, ...] = (),
) -> FileResult:
    text = textwrap.dedent(source).lstrip("\n")
    facts = facts_from_tree(ast.parse(text), text.splitlines(), module=module)
    options = TransformOptions(
        target_version=target, min_cost_ms=20.0, measured_costs=HEAVY, runtime=runtime, never_lazy=never_lazy
    )
    return lazy_imports_file(FileInput(Path("pkg/mod.py"), text, module, facts, options))


def assert_codemod(before: str, after: str, **kwargs: object) -> None:
    result = run(before, **kwargs)  # type: ignore[arg-type]
    assert isinstance(result, Changed), result
    assert result.after == textwrap.dedent(after).lstrip("\n")
    again = run(result.after, **kwargs)  # type: ignore[arg-type]
    assert not isinstance(again, Changed), f"not idempotent:\n{getattr(again, 'after', '')}"


REWRITES = {
    "import used in a function": (
        """
        import os
        import heavy


        def load(path):
            return heavy.read(os.fspath(path))
        """,
        """
        import os
        from codeopt_runtime.lazy import lazy_import

        heavy = lazy_import("heavy")


        def load(path):
            return heavy.read(os.fspath(path))
        """,
        {},
    ),
    "dotted import binds the top package": (
        """
        import xml.dom.minidom


        def parse(text):
            return xml.dom.minidom.parseString(text)
        """,
        """
        from codeopt_runtime.lazy import lazy_import

        xml = lazy_import("xml.dom.minidom", bind="top")


        def parse(text):
            return xml.dom.minidom.parseString(text)
        """,
        {},
    ),
    "aliased import": (
        """
        import heavy.sub as hs  # the fast path


        def run():
            return hs.go()
        """,
        """
        from codeopt_runtime.lazy import lazy_import

        hs = lazy_import("heavy.sub")  # the fast path


        def run():
            return hs.go()
        """,
        {},
    ),
    "from-import only called": (
        """
        from heavy import dumps, loads


        def roundtrip(data):
            return loads(dumps(data))
        """,
        """
        from codeopt_runtime.lazy import lazy_from

        dumps = lazy_from("heavy", "dumps")
        loads = lazy_from("heavy", "loads")


        def roundtrip(data):
            return loads(dumps(data))
        """,
        {},
    ),
    "from-import of a submodule used through attributes, isinstance included": (
        """
        from heavy import nodes


        def is_add(node):
            return isinstance(node, nodes.Add)
        """,
        """
        from codeopt_runtime.lazy import lazy_from

        nodes = lazy_from("heavy", "nodes")


        def is_add(node):
            return isinstance(node, nodes.Add)
        """,
        {},
    ),
    "annotations were the only blocker: future import added": (
        '''
        """Docs."""
        import heavy


        def load(path) -> heavy.Frame:
            return heavy.read(path)
        ''',
        '''
        """Docs."""
        from __future__ import annotations
        from codeopt_runtime.lazy import lazy_import

        heavy = lazy_import("heavy")


        def load(path) -> heavy.Frame:
            return heavy.read(path)
        ''',
        {},
    ),
    "one name of a multi-import": (
        """
        import os, heavy


        def run():
            return heavy.go(os.sep)
        """,
        """
        import os
        from codeopt_runtime.lazy import lazy_import

        heavy = lazy_import("heavy")


        def run():
            return heavy.go(os.sep)
        """,
        {},
    ),
    "two lazy modules on one line": (
        """
        import heavy, otherheavy


        def run():
            return heavy.go(otherheavy.x)
        """,
        """
        from codeopt_runtime.lazy import lazy_import

        heavy = lazy_import("heavy")
        otherheavy = lazy_import("otherheavy")


        def run():
            return heavy.go(otherheavy.x)
        """,
        {},
    ),
    "imports sharing a top package: the last one becomes the proxy": (
        """
        import xml.dom.minidom
        import xml.sax.handler
        import heavy.sub


        def parse(text):
            return heavy.sub.go(xml.dom.minidom.parseString(text), xml.sax.handler)
        """,
        """
        import xml.dom.minidom
        import xml.sax.handler
        from codeopt_runtime.lazy import lazy_import

        heavy = lazy_import("heavy.sub", bind="top")


        def parse(text):
            return heavy.sub.go(xml.dom.minidom.parseString(text), xml.sax.handler)
        """,
        {},
    ),
    "vendored runtime": (
        """
        import heavy


        def run():
            return heavy.go()
        """,
        """
        from pkg._codeopt_lazy import lazy_import

        heavy = lazy_import("heavy")


        def run():
            return heavy.go()
        """,
        {"runtime": (("lazy", "pkg._codeopt_lazy"),)},
    ),
    "3.15 target: __lazy_modules__ before the first import": (
        '''
        """Docs."""

        from __future__ import annotations

        import heavy
        from otherheavy import tool


        def run():
            return heavy.go(tool())
        ''',
        '''
        """Docs."""

        from __future__ import annotations

        __lazy_modules__ = ["heavy", "otherheavy"]
        import heavy
        from otherheavy import tool


        def run():
            return heavy.go(tool())
        ''',
        {"target": (3, 15)},
    ),
    "3.15 target: an existing __lazy_modules__ is extended": (
        """
        __lazy_modules__ = ["json"]
        import json
        import heavy


        def run():
            return heavy.go(json)
        """,
        """
        __lazy_modules__ = ["json", "heavy"]
        import json
        import heavy


        def run():
            return heavy.go(json)
        """,
        {"target": (3, 15)},
    ),
    "3.15 target: isinstance on a from-import is fine (PEP 810 reifies the real object)": (
        """
        from heavy import Frame


        def check(x):
            return isinstance(x, Frame)
        """,
        """
        __lazy_modules__ = ["heavy"]
        from heavy import Frame


        def check(x):
            return isinstance(x, Frame)
        """,
        {"target": (3, 15)},
    ),
}


@pytest.mark.parametrize("case", sorted(REWRITES))
def test_rewrite(case: str) -> None:
    before, after, kwargs = REWRITES[case]
    assert_codemod(before, after, **kwargs)


# One case per condition that keeps an import eager; (source, reason fragment or None for "not a candidate").
NO_OPS = {
    "used in module-level code": ("import heavy\nCONFIG = heavy.load()\n", "used in module-level code"),
    "base class": ("import heavy\nclass A(heavy.Base):\n    pass\n", "used as a base class"),
    "decorator": ("import heavy\n@heavy.register\ndef f():\n    pass\n", "used in a decorator"),
    "default value": ("import heavy\ndef f(x=heavy.DEFAULT):\n    return heavy.go(x)\n", "default value"),
    "class body": ("import heavy\nclass A:\n    x = heavy.X\n", "used in a class body"),
    "annotation and runtime introspection": (
        "from dataclasses import dataclass\nimport heavy\n@dataclass\nclass A:\n    x: heavy.T\n"
        "def f():\n    return heavy.go()\n",
        "reads annotations at run time",
    ),
    "optional dependency": (
        "try:\n    import heavy\nexcept ImportError:\n    heavy = None\ndef f():\n    return heavy.go()\n",
        "optional dependency",
    ),
    "try block without ImportError": (
        "try:\n    import heavy\nfinally:\n    pass\ndef f():\n    return heavy.go()\n",
        "inside a try block",
    ),
    "conditional import": (
        "import sys\nif sys.platform == 'linux':\n    import heavy\ndef f():\n    return heavy.go()\n",
        "under a module-level if",
    ),
    "star import": ("from heavy import *\ndef f():\n    return go()\n", "star import"),
    "side-effect import": ("import heavy\ndef f():\n    return 1\n", "imported for its side effect"),
    "never-lazy list": ("import heavy.sub\ndef f():\n    return heavy.sub.go()\n", "never-lazy"),
    "below the cost threshold": ("import json\ndef f():\n    return json.dumps(1)\n", None),
    "isinstance on a from-import": (
        "from heavy import Frame\ndef f(x):\n    return isinstance(x, Frame)\n",
        "used in isinstance",
    ),
    "except clause": (
        "from heavy import Error\ndef f():\n    try:\n        pass\n    except Error:\n        pass\n",
        "except clause",
    ),
    "subclassed in a function": (
        "from heavy import Base\ndef f():\n    class A(Base):\n        pass\n    return A\n",
        "subclassed",
    ),
    "module passed as an object": ("import heavy\ndef f(g):\n    return g(heavy)\n", "module proxy is not"),
    "exported in __all__": (
        "from heavy import go\n__all__ = ['go']\ndef f():\n    return go()\n",
        "exported in __all__",
    ),
    "rebound": ("import heavy\nheavy = None\ndef f():\n    return heavy.go()\n", "bound again"),
    "TYPE_CHECKING import": (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import heavy\n"
        "def f(x: 'heavy.T'):\n    pass\n",
        None,
    ),
    "loaded anyway by an eager import": (
        "import heavy.sub\nfrom heavy import tool\nclass A(heavy.sub.Base):\n    pass\n"
        "def f():\n    return tool()\n",
        "loaded anyway",
    ),
    "same name bound by two imports, the proxy would not be the last": (
        "import xml.dom.minidom\nimport xml.sax\ndef f():\n    return xml.dom.minidom.Node\n",
        "a later import binds the same name at line 2",
    ),
    "same name bound by an import and a from-import": (
        "import xml.dom.minidom\nfrom heavy import xml\ndef f():\n    return xml.dom.minidom.Node\n",
        "the name is bound again",
    ),
    "project module": ("from pkg.other import helper\ndef f():\n    return helper()\n", None),
    "relative import": ("from .other import helper\ndef f():\n    return helper()\n", None),
    "globals() at module level": (
        "import heavy\nNAMES = globals()\ndef f():\n    return heavy.go()\n",
        "globals()",
    ),
}


@pytest.mark.parametrize("case", sorted(NO_OPS))
def test_no_op(case: str) -> None:
    source, reason = NO_OPS[case]
    result = run(source, never_lazy=("heavy.sub",) if case == "never-lazy list" else ())
    assert not isinstance(result, Changed), getattr(result, "after", "")
    if reason is None:
        assert isinstance(result, Unchanged | Skipped)
        assert not any("heavy" in s.name or "helper" in s.name for s in getattr(result, "skips", ()))
    else:
        assert isinstance(result, Skipped), result
        reasons = " | ".join(s.render() for s in result.skips)
        assert reason in reasons


def test_skip_lines_name_the_site() -> None:
    result = run("import os\nimport heavy\nclass A(heavy.Base):\n    pass\n")
    assert isinstance(result, Skipped)
    assert [s.render() for s in result.skips] == ["pkg/mod.py:2: heavy: used as a base class at line 3"]


def test_partial_statement_stays_whole() -> None:
    """A statement where one name must stay eager is left alone: a half-lazy import gains nothing."""
    source = "from heavy import go, Error\ndef f():\n    try:\n        go()\n"
    source += "    except Error:\n        pass\n"
    result = run(source)
    assert isinstance(result, Skipped)
    assert "Error" in result.skips[0].name


def test_unparsable_output_is_impossible_and_input_errors_are_failures() -> None:
    text = "import heavy\ndef f():\n    return heavy.go()\n"
    facts = facts_from_tree(ast.parse(text), text.splitlines(), module="pkg.mod")
    options = TransformOptions(min_cost_ms=20.0, measured_costs=HEAVY)
    broken = FileInput(Path("pkg/mod.py"), text + "def (:\n", "pkg.mod", facts, options)
    result = lazy_imports_file(broken)
    assert type(result).__name__ == "Failed"
    assert "\n" not in result.reason  # type: ignore[union-attr]
