"""Project modules as lazy-import targets: which are declarative, what they cost, how they are emitted."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from codeopt.analysis.facts import facts_from_tree
from codeopt.transforms.base import Changed, FileInput, FileResult, Skipped, TransformOptions
from codeopt.transforms.lazy_imports import lazy_imports_file
from codeopt.transforms.lazy_imports_project import project_modules


def table(**modules: str) -> dict[str, tuple[str, float, str]]:
    sources = {
        name.replace("__", "."): (f"{name}.py", textwrap.dedent(text), False)
        for name, text in modules.items()
    }
    return {m.name: (m.name, m.cost_ms, m.blocker) for m in project_modules(sources)}


def test_declarative_module_costs_what_it_imports() -> None:
    found = table(
        pkg__engine="""
        '''Docs.'''
        import logging
        import re
        from typing import TYPE_CHECKING

        import requests

        if TYPE_CHECKING:
            import pandas

        logger = logging.getLogger(__name__)
        PATTERN = re.compile("x+")
        NAMES = ("a", "b")


        class Engine(Exception):
            kind: str = "x"

            @property
            def name(self):
                return requests.get(self.kind)
        """
    )
    _, cost, blocker = found["pkg.engine"]
    assert blocker == ""
    assert cost >= 100  # requests, from the bundled estimates


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("import plugins\nplugins.register('x')\n", "calls plugins.register at import (pkg__mod.py:2)"),
        ("import app\n@app.route('/')\ndef index():\n    pass\n", "applies the decorator app.route"),
        ("from django.db import models\nclass User(models.Model):\n    pass\n", "registers subclasses"),
        ("import os\nHOME = os.path.expanduser('~')\n", "calls os.path.expanduser"),
        ("import sys\nif sys.platform == 'win32':\n    X = 1\n", "runs a module-level if"),
        ("from x import *\n", "star import"),
        ("class A:\n    for i in range(3):\n        pass\n", "runs code"),
    ],
)
def test_module_with_import_time_effects_is_blocked(source: str, reason: str) -> None:
    assert reason in table(pkg__mod=source)["pkg.mod"][2]


def test_blocker_is_transitive() -> None:
    found = table(
        pkg__a="from pkg.b import f\n", pkg__b="import plugins\nplugins.setup()\ndef f():\n    pass\n"
    )
    assert found["pkg.a"][2].startswith("imports pkg.b, which calls plugins.setup")


def run(source: str, project: tuple[tuple[str, float, str], ...], module: str = "pkg.mod") -> FileResult:
    text = textwrap.dedent(source).lstrip("\n")
    facts = facts_from_tree(ast.parse(text), text.splitlines(), module=module)
    options = TransformOptions(min_cost_ms=20.0, project_modules=project)
    return lazy_imports_file(FileInput(Path("pkg/mod.py"), text, module, facts, options))


ENGINE = (("pkg", 45.0, ""), ("pkg.engine", 80.0, ""), ("pkg.small", 2.0, ""))


@pytest.mark.parametrize(
    ("statement", "emitted"),
    [
        ("from pkg.engine import run", 'run = lazy_from("pkg.engine", "run")'),
        ("from .engine import run", 'run = lazy_from(".engine", "run")'),
        ("from . import engine as run", 'run = lazy_from(".", "engine")'),
    ],
)
def test_project_import_becomes_lazy(statement: str, emitted: str) -> None:
    result = run(f"{statement}\n\n\ndef go():\n    return run()\n", ENGINE)
    assert isinstance(result, Changed), result
    assert emitted in result.after.splitlines()
    assert not isinstance(run(result.after, ENGINE), Changed)  # idempotent


@pytest.mark.parametrize(
    ("source", "project"),
    [
        ("from pkg.small import run\ndef go():\n    return run()\n", ENGINE),  # cheap
        ("from pkg import helper\ndef go():\n    return helper()\n", ENGINE),  # the parent package
        ("from pkg.unknown import run\ndef go():\n    return run()\n", ENGINE),  # not in the run
    ],
)
def test_project_import_not_a_candidate(source: str, project: tuple[tuple[str, float, str], ...]) -> None:
    result = run(source, project)
    assert not isinstance(result, Changed)
    assert not getattr(result, "skips", ())


def test_blocked_project_import_is_reported() -> None:
    blocked = (("pkg.engine", 80.0, "calls plugins.setup at import (pkg/engine.py:2)"),)
    result = run("from pkg.engine import run\ndef go():\n    return run()\n", blocked)
    assert isinstance(result, Skipped)
    assert (
        result.skips[0].reason == "project module pkg.engine calls plugins.setup at import (pkg/engine.py:2)"
    )


def test_rewritten_package_imports_less_and_behaves_the_same(tmp_path: Path) -> None:
    """End to end: the CLI rewrites a relative project import; the package then runs the same."""
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "cli.py").write_text(
        "from .engine import render\n\n\ndef main():\n    return render('x')\n"
    )
    (root / "pkg" / "engine.py").write_text(
        "import decimal\nimport requests_like\n\n\nclass Number(decimal.Decimal):\n    pass\n\n\n"
        "def render(text):\n    return requests_like.get(text)\n"
    )
    (root / "requests_like.py").write_text("def get(text):\n    return f'got {text}'\n")
    codeopt = str(Path(sys.executable).parent / "codeopt")
    env = {k: v for k, v in os.environ.items() if k not in ("CODEOPT_EAGER", "EAGER_IMPORT")}
    done = subprocess.run(
        [codeopt, "optimize", "pkg", "--lazy-imports", "--min-cost-ms", "5", "--apply"],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert 'render = lazy_from(".engine", "render")' in (root / "pkg" / "cli.py").read_text()
    check = (
        "import sys, pkg.cli\n"
        "assert 'pkg.engine' not in sys.modules\n"
        "from unittest import mock\n"
        "assert pkg.cli.main() == 'got x'\n"
        "with mock.patch('pkg.cli.render', return_value='mocked'):\n"
        "    assert pkg.cli.main() == 'mocked'\n"
        "with mock.patch('pkg.engine.render', return_value='engine mocked'):\n"
        "    assert pkg.cli.main() == 'engine mocked'\n"
        "print('ok')\n"
    )
    ran = subprocess.run([sys.executable, "-c", check], cwd=root, capture_output=True, text=True, env=env)
    assert ran.stdout.strip() == "ok", ran.stderr
