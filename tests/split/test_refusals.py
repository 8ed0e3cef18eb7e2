"""Refusals: one case per construct a split cannot preserve, plus real modules that must pass."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from codeopt.split.refusals import Refusal, find_refusals, refusals_in_source

REPO_ROOT = Path(__file__).resolve().parents[2]


def reasons(source: str) -> list[tuple[int, str]]:
    """(line, first three words of the reason) for each refusal."""
    found = refusals_in_source(textwrap.dedent(source))
    return [(refusal.line, " ".join(refusal.reason.split()[:3])) for refusal in found]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import sys\nsys.modules[__name__] = object()\n", (2, "replaces its own")),
        (
            "import sys\n\ndef load(n, m):\n    sys.modules[n] = m\n",
            (4, "registers modules into"),
        ),
        (
            "from sys import modules as mods\nmods['x.y'] = 1\n",
            (2, "registers modules into"),
        ),
        (
            "import sys\nsys.modules.setdefault('a', 1)\n",
            (2, "registers modules into"),
        ),
        (
            "import sys\nsys.meta_path.append(object())\n",
            (2, "installs an import"),
        ),
        (
            "import sys, types\nsys.modules[__name__].__class__ = types.ModuleType\n",
            (2, "assigns __class__ on"),
        ),
        (
            "for name in ('a', 'b'):\n    globals()[name] = len\n",
            (2, "writes module names"),
        ),
        ("globals().update(a=1)\n", (1, "writes module names")),
        (
            "def fixers():\n    return [v for k, v in globals().items() if k.startswith('fix_')]\n",
            (2, "scans its own"),
        ),
        ("def get(name):\n    return globals()[name]\n", (2, "looks names up")),
        ("exec('x = 1')\n", (1, "runs exec/eval at")),
        ("def f(code):\n    return eval(code)\n", (2, "calls exec/eval without")),
    ],
)
def test_each_refused_construct_names_line_and_reason(source: str, expected: tuple[int, str]) -> None:
    assert expected in reasons(source)


@pytest.mark.parametrize(
    "source",
    [
        "import sys\nprint(sys.modules.get('os'))\n",
        "def build(code):\n    ns = {}\n    exec(code, ns)\n    return ns\n",
        "def f(obj):\n    return obj.__class__.__name__\n",
        "class A:\n    def __repr__(self):\n        return f'{self.__class__.__name__}()'\n",
        "def f(o):\n    return vars(o)\n",
        # pyparsing: locals() in a class body is the class namespace, not the module's
        "class Chars:\n    a = 1\n    _all = list(locals().values())\n",
    ],
)
def test_ordinary_code_is_not_refused(source: str) -> None:
    assert refusals_in_source(source) == ()


def test_find_refusals_reads_the_inventory_source() -> None:
    class Inv:
        source = "import sys\nsys.modules[__name__] = 1\n"
        path = Path("m.py")

    assert find_refusals(Inv()) == (Refusal(2, refusals_in_source(Inv.source)[0].reason),)


def test_the_gitkit_monolith_is_not_refused() -> None:
    monolith = REPO_ROOT / "fixtures" / "gitkit" / "gitkit" / "git_advanced.py"
    assert refusals_in_source(monolith.read_text(encoding="utf-8")) == ()


SIX_LIKE = """
import sys
import types

class _SixMetaPathImporter(object):
    def __init__(self, six_module_name):
        self.name = six_module_name
        self.known_modules = {}

    def load_module(self, fullname):
        mod = self.known_modules[fullname]
        sys.modules[fullname] = mod
        return mod

_importer = _SixMetaPathImporter(__name__)
sys.meta_path.append(_importer)
"""


def test_six_shaped_module_is_refused_with_both_reasons() -> None:
    found = reasons(SIX_LIKE)
    assert (12, "registers modules into") in found
    assert (16, "installs an import") in found
