"""The post-write import check, with one fresh interpreter where one gives the same answer as many.

The check asks: does each new module import on its own in a fresh interpreter? Importing
``pkg.big.core.git`` first imports its parents, and the parent ``pkg.big`` is the facade, which imports
every submodule at module level; so in a fresh interpreter every submodule import runs exactly the
same sequence as importing the facade alone. One interpreter importing the facade and reporting which
of the new modules it loaded therefore answers for all of those; only modules the facade did not load
(none with today's facade; a lazily imported one tomorrow) get their own interpreter through
:func:`codeopt.split.checks.import_check`. On more_itertools/more.py (19 submodules) this turns ~20
interpreter start-ups and package imports into one.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from codeopt.split.checks import import_check

_PROBE = (
    "import importlib, sys\n"
    "name = sys.argv[1]\n"
    "importlib.import_module(name)\n"
    "print('\\n'.join(loaded for loaded in sys.modules if loaded == name or loaded.startswith(name + '.')))\n"
)


def check_new_modules(
    import_root: Path, facade: str, modules: Sequence[str], python: str, timeout: float = 120.0
) -> tuple[str, ...]:
    """Problems (one line per module) importing the facade and every new module in fresh interpreters."""
    loaded, problem = _import_facade(import_root, facade, python, timeout)
    if problem:
        return (problem,)
    rest = [name for name in modules if name != facade and name not in loaded]
    return import_check(import_root, rest, python, timeout) if rest else ()


def _import_facade(import_root: Path, facade: str, python: str, timeout: float) -> tuple[set[str], str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(import_root), env.get("PYTHONPATH", "")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave no __pycache__ behind in the user's tree
    try:
        proc = subprocess.run(
            [python, "-c", _PROBE, facade],
            cwd=import_root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return set(), f"{facade}: importing it took longer than {timeout:.0f}s"
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.strip().splitlines() if line.strip()]
        return set(), f"{facade}: {lines[-1] if lines else f'exit code {proc.returncode}'}"
    return set(proc.stdout.split()), ""
