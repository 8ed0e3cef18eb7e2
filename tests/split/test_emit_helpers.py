"""Shared helpers for the emit/facade/pitfall tests: split a small module for real and run it.

No tests here; the module is named ``test_*`` only so it stays inside the split test files' namespace.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from codeopt.split.emit import EmitOptions, Emitted, emit_split
from codeopt.split.plan import Plan, build_plan
from codeopt.split.unit_model import Inventory
from codeopt.split.units import build_inventory


@dataclass(frozen=True)
class Split:
    root: Path
    inv: Inventory
    plan: Plan
    emitted: Emitted

    def text(self, relative: str) -> str:
        return (self.root / relative).read_text(encoding="utf-8")

    def body(self, relative: str) -> str:
        """A submodule's text without the one-line docstring the emitter gives it."""
        text = self.text(relative)
        first, _, rest = text.partition("\n\n")
        assert first.startswith('"""Split out of ') and first.endswith('."""'), first
        return rest.lstrip("\n")


def write_project(
    root: Path, source: str, extra: Mapping[str, str] | None = None, module: str = "pkg.mod"
) -> Path:
    """``root/pkg/__init__.py`` and ``root/pkg/mod.py`` (plus ``extra`` files); the module's path."""
    parts = module.split(".")
    package = root.joinpath(*parts[:-1])
    package.mkdir(parents=True, exist_ok=True)
    for depth in range(1, len(parts)):
        init = root.joinpath(*parts[:depth], "__init__.py")
        if not init.exists():
            init.write_text("", encoding="utf-8")
    for name, text in (extra or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    path = package / f"{parts[-1]}.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def split(
    root: Path,
    source: str,
    assignment: Mapping[str, str],
    *,
    extra: Mapping[str, str] | None = None,
    module: str = "pkg.mod",
    keep: bool = False,
    write: bool = True,
) -> Split:
    """Split ``module`` (written from ``source``) as ``assignment`` says and write the package."""
    path = write_project(root, source, extra, module)
    inv = build_inventory(path.read_text(encoding="utf-8"), path, module)
    plan = build_plan(inv, dict(assignment), [])
    emitted = emit_split(inv, plan, EmitOptions(keep_module_names=keep))
    if write:
        path.unlink()
        for target, text in emitted.files.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    return Split(root, inv, plan, emitted)


def run_python(root: Path, code: str, *args: str) -> str:
    """Run ``code`` (or ``-m module`` when ``args`` say so) with ``root`` importable; its stdout."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["PYTHONPATH"] = str(root)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [sys.executable, *args] if args else [sys.executable, "-c", textwrap.dedent(code)]
    proc = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout
