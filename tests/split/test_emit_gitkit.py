"""emit on real code: the gitkit fixture's 1,877-line monolith, split as the planner proposes.

The fixture's own suite runs against a split in tests/test_fixture_gitkit.py-style command tests; here
the emitter's own guarantees are checked on it: the static checks pass, every new module imports in a
fresh interpreter, every name of the old module is still importable from the old path with the same
kind of object, and patching the old path reaches moved code.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from codeopt.split.checks import import_check, static_checks
from codeopt.split.emit import EmitOptions, emit_split
from codeopt.split.plan import propose
from codeopt.split.units import build_inventory
from tests.split.test_emit_helpers import run_python

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "gitkit"


def test_the_gitkit_monolith_splits_cleanly(tmp_path: Path) -> None:
    root = tmp_path / "gitkit"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__"))
    module = root / "gitkit" / "git_advanced.py"
    before = run_python(root, NAMES)
    inv = build_inventory(module.read_text(encoding="utf-8"), module, "gitkit.git_advanced")
    plan = propose(inv)
    emitted = emit_split(inv, plan, EmitOptions(keep_module_names=True))
    assert len(emitted.modules) > 5
    assert static_checks(inv, plan, emitted.files) == ()
    module.unlink()
    for path, text in emitted.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert import_check(root, emitted.modules) == ()
    assert run_python(root, NAMES) == before
    assert run_python(root, PATCHED) == "patched\n"


NAMES = """
import types
import gitkit.git_advanced as m
for name in sorted(dir(m)):
    value = getattr(m, name)
    generated = name.startswith(("_codeopt", "_Codeopt"))
    submodule = isinstance(value, types.ModuleType) and value.__name__.startswith(m.__name__ + ".")
    if not name.startswith("__") and not generated and not submodule:
        print(name, type(value).__name__, getattr(value, "__module__", "-"))
"""

PATCHED = """
from unittest import mock
from gitkit import git_advanced
with mock.patch("gitkit.git_advanced._run_git", side_effect=RuntimeError("patched")):
    try:
        git_advanced.current_branch(".")
    except RuntimeError as error:
        print(error)
"""
